"""The ASGI application behind the fake web: request/response records, state, logging, encoding.

Handlers are plain functions `(Request, SiteState) -> Response`, one module per family of hosts,
looked up by the Host header (HTTP/1.1) or :authority (h2, mapped to `host` by hypercorn).
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from . import site

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]


@dataclass
class Request:
    """One request as the handlers see it."""

    host: str  # lower case, without port
    method: str
    path: str  # raw path, without the query
    query_string: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    tls: bool
    protocol: str  # "http/1.1" or "h2"
    body: bytes = b""

    @property
    def target(self) -> str:
        """Path plus query, as sent on the request line."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()}

    @property
    def is_browser(self) -> bool:
        # t.co and friends decide by user agent alone: browsers get a page, other clients a redirect.
        return "mozilla" in self.headers.get("user-agent", "").lower()

    @property
    def accepts_gzip(self) -> bool:
        return "gzip" in self.headers.get("accept-encoding", "").lower()


@dataclass
class Response:
    """What a handler answers. `gzip` encodes the body when the client accepts it; `gzip` and
    `chunked` both omit Content-Length, which makes HTTP/1.1 use chunked transfer coding."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    gzip: bool = False
    chunked: bool = False
    stream: Callable[[], AsyncIterator[bytes]] | None = None  # body sent piece by piece (drip)
    length: int | None = None  # Content-Length announced for a stream
    hang: bool = False  # never answer at all (faults.py)


def text(status: int, body: str, content_type: str = "text/html; charset=utf-8", **kw: Any) -> Response:
    """A response with a str body encoded as UTF-8."""
    return Response(status, body.encode("utf-8"), content_type, **kw)


def redirect(location: str, status: int = 301, **kw: Any) -> Response:
    """A redirect with an empty body."""
    return Response(status, b"", None, [("location", location)], **kw)


def not_found() -> Response:
    """The 404 every unknown path and host gets."""
    return text(404, "<!DOCTYPE html><title>404 Not Found</title><h1>Not Found</h1>")


class SiteState:
    """Mutable behaviour shared between the test thread and the server thread.

    Keys (see FakeWeb.set_state): ("tweet", ID) -> one of site.TWEET_STATES; ("wayback", ID) ->
    tuple of snapshot timestamps; ("article", PATH) -> HTML of an extra news.example page (None
    removes it); ("redirect", PATH) -> where that news.example path redirects (302); ("short", CODE) ->
    the target of an extra t.co code; ("drip", PATH) -> (total_bytes, bytes_per_sec); ("fail", HOST) -> dict(status=503,
    times=1, retry_after=1): the next `times` requests to HOST get that status; ("fault", HOST,
    PATH) -> a fault name of faults.FAULTS; ("text", ID) -> the words syndication gives a live tweet
    instead of its own (the post edited since); ("screen_name", ID) -> the handle syndication gives a
    live tweet's author instead of its own (the author renamed since); ("status", PATH) -> a status news.example answers
    that path with, no body (204, 205).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Any, Any] = {}

    def set(self, key: Any, value: Any) -> None:
        """Set key to value; None removes the key (back to the site's default)."""
        if isinstance(key, tuple) and key and key[0] == "tweet" and value not in (*site.TWEET_STATES, None):
            raise ValueError(f"unknown tweet state {value!r}; use one of {site.TWEET_STATES}")
        with self._lock:
            if value is None:
                self._values.pop(key, None)
            else:
                self._values[key] = value

    def get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            return self._values.get(key, default)

    def items(self) -> list[tuple[Any, Any]]:
        with self._lock:
            return list(self._values.items())

    def tweet_state(self, tweet_id: str) -> str | None:
        """The current state of a known tweet, None for an ID the site does not know."""
        tweet = site.TWEETS.get(tweet_id)
        if tweet is None:
            return None
        return str(self.get(("tweet", tweet_id), tweet.state))

    def wayback(self, tweet_id: str) -> tuple[str, ...]:
        tweet = site.TWEETS.get(tweet_id)
        default = tweet.wayback if tweet else ()
        return tuple(self.get(("wayback", tweet_id), default))

    def take_failure(self, host: str) -> dict[str, Any] | None:
        """Consume one injected failure for host, if any is left."""
        with self._lock:
            fail = self._values.get(("fail", host))
            if not fail or fail.get("times", 1) <= 0:
                return None
            fail = dict(fail)
            fail["times"] = fail.get("times", 1) - 1
            self._values[("fail", host)] = fail
            return fail


Handler = Callable[[Request, SiteState], Response]


class FakeApp:
    """ASGI app: dispatch by host, log every request, encode bodies."""

    def __init__(self, handlers: dict[str, Handler], state: SiteState, log: list[dict[str, Any]]) -> None:
        self.handlers = handlers
        self.state = state
        self.log = log
        self.active_streams = 0  # dripping responses still being sent
        self.streamed: dict[str, list[int]] = {}  # path -> size of every body write of a streamed response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = _request_from_scope(scope, body)
        try:
            response = self._respond(request)
        except Exception:  # a broken handler must show up as a 500 in the test, not hang it
            logger.exception("fakeweb handler failed for %s%s", request.host, request.target)
            response = text(500, "internal error in fakeweb handler")
        await self._send(request, response, send, receive)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _respond(self, request: Request) -> Response:
        if not request.tls:
            # Every impersonated site redirects plain HTTP to HTTPS, as the real ones do (the
            # Wayback availability API hands out http:// URLs that end up here).
            return redirect(f"https://{request.host}{request.target}")
        fail = self.state.take_failure(request.host)
        if fail is not None:
            retry = fail.get("retry_after")
            headers = [("retry-after", str(retry))] if retry is not None else []
            return text(int(fail.get("status", 503)), "Service Unavailable", "text/plain", headers=headers)
        handler = self.handlers.get(request.host)
        if handler is None:
            return not_found()
        from .faults import injected  # here: faults.py builds on this module

        fault = injected(request, self.state, lambda: handler(request, self.state))
        return fault if fault is not None else handler(request, self.state)

    async def _send(self, request: Request, response: Response, send: Send, receive: Receive) -> None:
        if response.hang:
            self._log(request, 0, [])
            await receive()  # http.disconnect: the client gave up
            return
        headers = list(response.headers)
        if response.content_type:
            headers.append(("content-type", response.content_type))
        body = response.body
        pieces: list[bytes]
        if response.stream is not None:
            if response.length is not None:
                headers.append(("content-length", str(response.length)))
            pieces = []
        elif response.gzip or response.chunked:
            if response.gzip:
                headers.append(("vary", "Accept-Encoding"))
                if request.accepts_gzip:
                    body = gzip.compress(body, mtime=0)
                    headers.append(("content-encoding", "gzip"))
            # Several body messages and no Content-Length: h11 answers with chunked coding.
            half = max(1, len(body) // 2)
            pieces = [body[:half], body[half:]] if body else []
        else:
            headers.append(("content-length", str(len(body))))
            pieces = [body]
        self._log(request, response.status, headers)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        if request.method == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if response.stream is not None:
            # The request body is fully read, so the next message is http.disconnect: stop
            # dripping as soon as the client goes away (e.g. a SIGKILLed archiver).
            gone = asyncio.ensure_future(receive())
            self.active_streams += 1
            writes = self.streamed.setdefault(request.path, [])
            try:
                async for chunk in response.stream():
                    if gone.done():
                        return
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    writes.append(len(chunk))  # list.append is atomic: safe to read from the test thread
            except ConnectionResetError:
                # A fault (faults.py): the body ends unfinished. Over HTTP/1.1 hypercorn then drops
                # the connection; over h2 the stream ends early, short of its Content-Length.
                if request.protocol != "h2":
                    return
            finally:
                self.active_streams -= 1
                gone.cancel()
        else:
            for piece in pieces:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                await asyncio.sleep(0)  # let the first piece go out on its own
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _log(self, request: Request, status: int, response_headers: list[tuple[str, str]]) -> None:
        entry = {
            "host": request.host,
            "method": request.method,
            "path": request.target,
            "status": status,
            "protocol": request.protocol,
            "tls": request.tls,
            "headers": dict(request.headers),
            "response_headers": dict(response_headers),
            "time": time.time(),
        }
        self.log.append(entry)  # list.append is atomic under the GIL: safe to read from the test thread
        logger.debug("%s %s %s%s -> %s", request.protocol, request.method, request.host, request.target, status)


def _request_from_scope(scope: Scope, body: bytes) -> Request:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    host = headers.get("host", "").lower()
    if host.startswith("["):
        host = host.split("]")[0] + "]"
    else:
        host = host.rsplit(":", 1)[0] if ":" in host else host
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    return Request(
        host=host,
        method=scope["method"],
        path=raw_path.decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        tls=scope.get("scheme") == "https",
        protocol="h2" if scope.get("http_version") == "2" else "http/1.1",
        body=body,
    )
