"""What an export of a damaged archive lists as pages, and how it counts what it left out.

Archives are written by the real index and WARC writer (no browser needed): one post captured
live twice and once after it was deleted, each capture in a WARC file of its own (one run each).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from archiver.index.rows import Capture
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import WARC_DIR
from archiver.models import Post
from archiver.warcstore import Exchange, WarcStore
from tests.e2e import ROOT

EMBED = "https://platform.twitter.com/embed/Tweet.html?id=1764640000000000001"
RUNS = [("live", b"<html>The river is up again</html>"), ("live", b"<html>The river is up again!</html>"),
        ("deleted", b"<html>This Post was deleted by the Post author.</html>")]


def _cli(*args: str, archive: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args, "--archive-dir", str(archive)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _build(archive: Path, *, redirected: bool = False) -> dict[str, str]:
    """The archive; the WARC file name of each run, by status (the deleted capture's: 'deleted').
    `redirected`: each capture's address (its twitter.com URL) answered 301 to its x.com URL, the
    capture's page record; the files are then named by status, and by 'hop-deleted' for the
    deleted run's redirect."""
    archive.mkdir(parents=True)
    files: dict[str, str] = {}
    post = Post(platform="twitter", kind="embedded", source="river.html", evidence="blockquote",
                post_id="1764640000000000001", handle="RivertonDesk", posted_at="2024-03-04T12:00:00Z",
                text="The river is up again")
    with Index(archive) as index:
        article = index.upsert_article("https://news.example/2024/river.html", source="river.html")
        key = index.upsert_post(post)
        index.cite(article, key, "embedded", "blockquote")
        for n, (status, body) in enumerate(RUNS):
            with WarcStore(archive / WARC_DIR) as store:  # one run, one WARC file
                index.journal.writer = store.write_metadata_batch
                hops = []
                if redirected:
                    hop = Exchange(url=HOP, method="GET", status=301, reason="Moved Permanently", request_headers=[],
                                   response_headers=[("Location", TARGET)], body=b"")
                    hops = list(store.write_exchange(hop))
                ex = Exchange(url=TARGET if redirected else EMBED, method="GET", status=200, reason="OK",
                              request_headers=[], response_headers=[("Content-Type", "text/html")], body=body)
                req, resp = store.write_exchange(ex)
                with index.transaction():
                    cid = index.add_capture(Capture(post_key=key, article_id=None, source="live",
                                                    url=HOP if redirected else EMBED,
                                                    status=status, screenshot=None, screenshot_sha256=None,
                                                    error=None, warc=resp.filename, page_record_id=resp.record_id,
                                                    captured_at=f"2024-03-0{5 + n}T10:00:00Z"))
                    index.add_records(cid, [*hops, req, resp], post_key=key)
                index.observe(key, status)
                files[status if status == "deleted" else f"live{n}"] = resp.filename
    return files


HOP = "https://twitter.com/RivertonDesk/status/1764640000000000001"
TARGET = "https://x.com/RivertonDesk/status/1764640000000000001"


def _pages(wacz: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(wacz) as zf:
        return [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]


@pytest.mark.parametrize("damage,extra", [("missing", ()), ("missing", ("--allow-damaged",)),
                                          ("damaged", ("--allow-damaged",))])
def test_a_page_whose_own_record_was_left_out_is_not_listed(tmp_path: Path, damage: str,
                                                            extra: tuple[str, ...]) -> None:
    """The WARC file of the run that captured the post deleted is gone (or that capture's page
    record is damaged): its page ('deleted, captured ...') is not listed, and named, while the bundle
    holds that URL at its live captures (a replay tool would open a live post under a 'deleted'
    title)."""
    archive = tmp_path / "archive"
    files = _build(archive)
    whole = tmp_path / "whole.wacz"
    r = _cli("export", "--handle", "RivertonDesk", "-o", str(whole), archive=archive)
    assert r.returncode == 0, r.stderr
    assert any("deleted" in p.get("title", "") for p in _pages(whole))  # the page is listed when its record is there
    path = archive / WARC_DIR / files["deleted"]
    if damage == "missing":
        path.unlink()
    else:
        _record_id, offset, length = _record(archive, "response", files["deleted"])
        data = bytearray(path.read_bytes())
        data[offset + length - 8] ^= 0xFF  # its gzip member's CRC-32
        path.write_bytes(bytes(data))
    out = tmp_path / "out.wacz"
    r = _cli("export", "--handle", "RivertonDesk", "-o", str(out), *extra, archive=archive)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    pages = _pages(out)
    titles = [p.get("title", "") for p in pages]
    assert pages and not any("deleted" in t for t in titles), titles
    assert any(p["url"] == EMBED for p in pages)  # its live page stays
    (named,) = [line for line in r.stderr.splitlines() if "page" in line and EMBED in line]
    assert "left out" in named


def test_a_redirected_page_whose_own_record_is_damaged_is_not_listed(tmp_path: Path) -> None:
    """Each capture's address answered 301 to its x.com URL (the page record); the deleted run's
    page record is damaged, its redirect whole. The page ('deleted, captured ...', at the time of
    the redirect, its URL's record in the bundle) is not listed: replay would follow the redirect to
    a live capture of the x.com URL under the 'deleted' title."""
    archive = tmp_path / "archive"
    files = _build(archive, redirected=True)
    whole = tmp_path / "whole.wacz"
    r = _cli("export", "--handle", "RivertonDesk", "-o", str(whole), archive=archive)
    assert r.returncode == 0, r.stderr
    assert any("deleted" in p.get("title", "") for p in _pages(whole)), _pages(whole)
    path = archive / WARC_DIR / files["deleted"]
    _record_id, offset, length = _record(archive, "response", files["deleted"], TARGET)
    data = bytearray(path.read_bytes())
    data[offset + length - 8] ^= 0xFF  # its gzip member's CRC-32
    path.write_bytes(bytes(data))
    out = tmp_path / "out.wacz"
    r = _cli("export", "--handle", "RivertonDesk", "-o", str(out), "--allow-damaged", archive=archive)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    pages = _pages(out)
    titles = [p.get("title", "") for p in pages]
    assert pages and not any("deleted" in t for t in titles), titles
    assert any(p["url"] == HOP for p in pages)  # its live pages stay
    (named,) = [line for line in r.stderr.splitlines() if "page" in line and HOP in line]
    assert "left out" in named


def _record(archive: Path, warc_type: str, filename: str, url: str | None = None) -> tuple[str, int, int]:
    import sqlite3

    from archiver.layout import DB_NAME

    conn = sqlite3.connect(archive / DB_NAME)
    try:
        row = conn.execute('SELECT record_id, "offset", length FROM records WHERE warc_type = ? AND filename = ? '
                           'AND target_uri = coalesce(?, target_uri)', (warc_type, filename, url)).fetchone()
    finally:
        conn.close()
    return str(row[0]), int(row[1]), int(row[2])


def _member(data: bytes, length: int) -> bytes:
    """`data` as one gzip member of exactly `length` bytes (a comment in its header pads it)."""
    import struct
    import zlib

    for level in (9, 6, 1):
        comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        body = comp.compress(data) + comp.flush()
        pad = length - (10 + len(body) + 8) - 1  # the comment and its closing zero byte
        if pad >= 0:
            header = b"\x1f\x8b\x08\x10" + b"\0\0\0\0" + b"\0\xff" + b"x" * pad + b"\0"  # FLG.FCOMMENT
            return header + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    raise AssertionError("cannot fit the member in its length")


def test_a_record_holding_another_id_is_damaged_not_the_index_out_of_step(tmp_path: Path) -> None:
    """A record's WARC-Record-ID altered in place (its gzip member whole, of its length, with its
    CRC): verify says it holds another ID; export refuses it as damage, and --allow-damaged leaves it
    out as such (exit 1, named), rather than stopping with exit 2 as if the index were out of step."""
    import gzip

    archive = tmp_path / "archive"
    files = _build(archive)
    record_id, offset, length = _record(archive, "response", files["live0"])
    path = archive / WARC_DIR / files["live0"]
    whole = path.read_bytes()
    record = gzip.decompress(whole[offset:offset + length])
    # an ID of as many characters that compresses better: the member keeps its length, padded
    forged = "<urn:uuid:" + "".join("-" if c == "-" else "0" for c in record_id[10:-1]) + ">"
    assert len(forged) == len(record_id) and forged != record_id
    assert record.count(record_id.encode()) == 1
    member = _member(record.replace(record_id.encode(), forged.encode()), length)
    path.write_bytes(whole[:offset] + member + whole[offset + length:])
    r = _cli("verify", archive=archive)
    assert r.returncode == 1 and f"holds {forged} instead" in r.stdout + r.stderr, r.stdout + r.stderr
    out = tmp_path / "out.wacz"
    r = _cli("export", "--handle", "RivertonDesk", "-o", str(out), archive=archive)
    assert r.returncode == 1, r.stderr
    assert "--allow-damaged" in r.stderr and record_id in r.stderr and not out.exists()
    r = _cli("export", "--handle", "RivertonDesk", "-o", str(out), "--allow-damaged", archive=archive)
    assert r.returncode == 1, r.stderr
    (line,) = [x for x in r.stderr.splitlines() if record_id in x and "left out" in x]
    assert "damaged" in line and forged in line
    with zipfile.ZipFile(out) as zf:
        left = json.loads(zf.read("evidence/left-out.json"))
        warc = zf.read("archive/data.warc.gz")
    assert record_id in json.dumps(left) and forged.encode() not in gzip.decompress(warc)


def _build_alike(archive: Path) -> None:
    """Thirty posts whose embeds are byte for byte alike, in WARC files of about 40 kB."""
    from tests.synthetic import add_captured_tweet

    archive.mkdir(parents=True)
    with Index(archive) as index, WarcStore(archive / WARC_DIR, max_size=40_000) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article("https://news.example/2024/river.html", source="river.html")
        for n in range(30):
            post = Post(platform="twitter", kind="embedded", source="river.html", evidence="blockquote",
                        post_id=f"17646400000000{n:05d}", handle="RivertonDesk", posted_at="2024-03-04T12:00:00Z",
                        text=f"The river is up again, gauge {n}")
            add_captured_tweet(index, store, article, post, b"<html>tweet</html>" * 200, reason="OK")


@pytest.mark.parametrize("damage", ["crc", "truncated"])
def test_a_damaged_original_is_named_and_counted_once(tmp_path: Path, damage: str) -> None:
    """Thirty posts whose embeds are byte for byte alike: the first response is the original of the
    twenty-nine revisits after it. Damaged (its CRC, or its file cut short inside it), it is named
    once and counted once, not again for each revisit that points at it."""
    import re
    import sqlite3

    from archiver.layout import DB_NAME
    archive = tmp_path / "archive"
    _build_alike(archive)
    conn = sqlite3.connect(archive / DB_NAME)
    try:
        record_id, filename, offset, length = conn.execute(
            "SELECT record_id, filename, \"offset\", length FROM records WHERE warc_type = 'response' "
            "ORDER BY filename, \"offset\" LIMIT 1").fetchone()
        revisits = conn.execute("SELECT count(*) FROM records WHERE warc_type = 'revisit'").fetchone()[0]
    finally:
        conn.close()
    assert revisits > 10
    path = archive / WARC_DIR / filename
    data = bytearray(path.read_bytes())
    if damage == "crc":
        data[offset + length - 8] ^= 0xFF
    else:
        del data[offset + length // 2:]
    path.write_bytes(bytes(data))
    out = tmp_path / "out.wacz"
    r = _cli("export", "--handle", "RivertonDesk", "-o", str(out), "--allow-damaged", archive=archive)
    assert r.returncode == 1, r.stderr
    named = [line for line in r.stderr.splitlines() if record_id in line]
    assert len(named) == 1, r.stderr
    counted = re.search(r"(\d+) record\(s\) left out", r.stderr)
    assert counted, r.stderr
    lines = [line for line in r.stderr.splitlines() if "is damaged" in line or "were left out" in line]
    with zipfile.ZipFile(out) as zf:
        left = json.loads(zf.read("evidence/left-out.json"))
    ids = [entry["record_id"] for entry in left["records"]]
    assert len(ids) == len(set(ids)) == int(counted.group(1)) == len(lines), r.stderr
    if damage == "crc":
        assert ids == [record_id]
