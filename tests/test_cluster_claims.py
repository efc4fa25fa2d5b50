"""The cluster's building blocks on a real Redis: JSON only, locks with a time to live, the claims
that make a task delivered twice run once, the delivery cap, and per-host politeness across
processes (two processes, the fake web recording when each request's response began and ended)."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from archiver.cluster.claims import Claims, DeliveryCapReached
from archiver.cluster.config import celery_config, make_app
from archiver.cluster.redislock import RedisLock
from archiver.cluster.worker import WorkerProcess, WorkerSettings
from archiver.net import NetOptions
from archiver.pipeline.tasks import ArticleResult, ArticleTask
from tests.e2e import ROOT
from tests.fakeweb import FakeWeb
from tests.fakeweb.app import Request, Response, SiteState

pytestmark = pytest.mark.cluster


@pytest.fixture
def redis_client(broker: str) -> Any:
    """A client of this test's own, emptied Redis."""
    import redis

    client = redis.Redis.from_url(broker)
    yield client
    client.close()


def test_a_lock_let_go_while_its_renewal_was_asked_is_not_taken_back(redis_client: Any) -> None:
    """`release` stops waiting for a renewal after a while (a slow broker) and deletes the lock; the
    renewal, answering late that the lock is gone, must not take it again: it would outlive its
    holder by its whole lifetime."""
    import threading

    lock = RedisLock(redis_client, "t:late", ttl=1.0, renew_every=0.1)
    asked = threading.Event()
    real_eval = redis_client.eval

    def late_eval(script: str, numkeys: int, *args: Any) -> Any:
        if lock.held and not asked.is_set() and args and args[0] == "t:late" and "pexpire" in script.lower():
            asked.set()
            lock._stop.set()  # as `release` does, then deletes the lock while this call is out
            redis_client.delete("t:late")
        return real_eval(script, numkeys, *args)

    redis_client.eval = late_eval
    try:
        assert lock.acquire(wait=0)
        assert asked.wait(10)
        assert lock._renewer is not None
        lock._renewer.join(10)
        assert not redis_client.exists("t:late"), redis_client.get("t:late")
    finally:
        redis_client.eval = real_eval
        lock.release()


def test_messages_are_json_and_pickle_is_refused() -> None:
    from kombu.exceptions import ContentDisallowed
    from kombu.serialization import loads, prepare_accept_content

    conf = celery_config("redis://127.0.0.1:1/0")
    assert conf["accept_content"] == ["json"] and conf["result_accept_content"] == ["json"]
    assert conf["task_serializer"] == conf["result_serializer"] == "json"
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    app = make_app("redis://127.0.0.1:1/0", visibility_timeout=900)
    assert app.conf.broker_transport_options["visibility_timeout"] == 900
    accept = prepare_accept_content(app.conf.accept_content)
    payload = pickle.dumps({"task": "anything"})
    with pytest.raises(ContentDisallowed):
        loads(payload, "application/x-python-serialize", "binary", accept=accept)
    assert loads(b'{"a": 1}', "application/json", "utf-8", accept=accept) == {"a": 1}


def test_a_lock_is_held_by_one_renewed_and_freed_by_its_holder_only(redis_client: Any) -> None:
    first = RedisLock(redis_client, "t:lock", ttl=1.0)
    second = RedisLock(redis_client, "t:lock", ttl=1.0)
    assert first.acquire(wait=0)
    assert not second.acquire(wait=0)
    assert redis_client.get("t:lock").decode().split(":")[1] == str(os.getpid())
    time.sleep(2.5)  # longer than its time to live: renewed meanwhile, so still held
    assert not second.acquire(wait=0)
    second.release()  # not its holder: nothing happens
    assert redis_client.exists("t:lock")
    first.release()
    assert second.acquire(wait=0)
    second.release()


def test_a_dead_holders_lock_expires(redis_client: Any, redis_server: Any) -> None:
    code = ("import sys, time, redis; from archiver.cluster.redislock import RedisLock; "
            f"lock = RedisLock(redis.Redis.from_url({redis_server.url!r}), 't:dead', ttl=1.0); "
            "assert lock.acquire(wait=0); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        lock = RedisLock(redis_client, "t:dead", ttl=1.0)
        assert not lock.acquire(wait=0)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert lock.acquire(wait=30)  # its renewals stopped with it
    lock.release()


class _Counting:
    """Handlers that count what they are asked (the claims are under test, not the capture)."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.lock = threading.Lock()

    def handle(self, task: Any) -> ArticleResult:
        with self.lock:
            self.handled.append(task.spec)
        time.sleep(0.5)
        return ArticleResult(read=True)


class _Process(WorkerProcess):
    def __init__(self, client: Any, counting: _Counting) -> None:
        super().__init__(WorkerSettings(broker="redis://unused", archive_dir=Path("."),
                                        net=NetOptions.from_options(None, None, None)))
        self.claims = Claims(client, ttl=2.0)
        self.counting = counting

    def handlers(self, recapture: bool) -> Any:
        return self.counting


def test_a_task_delivered_twice_at_once_is_handled_once(redis_client: Any) -> None:
    counting = _Counting()
    message = {"task": ArticleTask("https://news.example/a.html").to_dict(), "since": "2024-01-01T00:00:00.000Z"}
    answers: list[dict[str, Any]] = []

    def deliver() -> None:
        answers.append(_Process(redis_client, counting).handle("task-1", message))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert counting.handled == ["https://news.example/a.html"]
    assert len(answers) == 3 and all(a == answers[0] for a in answers)
    # Delivered again later (its ack was lost): the stored answer, no work.
    assert _Process(redis_client, counting).handle("task-1", message) == answers[0]
    assert len(counting.handled) == 1


def test_the_third_delivery_after_two_deaths_is_failed(redis_client: Any) -> None:
    counting = _Counting()
    proc = _Process(redis_client, counting)
    message = {"task": ArticleTask("https://news.example/b.html").to_dict()}
    proc.claims.count_delivery("task-2")  # two deliveries that started and never answered
    proc.claims.count_delivery("task-2")
    with pytest.raises(DeliveryCapReached, match="died on each of 2 deliveries"):
        proc.handle("task-2", message)
    assert counting.handled == []
    assert not proc.claims.held("article:https://news.example/b.html")  # the claim was released


def test_a_post_task_answered_from_the_index_names_the_same_failure(redis_client: Any) -> None:
    # An earlier delivery checked the post (the platform did not show it) and died before answering:
    # the next one answers from the index, and names the failure the first would have named.
    from types import SimpleNamespace

    from archiver.index import memory_index
    from archiver.models import Post
    from archiver.pipeline.postcapture import PostOutcome
    from archiver.pipeline.tasks import PostTask

    reason = "syndication gave no usable answer (HTTP 503)"
    post = Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote", post_id="7",
                url="https://twitter.com/x/status/7")
    with memory_index() as index:
        key = index.upsert_post(post)
        index.observe(key, "unavailable", detail=reason)
        proc = _Process(redis_client, _Counting())
        proc._session = SimpleNamespace(index=index)  # type: ignore[assignment]  # the index is what it reads
        message = {"task": PostTask(post=post).to_dict(), "since": "2024-01-01T00:00:00.000Z"}
        answer = proc.handle("task-3", message)
    first = PostOutcome(key, "twitter", post.url, "unavailable", reason=reason)  # as the first delivery had it
    assert answer["failures"] == [first.failure()] == [f"{key}: unavailable: {reason}"]
    assert (answer["outcome"]["status"], answer["outcome"]["reason"]) == ("unavailable", reason)
    assert proc.counting.handled == []  # answered from the index, not captured again


# -- politeness across processes -----------------------------------------------------------------

_FETCHER = """
import sys, redis
from archiver.capture.http import RecordingClient
from archiver.cluster.gate import RedisHostGate
from archiver.net import NetOptions
broker, map_host, ca, who = sys.argv[1:5]
net = NetOptions.from_options([map_host], ca, None)
with RecordingClient(net, gate=RedisHostGate(redis.Redis.from_url(broker))) as client:
    for i in range(3):
        assert client.get(f"https://news.example/slow/{who}/{i}").status_code == 200
"""


def test_two_processes_send_one_request_at_a_time_to_a_host(tmp_path: Path, redis_client: Any,
                                                            redis_server: Any) -> None:
    spans: list[tuple[str, float, float]] = []

    def slow(req: Request, state: SiteState) -> Response:
        # From the request's arrival to just before its last bytes leave: inside the time its
        # client held the host's gate, however the client reads the answer.
        began = time.time()

        async def body() -> AsyncIterator[bytes]:
            for _ in range(2):
                yield b"x" * 100
                await asyncio.sleep(0.1)
            spans.append((req.path, began, time.time()))
            yield b"x" * 100

        return Response(200, b"", "text/plain", stream=body, length=300)

    with FakeWeb(tmp_path / "web", handlers={"news.example": slow}) as web:
        procs = [subprocess.Popen([sys.executable, "-c", _FETCHER, redis_server.url, web.map_host, str(web.ca_pem), w],
                                  cwd=ROOT, stderr=subprocess.PIPE, text=True) for w in ("a", "b")]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
    assert len(spans) == 6 and {s[0].split("/")[2] for s in spans} == {"a", "b"}
    spans.sort(key=lambda s: s[1])
    for before, after in zip(spans, spans[1:]):
        assert after[1] >= before[2], (before, after)  # the next began only once the last had ended


def test_worker_check_names_what_does_not_answer(tmp_path: Path, redis_server: Any, postgres_url: str) -> None:
    from tests.services import free_port

    if redis_server.proc is None:
        redis_server.start()
    argv = [sys.executable, "-m", "archiver.cli", "worker", "--archive-dir", str(tmp_path / "a"), "--check",
            "--index", postgres_url]
    ok = subprocess.run([*argv, "--broker", redis_server.url], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == ["broker: ok", "index: ok", "chromium: ok"]
    dead = f"redis://127.0.0.1:{free_port()}/0"
    bad = subprocess.run([*argv, "--broker", dead], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == ["broker: failed", "index: ok", "chromium: ok"]
    assert bad.stderr.startswith("archiver: broker: ") and len(bad.stderr.splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_run_names_a_broker_it_cannot_use(tmp_path: Path, postgres_url: str) -> None:
    from tests.services import free_port

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("https://news.example/a.html\n")
    argv = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir", str(tmp_path / "a"),
            "--index", postgres_url]
    bad = subprocess.run([*argv, "--broker", "amqp://127.0.0.1/"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("archiver: --broker amqp://127.0.0.1/: not a Redis URL")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    gone = subprocess.run([*argv, "--broker", dead], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert gone.returncode == 1, gone.stderr
    assert f"the broker {dead} does not answer" in gone.stderr and "Traceback" not in gone.stderr


def test_a_run_stopped_while_its_tasks_wait_is_closed_as_interrupted(tmp_path: Path, redis_client: Any,
                                                                    redis_server: Any, postgres_url: str) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("https://news.example/a.html\nhttps://news.example/b.html\n")
    argv = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir", str(tmp_path / "a"),
            "--broker", redis_server.url, "--index", postgres_url, "--format", "json"]
    from archiver.cluster.config import index_identity, queue_for
    from archiver.index import open_index

    with open_index(tmp_path / "a", url=postgres_url) as index:
        queue = queue_for(index_identity(index))  # the queue of this index's tasks
    run = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while redis_client.llen(queue) < 2 and time.monotonic() < deadline:  # no worker: they wait
        time.sleep(0.1)
    assert redis_client.llen(queue) == 2, "the run's two tasks were not queued"
    # It holds the PostgreSQL index's run lock (not the folder's): a second scheduler of the same
    # index, from another folder, waiting or not, is told who holds it (exit 3).
    other = [a if a != str(tmp_path / "a") else str(tmp_path / "b") for a in argv]
    for extra in ([], ["--no-wait"]):
        second = subprocess.run([*other, *extra], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 3, second.stderr
        assert f"pid {run.pid} on" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 143, err
    import json

    summary = json.loads(out)
    assert summary["interrupted"] == "SIGTERM" and summary["articles"] == 0
    assert "Traceback" not in err
    # What is still queued is skipped by any worker, even one started later.
    (stopped,) = list(redis_client.scan_iter("archiver:stopped:*"))
    proc = _Process(redis_client, _Counting())
    message = {"task": ArticleTask("https://news.example/a.html").to_dict(), "run": stopped.decode().split(":")[-1]}
    assert proc.handle("late-1", message) == {"type": "not_started"} and proc.counting.handled == []


@pytest.mark.parametrize("machine", ["vm", "worker-1", "ip-10-0-0-5.ec2.internal", "Desk_Two"])
def test_recovery_touches_only_this_hosts_dead_writers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       machine: str) -> None:
    """Whatever the machine's name: a hyphen in it (as most have) is written as `_` in the file names."""
    import socket

    from archiver.cluster.storage import host_name, recover_local_runs, recover_own, warc_prefix, writer_of

    monkeypatch.setattr(socket, "gethostname", lambda: machine)

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(gone.stdout)  # a process that has exited
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    names = {
        "dead here": f"{warc_prefix(dead_pid)}-20260101000000000-00000.warc.gz.open",
        "alive here": f"{warc_prefix()}-20260101000000000-00000.warc.gz.open",
        "dead elsewhere": f"archiver-{host_name()}x-p{dead_pid}-20260101000000000-00000.warc.gz.open",
        "one machine's run": "archiver-w1-20260101000000000-00000.warc.gz.open",
    }
    for name in names.values():
        (warcs / name).write_bytes(b"")  # no complete record: recovery removes it
    assert writer_of(names["dead here"]) == (host_name(), dead_pid)
    assert writer_of(names["one machine's run"]) is None
    recover_own(tmp_path)
    assert sorted(p.name for p in warcs.iterdir()) == sorted(
        names[k] for k in ("alive here", "dead elsewhere", "one machine's run"))
    recover_local_runs(tmp_path)
    assert sorted(p.name for p in warcs.iterdir()) == sorted(names[k] for k in ("alive here", "dead elsewhere"))


def test_a_run_without_the_broker_leaves_cluster_workers_files_alone(tmp_path: Path) -> None:
    """`run`/`archive --index postgresql://…` on a cluster's folder finishes what runs left open, never
    a worker's file: the index's run lock does not keep workers out, and one elsewhere may write it."""
    from archiver.pipeline.session import recover_warcs

    warcs = tmp_path / "warcs"
    warcs.mkdir()
    worker = "archiver-worker7.example-p4242-20260101000000000-00000.warc.gz.open"
    local = "archiver-w1-20260101000000000-00000.warc.gz.open"
    for name in (worker, local):
        (warcs / name).write_bytes(b"")
    recover_warcs(tmp_path)
    assert [p.name for p in warcs.iterdir()] == [worker]


def test_a_run_whose_tasks_no_worker_takes_says_so(broker: str, caplog: pytest.LogCaptureFixture) -> None:
    """No worker on the broker: the run, waiting, names what it waits for (once per notice period),
    and stays quiet while a worker holds one of its tasks (a long capture is no reason to worry)."""
    from archiver.cluster.executor import QueueExecutor
    from archiver.cluster.worker import claim_name
    from archiver.interrupt import STOP

    task = ArticleTask("https://news.example/a.html")
    with QueueExecutor(broker, index="pg:test/archive/public", index_name="postgresql://a@db/archive",
                       idle_notice=0.2) as executor:
        executor.submit(task)
        notice = executor.waiting_notice(180.0)
        assert notice is not None and notice.startswith(
            "no worker has taken any of the 1 task(s) waiting, nor answered, for 3 min: is a worker running for the "
            "broker redis://"), notice
        # (a worker of another index does not take them: the index is named)
        assert " and the index postgresql://a@db/archive? " in notice, notice
        claim = executor.claims.lock(claim_name(task))
        assert claim.acquire(wait=0)
        try:
            assert executor.waiting_notice(180.0) is None
        finally:
            claim.release()
        # As the run waits: said on the log, then the run is stopped (its task revoked).
        timer = threading.Timer(1.0, setattr, args=(STOP, "signum", int(signal.SIGTERM)))  # as the handler does
        timer.start()
        try:
            with caplog.at_level("WARNING", logger="archiver.cluster.executor"):
                assert [type(a).__name__ for _t, a in executor.answers()] == ["NotStarted"]
        finally:
            timer.join()
            STOP.reset()
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("no worker has taken")]
    assert said, caplog.text


def test_a_json_log_line_names_the_exception_itself() -> None:
    """`error` is the exception's type and words, whatever its traceback's last line is (Celery's,
    for a pool process lost, is a closing quote)."""
    import json
    import logging

    from archiver.cluster.ops import JsonFormatter

    class WorkerLostError(Exception):
        pass

    try:
        raise WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL) Job: 10.")
    except WorkerLostError:
        info = sys.exc_info()
    record = logging.LogRecord("celery.worker.request", logging.ERROR, __file__, 1, "Task handler raised error",
                               (), info)
    assert json.loads(JsonFormatter().format(record))["error"] == (
        "WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL) Job: 10.")


def test_a_broker_that_refuses_this_client_is_named_so_at_once(broker: str) -> None:
    """Redis answers and refuses a client without its password, or with a wrong one: said at once
    (not waited on as a broker that does not answer), saying where the password goes, never
    showing the one given."""
    import redis

    from archiver.cluster.executor import QueueExecutor
    from archiver.errors import BrokerUnavailable

    client = redis.Redis.from_url(broker)
    client.config_set("requirepass", "s3cret-broker")
    try:
        for given in (broker, broker.replace("redis://", "redis://:wrong-pw@")):
            started = time.monotonic()
            with pytest.raises(BrokerUnavailable) as caught, QueueExecutor(given):
                pass
            assert time.monotonic() - started < 5, "retried as a broker that does not answer"
            said = str(caught.value)
            assert "refused this client" in said and "redis://:PASSWORD@HOST:6379/0" in said, said
            assert "wrong-pw" not in said and "s3cret" not in said
    finally:
        authed = redis.Redis.from_url(broker, password="s3cret-broker")
        authed.config_set("requirepass", "")
        authed.close()
        client.close()


def test_a_worker_as_root_gives_its_own_advice_not_celerys(monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    import warnings

    from archiver.cluster import worker

    monkeypatch.setattr(worker.os, "geteuid", lambda: 0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with caplog.at_level("WARNING", logger="archiver.cluster.worker"):
            worker.root_warning()
        warnings.warn("You're running the worker with superuser privileges: this is\nabsolutely not recommended!\n\n"
                      "Please specify a different user using the --uid option.", UserWarning, stacklevel=1)
    assert not [w for w in seen if "--uid" in str(w.message)]
    assert [r.getMessage() for r in caplog.records if "runs as root" in r.getMessage()]
