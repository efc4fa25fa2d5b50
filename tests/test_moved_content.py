"""An article archived before whose address now redirects to a page its address cannot tell from
it, or names no more than "another page of its site" (renamed without an ID in its address, its
date changed, its name kept with words added): the page reached is read, and when its title is the
one the archive holds for the article, or its canonical link names the article's address, it is
the article, read, cited and captured there, the run saying what decided it. A page titled
otherwise is still gone (or not known to be the article), and a page of a kind no title can make
the article (a tag page named as it) is gone whatever it is titled."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archiver.index.urls import OTHER_PAGE, WORDS_KEPT
from tests.e2e import cli
from tests.fakeweb import FakeWeb, pages, site

pytestmark = pytest.mark.browser

PATH = "/2024/pulled-story.html"
URL = f"https://news.example{PATH}"
PHOTO, VIDEO = f"twitter:{site.TWEET_PHOTO.id}", f"twitter:{site.TWEET_VIDEO.id}"


def _captures(archive: Path) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(archive / "archive.db") as db:
        return db.execute("SELECT a.url, c.url, c.status, c.error FROM captures c JOIN articles a "
                          "ON a.id = c.article_id WHERE c.post IS NULL ORDER BY c.captured_at, c.id").fetchall()


def _cited(archive: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(archive / "archive.db") as db:
        return set(db.execute("SELECT a.url, p.key FROM citations c JOIN posts p ON p.id = c.post "
                              "JOIN articles a ON a.id = c.article_id WHERE c.dropped_at IS NULL").fetchall())


def _moved(tmp_path: Path, held_path: str, to_path: str, page: str) -> tuple[Path, object]:
    """The article at `held_path` archived, then its address redirected to `to_path`, which shows
    `page`; the second run's result."""
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", held_path), pages.tweets_page("Council pulls story", site.TWEET_PHOTO))
        first = cli(web, "archive", f"https://news.example{held_path}", archive=archive)
        assert first.returncode == 0, first.stderr
        web.set_state(("article", held_path), None)
        web.set_state(("article", to_path), page)
        web.set_state(("redirect", held_path), f"https://news.example{to_path}")
        again = cli(web, "archive", f"https://news.example{held_path}", "--format", "json", archive=archive)
    return archive, again


def test_a_renamed_article_without_an_id_is_read_as_the_article_by_its_title(tmp_path: Path) -> None:
    to = "https://news.example/2024/council-pulls-story.html"
    page = pages.tweets_page("Council pulls story", site.TWEET_PHOTO, site.TWEET_VIDEO)
    archive, again = _moved(tmp_path, PATH, "/2024/council-pulls-story.html", page)
    assert again.returncode == 0, again.stderr  # type: ignore[attr-defined]
    assert json.loads(again.stdout)["failures"] == []  # type: ignore[attr-defined]
    assert (f"{URL}: now redirects to {to}, read as the article there: its title is the article's "
            f"(by the addresses alone, {OTHER_PAGE})") in again.stderr  # type: ignore[attr-defined]
    assert _captures(archive) == [(URL, URL, "ok", None), (URL, to, "ok", None)]
    assert _cited(archive) == {(URL, PHOTO), (URL, VIDEO)}  # what it cites there is the article's


def test_a_renamed_article_is_read_as_the_article_by_its_canonical_link(tmp_path: Path) -> None:
    # Retitled as well as renamed: its canonical link still names the address it is held at.
    to = "https://news.example/2024/council-drops-story.html"
    page = pages.tweets_page("Council drops story", site.TWEET_PHOTO).replace(
        "<title>", f'<link rel="canonical" href="{URL}"><title>', 1)
    archive, again = _moved(tmp_path, PATH, "/2024/council-drops-story.html", page)
    assert again.returncode == 0, again.stderr  # type: ignore[attr-defined]
    assert "read as the article there: its canonical link is the article's" in again.stderr  # type: ignore[attr-defined]
    assert _captures(archive) == [(URL, URL, "ok", None), (URL, to, "ok", None)]


def test_an_article_renamed_with_words_added_is_read_as_the_article_by_its_title(tmp_path: Path) -> None:
    held, to_path = "/2024/05/03/river-flood", "/2024/05/03/river-flood-kills-three"
    url = f"https://news.example{held}"
    archive, again = _moved(tmp_path, held, to_path, pages.tweets_page("Council pulls story", site.TWEET_PHOTO))
    assert again.returncode == 0, again.stderr  # type: ignore[attr-defined]
    assert f"its title is the article's (by the addresses alone, {WORDS_KEPT})" in again.stderr  # type: ignore[attr-defined]
    assert _captures(archive) == [(url, url, "ok", None), (url, f"https://news.example{to_path}", "ok", None)]


@pytest.mark.parametrize(("held_path", "to_path", "title", "why", "not_it"), [
    # another article, titled otherwise
    (PATH, "/2024/budget-vote.html", "Budget vote", OTHER_PAGE, "not to the article"),
    # its live blog, its title the article's with words added
    ("/2024/05/03/pulled-story", "/2024/05/03/pulled-story-live", "Council pulls story: live", WORDS_KEPT,
     "not known to be the article"),
    # a tag page, even titled as the article
    (PATH, "/tag/pulled-story", "Council pulls story", OTHER_PAGE, "not to the article"),
])
def test_a_page_titled_otherwise_or_a_listing_is_still_not_read_as_the_article(
        tmp_path: Path, held_path: str, to_path: str, title: str, why: str, not_it: str) -> None:
    url, to = f"https://news.example{held_path}", f"https://news.example{to_path}"
    archive, again = _moved(tmp_path, held_path, to_path, pages.tweets_page(title, site.TWEET_VIDEO))
    assert again.returncode == 1, again.stderr  # type: ignore[attr-defined]
    summary = json.loads(again.stdout)  # type: ignore[attr-defined]
    assert summary["failures"] == [
        f"{url}: now redirects to {to} ({why}), {not_it}; the archive holds its earlier captures "
        f"(`archiver lookup --article {url}` lists the posts it cites)"], summary
    assert summary["posts"] == 0
    assert _captures(archive) == [
        (url, url, "ok", None),
        (url, url, "error", f"redirected to {to} ({why}): the article is no longer at its address (captured before)")]
    assert _cited(archive) == {(url, PHOTO)}
