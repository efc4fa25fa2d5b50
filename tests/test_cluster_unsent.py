"""A run sent without waiting (`run --broker --no-wait`) whose sending stopped between its record
being written into the broker and its last task being sent: `runs status` reports it failed, with
the reason, rather than running for ever (the tasks never sent are never answered). Its sender
either closed the run's row itself (its broker lost: it waits for the broker, then exits with its
error), or died (killed), which `runs status` notices once the lock the sender held while sending
has expired."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from archiver.index import open_index
from tests.cluster import wait_for
from tests.e2e import ROOT

pytestmark = [pytest.mark.cluster]

ARTICLES = ["https://news.example/a.html", "https://news.example/b.html", "https://news.example/c.html"]


def _row(archive: Path, index_url: str) -> tuple[Any, ...]:
    with open_index(archive, url=index_url) as index:
        row = index.run_end(1)  # (a new database: the run is its first)
    assert row is not None
    return row


def test_a_run_whose_broker_was_lost_while_its_tasks_were_sent_is_reported_failed(
        tmp_path: Path, broker: str, redis_server: Any, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker lost after the run's record and its first task, then back with them (append-only):
    the sender gave up naming the broker and closed the row as failed; `runs status` said it was
    running for ever, one article of three answered at most."""
    from archiver.cluster import detached
    from archiver.cluster.executor import QueueExecutor
    from archiver.errors import BrokerUnavailable
    from archiver.index.rows import DETACHED_RUN
    from archiver.pipeline.run import Plan

    real = QueueExecutor.dispatch
    calls: list[str] = []

    def dispatch(self: QueueExecutor, task_id: str) -> None:
        calls.append(task_id)
        if len(calls) == 2:
            redis_server.stop()
            self.grace = 1.0  # (five minutes otherwise)
        real(self, task_id)

    monkeypatch.setattr(QueueExecutor, "dispatch", dispatch)
    archive = tmp_path / "archive"
    try:
        with pytest.raises(BrokerUnavailable):
            detached.enqueue(DETACHED_RUN, ARTICLES, archive, broker, plan=Plan(), index_url=postgres_url)
    finally:
        redis_server.start()  # with what it held: the run's record and its first task
    assert _row(archive, postgres_url)[2] == "failed"
    found = detached.status(1, archive, broker, index_url=postgres_url)
    assert found.state == "failed" and found.summary is None, found
    assert "could not all be sent" in found.note, found.note


def test_a_run_whose_sender_was_killed_while_its_tasks_were_sent_is_reported_failed(
        tmp_path: Path, broker: str, postgres_url: str) -> None:
    """The process sending the run's tasks killed after its record and its first task: once the lock
    it held while sending has expired, `runs status` closes the run's row as failed, with the
    reason, and says so (exit 1). It said the run was running for ever."""
    from archiver.cluster import detached

    archive = tmp_path / "archive"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from archiver.cluster import detached\n"
        "from archiver.cluster.executor import QueueExecutor\n"
        "from archiver.index.rows import DETACHED_RUN\n"
        "from archiver.pipeline.run import Plan\n"
        "real, calls = QueueExecutor.dispatch, []\n"
        "def dispatch(self, task_id):\n"
        "    calls.append(task_id)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(self, task_id)\n"
        "QueueExecutor.dispatch = dispatch\n"
        "QueueExecutor.__init__.__kwdefaults__['grace'] = 2.0\n"  # (its lock lives the TTL and this wait)
        "detached.enqueue(DETACHED_RUN, sys.argv[4:], Path(sys.argv[1]), sys.argv[2], plan=Plan(),"
        " index_url=sys.argv[3])\n")
    env = {**os.environ, "ARCHIVER_CLAIM_TTL": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script, str(archive), broker, postgres_url, *ARTICLES], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    assert _row(archive, postgres_url)[1] is None  # left open: nothing closed it

    def reported() -> Any:
        found = detached.status(1, archive, broker, index_url=postgres_url)
        return None if found.state == "running" else found

    found = wait_for("the run not reported running", reported, timeout=30)
    assert found.state == "failed" and "not all sent" in found.note, found
    assert _row(archive, postgres_url)[2] == "failed"
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "runs", "status", "1", "--broker", broker, "--index",
                        postgres_url, "--archive-dir", str(archive), "--format", "json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and '"state": "failed"' in r.stdout, r.stdout + r.stderr


class _Cuttable:
    """A TCP forwarder on a loopback port of its own to the broker's: `cut()` closes every
    connection through it and refuses new ones (the broker away, for whoever goes through it only:
    the broker itself keeps its data and its clock, and answers others), `restore()` lets them in."""

    def __init__(self, target: int) -> None:
        from tests.services import free_port

        self.target = target
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                near, _ = listener.accept()
                far = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            self._conns += [near, far]
            for a, b in ((near, far), (far, near)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        if self._listener is not None:
            for s in (self._listener, *self._conns):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._listener, self._conns = None, []


def test_a_live_sender_whose_broker_is_away_longer_than_a_claim_is_not_reported_failed(
        tmp_path: Path, broker: str, redis_server: Any, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker away from the sender (and back) for longer than a claim's time to live, and
    shorter than the sender waits for it: the sender still holds its lock, `runs status` reports
    the run running and leaves its row open, and the sender then sends every task. The lock lived
    a claim's time to live: it expired while the sender waited, and `runs status` closed the row of
    a live sender's run as failed."""
    import time

    import redis

    from archiver.cluster import detached
    from archiver.cluster.executor import QueueExecutor
    from archiver.index.rows import DETACHED_RUN
    from archiver.pipeline.run import Plan

    monkeypatch.setenv("ARCHIVER_CLAIM_TTL", "1")
    way = _Cuttable(redis_server.port)
    real = QueueExecutor.dispatch
    away = threading.Event()

    def dispatch(self: QueueExecutor, task_id: str) -> None:
        if task_id.endswith("-2"):  # the broker away from the sender, which waits for it (five minutes)
            way.cut()
            away.set()
        real(self, task_id)

    monkeypatch.setattr(QueueExecutor, "dispatch", dispatch)
    archive = tmp_path / "archive"
    sent: list[int] = []
    sender = threading.Thread(target=lambda: sent.append(detached.enqueue(
        DETACHED_RUN, ARTICLES, archive, way.url, plan=Plan(), index_url=postgres_url)))
    sender.start()
    try:
        assert away.wait(60), "the sender never reached its second task"
        time.sleep(3.0)  # three times a claim's time to live, the broker away from the sender all along
        key = detached.run_key(detached.scope_of(archive, postgres_url), 1)
        client = redis.Redis.from_url(broker)
        try:
            assert client.hget(key, detached.SENDING) is not None  # (still sending)
            held = bool(client.exists(f"{key}:sender"))
        finally:
            client.close()
        found = detached.status(1, archive, broker, index_url=postgres_url)
    finally:
        way.restore()
        sender.join(60)
        way.cut()
    assert held and found.state == "running", (held, found)
    assert sent == [1]  # the sender went on once its broker was back, and sent every task
    assert _row(archive, postgres_url)[1] is None  # open: the workers have its tasks
    found = detached.status(1, archive, broker, index_url=postgres_url)
    assert found.state == "running" and found.articles == len(ARTICLES), found


def test_a_run_whose_sender_ends_as_runs_status_reads_it_is_not_reported_failed(
        tmp_path: Path, broker: str, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`runs status` reads the run's record while its sender is sending (marked so, its lock held),
    and the sender finishes (the mark taken away, its lock released) before `runs status` looks
    for that lock: the run is running, its row open. The record and the lock were read one after
    the other, the record's mark with no lock beside it was taken for a sender that died, and a
    healthy run was reported failed, its row closed as failed."""
    import threading

    import redis

    from archiver.cluster import detached
    from archiver.cluster.executor import QueueExecutor
    from archiver.index.rows import DETACHED_RUN
    from archiver.pipeline.run import Plan

    real = QueueExecutor.dispatch
    last, finish = threading.Event(), threading.Event()

    def dispatch(self: QueueExecutor, task_id: str) -> None:
        if task_id.endswith(f"-{len(ARTICLES)}"):  # the last task: sent once `runs status` has read the record
            last.set()
            finish.wait(60)
        real(self, task_id)

    monkeypatch.setattr(QueueExecutor, "dispatch", dispatch)
    archive = tmp_path / "archive"
    sent: list[int] = []
    sender = threading.Thread(target=lambda: sent.append(detached.enqueue(
        DETACHED_RUN, ARTICLES, archive, broker, plan=Plan(), index_url=postgres_url)))
    sender.start()
    try:
        assert last.wait(60), "the sender never reached its last task"
        key = detached.run_key(detached.scope_of(archive, postgres_url), 1)
        real_hgetall = redis.Redis.hgetall

        def hgetall(self: Any, name: Any) -> Any:
            found = real_hgetall(self, name)
            if name == key and not finish.is_set():
                finish.set()  # the sender sends its last task, takes the mark away, releases its lock
                sender.join(60)
            return found

        monkeypatch.setattr(redis.Redis, "hgetall", hgetall)
        found = detached.status(1, archive, broker, index_url=postgres_url)
    finally:
        finish.set()
        sender.join(60)
    assert sent == [1]
    assert found.state == "running", found
    assert _row(archive, postgres_url)[1] is None  # still open: no worker answered yet


def test_a_broker_away_as_the_last_task_is_out_is_waited_for(
        tmp_path: Path, broker: str, redis_server: Any, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker lost just after the last task is sent, and back a moment later: the sender waits
    for it, as for any other step of the sending, takes the record's mark away and prints the run's
    ID; `runs status` reports it running. The mark was taken away with no wait: the sender failed on
    the broker's first refusal, closed the row as failed and exited 1, and every later `runs status`
    said failed while the workers did every task."""
    import threading

    from archiver.cluster import detached
    from archiver.cluster.executor import QueueExecutor
    from archiver.index.rows import DETACHED_RUN
    from archiver.pipeline.run import Plan

    real = QueueExecutor.dispatch
    back = threading.Event()

    def dispatch(self: QueueExecutor, task_id: str) -> None:
        real(self, task_id)
        if task_id.endswith(f"-{len(ARTICLES)}"):  # the last task is out: the broker goes away, for a moment
            redis_server.stop()
            threading.Thread(target=lambda: (back.wait(1.0), redis_server.start())).start()

    monkeypatch.setattr(QueueExecutor, "dispatch", dispatch)
    archive = tmp_path / "archive"
    try:
        run_id = detached.enqueue(DETACHED_RUN, ARTICLES, archive, broker, plan=Plan(), index_url=postgres_url)
    finally:
        back.set()
        wait_for("the broker back", lambda: redis_server.proc is not None, timeout=30)
    assert run_id == 1
    assert _row(archive, postgres_url)[1] is None  # open: the workers have its tasks
    found = detached.status(1, archive, broker, index_url=postgres_url)
    assert found.state == "running" and found.articles == len(ARTICLES), found
