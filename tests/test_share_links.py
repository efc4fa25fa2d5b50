"""Share links (TikTok's `vm.tiktok.com/CODE`, `vt.tiktok.com/CODE`, `www.tiktok.com/t/CODE`; Reddit's
`reddit.com/r/SUB/s/CODE`): found in articles as links and as bare text, followed hop by hop to the
post they stand for, which is then captured like any other; a link that leads to no post is no post.
Real CLI, browser and fake web."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.detect import detect
from archiver.models import Document
from tests.e2e import cli
from tests.fakeweb import reddit, video
from tests.fakeweb.server import FakeWeb
from tests.platform_run import PlatformRun, archive_run, requests_missing_from_warc

STORY = "/2024/harbour-shared.html"
VIDEO = "tiktok:7350000000000000004"
THREAD = f"reddit:{reddit.LIVE_ID}"
ARTICLE = ("<!doctype html><html><head><title>Shared from the app</title></head><body><h1>What readers sent</h1>"
           '<p>A reader filmed <a href="https://vm.tiktok.com/ZMshare01/">the pier at dawn</a>.</p>'
           "<p>Another sent the same clip as www.tiktok.com/t/ZTshare02/ in a message.</p>"
           '<p>A third link <a href="https://vt.tiktok.com/ZSnovideo/">no longer shows a video</a>.</p>'
           f'<p>The <a href="https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1">thread</a> where it was posted, '
           f"and another now gone: reddit.com/r/{reddit.SUB}/s/Rv8gone00</p>"
           "</body></html>")


def test_share_links_are_found_as_links_and_as_text() -> None:
    posts = detect(Document(source="a.html", text=ARTICLE, is_html=True))
    assert [(p.platform, p.kind, p.links, p.key.startswith(p.platform + ":h:")) for p in posts] == [
        ("tiktok", "shortlink", ["https://vm.tiktok.com/ZMshare01"], True),
        ("tiktok", "shortlink", ["www.tiktok.com/t/ZTshare02"], True),
        ("tiktok", "shortlink", ["https://vt.tiktok.com/ZSnovideo"], True),
        ("reddit", "shortlink", [f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1"], True),
        ("reddit", "shortlink", [f"reddit.com/r/{reddit.SUB}/s/Rv8gone00"], True),
    ]
    # One link however it is spelt: with or without its scheme, with or without "www.".
    again = detect(Document(source="b.txt", text="vm.tiktok.com/ZMshare01 and tiktok.com/t/ZTshare02", is_html=False))
    assert [p.key for p in again] == [posts[0].key, posts[1].key]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformRun]:
    tmp = tmp_path_factory.mktemp("shares")
    with FakeWeb(tmp / "web", handlers={**video.HANDLERS, **reddit.HANDLERS}) as web:
        yield archive_run(web, tmp / "archive", STORY, ARTICLE)


@pytest.mark.browser
def test_both_links_to_the_video_are_one_captured_post(run: PlatformRun) -> None:
    assert run.exit_code == 0, run.stderr
    assert run.statuses() == {VIDEO: ("live", "oEmbed answered 200"), THREAD: ("live", "the listing returned the post")}
    assert run.lookup("tiktok") == {VIDEO: ("harbourcam", "Harbour Cam", "2024-03-24T18:33:50.000Z",
                                            "The pier at dawn, shared from the app")}
    post = run.show(VIDEO)
    assert [(a["url"], a["kind"]) for a in post["articles"]] == [(f"https://news.example{STORY}", "linked")]
    assert [c["status"] for c in post["captures"]] == ["live"]


@pytest.mark.browser
def test_each_hop_is_in_the_warc_and_the_link_finds_the_post(run: PlatformRun) -> None:
    assert requests_missing_from_warc(run) == []
    for hop in ("https://vm.tiktok.com/ZMshare01/", "https://www.tiktok.com/t/ZTshare02/",
                "https://vt.tiktok.com/ZSnovideo/", f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1",
                f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8gone00"):
        assert run.warc_status(hop) == 301, hop
    assert run.show("https://vm.tiktok.com/ZMshare01/")["key"] == VIDEO
    assert run.show("www.tiktok.com/t/ZTshare02")["key"] == VIDEO
    assert run.show(f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1")["key"] == THREAD


@pytest.mark.browser
@pytest.mark.parametrize(("link", "key"), [("https://vm.tiktok.com/ZMshare01/", VIDEO),
                                           (f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1", THREAD)])
def test_a_share_link_given_as_a_source_is_its_post(run: PlatformRun, tmp_path: Path, link: str, key: str) -> None:
    r = cli(run.web, "archive", link, "--format", "json", archive=tmp_path / "a")
    assert r.returncode == 0, r.stderr
    assert [(p["key"], p["status"]) for p in json.loads(r.stdout)["results"]] == [(key, "live")]
