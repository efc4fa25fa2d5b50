"""The browser's only way out: a local proxy that applies the network policy to every connection.

Chromium is launched with `--proxy-server` pointing here and `--proxy-bypass-list=<-loopback>` (so
that loopback URLs come here too instead of being sent directly). Every connection any frame,
worker, redirect hop or WebSocket of any page opens is then a `CONNECT host:port` (https, wss) or
an absolute-form request (plain http) that this gate judges with archiver.netpolicy *before* it
connects, and connects to the very address it judged (no second DNS look-up, no rebinding).

Why a proxy rather than request interception: Playwright's `route` is not called for redirect hops
and never sees WebSockets, and CDP interception per target has to be attached to every
out-of-process iframe and worker before its first request. A proxy sees every connection of the
browser, whatever opened it. TLS is not intercepted: the gate only moves bytes between Chromium
and the server, so certificates are checked by Chromium as without it.

The gate also applies `--map-host` (Chromium then resolves no page host names itself), remembers
which address each host:port really went to (WARC-IP-Address would otherwise name the gate), and
which host:port it refused and why, so a capture can name every refusal. An operator's `--proxy`
is the next hop: the gate connects through it (HTTP CONNECT or SOCKS5), and then judges only IP
literals, since the operator's proxy resolves names.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import ipaddress
import logging
import struct
import threading
from urllib.parse import urlsplit

import httpx

from archiver.capture.chromium import CHROMIUM_SERVICE_HOSTS
from archiver.net import NetOptions
from archiver.netpolicy import AddressRefused, connect_targets, judge_literal

from ..resource import Closing

log = logging.getLogger(__name__)

_HEAD_LIMIT = 64 * 1024
_HEAD_TIMEOUT = 60.0
_CHUNK = 64 * 1024
# Hop-by-hop headers of the browser-to-gate leg: never forwarded to the server.
_HOP_HEADERS = frozenset({"proxy-connection", "proxy-authorization", "connection", "keep-alive"})


class Gate(Closing):
    """A CONNECT/HTTP proxy on 127.0.0.1 that judges every connection; runs in its own thread."""

    def __init__(self, net: NetOptions, *, connect_timeout: float = 30.0) -> None:
        self.net = net
        self.connect_timeout = connect_timeout
        self.refused: dict[tuple[str, int], str] = {}  # host:port -> why, latest
        self.addresses: dict[tuple[str, int], str] = {}  # host:port -> the address connected to
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="archiver-gate", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        self.port: int = int(self._server.sockets[0].getsockname()[1])

    async def _start(self) -> asyncio.Server:
        return await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=_HEAD_LIMIT)

    def chromium_args(self) -> list[str]:
        """Launch flags that send every connection of the browser through this gate."""
        return [f"--proxy-server=http://127.0.0.1:{self.port}", "--proxy-bypass-list=<-loopback>"]

    # -- what captures ask ------------------------------------------------------------------------

    def refusal(self, url: str) -> str | None:
        """Why the gate refused this URL's host and port, or None."""
        key = _key(url)
        return self.refused.get(key) if key else None

    def address(self, url: str) -> str | None:
        """The server address the gate connected to for this URL's host and port, if it did."""
        key = _key(url)
        return self.addresses.get(key) if key else None

    # -- serving ----------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, ValueError) as e:
            log.debug("gate: connection ended: %s", e)
        except asyncio.CancelledError:
            # The gate closing: the connection ends here. Not passed on: asyncio's stream server asks
            # the task for its exception when it ends, which for a cancelled task raises, and Python
            # 3.11 then prints "Exception in callback ..." with a traceback on stderr.
            log.debug("gate: connection ended: the gate closed")
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEAD_TIMEOUT)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = (lines[0].split(" ", 2) + ["", ""])[:3]
        if method.upper() == "CONNECT":
            host, port = _split_authority(target, 443)
            plain = False
        else:
            parts = urlsplit(target)
            if parts.scheme.lower() != "http" or not parts.hostname:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            host, port, plain = parts.hostname, parts.port or 80, True
        host = host.lower().rstrip(".")
        if host in CHROMIUM_SERVICE_HOSTS:
            # Chromium's own update pings: not page traffic, never sent anywhere.
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        upstream = await self._open(host, port)
        if upstream is None:
            # A refused or failed CONNECT fails the request in Chromium (ERR_TUNNEL_CONNECTION_FAILED);
            # a plain request gets no answer at all, so that nothing the gate says is ever
            # recorded as if the server had said it.
            if not plain:
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        up_reader, up_writer = upstream
        try:
            if plain:
                up_writer.write(_origin_form(lines, through_proxy=self.net.proxy is not None))
                await up_writer.drain()
                await asyncio.gather(_pump(reader, up_writer), _relay_response(up_reader, writer))
            else:
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            up_writer.close()

    async def _open(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to host:port (or to the operator's proxy for it); None when refused or failed."""
        loop = asyncio.get_running_loop()
        try:
            if self.net.proxy:
                judge_literal(self.net, host, port)
                return await asyncio.wait_for(self._through_proxy(host, port), self.connect_timeout)
            # Name resolution blocks: off the loop, so one slow DNS answer holds up nothing else,
            # and given no longer than a connection is (a resolver that never answers would hold
            # the page's request, and a thread of the loop's pool, for good).
            targets = await loop.run_in_executor(
                None, functools.partial(connect_targets, self.net, host, port, timeout=self.connect_timeout))
        except AddressRefused as e:
            self.refused[(host, port)] = e.reason
            log.info("refused: %s:%s %s", host, port, e.reason)
            return None
        except Exception as e:  # DNS failure, proxy refusal: the browser reports the failed request
            log.debug("gate: %s:%s: %s", host, port, e)
            return None
        for addr, addr_port in targets:
            try:
                streams = await asyncio.wait_for(asyncio.open_connection(addr, addr_port), self.connect_timeout)
            except (TimeoutError, OSError) as e:
                log.debug("gate: connect %s:%s (%s:%s): %s", host, port, addr, addr_port, e)
                continue
            self.addresses[(host, port)] = addr
            return streams
        return None

    async def _through_proxy(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open a tunnel to host:port through the operator's --proxy (HTTP CONNECT or SOCKS5)."""
        assert self.net.proxy is not None
        proxy = httpx.URL(self.net.proxy)
        default_port = {"http": 80, "https": 443}.get(proxy.scheme, 1080)
        reader, writer = await asyncio.open_connection(proxy.host, proxy.port or default_port,
                                                       ssl=proxy.scheme == "https" or None)
        if proxy.scheme.startswith("socks"):
            await _socks5_connect(reader, writer, host, port, proxy.username, proxy.password)
            return reader, writer
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        request = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        if proxy.username:
            token = base64.b64encode(f"{proxy.username}:{proxy.password or ''}".encode()).decode()
            request += f"Proxy-Authorization: Basic {token}\r\n"
        writer.write((request + "\r\n").encode("latin-1"))
        await writer.drain()
        answer = await reader.readuntil(b"\r\n\r\n")
        status = answer.split(b" ", 2)[1:2]
        if status != [b"200"]:
            writer.close()
            raise ConnectionError(f"proxy answered {answer.splitlines()[0].decode('latin-1', 'replace')}")
        return reader, writer

    def close(self) -> None:
        if not self._loop.is_running():
            return

        async def stop() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()


def _key(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    default = {"https": 443, "wss": 443, "http": 80, "ws": 80}.get(parts.scheme.lower())
    host = parts.hostname.lower().rstrip(".")
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        pass
    return host, port or default or 0


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    """'host:443' / '[::1]:443' -> (host, port); raises ValueError when malformed."""
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, _, port_text = authority.rpartition(":")
        if not host:
            host, port_text = authority, ""
    port = int(port_text) if port_text else default_port
    if not host or not 0 < port < 65536:
        raise ValueError(f"bad CONNECT target {authority!r}")
    return host, port


def _origin_form(lines: list[str], *, through_proxy: bool) -> bytes:
    """The browser's absolute-form request for the server (or, through the operator's proxy, as is),
    asking it to close the connection after answering so that the leg carries one exchange."""
    method, target, version = (lines[0].split(" ", 2) + ["", ""])[:3]
    if not through_proxy:
        parts = urlsplit(target)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    out = [f"{method} {target} {version or 'HTTP/1.1'}"]
    out += [line for line in lines[1:] if line and line.split(":", 1)[0].strip().lower() not in _HOP_HEADERS]
    out.append("Connection: close")
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


async def _relay_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The server's answer to a plain request, marked `Connection: close` so that the browser never
    sends its next request (perhaps for another host) down the same leg."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    out = [lines[0]] + [line for line in lines[1:] if line and line.split(":", 1)[0].strip().lower()
                        not in _HOP_HEADERS]
    out.append("Connection: close")
    writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
    await _pump(reader, writer)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    finally:
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()


async def _socks5_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int,
                          username: str | None, password: str | None) -> None:
    """RFC 1928 CONNECT by name (the proxy resolves it), with RFC 1929 user/password when given."""
    methods = b"\x00\x02" if username else b"\x00"
    writer.write(b"\x05" + bytes([len(methods)]) + methods)
    await writer.drain()
    version, method = await reader.readexactly(2)
    if version != 5 or method not in methods:
        raise ConnectionError("SOCKS5 proxy refused our authentication methods")
    if method == 2:
        user, word = (username or "").encode(), (password or "").encode()
        writer.write(b"\x01" + bytes([len(user)]) + user + bytes([len(word)]) + word)
        await writer.drain()
        if (await reader.readexactly(2))[1] != 0:
            raise ConnectionError("SOCKS5 proxy refused the user name and password")
    name = host.encode("idna")
    writer.write(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", port))
    await writer.drain()
    reply = await reader.readexactly(4)
    if reply[1] != 0:
        raise ConnectionError(f"SOCKS5 proxy could not connect to {host}:{port} (code {reply[1]})")
    skip = {1: 4, 4: 16}.get(reply[3])
    if skip is None:
        skip = (await reader.readexactly(1))[0]
    await reader.readexactly(skip + 2)
