"""FakeWeb: a local HTTPS/HTTP server, in a background thread, that impersonates the real hosts.

Layout: one public port on 127.0.0.1 whose front peeks at the first byte of each connection
(0x16 starts a TLS handshake) and pipes the connection to one of two internal hypercorn
listeners, TLS or plain. So `--map-host '*=127.0.0.1:PORT'` / Chromium's `MAP * 127.0.0.1:PORT`
serve https:// and http:// URLs alike (a host mapping with a port sends every scheme there). TLS offers h2 + http/1.1 by ALPN, except
for the hosts in tls.HTTP1_ONLY_HOSTS, which speak HTTP/1.1 only (chunked + gzip on the wire).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from hypercorn.asyncio import serve
from hypercorn.config import Config

from . import faults, news, twitter, wayback, youtube
from .app import FakeApp, Handler, SiteState
from .tls import CertFiles, make_certs, server_context

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {**news.HANDLERS, **twitter.HANDLERS, **wayback.HANDLERS, **youtube.HANDLERS,
                                 **faults.HANDLERS}


class _Config(Config):
    """Hypercorn config that uses our SNI-aware TLS context instead of building its own."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__()
        self._context = context

    @property
    def ssl_enabled(self) -> bool:
        return True

    def create_ssl_context(self) -> ssl.SSLContext | None:
        return self._context


def _listening_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


def _quiet_tls_shutdown(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A browser that drops a TLS connection without closing it is no error of the server: asyncio's
    TLS shutdown then times out in hypercorn's connection task. Anything else is reported as usual."""
    error = context.get("exception")
    if isinstance(error, TimeoutError) and "SSL shutdown timed out" in str(error):
        return
    loop.default_exception_handler(context)


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
        if dst.can_write_eof():
            dst.write_eof()
    except (ConnectionError, OSError):
        pass


class FakeWeb:
    """The impersonating server. Use as a context manager; see the package docstring for the API."""

    def __init__(self, directory: str | Path, port: int = 0, *, handlers: dict[str, Handler] | None = None) -> None:
        """`handlers`: host -> handler, served besides (and before) the built-in sites."""
        self.directory = Path(directory)
        self._requested_port = port
        self.state = SiteState()
        self.log: list[dict[str, Any]] = []
        self.port = 0
        self._certs: CertFiles | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._proxies: set[asyncio.Task[None]] = set()
        self._tls_port = 0
        self._plain_port = 0
        self._extra_hosts = tuple(handlers or ())
        self._app = FakeApp({**HANDLERS, **(handlers or {})}, self.state, self.log)

    # --- public API ---------------------------------------------------------------------------

    @property
    def ca_pem(self) -> Path:
        """The CA certificate (PEM) a client must trust."""
        return self._files().ca_pem

    @property
    def ca_spki_sha256_b64(self) -> str:
        """For Chromium's --ignore-certificate-errors-spki-list (the server sends the CA in its chain)."""
        return self._files().ca_spki_sha256_b64

    @property
    def map_host(self) -> str:
        """The value for archiver's --map-host."""
        return f"*=127.0.0.1:{self.port}"

    @property
    def chromium_args(self) -> list[str]:
        """Launch arguments that send every host here and trust the CA, sealed off the network."""
        return [
            f"--host-resolver-rules=MAP * 127.0.0.1:{self.port}, EXCLUDE localhost",
            f"--ignore-certificate-errors-spki-list={self.ca_spki_sha256_b64}",
        ]

    @property
    def active_streams(self) -> int:
        """How many dripped responses are still being sent (0 once their clients have gone)."""
        return self._app.active_streams

    def streamed(self, path: str) -> list[int]:
        """Sizes of the body writes sent so far for `path` by streamed (dripped) responses, all requests."""
        return list(self._app.streamed.get(path, ()))

    def url(self, host: str, path: str = "/") -> str:
        """https://host/path"""
        return f"https://{host}/{path.lstrip('/')}"

    def set_state(self, key: Any, value: Any) -> None:
        """Change behaviour from now on, e.g. set_state(("tweet", ID), "deleted"); None resets a key."""
        self.state.set(key, value)

    def drip(self, path: str, total_bytes: int, bytes_per_sec: int) -> str:
        """Make https://news.example/<path> send total_bytes of HTML at bytes_per_sec; returns its URL."""
        path = "/" + path.lstrip("/")
        self.state.set(("drip", path), (int(total_bytes), max(1, int(bytes_per_sec))))
        return self.url("news.example", path)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        self._certs = make_certs(self.directory, self._extra_hosts)
        self._thread = threading.Thread(target=self._run, name="fakeweb", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("fakeweb did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"fakeweb failed to start: {self._error}") from self._error
        logger.info("fakeweb serving on 127.0.0.1:%s", self.port)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        self._thread.join(timeout=15)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until the server thread ends (for `python -m tests.fakeweb`)."""
        if self._thread is not None:
            self._thread.join()

    # --- internals ----------------------------------------------------------------------------

    def _files(self) -> CertFiles:
        if self._certs is None:
            raise RuntimeError("FakeWeb is not started; use `with FakeWeb(dir) as web:`")
        return self._certs

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_tls_shutdown)
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # surfaced to start() when it happens before ready
            self._error = exc
            logger.exception("fakeweb stopped with an error")
        finally:
            self._ready.set()
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        front_sock = _listening_socket(self._requested_port)
        tls_sock, plain_sock = _listening_socket(), _listening_socket()
        self.port = front_sock.getsockname()[1]
        self._tls_port = tls_sock.getsockname()[1]
        self._plain_port = plain_sock.getsockname()[1]

        config = _Config(server_context(self._files()))
        # Hypercorn adopts the listening sockets by file descriptor (it closes them itself).
        config.bind = [f"fd://{tls_sock.detach()}"]
        config.insecure_bind = [f"fd://{plain_sock.detach()}"]
        config.include_server_header = False
        config.graceful_timeout = 0.5
        config.accesslog = None
        config.errorlog = logging.getLogger("tests.fakeweb.hypercorn")

        front = await asyncio.start_server(self._front, sock=front_sock)
        self._ready.set()
        try:
            await serve(self._app, config, shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]
        finally:
            front.close()

    async def _shutdown(self) -> None:
        for task in list(self._proxies):
            task.cancel()
        if self._stop is not None:
            self._stop.set()

    async def _front(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._proxies.add(task)
        upstream: asyncio.StreamWriter | None = None
        try:
            first = await reader.read(1)
            if not first:
                return
            port = self._tls_port if first[0] == 0x16 else self._plain_port
            up_reader, upstream = await asyncio.open_connection("127.0.0.1", port)
            upstream.write(first)
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass  # a client hanging up, or our own shutdown: nothing to report
        finally:
            self._proxies.discard(task)
            for w in (writer, upstream):
                if w is not None:
                    w.close()
