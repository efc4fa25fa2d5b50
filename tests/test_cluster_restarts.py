"""The cluster's services restarting or losing state, end to end from the command line (two `archiver
worker` processes, a test Redis, a test PostgreSQL index, real Chromium): Redis restarted mid-run, a
broker that lost its queue, PostgreSQL stopped mid-run (named, and the next run completes), and a run
sent without waiting that reports later. Every post is captured once and the archive verifies clean."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import Workers
from tests.cluster_faults import (
    ARTICLES,
    FAST,
    POSTS,
    SLOW,
    TWEETS,
    _check,
    _finish,
    _holder,
    _quick,
    _seeds,
    _start_run,
    _wait,
    _whole,
    module_web,
)
from tests.e2e import cli, lookup
from tests.fakeweb import FakeWeb
from tests.test_cluster import tool_requests

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

# One fake web for the module's tests (each counts requests from its own start in the log).
web = pytest.fixture(scope="module", name="web")(module_web)


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
        _quick(web)  # the browser's load of the slow article, after the restart, need not be slow
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
    from archiver.cluster.config import index_identity, queue_for
    from archiver.index import open_index

    with open_index(archive, url=postgres_url) as index:
        queue = queue_for(index_identity(index))  # the queue of this index's tasks
    run = _start_run(web, seeds, archive, broker, postgres_url, env={"ARCHIVER_REQUEUE_AFTER": "5"})
    client = redis.Redis.from_url(broker)
    try:
        _wait("the article tasks queued", lambda: client.llen(queue) == len(ARTICLES) + 1)
        client.delete(queue)  # what a broker restarted without its data would have
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
    web.drip(SLOW, 2000, 250)  # eight seconds a load: PostgreSQL stops while it is read
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


def test_a_pool_process_restarted_while_postgresql_is_down_works_once_it_is_back(
        tmp_path: Path, broker: str, web: FakeWeb, postgres_server: Any, postgres_url: str) -> None:
    """Celery starts a new pool process for one that died; if PostgreSQL is down then, it cannot
    open its session. It opens it with its next task once PostgreSQL is back (it failed every task
    it took for good: "this worker process has no session")."""
    import os
    import signal
    import time

    archive = tmp_path / "archive"
    seeds, _slow = _seeds(tmp_path, web)
    with Workers(web, broker, archive, 1, env=FAST, index=postgres_url) as workers:
        workers.wait_ready()
        (pool,) = workers.pool_children(0)
        postgres_server.stop()
        try:
            os.kill(pool, signal.SIGKILL)
            _wait("a new pool process", lambda: workers.pool_children(0) not in ([], [pool]))
            time.sleep(3)  # it tries to open its session, and cannot
        finally:
            postgres_server.start()
        _quick(web)
        summary = _finish(_start_run(web, seeds, archive, broker, postgres_url), workers)
    assert summary["articles_failed"] == 0 and not summary["failures"], summary


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
    # The same index spelt otherwise (`postgres://`) is the same run's.
    respelt = postgres_url.replace("postgresql://", "postgres://", 1)
    assert respelt != postgres_url
    again = cli(web, *[respelt if a == postgres_url else a for a in status], archive=archive)
    assert again.returncode == 0 and json.loads(again.stdout)["state"] == "running", again.stderr
    # An index that cannot be used is named, not called a run not found.
    from tests.services import free_port

    down = cli(web, *[f"postgresql://postgres@127.0.0.1:{free_port()}/x" if a == postgres_url else a
                      for a in status], archive=archive)
    assert down.returncode != 0 and "cannot use the PostgreSQL index" in down.stderr, down.stderr
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


def test_a_run_sent_without_waiting_archives_the_articles_of_a_feed(tmp_path: Path, broker: str, web: FakeWeb,
                                                                    postgres_url: str) -> None:
    """The worker that reads a feed sends its articles (the newest, within --max-feed-articles) and
    their posts follow; `runs status` counts them as the run's articles, and counts a feed file of
    the seeds folder (read before the run is sent) as a run that waits counts it."""
    from tests.fakeweb import pages, site

    archive = tmp_path / "archive"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    # The feed, and one of its articles given on its own too: sent once.
    (seeds / "news.urls").write_text(f"https://news.example/feed.xml\n{site.ARTICLE_REVIEW.url}\n")
    # The same feed saved in the folder: its two newest articles are the ones the URL's feed gives.
    (seeds / "saved.xml").write_text(pages.feed_xml(list(site.ARTICLES.values()), []))
    sent = cli(web, "run", "--broker", broker, "--index", postgres_url, "--no-wait", "--seeds", str(seeds),
               "--max-feed-articles", "2", archive=archive, timeout=60)
    assert sent.returncode == 0, sent.stderr
    run_id = sent.stdout.strip()
    status = ["runs", "status", run_id, "--broker", broker, "--index", postgres_url, "--format", "json"]
    with Workers(web, broker, archive, 2, env=FAST, index=postgres_url) as workers:
        def finished() -> dict[str, Any] | None:
            r = cli(web, *status, archive=archive)
            assert r.returncode in (0, 1), r.stderr + workers.output()
            found = json.loads(r.stdout)
            return None if found.get("state") == "running" else dict(found)

        summary = _wait("the run's summary", finished, timeout=240)
        logged = workers.output()
    assert not summary["failures"], summary
    # What the bound left out is said by the worker that read the feed, as a run that waits says it.
    assert "https://news.example/feed.xml: 3 of its 5 articles left out, 2 taken" in logged, logged[-3000:]
    # The feed's two newest articles: the review (a source of the run already) and the withheld one.
    assert f"{seeds / 'saved.xml'}: 3 of its 5 articles left out, 2 taken" in sent.stderr, sent.stderr
    assert (summary["feeds"], summary["feed_articles_left_out"]) == (2, 6), summary
    assert summary["articles"] == 2, summary
    newest = (site.ARTICLE_WITHHELD, site.ARTICLE_REVIEW)
    assert {p["key"] for p in summary["results"]} == {f"twitter:{t}" for a in newest for t in a.tweet_ids}
