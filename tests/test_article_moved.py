"""An article archived before whose address now redirects to a page that is not the article (the
site's home page, a login wall, a "not found" page that answers 200, another article, another
site): the redirect is recorded as a capture of the article that failed, dated, with its reason
and its exchanges, and the run names it, as for an article that answers 404 now. Nothing of the
page reached is read as the article's. A redirect to the article's own canonical address (a
trailing slash, a new name keeping its ID) is the article."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e import cli
from tests.fakeweb import FakeWeb, pages, site
from tests.fakeweb.app import Request, Response, SiteState, text

pytestmark = pytest.mark.browser

PATH = "/2024/03/10452/council-vote.html"
URL = f"https://news.example{PATH}"
OTHER_PATH = "/2024/03/10453/bridge-reopens.html"


def _other_site(_req: Request, _state: SiteState) -> Response:
    return text(200, pages.tweets_page("Another site's front page", site.TWEET_VIDEO))


def _article_rows(archive: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(archive / "archive.db") as db:
        return db.execute("SELECT a.url, c.status, c.error FROM captures c JOIN articles a ON a.id = c.article_id "
                          "WHERE c.post IS NULL ORDER BY c.captured_at, c.id").fetchall()


@pytest.mark.parametrize(("to", "page", "why"), [
    ("https://news.example/", None, "the site's home page"),
    ("https://www.news.example/index.html", None, "the site's home page"),
    ("https://news.example/404.html", "/404.html", "a page not found"),  # a "not found" page answering 200
    ("https://news.example/account/login?next=" + PATH, "/account/login", "a login, subscription or consent page"),
    # a consent page on the article's own path: a wall, never read as the article
    (f"{URL}/consent", f"{PATH}/consent", "a login, subscription or consent page"),
    (f"https://news.example{OTHER_PATH}", OTHER_PATH, "another page of its site"),
    ("https://courier.example/", None, "another site"),
    ("https://courier.example/2024/03/10999/budget.html", None, "another site"),
])
def test_a_held_article_that_now_redirects_elsewhere_is_recorded_as_gone(
        tmp_path: Path, to: str, page: str | None, why: str) -> None:
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web", handlers={"courier.example": _other_site}) as web:
        web.set_state(("article", PATH), pages.tweets_page("Council vote", site.TWEET_PHOTO))
        if page is not None:  # what the redirect leads to, on the article's site: a page citing another post
            web.set_state(("article", page), pages.tweets_page("Elsewhere", site.TWEET_VIDEO))
        first = cli(web, "archive", URL, archive=archive)
        assert first.returncode == 0, first.stderr
        web.set_state(("article", PATH), None)
        web.set_state(("redirect", PATH), to)
        again = cli(web, "archive", URL, "--format", "json", archive=archive)
        report = json.loads(cli(web, "report", "--format", "json", archive=archive).stdout)
    assert again.returncode == 1, again.stderr  # partly failed: the disappearance is recorded
    summary = json.loads(again.stdout)
    assert summary["failures"] == [
        f"{URL}: now redirects to {to} ({why}), not to the article; the archive holds its earlier captures "
        f"(`archiver lookup --article {URL}` lists the posts it cites)"], again.stderr
    assert summary["posts"] == 0  # the page reached is not read as the article: nothing it cites is captured
    rows = _article_rows(archive)
    now = ("a reader who has not logged in, subscribed or consented is not shown the article now" if "login" in why
           else "the article is no longer at its address")
    assert rows == [(URL, "ok", None), (URL, "error", f"redirected to {to} ({why}): {now} (captured before)")], rows
    (article,) = [a for a in report["articles"] if a["url"] == URL]
    assert article["failing_since"] and article["failure"].startswith(f"redirected to {to}"), article
    with sqlite3.connect(archive / "archive.db") as db:
        cited = {k for (k,) in db.execute("SELECT p.key FROM citations c JOIN posts p ON p.id = c.post")}
        answers = db.execute("SELECT r.status, r.target_uri FROM records r JOIN articles a ON a.id = r.article_id "
                             "WHERE a.url = ? AND r.warc_type = 'response' AND r.status IN (301, 302)",
                             [URL]).fetchall()
    assert cited == {f"twitter:{site.TWEET_PHOTO.id}"}  # (the video tweet is only the other page's)
    assert answers == [(302, URL)]  # the redirect is findable as the article's


def _moved_site(_req: Request, _state: SiteState) -> Response:
    return text(200, pages.tweets_page("Council vote", site.TWEET_PHOTO))


@pytest.mark.parametrize("to", [
    URL + "/",  # a trailing slash
    "https://news.example/politics/2024/10452-council-votes-to-rebuild",  # a new name, the same ID
    "https://www.news.example/archive/council-vote/",  # the same name, moved
    "https://m.news.example/politics/council-vote.amp.html",  # the site's mobile host, its AMP copy
    f"https://courier.example{PATH}",  # the site moved to a new domain, its paths kept
])
def test_a_held_article_that_redirects_to_its_own_new_address_is_not_gone(tmp_path: Path, to: str) -> None:
    from tests.fakeweb.news import news

    archive = tmp_path / "archive"
    moved = to.split("example", 1)[1]
    with FakeWeb(tmp_path / "web", handlers={"m.news.example": news, "courier.example": _moved_site}) as web:
        web.set_state(("article", PATH), pages.tweets_page("Council vote", site.TWEET_PHOTO))
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        web.set_state(("article", PATH), None)
        web.set_state(("article", moved), pages.tweets_page("Council vote", site.TWEET_PHOTO))
        web.set_state(("redirect", PATH), to)
        again = cli(web, "archive", URL, "--format", "json", archive=archive)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["failures"] == []
    assert [status for _url, status, _error in _article_rows(archive)] == ["ok", "ok"]


@pytest.mark.parametrize(("to", "why", "now"), [
    ("https://news.example/account/login?next=" + PATH, "a login, subscription or consent page",
     "a reader who has not logged in, subscribed or consented is not shown the article now"),
    (f"https://news.example{OTHER_PATH}", "another page of its site", "the article is no longer at its address"),
    ("https://news.example/politics/council-votes-10452", "the article's new address",
     "the page is gone from its site or moved"),
])
def test_a_held_article_redirected_to_a_page_that_answers_an_error_names_the_redirect(
        tmp_path: Path, to: str, why: str, now: str) -> None:
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), pages.tweets_page("Council vote", site.TWEET_PHOTO))
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        web.set_state(("article", PATH), None)
        web.set_state(("redirect", PATH), to)  # its address answers 302; where it leads, 404
        again = cli(web, "archive", URL, "--format", "json", archive=archive)
    assert again.returncode == 1, again.stderr
    assert json.loads(again.stdout)["failures"] == [
        f"{URL}: now redirects to {to} ({why}), which answered HTTP 404; the archive holds its earlier captures "
        f"(`archiver lookup --article {URL}` lists the posts it cites)"], again.stderr
    assert _article_rows(archive) == [
        (URL, "ok", None), (URL, "error", f"redirected to {to} ({why}), which answered HTTP 404: {now} (captured before)")]
