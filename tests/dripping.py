"""A server on 127.0.0.1 that answers every read in time and is never done, and a way to wait for a
call that may hang: for the tests of the deadlines that bound fetches and timestamp requests.

`DrippingServer` answers any method until it is closed:

- /lines: `HTTP/1.1 200 OK`, then a header line every 0.5 s, the head never ending;
- /continue: an `HTTP/1.1 100 Continue` head every 0.1 s, the final head never coming;
- /body: a head announcing 4096 bytes (`application/timestamp-reply`), then a byte every 0.2 s;
- /silent: nothing at all, the connection held open;
- /hop: a 307 redirect to /lines (a POST stays a POST);
- /good: a small article, whole.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# How long a call with a deadline of a few seconds may take on a loaded machine: one still running
# then is the failure.
WAIT = 60.0

GOOD_PAGE = (b"<!doctype html><html><head><meta charset='utf-8'><title>A good article</title></head>"
             b"<body><h1>A good article</h1><p>The river went down overnight; the sandbags stay.</p></body></html>")

# Seconds between two drips, by path (anything else: /silent's wait, sending nothing).
_PAUSE = {"/lines": 0.5, "/continue": 0.1, "/body": 0.2}


class DrippingServer:
    """Serves the paths of the module's docstring on 127.0.0.1 until `close`."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.threads: list[threading.Thread] = []
        accepting = threading.Thread(target=self._accept, daemon=True)
        accepting.start()
        self.threads.append(accepting)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The URL of `path` here, or as named through another `host` (mapped here by the caller)."""
        return f"http://{host}:{self.port}{path}" if host == "127.0.0.1" else f"http://{host}{path}"

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(10)
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(65536)
                    if not data:
                        return
                    head += data
                path = head.split(b" ", 2)[1].decode()
                if path == "/good":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
                                 + str(len(GOOD_PAGE)).encode() + b"\r\nConnection: close\r\n\r\n" + GOOD_PAGE)
                    return
                if path == "/hop":
                    conn.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /lines\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
                    return
                if path == "/lines":
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                if path == "/body":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n"
                                 b"Content-Length: 4096\r\n\r\n")
                n = 0
                while not self.stop.wait(_PAUSE.get(path, 0.5)):
                    if path == "/lines":
                        conn.sendall(b"X-Line-%d: more to come\r\n" % n)
                    elif path == "/continue":
                        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                    elif path == "/body":
                        conn.sendall(b"\x30")
                    n += 1
            except OSError:
                return  # the client went away

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for t in self.threads:
            t.join(timeout=5)


@contextmanager
def dripping_server() -> Iterator[DrippingServer]:
    server = DrippingServer()
    try:
        yield server
    finally:
        server.close()


def in_thread(call: Callable[[], object], wait: float = WAIT) -> tuple[list[object], float]:
    """Run `call()` in a thread for at most `wait` seconds: ([its result or the exception it
    raised], seconds taken), or [] when it was still running."""
    out: list[object] = []

    def go() -> None:
        try:
            out.append(call())
        except Exception as e:  # what it raised is its result
            out.append(e)

    started = time.monotonic()
    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(wait)
    return out, time.monotonic() - started
