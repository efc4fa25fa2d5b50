"""Network options (--map-host, --ca-bundle, --proxy) applied alike to Chromium and to the HTTP client.

    --map-host HOSTGLOB[:PORT]=ADDR:PORT   connect to ADDR:PORT for matching hosts, keeping the real host
                                           name for TLS SNI and Host (curl's --connect-to)
    --ca-bundle PEM                        trust these CA certificates as well as the system ones
    --proxy URL                            send everything through this proxy

Matching follows Chromium's --host-resolver-rules (net/base/host_mapping_rules.cc) so that the browser
and the HTTP client always agree: a glob with `*`/`?` is tried against `host` and against `host:port`,
the first matching map wins, and `*.twitter.com` does not match bare `twitter.com`.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import logging
import os
import re
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import httpcore
import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from archiver.errors import BrowserError, UsageError
from archiver.netpolicy import Dialer, Resolver, connect_targets, lookup, parse_ip, system_resolver
from archiver.redact import endpoint_secrets, redact_endpoint, scrub

logger = logging.getLogger(__name__)

# Hosts a wildcard map must not capture, so that local servers (and the test servers) stay reachable.
LOOPBACK_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")

_PATTERN_RE = re.compile(r"^[a-z0-9.*?_-]+$")
_ADDR_RE = re.compile(r"^[a-z0-9._-]+$")
_IPV6_RE = re.compile(r"^[0-9a-f:.]*:[0-9a-f:.]*$")
_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def _port(text: str, what: str, spec: str, option: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageError(f"{option} {spec!r}: {what} must be a port number 1-65535, not {text!r}")
    return int(text)


def _split_host_port(text: str) -> tuple[str, str | None]:
    """'host:443' -> ('host', '443'); '[::1]:443' -> ('::1', '443'); 'host' -> ('host', None)."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return text, None
        rest = text[end + 1 :]
        return text[1:end], (rest[1:] if rest.startswith(":") else None) if rest else None
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, port
    return text, None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class HostMap:
    """One --map-host HOSTGLOB[:PORT]=ADDR:PORT."""

    pattern: str
    port: int | None
    addr: str
    addr_port: int

    @classmethod
    def parse(cls, spec: str, *, option: str = "--map-host") -> HostMap:
        """Parse 'HOSTGLOB[:PORT]=ADDR:PORT'; raise UsageError with a one-line message when malformed."""
        example = "expected HOSTGLOB[:PORT]=ADDR:PORT, e.g. '*.twitter.com=127.0.0.1:8443'"
        left, sep, right = spec.strip().partition("=")
        if not sep or not left or not right:
            raise UsageError(f"{option} {spec!r}: {example}")
        left = left.strip().lower()
        pattern, port_text = _split_host_port(left)
        valid = _IPV6_RE.match(pattern) if left.startswith("[") else _PATTERN_RE.match(pattern)
        if not pattern or not valid:
            raise UsageError(f"{option} {spec!r}: bad host glob {pattern!r} (letters, digits, '.', '-', '*', '?')")
        port = _port(port_text, "PORT", spec, option) if port_text is not None else None
        right = right.strip().lower()
        addr, addr_port_text = _split_host_port(right)
        if addr_port_text is None:
            raise UsageError(f"{option} {spec!r}: the address needs a port: {example}")
        if not addr or not (_IPV6_RE.match(addr) if right.startswith("[") else _ADDR_RE.match(addr)):
            raise UsageError(f"{option} {spec!r}: bad address {addr!r}")
        return cls(pattern, port, addr, _port(addr_port_text, "the address port", spec, option))

    def matches(self, host: str, port: int) -> bool:
        """Chromium's rule: the glob is tried on `host`, then on `host:port`; '*' matches everything."""
        host = host.lower().strip("[]")
        glob = self.pattern if self.port is None else f"{_bracket(self.pattern)}:{self.port}"
        return fnmatchcase(host, glob) or fnmatchcase(f"{_bracket(host)}:{port}", glob)

    @property
    def is_wildcard(self) -> bool:
        return "*" in self.pattern or "?" in self.pattern

    def chromium_rule(self) -> str:
        left = _bracket(self.pattern) if self.port is None else f"{_bracket(self.pattern)}:{self.port}"
        return f"MAP {left} {_bracket(self.addr)}:{self.addr_port}"

    def __str__(self) -> str:
        left = _bracket(self.pattern) if self.port is None else f"{_bracket(self.pattern)}:{self.port}"
        return f"{left}={_bracket(self.addr)}:{self.addr_port}"


def _check_ca_bundle(value: str, option: str) -> Path:
    path = Path(value).expanduser()
    try:
        is_file, is_dir = path.is_file(), path.is_dir()
    except OSError as e:  # a name too long for the system, say
        raise UsageError(f"{option}: cannot use {value[:200]}: {e.strerror or e}") from None
    if is_dir:
        raise UsageError(f"{option}: {value} is a folder: give a PEM file of CA certificates")
    if not is_file:
        raise UsageError(f"{option}: no such file: {value}")
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as e:
        raise UsageError(f"{option}: cannot read {value}: {e.strerror}") from e
    if not _PEM_RE.search(text):
        raise UsageError(f"{option}: no PEM certificate (-----BEGIN CERTIFICATE-----) in {value}")
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(path))
    except ssl.SSLError as e:
        raise UsageError(f"{option}: not a usable PEM CA bundle: {value} ({e.reason or e})") from e
    return path.resolve()


def _check_proxy(value: str, option: str) -> str:
    shown = redact_endpoint(value)  # a proxy's password or token is never printed
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as e:
        why = scrub(str(e), endpoint_secrets(value))
        raise UsageError(f"{option}: bad proxy URL {shown!r}: {why}") from None
    if url.scheme not in _PROXY_SCHEMES or not url.host:
        raise UsageError(f"{option}: bad proxy URL {shown!r}: use http://HOST:PORT, https://HOST:PORT or socks5://HOST:PORT")
    if url.scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise UsageError(f"{option}: SOCKS proxies need the socksio package: pip install 'httpx[socks]'")
    return value


def ca_certificates(path: Path) -> list[str]:
    """Each PEM certificate in a bundle, in order."""
    return _PEM_RE.findall(path.read_text(encoding="ascii", errors="replace"))


def spki_sha256(pem: str) -> str:
    """Base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as --ignore-certificate-errors-spki-list wants."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError as e:
        raise UsageError(f"--ca-bundle: a certificate cannot be read ({e}): check the PEM file") from None
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def _nss_home(workdir: Path, pems: list[str]) -> Path | None:
    """A HOME whose ~/.pki/nssdb trusts `pems` as CAs; None when certutil is not installed."""
    certutil = shutil.which("certutil")
    if certutil is None:
        return None
    home = workdir / "nss-home"
    db = home / ".pki" / "nssdb"
    # Start from the user's own database when there is one, so CAs they already trust (a company
    # proxy's, say) keep working in the browser alongside the bundle.
    own = Path(os.environ.get("HOME") or Path.home()) / ".pki" / "nssdb"
    own_db = own / "cert9.db"
    base = own if own_db.is_file() and own.resolve() != db.resolve() else None
    stamp = db / "archiver-ca.sha256"
    digest = hashlib.sha256(("".join(pems) + (str(own_db.stat().st_mtime_ns) if base else "")).encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return home
    try:
        try:
            _make_nss_db(certutil, db, pems, base)
        except subprocess.CalledProcessError:
            if base is None:
                raise
            logger.warning("could not add the --ca-bundle to a copy of %s; using a fresh NSS database", own)
            _make_nss_db(certutil, db, pems, None)
    except OSError as e:
        raise BrowserError(f"cannot prepare Chromium's NSS database in {db}: {e.strerror or e}") from e
    except subprocess.CalledProcessError as e:
        msg = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise BrowserError(f"certutil could not add the --ca-bundle to Chromium's NSS database: {msg[-1] if msg else e}") from e
    from archiver.modes import write_file

    write_file(stamp, digest.encode())
    return home


def _make_nss_db(certutil: str, db: Path, pems: list[str], base: Path | None) -> None:
    from archiver.modes import make_dirs, write_file

    shutil.rmtree(db, ignore_errors=True)
    make_dirs(db.parent)  # the archive's folders' mode, as every folder it makes
    if base is not None:
        shutil.copytree(base, db)
    else:
        make_dirs(db)
        subprocess.run([certutil, "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    for i, pem in enumerate(pems):
        # certutil -A imports only the first certificate of a file: one file per CA.
        cert_file = db / f"ca-{i}.pem"
        write_file(cert_file, (pem + "\n").encode())
        subprocess.run(
            [certutil, "-A", "-n", f"archiver-ca-{i}", "-t", "C,,", "-i", str(cert_file), "-d", f"sql:{db}"],
            check=True,
            capture_output=True,
        )


# Each network option checked on its own, from the command line or else its environment variable; the
# command line checks them as it reads them, whether or not the command goes on to use the network.


def map_hosts_from(map_host: list[str] | None, env: Mapping[str, str] = os.environ) -> tuple[HostMap, ...]:
    """--map-host, else ARCHIVER_MAP_HOST (comma-separated); UsageError naming the one that is malformed."""
    if map_host:
        return tuple(HostMap.parse(s) for s in map_host)
    specs = [s for s in env.get("ARCHIVER_MAP_HOST", "").split(",") if s.strip()]
    return tuple(HostMap.parse(s, option="ARCHIVER_MAP_HOST") for s in specs)


def ca_bundle_from(ca_bundle: str | Path | None, env: Mapping[str, str] = os.environ) -> Path | None:
    """--ca-bundle, else ARCHIVER_CA_BUNDLE: a readable PEM bundle of CA certificates (UsageError otherwise).

    A Path is a bundle this function returned already (the command line's check): it is passed on
    as it is, not read again.
    """
    if isinstance(ca_bundle, Path):
        return ca_bundle
    if ca_bundle:
        return _check_ca_bundle(ca_bundle, "--ca-bundle")
    if env.get("ARCHIVER_CA_BUNDLE"):
        return _check_ca_bundle(env["ARCHIVER_CA_BUNDLE"], "ARCHIVER_CA_BUNDLE")
    return None


def proxy_from(proxy: str | None, env: Mapping[str, str] = os.environ) -> str | None:
    """--proxy, else ARCHIVER_PROXY: an http(s) or socks5 proxy URL (UsageError, without its password, otherwise)."""
    if proxy:
        return _check_proxy(proxy, "--proxy")
    if env.get("ARCHIVER_PROXY"):
        return _check_proxy(env["ARCHIVER_PROXY"], "ARCHIVER_PROXY")
    return None


class _Bound(threading.local):
    """The time left to the fetch this thread is making (None: none is bounded)."""

    left: Callable[[], float | None] | None = None


_BOUND = _Bound()


@contextmanager
def fetch_bound(left: Callable[[], float | None]) -> Iterator[None]:
    """Within the block, every host name look-up, connect, TLS handshake, read and write this thread
    makes through a client of `NetOptions.httpx_client` or `endpoint_client` ends by the time
    `left()` says is left (None: unbounded).

    httpx's timeouts bound one of them each, and a server can answer each in time and never be done:
    `HTTP/1.1 100 Continue` heads one after another, a head one header line a second, a body a byte
    a second. Each step is given no more than the time left, and none starts once it is gone
    (httpcore's ReadTimeout, WriteTimeout or ConnectTimeout), so one fetch ends at its deadline
    wherever it is, from the connect to the last byte of the body."""
    before = _BOUND.left
    _BOUND.left = left
    try:
        yield
    finally:
        _BOUND.left = before


def _within(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout`, or the time left to this thread's fetch when that is shorter; `expired` raised
    when none is left."""
    if _BOUND.left is None:
        return timeout
    left = _BOUND.left()
    if left is None:
        return timeout
    if left <= 0:
        raise expired("the fetch's deadline passed")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    """A connection each of whose steps ends by the deadline of the fetch taking it (`fetch_bound`);
    a connection kept alive for a later fetch is bound by that fetch's."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        # Python's handshake takes its socket's timeout as its whole duration, however it drips.
        return _BoundedStream(self._stream.start_tls(ssl_context, server_hostname,
                                                     _within(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _BoundedBackend(httpcore.SyncBackend):
    """httpcore's backend whose connections are bound by the deadline of the fetch they are made
    for (`fetch_bound`), name look-up included: a host name is looked up in a thread of its own
    (`netpolicy.lookup`) and waited for no longer than the connect timeout (or the time left to the
    fetch, when shorter), since the system resolver can block for tens of seconds when no DNS server
    answers and no socket timeout covers it. Then each address is tried in turn with a connect
    timeout of its own, as `socket.create_connection` does (an address that never answers leaves
    the next its chance), the time left to the fetch bounding every attempt and so the whole."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        if parse_ip(host) is not None:
            addresses: Sequence[str] = [host]
        else:
            addresses = lookup(system_resolver, host, port, _within(timeout, httpcore.ConnectTimeout))
        return _first_reached(host, [(addr, port) for addr in addresses],
                              lambda addr, p: self._connect(addr, p, timeout, local_address, socket_options))

    def _connect(self, host: str, port: int, timeout: float | None, local_address: str | None,
                 socket_options: Any) -> httpcore.NetworkStream:
        """A connection to an address (an IP literal), each of its steps bound by `fetch_bound`."""
        timeout = _within(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(super().connect_tcp(host, port, timeout, local_address, socket_options))


class _PolicyBackend(_BoundedBackend):
    """Opens TCP connections only to addresses the network policy allows (archiver.netpolicy),
    applying the maps; TLS SNI and Host still come from the URL.

    Names are resolved here and the judged addresses are what is connected to, so nothing can
    re-resolve a name between the judgement and the connection. Through a proxy, the connection
    opened here is the one to the proxy: the operator's own endpoint, not judged. Each connection
    it opens is bound by the deadline of the fetch it is made for (`fetch_bound`), the look-up of
    the name (the policy's, the proxy's, a map's address given as a name) included; each address
    judged is tried in turn with a connect timeout of its own, as `_BoundedBackend` tries them.
    """

    def __init__(self, net: NetOptions) -> None:
        self._net = net

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        if self._net.proxy:
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        targets = connect_targets(self._net, host, port, timeout=_within(timeout, httpcore.ConnectTimeout))

        def connect(addr: str, addr_port: int) -> httpcore.NetworkStream:
            if (addr, addr_port) != (host, port):
                logger.debug("connect %s:%s via %s:%s", host, port, addr, addr_port)
            # A judged address is a literal; a map's may be a name (`localhost`), looked up there.
            return super(_PolicyBackend, self).connect_tcp(addr, addr_port, timeout, local_address, socket_options)

        return _first_reached(host, targets, connect)


def _first_reached(host: str, targets: Sequence[tuple[str, int]],
                   connect: Callable[[str, int], httpcore.NetworkStream]) -> httpcore.NetworkStream:
    """The connection to the first of `targets` (address, port) that `connect` reaches, each tried in
    turn; the last one's error when none is reached (a name with no address: not known)."""
    error: Exception | None = None
    for addr, port in targets:
        try:
            return connect(addr, port)
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
            error = e
    if error is None:
        raise httpcore.ConnectError(f"Name or service not known: {host}")
    raise error


class _PolicyTransport(httpx.HTTPTransport):
    """httpx's transport with the policy's network backend (httpx takes no backend argument itself)."""

    def __init__(self, net: NetOptions, *, ssl_context: ssl.SSLContext, http2: bool) -> None:
        super().__init__(verify=ssl_context, http2=http2, proxy=net.proxy, trust_env=False)
        pool = self._pool
        if not hasattr(pool, "_network_backend"):  # fail loudly if an httpcore upgrade moves it
            raise RuntimeError("httpcore pool has no _network_backend: the network policy cannot be applied")
        # Connections are created lazily with the pool's backend, so replacing it here covers them all.
        pool._network_backend = _PolicyBackend(net)


@dataclass(frozen=True)
class NetOptions:
    """Where to connect, which CAs to trust and which proxy to use, for the browser and the HTTP client."""

    map_hosts: tuple[HostMap, ...] = ()
    ca_bundle: Path | None = None
    proxy: str | None = None
    # The network policy (archiver.netpolicy): lifted for intranets; origins the operator named.
    allow_private: bool = False
    trusted_origins: frozenset[tuple[str, int]] = frozenset()
    # Where names are looked up and where a judged address is really dialled: the system's
    # resolver and the address itself, unless a test injects stand-ins.
    resolver: Resolver | None = field(default=None, compare=False, repr=False)
    dialer: Dialer | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_options(
        cls,
        map_host: list[str] | None,
        ca_bundle: str | Path | None,
        proxy: str | None,
        env: Mapping[str, str] = os.environ,
        *,
        allow_private: bool = False,
    ) -> NetOptions:
        """Options from the command line, falling back to ARCHIVER_MAP_HOST/_CA_BUNDLE/_PROXY and
        ARCHIVER_ALLOW_PRIVATE=1. `ca_bundle` as `ca_bundle_from` takes it: a Path was checked already."""
        maps = map_hosts_from(map_host, env)
        ca_path = ca_bundle_from(ca_bundle, env)
        proxy_url = proxy_from(proxy, env)
        allow = allow_private or env.get("ARCHIVER_ALLOW_PRIVATE", "").strip().lower() in ("1", "true", "yes")
        return cls(maps, ca_path, proxy_url, allow_private=allow)

    def trusting(self, urls: Iterable[str]) -> NetOptions:
        """These options with the origins of `urls` trusted: URLs the operator gave are fetched as
        given, even on a private address; where their pages lead is judged like any content."""
        origins = set(self.trusted_origins)
        for url in urls:
            try:
                parsed = httpx.URL(url)
                host = parsed.host  # an `xn--` label that is no punycode fails only here
            except (httpx.InvalidURL, TypeError, ValueError):
                continue
            if parsed.scheme in ("http", "https") and host:
                origins.add((host.lower().rstrip("."), parsed.port or (443 if parsed.scheme == "https" else 80)))
        return replace(self, trusted_origins=frozenset(origins))

    def is_sealed(self) -> bool:
        """True when a '*' map (all ports) sends every host to one address: nothing reaches the network."""
        return any(m.pattern == "*" and m.port is None for m in self.map_hosts)

    def _excluded(self, host: str) -> bool:
        """Loopback hosts are left alone unless a map names them exactly (Chromium: EXCLUDE wins)."""
        host = host.lower().strip("[]")
        return host in LOOPBACK_HOSTS and not any(m.pattern == host for m in self.map_hosts)

    def resolve(self, host: str, port: int) -> tuple[str, int]:
        """Where to really connect for host:port: the first matching map, else the host itself."""
        if self._excluded(host):
            return host, port
        for m in self.map_hosts:
            if m.matches(host, port):
                return m.addr, m.addr_port
        return host, port

    def chromium_host_rules(self) -> str:
        """The --host-resolver-rules value equivalent to the maps ('' when there are none)."""
        if not self.map_hosts:
            return ""
        rules = [m.chromium_rule() for m in self.map_hosts]
        # Chromium checks EXCLUDE rules before any MAP, and maps IP literals too (checked with
        # /usr/bin/chromium 156: `MAP * ~NOTFOUND` makes https://127.0.0.1:PORT/ fail to resolve).
        for host in LOOPBACK_HOSTS:
            if self._excluded(host) and any(m.matches(host, 443) or m.matches(host, 80) for m in self.map_hosts):
                rules.append(f"EXCLUDE {_bracket(host)}")
        return ", ".join(rules)

    def ca_pems(self) -> list[str]:
        return ca_certificates(self.ca_bundle) if self.ca_bundle else []

    def chromium_launch(self, workdir: Path, *, gate_args: list[str] | None = None) -> dict[str, Any]:
        """Keyword arguments for playwright's chromium.launch(): "args", and "env"/"proxy" when needed.

        With `gate_args` (archiver.capture.gate: the policy proxy every connection goes through)
        the maps and the operator's proxy are the gate's to apply, and these flags replace them.

        Findings with /usr/bin/chromium 156 (Debian) and a trustme CA:
        - --host-resolver-rules covers the page and every iframe; `MAP host:443 ADDR:PORT` applies to
          that port only (Chromium tries the glob on `host` and on `host:port`).
        - Chromium has no "extra CA file" flag. A CA added with `certutil -t C,,` to the NSS database in
          $HOME/.pki/nssdb is trusted like a system root, with full verification (names, dates). This
          is what we use (Linux).
        - --ignore-certificate-errors-spki-list with the CA's SPKI fails (ERR_CERT_AUTHORITY_INVALID)
          unless the server sends the CA in its chain, and it waives every check for a matching chain;
          so it is only the fallback when certutil is missing, with a warning.
        - new_context(ignore_https_errors=True) switches verification off: never used.
        """
        kwargs: dict[str, Any] = {}
        args: list[str] = []
        rules = self.chromium_host_rules() if gate_args is None else ""
        if rules:
            args.append(f"--host-resolver-rules={rules}")
        args.extend(gate_args or [])
        pems = self.ca_pems()
        if pems:
            home = _nss_home(workdir, pems) if sys.platform.startswith("linux") else None
            if home is not None:
                kwargs["env"] = {**os.environ, "HOME": str(home)}
            else:
                logger.warning(
                    "certutil not found (install libnss3-tools): Chromium will accept the --ca-bundle CAs "
                    "only from servers that send the CA in their certificate chain"
                )
                args.append("--ignore-certificate-errors-spki-list=" + ",".join(spki_sha256(p) for p in pems))
        if self.proxy and gate_args is None:
            url = httpx.URL(self.proxy)
            # Chromium speaks socks5 with remote DNS already; it does not know the socks5h spelling.
            scheme = "socks5" if url.scheme == "socks5h" else url.scheme
            proxy: dict[str, str] = {"server": f"{scheme}://{_bracket(url.host)}" + (f":{url.port}" if url.port else "")}
            if url.username:
                proxy["username"] = url.username
                proxy["password"] = url.password or ""
            kwargs["proxy"] = proxy
        if args:
            kwargs["args"] = args
        return kwargs

    def ssl_context(self) -> ssl.SSLContext:
        """Verification always on: certifi's and the system's CAs, plus the --ca-bundle ones."""
        import certifi

        ctx = ssl.create_default_context(cafile=certifi.where())
        ctx.load_default_certs()
        if self.ca_bundle:
            ctx.load_verify_locations(cafile=str(self.ca_bundle))
        return ctx

    def httpx_client(self, *, timeout: float = 30.0, user_agent: str | None = None, http2: bool = True) -> httpx.Client:
        """An httpx.Client honouring the maps, the CA bundle and the proxy; redirects are not followed.

        Proxy variables from the environment are ignored on purpose: only --proxy/ARCHIVER_PROXY count,
        so that a sealed (`*=127.0.0.1:PORT`) run can never leak out through an inherited proxy.
        """
        ctx = self.ssl_context()
        transport = _PolicyTransport(self, ssl_context=ctx, http2=http2)
        headers = {"User-Agent": user_agent} if user_agent else None
        return httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers=headers,
            follow_redirects=False,
            trust_env=False,
        )


def endpoint_client(*, timeout: float, verify: bool | str = True, follow_redirects: bool = True) -> httpx.Client:
    """An httpx.Client for an operator's own endpoint (a timestamp authority): no network policy,
    no maps, and the environment's proxy and CA settings as httpx reads them, as for any client the
    operator points at a service; but, like `NetOptions.httpx_client`'s, every step of its fetches
    (the name's look-up, the connect, TLS, each read and write) ends by the deadline of the fetch
    taking it (`fetch_bound`), through a proxy of the environment too."""
    client = httpx.Client(timeout=timeout, verify=verify, follow_redirects=follow_redirects)
    transports: list[object] = [client._transport, *client._mounts.values()]
    for transport in transports:
        if transport is None:
            continue
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):  # fail loudly if an httpx upgrade moves it
            client.close()
            raise RuntimeError("httpx transport has no connection pool backend: its fetches cannot be bounded")
        pool._network_backend = _BoundedBackend()
    return client
