"""The traffic recorder's readiness wait: woken by request events, ended by a quiet window or a ceiling.

Drives `TrafficRecorder`'s request bookkeeping directly on an event loop (the events Playwright
would deliver), so each outcome is decided by the order of events, not by how fast the machine is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from archiver.capture.recorder import TrafficRecorder


@dataclass(eq=False)
class _Request:
    url: str
    resource_type: str = "fetch"


def _recorder() -> TrafficRecorder:
    none: Any = None  # the wait reads only the recorder's own bookkeeping
    return TrafficRecorder(none, none)


def test_a_request_still_in_flight_holds_the_wait_until_the_ceiling() -> None:
    async def scenario() -> tuple[bool, list[str]]:
        recorder = _recorder()
        recorder._on_request(_Request("https://api.example/slow"))  # type: ignore[arg-type]
        return await recorder.wait_idle(0, max_ms=50), recorder.inflight_urls()

    assert asyncio.run(scenario()) == (False, ["https://api.example/slow"])


def test_the_wait_ends_when_the_last_request_does() -> None:
    async def scenario() -> tuple[bool, bool]:
        recorder = _recorder()
        request = _Request("https://api.example/a")
        recorder._on_request(request)  # type: ignore[arg-type]
        asyncio.get_running_loop().call_later(0.05, recorder._done, request)
        return await recorder.wait_idle(0, max_ms=60_000), recorder.idle()

    assert asyncio.run(scenario()) == (True, True)


def test_a_request_started_in_the_quiet_window_is_waited_for() -> None:
    async def scenario() -> tuple[bool, int, bool]:
        recorder = _recorder()
        late = _Request("https://api.example/late")
        loop = asyncio.get_running_loop()
        # Timers on one loop fire in order: the late request starts inside the 200 ms window,
        # and ends after it would have closed.
        loop.call_later(0.01, recorder._on_request, late)
        loop.call_later(0.3, recorder._done, late)
        quiet = await recorder.wait_idle(200, max_ms=60_000)
        return quiet, recorder.requests_started, recorder.idle()

    assert asyncio.run(scenario()) == (True, 1, True)


def test_an_idle_recorder_past_its_quiet_window_answers_at_once() -> None:
    async def scenario() -> bool:
        recorder = _recorder()
        return await recorder.wait_idle(0, max_ms=0)

    assert asyncio.run(scenario()) is True
