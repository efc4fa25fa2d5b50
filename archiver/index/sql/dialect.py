"""The few places where the index's SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archiver.index.sql.search import fts5_match, tsquery_match
from archiver.index.textquery import Term


@dataclass(frozen=True)
class Dialect:
    """How one database says what the shared SQL cannot say portably."""

    name: str
    # "posts.posted_start is known", stated the way the lookup-order index leads, so that a time
    # range reads a stretch of that index in order.
    known_time: str
    # The LIMIT that means "no limit".
    no_limit: int | None
    # Case-insensitive (for ASCII at least) LIKE.
    like: str
    # The full-text condition for one searchable term on a table, and its parameters.
    text_match: Callable[[str, Term], tuple[str, list[str]]]
    # Article captures (`k`) read by the address they were made at: SQLite, without statistics,
    # would otherwise take `post IS NULL` for selective and read every article capture.
    article_captures: str = "captures k"


SQLITE = Dialect("sqlite", known_time="(posts.posted_start IS NULL) = 0", no_limit=-1, like="LIKE",
                 text_match=fts5_match, article_captures="captures k INDEXED BY captures_article_url")
POSTGRES = Dialect("postgresql", known_time="posts.posted_start IS NOT NULL", no_limit=None, like="ILIKE",
                   text_match=tsquery_match)
