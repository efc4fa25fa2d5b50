"""Permissions of what the tool writes.

The archive's own files (WARCs, screenshots, media, archive.db and its -wal/-shm, the lock file)
are 0640 and its folders 0750 whatever the umask: readable by a group (a service account that
serves or backs up the archive), never by everyone — captures hold cookies and tokens. The mode is
set explicitly (fchmod/chmod after creating, since the umask also applies to `os.open`'s mode).

What a user asks for by name (an export, a report) is theirs: it gets 0666 & ~umask like any file
their shell would create.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

FILE_MODE = 0o640
DIR_MODE = 0o750


def make_dirs(path: Path) -> Path:
    """`mkdir -p path`; each folder created here gets DIR_MODE (folders already there are left alone)."""
    missing: list[Path] = []
    p = Path(path)
    while not p.is_dir():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, DIR_MODE)
        except FileExistsError:
            if not d.is_dir():
                raise
            continue  # made at the same moment by another worker
        except FileNotFoundError:
            if not d.parent.is_dir():
                raise  # the folder above went away meanwhile
            from .errors import UsageError

            # The folder above is there, yet no folder can be made in it: a file system of the
            # kernel's (/proc), which holds no files of ours.
            raise UsageError(f"cannot create the folder {d}: its file system does not hold folders of ours; "
                             "choose a place on a disk") from None
        os.chmod(d, DIR_MODE)
    return Path(path)


def create_file(path: Path, flags: int = os.O_WRONLY) -> int:
    """Create `path` (which must not exist) with FILE_MODE and return its descriptor, opened with `flags`."""
    fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_or_create(path: Path, flags: int = os.O_RDWR) -> int:
    """Open `path`, creating it with FILE_MODE when it does not exist yet.

    A symbolic link whose target does not exist can neither be created (the link is there) nor
    opened: FileNotFoundError, naming it, rather than trying again for ever.
    """
    while True:
        try:
            return create_file(path, flags)
        except FileExistsError:
            pass
        try:
            return os.open(path, flags)
        except FileNotFoundError:
            if os.path.islink(path):
                raise FileNotFoundError(errno.ENOENT, "a symbolic link to a file that does not exist", str(path)) from None
            continue  # removed in between: create it after all


def ensure_file(path: Path) -> None:
    """Create `path` empty with FILE_MODE (and its folders with DIR_MODE) unless it exists."""
    make_dirs(Path(path).parent)
    with contextlib.suppress(FileExistsError):
        os.close(create_file(path))


def write_file(path: Path, data: bytes) -> Path:
    """Write `data` to `path` (replacing it), FILE_MODE, making its folders with DIR_MODE."""
    path = Path(path)
    make_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    return path


def current_umask() -> int:
    """The process's umask (read from /proc where it can be, so no other thread sees it change)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def user_file_mode() -> int:
    """The mode a user's new file gets from their umask: 0666 & ~umask."""
    return 0o666 & ~current_umask()
