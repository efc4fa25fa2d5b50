"""The `archiver` command's entry point: SIGINT and SIGTERM are answered from its first instant.

Importing the command line (Typer, Click, Rich) takes a noticeable part of a second, and the
command's own handlers (archiver.interrupt) are installed only once it runs: a Ctrl-C in between
gave a KeyboardInterrupt traceback, a SIGTERM a silent death. Until then nothing has been done, so
the answer is one line and the conventional exit code (130, 143). What the interpreter does before
this module runs (a few milliseconds) is beyond any handler.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

from archiver.interrupt import HANDLED  # (standard library only: nothing heavy imported yet)


def _starting(signum: int, frame: FrameType | None) -> None:
    os.write(2, b"archiver: stopped while starting; nothing was done\n")
    os._exit(128 + signum)


def install_early() -> None:
    """Answer SIGINT/SIGTERM with one line and 128+signal, unless the process was started ignoring
    them (`nohup`, a shell's background job): those stay ignored."""
    for signum in HANDLED:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _starting)


def hold_standard_descriptors() -> None:
    """Open /dev/null on descriptor 0, 1 or 2 when it was closed before the program started
    (`archiver run >&-`). Otherwise the first file opened takes its number: the index or a WARC
    file would be the standard output of the browser and its driver. `sys.stdout` stays None, so
    data written to it still fails as a closed stdout does (one line, exit 2)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free number: `fd`, the ones below are open
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def main() -> None:
    install_early()
    hold_standard_descriptors()
    from archiver.cli import main as run

    run()
