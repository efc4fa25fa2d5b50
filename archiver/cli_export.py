"""Where `export` writes: the file named by -o, or stdout for `-o -`.

A bundle is only ever written whole (its writer renames a finished file into place), so `-o -`
stages the bundle in a temporary folder ($TMPDIR), then copies it to stdout and removes it: what
reaches stdout is a complete bundle or nothing, and an export that fails writes nothing there.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from enum import Enum
from pathlib import Path

from .errors import ExportError, UsageError

STDOUT = Path("-")


def staged_output(out: Path, fmt: Enum | None) -> AbstractContextManager[Path]:
    """The path the bundle is written to: `out` itself, or for `-o -` a temporary file of format
    `fmt` (default wacz). A --format that contradicts the file's ending is a usage error."""
    from .export import bundle_format

    if out != STDOUT:
        if fmt is not None and bundle_format(out) != fmt.value:
            raise UsageError(f"--format {fmt.value} contradicts the output name {out.name!r}: "
                             f"name it *.{fmt.value}, or leave --format out (the name decides)")
        return _as_is(out)
    if sys.stdout.isatty():
        raise UsageError("-o -: not writing a binary bundle to a terminal; redirect stdout "
                         "(`-o - > out.wacz`) or name a file with -o")
    return _temporary(f"export.{fmt.value if fmt is not None else 'wacz'}")


@contextmanager
def _as_is(out: Path) -> Iterator[Path]:
    yield out


@contextmanager
def _temporary(name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="archiver-export-") as folder:
        yield Path(folder) / name


def stream_to_stdout(path: Path) -> None:
    """Copy the finished bundle at `path` to stdout, as bytes; ExportError if the reader went away."""
    try:
        sys.stdout.flush()
        with path.open("rb") as fh:
            shutil.copyfileobj(fh, sys.stdout.buffer, 1024 * 1024)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # What is left in Python's buffer would fail again at exit: stdout goes to /dev/null instead.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise ExportError("stdout was closed before the whole bundle was written to it") from None
