"""Which addresses the tool may connect to because of what a page says, judged at connect time.

Articles and posts are untrusted: an iframe, a redirect, a short link, a media URL or a Mastodon
embed can name `http://127.0.0.1:8080/admin`, `http://169.254.169.254/` (a cloud's metadata service)
or a name whose DNS answer is an intranet address. Fetching those would store what a private
service answered in the WARC and in exports (server-side request forgery). So every connection the
HTTP client or the browser opens is judged here, against the address it is really about to connect
to, after resolution — never against the spelling of the URL alone, and with no second look-up
between the judgement and the connection (DNS rebinding).

Refused: every address whose `ipaddress` `is_global` is false (loopback, RFC 1918 private, unique
local fc00::/7, link-local 169.254/16 and fe80::/10, shared CGNAT 100.64/10, unspecified, the
documentation and benchmark ranges, reserved 240/4) plus multicast, after unwrapping the IPv6 forms
that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, 6to4 2002::/16,
NAT64 64:ff9b::/96, Teredo). Host names are resolved and every address of the answer is judged: a
name with one private address among public ones is refused whole.

Not judged: host names an operator's `--map-host` names (they go where the operator said), the
origins of URLs the operator gave on the command line or in a `.urls` seed file (trusted as given;
where they lead is not), and the operator's own endpoints (the proxy). IP literals are judged by
their address in every spelling browsers accept (`2130706433`, `0x7f.1`, `0177.0.0.1`,
`[::ffff:127.0.0.1]`), even when a wildcard map would match them. `--allow-private` lifts the
policy for intranets.

A name is looked up within the time the connection may take (`lookup`): the system resolver can
block for tens of seconds when no DNS server answers, and no socket timeout covers it.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import httpcore

if TYPE_CHECKING:
    from archiver.net import NetOptions

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
Dialer = Callable[[str, int], tuple[str, int]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class AddressRefused(httpcore.ConnectError):
    """The policy refused to connect to this host and port (raised before any connection attempt)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"{host}:{port} {reason}")
        self.host = host
        self.port = port
        self.reason = reason


def _ipv4_number(part: str) -> int | None:
    """One dotted part as browsers read it: decimal, 0x hexadecimal, or 0-prefixed octal."""
    if not part:
        return None
    try:
        if part[:2].lower() == "0x":
            return int(part[2:], 16) if part[2:] else 0
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 literal in any spelling the URL standard's host parser accepts, else None.

    `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` are all 127.0.0.1 to a browser (and to
    inet_aton), so a check of the dotted-quad spelling alone is no check at all.
    """
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]  # a trailing dot
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    total = values[-1]
    for i, n in enumerate(values[:-1]):
        total += n << (8 * (3 - i))
    return ipaddress.IPv4Address(total)


def parse_ip(host: str) -> IPAddress | None:
    """The address an IP-literal host stands for (`[::1]`, `::1`, `0x7f.1`…), None for a name."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    return parse_ipv4(host)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden(ip: IPAddress) -> str | None:
    """Why connecting to `ip` is refused ("a loopback address"…), or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return forbidden(inner)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a shared (CGNAT) address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a reserved address"
    return None


class LookupTimeout(httpcore.ConnectError):
    """A host name lookup that did not end within the time the connection had (`lookup`).

    A name not resolved, as `system_resolver` names one, and as the system resolver itself ends
    when no DNS server answers: the callers' messages say "host name not resolved"."""

    def __init__(self, host: str, timeout: float) -> None:
        shown = f"{timeout:.3g}" if timeout > 0 else "0"
        super().__init__(f"Name or service not known: {host} (no answer within {shown} s)")
        self.host = host


def lookup(resolver: Resolver, host: str, port: int, timeout: float | None) -> Sequence[str]:
    """`resolver(host, port)`, given at most `timeout` seconds (None: as long as it takes).

    The look-up runs in a thread of its own, waited for no longer than `timeout`; one still running
    then is left to end on its own (a daemon thread: it holds nothing, and never holds up the
    process's exit) and LookupTimeout is raised."""
    if timeout is None:
        return resolver(host, port)
    if timeout <= 0:
        raise LookupTimeout(host, timeout)
    done = threading.Event()
    outcome: list[Sequence[str] | BaseException] = []

    def resolve() -> None:
        try:
            outcome.append(resolver(host, port))
        except BaseException as e:  # handed to the waiting caller, raised there
            outcome.append(e)
        finally:
            done.set()

    threading.Thread(target=resolve, name=f"archiver-lookup-{host}", daemon=True).start()
    if not done.wait(timeout):
        raise LookupTimeout(host, timeout)
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    return result


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (both families, TCP), in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise httpcore.ConnectError(f"[Errno {getattr(e, 'errno', '')}] Name or service not known: {host}") from e
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def connect_targets(net: NetOptions, host: str, port: int, *, timeout: float | None = None) -> list[tuple[str, int]]:
    """Where to open the TCP connection for host:port, in order to try; raises AddressRefused.

    The addresses returned are the ones judged: callers connect to them, never to the name. The
    name's look-up is given at most `timeout` seconds (LookupTimeout; None: no bound).
    """
    host = host.strip().lower().strip("[]").rstrip(".") or host
    literal = parse_ip(host)
    trusted = (host, port) in net.trusted_origins
    if literal is not None:
        reason = None if (net.allow_private or trusted) else forbidden(literal)
        if reason is not None:
            raise AddressRefused(host, port, f"resolves to {reason} ({literal})")
        # A public (or allowed) literal may still be sent where a map says, like any host.
        return [_dial(net, *net.resolve(str(literal), port))]
    mapped = net.resolve(host, port)
    if mapped != (host, port):
        return [_dial(net, *mapped)]  # the operator's choice of where this name goes
    resolver: Resolver = net.resolver or system_resolver
    answers = list(lookup(resolver, host, port, timeout))
    if not answers:
        raise httpcore.ConnectError(f"Name or service not known: {host}")
    if not (net.allow_private or trusted):
        for answer in answers:
            ip = parse_ip(answer)
            reason = "an address that is not an IP address" if ip is None else forbidden(ip)
            if reason is not None:
                raise AddressRefused(host, port, f"resolves to {reason} ({answer})")
    return [_dial(net, answer, port) for answer in answers]


def judge_literal(net: NetOptions, host: str, port: int) -> None:
    """Under a proxy the proxy resolves names, so only IP literals can be judged here."""
    host = host.strip().lower().strip("[]").rstrip(".")
    literal = parse_ip(host)
    if literal is None or net.allow_private or (host, port) in net.trusted_origins:
        return
    reason = forbidden(literal)
    if reason is not None:
        raise AddressRefused(host, port, f"resolves to {reason} ({literal})")


def _dial(net: NetOptions, addr: str, port: int) -> tuple[str, int]:
    return net.dialer(addr, port) if net.dialer is not None else (addr, port)
