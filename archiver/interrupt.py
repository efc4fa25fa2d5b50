"""Stopping on SIGINT and SIGTERM: finish the item at hand, then stop; never die mid-write.

The default reactions are the wrong ones for a capture run: SIGTERM ends the process at once
(nothing said, run row left open, WARC file left `.open`), and SIGINT raises KeyboardInterrupt at
whatever bytecode is running — possibly in the middle of a browser capture or between a WARC write and
the index transaction that names it. So the handler installed here only records the signal:

* the pipeline looks at `STOP.requested` between articles and between posts, stops taking new
  work, writes its summary and closes its run row as interrupted;
* inside `STOP.raising()` (waiting for the archive lock, commands that write no archive) the
  handler raises `Interrupted` at once, because nothing there can be left half done;
* a second signal of the same kind stops hard: one line on stderr, then `os._exit` with the same
  code. The WARC file stays `.open` and the run row unfinished, exactly as after `kill -9`: the
  next run repairs the one and closes the other as killed.

Exit codes follow the shell's convention, 128 + the signal's number: 130 for SIGINT, 143 for
SIGTERM. Library code; the CLI installs the handler.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal asked the process to stop where stopping at once is safe.

    A BaseException, as KeyboardInterrupt is: raised at whatever bytecode runs, it must not be taken
    for the failure of the work at hand by an `except Exception` (a record that does not parse, a
    source that cannot be read), which would report damage that is not there and go on."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal_name(signum)}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return exit_code(signum=self.signum)


def interruption_in(error: BaseException) -> Interrupted | KeyboardInterrupt | None:
    """The signal's exception an error was raised from, when it was: a signal that lands where
    Python wraps what is raised (a class being made: "Error calling __set_name__", a RuntimeError
    whose cause it is) is still the signal, never a fault of the program."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, (Interrupted, KeyboardInterrupt)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_code(signum: int) -> int:
    """The shell's convention for a process ended by a signal: 128 + its number."""
    return 128 + signum


class StopFlag:
    """What the signal handler sets; one per process (`STOP`)."""

    def __init__(self) -> None:
        self.signum: int = 0
        self._raising = 0
        self._installed = False
        self._held = False
        self._announce = False

    @property
    def requested(self) -> bool:
        return self.signum != 0

    @property
    def name(self) -> str:
        return signal_name(self.signum) if self.signum else ""

    def install(self, *, raising: bool = False, announce: bool = False) -> None:
        """Handle SIGINT and SIGTERM from now on (main thread only).

        `raising=True` for commands with nothing to finish: every signal raises `Interrupted`.
        `announce`: a first signal that is recorded says so on stderr at once (what is in hand may
        take a while to finish; the person who pressed Ctrl-C must know it was heard). A worker
        process, whose parent speaks for the run, stays quiet.
        A signal the process was started ignoring (`nohup`, a shell's background job) stays ignored.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        self._raising = 1 if raising else 0
        self._announce = announce
        if sys.unraisablehook is not _quiet_when_interrupted:
            _DEFAULT_HOOK[0] = sys.unraisablehook
            sys.unraisablehook = _quiet_when_interrupted
        for signum in HANDLED:
            current = signal.getsignal(signum)
            if current is signal.SIG_IGN:
                continue
            signal.signal(signum, self._handle)
        self._installed = True

    def reset(self) -> None:
        """Forget a signal received, and a hold (a test, or a process reused for another run)."""
        self.signum = 0
        self._held = False

    @contextmanager
    def raising(self) -> Iterator[None]:
        """Within this block a signal (or one received before it) raises `Interrupted` at once."""
        if self.signum:
            raise Interrupted(self.signum)
        self._raising += 1
        try:
            yield
        finally:
            self._raising -= 1

    def hold(self) -> None:
        """From now on a signal is recorded and not raised: the command's work is done (its output
        renamed into place), and an interruption now would only say "interrupted" of a whole file."""
        self._held = True

    def check(self) -> None:
        """Raise `Interrupted` for a signal received in raising mode that was not raised where it
        came (Python drops an exception raised in a finalizer)."""
        if self.signum and self._raising and not self._held:
            raise Interrupted(self.signum)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signum == signum:
            # The second of the same kind: the user means it. What the first one was finishing is
            # left as a kill -9 would leave it, and the next run repairs it.
            with contextlib.suppress(OSError):  # stderr closed or a broken pipe: stop all the same
                os.write(2, (f"archiver: {signal_name(signum)} again: stopping at once; the next run repairs "
                             "the WARC file and closes this run as killed\n").encode())
            os._exit(exit_code(signum))
        if not self.signum:
            self.signum = signum
        if self._raising and not self._held:
            raise Interrupted(signum)
        if self._announce and self.signum == signum:
            name = signal_name(signum)
            with contextlib.suppress(OSError):  # no stderr to say it on: the signal is recorded all the same
                os.write(2, (f"{chr(10) if os.isatty(2) else ''}archiver: {name}: finishing what is in hand, then "
                             f"stopping (a second {name} stops at once)\n").encode())


STOP = StopFlag()
_DEFAULT_HOOK: list[Callable[[Any], object]] = [sys.__unraisablehook__]


def _quiet_when_interrupted(unraisable: Any) -> None:
    """`Interrupted` raised where Python can only drop it (a finalizer ran when the signal came):
    nothing to print, the signal is recorded in `STOP` and the command stops on it
    (`StopFlag.check`); anything else goes to the hook there was."""
    if isinstance(unraisable.exc_value, Interrupted):
        return
    _DEFAULT_HOOK[0](unraisable)
