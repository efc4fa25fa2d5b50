"""A cluster run stopped, or left, before its tasks are all answered, end to end from the command
line (an `archiver worker`, a test Redis, a test PostgreSQL index, real Chromium)."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.cluster import Workers
from tests.cluster_faults import ARTICLES, FAST, SLOW, _holder, _start_run, _wait, module_web
from tests.fakeweb import FakeWeb

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

web = pytest.fixture(scope="module", name="web")(module_web)


def test_a_scheduler_stopped_names_what_its_workers_still_hold(tmp_path: Path, broker: str, web: FakeWeb,
                                                                postgres_url: str) -> None:
    """SIGTERM to `run --broker`: what was answered is counted, the task a worker holds is named as
    left running on it (it finishes and is indexed), what is queued as not started; exit 143."""
    archive = tmp_path / "archive"
    first = ARTICLES[0].url
    slow = web.drip(SLOW, 2000, 400)  # five seconds a load
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(f"{first}\n{slow}\n{ARTICLES[1].url}\n")
    with Workers(web, broker, archive, 1, env=FAST, index=postgres_url) as workers:
        workers.wait_ready()
        start = len(web.log)
        run = _start_run(web, seeds, archive, broker, postgres_url)
        _wait("the worker on the slow article", lambda: _holder(broker, f"article:{slow}"))
        run.send_signal(signal.SIGTERM)
        try:
            out, err = run.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            run.kill()
            out, err = run.communicate()
        assert run.returncode == 143, err[-3000:] + workers.output()  # as a run on one machine stopped so
        summary = json.loads(out)
        # The article answered before the stop is counted, whether or not the scheduler had read it.
        assert summary["interrupted"] == "SIGTERM" and summary["articles"] == 1, summary
        assert summary["left_running"] == [f"article:{slow}"], summary
        assert f"article:{ARTICLES[1].url}" in summary["left_pending"], summary
        assert not summary["failures"], summary
        assert (f"interrupted by SIGTERM: 1 of 3 sources done; 1 task(s) left running on the workers, which finish "
                f"them and index what they capture: article {slow}; ") in err, err
        assert "not started (the workers skip them" in err and "run 1 closed as interrupted" in err, err
        # As said: the worker finishes the article it held and indexes it; it skips the one queued.
        from archiver.index import open_index

        def indexed() -> bool:
            with open_index(archive, url=postgres_url, create=False) as index:
                return index.held_article(slow) is not None

        _wait("the slow article indexed", indexed, timeout=120)
        import redis

        client = redis.Redis.from_url(broker)
        try:
            _wait("the queue emptied", lambda: client.llen("archiver") == 0)
        finally:
            client.close()
        _wait("the worker idle", lambda: _holder(broker, f"article:{ARTICLES[1].url}") is None)
        queued = ARTICLES[1].url.removeprefix("https://news.example")
        assert queued not in [e["path"] for e in web.log[start:]], "the queued article was read"
