"""The steps of rendering one page: load, settle, screenshots, and reading what it shows.

Each step works on one page of its own context and writes problems into the capture's
`errors`; none of them touches another page. Used by archiver.capture.chromium_render.

No step pauses for a fixed time. Each waits for something the page reports (its `load` event, a
rendered frame, the embeds' documents loaded, fonts ready, the traffic recorder's in-flight count
reaching zero), bounded by a ceiling; the one timed condition is the short quiet window that
ends settling, which is itself woken by traffic events (`TrafficRecorder.wait_idle`).

What the steps measure (the page's size, where its elements are, which element is which) and the
text they record are taken where the page's scripts cannot reach: the browser's own node identity
and layout over CDP, and JavaScript run in an isolated world, never the page's (archiver.capture.isolated).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import ElementHandle, Frame, Page, Request, Response, ViewportSize, WebSocketRoute
from playwright.async_api import Error as PlaywrightError

from archiver.capture.crops import Rect, cut, png_dimensions, rect_in
from archiver.capture.deadline import CaptureClock, Wakeups, within
from archiver.capture.isolated import Found, FrameRead, MeasureError, PageReader
from archiver.capture.recorder import TrafficRecorder
from archiver.capture.renderer import ElementShot, FrameInfo, PageCapture
from archiver.platforms import login_wall_for

log = logging.getLogger(__name__)

VIEWPORT: ViewportSize = {"width": 1280, "height": 1000}
# Every capture's browser context is opened in this zone and locale, whatever the machine's, and
# its capture-info record names both: embeds print local times without a zone ("9:05 AM · Mar 4,
# 2024"), so the same post captured on two machines must show the same time, and say which.
TIMEZONE = "UTC"
LOCALE = "en-US"
MAX_SHOT_HEIGHT = 16384  # Chromium's texture limit: the viewport grows no taller for screenshots
# A full-page picture covers at most this much (width, height) of the page, from its top left.
# Chromium draws a 1280 x 100,000 px page here (measured); at 2,000,000 px it draws nothing.
MAX_FULL_PAGE = (16384, 65536)
MAX_FULL_PAGE_PIXELS = 1280 * 65536  # and this many pixels in all (16384 x 65536 fails: measured)
# "Network settled" = nothing in flight for this long. The last step of settling only: the page's
# load, its embeds' documents and the in-flight count reaching zero are waited for first, so the
# window only has to catch a script that starts one more request right after the others ended.
QUIET_MS = 200
PAINT_CEILING_MS = 2000  # at most this long for out-of-process iframes to paint a frame
_ELEMENT_SHOT_TIMEOUT_MS = 10_000
CUT_SCREENSHOT = "full-page screenshot:"  # how the error saying a page's picture was cut starts

# Scroll the page a screen at a time so lazy iframes (WordPress adds loading="lazy" to embeds) and
# lazy images start loading before the network-settle wait; then back to the top. Each screen is
# held for two rendered frames (requestAnimationFrame), no timer: Chromium's lazy loading and the
# page's own IntersectionObservers are computed in a frame's rendering step and delivered before
# the next one, so a load they start has begun when the scroll moves on.
_AUTOSCROLL_JS = """async (maxSteps) => {
  const rendered = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const height = () => Math.max(document.documentElement.scrollHeight,
                                document.body ? document.body.scrollHeight : 0);
  let steps = 0;
  while (window.scrollY + window.innerHeight < height() && steps < maxSteps) {
    const before = window.scrollY;
    window.scrollBy(0, window.innerHeight);
    if (window.scrollY === before) break;  // the page does not scroll (overflow hidden)
    steps++;
    await rendered();
  }
  if (steps) window.scrollTo(0, 0);
  return steps;
}"""
# Two rendered frames of one frame's document: after a resize, proof that it has painted.
_PAINTED_JS = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
_FONTS_JS = "() => document.fonts ? document.fonts.ready.then(() => true) : true"
Shots = list[tuple[ElementShot, bytes]]
Failure = (PlaywrightError, MeasureError)  # what reading a page can raise short of the browser dying

def reader(page: Page, recorder: TrafficRecorder) -> PageReader:
    """The page's reader (archiver.capture.isolated), one per capture, held by its recorder (and
    dropped with it: nothing of a capture outlives its tab): its isolated worlds are made once,
    the first time each frame is read, on the CDP sessions the recorder holds."""
    found = recorder.reader
    if not isinstance(found, PageReader) or found.page is not page:
        found = recorder.reader = PageReader(page, recorder)
    return found


async def refuse_websocket(ws: WebSocketRoute, errors: list[str]) -> None:
    """WebSockets are neither recorded nor replayable, and would be a channel the network policy
    cannot judge by what they carry: the page's socket is closed before it reaches any server."""
    errors.append(f"refused: {ws.url} (WebSockets are not opened)")
    try:
        await ws.close(code=1008, reason="refused by the archiver")
    except PlaywrightError:
        pass  # the page went away first


class OwnDownloads:
    """The page's own navigations that became downloads, told by the request that did.

    A main-frame navigation whose answer Chromium makes a download (a file to save: the server
    said `Content-Disposition: attachment`, or sent a type no page shows) fails with
    `net::ERR_ABORTED` after its answer came, and the browser announces a download of its address
    (with the fragment the navigation had, which its request has not). Each such request is paired
    with that download here, one with one (archiver.capture.tabs watches both); a download a page
    starts otherwise (an `<a download>` click, even of the page's own address; an iframe sent to a
    file) has no such request and is not the page's own."""

    def __init__(self) -> None:
        self.urls: list[str] = []  # the downloads' addresses, as the browser announced them
        self.requests: list[Request] = []  # the navigation requests that became them, in the same order
        self.aborted: list[Request] = []  # answered, then aborted: a download of theirs not seen yet
        self._downloads: list[str] = []  # downloads not paired yet
        self._wakeups = Wakeups()

    def navigation_aborted(self, request: Request) -> None:
        self.aborted.append(request)
        self._pair()

    def download(self, url: str) -> None:
        self._downloads.append(url)
        self._pair()

    def _pair(self) -> None:
        for url in list(self._downloads):
            request = next((r for r in self.aborted if _sans_fragment(r.url) == _sans_fragment(url)), None)
            if request is None:
                continue
            self._downloads.remove(url)
            self.aborted.remove(request)
            self.urls.append(url)
            self.requests.append(request)
            self._wakeups.wake()

    def of(self, first: Request) -> str | None:
        """The download the navigation begun by `first` became (`first` or the last of its
        redirects); None if it became none."""
        for url, request in zip(self.urls, self.requests, strict=True):
            if _first_of(request) is first:
                return url
        return None

    async def became(self, first: Request, within_s: float) -> str | None:
        """`of(first)`, waiting up to `within_s` for the navigation's abort and its download to
        be announced (a navigation answered that showed no document: the browser names them
        after its answer, in no set order)."""
        deadline = asyncio.get_running_loop().time() + within_s
        while (found := self.of(first)) is None:
            if not await self._wakeups.next(deadline):
                return None
        return found


def _sans_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _first_of(request: Request) -> Request:
    """The request that began `request`'s redirect chain."""
    while (before := request.redirected_from) is not None:
        request = before
    return request


async def load(page: Page, url: str, wait_for: str | None, timeout_ms: int, result: PageCapture,
               downloads: OwnDownloads | None = None, sight: PageReader | None = None) -> Loaded:
    """Navigate to `url` and wait for `load` (and `wait_for`); a load that never ends is an error
    in `result`, not an exception, unless the browser itself is gone.

    A document whose body is cut short after it began (a chunked answer whose connection closes
    mid-body: net::ERR_INCOMPLETE_CHUNKED_ENCODING) never gets its `load` event from Chromium (as
    measured): the wait ends when that failure comes, with what arrived on the page.

    A document can also end complete without a `load` event, which Playwright's wait then never
    sees (as measured: it waited out its whole timeout): one that stops its own loading
    (`window.stop()`), and one whose script sends the page to a file to save while it loads
    (`location.href` set to a `Content-Disposition: attachment` answer), a navigation that becomes
    a download, the page staying on the document it had. So the page's own document is asked,
    from when it committed, whether it is complete, and whether its load event came (the
    navigation timing says): complete without one ends the wait; once a download was seen (the
    tab names it, archiver.capture.tabs), complete at all does. A document the page is sent on
    to is asked anew.

    The page's document is asked in an isolated world (`sight`, the page's reader; one of its own
    when none is given), where no script of the page can answer for it or hold the answer back.

    An address that is itself a file to save never shows a document: the load's navigation became
    a download (`downloads` tells which did), and `result.file_to_save` names it. An address
    answered 204 or 205 shows none either, and is no download: Chromium stays on the tab's blank
    page.

    Returns whether the load's own navigation committed a document (a blank tab then is the
    page's doing, not a load that showed nothing), and whether the load ended on a document that
    stopped without its load event (a navigation the page starts next is its load going on:
    `Onward`)."""
    loop = asyncio.get_running_loop()
    cut: asyncio.Future[Request] = loop.create_future()
    downloaded: asyncio.Future[None] = loop.create_future()
    committed: asyncio.Future[None] = loop.create_future()  # the page's first document of this load
    first: list[Request] = []  # the request the load's navigation began with
    reached: list[Response] = []  # the answer of that navigation (or of its last redirect) came
    own = sight is None
    asker = PageReader(page, _NoSessions()) if sight is None else sight

    def on_request(request: Request) -> None:
        try:
            if not first and request.is_navigation_request() and request.frame is page.main_frame:
                first.append(request)
        except PlaywrightError:
            pass  # a worker's request, or a frame gone: not the page's navigation

    def on_response(response: Response) -> None:
        if (first and not reached and response.status not in _REDIRECTS
                and _first_of(response.request) is first[0]):
            reached.append(response)

    def on_navigated(frame: Frame) -> None:
        if frame is page.main_frame and not committed.done():
            committed.set_result(None)

    def on_failed(request: Request) -> None:
        try:
            if (not cut.done() and request.is_navigation_request() and request.frame is page.main_frame
                    and not (request.failure or "").startswith("net::ERR_ABORTED")):
                cut.set_result(request)
        except PlaywrightError:
            pass  # a frame already detached: no document of the page's

    def on_download(_download: object) -> None:
        if not downloaded.done():
            downloaded.set_result(None)

    async def complete() -> bool | None:
        """Whether the page's document, once complete, had its load event; None: not known."""
        await committed
        for _ in range(_LOAD_ASKS):
            try:
                return bool(await asker.evaluate(f"({_COMPLETE_JS})()", await_promise=True))
            except Failure:
                if not page.context.browser or not page.context.browser.is_connected():
                    return None
                # The question failed with its document: a script sent the page on; the next
                # document is asked, as Playwright's wait goes on too.
        return None

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("framenavigated", on_navigated)
    page.on("requestfailed", on_failed)
    page.on("download", on_download)
    going = asyncio.ensure_future(page.goto(url, wait_until="load", timeout=timeout_ms))
    asking: asyncio.Future[bool | None] = asyncio.ensure_future(complete())
    gave_up = False  # on Playwright's wait, once the page's own document was complete
    stopped = False  # the load ended on a document complete without its load event
    try:
        while not going.done() and not cut.done():
            waits: set[asyncio.Future[Any]] = {going, cut}
            waits |= {f for f in (downloaded, asking) if not f.done()}
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if going.done() or cut.done() or not asking.done():
                continue
            had_load = asking.result()
            if had_load is False or (had_load is True and downloaded.done()):
                gave_up = True  # Playwright's wait would see no load event (or none more)
                stopped = had_load is False
                break
            if had_load is None and downloaded.done():
                break  # not known: Playwright's wait says
        if gave_up:
            going.cancel()  # its status is the page's document's, read from what was recorded
            going.add_done_callback(_retrieved)
        elif not going.done() and cut.done() and (answered := await cut.result().response()) is not None:
            going.cancel()  # Chromium would let it wait out its timeout
            going.add_done_callback(_retrieved)
            result.status = answered.status
            result.errors.append(f"page load: the page's document was cut short ({cut.result().failure}): "
                                 "kept what arrived of it, its load event never came")
        else:
            response = await going
            if response is not None:
                result.status = response.status
    except PlaywrightError as e:
        if not page.context.browser or not page.context.browser.is_connected():
            raise
        saved = None
        if (downloads is not None and reached and not committed.done()
                and reached[0].status not in _NO_CONTENT
                and ("Download is starting" in str(e) or "net::ERR_ABORTED" in str(e))):
            # Answered, and no document shown: Chromium made the load's own navigation (the
            # address, or the last of its redirects) a download, the tab staying on its blank
            # page (Playwright's "Download is starting", or the navigation's abort when the browser
            # announced that first); the download is announced about now. (An answer 204 or 205
            # shows no document either, and is no download: not waited for.)
            saved = await downloads.became(first[0], _DOWNLOAD_ANNOUNCED_S)
        if saved is not None:
            result.file_to_save = saved
            result.errors.append(f"page load: {FILE_TO_SAVE}")
        else:
            # A load event that never comes (a hanging resource) still leaves a page worth keeping.
            result.errors.append(f"page load: {first_line(e)}")
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("response", on_response)
        page.remove_listener("framenavigated", on_navigated)
        page.remove_listener("requestfailed", on_failed)
        page.remove_listener("download", on_download)
        for waiting in (cut, downloaded, committed):
            if not waiting.done():
                waiting.cancel()
        for task in (going, asking):  # (going: the capture itself cancelled, its deadline, a signal)
            if not task.done():
                task.cancel()
                task.add_done_callback(_retrieved)
        if own:
            await asker.close()
    if wait_for:
        try:
            await page.wait_for_selector(wait_for, timeout=timeout_ms)
        except PlaywrightError as e:
            result.errors.append(f"waiting for {wait_for!r}: {first_line(e)}")
    return Loaded(committed.done() and not committed.cancelled(), stopped)


@dataclass(frozen=True)
class Loaded:
    """How `load` ended."""

    committed: bool  # the load's own navigation committed a document
    stopped: bool  # on a document complete without its load event (`window.stop()`)


class Onward:
    """The main-frame navigations the page starts after a load that ended on a stopped document
    (complete without its load event: `window.stop()`), until the load's timeout: such a page
    often sends itself on by script (`window.stop()`, then `location.replace(...)` on a timer),
    and the page it goes to is the one its address shows, as when a load event is waited for.
    Heard from its creation on; `follow` waits for the document the page went on to."""

    def __init__(self, page: Page, until: float) -> None:
        self.page = page
        self.until = until  # event loop time: the load's timeout
        self.commits = 0  # main-frame documents committed since
        self._handled = 0  # commits followed already
        self._going: set[Request] = set()  # main-frame navigations on their way
        self._changed = asyncio.Event()
        page.on("request", self._request)
        page.on("requestfailed", self._ended)
        page.on("framenavigated", self._navigated)

    def _request(self, request: Request) -> None:
        try:
            if request.is_navigation_request() and request.frame is self.page.main_frame:
                if request.redirected_from is not None:
                    self._going.discard(request.redirected_from)
                self._going.add(request)
                self._changed.set()
        except PlaywrightError:
            pass  # a frame gone: not the page's navigation

    def _ended(self, request: Request) -> None:
        if request in self._going:  # failed: aborted, a file to save, an answer 204
            self._going.discard(request)
            self._changed.set()

    def _navigated(self, frame: Frame) -> None:
        if frame is self.page.main_frame:
            self.commits += 1
            self._going.clear()
            self._changed.set()

    def pending(self) -> bool:
        """Whether the page went on (a navigation begun or committed) before the load's timeout."""
        return (bool(self._going) or self.commits > self._handled) and asyncio.get_running_loop().time() < self.until

    async def follow(self, sight: PageReader) -> None:
        """Wait, until the load's timeout, for the document the page went on to: committed, then
        complete (asked in the isolated world; asked anew on each newer commit). A navigation
        that commits nothing (a file to save, an answer 204) ends the wait."""
        loop = asyncio.get_running_loop()
        while (left := self.until - loop.time()) > 0:
            self._changed.clear()
            if self.commits == self._handled:
                if not self._going:
                    return  # it committed nothing
                await within(self._changed.wait(), left, None)
                continue
            seen = self.commits
            try:
                await within(sight.evaluate(f"({_COMPLETE_JS})()", await_promise=True), left, None)
            except Failure:
                continue  # its document replaced: the next is asked
            if self.commits == seen:
                self._handled = seen
                if not self._going:
                    return

    def close(self) -> None:
        for event, handler in (("request", self._request), ("requestfailed", self._ended),
                               ("framenavigated", self._navigated)):
            self.page.remove_listener(event, handler)


FILE_TO_SAVE = ("the address is a file to save, not a page to show (its answer is one a browser downloads instead "
                "of showing: Content-Disposition: attachment, or a type no page is): no screenshot")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NO_CONTENT = frozenset({204, 205})  # answers a browser neither shows nor downloads: the tab stays as it was
_DOWNLOAD_ANNOUNCED_S = 5.0  # at most this long for the download a load's navigation became to be announced


# Whether the page's document, once complete, had its load event: answered at once when it is
# complete; else when it becomes so, a task later (Chromium dispatches `load`, when it does, in
# the task that makes the document complete; one stopped, by `window.stop()` or by a navigation
# that became a download, gets none). A document without navigation timing counts as loaded.
# Asked in an isolated world: `document`, `performance` and `MessageChannel` there are the
# browser's own, whatever the page's scripts redefine in theirs.
_COMPLETE_JS = """() => new Promise((resolve) => {
  const loaded = () => {
    const n = performance.getEntriesByType('navigation')[0];
    return !n || n.loadEventStart > 0;
  };
  if (document.readyState === 'complete') return resolve(loaded());
  document.addEventListener('readystatechange', () => {
    if (document.readyState !== 'complete') return;
    const next = new MessageChannel();
    next.port1.onmessage = () => resolve(loaded());
    next.port2.postMessage(null);
  });
})"""
_LOAD_ASKS = 20  # documents asked at most (each one the page is sent on to is asked anew)


def _retrieved(task: asyncio.Future[Any]) -> None:
    """Done callback of a task given up on: its outcome is read, so that none is reported as lost."""
    if not task.cancelled():
        task.exception()


async def settle(page: Page, recorder: TrafficRecorder, settle_ms: int, result: PageCapture,
                 selectors: Sequence[str] = ()) -> None:
    """Wait until the page is ready, at most `settle_ms`: lazy content started (one scroll through
    the page, a rendered frame per screen), nothing in flight, the embeds (the elements `selectors`
    match) loaded with their fonts, and last a short quiet window."""
    deadline = time.monotonic() + settle_ms / 1000

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    try:
        await within(reader(page, recorder).autoscroll(_AUTOSCROLL_JS, 40), left(), 0)
    except Failure as e:
        result.errors.append(f"scrolling: {first_line(e)}")
    await recorder.wait_idle(0, max_ms=int(left() * 1000))
    await within(_embeds_ready(page, selectors), left(), None)
    await recorder.wait_idle(QUIET_MS, max_ms=max(int(left() * 1000), QUIET_MS))


# What a selector may hold and still be one item of a CSS selector list that Playwright reads as CSS
# whole: no `>>` chain (it would take the whole list as its first part), no engine prefix (`text=`,
# `xpath=`, `id=`...) or XPath or quoted text at its start (it would take the rest of the list), no
# comment or escape (either can run on into the next item).
_NOT_IN_A_LIST = re.compile(r'>>|/\*|\\|^\s*(?:[\w:-]+\s*=|/|\.\.|["\'])')


def css_list(selectors: Sequence[str]) -> str | None:
    """The selectors as one CSS selector list, or None when there are none or one of them could
    change what the others mean in a list (then each is asked on its own)."""
    if not selectors or any(not s.strip() or _NOT_IN_A_LIST.search(s) for s in selectors):
        return None
    return ", ".join(selectors)


async def _embeds_ready(page: Page, selectors: Sequence[str]) -> None:
    """Each iframe the selectors match has fired `load`; the page's and those frames' fonts are ready.

    The iframes' own traffic is the recorder's to wait for; this is what no request tells: a
    document whose subresources are in but whose `load` handlers (which render many embeds) have
    not run yet, and web fonts still being applied."""
    handles: list[ElementHandle] = []
    joined = css_list(selectors)
    try:
        # One question for all the selectors (each is a round trip to the page, which a busy
        # machine makes long), when they make one CSS list that means what each of them does.
        handles = await page.query_selector_all(joined) if joined is not None else []
    except PlaywrightError:
        joined = None
    if joined is None:
        for selector in selectors:  # a bad selector, reported with the element screenshots, costs its own matches only
            try:
                handles += await page.query_selector_all(selector)
            except PlaywrightError:
                continue

    async def owned(handle: ElementHandle) -> Frame | None:
        try:
            return await handle.content_frame()
        except PlaywrightError:
            return None

    frames: list[Frame] = [page.main_frame]
    for frame in await asyncio.gather(*(owned(handle) for handle in handles)):
        if frame is not None and frame not in frames:
            frames.append(frame)

    async def ready(frame: Frame) -> None:
        try:
            if frame is not page.main_frame:
                await frame.wait_for_load_state("load")
            await frame.evaluate(_FONTS_JS)
        except PlaywrightError as e:
            log.debug("frame %s not ready: %s", frame.url, first_line(e))  # detached or navigating

    # All asked at once: the frames load and apply their fonts in parallel, many in processes of their own.
    await asyncio.gather(*(ready(frame) for frame in frames))


async def screenshots(page: Page, recorder: TrafficRecorder, screenshot_path: Path | None,
                      selectors: Sequence[str], element_dir: Path | None, settle_ms: int,
                      result: PageCapture, clock: CaptureClock,
                      own_downloads: Sequence[str] = ()) -> tuple[bytes | None, Shots]:
    """The full page and each selected element; then wait for what they set loading.

    A page whose document stopped before its `<body>` is never drawn (`_never_drawn`): it gets no
    pictures, and its errors say why, instead of each screenshot waiting out its timeout for a
    frame. `own_downloads`: the addresses the page's own navigation went to that became downloads
    (archiver.capture.pagesteps.OwnDownloads), which is how most such pages came to stop."""
    if await _never_drawn(reader(page, recorder), clock):
        why = ("the page draws no frames: its document stopped before its <body> (Chromium draws a page from its "
               "<body> on)")
        if own_downloads:
            why = (f"the page draws no frames: its own navigation became a download ({own_downloads[0]}) before it "
                   "drew its first, and Chromium stopped reading it then")
        result.errors.append(f"full-page screenshot: not taken: {why}" if screenshot_path is not None
                             else f"no screenshots: {why}")
        if screenshot_path is not None and selectors:
            result.errors.append("element screenshots: not taken: the page draws no frames")
        return None, []
    started = recorder.requests_started
    grown = await _show_oopifs(page, recorder, result, clock, paint_shown=bool(selectors))
    try:
        sight = reader(page, recorder)
        full_png = await _full_screenshot(page, sight, result, clock) if screenshot_path is not None else None
        prefix = f"{screenshot_path.stem}-" if screenshot_path is not None else ""
        shots = await _element_shots(sight, selectors, element_dir, prefix, result, clock, full_png)
    finally:
        if grown:
            try:
                # Bounded: a page that stopped answering (the capture's deadline cutting this step)
                # would never answer this either.
                async with asyncio.timeout(2):
                    await page.set_viewport_size(VIEWPORT)
            except (PlaywrightError, TimeoutError):
                pass
    # Screenshots resize and scroll the page: lazy content may have started loading.
    if recorder.requests_started != started or not recorder.idle():
        await recorder.wait_idle(QUIET_MS, max_ms=clock.cap(max(settle_ms, QUIET_MS)))
    result.errors.extend(f"still loading when the page closed: {u}" for u in recorder.inflight_urls())
    return full_png, shots


# A document whose parser stopped before its <body>: complete, an HTML document, and no body.
# (An SVG or XML document has no body, and is drawn.)
_BODYLESS_JS = ("document.readyState === 'complete' && document.body === null && document.documentElement !== null"
                " && document.documentElement.namespaceURI === 'http://www.w3.org/1999/xhtml'")
# A rendered frame: asked in the isolated world, so that no page script can answer it or hold it.
_DRAWN_JS = "new Promise((r) => requestAnimationFrame(() => r(true)))"


async def _never_drawn(sight: PageReader, clock: CaptureClock) -> bool:
    """Whether the page is one Chromium never draws: its document stopped before its `<body>`
    (and no frame of it is rendered within PAINT_CEILING_MS, to confirm it).

    Chromium begins rendering a document when the parser inserts its `<body>` (Blink's
    `Document::WillInsertBody` begins its lifecycle updates). A document whose parser stops in
    its `<head>` (a script there calling `window.stop()`, or sending the page to a file to save:
    the document is stopped as its navigation begins, and the navigation becomes a download)
    stays complete and without a body, and no frame of it is ever drawn: `requestAnimationFrame`
    never calls back and `Page.captureScreenshot` never answers (as measured). Decided by that
    structure, read in the isolated world, not by time: a page that is merely slow to draw (its
    scripts busy, the machine too) has its body, and is pictured; a question left unanswered
    (a page too busy to answer it) leaves the screenshots to say what fails, as before."""
    try:
        bodyless = await within(sight.evaluate(_BODYLESS_JS), clock.cap(PAINT_CEILING_MS) / 1000, None)
        if bodyless is not True:
            return False
        return not await within(sight.evaluate(_DRAWN_JS, await_promise=True),
                                clock.cap(PAINT_CEILING_MS) / 1000, False)
    except Failure as e:
        log.debug("whether the page is drawn not known: %s", first_line(e))
        return False  # the screenshots say what fails


async def _show_oopifs(page: Page, recorder: TrafficRecorder, result: PageCapture, clock: CaptureClock, *,
                       paint_shown: bool = False) -> bool:
    """Grow the viewport to the page's height when an out-of-process iframe lies below the first
    screen, and wait until each such iframe has rendered at the new size; True if it grew.

    Cross-origin iframes outside the viewport are not painted into a full-page screenshot (they
    render in another process, only when visible). Element screenshots are taken in the grown
    viewport too: every embed is then painted already, and none needs scrolling into view.

    `paint_shown` (a capture whose elements are pictured: a post's embed): when nothing grew, wait
    too until each out-of-process iframe on the first screen has rendered since now. Such a frame
    may have just been given its size (an embed telling its parent its height as it draws), and a
    picture taken before its process paints at that size shows its box empty (seen on a loaded
    machine: the deleted tweet's embed pictured white)."""
    try:
        (_width, height), (_x, scrolled) = await reader(page, recorder).layout()
        placed = await _oopif_boxes(page, recorder, scrolled) if height > VIEWPORT["height"] or paint_shown else []
        below = [frame for frame, _top, bottom in placed if bottom > VIEWPORT["height"]] \
            if height > VIEWPORT["height"] else []
        if not below:
            shown = [frame for frame, top, bottom in placed if bottom > max(top, 0) and top < VIEWPORT["height"]]
            if shown:
                await within(_painted(shown), clock.cap(PAINT_CEILING_MS) / 1000, None)
            return False
        await page.set_viewport_size({"width": VIEWPORT["width"], "height": min(height, MAX_SHOT_HEIGHT)})
    except Failure as e:
        result.errors.append(f"growing the viewport for screenshots: {first_line(e)}")
        return False
    await within(_painted([page.main_frame, *below]), clock.cap(PAINT_CEILING_MS) / 1000, None)
    return True


async def _full_screenshot(page: Page, sight: PageReader, result: PageCapture, clock: CaptureClock) -> bytes | None:
    """The whole page, or its top left corner of at most MAX_FULL_PAGE pixels a side (a page
    millions of pixels tall gets no picture at all from Chromium, which then also crashes a
    process); a cut or missing picture is named."""
    try:
        (width, height), _scrolled = await sight.layout()
        cut_width = min(width, MAX_FULL_PAGE[0])
        cut_height = min(height, MAX_FULL_PAGE[1], MAX_FULL_PAGE_PIXELS // max(cut_width, 1))
        if (cut_width, cut_height) == (width, height):
            return await page.screenshot(full_page=True, type="png", timeout=clock.ms())
        result.errors.append(f"{CUT_SCREENSHOT} the page is {width}x{height} px; its picture is cut at "
                             f"{cut_width}x{cut_height} px")
        # Playwright draws a full page at its whole size before cutting, which is what fails:
        # Chromium is asked for the corner alone, drawn beyond the viewport (on the page's CDP
        # session the reader already holds).
        session = await sight.session()
        async with asyncio.timeout(clock.ms() / 1000):
            shot = await session.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": cut_width, "height": cut_height, "scale": 1}})
        return base64.b64decode(shot["data"])
    except (*Failure, TimeoutError) as e:
        result.errors.append(f"full-page screenshot: {first_line(e)}")
        log.warning("%s: no full-page screenshot: %s", page.url, first_line(e))
        return None


async def _oopif_boxes(page: Page, recorder: TrafficRecorder, scrolled: float) -> list[tuple[Frame, float, float]]:
    """Each out-of-process iframe with the top and bottom of its top-level iframe element (for one
    nested in another) in the page's first screen's terms, the page being scrolled down by
    `scrolled`; an iframe with no box (not displayed) is left out.

    Found by the protocol alone: the iframe element is the frame's owner (DOM.getFrameOwner) and
    its box the browser's (DOM.getBoxModel), as Playwright's frame_element() and bounding_box()
    give them."""

    async def place(frame: Frame) -> tuple[Frame, float, float] | None:
        outer = frame
        while outer.parent_frame is not None and outer.parent_frame is not page.main_frame:
            outer = outer.parent_frame
        try:
            box = await (await outer.frame_element()).bounding_box()
        except PlaywrightError:
            return None  # detached meanwhile
        if box is None:
            return None
        return frame, box["y"] + scrolled, box["y"] + box["height"] + scrolled

    # All asked at once: each is two round trips to the browser, which a busy machine makes long.
    placed = await asyncio.gather(*(place(frame) for frame in recorder.oopif_frames if not frame.is_detached()))
    return [one for one in placed if one is not None]


async def _painted(frames: Sequence[Frame]) -> None:
    """Each frame has rendered two frames since now (all asked at once: they paint in parallel)."""
    async def one(frame: Frame) -> None:
        try:
            await frame.evaluate(_PAINTED_JS)
        except PlaywrightError as e:
            log.debug("frame %s did not report painting: %s", frame.url, first_line(e))
    await asyncio.gather(*(one(f) for f in frames))


@dataclass
class _Taken:
    """One element as taken: its picture (shot on its own, or cut out of the full-page one, where
    `rect` says), its text, and its box's size in CSS pixels."""

    element: Found
    text: str = ""
    png: bytes | None = None
    frame_url: str | None = None
    dims: tuple[float, float] | None = None
    rect: Rect | None = None  # where to cut it out of the full-page picture (None: shot on its own)

    @property
    def selector(self) -> str:
        return self.element.selector

    @property
    def index(self) -> int:
        return self.element.index

    async def shoot_alone(self, sight: PageReader, clock: CaptureClock, result: PageCapture) -> bool:
        """The element's own screenshot, its box's size and (not showing a frame) its text read
        with it; False, the failure named in `result`, when it could not be taken."""
        ceiling = clock.cap(_ELEMENT_SHOT_TIMEOUT_MS)
        try:
            async with asyncio.timeout(ceiling / 1000):
                self.png, self.dims, text = await sight.shoot(self.element)
        except TimeoutError:
            result.errors.append(f"element screenshot {self.selector!r}[{self.index}]: not taken within {ceiling} ms")
            return False
        except Failure as e:
            result.errors.append(f"element screenshot {self.selector!r}[{self.index}]: {first_line(e)}")
            return False
        if self.element.frame_id is None:
            self.text = text
        return True


async def _element_shots(sight: PageReader, selectors: Sequence[str], element_dir: Path | None,
                         prefix: str, result: PageCapture, clock: CaptureClock,
                         full_png: bytes | None = None) -> Shots:
    """Each element matched by any selector, once (an iframe two selectors match is one element,
    one shot, under the first selector that matched it); files are named after the page
    screenshot so that a re-capture into the same directory never overwrites an earlier
    capture's files. Each shot keeps the element's text as read when it was taken.

    With the full-page screenshot at hand, an element it shows whole is cut out of it
    (archiver.capture.crops): the picture is the page as that screenshot caught it, and the
    element's text is read right after. Any other element is shot on its own.

    Which element is which is the browser's node identity, and boxes, scale and texts are read in
    an isolated world (archiver.capture.isolated): nothing the page's scripts replace in its own
    world moves a cut, doubles or drops a shot, or changes the text recorded.
    """
    found: list[Found] = []
    seen: set[int] = set()
    try:
        answers = await sight.find(selectors)
    except Failure:
        try:  # once more: the page may have replaced its document while its elements were read
            answers = await sight.find(selectors)
        except Failure as e:
            result.errors.extend(f"selector {selector!r}: {first_line(e)}" for selector in selectors)
            return []
    for selector, matched in zip(selectors, answers, strict=True):
        if isinstance(matched, str):
            result.errors.append(f"selector {selector!r}: {matched}")
            continue
        for element in matched:
            if element.node not in seen:  # else already shot under an earlier selector
                seen.add(element.node)
                found.append(element)
    if not found:
        return []
    try:
        scale, measured = await sight.measure(found)
    except Failure as e:
        result.errors.append(f"element screenshots: {first_line(e)}")
        return []
    size = png_dimensions(full_png) if full_png is not None and scale > 0 else None
    taken: list[_Taken] = []
    for element, where in zip(found, measured, strict=True):
        if clock.passed():
            result.errors.append(f"element screenshot {element.selector!r}[{element.index}] and later ones: "
                                 "not taken, the capture deadline passed")
            break
        one = _Taken(element, text=where.text)
        if size is not None and where.box is not None:
            one.rect = rect_in(where.box, scale, size, MAX_SHOT_HEIGHT)
        if one.rect is None:
            if not await one.shoot_alone(sight, clock, result):
                continue
        elif where.box is not None:
            one.dims = (where.box[2], where.box[3])
        taken.append(one)
    return await _cut_out(sight, taken, full_png, element_dir, prefix, scale, result, clock)


async def _cut_out(sight: PageReader, taken: list[_Taken], full_png: bytes | None, element_dir: Path | None,
                   prefix: str, scale: float, result: PageCapture, clock: CaptureClock) -> Shots:
    """The shots in the order taken, those with a `rect` cut out of the full-page picture (in a
    thread: the event loop drives other pages meanwhile), each iframe's with its document's
    address and text read right after. Should the cutting fail, those elements are shot on their
    own after all."""
    to_cut = [one for one in taken if one.rect is not None and one.png is None]
    if to_cut and full_png is not None:
        try:
            pictures = await asyncio.to_thread(cut, full_png, [one.rect for one in to_cut if one.rect])
        except Exception as e:  # Pillow refusing Chromium's picture must not cost the shots
            log.warning("element pictures not cut out of the page's screenshot, shooting them one by one: %s", e)
            pictures = []
        for one, picture in zip(to_cut, pictures, strict=False):
            one.png = picture
        for one in to_cut[len(pictures):]:
            await one.shoot_alone(sight, clock, result)
    kept = [one for one in taken if one.png is not None]  # else neither cut out nor shot (named in `errors`)
    try:
        contents = await sight.frame_contents(one.element.frame_id for one in kept if one.element.frame_id)
    except Failure as e:
        log.debug("frames of the element shots not read: %s", first_line(e))
        contents = {}
    shots: Shots = []
    for one in kept:
        assert one.png is not None
        if one.element.frame_id is not None:
            one.frame_url, one.text = contents.get(one.element.frame_id, (None, ""))
        path = None
        if element_dir is not None:
            path = element_dir / f"{prefix}element-{len(shots):02d}.png"
        box = (round(one.dims[0], 2), round(one.dims[1], 2)) if one.dims else None
        shots.append((ElementShot(one.selector, one.index, path, sha256(one.png), None, one.frame_url, one.text,
                                  box, scale), one.png))
    return shots


async def describe(page: Page, result: PageCapture, recorder: TrafficRecorder | None = None) -> None:
    """Final URL, title, DOM and every frame's text, read before the page closes (each frame's text
    in an isolated world of its own; a frame that cannot be read is left out)."""
    result.final_url = page.url
    try:
        result.title = await page.title() or None
        result.html = await page.content()
    except PlaywrightError as e:
        result.errors.append(f"reading the page: {first_line(e)}")
    sight = reader(page, recorder) if recorder is not None else PageReader(page, _NoSessions())
    try:
        frames = await sight.frames()
    except Failure as e:
        result.errors.append(f"reading the page's frames: {first_line(e)}")
        frames = []
    finally:
        if recorder is None:
            await sight.close()
    result.frames.extend(FrameInfo(url=f.url, name=f.name, text=f.text) for f in _in_page_order(page, frames))
    wall = login_wall_for(result.final_url)
    if wall is None:
        return  # no platform's login wall is shown on this host
    main_text = result.frames[0].text if result.frames else ""
    try:
        has_post = await page.locator(wall.post_selector).count() > 0
    except PlaywrightError:
        has_post = False
    result.login_wall = wall.detect(result.final_url, main_text, has_post)


def _in_page_order(page: Page, frames: Sequence[FrameRead]) -> list[FrameRead]:
    """`frames` (read session by session: the page's own process first, then each out-of-process
    iframe's) in the order Playwright lists `page.frames` (the order they attached): each frame
    matched by its address and name; any left unmatched follow, as read."""
    left = list(frames)
    ordered: list[FrameRead] = []
    for frame in page.frames:
        try:
            url, name = frame.url, frame.name
        except PlaywrightError:
            continue
        match = next((f for f in left if f.url == url and f.name == name), None)
        if match is not None:
            left.remove(match)
            ordered.append(match)
    return ordered + left


class _NoSessions:
    """No recorder's sessions: the page's own is opened by the reader, out-of-process iframes are not read."""

    page_session = None
    frame_sessions: tuple[()] = ()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_http(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
