"""WARC files on disk: the `.open` name of a file still being written, its lock, durable renames.

The writer creates `<name>.warc.gz.open`, holds an exclusive flock on it while it appends records,
and renames it to `<name>.warc.gz` when the file is complete. The index names records by the final
name from the first record on, so whoever reads a file by its indexed name goes through
`warc_path()`, which finds it under either name.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, recover() trusts the caller's run lock
    fcntl = None  # type: ignore[assignment]

OPEN_SUFFIX = ".open"


def warc_path(directory: Path, filename: str) -> Path:
    """The file an index row names in `directory`: `filename`, or its `.open` form while still being written."""
    path = Path(directory) / filename
    if not path.exists():
        open_path = path.with_name(path.name + OPEN_SUFFIX)
        if open_path.exists():
            return open_path  # the run that writes it is still going (or was killed)
    return path


def try_lock(fd: int) -> bool:
    """Take the writer's exclusive flock on an open WARC; False when another process holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
