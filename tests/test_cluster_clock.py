"""A cluster worker whose clock reads before the index's latest run or check refuses tasks, as a run
on one machine refuses to start (exit 1, once, `ARCHIVER_CLOCK_BEHIND_OK=1` overrides): at its start,
and when the index's latest time moves ahead of it later (another machine's clock ahead), its task
going back to the queue for another worker."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import Workers, wait_for, worker_argv
from tests.e2e import ROOT
from tests.fakeweb import FakeWeb, site

pytestmark = [pytest.mark.cluster]


def _ahead(index_url: str, archive: Path) -> None:
    """The index holds a run started an hour from now (by a clock that is ahead)."""
    import psycopg

    from archiver.index import open_index
    from archiver.times import format_utc

    with open_index(archive, url=index_url):
        pass  # made, and migrated
    with psycopg.connect(index_url) as conn:
        conn.execute("INSERT INTO runs (started_at, finished_at, command) VALUES (%s, %s, 'run')",
                     (format_utc(datetime.now(UTC) + timedelta(hours=1)),) * 2)


def test_a_worker_whose_clock_is_behind_the_index_does_not_start(tmp_path: Path, broker: str,
                                                                  postgres_url: str) -> None:
    import os

    archive = tmp_path / "archive"
    archive.mkdir()
    _ahead(postgres_url, archive)
    with FakeWeb(tmp_path / "web") as web:
        argv = worker_argv(web, broker, archive, "--index", postgres_url)
        r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 1, r.stderr
        (line,) = [x for x in r.stderr.splitlines() if "clock" in x]
        assert "this machine's clock reads" in line and "before the archive's latest run or check" in line, line
        assert "what this worker found" in line and "start it with ARCHIVER_CLOCK_BEHIND_OK=1" in line, line
        assert "taking tasks" not in r.stderr
        # Told the clock is right: it starts (and is stopped here once it takes tasks).
        told = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "ARCHIVER_CLOCK_BEHIND_OK": "1"}, start_new_session=True)
        try:
            assert told.stderr is not None
            for text in told.stderr:
                if "taking tasks" in text:
                    break
            else:
                raise AssertionError("the worker told its clock is right did not start")
        finally:
            from tests.services import stop_process

            stop_process(told)


def _queue(url: str) -> tuple[str, str]:
    """The identity of the index at `url`, and the queue its workers take tasks from."""
    from archiver.cluster.config import index_identity, queue_for
    from archiver.index import open_index

    with open_index(Path("."), url=url) as index:
        identity = index_identity(index)
    return identity, queue_for(identity)


def test_a_worker_whose_clock_falls_behind_refuses_tasks_once_and_stops(tmp_path: Path, broker: str,
                                                                       postgres_url: str) -> None:
    import redis

    from archiver.cluster.config import TASK_NAME, make_app
    from archiver.pipeline.tasks import ArticleTask

    identity, queue = _queue(postgres_url)
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web, Workers(web, broker, archive, 1, index=postgres_url) as workers:
        workers.wait_ready()
        _ahead(postgres_url, archive)
        app = make_app(broker)
        for n in range(2):
            message: dict[str, Any] = {"task": ArticleTask(site.ARTICLE_FLOOD.url).to_dict(), "run": "r", "since": "",
                                       "index": identity}
            app.send_task(TASK_NAME, args=[message], task_id=f"clock-{n}", queue=queue)
        proc = workers.procs[0]
        proc.wait(120)
        assert proc.returncode == 1, workers.output()
        said = [x for x in workers.output().splitlines() if "this machine's clock reads" in x]
        assert len(said) == 1 and "start it with ARCHIVER_CLOCK_BEHIND_OK=1" in said[0], workers.output()
        # Neither task was handled: both wait in the queue for another worker.
        assert "article https://news.example" not in workers.output()
        client = redis.Redis.from_url(broker)
        try:
            wait_for("both tasks back in the queue", lambda: client.llen(queue) == 2, timeout=60)
        finally:
            client.close()


def test_a_worker_that_refused_for_its_clock_exits_1_however_long_its_shutdown_takes(
        tmp_path: Path, broker: str, postgres_url: str) -> None:
    """The refusal is said, and the worker exits 1, even when its warm shutdown waits for another
    task in hand long enough for the clock to catch up with the index's time: it checked the clock
    again as it exited, found it right by then, and exited 0 without a word (a service manager
    restarting on failure left it down)."""
    import psycopg
    import redis

    from archiver.cluster.config import TASK_NAME, make_app
    from archiver.pipeline.tasks import ArticleTask
    from archiver.runs import CLOCK_SLACK
    from archiver.times import format_utc
    from tests.cluster_faults import _holder

    identity, queue = _queue(postgres_url)
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web, \
            Workers(web, broker, archive, 1, "--concurrency", "2", index=postgres_url) as workers:
        workers.wait_ready()
        slow = web.drip("/2024/slow-clock.html", 2000, 250)  # eight seconds a load
        app = make_app(broker)
        app.send_task(TASK_NAME, args=[{"task": ArticleTask(slow).to_dict(), "run": "r", "since": "",
                                                 "index": identity}],
                      task_id="clock-slow", queue=queue)
        wait_for("the slow article taken", lambda: _holder(broker, f"article:{slow}") is not None, timeout=60)
        with psycopg.connect(postgres_url) as conn:  # just past the slack: behind now, no longer by the end
            ahead = format_utc(datetime.now(UTC) + CLOCK_SLACK + timedelta(seconds=3))
            conn.execute("INSERT INTO runs (started_at, finished_at, command) VALUES (%s, %s, 'run')", (ahead, ahead))
        app.send_task(TASK_NAME, args=[{"task": ArticleTask(site.ARTICLE_FLOOD.url).to_dict(), "run": "r",
                                        "since": "", "index": identity}], task_id="clock-refused", queue=queue)
        proc = workers.procs[0]
        proc.wait(180)
        assert proc.returncode == 1, workers.output()
        said = [x for x in workers.output().splitlines() if "this machine's clock reads" in x]
        assert len(said) == 1, workers.output()
        client = redis.Redis.from_url(broker)
        try:
            wait_for("the refused task back in the queue", lambda: client.llen(queue) == 1, timeout=60)
        finally:
            client.close()
