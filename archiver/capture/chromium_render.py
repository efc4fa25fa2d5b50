"""One Chromium, driven by Playwright's async API; a fresh recorded context per `render()`.

Several renders may run at once on one `ChromiumRenderer` (one event loop): each has its own
context, page, traffic recorder and CDP sessions, its own deadline, and writes only into the
batch it was handed. The context of the next render is opened ahead of time, and a used one
closed in the background (archiver.capture.tabs). Network settings (host mapping, CA trust, proxy) come from
`archiver.net.NetOptions.chromium_launch()`; every connection of the browser goes through the
gate (archiver.capture.gate), which applies the network policy. A watchdog process kills the
Playwright driver and Chromium if this process dies without closing them (archiver.watchdog).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import CDPSession, Frame, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from archiver import watchdog
from archiver.capture import pagesteps
from archiver.capture.chromium import NO_CHROMIUM, disable_features_flag, find_chromium, without_service_hosts
from archiver.capture.deadline import CaptureClock, DeadlinePassed, finish_quickly, within
from archiver.capture.gate import Gate
from archiver.capture.isolated import PageReader
from archiver.capture.pagesteps import CUT_SCREENSHOT, Shots, first_line
from archiver.capture.pagewrite import Provenance, write_page
from archiver.capture.recorder import TrafficRecorder
from archiver.capture.renderer import EMBED_CRASHED, RENDERER_CRASHED, PageCapture
from archiver.capture.tabs import BrowserOpeners, Tab, Tabs, confine_local, open_tab
from archiver.capture.traffic import Recorded, page_document
from archiver.errors import BrowserError
from archiver.limits import DEFAULT_CAPTURE_DEADLINE, seconds
from archiver.modes import make_dirs
from archiver.resource import AsyncClosing

if TYPE_CHECKING:
    from archiver.capture.renderer import Renderer
    from archiver.net import NetOptions
    from archiver.warcstore import Batch

log = logging.getLogger(__name__)


class ChromiumRenderer(AsyncClosing):
    """A `Renderer` on a real Chromium; start one with `await ChromiumRenderer.launch(...)`."""

    def __init__(self, net: NetOptions, *, workdir: Path, timeout: float = 30.0,
                 capture_deadline: float | None = DEFAULT_CAPTURE_DEADLINE,
                 max_body: int | None = None, max_capture_bytes: int | None = None) -> None:
        """Settings only; `launch()` starts the browser."""
        self.net = net
        self.workdir = Path(workdir)
        self.timeout = timeout
        # One capture ends at its deadline whatever the page does; bodies are capped (bytes).
        self.capture_deadline = capture_deadline
        self.max_body = max_body
        self.max_capture_bytes = max_capture_bytes
        self.executable = ""
        self.browser_version = ""
        self.user_agent = ""
        self.gate: Gate | None = None
        self._pw: Playwright | None = None
        self._browser: PlaywrightBrowser | None = None
        self._watchdog: watchdog.Watchdog | None = None
        self._openers: BrowserOpeners | None = None
        self._tabs = Tabs(self._open_tab)

    @classmethod
    async def launch(cls, net: NetOptions, *, workdir: Path, timeout: float = 30.0, headless: bool = True,
                     capture_deadline: float | None = DEFAULT_CAPTURE_DEADLINE,
                     max_body: int | None = None, max_capture_bytes: int | None = None) -> ChromiumRenderer:
        """Start the gate, the Playwright driver (with its watchdog) and Chromium."""
        self = cls(net, workdir=workdir, timeout=timeout, capture_deadline=capture_deadline,
                   max_body=max_body, max_capture_bytes=max_capture_bytes)
        try:
            await self._start(headless)
        except BaseException:
            await self.aclose()
            raise
        return self

    async def _start(self, headless: bool) -> None:
        self.gate = Gate(self.net, connect_timeout=self.timeout)
        before = watchdog.children()
        with watchdog.driver_in_own_session(self.workdir):  # a Ctrl-C meant for us must not close it
            self._pw = await async_playwright().start()
        # Kills the driver and Chromium if this process dies without closing them (kill -9).
        self._watchdog = watchdog.guard(before)
        executable = find_chromium(self._pw)
        if executable is None:
            explicit = os.environ.get("ARCHIVER_CHROMIUM")
            prefix = f"ARCHIVER_CHROMIUM={explicit} is not an executable file; " if explicit else ""
            raise BrowserError(prefix + NO_CHROMIUM)
        self.executable = executable
        make_dirs(self.workdir)
        kwargs: dict[str, Any] = dict(self.net.chromium_launch(self.workdir, gate_args=self.gate.chromium_args()))
        kwargs["args"] = without_service_hosts(list(kwargs.get("args") or []))
        features = disable_features_flag()
        if features is not None:
            kwargs["args"].append(features)
        else:
            log.debug("Playwright's disabled features not found in its driver: Chromium keeps its omnibox popups")
        kwargs.update(executable_path=executable, headless=headless, timeout=self.timeout * 1000)
        try:
            self._browser = await self._pw.chromium.launch(**kwargs)
        except PlaywrightError as e:
            raise BrowserError(f"Chromium at {executable} did not start: {first_line(e)}") from e
        if self._watchdog is not None:
            self._watchdog.look()  # Chromium's processes are ours now too
        session = await self._browser.new_browser_cdp_session()
        version = await session.send("Browser.getVersion")
        try:
            # Who opened each pop-up, heard once for every capture's context.
            self._openers = await BrowserOpeners.start(session)
        except PlaywrightError as e:
            log.debug("pop-ups' openers not known: %s", first_line(e))
        self.browser_version = self._browser.version
        # Headless Chromium announces itself as "HeadlessChrome", which many sites answer with a
        # bot wall; send the ordinary browser's agent instead and record exactly what was sent.
        self.user_agent = str(version.get("userAgent", "")).replace("HeadlessChrome", "Chrome")
        log.info("Chromium %s at %s", self.browser_version, executable)
        # A renderer is launched to capture: the first capture's tab opens now, while the caller
        # still reads its source or asks for metadata.
        self._tabs.prepare()

    async def aclose(self) -> None:
        try:
            await self._tabs.aclose()
        except PlaywrightError as e:
            log.debug("tabs not closed: %s", first_line(e))
        browser, pw, gate, dog = self._browser, self._pw, self.gate, self._watchdog
        self._browser = self._pw = self.gate = self._watchdog = None
        try:
            if browser is not None:
                try:
                    await browser.close()
                except PlaywrightError:
                    pass  # already gone (crashed or closed)
        finally:
            try:
                if pw is not None:
                    await pw.stop()
            finally:
                if gate is not None:
                    gate.close()
                if dog is not None:
                    dog.close()

    # ------------------------------------------------------------------------------------------

    async def _open_tab(self) -> Tab:
        if self._browser is None or self.gate is None:
            raise BrowserError("the browser is closed")
        return await open_tab(self._browser, user_agent=self.user_agent, max_body=self.max_body,
                              max_total=self.max_capture_bytes, refusal=self.gate.refusal, openers=self._openers)

    async def render(self, url: str, batch: Batch, *, screenshot_path: Path | None,
                     element_selectors: Sequence[str] = (), element_dir: Path | None = None,
                     settle_ms: int = 1500, wait_for: str | None = None) -> PageCapture:
        """Load `url`, record its traffic and screenshots into `batch`; problems go to `errors`.

        A page that fails to load still yields a PageCapture (status None, errors filled) with
        whatever was recorded; only a dead browser raises BrowserError. At the capture deadline
        the steps stop: what was complete is kept and written, and `errors` says so.
        """
        if self._browser is None or self.gate is None:
            raise BrowserError("the browser is closed")
        browser, gate = self._browser, self.gate
        start = time.monotonic()
        result = PageCapture(url=url, final_url=url, status=None, title=None, page_record_id=None)
        clock = CaptureClock(start, self.capture_deadline, self.timeout)
        tab = await self._tabs.take()
        # The next render's tab opens meanwhile, mostly while this page waits for its network.
        self._tabs.prepare()
        tab.context.set_default_timeout(clock.ms())
        page, recorder = tab.page, tab.recorder
        result.timings["open"] = time.monotonic() - start
        shots: Shots = []
        full_png: bytes | None = None
        recorded: list[Recorded] = []
        onward: pagesteps.Onward | None = None
        cut = False  # by the capture deadline, or by the page's renderer crashing
        step = "loading"
        crash: _Crash | None = None
        try:
            # Each wait below is capped by the time left, but a page whose scripts never yield (a
            # busy loop) never answers an evaluation at all: the deadline itself ends the step.
            async with asyncio.timeout(clock.left_s(grace=_STEP_GRACE_S)) as hard:
                # A page whose renderer crashed answers nothing more either: the crash ends the step.
                crash = _Crash(page, hard, recorder)
                await confine_local(tab, url)
                t = time.monotonic()
                sight = pagesteps.reader(page, recorder)
                until = asyncio.get_running_loop().time() + clock.ms() / 1000
                how = await pagesteps.load(page, url, wait_for, clock.ms(), result, tab.downloads, sight)
                if how.stopped:
                    # Its document stopped without a load event: a page it goes on to before the
                    # load's timeout is its load going on (a script's redirect after window.stop()).
                    onward = pagesteps.Onward(page, until)
                result.timings["load"] = time.monotonic() - t
                loaded = await recorder.main_document()
                shown = len(result.errors)
                while True:
                    t = time.monotonic()
                    step = "settling"
                    clock.check(step)
                    await pagesteps.settle(page, recorder, clock.cap(settle_ms), result, element_selectors)
                    result.timings["settle"] = time.monotonic() - t
                    if onward is not None and onward.pending():
                        await _went_on(onward, sight, recorder, result, t)
                        loaded = await recorder.main_document()
                        continue

                    await _left_after_load(recorder, loaded, result)
                    shown = len(result.errors)
                    t = time.monotonic()
                    step = "screenshots"
                    clock.check(step)
                    if (page.url.startswith("chrome-error://") or result.file_to_save is not None
                            or (page.url == "about:blank" and (
                                not how.committed or page_document(recorder.recorded, tab.downloads.requests) is None))):
                        # Chromium's own "site can't be reached" page, or the blank page a tab opens
                        # on (its load failed before any document came, its address was a file to
                        # save, or was answered 204/205, which shows nothing), is not a view of the
                        # URL. (A page that loaded and then sent itself to about:blank is pictured
                        # as it is.)
                        result.errors.append("no screenshots: the page did not load")
                    else:
                        full_png, shots = await pagesteps.screenshots(page, recorder, screenshot_path,
                                                                      element_selectors, element_dir, settle_ms,
                                                                      result, clock, own_downloads=tab.own_downloads)
                    result.timings["screenshots"] = time.monotonic() - t
                    if onward is not None and onward.pending():
                        # The pictures were of the stopped page: taken again of the one it went to.
                        del result.errors[shown:]
                        full_png, shots = None, []
                        await _went_on(onward, sight, recorder, result, t)
                        loaded = await recorder.main_document()
                        continue
                    break

                t = time.monotonic()
                step = "reading the page"
                clock.check(step)
                await pagesteps.describe(page, result, recorder)
                await _left_after_load(recorder, loaded, result)
                step = "collecting its traffic"
                if hard.when() is not None:
                    # The page answered everything so far: what it recorded is read in full (a
                    # browser-made request's body each), however near the deadline.
                    hard.reschedule(asyncio.get_running_loop().time() + _COLLECT_S)
                recorded = await recorder.finish()
                result.timings["collect"] = time.monotonic() - t
        except TimeoutError:
            if not hard.expired():
                raise
            cut = True
            if crash is not None and crash.seen:
                recorded = await _after_crash(crash, step, url, result, recorder)
            else:
                # The deadline passed inside a step: the page stopped answering (its scripts never yield).
                assert self.capture_deadline is not None
                msg = (f"capture stopped at its {seconds(self.capture_deadline)} deadline while {step} (the page did "
                       "not answer); kept what was complete (raise --capture-deadline to wait longer)")
                log.warning("%s: %s", url, msg)
                result.errors.append(msg)
                result.cut_short = msg
                recorded = await within(finish_quickly(recorder, result.errors), _STEP_GRACE_S, recorder.recorded)
                # A renderer busy for good would hold its tab's closing (and the browser's) for a
                # minute: it is ended at once, its page being of no more use.
                await recorder.end_page()
        except DeadlinePassed as e:
            assert self.capture_deadline is not None
            msg = (f"capture stopped at its {seconds(self.capture_deadline)} deadline before {e}; "
                   "kept what was complete (raise --capture-deadline to wait longer)")
            log.warning("%s: %s", url, msg)
            result.errors.append(msg)
            cut = True
            recorded = await within(finish_quickly(recorder, result.errors), _STEP_GRACE_S, recorder.recorded)
        except PlaywrightError as e:
            if not browser.is_connected():
                raise BrowserError(f"Chromium exited while capturing {url}: {first_line(e)}") from e
            if crash is not None and crash.seen:
                # (Playwright's call on the page failed at once, before the steps' timeout ended them)
                cut = True
                recorded = await _after_crash(crash, step, url, result, recorder)
            else:
                result.errors.append(f"capture interrupted: {first_line(e)}")
                recorded = recorder.recorded  # what was complete before the interruption
        finally:
            if crash is not None:
                crash.close()
            if onward is not None:
                onward.close()
            # Copies: the page lives on until its tab is closed, in the background.
            recorded = list(recorded)
            try:
                # Each pop-up's line, its opener asked of the browser; a capture its deadline cut
                # already waits no more (the lines written by then are kept).
                await tab.named(0 if cut else _STEP_GRACE_S)
                result.errors[:0] = [*recorder.errors, *tab.errors]
                result.left_out = list(recorder.left_out)
            finally:
                self._tabs.release(tab)  # even when cancelled while naming them

        t = time.monotonic()
        sealed = getattr(self.net, "is_sealed", None)
        write_page(result, recorded, batch, full_png, screenshot_path, shots, address=gate.address,
                   downloaded=tab.downloads.requests,
                   provenance=Provenance(self.browser_version, self.user_agent,
                                         bool(sealed()) if callable(sealed) else None))
        result.timings["write"] = time.monotonic() - t
        result.timings["total"] = time.monotonic() - start
        for error in result.errors:  # what the capture met: its caller decides what fails it (-vv shows all)
            # A picture cut short shows less of the page than was captured: said, not only recorded.
            log.log(logging.WARNING if error.startswith(CUT_SCREENSHOT) else logging.DEBUG, "%s: %s", url, error)
        return result


# Past the deadline, a step still running is given this long before it is cut off; and so is
# collecting what was recorded, after.
_STEP_GRACE_S = 5.0
_COLLECT_S = 60.0  # reading what a page that answered everything recorded, at most


class _Crash:
    """Ends a capture's steps (`steps`, the timeout they run under) as soon as a renderer of its page
    crashes (a Chromium renderer process died: out of memory, a bug, killed), and tells whose it was.

    Playwright's page `crash` event fires for the page's own renderer and for each out-of-process
    (cross-site) iframe's alike, and either way Playwright gives the page up: every call on it
    after (goto, evaluate, content, a full-page screenshot) fails at once ("Page crashed"), and the
    call in hand too. A question asked over one of the page's CDP sessions on the dead renderer (the
    recorder's, the isolated reader's) is never answered, and a request in flight there never ends,
    so each step would wait out its ceiling, and the next one too, until the capture deadline."""

    def __init__(self, page: Page, steps: asyncio.Timeout, recorder: TrafficRecorder) -> None:
        self.page = page
        self.steps = steps
        self.recorder = recorder
        self.seen = False
        page.on("crash", self._crashed)

    def _crashed(self, _page: Page) -> None:
        self.seen = True
        try:
            self.steps.reschedule(asyncio.get_running_loop().time())
        except RuntimeError:
            pass  # the steps were over already: nothing waits on the page

    async def whose(self) -> str:
        """Whose renderer crashed, as the capture names it: the page's own, or an embedded frame's
        (its address, when one embedded frame alone no longer answers). The page's own CDP session
        is asked something cheap: an answer within `_PROBE_S` means the page's renderer lives. (A
        page whose own scripts never yield does not answer either: it is named as crashed too.)"""
        page_session = self.recorder.page_session
        if page_session is None:
            return RENDERER_CRASHED
        frames = self._frames()
        page_says, *frames_say = await asyncio.gather(_probe(page_session), *(_probe(s) for _, s in frames))
        if page_says != "answered":
            return RENDERER_CRASHED
        # The recorder opens a frame's session as soon as the frame navigates, which may be just
        # before its renderer crashed: a session opened while they were asked, or opened within
        # `_PROBE_S` after, is asked too (twice at most: a page that keeps adding frames does not
        # hold the capture).
        for _ in range(2):
            opening = self.recorder.frames_opening
            if opening:
                try:
                    async with asyncio.timeout(_PROBE_S):
                        await asyncio.wait(opening)  # (cancelled at the bound, it leaves them be)
                except TimeoutError:
                    pass  # those still opening are not asked
            now = self._frames()
            if len(now) == len(frames):
                break
            frames_say += await asyncio.gather(*(_probe(s) for _, s in now[len(frames):]))
            frames = now
        silent = [frame for (frame, _), says in zip(frames, frames_say, strict=False) if says == "silent"]
        where = f" ({_frame_url(silent[0])})" if len(silent) == 1 else ""
        return f"{EMBED_CRASHED}{where}"

    def _frames(self) -> list[tuple[Frame, CDPSession]]:
        """The page's out-of-process frames the recorder holds a session on, with those sessions."""
        return list(zip(self.recorder.oopif_frames, self.recorder.frame_sessions, strict=False))

    def close(self) -> None:
        self.page.remove_listener("crash", self._crashed)


_PROBE_S = 1.0  # a renderer alive answers a question at once; a crashed one never does


async def _probe(session: CDPSession) -> str:
    """'answered' when the renderer behind `session` answers within `_PROBE_S`; 'silent' when it
    does not (crashed, or busy for good); 'gone' when the session is closed (its frame gone)."""
    try:
        async with asyncio.timeout(_PROBE_S):
            await session.send("Runtime.evaluate", {"expression": "0", "returnByValue": True})
        return "answered"
    except TimeoutError:
        return "silent"
    except PlaywrightError:
        return "gone"


def _frame_url(frame: Frame) -> str:
    try:
        return frame.url or "address unknown"
    except PlaywrightError:
        return "address unknown"


async def _after_crash(crash: _Crash, step: str, url: str, result: PageCapture,
                       recorder: TrafficRecorder) -> list[Recorded]:
    """A capture whose page's renderer, or an embedded frame's, crashed during `step`: it is named
    (`result.cut_short`), and what the recorder holds is kept, its protocols and addresses filled
    in from the sessions that still answer."""
    who = await crash.whose()
    if who == RENDERER_CRASHED:
        msg = f"{who} while {step}: kept what was recorded before it"
    else:
        # The page lives, but Playwright answers nothing more of it: its steps cannot go on.
        msg = (f"{who} while {step}, and the browser's driver gives the page up with it: kept what was "
               "recorded before it")
    log.warning("%s: %s", url, msg)
    result.errors.append(msg)
    result.cut_short = msg
    return await within(finish_quickly(recorder, result.errors), _STEP_GRACE_S, recorder.recorded)


async def _went_on(onward: pagesteps.Onward, sight: PageReader, recorder: TrafficRecorder,
                   result: PageCapture, started: float) -> None:
    """The page went on from its stopped document before the load's timeout: its load goes on."""
    await onward.follow(sight)
    result.timings["load"] = result.timings.get("load", 0.0) + time.monotonic() - started


async def _left_after_load(recorder: TrafficRecorder, loaded: tuple[str | None, str | None],
                           result: PageCapture) -> None:
    """Note it in `result` when the page shows another page than the one that loaded: a script or
    a meta refresh took it elsewhere by itself (an ad-block check's redirect). A new document of
    the same page (a reload by a consent script, the same address with another query or without
    its trailing slash, on its host with or without `www.`/`m.`) is still that page."""
    loader, address = loaded
    if loader is None or result.left_for is not None:
        return
    now, where = await recorder.main_document()
    if now is not None and now != loader and not same_page(address or "", where or ""):
        result.left_for = where or "another address"
        result.errors.append(f"the page went to {result.left_for} by itself after it loaded: what was shown and read "
                             "after that is that page's")


def same_page(one: str, other: str) -> bool:
    """Whether two addresses are one page's: the same scheme, host (`www.`, `m.` aside) and path
    (a trailing slash aside); the query and fragment are not compared."""
    from archiver.platforms.base import host_of

    a, b = urlsplit(one), urlsplit(other)
    return (a.scheme.lower() == b.scheme.lower() and host_of(one) == host_of(other)
            and (a.path.rstrip("/") or "/") == (b.path.rstrip("/") or "/"))


if TYPE_CHECKING:
    def _is_a_renderer(renderer: ChromiumRenderer) -> Renderer:  # mypy checks the protocol here
        return renderer
