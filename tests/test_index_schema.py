"""The index file: creation, connection settings, numbered migrations, refusal of newer files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from archiver.errors import IndexError_
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.index.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from archiver.layout import DB_NAME
from archiver.models import Post

TABLES = {"articles", "posts", "citations", "captures", "observations", "records", "media", "runs", "posts_fts"}


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def test_new_archive_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    with Index(tmp_path / "arch") as index:
        assert set(index.db.table_names()) >= TABLES
        assert index.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert index.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
    conn = _raw(tmp_path / "arch" / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_empty_file_is_migrated(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"")
    with Index(tmp_path) as index:
        assert schema_version(index.db) == SCHEMA_VERSION
        assert "posts" in index.db.table_names()


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    with Index(tmp_path) as index:
        index.upsert_post(Post(platform="twitter", kind="embedded", source="s", evidence="e", post_id="20"))
    with Index(tmp_path, create=False) as index:
        assert index.get_post("twitter:20") is not None
        assert schema_version(index.db) == SCHEMA_VERSION


def test_newer_schema_is_refused_with_one_line_message_and_left_untouched(tmp_path: Path) -> None:
    with Index(tmp_path):
        pass
    conn = _raw(tmp_path / DB_NAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    with pytest.raises(IndexError_) as caught:
        Index(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert "newer" in message and "upgrade archiver" in message
    assert caught.value.exit_code == 2  # nothing of it could be read
    conn = _raw(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5
    conn.close()


def test_missing_index_without_create_is_an_index_error(tmp_path: Path) -> None:
    with pytest.raises(IndexError_, match="no index at"):
        Index(tmp_path / "nowhere", create=False)
    assert not (tmp_path / "nowhere").exists()


def test_a_file_that_is_not_sqlite_is_an_index_error(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(IndexError_, match=r"is damaged: cut short or overwritten \(7800 bytes, no SQLite file.s header\)"):
        Index(tmp_path)


def _add_column(db: Database) -> None:
    db.execute("ALTER TABLE posts ADD COLUMN lang TEXT")


def _half_then_fail(db: Database) -> None:
    db.execute("CREATE TABLE half_done (x INTEGER)")
    raise RuntimeError("migration bug")


def test_older_schema_is_migrated_forward(tmp_path: Path) -> None:
    db = Database(tmp_path / "old.db")
    assert migrate(db, MIGRATIONS) == len(MIGRATIONS)
    db["posts"].insert({"key": "twitter:1", "platform": "twitter", "first_seen": "2024-01-01T00:00:00.000Z"})
    assert migrate(db, (*MIGRATIONS, _add_column)) == len(MIGRATIONS) + 1
    assert "lang" in db["posts"].columns_dict
    assert db.execute("SELECT count(*) FROM posts").fetchone()[0] == 1
    # Running again with the same list is a no-op.
    assert migrate(db, (*MIGRATIONS, _add_column)) == len(MIGRATIONS) + 1
    db.close()


def test_failing_migration_rolls_back_to_the_old_version(tmp_path: Path) -> None:
    db = Database(tmp_path / "old.db")
    migrate(db, MIGRATIONS)
    with pytest.raises(RuntimeError, match="migration bug"):
        migrate(db, (*MIGRATIONS, _add_column, _half_then_fail))
    assert schema_version(db) == len(MIGRATIONS)
    assert "half_done" not in db.table_names()
    assert "lang" not in db["posts"].columns_dict  # the whole batch is one transaction
    db.close()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    with Index(tmp_path) as index, pytest.raises(sqlite3.IntegrityError), index.transaction():
        index.db.execute("INSERT INTO observations (post, checked_at, status) VALUES (404, 'x', 'live')")
