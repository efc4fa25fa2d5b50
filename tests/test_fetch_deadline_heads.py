"""The fetch deadline covers the wait for an answer's head, not only its body.

A server can keep a fetch from ever getting its final head while answering every read in time:
`HTTP/1.1 100 Continue` heads one after another, or `HTTP/1.1 200 OK` and then one header line
at a time. No per-read timeout trips on either, so only the fetch's deadline ends it: through the
recording HTTP client (every hop of it), `scan URL` and `archive`. The servers here are a small
socket server on 127.0.0.1 that answers as long as the test lasts; each fetch is waited for
well past its deadline, and a fetch still running then is the failure.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from archiver.capture.http import RecordingClient
from archiver.errors import LimitExceeded
from archiver.net import NetOptions
from tests.e2e import ROOT

GOOD_PAGE = (b"<!doctype html><html><head><meta charset='utf-8'><title>A good article</title></head>"
             b"<body><h1>A good article</h1><p>The river went down overnight; the sandbags stay.</p></body></html>")
HOST = "slow.example"
WAIT = 60.0  # how long a fetch with a deadline of a few seconds may take on a loaded machine


class EndlessHeads:
    """Answers on 127.0.0.1 until stopped: /continue with a `100 Continue` head every 0.1 s, /lines
    with `200 OK` and then a header line every 0.5 s, /hop with a redirect to /continue, /good with
    a small article."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.threads: list[threading.Thread] = []
        accepting = threading.Thread(target=self._accept, daemon=True)
        accepting.start()
        self.threads.append(accepting)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
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
                    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /continue\r\nContent-Length: 0\r\n\r\n")
                    return
                if path == "/lines":
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                n = 0
                while not self.stop.wait(0.5 if path == "/lines" else 0.1):
                    conn.sendall(b"X-Line-%d: more to come\r\n" % n if path == "/lines"
                                 else b"HTTP/1.1 100 Continue\r\n\r\n")
                    n += 1
            except OSError:
                return  # the client went away

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for t in self.threads:
            t.join(timeout=5)


@pytest.fixture
def heads() -> Iterator[EndlessHeads]:
    server = EndlessHeads()
    try:
        yield server
    finally:
        server.close()


def _in_thread(fetch: Callable[[], object]) -> list[object]:
    """Run `fetch()` in a thread for at most WAIT seconds: [its result or exception], or [] when it
    was still running."""
    out: list[object] = []

    def go() -> None:
        try:
            out.append(fetch())
        except Exception as e:  # what it raised is its result
            out.append(e)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(WAIT)
    return out


@pytest.mark.parametrize("path", ["/continue", "/lines", "/hop"])
def test_the_client_gives_up_at_the_deadline_on_a_head_that_never_ends(heads: EndlessHeads, path: str) -> None:
    url = heads.url(path)
    net = NetOptions().trusting([url])
    with RecordingClient(net, timeout=30, max_retries=2, deadline=1) as client:
        out = _in_thread(lambda: client.get(url, follow_redirects=True))
    assert out, f"GET {path} still waiting for its head {WAIT} s after its 1 s deadline"
    (got,) = out
    assert isinstance(got, LimitExceeded), repr(got)
    assert str(got) == f"GET {url}: gave up after 1 s (deadline; raise --fetch-deadline to wait longer)"


def _archiver(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=WAIT * 2, env={**os.environ, **(env or {})})


def test_scan_of_a_url_gives_up_at_its_fetch_deadline(heads: EndlessHeads) -> None:
    r = _archiver("scan", heads.url("/continue", HOST), "--fetch-deadline", "2",
                  "--map-host", f"{HOST}=127.0.0.1:{heads.port}")
    assert r.returncode == 2, r.stderr  # its one source could not be read
    assert f"GET {heads.url('/continue', HOST)}: gave up after 2 s (deadline; raise --fetch-deadline" in r.stderr


def test_scan_takes_the_fetch_deadline_from_the_environment_and_reads_the_rest(heads: EndlessHeads,
                                                                             tmp_path: Path) -> None:
    page = tmp_path / "article.html"
    page.write_text('<blockquote class="twitter-tweet"><a href="https://twitter.com/jack/status/20">x</a>'
                    "</blockquote>")
    r = _archiver("scan", heads.url("/lines", HOST), str(page), "--format", "jsonl",
                  "--map-host", f"{HOST}=127.0.0.1:{heads.port}", env={"ARCHIVER_FETCH_DEADLINE": "2"})
    assert r.returncode == 1, r.stderr
    assert f"GET {heads.url('/lines', HOST)}: gave up after 2 s (deadline" in r.stderr
    assert '"post_id": "20"' in r.stdout


def test_archive_names_the_fetch_and_goes_on(heads: EndlessHeads, tmp_path: Path) -> None:
    """QA's command: a run whose article fetch never gets its head ends, naming it, exit 1, and the
    other article is captured."""
    slow, good = heads.url("/continue", HOST), heads.url("/good", HOST)
    r = _archiver("archive", slow, good, "--fetch-deadline", "3", "--capture-deadline", "30",
                  "--map-host", f"{HOST}=127.0.0.1:{heads.port}", "--archive-dir", str(tmp_path / "a"),
                  "--format", "json")
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    assert summary["failures"] == [f"GET {slow}: gave up after 3 s (deadline; raise --fetch-deadline to wait longer)"]
    assert (summary["articles"], summary["articles_failed"]) == (1, 1), summary  # the good one was captured
