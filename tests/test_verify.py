"""verify_archive on a real warcio-written archive, damaged in specific ways."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from archiver.verify import (
    DIGEST,
    GZIP,
    INDEX,
    MISSING,
    RECORD,
    TRUNCATED,
    UNREADABLE,
    Problem,
    verify_archive,
)
from tests.export_fixtures import ALICE_EMBED, ALICE_KEY, AVATAR, Archive, build_archive


@pytest.fixture
def arc(tmp_path: Path) -> Archive:
    return build_archive(tmp_path / "archive")


def verify(arc: Archive) -> list[Problem]:
    return verify_archive(arc.root, arc.rows, arc.screenshots)


def row(arc: Archive, rec_type: str, uri: str, post_key: str | None = ALICE_KEY) -> dict[str, Any]:
    return next(r for r in arc.rows if r.warc_type == rec_type and r.target_uri == uri
                and r.post_key == post_key)


def flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def replace_member(arc: Archive, target: dict[str, Any], edit: Any) -> None:
    """Re-gzip one record after `edit(bytes) -> bytes`, shifting the rows of the records after it,
    so the file stays a valid multi-member gzip and only that record's content is wrong."""
    path = arc.root / "warcs" / target.filename
    data = path.read_bytes()
    start, end = target.offset, target.offset + target.length
    member = gzip.compress(edit(gzip.decompress(data[start:end])))
    path.write_bytes(data[:start] + member + data[end:])
    shift = len(member) - target.length
    for r in arc.rows:
        if r.filename == target.filename and r.offset > start:
            r.offset += shift
    target.length = len(member)


def test_clean_archive_has_no_problems(arc: Archive) -> None:
    assert verify(arc) == []


def test_flipped_bytes_in_warc_and_screenshot_are_both_named(arc: Archive) -> None:
    target = row(arc, "response", ALICE_EMBED)
    warc_rel = "warcs/" + target.filename
    flip(arc.root / warc_rel, target.offset + target.length // 2)  # inside the compressed data
    shot = arc.screenshots[0]
    flip(arc.root / shot.path, 20)

    problems = verify(arc)
    assert problems
    record_problems = [p for p in problems if p.path == warc_rel and target.record_id in p.detail]
    assert record_problems and record_problems[0].kind in (GZIP, DIGEST, RECORD)
    # named once: the walk of the file steps over the damaged member, as the index named it
    assert [p for p in problems if p.path == warc_rel] == record_problems
    assert [p.kind for p in problems if p.path == shot.path] == [DIGEST]
    # nothing else is blamed
    assert {p.path for p in problems} == {warc_rel, shot.path}
    assert shot.path in str(problems[-1])


def test_changed_payload_is_a_digest_problem(arc: Archive) -> None:
    target = row(arc, "response", ALICE_EMBED)
    replace_member(arc, target, lambda rec: rec.replace(b"river is up", b"river is UP"))
    problems = verify(arc)
    assert [(p.kind, p.path) for p in problems] == [(DIGEST, "warcs/" + target.filename)]
    assert "digest failed" in problems[0].detail and target.record_id in problems[0].detail


def test_changed_revisit_is_a_digest_problem(arc: Archive) -> None:
    # warcio does not check revisit digests; verify checks the block itself
    target = row(arc, "revisit", AVATAR)
    replace_member(arc, target, lambda rec: rec.replace(b"image/jpeg", b"image/jpeX"))
    problems = verify(arc)
    assert [p.kind for p in problems] == [DIGEST]
    assert problems[0].detail.startswith(f"record {target.record_id} at offset {target.offset}: block digest")


def test_wrong_offset_length_or_id(arc: Archive) -> None:
    target = row(arc, "response", ALICE_EMBED)
    neighbour = row(arc, "request", ALICE_EMBED)
    wrong_id = replace(neighbour, record_id=target.record_id)
    too_long = replace(target, length=target.length + neighbour.length)
    problems = verify_archive(arc.root, [wrong_id, too_long], [])
    # A length the record there does not have, whole and sound at its own: the index's row is to
    # blame, not the WARC (`reindex` rebuilds the row; nothing in the WARC is damaged).
    blamed = (INDEX, f"the index gives it {too_long.length} bytes, but the record there is whole and sound at "
                     f"{target.length} bytes: the index's row is wrong, the WARC is not (an index rebuilt from the "
                     "WARCs mends it)")
    assert sorted((p.kind, p.detail.split(": ", 1)[1]) for p in problems) == [
        blamed, (RECORD, f"holds {neighbour.record_id} instead")]
    too_short = replace(target, length=target.length - 1)
    assert [(p.kind, p.detail.split(": ", 1)[1]) for p in verify_archive(arc.root, [too_short], [])] == [
        (INDEX, blamed[1].replace(str(too_long.length), str(too_short.length)))]
    # The same length over a member whose bytes were damaged: the WARC is to blame.
    flip(arc.root / "warcs" / target.filename, target.offset + target.length // 2)
    assert [p.kind for p in verify_archive(arc.root, [too_short], [])] == [GZIP]


@pytest.mark.parametrize("field", ["target_uri", "payload_digest", "warc_type"])
def test_an_index_row_that_says_another_record_than_the_warc_holds(arc: Archive, field: str) -> None:
    """An edited (or damaged) index would send export and replay to a record that is not the one it names."""
    target = row(arc, "response", ALICE_EMBED)
    edited = replace(target, **{field: {"target_uri": "https://example.org/else", "payload_digest": "sha1:" + "A" * 32,
                                        "warc_type": "resource"}[field]})
    problems = verify_archive(arc.root, [edited], [])
    header = {"target_uri": "WARC-Target-URI", "payload_digest": "WARC-Payload-Digest", "warc_type": "WARC-Type"}[field]
    assert [(p.kind, p.detail.split(": ", 1)[1].split(",")[0]) for p in problems] == [
        (RECORD, f"the index says {header} {getattr(edited, field)}")], problems
    assert verify_archive(arc.root, [target], []) == []


def test_missing_files(arc: Archive) -> None:
    target = row(arc, "response", ALICE_EMBED)
    (arc.root / "warcs" / target.filename).unlink()
    (arc.root / arc.screenshots[1].path).unlink()
    problems = verify(arc)
    assert [(p.kind, p.path) for p in problems] == [
        (MISSING, "warcs/" + target.filename), (MISSING, arc.screenshots[1].path)]


def test_truncated_file(arc: Archive) -> None:
    last = max((r for r in arc.rows if r.filename == row(arc, "response", ALICE_EMBED).filename),
               key=lambda r: r.offset)
    path = arc.root / "warcs" / last.filename
    path.write_bytes(path.read_bytes()[:last.offset + 10])
    problems = verify(arc)
    assert [p.kind for p in problems] == [TRUNCATED]  # once: the walk of the file does not name it again
    assert last.record_id in problems[0].detail


def test_damage_outside_indexed_records_is_found(arc: Archive) -> None:
    # a crash can leave a half-written record no index row points at
    target = row(arc, "response", ALICE_EMBED)
    path = arc.root / "warcs" / target.filename
    partial = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS).compress(b"WARC/1.1\r\n" * 2000)
    path.write_bytes(path.read_bytes() + partial[:50])
    problems = verify(arc)
    assert [(p.kind, p.path) for p in problems] == [(UNREADABLE, "warcs/" + target.filename)]


def test_unindexed_records_are_checked_too(arc: Archive) -> None:
    target = row(arc, "response", ALICE_EMBED)
    others = [r for r in arc.rows if r is not target]
    # a sound record the index does not know is not a problem
    assert verify_archive(arc.root, others, arc.screenshots) == []
    replace_member(arc, target, lambda rec: rec.replace(b"river is up", b"river is UP"))
    problems = verify_archive(arc.root, others, arc.screenshots)
    assert [(p.kind, p.detail.split(":")[0]) for p in problems] == [
        (DIGEST, f"unindexed record at offset {target.offset}")]


def test_the_walk_of_a_file_goes_on_past_a_damaged_member(arc: Archive) -> None:
    """Each record is a gzip member of its own: the records after damage are read on (as reindex
    reads them), so damage further on, and the journal past it, are not lost from the check."""
    filename = row(arc, "response", ALICE_EMBED).filename
    in_file = sorted((r for r in arc.rows if r.filename == filename), key=lambda r: r.offset)
    assert len(in_file) >= 3
    first, last = in_file[0], in_file[-1]
    others = [r for r in arc.rows if r is not first and r is not last]  # both unindexed: found by the walk
    path = arc.root / "warcs" / filename
    flip(path, first.offset + first.length // 2)
    flip(path, last.offset + last.length // 2)
    problems = verify_archive(arc.root, others, arc.screenshots)
    assert [(p.kind, p.detail.split(":")[0]) for p in problems] == [
        (UNREADABLE, f"unreadable from offset {first.offset}"), (UNREADABLE, f"unreadable from offset {last.offset}")]
    assert f"bytes {first.offset}-{in_file[1].offset} stepped over, the records after them read on" in problems[0].detail


def test_file_still_being_written_is_found_by_its_open_name(arc: Archive) -> None:
    # the capture writes `<name>.open` and renames it when done; the index already has the final name
    target = row(arc, "response", ALICE_EMBED)
    path = arc.root / "warcs" / target.filename
    path.rename(path.with_name(path.name + ".open"))
    assert verify(arc) == []
    flip(path.with_name(path.name + ".open"), target.offset + target.length // 2)
    assert [p.kind for p in verify(arc)] == [GZIP]


def test_a_missing_screenshot_and_a_missing_media_file_are_named_as_what_they_are(arc: Archive) -> None:
    from archiver.index.rows import StoredFile

    stored = [StoredFile(path="screenshots/twitter/1/gone.png", sha256="00", capture_id=1),
              StoredFile(path="media/twitter_1/gone.jpg", sha256="00", capture_id=None)]
    problems = verify_archive(arc.root, arc.rows, stored)
    assert [(p.kind, p.path, p.detail) for p in problems] == [
        ("missing", "screenshots/twitter/1/gone.png", "screenshot is missing"),
        ("missing", "media/twitter_1/gone.jpg", "media file is missing")]


def test_a_full_disk_under_the_scratch_file_is_named_as_that() -> None:
    """verify and reindex keep what they read in a scratch file in TMPDIR: when that disk fills,
    the error names the scratch file, not the archive's index (whose disk may have room)."""
    from archiver.errors import DiskFull
    from archiver.index.spool import Scratch

    with Scratch({"ids": ("id",)}) as scratch:
        scratch._db.execute("PRAGMA max_page_count = 2")  # SQLite's own "database or disk is full"
        with pytest.raises(DiskFull) as full:
            for i in range(20_000):
                scratch.add("ids", (f"<urn:uuid:{i:032d}>",))
            scratch.execute("CREATE INDEX ids_id ON ids (id)")
    message = str(full.value)
    assert "scratch file" in message and "TMPDIR" in message and "archive.db" not in message, message


def test_a_plain_warc_file_that_ends_inside_its_record_is_named_not_offered_to_reindex(arc: Archive) -> None:
    """reindex takes nothing from such a file: verify does not say `reindex --force` would."""
    stray = arc.root / "warcs" / "partial.warc"
    stray.write_bytes(b"WARC/1.1\r\n")
    problems = verify_archive(arc.root, arc.rows, arc.screenshots, whole_index=True)
    assert [(p.kind, p.path, p.detail) for p in problems] == [
        (UNREADABLE, "warcs/partial.warc", "unindexed record at offset 0: the file ends inside it")]


def test_records_of_a_file_written_before_the_index_was_journaled_are_no_unjournaled_records() -> None:
    """An archive older than its journal: the records of its first WARC files are named by no
    journal entry, and are not noted as such (only files holding journal entries are looked at)."""
    import json

    from archiver.index.journal import Entry
    from archiver.index.rows import RecordRow
    from archiver.verify import _Seen

    def row(record_id: str, filename: str) -> RecordRow:
        return RecordRow(record_id=record_id, warc_type="response", target_uri="https://news.example/",
                         date="2021-11-08T10:00:00Z", filename=filename, offset=0, length=1, capture_id=1)

    with _Seen() as seen:
        for rid, name in (("<urn:uuid:old>", "old.warc.gz"), ("<urn:uuid:named>", "new.warc.gz"),
                          ("<urn:uuid:lost-entry>", "new.warc.gz")):
            seen.note(row(rid, name))
        seen.journaled([Entry("2024-03-04T10:00:00Z", "new.warc.gz", 10, "records",
                              json.dumps({"record_ids": ["<urn:uuid:named>"]}).encode())])
        assert seen.unjournaled() == (1, "<urn:uuid:lost-entry>")


# -- an archive written by the real index and WARC store, its records rewritten in place -------------

PAGES = ("https://news.example/2024/levee.html", "https://news.example/2024/bridge.html")


def _captured_articles(root: Path) -> list[dict[str, Any]]:
    """Two articles, each captured as a run captures one: its page's exchange, a screenshot and a
    capture-info record concurrent to the page; every write journaled. Returns, per capture, its
    page's and screenshot's RecordInfo."""
    from archiver.index.rows import Capture
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.layout import WARC_DIR
    from archiver.warcstore import Exchange, WarcStore
    from tests.export_fixtures import png_bytes

    made = []
    with SQLiteIndex(root) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        for n, url in enumerate(PAGES):
            article = index.upsert_article(url, source="seeds.txt")
            req, page = store.write_exchange(Exchange(
                url=url, method="GET", request_headers=[("Accept", "text/html")], status=200,
                response_headers=[("Content-Type", "text/html")], body=f"<p>article {n}: the river</p>".encode()))
            shot = store.write_resource(f"urn:screenshot:{url}", "image/png", png_bytes(4 + n, 3),
                                        concurrent_to=page.record_id)
            info = store.write_metadata(f"urn:capture-info:{url}", {"url": url}, concurrent_to=page.record_id)
            with index.transaction():
                cid = index.add_capture(Capture(source="live", url=url, status="ok", article_id=article,
                                                warc=page.filename, page_record_id=page.record_id))
                index.add_records(cid, [req, page, shot, info], article_id=article)
            made.append({"request": req, "page": page, "shot": shot, "info": info})
    return made


def _rewrite_in_place(path: Path, offset: int, length: int, edit: Any) -> None:
    """Re-compress the record of the gzip member at `offset` after `edit(bytes) -> bytes` into a
    member of exactly `length` bytes (its gzip comment takes up the slack), as a tool re-writing a
    record in place would: nothing after it moves, the index's offsets all still hold."""
    data = path.read_bytes()
    record = edit(gzip.decompress(data[offset:offset + length]))
    packings = [zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, memory, strategy)
                for level in range(1, 10) for memory in range(1, 10)
                for strategy in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_RLE, zlib.Z_FIXED)]
    deflated = min((packer.compress(record) + packer.flush() for packer in packings), key=len)
    slack = length - 10 - 1 - len(deflated) - 8  # header, the comment's NUL, trailer
    assert slack >= 0, "the edited record does not compress into the member's length"
    member = (b"\x1f\x8b\x08\x10\x00\x00\x00\x00\x00\xff" + b" " * slack + b"\x00" + deflated
              + zlib.crc32(record).to_bytes(4, "little") + (len(record) & 0xFFFFFFFF).to_bytes(4, "little"))
    assert len(member) == length and gzip.decompress(member) == record
    path.write_bytes(data[:offset] + member + data[offset + length:])


def _verify_folder(root: Path) -> list[Problem]:
    from archiver.bundle import verify_selection
    from archiver.index.sqlite.index import SQLiteIndex

    with SQLiteIndex(root, create=False) as index:
        return verify_selection(index, root)[0]


def test_a_record_whose_date_was_rewritten_in_place_is_named(tmp_path: Path) -> None:
    """Its digests cover its block, not its headers: the record checks, and only what the index
    holds of it (its date) tells that it is not the record that was captured."""
    from archiver.verify import check_record

    root = tmp_path / "archive"
    made = _captured_articles(root)
    assert _verify_folder(root) == []
    page = made[0]["page"]
    path = root / "warcs" / page.filename
    forged = "2000-01-01T00:00:00.000000Z"  # (zeros: it compresses into the member's length)
    assert len(forged) == len(page.date)
    _rewrite_in_place(path, page.offset, page.length, lambda rec: rec.replace(page.date.encode(), forged.encode(), 1))
    with path.open("rb") as fh:  # sound as a WARC record: digests and framing as before
        assert check_record(fh, "warcs/" + page.filename, page.offset, page.length, page.record_id) is None
    problems = _verify_folder(root)
    assert [(p.kind, p.path, p.detail) for p in problems] == [
        (RECORD, "warcs/" + page.filename, f"record {page.record_id} at offset {page.offset}: the index says "
                                           f"WARC-Date {page.date}, the record says {forged}")]


def test_a_screenshot_pointed_at_another_capture_s_page_is_named(tmp_path: Path) -> None:
    """A capture's screenshots are the records concurrent to its page: one re-pointed at another
    capture's page would be shown as that capture's by an export."""
    root = tmp_path / "archive"
    made = _captured_articles(root)
    shot, mine, theirs = made[1]["shot"], made[1]["page"], made[0]["page"]
    path = root / "warcs" / shot.filename
    _rewrite_in_place(path, shot.offset, shot.length,
                      lambda rec: rec.replace(mine.record_id.encode(), theirs.record_id.encode()))
    problems = _verify_folder(root)
    # Each capture named by what a person can act on (its article, time, WARC file and page
    # record), not by its row id in archive.db, which names nothing outside it.
    first, second = (_capture_named(root, page) for page in (theirs, mine))
    assert [(p.kind, p.path, p.detail) for p in problems] == [
        (RECORD, "warcs/" + shot.filename, f"record {shot.record_id} at offset {shot.offset}: its WARC-Concurrent-To "
                                           f"names {theirs.record_id}, a record of {first}, but the index ties this "
                                           f"record to {second}")]
    assert "capture 1" not in problems[0].detail and "capture 2" not in problems[0].detail
    # Pointed at a record no WARC file holds, it belongs to no capture any more: named too.
    nowhere = "<urn:uuid:00000000-0000-4000-8000-000000000000>"
    _rewrite_in_place(path, shot.offset, shot.length,
                      lambda rec: rec.replace(theirs.record_id.encode(), nowhere.encode()))
    assert [p.detail for p in _verify_folder(root)] == [
        f"record {shot.record_id} at offset {shot.offset}: its WARC-Concurrent-To names {nowhere}, which no WARC file "
        f"of the archive holds (the index ties the record to {second})"]


def _capture_named(root: Path, page: Any) -> str:
    """How verify names the capture whose page record is `page`, from archive.db's own rows."""
    import sqlite3

    with sqlite3.connect(root / "archive.db") as conn:
        url, at, warc = conn.execute("SELECT a.url, c.captured_at, c.warc FROM captures c JOIN articles a "
                                     "ON a.id = c.article_id WHERE c.page_record_id = ?", [page.record_id]).fetchone()
    return f"the live capture of article {url} at {at} (page record {page.record_id} in warcs/{warc})"


def test_a_link_to_a_record_the_index_holds_as_no_capture_s_is_named(tmp_path: Path) -> None:
    """A capture's screenshot names its page (WARC-Concurrent-To); the index holds that page, but
    tied to no capture (its row's capture lost): an export of the capture would leave its page
    out. Named, with the capture the screenshot is the index's."""
    import sqlite3

    root = tmp_path / "archive"
    made = _captured_articles(root)
    shot, page = made[1]["shot"], made[1]["page"]
    mine = _capture_named(root, page)
    with sqlite3.connect(root / "archive.db") as conn:
        conn.execute("UPDATE records SET capture_id = NULL WHERE record_id = ?", [page.record_id])
    # Each record of the capture that names its page (its request, screenshot and capture-info) is
    # named, and nothing else: the rows, the journal and the WARC files otherwise agree.
    assert [(p.kind, p.path, p.detail) for p in _verify_folder(root)] == [
        (RECORD, "warcs/" + record.filename,
         f"record {record.record_id} at offset {record.offset}: its WARC-Concurrent-To names {page.record_id}, a "
         f"record the index holds but ties to no capture, while it ties this record to {mine}: the two records of "
         "one capture are not one capture's in the index (an export of it would leave that record out); "
         "`archiver reindex --force` rebuilds the index from the WARC files")
        for record in (made[1]["request"], shot, made[1]["info"])]


def test_two_records_with_one_id_are_named_as_such_and_reindex_says_which_it_took(tmp_path: Path) -> None:
    """A copy of a record's gzip member appended to its WARC file: not a record the index lost
    (whose advice, `reindex --force`, would be given again after every rebuild), but two records
    with one WARC-Record-ID, which reindex takes the first of and says so."""
    import sqlite3

    from archiver.layout import DB_NAME
    from archiver.reindex import reindex

    root = tmp_path / "archive"
    page = _captured_articles(root)[0]["page"]
    path = root / "warcs" / page.filename
    data = path.read_bytes()
    path.write_bytes(data + data[page.offset:page.offset + page.length])
    named = [(RECORD, "warcs/" + page.filename,
              f"record {page.record_id} at offset {len(data)} has the WARC-Record-ID of the record at offset "
              f"{page.offset}, which the index holds: two records with one ID, which replay tools cannot tell "
              "apart; this one is a byte-for-byte copy of it (an export carries the one the index holds)")]
    assert [(p.kind, p.path, p.detail) for p in _verify_folder(root)] == named
    summary = reindex(root, force=True)
    assert summary.exit_code == 1 and summary.gaps == [
        f"warcs/{page.filename}: 1 record(s) have the WARC-Record-ID of a record before them, left out of the "
        f"index (the first: {page.record_id} at offset {len(data)}, the same ID as the record at offset "
        f"{page.offset}, which is indexed); `archiver verify` names them"]
    with sqlite3.connect(root / DB_NAME) as conn:
        assert conn.execute('SELECT "offset" FROM records WHERE record_id = ?', [page.record_id]).fetchall() == [
            (page.offset,)]
    assert [(p.kind, p.path, p.detail) for p in _verify_folder(root)] == named  # the same, not a loop


def test_a_journal_record_appended_twice_is_replayed_once(tmp_path: Path) -> None:
    """A copy of a `urn:capture:` journal record's gzip member appended to its WARC file holds the
    same write, not a second capture: verify names the two records with one ID and nothing else
    (not a capture the index lacks, with the advice `reindex --force`); reindex replays it once and
    names the copy (exit 1), leaving the captures as they were."""
    import sqlite3

    from warcio.archiveiterator import ArchiveIterator

    from archiver.layout import DB_NAME
    from archiver.reindex import reindex

    root = tmp_path / "archive"
    page = _captured_articles(root)[0]["page"]
    path = root / "warcs" / page.filename
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            if (rec.rec_headers.get_header("WARC-Target-URI") or "").startswith("urn:capture:"):
                record_id = rec.rec_headers.get_header("WARC-Record-ID")
                it.read_to_end(rec)
                offset, length = it.get_record_offset(), it.get_record_length()
                break
    data = path.read_bytes()
    path.write_bytes(data + data[offset:offset + length])
    with sqlite3.connect(root / DB_NAME) as conn:
        captures = conn.execute("SELECT url, captured_at FROM captures ORDER BY id").fetchall()
    assert len(captures) == 2
    named = [(RECORD, "warcs/" + page.filename,
              f"record {record_id} at offset {len(data)} has the WARC-Record-ID of the record at offset {offset}, "
              "which the index does not hold either: two records with one ID, which replay tools cannot tell "
              "apart; this one is a byte-for-byte copy of it")]
    assert [(p.kind, p.path, p.detail) for p in _verify_folder(root)] == named
    summary = reindex(root, force=True)
    assert summary.exit_code == 1 and summary.gaps == [
        f"warcs/{page.filename}: 1 journal record(s) have the WARC-Record-ID of a journal record before them, left "
        f"out of the replay (the first: {record_id} at offset {len(data)}, the same ID as the journal record at "
        f"offset {offset}, which is replayed); `archiver verify` names them"]
    assert summary.captures == 2
    with sqlite3.connect(root / DB_NAME) as conn:
        assert conn.execute("SELECT url, captured_at FROM captures ORDER BY id").fetchall() == captures
    assert [(p.kind, p.path, p.detail) for p in _verify_folder(root)] == named  # the same, not a loop


def test_journal_entries_sharing_an_id_are_replayed_once_in_file_and_offset_order(tmp_path: Path) -> None:
    """The journal as a list (not spooled) is replayed as a spool replays it: the first of each
    record ID by file name and offset, entries without an ID each on their own."""
    from archiver.index.journal import Entry, first_of_each_id
    from archiver.index.spool import Spool

    entries = [Entry("2024-03-04T10:00:02Z", "b.warc.gz", 5, "post", b"{}", "<urn:uuid:1>"),
               Entry("2024-03-04T10:00:01Z", "a.warc.gz", 90, "post", b"{}", "<urn:uuid:1>"),
               Entry("2024-03-04T10:00:00Z", "a.warc.gz", 10, "post", b"{}", None),
               Entry("2024-03-04T10:00:00Z", "a.warc.gz", 20, "post", b"{}", None),
               Entry("2024-03-04T10:00:03Z", "a.warc.gz", 95, "post", b"{}", "<urn:uuid:1>")]
    kept = [(e.filename, e.offset) for e in first_of_each_id(entries)]
    assert kept == [("a.warc.gz", 10), ("a.warc.gz", 20), ("a.warc.gz", 90)]
    with Spool() as spool:
        for entry in entries:
            spool.append(entry)
        assert sorted((e.filename, e.offset) for e in spool.entries()) == kept
        assert spool.duplicate_entries() == (2, ("<urn:uuid:1>", "a.warc.gz", 95, "a.warc.gz", 90))
