"""Turn a parsed `--text` query (`archiver.index.textquery`) into safe SQL over the posts' full-text index.

Every term reaches FTS5 as a double-quoted string, the only FTS5 form in which no character is
special, so no input can produce an FTS5 syntax error. Terms FTS5 cannot find — CJK runs
(unicode61 keeps a whole run as one token), emoji and punctuation-only terms — are matched as
case-insensitive substrings instead.
"""

from __future__ import annotations

import re

from archiver.index.textquery import Term, parse

# Scripts written without spaces between words: unicode61 cannot split them.
_UNSPACED_RE = re.compile(
    r"[\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u0e00-\u0e7f\u1000-\u109f]"
)


def fts_searchable(term: Term) -> bool:
    """True when FTS5's unicode61 tokenizer turns the term into the tokens a reader expects."""
    return any(ch.isalnum() for ch in term.text) and not _UNSPACED_RE.search(term.text)


def fts_expression(term: Term) -> str:
    """The term as an FTS5 string: double quotes doubled, nothing else needs escaping."""
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + "*" if term.prefix else quoted


def like_pattern(term: Term) -> str:
    r"""The term as a LIKE pattern matched with ESCAPE '\'."""
    escaped = term.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_condition(query: str, *, table: str = "posts") -> tuple[str, list[str]]:
    """A SQL condition on `table` (which must have id, text, author, handle) and its parameters.

    ValueError when the query holds nothing to search for.
    """
    groups = parse(query)
    if not groups:
        raise ValueError(query)
    alternatives: list[str] = []
    params: list[str] = []
    for group in groups:
        conditions: list[str] = []
        for term in group:
            if fts_searchable(term):
                conditions.append(f"{table}.id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)")
                params.append(fts_expression(term))
            else:
                like = " OR ".join(f"{table}.{column} LIKE ? ESCAPE '\\'" for column in ("text", "author", "handle"))
                conditions.append(f"({like})")
                params.extend([like_pattern(term)] * 3)
        alternatives.append("(" + " AND ".join(conditions) + ")")
    return "(" + " OR ".join(alternatives) + ")", params
