"""The deadline of one browser capture: timeouts that never reach past it, and stopping at it.

Playwright's timeouts apply to one wait each; a page can chain many waits (a slow load, then
settling, then a screenshot per embed). The capture's clock caps each of them by the time left,
and the capture checks it between steps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

from playwright.async_api import Error as PlaywrightError

from archiver.capture.recorder import TrafficRecorder
from archiver.capture.traffic import Recorded

T = TypeVar("T")


async def within(step: Awaitable[T], seconds: float | None, otherwise: T) -> T:
    """`step`'s result, or `otherwise` when it has not finished within `seconds` (a ceiling, not a
    pause: a page that stopped answering, a wait that would outlast the capture); None: no ceiling."""
    try:
        async with asyncio.timeout(seconds):
            return await step
    except TimeoutError:
        return otherwise


class DeadlinePassed(Exception):
    """The capture deadline passed; the message names the step that did not start."""


# The longest timeout Playwright's driver keeps: its Node.js timers hold at most 2**31 - 1 ms (a
# longer one fires at once).
LONGEST_MS = 2**31 - 1


def _ms(seconds: float) -> int:
    """`seconds` as whole milliseconds for a Playwright timeout, at most LONGEST_MS (a wait too long
    for a float, `inf`, or for an integer, is the longest one there is; never an OverflowError)."""
    ms = seconds * 1000
    return LONGEST_MS if ms != ms else int(max(-LONGEST_MS, min(ms, LONGEST_MS)))  # (nan: no end known)


class CaptureClock:
    """The capture deadline on the monotonic clock, and timeouts that never reach past it."""

    def __init__(self, start: float, deadline: float | None, timeout: float) -> None:
        self.end = None if deadline is None else start + deadline
        self.timeout_ms = _ms(timeout)

    def left_ms(self) -> int | None:
        return None if self.end is None else _ms(self.end - time.monotonic())

    def left_s(self, *, grace: float = 0.0) -> float | None:
        """Seconds left before the deadline, and `grace` more (None: no deadline; never below 0)."""
        return None if self.end is None else max(0.0, self.end - time.monotonic() + grace)

    def passed(self) -> bool:
        left = self.left_ms()
        return left is not None and left <= 0

    def check(self, step: str) -> None:
        if self.passed():
            raise DeadlinePassed(step)

    def cap(self, ms: int) -> int:
        """`ms`, or less when the deadline is nearer (at least 1: Playwright reads 0 as "no timeout")."""
        left = self.left_ms()
        return ms if left is None else max(1, min(ms, left))

    def ms(self) -> int:
        """A Playwright timeout: the per-step timeout, capped by the deadline."""
        return self.cap(self.timeout_ms)


class Wakeups:
    """Waiters on something an event handler learns (a download announced, a page created): the
    handler calls `wake()`, and each waiter looks again at what it waits for (`next`), until its
    deadline. No polling: a waiter wakes only on an event or at its deadline."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def next(self, deadline: float) -> bool:
        """Wait for the next `wake()`, at most until `deadline` (the running loop's time): False
        when the deadline came first. The waiter is dropped either way."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                await waiter
            return True
        except TimeoutError:
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def __len__(self) -> int:
        return len(self._waiters)


async def finish_quickly(recorder: TrafficRecorder, result_errors: list[str]) -> list[Recorded]:
    """What the recorder holds, protocols filled in, without asking Chromium for more bodies."""
    try:
        return await recorder.finish(orphans=False)
    except PlaywrightError as e:
        result_errors.append(f"collecting after the deadline: {_first_line(e)}")
        return recorder.recorded


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
