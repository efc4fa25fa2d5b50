"""`archiver archive` end to end: real Chromium, real WARC, real SQLite, against the local fake web.

One archive run over three articles (module-scoped, so Chromium starts once for all assertions).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.platforms.twitter.detect import snowflake_time
from tests.e2e import ROOT, cli, lookup, warc_files, warcio_check
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

FLOOD = site.ARTICLE_FLOOD.url
REVIEW = site.ARTICLE_REVIEW.url
WIRE_TXT = f"https://news.example{site.WIRE_TEXT_PATH}"
REVIEW_SHARED = f"{REVIEW}?utm_source=twitter&utm_medium=social&fbclid=IwAR0x#comments"
# A page saved to disk (our own markup) that embeds the withheld tweet: kept as a resource record.
LOCAL_ARTICLE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Saved copy</title></head><body>"
    "<p>A saved copy of a page.</p><blockquote class='twitter-tweet'><p lang='en'>LEAKED: the dam</p>"
    "&mdash; River Truth Now (@rivertruthnow) <a href='https://twitter.com/rivertruthnow/status/"
    f"{site.TWEET_WITHHELD.id}'>March 4, 2024</a></blockquote>"
    "<script async src='https://platform.twitter.com/widgets.js'></script></body></html>"
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("e2e")
    with FakeWeb(tmp / "web") as web:
        archive = tmp / "archive"
        local = tmp / "saved-article.html"
        local.write_text(LOCAL_ARTICLE, encoding="utf-8")
        first = cli(web, "archive", FLOOD, REVIEW, WIRE_TXT, str(local), "--format", "json", archive=archive)
        log_after_first = list(web.log)
        # The same article as a social share hands it out: tracking parameters, a fragment.
        second = cli(web, "archive", REVIEW_SHARED, "--format", "json", archive=archive)
        yield web, archive, first, second, log_after_first


def _records(archive: Path) -> list[dict[str, Any]]:
    out = []
    for path in warc_files(archive):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                out.append({
                    "type": rec.rec_type,
                    "uri": rec.rec_headers.get_header("WARC-Target-URI"),
                    "protocol": rec.rec_headers.get_header("WARC-Protocol"),
                    "ip": rec.rec_headers.get_header("WARC-IP-Address"),
                    "status": rec.http_headers.get_statuscode() if rec.http_headers and rec.rec_type == "response" else None,
                    "method": rec.http_headers.protocol if rec.http_headers and rec.rec_type == "request" else None,
                    "body": rec.content_stream().read(),
                    "headers": rec.http_headers,
                })
    return out


def test_run_succeeds_and_reports_every_post(run: Any) -> None:
    _web, _archive, first, _second, _log = run
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    # The flood story embeds the photo, video and deleted tweets and the YouTube video; the review
    # embeds the photo and deleted tweets again; the wire text carries the flattened tweet, whose
    # short link was resolved (so it is known by its ID, not a hash); the saved page embeds the
    # withheld tweet.
    assert {r["key"]: r["status"] for r in summary["results"]} == {
        f"twitter:{site.TWEET_PHOTO.id}": "live",
        f"twitter:{site.TWEET_VIDEO.id}": "live",
        f"twitter:{site.TWEET_DELETED.id}": "deleted",
        f"youtube:{site.YOUTUBE.id}": "live",
        f"twitter:{site.TWEET_FLAT.id}": "live",
        f"twitter:{site.TWEET_WITHHELD.id}": "withheld",
    }
    # Shared posts are captured once although two articles embed them: one result per post.
    assert summary["posts"] == summary["posts_new"] == len(summary["results"]) == 6
    assert summary["articles"] == 4 and summary["articles_failed"] == 0 and summary["failures"] == []
    assert "Traceback" not in first.stderr


def test_warcs_pass_warcio_check(run: Any) -> None:
    _web, archive, *_ = run
    files = warc_files(archive)
    assert files and not list((archive / "warcs").glob("*.open"))
    for f in files:
        r = warcio_check(f)
        assert r.returncode == 0, r.stdout + r.stderr


def test_every_request_the_server_saw_is_in_the_warc(run: Any) -> None:
    _web, archive, _first, _second, log = run
    recs = _records(archive)
    responses = {(r["uri"]) for r in recs if r["type"] in ("response", "revisit")}  # repeated payloads are revisits
    missing = []
    for entry in log:
        scheme = "https" if entry["tls"] else "http"
        url = f"{scheme}://{entry['host']}{entry['path']}"
        if url not in responses:
            missing.append(url)
    assert not missing, missing


def test_warc_records_are_replayable_shapes(run: Any) -> None:
    _web, archive, *_ = run
    recs = _records(archive)
    assert recs[0]["type"] == "warcinfo"
    synd = [r for r in recs if r["type"] == "response" and "cdn.syndication.twimg.com" in (r["uri"] or "")]
    assert synd, "syndication JSON was not recorded"
    for r in recs:
        if r["type"] == "response" and r["headers"] is not None:
            assert r["headers"].protocol in ("HTTP/1.1", "HTTP/1.0")
            if r["headers"].get_header("X-Archive-Orig-Content-Encoding"):
                # decoded bodies are stored: the length header must match the stored bytes
                assert int(r["headers"].get_header("Content-Length")) == len(r["body"])
    assert any(r["protocol"] == "h2" for r in recs if r["type"] == "response"), "no HTTP/2 exchange recorded"
    assert any(r["ip"] for r in recs if r["type"] == "response")
    assert any(r["type"] == "resource" and (r["uri"] or "").startswith("urn:screenshot:") for r in recs)
    assert any(r["type"] == "metadata" for r in recs)
    # The best video variant and the original photo were downloaded
    biggest = max(site.TWEET_VIDEO.video.variants, key=lambda v: v.bitrate or 0)
    assert any(r["type"] == "response" and (r["uri"] or "").endswith(biggest.path.split("/")[-1]) for r in recs)
    assert any(r["type"] == "response" and "name=orig" in (r["uri"] or "") for r in recs)


def test_index_lookup_shows_posts_captures_and_history(run: Any) -> None:
    web, archive, *_ = run
    rows = lookup(web, archive, "--handle", "@rivertondesk")
    ids = {r["post_id"] for r in rows}
    assert ids == {site.TWEET_PHOTO.id, site.TWEET_FLAT.id}
    photo = next(r for r in rows if r["post_id"] == site.TWEET_PHOTO.id)
    assert photo["author"] == "Riverton News Desk" and photo["status"] == "live"
    # The time the ID encodes, to the millisecond; syndication's created_at agrees to the second.
    assert photo["posted_at"] == snowflake_time(site.TWEET_PHOTO.id)
    assert photo["posted_at"][:19] == site.TWEET_PHOTO.created_at[:19]
    assert {a["url"] for a in photo["articles"]} == {FLOOD, REVIEW}
    assert len([c for c in photo["captures"] if c["source"] == "live"]) == 1
    assert [h["status"] for h in photo["history"]] == ["live"]  # the second archive run held it already
    shot = archive / photo["captures"][0]["screenshot"]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    # Bounds, not sizes: the rendered height follows the installed fonts' line heights.
    assert width >= 200 and height >= 100


def test_deleted_post_recovered_from_wayback(run: Any) -> None:
    web, archive, *_ = run
    (row,) = lookup(web, archive, "--status", "deleted")
    assert row["post_id"] == site.TWEET_DELETED.id
    # Its embed showed it gone; its Wayback copy was captured once, besides.
    assert sorted(c["source"] for c in row["captures"]) == ["live", "wayback"]
    assert row["handle"] == site.HARTWELL.screen_name
    assert row["text"] == site.TWEET_DELETED.text


def test_rearchiving_does_not_duplicate(run: Any) -> None:
    web, archive, _first, second, _log = run
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    # The review cites the photo and the deleted tweet, both held since the first run.
    assert summary["posts_skipped_already_captured"] == 2 and summary["posts"] == 0
    rows = lookup(web, archive, "--article", REVIEW)
    for r in rows:
        assert len([c for c in r["captures"] if c["source"] == "live"]) == 1, r["key"]
    # One article, fetched under its own address; its source is the spelling last given.
    import sqlite3

    with sqlite3.connect(archive / "archive.db") as db:
        held = db.execute("SELECT url, source FROM articles WHERE url LIKE ?", [REVIEW + "%"]).fetchall()
    assert held == [(REVIEW, REVIEW_SHARED)], held
    assert not [e for e in web.log if "utm_source" in e["path"] or "fbclid" in e["path"]]
    for spelling in (REVIEW_SHARED, REVIEW.replace("https://", "http://")):
        assert [r["key"] for r in lookup(web, archive, "--article", spelling)] == [r["key"] for r in rows]


def test_screenshot_hashes_match_files(run: Any) -> None:
    web, archive, *_ = run
    r = cli(web, "verify", archive=archive)
    assert r.returncode == 0, r.stdout + r.stderr
    for row in lookup(web, archive):
        for c in row["captures"]:
            if c["screenshot"]:
                assert (archive / c["screenshot"]).is_file()


@pytest.mark.pywb
def test_replay_in_pywb_shows_the_tweet_inside_the_iframe(run: Any, tmp_path: Path) -> None:
    """The archived article replays through pywb in Chromium with every other host unreachable."""
    from playwright.sync_api import sync_playwright

    from archiver.capture.browser import find_chromium
    from tests.pywb_harness import pywb_collection, require_pywb, serve

    require_pywb()
    _web, archive, *_ = run
    with pywb_collection(tmp_path, "c", warc_files(archive)) as wb, serve(wb) as base:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=find_chromium(),
                args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
            page = browser.new_page(viewport={"width": 1000, "height": 2400})
            page.goto(f"{base}/c/2030/{FLOOD}", wait_until="load")
            # pywb's frame holds the article; the tweet is rendered inside the article's own
            # cross-origin iframe (the article's blockquote, before widgets.js runs, does not count).
            tweet = page.frame_locator("#replay_iframe").frame_locator(
                f"iframe[data-tweet-id='{site.TWEET_PHOTO.id}']")
            tweet.get_by_text("Sandbags going up along Mill Street").first.wait_for(timeout=60_000)
            browser.close()


def test_local_file_is_kept_as_a_resource_record(run: Any) -> None:
    _web, archive, *_ = run
    recs = _records(archive)
    local = [r for r in recs if r["type"] == "resource" and (r["uri"] or "").startswith("file://")]
    assert len(local) == 1 and local[0]["uri"].endswith("/saved-article.html")
    assert local[0]["body"].decode() == LOCAL_ARTICLE


def test_an_export_opens_on_a_web_page_not_on_a_local_files_path(run: Any, tmp_path: Path) -> None:
    import zipfile

    web, archive, *_ = run
    out = tmp_path / "truth.wacz"
    # The withheld tweet is cited by the saved page alone, read from disk: its file: URL sorts first.
    r = cli(web, "export", "--handle", site.TWEET_WITHHELD.user.screen_name, "-o", str(out), archive=archive)
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as zf:
        package = json.loads(zf.read("datapackage.json"))
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
    local = next(p for p in pages if p["url"].startswith("file://"))
    assert local["url"].endswith("/saved-article.html")  # still one of the bundle's pages
    (post,) = [p for p in pages if p is not local]
    assert post["url"].startswith("https://") and site.TWEET_WITHHELD.id in post["url"]
    assert (package["mainPageUrl"], package["mainPageDate"]) == (post["url"], post["ts"])


def test_recapture_adds_a_capture_without_duplicating_posts(run: Any, tmp_path: Path) -> None:
    import shutil

    web, archive, *_ = run
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    r = cli(web, "archive", REVIEW, "--recapture", "--format", "json", archive=copy)
    assert r.returncode == 0, r.stderr
    (photo,) = [p for p in lookup(web, copy, "--article", REVIEW) if p["post_id"] == site.TWEET_PHOTO.id]
    assert len([c for c in photo["captures"] if c["source"] == "live"]) == 2
    assert len(photo["history"]) == 2
    assert len(lookup(web, copy)) == len(lookup(web, archive))


def test_every_record_in_the_warcs_is_in_the_index(run: Any) -> None:
    import sqlite3

    from archiver.index.journal import is_journal_uri

    _web, archive, *_ = run
    with sqlite3.connect(archive / "archive.db") as db:
        indexed = {row[0] for row in db.execute("SELECT record_id FROM records")}
    unindexed = []
    for path in warc_files(archive):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                # the index's own journal (urn:post:..., urn:capture:...) is what reindex reads, not indexed
                if is_journal_uri(rec.rec_headers.get_header("WARC-Target-URI") or ""):
                    continue
                if rec.rec_type != "warcinfo" and rec.rec_headers.get_header("WARC-Record-ID") not in indexed:
                    unindexed.append((rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI")))
    assert not unindexed, unindexed


def test_flattened_tweet_seen_again_offline_is_not_a_duplicate(run: Any, tmp_path: Path) -> None:
    import shutil

    web, archive, *_ = run
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    text = tmp_path / "wire-again.txt"
    text.write_text("Earlier today:\n\n" + site.FLAT_TEXT + "\n", encoding="utf-8")
    # Offline: every connection is refused, so the short link cannot be resolved this time.
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "archive", str(text), "--archive-dir", str(copy),
                        "--map-host", "*=127.0.0.1:9"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    # Nothing failed: the short link's target is remembered from the first run (no request needed).
    assert r.returncode == 0, r.stderr
    rows = lookup(web, copy, "--handle", "RivertonDesk")
    assert sorted(row["key"] for row in rows) == sorted([f"twitter:{site.TWEET_FLAT.id}", f"twitter:{site.TWEET_PHOTO.id}"])
    flat = next(row for row in rows if row["post_id"] == site.TWEET_FLAT.id)
    assert any(a["url"].endswith("/wire-again.txt") for a in flat["articles"])


def test_a_link_to_another_accounts_post_is_not_this_posts_id() -> None:
    from archiver.models import Post
    from archiver.platforms.twitter.aliases import same_author as _same_author

    quoting = Post(platform="twitter", kind="embedded", source="s", evidence="text-signature", handle="alice",
                   text="Look at this https://t.co/abc")
    assert not _same_author(quoting, "bob", "https://twitter.com/bob/status/1")
    assert _same_author(quoting, "Alice", "https://twitter.com/Alice/status/2/photo/1")
    bare = Post(platform="twitter", kind="shortlink", source="s", evidence="text-shortlink")
    assert _same_author(bare, "bob", "https://twitter.com/bob/status/1")


def test_one_page_in_flight_stores_an_earlier_run_s_payloads_as_revisits(tmp_path: Path) -> None:
    """With one page in flight too, a payload an earlier run stored (the embed's scripts) is written
    as a revisit of that record: the WARC writer asks the index from the browser's thread."""
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        first = cli(web, "archive", FLOOD, "--pages-in-flight", "1", archive=archive)
        before = {p.name for p in warc_files(archive)}
        second = cli(web, "archive", REVIEW, "--pages-in-flight", "1", archive=archive)
    for r in (first, second):
        assert r.returncode == 0, r.stderr
        assert "cannot look up" not in r.stderr, r.stderr
    later = [p for p in warc_files(archive) if p.name not in before]
    revisits = []
    for path in later:
        with path.open("rb") as fh:
            revisits += [rec.rec_headers.get_header("WARC-Refers-To-Target-URI") for rec in ArchiveIterator(fh)
                         if rec.rec_type == "revisit"]
    assert "https://platform.twitter.com/widgets.js" in revisits, revisits
