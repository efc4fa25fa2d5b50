"""An article archived before whose address now redirects elsewhere (a story taken down by sending
its readers to the front page): the article records that its address leads elsewhere, dated, with
what it leads to captured as evidence, and keeps its earlier captures and citations; the run names
it. And an article first read through a redirect is found by the address it was given."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e import cli, lookup
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

ARTICLE = site.ARTICLE_WITHHELD
FRONT = "https://news.example/"


def _seeds(tmp: Path, url: str) -> Path:
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(url + "\n")
    return seeds


def test_a_held_article_redirected_to_the_front_page_is_recorded_as_leading_elsewhere(tmp_path: Path) -> None:
    archive, seeds = tmp_path / "archive", _seeds(tmp_path, ARTICLE.url)
    with FakeWeb(tmp_path / "web") as web:
        first = cli(web, "run", "--seeds", str(seeds), archive=archive)
        assert first.returncode == 0, first.stderr
        with sqlite3.connect(archive / "archive.db") as db:
            cited = db.execute("SELECT post, first_seen, dropped_at FROM citations ORDER BY post").fetchall()
        web.set_state(("redirect", ARTICLE.path), FRONT)  # taken down: its readers sent to the front page
        moved = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)
        report = json.loads(cli(web, "report", "--format", "json", archive=archive).stdout)
        web.set_state(("redirect", ARTICLE.path), None)  # back
        back = cli(web, "run", "--seeds", str(seeds), archive=archive)
        assert back.returncode == 0, back.stderr
        after = json.loads(cli(web, "report", "--format", "json", archive=archive).stdout)
    assert moved.returncode == 1, moved.stderr
    summary = json.loads(moved.stdout)
    assert summary["failures"] == [
        f"{ARTICLE.url}: now leads to {FRONT} (a redirect; taken down or moved?): what it leads to is kept as a "
        f"capture of the article, the archive holds its earlier captures (`archiver lookup --article {ARTICLE.url}` "
        "lists the posts it cites)"], moved.stderr
    assert summary["articles_failed"] == 1, summary
    (article,) = report["articles"]  # the front page is no article of the archive
    assert article["url"] == ARTICLE.url and article["failing_since"], article
    assert article["failure"].startswith(f"its address now leads to {FRONT} (a redirect)"), article
    with sqlite3.connect(archive / "archive.db") as db:
        articles = [u for (u,) in db.execute("SELECT url FROM articles")]
        captures = db.execute("SELECT c.status, c.url, c.screenshot, c.captured_at FROM captures c "
                              "WHERE c.post IS NULL ORDER BY c.captured_at, c.id").fetchall()
        redirect = db.execute("SELECT count(*) FROM records r JOIN articles a ON a.id = r.article_id "
                              "WHERE r.warc_type = 'response' AND r.status = 302 AND r.target_uri = ?",
                              [ARTICLE.url]).fetchone()[0]
        front = db.execute("SELECT count(*) FROM records r JOIN articles a ON a.id = r.article_id "
                           "WHERE r.warc_type = 'response' AND r.target_uri = ?", [FRONT]).fetchone()[0]
        still = db.execute("SELECT post, first_seen, dropped_at FROM citations ORDER BY post").fetchall()
    assert articles == [ARTICLE.url]
    assert [(s, u) for s, u, _shot, _at in captures] == [("ok", ARTICLE.url), ("error", ARTICLE.url),
                                                         ("ok", ARTICLE.url)]
    shot = captures[1][2]
    assert shot and (archive / shot).is_file()  # what the address showed then, kept
    assert article["failing_since"] == captures[1][3]
    assert redirect >= 1 and front >= 1  # the redirect and the page it led to: the article's evidence
    assert still == cited  # its citations untouched
    (again,) = after["articles"]
    assert (again["failing_since"], again["failure"]) == (None, None)


def test_an_article_first_read_through_a_redirect_is_found_by_the_address_given(tmp_path: Path) -> None:
    old = "https://news.example/2024/old-levee-address.html"
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("redirect", "/2024/old-levee-address.html"), ARTICLE.url)
        r = cli(web, "archive", old, archive=archive)
        assert r.returncode == 0, r.stderr
        by_given = lookup(web, archive, "--article", old)
        by_held = lookup(web, archive, "--article", ARTICLE.url)
        again = cli(web, "archive", old, "--format", "json", archive=archive)  # still leads to it: held
    assert by_given and {p["key"] for p in by_given} == {p["key"] for p in by_held}
    assert again.returncode == 0 and json.loads(again.stdout)["failures"] == [], again.stderr
