"""What a user types after `--text`, parsed into terms any index can search for.

Syntax: words (all must match), `"quoted phrases"`, a trailing `*` for a prefix (`river*`), `OR`
between two terms for alternatives, and `AND` between two terms (the same as a space). Inside
quotes everything is literal. A query that cannot mean what it seems to say is refused with a
`QuerySyntaxError` naming the character where it goes wrong: an unclosed quote, a parenthesis
(terms are not grouped), `NOT` or a word behind a `-` (nothing is excluded), an `AND`/`OR`
without a term on each side.
Operators are upper case, as in SQLite's and PostgreSQL's own query languages: `and`, `or` and
`not` are words. Control characters are never searched for: they split words like spaces. A query
of more than `MAX_WORDS` words (a quoted phrase counts as one) is refused too: each word is one
condition of the query's SQL, and SQLite refuses a condition nested about a thousand deep. How the
terms are matched (full-text index, substring) is the index implementation's business.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from archiver.errors import QuerySyntaxError

_TERM_RE = re.compile(r'"(?P<phrase>[^"]*)(?P<close>"?)(?P<pstar>\*?)|(?P<word>\S+)')

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

_OPERATORS = ("AND", "OR")

# The most words (terms: a quoted phrase is one) a query may hold, on every backend: SQLite's
# expression tree of about one per word stops at a depth of 1000, PostgreSQL's goes further.
MAX_WORDS = 200


@dataclass(frozen=True)
class Term:
    """One search term: the literal text, and whether its last token is a prefix."""

    text: str
    prefix: bool = False


# ASCII punctuation alone is no word of any text: the index's words are letters, digits, emoji.
_PUNCTUATION = string.punctuation


def _refuse(query: str, at: int, why: str) -> QuerySyntaxError:
    return QuerySyntaxError(f"--text {query!r}: {why} (character {at + 1}); quote a phrase to search for it literally")


def parse(query: str) -> list[list[Term]]:
    """The query in disjunctive form: a list of alternatives (joined by OR), each a list of terms (AND).

    QuerySyntaxError when the query is malformed; [] when it holds nothing to search for.
    """
    tokens: list[tuple[Term | str, int]] = []  # a Term, or the operator "AND"/"OR", with its position
    # A NUL would end a query mid-quote in a C-string API (SQLite's FTS5 reads queries so).
    cleaned = _CONTROL_RE.sub(" ", query)
    for match in _TERM_RE.finditer(cleaned):
        at = match.start()
        if match["word"] is not None:
            word = match["word"]
            bracket = re.search(r"[()]", word)
            if bracket is not None:
                raise _refuse(query, at + bracket.start(), f"{bracket.group()!r} does not group terms")
            if word in _OPERATORS:
                tokens.append((word, at))
                continue
            if word == "NOT":
                raise _refuse(query, at, "NOT is not supported: a search cannot exclude words")
            if word[0] == "-" and word[1:].strip(_PUNCTUATION):
                # Web search engines read `-word` (`-#tag`, `-@handle`, `-"a phrase"`, `-🚁`) as
                # "without"; the index would find it instead.
                raise _refuse(query, at, f"{word!r} would search for {word[1:]!r}, not exclude it: a search "
                                         "cannot exclude words")
            stripped = word.rstrip("*")
            if stripped.strip(_PUNCTUATION):  # a lone "*", or `''`, has nothing to search for
                tokens.append((Term(stripped, prefix=stripped != word), at))
        else:
            if not match["close"]:
                raise QuerySyntaxError(f"--text {query!r}: unclosed quote (character {at + 1}); "
                                       'end the phrase with "')
            phrase = match["phrase"].strip()
            if phrase.strip(_PUNCTUATION + " "):
                tokens.append((Term(phrase, prefix=bool(match["pstar"])), at))
    words = sum(isinstance(token, Term) for token, _ in tokens)
    if words > MAX_WORDS:
        raise QuerySyntaxError(f"--text: {words} words, more than the {MAX_WORDS} a search can take; search for "
                               "fewer words (a quoted phrase counts as one)")
    groups: list[list[Term]] = [[]]
    for index, (token, at) in enumerate(tokens):
        if isinstance(token, Term):
            groups[-1].append(token)
            continue
        if index == 0 or not isinstance(tokens[index - 1][0], Term):
            raise _refuse(query, at, f"{token} needs a term before it")
        if index + 1 == len(tokens) or not isinstance(tokens[index + 1][0], Term):
            raise _refuse(query, at, f"{token} needs a term after it")
        if token == "OR":
            groups.append([])
    return [group for group in groups if group]


def lower_case_operators(query: str) -> list[str]:
    """The words `or` and `and` written bare between two terms: searched for as words, since the
    operators are upper case, though a reader who types them most likely meant the operators."""
    tokens = [match["word"] for match in _TERM_RE.finditer(_CONTROL_RE.sub(" ", query))]  # None: a phrase
    return [word for at, word in enumerate(tokens) if word in ("or", "and") and 0 < at < len(tokens) - 1]
