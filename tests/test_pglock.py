"""The run lock on a PostgreSQL index: a session-level advisory lock, one scheduler per index.

A real throwaway PostgreSQL (tests/services.py); the holders are other processes, as in life.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archiver.errors import IndexError_, LockHeld
from archiver.lock import ArchiveLock, IndexLock, run_lock
from tests.e2e import ROOT
from tests.services import free_port

HOLD = ("import sys, time; from pathlib import Path; from archiver.lock import IndexLock\n"
        "l = IndexLock(sys.argv[1]); l.acquire(); print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
        "Path(sys.argv[3]).touch(); l.release(); print('released', flush=True)")


def _holder(url: str, seconds: float, mark: Path) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", HOLD, url, str(seconds), str(mark)], stdout=subprocess.PIPE,
                         text=True, cwd=ROOT)
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def _empty_seeds(tmp_path: Path) -> Path:
    """A seeds folder with nothing to fetch: the run does no work beyond taking the lock."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "none.urls").write_text("")
    return seeds


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, **(env or {})})


def test_a_second_holder_is_refused_naming_the_first(postgres_url: str, tmp_path: Path) -> None:
    p = _holder(postgres_url, 60, tmp_path / "released")
    try:
        with pytest.raises(LockHeld) as e:
            IndexLock(postgres_url).acquire()
        assert e.value.exit_code == 3
        assert f"pid {p.pid} on {socket.gethostname()[:20]}" in str(e.value)
        assert "since 20" in str(e.value) and "--wait" in str(e.value)
    finally:
        p.kill()
        p.wait()


def test_run_exits_3_naming_the_holder(postgres_url: str, tmp_path: Path) -> None:
    seeds = _empty_seeds(tmp_path)
    p = _holder(postgres_url, 60, tmp_path / "released")
    try:
        # Given in the environment, as a cron job's unit would.
        r = _cli("run", "--seeds", str(seeds), "--archive-dir", str(tmp_path / "archive"),
                 env={"ARCHIVER_INDEX": postgres_url})
        assert r.returncode == 3, r.stderr
        assert f"pid {p.pid} on" in r.stderr and "--wait" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
        # The archive folder's own file lock is not what refused it, and was not taken.
        with ArchiveLock(tmp_path / "archive"):
            pass
    finally:
        p.kill()
        p.wait()


def test_wait_proceeds_once_the_holder_lets_go(postgres_url: str, tmp_path: Path) -> None:
    mark = tmp_path / "released"
    p = _holder(postgres_url, 1.0, mark)
    try:
        with IndexLock(postgres_url, wait=True, poll=0.05):
            # The holder marks the moment it lets go: the waiter got the lock after that, not before.
            assert mark.exists()
    finally:
        p.wait(30)


def test_a_killed_holder_frees_the_lock(postgres_url: str, tmp_path: Path) -> None:
    p = _holder(postgres_url, 60, tmp_path / "released")
    with pytest.raises(LockHeld):
        IndexLock(postgres_url).acquire()
    p.send_signal(signal.SIGKILL)
    p.wait()
    # The server ends the dead client's session, and the lock with it (it notices within moments:
    # the wait is bounded generously, never timed).
    with IndexLock(postgres_url, wait=True, poll=0.05, timeout=60):
        pass
    assert not (tmp_path / "released").exists()  # freed by the server, not by the holder


def test_the_lock_is_released_and_taken_again(postgres_url: str) -> None:
    with IndexLock(postgres_url):
        pass
    with IndexLock(postgres_url):
        pass


def test_other_applications_advisory_locks_do_not_collide(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as other:
        # Another application's locks in the same database: one-key and two-key forms.
        other.execute("SELECT pg_advisory_lock(1)")
        other.execute("SELECT pg_advisory_lock(1, 1)")
        other.execute("SELECT pg_advisory_lock(0, 0)")
        with IndexLock(postgres_url):
            pass


def test_indexes_in_other_schemas_do_not_share_the_lock(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA other")
    elsewhere = postgres_url + "?options=-csearch_path%3Dother"
    with IndexLock(postgres_url), IndexLock(elsewhere):
        with pytest.raises(LockHeld):
            IndexLock(elsewhere).acquire()


def test_sqlite_keeps_the_archive_folder_lock(tmp_path: Path, postgres_url: str) -> None:
    assert isinstance(run_lock(tmp_path, None), ArchiveLock)
    assert isinstance(run_lock(tmp_path, postgres_url), IndexLock)


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://archiver:s3cr%40t@127.0.0.1:{free_port()}/archive"
    with pytest.raises(IndexError_) as e:
        IndexLock(url).acquire()
    text = str(e.value)
    assert "s3cr" not in text and "\n" not in text
    assert text.startswith("cannot use the PostgreSQL index at 127.0.0.1:")


def test_archive_takes_the_same_lock(postgres_url: str, tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text("<p>nothing embedded</p>")
    p = _holder(postgres_url, 60, tmp_path / "released")
    try:
        r = _cli("archive", str(page), "--archive-dir", str(tmp_path / "archive"), "--index", postgres_url)
        assert r.returncode == 3, r.stderr
        assert f"pid {p.pid} on" in r.stderr
    finally:
        p.kill()
        p.wait()


def test_run_wait_proceeds_once_the_holder_lets_go(postgres_url: str, tmp_path: Path) -> None:
    seeds = _empty_seeds(tmp_path)
    mark = tmp_path / "released"
    p = _holder(postgres_url, 2.0, mark)
    try:
        r = _cli("run", "--seeds", str(seeds), "--archive-dir", str(tmp_path / "archive"), "--index", postgres_url,
                 "--wait", "--format", "json")
        assert r.returncode == 0, r.stderr
        assert mark.exists()  # it ran after the holder let go
        assert '"articles": 0' in r.stdout
    finally:
        p.wait(30)


def _held_by(url: str) -> list[str]:
    import psycopg

    from archiver.lock import LOCK_NAMESPACE

    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %s", (LOCK_NAMESPACE,))]


def _drop_lock_sessions(url: str) -> None:
    """End the sessions holding the run lock, as a server restart would, and wait until they are
    gone: pg_terminate_backend only signals, and a session still ending still holds its lock."""
    import psycopg

    from archiver.lock import LOCK_NAMESPACE

    with psycopg.connect(url, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.classid::bigint = %s",
            (LOCK_NAMESPACE,))]
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        _until(lambda: not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone())


def _until(check: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds  # a generous bound on a background thread, not a timing
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_a_dropped_lock_connection_takes_the_lock_again(postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with IndexLock(postgres_url, keep_every=0.1):
        me = f"archiver:{os.getpid()}:"
        assert [n[:len(me)] for n in _held_by(postgres_url)] == [me]
        _drop_lock_sessions(postgres_url)  # as a server restart would
        _until(lambda: [n[:len(me)] for n in _held_by(postgres_url)] == [me])
        with pytest.raises(LockHeld):
            IndexLock(postgres_url).acquire()
    assert _held_by(postgres_url) == []
    assert "is held again" in caplog.text


def test_a_lock_taken_by_another_run_meanwhile_is_named(postgres_url: str, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    with IndexLock(postgres_url, keep_every=3600) as mine:
        _drop_lock_sessions(postgres_url)
        p = _holder(postgres_url, 60, tmp_path / "released")  # another run takes it in between
        try:
            assert mine.check() is True  # what the keeper thread does every keep_every seconds
            assert "another run holds it now" in caplog.text and f"pid {p.pid} on" in caplog.text
            caplog.clear()
            assert mine.check(lost=True) is True
            assert caplog.text == ""  # said once
        finally:
            p.kill()
            p.wait()
        _until(lambda: _held_by(postgres_url) == [])  # the killed holder's session ends
        assert mine.check(lost=True) is False  # free again: taken
        assert "is held again" in caplog.text
