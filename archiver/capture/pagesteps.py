"""The steps of rendering one page: load, settle, screenshots, and reading what it shows.

Each step works on one page of its own context and writes problems into the capture's
`errors`; none of them touches another page. Used by archiver.capture.chromium_render.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, ViewportSize, WebSocketRoute

from archiver.capture.deadline import CaptureClock
from archiver.capture.recorder import TrafficRecorder
from archiver.capture.renderer import ElementShot, FrameInfo, PageCapture
from archiver.platforms import login_wall_for

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
_HEIGHT_JS = "Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"

Shots = list[tuple[ElementShot, bytes]]


async def refuse_websocket(ws: WebSocketRoute, result: PageCapture) -> None:
    """WebSockets are neither recorded nor replayable, and would be a channel the network policy
    cannot judge by what they carry: the page's socket is closed before it reaches any server."""
    result.errors.append(f"refused: {ws.url} (WebSockets are not opened)")
    try:
        await ws.close(code=1008, reason="refused by the archiver")
    except PlaywrightError:
        pass  # the page went away first


async def load(page: Page, url: str, wait_for: str | None, timeout_ms: int, result: PageCapture) -> None:
    """Navigate to `url` and wait for `load` (and `wait_for`); a load that never ends is an error
    in `result`, not an exception, unless the browser itself is gone."""
    try:
        response = await page.goto(url, wait_until="load", timeout=timeout_ms)
        if response is not None:
            result.status = response.status
    except PlaywrightError as e:
        if not page.context.browser or not page.context.browser.is_connected():
            raise
        # A load event that never comes (a hanging resource) still leaves a page worth keeping.
        result.errors.append(f"page load: {first_line(e)}")
    if wait_for:
        try:
            await page.wait_for_selector(wait_for, timeout=timeout_ms)
        except PlaywrightError as e:
            result.errors.append(f"waiting for {wait_for!r}: {first_line(e)}")


async def settle(page: Page, recorder: TrafficRecorder, settle_ms: int, result: PageCapture) -> None:
    """Scroll through the page so lazy content starts, then wait for the network to go quiet."""
    deadline = time.monotonic() + settle_ms / 1000
    try:
        await page.evaluate(_AUTOSCROLL_JS, 40)
    except PlaywrightError as e:
        result.errors.append(f"scrolling: {first_line(e)}")
    remaining = max(0, int((deadline - time.monotonic()) * 1000))
    await recorder.wait_idle(QUIET_MS, max_ms=max(remaining, QUIET_MS))


async def screenshots(page: Page, recorder: TrafficRecorder, screenshot_path: Path | None,
                      selectors: Sequence[str], element_dir: Path | None, settle_ms: int,
                      result: PageCapture, clock: CaptureClock) -> tuple[bytes | None, Shots]:
    """The full page and each selected element; then wait for what they set loading."""
    started = recorder.requests_started
    full_png = await _full_screenshot(page, result, clock) if screenshot_path is not None else None
    prefix = f"{screenshot_path.stem}-" if screenshot_path is not None else ""
    shots = await _element_shots(page, selectors, element_dir, prefix, result, clock)
    # Screenshots resize and scroll the page: lazy content may have started loading.
    if recorder.requests_started != started or recorder.inflight_urls():
        await recorder.wait_idle(QUIET_MS, max_ms=clock.cap(max(settle_ms, QUIET_MS)))
    result.errors.extend(f"still loading when the page closed: {u}" for u in recorder.inflight_urls())
    return full_png, shots


async def _full_screenshot(page: Page, result: PageCapture, clock: CaptureClock) -> bytes | None:
    # Cross-origin iframes outside the viewport are not painted into a full-page screenshot
    # (they render in another process, only when visible): grow the viewport to the page's
    # height first, so embeds further down appear, then put it back.
    grown = False
    try:
        height = int(await page.evaluate(_HEIGHT_JS))
        if height > VIEWPORT["height"]:
            await page.set_viewport_size({"width": VIEWPORT["width"], "height": min(height, MAX_SHOT_HEIGHT)})
            grown = True
            await page.wait_for_timeout(OOPIF_PAINT_MS)
        return await page.screenshot(full_page=True, type="png", timeout=clock.ms())
    except PlaywrightError as e:
        result.errors.append(f"full-page screenshot: {first_line(e)}")
        return None
    finally:
        if grown:
            try:
                await page.set_viewport_size(VIEWPORT)
            except PlaywrightError:
                pass


async def _element_shots(page: Page, selectors: Sequence[str], element_dir: Path | None,
                         prefix: str, result: PageCapture, clock: CaptureClock) -> Shots:
    """Each match of each selector; files are named after the page screenshot so that a
    re-capture into the same directory never overwrites an earlier capture's files."""
    shots: Shots = []
    for selector in selectors:
        try:
            count = await page.locator(selector).count()
        except PlaywrightError as e:
            result.errors.append(f"selector {selector!r}: {first_line(e)}")
            continue
        for index in range(count):
            if clock.passed():
                result.errors.append(f"element screenshot {selector!r}[{index}] and later ones: "
                                     "not taken, the capture deadline passed")
                return shots
            element = page.locator(selector).nth(index)
            try:
                png = await element.screenshot(type="png", timeout=clock.cap(_ELEMENT_SHOT_TIMEOUT_MS))
                frame_url, text = await _element_content(element)
            except PlaywrightError as e:
                result.errors.append(f"element screenshot {selector!r}[{index}]: {first_line(e)}")
                continue
            path = None
            if element_dir is not None:
                path = element_dir / f"{prefix}element-{len(shots):02d}.png"
            shots.append((ElementShot(selector, index, path, sha256(png), None, frame_url, text), png))
    return shots


async def describe(page: Page, result: PageCapture) -> None:
    """Final URL, title, DOM and every frame's text, read before the page closes."""
    result.final_url = page.url
    try:
        result.title = await page.title() or None
        result.html = await page.content()
    except PlaywrightError as e:
        result.errors.append(f"reading the page: {first_line(e)}")
    for frame in page.frames:
        try:
            text = str(await frame.evaluate(_BODY_TEXT_JS))
        except PlaywrightError:
            continue  # detached or navigating: nothing to read
        result.frames.append(FrameInfo(url=frame.url, name=frame.name, text=text))
    wall = login_wall_for(result.final_url)
    if wall is None:
        return  # no platform's login wall is shown on this host
    main_text = result.frames[0].text if result.frames else ""
    try:
        has_post = await page.locator(wall.post_selector).count() > 0
    except PlaywrightError:
        has_post = False
    result.login_wall = wall.detect(result.final_url, main_text, has_post)


async def _element_content(element: Locator) -> tuple[str | None, str]:
    """(frame URL, text) of an element: an iframe's document and its body text, or its own text."""
    handle = await element.element_handle()
    frame = await handle.content_frame() if handle is not None else None
    if frame is not None:
        try:
            return frame.url, str(await frame.evaluate(_BODY_TEXT_JS))
        except PlaywrightError:
            return frame.url, ""
    return None, await element.inner_text()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_http(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
