"""Opt-in checks against the real internet: `ARCHIVER_LIVE_TESTS=1 .venv/bin/pytest tests/test_live.py`.

Skipped by default and in CI (these machines have no internet). They check what docs/platforms.md
lists as unverified against the live services: whether the syndication token and oEmbed still answer as the
offline tests assume. A failure here means a platform changed, not that the offline suite is wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.environ.get("ARCHIVER_LIVE_TESTS") != "1", reason="live tests are opt-in: ARCHIVER_LIVE_TESTS=1"),
]

# A long-lived public post: the campaign account's "Four more years." (2012-11-07).
LIVE_TWEET = "266031293945503744"


def test_syndication_and_oembed_answer_for_a_public_post() -> None:
    from archiver.net import NetOptions
    from archiver.platforms.twitter import syndication as twitter

    with NetOptions().httpx_client() as client:
        synd = twitter.fetch_syndication(client, LIVE_TWEET)
        oembed = twitter.fetch_oembed(client, f"https://twitter.com/BarackObama/status/{LIVE_TWEET}")
    assert synd.kind == "tweet", (synd.status, synd.error)
    data = twitter.parse_tweet(synd.json or {})
    assert data.handle and data.handle.lower() == "barackobama"
    assert data.posted_at and data.posted_at.startswith("2012-11-07")
    assert oembed.ok, (oembed.status, oembed.error)


def test_archive_a_real_post_end_to_end(tmp_path: Path) -> None:
    page = tmp_path / "article.html"
    page.write_text(
        '<blockquote class="twitter-tweet"><p>Four more years.</p>&mdash; Barack Obama (@BarackObama) '
        f'<a href="https://twitter.com/BarackObama/status/{LIVE_TWEET}">November 7, 2012</a></blockquote>')
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "archive", str(page), "--archive-dir",
                        str(tmp_path / "a"), "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    (result,) = json.loads(r.stdout)["results"]
    assert result["status"] == "live" and result["captures"] == 1


# --- Bluesky, Mastodon, Truth Social, Reddit: the answers docs/platforms.md marks unverified -------

def _live_client() -> Any:
    from archiver.net import NetOptions

    return NetOptions().httpx_client(user_agent="archiver-live-test/1 (+https://github.com)")


def test_bluesky_appview_answers_as_the_fake_web_does() -> None:
    from archiver.models import Post
    from archiver.platforms.bluesky.postcheck import API, probe

    with _live_client() as client:
        did = client.get(f"{API}com.atproto.identity.resolveHandle?handle=bsky.app").json()["did"]
        feed = client.get(f"{API}app.bsky.feed.getAuthorFeed?actor={did}&limit=1&filter=posts_no_replies").json()
        uri = feed["feed"][0]["post"]["uri"]
        rkey = uri.rsplit("/", 1)[1]
        live = probe(Post("bluesky", "linked", "live", "a[href]", post_id=rkey,
                          url=f"https://bsky.app/profile/bsky.app/post/{rkey}", handle="bsky.app"), client)
        missing = client.get(f"{API}app.bsky.feed.getPostThread?uri=at://{did}/app.bsky.feed.post/3aaaaaaaaaaaa")
    assert live.status == "live" and live.fields.get("handle") == "bsky.app", live.reason
    assert (missing.status_code, missing.json().get("error")) == (400, "NotFound")


def test_mastodon_status_api_answers_as_the_fake_web_does() -> None:
    with _live_client() as client:
        account = client.get("https://mastodon.social/api/v1/accounts/lookup?acct=Gargron").json()
        statuses = client.get(f"https://mastodon.social/api/v1/accounts/{account['id']}/statuses?limit=5").json()
        status = client.get(f"https://mastodon.social/api/v1/statuses/{statuses[0]['id']}")
        missing = client.get("https://mastodon.social/api/v1/statuses/100000000000000001")
    assert status.status_code == 200 and status.json()["account"]["acct"] == "Gargron"
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})


def test_truth_social_status_api_answers_with_a_mapped_code() -> None:
    with _live_client() as client:
        missing = client.get("https://truthsocial.com/api/v1/statuses/100000000000000001")
    # 404 "Record not found" (Mastodon's answer), 401 (login for the whole API) or a 403 challenge.
    assert missing.status_code in (401, 403, 404), missing.status_code


def test_reddit_listing_carries_removed_by_category() -> None:
    with _live_client() as client:
        top = client.get("https://www.reddit.com/r/announcements/top.json?limit=1&t=all")
        if top.status_code in (403, 429):
            pytest.skip(f"Reddit turned this anonymous client away (HTTP {top.status_code})")
        pid = top.json()["data"]["children"][0]["data"]["id"]
        listing = client.get(f"https://www.reddit.com/comments/{pid}/.json", follow_redirects=True)
    post = listing.json()[0]["data"]["children"][0]["data"]
    assert "removed_by_category" in post and post["id"] == pid
