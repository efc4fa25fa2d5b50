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


def _html(title: str, *tweets: site.Tweet) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
            + "".join(pages.blockquote_html(t) for t in tweets) + "</body></html>")


def _other_site(_req: Request, _state: SiteState) -> Response:
    return text(200, _html("Another site's front page", site.TWEET_VIDEO))


def _article_rows(archive: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(archive / "archive.db") as db:
        return db.execute("SELECT a.url, c.status, c.error FROM captures c JOIN articles a ON a.id = c.article_id "
                          "WHERE c.post IS NULL ORDER BY c.captured_at, c.id").fetchall()


@pytest.mark.parametrize(("to", "page", "why"), [
    ("https://news.example/", None, "the site's home page"),
    ("https://www.news.example/index.html", None, "the site's home page"),
    ("https://news.example/404.html", "/404.html", "a page not found"),  # a "not found" page answering 200
    ("https://news.example/account/login?next=" + PATH, "/account/login", "a login, subscription or consent page"),
    (f"https://news.example{OTHER_PATH}", OTHER_PATH, "another page of its site"),
    ("https://courier.example/", None, "another site"),
    ("https://courier.example/2024/03/10999/budget.html", None, "another site"),
])
def test_a_held_article_that_now_redirects_elsewhere_is_recorded_as_gone(
        tmp_path: Path, to: str, page: str | None, why: str) -> None:
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web", handlers={"courier.example": _other_site}) as web:
        web.set_state(("article", PATH), _html("Council vote", site.TWEET_PHOTO))
        if page is not None:  # what the redirect leads to, on the article's site: a page citing another post
            web.set_state(("article", page), _html("Elsewhere", site.TWEET_VIDEO))
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
    return text(200, _html("Council vote", site.TWEET_PHOTO))


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
        web.set_state(("article", PATH), _html("Council vote", site.TWEET_PHOTO))
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        web.set_state(("article", PATH), None)
        web.set_state(("article", moved), _html("Council vote", site.TWEET_PHOTO))
        web.set_state(("redirect", PATH), to)
        again = cli(web, "archive", URL, "--format", "json", archive=archive)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["failures"] == []
    assert [status for _url, status, _error in _article_rows(archive)] == ["ok", "ok"]


def test_what_a_redirect_of_a_held_article_leads_to() -> None:
    from archiver.index.urls import moved_away

    held = "https://news.example/2024/03/10452/council-vote.html"
    for same in ("http://news.example/2024/03/10452/council-vote.html", "https://NEWS.example:443/2024/03/10452/council-vote.html",
                 held + "?utm_source=feed", "https://news.example/amp/2024/03/10452/council-vote.html"):
        assert moved_away(held, held, same) is None, same
    # Dates are no ID: another article of the same day is another article.
    assert moved_away(held, held, "https://news.example/2024/03/10999/budget.html") == "another page of its site"
    # ... nor a date written as one number: the day's other articles, and its listing, share it.
    day = "https://news.example/articles/20240310/k00/00m/040/123000c"
    for page in ("https://news.example/articles/20240310/k00/00m/040/456000c", "https://news.example/articles/20240310/"):
        assert moved_away(day, day, page) == "another page of its site", page
    month = "https://news.example/2024/202403/council-vote.html"
    assert moved_away(month, month, "https://news.example/2024/202403/budget.html") == "another page of its site"
    # Where news sites send an article they keep: its AMP copy to the article, a mobile host to the
    # main one, a dated path to one naming it with its ID, a site moved to a new domain.
    for old, new in (("https://news.example/2024/03/vote.amp.html", "https://news.example/2024/03/vote.html"),
                     ("https://news.example/2024/03/vote-amp", "https://news.example/2024/03/vote"),
                     ("https://amp.news.example/2024/03/vote", "https://www.news.example/2024/03/vote"),
                     ("https://m.news.example/2024/council-vote", "https://www.news.example/2024/council-vote"),
                     ("https://mobile.news.example/2024/council-vote", "https://news.example/2024/council-vote"),
                     ("https://news.example/2024/03/10/council-vote.html", "https://news.example/news/council-vote-10452"),
                     ("https://news.example/2024/03/10/council-vote.html", "https://news.example/10452-council-vote"),
                     ("https://news.example/2024/03/council-vote", "https://newsexample.com/2024/03/council-vote"),
                     ("https://news.co.uk/2024/03/council-vote", "https://www.news.com/2024/03/council-vote/")):
        assert moved_away(old, old, new) is None, (old, new)
    # ... but not a mobile host's front page, another article named as it with a number added, nor
    # another site's page of another name.
    assert moved_away("https://m.news.example/2024/vote", "https://m.news.example/2024/vote",
                      "https://www.news.example/") == "the site's home page"
    assert moved_away("https://news.example/2024/03/council-vote", "https://news.example/2024/03/council-vote",
                      "https://news.example/2024/03/council-vote-2") == "another page of its site"
    assert moved_away(held, held, "https://courier.example/2024/03/10999/budget.html") == "another site"
    # A folder above the article (its section's listing) is never the article, whatever ID its name holds.
    for listing in ("https://news.example/section/100001/", "https://www.news.example/section/100001"):
        assert moved_away("https://news.example/section/100001/story-a", "https://news.example/section/100001/story-a",
                          listing) == "another page of its site", listing
    # ...but the folder an AMP copy or an index page of the article is in is the article.
    for below in ("https://news.example/2024/story-12345/amp", "https://news.example/2024/story-12345/index.html"):
        assert moved_away(below, below, "https://news.example/2024/story-12345/") is None, below
    # A wall, on the site's own host or on one of its own: the article may be behind it.
    for wall in ("https://news.example/consent?return=/2024/03/10/council-vote.html",
                 "https://consent.news.example/v2/collectConsent?sessionId=1",
                 "https://login.courier.example/", "https://accounts.news.example/signin/v2",
                 "https://news.example/gdpr/notice"):
        assert moved_away(held, held, wall) == "a login, subscription or consent page", wall
    for wall in ("https://news.example/account/sign-in", "https://news.example/subscribe-now",
                 "https://news.example/my-account/", "https://news.example/auth/realms/news/protocol/openid-connect/auth"):
        assert moved_away(held, held, wall) == "a login, subscription or consent page", wall
    # ... but not an article whose name holds a wall's word among others, one in a section named as
    # a wall is, nor a site whose own host or section is so named.
    for page, why in (("https://news.example/2024/accounts-of-the-flood.html", "another page of its site"),
                      ("https://news.example/2024/03/consent-decree-is-lifted", "another page of its site"),
                      ("https://courier.example/2024/03/register-to-vote-by-friday.html", "another site"),
                      ("https://news.example/register/2024/03/11/levee.html", "another page of its site")):
        assert moved_away(held, held, page) == why, page
    section = "https://news.example/register/2024/03/10/council-vote.html"
    assert moved_away(section, section, "https://news.example/register/budget") == "another page of its site"
    own = "https://register.example/2024/03/10/council-vote.html"
    assert moved_away(own, own, "https://register.example/news/council-vote-10452") is None
    assert moved_away(own, own, "https://register.example/2024/03/11/levee.html") == "another page of its site"
    # Given under an old address that led to it (held there since): its destination is the article.
    old = "https://news.example/story.php?id=88"
    assert moved_away(held, old, held) is None
    assert moved_away(held, old, "https://news.example/errors/not-found") == "a page not found"


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
        web.set_state(("article", PATH), _html("Council vote", site.TWEET_PHOTO))
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
