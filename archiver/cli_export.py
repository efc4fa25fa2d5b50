"""Where `export` writes: the file named by -o, or stdout for `-o -`.

A bundle is only ever written whole (its writer renames a finished file into place), so `-o -`
stages the bundle in a temporary folder ($TMPDIR), then copies it to stdout and removes it: what
reaches stdout is a complete bundle or nothing, and an export that fails writes nothing there.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from enum import Enum
from pathlib import Path

from .errors import ExportError, UsageError
from .output import write_all

STDOUT = Path("-")


def outside_archive(archive_dir: Path, out: Path) -> None:
    """UsageError when `-o` names one of the archive's own files or folders (its WARCs, its
    index...), which the output would overwrite."""
    from .layout import archive_own

    if out != STDOUT and (what := archive_own(archive_dir, out)) is not None:
        raise UsageError(f"-o {out}: that is {what}, which writing there would destroy; name a file outside "
                         "them (beside them in the archive folder will do)")


def output_format(out: Path, fmt: Enum | None) -> str:
    """'wacz' or 'warc.gz': what `-o OUT` with `--format FMT` writes (a usage error if it cannot tell)."""
    from .export import bundle_format

    if out == STDOUT:
        return str(fmt.value) if fmt is not None else "wacz"
    return bundle_format(out, str(fmt.value) if fmt is not None else None)


def staged_output(out: Path, fmt: Enum | None) -> AbstractContextManager[Path]:
    """The path the bundle is written to: `out` itself, or for `-o -` a temporary file of format
    `fmt` (default wacz). A --format that contradicts the file's ending is a usage error."""
    if out != STDOUT:
        if fmt is not None and output_format(out, fmt) != fmt.value:
            raise UsageError(f"--format {fmt.value} contradicts the output name {out.name!r}: "
                             f"name it *.{fmt.value}, or leave --format out (the name decides)")
        if _is_terminal(out):
            raise UsageError(f"-o {out}: not writing a binary bundle to a terminal; redirect it to a file, or "
                             "name a file with -o")
        output_format(out, fmt)  # a name that tells no format: said first, as before
        _can_land(out)
        return _as_is(out)
    if sys.stdout.isatty():
        raise UsageError("-o -: not writing a binary bundle to a terminal; redirect stdout "
                         "(`-o - > out.wacz`) or name a file with -o")
    return _temporary(f"export.{output_format(out, fmt)}")


def _can_land(out: Path) -> None:
    """ExportError, in the words the bundle's writer would use, when the file cannot be put at
    `out` (its folder is not there or is a file, a read-only file is there, it names a descriptor
    the command was not given): said before the index is read, and before the note that the whole
    archive is being exported, not after it. A device or a pipe is written into as it is: its
    write says what fails."""
    from .output import landing, landing_problem, unopened_descriptor, written_in_place

    if not written_in_place(out) and (why := landing_problem(landing(out))) is not None:
        raise ExportError(f"cannot write {out}: {why}; choose another path")
    if (why := unopened_descriptor(out)) is not None:
        raise ExportError(f"cannot write {out}: {why}; choose another path")


def _is_terminal(out: Path) -> bool:
    """Whether `out` is a terminal (`/dev/stdout` or `/dev/tty` on one), told by its device's
    numbers, without opening it (opening a device may act: a tape rewinds on close, a serial line
    hangs up). Linux numbers terminals 4 and 5 (consoles, /dev/tty) and 136-143 (pseudo-terminals)."""
    import os
    import stat

    try:
        st = out.stat()
    except OSError:
        return False  # what cannot be looked at is named by the write itself
    major = os.major(st.st_rdev)
    return stat.S_ISCHR(st.st_mode) and (major in (4, 5) or 136 <= major <= 143)


@contextmanager
def _as_is(out: Path) -> Iterator[Path]:
    yield out


@contextmanager
def _temporary(name: str) -> Iterator[Path]:
    """A folder of its own in $TMPDIR, named with this process's PID and locked while in use, so
    that a later `-o -` removes it if this process is killed (export/leftovers.py)."""
    from .export.leftovers import STAGE_PATTERN, hold, remove_stale, stage_prefix

    remove_stale(Path(tempfile.gettempdir()), STAGE_PATTERN)
    with tempfile.TemporaryDirectory(prefix=stage_prefix()) as folder:
        try:
            held: int | None = hold(folder)
        except OSError:
            held = None  # a file system without locks: the PID in its name still says so
        try:
            yield Path(folder) / name
        finally:
            if held is not None:
                os.close(held)


def stream_to_stdout(path: Path) -> None:
    """Copy the finished bundle at `path` to stdout, as bytes; ExportError if it could not all go there.

    Every write's count is honoured: with PYTHONUNBUFFERED (common in containers) stdout's binary
    layer is the raw file, whose `write` may take only part of what it is given (a pipe's buffer).
    """
    try:
        sys.stdout.flush()
        out = sys.stdout.buffer
        with path.open("rb") as fh:
            while chunk := fh.read(1024 * 1024):
                write_all(out, chunk)
        out.flush()
    except OSError as e:
        silence_stdout()
        why = "it was closed" if isinstance(e, BrokenPipeError) else (e.strerror or type(e).__name__)
        raise ExportError(f"could not write the whole bundle to stdout ({why}); nothing usable was written") from None


def silence_stdout() -> None:
    """Point stdout at /dev/null: what is left in Python's buffer would otherwise fail again at exit."""
    if sys.stdout is None:
        return  # closed when the program started: nothing of ours is buffered for it
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # stdout has no file descriptor (a test's capture): nothing is flushed to one at exit
