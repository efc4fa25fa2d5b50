"""What a user types after `--text`, parsed into terms any index can search for.

Accepted syntax (anything else is taken literally, so no input is a syntax error): words (all must
match), `"quoted phrases"`, a trailing `*` for a prefix (`river*`), and `OR` between terms.
Control characters are never searched for: they split words like spaces. How the terms are
matched (full-text index, substring) is the index implementation's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TERM_RE = re.compile(r'"(?P<phrase>[^"]*)"?(?P<pstar>\*?)|(?P<word>\S+)')

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Term:
    """One search term: the literal text, and whether its last token is a prefix."""

    text: str
    prefix: bool = False


def parse(query: str) -> list[list[Term]]:
    """The query in disjunctive form: a list of alternatives (joined by OR), each a list of terms (AND)."""
    tokens: list[Term | None] = []  # None marks an OR
    # A NUL would end a query mid-quote in a C-string API (SQLite's FTS5 reads queries so).
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
