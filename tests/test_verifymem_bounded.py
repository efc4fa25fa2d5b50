"""`archiver verify X.warc.gz` and `verify X.wacz` take memory by what later records may refer to,
not by how many records the file holds; what they say of a file is the same as before."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.evidence.verify_wacz import verify_wacz
from archiver.evidence.verify_warc import verify_warc
from archiver.warcstore import Exchange, WarcStore

RECORDS = 8_000
# Python's peak while verifying a WARC of RECORDS small records: 5.2 MB when every record's summary
# was kept in memory, 0.2 MB now (the rows of a batch not yet written to the scratch file).
WARC_BOUND = 1 << 20
# What verifying a WACZ of RECORDS records takes at its peak beyond what one of half as many takes
# (both over 1 MiB): 4.3 MB when every record's summary and where it starts were kept in memory;
# 0.6 MB now (the peak of both, some 2 MB, is that of reading the zip's entries a MiB at a time).
WACZ_GROWTH = 1 << 20


def _store_warc(folder: Path, records: int) -> Path:
    """`records` records written by the archive's WARC writer: small distinct pages, every tenth one
    a page met before (a revisit of the first)."""
    again = b"<html><body>" + b"shared widget " * 146 + b"</body></html>"
    with pytest.MonkeyPatch.context() as mp:
        # What a crash would leave is no concern here: without this, the writer's fsync of each
        # record takes most of a minute.
        mp.setattr(os, "fsync", lambda fd: None)
        with WarcStore(folder) as store:
            for n in range(records // 2):
                body = again if n % 10 == 9 else f"<html><body><p>page {n}</p></body></html>".encode()
                store.write_exchange(Exchange(url=f"https://bench.example/page/{n}", method="GET",
                                              request_headers=[("Host", "bench.example")], status=200,
                                              response_headers=[("Content-Type", "text/html")], body=body))
            files = store.files
    assert len(files) == 1
    return files[0]


@pytest.fixture(scope="module")
def warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store_warc(tmp_path_factory.mktemp("warcs"), RECORDS)


def test_the_records_are_kept_in_a_file_not_in_memory() -> None:
    """tracemalloc sees none of SQLite's memory: were the records kept in a database in memory, the
    bounds below would hold while memory grew with the records unseen."""
    from archiver.evidence.verify_wacz import RecordTable

    table = RecordTable()
    try:
        ((_, _, file),) = table._db.execute("PRAGMA database_list").fetchall()
        assert file and file != ":memory:" and Path(file).is_file(), file
        assert table._db.execute("PRAGMA temp_store").fetchone() != (2,)  # (2: temporary tables in memory)
    finally:
        table.close()
    assert not Path(file).exists()  # removed when done


def _peak(check: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = check()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_verify_warc_memory_does_not_grow_with_records(warc: Path) -> None:
    result, peak = _peak(lambda: verify_warc(warc))
    assert result.ok, result.findings
    assert result.records == RECORDS + 1  # its warcinfo besides
    assert peak < WARC_BOUND, f"verifying {RECORDS} records took {peak / 1e6:.1f} MB of Python memory at its peak"


def _bare_wacz(warc: Path, out: Path) -> Path:
    """A zip holding the WARC and a datapackage.json that vouches for it (and no index)."""
    data = warc.read_bytes()
    name = "archive/data.warc.gz"
    package = json.dumps({"profile": "data-package", "resources": [
        {"name": "data.warc.gz", "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
         "bytes": len(data)}]}).encode()
    digest = json.dumps({"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package).hexdigest()})
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_STORED)
        zf.writestr("datapackage.json", package)
        zf.writestr("datapackage-digest.json", digest)
    return out


def test_verify_wacz_memory_does_not_grow_with_records(warc: Path, tmp_path: Path) -> None:
    small = _bare_wacz(_store_warc(tmp_path / "small", RECORDS // 2), tmp_path / "small.wacz")
    assert small.stat().st_size > 1 << 20
    large = _bare_wacz(warc, tmp_path / "large.wacz")
    _, small_peak = _peak(lambda: verify_wacz(small))
    result, peak = _peak(lambda: verify_wacz(large))
    # Every record read and checked: what is wrong is only that the bundle has no index and no pages.
    assert [(f.kind, f.detail) for f in result.findings] == [
        ("index", "the bundle holds no CDXJ index: replay tools cannot find its records"),
        ("pages", "the bundle holds no list of its pages: replay tools have none to list or search, nor a page to "
                  "open first")]
    assert peak - small_peak < WACZ_GROWTH, (f"verifying {RECORDS} records took {peak / 1e6:.1f} MB of Python "
                                             f"memory at its peak, {RECORDS // 2} {small_peak / 1e6:.1f} MB")


# -- what is said of many problems, in the order it was said -----------------------------------------


def _record(fh: io.BufferedWriter, kind: str, rid: str, uri: str, body: bytes, *, broken: bool = False,
            headers: dict[str, str] | None = None) -> None:
    """One record of an uncompressed WARC; `broken`: its body's first byte changed once written."""
    fields = {"WARC-Record-ID": rid, "WARC-Target-URI": uri, "WARC-Date": "2024-03-04T12:00:00Z",
              **(headers or {})}
    http_headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False, warc_version="1.1")
    writer.write_record(writer.create_warc_record(uri, kind, payload=io.BytesIO(body), http_headers=http_headers,
                                                  warc_headers_dict=fields))
    data = buf.getvalue()
    if broken:
        at = data.rindex(body)
        data = data[:at] + bytes([body[0] ^ 1]) + data[at + 1:]
    fh.write(data)


def _tricky_warc(path: Path) -> Path:
    """Twelve responses, of which seven do not match their block digest (the last of them bearing the
    ID of the first record); revisits, some of originals written after them, eight of none."""
    with path.open("wb") as w:
        for n in range(12):
            _record(w, "response", f"<urn:uuid:0000000{n:x}-0000-0000-0000-000000000000>",
                    f"https://x.example/{n}", f"body {n}".encode(), broken=n in (2, 4, 5, 7, 8, 9))
        # A second record of the first one's ID, broken: it is named with its ID's first record,
        # before the records read after that one.
        _record(w, "response", "<urn:uuid:00000000-0000-0000-0000-000000000000>", "https://x.example/again",
                b"again", broken=True)
        # A revisit of a payload written after it: found.
        later = b"later payload"
        _record(w, "revisit", "<urn:uuid:10000000-0000-0000-0000-000000000000>", "https://x.example/r0", b"",
                headers={"WARC-Payload-Digest": "sha1:" + _b32(hashlib.sha1(later).digest()),
                         "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"})
        # A revisit without a payload digest, naming a record written after it: found.
        _record(w, "revisit", "<urn:uuid:10000000-0000-0000-0000-000000000001>", "https://x.example/r1", b"",
                headers={"WARC-Refers-To": "<urn:uuid:20000000-0000-0000-0000-000000000000>"})
        # Eight revisits of payloads no record holds.
        for n in range(8):
            _record(w, "revisit", f"<urn:uuid:3000000{n}-0000-0000-0000-000000000000>", f"https://x.example/m{n}",
                    b"", headers={"WARC-Payload-Digest": "sha1:" + "B" * 31 + str(n)})
        _record(w, "response", "<urn:uuid:20000000-0000-0000-0000-000000000000>", "https://x.example/late", later)
    return path


def _b32(digest: bytes) -> str:
    import base64

    return base64.b32encode(digest).decode()


def test_many_problems_are_named_as_before(tmp_path: Path) -> None:
    result = verify_warc(_tricky_warc(tmp_path / "tricky.warc"))
    details = [f.detail for f in result.findings]
    first = "<urn:uuid:00000000-0000-0000-0000-000000000000>"
    assert details[0].startswith(f"2 records have the WARC-Record-ID {first} (offset 0 of tricky.warc, offset ")
    # Broken records in the order of their IDs' first records: the second record of the first ID
    # comes first; five named, then a count.
    named = [d.split(" (")[0] for d in details[1:6]]
    assert named == ["record " + first, "record " + first.replace("00000000-", "00000002-"),
                     "record " + first.replace("00000000-", "00000004-"),
                     "record " + first.replace("00000000-", "00000005-"),
                     "record " + first.replace("00000000-", "00000007-")]
    assert "(https://x.example/again) at offset" in details[1]
    assert details[6] == "and 2 more record(s) whose block does not match its digest"
    missing = [f"<urn:uuid:3000000{n}-0000-0000-0000-000000000000> (https://x.example/m{n})" for n in range(5)]
    assert details[7] == ("8 revisit record(s) stand for content that no intact record of this file holds, and "
                          "that its export does not say it left out: they will not replay: "
                          + ", ".join(missing) + " and 3 more")
    assert len(details) == 8
    assert result.records == 12 + 1 + 2 + 8 + 1
