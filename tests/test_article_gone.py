"""An article archived before that its site now answers with an error status (taken down, moved):
the answer is recorded as a capture of the article, with its date and its exchange, and the
failure says the archive holds it, instead of asking to check the address."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e import cli
from tests.fakeweb import FakeWeb

pytestmark = pytest.mark.browser

PATH = "/2024/pulled-story.html"
URL = f"https://news.example{PATH}"
HTML = ("<!doctype html><html><head><title>A story pulled later</title></head><body><h1>Pulled</h1>"
        "<p>The council said nothing.</p></body></html>")


def test_an_archived_article_that_now_answers_404_is_recorded_as_gone(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), HTML)
        first = cli(web, "archive", URL, "--format", "json", archive=archive)
        assert first.returncode == 0, first.stderr
        web.set_state(("article", PATH), None)  # taken down: the site answers 404
        again = cli(web, "archive", URL, "--format", "json", archive=archive)
        never = cli(web, "archive", "https://news.example/2024/never-was.html", archive=archive)
    assert again.returncode == 1, again.stderr  # partly failed: the disappearance is recorded, not "nothing read"
    failures = json.loads(again.stdout)["failures"]
    assert failures == [f"{URL}: answered HTTP 404 now; the archive holds its earlier captures "
                        f"(`archiver lookup --article {URL}` lists the posts it cites)"], again.stderr
    assert "check the address" not in again.stderr
    with sqlite3.connect(archive / "archive.db") as db:
        rows = db.execute("SELECT c.status, c.error, c.captured_at FROM captures c JOIN articles a ON a.id = c.article_id "
                          "WHERE a.url = ? AND c.post IS NULL ORDER BY c.captured_at", [URL]).fetchall()
        answers = db.execute("SELECT r.status FROM records r JOIN articles a ON a.id = r.article_id "
                             "WHERE a.url = ? AND r.warc_type = 'response' AND r.target_uri = ?", [URL, URL]).fetchall()
    assert [(s, e) for s, e, _ in rows] == [
        ("ok", None), ("error", "HTTP 404: the page is gone from its site or moved (captured before)")]
    assert rows[0][2] < rows[1][2]  # dated after the capture that held it
    assert sorted(a for (a,) in answers) == [200, 200, 404]  # the 404 exchange is the article's, findable
    # An address never archived is still one to check.
    assert never.returncode == 2 and "HTTP 404; check the address" in never.stderr, never.stderr


def test_an_article_back_after_a_404_is_captured_again(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), HTML)
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        web.set_state(("article", PATH), None)  # taken down for a while
        assert cli(web, "archive", URL, archive=archive).returncode == 1
        web.set_state(("article", PATH), HTML.replace("said nothing", "said it would appeal"))  # back, changed
        back = cli(web, "archive", URL, archive=archive)
        assert back.returncode == 0, back.stderr
        held = cli(web, "archive", URL, archive=archive)  # and held again: not captured a fourth time
        assert held.returncode == 0, held.stderr
    with sqlite3.connect(archive / "archive.db") as db:
        rows = db.execute("SELECT c.status FROM captures c JOIN articles a ON a.id = c.article_id "
                          "WHERE a.url = ? AND c.post IS NULL ORDER BY c.captured_at", [URL]).fetchall()
        (status,) = db.execute("SELECT status FROM articles WHERE url = ?", [URL]).fetchone()
    assert [s for (s,) in rows] == ["ok", "error", "ok"] and status == "ok"


def test_an_article_archived_through_a_redirect_is_found_gone_at_the_address_first_given(tmp_path: Path) -> None:
    """Held under the address the redirect led to; the address given then answers 404 now."""
    archive = tmp_path / "archive"
    old = "https://news.example/2024/old-address.html"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), HTML)
        web.set_state(("redirect", "/2024/old-address.html"), URL)
        first = cli(web, "archive", old, archive=archive)
        assert first.returncode == 0, first.stderr
        web.set_state(("redirect", "/2024/old-address.html"), None)
        web.set_state(("article", PATH), None)
        again = cli(web, "archive", old, "--format", "json", archive=archive)
    assert json.loads(again.stdout)["failures"] == [
        f"{old}: answered HTTP 404 now; the archive holds its earlier captures "
        f"(`archiver lookup --article {URL}` lists the posts it cites)"], again.stderr
    with sqlite3.connect(archive / "archive.db") as db:
        rows = db.execute("SELECT c.url, c.status FROM captures c JOIN articles a ON a.id = c.article_id "
                          "WHERE a.url = ? ORDER BY c.captured_at", [URL]).fetchall()
    assert rows == [(URL, "ok"), (old, "error")]


def test_an_article_whose_page_could_not_be_captured_is_a_named_failure(tmp_path: Path) -> None:
    """Read, its posts found, but its page not loaded by the browser (here: the file went away
    between the read and the capture): a failure of the run, named, not only a line on the log."""
    from archiver.net import NetOptions
    from archiver.pipeline.articles import ArticleHandler
    from archiver.pipeline.session import Session
    from archiver.pipeline.tasks import ArticleTask

    page = tmp_path / "story.html"
    page.write_text(HTML)
    with Session(tmp_path / "archive", NetOptions()) as session:
        result = ArticleHandler(session).handle(ArticleTask(str(page)), found=lambda _posts, _net, _unanswered: page.unlink())
    (failure,) = result.failures
    assert failure.startswith(f"{page}: the page could not be captured: page load: "), failure
    assert "ERR_FILE_NOT_FOUND" in failure, failure


def test_an_html_page_from_stdin_is_kept_as_read_and_said_not_rendered(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.e2e import ROOT

    archive = tmp_path / "archive"
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "archive", "-", "--archive-dir", str(archive),
                        "--format", "json"], input=HTML, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert ("archiver: -: an HTML page read from stdin is kept as read, not rendered (no screenshot); save it to a "
            "file and give that to have it rendered") in r.stderr
    assert json.loads(r.stdout)["failures"] == []
    with sqlite3.connect(archive / "archive.db") as db:
        rows = db.execute("SELECT c.status, c.error, c.screenshot FROM captures c").fetchall()
        kept = db.execute("SELECT warc_type FROM records WHERE target_uri LIKE 'urn:stdin:%'").fetchall()
    assert rows == [("ok", None, None)] and kept == [("resource",)]


def test_a_taken_down_article_is_shown_so_in_the_report_and_show(tmp_path: Path) -> None:
    """Readers of the report and of `show` learn that the article citing a post is gone, and since
    when (only the run that saw the 404 said so); once it answers again, no more."""
    from tests.fakeweb import pages, site

    archive = tmp_path / "archive"
    key = f"twitter:{site.TWEET_PHOTO.id}"
    cited = HTML.replace("</body>", pages.blockquote_html(site.TWEET_PHOTO) + "</body>")
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), cited)
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        web.set_state(("article", PATH), None)  # taken down
        assert cli(web, "archive", URL, archive=archive).returncode == 1
        report = json.loads(cli(web, "report", "--format", "json", archive=archive).stdout)
        shown = cli(web, "show", key, archive=archive).stdout
        web.set_state(("article", PATH), cited)  # back
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        back = json.loads(cli(web, "report", "--format", "json", archive=archive).stdout)
    (article,) = [a for a in report["articles"] if a["url"] == URL]
    assert article["failing_since"] and article["failure"].startswith("HTTP 404: the page is gone from its site")
    (line,) = [ln for ln in shown.splitlines() if URL in ln]
    assert f"could not be captured since {article['failing_since']}: HTTP 404" in line, shown
    (article,) = [a for a in back["articles"] if a["url"] == URL]
    assert (article["failing_since"], article["failure"]) == (None, None)


@pytest.mark.parametrize("status", [503, 429])
def test_a_held_article_whose_site_refuses_is_not_recorded_as_gone(tmp_path: Path, status: int) -> None:
    """A 503 (down, overloaded) or a 429 (rate-limiting) says nothing of the article, as of a post:
    the run names the refusal (exit 1), the answer is kept as the article's, and no capture of it
    says it failed (the report shows no failure); the next run that gets it reads it as usual."""
    from tests.fakeweb import pages, site

    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), HTML.replace("</body>", pages.blockquote_html(site.TWEET_PHOTO) + "</body>"))
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        web.set_state(("fail", "news.example"), {"status": status, "times": 100, "retry_after": 0})
        refused = cli(web, "archive", URL, "--format", "json", archive=archive)
        report = json.loads(cli(web, "report", "--format", "json", archive=archive).stdout)
    assert refused.returncode == 1, refused.stderr
    assert json.loads(refused.stdout)["failures"] == [
        f"{URL}: not read: its server answered HTTP {status} (down, overloaded or rate-limiting: nothing learnt of "
        f"the article); the archive holds its earlier captures (`archiver lookup --article {URL}` lists the posts "
        "it cites)"], refused.stderr
    (article,) = [a for a in report["articles"] if a["url"] == URL]
    assert (article["failing_since"], article["failure"]) == (None, None), article
    with sqlite3.connect(archive / "archive.db") as db:
        rows = db.execute("SELECT c.status FROM captures c JOIN articles a ON a.id = c.article_id "
                          "WHERE a.url = ? AND c.post IS NULL", [URL]).fetchall()
        answers = db.execute("SELECT r.status FROM records r JOIN articles a ON a.id = r.article_id "
                             "WHERE a.url = ? AND r.warc_type = 'response' AND r.target_uri = ?", [URL, URL]).fetchall()
    assert rows == [("ok",)]
    assert status in {a for (a,) in answers}  # the refusal is findable as the article's
