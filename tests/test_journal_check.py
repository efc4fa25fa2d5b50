"""`verify` compares the index with the journal the WARCs carry: what the journal vouches for and
the index lost or changed is a problem (exit 1, named per post); what only the index holds (a run
stopped between its commit and the journal's write) is a note. Real index, WARC writer and CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import DB_NAME, WARC_DIR
from archiver.models import Post
from archiver.warcstore import WarcStore
from tests.e2e import ROOT

ARTICLE = "https://news.example/a.html"
GONE, KEPT = "twitter:1764640000000000001", "twitter:1764640000000000002"


def _archive(root: Path) -> Path:
    """Two posts cited by one article: one checked live then deleted, one live; each write journaled."""
    with Index(root) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article(ARTICLE, source="a.html")
        for key in (GONE, KEPT):
            post_id = key.partition(":")[2]
            index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote",
                                   post_id=post_id, url=f"https://x.com/desk/status/{post_id}", handle="desk",
                                   text="the levee holds"))
            index.cite(article, key, "embedded", "blockquote")
            index.observe(key, "live", checked_at="2024-03-04T10:00:00Z")
        index.observe(GONE, "deleted", detail="syndication: tombstone", checked_at="2024-03-10T10:00:00Z")
    return root


def _verify(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", "verify", "--archive-dir", str(root), "--format",
                           "json"], capture_output=True, text=True, cwd=ROOT, timeout=120)


def _change(root: Path, sql: str, *params: str) -> None:
    """Change the index behind archiver's back (its triggers still run, with the functions they call)."""
    from archiver.index.sqlite.connection import give_functions

    with sqlite3.connect(root / DB_NAME) as conn:
        give_functions(conn)
        conn.execute(sql, params)


def _problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [p["detail"] for p in json.loads(result.stdout)["problems"] if p["kind"] == "journal"]


def test_an_index_as_the_journal_says_is_intact(tmp_path: Path) -> None:
    result = _verify(_archive(tmp_path / "archive"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["intact"] is True
    assert "journal entries compared with the index" in result.stderr and "note:" not in result.stderr


def test_a_status_changed_in_the_index_alone_is_named(tmp_path: Path) -> None:
    """Someone (or something) turned the deleted post live again in archive.db: its checks say otherwise."""
    root = _archive(tmp_path / "archive")
    _change(root, "UPDATE posts SET status = 'live' WHERE key = ?", GONE)
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    assert _problems(result) == [f"{GONE}: status live in the index, deleted in the journal in the WARCs, after "
                                 "the same checks"]


def test_a_postgresql_index_is_named_by_its_url(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The same check of an index in PostgreSQL names that index (no archive.db is in play)."""
    from archiver.index import open_index
    from archiver.index.postgres.url import redact
    from tests.index_backends import postgres_database

    url = postgres_database(request)
    root = tmp_path / "archive"
    with open_index(root, url=url) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article(ARTICLE, source="a.html")
        index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote",
                               post_id=GONE.partition(":")[2], handle="desk", text="the levee holds"))
        index.cite(article, GONE, "embedded", "blockquote")
        index.observe(GONE, "deleted", checked_at="2024-03-10T10:00:00Z")
        index.db.execute("UPDATE posts SET status = 'live' WHERE key = ?", [GONE])  # type: ignore[attr-defined]
    result = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", "--archive-dir", str(root), "--index",
                             url, "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1, result.stderr
    assert [(p["path"], p["detail"]) for p in json.loads(result.stdout)["problems"] if p["kind"] == "journal"] == [
        (redact(url), f"{GONE}: status live in the index, deleted in the journal in the WARCs, after the same checks")]
    # A WARC file none of whose records this index holds: `reindex`, which rebuilds an archive.db,
    # is not what takes them into it.
    from tests.synthetic import synthetic_archive

    other = tmp_path / "other"
    synthetic_archive(other, 1, journal=False)
    for warc in (other / WARC_DIR).iterdir():
        warc.rename(root / WARC_DIR / f"copied-{warc.name}")
    again = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", "--archive-dir", str(root), "--index",
                            url], capture_output=True, text=True, cwd=ROOT, timeout=120)
    (note,) = [line for line in again.stderr.splitlines() if "copied-" in line and "none of them in the index" in line] or [again.stderr]
    assert note.endswith("`archiver reindex` rebuilds an archive.db, not this index: rebuild one in a copy of the "
                         "folder and `archiver index copy` it here to take them in (not in the index; not an error)")


def test_a_check_or_a_citation_the_index_lost_is_named(tmp_path: Path) -> None:
    root = _archive(tmp_path / "archive")
    _change(root, "DELETE FROM observations WHERE status = 'deleted'")
    _change(root, "DELETE FROM citations WHERE post = (SELECT id FROM posts WHERE key = ?)", KEPT)
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    assert sorted(_problems(result)) == [
        f"{GONE}: the index lacks the check of 2024-03-10T10:00:00.000Z (deleted), which the journal in the WARCs holds",
        f"{KEPT}: the index lacks the citation by {ARTICLE} (embedded), which the journal in the WARCs holds"]


def test_a_post_the_index_lost_is_named(tmp_path: Path) -> None:
    root = _archive(tmp_path / "archive")
    _change(root, "DELETE FROM observations WHERE post = (SELECT id FROM posts WHERE key = ?)", KEPT)
    _change(root, "DELETE FROM citations WHERE post = (SELECT id FROM posts WHERE key = ?)", KEPT)
    _change(root, "DELETE FROM posts WHERE key = ?", KEPT)
    result = _verify(root)
    assert _problems(result) == [f"{KEPT}: the journal in the WARCs holds this post, the index does not"]


def test_what_only_the_index_holds_is_a_note(tmp_path: Path) -> None:
    """A check committed to the index whose journal record never reached the WARCs (the run was
    killed in between): the index is ahead of its witness, which verify says without failing."""
    root = _archive(tmp_path / "archive")
    with Index(root) as index:  # no journal writer: as if killed before the WARC write
        index.observe(KEPT, "deleted", checked_at="2024-03-12T10:00:00Z")
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert f"1 post(s) hold more than the journal in the WARCs says ({KEPT})" in result.stderr


def test_a_difference_while_a_warc_file_is_still_written_is_a_note(tmp_path: Path) -> None:
    """A run in progress writes its journal into a file verify does not read yet (`.open`): what it
    holds may explain a difference (a post merged away), so the difference is said, not failed."""
    root = _archive(tmp_path / "archive")
    _change(root, "UPDATE posts SET status = 'live' WHERE key = ?", GONE)
    (root / WARC_DIR / "archiver-20990101000000000-00000.warc.gz.open").write_bytes(b"")
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert f"{GONE}: status live in the index, deleted in the journal in the WARCs, after the same checks (a WARC " \
           "file is still being written: its journal entries may explain it)" in result.stderr


def test_many_posts_only_the_index_holds_are_counted_and_the_first_named(tmp_path: Path) -> None:
    """Posts the journal never described (written by an index that was not journaling): counted,
    the first few by key named after the posts that differ."""
    root = _archive(tmp_path / "archive")
    extra = [f"twitter:17646400000000001{n:02d}" for n in range(6, 0, -1)]  # given in reverse key order
    with Index(root) as index:  # no journal writer
        index.observe(KEPT, "deleted", checked_at="2024-03-12T10:00:00Z")
        for key in extra:
            index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote",
                                   post_id=key.partition(":")[2], handle="desk", text="the bridge"))
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    named = ", ".join([KEPT, *sorted(extra)[:4]])
    assert f"7 post(s) hold more than the journal in the WARCs says ({named} and 2 more)" in result.stderr, result.stderr


def test_posts_whose_journal_was_in_a_damaged_warc_are_noted_as_such(tmp_path: Path) -> None:
    """A WARC file cut short loses the journal records at its end: the posts the index holds more
    of are noted with that likelier cause, beside the file's own problem."""
    root = _archive(tmp_path / "archive")
    (warc,) = (root / WARC_DIR).glob("*.warc.gz")
    data = warc.read_bytes()
    warc.write_bytes(data[: len(data) * 2 // 3])
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    assert any(p["path"] == f"{WARC_DIR}/{warc.name}" for p in json.loads(result.stdout)["problems"])
    assert "its journal records may be in the damaged WARC file(s) named above" in result.stderr, result.stderr


def test_posts_are_compared_across_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index and the journal are read a page of posts at a time, each page after the last key
    of the one before: with one post a page, a change to the post of the second page is found."""
    from archiver import journalcheck
    from archiver.bundle import verify_selection

    root = _archive(tmp_path / "archive")
    monkeypatch.setattr(journalcheck, "PAGE", 1)
    with Index(root, create=False) as index:
        assert [row.key for row in index.posts_after(None, 1)] == [GONE]  # KEPT is on the second page
        assert verify_selection(index, root)[0] == []
    _change(root, "UPDATE posts SET status = 'deleted' WHERE key = ?", KEPT)
    with Index(root, create=False) as index:
        problems, _ = verify_selection(index, root)
    assert [(p.kind, p.detail) for p in problems] == [
        ("journal", f"{KEPT}: status deleted in the index, live in the journal in the WARCs, after the same checks")]


@pytest.mark.parametrize(("sql", "said"), [
    ("UPDATE posts SET text = 'The levee is NOT safe', author = 'Someone Else' WHERE key = ?",
     "author 'Someone Else' in the index, none in the journal in the WARCs; text 'The levee is NOT safe' in the "
     "index, 'the levee holds' in the journal in the WARCs"),
    ("UPDATE posts SET handle = 'someone', handle_lc = 'someone' WHERE key = ?",
     "handle 'someone' in the index, 'desk' in the journal in the WARCs"),
    ("UPDATE posts SET posted_at = '2020-01-01', posted_start = '2020-01-01T00:00:00.000Z', "
     "posted_end = '2020-01-01T23:59:59.999Z' WHERE key = ?",
     "posted_at '2020-01-01' in the index, none in the journal in the WARCs"),
], ids=["text and author", "handle", "time"])
def test_what_a_post_says_changed_in_the_index_alone_is_named(tmp_path: Path, sql: str, said: str) -> None:
    """Who posted it, when and its words are what `show`, the report and an export tell: changed in
    archive.db alone, under the same checks and captures, they are a problem."""
    root = _archive(tmp_path / "archive")
    _change(root, sql, GONE)
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    assert _problems(result) == [f"{GONE}: {said}, after the same checks and captures"]


def test_a_capture_shown_with_another_screenshot_is_named(tmp_path: Path) -> None:
    from tests.synthetic import synthetic_archive

    root = tmp_path / "archive"
    synthetic_archive(root, 2)
    _change(root, "UPDATE captures SET screenshot = 'screenshots/twitter/other/embed.png' WHERE id = 1")
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    (problem,) = _problems(result)
    assert problem.startswith("twitter:180000000000000000") and (
        ": the live capture of 20") in problem and problem.endswith(
        ": screenshot 'screenshots/twitter/other/embed.png' in the index, none in the journal in the WARCs")


@pytest.mark.parametrize("field", ["warc", "url", "page_record_id", "screenshot_sha256"])
def test_a_post_s_capture_changed_in_the_index_alone_is_named(tmp_path: Path, field: str) -> None:
    """Where a post's capture is in the WARCs (its file, its page record), what it captured and the
    hash of the picture it shows are what `show`, an export and a reader go by: a capture row is
    written once, so any of them changed in archive.db alone is a problem, field by field."""
    from tests.synthetic import synthetic_archive

    root = tmp_path / "archive"
    synthetic_archive(root, 2)
    with sqlite3.connect(root / DB_NAME) as conn:
        key, at, was = conn.execute(f"SELECT p.key, c.captured_at, c.{field} FROM captures c JOIN posts p "
                                    "ON p.id = c.post WHERE c.id = 1").fetchone()
    value = {"warc": "archiver-20240101000000000-00009.warc.gz", "url": "https://platform.twitter.com/embed/other",
             "page_record_id": "<urn:uuid:00000000-0000-4000-8000-000000000000>", "screenshot_sha256": "0" * 64}[field]
    _change(root, f"UPDATE captures SET {field} = ? WHERE id = 1", value)
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    shown = "none" if was is None else repr(was)
    assert _problems(result) == [f"{key}: the live capture of {at}: {field} {value!r} in the index, {shown} in the "
                                 "journal in the WARCs"]


def test_a_capture_whose_page_record_the_index_lost_is_named(tmp_path: Path) -> None:
    from tests.synthetic import synthetic_archive

    root = tmp_path / "archive"
    synthetic_archive(root, 2)
    with sqlite3.connect(root / DB_NAME) as conn:
        (rid,) = conn.execute("SELECT page_record_id FROM captures WHERE id = 1").fetchone()
        conn.execute("DELETE FROM records WHERE record_id = ?", [rid])
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    details = [p["detail"] for p in json.loads(result.stdout)["problems"] if p["kind"] == "index"]
    assert len(details) == 1 and details[0].startswith("the capture of twitter:180000000000000000") and details[0].endswith(
        f"names its page record {rid}, which the index does not hold: `archiver reindex --force` rebuilds the index "
        "from the WARC files")
    assert "record(s) not in the index (the first at offset" not in result.stderr  # named once, as a problem


def test_two_long_texts_alike_in_their_first_characters_are_quoted_where_they_part() -> None:
    from archiver.journalcheck import _apart

    text = "Sandbags going up on Ashford Road as the river keeps rising through the night, residents told to stay"
    mine, theirs = _apart(text, text[:-4] + "move")
    assert mine != theirs and mine.endswith("stay'") and theirs.endswith("move'") and mine.startswith("…")
    assert _apart("short", "shirt") == ("'short'", "'shirt'")
    assert _apart(None, "x") == ("none", "'x'")


def _members(path: Path) -> list[tuple[int, int, str]]:
    """(offset, length, target URI) of each record of a per-record-gzip WARC file."""
    from warcio.archiveiterator import ArchiveIterator

    found: list[tuple[int, str]] = []
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            found.append((it.get_record_offset(), record.rec_headers.get_header("WARC-Target-URI") or ""))
    size = path.stat().st_size
    return [(at, (found[i + 1][0] if i + 1 < len(found) else size) - at, uri) for i, (at, uri) in enumerate(found)]


def test_records_tied_to_a_capture_no_journal_entry_names_are_a_note(tmp_path: Path) -> None:
    """The journal entry tying a capture's records to it went with the end of a WARC file: the index
    still ties them, `reindex` would not (an export of that post would leave them out). Not an
    error (a run stopped between the index's write and the journal's leaves the same), but said."""
    from tests.synthetic import synthetic_archive

    root = tmp_path / "archive"
    synthetic_archive(root, 2)
    (warc,) = (root / WARC_DIR).glob("*.warc.gz")
    at, length, _uri = [m for m in _members(warc) if m[2].startswith("urn:records:")][-1]
    data = warc.read_bytes()
    warc.write_bytes(data[:at] + data[at + length:])  # only journal records follow it: no index offset moves
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert "note: " in result.stderr and "2 record(s) the index ties to their captures are named by no journal " \
        "entry in the WARC files" in result.stderr.replace("\n", " "), result.stderr
    assert "note:" not in _verify(_archive(tmp_path / "other")).stderr


def test_a_record_put_into_an_indexed_warc_file_is_a_note(tmp_path: Path) -> None:
    """A sound record the index does not hold, in a file whose other records it does (a run stopped
    before indexing it, or one put there since): replay tools serving the file serve it too."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from tests.synthetic import synthetic_archive

    root = tmp_path / "archive"
    synthetic_archive(root, 2)
    assert "not in the index" not in _verify(root).stderr
    (warc,) = (root / WARC_DIR).glob("*.warc.gz")
    end = warc.stat().st_size
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    writer.write_record(writer.create_warc_record(
        "https://news.example/forged.html", "response", payload=io.BytesIO(b"<p>forged</p>"),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")))
    with warc.open("ab") as fh:
        fh.write(out.getvalue())
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert f"1 record(s) not in the index (the first at offset {end})" in result.stderr.replace("\n", " "), result.stderr


# -- article captures, media files and key aliases ---------------------------------------------------

PHOTO = "https://pbs.twimg.com/media/levee.jpg"
FLAT = "twitter:h:0f5e2b7c9d1a3e4f"  # a flattened tweet's key before its ID was known
SHOWN, FAILED = "2024-03-04T09:00:00.000Z", "2024-03-10T09:00:00.000Z"


def _write_more(root: Path, *, journaled: bool = True, at: tuple[str, str] = (SHOWN, FAILED),
                photo: str = PHOTO, flat: str = FLAT) -> None:
    """The article captured twice (once whole, with its records in the WARCs; once failed), a media
    file of KEPT on disk, and a flattened tweet merged into GONE, written as a run writes them
    (journaled, or as by an index whose journal never reached the WARCs)."""
    import hashlib

    from archiver.index.rows import Capture
    from archiver.warcstore import Exchange

    with Index(root) as index, WarcStore(root / WARC_DIR) as store:
        if journaled:
            index.journal.writer = store.write_metadata_batch
        article = index.upsert_article(ARTICLE, source="a.html")
        req, resp = store.write_exchange(Exchange(
            url=ARTICLE, method="GET", request_headers=[], status=200, response_headers=[("Content-Type", "text/html")],
            body=f"<p>the levee holds ({at[0]})</p>".encode()))
        with index.transaction():
            cid = index.add_capture(Capture(source="live", url=ARTICLE, status="ok", article_id=article,
                                            warc=resp.filename, page_record_id=resp.record_id, captured_at=at[0]))
            index.add_records(cid, [req, resp], article_id=article)
        index.add_capture(Capture(source="live", url=ARTICLE, status="error", article_id=article,
                                  error="net::ERR_CONNECTION_RESET", captured_at=at[1]))
        body = f"jpeg of {photo}".encode()
        path = root / "media" / f"{hashlib.sha256(photo.encode()).hexdigest()[:8]}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
        index.add_media(KEPT, photo, f"media/{path.name}", hashlib.sha256(body).hexdigest(), "image/jpeg")
        index.upsert_post(Post(platform="twitter", kind="linked", source="a.html", evidence="text", key=flat,
                               handle="desk", text="the levee holds"))
        index.merge_post_key(flat, GONE)


def _full_archive(root: Path) -> Path:
    _archive(root)
    _write_more(root)
    return root


def _media_sha(root: Path) -> str:
    with sqlite3.connect(root / DB_NAME) as conn:
        (sha,) = conn.execute("SELECT sha256 FROM media").fetchone()
    return str(sha)


def test_an_archive_with_article_captures_media_and_aliases_as_the_journal_says_is_intact(tmp_path: Path) -> None:
    root = _full_archive(tmp_path / "archive")
    with sqlite3.connect(root / DB_NAME) as conn:  # what the damages below change is there to change
        assert conn.execute("SELECT count(*) FROM captures WHERE post IS NULL").fetchone() == (2,)
        assert conn.execute("SELECT old_key, new_key FROM key_aliases").fetchall() == [(FLAT, GONE)]
        assert conn.execute("SELECT url FROM media").fetchall() == [(PHOTO,)]
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["intact"] is True and "note:" not in result.stderr, result.stderr


@pytest.mark.parametrize(("sql", "said"), [
    ("DELETE FROM captures WHERE post IS NULL AND status = 'error'",
     f"{ARTICLE}: the index lacks the live capture of {FAILED} (error), which the journal in the WARCs holds"),
    ("UPDATE captures SET warc = 'archiver-20240101000000000-00009.warc.gz' WHERE post IS NULL AND status = 'ok'",
     f"{ARTICLE}: the live capture of {SHOWN}: warc 'archiver-20240101000000000-00009.warc.gz' in the index, "
     "'{warc}' in the journal in the WARCs"),
    ("UPDATE captures SET captured_at = '2024-03-05T09:00:00.000Z' WHERE post IS NULL AND status = 'ok'",
     f"{ARTICLE}: the live capture of {SHOWN}: captured_at '2024-03-05T09:00:00.000Z' in the index, '{SHOWN}' in "
     "the journal in the WARCs"),
    ("UPDATE captures SET status = 'ok', error = NULL WHERE post IS NULL AND status = 'error'",
     f"{ARTICLE}: the live capture of {FAILED}: status 'ok' in the index, 'error' in the journal in the WARCs; "
     "error none in the index, 'net::ERR_CONNECTION_RESET' in the journal in the WARCs"),
], ids=["lost", "warc", "time", "status"])
def test_an_article_capture_lost_or_changed_in_the_index_is_named(tmp_path: Path, sql: str, said: str) -> None:
    """Where an article's capture is in the WARCs and when it was made are what `show`, the report
    and an export go by: lost or changed in archive.db alone, they are a problem."""
    root = _full_archive(tmp_path / "archive")
    with sqlite3.connect(root / DB_NAME) as conn:
        (warc,) = conn.execute("SELECT warc FROM captures WHERE post IS NULL AND status = 'ok'").fetchone()
    _change(root, sql)
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    assert _problems(result) == [said.replace("{warc}", warc)]


def test_a_media_file_lost_or_changed_in_the_index_is_named(tmp_path: Path) -> None:
    root = _full_archive(tmp_path / "archive")
    sha = _media_sha(root)
    _change(root, "DELETE FROM media")
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    assert _problems(result) == [f"{KEPT}: the index lacks the media file {PHOTO}, which the journal in the WARCs "
                                 "holds"]

    # A value the journal gives that the index holds as NULL: add_media never clears one, a loss.
    other = _full_archive(tmp_path / "other")
    with sqlite3.connect(other / DB_NAME) as conn:
        (path,) = conn.execute("SELECT path FROM media").fetchone()
    _change(other, "UPDATE media SET sha256 = NULL, mime = NULL")
    result = _verify(other)
    assert result.returncode == 1, result.stderr
    assert _problems(result) == [f"{KEPT}: the media file {PHOTO}: sha256 none in the index, '{sha}' in the journal "
                                 "in the WARCs; mime none in the index, 'image/jpeg' in the journal in the WARCs"]

    # Another digest than the file's: the check of the files names it (the journal's comparison
    # cannot tell it from a later download, below).
    forged = _full_archive(tmp_path / "forged")
    _change(forged, "UPDATE media SET sha256 = ?", "0" * 64)
    result = _verify(forged)
    assert result.returncode == 1, result.stderr
    assert [(p["kind"], p["path"]) for p in json.loads(result.stdout)["problems"]] == [("digest", path)]


def test_a_later_download_of_a_media_file_only_the_index_holds_is_a_note(tmp_path: Path) -> None:
    """`add_media` may give a media file another path, digest and type on a later download; a run
    killed between the index's commit and the journal's write leaves the index ahead of its
    journal, which `reindex --force` would take back: noted, not a problem. So is a row pointed at
    another sound file of the archive, which nothing tells from such a download."""
    import hashlib

    root = _full_archive(tmp_path / "archive")
    body = b"webp of the levee"
    (root / "media" / "levee.webp").write_bytes(body)
    with Index(root) as index:  # no journal writer: as a run killed before the journal's write
        index.add_media(KEPT, PHOTO, "media/levee.webp", hashlib.sha256(body).hexdigest(), "image/webp")
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert f"1 post(s) hold more than the journal in the WARCs says ({KEPT})" in result.stderr.replace("\n", " "), (
        result.stderr)


@pytest.mark.parametrize(("sql", "said"), [
    ("DELETE FROM key_aliases", f"{FLAT}: the index lacks its alias to {GONE}, which the journal in the WARCs holds"),
    (f"UPDATE key_aliases SET new_key = '{KEPT}'",
     f"{FLAT}: alias to {KEPT} in the index, to {GONE} in the journal in the WARCs"),
], ids=["lost", "wrong post"])
def test_a_key_alias_lost_or_changed_in_the_index_is_named(tmp_path: Path, sql: str, said: str) -> None:
    """A flattened tweet's key leads to the post it was merged into (`show`, `lookup`, the next
    sighting of the same tweet): lost, or pointing at another post, it is a problem."""
    root = _full_archive(tmp_path / "archive")
    _change(root, sql)
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    assert _problems(result) == [said]


def test_article_captures_media_and_aliases_only_the_index_holds_are_notes(tmp_path: Path) -> None:
    """Written by an index whose journal never reached the WARCs (a run killed in between, or an
    archiver older than the journal): the index is ahead of its witness, said without failing."""
    root = _archive(tmp_path / "archive")
    _write_more(root, journaled=False)
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    notes = result.stderr.replace("\n", " ")
    assert f"1 article(s) hold captures the journal in the WARCs does not hold ({ARTICLE})" in notes, notes
    assert f"1 key alias(es) the journal in the WARCs does not hold ({FLAT})" in notes, notes
    assert f"1 post(s) hold more than the journal in the WARCs says ({KEPT})" in notes, notes  # its media file
    # Journaled after all, another capture, media file and alias besides: only those are noted.
    root = _full_archive(tmp_path / "more")
    _write_more(root, journaled=False, at=("2024-03-20T09:00:00.000Z", "2024-03-21T09:00:00.000Z"),
                photo=PHOTO + "?2", flat=FLAT + "2")
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    notes = result.stderr.replace("\n", " ")
    assert f"1 article(s) hold captures the journal in the WARCs does not hold ({ARTICLE})" in notes, notes
    assert f"1 key alias(es) the journal in the WARCs does not hold ({FLAT}2)" in notes, notes


def test_an_alias_the_index_leads_on_through_a_later_merge_is_a_note(tmp_path: Path) -> None:
    """A short link's key merged into a key the journal knows, which a later merge (whose journal
    record the WARCs lack) took into another post: the index leads the link on to that post, ahead
    of its journal, not against it."""
    root = _archive(tmp_path / "archive")
    middle = "twitter:h:77aa"
    with Index(root) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        index.merge_post_key(FLAT, middle)  # neither held as a post: remembered all the same
    with Index(root) as index:  # no journal writer
        index.merge_post_key(middle, GONE)
        assert index.alias_of(FLAT) == GONE
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert f"2 key alias(es) the journal in the WARCs does not hold ({FLAT}, {middle})" in result.stderr.replace(
        "\n", " "), result.stderr
    _change(root, "UPDATE key_aliases SET new_key = ? WHERE old_key = ?", KEPT, FLAT)  # led elsewhere: a problem
    assert _problems(_verify(root)) == [f"{FLAT}: alias to {KEPT} in the index, to {middle} in the journal in the WARCs"]


def test_articles_and_aliases_are_compared_across_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read a page at a time, as the posts are: with one a page, a change on the second page is found."""
    from archiver import journalcheck
    from archiver.bundle import verify_selection

    root = _full_archive(tmp_path / "archive")
    second = "https://news.example/b.html"
    with Index(root) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        from archiver.index.rows import Capture

        index.add_capture(Capture(source="live", url=second, status="error", error="timeout", captured_at=SHOWN,
                                  article_id=index.upsert_article(second, source="b.html")))
        index.upsert_post(Post(platform="twitter", kind="linked", source="b.html", evidence="text", key=FLAT + "9",
                               handle="desk", text="the bridge"))
        index.merge_post_key(FLAT + "9", KEPT)
    monkeypatch.setattr(journalcheck, "PAGE", 1)
    with Index(root, create=False) as index:
        assert verify_selection(index, root)[0] == []
    _change(root, "UPDATE captures SET error = 'none at all' WHERE error = 'timeout'")
    _change(root, "UPDATE key_aliases SET new_key = ? WHERE old_key = ?", GONE, FLAT + "9")
    with Index(root, create=False) as index:
        problems, _ = verify_selection(index, root)
    assert [(p.kind, p.detail) for p in problems] == [
        ("journal", f"{second}: the live capture of {SHOWN}: error 'none at all' in the index, 'timeout' in the "
                    "journal in the WARCs"),
        ("journal", f"{FLAT}9: alias to {GONE} in the index, to {KEPT} in the journal in the WARCs")]


def test_a_postgresql_index_that_lost_an_article_capture_is_named(tmp_path: Path,
                                                                 request: pytest.FixtureRequest) -> None:
    from archiver.index import open_index
    from archiver.index.rows import Capture
    from tests.index_backends import postgres_database

    url = postgres_database(request)
    root = tmp_path / "archive"
    with open_index(root, url=url) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article(ARTICLE, source="a.html")
        index.add_capture(Capture(source="live", url=ARTICLE, status="error", error="timeout", article_id=article,
                                  captured_at=FAILED))
        index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote",
                               post_id=GONE.partition(":")[2], handle="desk", text="the levee holds"))
        index.add_media(GONE, PHOTO, None, None, "image/jpeg")
        index.merge_post_key(FLAT, GONE)
    command = [sys.executable, "-m", "archiver.cli", "verify", "--archive-dir", str(root), "--index", url,
               "--format", "json"]
    intact = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert intact.returncode == 0 and "note:" not in intact.stderr, intact.stderr
    with open_index(root, url=url) as index:
        for sql in ("DELETE FROM captures", "UPDATE media SET mime = NULL", "DELETE FROM key_aliases"):
            index.db.execute(sql)  # type: ignore[attr-defined]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1, result.stderr
    assert _problems(result) == [
        f"{GONE}: the media file {PHOTO}: mime none in the index, 'image/jpeg' in the journal in the WARCs",
        f"{ARTICLE}: the index lacks the live capture of {FAILED} (error), which the journal in the WARCs holds",
        f"{FLAT}: the index lacks its alias to {GONE}, which the journal in the WARCs holds"]


@pytest.mark.parametrize(("sql", "said"), [
    ("UPDATE articles SET title = NULL", "title none in the index, 'The levee' in the journal in the WARCs"),
    ("UPDATE articles SET source = NULL", "source none in the index, 'a.html' in the journal in the WARCs"),
    ("UPDATE articles SET status = 'ok'", "status 'ok' in the index, 'error' in the journal in the WARCs"),
    ("UPDATE articles SET last_captured = '2024-03-20T09:00:00.000Z'",
     f"last_captured '2024-03-20T09:00:00.000Z' in the index, '{SHOWN}' in the journal in the WARCs"),
    ("UPDATE articles SET first_seen = '2020-01-01T00:00:00.000Z'", "first_seen '2020-01-01T00:00:00.000Z' in the "
                                                                     "index, '{first_seen}' in the journal in the WARCs"),
], ids=["title lost", "source lost", "status", "last captured", "first seen"])
def test_an_article_s_own_row_changed_in_the_index_alone_is_named(tmp_path: Path, sql: str, said: str) -> None:
    """An article's title, when it was first seen and last captured whole, and how its latest
    capture went are what the report and `show` tell of it: a title or source the index lost (no
    write clears one), a first-seen time changed (written once), a status or last capture its own
    captures do not give (a later capture would have given them) are a problem."""
    root = _full_archive(tmp_path / "archive")
    with Index(root) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        index.upsert_article(ARTICLE, title="The levee")
    assert _verify(root).returncode == 0
    with sqlite3.connect(root / DB_NAME) as conn:
        (first_seen,) = conn.execute("SELECT first_seen FROM articles").fetchone()
    _change(root, sql)
    result = _verify(root)
    assert result.returncode == 1, result.stderr
    assert _problems(result) == [f"{ARTICLE}: " + said.replace("{first_seen}", first_seen)]


def test_an_article_s_later_title_or_status_only_the_index_holds_is_a_note(tmp_path: Path) -> None:
    """A title found by a later read, a status and last capture from captures whose journal records
    the WARCs lack: the index ahead of its journal, noted; an older journal's article row, without
    a title, is read as such."""
    root = _archive(tmp_path / "archive")
    _write_more(root, journaled=False)
    _change(root, "UPDATE articles SET title = 'The levee'")
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert f"1 article(s) hold a title, source, status or first sighting the journal in the WARCs does not hold ({ARTICLE})" in (
        result.stderr.replace("\n", " ")), result.stderr



def test_an_article_given_later_by_another_spelling_or_title_only_the_index_holds_is_a_note(tmp_path: Path) -> None:
    """The article given again as `…?utm_source=rss` (its source changes, without a capture) and
    read with another title, by a run killed between the index's commit and the journal's write:
    the index ahead of its journal, which `reindex --force` would throw away; noted, not a problem.
    Nothing tells it from a title changed in archive.db alone, which is noted the same way."""
    root = _full_archive(tmp_path / "archive")
    with Index(root) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        index.upsert_article(ARTICLE, title="The levee")
    with Index(root) as index:  # no journal writer
        index.upsert_article(ARTICLE, source=ARTICLE + "?utm_source=rss", title="The levee holds")
    result = _verify(root)
    assert result.returncode == 0, result.stderr
    assert _problems(result) == []
    assert f"1 article(s) hold a title, source, status or first sighting the journal in the WARCs does not hold ({ARTICLE})" in (
        result.stderr.replace("\n", " ")), result.stderr
