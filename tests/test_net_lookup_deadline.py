"""Host name look-ups end by the deadline of the connection they are made for.

The system resolver (getaddrinfo) can block for tens of seconds when no DNS server answers, and no
socket timeout covers it. Here `socket.getaddrinfo` is replaced, for one stand-in name only, by a
resolver that takes its time and then answers 127.0.0.1 (a unit-level stand-in for a DNS server that
does not answer: nothing is sent anywhere); every other name and address is looked up as usual.
Each fetch is waited for well past its deadline, and one still running then is the failure.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from archiver.capture.http import RecordingClient
from archiver.errors import LimitExceeded, NetworkUnreachable
from archiver.net import HostMap, NetOptions
from archiver.netpolicy import AddressRefused, connect_targets
from tests.dripping import WAIT, in_thread

SLOW = "slow-dns.example"  # looked up in SlowResolver.delay seconds, as 127.0.0.1
PAGE = b"<!doctype html><title>fine</title><p>an answer</p>"


class SlowResolver:
    """`socket.getaddrinfo` that takes `delay` seconds (or until released) to answer for SLOW."""

    def __init__(self) -> None:
        self.real = socket.getaddrinfo
        self.delay = 30.0
        self.released = threading.Event()
        self.asked = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != SLOW:
            return self.real(host, port, *args, **kwargs)
        self.asked += 1
        self.released.wait(self.delay)
        return self.real("127.0.0.1", port, *args, **kwargs)


@pytest.fixture
def slow_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowResolver]:
    resolver = SlowResolver()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    try:
        yield resolver
    finally:
        resolver.released.set()  # the look-ups left running end now


@pytest.fixture
def server() -> Iterator[int]:
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def _get(net: NetOptions, url: str, **kw: Any) -> object:
    with RecordingClient(net, max_retries=0, **kw) as client:
        return client.get(url)


def test_a_fetch_gives_up_at_its_deadline_while_its_host_name_is_looked_up(slow_dns: SlowResolver,
                                                                          server: int) -> None:
    url = f"http://{SLOW}:{server}/"
    out, took = in_thread(lambda: _get(NetOptions().trusting([url]), url, deadline=1))
    assert out, f"GET {url} still waiting {WAIT} s after its 1 s deadline"
    (got,) = out
    assert isinstance(got, LimitExceeded), repr(got)
    assert str(got) == f"GET {url}: gave up after 1 s (deadline; raise --fetch-deadline to wait longer)"
    assert took < 1 + 5, took
    assert slow_dns.asked == 1


def test_without_a_deadline_the_connect_timeout_bounds_the_look_up(slow_dns: SlowResolver, server: int) -> None:
    """A look-up that outlasts the connect timeout is a name not resolved, as the resolver itself
    says when no DNS server answers: the network may be down."""
    url = f"http://{SLOW}:{server}/"
    out, took = in_thread(lambda: _get(NetOptions().trusting([url]), url, deadline=None, timeout=1))
    assert out, f"GET {url} still waiting {WAIT} s after its 1 s connect timeout"
    (got,) = out
    assert isinstance(got, NetworkUnreachable), repr(got)
    assert str(got) == f"GET {url}: host name not resolved"
    assert took < 1 + 5, took


def test_a_look_up_that_ends_in_time_is_used(slow_dns: SlowResolver, server: int) -> None:
    slow_dns.delay = 0.3
    url = f"http://{SLOW}:{server}/"
    out, _ = in_thread(lambda: _get(NetOptions().trusting([url]), url, deadline=20))
    (got,) = out
    assert getattr(got, "status_code", None) == 200, repr(got)


def test_the_policys_look_up_is_bounded_and_still_judges_what_the_name_points_to(slow_dns: SlowResolver) -> None:
    from archiver.netpolicy import LookupTimeout

    net = NetOptions()
    out, took = in_thread(lambda: connect_targets(net, SLOW, 443, timeout=1))
    assert out and isinstance(out[0], LookupTimeout), out
    assert took < 1 + 5, took
    # In time, the name's answer is judged as ever: a loopback address is refused, unless trusted.
    slow_dns.delay = 0.2
    with pytest.raises(AddressRefused, match=r"resolves to a loopback address \(127\.0\.0\.1\)"):
        connect_targets(net, SLOW, 443, timeout=20)
    assert connect_targets(net.trusting([f"https://{SLOW}/"]), SLOW, 443, timeout=20) == [("127.0.0.1", 443)]


def test_the_look_up_of_a_maps_address_is_bounded(slow_dns: SlowResolver, server: int) -> None:
    """`--map-host HOST=ADDR:PORT` with ADDR a name: that name is looked up within the deadline too."""
    url = "http://news.example/story.html"
    net = NetOptions(map_hosts=(HostMap.parse(f"news.example={SLOW}:{server}"),))
    out, took = in_thread(lambda: _get(net, url, deadline=1))
    assert out and isinstance(out[0], LimitExceeded), out
    assert took < 1 + 5, took
    slow_dns.delay = 0.2
    out, _ = in_thread(lambda: _get(net, url, deadline=20))
    assert getattr(out[0], "status_code", None) == 200, out  # the map still leads there


def test_the_look_up_of_the_proxys_name_is_bounded(slow_dns: SlowResolver, server: int) -> None:
    url = "http://news.example/story.html"
    net = NetOptions(proxy=f"http://{SLOW}:{server}")
    out, took = in_thread(lambda: _get(net, url, deadline=1))
    assert out and isinstance(out[0], LimitExceeded), out
    assert str(out[0]).startswith(f"GET {url}: gave up after 1 s (deadline"), out
    assert took < 1 + 5, took


def test_the_timestamp_authoritys_name_is_looked_up_within_the_requests_deadline(slow_dns: SlowResolver,
                                                                                 server: int) -> None:
    from archiver.errors import TimestampError
    from archiver.evidence import tsa

    url = f"http://{SLOW}:{server}/tsr"
    out, took = in_thread(lambda: tsa.request_token(url, b"sha256:0123", deadline=1))
    assert out, f"POST {url} still waiting {WAIT} s after its 1 s deadline"
    assert isinstance(out[0], TimestampError), out
    assert str(out[0]) == (f"timestamp authority {url}: gave up after 1 s (deadline; raise --timestamp-deadline "
                           "to wait longer)")
    assert took < 1 + 5, took


@pytest.fixture
def unanswered() -> Iterator[tuple[str, int]]:
    """A loopback address whose connects are never answered, as a blackholed address's: a listener
    whose queue of connections not yet accepted is full drops every further SYN, so a connect waits
    out its timeout (traffic stays on loopback)."""
    import select

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    filling: list[socket.socket] = []
    try:
        for _ in range(16):
            s = socket.socket()
            s.setblocking(False)
            filling.append(s)
            s.connect_ex(address)
            if not select.select([], [s], [], 0.5)[1]:
                break  # this one was not answered: the queue is full
        else:
            pytest.fail("the listener's queue never filled")
        yield address
    finally:
        for s in filling:
            s.close()
        listener.close()


def test_each_address_of_a_name_gets_its_own_connect_timeout(unanswered: tuple[str, int], server: int) -> None:
    """A name with two addresses whose first does not answer: the first is given the connect
    timeout, then the second is tried with a connect timeout of its own (as
    `socket.create_connection` does), the fetch's deadline bounding the whole."""
    first, second = "93.184.216.7", "93.184.216.8"  # public, as judged; dialled on loopback below

    def dialer(addr: str, port: int) -> tuple[str, int]:
        return unanswered if addr == first else ("127.0.0.1", server)

    net = NetOptions(resolver=lambda host, port: [first, second], dialer=dialer)
    url = "http://two-addresses.example/"
    out, took = in_thread(lambda: _get(net, url, timeout=2, deadline=30))
    assert out, f"GET {url} still waiting {WAIT} s"
    (got,) = out
    assert getattr(got, "status_code", None) == 200, repr(got)  # the second address answered
    assert 2 <= took < 2 + 10, took

    # The deadline still bounds the whole: shorter than one connect timeout, it ends the fetch there.
    out, took = in_thread(lambda: _get(net, url, timeout=5, deadline=1))
    assert out and isinstance(out[0], LimitExceeded), out
    assert took < 1 + 5, took
