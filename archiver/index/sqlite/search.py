"""Turn what a user types after `--text` into safe SQL over the posts' full-text index.

Accepted syntax (anything else is taken literally, so no input can produce an FTS5 syntax error):
words (all must match), `"quoted phrases"`, a trailing `*` for a prefix (`river*`), and `OR`
between terms. Every term reaches FTS5 as a double-quoted string, the only FTS5 form in which no
character is special. Terms FTS5 cannot find — CJK runs (unicode61 keeps a whole run as one
token), emoji and punctuation-only terms — are matched as case-insensitive substrings instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TERM_RE = re.compile(r'"(?P<phrase>[^"]*)"?(?P<pstar>\*?)|(?P<word>\S+)')

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

# Scripts written without spaces between words: unicode61 cannot split them.
_UNSPACED_RE = re.compile(
    r"[\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u0e00-\u0e7f\u1000-\u109f]"
)


@dataclass(frozen=True)
class Term:
    """One search term: the literal text, and whether its last token is a prefix."""

    text: str
    prefix: bool = False

    @property
    def fts_searchable(self) -> bool:
        """True when FTS5's unicode61 tokenizer turns the term into the tokens a reader expects."""
        return any(ch.isalnum() for ch in self.text) and not _UNSPACED_RE.search(self.text)

    def fts_expression(self) -> str:
        """The term as an FTS5 string: double quotes doubled, nothing else needs escaping."""
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + "*" if self.prefix else quoted

    def like_pattern(self) -> str:
        r"""The term as a LIKE pattern matched with ESCAPE '\'."""
        escaped = self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"


def parse(query: str) -> list[list[Term]]:
    """The query in disjunctive form: a list of alternatives (joined by OR), each a list of terms (AND)."""
    tokens: list[Term | None] = []  # None marks an OR
    # SQLite reads FTS5 query strings as C strings: a NUL would end them mid-quote.
    query = _CONTROL_RE.sub(" ", query)
    for match in _TERM_RE.finditer(query):
        if match["word"] is not None:
            word = match["word"]
            if word == "OR":
                tokens.append(None)
                continue
            stripped = word.rstrip("*")
            if stripped:  # a lone "*" has nothing to search for
                tokens.append(Term(stripped, prefix=stripped != word))
        else:
            phrase = match["phrase"].strip()
            if phrase:
                tokens.append(Term(phrase, prefix=bool(match["pstar"])))
    groups: list[list[Term]] = [[]]
    for index, token in enumerate(tokens):
        if token is None:
            # OR is an operator only between two terms; anywhere else it is the word "OR".
            between = groups[-1] and index + 1 < len(tokens) and tokens[index + 1] is not None
            if between:
                groups.append([])
            else:
                groups[-1].append(Term("OR"))
        else:
            groups[-1].append(token)
    return [group for group in groups if group]


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
            if term.fts_searchable:
                conditions.append(f"{table}.id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)")
                params.append(term.fts_expression())
            else:
                like = " OR ".join(f"{table}.{column} LIKE ? ESCAPE '\\'" for column in ("text", "author", "handle"))
                conditions.append(f"({like})")
                params.extend([term.like_pattern()] * 3)
        alternatives.append("(" + " AND ".join(conditions) + ")")
    return "(" + " OR ".join(alternatives) + ")", params
