"""What an export left out, as its bundle says it and `archiver verify BUNDLE` reads it: a revisit
whose original was left out, however the revisit names its original; and a single `.warc.gz` export,
which carries its list of what it left out in a `metadata` record of its own.

The archive is written as a run writes it (the capture's own WARC writer, a real SQLite index, the
local RFC 3161 authority); the revisit is written with warcio, as a WARC from another tool may spell
it (without `WARC-Refers-To`), then indexed and timestamped as a capture of the post."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.evidence_fixtures import EMBED_URL, cite_alices_post, read
from tests.tsa_authority import Authority

ROOT = Path(__file__).resolve().parents[1]
BODY = b"<html><article>Alice: the river is up</article>" + b" " * 2048 + b"</html>"
PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# How a revisit names its original: each way a WARC writer may.
NAMING = {
    "refers-to": ("WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date"),
    "target-uri-and-date": ("WARC-Refers-To-Target-URI", "WARC-Refers-To-Date"),
    "payload-digest": (),
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=180, env=dict(os.environ))


def revisited_archive(root: Path, naming: tuple[str, ...], stamp_with: Authority | None) -> tuple[Path, str, str]:
    """Alice's post captured twice: first whole (its own WARC file, test-first-*), then as a revisit
    of that response naming its original by the headers `naming` lists (and its payload digest),
    in a WARC file of its own, that capture timestamped by `stamp_with`. (the first capture's WARC
    file, the original's record ID, the revisit's record ID)."""
    from archiver.evidence.stamps import Authorities, Stamper
    from archiver.index.rows import Capture
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.layout import WARC_DIR
    from archiver.warcstore import Exchange, WarcStore
    from archiver.warcstore.records import RecordInfo

    first_at = datetime.now(UTC) - timedelta(days=1)
    with SQLiteIndex(root) as index, WarcStore(root / WARC_DIR, prefix="test-first") as store:
        _article, key = cite_alices_post(index, "https://news.example/river.html")
        records = list(store.write_exchange(Exchange(
            url=EMBED_URL, method="GET", status=200, body=BODY, date=first_at, protocol="h2",
            request_headers=[("User-Agent", "Mozilla/5.0 (test)")],
            response_headers=[("Content-Type", "text/html; charset=utf-8")])))
        original = next(r for r in records if r.warc_type == "response")
        cid = index.add_capture(Capture(post_key=key, article_id=None, source="live", url=EMBED_URL, status="live",
                                        screenshot=None, screenshot_sha256=None, error=None,
                                        warc=original.filename, page_record_id=None))
        index.add_records(cid, records, post_key=key)
        first = root / WARC_DIR / original.filename

        refers = {"WARC-Refers-To": original.record_id, "WARC-Refers-To-Target-URI": original.target_uri,
                  "WARC-Refers-To-Date": original.date}
        name = "test-again-20240305000000-00000.warc.gz"
        with (root / WARC_DIR / name).open("wb") as fh:
            writer = WARCWriter(fh, gzip=True, warc_version="1.1")
            record = writer.create_warc_record(
                EMBED_URL, "revisit", payload=io.BytesIO(b""), length=0,
                warc_headers_dict={"WARC-Date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                                   "WARC-Profile": PROFILE, "WARC-Payload-Digest": str(original.payload_digest),
                                   **{h: refers[h] for h in naming}},
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                              protocol="HTTP/1.1"))
            writer.write_record(record)
            length = fh.tell()
        h = record.rec_headers
        revisit = RecordInfo(record_id=h.get_header("WARC-Record-ID"), warc_type="revisit", target_uri=EMBED_URL,
                             date=h.get_header("WARC-Date"), filename=name, offset=0, length=length, status=200,
                             mime="text/html", payload_digest=h.get_header("WARC-Payload-Digest"),
                             extra={k: refers[k] for k in naming}, block_digest=h.get_header("WARC-Block-Digest"))
        cid = index.add_capture(Capture(post_key=key, article_id=None, source="live", url=EMBED_URL, status="live",
                                        screenshot=None, screenshot_sha256=None, error=None, warc=name,
                                        page_record_id=revisit.record_id))
        index.add_records(cid, [revisit], post_key=key)
        if stamp_with is not None:
            authorities = Authorities.of([stamp_with.url])
            assert authorities is not None
            assert not Stamper(authorities).stamp(index, cid, [revisit])
    return first, original.record_id, revisit.record_id


@pytest.mark.parametrize("naming", NAMING.values(), ids=NAMING.keys())
def test_a_stamped_revisit_whose_original_export_left_out_is_a_note_however_it_names_it(
        tmp_path: Path, tsa_authority: Authority, naming: tuple[str, ...]) -> None:
    """The first capture's WARC file lost: export leaves the original out, names it in
    evidence/left-out.json with the revisit that stands for it, and verify notes the stamped revisit
    as one whose original export left out, whether the revisit names that original by its record ID
    (`WARC-Refers-To`), by its URL and date only, or by its payload digest alone."""
    archive = tmp_path / "archive"
    first, original, revisit = revisited_archive(archive, naming, tsa_authority)
    first.unlink()
    out = tmp_path / "alice.wacz"
    e = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive))
    assert e.returncode == 1 and "WARC file is missing" in e.stderr, e.stderr
    left = {r["record_id"]: r for r in json.loads(read(out, "evidence/left-out.json"))["records"]}
    assert left[original]["why"] == "WARC file missing"
    # the export says which of its records stand for the original it left out
    assert left[original]["revisits"] == [revisit], left
    v = run("verify", str(out), "--ca-bundle", str(tsa_authority.root_pem))
    assert v.returncode == 0 and v.stdout == "", v.stdout + v.stderr
    assert (f"record {revisit} is a revisit of payload sha1:" in v.stderr
            and f"whose original {original} was left out by export (WARC file missing; named in "
                "evidence/left-out.json)" in v.stderr), v.stderr
