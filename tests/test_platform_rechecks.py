"""Re-checks that must ask about the post the archive holds, whatever became of the address an
article wrote: a Bluesky author who changed handle since (the DID the platform answered with
names them still)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.e2e import cli
from tests.fakeweb import bluesky as bsky
from tests.fakeweb import video
from tests.fakeweb.server import FakeWeb
from tests.platform_run import archive_run, every_platform

pytestmark = pytest.mark.browser

DESK, LIVE = bsky.DESK, bsky.LIVE


def _recheck(web: FakeWeb, archive: Path, story: str, tmp: Path) -> list[dict[str, object]]:
    seeds = tmp / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "story.urls").write_text(f"https://news.example{story}\n")
    again = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=archive)
    assert "Traceback" not in again.stderr, again.stderr
    results: list[dict[str, object]] = json.loads(again.stdout)["results"]
    return results


def test_a_bluesky_post_stays_live_when_its_author_changed_handle(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The article names the author by the handle of the day; once the author takes another one,
    resolveHandle no longer knows the old one (InvalidRequest). The re-check asks by the DID the
    first answer gave, and the post is what it was: live."""
    story = "/2024/bluesky-renamed.html"
    key = f"bluesky:{LIVE.rkey}"
    article = (f'<!doctype html><title>Levee</title><p>The desk posted '
               f'<a href="https://bsky.app/profile/{DESK.handle}/post/{LIVE.rkey}">an update</a>.</p>')
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        first = archive_run(web, tmp_path / "archive", story, article)
        assert first.statuses()[key] == ("live", "getPostThread returned the post"), first.stderr

        renamed = replace(DESK, handle="desk.riverton.example")
        monkeypatch.setitem(bsky.ACCOUNTS, DESK.did, renamed)
        monkeypatch.setitem(bsky.POSTS, (DESK.did, LIVE.rkey), replace(LIVE, account=renamed))
        start = len(web.log)
        results = _recheck(web, tmp_path / "archive", story, tmp_path)
        asked = [e["host"] + e["path"] for e in web.log[start:]]

    assert {r["key"]: (r["status"], r["reason"]) for r in results if r["key"] == key} == {
        key: ("live", "getPostThread returned the post")}, results
    assert not [a for a in asked if "resolveHandle" in a], asked  # the DID is known: no handle to resolve


def test_an_unlisted_vimeo_video_held_without_its_hash_is_rechecked_with_it(tmp_path: Path) -> None:
    """A first article links the video bare (Vimeo then knows no such video: "does not exist"); a
    later one embeds its player with the privacy hash. The index takes the address with the hash,
    and the re-check asks oEmbed and the player with it: the video is live."""
    vid, secret = "100000004", video.VIMEO["100000004"].secret
    key = f"vimeo:{vid}"
    bare = f'<!doctype html><title>Dredging</title><p><a href="https://vimeo.com/{vid}">The film</a>.</p>'
    embedded = (f'<!doctype html><title>Dredging, again</title><p><a href="https://vimeo.com/{vid}">The film</a>:</p>'
                f'<iframe src="https://player.vimeo.com/video/{vid}?h={secret}" width=640 height=360></iframe>')
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        first = archive_run(web, tmp_path / "archive", "/2024/dredging.html", bare)
        assert first.statuses()[key][0] == "deleted", first.statuses()  # what Vimeo says without the hash
        later = archive_run(web, tmp_path / "archive", "/2024/dredging-again.html", embedded)
        assert later.exit_code in (0, 1), later.stderr
        assert later.rows("vimeo")[key]["url"] == f"https://vimeo.com/{vid}/{secret}"
        start = len(web.log)
        results = _recheck(web, tmp_path / "archive", "/2024/dredging-again.html", tmp_path)
        asked = [e["host"] + e["path"] for e in web.log[start:]]

    assert {r["key"]: r["status"] for r in results if r["key"] == key} == {key: "live"}, results
    oembed = [a for a in asked if a.startswith("vimeo.com/api/oembed.json")]
    assert oembed and all(secret in a for a in oembed), asked
    assert f"player.vimeo.com/video/{vid}?h={secret}" in asked, asked
