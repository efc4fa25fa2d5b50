"""`archiver reindex` rebuilds archive.db from the WARCs: the index's journal is replayed, exactly.

Real Chromium against the local fake web: two scheduled runs (the second re-checks a post that went
from live to deleted), then archive.db is deleted and rebuilt, and every post reads back the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from archiver.index.journal import is_journal_uri
from archiver.warcstore import iter_records
from tests.e2e import cli, lookup, video_deleted_between_runs, warc_files
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

ARTICLES = [site.ARTICLE_FLOOD.url, site.ARTICLE_WITHHELD.url, f"https://news.example{site.WIRE_TEXT_PATH}"]


def _drop_index(archive: Path) -> None:
    for name in ("archive.db", "archive.db-wal", "archive.db-shm"):
        (archive / name).unlink(missing_ok=True)


def _show_all(web: Any, archive: Path, keys: list[str]) -> dict[str, Any]:
    out = {}
    for key in keys:
        r = cli(web, "show", key, "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        row = json.loads(r.stdout)
        for capture in row["captures"]:
            capture.pop("id")  # a row id, assigned again
        out[key] = row
    return out


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("reindex")
    with FakeWeb(tmp / "web") as web:
        archive, _first = video_deleted_between_runs(web, tmp, ARTICLES)
        before = lookup(web, archive)
        keys = [p["key"] for p in before]
        shown = _show_all(web, archive, keys)
        kept = tmp / "kept"
        shutil.copytree(archive, kept)
        _drop_index(archive)
        r = cli(web, "reindex", archive=archive)
        yield web, archive, kept, before, shown, r, tmp


def test_reindex_reproduces_lookup_exactly(rebuilt: Any) -> None:
    web, archive, _kept, before, _shown, r, _tmp = rebuilt
    assert r.returncode == 0, r.stderr
    assert "rebuilt" in r.stderr
    after = lookup(web, archive)
    assert len(after) == len(before) >= 5
    # The re-check is there: live, then deleted.
    (video,) = [p for p in after if p["post_id"] == site.TWEET_VIDEO.id]
    assert [h["status"] for h in video["history"]][-1] == "deleted"
    assert video["history"][0]["status"] == "live"
    for old, new in zip(before, after, strict=True):
        assert new == old, old["key"]


def test_reindex_reproduces_show_for_every_post(rebuilt: Any) -> None:
    web, archive, _kept, before, shown, _r, _tmp = rebuilt
    assert _show_all(web, archive, [p["key"] for p in before]) == shown


def test_rebuilt_archive_verifies_and_exports_the_same_records(rebuilt: Any) -> None:
    web, archive, kept, _before, _shown, _r, tmp = rebuilt
    v = cli(web, "verify", archive=archive)
    assert v.returncode == 0, v.stdout + v.stderr
    for name, where in (("old", kept), ("new", archive)):
        e = cli(web, "export", "--handle", "RivertonDesk", "-o", str(tmp / f"{name}.warc.gz"), archive=where)
        assert e.returncode == 0, e.stderr
    ids = {name: sorted(rec.record_id for rec in iter_records(tmp / f"{name}.warc.gz") if rec.warc_type != "warcinfo")
           for name in ("old", "new")}
    assert ids["new"] == ids["old"] and ids["new"]


def test_journal_records_stay_out_of_exports(rebuilt: Any) -> None:
    web, archive, _kept, _before, _shown, _r, tmp = rebuilt
    journal = [rec for path in warc_files(archive) for rec in iter_records(path)
               if rec.warc_type == "metadata" and is_journal_uri(rec.target_uri)]
    kinds = {json.loads(rec.payload)["kind"] for rec in journal}
    assert {"post", "citation", "capture", "observation", "records", "article"} <= kinds
    out = tmp / "all.wacz"
    e = cli(web, "export", "-o", str(out), archive=archive)
    assert e.returncode == 0, e.stderr
    import zipfile

    with zipfile.ZipFile(out) as z:
        pages = z.read("pages/pages.jsonl").decode()
        names = z.namelist()
        blob = b"".join(z.read(n) for n in names if n.endswith(".cdxj"))
    assert "urn:post:" not in pages and "urn:observation:" not in pages
    assert b"urn:post:" not in blob


def test_reindex_refuses_a_healthy_index_without_force(rebuilt: Any) -> None:
    web, archive, _kept, before, _shown, _r, _tmp = rebuilt
    r = cli(web, "reindex", archive=archive)
    assert r.returncode == 2
    assert "--force" in r.stderr and "Traceback" not in r.stderr
    r = cli(web, "reindex", "--force", archive=archive)
    assert r.returncode == 0, r.stderr
    assert lookup(web, archive) == before
    assert not list(archive.glob(".archive.db.reindex-*"))


def test_older_archive_without_journal_names_the_gap(rebuilt: Any) -> None:
    web, archive, _kept, _before, _shown, _r, tmp = rebuilt
    old = tmp / "older"
    shutil.copytree(archive, old)
    _drop_index(old)
    # As an older archiver wrote it: the same WARCs, byte for byte, without the journal records.
    for path in warc_files(old):
        data = path.read_bytes()
        kept = b"".join(data[rec.offset:rec.offset + rec.length] for rec in iter_records(path)
                        if not (rec.warc_type == "metadata" and is_journal_uri(rec.target_uri)))
        assert len(kept) < len(data)
        path.write_bytes(kept)
    r = cli(web, "reindex", archive=old)
    assert r.returncode == 1, r.stderr
    gaps = [line for line in r.stderr.splitlines() if "left out of the rebuilt index: " in line]
    assert len(gaps) == 1 and "written before the index was journaled" in gaps[0]
    assert "Traceback" not in r.stderr
    assert lookup(web, old) == []


def test_reindex_after_a_parallel_run_reproduces_lookup(rebuilt: Any) -> None:
    web, _archive, _kept, _before, _shown, _r, tmp = rebuilt
    archive = tmp / "parallel"
    seeds = tmp / "seeds"
    r = cli(web, "run", "--seeds", str(seeds), "--concurrency", "2", archive=archive)
    assert r.returncode == 0, r.stderr
    before = lookup(web, archive)
    assert len(before) >= 5
    _drop_index(archive)
    r = cli(web, "reindex", archive=archive)
    assert r.returncode == 0, r.stderr
    assert lookup(web, archive) == before


@pytest.mark.browser
def test_a_recaptured_article_s_files_rebuild_whole_and_say_nothing_is_missing(tmp_path: Path) -> None:
    """`archive --recapture` writes a file whose records the journal of the next file names: no
    file of it is 'written before the index was journaled', and the rebuild exits 0."""
    archive = tmp_path / "archive"
    url = site.ARTICLE_FLOOD.url
    with FakeWeb(tmp_path / "web") as web:
        assert cli(web, "archive", url, archive=archive).returncode == 0
        again = cli(web, "archive", "--recapture", url, archive=archive)
        assert again.returncode == 0, again.stderr
        before = lookup(web, archive)
        r = cli(web, "reindex", "--force", archive=archive)
        assert r.returncode == 0, r.stderr
        assert "no journal entry" not in r.stderr
        assert lookup(web, archive) == before
