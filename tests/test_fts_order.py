"""SQLite's full-text index numbers its rows in lookup order, by the hour a post was posted in, so
that a page of a text search is read off it in order: that page is the one the full sort gives,
whatever the times (ties within an hour, bare dates, unknown times), and it stays so while posts
gain times and text, are merged away, and when an archive of the previous schema is migrated."""

from __future__ import annotations

import re
import sqlite3
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from archiver.index.filters import Filters
from archiver.index.sql.query import ORDERED, lookup_sql, text_plan
from archiver.index.sql.search import FTS_ID_BITS, fts5_rowid
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.index.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from archiver.layout import DB_NAME
from archiver.models import Post
from archiver.times import format_utc, posted_bounds

WORDS = ("tide", "gale", "pier", "moor", "surge")

# Times crowded into a few hours of three days, so that many posts share an hour (and some a whole
# time), with bare dates (the day's first hour) and unknown times among them.
_EXACT = st.builds("2023-03-0{}T0{}:{:02d}:{:02d}.{:03d}Z".format, st.integers(1, 3), st.integers(0, 2),
                   st.integers(0, 59), st.sampled_from([0, 30]), st.sampled_from([0, 0, 500]))
TIMES = st.one_of(st.none(), st.builds("2023-03-0{}".format, st.integers(1, 3)), _EXACT)
TEXTS = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
QUERIES = st.one_of(st.sampled_from(WORDS), st.builds("{} {}".format, st.sampled_from(WORDS), st.sampled_from(WORDS)),
                    st.builds("{} OR {}".format, st.sampled_from(WORDS), st.sampled_from(WORDS)),
                    st.sampled_from(["ti*", "g*", '"tide gale"']))


def _post(n: int, posted: str | None, text: str | None) -> Post:
    return Post(platform="twitter", kind="embedded", source="a.html", evidence="e", post_id=str(n),
                url=f"https://twitter.com/h/status/{n}", handle=f"h{n % 3}", posted_at=posted, text=text)


def _words(text: str | None) -> list[str]:
    return re.findall(r"\w+", (text or "").lower())


def _matches(text: str | None, query: str) -> bool:
    """What the query means for one post's text, without the full-text index (WORDS only)."""
    words = _words(text)
    if query.endswith("*"):
        return any(word.startswith(query[:-1]) for word in words)
    if query.startswith('"'):
        return " ".join(_words(query)) in " ".join(words)
    if " OR " in query:
        return any(_matches(text, part) for part in query.split(" OR "))
    return all(word in words for word in _words(query))


def _numbered_in_step(index: Index) -> bool:
    """Whether the full-text index holds exactly one row per post, numbered as its current time says."""
    held = [row[0] for row in index.db.execute("SELECT rowid FROM posts_fts ORDER BY rowid")]
    return held == [row[0] for row in index.db.execute(f"SELECT {fts5_rowid('posts')} AS n FROM posts ORDER BY n")]


def _expected(index: Index, query: str) -> list[str]:
    rows = [dict(row) for row in index.db.query("SELECT key, posted_start, text FROM posts")]
    chosen = [row for row in rows if _matches(row["text"], query)]
    chosen.sort(key=lambda row: (row["posted_start"] is None, row["posted_start"] or "", row["key"]))
    return [row["key"] for row in chosen]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    posts=st.lists(st.tuples(TIMES, TEXTS, st.booleans(), st.booleans()), min_size=1, max_size=20),
    merges=st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), max_size=4),
    query=QUERIES, limit=st.integers(0, 8), offset=st.integers(0, 6),
)
def test_a_page_read_in_order_is_the_sorted_page(posts: list[tuple[str | None, str, bool, bool]],
                                                   merges: list[tuple[int, int]], query: str, limit: int,
                                                   offset: int) -> None:
    """Some posts are first seen without their time or text and given them later (the full-text row
    moves to the post's hour, or appears), some are merged into others (their row goes)."""
    with tempfile.TemporaryDirectory() as folder, Index(Path(folder)) as index:
        for n, (posted, text, time_later, text_later) in enumerate(posts):
            index.upsert_post(_post(n, None if time_later else posted, None if text_later else text))
        for n, (posted, text, time_later, text_later) in enumerate(posts):
            if time_later or text_later:
                index.upsert_post(_post(n, posted, text))
        for old, new in merges:
            if old < len(posts) and new < len(posts):
                index.merge_post_key(f"twitter:{old}", f"twitter:{new}")
        assert _numbered_in_step(index)
        filters = Filters(text=query)
        assert text_plan(index, filters, limit=limit, offset=offset) == ORDERED
        sql, params = lookup_sql(filters, limit=limit, offset=offset, plan=ORDERED)
        page = [row["key"] for row in index.db.query(sql, params)]
        assert page == _expected(index, query)[offset:offset + limit]
        assert [row.key for row in index.lookup(filters, limit=limit, offset=offset)] == page


def test_rows_are_numbered_by_the_hour_then_the_id() -> None:
    """The number's high bits rise with the hour, unknown times after every known one."""
    with tempfile.TemporaryDirectory() as folder, Index(Path(folder)) as index:
        for n, posted in enumerate(["2023-03-01T00:59:59.999Z", "2023-03-01T01:00:00.000Z", "2023-03-01",
                                    None, "9999-12-31T23:59:59.999Z", "1000-01-01T00:00:00.000Z"]):
            index.upsert_post(_post(n, posted, "tide"))
        rows = {row["key"]: (row["n"] >> FTS_ID_BITS, row["n"] & ((1 << FTS_ID_BITS) - 1), row["id"]) for row in
                index.db.query(f"SELECT key, id, {fts5_rowid('posts')} AS n FROM posts")}
    hours = {key: hour for key, (hour, _, _) in rows.items()}
    assert all(post_id == row_id for _, post_id, row_id in rows.values())
    assert hours["twitter:0"] == hours["twitter:2"] == hours["twitter:1"] - 1
    assert hours["twitter:5"] < hours["twitter:0"] < hours["twitter:4"] < hours["twitter:3"] < 2 ** (63 - FTS_ID_BITS)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
                          st.dates(min_value=date(1000, 1, 1)).map(date.isoformat)), min_size=2, max_size=8))
def test_the_hour_rises_with_the_time_as_written(moments: list[datetime | str]) -> None:
    """Over the years the canonical form covers, sorting by the row number's hour never contradicts
    sorting the times as text (the order lookup gives)."""
    starts = [posted_bounds(m if isinstance(m, str) else format_utc(m))[0] for m in moments]
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, posted_start TEXT)")
        db.executemany("INSERT INTO posts (posted_start) VALUES (?)", [[start] for start in starts])
        rows = db.execute(f"SELECT posted_start, {fts5_rowid('posts')} >> {FTS_ID_BITS} FROM posts").fetchall()
    finally:
        db.close()
    rows.sort()
    assert [hour for _, hour in rows] == sorted(hour for _, hour in rows), rows
    assert len({hour for _, hour in rows}) == len({start[:13] for start, _ in rows})  # one hour per hour written


def _write_v6(root: Path, posts: list[tuple[str, str | None, str]]) -> None:
    """An index at schema version 6 (its full-text index numbered by post id), written with its SQL."""
    root.mkdir()
    db = Database(root / DB_NAME)
    assert migrate(db, MIGRATIONS[:6]) == 6
    with db.conn:
        for key, posted_at, text in posts:
            start, end = posted_bounds(posted_at)
            db.execute("INSERT INTO posts (key, platform, post_id, posted_at, posted_start, posted_end, text, "
                       "first_seen) VALUES (?, 'twitter', ?, ?, ?, ?, ?, '2023-03-04T00:00:00.000Z')",
                       [key, key.partition(":")[2], posted_at, start, end, text])
    db.close()


def _fts_rows(index: Index) -> int:
    # A contentless FTS5 table counts its rows in its docsize table.
    return int(index.db.execute("SELECT count(*) FROM posts_fts_docsize").fetchone()[0])


def test_a_version_6_archive_is_renumbered_and_answers_the_same(tmp_path: Path) -> None:
    posts: list[tuple[str, str | None, str]] = [
        (f"twitter:{n}", None if n % 5 == 0 else f"2023-03-0{1 + n % 3}T0{n % 3}:{n:02d}:00Z", WORDS[n % 5] + " pier")
        for n in range(1, 40)]
    root = tmp_path / "archive"
    _write_v6(root, posts)
    with Index(root, create=False) as index:
        assert schema_version(index.db) == SCHEMA_VERSION
        assert _fts_rows(index) == len(posts) and _numbered_in_step(index)
        for query in ("pier", "tide", "gale OR moor", "su*"):
            assert [row.key for row in index.lookup(Filters(text=query))] == _expected(index, query)
            for limit, offset in ((1, 0), (5, 7), (10, 30)):
                page = [row.key for row in index.lookup(Filters(text=query), limit=limit, offset=offset)]
                assert page == _expected(index, query)[offset:offset + limit], (query, limit, offset)
        # The new triggers follow a post's time as well as its text, and forget a deleted post.
        index.db.execute("UPDATE posts SET posted_start = '2020-01-01T00:00:00.000Z' WHERE key = 'twitter:5'")
        index.db.execute("UPDATE posts SET text = 'quiet' WHERE key = 'twitter:2'")
        index.db.execute("DELETE FROM posts WHERE key = 'twitter:3'")
        assert [row.key for row in index.lookup(Filters(text="pier"), limit=1)] == ["twitter:5"]
        assert [row.key for row in index.lookup(Filters(text="quiet"), limit=3)] == ["twitter:2"]
        assert "twitter:2" not in [row.key for row in index.lookup(Filters(text="pier"), limit=50)]
        assert _fts_rows(index) == len(posts) - 1 and _numbered_in_step(index)
        assert _expected(index, "pier") == [row.key for row in index.lookup(Filters(text="pier"), limit=50)]


def _plan_steps(index: Any, filters: Filters) -> list[str]:
    sql, params = lookup_sql(filters, limit=5, plan=ORDERED)
    return [row[3] for row in index.db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


def test_the_page_is_asked_of_the_full_text_index_in_its_order(tmp_path: Path) -> None:
    """FTS5 takes the order by its row number itself (no sort of its matches), and the rest of the
    last hour as a range of row numbers: the plan's two reads of the index say so."""
    with Index(tmp_path) as index:
        index.upsert_post(_post(1, "2023-03-01", "tide"))
        steps = [step for step in _plan_steps(index, Filters(text="tide")) if "posts_fts VIRTUAL TABLE" in step]
    # FTS5's plan "INDEX n:s": in the string, "M" a MATCH and "<", ">" bounds on the row number; in
    # the number, 0x40 the order by row number taken on (SQLite's fts5_main.c, FTS5_BI_ORDER_ROWID).
    assert len(steps) == 2, steps
    first, rest = (re.search(r"INDEX (\d+):(\S*)$", step) for step in steps)
    assert first and rest, steps
    assert int(first[1]) & 0x40 and first[2].startswith("M") and not set("<>=") & set(first[2]), steps
    assert "<" in rest[2] and ">" in rest[2], steps
