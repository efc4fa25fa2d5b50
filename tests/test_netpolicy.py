"""The network policy's judgement of addresses (pure) and of connections (names, maps, trust).

No test here opens a socket to a non-loopback address: names are answered by an injected resolver
and the addresses they lead to are checked before any connection, or dialled through a stand-in.
"""

from __future__ import annotations

import ipaddress

import httpcore
import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.net import HostMap, NetOptions
from archiver.netpolicy import AddressRefused, connect_targets, embedded_ipv4, forbidden, judge_literal, parse_ip

# -- addresses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", [
    "127.0.0.1", "2130706433", "0x7f.1", "0x7F000001", "0177.0.0.1", "127.1", "127.0.1", "127.0.0.1.",
    "[::ffff:127.0.0.1]", "::ffff:7f00:1", "[::1]", "::1", "[2002:7f00:1::]", "[::127.0.0.1]",
])
def test_loopback_in_every_spelling_is_loopback(spelling: str) -> None:
    ip = parse_ip(spelling)
    assert ip is not None
    assert forbidden(ip) == "a loopback address"


@pytest.mark.parametrize(("address", "why"), [
    ("10.0.0.5", "a private address"),
    ("172.16.3.4", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fc00::1", "a private address"),
    ("fd12:3456::1", "a private address"),
    ("169.254.169.254", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("100.64.0.1", "a shared (CGNAT) address"),
    ("224.0.0.251", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("240.0.0.1", "a reserved address"),
    ("192.0.2.10", "a private address"),  # documentation range: not global either way
    ("64:ff9b::a00:5", "a private address"),  # NAT64 of 10.0.0.5
    ("::ffff:169.254.169.254", "a link-local address"),
])
def test_non_global_addresses_are_refused_with_their_kind(address: str, why: str) -> None:
    ip = parse_ip(address)
    assert ip is not None
    assert forbidden(ip) == why


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    ip = parse_ip(address)
    assert ip is not None and forbidden(ip) is None


@pytest.mark.parametrize("name", ["example.com", "news.example", "1.2.3.4.5", "256.1.1.1", "09.1.1.1", "a.1", "[::zz]", ""])
def test_names_and_malformed_literals_are_not_addresses(name: str) -> None:
    assert parse_ip(name) is None


@given(st.ip_addresses(v=4))
def test_every_ipv4_spelling_parses_to_the_same_address(ip: ipaddress.IPv4Address) -> None:
    n = int(ip)
    a, b, c, d = ip.packed
    spellings = [str(n), hex(n), f"{a}.{(b << 16) | (c << 8) | d}", f"{a}.{b}.{(c << 8) | d}",
                 ".".join(hex(x) for x in ip.packed), ".".join(f"0{x:o}" for x in ip.packed)]
    for s in spellings:
        assert parse_ip(s) == ip, s


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_wrapped_in_ipv6_is_judged_as_itself(ip: ipaddress.IPv4Address) -> None:
    for wrapped in (f"::ffff:{ip}", f"64:ff9b::{ip}"):
        v6 = ipaddress.IPv6Address(wrapped)
        assert embedded_ipv4(v6) == ip
        assert forbidden(v6) == forbidden(ip)


# -- connections ---------------------------------------------------------------------------------------

ANSWERS = {
    "intranet.example": ["10.0.0.5"],
    "metadata.example": ["169.254.169.254"],
    "router.example": ["192.168.1.1"],
    "ula.example": ["fc00::1"],
    "mixed.example": ["93.184.216.34", "10.1.1.1"],
    "public.example": ["93.184.216.34", "2606:2800:220:1::1"],
    "localhost": ["127.0.0.1", "::1"],
}


def _resolver(host: str, port: int) -> list[str]:
    if host not in ANSWERS:
        raise httpcore.ConnectError(f"Name or service not known: {host}")
    return ANSWERS[host]


def _net(*maps: str, **kw: object) -> NetOptions:
    return NetOptions(map_hosts=tuple(HostMap.parse(m) for m in maps), resolver=_resolver, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("host", "why"), [
    ("intranet.example", "a private address (10.0.0.5)"),
    ("metadata.example", "a link-local address (169.254.169.254)"),
    ("router.example", "a private address (192.168.1.1)"),
    ("ula.example", "a private address (fc00::1)"),
    ("mixed.example", "a private address (10.1.1.1)"),
    ("localhost", "a loopback address (127.0.0.1)"),
])
def test_a_name_that_resolves_to_a_forbidden_address_is_refused(host: str, why: str) -> None:
    with pytest.raises(AddressRefused) as info:
        connect_targets(_net(), host, 443)
    assert info.value.reason == f"resolves to {why}"


def test_a_public_name_is_connected_by_its_judged_addresses_not_by_name() -> None:
    # Against the toy fix "refuse every unmapped host": with no map at all, a public name is fetched.
    assert connect_targets(_net(), "public.example", 80) == [("93.184.216.34", 80), ("2606:2800:220:1::1", 80)]


def test_a_mapped_name_goes_where_the_map_says_but_a_different_name_is_judged() -> None:
    net = _net("news.example=127.0.0.1:8443")
    assert connect_targets(net, "news.example", 443) == [("127.0.0.1", 8443)]
    with pytest.raises(AddressRefused):
        connect_targets(net, "intranet.example", 443)


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "::1", "10.0.0.5"])
def test_an_ip_literal_is_judged_even_when_a_wildcard_map_matches_it(host: str) -> None:
    with pytest.raises(AddressRefused):
        connect_targets(_net("*=127.0.0.1:8443"), host, 8080)


def test_localhost_is_not_captured_by_a_wildcard_map() -> None:
    with pytest.raises(AddressRefused) as info:
        connect_targets(_net("*=127.0.0.1:8443"), "localhost", 8080)
    assert "loopback" in info.value.reason


def test_allow_private_and_trusted_origins_lift_the_policy() -> None:
    assert connect_targets(_net(allow_private=True), "intranet.example", 80) == [("10.0.0.5", 80)]
    assert connect_targets(_net(allow_private=True), "127.0.0.1", 8080) == [("127.0.0.1", 8080)]
    trusted = _net().trusting(["http://127.0.0.1:8080/article.html", "http://intranet.example/x"])
    assert connect_targets(trusted, "127.0.0.1", 8080) == [("127.0.0.1", 8080)]
    assert connect_targets(trusted, "intranet.example", 80) == [("10.0.0.5", 80)]
    # Only that origin: another port of the same host is content's to name, and refused.
    with pytest.raises(AddressRefused):
        connect_targets(trusted, "127.0.0.1", 8081)


def test_allow_private_comes_from_the_environment_too() -> None:
    assert NetOptions.from_options(None, None, None, env={"ARCHIVER_ALLOW_PRIVATE": "1"}).allow_private
    assert not NetOptions.from_options(None, None, None, env={}).allow_private


def test_under_a_proxy_only_ip_literals_can_be_judged() -> None:
    net = NetOptions(proxy="http://127.0.0.1:3128")
    judge_literal(net, "intranet.example", 80)  # the proxy resolves names: not ours to judge
    with pytest.raises(AddressRefused):
        judge_literal(net, "0x7f.1", 80)


def test_the_dialer_is_only_asked_for_judged_addresses() -> None:
    dialled: list[tuple[str, int]] = []

    def dialer(addr: str, port: int) -> tuple[str, int]:
        dialled.append((addr, port))
        return "127.0.0.1", 9

    net = NetOptions(resolver=_resolver, dialer=dialer)
    assert connect_targets(net, "public.example", 80)[0] == ("127.0.0.1", 9)
    for host in ("intranet.example", "metadata.example", "127.0.0.1"):
        with pytest.raises(AddressRefused):
            connect_targets(net, host, 80)
    assert dialled == [("93.184.216.34", 80), ("2606:2800:220:1::1", 80)]
