"""One Chromium per run, a fresh recorded context per capture, screenshots and provenance into WARC.

Library code: no CLI imports. Network settings (host mapping, CA trust, proxy) come from
`archiver.net.NetOptions.chromium_launch()`; this module adds only what capturing needs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, ViewportSize, WebSocketRoute, sync_playwright

from archiver import __version__, watchdog
from archiver.capture.chromium import CHROMIUM_SERVICE_HOSTS as CHROMIUM_SERVICE_HOSTS  # re-exported
from archiver.capture.chromium import NO_CHROMIUM, find_chromium, without_service_hosts
from archiver.capture.deadline import CaptureClock, DeadlinePassed, finish_quickly
from archiver.capture.gate import Gate
from archiver.capture.recorder import (
    Recorded,
    TrafficRecorder,
    page_document,
    redirect_chain,
)
from archiver.capture.types import RecordInfo
from archiver.errors import BrowserError
from archiver.limits import DEFAULT_CAPTURE_DEADLINE, seconds
from archiver.modes import make_dirs, write_file

from ..resource import Closing

if TYPE_CHECKING:
    from archiver.net import NetOptions
    from archiver.warcstore.batch import Batch

log = logging.getLogger(__name__)

VIEWPORT: ViewportSize = {"width": 1280, "height": 1000}
MAX_SHOT_HEIGHT = 16384  # Chromium's texture limit; taller pages are cut there
OOPIF_PAINT_MS = 400  # time for out-of-process iframes to paint after the viewport grows
QUIET_MS = 500  # "network settled" = nothing in flight for this long
_ELEMENT_SHOT_TIMEOUT_MS = 10_000

# Scroll the page a screen at a time so lazy iframes (WordPress adds loading="lazy" to embeds)
# and lazy images start loading before the network-settle wait; then back to the top.
_AUTOSCROLL_JS = """async (maxSteps) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const height = () => Math.max(document.documentElement.scrollHeight,
                                document.body ? document.body.scrollHeight : 0);
  let steps = 0;
  while (window.scrollY + window.innerHeight < height() && steps < maxSteps) {
    window.scrollBy(0, window.innerHeight);
    steps++;
    await sleep(50);
  }
  window.scrollTo(0, 0);
  return steps;
}"""
_BODY_TEXT_JS = "() => document.body ? document.body.innerText : ''"
_ANY_URL = re.compile(r".*")


@dataclass
class FrameInfo:
    """One frame of the captured page (the main frame first) and its visible text."""

    url: str
    name: str
    text: str


@dataclass
class ElementShot:
    """A screenshot of one element matched by one of the requested selectors."""

    selector: str
    index: int  # position among this selector's matches
    path: Path | None
    sha256: str
    record: RecordInfo | None
    frame_url: str | None  # for an iframe: the URL of the document it shows
    text: str  # the iframe's body text, or the element's own text


@dataclass
class PageCapture:
    """Everything one capture produced: files, WARC records, the rendered text, and problems."""

    url: str
    final_url: str
    status: int | None
    title: str | None
    page_record_id: str | None  # record id of the main document's response record
    screenshot: Path | None = None
    screenshot_sha256: str | None = None
    screenshot_record: RecordInfo | None = None
    elements: list[ElementShot] = field(default_factory=list)
    html: str | None = None  # final DOM (page.content())
    frames: list[FrameInfo] = field(default_factory=list)
    records: list[RecordInfo] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Seconds: load, settle, screenshots, collect (DOM, frame texts, bodies), write, total.
    timings: dict[str, float] = field(default_factory=dict)
    login_wall: bool = False


_X_HOSTS = ("x.com", "twitter.com")
_LOGIN_PATHS = ("/i/flow/login", "/login", "/i/flow/signup")


def detect_login_wall(final_url: str, text: str, has_post: bool) -> bool:
    """Heuristic: an x.com/twitter.com page that asks to log in instead of showing the post.

    Logged-out x.com pages can show a post with a "Log in / Sign up" bar under it: that is not a
    wall, so the words count only when no post (`article[data-testid=tweet]`) is on the page.
    """
    parts = urlsplit(final_url)
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "mobile.", "m."):
        host = host.removeprefix(prefix)
    if host not in _X_HOSTS:
        return False
    if any(parts.path.startswith(p) for p in _LOGIN_PATHS):
        return True
    low = text.lower()
    asks = ("log in" in low or "sign in" in low) and "sign up" in low
    return asks and not has_post


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Browser(Closing):
    """One Chromium for a whole run; `capture()` records one page in a fresh context.

    Playwright's sync API binds the browser to the thread that started it: capture from that
    thread only (for parallel captures, one Browser per worker thread or process).
    """

    def __init__(self, net: NetOptions, *, workdir: Path, timeout: float = 30.0,
                 headless: bool = True, capture_deadline: float | None = DEFAULT_CAPTURE_DEADLINE,
                 max_body: int | None = None, max_capture_bytes: int | None = None) -> None:
        self.net = net
        self.workdir = Path(workdir)
        self.timeout = timeout
        # One capture ends at its deadline whatever the page does; bodies are capped (bytes).
        self.capture_deadline = capture_deadline
        self.max_body = max_body
        self.max_capture_bytes = max_capture_bytes
        # Every connection of the browser goes through the gate, which applies the network policy.
        self.gate = Gate(net, connect_timeout=timeout)
        try:
            before = watchdog.children()
            with watchdog.driver_in_own_session(self.workdir):  # a Ctrl-C meant for us must not close it
                self._pw = sync_playwright().start()
        except BaseException:
            self.gate.close()
            raise
        # Kills the driver and Chromium if this process dies without closing them (kill -9).
        self._watchdog = watchdog.guard(before)
        try:
            executable = find_chromium(self._pw)
            if executable is None:
                explicit = os.environ.get("ARCHIVER_CHROMIUM")
                prefix = f"ARCHIVER_CHROMIUM={explicit} is not an executable file; " if explicit else ""
                raise BrowserError(prefix + NO_CHROMIUM)
            self.executable = executable
            make_dirs(self.workdir)
            kwargs: dict[str, Any] = dict(net.chromium_launch(self.workdir, gate_args=self.gate.chromium_args()))
            kwargs["args"] = without_service_hosts(list(kwargs.get("args") or []))
            kwargs.update(executable_path=executable, headless=headless,
                          timeout=timeout * 1000)
            try:
                self._browser = self._pw.chromium.launch(**kwargs)
            except PlaywrightError as e:
                raise BrowserError(f"Chromium at {executable} did not start: {_first_line(e)}") from e
            if self._watchdog is not None:
                self._watchdog.look()  # Chromium's processes are ours now too
            version = self._browser.new_browser_cdp_session().send("Browser.getVersion")
        except BaseException:
            self._pw.stop()
            self.gate.close()
            if self._watchdog is not None:
                self._watchdog.close()
            raise
        self.browser_version: str = self._browser.version
        # Headless Chromium announces itself as "HeadlessChrome", which many sites answer with a
        # bot wall; send the ordinary browser's agent instead and record exactly what was sent.
        self.user_agent: str = str(version.get("userAgent", "")).replace("HeadlessChrome", "Chrome")
        log.info("Chromium %s at %s", self.browser_version, executable)


    def close(self) -> None:
        try:
            self._browser.close()
        except PlaywrightError:
            pass  # already gone (crashed or closed)
        finally:
            try:
                self._pw.stop()
            finally:
                self.gate.close()
                if self._watchdog is not None:
                    self._watchdog.close()

    # ------------------------------------------------------------------------------------------

    def capture(self, url: str, batch: Batch, *, screenshot_path: Path | None,
                element_selectors: Sequence[str] = (), element_dir: Path | None = None,
                settle_ms: int = 1500, wait_for: str | None = None) -> PageCapture:
        """Load `url`, record its traffic and screenshots into `batch`; problems go to `errors`.

        A page that fails to load still yields a PageCapture (status None, errors filled) with
        whatever was recorded; only a dead browser raises BrowserError. At the capture deadline
        the steps stop: what was complete is kept and written, and `errors` says so.
        """
        start = time.monotonic()
        result = PageCapture(url=url, final_url=url, status=None, title=None, page_record_id=None)
        clock = CaptureClock(start, self.capture_deadline, self.timeout)
        timeout_ms = clock.ms()
        try:
            context = self._browser.new_context(service_workers="block", user_agent=self.user_agent,
                                                viewport=VIEWPORT, locale="en-US")
        except PlaywrightError as e:
            raise BrowserError(f"Chromium cannot open a new context: {_first_line(e)}") from e
        context.set_default_timeout(timeout_ms)
        shots: list[tuple[ElementShot, bytes]] = []
        full_png: bytes | None = None
        recorder: TrafficRecorder | None = None
        recorded: list[Recorded] = []
        try:
            page = context.new_page()
            context.route_web_socket(_ANY_URL, lambda ws: self._refuse_websocket(ws, result))
            recorder = TrafficRecorder(context, page, max_body=self.max_body, max_total=self.max_capture_bytes,
                                       refusal=self.gate.refusal)
            t = time.monotonic()
            self._load(page, url, wait_for, clock.ms(), result)
            result.timings["load"] = time.monotonic() - t

            t = time.monotonic()
            clock.check("settling")
            self._settle(page, recorder, clock.cap(settle_ms), result)
            result.timings["settle"] = time.monotonic() - t

            t = time.monotonic()
            clock.check("screenshots")
            if page.url.startswith("chrome-error://"):
                # Chromium's own "site can't be reached" page is not a view of the URL.
                result.errors.append("no screenshots: the page did not load")
            else:
                full_png, shots = self._screenshots(page, recorder, screenshot_path, element_selectors,
                                                    element_dir, settle_ms, result, clock)
            result.timings["screenshots"] = time.monotonic() - t

            t = time.monotonic()
            clock.check("reading the page")
            self._describe(page, result)
            recorded = recorder.finish()
            result.timings["collect"] = time.monotonic() - t
        except DeadlinePassed as e:
            assert self.capture_deadline is not None
            msg = (f"capture stopped at its {seconds(self.capture_deadline)} deadline before {e}; "
                   "kept what was complete (raise --capture-deadline to wait longer)")
            log.warning("%s: %s", url, msg)
            result.errors.append(msg)
            if recorder is not None:
                recorded = finish_quickly(recorder, result.errors)
        except PlaywrightError as e:
            if not self._browser.is_connected():
                raise BrowserError(f"Chromium exited while capturing {url}: {_first_line(e)}") from e
            result.errors.append(f"capture interrupted: {_first_line(e)}")
            if recorder is not None:
                recorded = recorder.recorded  # what was complete before the interruption
        finally:
            if recorder is not None:
                recorder.close()
                result.errors[:0] = recorder.errors
            try:
                context.close()
            except PlaywrightError:
                pass  # the browser is gone; reported above

        t = time.monotonic()
        self._write(result, recorded, batch, full_png, screenshot_path, shots)
        result.timings["write"] = time.monotonic() - t
        # Also counts what no phase covers: a new context, closing it.
        result.timings["total"] = time.monotonic() - start
        return result

    # -- steps --------------------------------------------------------------------------------

    @staticmethod
    def _refuse_websocket(ws: WebSocketRoute, result: PageCapture) -> None:
        """WebSockets are neither recorded nor replayable, and would be a channel the network policy
        cannot judge by what they carry: the page's socket is closed before it reaches any server."""
        result.errors.append(f"refused: {ws.url} (WebSockets are not opened)")
        try:
            ws.close(code=1008, reason="refused by the archiver")
        except PlaywrightError:
            pass  # the page went away first

    def _load(self, page: Page, url: str, wait_for: str | None, timeout_ms: int,
              result: PageCapture) -> None:
        try:
            response = page.goto(url, wait_until="load", timeout=timeout_ms)
            if response is not None:
                result.status = response.status
        except PlaywrightError as e:
            if not self._browser.is_connected():
                raise
            # A load event that never comes (a hanging resource) still leaves a page worth keeping.
            result.errors.append(f"page load: {_first_line(e)}")
        if wait_for:
            try:
                page.wait_for_selector(wait_for, timeout=timeout_ms)
            except PlaywrightError as e:
                result.errors.append(f"waiting for {wait_for!r}: {_first_line(e)}")

    def _settle(self, page: Page, recorder: TrafficRecorder, settle_ms: int,
                result: PageCapture) -> None:
        deadline = time.monotonic() + settle_ms / 1000
        try:
            page.evaluate(_AUTOSCROLL_JS, 40)
        except PlaywrightError as e:
            result.errors.append(f"scrolling: {_first_line(e)}")
        remaining = max(0, int((deadline - time.monotonic()) * 1000))
        recorder.wait_idle(QUIET_MS, max_ms=max(remaining, QUIET_MS))

    def _screenshots(self, page: Page, recorder: TrafficRecorder, screenshot_path: Path | None,
                     selectors: Sequence[str], element_dir: Path | None, settle_ms: int,
                     result: PageCapture, clock: CaptureClock) -> tuple[bytes | None, list[tuple[ElementShot, bytes]]]:
        """The full page and each selected element; then wait for what they set loading."""
        started = recorder.requests_started
        full_png = self._full_screenshot(page, result, clock) if screenshot_path is not None else None
        prefix = f"{screenshot_path.stem}-" if screenshot_path is not None else ""
        shots = self._element_shots(page, selectors, element_dir, prefix, result, clock)
        # Screenshots resize and scroll the page: lazy content may have started loading.
        if recorder.requests_started != started or recorder.inflight_urls():
            recorder.wait_idle(QUIET_MS, max_ms=clock.cap(max(settle_ms, QUIET_MS)))
        result.errors.extend(f"still loading when the page closed: {u}" for u in recorder.inflight_urls())
        return full_png, shots

    def _full_screenshot(self, page: Page, result: PageCapture, clock: CaptureClock) -> bytes | None:
        # Cross-origin iframes outside the viewport are not painted into a full-page screenshot
        # (they render in another process, only when visible): grow the viewport to the page's
        # height first, so embeds further down appear, then put it back.
        grown = False
        try:
            height = int(page.evaluate("Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"))
            if height > VIEWPORT["height"]:
                page.set_viewport_size({"width": VIEWPORT["width"], "height": min(height, MAX_SHOT_HEIGHT)})
                grown = True
                page.wait_for_timeout(OOPIF_PAINT_MS)
            return page.screenshot(full_page=True, type="png", timeout=clock.ms())
        except PlaywrightError as e:
            result.errors.append(f"full-page screenshot: {_first_line(e)}")
            return None
        finally:
            if grown:
                try:
                    page.set_viewport_size(VIEWPORT)
                except PlaywrightError:
                    pass

    def _element_shots(self, page: Page, selectors: Sequence[str], element_dir: Path | None,
                       prefix: str, result: PageCapture, clock: CaptureClock) -> list[tuple[ElementShot, bytes]]:
        """Each match of each selector; files are named after the page screenshot so that a
        re-capture into the same directory never overwrites an earlier capture's files."""
        shots: list[tuple[ElementShot, bytes]] = []
        for selector in selectors:
            try:
                count = page.locator(selector).count()
            except PlaywrightError as e:
                result.errors.append(f"selector {selector!r}: {_first_line(e)}")
                continue
            for index in range(count):
                if clock.passed():
                    result.errors.append(f"element screenshot {selector!r}[{index}] and later ones: "
                                         "not taken, the capture deadline passed")
                    return shots
                element = page.locator(selector).nth(index)
                try:
                    png = element.screenshot(type="png", timeout=clock.cap(_ELEMENT_SHOT_TIMEOUT_MS))
                    frame_url, text = _element_content(element)
                except PlaywrightError as e:
                    result.errors.append(f"element screenshot {selector!r}[{index}]: {_first_line(e)}")
                    continue
                path = None
                if element_dir is not None:
                    path = element_dir / f"{prefix}element-{len(shots):02d}.png"
                shots.append((ElementShot(selector, index, path, _sha256(png), None, frame_url,
                                          text), png))
        return shots

    def _describe(self, page: Page, result: PageCapture) -> None:
        """Final URL, title, DOM and every frame's text, read before the page closes."""
        result.final_url = page.url
        try:
            result.title = page.title() or None
            result.html = page.content()
        except PlaywrightError as e:
            result.errors.append(f"reading the page: {_first_line(e)}")
        for frame in page.frames:
            try:
                text = str(frame.evaluate(_BODY_TEXT_JS))
            except PlaywrightError:
                continue  # detached or navigating: nothing to read
            result.frames.append(FrameInfo(url=frame.url, name=frame.name, text=text))
        main_text = result.frames[0].text if result.frames else ""
        try:
            has_post = page.locator('article[data-testid="tweet"]').count() > 0
        except PlaywrightError:
            has_post = False
        result.login_wall = detect_login_wall(result.final_url, main_text, has_post)

    # -- writing ------------------------------------------------------------------------------

    def _write(self, result: PageCapture, recorded: list[Recorded], batch: Batch,
               full_png: bytes | None, screenshot_path: Path | None,
               shots: list[tuple[ElementShot, bytes]]) -> None:
        def keep(info: RecordInfo) -> RecordInfo:
            result.records.append(info)
            return info

        # The page's own document (and the redirect hops that led to it) first, so every other
        # exchange can name the page record it belongs to.
        for rec in recorded:
            # The browser's peer is the gate; the server's address is what the gate connected to.
            rec.exchange.ip = self.gate.address(rec.exchange.url)
        main = page_document(recorded)
        chain = redirect_chain(recorded, main)
        for rec in chain:
            request_info, response_info = batch.write_exchange(rec.exchange)
            keep(request_info)
            keep(response_info)
            if rec is main:
                result.page_record_id = response_info.record_id
        if main is not None and result.status is None:
            result.status = main.exchange.status
        chained = {id(r) for r in chain}
        for rec in recorded:
            if id(rec) in chained:
                continue
            rec.exchange.page_id = result.page_record_id
            request_info, response_info = batch.write_exchange(rec.exchange)
            keep(request_info)
            keep(response_info)

        if full_png is not None and screenshot_path is not None:
            write_file(screenshot_path, full_png)
            result.screenshot = screenshot_path
            result.screenshot_sha256 = _sha256(full_png)
            result.screenshot_record = keep(batch.write_resource(
                f"urn:screenshot:{result.url}", "image/png", full_png,
                concurrent_to=result.page_record_id))
        for n, (shot, png) in enumerate(shots):
            if shot.path is not None:
                write_file(shot.path, png)
            uri = (f"urn:screenshot:{shot.frame_url}" if _is_http(shot.frame_url)
                   else f"urn:screenshot:{result.url}#element-{n}")
            shot.record = keep(batch.write_resource(uri, "image/png", png,
                                                    concurrent_to=result.page_record_id))
            result.elements.append(shot)

        keep(batch.write_metadata(f"urn:capture-info:{result.url}", self._provenance(result),
                                  concurrent_to=result.page_record_id))

    def _provenance(self, result: PageCapture) -> dict[str, str]:
        fields = {
            "software": f"archiver/{__version__}",
            "browser": f"Chromium {self.browser_version}",
            "user-agent": self.user_agent,
            "url": result.url,
            "final-url": result.final_url,
            "status": "" if result.status is None else str(result.status),
            "title": result.title or "",
            "login-wall": "true" if result.login_wall else "false",
            "timings": json.dumps({k: round(v, 3) for k, v in result.timings.items()}),
            "errors": json.dumps(result.errors, ensure_ascii=False),
            "frames": json.dumps([f.url for f in result.frames]),
        }
        sealed = getattr(self.net, "is_sealed", None)
        if callable(sealed):
            fields["network-sealed"] = "true" if sealed() else "false"
        return fields


def _element_content(element: Locator) -> tuple[str | None, str]:
    """(frame URL, text) of an element: an iframe's document and its body text, or its own text."""
    handle = element.element_handle()
    frame = handle.content_frame() if handle is not None else None
    if frame is not None:
        try:
            return frame.url, str(frame.evaluate(_BODY_TEXT_JS))
        except PlaywrightError:
            return frame.url, ""
    return None, element.inner_text()


def _is_http(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
