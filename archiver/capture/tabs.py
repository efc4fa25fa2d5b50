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

from playwright.async_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Download,
    Page,
    Request,
    Response,
    Route,
    WebSocketRoute,
)
from playwright.async_api import Error as PlaywrightError

from archiver.capture.deadline import Wakeups, within
from archiver.capture.pagesteps import LOCALE, TIMEZONE, VIEWPORT, OwnDownloads, first_line, refuse_websocket
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
    # The page's own navigations (its main frame's: a script setting `location`, a link followed,
    # the load itself) that became downloads: files to save, which Chromium does not show, the
    # page staying on the document it had.
    downloads: OwnDownloads = field(default_factory=OwnDownloads)
    # Who opened each page of the context, as the browser says (None: not known here).
    openers: Openers | None = None
    # The lines naming the pop-ups, each written once its opener is known, in the order announced.
    naming: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def own_downloads(self) -> list[str]:
        """The addresses of the downloads the page's own navigations became."""
        return self.downloads.urls

    async def named(self, within_s: float) -> None:
        """Wait, at most `within_s`, until each pop-up announced so far is named in `errors`
        (0: no wait, the lines written so far kept)."""
        if self.naming and within_s > 0:
            await within(asyncio.gather(*self.naming, return_exceptions=True), within_s, None)


class BrowserOpeners:
    """Each page the browser creates in a watched context and the page that opened it, as
    Chromium announces them (CDP `Target.targetCreated` and its `openerId`), heard on one
    browser-level session for all captures.

    Playwright holds a pop-up's opener only while the opener's own page is open: a pop-up opened
    by a pop-up, announced once that pop-up was closed (and pop-ups are closed at once), has none
    there. The browser names the opener as it creates the target, which is before any closing.
    Only the contexts of open tabs are kept (`watch`, `Openers.close`): a long run holds nothing
    of the captures it is done with."""

    def __init__(self, session: CDPSession) -> None:
        self.session = session
        self._contexts: dict[str, dict[str, str | None]] = {}  # context -> target -> its opener
        self._wakeups = Wakeups()
        # The session failed a question: its events are not to be waited for any more (each
        # pop-up would wait its whole lookup for an announcement that never comes).
        self.dead = False

    @classmethod
    async def start(cls, session: CDPSession) -> BrowserOpeners:
        """Listen on `session`, a browser-level session (the renderer's own)."""
        shared = cls(session)
        session.on("Target.targetCreated", shared._created)
        await session.send("Target.setDiscoverTargets", {"discover": True, "filter": [{"type": "page"}]})
        return shared

    async def watch(self, page_session: CDPSession) -> Openers:
        """The pages opened in the context of the page `page_session` is attached to, from now on."""
        info = (await page_session.send("Target.getTargetInfo"))["targetInfo"]
        context_id = str(info["browserContextId"])
        self._contexts[context_id] = {}
        return Openers(self, context_id, str(info["targetId"]))

    def forget(self, context_id: str) -> None:
        self._contexts.pop(context_id, None)

    def _created(self, event: dict[str, Any]) -> None:
        info = event.get("targetInfo") or {}
        targets = self._contexts.get(str(info.get("browserContextId")))
        if targets is None or "targetId" not in info:
            return
        targets[str(info["targetId"])] = str(info["openerId"]) if info.get("openerId") else None
        self._wake()

    def _wake(self) -> None:
        self._wakeups.wake()

    async def _alive(self) -> bool:
        """Whether the session still answers (its answer comes after any event sent before it);
        once it does not, it is dead for good."""
        if not self.dead:
            try:
                await self.session.send("Target.getTargetInfo")
            except PlaywrightError as e:
                log.debug("pop-ups' openers no longer heard: %s", first_line(e))
                self.dead = True
                self._wake()
        return not self.dead

    async def opener(self, context_id: str, target: str, within_s: float) -> str | None | object:
        """The target that opened `target` (of the context `context_id`); None when the browser
        named none; UNKNOWN when its creation was not heard within `within_s`, or at once when the
        session no longer answers."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        asked = False
        while target not in (targets := self._contexts.get(context_id, {})):
            if self.dead or (not asked and not await within(self._alive(), within_s, False)):
                return UNKNOWN
            asked = True
            if target in self._contexts.get(context_id, {}):
                continue
            if not await self._wakeups.next(deadline):
                return UNKNOWN
        return targets[target]


@dataclass
class Openers:
    """One tab's view of `BrowserOpeners`: the pages opened in its context."""

    shared: BrowserOpeners
    context_id: str
    page_target: str  # the captured page's own target

    async def opener(self, target: str, within_s: float) -> str | None | object:
        return await self.shared.opener(self.context_id, target, within_s)

    def close(self) -> None:
        self.shared.forget(self.context_id)


UNKNOWN = object()  # not known here (no answer, no session), as against None: none there
_LOOKUP_S = 5.0  # at most this long for the browser to say a pop-up's target, or its opener


async def open_tab(browser: Browser, *, user_agent: str, max_body: int | None, max_total: int | None,
                   refusal: Callable[[str], str | None], openers: BrowserOpeners | None = None) -> Tab:
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
    if openers is not None and recorder.page_session is not None:
        try:
            tab.openers = await openers.watch(recorder.page_session)
        except (PlaywrightError, KeyError, TypeError) as e:
            log.debug("pop-ups' openers not known in this tab: %s", first_line(e))
        except BaseException:  # cancelled (a standby tab, by Tabs.aclose): nothing of it is kept
            await close_tab(tab)
            raise
    watch_strays(tab)
    return tab


def watch_strays(tab: Tab) -> None:
    """Name, and end, what the page starts beside itself: a pop-up (`window.open`, a link with
    target=_blank a script clicks) is closed at once, never captured; a download is refused.

    The capture is of one page: a pop-up is a page of its own, whose traffic the recorder does not
    see (it listens on the capture's page), whose screenshot nobody takes, and which would go on
    loading, and asking the network, while the capture lasts. Closing it leaves the page as it
    would be with a pop-up blocker; the line in `errors` says who opened it and where to, as the
    browser names its opener (`Openers`): the page (`the page opened a pop-up (URL)`; Chromium
    names the page so even for a `noopener` pop-up), a pop-up it opened, which can open one of its
    own before its closing comes (`a pop-up the page opened (URL) opened a pop-up (URL)`), a pop-up
    one not named opened (`a pop-up opened by another pop-up (URL)`), or, where the browser named no
    opener, `a pop-up whose opener is unknown was opened (URL)`. When the browser could not be
    asked (no session, no answer), the page is named, as it opened all but a few.
    A page that keeps opening them (a timer) gets its first `_NAMED_STRAYS` named, then one line
    saying more were closed: the capture's errors stay a list to read, not one line per pop-up.

    A download that the page's own navigation became is noted in `tab.downloads` too, told by
    its request (`OwnDownloads`); the download is named the same way."""
    seen = {"pop-up": 0, "download": 0}
    labels: dict[str, str] = {}  # a named pop-up's target: how a line names it as an opener
    answered: set[Request] = set()  # the page's own navigation requests that had an answer

    def counted(kind: str) -> bool:
        """Count one; True if it is to be named, one by one."""
        seen[kind] += 1
        return seen[kind] <= _NAMED_STRAYS

    def more(kind: str) -> str | None:
        if seen[kind] == _NAMED_STRAYS + 1:
            return f"the page started more than {_NAMED_STRAYS} {kind}s: each ended the same way, the others not named"
        return None

    def popup(other: Page) -> None:
        if other is tab.page:
            return
        before = tab.naming[-1] if tab.naming else None
        if counted("pop-up"):
            task = asyncio.ensure_future(name_popup(other, before))
            tab.naming.append(task)
        else:
            closing(asyncio.ensure_future(_close_popup(other)))
            if (line := more("pop-up")) is not None:
                tab.naming.append(asyncio.ensure_future(write(line, before)))

    def closing(task: asyncio.Task[None]) -> None:
        tab.closing.add(task)
        task.add_done_callback(tab.closing.discard)

    async def name_popup(other: Page, before: asyncio.Task[None] | None) -> None:
        where = _address(other)
        target = None
        if tab.openers is not None:
            target = await within(_target_of(tab.context, other), _LOOKUP_S, None)  # while it is open
        closing(asyncio.ensure_future(_close_popup(other)))
        opener: object = UNKNOWN
        if tab.openers is not None and target is not None:
            opener = await tab.openers.opener(target, _LOOKUP_S)
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)  # its opener named first
        if opener is UNKNOWN or (tab.openers is not None and opener == tab.openers.page_target):
            line = f"the page opened a pop-up ({where}): closed, not captured"
            label = f"a pop-up the page opened ({where})"
        elif isinstance(opener, str) and opener in labels:
            line = f"{labels[opener]} opened a pop-up ({where}): closed, not captured"
            label = f"a pop-up opened by {labels[opener]}"[:_LABEL_CHARS] + f" ({where})"
        elif isinstance(opener, str):
            line = f"a pop-up opened by another pop-up ({where}): closed, not captured"  # one not named
            label = f"a pop-up opened by another pop-up ({where})"
        else:
            line = f"a pop-up whose opener is unknown was opened ({where}): closed, not captured"
            label = f"a pop-up whose opener is unknown ({where})"
        if target is not None:
            labels[target] = label
        tab.errors.append(line)

    async def write(line: str, before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        tab.errors.append(line)

    def navigation_answered(response: Response) -> None:
        try:
            request = response.request
            if request.is_navigation_request() and request.frame is tab.page.main_frame:
                answered.add(request)
        except PlaywrightError:
            pass  # a frame gone: not the page's navigation

    def failed(request: Request) -> None:
        if request in answered:
            answered.discard(request)
            if (request.failure or "").startswith("net::ERR_ABORTED"):
                # Answered, then aborted: made a download, or stopped (a newer navigation, window.stop()).
                tab.downloads.navigation_aborted(request)

    def download(started: Download) -> None:
        if counted("download"):
            tab.errors.append(f"the page started a download ({started.url}): not kept")
        elif (line := more("download")) is not None:
            tab.errors.append(line)
        tab.downloads.download(started.url)

    def finished(request: Request) -> None:
        answered.discard(request)

    tab.context.on("page", popup)
    tab.page.on("response", navigation_answered)
    tab.page.on("requestfailed", failed)
    tab.page.on("requestfinished", finished)
    tab.page.on("download", download)


async def _target_of(context: BrowserContext, page: Page) -> str | None:
    """The browser's id of `page`'s target (CDP `Target.getTargetInfo` on a session of its own)."""
    try:
        session = await context.new_cdp_session(page)
    except PlaywrightError:
        return None  # closed already
    try:
        info = await session.send("Target.getTargetInfo")
        return str(info["targetInfo"]["targetId"])
    except (PlaywrightError, KeyError, TypeError):
        return None
    finally:
        try:
            await session.detach()
        except PlaywrightError:
            pass


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
        if tab.openers is not None:
            tab.openers.close()
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
