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
    # sixteen bytes of its block made zeros (they compress better: the member keeps its length)
    start = record.index(b"\r\n\r\n") + 4
    at = (start + len(record)) // 2
    changed = record[:at] + b"0" * 16 + record[at + 16:]
    assert changed != record
    first.write_bytes(data[:offset] + _member(changed, length) + data[offset + length:])
    cut_at, cut_length, cut_id = _journal_member(last)
    with last.open("r+b") as fh:
        fh.truncate(cut_at + cut_length - 4)  # its gzip trailer cut short: the record inflates, the member ends early
    r = _cli("verify", archive=archive)
    assert r.returncode == 1, r.stderr
    assert f"journal record at offset {offset}: " in r.stdout, r.stdout
    assert f"unreadable from offset {cut_at} (journal record {cut_id}): " in r.stdout, r.stdout
    assert "unindexed record" not in r.stdout + r.stderr
