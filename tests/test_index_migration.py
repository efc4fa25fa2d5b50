"""Migration 4 on an archive written by the previous schema: children of posts move from
`post_key` to `posts.id`, and lookup, show, export selection and verify answer as they did."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archiver.bundle import verify_selection
from archiver.index.rows import Capture, RecordRow, StoredFile
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.index.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from archiver.models import Post
from archiver.verify import verify_archive
from archiver.warcstore import RecordInfo
from tests.export_fixtures import ALICE_EMBED, ALICE_KEY, ARTICLE, BOB_EMBED, BOB_KEY, Archive, build_archive
from tests.index_rows import Filters, lookup, records_for, show

SHOT_A, SHOT_B = "screenshots/twitter/1111111111111111111/embed.png", "screenshots/twitter/2222222222222222222/embed.png"
TEXT_A = "The river is up 🌊\nbridge closed at noon, stay away from the quays until the water goes down again tonight"


def _posts() -> list[dict[str, Any]]:
    return [
        {"key": ALICE_KEY, "platform": "twitter", "post_id": ALICE_KEY[8:], "handle": "alice", "handle_lc": "alice",
         "author": "Alice", "posted_at": "2021-11-08T09:00:00.000Z", "posted_start": "2021-11-08T09:00:00.000Z",
         "posted_end": "2021-11-08T09:00:00.000Z", "text": TEXT_A, "links": "[]", "media": "[]"},
        {"key": BOB_KEY, "platform": "twitter", "post_id": BOB_KEY[8:], "handle": "bob", "handle_lc": "bob",
         "author": None, "posted_at": "2021-11-07", "posted_start": "2021-11-07T00:00:00.000Z",
         "posted_end": "2021-11-07T23:59:59.999Z", "text": None, "links": "[]", "media": "[]"},
    ]


def _write_v3(arc: Archive) -> None:
    """The archive's index as the version-3 schema held it, written with the SQL of that schema."""
    db = Database(arc.root / "archive.db")
    assert migrate(db, MIGRATIONS[:3]) == 3
    with db.conn:
        db.execute("INSERT INTO articles (id, url, title, first_seen, last_captured, status) "
                   "VALUES (1, ?, 'River', '2021-11-08T10:00:00.000Z', '2021-11-08T10:00:00.000Z', 'ok')", [ARTICLE])
        for post in _posts():
            post.update(first_seen="2021-11-07T09:00:00.000Z", status="live", last_checked="2021-11-08T12:00:00.000Z")
            db.execute(f"INSERT INTO posts ({', '.join(post)}) VALUES ({', '.join('?' for _ in post)})",
                       list(post.values()))
        for key, kind in ((ALICE_KEY, "embedded"), (BOB_KEY, "linked")):
            db.execute("INSERT INTO citations (article_id, post_key, kind, evidence, first_seen) "
                       "VALUES (1, ?, ?, 'blockquote', '2021-11-08T10:00:00.000Z')", [key, kind])
        db.execute("INSERT INTO captures (id, post_key, article_id, captured_at, source, url, status, warc) "
                   "VALUES (1, NULL, 1, '2021-11-08T10:00:00.000Z', 'live', ?, 'ok', 'b.warc.gz')", [ARTICLE])
        for cid, key, url, shot, at in ((2, BOB_KEY, BOB_EMBED, SHOT_B, "2021-11-07T09:00:00.000Z"),
                                        (3, ALICE_KEY, ALICE_EMBED, SHOT_A, "2021-11-08T10:00:02.000Z")):
            sha = next(s.sha256 for s in arc.screenshots if s.path == shot)
            db.execute("INSERT INTO captures (id, post_key, captured_at, source, url, screenshot, screenshot_sha256, "
                       "status, warc) VALUES (?, ?, ?, 'live', ?, ?, ?, 'live', 'a.warc.gz')",
                       [cid, key, at, url, shot, sha])
            db.execute("INSERT INTO observations (post_key, checked_at, status, detail) VALUES (?, ?, 'live', 'seen')",
                       [key, at])
            db.execute("INSERT INTO observations (post_key, checked_at, status) VALUES (?, '2021-11-08T12:00:00.000Z', "
                       "'live')", [key])
        for row in arc.rows:
            if row.warc_type == "warcinfo":
                continue
            capture = 1 if row.article_id else 2 if row.post_key == BOB_KEY else 3
            db.execute('INSERT INTO records (record_id, capture_id, post_key, article_id, warc_type, target_uri, date, '
                       'status, mime, payload_digest, filename, "offset", length) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '
                       '?, ?, ?, ?)',
                       [row.record_id, capture, row.post_key, row.article_id, row.warc_type,
                        row.target_uri, row.date, row.status, row.mime, row.payload_digest,
                        row.filename, row.offset, row.length])
        db.execute("INSERT INTO media (post_key, url, path, sha256) VALUES (?, 'https://pbs.twimg.com/media/B.jpg', "
                   "'media/b.jpg', NULL)", [BOB_KEY])
        db.execute("INSERT INTO key_aliases (old_key, new_key, merged_at) VALUES ('twitter:h:0123456789abcdef', ?, "
                   "'2021-11-08T10:00:00.000Z')", [ALICE_KEY])
    db.close()


def _reference() -> Index:
    """The same posts, citations, captures and history written through today's store."""
    index = Index.in_memory()
    article = index.upsert_article(ARTICLE, title="River")
    for post in _posts():
        index.upsert_post(Post(platform="twitter", kind="embedded", source="s", evidence="e", post_id=post["post_id"],
                               handle=post["handle"], author=post["author"], posted_at=post["posted_at"],
                               text=post["text"]))
    index.cite(article, ALICE_KEY, "embedded", "blockquote")
    index.cite(article, BOB_KEY, "linked", "blockquote")
    for key, url, shot, at in ((BOB_KEY, BOB_EMBED, SHOT_B, "2021-11-07T09:00:00.000Z"),
                               (ALICE_KEY, ALICE_EMBED, SHOT_A, "2021-11-08T10:00:02.000Z")):
        index.add_capture(Capture(post_key=key, article_id=None, source="live", url=url, status="live", screenshot=shot,
                          screenshot_sha256="x", error=None, warc="a.warc.gz", page_record_id=None, captured_at=at))
        index.observe(key, "live", detail="seen", checked_at=at)
        index.observe(key, "live", checked_at="2021-11-08T12:00:00.000Z")
    return index


def _v3_verify(arc: Archive) -> list[tuple[str, str, str]]:
    """What `verify` found with the version-3 index (its records and files, read as it read them)."""
    with sqlite3.connect(arc.root / "archive.db") as conn:
        conn.row_factory = sqlite3.Row
        records = [RecordRow(record_id=r["record_id"], warc_type=r["warc_type"], target_uri=r["target_uri"],
                             date=r["date"], filename=r["filename"], offset=r["offset"], length=r["length"])
                   for r in conn.execute('SELECT * FROM records ORDER BY filename, "offset"')]
        shots = [StoredFile(**r) for r in conn.execute(
            "SELECT screenshot AS path, screenshot_sha256 AS sha256 FROM captures WHERE screenshot IS NOT NULL "
            "UNION SELECT path, sha256 FROM media WHERE path IS NOT NULL")]
    return sorted((p.kind, p.path, p.detail) for p in verify_archive(arc.root, records, shots, whole_index=True))


@pytest.fixture
def migrated(tmp_path: Path) -> Archive:
    arc = build_archive(tmp_path / "archive")
    _write_v3(arc)
    # A damaged record, so that verify has something to say before and after.
    photo = next(r for r in arc.rows if r.target_uri.endswith("BobBridge.jpg") and r.warc_type == "response")
    path = arc.root / "warcs" / photo.filename
    data = bytearray(path.read_bytes())
    data[photo.offset + photo.length // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return arc


def _strip(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for post in posts:
        for capture in post["captures"]:
            capture.pop("screenshot", None)
    return posts


def test_a_version_3_archive_migrates_in_place_and_answers_the_same(migrated: Archive) -> None:
    before = _v3_verify(migrated)
    assert any(kind != "unindexed" for kind, _, _ in before)  # the damaged record is found
    with Index(migrated.root, create=False) as index:
        assert schema_version(index.db) == SCHEMA_VERSION
        for table in ("citations", "captures", "observations", "records", "media"):
            columns = index.db[table].columns_dict
            assert "post" in columns and "post_key" not in columns, table
        problems, checked = verify_selection(index, migrated.root)
        assert sorted((p.kind, p.path, p.detail) for p in problems) == before
        assert checked.startswith(f"{sum(r.warc_type != 'warcinfo' for r in migrated.rows)} records")
        with _reference() as reference:
            assert _strip(lookup(index, Filters())) == _strip(lookup(reference, Filters()))
            for handle, key in (("alice", ALICE_KEY), ("@Bob", BOB_KEY)):
                assert [p["key"] for p in lookup(index, Filters(handle=handle))] == [key]
        owned = {r.record_id for r in migrated.rows if r.post_key == ALICE_KEY or r.article_id == 1}
        assert {r.record_id for r in records_for(index, [ALICE_KEY])} >= owned
        alice = show(index, ALICE_KEY)
        assert alice is not None and [h["detail"] for h in alice["history"]] == ["seen", None]
        assert alice["media_files"] == [] and show(index, BOB_KEY)["media_files"][0]["path"] == "media/b.jpg"  # type: ignore[index]
        # The full-text index was rebuilt over the same rows; the alias still leads to the post.
        assert [p["key"] for p in lookup(index, Filters(text="quays"))] == [ALICE_KEY]
        assert index.alias_of("twitter:h:0123456789abcdef") == ALICE_KEY
        # Articles match under their normalised URL: a trailing slash or an upper-case host finds them.
        variant = ARTICLE.replace("news.example", "NEWS.example") + "/"
        assert [p["key"] for p in lookup(index, Filters(article=variant))] == [BOB_KEY, ALICE_KEY]
        titles = dict(index.db.execute("SELECT key, title FROM posts").fetchall())
        assert titles[BOB_KEY] == f"@bob: {BOB_KEY}"
        assert titles[ALICE_KEY].startswith("@alice: The river is up 🌊 bridge closed") and titles[ALICE_KEY].endswith("…")
        assert len(titles[ALICE_KEY]) == len("@alice: ") + 80
        history = list(index.db.query("SELECT * FROM post_history WHERE post_key = ?", [BOB_KEY]))
        assert [(h["handle"], h["status"], h["detail"]) for h in history] == [("bob", "live", "seen"), ("bob", "live", None)]
        cited = list(index.db.query("SELECT * FROM citations_expanded"))
        assert [(c["article_title"], c["article_url"], c["post_key"], c["kind"]) for c in cited] == [
            ("River", ARTICLE, ALICE_KEY, "embedded"), ("River", ARTICLE, BOB_KEY, "linked")]
        # Writes after the migration keep the title and the URL key up to date.
        index.update_post_data(BOB_KEY, text="Bridge closed")
        assert index.db.execute("SELECT title FROM posts WHERE key = ?", [BOB_KEY]).fetchone()[0] == "@bob: Bridge closed"
        assert [p["key"] for p in lookup(index, Filters(text="bridge"))] == [BOB_KEY, ALICE_KEY]
        index.upsert_article("HTTPS://News.Example/other/")
        assert index.db.execute("SELECT url_key FROM articles WHERE id = 2").fetchone()[0] == "https://news.example/other"
    with Index(migrated.root, create=False) as again:  # opening again does not migrate again
        assert index_integrity(again) == "ok"


def index_integrity(index: Index) -> str:
    return str(index.db.execute("PRAGMA integrity_check").fetchone()[0])


def test_datasette_follows_a_citation_to_its_post(migrated: Archive) -> None:
    pytest.importorskip("datasette", reason="datasette is a test dependency: pip install -e '.[test]'")
    from datasette.app import Datasette

    with Index(migrated.root, create=False) as index:
        index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        alice_id = index.db.execute("SELECT id FROM posts WHERE key = ?", [ALICE_KEY]).fetchone()[0]
    path = migrated.root / "archive.db"

    async def browse() -> None:
        ds = Datasette(immutables=[str(path)])
        page = await ds.client.get("/archive/citations")
        assert page.status_code == 200
        links = re.findall(r'href="(/archive/posts/\d+)"', page.text)
        assert f"/archive/posts/{alice_id}" in links
        for link in set(links):
            assert (await ds.client.get(link)).status_code == 200, link
        row = await ds.client.get(f"/archive/posts/{alice_id}.json")
        assert row.status_code == 200
        labelled = (await ds.client.get("/archive/citations.json?_labels=on&_shape=array")).json()
        assert {c["post"]["label"] for c in labelled} == {f"@bob: {BOB_KEY}", _title(path, ALICE_KEY)}
        for view in ("post_history", "citations_expanded"):
            assert (await ds.client.get(f"/archive/{view}.json")).status_code == 200, view

    asyncio.run(browse())


def _title(path: Path, key: str) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT title FROM posts WHERE key = ?", [key]).fetchone()[0])


def test_records_written_after_the_migration_name_their_post(tmp_path: Path) -> None:
    with Index(tmp_path) as index:
        key = index.upsert_post(Post(platform="twitter", kind="embedded", source="s", evidence="e", post_id="5"))
        index.add_records(None, [RecordInfo(record_id="<urn:uuid:r>", warc_type="response", target_uri="https://x/",
                                            date="2024-01-01T00:00:00Z", filename="a.warc.gz", offset=0, length=9)],
                          post_key=key)
        assert [r.post_key for r in records_for(index, [key], include_articles=False)] == [key]
        assert index.find_record_by_digest("sha1:none") is None
