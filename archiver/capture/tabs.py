"""Tabs: a fresh context with its page, WebSocket refusal and traffic recorder, set up before navigating.

Setting one up costs Chromium a renderer process and the driver several round trips (a few hundred
milliseconds on a busy machine), and nothing in it depends on the URL. So the renderer keeps one
tab opened ahead of time for the next capture, opened while its caller does other work (HTTP
metadata, indexing), and closes a used tab in the background. A tab serves one capture and is
never reused: each capture still starts with no cookies, cache or storage, and records only its
own traffic. Used by archiver.capture.chromium_render.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Browser, BrowserContext, Download, Page, Request, Route, WebSocketRoute
from playwright.async_api import Error as PlaywrightError

from archiver.capture.pagesteps import LOCALE, TIMEZONE, VIEWPORT, first_line, refuse_websocket
from archiver.capture.recorder import TrafficRecorder
from archiver.errors import BrowserError

log = logging.getLogger(__name__)

_ANY_URL = re.compile(r".*")
# WebRTC is the one traffic no proxy carries: its UDP (a STUN request to any address a page names,
# an intranet's or the machine's own) would pass the network gate unjudged, and Chromium's switch
# for sending it through the proxy only (--force-webrtc-ip-handling-policy) is not honoured by
# these builds. So pages get no peer connections: the constructors are gone from every frame's
# window (a fresh iframe's too) before any script of the page runs.
_NO_WEBRTC_JS = """(() => {
  for (const name of ["RTCPeerConnection", "webkitRTCPeerConnection"]) {
    try { delete window[name]; } catch (e) {}
  }
})();"""


@dataclass
class Tab:
    """One capture's context and page, recorded from before its first request."""

    context: BrowserContext
    page: Page
    recorder: TrafficRecorder
    # WebSockets refused, pop-ups closed, downloads not kept: the capture's to report.
    errors: list[str] = field(default_factory=list)
    # Pop-ups being closed: held here so that no task is lost before it ends.
    closing: set[asyncio.Task[None]] = field(default_factory=set)
    # The addresses the page's own navigation (its main frame's: a script setting `location`, a
    # link followed, the load itself) went to and that became downloads: files to save, which
    # Chromium does not show, the page staying on the document it had.
    own_downloads: list[str] = field(default_factory=list)


async def open_tab(browser: Browser, *, user_agent: str, max_body: int | None, max_total: int | None,
                   refusal: Callable[[str], str | None]) -> Tab:
    """A new context and page, WebSockets refused, the traffic recorder attached; the page's clock
    reads UTC and its locale is en-US, whatever the machine's. A pop-up the page opens is closed
    at once and a download it starts is not kept (`watch_strays`)."""
    try:
        # accept_downloads=False: Chromium is told to refuse every download, so none of its bytes
        # is written anywhere (Playwright would keep an accepted one in a folder of its own under
        # the system's temporary folder until the context closes).
        context = await browser.new_context(service_workers="block", user_agent=user_agent,
                                            viewport=VIEWPORT, locale=LOCALE, timezone_id=TIMEZONE,
                                            accept_downloads=False)
    except PlaywrightError as e:
        raise BrowserError(f"Chromium cannot open a new context: {first_line(e)}") from e
    errors: list[str] = []

    async def refuse(ws: WebSocketRoute) -> None:
        await refuse_websocket(ws, errors)

    try:
        await context.add_init_script(_NO_WEBRTC_JS)
        await context.route_web_socket(_ANY_URL, refuse)
        page = await context.new_page()
        recorder = await TrafficRecorder.attach(context, page, max_body=max_body, max_total=max_total,
                                                refusal=refusal)
    except BaseException:
        await _close_context(context)
        raise
    tab = Tab(context, page, recorder, errors)
    watch_strays(tab)
    return tab


def watch_strays(tab: Tab) -> None:
    """Name, and end, what the page starts beside itself: a pop-up (`window.open`, a link with
    target=_blank a script clicks) is closed at once, never captured; a download is refused.

    The capture is of one page: a pop-up is a page of its own, whose traffic the recorder does not
    see (it listens on the capture's page), whose screenshot nobody takes, and which would go on
    loading, and asking the network, while the capture lasts. Closing it leaves the page as it
    would be with a pop-up blocker; the line in `errors` says who opened it and where to: the page
    (`the page opened a pop-up (URL)`), a pop-up it opened, which can open one of its own before
    its closing comes (`a pop-up the page opened (URL) opened a pop-up (URL)`), or nobody the
    browser named (`a pop-up whose opener is unknown was opened (URL)`: `noopener`, or a pop-up
    of a pop-up past the first `_KNOWN_POPUPS`).
    A page that keeps opening them (a timer) gets its first `_NAMED_STRAYS` named, then one line
    saying more were closed: the capture's errors stay a list to read, not one line per pop-up.

    A download whose address is one the page's own navigation went to is noted in
    `tab.own_downloads` too (the download is named the same way)."""
    seen = {"pop-up": 0, "download": 0}
    # The pop-ups seen (Playwright's objects, which openers are held as), each as a line names it.
    popups: dict[object, str] = {}
    navigations: set[str] = set()  # addresses the page's main frame was sent to

    def name(kind: str, line: str) -> None:
        seen[kind] += 1
        if seen[kind] <= _NAMED_STRAYS:
            tab.errors.append(line)
        elif seen[kind] == _NAMED_STRAYS + 1:
            tab.errors.append(f"the page started more than {_NAMED_STRAYS} {kind}s: each ended the same way, "
                              "the others not named")

    def popup(other: Page) -> None:
        if other is tab.page:
            return
        where = _address(other)
        by = _opener(other)
        if by is not None and by is _impl(tab.page):
            line = f"the page opened a pop-up ({where}): closed, not captured"
            popups[_impl(other)] = f"a pop-up the page opened ({where})"
        elif by is not None and by in popups:
            line = f"{popups[by]} opened a pop-up ({where}): closed, not captured"
            popups[_impl(other)] = f"a pop-up opened by {popups[by]}"[:_LABEL_CHARS] + f" ({where})"
        else:
            line = f"a pop-up whose opener is unknown was opened ({where}): closed, not captured"
            popups[_impl(other)] = f"a pop-up whose opener is unknown ({where})"
        if len(popups) > _KNOWN_POPUPS:
            popups.pop(_impl(other))
        name("pop-up", line)
        task = asyncio.ensure_future(_close_popup(other))
        tab.closing.add(task)
        task.add_done_callback(tab.closing.discard)

    def navigating(request: Request) -> None:
        try:
            if request.is_navigation_request() and request.frame is tab.page.main_frame:
                navigations.add(request.url)
        except PlaywrightError:
            pass  # a worker's request, or a frame gone: not the page's navigation

    def download(started: Download) -> None:
        name("download", f"the page started a download ({started.url}): not kept")
        if started.url in navigations:
            tab.own_downloads.append(started.url)

    tab.context.on("page", popup)
    tab.page.on("request", navigating)
    tab.page.on("download", download)


def _impl(page: Page) -> object:
    """Playwright's own object behind `page` (the one a page's opener is held as)."""
    return getattr(page, "_impl_obj", page)


def _opener(page: Page) -> object | None:
    """Playwright's object of the page that opened `page`, as the browser said when it announced
    it (CDP's `openerId`), even when that page is closed by now. Playwright's `Page.opener()` says
    None for a closed opener, and a pop-up opened by a pop-up is announced after its opener's
    closing began, often after it ended; so the opener Playwright holds is read. None when the
    browser named none (`noopener`), or when this Playwright holds none where it is read."""
    return getattr(_impl(page), "_opener", None)


_KNOWN_POPUPS = 100  # pop-ups held to name the pop-ups they open (a timer opening them: no more held)
_LABEL_CHARS = 400  # a chain of pop-ups each opening the next is named by its first links only


_NAMED_STRAYS = 5  # pop-ups (and downloads) named one by one in a capture's errors


def _address(page: Page) -> str:
    """Where a pop-up was sent: Playwright announces it once its first address is known."""
    try:
        return page.url or "about:blank"
    except PlaywrightError:
        return "an unknown address"


_POPUP_CLOSE_S = 5.0  # a pop-up whose renderer never answers is left to its context's closing


async def _close_popup(page: Page) -> None:
    try:
        async with asyncio.timeout(_POPUP_CLOSE_S):
            await page.close()
    except (PlaywrightError, TimeoutError) as e:
        log.debug("pop-up not closed: %s", first_line(e) if isinstance(e, PlaywrightError) else "no answer")


async def confine_local(tab: Tab, url: str) -> None:
    """A local page (`file:`) is shown without any other local file it names: an iframe or a
    picture pointing at `file:///etc/passwd`, or at a file beside the page, would otherwise put that
    file into the screenshot, the WARC and every export. Each such load is refused and named."""
    if not url[:5].lower() == "file:":
        return
    own = url.split("#", 1)[0]

    async def refuse(route: Route) -> None:
        tab.errors.append(f"refused: {route.request.url} (a local page is shown without the other local files it names)")
        try:
            await route.abort("accessdenied")
        except PlaywrightError:
            pass  # the page went away first

    await tab.page.route(lambda other: other[:5].lower() == "file:" and other.split("#", 1)[0] != own, refuse)


async def close_tab(tab: Tab) -> None:
    """Detach the recorder's CDP sessions and close the context; a browser already gone is no error."""
    try:
        await tab.recorder.close()
    finally:
        await _close_context(tab.context)


# A context whose page's renderer was ended (a page that never yielded) can take Playwright a
# minute to call closed: past this it is left to the browser's own closing.
_CONTEXT_CLOSE_S = 10.0


async def _close_context(context: BrowserContext) -> None:
    try:
        async with asyncio.timeout(_CONTEXT_CLOSE_S):
            await context.close()
    except PlaywrightError as e:
        log.debug("context not closed: %s", first_line(e))  # the browser is gone
    except TimeoutError:
        log.debug("context not closed within %g s: left to the browser's closing", _CONTEXT_CLOSE_S)


class Tabs:
    """One tab opened ahead of time for the next capture; used tabs closed in the background.

    Runs on the renderer's event loop. Several captures may take tabs at once: the first gets the
    standby, the others open their own.
    """

    def __init__(self, opener: Callable[[], Coroutine[Any, Any, Tab]]) -> None:
        self._opener = opener
        self._standby: asyncio.Task[Tab] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def take(self) -> Tab:
        """The standby tab if it opened well, else a new one (BrowserError if none can open)."""
        standby, self._standby = self._standby, None
        if standby is not None:
            try:
                tab = await standby
            except (PlaywrightError, BrowserError) as e:
                log.debug("standby tab unusable, opening another: %s", first_line(e))
            else:
                if not tab.page.is_closed():
                    return tab
                self.release(tab)
        return await self._opener()

    def prepare(self) -> None:
        """Start opening the next capture's tab, unless one is ready or on its way."""
        if self._standby is None:
            self._standby = asyncio.create_task(self._opener())

    def release(self, tab: Tab) -> None:
        """Close a used tab without waiting for it."""
        task = asyncio.create_task(close_tab(tab))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Cancel the standby (the browser closing next takes its context with it) and wait for
        the tabs being closed."""
        standby, self._standby = self._standby, None
        if standby is not None:
            if standby.done() and not standby.cancelled() and standby.exception() is None:
                self.release(standby.result())
            else:
                standby.cancel()
                await asyncio.gather(standby, return_exceptions=True)
        await asyncio.gather(*self._closing, return_exceptions=True)
