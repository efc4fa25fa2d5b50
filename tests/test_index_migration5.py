"""Migration 5 on an archive written by schema version 4: the lookup indexes appear, the indexes they
replace go, and lookups answer exactly as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from archiver.index.filters import Filters
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.index.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from archiver.layout import DB_NAME
from archiver.times import posted_bounds

POSTS = [
    # key, platform, handle, posted_at, status, text
    ("twitter:1", "twitter", "Alice", "2021-11-08T09:00:00.000Z", "live", "river up"),
    ("twitter:2", "twitter", "bob", "2021-11-07", "deleted", "bridge closed"),
    ("twitter:3", "twitter", "alice", None, "live", "sandbags on the quay"),
    ("youtube:x", "youtube", None, "2021-11-08T12:00:00.000Z", None, "river footage"),
]

QUERIES = [Filters(), Filters(handle="alice"), Filters(date="2021-11-08"), Filters(since="2021-11-07T12:00Z"),
           Filters(until="2021-11-07T01:00Z"), Filters(status="deleted"), Filters(platform="youtube"),
           Filters(text="river")]


def _write_v4(root: Path) -> list[list[str]]:
    """An index at schema version 4 (written with that schema's SQL); the keys its lookups answered."""
    root.mkdir()
    db = Database(root / DB_NAME)
    assert migrate(db, MIGRATIONS[:4]) == 4
    with db.conn:
        for key, platform, handle, posted_at, status, text in POSTS:
            start, end = posted_bounds(posted_at)
            db.execute("INSERT INTO posts (key, platform, post_id, handle, handle_lc, posted_at, posted_start, "
                       "posted_end, status, text, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [key, platform, key.partition(":")[2], handle, handle.lower() if handle else None, posted_at,
                        start, end, status, text, "2021-11-09T00:00:00.000Z"])
    db.close()
    return [_v4_lookup(root, f) for f in QUERIES]


def _v4_lookup(root: Path, filters: Filters) -> list[str]:
    """What lookup answered with version 4's SQL (open-ended overlap, no indexes of version 5)."""
    conditions, params = ["1"], []
    if filters.handle:
        conditions.append("handle_lc = ?")
        params.append(filters.handle)
    if filters.posted_from:
        conditions.append("posted_end >= ?")
        params.append(filters.posted_from)
    if filters.posted_to:
        conditions.append("posted_start <= ?")
        params.append(filters.posted_to)
    for column in ("status", "platform"):
        if getattr(filters, column):
            conditions.append(f"{column} = ?")
            params.append(getattr(filters, column))
    if filters.text:
        conditions.append("id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)")
        params.append(filters.text)
    with sqlite3.connect(root / DB_NAME) as conn:
        rows = conn.execute(f"SELECT key FROM posts WHERE {' AND '.join(conditions)} "
                            "ORDER BY posted_start IS NULL, posted_start, key", params).fetchall()
    return [row[0] for row in rows]


def _indexes(root: Path) -> set[str]:
    with sqlite3.connect(root / DB_NAME) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                               "AND tbl_name = 'posts' AND name NOT LIKE 'sqlite_%'")}


def test_a_version_4_archive_opens_migrates_and_answers_the_same(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    before = _write_v4(root)
    assert {"posts_handle_lc", "posts_posted"} <= _indexes(root)
    with Index(root, create=False) as index:
        assert schema_version(index.db) == SCHEMA_VERSION
        after = [[row.key for row in index.lookup(f)] for f in QUERIES]
        # The full-text index still follows the posts (its triggers were left as they were).
        index.db.execute("UPDATE posts SET text = 'quiet day' WHERE key = 'youtube:x'")
        assert [row.key for row in index.lookup(Filters(text="river"))] == ["twitter:1"]
    assert after == before
    assert all(after[1:]), after  # every query found something, so the comparison says something
    indexes = _indexes(root)
    assert {"posts_handle_order", "posts_status_order", "posts_platform_order", "posts_order"} <= indexes
    assert not {"posts_handle_lc", "posts_posted"} & indexes


def test_the_full_text_trigger_fires_only_on_what_fills_or_numbers_a_row(tmp_path: Path) -> None:
    with Index(tmp_path) as index:
        sql = index.db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'posts_au'").fetchone()
    # The three indexed columns, and what numbers a post's full-text row: its id and time.
    assert "AFTER UPDATE OF id, text, author, handle, posted_start ON posts" in sql[0]
