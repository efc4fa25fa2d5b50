"""`run --concurrency N`: worker processes, each post captured once, crash-safe WARCs.

One real run with two workers (real Chromium against the local fake web), plus the worker pool on
its own with jobs that crash, raise or cannot start (no browser: quick).
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archiver.errors import BrowserError
from archiver.workers import TaskFailed, WorkerPool
from tests.e2e import cli, lookup, warc_files, warcio_check
from tests.fakeweb import FakeWeb, site

ARTICLES = [site.ARTICLE_FLOOD.url, site.ARTICLE_PROTECTED.url, site.ARTICLE_WITHHELD.url,
            site.ARTICLE_REVIEW.url, f"https://news.example{site.WIRE_TEXT_PATH}"]

# What a run without workers gives for these five articles (tests/test_runs_e2e.py runs it): the
# parallel run must find the same posts with the same statuses.
EXPECTED = {
    f"twitter:{site.TWEET_PHOTO.id}": "live",
    f"twitter:{site.TWEET_VIDEO.id}": "live",
    f"twitter:{site.TWEET_FLAT.id}": "live",
    f"twitter:{site.TWEET_DELETED.id}": "deleted",
    f"twitter:{site.TWEET_PROTECTED.id}": "protected",
    f"twitter:{site.TWEET_WITHHELD.id}": "withheld",
    f"youtube:{site.YOUTUBE.id}": "live",
}


@pytest.mark.browser
def test_two_workers_capture_each_post_once(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("\n".join(ARTICLES) + "\n")
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "run", "--concurrency", "2", "--seeds", str(seeds), "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        s = json.loads(r.stdout)
        assert s["articles"] == len(ARTICLES) and s["articles_failed"] == 0 and not s["failures"]
        assert {p["key"]: p["status"] for p in s["results"]} == EXPECTED
        assert s["posts"] == s["posts_new"] == len(EXPECTED)  # one result per post: none captured twice
        assert s["posts_skipped_already_captured"] == 0 and s["posts_rechecked"] == 0

        rows = lookup(web, archive)
        assert {row["key"]: row["status"] for row in rows} == EXPECTED
        for row in rows:
            live = [c for c in row["captures"] if c["source"] == "live"]
            assert len(live) == 1, (row["key"], row["captures"])
        # The tool itself (not the embed widgets of the article pages) asked the syndication API once
        # per tweet, although two articles in the run cite the photo tweet and the deleted one.
        synd = Counter(e["path"] for e in web.log if e["host"] == "cdn.syndication.twimg.com"
                       and "Mozilla" not in e["headers"].get("user-agent", ""))
        assert len(synd) == 6 and all(n == 1 for n in synd.values()), synd

        v = cli(web, "verify", archive=archive)
        assert v.returncode == 0, v.stdout + v.stderr
    files = warc_files(archive)
    for f in files:
        assert warcio_check(f).returncode == 0, f
    assert not list((archive / "warcs").glob("*.open"))
    # Each worker wrote its own WARC file (named apart, so no two processes append to one file).
    assert {f.name.split("-")[1] for f in files} == {"w1", "w2"}, files


# -- the pool on its own --------------------------------------------------------------------------
# Jobs live at module level: a spawned worker unpickles them by importing this module.


class EchoJob:
    """Doubles numbers; "raise" raises, "die" kills the worker outright (as the OOM killer would)."""

    def open(self, worker: int) -> None:
        self.worker = worker

    def handle(self, task: Any, progress: Callable[[str], None]) -> Any:
        progress(f"task {task}")
        if task == "raise":
            raise ValueError("bad task")
        if task == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        return task * 2

    def close(self) -> None:
        pass


class NoBrowserJob:
    def open(self, worker: int) -> None:
        raise BrowserError("no Chromium here")

    def handle(self, task: Any, progress: Callable[[str], None]) -> Any:
        raise AssertionError("never reached")

    def close(self) -> None:
        pass


def test_a_dying_or_failing_task_does_not_sink_the_others() -> None:
    seen: list[str] = []
    with WorkerPool(EchoJob(), 2, progress=seen.append) as pool:
        out = pool.map([1, "raise", 2, "die", 3, 4, 5])
        assert pool.alive == 1
        again = pool.map([6, 7])  # the next phase runs on the worker that is left
    assert [out[i] for i in (0, 2, 4, 5, 6)] == [2, 4, 6, 8, 10]
    assert isinstance(out[1], TaskFailed) and "ValueError: bad task" in out[1].reason
    assert isinstance(out[3], TaskFailed) and "SIGKILL" in out[3].reason
    assert again == [12, 14]
    # Each task's progress message arrived once; the killed worker's last one may die with it.
    expected = [f"task {t}" for t in (1, "raise", 2, 3, 4, 5, 6, 7)]
    assert sorted(m for m in seen if m != "task die") == sorted(expected), seen


def test_tasks_fail_when_no_worker_is_left() -> None:
    with WorkerPool(EchoJob(), 1) as pool:
        out = pool.map(["die", 1, 2])
    assert all(isinstance(o, TaskFailed) for o in out)
    assert "no worker process left" in out[1].reason


def test_workers_that_cannot_start_raise_the_error_as_a_run_would() -> None:
    with pytest.raises(BrowserError, match="no Chromium here"):
        with WorkerPool(NoBrowserJob(), 2):
            pass
