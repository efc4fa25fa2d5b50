"""An article whose own script sends the browser elsewhere once it has loaded (an ad-block or
consent check's `location.href = ...`): what Chromium shows after that is another page. Its title,
its embeds and its picture are not the article's: the capture fails, named, and cites nothing the
article does not."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e import cli
from tests.fakeweb import FakeWeb, pages, site

pytestmark = pytest.mark.browser

PATH = "/2024/leaves.html"
URL = f"https://news.example{PATH}"


def _page(target: str) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Flood: live</title></head><body>"
            "<h1>Flood: live</h1>" + pages.blockquote_html(site.TWEET_PHOTO)
            # Once it has loaded, as the case is: a timer alone could fire before `load` on a busy machine,
            # making the move part of the load (a script redirect, followed as t.co's are).
            + f"<script>addEventListener('load', function () {{ setTimeout(function () {{ location.href = '{target}'; }}, 300); }});"
            "</script></body></html>")


def test_an_article_that_goes_elsewhere_by_itself_is_no_view_of_the_article(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    other = site.ARTICLE_FLOOD.url  # another page of the site, with embeds of its own
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), _page(other))
        r = cli(web, "archive", URL, "--format", "json", archive=archive)
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    (failure,) = [f for f in summary["failures"] if f.startswith(URL)]
    assert f"went to {other} by itself after it loaded" in failure, failure
    # counted as the failed article it is named as (it was counted among those captured)
    assert (summary["articles"], summary["articles_failed"]) == (0, 1), summary
    assert "archiver: 0 article(s), " in r.stderr, r.stderr
    with sqlite3.connect(archive / "archive.db") as db:
        (title,) = db.execute("SELECT title FROM articles WHERE url = ?", [URL]).fetchone()
        cited = {key for (key,) in db.execute(
            "SELECT p.key FROM citations c JOIN posts p ON p.id = c.post JOIN articles a ON a.id = c.article_id "
            "WHERE a.url = ?", [URL])}
        (status,) = db.execute("SELECT c.status FROM captures c JOIN articles a ON a.id = c.article_id "
                               "WHERE a.url = ? AND c.post IS NULL", [URL]).fetchone()
    assert title in (None, "Flood: live")  # never the other page's
    assert cited == {f"twitter:{site.TWEET_PHOTO.id}"} and status == "error"


@pytest.mark.parametrize("script", [
    "if (!sessionStorage.getItem('r')) { sessionStorage.setItem('r', '1'); location.reload(); }",
    "if (!location.search) { location.href = location.pathname + '/?consent=1'; }",
])
def test_an_article_that_loads_itself_again_is_still_the_article(tmp_path: Path, script: str) -> None:
    # A consent script's reload, or the same address with a query and a trailing slash: the page
    # shown is the article's own, captured as such.
    page = _page("").replace("setTimeout(function () { location.href = ''; }, 300)",
                             f"setTimeout(function () {{ {script} }}, 300)")
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), page)
        web.set_state(("article", PATH + "/"), page)
        r = cli(web, "archive", URL, "--format", "json", archive=archive)
    assert r.returncode == 0, r.stderr
    assert not [f for f in json.loads(r.stdout)["failures"] if f.startswith(URL)]
