"""What the cluster's fault tests share: tests/test_cluster_faults.py (workers dying) and
tests/test_cluster_restarts.py (Redis and PostgreSQL restarting, a queue lost, a run not waited
for), two files so that the test processes share them out. Each runs end to end from the command
line: two `archiver worker` processes, a test Redis, a test PostgreSQL index, real Chromium,
`archiver run --broker … --index …`; each run completes (or, PostgreSQL stopped, fails naming it and
the next run completes), every post is captured once, and the archive verifies clean.

Each test module has its own fake web (each test counts requests from its own start in the log);
each test its own PostgreSQL database, and a flushed Redis (the `broker` fixture)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import Workers, run_argv, wait_for
from tests.e2e import ROOT, cli, lookup, warc_files, warcio_check
from tests.fakeweb import FakeWeb, site
from tests.test_cluster import tool_requests

# Beside the slow article, two articles citing two tweets in common: what the faults must not duplicate.
ARTICLES = [site.ARTICLE_FLOOD, site.ARTICLE_REVIEW]
TWEETS = {f"twitter:{t.id}" for t in (site.TWEET_PHOTO, site.TWEET_VIDEO, site.TWEET_DELETED)}
POSTS = TWEETS | {f"youtube:{site.YOUTUBE.id}"}
FAST = {"ARCHIVER_CLAIM_TTL": "3", "ARCHIVER_HOST_TTL": "3"}  # a dead holder's claim and host lock free themselves within seconds



def module_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    """A fake web for one test module, made a module-scoped fixture there (`web`)."""
    with FakeWeb(tmp_path_factory.mktemp("web")) as w:
        yield w


SLOW = "/2024/slow-report.html"


def _seeds(tmp: Path, web: FakeWeb) -> tuple[Path, str]:
    slow = web.drip(SLOW, 2000, 800)  # two and a half seconds a load: time to kill its worker
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


