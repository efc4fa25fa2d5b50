"""Naming a damaged, unreadable or full index: SQLite's own reason, and what to do about it.

A corrupt `archive.db` shows up in three ways: SQLite refuses the file ("file is not a database"),
a page fails its checks mid-query ("database disk image is malformed"), or a text value is not
UTF-8 (random bytes where a row was). Each becomes `IndexDamaged`; a full disk becomes `DiskFull`.
An `archive.db` that cannot be opened at all (a folder, no permission to read it, an empty file or
another program's SQLite file opened to be read) becomes `IndexUnreadable`: nothing could be read.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archiver.errors import ArchiverError, DiskFull, IndexDamaged, IndexError_
from archiver.index.errors import IndexUnreadable

_CORRUPT = ("not a database", "malformed", "corrupt", "disk image", "encrypted", "unsupported file format",
            "no such table", "no such column")
# Not "run `archiver verify`": verify reads the same index, and would only say this again.
FIX = "restore it from a backup, or rebuild it from the WARCs with `archiver reindex`"


def unreadable(path: Path | str, exc: OSError | None = None, *, reason: str | None = None) -> IndexUnreadable:
    """The error for an index file that cannot be opened; the cause named from `exc` or `reason`."""
    import errno

    if exc is not None:
        if exc.errno in (errno.EACCES, errno.EPERM):
            reason = "permission denied: give this user read access to it (and its folder), or run as its owner"
        elif exc.errno == errno.EISDIR:
            reason = "it is a folder, not an index file: move it away, or pass the right --archive-dir"
        else:
            reason = f"{(exc.strerror or str(exc)).lower()}: check the file and its folder"
    return IndexUnreadable(f"cannot read the index {path}: {reason}")


def not_a_file(path: Path | str, mode: int) -> IndexUnreadable:
    """The error for an index "file" that is a FIFO, a device or a socket (never opened: a FIFO's
    open waits for a writer)."""
    import stat

    kinds = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    kind = next((what for test, what in kinds if test(mode)), "not a regular file")
    return unreadable(path, reason=f"it is {kind}, not an index file: move it away, or pass the right --archive-dir")


def damaged(path: Path | str | None, reason: str) -> IndexDamaged:
    """The error for a corrupt index, with SQLite's reason."""
    name = str(path) if path else "archive.db"
    return IndexDamaged(f"{name} is damaged: {reason}; {FIX}")


def disk_full(path: Path | str | None) -> DiskFull:
    from archiver.space import disk_full as full

    return full(path or "archive.db")


def is_corrupt(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and any(word in str(exc).lower() for word in _CORRUPT)


def is_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()


def translate(exc: BaseException, path: Path | str | None = None) -> ArchiverError | None:
    """The named error for a SQLite failure (or an undecodable text value), or None if it is neither."""
    if isinstance(exc, ArchiverError):
        return exc
    if is_full(exc):
        return disk_full(path)
    if is_corrupt(exc):
        return damaged(path, str(exc))
    if isinstance(exc, UnicodeDecodeError) and path is not None:
        return damaged(path, "a text value is not UTF-8")
    if isinstance(exc, sqlite3.DatabaseError):
        return IndexError_(f"cannot use the index {path or 'archive.db'}: {exc}")
    return None


def text_factory(path: Path | str | None):  # type: ignore[no-untyped-def]
    """A sqlite3 text factory that names the damage instead of raising UnicodeDecodeError."""

    def decode(data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise damaged(path, "a text value is not UTF-8 (garbage where a row was)") from None

    return decode
