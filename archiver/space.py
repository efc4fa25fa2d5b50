"""Naming a full disk: which file could not be written, and how much room the write needed.

Writers stop at the first ENOSPC (or EDQUOT) and raise `DiskFull`; what they wrote before stays whole
(the WARC store cuts a half-written record back off, SQLite rolls the transaction back).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .errors import ArchiverError, DiskFull, UsageError

FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def is_full(exc: BaseException) -> bool:
    """True for an OSError saying the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in FULL_ERRNOS


def as_disk_full(exc: BaseException) -> DiskFull | None:
    """The DiskFull an exception stands for (itself; an OSError saying the disk is full; a
    database's "disk is full"), or None when it is no full disk."""
    if isinstance(exc, DiskFull):
        return exc
    if isinstance(exc, ArchiverError) and not isinstance(exc, OSError):
        return None
    named = named_error(exc)
    return named if isinstance(named, DiskFull) else None


def named_error(exc: BaseException) -> ArchiverError | None:
    """The one-line error an exception of the file system (`translate_os`) or of the index
    (`archiver.index.translate_error`: a damaged file, a full disk) stands for; None for any other."""
    from .index import translate_error

    return translate_os(exc) if isinstance(exc, OSError) else translate_error(exc)


def megabytes(nbytes: int) -> str:
    """A size people read at a glance: `0.3 MB`, or `12 kB` below a tenth of a megabyte."""
    if nbytes < 100_000:
        return f"{max(1, -(-nbytes // 1000))} kB"
    return f"{nbytes / 1_000_000:.1f} MB"


def disk_full(path: Path | str | None, *, needed: int | None = None, what: str | None = None) -> DiskFull:
    """The one-line error: the file, and the room needed when it is known."""
    name = str(path) if path else "the archive"
    room = f" ({megabytes(needed)} needed for {what or 'this write'}, more for the rest of the run)" if needed else ""
    return DiskFull(f"no space left on device writing {name}; free some space{room} and run again: "
                    "what was written before stays readable (`archiver verify` checks it)")


def read_only_disk(path: Path) -> bool:
    """Whether the file system `path` (or the nearest folder above it that exists) is on is mounted
    read-only; False when that cannot be told."""
    folder = path
    while not os.path.exists(folder) and folder.parent != folder:
        folder = folder.parent
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def translate_os(exc: OSError) -> ArchiverError | None:
    """The one-line error for an OSError that names its file: DiskFull for a full disk, a usage
    error (exit 2) for a path that cannot be used as the archive needs it (a file where a folder
    must be, a read-only disk, no permission, a name too long); else None."""
    if is_full(exc):
        return disk_full(exc.filename)
    if not exc.filename:
        return None
    name = exc.filename if isinstance(exc.filename, str) else str(exc.filename)
    if exc.errno == errno.EEXIST and Path(name).is_symlink() and not Path(name).exists():
        why = (f"{name} is a symbolic link to {os.readlink(name)}, which does not exist: create that folder, "
               "remove the link, or pass another --archive-dir")
    elif exc.errno == errno.EEXIST and not Path(name).is_dir():
        why = f"{name} is a file where a folder must be: move it away, or pass another --archive-dir"
    elif exc.errno == errno.ENOTDIR:
        why = f"{name}: a part of this path is a file, not a folder: move it away, or pass another --archive-dir"
    elif exc.errno == errno.EROFS:
        why = f"cannot write {name}: the file system is read-only: pass an --archive-dir on a writable disk"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = f"cannot write {name}: permission denied: give this user write access to it, or run as its owner"
    elif exc.errno == errno.ENAMETOOLONG:
        why = f"cannot use {name}: the name is too long for the file system"
    else:
        return None
    return UsageError(why)
