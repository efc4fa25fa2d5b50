"""Throwaway Redis and PostgreSQL servers for the cluster tests, started by the tests themselves.

Each server listens on a free loopback port and keeps its data in a temporary folder of its own;
nothing relies on a service already running on the machine, and `stop()` ends only the process it
started (by PID). Debian's packages provide the binaries (`make services` installs them as root).
Under CI=true a server that cannot start fails the test; elsewhere it skips it.

PostgreSQL refuses to run as root: as root, `initdb` and `postgres` run as the `postgres` user
through `runuser`, in a folder made and handed to that user outside pytest's 0700 temporary tree.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.requires import missing

START_TIMEOUT = 30.0


def unavailable(why: str) -> None:
    """Fail under CI=true (the services must be there), skip elsewhere."""
    missing(why, "CI must provide it: `make services` installs Debian's redis-server and postgresql")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {START_TIMEOUT:.0f} s: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
    except OSError:
        return "(no log)"


def stop_process(proc: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Stop a process this test run started (by its PID): `sig`, then SIGKILL if it outlives `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class RedisServer:
    """`redis-server` on a free loopback port, append-only, its files in `folder`.

    `restart()` stops it and starts it again on the same port with the same files (the append-only
    file brings back what it held)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
             "--protected-mode", "yes", "--logfile", str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, self.proc, "redis-server", self.log)
        self._wait_loaded()
        return self

    def _wait_loaded(self) -> None:
        """Until PING answers PONG: a server listening may still be loading its append-only file,
        and answers every command with `-LOADING` until it has."""
        deadline = time.monotonic() + START_TIMEOUT
        answer = b""
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                    answer = sock.recv(256)
            except OSError as e:
                answer = str(e).encode()
            if answer.startswith(b"+PONG"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on 127.0.0.1:{self.port} did not answer PING within "
                           f"{START_TIMEOUT:.0f} s: {answer[:80]!r} {_tail(self.log)}")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def postgres_bin() -> Path | None:
    """Debian keeps the server's programs off PATH, in /usr/lib/postgresql/VERSION/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: [int(x) for x in Path(p).parent.parent.name.split(".") if x.isdigit()])
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


class PostgresServer:
    """A PostgreSQL cluster (`initdb --locale=C`, trust auth on loopback) on a free port.

    `database()` creates a fresh, empty database and returns its URL: tests never share one.
    `stop()` / `start()` stop and start the same cluster on the same port."""

    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL's server programs are not installed")
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        # Outside pytest's temporary tree, which is 0700 and so closed to the postgres user.
        self.folder = Path(tempfile.mkdtemp(prefix="archiver-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "--locale=C", "--encoding=UTF8",
                   "--auth=trust", "--username=postgres", "--no-sync"])

    def _command(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_root else argv

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(self._command(argv), capture_output=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.decode(errors='replace').strip()[-400:]}")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresServer:
        log = open(self.log, "ab")  # handed to the server process
        if self.as_root:
            shutil.chown(self.log, "postgres", "postgres")
        self.proc = subprocess.Popen(
            self._command([str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                           "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                           "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                           "-c", "max_connections=200"]),
            stdout=log, stderr=log)
        log.close()
        _wait_port(self.port, self.proc, "postgres", self.log)
        self._ready()
        return self

    def _ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with psycopg.connect(self.admin_url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def database(self) -> str:
        """A new empty database's URL."""
        import psycopg

        name = f"archiver_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def server_pid(self) -> int | None:
        """The postmaster's PID, from its `postmaster.pid` (under runuser it is a child, not `proc`)."""
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        # SIGINT: PostgreSQL's "fast" shutdown (sessions ended, nothing lost that was committed).
        # The postmaster is signalled itself: runuser does not pass the signal on.
        pid = self.server_pid()
        if pid is not None and self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        stop_process(self.proc, signal.SIGINT)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One throwaway Redis per test process (xdist worker); tests that restart it restore it."""
    try:
        server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    except (OSError, RuntimeError) as exc:
        unavailable(f"cannot start redis-server: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """One throwaway PostgreSQL cluster per test process (xdist worker)."""
    try:
        server = PostgresServer().start()
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        unavailable(f"cannot start PostgreSQL: {exc}")
    yield server
    server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh empty database on the session's PostgreSQL."""
    if postgres_server.proc is None:
        postgres_server.start()  # a test that stopped it left it so
    return postgres_server.database()


@pytest.fixture
def broker(redis_server: RedisServer) -> str:
    """The session's Redis (started again if a test stopped it), emptied: a broker URL of this test's own."""
    import redis

    if redis_server.proc is None:
        redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    return redis_server.url
