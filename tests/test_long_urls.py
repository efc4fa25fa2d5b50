"""Records whose WARC headers hold very long URLs: verify, export and reindex read them as the
writer wrote them, however long the header, up to a cap far above what the tool writes."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from archiver.index.rows import Capture
from archiver.models import Post
from archiver.verify import check_record
from archiver.warcstore import Exchange, WarcStore
from archiver.warcstore.records import MAX_WARC_FIELDS, MAX_WARC_HEAD
from tests.e2e import ROOT, cli, gzip_members, warc_files
from tests.fakeweb import FakeWeb
from tests.synthetic import add_captured_tweet

LONG = "https://news.example/favicon.ico?q=" + "d" * 70_000
ARTICLE = "https://news.example/a.html?q=" + "a" * 70_000  # its journal records carry it
REVISITED = "https://news.example/b.png?q=" + "b" * 33_000  # a revisit holds it twice: about 66 KB of header


def _archiver(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env=env)


def _long_url_archive(root: Path) -> None:
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.layout import WARC_DIR

    root.mkdir(parents=True)
    with SQLiteIndex(root) as index, WarcStore(root / WARC_DIR, dedup_min_bytes=1) as store:
        index.journal.writer = store.write_metadata_batch
        art = index.upsert_article(ARTICLE, source="a.html")
        key = add_captured_tweet(index, store, art, Post(
            platform="twitter", kind="embedded", source="a.html", evidence="blockquote", post_id="1800000000000000001",
            handle="Desk", posted_at="2024-03-04T12:00:00Z", text="post"), b"<p>x</p>")
        exchanges = [Exchange(url=url, method="GET", status=200, request_headers=[],
                              response_headers=[("Content-Type", "image/png")], body=b"\x89PNG same bytes")
                     for url in (LONG, REVISITED)]
        records = [*store.write_exchange(exchanges[0]), *store.write_exchange(exchanges[1])]
        assert records[3].extra.get("WARC-Refers-To-Target-URI") == LONG  # a revisit of the first
        with index.transaction():
            cid = index.add_capture(Capture(post_key=key, article_id=None, source="live", url=LONG, status="live",
                                            screenshot=None, screenshot_sha256=None, error=None,
                                            warc=records[1].filename, page_record_id=records[1].record_id))
            index.add_records(cid, records, post_key=key)


def test_records_with_headers_over_64_kib_verify_export_and_reindex(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    _long_url_archive(root)
    checked = _archiver("verify", "-d", str(root))
    assert checked.returncode == 0, checked.stderr
    assert "not a WARC record" not in checked.stderr
    out = tmp_path / "all.wacz"
    exported = _archiver("export", "-d", str(root), "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as z:
        cdx = b"".join(z.read(n) for n in z.namelist() if n.startswith("indexes/"))
        if cdx.startswith(b"\x1f\x8b"):
            cdx = gzip.decompress(cdx)
    assert b"d" * 70_000 in cdx  # the long-URL response is in the bundle
    assert _archiver("verify", str(out)).returncode == 0
    (root / "archive.db").unlink()
    rebuilt = _archiver("reindex", "-d", str(root))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _archiver("verify", "-d", str(root)).returncode == 0


def test_a_header_past_the_cap_is_named_as_too_long(tmp_path: Path) -> None:
    data = b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: x:" + b"z" * (MAX_WARC_HEAD + 10) + b"\r\n\r\n"
    path = tmp_path / "hostile.warc"
    path.write_bytes(data)
    with path.open("rb") as fh:
        problem = check_record(fh, "hostile.warc", 0, len(data), None)
    assert problem is not None and f"WARC header longer than {MAX_WARC_HEAD:,} bytes" in problem.detail


def test_a_header_of_very_many_lines_is_named_without_reading_them_all(tmp_path: Path) -> None:
    """A header within the byte cap made of millions of short fields: each would be parsed one by one
    (seconds a record); past the field cap the record is named at once."""
    data = (b"WARC/1.1\r\nWARC-Type: resource\r\n" + b"X:a\r\n" * 2_000_000
            + b"Content-Length: 1\r\n\r\nz\r\n\r\n")
    path = tmp_path / "hostile.warc"
    path.write_bytes(data)
    with path.open("rb") as fh:
        problem = check_record(fh, "hostile.warc", 0, len(data), None)
    assert problem is not None and f"(more than {MAX_WARC_FIELDS:,})" in problem.detail, problem
    assert "2,000,002 fields" in problem.detail, problem  # 2,000,000 X, its type, its length


@pytest.mark.browser
def test_a_captured_page_with_a_70_kb_image_url_verifies_and_exports(tmp_path: Path) -> None:
    page = tmp_path / "long.html"
    page.write_text(f'<!doctype html><html><body><p>x</p><img src="{LONG}"></body></html>', encoding="utf-8")
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        run = cli(web, "archive", str(page), "--format", "json", archive=archive)
        assert run.returncode == 0, run.stderr
        held = b"".join(m for f in warc_files(archive) for m in gzip_members(f.read_bytes()))
        assert LONG.encode() in held  # the image's request was recorded under its whole URL
        checked = cli(web, "verify", archive=archive)
        assert checked.returncode == 0, checked.stderr
        exported = cli(web, "export", "-o", str(tmp_path / "x.wacz"), archive=archive)
        assert exported.returncode == 0, exported.stderr
