"""An article held before that now cites posts it did not at its latest read (a live blog adding
posts, an edit swapping an embed), or no longer cites some: read again by a later run, its page is
captured again so the archive shows it as it is, and the run's summary counts it among
`articles_changed`. An article read again unchanged is not captured again."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests.e2e import cli
from tests.fakeweb import FakeWeb, pages, site

pytestmark = pytest.mark.browser

PATH = "/2024/live-blog.html"
URL = f"https://news.example{PATH}"


def _page(*tweets: site.Tweet) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Flood: live</title></head><body>"
            "<h1>Flood: live</h1>" + "".join(pages.blockquote_html(t) for t in tweets) + "</body></html>")


def _article_captures(archive: Path) -> list[str]:
    with sqlite3.connect(archive / "archive.db") as db:
        rows = db.execute("SELECT c.status FROM captures c JOIN articles a ON a.id = c.article_id "
                          "WHERE a.url = ? AND c.post IS NULL ORDER BY c.captured_at, c.id", [URL]).fetchall()
    return [status for (status,) in rows]


def test_an_article_that_cites_a_new_post_is_captured_again(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), _page(site.TWEET_PHOTO))
        first = cli(web, "archive", URL, "--format", "json", archive=archive)
        assert first.returncode == 0, first.stderr
        same = cli(web, "archive", URL, "--format", "json", archive=archive)  # read again, unchanged
        assert same.returncode == 0, same.stderr
        assert _article_captures(archive) == ["ok"]
        web.set_state(("article", PATH), _page(site.TWEET_PHOTO, site.TWEET_VIDEO))  # a post added
        grown = cli(web, "archive", URL, "-v", "--format", "json", archive=archive)
        assert grown.returncode == 0, grown.stderr
        again = cli(web, "archive", URL, "--format", "json", archive=archive)  # held as it is now
        assert again.returncode == 0, again.stderr
        for handle in (site.TWEET_PHOTO.user.screen_name, site.TWEET_VIDEO.user.screen_name):
            out = tmp_path / f"{handle}.wacz"
            exported = cli(web, "export", "--handle", handle, "-o", str(out), archive=archive)
            assert exported.returncode == 0, exported.stderr
    assert [json.loads(r.stdout)["articles_changed"] for r in (first, same, grown, again)] == [0, 0, 1, 0]
    assert _article_captures(archive) == ["ok", "ok"]
    assert f"{URL}: cites 1 post(s) it did not cite at its latest read, no longer cites 0: captured again" in grown.stderr
    assert "; 1 article(s) changed the posts they cite (captured again)" in grown.stderr
    assert "changed the posts they cite" not in again.stderr
    with sqlite3.connect(archive / "archive.db") as db:
        shots = db.execute("SELECT c.screenshot FROM captures c JOIN articles a ON a.id = c.article_id "
                           "WHERE a.url = ? AND c.post IS NULL", [URL]).fetchall()
    assert len({s for (s,) in shots}) == 2 and all(s and (archive / s).is_file() for (s,) in shots)
    # A bundle of a post opens the article on the capture that shows it: the first for the post it
    # cited from the start, the second for the one it cited later.
    with sqlite3.connect(archive / "archive.db") as db:
        # a page's time is its capture's page record's WARC-Date (replay opens the record at or after it)
        times = [t for (t,) in db.execute("SELECT r.date FROM captures c JOIN articles a ON a.id = c.article_id "
                                          "JOIN records r ON r.record_id = c.page_record_id "
                                          "WHERE a.url = ? AND c.post IS NULL ORDER BY c.captured_at", [URL])]
    for tweet, when in ((site.TWEET_PHOTO, times[0]), (site.TWEET_VIDEO, times[1])):
        with zipfile.ZipFile(tmp_path / f"{tweet.user.screen_name}.wacz") as wacz:
            pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()[1:]]
        (article,) = [p for p in pages if p["url"] == URL]
        assert article["ts"] == when, (tweet.id, article, times)


def test_the_capture_showing_a_post_is_the_first_after_its_citation() -> None:
    from archiver.index.rows import showing_capture

    caps = ["2024-03-01T10:00:00Z", "2024-03-02T10:00:00Z", "2024-03-03T10:00:00Z"]
    assert showing_capture([], [("2024-03-01T09:00:00Z", "blockquote")]) is None
    assert showing_capture(caps, []) == caps[0]
    assert showing_capture(caps, [("2024-03-01T09:00:00Z", "blockquote")]) == caps[0]
    assert showing_capture(caps, [("2024-03-01T09:00:00Z", "a"), ("2024-03-02T09:00:00Z", "b")]) == caps[1]
    # found in the rendered page of the capture just before its citation
    assert showing_capture(caps, [("2024-03-02T10:00:05Z", "rendered:blockquote.twitter-tweet")]) == caps[1]
    # cited after the last capture (read again, not captured again): the latest there is
    assert showing_capture(caps, [("2024-03-04T09:00:00Z", "a")]) == caps[2]
    assert showing_capture(list(reversed(caps)), [("2024-03-01T09:00:00Z", "a")]) == caps[0]


def _viewed(archive: Path, handle: str) -> dict[str, list[tuple[str, ...]]]:
    """The article's rows of `citations_expanded` (key, first seen, dropped), and the rows of the
    canned `citing_handle` query for `handle` (key, no longer cited since)."""
    from archiver.datasette_meta import metadata

    sql = metadata()["databases"]["archive"]["queries"]["citing_handle"]["sql"]
    with sqlite3.connect(archive / "archive.db") as db:
        view = db.execute("SELECT post_key, first_seen, dropped_at FROM citations_expanded WHERE article_url = ?",
                          [URL]).fetchall()
        db.row_factory = sqlite3.Row
        cited = [(r["post_key"], r["no_longer_cited_since"]) for r in db.execute(sql, {"handle": handle})]
    return {"view": view, "citing_handle": cited}


def test_an_embed_taken_out_is_dated_and_the_article_captured_again(tmp_path: Path) -> None:
    """An edit takes an embed out: the citation is dated as dropped (the post stays cited, as the
    article once did), the article captured again; put back, it is cited again."""
    archive = tmp_path / "archive"
    photo = f"twitter:{site.TWEET_PHOTO.id}"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), _page(site.TWEET_PHOTO, site.TWEET_VIDEO))
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        web.set_state(("article", PATH), _page(site.TWEET_VIDEO))  # the photo tweet taken out
        cut = cli(web, "archive", URL, "--format", "json", archive=archive)
        shown = cli(web, "show", photo, archive=archive)
        listed = cli(web, "lookup", "--format", "json", archive=archive)
        viewed = _viewed(archive, site.TWEET_PHOTO.user.screen_name)
        report = cli(web, "report", "-o", str(tmp_path / "report.html"), archive=archive)
        # the journal in the WARCs keeps it: an index rebuilt from them says the same
        assert cli(web, "reindex", "--force", archive=archive).returncode == 0
        rebuilt = cli(web, "show", photo, archive=archive)
        again = cli(web, "archive", URL, "--format", "json", archive=archive)  # as it is now: no change
        web.set_state(("article", PATH), _page(site.TWEET_PHOTO, site.TWEET_VIDEO))  # put back
        back = cli(web, "archive", URL, "--format", "json", archive=archive)
        detail = cli(web, "show", photo, "--format", "json", archive=archive)
        held = cli(web, "archive", URL, "--format", "json", archive=archive)  # the return is captured already
    assert [json.loads(r.stdout)["articles_changed"] for r in (cut, again, back, held)] == [1, 0, 1, 0], cut.stderr
    assert _article_captures(archive) == ["ok", "ok", "ok"]
    (line,) = [x for x in shown.stdout.splitlines() if URL in x]
    assert "— no longer cited since 20" in line, shown.stdout
    assert line in rebuilt.stdout.splitlines(), rebuilt.stdout
    (row,) = [r for r in json.loads(listed.stdout) if r["key"] == photo]
    assert [a["dropped_at"] is not None for a in row["articles"]] == [True]
    # Who reads the index directly sees it too: the view and the canned query of Datasette.
    video = f"twitter:{site.TWEET_VIDEO.id}"
    assert {k: (first is not None, dropped is not None) for k, first, dropped in viewed["view"]} == {
        photo: (True, True), video: (True, False)}
    assert [(k, dropped is not None) for k, dropped in viewed["citing_handle"] if k == photo] == [(photo, True)]
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "report.html").read_text()
    assert page.count("no longer in this article since ") == 1, page
    # the date as the page's other dates are: a <time> element, not its markup shown as text
    assert page.count('no longer in this article since <time datetime="20') == 1 and "&lt;time" not in page
    (article,) = json.loads(detail.stdout)["articles"]
    assert article["url"] == URL and article["dropped_at"] is None  # cited again


def test_a_change_read_by_a_run_killed_before_the_page_was_captured_is_captured_by_the_next(tmp_path: Path) -> None:
    """The run indexes the new citation, then captures the page; killed in between (kill -9 while
    the page hangs on an image), the next run finds the citation indexed already but no complete
    capture of the page since: it captures the page. A run after that captures nothing more."""
    import signal
    import subprocess
    import sys
    import time

    from tests.e2e import ROOT

    archive, seeds = tmp_path / "archive", tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(URL + "\n")
    new_key = f"twitter:{site.TWEET_VIDEO.id}"

    def cited() -> bool:
        try:
            with sqlite3.connect(f"file:{archive / 'archive.db'}?mode=ro", uri=True) as db:
                return db.execute("SELECT count(*) FROM citations c JOIN posts p ON p.id = c.post WHERE p.key = ?",
                                  [new_key]).fetchone()[0] > 0
        except sqlite3.Error:
            return False

    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), _page(site.TWEET_PHOTO))
        assert cli(web, "run", "--seeds", str(seeds), archive=archive).returncode == 0
        grown = _page(site.TWEET_PHOTO, site.TWEET_VIDEO)
        web.set_state(("article", PATH), grown.replace("</body>", '<img src="https://faults.example/hang"></body>'))
        args = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir", str(archive),
                "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
        p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            end = time.monotonic() + 120
            while not cited():
                assert p.poll() is None and time.monotonic() < end, "the run never indexed the new citation"
                time.sleep(0.05)
            p.send_signal(signal.SIGKILL)  # the page's capture is waiting for the image that hangs
        finally:
            p.wait()
        assert _article_captures(archive) == ["ok"]  # (killed before the capture was indexed)
        web.set_state(("article", PATH), grown)
        resumed = cli(web, "run", "--seeds", str(seeds), "-v", "--format", "json", archive=archive)
        assert resumed.returncode == 0, resumed.stderr
        assert _article_captures(archive) == ["ok", "ok"], resumed.stderr
        assert f"{URL}: its citations changed after its latest complete capture" in resumed.stderr
        held = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)
        assert held.returncode == 0, held.stderr
    assert _article_captures(archive) == ["ok", "ok"]  # held as it is now: not captured a third time


def test_a_post_cited_again_by_a_run_killed_before_the_page_was_captured_is_captured_by_the_next(
        tmp_path: Path) -> None:
    """An embed taken out (its citation dated as dropped, the page captured again), then put back:
    the run that reads it back cites it again, and is killed before the page's capture completes.
    The citation is current again already, as at the read before it was dropped; the next run still
    finds the return after the latest complete capture and captures the page, once."""
    import signal
    import subprocess
    import sys
    import time

    from tests.e2e import ROOT

    archive, seeds = tmp_path / "archive", tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(URL + "\n")
    photo = f"twitter:{site.TWEET_PHOTO.id}"

    def cited_again() -> bool:
        try:
            with sqlite3.connect(f"file:{archive / 'archive.db'}?mode=ro", uri=True) as db:
                row = db.execute("SELECT c.dropped_at FROM citations c JOIN posts p ON p.id = c.post WHERE p.key = ?",
                                 [photo]).fetchone()
        except sqlite3.Error:
            return False
        return row is not None and row[0] is None

    both = _page(site.TWEET_PHOTO, site.TWEET_VIDEO)
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), both)
        assert cli(web, "run", "--seeds", str(seeds), archive=archive).returncode == 0
        web.set_state(("article", PATH), _page(site.TWEET_VIDEO))  # the photo tweet taken out
        cut = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)
        assert json.loads(cut.stdout)["articles_changed"] == 1, cut.stderr
        assert not cited_again() and _article_captures(archive) == ["ok", "ok"]
        # put back; the page then hangs on an image until the run is killed
        web.set_state(("article", PATH), both.replace("</body>", '<img src="https://faults.example/hang"></body>'))
        args = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir", str(archive),
                "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
        p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            end = time.monotonic() + 120
            while not cited_again():
                assert p.poll() is None and time.monotonic() < end, "the run never indexed the citation's return"
                time.sleep(0.05)
            p.send_signal(signal.SIGKILL)
        finally:
            p.wait()
        assert _article_captures(archive) == ["ok", "ok"]  # (killed before the capture was indexed)
        web.set_state(("article", PATH), both)
        resumed = cli(web, "run", "--seeds", str(seeds), "-v", "--format", "json", archive=archive)
        assert resumed.returncode == 0, resumed.stderr
        assert _article_captures(archive) == ["ok", "ok", "ok"], resumed.stderr
        assert f"{URL}: its citations changed after its latest complete capture" in resumed.stderr
        held = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)
        assert held.returncode == 0, held.stderr
        shown = cli(web, "show", photo, "--format", "json", archive=archive)
    assert _article_captures(archive) == ["ok", "ok", "ok"]  # held as it is now: not captured a fourth time
    (article,) = json.loads(shown.stdout)["articles"]
    assert article["url"] == URL and article["dropped_at"] is None  # cited, as the last capture shows
