"""Hostile and broken servers: the faults a capture must survive, on demand.

Two ways in:

- https://faults.example/<name>[?...]: the fault itself (HTTP/1.1 only, see tls.HTTP1_ONLY_HOSTS);
- set_state(("fault", HOST, PATH), NAME): requests for that path of an impersonated host get
  the fault instead, until it is set back to None (e.g. a truncated photo on pbs.twimg.com, broken JSON from the
  syndication API); PATH with its query string matches first, then without.

Names (FAULTS):
    500, 503            that status, a small HTML body; 503 sends Retry-After (?retry_after=N, default 1)
    429                 Too Many Requests with Retry-After (?retry_after=N, default 3600)
    reset               announces 1 MB, sends 16 KB, then drops the connection
    hang                accepts the request and never answers (not even a status line)
    drip                announces 1 MB and sends one byte a second (?rate=N bytes a second)
    stall               announces 1 MB, sends five bytes a second for ?for=N seconds (default 2),
                        then nothing for 5 s, then the connection drops
    big                 200 MB (?mb=N) of HTML (?type=js: JavaScript) without Content-Length,
                        made as it is sent: neither side should ever hold it whole
    loop                /loop?n=N redirects to /loop?n=N+1 modulo 20: a redirect loop of 20 hops
    bad-gzip            Content-Encoding: gzip over bytes that are not gzip
    bad-json            a JSON answer cut off in the middle (application/json, 200)
    empty-json          200 with `{}` (application/json): an answer that says nothing
    truncated           the normal answer's Content-Length, half its bytes, then the connection
                        drops (a PNG or an MP4 cut short; on faults.example ?type=png|mp4)
    busy                a small HTML page whose script, once the page has loaded, never yields (a
                        busy loop): the browser's page answers nothing more, and its capture is cut
                        at the capture deadline
    oom                 a small HTML page whose script, while the page loads, takes memory until its
                        renderer runs out and crashes (Chromium ends the renderer process): the
                        page's own load event never comes. Only for a browser whose pages' heap is
                        capped small (tests/test_crashed_page.py starts Chromium with
                        --js-flags=--max-old-space-size=32): in an ordinary Chromium the page takes
                        gigabytes of the machine's memory, for many seconds, before it crashes

Also: badtls.example aborts every TLS handshake (tls.HANDSHAKE_FAIL_HOSTS).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from .app import Handler, Request, Response, SiteState, not_found, redirect, text

HOST = "faults.example"
LOOP_HOPS = 20
_CHUNK = 64 * 1024

FAULTS = ("500", "503", "429", "reset", "hang", "drip", "stall", "big", "loop", "bad-gzip", "bad-json",
          "empty-json", "truncated", "busy", "oom")

BUSY_PAGE = ("<!doctype html><title>Busy</title><h1>Busy</h1>"
             "<script>addEventListener('load', () => setTimeout(() => { while (true) {} }, 0));</script>")

OOM_PAGE = ("<!doctype html><title>Runs out</title><h1>Runs out of memory</h1>"
            "<script>const kept = []; for (;;) kept.push(new Array(100000).fill(0.5));</script>")


class ServerReset(ConnectionResetError):
    """Raised inside a body stream: the server drops the connection mid-body."""


def _int(req: Request, name: str, default: int) -> int:
    value = req.query.get(name, "")
    return int(value) if value.isdigit() else default


def _reset(length: int, sent: int, data: bytes | None = None) -> Response:
    async def gen() -> AsyncIterator[bytes]:
        body = data if data is not None else b"<!doctype html><p>" + b"x" * length
        yield body[:sent]
        await asyncio.sleep(0.05)  # let the piece go out before the connection drops
        raise ServerReset("fault: connection reset mid-body")

    return Response(200, b"", "text/html; charset=utf-8", stream=gen, length=length)


def _drip(rate: int, length: int) -> Response:
    async def gen() -> AsyncIterator[bytes]:
        yield b"<!doctype html><p>"
        for _ in range(length):
            await asyncio.sleep(1.0 / rate)
            yield b"."

    return Response(200, b"", "text/html; charset=utf-8", stream=gen, length=length + len(b"<!doctype html><p>"))


def _stall(seconds: int) -> Response:
    async def gen() -> AsyncIterator[bytes]:
        yield b"<!doctype html><p>"
        for _ in range(seconds * 5):
            await asyncio.sleep(0.2)
            yield b"."
        await asyncio.sleep(5)  # the silence; then the connection drops, if the client is still there
        raise ServerReset("fault: stalled")

    return Response(200, b"", "text/html; charset=utf-8", stream=gen, length=1024 * 1024)


def _big(total: int, js: bool) -> Response:
    async def gen() -> AsyncIterator[bytes]:
        open_, close = (b"/* ", b" */\n") if js else (b"<!-- ", b" -->\n")
        piece = open_ + b"." * (_CHUNK - len(open_) - len(close)) + close
        yield b"var big = 1;\n" if js else b"<!doctype html><title>big</title>\n"
        for _ in range(total // _CHUNK):
            yield piece
            await asyncio.sleep(0)  # other connections keep being served meanwhile

    # A stream without a length: chunked coding over HTTP/1.1.
    ctype = "application/javascript" if js else "text/html; charset=utf-8"
    return Response(200, b"", ctype, stream=gen)


_SAMPLES = {
    # A PNG signature and IHDR, an MP4 ftyp box: enough to be taken for one, then padding.
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"
            + b"\x00" * 8192, "image/png"),
    "mp4": (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 8192, "video/mp4"),
}


def respond(name: str, req: Request, normal: Callable[[], Response] | None = None) -> Response:
    """The response of fault `name` to `req`; `normal` gives the answer the fault spoils."""
    if name in ("500", "503"):
        headers = [("retry-after", str(_int(req, "retry_after", 1)))] if name == "503" else []
        return text(int(name), f"<!doctype html><title>{name}</title><h1>Error {name}</h1>", headers=headers)
    if name == "429":
        return text(429, "<!doctype html><h1>Too Many Requests</h1>",
                    headers=[("retry-after", str(_int(req, "retry_after", 3600)))])
    if name == "reset":
        return _reset(1024 * 1024, 16 * 1024)
    if name == "hang":
        return Response(0, hang=True)
    if name == "drip":
        return _drip(max(1, _int(req, "rate", 1)), 1024 * 1024)
    if name == "stall":
        return _stall(_int(req, "for", 2))
    if name == "big":
        return _big(_int(req, "mb", 200) * 1024 * 1024, req.query.get("type") == "js")
    if name == "loop":
        n = _int(req, "n", 0)
        return redirect(f"https://{req.host}{req.path}?n={(n + 1) % LOOP_HOPS}", status=302)
    if name == "bad-gzip":
        garbage = b"this is not gzip at all \x00\xff" * 40
        return Response(200, garbage, "text/html; charset=utf-8", [("content-encoding", "gzip")])
    if name == "bad-json":
        return Response(200, b'{"__typename": "Tweet", "id_str": "1", "text": "cut off in the mid',
                        "application/json; charset=utf-8")
    if name == "empty-json":
        # A JSON answer that says nothing: syndication's `{}` for a post it will not describe.
        return Response(200, b"{}", "application/json; charset=utf-8")
    if name == "busy":
        return text(200, BUSY_PAGE)
    if name == "oom":
        return text(200, OOM_PAGE)
    if name == "truncated":
        if normal is None:
            data, ctype = _SAMPLES.get(req.query.get("type", "png"), _SAMPLES["png"])
            whole = Response(200, data, ctype)
        else:
            whole = normal()
        if whole.stream is not None or whole.status != 200:
            return whole
        spoiled = _reset(len(whole.body), len(whole.body) // 2, whole.body)
        spoiled.content_type = whole.content_type
        spoiled.headers = list(whole.headers)
        return spoiled
    raise ValueError(f"unknown fault {name!r}; use one of {FAULTS}")


def injected(req: Request, state: SiteState, normal: Callable[[], Response]) -> Response | None:
    """The fault set for this host and path with set_state(("fault", HOST, PATH), NAME), if any."""
    name = state.get(("fault", req.host, req.target), state.get(("fault", req.host, req.path)))
    return respond(str(name), req, normal) if name is not None else None


def faults(req: Request, state: SiteState) -> Response:
    name = req.path.strip("/").split("/")[0]
    if name not in FAULTS:
        return not_found()
    return respond(name, req)


HANDLERS: dict[str, Handler] = {HOST: faults}
