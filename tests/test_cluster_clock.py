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


def test_a_worker_whose_clock_falls_behind_refuses_tasks_once_and_stops(tmp_path: Path, broker: str,
                                                                       postgres_url: str) -> None:
    import redis

    from archiver.cluster.config import QUEUE, TASK_NAME, make_app
    from archiver.pipeline.tasks import ArticleTask

    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web, Workers(web, broker, archive, 1, index=postgres_url) as workers:
        workers.wait_ready()
        _ahead(postgres_url, archive)
        app = make_app(broker)
        for n in range(2):
            message: dict[str, Any] = {"task": ArticleTask(site.ARTICLE_FLOOD.url).to_dict(), "run": "r", "since": ""}
            app.send_task(TASK_NAME, args=[message], task_id=f"clock-{n}", queue=QUEUE)
        proc = workers.procs[0]
        proc.wait(120)
        assert proc.returncode == 1, workers.output()
        said = [x for x in workers.output().splitlines() if "this machine's clock reads" in x]
        assert len(said) == 1 and "start it with ARCHIVER_CLOCK_BEHIND_OK=1" in said[0], workers.output()
        # Neither task was handled: both wait in the queue for another worker.
        assert "article https://news.example" not in workers.output()
        client = redis.Redis.from_url(broker)
        try:
            wait_for("both tasks back in the queue", lambda: client.llen(QUEUE) == 2, timeout=60)
        finally:
            client.close()
