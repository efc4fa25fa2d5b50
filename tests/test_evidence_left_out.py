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
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.e2e import gzip_members, warcio_check
from tests.evidence_fixtures import EMBED_URL, cite_alices_post, indexed_archive, read
from tests.tsa_authority import Authority

ROOT = Path(__file__).resolve().parents[1]
WARCIO = Path(sys.executable).parent / "warcio"
LEFT_OUT_URI = "urn:archiver:left-out"
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
    assert v.stderr.count(f"record {revisit} is a revisit") == 1, v.stderr  # said once, by its capture


def test_a_stamped_revisit_whose_original_was_taken_out_is_one_problem(tmp_path: Path, tsa_authority: Authority) -> None:
    """The original taken out of an exported bundle (its index and hashes made again): the capture
    whose token lists the revisit says it, once; no second line for the same revisit."""
    from archiver.export.cdxj import cdxj_index
    from tests.test_evidence import _rehashed

    archive = tmp_path / "archive"
    _first, original, revisit = revisited_archive(archive, NAMING["refers-to"], tsa_authority)
    out = tmp_path / "alice.wacz"
    assert run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive)).returncode == 0
    warc = read(out, "archive/data.warc.gz")
    it = ArchiveIterator(io.BytesIO(warc))
    cut = None
    for record in it:
        rid = record.rec_headers.get_header("WARC-Record-ID")
        it.read_to_end(record)
        if rid == original:
            start, length = it.get_record_offset(), it.get_record_length()
            cut = warc[:start] + warc[start + length:]
    assert cut is not None
    bad = _rehashed(out, tmp_path / "orphan.wacz", {"archive/data.warc.gz": cut,
                                                    "indexes/index.cdx": cdxj_index(io.BytesIO(cut), "data.warc.gz")})
    v = run("verify", str(bad), "--ca-bundle", str(tsa_authority.root_pem))
    assert v.returncode == 1, v.stdout + v.stderr
    lines = v.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("capture\t") and revisit in lines[0], lines


def _metadata(warc: Path) -> list[tuple[str, str, dict[str, object]]]:
    """The (record ID, WARC-Warcinfo-ID, JSON) of each left-out metadata record of an export WARC."""
    found = []
    with warc.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "metadata" and rec.rec_headers.get_header("WARC-Target-URI") == LEFT_OUT_URI:
                assert rec.rec_headers.get_header("Content-Type") == "application/json"
                found.append((rec.rec_headers.get_header("WARC-Record-ID"),
                              rec.rec_headers.get_header("WARC-Warcinfo-ID"), json.loads(rec.content_stream().read())))
    return found


def _without_left_out(warc: Path, out: Path) -> Path:
    """The same WARC without its left-out metadata record (as a .warc.gz export made before it had one)."""
    import gzip

    kept = [m for m in gzip_members(warc.read_bytes()) if LEFT_OUT_URI.encode() not in m.split(b"\r\n\r\n")[0]]
    out.write_bytes(b"".join(gzip.compress(m) for m in kept))
    return out


def test_a_warc_gz_export_names_what_it_left_out_and_verify_reads_it(tmp_path: Path) -> None:
    """The post's capture's WARC file gone: a .warc.gz export names the records it left out in the
    file itself (a metadata record after its warcinfo, the left-out list as JSON, which warcio
    checks and indexes like any record), and `archiver verify X.warc.gz` reports them as the gap
    its export declared, counted in its sentence and in --format json."""
    archive = indexed_archive(tmp_path / "archive", post_warc_apart=True)
    post_warc = next((archive / "warcs").glob("test-post*.warc.gz"))
    post_warc.unlink()
    out = tmp_path / "alice.warc.gz"
    e = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive))
    assert e.returncode == 1 and "2 record(s) left out" in e.stderr, e.stderr
    with out.open("rb") as fh:
        first = next(iter(ArchiveIterator(fh)))
        warcinfo_id = first.rec_headers.get_header("WARC-Record-ID")
        info = first.content_stream().read().decode()
    assert first.rec_type == "warcinfo" and "export-left-out: 2 record(s) of the archive" in info, info
    [(_rid, about, doc)] = _metadata(out)
    assert about == warcinfo_id and doc["format"] == "archiver-left-out/1", doc
    records = doc["records"]
    assert isinstance(records, list) and len(records) == 2
    assert {r["why"] for r in records} == {"WARC file missing"}
    assert {r["file"] for r in records} == {f"warcs/{post_warc.name}"}
    check = warcio_check(out)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([str(WARCIO), "index", "-f", "warc-type,warc-target-uri", str(out)], capture_output=True,
                           text=True, timeout=120)
    assert index.returncode == 0 and json.loads(index.stdout.splitlines()[1]) == {
        "warc-type": "metadata", "warc-target-uri": LEFT_OUT_URI}, index.stdout
    v = run("verify", str(out))
    assert v.returncode == 0 and v.stdout == "", v.stdout + v.stderr
    assert ("2 record(s) of the archive left out by its export (damaged, or their WARC file missing or unreadable; "
            f"named in its metadata record {LEFT_OUT_URI}): the file does not hold them") in v.stderr, v.stderr
    for r in records:
        assert str(r["record_id"]) in v.stderr, v.stderr
    j = run("verify", str(out), "--format", "json")
    doc = json.loads(j.stdout)
    assert j.returncode == 0 and doc["verified"] and doc["left_out_records"] == 2, j.stdout
    c = run("verify", str(out), "--ca-bundle", str(out))
    assert c.returncode == 2 and "leave out --ca-bundle" in c.stderr, c.stderr


def test_a_warc_gz_export_that_left_nothing_out_verifies_without_a_list(tmp_path: Path) -> None:
    """Nothing left out: no metadata record, no warcinfo field; verify checks its records and says
    that nothing signs or timestamps a WARC export. A changed byte inside a record's block is named."""
    archive = indexed_archive(tmp_path / "archive")
    out = tmp_path / "alice.warc.gz"
    e = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive))
    assert e.returncode == 0, e.stderr
    assert _metadata(out) == []
    v = run("verify", str(out))
    assert v.returncode == 0 and v.stdout == "", v.stdout + v.stderr
    assert "records read whole and match their WARC-Block-Digest" in v.stderr and "left out" not in v.stderr, v.stderr
    import gzip

    members = gzip_members(out.read_bytes())
    at = next(i for i, m in enumerate(members) if b"Rising water" in m)
    members[at] = members[at].replace(b"Rising water", b"Rising wates")
    changed = tmp_path / "changed.warc.gz"
    changed.write_bytes(b"".join(gzip.compress(m) for m in members))
    bad = run("verify", str(changed))
    assert bad.returncode == 1 and "record\tchanged.warc.gz\t" in bad.stdout and "WARC-Block-Digest" in bad.stdout, \
        bad.stdout + bad.stderr


@pytest.mark.parametrize("naming", NAMING.values(), ids=NAMING.keys())
def test_a_warc_gz_export_names_the_revisits_of_what_it_left_out(tmp_path: Path, naming: tuple[str, ...]) -> None:
    """The original of a revisit left out (its WARC file lost): the .warc.gz export's list names it
    with the revisit standing for it, and verify notes that revisit as the gap export declared,
    however the revisit names its original. The same file without its list (as an export made
    before it had one) fails: a revisit whose content the file cannot show, unexplained."""
    archive = tmp_path / "archive"
    first, original, revisit = revisited_archive(archive, naming, None)
    first.unlink()
    out = tmp_path / "alice.warc.gz"
    e = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive))
    assert e.returncode == 1 and "WARC file is missing" in e.stderr, e.stderr
    [(_rid, _about, doc)] = _metadata(out)
    entries = {r["record_id"]: r for r in doc["records"]}  # type: ignore[union-attr]
    assert entries[original]["revisits"] == [revisit], doc
    check = warcio_check(out)
    assert check.returncode == 0, check.stdout + check.stderr
    v = run("verify", str(out))
    assert v.returncode == 0 and v.stdout == "", v.stdout + v.stderr
    assert (f"record {revisit} is a revisit of payload sha1:" in v.stderr
            and f"whose original {original} was left out by export (WARC file missing; named in its metadata "
                f"record {LEFT_OUT_URI})" in v.stderr), v.stderr
    bare = run("verify", str(_without_left_out(out, tmp_path / "bare.warc.gz")))
    assert bare.returncode == 1 and f"1 revisit record(s) stand for content that no intact record of this file " \
        f"holds, and that its export does not say it left out: they will not replay: {revisit}" in bare.stdout, \
        bare.stdout + bare.stderr


def test_a_warc_gz_export_cut_short_does_not_verify(tmp_path: Path) -> None:
    """A copy of a .warc.gz export that stopped midway (the most common damage of a file on its own)
    does not verify, wherever it was cut: inside a record's WARC header (warcio then finds no record
    there and reads on as if the file ended) or inside the block of a record that declares no
    WARC-Block-Digest (another tool's WARC/1.0 record, or a plain .warc), which would otherwise
    pass as read whole. A file from which no record at all can be read is no WARC (exit 2)."""
    import gzip

    archive = indexed_archive(tmp_path / "archive", post_warc_apart=True)
    next((archive / "warcs").glob("test-post*.warc.gz")).unlink()
    out = tmp_path / "alice.warc.gz"
    e = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive))
    assert e.returncode == 1, e.stderr
    with out.open("rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            if rec.rec_type == "metadata":
                at = it.get_record_offset()
                break
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(out.read_bytes()[:at + 60])  # inside the left-out record's gzipped WARC header
    v = run("verify", str(cut))
    assert v.returncode == 1 and v.stdout.startswith("damaged\tcut.warc.gz\tno WARC record can be read at offset "
                                                     f"{at}: the file is cut short"), v.stdout + v.stderr
    assert "does NOT verify" in v.stderr and "read whole" not in v.stderr, v.stderr

    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + BODY
    record = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:6f1d2e39-05e3-4c1f-9d4c-2b6a7c1e0a11>\r\n"
              b"WARC-Target-URI: https://news.example/river.html\r\nWARC-Date: 2020-01-01T00:00:00Z\r\n"
              b"Content-Type: application/http; msgtype=response\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body)) + body + b"\r\n\r\n"
    whole = tmp_path / "other.warc"
    whole.write_bytes(record)
    v = run("verify", str(whole))
    assert v.returncode == 0 and "all 1 records read whole" in v.stderr, v.stdout + v.stderr
    for name, data in (("other-cut.warc", record[:700]), ("other-cut.warc.gz", gzip.compress(record)[:-40])):
        (tmp_path / name).write_bytes(data)
        v = run("verify", str(tmp_path / name))
        assert v.returncode == 1 and v.stdout.startswith(
            f"damaged\t{name}\trecord <urn:uuid:6f1d2e39-05e3-4c1f-9d4c-2b6a7c1e0a11> "
            "(https://news.example/river.html) at offset 0: its block ends ") and "before its Content-Length says: " \
            "the file is cut short or damaged there" in v.stdout, v.stdout + v.stderr
        assert "read whole" not in v.stderr, v.stderr

    for name, data in (("empty-member.warc.gz", gzip.compress(b"")), ("no-record.warc", b"WARC/1.0\r\nbogus")):
        (tmp_path / name).write_bytes(data)
        v = run("verify", str(tmp_path / name))
        assert v.returncode == 2 and v.stderr == (f"archiver: {tmp_path / name} is not a readable WARC file (no WARC "
                                                  "record can be read at its start)\n"), v.stdout + v.stderr
