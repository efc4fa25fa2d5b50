"""The recording HTTP client: every exchange the tool makes outside the browser goes into the WARC.

Syndication JSON, oEmbed, short-link hops, media downloads and Wayback API calls are request/response
pairs under their real URLs (docs/warc.md), so they index and replay like what the browser saw.
Politeness: one request in flight per host, retries with exponential backoff on connect
errors and timeouts and on 429/503 (honouring Retry-After); every attempt is recorded.

Limits (archiver.limits): bodies are streamed, and a body over `max_body` is cut off while it is
read, never held whole (a chunked body announces no length). One fetch, with its redirect hops,
retries and their waits, ends at its deadline however slowly the server drips: httpx's timeouts
apply to each read, so every step of the exchange (connect, TLS handshake, each read of the head
and of the body) is given no more than the time left and none starts once it is gone
(`net.fetch_bound`), and a watchdog shuts the socket of a read still blocked when the time is up. What
broke a limit (a body over `max_body`, the deadline) is not recorded and is named in the failure.
An answer whose status line and headers arrived but whose body could not be read whole (the
connection broke, a body shorter than the length it announced, bad gzip) is named too, and recorded
as what it is: its headers and the body bytes read, marked `WARC-Truncated` (docs/warc.md).

A failure says whether the network itself may be down (NetworkUnreachable: no name resolved, no
route) or only that one server failed (NetworkError: refused, reset, TLS, timeout, a bad body).
"""

from __future__ import annotations

import email.utils
import errno
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import Cookie, DefaultCookiePolicy
from typing import Any

import httpx

from archiver.errors import DeadlineExceeded, LimitExceeded, NetworkError, NetworkUnreachable, RefusedError
from archiver.limits import DEFAULT_FETCH_DEADLINE, seconds
from archiver.net import NetOptions, fetch_bound
from archiver.netpolicy import AddressRefused, judge_literal
from archiver.warcstore import Batch, Exchange

from ..resource import Closing

logger = logging.getLogger(__name__)
# The status counted for a redirect httpx gave up on (its Location no address): some 3xx.
_UNREAD_REDIRECT = 300

try:  # HTTP/2 (the h2 package) may be absent: httpx then speaks HTTP/1.1 only
    from h2.exceptions import H2Error
except ImportError:  # pragma: no cover
    class H2Error(Exception):  # type: ignore[no-redef]
        """Never raised: stands in for h2's errors when h2 is not installed."""

# A broken HTTP/2 stream (e.g. a body shorter than its Content-Length) escapes httpx as h2's own
# error, not as an httpx one: both are failures of the exchange.
_EXCHANGE_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, H2Error)

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


def _cause(exc: BaseException, kind: type[BaseException],
           where: Callable[[BaseException], bool] = lambda _e: True) -> BaseException | None:
    """The first exception of type `kind` (for which `where` holds) in `exc`'s chain of causes."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, kind) and where(e):
            return e
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


def describe_error(exc: Exception, proxy: str | None = None) -> tuple[str, bool]:
    """(what failed, in a few words; whether trying again may help). With a `proxy`, every
    connection is the proxy's: a connection that failed names it (without its credentials)."""
    refused = _cause(exc, AddressRefused)
    if isinstance(refused, AddressRefused):
        return f"refused: {refused.host}:{refused.port} {refused.reason}", False
    if proxy and isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        from archiver.redact import redact_endpoint

        what, transient = describe_error(exc)
        return f"{what} (the proxy {redact_endpoint(proxy)})", transient
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
    if isinstance(exc, httpx.DecodingError):
        return f"body could not be decoded ({exc})", False
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, H2Error)):
        return f"connection broken ({exc})" if str(exc) else "connection broken", True
    return f"{type(exc).__name__}: {exc}", False


# What a connect fails with when there is no route: the network itself may be down.
_NO_ROUTE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})


def is_unreachable(exc: BaseException) -> bool:
    """True when `exc` says the network itself may be down: no name could be resolved, or no
    route led to the address. A refused connection, a timeout, a TLS failure or a broken answer
    says something about one server only."""
    if _cause(exc, socket.gaierror) is not None or "Name or service not known" in str(exc):
        return True
    return _cause(exc, OSError, lambda e: getattr(e, "errno", None) in _NO_ROUTE) is not None


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


_SLACK = 0.05  # seconds: a watchdog timer may fire a hair before the clock reads the deadline


class _Deadline:
    """The end of one fetch on the monotonic clock."""

    def __init__(self, url: str, seconds_: float | None) -> None:
        self.url = url
        self.seconds = seconds_
        self.end = None if seconds_ is None else time.monotonic() + seconds_

    def left(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    def extend(self, seconds_: float) -> None:
        """Move the end later by `seconds_`: time the fetch spent waiting on this process, not on
        the server (queued behind its other requests to the same host)."""
        if self.end is not None:
            self.end += seconds_

    def passed(self) -> bool:
        left = self.left()
        return left is not None and left <= _SLACK

    def error(self, last: str | None = None) -> DeadlineExceeded:
        """The deadline's failure; `last`: what the last attempt met, when one failed before it."""
        assert self.seconds is not None
        met = f"; the last attempt: {last}" if last else ""
        return DeadlineExceeded(f"GET {self.url}: gave up after {seconds(self.seconds)} (deadline; "
                             f"raise --fetch-deadline to wait longer){met}")

    def timeout(self, per_phase: httpx.Timeout) -> httpx.Timeout:
        """The client's timeouts, none longer than the time left."""
        left = self.left()
        if left is None:
            return per_phase
        left = max(left, 0.001)

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(connect=cap(per_phase.connect), read=cap(per_phase.read),
                             write=cap(per_phase.write), pool=cap(per_phase.pool))


class _Watchdog:
    """Shuts a response's socket at the deadline, waking a read blocked in another call.

    A drip server answers each read in time; one that stops after its headers blocks a read for
    up to the read timeout. Shutting the socket (not closing it: the reading thread still owns
    the descriptor) makes that read return at once.
    """

    def __init__(self, response: httpx.Response, left: float | None) -> None:
        self._timer: threading.Timer | None = None
        # Set once the socket was shut: a body read up to then is cut short, however it ended (a
        # body delimited by the connection's close would otherwise look whole).
        self.fired = False
        stream = response.extensions.get("network_stream")
        sock = None
        if stream is not None:
            try:
                sock = stream.get_extra_info("socket")
            except (OSError, AttributeError):
                sock = None
        if left is not None and isinstance(sock, socket.socket):
            self._timer = threading.Timer(max(left, 0.0), self._fire, (sock,))
            self._timer.daemon = True
            self._timer.start()

    def _fire(self, sock: socket.socket) -> None:
        self.fired = True
        _shutdown(sock)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    try:
        # The plain socket's shutdown, also for an SSLSocket: its own would drop the TLS state
        # under the thread that is reading.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


_CLIENT_DEFAULT: Any = object()


class _KeepNone(DefaultCookiePolicy):
    """A cookie policy that accepts no cookie (the client's own jar stays empty)."""

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        return False


_KEEP_NONE = _KeepNone()


class RecordingClient(Closing):
    """An httpx client (from NetOptions.httpx_client) that writes each exchange into the Batch a
    get() is handed.

    The client holds no store and no per-capture state: captures in flight at once each pass their
    own batch, and get() without one records nothing (`archiver scan`). A response returned by
    get() has its body read; `response.extensions["warc_records"]` holds the (request, response)
    RecordInfo pair when it was recorded. `max_body` (bytes of one body) and `deadline` (seconds
    for one get(), all included) are the defaults of every get() that does not pass its own; None
    means no limit.
    """

    def __init__(
        self,
        net: NetOptions,
        *,
        user_agent: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        backoff: float = 1.0,
        max_sleep: float = 30.0,
        per_host: bool = True,
        http2: bool = True,
        max_body: int | None = None,
        deadline: float | None = DEFAULT_FETCH_DEADLINE,
        gate: Callable[[str], AbstractContextManager[object]] | None = None,
    ) -> None:
        self.net = net
        self.max_body = max_body
        self.deadline = deadline
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_sleep = max_sleep
        self.per_host = per_host
        self._client = net.httpx_client(timeout=timeout, user_agent=user_agent, http2=http2)
        # The client keeps no cookie: each get() has a jar of its own (`_Jar`), so a session one
        # source or post was given never reaches another, nor its WARC request record.
        self._client.cookies.jar.set_policy(_KEEP_NONE)
        self._gates: dict[str, threading.Lock] = {}
        self._gates_lock = threading.Lock()
        self._shared_gate = gate

    # -- politeness ------------------------------------------------------------------------------

    @contextmanager
    def _gate(self, host: str) -> Iterator[None]:
        """At most one request in flight per host (held through backoff sleeps too): in this
        process, or wherever the `gate` given at construction spans (a cluster's workers)."""
        if not self.per_host:
            yield
            return
        if self._shared_gate is not None:
            with self._shared_gate(host):
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
        batch: Batch | None = None,
        page_id: str | None = None,
        max_body: int | None = _CLIENT_DEFAULT,
        deadline: float | None = _CLIENT_DEFAULT,
        on_answer: Callable[[int], None] | None = None,
    ) -> httpx.Response:
        """GET `url`, recording into `batch` (None: not recorded); each redirect hop (when followed)
        is its own request/response pair. `on_answer` is told the status of each answer whose status
        line and headers arrived (every attempt and hop), even one whose body then failed: a server
        that answered at all, unlike one that could not be reached.

        Raises NetworkError on DNS, connect, TLS and timeout failures (after retries), and its
        LimitExceeded when the body is over `max_body` or the fetch outlives its `deadline`.
        """
        limit = self.max_body if max_body is _CLIENT_DEFAULT else max_body
        clock = _Deadline(url, self.deadline if deadline is _CLIENT_DEFAULT else deadline)
        history: list[httpx.Response] = []
        current = url
        jar = httpx.Cookies()  # what the servers of this fetch's hops set, for its later hops only
        while True:
            response = self._fetch(current, headers, batch, page_id, limit, clock, on_answer, jar)
            location = response.headers.get("location")
            if not (follow_redirects and response.is_redirect and location):
                response.history = history
                return response
            if len(history) >= MAX_REDIRECTS:
                raise NetworkError(f"GET {url}: more than {MAX_REDIRECTS} redirects")
            history.append(response)
            current = str(response.url.join(location))

    def _fetch(self, url: str, headers: dict[str, str] | None, batch: Batch | None, page_id: str | None,
               max_body: int | None, clock: _Deadline,
               on_answer: Callable[[int], None] | None = None, jar: httpx.Cookies | None = None) -> httpx.Response:
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
        queued = time.monotonic()
        with self._gate(host):
            # The deadline bounds the server's time: waiting here, behind this process's own requests to
            # the host (one at a time, politely), is not the server's, and would fail a fast answer
            # as one that took too long.
            clock.extend(time.monotonic() - queued)
            attempt = 0
            last: str | None = None  # what the last failed attempt met
            while True:
                if clock.passed():
                    raise clock.error(last)
                try:
                    response = self._send_once(url, headers, batch, page_id, max_body, clock, on_answer, jar)
                except _EXCHANGE_ERRORS as e:
                    refused = _cause(e, AddressRefused)
                    if isinstance(refused, AddressRefused):
                        raise RefusedError(f"refused: {url} {refused.reason}") from e
                    if clock.passed():
                        # This attempt ended with the deadline (its timeout, its watchdog): what an
                        # earlier one met, if any, is the server's own failure.
                        raise clock.error(last) from e
                    what, transient = describe_error(e, self.net.proxy)
                    if transient and attempt < self.max_retries:
                        wait = self._delay(attempt)
                        if self._sleep(url, what, wait, clock):
                            attempt, last = attempt + 1, what
                            continue
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    kind = NetworkUnreachable if is_unreachable(e) else NetworkError
                    raise kind(f"GET {url}: {what}{tries}") from e
                if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                    wait = self._delay(attempt, response)
                    if self._sleep(url, f"HTTP {response.status_code}", wait, clock):
                        attempt, last = attempt + 1, f"HTTP {response.status_code}"
                        continue
                return response

    def _sleep(self, url: str, what: str, wait: float, clock: _Deadline) -> bool:
        """Wait before a retry; False (and no wait) when the retry could not start before the deadline."""
        left = clock.left()
        if left is not None and wait >= left:
            logger.info("GET %s: %s; no retry: waiting %.1fs would pass the fetch deadline", url, what, wait)
            return False
        logger.info("GET %s: %s; retrying in %.1fs", url, what, wait)
        time.sleep(wait)
        return True

    def _send_once(self, url: str, headers: dict[str, str] | None, batch: Batch | None,
                   page_id: str | None, max_body: int | None, clock: _Deadline,
                   on_answer: Callable[[int], None] | None = None,
                   jar: httpx.Cookies | None = None) -> httpx.Response:
        # From the connect to the last byte of the body, no step of the exchange outlasts the
        # deadline: not the connect or the TLS handshake, not the wait for the head (a server can
        # send `100 Continue` heads, or one header line a second, for ever), not the body.
        with fetch_bound(clock.left):
            return self._exchange(url, headers, batch, page_id, max_body, clock, on_answer, jar)

    def _exchange(self, url: str, headers: dict[str, str] | None, batch: Batch | None,
                  page_id: str | None, max_body: int | None, clock: _Deadline,
                  on_answer: Callable[[int], None] | None = None,
                  jar: httpx.Cookies | None = None) -> httpx.Response:
        request = self._client.build_request("GET", url, headers=headers, cookies=jar,
                                             timeout=clock.timeout(self._client.timeout))
        try:
            response = self._client.send(request, stream=True)
        except (httpx.InvalidURL, httpx.RemoteProtocolError) as e:
            # httpx reads a redirect's Location even when it does not follow it, and gives up the
            # answer (unrecorded) when that is no address: the server's answer, not a broken
            # connection, and no second request would read it otherwise.
            if isinstance(e, httpx.InvalidURL) or "location header" in str(e).lower():
                if on_answer is not None:
                    on_answer(_UNREAD_REDIRECT)  # a server did answer: the network is not what failed
                raise NetworkError(f"GET {url}: answered a redirect to an address that cannot be read ({e})") from e
            raise
        except UnicodeError as e:
            # A host name that is no valid IDNA (`xn--a.example`), met where a redirect led:
            # idna's error, raised as that request is sent.
            raise NetworkError(f"GET {url}: led to an address whose host name is not valid ({e})") from e
        if on_answer is not None:
            on_answer(response.status_code)
        if jar is not None:
            jar.extract_cookies(response)
        watchdog = _Watchdog(response, clock.left())
        got: list[bytes] = []  # the body as read so far (decoded)
        try:
            # The server address is only known while the connection is open: read it before the body.
            ip = _server_ip(response)
            date = datetime.now(UTC)
            declared = response.headers.get("content-length", "")
            if max_body is not None and declared.isdigit() and int(declared) > max_body:
                raise LimitExceeded(f"{url}: {declared} bytes is over --max-bytes {max_body}; skipped "
                                    "(raise --max-bytes to read it)")
            _refuse_stacked_codings(response, url)
            _read_body(response, url, max_body, clock, got)
            watchdog.cancel()
            if watchdog.fired:
                raise clock.error()  # the body ended because its socket was shut: cut short
            try:
                _check_length(response, url)
            except NetworkError:
                if batch is not None:
                    _record(batch, request, response, ip, date, page_id, b"".join(got), "disconnect")
                raise
        except _EXCHANGE_ERRORS as e:
            if clock.passed():
                raise clock.error() from e
            if batch is not None and not isinstance(e, httpx.TimeoutException):
                # The status line and headers arrived, the body could not be read whole: what came is
                # recorded as what it is (docs/warc.md, "Truncated responses"), and the failure named.
                reason = "unspecified" if isinstance(e, httpx.DecodingError) else "disconnect"
                _record(batch, request, response, ip, date, page_id, b"".join(got), reason)
            raise
        finally:
            watchdog.cancel()
            response.close()
        if batch is not None:
            _record(batch, request, response, ip, date, page_id)
        return response

    def bind(self, batch: Batch | None) -> BoundClient:
        """This client recording into `batch`, for code that takes any HttpGetter (the fetchers)."""
        return BoundClient(self, batch)

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class BoundClient:
    """A RecordingClient and the Batch its get() calls record into (an HttpGetter).

    It keeps what its get() calls met: `answered`, the status of every answer that arrived (its
    status line and headers, whatever the status, even a 429 or a 503), and `unanswered`, what each
    get() that met no answer at all failed with (a refused or reset connection, a TLS failure, a
    timeout, no route, a refusal by the network policy).
    """

    client: RecordingClient
    batch: Batch | None
    answered: list[int] = field(default_factory=list, compare=False)
    unanswered: list[str] = field(default_factory=list, compare=False)
    completed: list[int] = field(default_factory=list, compare=False)  # statuses of answers read whole

    def get(self, url: str, *, headers: dict[str, str] | None = None,
            follow_redirects: bool = False) -> httpx.Response:
        seen: list[int] = []
        try:
            response = self.client.get(url, headers=headers, follow_redirects=follow_redirects, batch=self.batch,
                                       on_answer=seen.append)
            self.completed.append(response.status_code)
            return response
        except Exception as e:
            if not seen:
                self.unanswered.append(str(e) or type(e).__name__)
            raise
        finally:
            self.answered.extend(seen)

    @property
    def none_usable(self) -> bool:
        """True when requests were made and none came back whole with an answer about what was
        asked: each was refused by its server (429, any 5xx: overloaded, down, rate-limiting), cut
        off mid-answer, or not answered at all."""
        made = bool(self.answered or self.unanswered)
        return made and not any(status != 429 and status < 500 for status in self.completed)

    @property
    def no_answer(self) -> str | None:
        """What the requests failed with, when some were made and no server answered any of them
        (None otherwise: nothing was asked, or something answered)."""
        if self.answered or not self.unanswered:
            return None
        return "; ".join(dict.fromkeys(self.unanswered))


def _record(batch: Batch, request: httpx.Request, response: httpx.Response, ip: str | None, date: datetime,
            page_id: str | None, body: bytes | None = None, truncated: str | None = None) -> None:
    ex = Exchange(
        url=str(request.url),
        method=request.method,
        request_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
        status=response.status_code,
        response_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
        body=response.content if body is None else body,
        request_body=request.content or None,
        reason=response.reason_phrase,
        protocol=_protocol(response.http_version),
        ip=ip,
        date=date,
        decoded=True,
        page_id=page_id,
        truncated=truncated,
    )
    response.extensions["warc_records"] = batch.write_exchange(ex)


def declared_length(status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> int | None:
    """The body length an answer's Content-Length announced, when a body can be held against it:
    None for bodiless statuses (1xx, 204, 304), a body sent with a Content-Encoding other than
    identity or with a Transfer-Encoding (its Content-Length is not the body's size, or void), and
    no length or a malformed one. An empty body (`Content-Length: 0`) is empty in any encoding.
    The one rule for the HTTP client, media downloads and the browser."""
    if status < 200 or status in (204, 304):
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    names = {k.lower(): v.strip() for k, v in pairs}
    if "transfer-encoding" in names:
        return None
    if names.get("content-encoding", "identity").lower() not in ("", "identity"):
        return 0 if names.get("content-length") == "0" else None
    value = names.get("content-length", "")
    return int(value) if value.isdigit() else None


def cut_short(declared: int | None, got: int) -> str | None:
    """Why a body of `got` bytes is not whole, when its answer announced another length."""
    if declared is None or declared == got:
        return None
    return f"body cut short: {got} of the {declared} bytes it announced"


def _check_length(response: httpx.Response, url: str) -> None:
    """A body that is not as long as its answer declared (not compressed) is not a whole answer:
    never recorded or returned as one. The protocol layers check this too; this holds whatever
    they let through."""
    short = cut_short(declared_length(response.status_code, response.headers), response.num_bytes_downloaded)
    if short:
        raise NetworkError(f"GET {url}: connection broken ({short})")


def _refuse_stacked_codings(response: httpx.Response, url: str) -> None:
    """LimitExceeded for a body under more than one content coding (`gzip, gzip`).

    Each layer of gzip multiplies what one chunk read from the socket decodes to (some 1,000 times
    a layer): two layers turn 2 KB into 1 GB inside a single decoding step, before `--max-bytes`
    can count any of it. Servers do not stack codings; a decompression bomb does."""
    codings = [c.strip().lower() for value in response.headers.get_list("content-encoding")
               for c in value.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1:
        raise LimitExceeded(f"{url}: its body is under {len(codings)} content codings "
                            f"({', '.join(codings)}); not decoded: stacked codings are a decompression bomb's shape")


def _read_body(response: httpx.Response, url: str, max_body: int | None, clock: _Deadline,
               chunks: list[bytes]) -> None:
    """Read the body chunk by chunk, decoded (gzip/br/deflate, de-chunked: the Exchange is
    decoded=True), stopping at `max_body` decoded bytes (which also bounds a compression bomb)
    or at the deadline; on success the body is `response.content`."""
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if max_body is not None and total > max_body:
            raise LimitExceeded(f"{url}: body is over --max-bytes {max_body}; cut off and skipped "
                                "(raise --max-bytes to read it)")
        if clock.passed():
            raise clock.error()
        chunks.append(chunk)
    # What Response.read() would have stored; reading through iter_bytes() is what let us stop early.
    response._content = b"".join(chunks)

