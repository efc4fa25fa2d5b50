"""verify of an archive folder names whose evidence its damage cost: the captures, posts and
articles whose records are damaged or gone, grouped, after the problems it lists record by record.

The archive is written by the real index and WARC writer (no browser needed).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from archiver.index.rows import Capture
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import DB_NAME, WARC_DIR
from archiver.warcstore import Exchange, WarcStore
from tests.e2e import ROOT
from tests.test_export_damaged_pages import _build_alike

ARTICLE = "https://news.example/2024/river.html"


def _cli(*args: str, archive: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args, "--archive-dir", str(archive)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _capture_article(archive: Path) -> str:
    """The citing article captured in a run of its own; its WARC file's name."""
    with Index(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article(ARTICLE, source="river.html")
        ex = Exchange(url=ARTICLE, method="GET", status=200, reason="OK", request_headers=[],
                      response_headers=[("Content-Type", "text/html")], body=b"<html><p>The river</p></html>")
        req, resp = store.write_exchange(ex)
        with index.transaction():
            cid = index.add_capture(Capture(source="live", url=ARTICLE, status="live", article_id=article,
                                            warc=resp.filename, page_record_id=resp.record_id))
            index.add_records(cid, [req, resp], article_id=article)
    return resp.filename


def _lost(archive: Path, filename: str, after: int = 0) -> tuple[set[int], set[str]]:
    """The captures with a record in `filename` (at or past `after`), and their posts' keys."""
    conn = sqlite3.connect(archive / DB_NAME)
    try:
        rows = conn.execute(
            "SELECT r.capture_id, p.platform || ':' || p.post_id FROM records r "
            "LEFT JOIN captures c ON c.id = r.capture_id LEFT JOIN posts p ON p.id = c.post "
            'WHERE r.filename = ? AND r."offset" + r.length > ? AND r.capture_id IS NOT NULL', (filename, after))
        found = rows.fetchall()
    finally:
        conn.close()
    return {cid for cid, _ in found}, {key for _, key in found if key}


def test_verify_names_the_captures_posts_and_articles_that_lost_records(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    _build_alike(archive)
    article_file = _capture_article(archive)
    files = sorted(p for p in (archive / WARC_DIR).glob("*.warc.gz") if p.name != article_file)
    cut = files[0].stat().st_size // 3
    captures, posts = _lost(archive, files[0].name, cut)
    with files[0].open("r+b") as fh:
        fh.truncate(cut)
    article_captures, _ = _lost(archive, article_file)
    (archive / WARC_DIR / article_file).unlink()
    assert len(posts) > 5 and len(article_captures) == 1
    r = _cli("verify", archive=archive)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    # the problems themselves, one a record, as before
    assert re.search(r"truncated: record <urn:uuid:[^>]+> at offset \d+ ends at byte", r.stderr)
    lines = [line.removeprefix("archiver: ") for line in r.stderr.splitlines() if "evidence lost" in line]
    each = [line for line in lines if line.startswith("evidence lost: ")]
    (total,) = [line for line in lines if line.startswith("evidence lost in all: ")]
    # one line per capture (at most ten, then how many more), then the posts and articles concerned
    assert len(each) == min(len(captures) + 1, 10) + (len(captures) + 1 > 10), lines
    assert any(f"capture of article {ARTICLE} " in line and "2 record(s) in a missing WARC file" in line
               for line in each), lines
    assert all(re.search(r"capture of (post twitter:\d+|article \S+) at ", line) for line in each if "more" not in line)
    assert f"of {len(captures) + 1} capture(s), of {len(posts)} posts (" in total, total
    assert f"1 article ({ARTICLE})" in total
    shown = re.findall(r"twitter:\d+", total)
    assert set(shown) <= posts and len(shown) == min(len(posts), 10)
    # the machine-readable list is the problems alone
    assert "evidence lost" not in r.stdout


def _journal_member(path: Path) -> tuple[int, int, str]:
    """The first journal record of a WARC file: its offset, length and ID."""
    from warcio.archiveiterator import ArchiveIterator

    from archiver.index.journal import is_journal_record

    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            if is_journal_record(record.rec_type, record.rec_headers.get_header("WARC-Target-URI") or ""):
                offset = it.get_record_offset()
                it.read_to_end(record)
                return offset, it.get_record_length(), record.rec_headers.get_header("WARC-Record-ID")
    raise AssertionError(f"no journal record in {path}")


def test_verify_calls_a_damaged_journal_record_a_journal_record(tmp_path: Path) -> None:
    """A journal record (the index never lists them) whose block no longer matches its digest, and
    one cut off by the end of its file, are named as journal records, not as records the index lacks."""
    import gzip

    from tests.test_export_damaged_pages import _member

    archive = tmp_path / "archive"
    _build_alike(archive)
    first, last = sorted((archive / WARC_DIR).glob("*.warc.gz"))[:2]
    offset, length, record_id = _journal_member(first)
    data = first.read_bytes()
    record = gzip.decompress(data[offset:offset + length])
    # a run of its block's bytes made zeros, where they compress well enough for the member to keep
    # its length (how well depends on the record's own bytes: its IDs and times differ run by run);
    # the longer the run, the better it compresses
    start = record.index(b"\r\n\r\n") + 4
    member = None
    for size in (16, 64, 256, 1024):
        for at in range(start, len(record) - size, size):
            changed = record[:at] + b"0" * size + record[at + size:]
            if changed == record:
                continue
            try:
                member = _member(changed, length)
                break
            except AssertionError:
                continue
        if member is not None:
            break
    assert member is not None, "no run of zeros in its block keeps the member's length"
    first.write_bytes(data[:offset] + member + data[offset + length:])
    cut_at, cut_length, cut_id = _journal_member(last)
    with last.open("r+b") as fh:
        fh.truncate(cut_at + cut_length - 4)  # its gzip trailer cut short: the record inflates, the member ends early
    r = _cli("verify", archive=archive)
    assert r.returncode == 1, r.stderr
    assert f"journal record at offset {offset}: " in r.stdout, r.stdout
    assert f"unreadable from offset {cut_at} (journal record {cut_id}): " in r.stdout, r.stdout
    assert "unindexed record" not in r.stdout + r.stderr


def test_verify_json_lists_every_capture_that_lost_evidence(tmp_path: Path) -> None:
    """`verify --format json` carries the whole list (stderr names ten): each lost capture with its
    post or article, its time and its WARC file, so that a script can act on it."""
    import json

    archive = tmp_path / "archive"
    _build_alike(archive)
    article_file = _capture_article(archive)
    files = sorted(p for p in (archive / WARC_DIR).glob("*.warc.gz") if p.name != article_file)
    lost: set[int] = set()
    posts: set[str] = set()
    for path in files[:3]:  # three files of posts gone: more captures than stderr names
        captures, keys = _lost(archive, path.name)
        lost |= captures
        posts |= keys
        path.unlink()
    article_captures, _ = _lost(archive, article_file)
    (archive / WARC_DIR / article_file).unlink()
    assert len(lost) > 10
    r = _cli("verify", "--format", "json", archive=archive)
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    found = out["evidence_lost"]
    assert {c["capture"] for c in found} == lost | article_captures
    by_post = {c["post"]: c for c in found if c["post"] is not None}
    assert set(by_post) == posts
    for c in by_post.values():
        assert "post_url" in c  # (these synthetic posts were given no address of their own)
        assert c["article"] is None and c["captured_at"] and c["known_by"] == "records"
        assert c["warc"] and [f"{WARC_DIR}/{c['warc']}"] == c["files"]
        assert c["records"] == {"in a missing WARC file": 2}
    (article,) = [c for c in found if c["post"] is None]
    assert article["article"] == ARTICLE and article["warc"] == article_file
    assert out["evidence_unplaced"] == []
    # stderr still names ten, and says where the rest are
    assert sum(line.startswith("archiver: evidence lost: the ") for line in r.stderr.splitlines()) == 10
    assert "`archiver verify --format json` lists them all" in r.stderr


def _drop_records(path: Path, *, journal: bool) -> None:
    """The WARC file without its `urn:records:` journal records (which tie records to captures),
    or with `journal` without any journal record (as written before the index was journaled)."""
    from warcio.archiveiterator import ArchiveIterator

    from archiver.index.journal import is_journal_record

    data = path.read_bytes()
    kept = []
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            offset = it.get_record_offset()
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            dropped = is_journal_record(record.rec_type, uri) if journal else uri.startswith("urn:records:")
            it.read_to_end(record)
            if not dropped:
                kept.append(data[offset:offset + it.get_record_length()])
    path.write_bytes(b"".join(kept))


def _unlinked_then_lost(archive: Path, *, captures: bool) -> tuple[Path, list[str]]:
    """An archive reindexed from WARCs whose records no journal entry ties to a capture (with
    `captures`: the captures' own entries kept; without, no journal at all, as an archiver that
    wrote none left them), one of its WARC files then lost; that file, and the posts it held."""
    import shutil

    _build_alike(archive)
    files = sorted((archive / WARC_DIR).glob("*.warc.gz"))
    _, keys = _lost(archive, files[1].name)
    for path in files:
        _drop_records(path, journal=not captures)
    (archive / DB_NAME).unlink()
    for side in ("-wal", "-shm"):
        (archive / f"{DB_NAME}{side}").unlink(missing_ok=True)
    r = _cli("reindex", archive=archive)
    assert "Traceback" not in r.stderr, r.stderr
    conn = sqlite3.connect(archive / DB_NAME)
    try:
        assert conn.execute("SELECT count(*) FROM records WHERE capture_id IS NOT NULL").fetchone()[0] == 0
        held = conn.execute("SELECT count(*) FROM captures WHERE warc = ?", (files[1].name,)).fetchone()[0]
    finally:
        conn.close()
    assert (held > 0) == captures
    shutil.move(files[1], archive.parent / files[1].name)
    return files[1], sorted(keys)


def test_a_lost_file_whose_records_the_index_ties_to_no_capture_names_its_captures_by_their_warc_file(
        tmp_path: Path) -> None:
    """An index rebuilt from WARCs without the journal entries tying records to captures holds the
    captures, each naming its WARC file, but no link from a record to one: a lost file's captures
    are named by that, not left unsaid."""
    import json

    archive = tmp_path / "archive"
    lost_file, keys = _unlinked_then_lost(archive, captures=True)
    r = _cli("verify", archive=archive)
    assert r.returncode == 1, r.stderr
    assert f"missing\t{WARC_DIR}/{lost_file.name}\tWARC file is missing" in r.stdout
    each = [line for line in r.stderr.splitlines() if line.startswith("archiver: evidence lost: ")]
    assert each and all(f"its WARC file {WARC_DIR}/{lost_file.name} is missing" in line
                        for line in each if "more capture" not in line), r.stderr
    (total,) = [line for line in r.stderr.splitlines() if "evidence lost in all: " in line]
    assert f"of {len(keys)} post" in total
    # the records the lost file held are counted, not "0 record(s)" for captures known by their file
    held = int(re.search(r"WARC file is missing \((\d+) indexed records\)", r.stdout)[1])  # type: ignore[index]
    assert held > 0 and f"evidence lost in all: {held} record(s) (the 1 lost WARC file(s) " in total, total
    out = json.loads(_cli("verify", "--format", "json", archive=archive).stdout)
    assert sorted(c["post"] for c in out["evidence_lost"]) == keys
    assert {c["known_by"] for c in out["evidence_lost"]} == {"warc_file"}
    assert all(c["warc"] == lost_file.name and c["records"] == {} for c in out["evidence_lost"])


def test_a_lost_file_the_index_knows_no_capture_of_is_said_to_be_unplaceable(tmp_path: Path) -> None:
    """WARC files without a journal give an index of records alone: a lost one is said plainly to
    cost evidence the index cannot place in a capture, never passed over in silence."""
    import json

    archive = tmp_path / "archive"
    lost_file, _ = _unlinked_then_lost(archive, captures=False)
    r = _cli("verify", archive=archive)
    assert r.returncode == 1, r.stderr
    (line,) = [line for line in r.stderr.splitlines() if "evidence lost" in line]
    assert re.search(rf"evidence lost: \d+ record\(s\) in a missing WARC file \({WARC_DIR}/{lost_file.name}\), "
                     "none of which the index ties to a capture: it cannot tell which captures lost evidence there",
                     line), line
    out = json.loads(_cli("verify", "--format", "json", archive=archive).stdout)
    assert out["evidence_lost"] == []
    (unplaced,) = out["evidence_unplaced"]
    assert unplaced["path"] == f"{WARC_DIR}/{lost_file.name}" and unplaced["records"] > 0
