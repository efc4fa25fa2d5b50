"""Turn a parsed `--text` query (`archiver.index.textquery`) into safe SQL over the posts' full-text index.

The condition is the same for every database: alternatives (OR) of terms (AND); each term either
goes to the database's full-text index or, when that index cannot find it, is matched as a
case-insensitive substring of text, author or handle. Only the full-text test of one term differs:
SQLite asks its FTS5 table (`fts5_match`), PostgreSQL its `tsvector` expression index
(`tsquery_match`). User text only ever travels as a bound parameter.

FTS5: every term is a double-quoted string, the only FTS5 form in which no character is special, so
no input can produce an FTS5 syntax error. PostgreSQL: a term is a phrase (`phraseto_tsquery`,
which takes any text); a prefix term's last word is a quoted `to_tsquery` lexeme with `:*`. Terms
neither tokenizer splits as a reader expects — CJK runs (unicode61 keeps a whole run as one
token), terms holding an emoji (dropped by both) and punctuation-only terms — are matched as
substrings instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.index.fold import FOLD_FUNCTION, FOLDED, FOLDED_CLASS, GREEK, folded
from archiver.index.textquery import Term, parse

if TYPE_CHECKING:
    from archiver.index.sql.dialect import Dialect

# Scripts written without spaces between words (code point ranges): unicode61 cannot split them.
UNSPACED: tuple[tuple[int, int], ...] = (
    (0x3040, 0x30FF), (0x3100, 0x312F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF),
    (0x0E00, 0x0E7F), (0x1000, 0x109F))
# The same as the body of a character class (`[...]`), which regular expressions and SQLite's GLOB read alike.
UNSPACED_CLASS = "".join(f"{chr(start)}-{chr(end)}" for start, end in UNSPACED)
_UNSPACED_RE = re.compile(f"[{UNSPACED_CLASS}]")
# Emoji and pictographs (code point ranges): neither tokenizer keeps them, so a term holding one
# ("levee 🌊") would match posts without it.
PICTOGRAPHS: tuple[tuple[int, int], ...] = (
    (0x203C, 0x203C), (0x2049, 0x2049), (0x20E3, 0x20E3), (0x2122, 0x2122), (0x2139, 0x2139), (0x2190, 0x21FF),
    (0x2300, 0x23FF), (0x24C2, 0x24C2), (0x25A0, 0x27BF), (0x2900, 0x297F), (0x2B00, 0x2BFF), (0x3030, 0x3030),
    (0x303D, 0x303D), (0x3297, 0x3299), (0x1F000, 0x1FAFF))
PICTOGRAPHS_CLASS = "".join(f"{chr(start)}-{chr(end)}" for start, end in PICTOGRAPHS)
_PICTOGRAPH_RE = re.compile(f"[{PICTOGRAPHS_CLASS}]")

# Characters both full-text indexes treat as spaces. FTS5's unicode61 splits words at every character
# that is not a letter or digit; PostgreSQL's parser instead keeps URLs, hosts, e-mail addresses,
# versions and (in the C locale) any non-ASCII character inside its tokens, so "twitter" would not
# find "pic.twitter.com/x". PostgreSQL gets the post's text and the query with these characters
# turned into spaces: ASCII punctuation, and the Unicode spaces, quotes, dashes and CJK punctuation
# posts use most.
SEPARATORS = ("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
              "\u00a0\u00ab\u00bb\u00a1\u00bf\u00b7\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201a\u201c"
              "\u201d\u201e\u2022\u2026\u2039\u203a\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
              "\u2009\u200a\u200b\u202f\u205f\u3000\u3001\u3002\u300c\u300d\uff01\uff0c\uff1f")
_SPACES = str.maketrans(SEPARATORS, " " * len(SEPARATORS))
_SEPARATORS_SQL = "'" + SEPARATORS.replace("'", "''") + "'"
_SPACES_SQL = "'" + " " * len(SEPARATORS) + "'"


def _spaced(column: str) -> str:
    """SQL: the column's text with `SEPARATORS` turned into spaces."""
    return f"translate(coalesce({column}, ''), {_SEPARATORS_SQL}, {_SPACES_SQL})"


def folded_sqlite(expression: str) -> str:
    """SQLite: the SQL text `expression` folded as `folded` folds it (by FOLD_FUNCTION)."""
    return f"(CASE WHEN {expression} GLOB '*[{FOLDED_CLASS}]*' THEN {FOLD_FUNCTION}({expression}) ELSE {expression} END)"


def folded_postgres(expression: str) -> str:
    """PostgreSQL: the SQL text `expression` folded as `folded` folds it (translate() drops the
    characters it is given no replacement for)."""
    return f"translate({expression}, '{''.join(FOLDED)}', '{''.join(GREEK.values())}')"


# PostgreSQL's text search configuration for posts: 'simple' (lower case, no stemming, no stop
# words) with diacritics removed from words first (`unaccent`), as FTS5's `remove_diacritics` does.
FTS_CONFIG = "archiver_fts"
# What PostgreSQL's full-text index holds for a post: its text, author and handle. The expression
# index of the schema and the condition of a lookup are the same text, so the planner uses the one for the other.
def posts_tsvector(table: str, *, fold: bool = True) -> str:
    """SQL: the `tsvector` of the post's text, author and handle (the schema's index expression),
    `folded` (the expression of the schema's first versions did not fold: `fold=False`)."""
    columns = " || ' ' || ".join(_spaced(f"{table}.{column}") for column in ("text", "author", "handle"))
    return f"to_tsvector('{FTS_CONFIG}'::regconfig, {folded_postgres(columns) if fold else columns})"


def fts_searchable(term: Term) -> bool:
    """True when the full-text tokenizer turns the term into the tokens a reader expects (not
    when it holds a script written without spaces, or an emoji, which it would drop)."""
    text = folded(term.text)  # (tatweel alone is a letter, and nothing once folded: no word to ask for)
    return (any(ch.isalnum() for ch in text) and not _UNSPACED_RE.search(text)
            and not _PICTOGRAPH_RE.search(text))


def fts_expression(term: Term) -> str:
    """The term as an FTS5 string: double quotes doubled, nothing else needs escaping."""
    quoted = '"' + folded(term.text).replace('"', '""') + '"'
    return quoted + "*" if term.prefix else quoted


def fts5_match(table: str, term: Term) -> tuple[str, list[str]]:
    """SQLite: the posts whose FTS5 row matches the term."""
    return _fts5_in(table), [fts_expression(term)]


# SQLite's full-text index numbers its rows in lookup order rather than by post id, so that the
# first page of a text search comes off its lists in order, FTS5 stopping after the page instead of
# listing every match to sort them. A row's number: the hour its post was posted in (hours since
# 0000-01-01 UTC, from the canonical `posted_start`; unknown times after every known one) in the
# high bits, the post's id in the low `FTS_ID_BITS`. The hour only rises along the lookup order;
# within one hour the order (time, then key) is settled by sorting that hour's matches.
FTS_ID_BITS = 36
FTS_ID_MASK = (1 << FTS_ID_BITS) - 1
# The hour of a post without a known time: above every hour up to year 9999 (87.6 million) and the
# largest that keeps a row number below 2**63.
FTS_UNKNOWN_HOUR = (1 << (63 - FTS_ID_BITS)) - 1


def fts5_rowid(table: str) -> str:
    """SQL: the full-text row number of `table`'s post (or a trigger's `new`/`old`), for a
    `posted_start` in the canonical form `times.posted_bounds` writes (anything else, which the
    index never stores, counts as the last known hour). The triggers of schema migration 7 hold
    this formula: changing it needs a migration that numbers every row again."""
    hour = (f"CAST(round((julianday(substr({table}.posted_start, 1, 13) || ':00') - 1721059.5) * 24) AS INTEGER)")
    return (f"((CASE WHEN {table}.posted_start IS NULL THEN {FTS_UNKNOWN_HOUR} "
            f"ELSE coalesce({hour}, {FTS_UNKNOWN_HOUR - 1}) END) << {FTS_ID_BITS} | {table}.id)")


def _fts5_in(table: str) -> str:
    return f"{table}.id IN (SELECT rowid & {FTS_ID_MASK} FROM posts_fts WHERE posts_fts MATCH ?)"


def _fts5_probe(table: str) -> str:
    """The test of `_fts5_in`, asked of the full-text index for one post at a time: for a walk along
    the lookup order that stops after a page, cheap only when that walk is short, that is when
    most posts match (see `query.text_plan`)."""
    return f"EXISTS (SELECT 1 FROM posts_fts WHERE posts_fts MATCH ? AND posts_fts.rowid = {fts5_rowid(table)})"


def fts5_query(query: str) -> tuple[str, list[list[Term]]] | None:
    """The whole query as one FTS5 expression and its groups of terms (alternatives of terms that
    must all match), when the full-text index alone answers it (no term is matched as a
    substring); else None.

    FTS5 then intersects and joins the terms' lists itself (`"a" "b"` is its AND), instead of
    SQLite collecting every term's matches apart: three common words at a million posts, some
    500 ms apart, are some 30 ms as one expression.
    """
    groups = parse(query)
    if not groups or not all(fts_searchable(term) for group in groups for term in group):
        return None
    expression = " OR ".join("(" + " ".join(fts_expression(term) for term in group) + ")" for group in groups)
    return expression, groups


def tsquery_lexeme(word: str) -> str:
    """A word as a quoted `to_tsquery` prefix lexeme: nothing in it is an operator."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "':*"


def tsquery_match(table: str, term: Term) -> tuple[str, list[str]]:
    """PostgreSQL: the posts whose `tsvector` matches the term (a phrase; its last word a prefix)."""
    document = posts_tsvector(table)
    words = folded(term.text).translate(_SPACES).strip()
    if not term.prefix:
        return f"{document} @@ phraseto_tsquery('{FTS_CONFIG}', ?)", [words]
    head, _, last = words.rpartition(" ")
    if not head.strip():
        return f"{document} @@ to_tsquery('{FTS_CONFIG}', ?)", [tsquery_lexeme(last)]
    return (f"{document} @@ tsquery_phrase(phraseto_tsquery('{FTS_CONFIG}', ?), to_tsquery('{FTS_CONFIG}', ?))",
            [head, tsquery_lexeme(last)])


def like_pattern(term: Term) -> str:
    r"""The term as a LIKE pattern matched with ESCAPE '\'."""
    escaped = term.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_condition(query: str, *, table: str = "posts", dialect: Dialect | None = None,
                   probe: bool = False) -> tuple[str, list[str]]:
    """A SQL condition on `table` (which must have id, text, author, handle) and its parameters.

    `probe` (SQLite, a query the full-text index answers alone): the test asked post by post
    instead of as the set of its matches. ValueError when the query holds nothing to search for.
    """
    groups = parse(query)
    if not groups:
        raise ValueError(query)
    match, like_op = (dialect.text_match, dialect.like) if dialect is not None else (fts5_match, "LIKE")
    if match is fts5_match:
        whole = fts5_query(query)
        if whole is not None:
            return (_fts5_probe if probe else _fts5_in)(table), [whole[0]]
    alternatives: list[str] = []
    params: list[str] = []
    for group in groups:
        conditions: list[str] = []
        for term in group:
            if fts_searchable(term):
                condition, term_params = match(table, term)
                conditions.append(condition)
                params.extend(term_params)
            else:
                like = " OR ".join(f"{table}.{column} {like_op} ? ESCAPE '\\'" for column in ("text", "author", "handle"))
                conditions.append(f"({like})")
                params.extend([like_pattern(term)] * 3)
        alternatives.append("(" + " AND ".join(conditions) + ")")
    return "(" + " OR ".join(alternatives) + ")", params
