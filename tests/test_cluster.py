"""The cluster end to end, from the command line: two `archiver worker` processes on a test Redis
and a test PostgreSQL index, `archiver run --broker … --index …` as the scheduler.

Eleven articles citing seven posts (several cited by more than one article): the summary and
`lookup --format json` equal those of the same run on one machine with the archive's SQLite index,
every post is captured exactly once (the fake web's request log), nothing goes to a SQLite file,
and the WARC files are whole.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import Workers, run_argv
from tests.e2e import cli, lookup, warc_files, warcio_check
from tests.fakeweb import FakeWeb, pages, site
from tests.parity import _strip

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

# Five more pages citing the posts of the site's articles again, by embed or by link.
EXTRA = [
    site.Article(f"/2024/cluster-{n}.html", f"Flood follow-up {n}", "2024-03-10T10:00:00+00:00", "Desk",
                 "A follow-up.", (("p", "As reported earlier:"), ("tweet", tweet), ("p", "More soon.")))
    for n, tweet in enumerate([site.TWEET_PHOTO.id, site.TWEET_VIDEO.id, site.TWEET_DELETED.id,
                               site.TWEET_PROTECTED.id, site.TWEET_WITHHELD.id], 1)
]


def seed(tmp: Path, web: FakeWeb) -> Path:
    for article in EXTRA:
        web.set_state(("article", article.path), pages.article_html(article))
    seeds = tmp / "seeds"
    seeds.mkdir(exist_ok=True)
    urls = [a.url for a in site.ARTICLES.values()] + [f"https://news.example{site.WIRE_TEXT_PATH}"]
    urls += [a.url for a in EXTRA]
    (seeds / "news.urls").write_text("\n".join(urls) + "\n")
    return seeds


def tool_requests(web: FakeWeb, start: int = 0) -> Counter[str]:
    """Syndication API requests the tool itself made (not the embed widgets in article pages)."""
    return Counter(e["path"] for e in web.log[start:] if e["host"] == "cdn.syndication.twimg.com"
                   and "Mozilla" not in e["headers"].get("user-agent", ""))


def s_specs(seeds: Path) -> list[str]:
    return (seeds / "news.urls").read_text().split()


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in _strip(summary).items() if k != "run_id"}


def test_two_workers_give_the_local_answers(tmp_path: Path, broker: str, postgres_url: str) -> None:
    # `broker`: the session's Redis emptied, so that no task another test left queued reaches these workers.
    import subprocess

    from archiver.index import open_index
    from tests.e2e import ROOT

    with FakeWeb(tmp_path / "web") as web:
        seeds = seed(tmp_path, web)
        local = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=tmp_path / "local")
        assert local.returncode == 0, local.stderr
        start = len(web.log)
        archive = tmp_path / "cluster"
        with Workers(web, broker, archive, 2, "--log-format", "json", index=postgres_url) as workers:
            workers.wait_ready()
            r = subprocess.run(run_argv(web, broker, postgres_url, seeds, archive), cwd=ROOT,
                               capture_output=True, text=True, timeout=600)
            assert r.returncode == 0, r.stderr + workers.output()
        s = json.loads(r.stdout)
        assert s["articles"] == 11 and s["articles_failed"] == 0 and not s["failures"]
        assert comparable(s) == comparable(json.loads(local.stdout))
        # Each tweet asked of the syndication API once, although articles handled by two workers cite them.
        synd = tool_requests(web, start)
        assert len(synd) == 6 and all(n == 1 for n in synd.values()), synd
        answers = lookup(web, archive, "--index", postgres_url)
        assert _strip(answers) == _strip(lookup(web, tmp_path / "local"))
        for row in answers:
            assert len([c for c in row["captures"] if c["source"] == "live"]) <= 1, row
        v = cli(web, "verify", "--index", postgres_url, archive=archive)
        assert v.returncode == 0, v.stdout + v.stderr
    assert not (archive / "archive.db").exists()  # nothing went to a SQLite file beside the WARCs
    with open_index(archive, url=postgres_url, create=False) as index:
        assert index.unfinished_runs() == []
    # One JSON line per task handled, with its id, what it was on and how it ended.
    lines = [json.loads(line) for log in workers.logs for line in log.read_text().splitlines()
             if line.startswith("{")]
    assert not [line for log in workers.logs for line in log.read_text().splitlines()
                if line.startswith("archiver:")]
    tasks = [line for line in lines if "task_id" in line]
    # Celery's advice to use a --uid option this command does not have is not passed on; a worker
    # running as root (as CI's do) says what to do instead.
    assert not [line for line in lines if "--uid" in line.get("message", "")]
    if os.geteuid() == 0:
        assert [line for line in lines if "runs as root" in line.get("message", "")]
    # A second delivery of a task, should one happen, is answered from the first one's stored answer
    # and says so: one handled line per task, whatever the deliveries.
    handled = [t for t in tasks if t["outcome"] != "answered by an earlier delivery"]
    assert sorted(t["task"] for t in handled) == sorted([f"article:{a}" for a in s_specs(seeds)] +
                                                      [f"post:{p['key']}" for p in s["results"]])
    assert all(t["outcome"] and t["seconds"] >= 0 for t in tasks)
    files = warc_files(archive)
    assert not list((archive / "warcs").glob("*.open"))
    for f in files:
        assert warcio_check(f).returncode == 0, f
    # Two worker processes wrote, each its own files, named after host and process.
    assert len({f.name.split("-")[2] for f in files}) == 2, files
