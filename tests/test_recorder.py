"""The traffic recorder: pure helpers, and a real Chromium recording a local multi-host site into WARC.

The local site (plain HTTP/1.1, several host names mapped to one port with Chromium's host
resolver rules) has what the recorder must get right: a redirect, a gzip + chunked page, a
cross-origin iframe whose script fetches JSON from a third host, a slow response still in flight
after `load`, a 206, a response cut short, and a data: URL.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import logging
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.browser import CHROMIUM_SERVICE_HOSTS, Browser
from archiver.capture.cdp import has_body, pairs
from archiver.capture.traffic import (
    is_internal_redirect,
    response_time,
    should_record,
)
from archiver.net import NetOptions
from archiver.warcstore import Batch, WarcStore

VENV_BIN = Path(sys.executable).parent

# -- pure helpers ------------------------------------------------------------------------------------


def test_should_record_keeps_http_only() -> None:
    assert should_record("https://x.com/a")
    assert should_record("HTTP://news.example/")
    assert not should_record("data:image/png;base64,AAAA")
    assert not should_record("blob:https://x.com/1234")
    assert not should_record("wss://stream.example/")
    assert not should_record("chrome-extension://abc/x.js")
    assert not should_record("https://x.com/stream", "eventsource")
    assert not should_record("https://x.com/ws", "websocket")


def test_internal_redirect_is_recognised() -> None:
    hsts = [("Location", "https://twitter.com/"), ("Non-Authoritative-Reason", "HSTS")]
    assert is_internal_redirect(307, "Internal Redirect", hsts, None)
    assert is_internal_redirect(307, None, [("Non-Authoritative-Reason", "HSTS")], None)
    # A server's real 307 has an address and its own reason phrase.
    assert not is_internal_redirect(307, "Temporary Redirect", [("Location", "/b")], "127.0.0.1")
    assert not is_internal_redirect(302, "Internal Redirect", [], None)


def test_pairs_splits_cdp_joined_headers() -> None:
    assert pairs({"Set-Cookie": "a=1\nb=2", "X": "y"}) == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X", "y")]
    assert pairs([{"name": "A", "value": "1"}, {"name": "a", "value": "2"}]) == [("A", "1"), ("a", "2")]


def test_bodies_exist_except_for_redirects_and_204() -> None:
    assert has_body(200) and has_body(404) and has_body(206)
    assert not has_body(301) and not has_body(304) and not has_body(204)


def test_response_time_from_timing() -> None:
    when = response_time({"startTime": 1_700_000_000_000.0, "responseStart": 250.0})
    assert when == datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC)
    assert response_time({"startTime": -1, "responseStart": -1}).tzinfo is UTC


# -- a local multi-host site ------------------------------------------------------------------------

PIXEL_PNG = (  # 1x1 transparent PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
FRAME_TEXT = "Water is rising at the old bridge"  # only in the JSON the iframe fetches
ARTICLE_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Local article</title>
</head>
<body><h1>Flood news</h1><p>Article body text.</p>
<img src="/pixel.png" width="10" height="10"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<iframe data-embed="1" src="http://embed.test/frame" width="400" height="200" style="border:0"></iframe>
<div style="height:1500px"></div><p id="end">The end.</p>
<script src="/broken.js"></script>
<script>
window.addEventListener("load", () => {
  fetch("/slow.json").then((r) => r.json()).then((j) => { document.getElementById("end").textContent = j.text; });
  fetch("/part", {headers: {"Range": "bytes=0-3"}});
});
</script></body></html>"""
FRAME_HTML = """<!DOCTYPE html><html><head><title>embed</title></head><body style="margin:0;background:#eef">
<p id="t">loading</p><script>
setTimeout(() => fetch("http://api.test/data.json").then((r) => r.json())
  .then((j) => { document.getElementById("t").textContent = j.text; }), 200);
</script></body></html>"""


@dataclass
class Hit:
    host: str
    method: str
    path: str
    status: int


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: LocalSite

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        host = self.headers.get("Host", "").split(":")[0]
        route = self.site.routes.get((host, self.path))
        if route is None:
            self._plain(404, b"not found", "text/plain")
        else:
            route(self)

    def do_POST(self) -> None:
        # Every POST is answered 204 after its body is read whole (and kept, for tests to compare).
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.site.posted.append((self.path, body))
        self.record(204)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def record(self, status: int) -> None:
        host = self.headers.get("Host", "").split(":")[0]
        self.site.log.append(Hit(host, self.command, self.path, status))

    def _plain(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def _redirect(h: _Handler) -> None:
    h.record(302)
    h.send_response(302)
    h.send_header("Location", "/article")
    h.send_header("Content-Length", "0")
    h.end_headers()


def _gzip_chunked(h: _Handler, status: int, body: bytes, content_type: str, header: tuple[str, str]) -> None:
    """An answer gzip-encoded and chunked on the wire (no Content-Length), in chunks of 100 bytes."""
    data = gzip.compress(body, mtime=0)
    h.record(status)
    h.send_response(status)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Encoding", "gzip")
    h.send_header("Transfer-Encoding", "chunked")
    h.send_header(*header)
    h.end_headers()
    for i in range(0, len(data), 100):
        chunk = data[i:i + 100]
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    h.wfile.write(b"0\r\n\r\n")


def _article(h: _Handler) -> None:
    # gzip-encoded and chunked on the wire: the browser hands over the decoded body.
    _gzip_chunked(h, 200, ARTICLE_HTML.encode(), "text/html; charset=utf-8", ("Set-Cookie", "session=abc; Path=/"))


def _slow(h: _Handler) -> None:
    # Still in flight well after `load`: lost unless the capture waits for the network to settle.
    threading.Event().wait(0.8)
    h._plain(200, json.dumps({"text": "Slow update arrived"}).encode(), "application/json")


def _partial(h: _Handler) -> None:
    h._plain(206, b"abcd", "application/octet-stream", {"Content-Range": "bytes 0-3/10"})


def _broken(h: _Handler) -> None:
    # Announces 1000 bytes, sends 20, hangs up: the body can never be read completely.
    h.record(200)
    h.send_response(200)
    h.send_header("Content-Type", "text/javascript")
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b"var x = 1; // cut...")
    h.wfile.flush()
    h.close_connection = True


# A page whose script fetches an empty 404 it never reads (as Twitter's widget does for a deleted
# post's syndication JSON): Chromium then cancels the load (net::ERR_ABORTED) although the whole,
# empty, body had arrived. And a fetch the page aborts after 2000 bytes of a longer body: cut short.
UNREAD_HTML = """<!DOCTYPE html><html><head><title>unread</title></head><body><p>x</p><script>
fetch("http://api.test/gone.json").then((r) => { document.title = "got " + r.status; });
const c = new AbortController();
fetch("http://api.test/part.json", {signal: c.signal})
  .then(async (r) => { await r.body.getReader().read(); c.abort(); }).catch(() => {});
</script></body></html>"""


def _gone(h: _Handler) -> None:
    # gzip-encoded and chunked: no Content-Length to hold the (empty) body against.
    _gzip_chunked(h, 404, b"", "application/json; charset=utf-8", ("Access-Control-Allow-Origin", "*"))


def _chunked_head(h: _Handler, content_type: str, *headers: tuple[str, str]) -> None:
    """A 200's status line and headers, its body to come chunked."""
    h.record(200)
    h.send_response(200)
    h.send_header("Content-Type", content_type)
    h.send_header("Transfer-Encoding", "chunked")
    for header in headers:
        h.send_header(*header)
    h.end_headers()


def _part_then_hold(h: _Handler) -> None:
    _chunked_head(h, "application/json", ("Access-Control-Allow-Origin", "*"))
    part = b'{"first": "' + b"x" * 2000
    h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
    h.wfile.flush()
    threading.Event().wait(2)  # the rest never comes before the page gives up on it


# Text in the encodings pages still come in: each body must reach the WARC as the server sent it,
# not as Chromium decoded it for its own use (text handed over by CDP, encoded again as UTF-8).
LEGACY_HTML = ("<!DOCTYPE html><html><head><title>洪水のニュース</title></head><body><p>日本語の記事です。</p>"
               '<script src="/legacy.js"></script><iframe src="/legacy-frame"></iframe>'
               '<script>fetch("/legacy.txt").then((r) => r.text()).then((t) => { document.title += t.length; });'
               "</script></body></html>").encode("shift_jis")
LEGACY_JS = "window.headline = 'Наводнение в городе';".encode("windows-1251")
LEGACY_TXT = "Café ☃ in UTF-8, served without a charset".encode()
LEGACY_FRAME = ('<!DOCTYPE html><html><head><meta charset="windows-1252"><title>“Flood” café</title></head>'
                "<body><p>Rivers rose — fast.</p></body></html>").encode("cp1252")
LEGACY = {
    "/legacy": (LEGACY_HTML, "text/html; charset=shift_jis"),
    "/legacy.js": (LEGACY_JS, "text/javascript; charset=windows-1251"),
    "/legacy.txt": (LEGACY_TXT, "text/plain"),
    "/legacy-frame": (LEGACY_FRAME, "text/html"),
}


def _legacy_unsized(h: _Handler) -> None:
    # The page's own document, chunked: no length to go by.
    _chunked_head(h, "text/html; charset=shift_jis")
    h.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(LEGACY_HTML), LEGACY_HTML))


def _legacy_gzip(h: _Handler) -> None:
    # The same, gzip-encoded, of a stated length.
    body = gzip.compress(LEGACY_HTML, mtime=0)
    h._plain(200, body, "text/html; charset=shift_jis", {"Content-Encoding": "gzip"})


def _cut_document(h: _Handler) -> None:
    # The page's own document, chunked, its connection closed mid-body (no closing chunk).
    _chunked_head(h, "text/html; charset=utf-8")
    part = b"<!DOCTYPE html><title>cut</title><p>The river rose " + b"x" * 3000
    h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
    h.wfile.flush()
    h.close_connection = True
    with contextlib.suppress(OSError):
        h.connection.shutdown(socket.SHUT_RDWR)


def _endless_download(h: _Handler) -> None:
    # A file to save, of no stated length, that goes on and on: Chromium makes it a download.
    _chunked_head(h, "application/octet-stream", ("Content-Disposition", 'attachment; filename="../../x"'))
    try:
        for _ in range(200):
            chunk = b"A" * 65536
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            threading.Event().wait(0.01)
    except OSError:
        pass  # Chromium let go of it


class LocalSite:
    """A threaded HTTP/1.1 server answering for news.test, embed.test and api.test on one port
(any other host gets a 404)."""

    def __init__(self) -> None:
        self.log: list[Hit] = []
        self.posted: list[tuple[str, bytes]] = []  # (path, body) of each POST, as received
        self.routes: dict[tuple[str, str], Callable[[_Handler], None]] = {
            ("news.test", "/start"): _redirect,
            ("news.test", "/article"): _article,
            ("news.test", "/pixel.png"): lambda h: h._plain(200, PIXEL_PNG, "image/png"),
            ("news.test", "/slow.json"): _slow,
            ("news.test", "/part"): _partial,
            ("news.test", "/broken.js"): _broken,
            ("embed.test", "/frame"): lambda h: h._plain(200, FRAME_HTML.encode(), "text/html"),
            ("news.test", "/unread"): lambda h: h._plain(200, UNREAD_HTML.encode(), "text/html"),
            ("api.test", "/gone.json"): _gone,
            ("api.test", "/part.json"): _part_then_hold,
            **{("news.test", path): (lambda h, body=body, ctype=ctype: h._plain(200, body, ctype))
               for path, (body, ctype) in LEGACY.items()},
            ("news.test", "/legacy-unsized"): _legacy_unsized,
            ("news.test", "/legacy-gzip"): _legacy_gzip,
            ("news.test", "/download"): lambda h: h._plain(
                200, b'<!DOCTYPE html><title>dl</title><p>A page with a download in a frame.</p>'
                     b'<iframe src="/endless.bin"></iframe>', "text/html"),
            ("news.test", "/endless.bin"): _endless_download,
            ("news.test", "/cut"): _cut_document,
            ("news.test", "/tall"): lambda h: h._plain(
                200, b'<!DOCTYPE html><body style="margin:0"><div style="height:2000000px;width:20000px;'
                     b'background:linear-gradient(#fee,#eef)"></div><p>end</p></body>', "text/html"),
            ("api.test", "/data.json"): lambda h: h._plain(
                200, json.dumps({"text": FRAME_TEXT}).encode(), "application/json",
                {"Access-Control-Allow-Origin": "*"}),
        }
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def sealed_net(port: int) -> NetOptions:
    """Every host name goes to the local site: nothing can reach the network."""
    net = NetOptions.from_options([f"*=127.0.0.1:{port}"], None, None, env={})
    assert net.is_sealed()
    return net


# -- reading WARCs back ------------------------------------------------------------------------------


@dataclass
class Rec:
    type: str
    uri: str
    headers: dict[str, str]
    status: int | None
    http: list[tuple[str, str]]
    payload: bytes


def read_warcs(directory: Path) -> list[Rec]:
    out: list[Rec] = []
    for path in sorted(directory.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for r in ArchiveIterator(fh):
                status = None
                http_headers: list[tuple[str, str]] = []
                if r.http_headers is not None:
                    http_headers = list(r.http_headers.headers)
                    if r.rec_type in ("response", "revisit"):
                        status = int(r.http_headers.get_statuscode())
                out.append(Rec(r.rec_type, r.rec_headers.get_header("WARC-Target-URI") or "",
                               dict(r.rec_headers.headers), status, http_headers,
                               r.content_stream().read()))
    return out


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def warcio_check(directory: Path) -> None:
    files = [str(p) for p in sorted(directory.glob("*.warc.gz"))]
    assert files
    proc = subprocess.run([str(VENV_BIN / "warcio"), "check", "-v", *files], check=False, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the real capture --------------------------------------------------------------------------------



@pytest.fixture(scope="module")
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


@pytest.fixture(scope="module")
def browser(site: LocalSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser(sealed_net(site.port), workdir=tmp_path_factory.mktemp("browser"),
                             timeout=15) as b:
        yield b


@pytest.fixture(scope="module")
def captured(site: LocalSite, browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("capture")
    site.log.clear()
    with WarcStore(out / "warc", prefix="test") as store:
        page = browser.capture("http://news.test/start", Batch(store), screenshot_path=out / "page.png",
                               element_selectors=["iframe[data-embed]"], element_dir=out / "elements")
    return {"page": page, "dir": out, "records": read_warcs(out / "warc"), "log": list(site.log)}


@pytest.mark.browser
def test_every_served_request_is_a_request_response_pair(captured: dict[str, Any]) -> None:
    records: list[Rec] = captured["records"]
    log: list[Hit] = captured["log"]
    responses = [(r.uri, r.status) for r in records if r.type == "response"]
    requests = [r.uri for r in records if r.type == "request"]
    # The browser's own background requests (component updates) are not the page's traffic.
    served = [(f"http://{h.host}{h.path}", h.status) for h in log if h.host not in CHROMIUM_SERVICE_HOSTS]
    assert {"http://news.test/start", "http://embed.test/frame", "http://api.test/data.json",
            "http://news.test/slow.json"} <= {u for u, _ in served}
    for url, status in served:
        if url.endswith("/broken.js"):
            continue  # cut short on purpose: see test_interrupted_and_partial_responses
        assert (url, status) in responses, f"{url} ({status}) served but not in the WARC"
        assert url in requests, f"no request record for {url}"
    # Every response has its request, linked by WARC-Concurrent-To.
    ids = {r.headers["WARC-Record-ID"]: r for r in records}
    for r in records:
        if r.type == "request":
            assert ids[r.headers["WARC-Concurrent-To"]].type == "response"
    assert not [r for r in records if r.uri.startswith("data:")]


@pytest.mark.browser
def test_redirect_hop_and_decoded_body(captured: dict[str, Any]) -> None:
    records: list[Rec] = captured["records"]
    hop = next(r for r in records if r.type == "response" and r.uri == "http://news.test/start")
    assert hop.status == 302 and hop.payload == b""
    assert ("Location", "/article") in hop.http
    article = next(r for r in records if r.type == "response" and r.uri == "http://news.test/article")
    assert article.payload == ARTICLE_HTML.encode()  # decoded: gunzipped and de-chunked
    names = {k.lower(): v for k, v in article.http}
    assert names["x-archive-orig-content-encoding"] == "gzip"
    assert names["x-archive-orig-transfer-encoding"] == "chunked"
    assert names["content-length"] == str(len(ARTICLE_HTML.encode()))
    assert "content-encoding" not in names
    assert names["set-cookie"] == "session=abc; Path=/"
    assert article.headers["WARC-Protocol"] == "http/1.1"
    assert article.headers["WARC-IP-Address"] == "127.0.0.1"
    request = next(r for r in records if r.type == "request" and r.uri == "http://news.test/article")
    req_names = {k.lower(): v for k, v in request.http}
    assert req_names["host"] == "news.test"
    assert "mozilla" in req_names["user-agent"].lower()
    assert "HeadlessChrome" not in req_names["user-agent"]
    page = captured["page"]
    assert page.status == 200 and page.final_url == "http://news.test/article"
    assert page.page_record_id == article.headers["WARC-Record-ID"]
    # Every other exchange names the page it belongs to.
    pixel = next(r for r in records if r.type == "response" and r.uri == "http://news.test/pixel.png")
    assert pixel.payload == PIXEL_PNG
    assert pixel.headers["WARC-Page-ID"] == page.page_record_id


@pytest.mark.browser
def test_cross_origin_iframe_traffic_and_settling(captured: dict[str, Any]) -> None:
    records: list[Rec] = captured["records"]
    data = next(r for r in records if r.type == "response" and r.uri == "http://api.test/data.json")
    assert json.loads(data.payload)["text"] == FRAME_TEXT
    assert data.headers.get("WARC-Protocol") == "http/1.1"  # learnt through the iframe's own CDP session
    slow = next(r for r in records if r.type == "response" and r.uri == "http://news.test/slow.json")
    assert b"Slow update arrived" in slow.payload
    page = captured["page"]
    assert any(f.url == "http://embed.test/frame" and FRAME_TEXT in f.text for f in page.frames)
    assert "Slow update arrived" in (page.html or "")


@pytest.mark.browser
def test_interrupted_and_partial_responses(captured: dict[str, Any]) -> None:
    page = captured["page"]
    records: list[Rec] = captured["records"]
    assert any("206" in e and "http://news.test/part" in e for e in page.errors)
    part = next(r for r in records if r.type == "response" and r.uri == "http://news.test/part")
    assert part.status == 206 and part.payload == b"abcd"
    assert any("http://news.test/broken.js" in e for e in page.errors)
    broken = [r for r in records if r.type == "response" and r.uri == "http://news.test/broken.js"]
    assert len(broken) <= 1  # recorded with what is known, never twice
    # Cut off by the server: what arrived, marked so (never a whole answer, whichever way it was read).
    assert all(r.headers.get("WARC-Truncated") == "disconnect" for r in broken), [r.headers for r in broken]
    assert not [e for e in page.errors if "broken.js" in e and "Chromium reports no error" in e], page.errors


@pytest.mark.browser
def test_warcio_check_passes(captured: dict[str, Any]) -> None:
    warcio_check(captured["dir"] / "warc")


@pytest.mark.browser
def test_timings_cover_every_phase(captured: dict[str, Any]) -> None:
    timings = captured["page"].timings
    assert set(timings) >= {"load", "settle", "screenshots", "write"}
    assert all(v >= 0 for v in timings.values())
    # /slow.json answers 0.8 s after load: settling must have waited for it.
    assert timings["settle"] >= 0.5


def test_an_empty_answer_is_whole_in_any_encoding() -> None:
    from archiver.capture.traffic import declared_length

    gzip_empty = [("content-encoding", "gzip"), ("content-length", "0")]
    assert declared_length("GET", 404, gzip_empty) == 0  # nothing was to come: not cut short
    assert declared_length("GET", 404, [("content-encoding", "gzip"), ("content-length", "20")]) is None
    assert declared_length("GET", 200, [("content-length", "20")]) == 20
    assert declared_length("HEAD", 200, gzip_empty) is None


@pytest.mark.browser
def test_an_unread_empty_answer_chromium_cancels_is_not_marked_truncated(
        site: LocalSite, browser: Browser, tmp_path: Path) -> None:
    with WarcStore(tmp_path / "warc", prefix="test") as store:
        page = browser.capture("http://news.test/unread", Batch(store), screenshot_path=None)
    records = read_warcs(tmp_path / "warc")
    (gone,) = [r for r in records if r.type == "response" and r.uri == "http://api.test/gone.json"]
    assert gone.status == 404 and gone.payload == b""
    assert "WARC-Truncated" not in gone.headers, (gone.headers, page.errors)
    # A body the page cut off after some of it arrived is still marked.
    cut = [r for r in records if r.type == "response" and r.uri == "http://api.test/part.json"]
    assert len(cut) == 1 and cut[0].headers.get("WARC-Truncated") == "unspecified", ([r.headers for r in cut], page.errors)


@pytest.mark.browser
@pytest.mark.parametrize("start", ["/legacy", "/legacy-unsized", "/legacy-gzip"])
def test_text_in_any_encoding_is_recorded_as_the_server_sent_it(
        site: LocalSite, browser: Browser, tmp_path: Path, start: str) -> None:
    with WarcStore(tmp_path / "warc", prefix="test") as store:
        page = browser.capture(f"http://news.test{start}", Batch(store), screenshot_path=None)
    assert page.status == 200, page.errors
    bodies = {r.uri: r.payload for r in read_warcs(tmp_path / "warc") if r.type == "response"}
    # The documents: the page's and its frame's. (A script's or a fetched text's body is what Chromium
    # hands over, decoded by its charset: the same bytes only when that is UTF-8; docs/warc.md.)
    sent = {f"http://news.test{start}": LEGACY_HTML, "http://news.test/legacy-frame": LEGACY_FRAME}
    assert {uri: bodies.get(uri) == body for uri, body in sent.items()} == dict.fromkeys(sent, True), {
        uri: bodies.get(uri, b"")[:60] for uri in sent}


@pytest.mark.browser
def test_a_page_too_large_to_draw_whole_gets_its_top_left_corner(site: LocalSite, browser: Browser, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    from archiver.capture.pagesteps import MAX_FULL_PAGE, MAX_FULL_PAGE_PIXELS

    with WarcStore(tmp_path / "warc", prefix="test") as store, caplog.at_level(logging.WARNING, "archiver"):
        page = browser.capture("http://news.test/tall", Batch(store), screenshot_path=tmp_path / "tall.png")
    # Said, not only recorded: the picture shows less of the page than was captured.
    assert [r.levelno for r in caplog.records if "its picture is cut at" in r.getMessage()] == [logging.WARNING], \
        caplog.text
    cut = (MAX_FULL_PAGE[0], MAX_FULL_PAGE_PIXELS // MAX_FULL_PAGE[0])
    assert png_size((tmp_path / "tall.png").read_bytes()) == cut, page.errors
    assert [e for e in page.errors if e.startswith("full-page screenshot")] == [
        f"full-page screenshot: the page is 20000x2000050 px; its picture is cut at {cut[0]}x{cut[1]} px"]


@pytest.mark.browser
def test_a_document_cut_mid_body_ends_the_load_wait(site: LocalSite, browser: Browser, tmp_path: Path) -> None:
    """Chromium fires no `load` for a document whose chunked body was cut: the capture stops
    waiting when the failure comes (it waited out the whole timeout) and keeps what arrived."""
    with WarcStore(tmp_path / "warc", prefix="test") as store:
        page = browser.capture("http://news.test/cut", Batch(store), screenshot_path=tmp_path / "cut.png")
    assert page.status == 200
    assert "page load: the page's document was cut short (net::ERR_INCOMPLETE_CHUNKED_ENCODING): kept what arrived " \
        "of it, its load event never came" in page.errors, page.errors
    assert not any("Timeout" in e for e in page.errors), page.errors
    assert (tmp_path / "cut.png").is_file() and "The river rose" in (page.html or "")
    (doc,) = [r for r in read_warcs(tmp_path / "warc") if r.type == "response" and r.uri == "http://news.test/cut"]
    assert doc.headers.get("WARC-Truncated") == "disconnect" and doc.payload.startswith(b"<!DOCTYPE html><title>cut")


@pytest.mark.browser
def test_a_download_cut_off_is_never_a_whole_empty_answer(site: LocalSite, browser: Browser, tmp_path: Path) -> None:
    with WarcStore(tmp_path / "warc", prefix="test") as store:
        page = browser.capture("http://news.test/download", Batch(store), screenshot_path=None)
    assert page.status == 200, page.errors
    cut = [r for r in read_warcs(tmp_path / "warc") if r.type == "response" and r.uri == "http://news.test/endless.bin"]
    assert all(r.headers.get("WARC-Truncated") for r in cut), ([r.headers for r in cut], page.errors)


def test_only_answers_of_bounded_size_are_read_paused() -> None:
    """Fetch.getResponseBody hands a body over inflated, whole, in one message: a small gzip answer
    inflating to hundreds of MB took the browser's driver down. Read paused only what is bounded."""
    from archiver.capture.cdp import _small_text

    def told(**headers: str) -> dict[str, str]:
        return {"content-type": "text/plain", **{k.replace("_", "-"): v for k, v in headers.items()}}

    assert _small_text(told(content_length="4000000"))
    assert not _small_text(told(content_length="6000000"))  # over 5 MB
    assert not _small_text(told(content_length="2000000"), max_body=1_000_000)  # over --max-bytes
    assert _small_text(told(content_length="16000", content_encoding="gzip"))
    assert not _small_text(told(content_length="305780", content_encoding="gzip"))  # 300 MB of spaces inflated
    assert not _small_text(told(content_length="100", content_encoding="br"))  # no bound on what it inflates to
    assert _small_text(told(), unsized=True) and not _small_text(told(), unsized=False)
    assert not _small_text(told(content_encoding="gzip"), unsized=True)
    assert not _small_text({"content-type": "image/png", "content-length": "10"})


CONCURRENT_HTML = """<!DOCTYPE html><title>same</title><iframe src="/same-doc?x"></iframe><iframe src="/same-doc?x"></iframe>
<iframe src="/same-doc?x"></iframe>"""


@pytest.mark.browser
def test_frames_loading_one_address_at_once_each_keep_their_own_answer(
        site: LocalSite, browser: Browser, tmp_path: Path) -> None:
    served: list[bytes] = []

    def same_doc(h: _Handler) -> None:
        body = b"<!DOCTYPE html><p>answer %d</p>" % len(served) + b"x" * (1000 * (len(served) + 1))
        served.append(body)
        threading.Event().wait(0.05 * (3 - len(served)))  # the later ones answer first
        h._plain(200, body, "text/html")

    site.routes[("news.test", "/same")] = lambda h: h._plain(200, CONCURRENT_HTML.encode(), "text/html")
    site.routes[("news.test", "/same-doc?x")] = same_doc
    with WarcStore(tmp_path / "warc", prefix="test") as store:
        page = browser.capture("http://news.test/same", Batch(store), screenshot_path=None)
    answers = [r for r in read_warcs(tmp_path / "warc") if r.type in ("response", "revisit")
               and r.uri == "http://news.test/same-doc?x"]
    assert len(answers) == 3 and len(served) == 3, page.errors
    # Each record's body is one the server sent, and each sent body is in one record: none swapped
    # onto another's headers (its Content-Length says which it is).
    for r in answers:
        assert r.type == "response" and r.payload in served and int(dict(r.http)["Content-Length"]) == len(r.payload)
    assert sorted(r.payload for r in answers) == sorted(served)


BLOB_POSTS_HTML = """<!DOCTYPE html><title>beacons</title><script>
const bytes = new Uint8Array(256); for (let i = 0; i < 256; i++) bytes[i] = i;
navigator.sendBeacon("/beacon", new Blob(['{"event":"view"}'], {type: "application/json"}));
const form = new FormData(); form.append("file", new Blob([bytes]), "b.bin"); form.append("k", "v");
fetch("/upload", {method: "POST", body: form});
fetch("/raw", {method: "POST", body: new Blob([bytes])});
fetch("/twice", {method: "POST", body: new Blob(["one"])});
fetch("/twice", {method: "POST", body: new Blob(["two"])});
fetch("/text", {method: "POST", body: new Blob(["café \\ufffd ok"], {type: "text/plain"})});
// A request with no body, and one with a held body aborted before it was sent: neither is the other's.
fetch("/api", {method: "POST"});
const stop = new AbortController();
fetch("/api", {method: "POST", body: new Blob(["NEVER-SENT"]), signal: stop.signal}).catch(() => {});
stop.abort();
</script>"""


@pytest.mark.browser
def test_request_bodies_the_browser_holds_as_blobs_are_recorded(site: LocalSite, browser: Browser,
                                                                tmp_path: Path) -> None:
    """sendBeacon of a JSON Blob (what analytics send) and FormData uploads: Chromium leaves such
    bodies out of its request events, and the request records claimed an empty body. Each is
    recorded as sent (binary bytes too); two requests to one address with different held bodies,
    which cannot be told apart, are named instead of given a body that may be the other's."""
    site.routes[("news.test", "/beacons")] = lambda h: h._plain(200, BLOB_POSTS_HTML.encode(), "text/html")
    with WarcStore(tmp_path / "warc", prefix="test") as store:
        page = browser.capture("http://news.test/beacons", Batch(store), screenshot_path=None)
    requests = {}
    for r in read_warcs(tmp_path / "warc"):
        if r.type == "request" and r.uri.startswith("http://news.test/") and r.uri != "http://news.test/beacons":
            requests.setdefault(r.uri, []).append(r.payload)
    sent = dict(site.posted)
    assert set(sent) == {"/beacon", "/upload", "/raw", "/twice", "/text", "/api"}, site.posted
    for path in ("/beacon", "/upload", "/raw", "/text"):
        assert requests[f"http://news.test{path}"] == [sent[path]], (path, requests.get(f"http://news.test{path}"))
    assert sent["/raw"] == bytes(range(256)) and "\ufffd".encode() in sent["/text"]
    assert requests["http://news.test/twice"] == [b"", b""]
    assert ("request body not recorded (2 request(s) whose body the browser held as a Blob or file: not told "
            "apart: the requests to that address sent different bodies): POST http://news.test/twice") in page.errors, \
        page.errors
    # The bodiless request is recorded as sent, not with the aborted one's body; that one is named.
    # Aborting races the browser's network process: under load the aborted request may still have
    # gone out (the server then has both bodies), and then neither record may claim its body.
    api_bodies = [body for path, body in site.posted if path == "/api"]
    assert b"" in api_bodies and set(api_bodies) <= {b"", b"NEVER-SENT"}, api_bodies
    # A request to /api recorded at all, and no more of them than the server received.
    api_records = requests.get("http://news.test/api", [])
    assert api_records and len(api_records) <= len(api_bodies), (api_records, api_bodies)
    assert set(api_records) == {b""}, api_records
    assert ("request body not recorded (1 request(s) whose body the browser held as a Blob or file: not told apart "
            "from other requests to that address): POST http://news.test/api") in page.errors, page.errors


@pytest.mark.browser
def test_held_request_bodies_count_towards_the_capture_s_bytes(site: LocalSite, tmp_path: Path) -> None:
    """A page posting Blob after Blob just under --max-bytes: they were each read over CDP and
    written, whatever --max-capture-bytes said."""
    site.routes[("news.test", "/blobs")] = lambda h: h._plain(200, (
        b"<!DOCTYPE html><title>blobs</title><script>for (let i = 0; i < 6; i++) "
        b"fetch('/part' + i, {method: 'POST', body: new Blob([new Uint8Array(90000)])});</script>"),
        "text/html")
    with Browser(sealed_net(site.port), workdir=tmp_path / "browser", timeout=15, max_body=100_000,
                 max_capture_bytes=200_000) as small, WarcStore(tmp_path / "warc", prefix="test") as store:
        page = small.capture("http://news.test/blobs", Batch(store), screenshot_path=None)
    bodies = [r.payload for r in read_warcs(tmp_path / "warc") if r.type == "request" and "/part" in r.uri]
    assert len(bodies) == 6 and sum(len(b) for b in bodies) <= 200_000, [len(b) for b in bodies]
    assert any("would take this capture over --max-capture-bytes 200000" in e for e in page.errors), page.errors


@pytest.mark.browser
def test_no_capture_is_kept_alive_after_it_ends(site: LocalSite, browser: Browser, tmp_path: Path) -> None:
    """A capture's recorder holds every body it recorded: once its tab is closed nothing may keep it
    (a long run or a worker grew by each page's bodies: the page reader, held in a table keyed by
    the recorder, held the recorder itself)."""
    import gc

    from archiver.capture.recorder import TrafficRecorder

    with WarcStore(tmp_path / "warc", prefix="test") as store:
        for _ in range(5):
            # element shots: the page is measured (its reader made) as every capture of a post's is
            browser.capture("http://news.test/article", Batch(store), screenshot_path=tmp_path / "p.png",
                            element_selectors=["iframe[data-embed]"], element_dir=tmp_path / "el")
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, TrafficRecorder)]
    # the standby tab's recorder, the last capture's (its tab still closing), at most
    assert len(alive) <= 2, [len(r.recorded) for r in alive]


@pytest.mark.browser
def test_a_page_s_frames_are_listed_in_the_order_they_attached(site: LocalSite, browser: Browser,
                                                               tmp_path: Path) -> None:
    """Frames are read per renderer (the page's own process, then each cross-site iframe's); they
    are listed as before, as Playwright lists `page.frames`: in the order they attached (the first
    5,000 characters of an embed page's frames' text are what its probe reads)."""
    site.routes[("news.test", "/tree")] = lambda h: h._plain(200, (
        b'<!DOCTYPE html><title>tree</title><iframe name="a" src="http://embed.test/outer"></iframe>'
        b'<iframe name="b" src="/leaf-b"></iframe>'), "text/html")
    site.routes[("embed.test", "/outer")] = lambda h: h._plain(
        200, b'<!DOCTYPE html><p>outer</p><iframe name="c" src="http://news.test/leaf-c"></iframe>', "text/html")
    for leaf in ("b", "c"):
        site.routes[("news.test", f"/leaf-{leaf}")] = (
            lambda h, leaf=leaf: h._plain(200, f"<!DOCTYPE html><p>leaf {leaf}</p>".encode(), "text/html"))
    with WarcStore(tmp_path / "warc", prefix="test") as store:
        page = browser.capture("http://news.test/tree", Batch(store), screenshot_path=None)
    # Attaching follows the document: the page first, then "a" before its sibling "b" and before its
    # own child "c"; whether "c" (attached once "a"'s document has loaded) comes before or after "b"
    # depends on when the parser reaches "b" on a loaded machine, so either is an order they attached in.
    order = [(f.name, f.url) for f in page.frames]
    assert sorted(order) == [("", "http://news.test/tree"), ("a", "http://embed.test/outer"),
                             ("b", "http://news.test/leaf-b"), ("c", "http://news.test/leaf-c")], page.frames
    names = [name for name, _ in order]
    assert names[:2] == ["", "a"] and names.index("a") < names.index("c"), page.frames
    assert {f.name: f.text for f in page.frames} == {"": "", "a": "outer", "b": "leaf b", "c": "leaf c"}


def test_a_held_body_whose_request_was_never_answered_is_given_to_no_recorded_exchange() -> None:
    """The matching rule alone, on the entries a tap holds: under load the tap had seen the aborted
    request (its Blob body held) but not yet the bodiless one to the same address, and the
    recorded bodiless request was given the body that was never sent."""
    import asyncio

    from archiver.capture.cdp import CdpResponse, CdpTap
    from archiver.capture.recorder import TrafficRecorder
    from archiver.capture.traffic import Recorded
    from archiver.warcstore.records import Exchange

    def recorder(answered: int | None) -> tuple[TrafficRecorder, Exchange]:
        rec = TrafficRecorder(None, None)  # type: ignore[arg-type]  # the rule reads neither
        tap = CdpTap(None, "page")  # type: ignore[arg-type]
        tap.requests["7"] = CdpResponse(request_id="7", url="http://news.test/api", method="POST",
                                        post_data_held=True, status=answered)
        tap.order.append("7")
        rec._taps.append(tap)
        exchange = Exchange("http://news.test/api", "POST", [], 200, [], b"")
        rec.recorded.append(Recorded(exchange, None, False, False, False, None))

        async def body(request_id: str) -> bytes:
            return b"NEVER-SENT"
        async def settle() -> None:
            return None
        tap.request_body = body  # type: ignore[method-assign]
        tap.settle = settle  # type: ignore[method-assign]
        asyncio.run(rec._held_request_bodies())
        return rec, exchange

    rec, exchange = recorder(answered=None)
    assert not exchange.request_body
    assert rec.errors == ["request body not recorded (1 request(s) whose body the browser held as a Blob or file: "
                          "not told apart from other requests to that address): POST http://news.test/api"]
    # answered, it is the one request to that address: its body is the recorded one's
    rec, exchange = recorder(answered=200)
    assert exchange.request_body == b"NEVER-SENT" and not rec.errors
