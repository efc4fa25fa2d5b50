"""What counts as a page's traffic, and the pure decisions the traffic recorder makes on it.

Which exchanges are recorded (http(s) only, no event streams or sockets), Chromium's internal
redirects, the page's own document and the redirect hops that led to it, and the few facts read
from Playwright's request objects. Used by archiver.capture.recorder and archiver.capture.pagewrite.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request, ResourceTiming

from archiver.capture.http import declared_length as http_declared_length
from archiver.warcstore import Exchange

log = logging.getLogger(__name__)

# Resource types that never "finish" and are not plain HTTP exchanges: not recorded.
_SKIPPED_TYPES = frozenset({"eventsource", "websocket"})
_RECORDED_SCHEMES = ("http", "https")


def should_record(url: str, resource_type: str = "") -> bool:
    """True for http(s) exchanges; data:, blob:, ws:, chrome: URLs and event streams are skipped."""
    if resource_type in _SKIPPED_TYPES:
        return False
    return urlsplit(url).scheme.lower() in _RECORDED_SCHEMES


def is_internal_redirect(status: int, reason: str | None, headers: list[tuple[str, str]],
                         server_ip: str | None) -> bool:
    """Chromium's fake `307 Internal Redirect` (HSTS upgrade): it never reached a server."""
    if status != 307:
        return False
    if (reason or "").strip().lower() == "internal redirect":
        return True
    if any(k.lower() == "non-authoritative-reason" for k, _ in headers):
        return True
    return server_ip is None and not reason


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass
class Recorded:
    """One exchange with where it came from (used to find the page's own document)."""

    exchange: Exchange
    frame_url: str | None
    main_frame: bool
    is_document: bool
    is_redirect: bool
    request: Request | None = None


def page_document(recorded: list[Recorded], downloaded: Collection[Request] = ()) -> Recorded | None:
    """The exchange of the document the page ended on: the last main-frame document that is not
    a redirect hop (a meta-refresh or script navigation ends on a later document), nor a file to
    save: one the server said to save (`Content-Disposition: attachment`), or one whose request
    is among `downloaded`, the navigations the browser made downloads (a type no page is, say);
    the page stays on the document it had."""
    for rec in reversed(recorded):
        if (rec.main_frame and rec.is_document and not rec.is_redirect and not is_attachment(rec.exchange)
                and not (rec.request is not None and rec.request in downloaded)):
            return rec
    return None


def is_attachment(exchange: Exchange) -> bool:
    """Whether the answer says it is a file to save (RFC 6266), which a browser downloads."""
    return any(k.lower() == "content-disposition" and v.strip().lower().startswith("attachment")
               for k, v in exchange.response_headers)


def redirect_chain(recorded: list[Recorded], main: Recorded | None) -> list[Recorded]:
    """`main` preceded by the redirect hops that led to it, oldest first."""
    if main is None or main.request is None:
        return [main] if main is not None else []
    by_request = {id(r.request): r for r in recorded if r.request is not None}
    chain = [main]
    request = main.request.redirected_from
    while request is not None and id(request) in by_request:
        chain.append(by_request[id(request)])
        request = request.redirected_from
    chain.reverse()
    return chain


async def playwright_protocol(request: Request) -> str | None:
    """The protocol Playwright itself took from CDP for this response, or None.

    Our own CDP session on an out-of-process iframe starts a little after the iframe does, so it
    can miss the iframe's first requests; Playwright saw them, but exposes the protocol only
    through an internal channel call (its HAR recorder's). Reached through getattr so that a
    Playwright without it degrades to "protocol unknown" rather than failing.
    """
    try:
        response = await request.response()
    except PlaywrightError:
        return None
    impl = getattr(response, "_impl_obj", None)
    http_version = getattr(impl, "http_version", None)
    if http_version is None:
        return None
    try:
        value = str(await http_version())
    except Exception as e:
        log.debug("no protocol for %s from Playwright: %s", request.url, e)
        return None
    # Playwright reports Chromium's "h2" as "HTTP/2.0" and "http/1.1" as "HTTP/1.1".
    return {"HTTP/1.1": "http/1.1", "HTTP/2.0": "h2", "HTTP/1.0": "http/1.0"}.get(value, value.lower() or None)


# Chromium's errors for a body that stopped coming because the connection (or its HTTP/2 or HTTP/3
# stream) broke or closed before the body was whole: WARC-Truncated's "network disconnect".
_DISCONNECTS = frozenset({
    "ERR_CONTENT_LENGTH_MISMATCH", "ERR_INCOMPLETE_CHUNKED_ENCODING", "ERR_CONNECTION_RESET",
    "ERR_CONNECTION_CLOSED", "ERR_CONNECTION_ABORTED", "ERR_CONNECTION_FAILED", "ERR_SOCKET_NOT_CONNECTED",
    "ERR_NETWORK_CHANGED", "ERR_INTERNET_DISCONNECTED", "ERR_HTTP2_PROTOCOL_ERROR", "ERR_HTTP2_PING_FAILED",
    "ERR_HTTP2_SERVER_REFUSED_STREAM", "ERR_QUIC_PROTOCOL_ERROR",
})


def truncation_reason(failure: str) -> str:
    """The WARC-Truncated reason for a response whose request then failed with `failure`
    (Playwright's `request.failure`, Chromium's net error): `disconnect` when the connection broke,
    else `unspecified` (the page or the browser cancelled it, a decoding error: other or unknown).
    Never `length` or `time`: the tool's own limits leave a body out rather than cut it."""
    words = failure.split()
    code = words[0].removeprefix("net::").upper() if words else ""
    return "disconnect" if code in _DISCONNECTS else "unspecified"


def declared_length(method: str, status: int, headers: list[tuple[str, str]]) -> int | None:
    """The body length the response's Content-Length announced, when the body Chromium hands over
    (decoded) can be held against it: None for HEAD, bodiless statuses, and a body sent with a
    Content-Encoding or Transfer-Encoding (its Content-Length is not the decoded size, or void)."""
    # The browser's own exclusions: a HEAD has no body, Chromium gives no redirect's body; the rest
    # (an encoded body's Content-Length is not the decoded size) is the shared rule.
    if method.upper() == "HEAD" or 300 <= status < 400:
        return None
    return http_declared_length(status, headers)


def in_main_frame(request: Request) -> bool:
    try:
        return request.frame.parent_frame is None
    except PlaywrightError:  # a worker's request has no frame
        return False


async def body_size(request: Request) -> int | None:
    """The body's size on the wire as Chromium counted it (Playwright's request sizes); None when
    unknown (a request that failed before finishing)."""
    try:
        size = int((await request.sizes()).get("responseBodySize", -1))
    except (PlaywrightError, TypeError, ValueError):
        return None
    return size if size >= 0 else None


def response_time(timing: ResourceTiming | Mapping[str, float]) -> datetime:
    """When the response headers arrived, from Playwright's request timing (ms since epoch)."""
    start = float(timing.get("startTime", -1))
    offset = float(timing.get("responseStart", -1))
    if start and start > 0:
        return datetime.fromtimestamp((start + max(offset, 0)) / 1000, UTC)
    return datetime.now(UTC)


def one_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
