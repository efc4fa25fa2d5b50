"""Cluster workers dying, end to end from the command line (two `archiver worker` processes, a test
Redis, a test PostgreSQL index, real Chromium, `archiver run --broker … --index …`): a pool process
killed mid-capture, a whole worker killed (its task comes back after the visibility timeout), a task
that killed two workers (failed and named, not looped). Each run completes, every post is captured
once, and the archive verifies clean."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.cluster import Workers
from tests.cluster_faults import (
    FAST,
    SLOW,
    _check,
    _deliveries,
    _finish,
    _holder,
    _quick,
    _seeds,
    _start_run,
    _wait,
    _whole,
    module_web,
)
from tests.fakeweb import FakeWeb, site

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

# One fake web for the module's tests (each counts requests from its own start in the log).
web = pytest.fixture(scope="module", name="web")(module_web)


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
    # The workers said it in lines of their own: the task given up as an expected outcome, each
    # lost pool process on one line; no traceback. Stopped (SIGTERM), they wrote nothing on stdout.
    logs = workers.output()
    assert "Traceback" not in logs and "raised unexpected" not in logs, logs
    assert "WorkerLostError" in logs, logs
    assert all(out.read_bytes() == b"" for out in workers.stdouts), [out.read_bytes() for out in workers.stdouts]


