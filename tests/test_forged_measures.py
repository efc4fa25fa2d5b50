"""A page's own scripts cannot forge what the capture measures or reads in it.

A real Chromium renders the fake web's flood article as it is, then again with a script in its head
(tests/fakeweb/pages.py FORGING_JS) that replaces, before the embeds render, the built-ins a capture
measuring in the page's main JavaScript world would rely on: an iframe's getBoundingClientRect gives
the headline's box; arrays of elements never include anything; Math.max gives its smallest argument
and the scroll sizes lie; the device scale is 2; every element's innerText is a lie. One capture per
lie, one telling them all. Each must agree with the plain one on everything measured: the element
pictures (one per element), their boxes and scale, the size of the page's picture, the text recorded.

The same article once more, its deleted tweet's frame kept 0 px wide until the embed has told its
height: an out-of-process iframe's document can be laid out before the page's process has sent
the frame its size (a loaded machine does it now and then), and the height told then is no height
the embed shows once it has its width. The embed tells it again, and its picture is as in the plain page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.browser import Browser, PageCapture
from archiver.capture.pagesteps import CUT_SCREENSHOT
from archiver.net import NetOptions
from archiver.pipeline.articles import EMBED_ELEMENT_SELECTORS
from archiver.report.model import png_size
from archiver.warcstore import Batch, WarcStore
from tests.fakeweb import FakeWeb, pages, site
from tests.fakeweb.app import Request, Response, SiteState, text

pytestmark = pytest.mark.browser

SELECTORS = (*EMBED_ELEMENT_SELECTORS, "h1")
EMBED_IDS = (*site.ARTICLE_FLOOD.tweet_ids, site.YOUTUBE.id)


LIES = ("box", "includes", "size", "scale", "text", "box,includes,size,scale,text")
NARROWED = "https://narrowed.news.example/"

# The deleted tweet's frame is 0 px wide from its insertion (before any layout of the page) until
# its embed first tells its height, then 550 px wide as widgets.js made it.
_NARROWING_JS = """<script>(function () {
  var id = %s, narrowed = null;
  new MutationObserver(function () {
    var f = document.querySelector('iframe[data-tweet-id="' + id + '"]');
    if (narrowed || !f) return;
    narrowed = f;
    f.style.width = '0px';
    f.style.flexGrow = '0';
  }).observe(document.documentElement, {childList: true, subtree: true});
  window.addEventListener('message', function (e) {
    var d = e.data && e.data['twttr.embed'];
    if (e.origin !== 'https://platform.twitter.com' || !d || !narrowed || d.id !== narrowed.id) return;
    narrowed.style.width = '550px';
    narrowed.style.flexGrow = '1';
  });
})();</script>"""


def _narrowed(_req: Request, _state: SiteState) -> Response:
    script = _NARROWING_JS % f'"{site.TWEET_DELETED.id}"'
    return text(200, pages.article_html(site.ARTICLE_FLOOD).replace("</body>", f"{script}</body>", 1))


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PageCapture]]:
    """The plain article, then the forging one telling each lie in LIES (the last: all at once), then
    the one narrowing its deleted tweet's frame (under "narrowed")."""
    tmp = tmp_path_factory.mktemp("forged")
    with FakeWeb(tmp / "web", handlers={"narrowed.news.example": _narrowed}) as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None)
        with Browser(net, workdir=tmp / "browser", timeout=30) as browser, \
                WarcStore(tmp / "warc", prefix="test") as store:
            out = {}
            for n, lies in enumerate(("", *LIES)):
                url = f"https://news.example{site.FORGING_PATH}?lies={lies}" if lies else site.ARTICLE_FLOOD.url
                out[lies or "plain"] = browser.capture(url, Batch(store), screenshot_path=tmp / f"{n}.png",
                                                       element_selectors=SELECTORS, element_dir=tmp / str(n))
            out["narrowed"] = browser.capture(NARROWED, Batch(store), screenshot_path=tmp / "narrowed.png",
                                              element_selectors=SELECTORS, element_dir=tmp / "narrowed")
        yield out


def _by_embed(page: PageCapture) -> dict[str, Any]:
    """Each element shot by the embed (tweet or video id) its frame shows, the headline under "h1"."""
    out: dict[str, Any] = {}
    for shot in page.elements:
        key = "h1" if shot.frame_url is None else next(i for i in EMBED_IDS if i in shot.frame_url)
        assert key not in out, f"{key} shot twice: {page.elements}"
        out[key] = shot
    return out


def test_the_pages_rendered_their_embeds(captures: dict[str, PageCapture]) -> None:
    for page in captures.values():
        assert page.status == 200, page.errors
        assert sum(1 for f in page.frames if "platform.twitter.com/embed" in f.url) == 3


@pytest.mark.parametrize("lies", LIES)
def test_each_element_is_shot_once(lies: str, captures: dict[str, PageCapture]) -> None:
    # Both Twitter selectors match each tweet iframe: still one shot each, and none skipped.
    forging = _by_embed(captures[lies])
    assert sorted(forging) == sorted(["h1", *EMBED_IDS])
    assert len(captures[lies].elements) == len(captures["plain"].elements) == len(EMBED_IDS) + 1


@pytest.mark.parametrize("lies", LIES)
def test_element_pictures_are_the_embeds(lies: str, captures: dict[str, PageCapture]) -> None:
    plain, forging = _by_embed(captures["plain"]), _by_embed(captures[lies])
    for key, shot in forging.items():
        real = plain[key]
        # The forged box would be the headline's (720 px wide, a few dozen high) at scale 2.
        assert shot.scale == 1 and shot.box == real.box, (key, shot.box, real.box)
        assert shot.path is not None and real.path is not None
        width, height = shot.box
        assert png_size(shot.path) == (round(width), round(height)) == png_size(real.path)
        # The same pixels as the embed's picture in the page that lies about nothing.
        assert _pixels(shot.path) == _pixels(real.path), key
    youtube = forging[site.YOUTUBE.id]
    assert youtube.box == (560, 315)  # the iframe's own size (its width and height attributes)


@pytest.mark.parametrize("lies", LIES)
def test_the_pages_picture_is_its_whole_size(lies: str, captures: dict[str, PageCapture]) -> None:
    plain, forging = captures["plain"], captures[lies]
    assert not [e for e in forging.errors if e.startswith(CUT_SCREENSHOT)], forging.errors
    assert forging.screenshot is not None and plain.screenshot is not None
    size = png_size(forging.screenshot)
    assert size == png_size(plain.screenshot) and size[1] > 1500, size


@pytest.mark.parametrize("lies", LIES)
def test_recorded_text_is_the_pages(lies: str, captures: dict[str, PageCapture]) -> None:
    forging = captures[lies]
    main = forging.frames[0]
    assert site.FORGING_PATH in main.url
    assert site.FORGED_TEXT not in main.text
    assert site.ARTICLE_FLOOD.blocks[0][1] in main.text
    assert main.text == captures["plain"].frames[0].text
    headline = _by_embed(forging)["h1"]
    assert headline.text == site.ARTICLE_FLOOD.title
    for key, shot in _by_embed(forging).items():
        if key != "h1":
            assert shot.text == _by_embed(captures["plain"])[key].text and shot.text


def test_an_embed_laid_out_before_its_frame_had_its_width_is_shot_as_it_shows(
        captures: dict[str, PageCapture]) -> None:
    plain, narrowed = _by_embed(captures["plain"]), _by_embed(captures["narrowed"])
    key = site.TWEET_DELETED.id
    assert narrowed[key].box == plain[key].box == (550, 95), (narrowed[key].box, plain[key].box)
    assert narrowed[key].path is not None and plain[key].path is not None
    assert _pixels(narrowed[key].path) == _pixels(plain[key].path)


def _pixels(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as picture:
        return picture.convert("RGB").tobytes()
