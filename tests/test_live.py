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
