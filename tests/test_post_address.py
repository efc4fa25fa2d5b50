"""A post's own address given as a source: the post itself, not an article that cites nothing.

`archive` with a tweet's status URL (and a YouTube short URL) in real Chromium against the local
fake web: the posts are captured as every post is, once even when an article given beside them
cites one too, and no article is made of their addresses. `scan` lists such a post without
fetching anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from archiver.detect import post_at_address
from tests.e2e import ROOT, cli
from tests.fakeweb import FakeWeb, site


@pytest.mark.parametrize(("url", "key"), [
    (site.TWEET_WITHHELD.status_url, f"twitter:{site.TWEET_WITHHELD.id}"),
    (f"{site.TWEET_PROTECTED.x_url}?s=20", f"twitter:{site.TWEET_PROTECTED.id}"),
    (f"https://youtu.be/{site.YOUTUBE.id}", f"youtube:{site.YOUTUBE.id}"),
    (f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_PHOTO.id}", f"twitter:{site.TWEET_PHOTO.id}"),
    (f"https://mastodon.social/@someone/{site.TWEET_PHOTO.id}", f"mastodon:mastodon.social/{site.TWEET_PHOTO.id}"),
])
def test_a_posts_address_is_that_post(url: str, key: str) -> None:
    post = post_at_address(url)
    assert post is not None and post.key == key
    assert (post.kind, post.evidence, post.source) == ("linked", "address", url)


@pytest.mark.parametrize("url", [
    site.ARTICLE_FLOOD.url,
    f"https://twitter.com/{site.TRUTH.screen_name}",  # a profile
    "https://blog.example/@someone/1764718078373491923",  # a post's shape on a host no platform owns
    "https://t.co/Qm4Lp2XvBn",  # a short link: where it leads is learnt by following it
])
def test_other_addresses_are_not_posts(url: str) -> None:
    assert post_at_address(url) is None


def test_scan_lists_the_post_without_fetching_it() -> None:
    # Every name is sent to a closed loopback port: a fetch would fail the source.
    closed = ["--map-host", "*=127.0.0.1:9"]
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", site.TWEET_WITHHELD.status_url, *closed,
                        "--format", "jsonl"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    (row,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert (row["key"], row["handle"], row["source"]) == (
        f"twitter:{site.TWEET_WITHHELD.id}", site.TRUTH.screen_name, site.TWEET_WITHHELD.status_url)
    assert r.stderr.strip().endswith("1 post(s) in 1 source(s)")


@pytest.mark.browser
def test_archive_captures_a_posts_address_as_that_post(tmp_path: Any) -> None:
    archive = tmp_path / "archive"
    withheld, protected = f"twitter:{site.TWEET_WITHHELD.id}", f"twitter:{site.TWEET_PROTECTED.id}"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", site.TWEET_WITHHELD.status_url, site.ARTICLE_PROTECTED.url,
                f"{site.TWEET_PROTECTED.x_url}?s=20", "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert (summary["articles"], summary["post_addresses"]) == (1, 2)
        # The protected post, cited by the article and given by its address, is captured once.
        assert {row["key"]: row["status"] for row in summary["results"]} == {
            withheld: "withheld", protected: "protected"}
        assert "0 already held" in r.stderr and "1 article(s), 2 post(s)" in r.stderr
        shown = {}
        for key in (withheld, protected):
            out = cli(web, "show", key, "--format", "json", archive=archive)
            assert out.returncode == 0, out.stderr
            shown[key] = json.loads(out.stdout)
        assert shown[withheld]["articles"] == []  # nothing cites it: no article was made of its address
        assert [a["url"] for a in shown[protected]["articles"]] == [site.ARTICLE_PROTECTED.url]
        assert all(shown[k]["captures"] for k in shown)
        held = cli(web, "lookup", "--format", "json", "--article", site.TWEET_WITHHELD.status_url, archive=archive)
        assert held.returncode == 0 and json.loads(held.stdout) == []
        again = cli(web, "archive", site.TWEET_WITHHELD.status_url, "--format", "json", archive=archive)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["posts_skipped_already_captured"] == 1
