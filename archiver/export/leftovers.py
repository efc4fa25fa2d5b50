"""What a killed export leaves, and how the next one tells it from a live export's file.

An export writes its bundle to a hidden file beside the output (`.NAME.PID.RANDOM.part`) and
renames it into place when complete; `-o -` stages it in a folder of the temporary directory
(`archiver-export-PID-RANDOM/`; RANDOM: eight random characters). Killed (SIGKILL, out of memory, a power cut), the process
leaves that file or folder, full size. Each is named with its writer's PID and held under an
exclusive `flock` for as long as it is written (the file itself; a folder's lock file inside it,
`LOCK_NAME`), so a later export to the same place removes a leftover of its own kind only when
all say nobody writes it: no process of that PID is alive (on this machine; a file made moments
ago is not locked yet, but its PID is alive), nothing in it was written within the last `GRACE`
seconds, and its lock can be taken (a writer on another machine sharing the folder holds it). A
PID reused by an unrelated process keeps a leftover until that process ends: left, never wrongly
removed.

Archivers before this naming named these `.NAME.RANDOM.part` and `archiver-export-RANDOM/`,
without a PID, and took no lock. Names that short are names a person may give too (`archiver export
-o - > $TMPDIR/archiver-export-20240301`, a folder `archiver-export-old_runs/`), so such an entry is
removed only when it is, by all that can be seen, what an interrupted export of that naming left:
a part file is a regular file of this user whose first bytes are a bundle's (a zip's, as a WACZ
starts, or a gzip member's, as a WARC.gz does); a staging folder is a folder of this user, without
a `.lock` file, holding one entry only, the bundle `-o -` wrote (`export.wacz`, `export.warc.gz`) or
was writing (`.export.wacz.RANDOM.part`), a regular file of this user with a bundle's first bytes.
Then the two tests that need no PID: nothing in it written within the last `GRACE` seconds (a live
export of that archiver writes its bundle on until it renames it), and (a part file) its lock can be
taken (it is no file of a live export that these patterns also fit: a part file of the output
`NAME.PID`, written by an export to `NAME` as `PID`). Anything else of these names is left as it is.

The sweep makes no file: a staging folder of the PID naming is taken for one only as a folder of
this user holding nothing but its `.lock` and the bundle `-o -` stages, and is locked by that `.lock`;
an entry of either naming that is a file is never taken for a staging folder.

On NFS, flock is emulated with POSIX byte-range locks, which the server shares between machines:
an exclusive one needs a descriptor open for writing (so the lock is taken on a file opened for
reading and writing, and a folder, which cannot be opened so, by a file inside it). A mount whose
locks are local to each client (`local_lock=flock`/`all`, or a file system that does not share
locks at all) shows a writer on another machine nothing: there the grace period alone keeps its
file, as long as the writer writes to it at least once in that time.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import stat
import time
from pathlib import Path

log = logging.getLogger(__name__)

# mkstemp's and mkdtemp's random part: eight of [a-z0-9_]
_RANDOM = r"[a-z0-9_]{8}"
STAGE_PREFIX = "archiver-export-"
# The file inside a staging folder that its writer holds the lock of.
LOCK_NAME = ".lock"
# A leftover written to within this many seconds is left (a live writer on another machine whose
# locks this one cannot see), whatever its PID and lock say.
GRACE = 3600.0
# The first bytes of a bundle: a zip's local file header (WACZ), a gzip member (WARC.gz).
_BUNDLE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b")
# What `-o -` stages in its folder: the bundle written (`export.FMT`), or being written (its part
# file, of either naming).
_STAGED = re.compile(rf"export\.(?:wacz|warc\.gz)|\.export\.(?:wacz|warc\.gz)\.(?:\d+\.)?{_RANDOM}\.part")


def part_prefix(name: str) -> str:
    """The start of the name of an export's partial file for the output `name` (mkstemp adds the rest)."""
    return f".{name}.{os.getpid()}."


def part_pattern(name: str) -> re.Pattern[str]:
    """Names of partial files of exports to the output `name`, the writer's PID the first group
    (None: a name of the older naming, with no PID)."""
    return re.compile(rf"\.{re.escape(name)}\.(?:(\d+)\.)?{_RANDOM}\.part")


def stage_prefix() -> str:
    """The start of the name of the folder `-o -` stages its bundle in (mkdtemp adds the rest)."""
    return f"{STAGE_PREFIX}{os.getpid()}-"


# The writer's PID the first group (None: the older naming, `archiver-export-RANDOM`).
STAGE_PATTERN = re.compile(rf"{re.escape(STAGE_PREFIX)}(?:(\d+)-)?{_RANDOM}")


def hold(path: Path | str) -> int:
    """A descriptor holding the exclusive lock of `path` (a file), or of the lock file inside it (a
    folder; made if missing): close it to release. Open for reading and writing, as NFS's
    emulation of flock by POSIX locks needs for an exclusive lock."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    else:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    return _locked(fd)


def hold_open(fd: int) -> int:
    """A second descriptor of the file open at `fd`, holding its exclusive lock: the lock lasts,
    whatever the writer does with `fd`, until this one is closed (once the bundle is in place)."""
    return _locked(os.dup(fd))


def _locked(fd: int) -> int:
    """`fd`, holding its file's exclusive lock at once; closed if the lock is another's."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes nothing yet: a leftover of an earlier one of that PID
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


def _written_lately(path: Path, now: float) -> bool:
    """Whether `path`, or an entry of it (a folder), was modified within the last GRACE seconds (or
    claims a time to come: another machine's clock); True when it cannot be looked at."""
    try:
        newest = path.lstat().st_mtime
        if path.is_dir() and not path.is_symlink():
            with os.scandir(path) as entries:
                for entry in entries:
                    newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    except OSError:
        return True
    return now - newest < GRACE


def _own_bundle(path: Path) -> bool:
    """Whether `path` is a regular file (not a link) of this user that starts as a bundle does."""
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            return False
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            head = os.read(fd, 4)
        finally:
            os.close(fd)
    except OSError:
        return False
    return head.startswith(_BUNDLE_MAGIC)


def _staged_entries(path: Path, pid_named: bool) -> list[Path] | None:
    """The entries of the staging folder `path`, when it is one an export of its naming left (the
    module's docstring), else None: a folder of this user holding its writer's `.lock` (the PID
    naming) or none (the older naming, which kept none), and else only the bundle `-o -` stages;
    of the older naming exactly that bundle, a regular file of this user with a bundle's first bytes."""
    try:
        st = path.lstat()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            return None
        names = os.listdir(path)
    except OSError:
        return None
    if (LOCK_NAME in names) != pid_named:
        return None
    bundles = [name for name in names if name != LOCK_NAME]
    if not all(_STAGED.fullmatch(name) and _regular(path / name) for name in bundles):
        return None
    if not pid_named and not (len(bundles) == 1 and _own_bundle(path / bundles[0])):
        return None
    # The bundle first, the .lock last: a removal cut short leaves a folder the next sweep still knows.
    return [path / name for name in bundles] + ([path / LOCK_NAME] if pid_named else [])


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _hold_existing(path: Path, staging: bool) -> int:
    """Like `hold`, but making nothing: a staging folder is locked by the `.lock` already in it."""
    target = path / LOCK_NAME if staging else path
    return _locked(os.open(target, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC))


def remove_stale(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """Remove the entries of `folder` whose whole name matches `pattern` (group 1: the writer's PID;
    None for the older naming, which names none) that no live process writes (see the module's
    docstring); the paths removed. `STAGE_PATTERN` names staging folders, any other pattern part
    files. What cannot be looked at or removed, or is not what an export of its naming leaves, is left."""
    staging = pattern is STAGE_PATTERN
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        m = pattern.fullmatch(name)
        if m is None:
            continue
        pid_named = m.group(1) is not None
        if pid_named and _alive(int(m.group(1))):
            continue
        path = folder / name
        entries: list[Path] | None = None
        if staging:
            entries = _staged_entries(path, pid_named)
            if entries is None:
                continue  # a file, or a folder holding what no export left there: not an export's
        else:
            try:
                if not stat.S_ISREG(path.lstat().st_mode):
                    continue
            except OSError:
                continue
            if not pid_named and not _own_bundle(path):
                continue  # a person's own file of that name, not a bundle written by this user
        if _written_lately(path, now):
            continue  # maybe written right now, from a machine whose locks this one cannot see
        fd: int | None = None
        if pid_named or not staging:
            try:
                fd = _hold_existing(path, staging)
            except OSError:
                continue  # locked: written right now (from another machine, or a PID this one reuses)
        try:
            if entries is not None:
                for entry in entries:
                    entry.unlink()
                path.rmdir()  # fails, leaving it, if anything was put in it meanwhile
            else:
                path.unlink()
            removed.append(path)
            log.info("removed %s, left by an export that was stopped before it finished", path)
        except OSError:
            pass
        finally:
            if fd is not None:
                os.close(fd)
    return removed
