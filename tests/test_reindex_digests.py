"""`reindex` checks each record's digests as it reads it: a record whose content changed after it
was written is named (exit 1), and a journal record whose content changed is not replayed.

Real Chromium against the local fake web: two scheduled runs (the second finds a post deleted),
then one record is edited in place (the same length, its gzip member made anew, so only its
WARC digests tell), archive.db deleted and rebuilt.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from archiver.warcstore import iter_records
from tests.e2e import cli, lookup, video_deleted_between_runs, warc_files
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

VIDEO = f"twitter:{site.TWEET_VIDEO.id}"


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("digests")
    with FakeWeb(tmp / "web") as web:
        archive, _first = video_deleted_between_runs(web, tmp)
        yield web, archive, tmp


def _edit(archive: Path, pick: Any, old: bytes, new: bytes) -> tuple[str, str]:
    """Change `old` to `new` (as long) inside the first record `pick` accepts, its gzip member made
    anew (its CRC holds; only the record's digests tell): (its file's name, its WARC-Record-ID)."""
    assert len(old) == len(new)
    for path in warc_files(archive):
        for rec in iter_records(path):
            if not pick(rec):
                continue
            data = path.read_bytes()
            member = gzip.decompress(data[rec.offset:rec.offset + rec.length])
            head, sep, body = member.partition(b"\r\n\r\n")
            assert old in body
            path.write_bytes(data[:rec.offset] + gzip.compress(head + sep + body.replace(old, new, 1))
                             + data[rec.offset + rec.length:])
            return path.name, rec.record_id
    raise AssertionError("no such record")


def _rebuild(web: Any, archive: Path) -> Any:
    for name in ("archive.db", "archive.db-wal", "archive.db-shm"):
        (archive / name).unlink(missing_ok=True)
    return cli(web, "reindex", archive=archive)


def test_an_edited_journal_record_is_named_and_not_replayed(archived: Any) -> None:
    web, archive, tmp = archived
    copy = tmp / "journal"
    shutil.copytree(archive, copy)

    def deleted_check(rec: Any) -> bool:
        return (rec.target_uri.startswith(f"urn:observation:{VIDEO}#")
                and json.loads(rec.payload)["row"]["status"] == "deleted")

    name, record_id = _edit(copy, deleted_check, b'"deleted"', b'"removed"')
    r = _rebuild(web, copy)
    assert r.returncode == 1, r.stderr
    (line,) = [line for line in r.stderr.splitlines() if "fail their digest check" in line]
    assert name in line and record_id in line and "not replayed" in line
    (video,) = [p for p in lookup(web, copy) if p["key"] == VIDEO]
    assert "removed" not in [h["status"] for h in video["history"]]
    assert [h["status"] for h in video["history"]] == ["live"]


def test_an_edited_response_is_named(archived: Any) -> None:
    web, archive, tmp = archived
    copy = tmp / "response"
    shutil.copytree(archive, copy)
    name, record_id = _edit(copy, lambda rec: rec.warc_type == "response" and rec.target_uri == site.ARTICLE_FLOOD.url,
                            b"<html", b"<HTML")
    r = _rebuild(web, copy)
    assert r.returncode == 1, r.stderr
    (line,) = [line for line in r.stderr.splitlines() if "fail their digest check" in line]
    assert name in line and record_id in line and "indexed as read" in line


def test_an_untouched_archive_rebuilds_without_a_digest_line(archived: Any) -> None:
    web, archive, tmp = archived
    copy = tmp / "untouched"
    shutil.copytree(archive, copy)
    r = _rebuild(web, copy)
    assert r.returncode == 0, r.stderr
    assert "fail their digest check" not in r.stderr


def test_a_record_whose_id_was_changed_in_place_is_named(archived: Any) -> None:
    """A WARC-Record-ID altered in place (its digests hold: they cover the block, not the headers):
    the journal names an ID no WARC holds, and where the old index had that record another ID is."""
    web, archive, tmp = archived
    copy = tmp / "renamed"
    shutil.copytree(archive, copy)
    path = next(p for p in warc_files(copy)
                if any(r.warc_type == "response" and r.target_uri == site.ARTICLE_FLOOD.url for r in iter_records(p)))
    rec = next(r for r in iter_records(path) if r.warc_type == "response" and r.target_uri == site.ARTICLE_FLOOD.url)
    data = path.read_bytes()
    member = gzip.decompress(data[rec.offset:rec.offset + rec.length])
    old_id = rec.record_id
    new_id = old_id[:-2] + ("0" if old_id[-2] != "0" else "1") + old_id[-1]
    assert member.count(old_id.encode()) == 1
    path.write_bytes(data[:rec.offset] + gzip.compress(member.replace(old_id.encode(), new_id.encode()))
                     + data[rec.offset + rec.length:])
    r = cli(web, "reindex", "--force", archive=copy)
    assert r.returncode == 1, r.stderr
    (line,) = [line for line in r.stderr.splitlines() if "WARC-Record-ID was changed" in line]
    assert f"warcs/{path.name}: the record at offset {rec.offset} holds WARC-Record-ID {new_id}" in line
    assert old_id in line
    assert "fail their digest check" not in r.stderr
