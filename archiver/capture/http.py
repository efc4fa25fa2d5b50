"""The recording HTTP client: every exchange the tool makes outside the browser goes into the WARC.

Syndication JSON, oEmbed, short-link hops, media downloads and Wayback API calls are request/response
pairs under their real URLs (docs/warc.md), so they index and replay like what the browser saw.
Politeness: one request in flight per host, retries with exponential backoff on connect
errors and timeouts and on 429/503 (honouring Retry-After); every attempt is recorded.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from archiver.capture.types import Exchange, RecordInfo
from archiver.capture.warc import WarcStore
from archiver.errors import NetworkError, RefusedError, SourceError
from archiver.net import NetOptions
from archiver.netpolicy import AddressRefused, judge_literal

from ..resource import Closing

logger = logging.getLogger(__name__)

# t.co answers non-browser agents with a plain 3xx (docs/platforms.md, "Short links").
CURL_UA = "curl/8.5.0"
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)

MAX_REDIRECTS = 20
RETRY_STATUSES = frozenset({429, 503})


def _protocol(http_version: str) -> str:
    """httpx's "HTTP/2" -> "h2" (ALPN names, as WARC-Protocol uses), "HTTP/1.1" -> "http/1.1"."""
    v = http_version.upper()
    return {"HTTP/2": "h2", "HTTP/3": "h3"}.get(v, v.lower())


def _server_ip(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        addr = stream.get_extra_info("server_addr")
    except OSError:
        return None
    return str(addr[0]) if addr else None


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, kind):
            return e
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


def describe_error(exc: httpx.HTTPError) -> tuple[str, bool]:
    """(what failed, in a few words; whether trying again may help)."""
    refused = _cause(exc, AddressRefused)
    if isinstance(refused, AddressRefused):
        return f"refused: {refused.host}:{refused.port} {refused.reason}", False
    if _cause(exc, socket.gaierror) is not None or "Name or service not known" in str(exc):
        return "host name not resolved", False
    tls = _cause(exc, ssl.SSLError)
    if tls is not None:
        reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(tls)
        return f"TLS error: {reason}", False
    if isinstance(exc, httpx.ConnectTimeout):
        return "timed out connecting", True
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for the server", True
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc})" if str(exc) else "could not connect", True
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return f"connection broken ({exc})" if str(exc) else "connection broken", True
    return f"{type(exc).__name__}: {exc}", False


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RecordingClient(Closing):
    """An httpx client (from NetOptions.httpx_client) whose every exchange is written to a WarcStore.

    A response returned by get() has its body read; `response.extensions["warc_records"]` holds the
    (request, response) RecordInfo pair when a store is attached.
    """

    def __init__(
        self,
        net: NetOptions,
        store: WarcStore | None,
        *,
        user_agent: str | None = None,
        timeout: float = 30.0,
        on_record: Callable[[RecordInfo], None] | None = None,
        max_retries: int = 2,
        backoff: float = 1.0,
        max_sleep: float = 30.0,
        per_host: bool = True,
        http2: bool = True,
    ) -> None:
        self.net = net
        self.store = store
        self.on_record = on_record
        # When set, a response that declares a longer body is refused before its body is read
        # (`--max-bytes` for article sources); a body without Content-Length is read whole.
        self.max_body: int | None = None
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_sleep = max_sleep
        self.per_host = per_host
        self._client = net.httpx_client(timeout=timeout, user_agent=user_agent, http2=http2)
        self._gates: dict[str, threading.Lock] = {}
        self._gates_lock = threading.Lock()

    # -- politeness ------------------------------------------------------------------------------

    @contextmanager
    def _gate(self, host: str) -> Iterator[None]:
        """At most one request in flight per host (held through backoff sleeps too)."""
        if not self.per_host:
            yield
            return
        with self._gates_lock:
            lock = self._gates.setdefault(host.lower(), threading.Lock())
        with lock:
            yield

    def _delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        wait: float = self.backoff * 2.0**attempt
        if response is not None:
            hinted = retry_after(response.headers.get("retry-after"))
            if hinted is not None:
                wait = hinted
        return min(wait, self.max_sleep)

    # -- requests --------------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = False,
        page_id: str | None = None,
    ) -> httpx.Response:
        """GET `url`; each redirect hop (when followed) is its own recorded request/response pair.

        Raises NetworkError on DNS, connect, TLS and timeout failures (after retries).
        """
        history: list[httpx.Response] = []
        current = url
        while True:
            response = self._fetch(current, headers, page_id)
            location = response.headers.get("location")
            if not (follow_redirects and response.is_redirect and location):
                response.history = history
                return response
            if len(history) >= MAX_REDIRECTS:
                raise NetworkError(f"GET {url}: more than {MAX_REDIRECTS} redirects")
            history.append(response)
            current = str(response.url.join(location))

    def _fetch(self, url: str, headers: dict[str, str] | None, page_id: str | None) -> httpx.Response:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as e:
            raise NetworkError(f"GET {url}: bad URL ({e})") from e
        if parsed.scheme not in ("http", "https"):
            raise RefusedError(f"refused: {url}: only http and https URLs are fetched")
        host = parsed.host
        if self.net.proxy:
            # The proxy resolves names; what can be judged here is an IP literal.
            try:
                judge_literal(self.net, host, parsed.port or (443 if parsed.scheme == "https" else 80))
            except AddressRefused as e:
                raise RefusedError(f"refused: {url} {e.reason}") from e
        with self._gate(host):
            attempt = 0
            while True:
                try:
                    response = self._send_once(url, headers, page_id)
                except httpx.HTTPError as e:
                    refused = _cause(e, AddressRefused)
                    if isinstance(refused, AddressRefused):
                        raise RefusedError(f"refused: {url} {refused.reason}") from e
                    what, transient = describe_error(e)
                    if transient and attempt < self.max_retries:
                        wait = self._delay(attempt)
                        logger.info("GET %s: %s; retrying in %.1fs", url, what, wait)
                        time.sleep(wait)
                        attempt += 1
                        continue
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise NetworkError(f"GET {url}: {what}{tries}") from e
                if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                    wait = self._delay(attempt, response)
                    logger.info("GET %s: HTTP %s; retrying in %.1fs", url, response.status_code, wait)
                    time.sleep(wait)
                    attempt += 1
                    continue
                return response

    def _send_once(self, url: str, headers: dict[str, str] | None, page_id: str | None) -> httpx.Response:
        request = self._client.build_request("GET", url, headers=headers)
        response = self._client.send(request, stream=True)
        try:
            # The server address is only known while the connection is open: read it before the body.
            ip = _server_ip(response)
            date = datetime.now(UTC)
            declared = response.headers.get("content-length", "")
            if self.max_body is not None and declared.isdigit() and int(declared) > self.max_body:
                raise SourceError(f"{url}: {declared} bytes is over --max-bytes {self.max_body}; skipped "
                                  "(raise --max-bytes to read it)")
            response.read()  # decodes gzip/br/deflate and de-chunks: the Exchange is decoded=True
        finally:
            response.close()
        if self.store is not None:
            self._record(request, response, ip, date, page_id)
        return response

    def _record(
        self, request: httpx.Request, response: httpx.Response, ip: str | None, date: datetime, page_id: str | None
    ) -> None:
        assert self.store is not None
        ex = Exchange(
            url=str(request.url),
            method=request.method,
            request_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            status=response.status_code,
            response_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
            body=response.content,
            request_body=request.content or None,
            reason=response.reason_phrase,
            protocol=_protocol(response.http_version),
            ip=ip,
            date=date,
            decoded=True,
            page_id=page_id,
        )
        pair = self.store.write_exchange(ex)
        response.extensions["warc_records"] = pair
        if self.on_record is not None:
            for info in pair:
                self.on_record(info)

    def close(self) -> None:
        self._client.close()

