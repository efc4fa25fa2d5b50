"""Record a page's browser traffic (the page and all its frames) as Exchanges for the WARC store.

Playwright's page events are the primary source: they cover the main frame, same-process iframes
and out-of-process (cross-origin) iframes alike, give every hop of a redirect chain, the raw
request headers as sent and the raw response headers. What they lack is the HTTP protocol
(h2, http/1.1) and requests the browser makes on its own (the favicon); both come from CDP
sessions opened on the page and on every out-of-process iframe target (archiver.capture.cdp;
docs/warc.md, "Recording the browser").

Sizes: Chromium hands a body over in one message, so a body is asked for only when its size is
known to fit: a declared Content-Length, or (for a body without one) the size Chromium counted
once loading finished. A body over `max_body`, or one that would take the capture's bodies past
`max_total`, is not asked for; its exchange is left out and named in `errors`.

Truncation: a response whose request failed after its headers arrived (the connection broke
mid-body), whose body is shorter than its Content-Length, or whose body Chromium no longer had, is
recorded with what Chromium handed over of its body and a WARC-Truncated reason
(traffic.truncation_reason), never as a complete answer (docs/warc.md, "Truncated responses").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from playwright.async_api import BrowserContext, CDPSession, Frame, Page, Request, Response
from playwright.async_api import Error as PlaywrightError

from archiver.capture.cdp import CdpResponse, CdpTap, caught_key, has_body, pairs
from archiver.capture.traffic import (
    Recorded,
    body_size,
    declared_length,
    in_main_frame,
    is_internal_redirect,
    one_line,
    origin,
    playwright_protocol,
    response_time,
    should_record,
    truncation_reason,
)
from archiver.warcstore import Exchange

log = logging.getLogger(__name__)


class TrafficRecorder:
    """Collects every exchange of one page and its frames; `await TrafficRecorder.attach(...)`
    before navigating. One recorder per page: nothing in it is shared between captures.

    `max_body` caps one body, `max_total` all the bodies of the capture (bytes; None: no cap);
    `refusal` says why the network policy refused a URL's host, if it did.

    Playwright runs each async listener as a task of its own, so a listener waiting for a body
    does not hold up other events; `_busy` counts the listeners still building an exchange, and
    the recorder is idle only when none is. Every change of that state (a request starting or
    ending, a body arriving, a listener done) sets `_changed`, which is what `wait_idle` waits on:
    nothing here polls.
    """

    def __init__(self, context: BrowserContext, page: Page, *, max_body: int | None = None,
                 max_total: int | None = None, refusal: Callable[[str], str | None] | None = None) -> None:
        self.context = context
        self.page = page
        self._refusal = refusal
        self.max_body = max_body
        self.max_total = max_total
        self.body_bytes = 0  # bodies taken so far, and sizes reserved for bodies being fetched
        self._skipped: dict[int, str] = {}  # request -> why its body was not taken
        self._skipped_urls: Counter[tuple[str, str]] = Counter()  # (method, url) left out for size
        # (url, why) of every body left out for a cap: the capture names them (PageCapture.left_out)
        self.left_out: list[tuple[str, str]] = []
        self.recorded: list[Recorded] = []
        self.errors: list[str] = []
        self._inflight: dict[int, str] = {}
        self._last_activity = time.monotonic()
        self._changed = asyncio.Event()  # set on every change of what is in flight
        self.requests_started = 0
        self._taps: list[CdpTap] = []
        # What measures the page outside its scripts' reach (archiver.capture.isolated.PageReader),
        # made on first use by archiver.capture.pagesteps; closed and dropped with the recorder.
        self.reader: Any = None
        self._tapped_frames: set[int] = set()
        # Frames with a CDP session of their own: the out-of-process (cross-site) iframes, which
        # Chromium paints in another process, only while they are in the viewport.
        self.oopif_frames: list[Frame] = []
        self._frame_sessions: list[CDPSession] = []  # theirs, in the same order
        self._frames_opening: set[asyncio.Future[None]] = set()  # each done once its session is open (or not)
        self._page_session: CDPSession | None = None
        self._busy = 0  # listeners building an exchange (see the class docstring)
        # Bodies fetched early (see _on_response) and finished requests waiting for theirs.
        self._bodies: dict[int, bytes] = {}
        self._as_sent: dict[int, bytes] = {}  # bodies the taps read at the response stage
        self._documents_asked: dict[int, tuple[str, str, bytes | None]] = {}  # awaiting their answer
        self._documents_awaiting: Counter[tuple[str, str, bytes | None]] = Counter()
        self._body_errors: dict[int, str] = {}
        self._body_pending: dict[int, str] = {}
        self._deferred: dict[int, tuple[Request, str | None]] = {}
        # A renderer of the page crashed (its own, or an out-of-process iframe's: Playwright's page
        # `crash` event does not tell them apart): a session on it never answers again (not even a
        # detach), and the tab is closed whole without detaching any.
        self.crashed = False

    @classmethod
    async def attach(cls, context: BrowserContext, page: Page, *, max_body: int | None = None,
                     max_total: int | None = None,
                     refusal: Callable[[str], str | None] | None = None) -> TrafficRecorder:
        """A recorder listening on `page` (and its frames), its CDP session open."""
        recorder = cls(context, page, max_body=max_body, max_total=max_total, refusal=refusal)
        try:
            session = await context.new_cdp_session(page)
        except PlaywrightError as e:
            log.debug("CDP session on the page unusable: %s", e)
        else:
            recorder._page_session = session
            await recorder._add_tap(session, "page", main=True)
        page.on("request", recorder._on_request)
        page.on("response", recorder._on_response)
        page.on("requestfinished", recorder._on_finished)
        page.on("requestfailed", recorder._on_failed)
        page.on("framenavigated", recorder._on_frame)
        page.on("crash", recorder._on_crash)
        return recorder

    @property
    def page_session(self) -> CDPSession | None:
        """The CDP session on the page itself (None if it could not be opened)."""
        return self._page_session

    @property
    def frames_opening(self) -> list[asyncio.Future[None]]:
        """One future per frame whose CDP session is being opened, done once it is (or cannot be)."""
        return list(self._frames_opening)

    @property
    def frame_sessions(self) -> list[CDPSession]:
        """The CDP sessions on the out-of-process iframes, in the order of `oopif_frames` (some may
        be gone with their frames)."""
        return list(self._frame_sessions)

    # -- events ----------------------------------------------------------------------------

    async def _add_tap(self, session: CDPSession, label: str, *, main: bool = False) -> None:
        try:
            self._taps.append(await CdpTap.attach(session, label, main=main, max_body=self.max_body))
        except PlaywrightError as e:
            log.debug("CDP session %s unusable: %s", label, e)

    async def _on_frame(self, frame: Frame) -> None:
        # Only out-of-process iframes have a CDP session of their own; Playwright refuses the
        # others ("part of the parent frame's session"), whose traffic the page session sees.
        if frame.parent_frame is None or id(frame) in self._tapped_frames:
            return
        self._tapped_frames.add(id(frame))
        opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._frames_opening.add(opened)
        try:
            session = await self.context.new_cdp_session(frame)
        except PlaywrightError:
            self._tapped_frames.discard(id(frame))
            return
        else:
            self.oopif_frames.append(frame)
            self._frame_sessions.append(session)
        finally:
            self._frames_opening.discard(opened)
            opened.set_result(None)
        await self._add_tap(session, f"frame {frame.url}")

    def _on_crash(self, _page: Page) -> None:
        self.crashed = True

    def _on_request(self, request: Request) -> None:
        if should_record(request.url, request.resource_type):
            self._inflight[id(request)] = request.url
            if request.resource_type == "document":
                key = _request_key(request)
                self._documents_asked[id(request)] = key
                self._documents_awaiting[key] += 1
        self.requests_started += 1
        self._activity()

    def _activity(self) -> None:
        self._last_activity = time.monotonic()
        self._changed.set()

    async def _on_response(self, response: Response) -> None:
        # Ask for the body as soon as the headers arrive: Playwright's driver then reads it the
        # moment loading finishes. Asking only at `requestfinished` is too late for a document
        # that a script or meta refresh replaces at once (t.co): Chromium has already dropped it
        # ("No resource with given identifier found"). Each listener runs in its own task, so
        # waiting here does not hold up other events.
        request = response.request
        key = id(request)
        if not should_record(request.url, request.resource_type) or not has_body(response.status):
            return
        # The body read as sent while the answer was paused (read before Chromium let it go on,
        # so before this event): no need to ask Chromium again, which would hand text over decoded.
        caught = self._caught(request, answered=True)
        if caught is not None:
            if not self._over(request, len(caught)):  # over a cap: marked skipped, not recorded
                self._as_sent[key] = caught
            self._activity()
            return
        declared = response.headers.get("content-length", "")
        reserved = 0
        if declared.isdigit():
            reserved = int(declared)
            if self._over(request, reserved):
                return
        elif not (request.resource_type == "document" and in_main_frame(request)):
            # No length to go by: ask once loading finished and Chromium knows the size. Only the
            # page's own document can be replaced before then (a short-link hop), so it alone is
            # asked for at once, whatever its size.
            return
        self._body_pending[key] = request.url
        body = b""
        try:
            body = await response.body()
            self._bodies[key] = body
        except PlaywrightError as e:
            self._body_errors[key] = one_line(e)
        finally:
            self._count(reserved, body)
            self._body_pending.pop(key, None)
            self._activity()
        deferred = self._deferred.pop(key, None)
        if deferred is not None:
            await self._record(*deferred)

    async def _on_finished(self, request: Request) -> None:
        self._done(request)
        if should_record(request.url, request.resource_type):
            await self._record_when_ready(request, None)

    async def _on_failed(self, request: Request) -> None:
        self._done(request)
        if should_record(request.url, request.resource_type):
            await self._record_when_ready(request, request.failure or "failed")

    async def _record_when_ready(self, request: Request, failure: str | None) -> None:
        if id(request) in self._body_pending:
            self._deferred[id(request)] = (request, failure)  # _on_response records it
        else:
            await self._record(request, failure)

    def _done(self, request: Request) -> None:
        self._inflight.pop(id(request), None)
        self._caught(request, answered=False)  # a document that had no response: its count ends
        self._activity()

    # -- building exchanges --------------------------------------------------------------------

    async def _record(self, request: Request, failure: str | None) -> None:
        self._busy += 1
        try:
            await self._record_unsafe(request, failure)
        except PlaywrightError as e:
            # The page or frame went away while we asked; keep going with the rest.
            self.errors.append(f"could not record {request.url}: {one_line(e)}")
        finally:
            self._busy -= 1
            self._changed.set()

    async def _record_unsafe(self, request: Request, failure: str | None) -> None:
        response = await request.response()
        if response is None:
            refused = self._refusal(request.url) if self._refusal is not None else None
            if refused:
                self.errors.append(f"refused: {request.url} {refused}")
            else:
                self.errors.append(f"request failed: {request.method} {request.url}: {failure}")
            return
        if id(request) in self._skipped:
            self._leave_out(request)
            return
        server = await response.server_addr()
        ip = server["ipAddress"] if server else None
        response_headers = pairs(await response.headers_array())
        reason = response.status_text or None
        if is_internal_redirect(response.status, reason, response_headers, ip):
            return
        is_redirect = 300 <= response.status < 400 and request.redirected_to is not None
        body, body_error, whole = await self._take_body(request, response, failure)
        if self.max_body is not None and len(body) > self.max_body:  # read before its size was known
            self._skip(request, f"body of {len(body)} bytes is over --max-bytes {self.max_body}")
        if id(request) in self._skipped:  # its size, known only now, is over a cap
            self._leave_out(request)
            return
        # A body known to be less than what the server sent is recorded as what it is: what arrived
        # (Chromium keeps nothing of a failed load's body) under WARC-Truncated (docs/warc.md).
        truncated = None
        declared = declared_length(request.method, response.status, response_headers)
        if request.method.upper() == "HEAD":
            pass  # no body was to come
        elif not whole and declared != len(body) and not self._cancelled_empty(request, failure, body, declared):
            truncated = truncation_reason(failure) if failure is not None else "unspecified"
        elif whole and declared is not None and len(body) < declared:
            # A load Chromium called finished with less than its Content-Length: seen over h2, when
            # the server ends its stream early (Chromium reports no error for it).
            truncated = "unspecified"
            self.errors.append(f"body shorter than its Content-Length ({len(body)} of {declared} bytes), "
                               f"recorded truncated (WARC-Truncated: {truncated}): {request.url}")
        if failure is not None:
            missing = ", body unavailable" if body_error else ""
            if truncated is None:
                self.errors.append(f"response interrupted ({failure}) after its whole body arrived, "
                                   f"recorded: {request.url}")
            else:
                self.errors.append(f"response interrupted ({failure}{missing}), recorded truncated "
                                   f"(WARC-Truncated: {truncated}, {len(body)} body bytes kept): {request.url}")
        elif body_error is not None:
            marked = f" (WARC-Truncated: {truncated})" if truncated is not None else ""
            self.errors.append(f"body unavailable, recorded without it{marked}: {request.url}: {body_error}")
        if response.status == 206:
            self.errors.append(f"partial content (206) recorded as is: {request.url}")
        try:
            frame = request.frame
            frame_url: str | None = frame.url
            main_frame = frame.parent_frame is None and frame.page is self.page
        except PlaywrightError:  # requests of workers have no frame
            frame_url, main_frame = None, False
        exchange = Exchange(
            url=request.url,
            method=request.method,
            request_headers=pairs(await request.headers_array()),
            status=response.status,
            response_headers=[(k, v) for k, v in response_headers if not k.startswith(":")],
            body=body,
            request_body=request.post_data_buffer,
            reason=reason,
            protocol=None,  # filled from CDP in finish(): it arrives on another channel
            ip=ip,
            date=response_time(request.timing),
            decoded=True,
            truncated=truncated,
        )
        self.recorded.append(Recorded(exchange, frame_url, main_frame,
                                      request.resource_type == "document", is_redirect, request))

    async def _take_body(self, request: Request, response: Response,
                         failure: str | None) -> tuple[bytes, str | None, bool]:
        """(body, error, whole): the body fetched early, or fetched now, and whether it is known to
        be all the server sent; (b"", error, False) when it cannot be had.

        A request that failed after its response began (`failure`) ended before its body did, so
        what Chromium hands over of it is not whole, unless it is the document's copy read whole
        at the response stage (its body was complete before the page dropped the load)."""
        key = id(request)
        if not has_body(response.status) or request.redirected_to is not None:
            return b"", None, True
        caught = self._as_sent.pop(key, None)
        if caught is not None:
            # Read at the response stage, before the page could drop the load: whole even when the
            # page dropped it after (a document a script replaced at once: net::ERR_ABORTED). Any
            # other failure broke the body while it was read, which hands over what had arrived.
            dropped = failure is not None and failure.startswith("net::ERR_ABORTED") and request.resource_type == "document"
            return caught, None, failure is None or dropped
        if key in self._bodies:
            return self._bodies.pop(key), None, failure is None
        error = self._body_errors.pop(key, None)
        if error is None or failure is not None:
            # Not asked yet, or asked before the failure: after it, Chromium hands over what
            # did arrive (e.g. a response cut short), if it kept any of it.
            size = await body_size(request)
            if size is not None and self._over(request, size):
                return b"", None, True  # left out (_skipped): nothing of it is recorded
            self._body_pending[key] = request.url  # keeps wait_idle() waiting for it
            body = b""
            try:
                body = await response.body()
                return body, None, failure is None
            except PlaywrightError as e:
                error = one_line(e)
            finally:
                self._count(size or 0, body)
                self._body_pending.pop(key, None)
                self._activity()
        return b"", error, False

    def _cancelled_empty(self, request: Request, failure: str | None, body: bytes, declared: int | None) -> bool:
        """An empty answer of no stated length that Chromium cancelled (net::ERR_ABORTED) before
        counting a byte of its body: what fetch() does to an empty body the page never reads (a 404
        whose status is all the page wanted). Nothing shows a body was cut, so it is not marked.
        Only a script's request is read so: a document Chromium cancels at once (a download, which
        is no page to show) is cancelled before its body, whatever its length."""
        if body or declared is not None or failure is None or not failure.startswith("net::ERR_ABORTED"):
            return False
        if request.resource_type not in ("fetch", "xhr"):
            return False
        return not any(e.received for tap in self._taps for e in tap.requests.values()
                       if e.url == request.url and e.method == request.method)

    # -- sizes -------------------------------------------------------------------------------

    def _over(self, request: Request | None, size: int) -> str | None:
        """Why a body of `size` bytes breaks a cap (the request is then marked skipped), or None
        and the size is reserved: bodies are fetched concurrently, each must see the others."""
        why = None
        if self.max_body is not None and size > self.max_body:
            why = f"body of {size} bytes is over --max-bytes {self.max_body}"
        elif self.max_total is not None and self.body_bytes + size > self.max_total:
            why = f"body of {size} bytes would take this capture over --max-capture-bytes {self.max_total}"
        if why is None:
            self.body_bytes += size
        elif request is not None:
            self._skip(request, why)
        return why

    def _skip(self, request: Request, why: str) -> None:
        """Mark the request's body left out for a cap; counted by method and URL, so that the
        taps' copy of it is not taken in after all (_add_orphans)."""
        self._skipped[id(request)] = why
        self._skipped_urls[(request.method, request.url)] += 1

    def _leave_out(self, request: Request) -> None:
        """A request whose body a cap left out: named in `errors` and in `left_out`."""
        self._left_out(request.url, self._skipped.pop(id(request)))

    def _left_out(self, url: str, why: str) -> None:
        self.errors.append(f"{url}: {why}; not recorded")
        self.left_out.append((url, why))

    def _count(self, reserved: int, body: bytes) -> None:
        """Replace a reserved size by the size of the body that came (b"" if none did)."""
        self.body_bytes += len(body) - reserved

    def _caught(self, request: Request, *, answered: bool) -> bytes | None:
        """A document's body as a tap read it at the response stage, when it is surely this
        request's: the only one of its method, URL and body awaiting an answer, and the only one
        paused (two frames loading one URL at once cannot be told apart: each then takes the body
        Chromium hands over for it). None otherwise, and for any other request. Once no request of
        its kind awaits an answer, what the taps hold of it is dropped."""
        key = self._documents_asked.pop(id(request), None)
        if key is None:
            return None
        sole = self._documents_awaiting[key] == 1
        self._documents_awaiting[key] -= 1
        slots = [slot for tap in self._taps for slot in tap.caught(*key)]
        body = slots[0][0] if answered and sole and len(slots) == 1 and slots[0] else None
        if self._documents_awaiting[key] <= 0:
            del self._documents_awaiting[key]
            for tap in self._taps:
                tap.forget(*key)
        return body

    # -- waiting -----------------------------------------------------------------------------

    def inflight_urls(self) -> list[str]:
        """URLs of the requests still in flight."""
        return list({**self._inflight, **self._body_pending}.values())

    def idle(self) -> bool:
        """Nothing in flight: no request, no body being fetched, no exchange being built."""
        return not self._inflight and not self._body_pending and not self._busy

    async def wait_idle(self, quiet_ms: int = 200, max_ms: int = 1500) -> bool:
        """Wait until nothing has been in flight for `quiet_ms` (0: until nothing is), at most `max_ms`.

        Returns True when the network went quiet. This is a readiness condition, not a pause: the
        wait wakes on every change the page's events report (`_changed`), and the only timer is the
        one that ends it, either at the end of a quiet window that nothing interrupted or at
        `max_ms`. With nothing in flight and the window already over it returns at once.
        """
        deadline = time.monotonic() + max_ms / 1000
        while True:
            self._changed.clear()
            now = time.monotonic()
            wake = deadline
            if self.idle():
                quiet_until = self._last_activity + quiet_ms / 1000
                if now >= quiet_until:
                    return True
                wake = min(quiet_until, deadline)
            if now >= deadline:
                return False
            loop = asyncio.get_running_loop()
            try:
                # Woken by the next event, or by the end of the quiet window or of the ceiling.
                async with asyncio.timeout_at(loop.time() + (wake - now)):
                    await self._changed.wait()
            except TimeoutError:
                pass

    # -- finishing -----------------------------------------------------------------------------

    async def finish(self, *, orphans: bool = True) -> list[Recorded]:
        """Fill protocols from CDP, add browser-made requests Playwright did not report (unless
        not `orphans`: each costs a body request); call before the page closes (CDP bodies die
        with it)."""
        by_url: dict[tuple[str, str], list[CdpResponse]] = {}
        by_origin: dict[str, str] = {}
        for tap in self._taps:
            for rid in tap.order:
                entry = tap.requests.get(rid)
                if entry is None or entry.status is None:
                    continue
                by_url.setdefault((entry.method, entry.url), []).append(entry)
                if entry.protocol:
                    by_origin.setdefault(origin(entry.url), entry.protocol)
        for rec in self.recorded:
            ex = rec.exchange
            matches = by_url.get((ex.method, ex.url), [])
            proto = next((m.protocol for m in matches if m.protocol), None)
            ex.protocol = proto or by_origin.get(origin(ex.url))
            if ex.protocol is None and rec.request is not None:
                ex.protocol = await playwright_protocol(rec.request)
            if ex.ip is None:
                ex.ip = next((m.ip for m in matches if m.ip), None)
        await self._held_request_bodies()
        if orphans:
            await self._add_orphans()
        return self.recorded

    async def _held_request_bodies(self) -> None:
        """Request bodies Chromium left out of its request events (a Blob's: sendBeacon of a JSON
        Blob, a FormData upload), asked for now, while the page lives: Playwright reports such a
        request with no body, which a record would claim was empty. Playwright's requests cannot be
        matched to Chromium's by identity, so a body is given only where nothing else could be
        meant: every request to that method and address held a body, was answered, all the same
        bytes, and as many were recorded. Bodies count towards the capture's caps like the answers'. Any other
        case is named in `errors`, the requests recorded without a body."""
        every: dict[tuple[str, str], dict[str, tuple[CdpTap, CdpResponse]]] = {}
        for tap in self._taps:
            if any(e.post_data_held and e.status is None for e in tap.requests.values()):
                await tap.settle()  # its answer may not be in yet
        for tap in self._taps:
            for rid in tap.order:
                entry = tap.requests.get(rid)
                if entry is not None:
                    # (a navigation keeps its request id across the parent's and the iframe's sessions)
                    every.setdefault((entry.method, entry.url), {}).setdefault(rid, (tap, entry))
        for (method, url), entries in every.items():
            held = [(tap, entry) for tap, entry in entries.values() if entry.post_data_held]
            if not held:
                continue
            waiting = [r.exchange for r in self.recorded
                       if r.exchange.method == method and r.exchange.url == url and not r.exchange.request_body]
            why = None
            # A held body whose request the tap never saw answered (aborted, or its answer's event
            # not in yet) may belong to none of the recorded exchanges, or to any of them.
            if len(held) != len(entries) or len(waiting) != len(held) or any(e.status is None for _, e in held):
                why = "not told apart from other requests to that address"
            bodies: list[bytes] = []
            for tap, entry in held if why is None else []:
                body, why = await self._held_body(tap, entry)
                if body is None:
                    break
                bodies.append(body)
            if why is None and len(set(bodies)) > 1:
                why = "not told apart: the requests to that address sent different bodies"
            if why is None:
                for exchange in waiting:
                    exchange.request_body = bodies[0]
            elif waiting:
                self.errors.append(f"request body not recorded ({len(waiting)} request(s) whose body the browser "
                                   f"held as a Blob or file: {why}): {method} {url}")
            for body in bodies if why is not None else []:
                self._count(len(body), b"")  # reserved for a body not recorded after all

    async def _held_body(self, tap: CdpTap, entry: CdpResponse) -> tuple[bytes | None, str | None]:
        """One held request body, read within the capture's caps; (None, why) when it is not."""
        declared = declared_length(entry.method, 200, entry.raw_request_headers or entry.request_headers)
        if declared is not None and (why := self._over(None, declared)) is not None:
            return None, why
        try:
            body = await tap.request_body(entry.request_id)
        except PlaywrightError as e:
            body = None
            log.debug("request body of %s not read: %s", entry.url, one_line(e))
        finally:
            if declared is not None:
                self._count(declared, b"")  # the reservation, replaced by the body's size below
        if body is None:
            return None, "the browser did not hand it over"
        if (why := self._over(None, len(body))) is not None:
            return None, why
        return body, None

    async def _add_orphans(self) -> None:
        seen = Counter((r.exchange.method, r.exchange.url, r.exchange.status) for r in self.recorded
                       if not r.is_redirect)
        skipped = Counter(self._skipped_urls)  # left out for their size: not browser-made either
        done_ids: set[str] = set()
        for tap in self._taps:
            for rid in tap.order:
                entry = tap.requests.get(rid)
                if entry is None or not entry.finished or entry.status is None or rid in done_ids:
                    continue
                # A navigation keeps its request id across the parent's and the iframe's sessions.
                done_ids.add(rid)
                if not should_record(entry.url):
                    continue
                key = (entry.method, entry.url, entry.status)
                if seen[key] > 0:
                    seen[key] -= 1
                    continue
                if skipped[(entry.method, entry.url)] > 0:
                    skipped[(entry.method, entry.url)] -= 1
                    continue
                await self._add_orphan(tap, entry)

    async def _add_orphan(self, tap: CdpTap, entry: CdpResponse) -> None:
        assert entry.status is not None
        reserved = entry.encoded_length or 0
        why = self._over(None, reserved)
        if why is not None:
            self._left_out(entry.url, why)
            return
        body = b""
        try:
            body = await tap.body(entry.request_id)
        except PlaywrightError as e:
            # Without its body the record would claim an empty payload: leave it out.
            self.errors.append(f"browser request not recorded (body gone): {entry.url}: {one_line(e)}")
            return
        finally:
            self._count(reserved, body)
        # Its encoded length is what was reserved: decoded, the body may be over a cap after all.
        if self.max_body is not None and len(body) > self.max_body:
            self._count(len(body), b"")
            self._left_out(entry.url, f"body of {len(body)} bytes is over --max-bytes {self.max_body}")
            return
        headers = entry.raw_response_headers or entry.response_headers
        exchange = Exchange(
            url=entry.url,
            method=entry.method,
            request_headers=entry.raw_request_headers or entry.request_headers,
            status=entry.status,
            response_headers=[(k, v) for k, v in headers if not k.startswith(":")],
            body=body,
            request_body=entry.post_data,
            reason=entry.reason,
            protocol=entry.protocol,
            ip=entry.ip,
            date=entry.when,
            decoded=True,
        )
        log.debug("recorded browser-made request %s from CDP (%s)", entry.url, tap.label)
        self.recorded.append(Recorded(exchange, None, False, False, False, None))

    async def main_document(self) -> tuple[str | None, str | None]:
        """(loader ID, URL) of the document the page shows now: a new loader is a new document
        (a navigation), the same one a document whose address a script changed (`pushState`).
        (None, None) when the page's session cannot say."""
        tap = next((t for t in self._taps if t.main), None)
        if tap is None:
            return None, None
        try:
            frame = (await tap.session.send("Page.getFrameTree"))["frameTree"]["frame"]
            return str(frame["loaderId"]), str(frame.get("url") or "")
        except (PlaywrightError, KeyError, TypeError):
            return None, None

    async def end_page(self) -> None:
        """End the page's renderer (CDP `Page.crash`): for a page whose scripts never yield, which
        would hold up closing its tab. What was recorded is kept; the page answers nothing more."""
        tap = next((t for t in self._taps if t.main), None)
        if tap is None:
            return
        try:
            async with asyncio.timeout(2):
                await tap.session.send("Page.crash")
        except (PlaywrightError, TimeoutError):
            pass  # gone already, or it went as it was asked (the answer never comes)

    async def close(self) -> None:
        reader, self.reader = self.reader, None  # (it holds this recorder: no cycle left behind)
        if reader is not None:
            await reader.close()
        if not self.crashed:  # (a session on a crashed renderer would hold each detach for its ceiling)
            for tap in self._taps:
                await tap.detach()
        self._taps.clear()




def _request_key(request: Request) -> tuple[str, str, bytes | None]:
    """(method, URL, body) of a request, as a tap keys what it paused (`cdp.caught_key`)."""
    try:
        post_data = request.post_data_buffer
    except (PlaywrightError, ValueError):
        post_data = None
    return caught_key(request.method, request.url, post_data)
