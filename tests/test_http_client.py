"""RecordingClient against real local servers (TLS via trustme, HTTP/2 via hypercorn): WARCs read back."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.http import CURL_UA, RecordingClient, retry_after
from archiver.errors import LimitExceeded, NetworkError
from archiver.net import NetOptions
from archiver.warcstore import Batch, WarcStore

ROOT = Path(__file__).resolve().parents[1]
WARCIO = ROOT / ".venv" / "bin" / "warcio"
PAGE = b"<html><body>" + b"tweet text " * 400 + b"</body></html>"


# -- a tiny threaded TLS server that records SNI, Host and concurrency ---------------------------------


@dataclass
class Seen:
    sni: str | None
    host: str | None
    path: str
    headers: dict[str, str]


@dataclass
class ServerState:
    log: list[Seen] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        for k, v in headers or [("Content-Type", "text/html; charset=utf-8")]:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        st = self.server.state
        host = self.headers.get("Host")
        with st.lock:
            st.log.append(Seen(getattr(self.connection, "sni", None), host, self.path, dict(self.headers)))
            n = st.counters[self.path] = st.counters.get(self.path, 0) + 1
            key = (host or "").split(":")[0]
            st.in_flight[key] = st.in_flight.get(key, 0) + 1
            st.max_in_flight[key] = max(st.max_in_flight.get(key, 0), st.in_flight[key])
        try:
            self._route(n)
        finally:
            with st.lock:
                st.in_flight[key] -= 1

    def _route(self, n: int) -> None:
        path = self.path
        if path.startswith("/gzip-chunked"):
            data = gzip.compress(PAGE)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 100):
                chunk = data[i : i + 100]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path.startswith("/stacked-gzip"):  # two layers of gzip: 2 KB for 1 GB in a real bomb
            self._send(200, gzip.compress(gzip.compress(PAGE)), [("Content-Type", "text/html"),
                                                                 ("Content-Encoding", "gzip, gzip")])
        elif path.startswith("/broken-redirect/"):  # a 301 whose body cannot be read whole
            self.send_response(301)
            self.send_header("Location", "/final")
            self.send_header("Content-Type", "text/html")
            if path.endswith("/bad-gzip"):  # the whole body arrives, but it is no gzip
                body = b"this is not gzip \x00\xff" * 10
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
            else:  # announces 500 bytes, sends 20, then the connection drops
                body = b"<a href=/final>moved"
                self.send_header("Content-Length", "500")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        elif path.startswith("/unreadable-redirect"):  # a Location that is no address
            self._send(302, b"moved", [("Location", "http://[::1"), ("Content-Type", "text/plain")])
        elif path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            target = f"/redirect/{left - 1}" if left > 1 else "/final"
            self._send(302, b"moved", [("Location", target), ("Content-Type", "text/plain")])
        elif path.startswith("/flaky"):  # 429 (Retry-After: 0) twice, then 200
            if n <= 2:
                self._send(429, b"slow down", [("Retry-After", "0"), ("Content-Type", "text/plain")])
            else:
                self._send(200, b"ok now")
        elif path.startswith("/unavailable"):
            self._send(503, b"down", [("Retry-After", "0"), ("Content-Type", "text/plain")])
        elif path.startswith("/slow"):
            time.sleep(float(path.rsplit("/", 1)[1]))
            self._send(200, b"slow")
        elif path.startswith("/cookie-then/"):  # a session cookie, then on to where the path says
            self._send(302, b"moved", [("Set-Cookie", "sessionid=SECRET_SESSION_111; Path=/"),
                                       ("Location", "/" + path.split("/", 2)[2]), ("Content-Type", "text/plain")])
        elif path.startswith("/set-cookie"):
            self._send(200, b"here", [("Set-Cookie", "sessionid=SECRET_SESSION_111; Path=/"),
                                      ("Content-Type", "text/plain")])
        elif path.startswith("/headers"):
            self._send(200, json.dumps(dict(self.headers)).encode(), [("Content-Type", "application/json")])
        else:
            host = (self.headers.get("Host") or "").encode()
            self._send(200, b"hello " + host + b" " + path.encode())


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Refused handshakes and dropped connections are what several tests provoke on purpose.
        pass


@dataclass
class TLSServer:
    """A trustme CA, a server certificate for the impersonated hosts, and the running server."""

    ca: trustme.CA
    ca_path: Path
    port: int
    state: ServerState
    httpd: _Server

    @classmethod
    def start(cls, tmp: Path, hosts: tuple[str, ...] = ("twitter.com", "*.twitter.com", "x.com", "t.co", "localhost")) -> TLSServer:
        ca = trustme.CA()
        cert = ca.issue_cert(*hosts, "127.0.0.1")
        ca_path = tmp / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)

        def remember_sni(sock: ssl.SSLSocket, name: str | None, _: ssl.SSLContext) -> None:
            sock.sni = name  # type: ignore[attr-defined]

        ctx.sni_callback = remember_sni
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        httpd.state = ServerState()
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return cls(ca, ca_path, httpd.server_address[1], httpd.state, httpd)

    def net(self, *, ca: bool = True) -> NetOptions:
        return NetOptions.from_options([f"*=127.0.0.1:{self.port}"], str(self.ca_path) if ca else None, None, env={})

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TLSServer]:
    s = TLSServer.start(tmp_path)
    yield s
    s.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- an HTTP/2 server (hypercorn) ------------------------------------------------------------------


async def _h2_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = gzip.compress(PAGE)
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/html"), (b"content-encoding", b"gzip"), (b"content-length", str(len(body)).encode()),
    ]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def h2_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    ca = trustme.CA()
    cert = ca.issue_cert("twitter.com", "127.0.0.1")
    ca_path, cert_path, key_path = tmp_path / "h2ca.pem", tmp_path / "h2cert.pem", tmp_path / "h2key.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    cert.private_key_pem.write_to_path(str(key_path))
    cert_path.write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = str(cert_path), str(key_path)
    config.alpn_protocols = ["h2", "http/1.1"]
    config.accesslog = config.errorlog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve(_h2_app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]

    t = threading.Thread(target=run, daemon=True)
    t.start()
    for _ in range(100):  # wait until it listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port, ca_path
    loop.call_soon_threadsafe(stop.set)
    t.join(5)


# -- helpers ---------------------------------------------------------------------------------------


def records(path: Path) -> list[Any]:
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            rec.payload = rec.content_stream().read()
            out.append(rec)
    return out


def warcio_check(paths: list[Path]) -> None:
    r = subprocess.run([str(WARCIO), "check", "-v", *map(str, paths)], check=False, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "digest pass" in r.stdout


def all_records(store: WarcStore) -> list[Any]:
    return [r for p in store.files for r in records(p)]


# -- tests -----------------------------------------------------------------------------------------


def test_map_host_and_ca_bundle_reach_local_server_with_real_sni(server: TLSServer, tmp_path: Path) -> None:
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net()) as client:
        batch = Batch(store)
        r = client.get("https://twitter.com/jack/status/20", batch=batch)
    seen = batch.records
    assert r.status_code == 200 and r.content == b"hello twitter.com /jack/status/20"
    assert server.state.log[-1].sni == "twitter.com"
    assert server.state.log[-1].host == "twitter.com"
    assert [i.warc_type for i in seen] == ["request", "response"]
    assert r.extensions["warc_records"] == tuple(seen)
    recs = all_records(store)
    resp = next(x for x in recs if x.rec_type == "response")
    req = next(x for x in recs if x.rec_type == "request")
    assert resp.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert resp.rec_headers.get_header("WARC-Protocol") == "http/1.1"
    assert resp.rec_headers.get_header("WARC-Target-URI") == "https://twitter.com/jack/status/20"
    assert req.rec_headers.get_header("WARC-Concurrent-To") == resp.rec_headers.get_header("WARC-Record-ID")
    assert req.http_headers.get_header("Host") == "twitter.com"
    assert req.http_headers.protocol == "GET" and "HTTP/1.1" in req.http_headers.statusline
    warcio_check(store.files)


def test_gzip_chunked_response_stored_decoded_with_orig_headers(server: TLSServer, tmp_path: Path) -> None:
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net()) as client:
        batch = Batch(store)
        r = client.get("https://twitter.com/gzip-chunked", batch=batch)
    assert r.content == PAGE
    resp = next(x for x in all_records(store) if x.rec_type == "response")
    h = resp.http_headers
    assert h.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert h.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert h.get_header("Content-Encoding") is None and h.get_header("Transfer-Encoding") is None
    assert h.get_header("Content-Length") == str(len(PAGE))
    assert resp.payload == PAGE
    warcio_check(store.files)


def test_redirect_hops_are_each_recorded(server: TLSServer, tmp_path: Path) -> None:
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net()) as client:
        batch = Batch(store)
        r = client.get("https://t.co/redirect/3", batch=batch, follow_redirects=True)
        single = client.get("https://t.co/redirect/1", batch=batch)
    assert r.status_code == 200 and str(r.url) == "https://t.co/final"
    assert [h.status_code for h in r.history] == [302, 302, 302]
    assert single.status_code == 302 and single.headers["location"] == "/final"
    resps = [x for x in all_records(store) if x.rec_type == "response"]
    assert [(x.rec_headers.get_header("WARC-Target-URI"), x.http_headers.get_statuscode()) for x in resps] == [
        ("https://t.co/redirect/3", "302"),
        ("https://t.co/redirect/2", "302"),
        ("https://t.co/redirect/1", "302"),
        ("https://t.co/final", "200"),
        ("https://t.co/redirect/1", "302"),
    ]
    assert resps[0].http_headers.get_header("Location") == "/redirect/2"
    assert sum(1 for x in all_records(store) if x.rec_type == "request") == 5
    warcio_check(store.files)


def test_a_cookie_lives_for_one_fetch_only(server: TLSServer) -> None:
    """A cookie a server sets goes with the hops of that fetch (a site that sets one and redirects
    to itself), never with a later fetch: each source and each post is read as a first visit, and
    no session of one reaches another (nor its WARC request record)."""
    with RecordingClient(server.net()) as client:
        hops = client.get("https://t.co/cookie-then/headers", follow_redirects=True)
        client.get("https://t.co/set-cookie")
        later = client.get("https://t.co/headers")
    assert json.loads(hops.content).get("Cookie") == "sessionid=SECRET_SESSION_111"
    assert "Cookie" not in json.loads(later.content)


def test_http2_response_stored_as_http11_with_warc_protocol_h2(h2_server: tuple[int, Path], tmp_path: Path) -> None:
    port, ca = h2_server
    net = NetOptions.from_options([f"twitter.com=127.0.0.1:{port}"], str(ca), None, env={})
    with WarcStore(tmp_path / "w") as store, RecordingClient(net, user_agent=CURL_UA) as client:
        batch = Batch(store)
        r = client.get("https://twitter.com/h2", batch=batch)
    assert r.http_version == "HTTP/2" and r.content == PAGE
    recs = all_records(store)
    resp = next(x for x in recs if x.rec_type == "response")
    req = next(x for x in recs if x.rec_type == "request")
    assert resp.rec_headers.get_header("WARC-Protocol") == "h2"
    assert resp.http_headers.protocol == "HTTP/1.1" and resp.http_headers.statusline == "200 OK"
    assert resp.http_headers.get_header("X-Archive-Orig-content-encoding") == "gzip"
    assert resp.http_headers.get_header("Content-Length") == str(len(PAGE))
    assert resp.payload == PAGE
    names = [k.lower() for k, _ in req.http_headers.headers]
    assert names[0] == "host" and req.http_headers.get_header("Host") == "twitter.com"
    assert not any(n.startswith(":") or n == "connection" for n in names)
    assert req.http_headers.get_header("User-Agent") == CURL_UA
    warcio_check(store.files)


def test_429_retried_honouring_retry_after_and_every_attempt_recorded(server: TLSServer, tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="archiver.capture.http")
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net(), backoff=5.0) as client:
        batch = Batch(store)
        r = client.get("https://twitter.com/flaky", batch=batch)
    assert r.status_code == 200
    # The waits the client chose: Retry-After: 0 wins over the backoff (which would be 5 s, then 10 s).
    waits = [m.rsplit("retrying in ", 1)[1] for m in caplog.messages if "retrying in " in m]
    assert waits == ["0.0s", "0.0s"], caplog.messages
    statuses = [x.http_headers.get_statuscode() for x in all_records(store) if x.rec_type == "response"]
    assert statuses == ["429", "429", "200"]


def test_503_gives_up_after_max_retries(server: TLSServer, tmp_path: Path) -> None:
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net(), max_retries=1) as client:
        batch = Batch(store)
        r = client.get("https://twitter.com/unavailable", batch=batch)
    assert r.status_code == 503
    assert server.state.counters["/unavailable"] == 2
    assert sum(1 for x in all_records(store) if x.rec_type == "response") == 2


def test_a_redirect_whose_body_breaks_is_recorded_truncated_and_named(server: TLSServer, tmp_path: Path) -> None:
    """Its status line and Location arrived: they are in the WARC, marked WARC-Truncated, and the
    failure is still raised."""
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net(), max_retries=0) as client:
        batch = Batch(store)
        with pytest.raises(NetworkError, match="connection broken"):
            client.get("https://t.co/broken-redirect/cut", batch=batch)
        with pytest.raises(NetworkError, match="could not be decoded"):
            client.get("https://t.co/broken-redirect/bad-gzip", batch=batch)
    resps = {x.rec_headers.get_header("WARC-Target-URI"): x for x in all_records(store) if x.rec_type == "response"}
    assert set(resps) == {"https://t.co/broken-redirect/cut", "https://t.co/broken-redirect/bad-gzip"}
    cut, bad = resps["https://t.co/broken-redirect/cut"], resps["https://t.co/broken-redirect/bad-gzip"]
    for rec in (cut, bad):
        assert rec.http_headers.get_statuscode() == "301"
        assert rec.http_headers.get_header("Location") == "/final"
    assert cut.rec_headers.get_header("WARC-Truncated") == "disconnect"
    assert cut.payload == b"<a href=/final>moved"
    assert cut.http_headers.get_header("X-Archive-Orig-Content-Length") == "500"
    assert bad.rec_headers.get_header("WARC-Truncated") == "unspecified"
    assert sum(1 for x in all_records(store) if x.rec_type == "request") == 2
    warcio_check(store.files)


def test_a_body_under_stacked_codings_is_refused_before_it_is_decoded(server: TLSServer, tmp_path: Path) -> None:
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net()) as client, \
            pytest.raises(LimitExceeded) as e:
        client.get("https://t.co/stacked-gzip", batch=Batch(store))
    assert str(e.value) == ("https://t.co/stacked-gzip: its body is under 2 content codings (gzip, gzip); not decoded: "
                            "stacked codings are a decompression bomb's shape")


def test_connect_error_is_retried_then_one_line_network_error(tmp_path: Path) -> None:
    net = NetOptions.from_options([f"*=127.0.0.1:{free_port()}"], None, None, env={})
    with RecordingClient(net, backoff=0.01) as client, pytest.raises(NetworkError) as e:
        client.get("https://twitter.com/x")
    msg = str(e.value)
    assert "\n" not in msg and "https://twitter.com/x" in msg
    assert "could not connect" in msg and "after 3 attempts" in msg


def test_untrusted_certificate_is_a_tls_error_not_retried(server: TLSServer) -> None:
    with RecordingClient(server.net(ca=False), backoff=5.0) as client, pytest.raises(NetworkError) as e:
        client.get("https://twitter.com/x")
    assert "TLS error" in str(e.value) and "attempts" not in str(e.value)
    assert server.state.counters == {}


def test_timeout_is_a_network_error(server: TLSServer) -> None:
    with RecordingClient(server.net(), timeout=0.3, max_retries=0) as client, pytest.raises(NetworkError) as e:
        client.get("https://twitter.com/slow/2")
    assert "timed out" in str(e.value) and "https://twitter.com/slow/2" in str(e.value)


def test_one_request_in_flight_per_host(server: TLSServer) -> None:
    with RecordingClient(server.net()) as client:
        urls = ["https://twitter.com/slow/0.3", "https://twitter.com/slow/0.3", "https://x.com/slow/0.3"]
        threads = [threading.Thread(target=client.get, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.state.max_in_flight["twitter.com"] == 1
    assert server.state.counters["/slow/0.3"] == 3


def test_the_deadline_counts_the_servers_time_not_the_wait_behind_other_requests_to_its_host(
        server: TLSServer) -> None:
    """Three fetches to one host at once go one after the other; each answer takes 0.6 s, within the
    1 s deadline, though the last one starts 1.2 s after it was asked for."""
    failed: list[str] = []

    def fetch(client: RecordingClient) -> None:
        try:
            client.get("https://twitter.com/slow/0.6")
        except NetworkError as e:
            failed.append(str(e))

    with RecordingClient(server.net(), max_retries=0, deadline=1.0) as client:
        threads = [threading.Thread(target=fetch, args=(client,)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failed == []
    assert server.state.max_in_flight["twitter.com"] == 1 and server.state.counters["/slow/0.6"] == 3


def test_without_gate_requests_to_one_host_overlap(server: TLSServer) -> None:
    # The converse of the test above, so that one cannot pass by accident.
    with RecordingClient(server.net(), per_host=False) as client:
        threads = [threading.Thread(target=client.get, args=("https://twitter.com/slow/0.3",)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.state.max_in_flight["twitter.com"] == 2


def test_two_batches_through_one_client_at_once_keep_their_own_records(server: TLSServer, tmp_path: Path) -> None:
    # Two captures in flight on one client (two hosts, so the per-host gate lets them overlap),
    # and a fetch that records nothing: each batch ends up with its own exchanges and no other.
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net()) as client:
        first, second = Batch(store), Batch(store)
        jobs = [(first, ["https://twitter.com/slow/0.3", "https://twitter.com/jack/status/1"]),
                (second, ["https://x.com/slow/0.3", "https://x.com/jack/status/2"])]

        def run(batch: Batch, urls: list[str]) -> None:
            for url in urls:
                client.get(url, batch=batch)

        threads = [threading.Thread(target=run, args=job) for job in jobs]
        for t in threads:
            t.start()
        unrecorded = client.get("https://twitter.com/jack/status/3")
        for t in threads:
            t.join()
    assert [(r.warc_type, r.target_uri) for r in first.records] == [
        (kind, url) for url in jobs[0][1] for kind in ("request", "response")]
    assert [(r.warc_type, r.target_uri) for r in second.records] == [
        (kind, url) for url in jobs[1][1] for kind in ("request", "response")]
    assert "warc_records" not in unrecorded.extensions
    written = {x.rec_headers.get_header("WARC-Record-ID") for x in all_records(store) if x.rec_type != "warcinfo"}
    assert written == {r.record_id for r in first.records + second.records}


def test_request_headers_recorded_as_sent(server: TLSServer, tmp_path: Path) -> None:
    with WarcStore(tmp_path / "w") as store, RecordingClient(server.net(), user_agent=CURL_UA) as client:
        batch = Batch(store)
        r = client.get("https://x.com/headers", batch=batch, headers={"Accept-Language": "en"}, page_id="<urn:uuid:page>")
    sent = {k.lower(): v for k, v in r.json().items()}
    req = next(x for x in all_records(store) if x.rec_type == "request")
    recorded = {k.lower(): v for k, v in req.http_headers.headers}
    assert recorded == sent
    assert sent["user-agent"] == CURL_UA and sent["accept-language"] == "en"
    assert req.rec_headers.get_header("WARC-Page-ID") == "<urn:uuid:page>"


def test_retry_after_parsing() -> None:
    assert retry_after("7") == 7.0
    assert retry_after(None) is None and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


def test_a_redirect_to_no_address_is_an_answer_not_a_network_failure(server: TLSServer) -> None:
    """httpx gives up a redirect whose Location is no address before the answer is handed over:
    the server answered, so what the requests met is not "no answer" (a post whose only link did
    this is a dead end, not a check the network prevented)."""
    from archiver.capture.http import BoundClient

    with RecordingClient(server.net(), max_retries=0) as client:
        bound = BoundClient(client, None)
        with pytest.raises(NetworkError, match="answered a redirect to an address that cannot be read"):
            bound.get("https://t.co/unreadable-redirect")
    assert bound.answered and bound.no_answer is None, (bound.answered, bound.unanswered)
