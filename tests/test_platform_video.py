"""YouTube, Vimeo and TikTok captured in depth, end to end: one `archiver archive` of an article
embedding a live, a gone and a not-public video of each (and YouTube's age gate and bot wall).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e import cli
from tests.fakeweb import archived, video
from tests.fakeweb.server import FakeWeb
from tests.platform_run import PlatformRun, archive_run, requests_missing_from_warc

STORY = "/2024/harbour-videos.html"
_YT = ("yLiveVid001", "yDeleted001", "yRemoved001", "yPrivate001", "yAgeGate001", "yBotWall001")
_VIMEO = ("100000001", "100000002", "100000003")
_TIKTOK = ("7350000000000000001", "7350000000000000002", "7350000000000000003")
ARTICLE = ("<!doctype html><html><head><title>Harbour videos</title></head><body><h1>The harbour on video</h1>"
           + "".join(f'<p>Clip {v}:</p><iframe src="https://www.youtube.com/embed/{v}" width=480 height=270></iframe>'
                     for v in _YT)
           + "".join(f'<p>Film {v}:</p><iframe src="https://player.vimeo.com/video/{v}" width=480 height=270></iframe>'
                     for v in _VIMEO)
           + "".join(f'<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@harbourcam/video/{v}" '
                     f'data-video-id="{v}"><section><a href="https://www.tiktok.com/@harbourcam">@harbourcam</a></section>'
                     "</blockquote>" for v in _TIKTOK)
           + "</body></html>")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformRun]:
    tmp = tmp_path_factory.mktemp("video")
    with FakeWeb(tmp / "web", handlers={**video.HANDLERS, **archived.HANDLERS}) as web:
        yield archive_run(web, tmp / "archive", STORY, ARTICLE)


def test_each_video_gets_the_status_its_platform_gives_with_its_words(run: PlatformRun) -> None:
    # The bot wall is "unavailable": the run names it as a failure (exit 1), the rest is done.
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.statuses() == {
        "youtube:yLiveVid001": ("live", "oEmbed answered 200 and the video page shows the video"),
        "youtube:yDeleted001": ("deleted", "Video unavailable. This video has been removed by the uploader "
                                           "(oEmbed answered 404)"),
        "youtube:yRemoved001": ("removed", "Video unavailable. This video has been removed for violating YouTube's "
                                           "Community Guidelines (oEmbed answered 404)"),
        "youtube:yPrivate001": ("protected", "This video is private (oEmbed answered 401)"),
        "youtube:yAgeGate001": ("age_restricted", "Sign in to confirm your age. This video may be inappropriate for "
                                                  "some users"),
        "youtube:yBotWall001": ("unavailable", "Sign in to confirm you’re not a bot. This helps protect our community"),
        "vimeo:100000001": ("live", "oEmbed answered 200 and the video page shows the video"),
        "vimeo:100000002": ("unavailable", "Sorry, this video does not exist. (oEmbed answered 404): Vimeo says so of an unlisted video asked without its privacy hash, which the address cited lacks (vimeo.com/ID/HASH): it may be live; gone only once a check found it there"),
        "vimeo:100000003": ("protected", "Because of its privacy settings, this video cannot be played here. "
                                         "(oEmbed answered 403)"),
        "tiktok:7350000000000000001": ("live", "oEmbed answered 200"),
        "tiktok:7350000000000000002": ("removed", "This video has been removed for violating our Community "
                                                  "Guidelines. (oEmbed answered 400)"),
        "tiktok:7350000000000000003": ("protected", "This video is private (oEmbed answered 400)"),
    }


@pytest.mark.parametrize(("platform", "expected"), [
    ("youtube", {
        "youtube:yLiveVid001": ("harbourchannel", "Harbour Channel", "2024-05-06T15:00:00.000Z",
                                "Harbour wall repairs, day one\n\nCrews start on the east wall."),
        # Recovered from its Wayback copy: the watch page as it was saved.
        "youtube:yDeleted001": ("harbourchannel", "Harbour Channel", "2024-02-20T09:00:00.000Z",
                                "Harbour wall, before the works\n\nThe wall as it stood in February."),
        # The age gate hides the video, not what oEmbed says of it.
        "youtube:yAgeGate001": ("harbourchannel", "Harbour Channel", None, "Storm surge footage (graphic)"),
        "youtube:yRemoved001": (None, None, None, None),
        "youtube:yPrivate001": (None, None, None, None),
        "youtube:yBotWall001": (None, None, None, None),
    }),
    ("vimeo", {
        "vimeo:100000001": ("harbourfilms", "Harbour Films", "2024-02-03T10:20:30.000Z", "Tide tables explained"),
        "vimeo:100000002": (None, None, None, None),
        "vimeo:100000003": (None, None, None, None),
    }),
    ("tiktok", {
        # TikTok's time is in its IDs, so every detected video has one.
        "tiktok:7350000000000000001": ("harbourcam", "Harbour Cam", "2024-03-24T18:33:50.000Z",
                                       "Waves over the pier #storm"),
        "tiktok:7350000000000000002": ("harbourcam", None, "2024-03-24T18:33:50.000Z", None),
        "tiktok:7350000000000000003": ("harbourcam", None, "2024-03-24T18:33:50.000Z", None),
    }),
])
def test_lookup_shows_what_each_platform_said(run: PlatformRun, platform: str, expected: dict[str, Any]) -> None:
    assert run.lookup(platform) == expected


@pytest.mark.parametrize(("key", "url", "size"), [
    ("youtube:yLiveVid001", "https://i.ytimg.com/vi/yLiveVid001/1280x720/maxresdefault.jpg", (1280, 720)),
    ("youtube:yAgeGate001", "https://i.ytimg.com/vi/yAgeGate001/1280x720/maxresdefault.jpg", (1280, 720)),
    ("vimeo:100000001", "https://i.vimeocdn.com/video/100000001/1280x720/thumb.jpg", (1280, 720)),
    ("tiktok:7350000000000000001", "https://p16-sign.tiktokcdn-us.com/obj/7350000000000000001/720x1280/cover.jpeg",
     (720, 1280)),
])
def test_the_largest_picture_is_saved_and_in_the_warc(run: PlatformRun, key: str, url: str,
                                                      size: tuple[int, int]) -> None:
    assert run.media(key) == [(url, size)]
    assert run.warc_status(url) == 200


def test_gone_videos_keep_no_media(run: PlatformRun) -> None:
    for key in ("youtube:yRemoved001", "youtube:yBotWall001", "vimeo:100000002", "tiktok:7350000000000000003"):
        assert run.media(key) == [], key


def test_a_wayback_copy_counts_only_for_the_video_it_recovered(run: PlatformRun) -> None:
    deleted = run.show("youtube:yDeleted001")
    assert [(c["source"], c["status"]) for c in deleted["captures"]] == [("live", "deleted"), ("wayback", "recovered")]
    assert deleted["captures"][1]["url"] == (
        f"https://web.archive.org/web/{archived.STAMP}/https://www.youtube.com/watch?v=yDeleted001")
    # Asked under the watch page and the embed player, found under the first.
    removed = run.show("youtube:yRemoved001")
    assert [c["source"] for c in removed["captures"]] == ["live"]


def test_every_request_the_web_saw_is_in_the_warc(run: PlatformRun) -> None:
    assert requests_missing_from_warc(run) == []
    asked = {e["host"] + e["path"].split("?")[0] for e in run.web_log}
    assert {"www.youtube.com/oembed", "www.youtube.com/watch", "vimeo.com/api/oembed.json", "www.tiktok.com/oembed",
            "player.vimeo.com/video/100000002", "www.tiktok.com/embed/v2/7350000000000000003"} <= asked


def test_lookup_filters_by_the_new_statuses(run: PlatformRun) -> None:
    r = cli(run.web, "lookup", "--status", "age_restricted", "--format", "json", archive=run.archive)
    assert r.returncode == 0, r.stderr
    assert "yAgeGate001" in r.stdout and "yLiveVid001" not in r.stdout


def test_a_vimeo_video_rebuilt_from_partial_history_is_re_checked_by_its_canonical_url(tmp_path: Any) -> None:
    """A Vimeo video whose first journal entry went with its lost WARC files is rebuilt by `reindex`
    from its later entries: it gets the address Vimeo's canonical rule builds from its ID, as the
    other platforms' videos do, so the next run's re-check asks about it (live), not "not checked"."""
    import shutil

    from tests.e2e import warc_files

    vid = "100000001"
    key = f"vimeo:{vid}"
    article = f'<!doctype html><title>Tides</title><iframe src="https://player.vimeo.com/video/{vid}"></iframe>'
    archive, seeds = tmp_path / "archive", tmp_path / "seeds"
    seeds.mkdir()
    with FakeWeb(tmp_path / "web", handlers={**video.HANDLERS, **archived.HANDLERS}) as web:
        first = archive_run(web, archive, "/2024/tides.html", article)
        assert first.statuses()[key][0] == "live", first.stderr
        first_files = [path.name for path in warc_files(archive)]
        (seeds / "news.urls").write_text("https://news.example/2024/tides.html\n")
        second = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", archive=archive)
        assert second.returncode == 0, second.stderr
        for name in first_files:
            (archive / "warcs" / name).unlink()
        rebuilt = cli(web, "reindex", "--force", archive=archive)
        assert rebuilt.returncode == 1 and key in rebuilt.stderr, rebuilt.stderr
        shown = json.loads(cli(web, "show", key, "--format", "json", archive=archive).stdout)
        assert shown["url"] == f"https://vimeo.com/{vid}", shown
        # No seeds: the article, whose embed would give the address back, is not read again.
        shutil.rmtree(seeds)
        seeds.mkdir()
        (seeds / "none.urls").write_text("")
        again = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=archive)

    assert f"{key}: not checked" not in again.stderr, again.stderr
    results = {r["key"]: r for r in json.loads(again.stdout)["results"]}
    assert (results[key]["status"], results[key]["checked"]) == ("live", True), results[key]
