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


def main() -> None:
    install_early()
    from archiver.cli import main as run

    run()
