"""`SQLiteIndex`: the shared index SQL (`archiver.index.sql`) on the archive's own file, `archive.db`."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from pathlib import Path
from typing import Self

from archiver.errors import ArchiverError, IndexError_
from archiver.index.errors import IndexUnwritable
from archiver.index.sql.dialect import SQLITE
from archiver.index.sql.index import SQLIndex
from archiver.index.sql.journal import Journal
from archiver.index.sqlite import damage
from archiver.index.sqlite.connection import Database
from archiver.index.sqlite.schema import BUSY_TIMEOUT_MS, open_database, open_memory
from archiver.layout import DB_NAME
from archiver.modes import ensure_file


def cannot_create(path: Path, exc: OSError, option: str = "--archive-dir") -> ArchiverError:
    """Why the index file could not be created: the archive folder (or one above it) is a file or
    may not be written to (IndexUnwritable, exit 2: another --archive-dir is needed), else what the
    system said."""
    import errno
    import os

    from archiver.space import read_only_disk, translate_os

    folder = path.parent
    while not os.path.exists(folder) and folder.parent != folder:  # False too where it may not look
        folder = folder.parent
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) and not folder.is_dir():
        return IndexUnwritable(f"cannot create the index {path}: {folder} is a file, not a folder; "
                               f"pass another {option}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) or not os.access(folder, os.W_OK | os.X_OK):

        read_only = exc.errno == errno.EROFS or read_only_disk(folder)
        why = "is on a read-only file system" if read_only else "is not writable by this user"
        return IndexUnwritable(f"cannot create the index {path}: the folder {folder} {why}; "
                               f"pass another {option}, or change the folder's permissions")
    full = translate_os(exc)
    if full is not None:
        return full
    return IndexError_(f"cannot create the index {path}: {exc.strerror or exc}; "
                       f"check the folder's permissions or pass another {option}")


def _holds_anything(path: Path) -> bool:
    """False for no file or an empty regular one (an index made here, removed again if its making
    fails); True for anything else, a FIFO or a folder included, which is never removed."""
    import stat

    try:
        info = path.stat()
    except OSError:
        return False
    return info.st_size > 0 or not stat.S_ISREG(info.st_mode)


def _remove_index_files(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        try:
            path.with_name(name).unlink(missing_ok=True)
        except OSError:
            pass


class SQLiteIndex(SQLIndex):
    """An archive's SQLite index (`<archive>/archive.db`); a context manager that always closes it."""

    dialect = SQLITE
    db: Database

    def __init__(self, archive_dir: Path, *, create: bool = True) -> None:
        self.archive_dir = Path(archive_dir)
        self.path: Path | None = self.archive_dir / DB_NAME
        new = False
        if create:
            new = not _holds_anything(self.path)
            # made here 0640 whatever the umask: SQLite gives its -wal and -shm the same mode
            try:
                ensure_file(self.path)
            except OSError as exc:
                raise cannot_create(self.path, exc) from None
        try:
            self.db = open_database(self.path, create=create)
        except ArchiverError:
            if new:  # a disk that filled while the tables were made: no half-made index is left
                _remove_index_files(self.path)
            raise
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

    def self_check(self) -> list[str]:
        """What SQLite's own check of the file finds wrong (`PRAGMA integrity_check`: every page,
        and every index against its table: a row whose bytes changed under an index that still
        holds the old values reads one way by the index and another by the row), at most ten lines;
        empty when the file is sound. A damaged page that no query happens to read is found here."""
        try:
            rows = [str(row[0]) for row in self.db.execute("PRAGMA integrity_check(10)").fetchall()]
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        return [] if rows == ["ok"] else rows

    def quick_check(self, tables: Collection[str] | None = None) -> list[str]:
        """What SQLite's quick check of the file finds wrong (`PRAGMA quick_check`: every page of
        every table and index read and its structure checked, not each index against its rows), at
        most ten lines; empty when the file is sound. A damaged page that a lookup by row id reads
        as "no such row" (a citation's article, a capture's post) is found here. It reads the whole
        file, or with `tables` only those tables and their indexes (a virtual table: the tables
        that hold it; a table the file does not have is left out). On an index of 100,000 posts
        from bench/lookup.py's builder (119 MB) the whole file took 0.7-2.2 s with the file out of
        the page cache, 0.1-0.8 s with it in (two busy cores); docs/safety.md has the figures.
        A signal stops it at once."""
        from archiver.interrupt import STOP

        conn = self.db.conn
        conn.set_progress_handler(lambda: STOP.requested, 100_000)  # SQLite stops on a true answer
        try:
            pragmas = (["PRAGMA quick_check(10)"] if tables is None else
                       ['PRAGMA quick_check("{}")'.format(name.replace('"', '""')) for name in self._stored(tables)])
            rows: list[str] = []
            for pragma in pragmas:
                found = [line for row in conn.execute(pragma).fetchall()
                         for line in str(row[0]).splitlines() if line.strip()]
                if found != ["ok"]:
                    rows += found
        except sqlite3.DatabaseError as exc:
            STOP.check()  # stopped by a signal: said as such, not as damage
            return [str(exc)]
        finally:
            conn.set_progress_handler(None, 0)
        return rows[:10]

    def _stored(self, tables: Collection[str]) -> list[str]:
        """Of `tables`, those the file has, each virtual table (the full-text index) as the tables
        that hold it (its shadow tables, named after it), in the order given."""
        held = {str(name): str(sql or "") for name, sql in
                self.db.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()}
        stored: list[str] = []
        for name in tables:
            if name not in held:
                continue
            if held[name].upper().startswith("CREATE VIRTUAL TABLE"):
                stored += sorted(n for n in held if n.startswith(f"{name}_") and not held[n].upper().startswith(
                    "CREATE VIRTUAL TABLE"))
            else:
                stored.append(name)
        return stored

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
