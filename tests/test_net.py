"""Network options: parsing, env fallbacks, and what really happens in httpx and in Chromium."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import trustme

from archiver.errors import UsageError
from archiver.net import HostMap, NetOptions, spki_sha256
from tests.test_http_client import TLSServer

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TLSServer]:
    s = TLSServer.start(tmp_path)
    yield s
    s.stop()


# -- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("*=127.0.0.1:8443", HostMap("*", None, "127.0.0.1", 8443)),
        ("*.Twitter.com:443=10.0.0.2:9443", HostMap("*.twitter.com", 443, "10.0.0.2", 9443)),
        ("t.co=[::1]:8080", HostMap("t.co", None, "::1", 8080)),
        ("x.com=localhost:80", HostMap("x.com", None, "localhost", 80)),
    ],
)
def test_hostmap_parse(spec: str, expected: HostMap) -> None:
    assert HostMap.parse(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("twitter.com", "expected HOSTGLOB[:PORT]=ADDR:PORT"),
        ("=127.0.0.1:1", "expected HOSTGLOB[:PORT]=ADDR:PORT"),
        ("*=127.0.0.1", "the address needs a port"),
        ("*:0=127.0.0.1:1", "PORT must be a port number 1-65535"),
        ("*=127.0.0.1:70000", "the address port must be a port number"),
        ("twit ter.com=127.0.0.1:1", "bad host glob"),
        ("[ab]=127.0.0.1:1", "bad host glob"),
        ("*=bad addr:1", "bad address"),
    ],
)
def test_hostmap_parse_errors(spec: str, message: str) -> None:
    with pytest.raises(UsageError) as e:
        HostMap.parse(spec)
    assert message in str(e.value) and spec in str(e.value) and "\n" not in str(e.value)


def test_hostmap_matches_like_chromium() -> None:
    star, sub, port = HostMap.parse("*=a:1"), HostMap.parse("*.twitter.com=a:1"), HostMap.parse("twitter.com:443=a:1")
    assert star.matches("anything.example", 80)
    assert sub.matches("platform.twitter.com", 443) and not sub.matches("twitter.com", 443)
    assert port.matches("TWITTER.com", 443) and not port.matches("twitter.com", 80)
    assert HostMap.parse("*:443=a:1").matches("x.com", 443) and not HostMap.parse("*:443=a:1").matches("x.com", 8443)


def test_resolve_first_match_wins_and_loopback_is_left_alone() -> None:
    net = NetOptions.from_options(["twitter.com:443=10.0.0.1:1", "*=10.0.0.2:2"], None, None, env={})
    assert net.resolve("twitter.com", 443) == ("10.0.0.1", 1)
    assert net.resolve("twitter.com", 80) == ("10.0.0.2", 2)
    assert net.resolve("127.0.0.1", 5000) == ("127.0.0.1", 5000)
    assert net.resolve("localhost", 5000) == ("localhost", 5000)
    explicit = NetOptions.from_options(["localhost=10.0.0.3:3"], None, None, env={})
    assert explicit.resolve("localhost", 1) == ("10.0.0.3", 3)
    assert NetOptions().resolve("x.com", 443) == ("x.com", 443)


def test_is_sealed() -> None:
    assert NetOptions.from_options(["*=127.0.0.1:1"], None, None, env={}).is_sealed()
    assert not NetOptions.from_options(["*:443=127.0.0.1:1"], None, None, env={}).is_sealed()
    assert not NetOptions.from_options(["*.twitter.com=127.0.0.1:1"], None, None, env={}).is_sealed()
    assert not NetOptions().is_sealed()


def test_chromium_host_rules() -> None:
    net = NetOptions.from_options(["twitter.com:443=127.0.0.1:8443", "*=[::1]:9"], None, None, env={})
    assert net.chromium_host_rules() == (
        "MAP twitter.com:443 127.0.0.1:8443, MAP * [::1]:9, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"
    )
    only = NetOptions.from_options(["x.com=127.0.0.1:1"], None, None, env={})
    assert only.chromium_host_rules() == "MAP x.com 127.0.0.1:1"
    assert only.chromium_launch(Path("/nonexistent")) == {"args": ["--host-resolver-rules=MAP x.com 127.0.0.1:1"]}
    assert NetOptions().chromium_launch(Path("/nonexistent")) == {}


# -- options and environment -----------------------------------------------------------------------


def test_env_fallbacks_and_cli_wins(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    env = {"ARCHIVER_MAP_HOST": "twitter.com=127.0.0.1:1, *.twimg.com=127.0.0.1:2",
           "ARCHIVER_CA_BUNDLE": str(ca), "ARCHIVER_PROXY": "http://proxy.local:3128"}
    net = NetOptions.from_options(None, None, None, env=env)
    assert [str(m) for m in net.map_hosts] == ["twitter.com=127.0.0.1:1", "*.twimg.com=127.0.0.1:2"]
    assert net.ca_bundle == ca.resolve() and net.proxy == "http://proxy.local:3128"
    cli = NetOptions.from_options(["x.com=127.0.0.1:9"], None, "socks5://user:pw@p:1080" if _has_socksio() else None,
                                  env=env)
    assert [str(m) for m in cli.map_hosts] == ["x.com=127.0.0.1:9"]
    assert cli.ca_bundle == ca.resolve()  # not given on the command line: the env still counts
    assert NetOptions.from_options(None, None, None, env={}) == NetOptions()


@pytest.mark.parametrize("given", ["option", "env"])
def test_the_command_line_reads_a_ca_bundle_once_and_passes_the_checked_path_on(
        given: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import archiver.net
    from archiver.cli import app

    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    checked: list[str] = []
    built: list[NetOptions] = []
    check, from_options = archiver.net._check_ca_bundle, NetOptions.from_options

    def counted_check(value: str, option: str) -> Path:
        checked.append(option)
        return check(value, option)

    def kept_from_options(*args: Any, **kwargs: Any) -> NetOptions:
        built.append(from_options(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(archiver.net, "_check_ca_bundle", counted_check)
    monkeypatch.setattr(NetOptions, "from_options", kept_from_options)
    args = ["--ca-bundle", str(ca)] if given == "option" else []
    env = {"ARCHIVER_CA_BUNDLE": str(ca)} if given == "env" else {}
    r = CliRunner().invoke(app, ["scan", "https://news.example/a", "--map-host", "*=127.0.0.1:1", *args], env=env)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output  # (the fetch fails: no server)
    assert checked == ["--ca-bundle" if given == "option" else "ARCHIVER_CA_BUNDLE"]
    assert [net.ca_bundle for net in built] == [ca.resolve()]


def _has_socksio() -> bool:
    try:
        import socksio  # noqa: F401
    except ImportError:
        return False
    return True


def test_option_errors_name_the_option(tmp_path: Path) -> None:
    not_pem = tmp_path / "x.pem"
    not_pem.write_text("hello")
    bad_pem = tmp_path / "bad.pem"
    bad_pem.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    cases = [
        (lambda: NetOptions.from_options(None, "missing.pem", None, env={}), "--ca-bundle: no such file: missing.pem"),
        (lambda: NetOptions.from_options(None, str(not_pem), None, env={}), "--ca-bundle: no PEM certificate"),
        (lambda: NetOptions.from_options(None, str(bad_pem), None, env={}), "--ca-bundle: not a usable PEM CA bundle"),
        (lambda: NetOptions.from_options(None, None, None, env={"ARCHIVER_CA_BUNDLE": "gone.pem"}),
         "ARCHIVER_CA_BUNDLE: no such file: gone.pem"),
        (lambda: NetOptions.from_options(None, None, "ftp://p:21", env={}), "--proxy: bad proxy URL 'ftp://p:21'"),
        (lambda: NetOptions.from_options(None, None, None, env={"ARCHIVER_PROXY": "nohost"}), "ARCHIVER_PROXY: bad proxy"),
        (lambda: NetOptions.from_options(None, None, None, env={"ARCHIVER_MAP_HOST": "a.com=1.2.3.4"}),
         "ARCHIVER_MAP_HOST 'a.com=1.2.3.4': the address needs a port"),
    ]
    for call, message in cases:
        with pytest.raises(UsageError) as e:
            call()
        assert message in str(e.value)
        assert "\n" not in str(e.value)


# A trustme CA; its pin computed with the OpenSSL command line, which shares no code with ours:
#   openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
PINNED_CA = """\
-----BEGIN CERTIFICATE-----
MIIByjCCAW+gAwIBAgIUPc6y4R/aepwo8Qpo1mTefRqmZEEwCgYIKoZIzj0EAwIw
QDEXMBUGA1UECgwOdHJ1c3RtZSB2MS4yLjExJTAjBgNVBAsMHFRlc3RpbmcgQ0Eg
I09YUjFlMzdjZ1dWSE9BbFYwIBcNMDAwMTAxMDAwMDAwWhgPMzAwMDAxMDEwMDAw
MDBaMEAxFzAVBgNVBAoMDnRydXN0bWUgdjEuMi4xMSUwIwYDVQQLDBxUZXN0aW5n
IENBICNPWFIxZTM3Y2dXVkhPQWxWMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
7eDGiWrfDlJKO7aXydU2t/KoEX5tTghTO3MTQ11NOc8s7d5F/BunZX0UtGAmuZ8o
zUvucQuwg7maZDv/oZCdhaNFMEMwHQYDVR0OBBYEFAknZRdLpzzEHCSg2Y1ZVLPy
nxbWMBIGA1UdEwEB/wQIMAYBAf8CAQkwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49
BAMCA0kAMEYCIQDtxc5H0k2MQUefIVxqErmLnipF4k+XU9q35JUuFZdOzQIhAK55
7Xj00FzhdK0ejawr4/f5dd89THKjaZ8D4b9dtMOu
-----END CERTIFICATE-----
"""
PINNED_CA_SPKI = "cpA7y0VXNqVpYKFCn57nOg+m2/vgtln6H4q54sjF7Uc="


def test_spki_hash_matches_openssl() -> None:
    assert spki_sha256(PINNED_CA) == PINNED_CA_SPKI
    assert spki_sha256(trustme.CA().cert_pem.bytes().decode()) != PINNED_CA_SPKI  # a key of its own


def test_an_unreadable_certificate_is_a_usage_error() -> None:
    broken = PINNED_CA.replace("MIIByjCC", "MIIByjCD")
    with pytest.raises(UsageError) as e:
        spki_sha256(broken)
    assert "--ca-bundle" in str(e.value) and "\n" not in str(e.value)


def test_proxy_goes_to_browser_and_client() -> None:
    net = NetOptions.from_options(None, None, "http://u:p@127.0.0.1:3128", env={})
    assert net.chromium_launch(Path("/nonexistent"))["proxy"] == {
        "server": "http://127.0.0.1:3128", "username": "u", "password": "p"}


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append(self.path)  # a forward proxy gets the absolute URL
        body = b"via proxy"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_httpx_client_uses_the_proxy() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        net = NetOptions.from_options(None, None, f"http://127.0.0.1:{httpd.server_address[1]}", env={})
        with net.httpx_client() as client:
            r = client.get("http://news.example/article")
        assert r.text == "via proxy" and _ProxyHandler.seen == ["http://news.example/article"]
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- httpx, for real -------------------------------------------------------------------------------


def test_httpx_client_maps_host_keeps_sni_and_trusts_only_the_bundle(server: TLSServer) -> None:
    with server.net().httpx_client(user_agent="test-agent") as client:
        r = client.get("https://twitter.com/jack/status/20")
        redirect = client.get("https://t.co/redirect/1")
    assert r.status_code == 200 and r.text == "hello twitter.com /jack/status/20"
    assert server.state.log[0].sni == "twitter.com" and server.state.log[0].headers["User-Agent"] == "test-agent"
    assert redirect.status_code == 302  # follow_redirects is off by default
    import httpx

    with server.net(ca=False).httpx_client() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY"):
        client.get("https://twitter.com/x")


def test_port_specific_map_leaves_other_ports_alone(server: TLSServer) -> None:
    import httpx

    net = NetOptions.from_options([f"twitter.com:443=127.0.0.1:{server.port}", "*=127.0.0.1:1"],
                                  str(server.ca_path), None, env={})
    with net.httpx_client() as client:
        assert client.get("https://twitter.com/a").status_code == 200
        with pytest.raises(httpx.ConnectError):
            client.get("https://twitter.com:8443/a")  # -> the second map, port 1: refused


# -- Chromium, for real ----------------------------------------------------------------------------


def test_nss_database_holds_the_bundle(server: TLSServer, tmp_path: Path) -> None:
    if shutil.which("certutil") is None:
        pytest.skip("certutil (libnss3-tools) not installed")
    kwargs = server.net().chromium_launch(tmp_path / "work")
    home = Path(kwargs["env"]["HOME"])
    out = subprocess.run(["certutil", "-L", "-d", f"sql:{home / '.pki' / 'nssdb'}"], check=True, capture_output=True, text=True)
    assert "archiver-ca-0" in out.stdout and "C,," in out.stdout
    assert kwargs["env"]["PATH"] == os.environ["PATH"]  # the rest of the environment is kept
    assert "ignore-certificate-errors" not in " ".join(kwargs["args"])
    assert server.net().chromium_launch(tmp_path / "work")["env"]["HOME"] == str(home)  # reused


def test_nss_database_keeps_the_users_own_cas(server: TLSServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("certutil") is None:
        pytest.skip("certutil (libnss3-tools) not installed")
    home = tmp_path / "home"
    own = home / ".pki" / "nssdb"
    own.mkdir(parents=True)
    corp = tmp_path / "corp.pem"
    trustme.CA().cert_pem.write_to_path(str(corp))
    subprocess.run(["certutil", "-N", "-d", f"sql:{own}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-n", "corp-ca", "-t", "C,,", "-i", str(corp), "-d", f"sql:{own}"],
                   check=True, capture_output=True)
    monkeypatch.setenv("HOME", str(home))
    kwargs = server.net().chromium_launch(tmp_path / "work")
    db = Path(kwargs["env"]["HOME"]) / ".pki" / "nssdb"
    out = subprocess.run(["certutil", "-L", "-d", f"sql:{db}"], check=True, capture_output=True, text=True).stdout
    assert "corp-ca" in out and "archiver-ca-0" in out
    mine = subprocess.run(["certutil", "-L", "-d", f"sql:{own}"], check=True, capture_output=True, text=True).stdout
    assert "archiver-ca-0" not in mine  # the user's database itself is untouched


@pytest.mark.browser
def test_chromium_reaches_impersonated_twitter_with_bundle_only(server: TLSServer, tmp_path: Path) -> None:
    from playwright.sync_api import Error, sync_playwright

    exe = CHROMIUM if os.path.exists(CHROMIUM) else None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, **server.net().chromium_launch(tmp_path / "a"))
        try:
            page = browser.new_page()  # no ignore_https_errors: the CA is trusted through the NSS database
            response = page.goto("https://twitter.com/x", timeout=15_000)
            assert response is not None and response.status == 200
            assert page.inner_text("body") == "hello twitter.com /x"
            page.goto("https://platform.twitter.com/embed", timeout=15_000)
            assert page.inner_text("body") == "hello platform.twitter.com /embed"
        finally:
            browser.close()
        # The converse: same maps without the bundle, and the certificate is refused.
        browser = p.chromium.launch(executable_path=exe, **server.net(ca=False).chromium_launch(tmp_path / "b"))
        try:
            with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
                browser.new_page().goto("https://twitter.com/x", timeout=15_000)
        finally:
            browser.close()
    assert {s.sni for s in server.state.log} == {"twitter.com", "platform.twitter.com"}


def test_the_gate_closing_on_open_tunnels_prints_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Closing the gate cancels the tunnels it still carries: asyncio's stream server asked each
    cancelled task for its exception, which raised, and Python printed "Exception in callback ..."
    with a traceback on stderr as a run stopped (a SIGTERM's summary followed by one)."""
    import logging
    import socket

    from archiver.capture.gate import Gate

    held = socket.create_server(("127.0.0.1", 0))  # a server that accepts and never answers
    port = held.getsockname()[1]
    gate = Gate(NetOptions.from_options([f"*=127.0.0.1:{port}"], None, None, env={}))
    clients = []
    try:
        with caplog.at_level(logging.ERROR, "asyncio"):
            for _ in range(3):
                c = socket.create_connection(("127.0.0.1", gate.port), timeout=10)
                c.sendall(b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
                assert c.recv(100).startswith(b"HTTP/1.1 200"), "no tunnel"
                clients.append(c)
            gate.close()
        assert not [r for r in caplog.records if r.name == "asyncio"], caplog.text
    finally:
        for c in clients:
            c.close()
        held.close()
        gate.close()


def test_the_gate_gives_a_name_look_up_no_longer_than_a_connection() -> None:
    """The browser's gate looks names up off its loop, in a thread of the loop's pool: with no bound,
    a resolver that never answers held the page's CONNECT (and that thread) for good. The look-up
    is now given the gate's connect timeout, and the tunnel fails while the resolver still waits.
    (The resolver is a stand-in that blocks until released: nothing is looked up or sent.)"""
    import dataclasses
    import socket
    import threading

    from archiver.capture.gate import Gate

    released = threading.Event()

    def never_answers(host: str, port: int) -> list[str]:
        released.wait(120)
        return ["127.0.0.1"]

    net = dataclasses.replace(NetOptions.from_options([], None, None, env={}), resolver=never_answers)
    gate = Gate(net, connect_timeout=1.0)
    try:
        with socket.create_connection(("127.0.0.1", gate.port), timeout=60) as c:
            c.sendall(b"CONNECT slow-dns.example:443 HTTP/1.1\r\nHost: slow-dns.example:443\r\n\r\n")
            answer = c.recv(100)
        assert answer.startswith(b"HTTP/1.1 403"), answer
        assert not released.is_set()  # (answered while the look-up still waited)
    finally:
        released.set()
        gate.close()
