"""`SQLiteIndex`: the shared index SQL (`archiver.index.sql`) on the archive's own file, `archive.db`."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Self

from archiver.errors import ArchiverError, IndexError_
from archiver.index.sql.dialect import SQLITE
from archiver.index.sql.index import SQLIndex
from archiver.index.sql.journal import Journal
from archiver.index.sqlite import damage
from archiver.index.sqlite.connection import Database
from archiver.index.sqlite.schema import BUSY_TIMEOUT_MS, open_database, open_memory
from archiver.layout import DB_NAME
from archiver.modes import ensure_file


class SQLiteIndex(SQLIndex):
    """An archive's SQLite index (`<archive>/archive.db`); a context manager that always closes it."""

    dialect = SQLITE
    db: Database

    def __init__(self, archive_dir: Path, *, create: bool = True) -> None:
        self.archive_dir = Path(archive_dir)
        self.path: Path | None = self.archive_dir / DB_NAME
        if create:
            # made here 0640 whatever the umask: SQLite gives its -wal and -shm the same mode
            try:
                ensure_file(self.path)
            except OSError as exc:
                raise IndexError_(f"cannot create the index {self.path}: {exc.strerror or exc}; "
                                  "check the folder's permissions or pass another --archive-dir") from exc
        self.db = open_database(self.path, create=create)
        self.journal = Journal()  # set journal.writer to keep the index's journal in the WARCs

    @classmethod
    def in_memory(cls) -> Self:
        """An index held in memory only (tests, dry runs); `archive_dir` is the current directory."""
        index = cls.__new__(cls)
        index.archive_dir = Path(".")
        index.path = None
        index.db = open_memory()
        index.journal = Journal()
        return index

    def _begin(self) -> None:
        try:
            # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
            # writes can fail at once with SQLITE_BUSY when another process wrote in between.
            self.db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            hint = f"another process held it for over {BUSY_TIMEOUT_MS // 1000} s, try again" if (
                "locked" in str(exc) or "busy" in str(exc)
            ) else "check the file's permissions and free disk space"
            raise IndexError_(f"cannot write to the index {self.path}: {exc} ({hint})") from exc

    def _failure(self, exc: BaseException) -> ArchiverError | None:
        if damage.is_full(exc) or damage.is_corrupt(exc):
            return damage.translate(exc, self.path)
        return None
