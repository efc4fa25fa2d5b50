"""CDP sessions on a page and its out-of-process iframes: what Playwright's events do not give.

The HTTP protocol of each response (h2, http/1.1), requests Chromium makes on its own (the
favicon), the cache switch, and the bodies of documents replaced before they can be read
(docs/warc.md, "Recording the browser"). Used by archiver.capture.recorder.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from playwright.async_api import CDPSession
from playwright.async_api import Error as PlaywrightError

log = logging.getLogger(__name__)


def pairs(headers: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> list[tuple[str, str]]:
    """Header pairs from Playwright's [{name, value}] arrays or CDP's {name: value} objects."""
    if isinstance(headers, Mapping):
        out: list[tuple[str, str]] = []
        for k, v in headers.items():
            # CDP joins repeated headers (Set-Cookie) with newlines in its header objects.
            out.extend((k, part) for part in str(v).split("\n"))
        return out
    return [(str(h["name"]), str(h["value"])) for h in headers]


@dataclass
class CdpResponse:
    """What one CDP session said about one request."""

    request_id: str
    url: str
    method: str = "GET"
    status: int | None = None
    reason: str | None = None
    protocol: str | None = None
    ip: str | None = None
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    raw_request_headers: list[tuple[str, str]] | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    raw_response_headers: list[tuple[str, str]] | None = None
    post_data: bytes | None = None
    # A body CDP did not include in the request event (one holding a Blob or a file: sendBeacon of
    # a Blob, a FormData upload), to be asked for with Network.getRequestPostData.
    post_data_held: bool = False
    finished: bool = False
    when: datetime | None = None
    encoded_length: int | None = None  # bytes received, headers included (Network.loadingFinished)
    received: int = 0  # body bytes Chromium counted arriving (Network.dataReceived, decoded)


class CdpTap:
    """One CDP session (page or out-of-process iframe): protocol, IP, and browser-made requests."""

    def __init__(self, session: CDPSession, label: str) -> None:
        self.session = session
        self.label = label
        self.requests: dict[str, CdpResponse] = {}
        self.order: list[str] = []
        # (method, URL, request body) -> the bodies caught by _on_paused, in the order paused
        # (each a one-item list once read, empty until then or if the read failed)
        self.caught_slots: dict[tuple[str, str, bytes | None], list[list[bytes]]] = {}
        self.main_frame_id: str | None = None
        self.main = False
        self.max_body: int | None = None  # answers stated longer than this are not read paused

    @classmethod
    async def attach(cls, session: CDPSession, label: str, *, main: bool = False,
                     max_body: int | None = None) -> CdpTap:
        """A tap listening on `session`, the network domain enabled, text answers paused to read
        their bodies as sent (`main`: the page's own session, whose document is read whatever its
        size)."""
        tap = cls(session, label)
        session.on("Network.requestWillBeSent", tap._on_request)
        session.on("Network.requestWillBeSentExtraInfo", tap._on_request_extra)
        session.on("Network.responseReceived", tap._on_response)
        session.on("Network.responseReceivedExtraInfo", tap._on_response_extra)
        session.on("Network.loadingFinished", tap._on_finished)
        session.on("Network.dataReceived", tap._on_data)
        await session.send("Network.enable")
        # A fresh context has an empty cache, but the memory cache would still serve repeated
        # resources without an exchange to record.
        await session.send("Network.setCacheDisabled", {"cacheDisabled": True})
        # Documents are paused at the response stage and their bodies read there, as sent
        # (browsertrix-crawler intercepts the same way). Two things nothing else gives: a document
        # that a script or meta refresh replaces at once (t.co) is gone from Chromium before anyone
        # can ask for its body; and Network.getResponseBody hands text over decoded by its charset
        # (a Shift_JIS or windows-1252 page), which encoded again is not what the server sent.
        # Only documents: pausing every text answer held streams and aborted fetches up, and
        # concurrent requests for one URL could not be told apart.
        if main:
            try:
                tree = await session.send("Page.getFrameTree")
                tap.main_frame_id = tree["frameTree"]["frame"]["id"]
            except (PlaywrightError, KeyError, TypeError):
                tap.main_frame_id = None
        tap.main, tap.max_body = main, max_body
        session.on("Fetch.requestPaused", tap._on_paused)
        try:
            await session.send("Fetch.enable", {"patterns": [
                {"urlPattern": "*", "resourceType": kind, "requestStage": "Response"} for kind in PAUSED_TYPES]})
        except PlaywrightError as e:  # the tap still tells protocols and addresses
            log.debug("answers on %s not paused: %s", label, e)
        return tap

    def _entry(self, request_id: str, url: str = "") -> CdpResponse:
        entry = self.requests.get(request_id)
        if entry is None:
            entry = CdpResponse(request_id=request_id, url=url)
            self.requests[request_id] = entry
            self.order.append(request_id)
        return entry

    def _on_request(self, event: dict[str, Any]) -> None:
        req = event.get("request", {})
        if event.get("redirectResponse"):
            # A redirect reuses the request id: the hop is Playwright's to record; start afresh.
            self.requests.pop(event["requestId"], None)
        entry = self._entry(event["requestId"], req.get("url", ""))
        entry.url = req.get("url", entry.url)
        entry.method = req.get("method", "GET")
        entry.request_headers = pairs(req.get("headers", {}))
        entry.post_data = _post_data(req)
        entry.post_data_held = bool(req.get("hasPostData")) and entry.post_data is None

    def _on_request_extra(self, event: dict[str, Any]) -> None:
        entry = self._entry(event["requestId"])
        entry.raw_request_headers = pairs(event.get("headers", {}))

    def _on_response(self, event: dict[str, Any]) -> None:
        resp = event.get("response", {})
        entry = self._entry(event["requestId"], resp.get("url", ""))
        entry.url = resp.get("url", entry.url)
        entry.status = resp.get("status")
        entry.reason = resp.get("statusText") or None
        entry.protocol = resp.get("protocol") or None
        entry.ip = resp.get("remoteIPAddress") or None
        entry.response_headers = pairs(resp.get("headers", {}))
        entry.when = datetime.now(UTC)

    def _on_response_extra(self, event: dict[str, Any]) -> None:
        entry = self._entry(event["requestId"])
        entry.raw_response_headers = pairs(event.get("headers", {}))

    def _on_finished(self, event: dict[str, Any]) -> None:
        entry = self.requests.get(event["requestId"])
        if entry is not None:
            entry.finished = True
            length = event.get("encodedDataLength")
            entry.encoded_length = int(length) if isinstance(length, (int, float)) else None

    def _on_data(self, event: dict[str, Any]) -> None:
        entry = self.requests.get(event["requestId"])
        if entry is not None:
            entry.received += int(event.get("dataLength") or 0)

    async def _on_paused(self, event: dict[str, Any]) -> None:
        paused_id = event["requestId"]
        request = event.get("request", {})
        url = request.get("url", "")
        try:
            status = event.get("responseStatusCode")
            headers = {h["name"].lower(): h["value"] for h in event.get("responseHeaders", [])}
            # A body without a length is read whole only for the page's own document: another
            # answer may be a stream that never ends (a long poll), which pausing would hold up for
            # good (an iframe's document is read later, once its size is known).
            main = self.main and event.get("resourceType") == "Document" and (
                self.main_frame_id is None or event.get("frameId") == self.main_frame_id)
            if status is not None and has_body(status) and _small_text(headers, unsized=main, max_body=self.max_body):
                slot: list[bytes] = []  # the order paused, whichever body is read first
                self.caught_slots.setdefault(caught_key(request.get("method", "GET"), url, _post_data(request)),
                                             []).append(slot)
                result = await self.session.send("Fetch.getResponseBody", {"requestId": paused_id})
                slot.append(_decode_body(result))
        except PlaywrightError as e:
            log.debug("body of %s not caught: %s", url, e)
        finally:
            try:
                await self.session.send("Fetch.continueResponse", {"requestId": paused_id})
            except PlaywrightError as e:  # the page is closing: nothing left to hold up
                log.debug("could not release %s: %s", url, e)

    async def settle(self) -> None:
        """Return once the events Chromium sent on this session so far have been handled: the
        answer to a command comes after them. (A request Playwright reported answered may not be
        answered here yet: Chromium tells each session on its own.) A session gone settles nothing."""
        try:
            await self.session.send("Network.setCacheDisabled", {"cacheDisabled": True})
        except PlaywrightError as e:
            log.debug("%s not settled: %s", self.label, e)

    def caught(self, method: str, url: str, post_data: bytes | None) -> list[list[bytes]]:
        """The answers to such a request paused here (each its body once read; empty until then,
        or if it could not be read)."""
        return self.caught_slots.get(caught_key(method, url, post_data), [])

    def forget(self, method: str, url: str, post_data: bytes | None) -> None:
        """Drop what was paused for such a request (its requests all answered)."""
        self.caught_slots.pop(caught_key(method, url, post_data), None)

    async def body(self, request_id: str) -> bytes:
        return _decode_body(await self.session.send("Network.getResponseBody", {"requestId": request_id}))

    async def request_body(self, request_id: str) -> bytes | None:
        """A request's body that its event did not carry (a Blob's, a file's), as Chromium holds it;
        None when Chromium may have handed it over as text that lost bytes (one too old to say
        whether it is base64, `base64Encoded`, gives binary bodies as text, each byte that is not
        UTF-8 replaced by U+FFFD)."""
        result = await self.session.send("Network.getRequestPostData", {"requestId": request_id})
        if "base64Encoded" not in result and "\ufffd" in str(result.get("postData", "")):
            return None
        return _decode_body(result, text_key="postData")

    async def detach(self) -> None:
        try:
            # A session on a renderer that was ended may never answer (it took a minute).
            async with asyncio.timeout(5):
                await self.session.detach()
        except (PlaywrightError, TimeoutError):
            pass  # the target is already gone with its frame


_MAX_DOCUMENT_BODY = 5_000_000
_MAX_ENCODED_BODY = 16_384  # gzip/deflate read paused: at most some 17 MB once inflated
# The requests whose answers are paused and read.
PAUSED_TYPES = ("Document",)


def caught_key(method: str, url: str, post_data: bytes | None) -> tuple[str, str, bytes | None]:
    return method.upper(), url, post_data or None


def _post_data(request: Mapping[str, Any]) -> bytes | None:
    """The request body CDP shows (Network.Request.postData / postDataEntries), as bytes."""
    entries = request.get("postDataEntries")
    if isinstance(entries, list) and entries:
        try:
            return b"".join(base64.b64decode(e.get("bytes", "")) for e in entries)
        except (ValueError, TypeError, AttributeError):
            pass
    data = request.get("postData")
    return str(data).encode("utf-8") if data else None


def _small_text(headers: Mapping[str, str], *, unsized: bool = True, max_body: int | None = None) -> bool:
    """Answers worth holding up to read: HTML/XML/text (not PDFs, downloads) whose body, as
    Fetch.getResponseBody hands it over (decoded, whole, in one message), is bounded: of a stated
    length up to 5 MB (and `max_body`); gzip or deflate of a stated length up to 16 KB (gzip inflates
    some 1,000 times at most: a few hundred KB of it can be a bomb that would take the browser's
    driver down); one of no stated length only when `unsized` and not encoded at all."""
    ctype = headers.get("content-type", "").lower()
    if not (ctype.startswith("text/") or "html" in ctype or "xml" in ctype):
        return False
    coding = headers.get("content-encoding", "").strip().lower()
    length = headers.get("content-length", "").strip()
    if not length.isdigit():
        return unsized and coding in ("", "identity")
    size = int(length)
    if coding in ("", "identity"):
        return size <= min(_MAX_DOCUMENT_BODY, max_body if max_body is not None else _MAX_DOCUMENT_BODY)
    return coding in ("gzip", "x-gzip", "deflate") and size <= _MAX_ENCODED_BODY


def _decode_body(result: Mapping[str, Any], *, text_key: str = "body") -> bytes:
    data = result.get(text_key, "")
    if result.get("base64Encoded"):
        return base64.b64decode(data)
    return str(data).encode("utf-8")


def has_body(status: int) -> bool:
    """Chromium keeps no body for redirects, 204 and 304 (Playwright raises for them)."""
    return not (300 <= status < 400 or status == 204)
