"""The cluster under faults, end to end from the command line (two `archiver worker` processes, a test
Redis, a test PostgreSQL index, real Chromium, `archiver run --broker … --index …`): a pool process
killed mid-capture, a whole worker killed (its task comes back after the visibility timeout), Redis
restarted mid-run, a broker that lost its queue, PostgreSQL stopped mid-run. Each time the run
completes (or, PostgreSQL stopped, fails naming it and the next run completes), every post is
captured once, and the archive verifies clean.

The fake web is shared by the module's tests (each counts requests from its own start in the log);
each test has its own PostgreSQL database, and a flushed Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import Workers, run_argv, wait_for
from tests.e2e import ROOT, cli, lookup, warc_files, warcio_check
from tests.fakeweb import FakeWeb, site
from tests.test_cluster import tool_requests

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

# Beside the slow article, two articles citing two tweets in common: what the faults must not duplicate.
ARTICLES = [site.ARTICLE_FLOOD, site.ARTICLE_REVIEW]
TWEETS = {f"twitter:{t.id}" for t in (site.TWEET_PHOTO, site.TWEET_VIDEO, site.TWEET_DELETED)}
POSTS = TWEETS | {f"youtube:{site.YOUTUBE.id}"}
FAST = {"ARCHIVER_CLAIM_TTL": "3"}  # a dead holder's claim frees itself within seconds


@pytest.fixture
def broker(redis_server: Any) -> str:
    import redis

    if redis_server.proc is None:
        redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    return str(redis_server.url)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("web")) as w:
        yield w


SLOW = "/2024/slow-report.html"


def _seeds(tmp: Path, web: FakeWeb) -> tuple[Path, str]:
    slow = web.drip(SLOW, 2000, 400)  # five seconds a load: time to kill its worker
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("\n".join([slow] + [a.url for a in ARTICLES]) + "\n")
    return seeds, slow


def _start_run(web: FakeWeb, seeds: Path, archive: Path, broker: str, index: str,
               env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(run_argv(web, broker, index, seeds, archive), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


_wait = wait_for


def _quick(web: FakeWeb) -> None:
    """The slow article sent at once from now on: a redelivery need not wait for it again."""
    web.drip(SLOW, 2000, 10_000_000)


def _holder(broker: str, what: str) -> int | None:
    """PID of the worker process holding the claim of `what`."""
    import redis

    client = redis.Redis.from_url(broker)
    try:
        raw = client.get(f"archiver:claim:{what}")
    finally:
        client.close()
    return int(raw.decode().split(":")[1]) if raw else None


def _deliveries(broker: str) -> int:
    """The most deliveries counted for any task (claims.py counts them once a delivery holds its claim)."""
    import redis

    client = redis.Redis.from_url(broker)
    try:
        return max((int(client.get(k) or 0) for k in client.scan_iter("archiver:deliveries:*")), default=0)
    finally:
        client.close()


def _finish(run: subprocess.Popen[str], workers: Workers) -> dict[str, Any]:
    try:
        out, err = run.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        run.kill()
        out, err = run.communicate()
    assert run.returncode == 0, err[-3000:] + workers.output()
    return dict(json.loads(out))


def _check(web: FakeWeb, archive: Path, index: str, summary: dict[str, Any], start: int) -> None:
    assert summary["articles"] == len(ARTICLES) + 1 and summary["articles_failed"] == 0, summary
    assert not summary["failures"], summary["failures"]
    assert {p["key"] for p in summary["results"]} == POSTS
    synd = tool_requests(web, start)
    assert len(synd) == len(TWEETS) and all(n == 1 for n in synd.values()), synd  # each tweet asked once
    for row in lookup(web, archive, "--index", index):
        assert len([c for c in row["captures"] if c["source"] == "live"]) == 1, row
    v = cli(web, "verify", "--index", index, archive=archive)
    assert v.returncode == 0, v.stdout + v.stderr
    assert not (archive / "archive.db").exists()


def _whole(archive: Path) -> None:
    assert not list((archive / "warcs").glob("*.open"))
    for f in warc_files(archive):
        assert warcio_check(f).returncode == 0, f


def test_a_pool_process_killed_mid_capture(tmp_path: Path, broker: str, web: FakeWeb, postgres_url: str) -> None:
    archive = tmp_path / "archive"
    seeds, slow = _seeds(tmp_path, web)
    with Workers(web, broker, archive, 2, env=FAST, index=postgres_url) as workers:
        workers.wait_ready()
        start = len(web.log)
        run = _start_run(web, seeds, archive, broker, postgres_url)
        pid = _wait("a worker on the slow article", lambda: _holder(broker, f"article:{slow}"))
        assert pid in workers.pool_children(0) + workers.pool_children(1)
        os.kill(pid, signal.SIGKILL)  # a pool process of a worker this test started
        _quick(web)
        summary = _finish(run, workers)
        _check(web, archive, postgres_url, summary, start)
        assert "WorkerLostError" in workers.output() or "worker lost" in workers.output().lower()
    _whole(archive)


def test_a_whole_worker_killed_comes_back_after_the_visibility_timeout(tmp_path: Path, broker: str, web: FakeWeb,
                                                                       postgres_url: str) -> None:
    archive = tmp_path / "archive"
    seeds, slow = _seeds(tmp_path, web)
    # The smallest timeouts that still hold: a capture here takes a few seconds, the slow article five.
    with Workers(web, broker, archive, 2, "--visibility-timeout", "14", "--capture-deadline", "12",
                 env=FAST, index=postgres_url) as workers:
        workers.wait_ready()
        start = len(web.log)
        run = _start_run(web, seeds, archive, broker, postgres_url)
        pid = _wait("a worker on the slow article", lambda: _holder(broker, f"article:{slow}"))
        which = 0 if pid in workers.pool_children(0) else 1
        assert pid in workers.pool_children(which)
        workers.kill_tree(which)  # the main process, its pool and its browser: a machine lost
        _quick(web)
        summary = _finish(run, workers)
        _check(web, archive, postgres_url, summary, start)
    _whole(archive)


def test_redis_restarted_mid_run(tmp_path: Path, broker: str, redis_server: Any, web: FakeWeb,
                                 postgres_url: str) -> None:
    archive = tmp_path / "archive"
    seeds, slow = _seeds(tmp_path, web)
    with Workers(web, broker, archive, 2, env=FAST, index=postgres_url) as workers:
        workers.wait_ready()
        start = len(web.log)
        run = _start_run(web, seeds, archive, broker, postgres_url)
        _wait("a worker on the slow article", lambda: _holder(broker, f"article:{slow}"))
        redis_server.restart()  # append-only: the queue, claims and results come back with it
        summary = _finish(run, workers)
        _check(web, archive, postgres_url, summary, start)
    _whole(archive)


def test_a_broker_that_lost_its_queue_loses_no_work(tmp_path: Path, broker: str, web: FakeWeb,
                                                    postgres_url: str) -> None:
    import redis

    archive = tmp_path / "archive"
    seeds, _slow = _seeds(tmp_path, web)
    _quick(web)  # the article's speed does not matter here
    start = len(web.log)
    run = _start_run(web, seeds, archive, broker, postgres_url, env={"ARCHIVER_REQUEUE_AFTER": "5"})
    client = redis.Redis.from_url(broker)
    try:
        _wait("the article tasks queued", lambda: client.llen("archiver") == len(ARTICLES) + 1)
        client.delete("archiver")  # what a broker restarted without its data would have
    finally:
        client.close()
    with Workers(web, broker, archive, 2, env=FAST, index=postgres_url) as workers:
        summary = _finish(run, workers)
        _check(web, archive, postgres_url, summary, start)
    _whole(archive)


def test_postgresql_stopped_mid_run_is_named_and_the_next_run_completes(
        tmp_path: Path, broker: str, web: FakeWeb, postgres_server: Any, postgres_url: str) -> None:
    archive = tmp_path / "archive"
    seeds, slow = _seeds(tmp_path, web)
    web.drip(SLOW, 2000, 100)  # twenty seconds a load: PostgreSQL stops while it is read
    with Workers(web, broker, archive, 2, env=FAST, index=postgres_url) as workers:
        workers.wait_ready()
        start = len(web.log)
        run = _start_run(web, seeds, archive, broker, postgres_url)
        read = sum(web.streamed(SLOW))  # by the module's earlier tests
        try:
            _wait("a worker reading the slow article", lambda: sum(web.streamed(SLOW)) >= read + 200)
            postgres_server.stop()
            try:
                out, err = run.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                run.kill()
                out, err = run.communicate()
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
            if postgres_server.proc is None:
                postgres_server.start()
        assert run.returncode == 1, err[-3000:] + workers.output()
        assert "cannot use the PostgreSQL index at 127.0.0.1:" in err and "Traceback" not in err, err[-3000:]
        # Once it is back, the same workers finish the next run: nothing was lost.
        _quick(web)
        again = _start_run(web, seeds, archive, broker, postgres_url)
        summary = _finish(again, workers)
    assert summary["articles_failed"] == 0 and not summary["failures"], summary
    rows = lookup(web, archive, "--index", postgres_url)
    assert {row["key"] for row in rows} == POSTS
    for row in rows:  # each post captured once across the two runs
        assert len([c for c in row["captures"] if c["source"] == "live"]) == 1, row
    synd = tool_requests(web, start)
    assert len(synd) == len(TWEETS) and all(n == 1 for n in synd.values()), synd
    v = cli(web, "verify", "--index", postgres_url, archive=archive)
    assert v.returncode == 0, v.stdout + v.stderr
    _whole(archive)


def test_a_task_that_killed_two_workers_is_failed_and_named(tmp_path: Path, broker: str, web: FakeWeb,
                                                            postgres_url: str) -> None:
    archive = tmp_path / "archive"
    slow = web.drip(SLOW, 2000, 400)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(f"{slow}\n{site.ARTICLE_PROTECTED.url}\n")
    with Workers(web, broker, archive, 2, env=FAST, index=postgres_url) as workers:
        workers.wait_ready()
        run = _start_run(web, seeds, archive, broker, postgres_url)
        killed: list[int] = []
        for n in (1, 2):  # each delivery's pool process dies as it works on the task
            pid = _wait("a worker on the slow article",
                        lambda: (p := _holder(broker, f"article:{slow}")) not in (None, *killed) and p)
            _wait(f"delivery {n} counted", lambda: _deliveries(broker) == n)  # noqa: B023
            assert pid in workers.pool_children(0) + workers.pool_children(1)
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        try:
            out, err = run.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            run.kill()
            out, err = run.communicate()
    assert run.returncode == 1, err[-3000:]
    summary = json.loads(out)
    assert summary["articles_failed"] == 1
    assert summary["failures"] == [f"{slow}: not archived: given up: its worker died on each of 2 deliveries"]
    assert f"{slow}: not archived: given up" in err  # named on stderr too


def test_a_run_sent_without_waiting_reports_later(tmp_path: Path, broker: str, web: FakeWeb,
                                                  postgres_url: str) -> None:
    from archiver.index import open_index

    archive = tmp_path / "archive"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("\n".join(a.url for a in ARTICLES) + "\n")
    sent = cli(web, "run", "--broker", broker, "--index", postgres_url, "--no-wait", "--seeds", str(seeds),
               archive=archive, timeout=60)
    assert sent.returncode == 0, sent.stderr
    run_id = sent.stdout.strip()
    assert run_id.isdigit() and f"run {run_id} sent to the workers" in sent.stderr
    status = ["runs", "status", run_id, "--broker", broker, "--index", postgres_url, "--format", "json"]
    waiting = cli(web, *status, archive=archive)  # no worker yet: nothing answered
    assert waiting.returncode == 0, waiting.stderr
    assert json.loads(waiting.stdout)["state"] == "running"
    start = len(web.log)
    with Workers(web, broker, archive, 2, env=FAST, index=postgres_url) as workers:
        def finished() -> dict[str, Any] | None:
            r = cli(web, *status, archive=archive)
            assert r.returncode == 0, r.stderr + workers.output()
            found = json.loads(r.stdout)
            return None if found.get("state") == "running" else dict(found)

        summary = _wait("the run's summary", finished, timeout=240)
    assert summary["articles"] == len(ARTICLES) and not summary["failures"], summary
    assert {p["key"] for p in summary["results"]} == POSTS and len(summary["results"]) == len(POSTS)
    synd = tool_requests(web, start)
    assert len(synd) == len(TWEETS) and all(n == 1 for n in synd.values()), synd
    again = cli(web, *status, archive=archive)  # asked again: the same summary
    assert again.returncode == 0 and json.loads(again.stdout)["results"] == summary["results"]
    assert not (archive / "archive.db").exists()
    with open_index(archive, url=postgres_url, create=False) as index:
        assert index.unfinished_runs() == []  # the summary closed the run's row
