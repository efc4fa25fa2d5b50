"""The report of a real archive, read in Chromium the way a person reads it.

One `archiver archive` over three stories (a live, a deleted, a protected and a withheld tweet,
a YouTube video) against the local fake web, then `archiver report`. The withheld tweet's
tombstone is read back by OCR (Debian's tesseract) from the picture as the page shows it: the
words must be legible at the crop's natural size, and the crop must be the tombstone's own box.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from archiver.report.model import png_size
from tests.e2e import cli
from tests.fakeweb import FakeWeb, site
from tests.fakeweb.syndication import tombstone_text
from tests.requires import missing

pytestmark = pytest.mark.browser

STORIES = (site.ARTICLE_FLOOD, site.ARTICLE_PROTECTED, site.ARTICLE_WITHHELD)
TWEETS = {site.TWEET_PHOTO: "live", site.TWEET_VIDEO: "live", site.TWEET_DELETED: "deleted",
          site.TWEET_PROTECTED: "protected", site.TWEET_WITHHELD: "withheld"}
HUMAN = re.compile(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}(, \d{2}:\d{2})?")


def require_tesseract() -> str:
    """The OCR program; skip when it is missing (fail instead under CI=true)."""
    exe = shutil.which("tesseract")
    if exe is None:
        missing("tesseract not installed", "make ocr installs Debian's tesseract-ocr")
    return exe


def ocr(png: Path) -> str:
    """The words tesseract reads in a picture, on one line."""
    done = subprocess.run([require_tesseract(), str(png), "-"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    from playwright.sync_api import sync_playwright

    from archiver.capture.browser import VIEWPORT, find_chromium

    tmp = tmp_path_factory.mktemp("report")
    with FakeWeb(tmp / "web") as web:
        archive = tmp / "archive"
        run = cli(web, "archive", *(a.url for a in STORIES), archive=archive)
        assert run.returncode == 0, run.stderr
        out = tmp / "report" / "index.html"
        out.parent.mkdir()
        html = cli(web, "report", "-o", str(out), archive=archive)
        assert html.returncode == 0, html.stderr
        data = cli(web, "report", "--format", "json", archive=archive)
        assert data.returncode == 0, data.stderr
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(), args=web.chromium_args)
            # The tombstone's box as the embed draws it, measured apart from the capture.
            embed = browser.new_page(viewport=VIEWPORT)
            embed.goto(f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_WITHHELD.id}")
            embed.wait_for_selector("body[data-state=tombstone]")
            box = embed.locator('[data-testid="tombstone"]').bounding_box()
            scale = embed.evaluate("devicePixelRatio")
            embed.close()
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(out.as_uri())
            yield SimpleNamespace(tmp=tmp, web=web, archive=archive, out=out, json=json.loads(data.stdout),
                                  page=page, browser=browser, box=box, scale=scale)
            browser.close()


def _card(page: Any, tweet: site.Tweet) -> Any:
    return page.locator(f"article.card[data-key='twitter:{tweet.id}']").first


def test_articles_are_headed_by_their_titles(made: SimpleNamespace) -> None:
    heads = made.page.locator("section.article h2").all_inner_texts()
    # The page's own <title>: the story's headline, then the paper's name.
    assert sorted(heads) == sorted(f"{a.title} | The Riverton Courier" for a in STORIES)
    # The URL is still there, under the title.
    flood = made.page.locator("section.article", has_text=site.ARTICLE_FLOOD.title)
    assert site.ARTICLE_FLOOD.url in flood.locator(".src").inner_text()


def test_dates_are_words_with_the_utc_instant_on_hover(made: SimpleNamespace) -> None:
    posted = _card(made.page, site.TWEET_PHOTO).locator(".when time")
    # 2024-03-04T18:22:31Z, as the fake syndication answers for the photo tweet.
    assert posted.inner_text() == "4 Mar 2024, 18:22"
    assert posted.get_attribute("title") == "2024-03-04 18:22:31 UTC"
    assert posted.get_attribute("datetime") == "2024-03-04T18:22:31Z"
    shown = made.page.locator("time").all_inner_texts()
    assert shown and all(HUMAN.fullmatch(t) for t in shown), shown
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}T", t) for t in made.page.locator("main").all_inner_texts())


def test_the_withheld_tombstone_is_legible_in_its_crop_at_natural_size(made: SimpleNamespace) -> None:
    card = _card(made.page, site.TWEET_WITHHELD)
    assert card.get_attribute("data-status") == "withheld"
    img = card.locator("img.crop").first
    natural = img.evaluate("i => [i.naturalWidth, i.naturalHeight, i.clientWidth, i.clientHeight]")
    # Shown at its natural size: one picture pixel per CSS pixel, not shrunk into the card.
    assert natural[0] == natural[2] and natural[1] == natural[3], natural
    # The picture is the tombstone, not the page: its pixels are the element's box times the scale.
    box = made.box
    assert (natural[0], natural[1]) == (round(box["width"] * made.scale), round(box["height"] * made.scale))
    # Read what the reader sees: the crop as the report draws it.
    shown = made.tmp / "withheld-as-shown.png"
    img.screenshot(path=str(shown))
    words = ocr(shown)
    expected = tombstone_text(site.TWEET_WITHHELD, site.WITHHELD).removesuffix(" Learn more")
    assert expected in words, words


def test_every_tweet_status_has_an_element_crop(made: SimpleNamespace) -> None:
    for tweet, status in TWEETS.items():
        card = _card(made.page, tweet)
        assert card.get_attribute("data-status") == status
        assert card.locator("img.crop").count() >= 1, f"{status}: no element crop"
        assert card.locator("img.page").count() == 0, f"{status}: a whole-page picture"
    # The deleted tweet: the Wayback copy first, then the tombstone its embed showed.
    captions = _card(made.page, site.TWEET_DELETED).locator("figure.shot figcaption").all_inner_texts()
    assert "Wayback" in captions[0] and "(recovered)" in captions[0]
    assert any("its embed" in c and "(deleted)" in c for c in captions[1:])


def test_filters_work_without_javascript(made: SimpleNamespace) -> None:
    context = made.browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(made.out.as_uri())
    cards = page.locator("article.card")
    total = cards.count()
    assert total == len(TWEETS) + 1  # and the YouTube video
    page.get_by_text("withheld (1)", exact=True).click()
    visible = [c for c in cards.all() if c.is_visible()]
    assert [c.get_attribute("data-key") for c in visible] == [f"twitter:{site.TWEET_WITHHELD.id}"]
    assert page.locator("section.article:visible h2").all_inner_texts() == [
        f"{site.ARTICLE_WITHHELD.title} | The Riverton Courier"]
    page.get_by_text(f"all ({total})", exact=True).first.click()  # the status group's "all"
    page.get_by_text("@mei_hydro (1)", exact=True).click()
    visible = [c.get_attribute("data-key") for c in cards.all() if c.is_visible()]
    assert visible == [f"twitter:{site.TWEET_VIDEO.id}"]
    page.get_by_text("youtube (1)", exact=True).click()  # with @mei_hydro: nothing left
    assert not any(c.is_visible() for c in cards.all())
    context.close()


def test_each_post_has_a_status_timeline(made: SimpleNamespace) -> None:
    timeline = _card(made.page, site.TWEET_PROTECTED).locator("ol.timeline li").all_inner_texts()
    assert len(timeline) == 1 and timeline[0].startswith("protected on ")


def test_report_as_json(made: SimpleNamespace) -> None:
    data = made.json
    assert {a["title"] for a in data["articles"]} == {f"{a.title} | The Riverton Courier" for a in STORIES}
    posts = {p["key"]: p for p in data["posts"]}
    withheld = posts[f"twitter:{site.TWEET_WITHHELD.id}"]
    assert withheld["status"] == "withheld" and withheld["timeline"][0]["status"] == "withheld"
    crop = withheld["crops"][0]
    assert crop["element"] is True and crop["status"] == "withheld"
    assert (crop["width"], crop["height"]) == png_size(made.archive / crop["path"])
    assert data["counts"] == {"deleted": 1, "live": 3, "protected": 1, "withheld": 1}


def test_json_to_a_file_and_bad_format(made: SimpleNamespace) -> None:
    target = made.tmp / "out" / "report.json"
    missing = cli(made.web, "report", "--format", "json", "-o", str(target), archive=made.archive)
    assert missing.returncode == 2 and missing.stderr == (
        f"archiver: -o {target}: cannot write the report: {target.parent} does not exist; "
        "choose another path\n") and not target.parent.exists()  # a mistyped folder is not made
    target.parent.mkdir()
    r = cli(made.web, "report", "--format", "json", "-o", str(target), archive=made.archive)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{target}\n" and "report of 6 post(s) written to" in r.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["counts"] == made.json["counts"]
    assert "replacing" not in r.stderr
    again = cli(made.web, "report", "--format", "json", "-o", str(target), archive=made.archive)
    assert again.returncode == 0 and again.stderr.rstrip().endswith(
        f"written to {target} (replacing the file that was there)"), again.stderr
    bad = cli(made.web, "report", "--format", "pdf", archive=made.archive)
    assert bad.returncode == 2 and bad.stdout == ""


def test_a_post_shows_a_picture_of_each_status_it_went_through(tmp_path: Path) -> None:
    """Live, deleted (its Wayback copy held), live again, withheld: four runs, four sources and
    statuses, each with its picture, the deletion's tombstone among them."""
    key = f"twitter:{site.TWEET_PHOTO.id}"
    archive, seeds = tmp_path / "archive", tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(site.ARTICLE_FLOOD.url + "\n")
    with FakeWeb(tmp_path / "web") as web:
        for state in (None, "deleted", None, "withheld"):
            web.set_state(("tweet", site.TWEET_PHOTO.id), state)
            r = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "1s", archive=archive)
            assert r.returncode in (0, 1), r.stderr
        report = cli(web, "report", "--format", "json", archive=archive)
        html = cli(web, "report", "-o", str(tmp_path / "report.html"), archive=archive)
    assert report.returncode == 0 and html.returncode == 0, report.stderr + html.stderr
    (post,) = [p for p in json.loads(report.stdout)["posts"] if p["key"] == key]
    assert [s["status"] for s in post["timeline"]] == ["live", "deleted", "live", "withheld"], post["timeline"]
    pictured = {(c["source"], c["status"]) for c in post["crops"]}
    assert {("live", "live"), ("live", "deleted"), ("wayback", "recovered"), ("live", "withheld")} <= pictured, pictured
    assert post["crops_left_out"] == 0
