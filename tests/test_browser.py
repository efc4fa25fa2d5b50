"""The Browser: finding Chromium, screenshots as files and WARC records, provenance, login walls,
and a real capture of the fake news site with its rendered tweet iframes (FakeWeb).

One Chromium serves the whole module: its host rules send `*.test` to the small local site of
test_recorder and every other name to FakeWeb, so nothing can reach the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.browser import (
    CHROMIUM_SERVICE_HOSTS,
    NO_CHROMIUM,
    Browser,
    PageCapture,
    find_chromium,
)
from archiver.errors import BrowserError
from archiver.net import NetOptions
from archiver.platforms.twitter.loginwall import detect_login_wall
from archiver.warcstore import Batch, RecordInfo, WarcStore, read_record
from tests.fakeweb import site as fakesite
from tests.fakeweb.server import FakeWeb
from tests.test_recorder import (
    FRAME_TEXT,
    LocalSite,
    Rec,
    png_size,
    read_warcs,
    warcio_check,
)

# -- finding Chromium --------------------------------------------------------------------------------


def test_missing_archiver_chromium_finds_nothing_and_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv("ARCHIVER_CHROMIUM", str(missing))
    assert find_chromium() is None
    with pytest.raises(BrowserError) as info:
        Browser(NetOptions(), workdir=tmp_path / "b")
    message = str(info.value)
    assert str(missing) in message
    assert NO_CHROMIUM in message
    assert "apt-get install chromium" in message and "playwright install chromium" in message
    assert "\n" not in message


def test_archiver_chromium_that_is_not_executable_finds_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_executable = tmp_path / "chromium"
    not_executable.write_text("#!/bin/sh\n")
    monkeypatch.setenv("ARCHIVER_CHROMIUM", str(not_executable))
    assert find_chromium() is None
    not_executable.chmod(0o755)
    assert find_chromium() == str(not_executable)


def test_default_search_finds_an_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVER_CHROMIUM", raising=False)
    found = find_chromium()
    if Path("/usr/bin/chromium").exists():
        assert found == "/usr/bin/chromium"
    assert found is not None and os.access(found, os.X_OK)


# -- login walls (pure) ------------------------------------------------------------------------------

WALL_TEXT = "Don't miss what's happening\nPeople on X are the first to know.\nLog in\nSign up"


@pytest.mark.parametrize(("url", "text", "has_post", "expected"), [
    ("https://x.com/RivertonDesk/status/1", WALL_TEXT, False, True),
    ("https://mobile.twitter.com/a/status/1", WALL_TEXT, False, True),
    ("https://x.com/i/flow/login?redirect_after_login=%2Fa%2Fstatus%2F1", "", False, True),
    # The post is shown, the log-in bar under it is not a wall.
    ("https://x.com/RivertonDesk/status/1", "Sandbags going up\n" + WALL_TEXT, True, False),
    # Other hosts, or the embed itself, are never a login wall.
    ("https://news.example/a.html", WALL_TEXT, False, False),
    ("https://platform.twitter.com/embed/Tweet.html?id=1", WALL_TEXT, False, False),
    ("https://x.com/RivertonDesk/status/1", "This Post was deleted", False, False),
])
def test_detect_login_wall(url: str, text: str, has_post: bool, expected: bool) -> None:
    assert detect_login_wall(url, text, has_post) is expected


# -- real captures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as w:
        yield w


@pytest.fixture(scope="module")
def browser(local_site: LocalSite, web: FakeWeb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    # The first matching map wins: *.test to the local site, everything else to FakeWeb.
    net = NetOptions.from_options([f"*.test=127.0.0.1:{local_site.port}", web.map_host], str(web.ca_pem),
                                  None, env={})
    assert net.is_sealed()
    with Browser(net, workdir=tmp_path_factory.mktemp("browser"), timeout=20) as b:
        yield b


def _capture(browser: Browser, url: str, out: Path, **kw: Any) -> tuple[PageCapture, list[Rec], list[RecordInfo]]:
    with WarcStore(out / "warc", prefix="t") as store:
        batch = Batch(store)
        page = browser.capture(url, batch, **kw)
    return page, read_warcs(out / "warc"), batch.records


@pytest.mark.browser
def test_screenshots_are_files_and_resource_records(browser: Browser, tmp_path: Path) -> None:
    page, records, seen = _capture(browser, "http://news.test/start", tmp_path,
                                   screenshot_path=tmp_path / "shots" / "page.png",
                                   element_selectors=["iframe[data-embed]", "#no-such-element"],
                                   element_dir=tmp_path / "elements")
    # Full page: the viewport's width, the document's height (taller than the viewport).
    assert page.screenshot == tmp_path / "shots" / "page.png"
    data = page.screenshot.read_bytes()
    width, height = png_size(data)
    assert width == 1280 and height > 1500
    assert page.screenshot_sha256 == hashlib.sha256(data).hexdigest()
    shot = next(r for r in records if r.type == "resource" and r.uri == "urn:screenshot:http://news.test/start")
    assert hashlib.sha256(shot.payload).hexdigest() == page.screenshot_sha256
    assert shot.headers["Content-Type"] == "image/png"
    assert shot.headers["WARC-Concurrent-To"] == page.page_record_id
    assert page.screenshot_record is not None
    assert read_record(tmp_path / "warc", page.screenshot_record.filename, page.screenshot_record.offset) == data

    # One element matched (the iframe, 400x200 CSS px); the missing selector matched nothing.
    assert len(page.elements) == 1
    element = page.elements[0]
    assert element.selector == "iframe[data-embed]" and element.index == 0
    assert element.path is not None and element.path.parent == tmp_path / "elements"
    png = element.path.read_bytes()
    w, h = png_size(png)
    assert w == 400 and 200 <= h <= 202  # an inline iframe's box may round up a pixel
    assert element.sha256 == hashlib.sha256(png).hexdigest()
    assert element.frame_url == "http://embed.test/frame"
    assert FRAME_TEXT in element.text
    element_rec = next(r for r in records if r.uri == "urn:screenshot:http://embed.test/frame")
    assert element_rec.type == "resource" and element_rec.payload == png
    assert element_rec.headers["WARC-Concurrent-To"] == page.page_record_id

    # The iframe's text is available to later checks, and the page's own text too.
    assert any(f.url == "http://embed.test/frame" and FRAME_TEXT in f.text for f in page.frames)
    assert page.frames[0].url == "http://news.test/article" and "Flood news" in page.frames[0].text
    assert page.title == "Local article" and page.html is not None and "<h1>Flood news</h1>" in page.html
    assert page.login_wall is False

    # Every record written is reported once, in the batch and in page.records alike.
    assert [r.record_id for r in seen] == [r.record_id for r in page.records]
    written = [r for r in records if r.type != "warcinfo"]
    assert len(written) == len(page.records)
    assert {r.headers["WARC-Record-ID"] for r in written} == {r.record_id for r in page.records}


# Blocks of one colour each at known places: one on the first screen, one far below it, and one
# wider than the page (no picture holds it whole, so it is shot on its own). Each one's words are
# written in its own colour: its picture is that colour alone.
BLOCKS_HTML = """<!doctype html><html><head><style>
body { margin: 0; overflow-x: hidden; } div.b { position: absolute; }
</style></head><body>
<div class="b" id="red" style="left: 40px; top: 100px; width: 300px; height: 150px; background: #ff0000; color: #ff0000">red</div>
<div class="b" id="blue" style="left: 600px; top: 2600px; width: 250px; height: 120px; background: #0000ff; color: #0000ff">blue</div>
<div class="b" id="green" style="left: 0; top: 400px; width: 1500px; height: 50px; background: #00ff00; color: #00ff00">green</div>
<div style="height: 3000px"></div>
</body></html>"""


@pytest.mark.browser
@pytest.mark.parametrize("cutting", ["works", "fails"])
def test_element_shots_are_the_elements_pixels(cutting: str, browser: Browser, local_site: LocalSite,
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Cut out of the full-page screenshot, or, should cutting fail, each shot on its own: the same pictures.
    from PIL import Image

    from archiver.capture import pagesteps

    if cutting == "fails":
        def refuse(png: bytes, rects: object) -> list[bytes]:
            raise ValueError("not a picture Pillow reads")

        monkeypatch.setattr(pagesteps, "cut", refuse)
    local_site.routes[("news.test", "/blocks")] = lambda h: h._plain(200, BLOCKS_HTML.encode(), "text/html")
    page, _records, _seen = _capture(browser, "http://news.test/blocks", tmp_path,
                                     screenshot_path=tmp_path / "page.png",
                                     element_selectors=["#red", "#blue", "#green"], element_dir=tmp_path / "e")
    assert page.status == 200, page.errors
    assert [e.selector for e in page.elements] == ["#red", "#blue", "#green"], page.errors
    red, blue, green = page.elements
    # Each picture is its element's box, every pixel of it the element's colour, wherever the
    # element lies on the page (the blue one is far below the first screen).
    for shot, size, colour in ((red, (300, 150), (255, 0, 0)), (blue, (250, 120), (0, 0, 255))):
        assert shot.path is not None and png_size(shot.path.read_bytes()) == size
        assert shot.box == size and shot.scale == 1
        with Image.open(shot.path) as picture:
            assert picture.convert("RGB").getextrema() == tuple((c, c) for c in colour)
        assert shot.text == colour_name(colour)
        assert shot.sha256 == hashlib.sha256(shot.path.read_bytes()).hexdigest()
    # Wider than the page: shot on its own, still green and named by its text.
    assert green.path is not None and green.text == "green"
    with Image.open(green.path) as picture:
        assert picture.convert("RGB").getpixel((10, 10)) == (0, 255, 0)


def colour_name(rgb: tuple[int, int, int]) -> str:
    return {(255, 0, 0): "red", (0, 0, 255): "blue", (0, 255, 0): "green"}[rgb]


SHADOW_HTML = """<!doctype html><html><body>
<div class="b" id="one">one</div><div id="host"></div><div class="b" id="two">two</div>
<script>document.getElementById("host").attachShadow({mode: "open"}).innerHTML =
  '<div class="b" id="inner">inner</div>';</script>
</body></html>"""


@pytest.mark.browser
def test_element_selectors_each_keep_their_matches_and_a_bad_one_is_named(
        browser: Browser, local_site: LocalSite, tmp_path: Path) -> None:
    """The selectors are asked together: each element is still shot once, under the first selector
    that matched it and its place among that selector's matches (the document's, then those in its
    open shadow roots); a selector that is not CSS is named, and the others are shot all the same."""
    local_site.routes[("news.test", "/shadow")] = lambda h: h._plain(200, SHADOW_HTML.encode(), "text/html")
    page, _records, _seen = _capture(browser, "http://news.test/shadow", tmp_path,
                                     screenshot_path=tmp_path / "page.png",
                                     element_selectors=["#two", "div[", "div.b", "#one"], element_dir=tmp_path / "e")
    assert page.status == 200, page.errors
    assert [(e.selector, e.index, e.text) for e in page.elements] == [
        ("#two", 0, "two"), ("div.b", 0, "one"), ("div.b", 2, "inner")], page.errors
    assert page.errors == ["selector 'div[': SyntaxError: Failed to execute 'querySelectorAll' on 'Document': "
                           "'div[' is not a valid selector."], page.errors


@pytest.mark.browser
def test_provenance_metadata_record(browser: Browser, tmp_path: Path) -> None:
    page, records, _ = _capture(browser, "http://news.test/start", tmp_path, screenshot_path=None)
    assert page.screenshot is None and page.screenshot_record is None
    assert not [r for r in records if r.type == "resource"]
    meta = next(r for r in records if r.type == "metadata")
    # Not the page's own URL: replay tools would serve the metadata in place of the page (pywb does).
    assert meta.uri == "urn:capture-info:http://news.test/start"
    assert meta.headers["WARC-Concurrent-To"] == page.page_record_id
    fields = json.loads(meta.payload)
    assert fields["software"].startswith("archiver/")
    assert fields["browser"] == f"Chromium {browser.browser_version}"
    assert fields["user-agent"] == browser.user_agent and "Chrome/" in browser.user_agent
    assert fields["final-url"] == "http://news.test/article"
    assert fields["status"] == "200"
    assert set(json.loads(fields["timings"])) >= {"load", "settle", "screenshots"}
    assert any("206" in e for e in json.loads(fields["errors"]))
    assert fields["network-sealed"] == "true"


@pytest.mark.browser
def test_unreachable_page_is_reported_not_raised(browser: Browser, tmp_path: Path) -> None:
    # *.test goes to the local site, which answers 404 for unknown paths; a refused port fails.
    page, records, _ = _capture(browser, "http://127.0.0.1:9/", tmp_path, screenshot_path=tmp_path / "p.png")
    assert page.status is None and page.page_record_id is None
    assert any("page load" in e and "ERR_" in e for e in page.errors)
    # Chromium's error page is not a view of the URL: no screenshot, only the provenance.
    assert [r.type for r in records if r.type != "warcinfo"] == ["metadata"]
    assert page.screenshot is None and (tmp_path / "p.png").exists() is False
    page404, _, _ = _capture(browser, "http://news.test/nothing-here", tmp_path / "b", screenshot_path=None)
    assert page404.status == 404 and page404.page_record_id is not None


# -- the fake news site ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flood(browser: Browser, web: FakeWeb, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("flood")
    web.log.clear()
    page, records, _ = _capture(
        browser, web.url("news.example", fakesite.ARTICLE_FLOOD.path), out,
        screenshot_path=out / "article.png",
        element_selectors=["iframe[data-tweet-id]", 'iframe[src*="youtube.com/embed"]'],
        element_dir=out / "elements")
    print("article with three tweets, timings (s):", {k: round(v, 3) for k, v in page.timings.items()})
    return {"page": page, "records": records, "log": list(web.log), "dir": out}


@pytest.mark.browser
def test_article_tweets_render_in_their_iframes(flood: dict[str, Any]) -> None:
    page: PageCapture = flood["page"]
    assert page.status == 200
    for tweet in (fakesite.TWEET_PHOTO, fakesite.TWEET_VIDEO):
        frame = next(f for f in page.frames if f"id={tweet.id}" in f.url)
        assert frame.url.startswith("https://platform.twitter.com/embed/Tweet.html")
        assert tweet.text.split(" https://t.co/")[0][:60] in frame.text
        assert f"@{tweet.user.screen_name}" in frame.text
    # One element screenshot per tweet iframe and one for the YouTube embed, all real PNGs.
    tweets = [e for e in page.elements if e.selector == "iframe[data-tweet-id]"]
    assert len(tweets) == 3
    assert len([e for e in page.elements if "youtube" in e.selector]) == 1
    for e in page.elements:
        assert e.path is not None
        w, h = png_size(e.path.read_bytes())
        assert 100 <= w <= 1280 and 50 <= h
    photo = next(e for e in tweets if e.frame_url and f"id={fakesite.TWEET_PHOTO.id}" in e.frame_url)
    assert "Sandbags going up along Mill Street" in photo.text


@pytest.mark.browser
def test_article_traffic_is_all_in_the_warc(flood: dict[str, Any]) -> None:
    records: list[Rec] = flood["records"]
    responses = {(r.uri, r.status) for r in records if r.type in ("response", "revisit")}  # a repeated payload is a revisit
    requests = {r.uri for r in records if r.type == "request"}
    for hit in flood["log"]:
        if hit["host"] in CHROMIUM_SERVICE_HOSTS:
            continue  # the browser's own background requests, not the page's
        url = f"https://{hit['host']}{hit['path']}"
        assert (url, hit["status"]) in responses, f"{url} served ({hit['status']}) but not in the WARC"
        assert url in requests
    token = fakesite.TOKENS[fakesite.TWEET_PHOTO.id]
    syndication = next(r for r in records if r.type == "response" and r.uri.startswith(
        f"https://cdn.syndication.twimg.com/tweet-result?id={fakesite.TWEET_PHOTO.id}"))
    assert f"token={token}" in syndication.uri
    assert json.loads(syndication.payload)["id_str"] == fakesite.TWEET_PHOTO.id
    # Served over h2 by FakeWeb: HTTP/1.1 status line in the record, the real protocol beside it.
    assert syndication.headers["WARC-Protocol"] == "h2"
    article = next(r for r in records if r.type == "response" and r.uri.endswith(fakesite.ARTICLE_FLOOD.path))
    assert article.headers["WARC-Protocol"] == "http/1.1"
    assert flood["page"].page_record_id == article.headers["WARC-Record-ID"]
    warcio_check(flood["dir"] / "warc")


@pytest.mark.browser
def test_hsts_upgrade_and_login_wall(browser: Browser, web: FakeWeb, tmp_path: Path) -> None:
    tweet = fakesite.TWEET_PHOTO
    web.log.clear()
    # twitter.com is HSTS-preloaded: Chromium upgrades to https itself (a fake 307, not recorded),
    # then twitter.com redirects to x.com, which shows a login wall to anonymous browsers.
    page, records, _ = _capture(browser, f"http://twitter.com/{tweet.user.screen_name}/status/{tweet.id}",
                                tmp_path, screenshot_path=tmp_path / "x.png")
    assert page.final_url == tweet.x_url
    assert page.login_wall is True
    plain = [h for h in web.log if not h["tls"] and h["host"] not in CHROMIUM_SERVICE_HOSTS]
    assert not plain, "the browser should never have sent plain HTTP to twitter.com"
    statuses = [(r.uri, r.status) for r in records if r.type == "response"]
    assert (f"https://twitter.com/{tweet.user.screen_name}/status/{tweet.id}", 301) in statuses
    assert (tweet.x_url, 200) in statuses
    assert not [s for s in statuses if s[1] == 307]
    assert json.loads(next(r for r in records if r.type == "metadata").payload)["login-wall"] == "true"


@pytest.mark.browser
def test_document_replaced_at_once_keeps_its_body(browser: Browser, web: FakeWeb, tmp_path: Path) -> None:
    # t.co answers browsers with a page that navigates away at once (meta refresh +
    # location.replace); Chromium drops such a document before it can be read the usual way.
    code = fakesite.TWEET_PHOTO.media_tco
    assert code is not None
    web.log.clear()
    page, records, _ = _capture(browser, f"https://t.co/{code}", tmp_path, screenshot_path=None)
    tco = next(r for r in records if r.type == "response" and r.uri == f"https://t.co/{code}")
    assert tco.status == 200
    target = fakesite.SHORT_LINKS[code]
    assert target.encode() in tco.payload and b"refresh" in tco.payload.lower()
    assert not [e for e in page.errors if "t.co" in e]
    # The page ends on x.com's login wall, and that document is the page record.
    final = next(r for r in records if r.type == "response" and r.uri == page.final_url)
    assert page.page_record_id == final.headers["WARC-Record-ID"]
    assert page.login_wall is True


# -- the synchronous face: threads and signals ------------------------------------------------------


@pytest.mark.browser
def test_captures_from_several_threads_run_on_one_browser_into_their_own_batches(
        browser: Browser, tmp_path: Path) -> None:
    urls = ["http://news.test/start", "http://news.test/nothing-here", "http://127.0.0.1:9/"]
    results: dict[str, tuple[PageCapture, Batch]] = {}
    with WarcStore(tmp_path / "warc", prefix="t") as store:
        def one(url: str) -> None:
            batch = Batch(store)
            results[url] = (browser.capture(url, batch, screenshot_path=None), batch)

        threads = [threading.Thread(target=one, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert sorted(results) == sorted(urls)
    assert results["http://news.test/nothing-here"][0].status == 404
    assert results["http://127.0.0.1:9/"][0].status is None
    for url, (page, batch) in results.items():
        assert [r.record_id for r in batch.records] == [r.record_id for r in page.records]
        assert batch.records[-1].target_uri == f"urn:capture-info:{url}"
        assert sum(r.target_uri.startswith("urn:capture-info:") for r in batch.records) == 1
    assert len(read_warcs(tmp_path / "warc")) == 1 + sum(len(b) for _, b in results.values())


class _Alarm(Exception):
    """What the test's signal handler raises, as archiver.interrupt's does inside STOP.raising()."""


@pytest.mark.browser
def test_an_exception_from_a_signal_handler_cancels_the_capture_and_leaves_the_browser_usable(
        browser: Browser, tmp_path: Path) -> None:
    def ring(_signum: int, _frame: object) -> None:
        raise _Alarm

    previous = signal.signal(signal.SIGALRM, ring)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        with pytest.raises(_Alarm), WarcStore(tmp_path / "a", prefix="t") as store:
            # The selector never appears: without the signal this waits for the whole timeout.
            browser.capture("http://news.test/start", Batch(store), screenshot_path=None,
                            wait_for="#never-there")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    # The cancelled render wrote nothing; the next capture on the same browser goes as usual.
    assert read_warcs(tmp_path / "a") == []
    page, records, _ = _capture(browser, "http://news.test/start", tmp_path / "b", screenshot_path=None)
    assert page.status == 200 and page.title == "Local article"
    assert not [e for e in page.errors if e.startswith(("capture interrupted", "page load", "waiting for"))]
    assert records[-1].type == "metadata"
