"""An article archived before whose address now redirects to its own new address (its AMP host, its
mobile host, a new name keeping its ID) is the same article: the run reads it there, cites what it
finds there and captures it as the held article, the address it answered at kept with the capture.
No second article is made for it: the report lists it once, and `lookup --article` finds it by its
first address and by the one it answers at now."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e import cli, lookup
from tests.fakeweb import FakeWeb, pages, site
from tests.fakeweb.news import news

pytestmark = pytest.mark.browser

PATH = "/2024/03/10452/council-vote.html"
URL = f"https://news.example{PATH}"


def _rows(archive: Path) -> tuple[list[str], list[tuple[str, str, str, str | None]]]:
    """The articles held, and each article capture as (article, address captured, status, error)."""
    with sqlite3.connect(archive / "archive.db") as db:
        articles = [url for (url,) in db.execute("SELECT url FROM articles ORDER BY id")]
        captures = db.execute("SELECT a.url, c.url, c.status, c.error FROM captures c JOIN articles a "
                              "ON a.id = c.article_id WHERE c.post IS NULL ORDER BY c.captured_at, c.id").fetchall()
    return articles, captures


@pytest.mark.parametrize("to", [
    "https://amp.news.example/2024/03/10452/council-vote.amp.html",  # its AMP copy, on the AMP host
    "https://m.news.example/mobile/2024/03/10452/council-vote.html",  # the site's mobile host
    "https://news.example/politics/council-votes-to-rebuild-10452",  # a new name keeping its ID
])
def test_a_held_article_redirected_to_its_own_new_address_stays_one_article(tmp_path: Path, to: str) -> None:
    archive = tmp_path / "archive"
    moved = to.split(".example", 1)[1]
    with FakeWeb(tmp_path / "web", handlers={"amp.news.example": news, "m.news.example": news}) as web:
        web.set_state(("article", PATH), pages.tweets_page("Council vote", site.TWEET_PHOTO))
        first = cli(web, "archive", URL, archive=archive)
        assert first.returncode == 0, first.stderr
        # It moved, and cites one more post there.
        web.set_state(("article", PATH), None)
        web.set_state(("article", moved), pages.tweets_page("Council vote", site.TWEET_PHOTO, site.TWEET_VIDEO))
        web.set_state(("redirect", PATH), to)
        again = cli(web, "archive", URL, "--format", "json", archive=archive)
        # Read again, unchanged at its new address: nothing new to capture.
        third = cli(web, "archive", URL, "--format", "json", archive=archive)
        report = json.loads(cli(web, "report", "--format", "json", archive=archive).stdout)
        by_old = lookup(web, archive, "--article", URL)
        by_new = lookup(web, archive, "--article", to)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["failures"] == []
    assert third.returncode == 0, third.stderr
    articles, captures = _rows(archive)
    assert articles == [URL], articles  # no second article for its new address
    # The held article's captures: the first at its address, the second where it answers now.
    assert captures == [(URL, URL, "ok", None), (URL, to, "ok", None)], captures
    assert [a["url"] for a in report["articles"]] == [URL], report["articles"]
    with sqlite3.connect(archive / "archive.db") as db:
        cited = db.execute("SELECT a.url, p.key, c.dropped_at FROM citations c JOIN posts p ON p.id = c.post "
                           "JOIN articles a ON a.id = c.article_id ORDER BY p.key").fetchall()
        last, (latest,) = db.execute("SELECT last_captured FROM articles").fetchone(), \
            db.execute("SELECT max(captured_at) FROM captures WHERE post IS NULL").fetchone()
    assert sorted(cited) == sorted([(URL, f"twitter:{site.TWEET_PHOTO.id}", None),
                                    (URL, f"twitter:{site.TWEET_VIDEO.id}", None)]), cited
    assert last == (latest,)  # its last capture is the one at its new address
    keys = {f"twitter:{site.TWEET_PHOTO.id}", f"twitter:{site.TWEET_VIDEO.id}"}
    assert {row["key"] for row in by_old} == keys, by_old
    assert {row["key"] for row in by_new} == keys, by_new


def test_a_held_article_redirected_to_its_days_listing_is_not_merged_with_it(tmp_path: Path) -> None:
    """A date written as one number (`/articles/20240310/...`) is shared by the day's other articles
    and its listing: a held article redirected to that listing is gone from its address, never read
    as the listing. Its citations are kept, the listing's posts are not cited by it."""
    path = "/articles/20240310/k00/00m/040/123000c"
    url, listing = f"https://news.example{path}", "https://news.example/articles/20240310/"
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", path), pages.tweets_page("Council vote", site.TWEET_PHOTO))
        web.set_state(("article", "/articles/20240310/"), pages.tweets_page("The day's news", site.TWEET_VIDEO))
        assert cli(web, "archive", url, archive=archive).returncode == 0
        web.set_state(("article", path), None)
        web.set_state(("redirect", path), listing)
        again = cli(web, "archive", url, "--format", "json", archive=archive)
    assert again.returncode == 1, again.stderr
    assert json.loads(again.stdout)["failures"][0].startswith(
        f"{url}: now redirects to {listing} (another page of its site)"), again.stdout
    with sqlite3.connect(archive / "archive.db") as db:
        cited = db.execute("SELECT a.url, p.key, c.dropped_at FROM citations c JOIN posts p ON p.id = c.post "
                           "JOIN articles a ON a.id = c.article_id").fetchall()
    assert cited == [(url, f"twitter:{site.TWEET_PHOTO.id}", None)], cited
