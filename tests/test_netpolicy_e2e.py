"""Content must not steer the tool: an article that points the browser and the HTTP client at a
loopback service, at private names and at odd IP spellings gets none of them fetched.

The "loopback service" stands for an intranet admin page: a plain HTTP server on 127.0.0.1 on a
port no --map-host names, counting every request. Private names (10.x, 169.254.x, 192.168.x,
fc00::) come from an injected resolver and are refused before any connection; a public name is
dialled through a loopback stand-in, never the public address itself.
"""

from __future__ import annotations

import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.archive import archive
from archiver.capture.http import RecordingClient
from archiver.errors import RefusedError
from archiver.net import HostMap, NetOptions
from tests.e2e import cli, warc_files
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

SECRET = b"SECRET-INTRANET-MARKER"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
MASTODON_ID = "111222333444555666"


class Service:
    """A plain HTTP server on 127.0.0.1 that answers anything and remembers every path asked."""

    def __init__(self, body: bytes = b"<html><title>intranet</title><body>" + SECRET + b"</body></html>") -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                png = self.path.endswith(".png")
                data = PNG if png else body
                self.send_response(200)
                self.send_header("Content-Type", "image/png" if png else "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("web")) as w:
        yield w


@pytest.fixture()
def service() -> Iterator[Service]:
    s = Service()
    yield s
    s.close()


def _page(svc: int) -> str:
    """An article whose embeds, images, redirects and links all lead to the loopback service."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Steered</title></head><body>
<p>An article that tries to make its archiver fetch an intranet.</p>
<iframe src="http://127.0.0.1:{svc}/iframe-literal"></iframe>
<iframe src="http://localhost:{svc}/iframe-localhost"></iframe>
<img src="http://2130706433:{svc}/decimal.png">
<img src="http://0x7f.1:{svc}/hex.png">
<img src="http://[::ffff:127.0.0.1]:{svc}/mapped.png">
<iframe src="https://news.example/go-private"></iframe>
<p>Read more: <a href="https://t.co/EviLCode01">https://t.co/EviLCode01</a></p>
<script>try {{ new WebSocket("ws://127.0.0.1:{svc}/socket"); }} catch (e) {{}}</script>
</body></html>"""


def _serve_page(web: FakeWeb, svc: int, path: str = "/steered.html", extra: str = "") -> str:
    web.set_state(("article", path), _page(svc).replace("</body>", extra + "</body>"))
    web.set_state(("redirect", "/go-private"), f"http://127.0.0.1:{svc}/redirected")
    web.set_state(("short", "EviLCode01"), f"http://127.0.0.1:{svc}/from-tco")
    return f"https://news.example{path}"


def _warc_text(archive_dir: Path) -> tuple[bytes, list[dict[str, Any]]]:
    """All record bytes (decoded payloads) and the capture-info provenance records."""
    blob = b""
    provenance = []
    for path in warc_files(archive_dir):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                data = rec.content_stream().read()
                blob += uri.encode() + b"\n" + data
                if rec.rec_type == "metadata" and uri.startswith("urn:capture-info:"):
                    provenance.append(json.loads(data))
    return blob, provenance


# -- the CLI against the fake web: loopback literals, localhost, redirects, short links --------------------


def test_content_cannot_reach_a_loopback_service_and_each_refusal_is_named(
        web: FakeWeb, service: Service, tmp_path: Path) -> None:
    # Beside what tries to reach the service, one embedded tweet: a post to export.
    url = _serve_page(web, service.port, extra=f'<blockquote class="twitter-tweet"><p>x</p>&mdash; Desk '
                                               f'<a href="{site.TWEET_PHOTO.status_url}">March 4, 2024</a></blockquote>')
    archive_dir = tmp_path / "archive"
    r = cli(web, "archive", url, "--format", "json", archive=archive_dir)
    assert r.returncode == 0, r.stderr  # what the page loads is refused in the browser, named in its capture
    assert service.paths == []
    summary = json.loads(r.stdout)
    # The t.co link leads to the loopback address: the first address past the short-link hosts is
    # never asked (a short link to no post stands for nothing to capture), so there is nothing to
    # refuse; where it led is kept with the link.
    assert not summary["failures"] and [p["key"] for p in summary["results"]] == [f"twitter:{site.TWEET_PHOTO.id}"]
    shown = cli(web, "show", "https://t.co/EviLCode01", archive=archive_dir)
    assert f"http://127.0.0.1:{service.port}/from-tco" in shown.stdout + shown.stderr, (shown.stdout, shown.stderr)

    blob, provenance = _warc_text(archive_dir)
    assert SECRET not in blob
    errors = [e for p in provenance if p.get("url") == url for e in json.loads(p["errors"])]
    port = service.port
    for refused in (f"http://127.0.0.1:{port}/iframe-literal", f"http://localhost:{port}/iframe-localhost",
                    f"http://127.0.0.1:{port}/decimal.png", f"http://127.0.0.1:{port}/hex.png",
                    f"http://[::ffff:7f00:1]:{port}/mapped.png", f"http://127.0.0.1:{port}/redirected"):
        assert any(e.startswith(f"refused: {refused} resolves to a loopback address") for e in errors), (refused, errors)
    assert any(e.startswith(f"refused: ws://127.0.0.1:{port}/socket") for e in errors), errors

    bundle = tmp_path / "out.wacz"
    r = cli(web, "export", "--output", str(bundle), archive=archive_dir)
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(bundle) as z:
        assert all(SECRET not in z.read(name) for name in z.namelist())


def test_a_local_page_is_rendered_without_the_other_local_files_it_names(web: FakeWeb, tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_bytes(SECRET)
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "beside.txt").write_bytes(SECRET)
    page = saved / "article.html"
    page.write_text(f"""<!doctype html><title>Saved</title><p>A saved article.</p>
<iframe src="{(private / 'secret.txt').as_uri()}"></iframe><iframe src="beside.txt"></iframe>
<blockquote class="twitter-tweet"><p>x</p>&mdash; Desk <a href="{site.TWEET_PHOTO.status_url}">March 4, 2024</a></blockquote>""")
    archive_dir = tmp_path / "archive"
    r = cli(web, "archive", str(page), "--format", "json", archive=archive_dir)
    assert r.returncode == 0, r.stderr
    _blob, provenance = _warc_text(archive_dir)
    (capture,) = [p for p in provenance if p.get("url") == page.as_uri()]
    errors = json.loads(capture["errors"])
    for other in ((private / "secret.txt").as_uri(), (saved / "beside.txt").as_uri()):
        assert f"refused: {other} (a local page is shown without the other local files it names)" in errors, errors
    shown = json.loads(capture.get("frames") or "[]")
    assert not [u for u in shown if u.startswith("file:") and u != page.as_uri()], shown


def test_webrtc_sends_nothing_past_the_gate(web: FakeWeb, tmp_path: Path) -> None:
    # A page asking a STUN server on a loopback UDP port for its addresses: UDP goes past any proxy.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        port = udp.getsockname()[1]
        web.set_state(("article", "/rtc.html"), f"""<!doctype html><title>rtc</title><p>Talking.</p><script>
const pc = new RTCPeerConnection({{iceServers: [{{urls: "stun:127.0.0.1:{port}"}}]}});
pc.createDataChannel("x");
pc.createOffer().then((o) => pc.setLocalDescription(o));
</script>""")
        r = cli(web, "archive", "https://news.example/rtc.html", archive=tmp_path / "archive")
        assert r.returncode == 0, r.stderr
        with pytest.raises(BlockingIOError):
            udp.recvfrom(2048)


def test_allow_private_lets_the_loopback_service_be_captured(
        web: FakeWeb, service: Service, tmp_path: Path) -> None:
    url = _serve_page(web, service.port, "/steered-allowed.html")
    archive_dir = tmp_path / "archive"
    r = cli(web, "archive", url, "--allow-private", "--format", "json", archive=archive_dir)
    assert "/iframe-literal" in service.paths and "/redirected" in service.paths, (service.paths, r.stderr)
    blob, _ = _warc_text(archive_dir)
    assert SECRET in blob
    assert f"http://127.0.0.1:{service.port}/iframe-literal".encode() in blob


def test_a_seed_the_operator_typed_is_fetched_even_on_loopback(web: FakeWeb, service: Service, tmp_path: Path) -> None:
    seed = f"http://127.0.0.1:{service.port}/article.html"
    r = cli(web, "archive", seed, "--format", "json", archive=tmp_path / "archive")
    assert "/article.html" in service.paths, r.stderr


# -- in-process, with an injected resolver: private names, a public name through a stand-in ---------------


class Dialler:
    """Where TCP connections really go: the fake web's map target as is, the public test address to a
    loopback stand-in; every request is remembered, so a test can show none went to a refused one."""

    PUBLIC = "93.184.216.34"

    def __init__(self, standin_port: int) -> None:
        self.standin_port = standin_port
        self.calls: list[tuple[str, int]] = []

    def __call__(self, addr: str, port: int) -> tuple[str, int]:
        self.calls.append((addr, port))
        if addr == self.PUBLIC:
            return "127.0.0.1", self.standin_port
        return addr, port


PRIVATE_NAMES = {
    "intranet.example": "10.0.0.5",
    "metadata.example": "169.254.169.254",
    "router.example": "192.168.1.1",
    "ula.example": "fc00::1",
}


def _resolver(host: str, port: int) -> list[str]:
    if host in PRIVATE_NAMES:
        return [PRIVATE_NAMES[host]]
    if host == "public.example":
        return [Dialler.PUBLIC]
    if host == "localhost":
        return ["127.0.0.1"]
    raise httpcore.ConnectError(f"Name or service not known: {host}")


def _injected_net(web: FakeWeb, dialler: Dialler, **kw: Any) -> NetOptions:
    maps = tuple(HostMap.parse(f"{h}=127.0.0.1:{web.port}") for h in ("news.example", "t.co"))
    return NetOptions(map_hosts=maps, ca_bundle=web.ca_pem, resolver=_resolver, dialer=dialler, **kw)


def test_private_names_are_refused_before_any_connection_and_public_ones_fetched(
        web: FakeWeb, service: Service, tmp_path: Path) -> None:
    extra = "".join(f'<img src="http://{name}/probe.png">' for name in PRIVATE_NAMES)
    extra += ('<img src="http://public.example/pub.png">'
              f'<iframe class="mastodon-embed" src="https://intranet.example/@alice/{MASTODON_ID}/embed"></iframe>')
    _serve_page(web, service.port)  # the redirect and the short link
    # The article is on a public name, dialled through a loopback stand-in that serves it over plain
    # http (so that Chromium does not upgrade its http:// images as mixed content). Nothing is trusted.
    standin = Service(body=_page(service.port).replace("</body>", extra + "</body>").encode())
    try:
        url = "http://public.example/names.html"
        dialler = Dialler(standin.port)
        archive_dir = tmp_path / "archive"
        summary = archive([url], archive_dir, _injected_net(web, dialler), timeout=15)

        assert service.paths == []
        assert "/names.html" in standin.paths and "/pub.png" in standin.paths
        # Only the fake web (mapped) and the public name were ever dialled; no refused address was.
        allowed = {("127.0.0.1", web.port), (Dialler.PUBLIC, 80), (Dialler.PUBLIC, 443)}
        assert set(dialler.calls) <= allowed, dialler.calls

        blob, provenance = _warc_text(archive_dir)
        errors = [e for p in provenance if p.get("url") == url for e in json.loads(p["errors"])]
        for name, address in PRIVATE_NAMES.items():
            kind = "link-local" if address.startswith("169.254") else "private"
            assert f"refused: http://{name}/probe.png resolves to a {kind} address ({address})" in errors, errors
        assert b"http://public.example/pub.png" in blob

        # The Mastodon embed's own endpoints are on its (content-chosen) host: refused, and said so.
        masto = next(p for p in summary.posts if p.platform == "mastodon")
        assert masto.status == "unknown"
        assert masto.reason and masto.reason.startswith("refused: https://intranet.example/") and "10.0.0.5" in masto.reason
        assert not summary.network_unreachable  # a refusal is not the network being down
    finally:
        standin.close()


def test_the_http_client_refuses_media_and_redirects_to_private_addresses(
        web: FakeWeb, service: Service, tmp_path: Path) -> None:
    dialler = Dialler(service.port)
    web.set_state(("redirect", "/to-metadata"), "http://metadata.example/latest/meta-data/")
    with RecordingClient(_injected_net(web, dialler), max_retries=0) as client:
        for url, why in ((f"http://127.0.0.1:{service.port}/media.mp4", "a loopback address (127.0.0.1)"),
                         ("https://intranet.example/media/photo.jpg", "a private address (10.0.0.5)"),
                         ("https://news.example/to-metadata", "a link-local address (169.254.169.254)"),
                         ("file:///etc/passwd", None)):
            with pytest.raises(RefusedError) as info:
                client.get(url, follow_redirects=True)
            message = str(info.value)
            assert message.startswith("refused: "), message
            if why:
                assert message.endswith(f"resolves to {why}"), message
    assert service.paths == []
    assert all(addr == "127.0.0.1" and port == web.port for addr, port in dialler.calls), dialler.calls


# -- under the operator's --proxy: the gate tunnels through it, and still judges IP literals --------------


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that sends every tunnel to the fake web (which answers for
    any host name) and remembers the targets it was asked for."""

    def __init__(self, upstream_port: int) -> None:
        import socket
        import socketserver

        self.targets: list[str] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline().decode("latin-1")
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                method, target, _ = line.split(" ", 2)
                outer.targets.append(target)
                if method != "CONNECT":
                    self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                    return
                up = socket.create_connection(("127.0.0.1", upstream_port))
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()

                def pump(src: socket.socket, dst: socket.socket) -> None:
                    try:
                        while data := src.recv(65536):
                            dst.sendall(data)
                    except OSError:
                        pass
                    finally:
                        try:
                            dst.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass

                t = threading.Thread(target=pump, args=(up, self.connection), daemon=True)
                t.start()
                pump(self.connection, up)
                t.join(timeout=30)
                up.close()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_through_the_operators_proxy_names_are_its_job_and_ip_literals_still_refused(
        web: FakeWeb, service: Service, tmp_path: Path) -> None:
    from archiver.capture.browser import Browser
    from archiver.warcstore import Batch, WarcStore

    proxy = ConnectProxy(web.port)
    try:
        path = "/proxied.html"
        web.set_state(("article", path), "<!doctype html><title>Proxied</title><p>Through a proxy.</p>"
                                         f'<iframe src="https://127.0.0.1:{service.port}/literal"></iframe>'
                                         '<iframe src="https://news.example/go-private"></iframe>')
        web.set_state(("redirect", "/go-private"), f"https://0x7f.1:{service.port}/redirected")
        net = NetOptions(ca_bundle=web.ca_pem, proxy=f"http://127.0.0.1:{proxy.port}")
        with Browser(net, workdir=tmp_path / "browser", timeout=15) as browser, \
                WarcStore(tmp_path / "warcs", prefix="t") as store:
            page = browser.capture(f"https://news.example{path}", Batch(store), screenshot_path=None)
        assert page.status == 200 and page.title == "Proxied"
        assert "news.example:443" in proxy.targets
        assert not any(str(service.port) in t for t in proxy.targets), proxy.targets
        assert service.paths == []
        for url in (f"https://127.0.0.1:{service.port}/literal", f"https://127.0.0.1:{service.port}/redirected"):
            assert f"refused: {url} resolves to a loopback address (127.0.0.1)" in page.errors, page.errors
    finally:
        proxy.close()


def test_scan_follows_no_redirect_into_a_loopback_service(web: FakeWeb, service: Service) -> None:
    web.set_state(("redirect", "/scan-redirect"), f"http://127.0.0.1:{service.port}/scanned")
    r = cli(web, "scan", "https://news.example/scan-redirect", "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem))
    assert r.returncode == 2, r.stderr  # the only source could not be read
    assert service.paths == []
    assert f"refused: 127.0.0.1:{service.port} resolves to a loopback address (127.0.0.1)" in r.stderr, r.stderr
    # Typed by the operator, the same address is fetched as given.
    r = cli(web, "scan", f"http://127.0.0.1:{service.port}/typed")
    assert service.paths == ["/typed"], r.stderr


@pytest.mark.parametrize("scheme", ["HTTPS", "Https"])
def test_scan_takes_its_network_options_for_a_url_whose_scheme_is_in_capitals(web: FakeWeb, scheme: str) -> None:
    """A scheme is read in any case (RFC 3986): `HTTPS://...` is fetched through the same host
    mapping, CA bundle and proxy as `https://...`, never straight onto the network."""
    r = cli(web, "scan", f"{scheme}://NEWS.EXAMPLE/2024/riverton-flood.html", "--map-host", web.map_host,
            "--ca-bundle", str(web.ca_pem), "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    assert any(json.loads(line)["platform"] == "twitter" for line in r.stdout.splitlines()), r.stdout
