"""Opt-in checks of the video and embed-page platforms against the real internet.

`ARCHIVER_LIVE_TESTS=1 .venv/bin/pytest tests/test_live_platforms.py`. Skipped by default and in CI
(these machines have no internet). They check what docs/platforms.md marks UNVERIFIED for these
platforms: that oEmbed, the watch/player pages and the embed pages still answer and read as the
offline tests assume. Posts without a long-lived public example are named by environment
variables (`ARCHIVER_LIVE_INSTAGRAM`, `_FACEBOOK`, `_THREADS`, `_LINKEDIN`: a public post's URL);
a missing one skips its test. A failure means a platform changed, not that the offline suite is wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from archiver.platforms.capture import Probe

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.environ.get("ARCHIVER_LIVE_TESTS") != "1", reason="live tests are opt-in: ARCHIVER_LIVE_TESTS=1"),
]


@dataclass(frozen=True)
class Ref:
    key: str
    platform: str
    post_id: str | None
    url: str | None
    handle: str | None = None


# Long-lived public posts: YouTube's first video, the video of Vimeo's and TikTok's oEmbed
# documentation, and Telegram's announcement of its post widget.
LIVE = {
    "youtube": Ref("youtube:jNQXAC9IVRw", "youtube", "jNQXAC9IVRw", "https://www.youtube.com/watch?v=jNQXAC9IVRw"),
    "vimeo": Ref("vimeo:76979871", "vimeo", "76979871", "https://vimeo.com/76979871"),
    "tiktok": Ref("tiktok:6718335390845095173", "tiktok", "6718335390845095173",
                  "https://www.tiktok.com/@scout2015/video/6718335390845095173", "scout2015"),
    "telegram": Ref("telegram:telegram/83", "telegram", "telegram/83", "https://t.me/telegram/83", "telegram"),
}


def _probe(ref: Ref) -> Probe:
    from archiver.net import NetOptions
    from archiver.platforms import BY_NAME

    check = BY_NAME[ref.platform].post_check()
    assert check is not None
    with NetOptions().httpx_client() as client:
        return check.probe(ref, client)


@pytest.mark.parametrize("platform", sorted(LIVE))
def test_a_public_post_reads_as_live_with_its_fields(platform: str) -> None:
    found = _probe(LIVE[platform])
    assert found.status == "live", found.reason
    fields = found.fields
    assert fields.get("text") or fields.get("author"), fields
    assert found.media, "no picture found"


def test_a_missing_youtube_video_is_named_in_youtubes_words() -> None:
    found = _probe(Ref("youtube:xxxxxxxxxxx", "youtube", "xxxxxxxxxxx", "https://www.youtube.com/watch?v=xxxxxxxxxxx"))
    assert found.status in ("unavailable", "deleted"), found.reason
    assert "unavailable" in (found.reason or "").lower()


@pytest.mark.parametrize(("platform", "variable"), [
    ("instagram", "ARCHIVER_LIVE_INSTAGRAM"), ("facebook", "ARCHIVER_LIVE_FACEBOOK"),
    ("threads", "ARCHIVER_LIVE_THREADS"), ("linkedin", "ARCHIVER_LIVE_LINKEDIN"),
])
def test_an_embed_page_shows_the_public_post_it_is_given(platform: str, variable: str) -> None:
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{variable} names no public post")
    from archiver.platforms import match_url

    found = match_url(url)
    assert found is not None and found[0].name == platform
    post = _probe(Ref(f"{platform}:{found[1].post_id}", platform, found[1].post_id, found[1].url, found[1].handle))
    assert post.status == "live", post.reason
    assert post.fields.get("text"), post.fields
