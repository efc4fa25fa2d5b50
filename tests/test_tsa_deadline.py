"""A request to a timestamp authority ends by its deadline however the authority answers.

An authority that accepts the connection and then sends its answer's head one line at a time, or
`HTTP/1.1 100 Continue` heads for ever, or its body a byte at a time, answers every read in time:
no per-read timeout trips, and without a deadline `export --timestamp` (and each capture's stamp)
waited for ever. The authority here is a small socket server on 127.0.0.1 that keeps answering so
as long as the test lasts; each request is waited for well past its deadline, and one still running
then is the failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.errors import TimestampError
from archiver.evidence import tsa
from tests.evidence_fixtures import indexed_archive, make_domain

ROOT = Path(__file__).resolve().parents[1]
MESSAGE = b"sha256:0123456789abcdef"
WAIT = 60.0  # how long a request with a deadline of a few seconds may take on a loaded machine


class HostileAuthority:
    """Answers POSTs on 127.0.0.1 until stopped: /lines with `200 OK` then a header line every 0.5 s,
    /continue with a `100 Continue` head every 0.1 s, /body with a head announcing 4096 bytes and
    then a byte every 0.2 s, /silent with nothing at all, /hop with a redirect to /lines."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.threads: list[threading.Thread] = []
        accepting = threading.Thread(target=self._accept, daemon=True)
        accepting.start()
        self.threads.append(accepting)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

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
                if path == "/hop":
                    conn.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /lines\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
                    return
                if path == "/lines":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n")
                if path == "/body":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n"
                                 b"Content-Length: 4096\r\n\r\n")
                pause = {"/lines": 0.5, "/continue": 0.1, "/body": 0.2}.get(path, 0.5)
                n = 0
                while not self.stop.wait(pause):
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


@pytest.fixture
def hostile() -> Iterator[HostileAuthority]:
    server = HostileAuthority()
    try:
        yield server
    finally:
        server.close()


def _in_thread(call: Callable[[], object]) -> tuple[list[object], float]:
    """Run `call()` in a thread for at most WAIT seconds: ([its result or exception], seconds taken),
    or [] when it was still running."""
    out: list[object] = []

    def go() -> None:
        try:
            out.append(call())
        except Exception as e:  # what it raised is its result
            out.append(e)

    started = time.monotonic()
    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(WAIT)
    return out, time.monotonic() - started


def _gave_up(url: str, after: str) -> str:
    return f"timestamp authority {url}: gave up after {after} (deadline; raise --timestamp-deadline to wait longer)"


@pytest.mark.parametrize("path", ["/lines", "/continue", "/body", "/silent", "/hop"])
def test_a_request_ends_at_its_deadline_however_the_authority_drips(hostile: HostileAuthority, path: str) -> None:
    url = hostile.url(path)
    out, took = _in_thread(lambda: tsa.request_token(url, MESSAGE, deadline=2))
    assert out, f"POST {path} still waiting {WAIT} s after its 2 s deadline"
    (got,) = out
    assert isinstance(got, TimestampError), repr(got)
    assert str(got) == _gave_up(url, "2 s")
    assert took < 2 + 5, took  # the deadline, not some later timeout


def test_the_capture_stamper_names_the_deadline_and_gives_up_on_the_authority(hostile: HostileAuthority) -> None:
    """Each capture's stamp is bound by the authorities' deadline; the capture's failure says so."""
    from archiver.evidence.stamps import Authorities, default_request

    url = hostile.url("/lines")
    out, _ = _in_thread(lambda: default_request(url, MESSAGE, Authorities((url,), deadline=1.5).deadline))
    assert out, f"the capture's stamp still waiting {WAIT} s after its 1.5 s deadline"
    assert isinstance(out[0], TimestampError) and str(out[0]) == _gave_up(url, "1.5 s"), repr(out[0])


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=WAIT * 2, env={**os.environ, **(env or {})})


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return indexed_archive(tmp_path / "archive")


def test_export_names_the_authority_that_ran_out_its_deadline_and_writes_the_bundle(
        hostile: HostileAuthority, archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.wacz"
    url = hostile.url("/continue")
    r = _cli("export", "-o", str(out), "--archive-dir", str(archive), "--timestamp", url, "--timestamp-deadline", "2")
    assert r.returncode == 1, r.stderr
    assert f"archiver: bundle not timestamped: {_gave_up(url, '2 s')}\n" in r.stderr
    assert out.is_file()  # written, without that token


def test_export_takes_the_deadline_from_the_environment(hostile: HostileAuthority, archive: Path,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "b.wacz"
    url = hostile.url("/lines")
    r = _cli("export", "-o", str(out), "--archive-dir", str(archive),
             env={"ARCHIVER_TSA": url, "ARCHIVER_TIMESTAMP_DEADLINE": "2"})
    assert r.returncode == 1, r.stderr
    assert f"archiver: bundle not timestamped: {_gave_up(url, '2 s')}\n" in r.stderr


def test_a_domain_signature_whose_authority_ran_out_its_deadline_fails_the_export(
        hostile: HostileAuthority, archive: Path, tmp_path: Path) -> None:
    domain = make_domain(tmp_path / "domain")
    out = tmp_path / "d.wacz"
    url = hostile.url("/lines")
    r = _cli("export", "-o", str(out), "--archive-dir", str(archive), "--sign", "--domain-cert", str(domain.cert_pem),
             "--domain-key", str(domain.key_pem), "--timestamp", url, "--timestamp-deadline", "2")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[-1] == f"archiver: no timestamp for the domain signature: {_gave_up(url, '2 s')}", lines
    assert not out.exists()


@pytest.mark.parametrize(("given", "env", "said"), [
    (["--timestamp-deadline", "0"], {}, "--timestamp-deadline: 0.0 is not in the range x>=1"),
    (["--timestamp-deadline", "nan"], {}, "--timestamp-deadline 'nan': expected a finite number, 1 or more"),
    ([], {"ARCHIVER_TIMESTAMP_DEADLINE": "soon"}, "ARCHIVER_TIMESTAMP_DEADLINE 'soon': expected a number"),
])
def test_a_bad_deadline_is_a_usage_error(archive: Path, tmp_path: Path, given: list[str], env: dict[str, Any],
                                         said: str) -> None:
    r = _cli("export", "-o", str(tmp_path / "b.wacz"), "--archive-dir", str(archive),
             "--timestamp", "http://127.0.0.1:9/tsr", *given, env=env)
    assert r.returncode == 2, r.stderr
    assert r.stderr == f"archiver: {said} (see `archiver export --help`)\n"
    assert not (tmp_path / "b.wacz").exists()


@pytest.mark.parametrize("command", ["archive", "run", "worker", "export"])
def test_every_command_that_timestamps_takes_the_deadline(command: str) -> None:
    from typer.testing import CliRunner

    from archiver.cli import app
    from archiver.evidence import DEFAULT_EXPORT_STAMP_DEADLINE, DEFAULT_STAMP_DEADLINE

    text = CliRunner().invoke(app, [command, "--help"], terminal_width=400).output
    (line,) = [line.strip() for line in text.splitlines() if line.strip().startswith("--timestamp-deadline ")]
    default = DEFAULT_EXPORT_STAMP_DEADLINE if command == "export" else DEFAULT_STAMP_DEADLINE
    assert f"default: {default}" in line and "ARCHIVER_TIMESTAMP_DEADLINE" in line, line
