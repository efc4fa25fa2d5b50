"""Text a page or a platform hands over holding a lone surrogate (half of a UTF-16 pair: a title
cut through an emoji by the page's scripts, a `"\\ud800"` escape in JSON) is stored with U+FFFD in
its place, as a browser makes a USVString of it; it never stops a capture or a run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.index.postgres.connection import _no_nul
from archiver.index.sqlite.connection import Database
from archiver.wellformed import well_formed, well_formed_values
from tests.e2e import cli, warc_files
from tests.fakeweb import FakeWeb, pages, site


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "plain"),
    ("caf\u00e9 \U0001f600", "caf\u00e9 \U0001f600"),
    ("cut \ud83d", "cut \ufffd"),
    ("\udc80 low first", "\ufffd low first"),
    ("\ud83d\ud83d", "\ufffd\ufffd"),
    ("\ud83d\ude00 a pair as two code points", "\U0001f600 a pair as two code points"),
])
def test_lone_surrogates_become_replacement_characters(text: str, expected: str) -> None:
    assert well_formed(text) == expected
    well_formed(text).encode("utf-8")  # storable


def test_statement_values_are_made_storable_and_others_left_alone() -> None:
    assert well_formed_values(["a\ud800", 5, None, b"\xff"]) == ["a\ufffd", 5, None, b"\xff"]
    assert well_formed_values({"t": "\udfff", "n": 1.5}) == {"t": "\ufffd", "n": 1.5}
    assert _no_nul(["x\x00\ud800", 3]) == ["x\ufffd\ufffd", 3]  # PostgreSQL's: NUL too


def test_the_index_stores_a_lone_surrogate_as_a_replacement_character(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    db.execute("INSERT INTO t (v) VALUES (?)", ["one \ud800"])
    db.executemany("INSERT INTO t (v) VALUES (?)", [["two"], ["three \udc00"]])
    assert db.insert_id("INSERT INTO t (v) VALUES (:v)", {"v": "four \ud83d"}) == 4
    assert [r["v"] for r in db.query("SELECT v FROM t WHERE v <> ? ORDER BY id", ["\ud800"])] == [
        "one \ufffd", "two", "three \ufffd", "four \ufffd"]
    db.close()


def test_a_post_s_fields_given_again_with_a_lone_surrogate_add_nothing_twice(tmp_path: Path) -> None:
    from archiver.index.sqlite.index import SQLiteIndex as Index
    from archiver.models import Post

    with Index(tmp_path / "archive") as index:
        post = Post(platform="twitter", kind="embedded", source="a.html", evidence="e", post_id="20",
                    text="cut \ud83d", links=["https://example.com/\ud800"])
        key = index.upsert_post(post)
        for _ in range(3):
            index.upsert_post(post)
            index.update_post_data(key, text="cut \ud83d", links=["https://example.com/\ud800"])
        held = index.get_post(key)
        assert held is not None and (held.text, held.links) == ("cut \ufffd", ["https://example.com/\ufffd"])


_TITLE = "Flood \U0001f30a live"
_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>t</title></head><body><h1>Flood</h1>"
    + pages.blockquote_html(site.TWEET_PHOTO)
    # An embed whose text, read for its picture's provenance, holds one too.
    + '<iframe data-tweet-id="1764999999999999007" width="400" height="120" srcdoc="<p id=t>x</p><script>'
    "document.getElementById('t').textContent = 'half \\ud800 of a pair'</script>\"></iframe>"
    # The page's script cuts its title through the emoji's pair, as `slice` does.
    + f"<script>document.title = {json.dumps(_TITLE)}.slice(0, 7);</script></body></html>"
)


@pytest.mark.browser
def test_a_lone_surrogate_in_a_title_an_embed_and_a_post_s_data_stops_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    url = "https://news.example/2024/cut-title.html"
    other = "https://news.example/2024/riverton-flood.html"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", "/2024/cut-title.html"), _PAGE)
        # (JSON gives it as "\ud83c".)
        web.set_state(("text", site.TWEET_PHOTO.id), f"the river \ud83c rising https://t.co/{site.TWEET_PHOTO.media_tco}")
        r = cli(web, "archive", url, other, "--format", "json", archive=archive)
    # The one failure named is the iframe's post, which the fake web does not know.
    failures = [line for line in r.stderr.splitlines() if line.startswith("archiver: failed:")]
    assert r.returncode == 1 and len(failures) == 1 and "twitter:1764999999999999007: unavailable" in failures[0], r.stderr
    with sqlite3.connect(archive / "archive.db") as db:
        titles = dict(db.execute("SELECT url, title FROM articles").fetchall())
        text = db.execute("SELECT text FROM posts WHERE key = ?", [f"twitter:{site.TWEET_PHOTO.id}"]).fetchone()[0]
        statuses = dict(db.execute("SELECT a.url, c.status FROM captures c JOIN articles a ON a.id = c.article_id "
                                   "WHERE c.post IS NULL").fetchall())
    assert titles[url] == "Flood \ufffd" and statuses[url] == "ok"
    assert statuses[other] == "ok"  # the article after it captured too
    assert text.startswith("the river \ufffd rising"), text
    found = []
    for warc in warc_files(archive):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "metadata" and record.rec_headers.get_header("WARC-Target-URI", "").startswith(
                        "urn:capture-info:"):
                    fields = json.loads(record.content_stream().read().decode("utf-8"))  # strict UTF-8
                    if fields.get("title") == "Flood \ufffd":
                        found.append("half \ufffd of a pair" in fields.get("elements", ""))
    assert found == [True]
