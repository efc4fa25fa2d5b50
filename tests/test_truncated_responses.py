"""A response cut short is recorded as what it is: WARC-Truncated on its response record.

WARC 1.1 (IIPC, "WARC-Truncated", and "'response' ... for 'http' and 'https' schemes"): "When a
'response' is known to have been truncated, this shall be noted using the WARC-Truncated field",
its reason one of `length`, `time`, `disconnect`, `unspecified`. The real `archiver archive` CLI
runs once (module-scoped: Chromium starts once) over a local HTML file that shows images whose
server announces a Content-Length and stops half-way
(tests/fakeweb/faults.py, `truncated`): one over HTTP/1.1 (faults.example: the connection drops,
Chromium fails the load), one over h2 (pbs.twimg.com with the fault injected: the stream ends early,
Chromium calls the load finished), beside a photo served whole. The WARCs are read back with
warcio, and `archiver verify` must name the two cut responses as notes while calling the archive
intact. The WARC writer is also driven directly, for the records it must never make of a cut body,
and with the real index for an archive holding more cut responses than verify names one by one.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.index.rows import Capture
from archiver.index.sqlite.index import SQLiteIndex
from archiver.layout import WARC_DIR
from archiver.verify import NOTED_TRUNCATED
from archiver.warcstore import Batch, Exchange, WarcStore
from tests.e2e import ROOT, cli, warc_files, warcio_check
from tests.fakeweb import FakeWeb, site

CUT_H1 = "https://faults.example/truncated?type=png"  # HTTP/1.1: Content-Length 8221, 4110 bytes sent
CUT_PATH = "/media/" + site.TWEET_PHOTO.photos[0].key
CUT_H2 = f"https://pbs.twimg.com{CUT_PATH}"  # the same fault over h2
WHOLE = "https://pbs.twimg.com/media/GH2aZ8LXoAA0nqT"  # another photo, served whole
HOSTILE = f"""<!doctype html><html><head><meta charset="utf-8"><title>Hostile</title></head>
<body><h1>Images cut short</h1>
<img src="{CUT_H1}" width="16" height="16">
<img src="{CUT_H2}" width="16" height="16">
<img src="{WHOLE}" width="16" height="16">
</body></html>"""


@dataclass
class Rec:
    type: str
    uri: str
    headers: dict[str, str]
    http: dict[str, str]  # lower-cased names
    status: int | None
    payload: bytes


def read_all(archive: Path) -> list[Rec]:
    out: list[Rec] = []
    for path in warc_files(archive):
        with open(path, "rb") as fh:
            for r in ArchiveIterator(fh):
                http = {k.lower(): v for k, v in r.http_headers.headers} if r.http_headers is not None else {}
                status = (int(r.http_headers.get_statuscode())
                          if r.http_headers is not None and r.rec_type in ("response", "revisit") else None)
                out.append(Rec(r.rec_type, r.rec_headers.get_header("WARC-Target-URI") or "",
                               dict(r.rec_headers.headers), http, status, r.content_stream().read()))
    return out


def response(records: list[Rec], url: str) -> Rec:
    found = [r for r in records if r.type == "response" and r.uri == url]
    assert len(found) == 1, f"{len(found)} response records for {url}"
    return found[0]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("truncated")
    with FakeWeb(tmp / "web") as web:
        web.set_state(("fault", "pbs.twimg.com", CUT_PATH), "truncated")
        page = tmp / "H" / "hostile.html"
        page.parent.mkdir()
        page.write_text(HOSTILE, encoding="utf-8")
        archive = tmp / "X"
        result = cli(web, "archive", str(page), "--timeout", "5", archive=archive)
        web.set_state(("fault", "pbs.twimg.com", CUT_PATH), None)
    assert result.returncode == 0, result.stderr
    records = read_all(archive)
    info = next(json.loads(r.payload) for r in records
                if r.type == "metadata" and r.uri.startswith("urn:capture-info:"))
    yield {"archive": archive, "records": records, "errors": json.loads(info["errors"]), "stderr": result.stderr}


@pytest.mark.browser
def test_an_image_cut_short_over_http1_is_marked_truncated_disconnect(run: dict[str, Any]) -> None:
    cut = response(run["records"], CUT_H1)
    assert cut.status == 200
    assert cut.headers.get("WARC-Truncated") == "disconnect", cut.headers
    # The server's announced length is kept; the stored Content-Length states the stored block,
    # which is less than announced (Chromium hands over nothing of a failed load's body).
    assert cut.http["x-archive-orig-content-length"] == "8221"
    assert cut.http["content-length"] == str(len(cut.payload))
    assert len(cut.payload) < 8221
    assert any(CUT_H1 in e and "WARC-Truncated: disconnect" in e for e in run["errors"]), run["errors"]


@pytest.mark.browser
def test_an_image_cut_short_over_h2_is_marked_truncated(run: dict[str, Any]) -> None:
    # Over h2 the server ends the stream early and Chromium calls the load finished: no failure is
    # reported, but the body is shorter than its Content-Length, so the cut is known all the same.
    cut = response(run["records"], CUT_H2)
    assert cut.headers.get("WARC-Protocol") == "h2"
    assert cut.headers.get("WARC-Truncated") == "unspecified", cut.headers
    assert cut.http["content-length"] == str(len(cut.payload))
    assert 0 < len(cut.payload) < int(cut.http["x-archive-orig-content-length"])
    assert any(CUT_H2 in e and "WARC-Truncated: unspecified" in e for e in run["errors"]), run["errors"]


@pytest.mark.browser
def test_only_the_cut_responses_are_marked(run: dict[str, Any]) -> None:
    records: list[Rec] = run["records"]
    whole = response(records, WHOLE)
    assert whole.status == 200 and whole.payload[:2] == b"\xff\xd8"  # the JPEG, whole
    assert whole.http["content-length"] == str(len(whole.payload))
    marked = {r.uri for r in records if "WARC-Truncated" in r.headers}
    assert marked == {CUT_H1, CUT_H2}
    # Only the response records: the requests were sent whole.
    assert all(r.type == "response" for r in records if "WARC-Truncated" in r.headers)
    for path in warc_files(run["archive"]):
        check = warcio_check(path)
        assert check.returncode == 0, check.stdout + check.stderr


def marked_records(archive: Path) -> list[dict[str, Any]]:
    """Every record carrying WARC-Truncated, read with warcio, as `verify --format json` lists them."""
    out: list[dict[str, Any]] = []
    for path in warc_files(archive):
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for r in it:
                reason = r.rec_headers.get_header("WARC-Truncated")
                if reason is not None:
                    out.append({"path": f"{WARC_DIR}/{path.name}", "offset": it.get_record_offset(),
                                "record_id": r.rec_headers.get_header("WARC-Record-ID"), "warc_type": r.rec_type,
                                "target_uri": r.rec_headers.get_header("WARC-Target-URI"), "reason": reason})
    return out


def verify(archive: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `archiver verify` on the archive (it reads files only: no network to seal)."""
    return subprocess.run([sys.executable, "-m", "archiver.cli", "verify", "--archive-dir", str(archive), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def truncation_notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("archiver: note:") and "WARC-Truncated" in line]


@pytest.mark.browser
def test_verify_notes_each_cut_response_and_calls_the_archive_intact(run: dict[str, Any]) -> None:
    archive: Path = run["archive"]
    r = verify(archive)
    # Intact: the records hold what arrived, digests and all. Notes go to stderr, like the verdict.
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr
    assert f"archiver: {archive} is intact" in r.stderr, r.stderr
    marked = marked_records(archive)
    assert {m["target_uri"] for m in marked} == {CUT_H1, CUT_H2}
    notes = truncation_notes(r.stderr)
    assert len(notes) == 2, r.stderr
    for m in marked:
        (note,) = [n for n in notes if m["target_uri"] in n]
        assert (f"{m['path']}: response record at offset {m['offset']} is marked WARC-Truncated: "
                f"{m['reason']}: {m['target_uri']}") in note, note
    assert any(CUT_H1 in n and "WARC-Truncated: disconnect" in n for n in notes), notes
    assert any(CUT_H2 in n and "WARC-Truncated: unspecified" in n for n in notes), notes
    assert not any(WHOLE in n for n in notes)
    # --format json lists them as data, the verdict unchanged.
    j = verify(archive, "--format", "json")
    assert j.returncode == 0, j.stderr
    doc = json.loads(j.stdout)
    assert doc["intact"] is True and doc["problems"] == []
    assert doc["truncated"] == marked


def test_verify_counts_many_cut_responses_and_names_the_first_few(tmp_path: Path) -> None:
    # Written by the real WARC store and indexed by the real index, as a capture would; one more cut
    # response sits in a WARC the index does not know, found by verify's walk of the files.
    archive = tmp_path / "archive"
    archive.mkdir()
    cut = [f"https://pbs.twimg.com/media/cut-{n}.jpg" for n in range(NOTED_TRUNCATED + 2)]
    with SQLiteIndex(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article("https://news.example/2024/river.html", source="river.html")
        for n, url in enumerate([*cut, WHOLE]):
            ex = _exchange(b"\xff\xd8" + b"x" * 100, None if url == WHOLE else ("disconnect", "unspecified")[n % 2])
            ex.url = url
            req, resp = store.write_exchange(ex)
            with index.transaction():
                cid = index.add_capture(Capture(source="live", url=url, status="live", article_id=article,
                                                warc=resp.filename, page_record_id=resp.record_id))
                index.add_records(cid, [req, resp], article_id=article)
    with WarcStore(archive / WARC_DIR, prefix="stray") as store:
        stray = _exchange(b"\xff\xd8", "disconnect")
        stray.url = "https://pbs.twimg.com/media/stray.jpg"
        store.write_exchange(stray)
    marked = marked_records(archive)
    assert len(marked) == len(cut) + 1
    r = verify(archive)
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr
    assert f"archiver: {archive} is intact" in r.stderr
    notes = truncation_notes(r.stderr)
    total = len(marked)
    assert notes[0] == (f"archiver: note: {total} records are marked WARC-Truncated (partial as recorded; "
                        f"not an error); the first {NOTED_TRUNCATED}:"), notes
    first = sorted(marked, key=lambda m: (m["path"], m["offset"]))[:NOTED_TRUNCATED]
    assert notes[1:] == [f"archiver: note: {m['path']}: response record at offset {m['offset']} is marked "
                         f"WARC-Truncated: {m['reason']}: {m['target_uri']}" for m in first]
    more = [line for line in r.stderr.splitlines() if line.startswith("archiver: note: ... and")]
    assert more == [f"archiver: note: ... and {total - NOTED_TRUNCATED} more (`archiver verify --format json` "
                    "lists them all)"]
    assert "not in the index" in r.stderr  # the stray file, noted as before
    j = verify(archive, "--format", "json")
    assert j.returncode == 0, j.stderr
    doc = json.loads(j.stdout)
    assert doc["intact"] is True
    assert doc["truncated"] == sorted(marked, key=lambda m: (m["path"], m["offset"]))
    assert {m["target_uri"] for m in doc["truncated"]} == {*cut, "https://pbs.twimg.com/media/stray.jpg"}


# -- the writer ------------------------------------------------------------------------------------


def _exchange(body: bytes, truncated: str | None) -> Exchange:
    return Exchange(url="https://pbs.twimg.com/media/x.jpg", method="GET",
                    request_headers=[("Host", "pbs.twimg.com")], status=200,
                    response_headers=[("Content-Type", "image/jpeg"), ("Content-Length", "4096")],
                    body=body, truncated=truncated)


def test_a_truncated_body_is_never_a_revisit_nor_the_original_of_one(tmp_path: Path) -> None:
    body = b"\xff\xd8" + b"x" * 2048  # over the 1,024 bytes dedup starts at
    with WarcStore(tmp_path / "w") as store:
        batch = Batch(store)
        batch.write_exchange(_exchange(body, "disconnect"))
        batch.write_exchange(_exchange(body, None))  # the same bytes, whole this time
        batch.write_exchange(_exchange(body, "disconnect"))
    types = []
    for path in sorted((tmp_path / "w").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            types += [(r.rec_type, r.rec_headers.get_header("WARC-Truncated"))
                      for r in ArchiveIterator(fh) if r.rec_type in ("response", "revisit")]
    assert types == [("response", "disconnect"), ("response", None), ("response", "disconnect")]


def test_the_writer_refuses_a_reason_warc_does_not_define(tmp_path: Path) -> None:
    with WarcStore(tmp_path / "w") as store, pytest.raises(ValueError, match="WARC-Truncated"):
        store.write_exchange(_exchange(b"", "cut"))
    # Nothing half-written: the file holds its warcinfo only.
    with open(next((tmp_path / "w").glob("*.warc.gz")), "rb") as fh:
        assert [r.rec_type for r in ArchiveIterator(io.BytesIO(fh.read()))] == ["warcinfo"]
