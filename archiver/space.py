"""Naming a full disk: which file could not be written, and how much room the write needed.

Writers stop at the first ENOSPC (or EDQUOT) and raise `DiskFull`; what they wrote before stays whole
(the WARC store cuts a half-written record back off, SQLite rolls the transaction back).
"""

from __future__ import annotations

import errno
from pathlib import Path

from .errors import ArchiverError, DiskFull

FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def is_full(exc: BaseException) -> bool:
    """True for an OSError saying the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in FULL_ERRNOS


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


def translate_os(exc: OSError) -> ArchiverError | None:
    """DiskFull for a full-disk OSError, naming its file when the error carries one; else None."""
    if not is_full(exc):
        return None
    return disk_full(exc.filename)
