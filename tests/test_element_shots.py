"""Element screenshots: one per element however many selectors match it, each with its words.

A real Chromium renders the fake web's flood article (three tweets and a YouTube embed, where the
tweet iframes match both of Twitter's selectors) and a tweet's embed page; the capture-info record
names every element screenshot with the text the element showed when it was shot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.browser import Browser, PageCapture
from archiver.net import NetOptions
from archiver.pipeline.articles import EMBED_ELEMENT_SELECTORS
from archiver.platforms.twitter.postcheck import TWEET_SELECTORS
from archiver.report.model import png_size
from archiver.warcstore import Batch, WarcStore
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

LIVE_TWEETS = (site.TWEET_PHOTO, site.TWEET_VIDEO)


def _words(text: str) -> str:
    """The part of a tweet's text an embed shows as it is (its trailing t.co link is rewritten)."""
    return text.split("https://t.co/")[0].strip()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("shots")
    with FakeWeb(tmp / "web") as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None)
        with Browser(net, workdir=tmp / "browser", timeout=30) as browser, \
                WarcStore(tmp / "warc", prefix="test") as store:
            article = browser.capture(site.ARTICLE_FLOOD.url, Batch(store), screenshot_path=tmp / "a.png",
                                      element_selectors=EMBED_ELEMENT_SELECTORS, element_dir=tmp / "a")
            embed_url = f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_PHOTO.id}"
            embed = browser.capture(embed_url, Batch(store), screenshot_path=tmp / "e.png",
                                    element_selectors=TWEET_SELECTORS, element_dir=tmp / "e")
        yield {"article": article, "embed": embed, "info": _capture_infos(tmp / "warc"),
               "resources": _resources(tmp / "warc")}


def _capture_infos(directory: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                if rec.rec_type == "metadata" and uri.startswith("urn:capture-info:"):
                    out[uri.removeprefix("urn:capture-info:")] = json.loads(rec.content_stream().read())
    return out


def _resources(directory: Path) -> dict[str, str]:
    """Record id -> target URI of every resource record."""
    out = {}
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "resource":
                    out[rec.rec_headers.get_header("WARC-Record-ID")] = rec.rec_headers.get_header("WARC-Target-URI")
    return out


def test_an_iframe_two_selectors_match_is_shot_once(rendered: dict[str, Any]) -> None:
    page: PageCapture = rendered["article"]
    assert page.status == 200, page.errors
    # Both Twitter selectors match each tweet iframe: three tweets and one video, four shots.
    frames = [e.frame_url or "" for e in page.elements]
    assert len(frames) == 4 == len(set(frames)), frames
    assert [sum(tid in f for f in frames) for tid in site.ARTICLE_FLOOD.tweet_ids] == [1, 1, 1]
    assert sum(site.YOUTUBE.id in f for f in frames) == 1
    assert len({e.sha256 for e in page.elements}) == 4
    assert len({e.path for e in page.elements}) == 4


def test_each_element_shot_records_the_posts_text(rendered: dict[str, Any]) -> None:
    page: PageCapture = rendered["article"]
    elements = json.loads(rendered["info"][site.ARTICLE_FLOOD.url]["elements"])
    assert [e["sha256"] for e in elements] == [e.sha256 for e in page.elements]
    # Each entry names the screenshot's own resource record.
    resources: dict[str, str] = rendered["resources"]
    assert [resources[e["record"]] for e in elements] == [f"urn:screenshot:{e['frame-url']}" for e in elements]
    for tweet in LIVE_TWEETS:
        (entry,) = [e for e in elements if tweet.id in e["frame-url"]]
        assert _words(tweet.text) in entry["text"]
    (video,) = [e for e in elements if site.YOUTUBE.id in e["frame-url"]]
    assert site.YOUTUBE.title in video["text"]


def test_the_embed_pages_element_holds_the_post(rendered: dict[str, Any]) -> None:
    page: PageCapture = rendered["embed"]
    assert page.status == 200, page.errors
    (shot,) = page.elements
    assert shot.selector == "article" and shot.frame_url is None
    assert _words(site.TWEET_PHOTO.text) in shot.text
    (entry,) = json.loads(rendered["info"][page.url]["elements"])
    assert entry["text"] == shot.text and entry["sha256"] == shot.sha256
    # The picture is the element: its pixel size is the recorded box at the recorded scale.
    assert shot.path is not None and entry["scale"] == 1
    width, height = entry["box"]
    assert png_size(shot.path) == (round(width * entry["scale"]), round(height * entry["scale"]))
    assert width < 1280 / 2  # the tweet's box, not the page's width
