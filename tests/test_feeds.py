"""Feeds given as sources or seeds (RSS, Atom, sitemaps): what one feed adds to a run is bounded
(`--max-feed-articles`, the newest where the feed dates them), and what is left out is said."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import ROOT, cli
from tests.fakeweb import FakeWeb, site

FEED = "https://news.example/feed.xml"  # the fake news site's RSS: its five articles, each with its <pubDate>
# The two newest of them, in the feed's order.
NEWEST = [site.ARTICLE_WITHHELD, site.ARTICLE_REVIEW]


def _scan(web: FakeWeb, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "archiver.cli", "scan", *args, "--map-host", web.map_host,
                           "--ca-bundle", str(web.ca_pem), "--format", "jsonl"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, **(env or {})})


def _note(feed: str, taken: int, left_out: int, bound: int) -> str:
    return (f"archiver: {feed}: {left_out} of its {taken + left_out} articles left out, {taken} taken (the newest "
            f"where dated; --max-feed-articles {bound} is the bound, raise it for more)")


def test_scan_takes_the_newest_articles_of_a_feed_up_to_the_bound(tmp_path: Path) -> None:
    with FakeWeb(tmp_path / "web") as web:
        bounded = _scan(web, FEED, "--max-feed-articles", "2")
        from_env = _scan(web, FEED, env={"ARCHIVER_MAX_FEED_ARTICLES": "2"})
        whole = _scan(web, FEED)
    for r in (bounded, from_env):
        assert r.returncode == 0, r.stderr
        assert {json.loads(line)["source"] for line in r.stdout.splitlines()} == {a.url for a in NEWEST}
        assert _note(FEED, 2, 3, 2) in r.stderr.splitlines()
    assert whole.returncode == 0, whole.stderr
    assert {json.loads(line)["source"] for line in whole.stdout.splitlines()} == {a.url for a in site.ARTICLES.values()}
    assert "left out" not in whole.stderr  # the default bound cuts no news feed


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_a_bound_that_is_no_positive_count_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", FEED, f"--max-feed-articles={bad}"],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("archiver: --max-feed-articles") and ("x>=1" in r.stderr or "expected an integer" in r.stderr)


@pytest.mark.browser
def test_archive_takes_the_newest_articles_of_a_feed_up_to_the_bound(tmp_path: Path) -> None:
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", FEED, "--format", "json", "--max-feed-articles", "2", archive=tmp_path / "archive")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["feeds"], summary["articles"], summary["feed_articles_left_out"]) == (1, 2, 3)
    assert [row["key"] for row in summary["results"]] == [
        f"twitter:{t}" for t in (site.TWEET_WITHHELD.id, site.TWEET_PHOTO.id, site.TWEET_DELETED.id)]
    assert _note(FEED, 2, 3, 2) in r.stderr.splitlines()


@pytest.mark.browser
def test_run_takes_the_newest_articles_of_a_feed_file_up_to_the_bound(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    listed = [site.ARTICLE_FLOOD, site.ARTICLE_PROTECTED, site.ARTICLE_WIRE]
    (seeds / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{a.url}</loc><lastmod>{a.published}</lastmod></url>" for a in listed) + "</urlset>")
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=tmp_path / "archive",
                env={"ARCHIVER_MAX_FEED_ARTICLES": "1"})
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["articles"], summary["feed_articles_left_out"]) == (1, 2)
    assert [row["key"] for row in summary["results"]] == [f"twitter:{site.TWEET_PROTECTED.id}"]  # the newest's
    assert _note(str(seeds / "sitemap.xml"), 1, 2, 1) in r.stderr.splitlines()
