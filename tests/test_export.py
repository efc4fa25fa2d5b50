"""export_bundle on a real archive written with warcio; checked with wacz, warcio, cdxj-indexer and pywb."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.errors import DamagedRecord, ExportError, UsageError
from archiver.export import export_bundle
from archiver.export.cdxj import cdxj_index
from archiver.export.wacz import main_page, pages_jsonl, rfc3339
from archiver.index.rows import PageRow, RecordRow
from tests.export_fixtures import (
    ALICE_API,
    ALICE_EMBED,
    ALICE_KEY,
    ARTICLE,
    AVATAR,
    BEARER,
    BOB_EMBED,
    BOB_KEY,
    BOB_PHOTO,
    COOKIE,
    SET_COOKIE,
    Archive,
    alice_pages,
    build_archive,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
SECRETS = (b"SECRETCOOKIE123", b"SECRETTOKEN456", b"SECRETSETCOOKIE789")


@pytest.fixture
def arc(tmp_path: Path) -> Archive:
    return build_archive(tmp_path / "archive")


def alice_selection(arc: Archive) -> list[dict[str, Any]]:
    """Alice's post and the article citing it, as `export --handle alice` selects them."""
    return arc.rows_for(ALICE_KEY, article_ids=(1,))


def read_records(data: bytes) -> list[tuple[Any, bytes, int, int]]:
    """(record, payload, offset, length) for every record of a WARC held in memory."""
    out = []
    it = ArchiveIterator(io.BytesIO(data))
    for rec in it:
        payload = rec.raw_stream.read()
        out.append((rec, payload, it.get_record_offset(), it.get_record_length()))
    return out


def source_payloads(arc: Archive) -> dict[str, tuple[bytes, str | None]]:
    """Record ID -> (payload, payload digest) as stored in the archive."""
    result = {}
    for row in arc.rows:
        raw = (arc.root / "warcs" / row.filename).read_bytes()[row.offset:row.offset + row.length]
        rec, payload, _, _ = read_records(raw)[0]
        result[row.record_id] = (payload, rec.rec_headers.get_header("WARC-Payload-Digest"))
    return result


def test_wacz_holds_exactly_the_selection_and_validates(arc: Archive, tmp_path: Path) -> None:
    out = tmp_path / "alice.wacz"
    selection = alice_selection(arc)
    summary = export_bundle(arc.root, selection, alice_pages(), out, title="Posts by @alice")
    assert summary.format == "wacz" and summary.path == out and out.is_file()

    proc = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(out)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation succeeded" in proc.stdout

    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert names == {"archive/data.warc.gz", "indexes/index.cdx", "pages/pages.jsonl",
                         "datapackage.json", "datapackage-digest.json"}
        # wacz validate passes deflated WARCs too: check STORED ourselves
        assert zf.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
        warc = zf.read("archive/data.warc.gz")
        index = zf.read("indexes/index.cdx")
        pages = zf.read("pages/pages.jsonl").decode().splitlines()
        package_bytes = zf.read("datapackage.json")
        package = json.loads(package_bytes)
        digest = json.loads(zf.read("datapackage-digest.json"))

    assert json.loads(pages[0]) == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    assert [(p["url"], p["ts"], p["title"]) for p in map(json.loads, pages[1:])] == [
        (ARTICLE, "2021-11-08T10:00:00Z", "River rising"), (ALICE_EMBED, "2021-11-08T10:00:02Z", "@alice, 2021-11-08")]

    assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
    assert package["title"] == "Posts by @alice" and package["mainPageUrl"] == ARTICLE
    assert package["created"] and package["software"].startswith("archiver ")
    # what is removed, said as it is: headers (a URL's own userinfo or token stays, for replay)
    assert package["description"].endswith("; credential headers (cookies, Authorization, tokens, keys, sessions) "
                                           "removed; addresses kept as captured, for replay.")
    contents = {"archive/data.warc.gz": warc, "indexes/index.cdx": index,
                "pages/pages.jsonl": "\n".join(pages).encode() + b"\n"}
    assert {r["path"] for r in package["resources"]} == set(contents)
    for res in package["resources"]:
        assert res["name"] == res["path"].rsplit("/", 1)[1]
        assert res["hash"] == "sha256:" + hashlib.sha256(contents[res["path"]]).hexdigest()
        assert res["bytes"] == len(contents[res["path"]])
    assert digest == {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}

    records = read_records(warc)
    assert records[0][0].rec_type == "warcinfo"
    assert b"Posts by @alice" in records[0][1]
    ids = {r.rec_headers.get_header("WARC-Record-ID") for r, *_ in records[1:]}
    avatar_original = next(r for r in arc.rows if r.post_key == BOB_KEY and r.target_uri == AVATAR
                           and r.warc_type == "response")
    # exactly the selection, plus the original bob's capture stored for alice's revisit
    assert ids == {r.record_id for r in selection} | {avatar_original.record_id}
    assert summary.records == len(ids) and summary.originals_added == 1 and summary.missing_originals == []
    other = {r.record_id for r in arc.rows if r.post_key == BOB_KEY} - {avatar_original.record_id}
    assert not ids & other
    for unwanted in (BOB_EMBED.encode(), BOB_PHOTO.encode(), b"bob/status"):
        assert unwanted not in gzip.decompress(warc) and unwanted not in index


def test_wacz_index_matches_cdxj_indexer_and_points_at_records(arc: Archive, tmp_path: Path) -> None:
    out = tmp_path / "alice.wacz"
    export_bundle(arc.root, alice_selection(arc), alice_pages(), out)
    with zipfile.ZipFile(out) as zf:
        warc = zf.read("archive/data.warc.gz")
        index = zf.read("indexes/index.cdx").decode()
    (tmp_path / "data.warc.gz").write_bytes(warc)
    # -p folds POST bodies into keys as pywb does; -s sorts
    ref = subprocess.run([str(BIN / "cdxj-indexer"), "-p", "-s", str(tmp_path / "data.warc.gz")],
                         capture_output=True, text=True, check=True).stdout
    assert index == ref
    lines = index.splitlines()
    assert lines == sorted(lines, key=str.encode)
    keys = {line.split(" ", 1)[0] for line in lines}
    assert "example,news)/2021/11/08/river.html" in keys
    assert "urn:screenshot:https://x.com/alice/status/1111111111111111111" in keys
    assert any(k.startswith("example,api)/graphql?__wb_method=post") for k in keys)
    for line in lines:
        _, ts, blob = line.split(" ", 2)
        fields = json.loads(blob)
        assert len(ts) == 14 and fields["filename"] == "data.warc.gz"
        start, length = int(fields["offset"]), int(fields["length"])
        rec = next(iter(ArchiveIterator(io.BytesIO(warc[start:start + length]))))
        assert rec.rec_headers.get_header("WARC-Target-URI") == fields["url"]


def test_warc_gz_export_passes_warcio_check(arc: Archive, tmp_path: Path) -> None:
    out = tmp_path / "alice.warc.gz"
    summary = export_bundle(arc.root, alice_selection(arc), alice_pages(), out)
    assert summary.format == "warc.gz"
    proc = subprocess.run([str(BIN / "warcio"), "check", "-v", str(out)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "digest pass" in proc.stdout and "failed" not in proc.stdout
    records = read_records(out.read_bytes())
    assert records[0][0].rec_type == "warcinfo"
    assert records[0][0].rec_headers.get_header("WARC-Filename") == "alice.warc.gz"
    assert all(r.rec_headers.protocol == "WARC/1.1" for r, *_ in records)
    assert len(records) == 1 + summary.records
    assert not list(tmp_path.glob(".alice.warc.gz.*")), "temporary file left behind"


def test_credentials_removed_by_default(arc: Archive, tmp_path: Path) -> None:
    out = tmp_path / "alice.wacz"
    summary = export_bundle(arc.root, alice_selection(arc), alice_pages(), out)
    with zipfile.ZipFile(out) as zf:
        warc = gzip.decompress(zf.read("archive/data.warc.gz"))
        index = zf.read("indexes/index.cdx")
    for secret in SECRETS:
        assert secret not in warc and secret not in index
    # article request (Cookie + Authorization), its response (Set-Cookie), alice's embed request (Cookie)
    assert summary.redacted == 3
    originals = source_payloads(arc)
    with zipfile.ZipFile(out) as zf:
        records = read_records(zf.read("archive/data.warc.gz"))
    removed = {}
    for rec, payload, _, _ in records[1:]:
        rid = rec.rec_headers.get_header("WARC-Record-ID")
        # bodies and payload digests are untouched: only headers went
        assert (payload, rec.rec_headers.get_header("WARC-Payload-Digest")) == originals[rid]
        if marker := rec.rec_headers.get_header("WARC-Archiver-Removed-Headers"):
            removed[(rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI"))] = marker
            names = {k.lower() for k, _ in rec.http_headers.headers}
            assert not names & {"cookie", "authorization", "set-cookie"}
            assert rec.http_headers.get_header("User-Agent") or rec.http_headers.get_header("Content-Type")
    assert removed == {("request", ARTICLE): "Authorization, Cookie", ("response", ARTICLE): "Set-Cookie",
                       ("request", ALICE_EMBED): "Cookie"}


def test_credentials_kept_with_flag_byte_for_byte(arc: Archive, tmp_path: Path) -> None:
    out = tmp_path / "alice.warc.gz"
    summary = export_bundle(arc.root, alice_selection(arc), alice_pages(), out, include_credentials=True)
    assert summary.redacted == 0
    data = out.read_bytes()
    plain = gzip.decompress(data)
    assert COOKIE.encode() in plain and BEARER.encode() in plain and SET_COOKIE.encode() in plain
    by_id = {r.record_id: r for r in arc.rows}
    for rec, _, offset, length in read_records(data)[1:]:
        row = by_id[rec.rec_headers.get_header("WARC-Record-ID")]
        stored = (arc.root / "warcs" / row.filename).read_bytes()[row.offset:row.offset + row.length]
        assert data[offset:offset + length] == stored
    # the index carries no request header at all, credentials kept or not
    wacz = tmp_path / "alice.wacz"
    export_bundle(arc.root, alice_selection(arc), alice_pages(), wacz, include_credentials=True)
    with zipfile.ZipFile(wacz) as zf:
        assert COOKIE.encode() in gzip.decompress(zf.read("archive/data.warc.gz"))
        index = zf.read("indexes/index.cdx")
    assert not any(secret in index for secret in SECRETS)


def test_empty_selection_is_an_error_and_writes_nothing(arc: Archive, tmp_path: Path) -> None:
    out = tmp_path / "none.wacz"
    with pytest.raises(ExportError, match="^nothing matched") as err:
        export_bundle(arc.root, [], alice_pages(), out)
    assert err.value.exit_code == 2
    assert list(tmp_path.iterdir()) == [arc.root]


def test_output_name_decides_the_format(arc: Archive, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="wacz or \\*.warc.gz"):
        export_bundle(arc.root, alice_selection(arc), [], tmp_path / "out.zip")
    with pytest.raises(ExportError, match="does not exist"):
        export_bundle(arc.root, alice_selection(arc), [], tmp_path / "nowhere" / "out.wacz")
    (tmp_path / "all.wacz").write_bytes(b"a bundle already")
    with pytest.raises(ExportError, match=f"{tmp_path / 'all.wacz'} is a file, not a folder"):
        export_bundle(arc.root, alice_selection(arc), [], tmp_path / "all.wacz" / "out.wacz")
    # A read-only file is not replaced (a rename would, and give it the bundle's mode).
    (tmp_path / "all.wacz").chmod(0o444)
    with pytest.raises(ExportError, match=f"{tmp_path / 'all.wacz'} is read-only"):
        export_bundle(arc.root, alice_selection(arc), [], tmp_path / "all.wacz")
    assert (tmp_path / "all.wacz").read_bytes() == b"a bundle already"


def test_failure_midway_leaves_no_file(arc: Archive, tmp_path: Path) -> None:
    rows = alice_selection(arc)
    last = rows[-1]
    path = arc.root / "warcs" / last.filename
    data = bytearray(path.read_bytes())
    data[last.offset + last.length // 2] ^= 0xFF  # a CRC that no longer matches
    path.write_bytes(bytes(data))
    out = tmp_path / "alice.wacz"
    with pytest.raises(DamagedRecord, match=f"{last.record_id}.*--allow-damaged") as err:
        export_bundle(arc.root, rows, alice_pages(), out)
    assert err.value.exit_code == 1 and last.filename in str(err.value)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".alice")]
    # With --allow-damaged the damaged record is left out, and named.
    summary = export_bundle(arc.root, rows, alice_pages(), out, allow_damaged=True)
    assert summary.records - summary.originals_added == len({(r.filename, r.offset) for r in rows}) - 1
    (line,) = summary.left_out
    assert last.record_id in line and "left out" in line
    assert line.count(last.record_id) == 1 and line.count(f"offset {last.offset}") == 1, line  # said once
    with zipfile.ZipFile(out) as z:
        ids = [r.rec_headers.get_header("WARC-Record-ID")
               for r in ArchiveIterator(io.BytesIO(z.read("archive/data.warc.gz")))]
    assert last.record_id not in ids and rows[0].record_id in ids


def test_a_missing_warc_file_is_named_and_the_rest_exported(arc: Archive, tmp_path: Path) -> None:
    rows = alice_selection(arc)
    broken = replace(rows[-1], filename="gone.warc.gz", offset=0)
    out = tmp_path / "alice.wacz"
    summary = export_bundle(arc.root, rows + [broken], alice_pages(), out)
    assert out.exists()
    assert summary.records - summary.originals_added == len({(r.filename, r.offset) for r in rows})
    (line,) = summary.left_out
    assert "warcs/gone.warc.gz" in line and "missing" in line


def test_index_out_of_step_is_refused(arc: Archive, tmp_path: Path) -> None:
    rows = alice_selection(arc)
    wrong = replace(rows[0], record_id="<urn:uuid:00000000-0000-0000-0000-000000000000>")
    with pytest.raises(ExportError, match="out of step"):
        export_bundle(arc.root, [wrong], [], tmp_path / "x.warc.gz")


def test_revisit_without_original_still_exports(arc: Archive, tmp_path: Path) -> None:
    w = arc.warc("lonely.warc.gz")
    orphan = RecordRow(record_id="<urn:uuid:gone>", warc_type="response", target_uri="https://gone.example/x.png",
                       date="2020-01-01T00:00:00Z", filename="gone.warc.gz", offset=0, length=0,
                       payload_digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    row = w.revisit("https://gone.example/x.png", orphan, date="2021-11-09T00:00:00Z", mime="image/png",
                    post_key="twitter:3")
    w.fh.close()
    summary = export_bundle(arc.root, [row], [], tmp_path / "x.warc.gz")
    assert summary.records == 1 and summary.originals_added == 0
    assert summary.missing_originals == ["https://gone.example/x.png"]


def test_uncompressed_source_records_are_gzipped(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    (root / "warcs").mkdir(parents=True)
    path = root / "warcs" / "plain.warc"
    rows: list[RecordRow] = []
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        for i in range(2):
            body = f"hello {i}".encode()
            rec = writer.create_warc_record(f"urn:note:{i}", "resource", payload=io.BytesIO(body),
                                            length=len(body), warc_content_type="text/plain")
            start = fh.tell()
            writer.write_record(rec)
            rows.append(RecordRow(record_id=rec.rec_headers.get_header("WARC-Record-ID"), warc_type="resource",
                                  target_uri=f"urn:note:{i}", date=rec.rec_headers.get_header("WARC-Date"),
                                  filename="plain.warc", offset=start, length=fh.tell() - start))
    out = tmp_path / "plain.warc.gz"
    export_bundle(root, rows, [], out)
    proc = subprocess.run([str(BIN / "warcio"), "check", str(out)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout
    assert [p for _, p, _, _ in read_records(out.read_bytes())[1:]] == [b"hello 0", b"hello 1"]


def _post_warc(bodies: list[tuple[str, bytes]]) -> io.BytesIO:
    """A WARC with one POST request and its response per (content type, body)."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True, warc_version="1.1")
    for i, (ctype, body) in enumerate(bodies):
        url = f"https://api.example.com/graphql?n={i}"
        resp = writer.create_warc_record(
            url, "response", payload=io.BytesIO(b"{}"), length=2,
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "application/json")], protocol="HTTP/1.1"),
        )
        req = writer.create_warc_record(
            url, "request", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders(f"POST /graphql?n={i} HTTP/1.1", [("Content-Type", ctype),
                                          ("Content-Length", str(len(body)))], is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")},
        )
        writer.write_record(resp)
        writer.write_record(req)
    buf.seek(0)
    return buf


def test_post_bodies_fold_into_the_index_keys() -> None:
    bodies = [
        ("application/x-www-form-urlencoded", b"a=1&b=two+words"),
        ("application/json", b'{"q": {"id": 5, "tags": ["x", "y"]}}'),
        ("application/octet-stream", b"\x00\x01"),
        ("application/octet-stream", b"x" * 10000),
    ]
    lines = cdxj_index(_post_warc(bodies), "t.warc.gz").decode().splitlines()
    assert lines == sorted(lines, key=str.encode)
    by_n = {json.loads(line.split(" ", 2)[2])["url"].rsplit("=", 1)[1]: line for line in lines}
    fields = {n: json.loads(line.split(" ", 2)[2]) for n, line in by_n.items()}
    assert all(f["method"] == "POST" and f["filename"] == "t.warc.gz" for f in fields.values())
    assert fields["0"]["requestBody"] == "a=1&b=two words"
    assert fields["1"]["requestBody"] == "id=5&tags=x&tags.2_=y"
    assert fields["2"]["requestBody"] == "__wb_post_data=AAE="
    assert len(fields["3"]["requestBody"]) == 4096
    assert by_n["0"].startswith("com,example,api)/graphql?__wb_method=post&a=1&b=two%20words&n=0 ")


def test_an_answer_to_head_is_keyed_with_its_method_not_as_a_get() -> None:
    """cdxj-indexer keys every method but POST and PUT as a GET: a HEAD answer (no body) stood under
    the address's GET key, where a replayed GET could be given it. pywb asks `__wb_method=HEAD` for
    a HEAD; the GET keeps its plain key."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True, warc_version="1.1")
    url = "https://news.example/story.html"
    for method, body in (("GET", b"<p>the story</p>"), ("HEAD", b"")):
        resp = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"))
        req = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"{method} /story.html HTTP/1.1", [("Host", "news.example")],
                                          is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")})
        writer.write_record(resp)
        writer.write_record(req)
    buf.seek(0)
    lines = cdxj_index(buf, "t.warc.gz").decode().splitlines()
    assert lines == sorted(lines, key=str.encode)
    keys = {line.split(" ", 1)[0]: json.loads(line.split(" ", 2)[2]) for line in lines}
    assert set(keys) == {"example,news)/story.html", "example,news)/story.html?__wb_method=head"}, lines
    assert keys["example,news)/story.html?__wb_method=head"]["method"] == "HEAD"
    assert "method" not in keys["example,news)/story.html"]
    assert keys["example,news)/story.html"]["offset"] < keys["example,news)/story.html?__wb_method=head"]["offset"]


def test_keys_and_times() -> None:
    assert rfc3339("2021-11-08T10:00:00+01:00") == "2021-11-08T09:00:00Z"
    assert rfc3339("2021-11-08T10:00:00.250") == "2021-11-08T10:00:00.250000Z"
    # written as RFC 3339 UTC already (a capture's `captured_at`): kept as written, to the letter
    assert rfc3339("2021-11-08T10:00:00.250Z") == "2021-11-08T10:00:00.250Z"
    assert rfc3339("2021-11-08T10:00:00Z") == "2021-11-08T10:00:00Z"
    with pytest.raises(ExportError):
        rfc3339("yesterday")
    lines = pages_jsonl([PageRow(url="https://a/", ts="2021-01-01T00:00:00Z", title="")] * 2).decode().splitlines()
    assert len(lines) == 2 and "title" not in json.loads(lines[1])


def test_the_main_page_is_a_web_page_never_a_local_files_path() -> None:
    local = PageRow(url="file:///home/desk/seeds/wire.txt", ts="2021-11-08T09:00:00Z", title="wire.txt")
    stdin = PageRow(url="urn:stdin:20211108090000", ts="2021-11-08T09:00:00Z", title="stdin")
    article, post = alice_pages()
    # The pages' order: the citing articles by URL (file: sorts before https:), then the posts.
    assert main_page([local, stdin, article, post]) == article
    assert main_page([local, post]) == post
    assert main_page([local]) == local  # nothing else to open


def test_the_bundle_opens_on_the_article_not_the_file_before_it(arc: Archive, tmp_path: Path) -> None:
    out = tmp_path / "alice.wacz"
    local = PageRow(url="file:///home/desk/seeds/wire.txt", ts="2021-11-08T09:00:00Z", title="wire.txt")
    export_bundle(arc.root, alice_selection(arc), [local, *alice_pages()], out, title="Posts by @alice")
    with zipfile.ZipFile(out) as zf:
        package = json.loads(zf.read("datapackage.json"))
        pages = [json.loads(line)["url"] for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert pages == [local.url, ARTICLE, ALICE_EMBED]  # every page kept, in its order
    assert (package["mainPageUrl"], package["mainPageDate"]) == (ARTICLE, "2021-11-08T10:00:00Z")


@pytest.mark.pywb
def test_pywb_replays_the_wacz(arc: Archive, tmp_path: Path) -> None:
    from tests.pywb_harness import pywb_collection, serve

    out = tmp_path / "alice.wacz"
    export_bundle(arc.root, alice_selection(arc), alice_pages(), out)
    with (pywb_collection(tmp_path / "pywb", "c", [out]) as wb, serve(wb) as base,
          httpx.Client(timeout=20, trust_env=False) as client):
        for url, ts in ((ARTICLE, "20211108100000"), (ALICE_EMBED, "20211108100002"),
                        (AVATAR, "20211108100004")):  # the last is a revisit: served from bob's original
            r = client.get(f"{base}/c/{ts}id_/{url}")
            assert r.status_code == 200, (url, r.status_code)
            assert r.content == arc.bodies[url], url
        # bob's records are not in the bundle (pywb may fuzzy-match the embed URL to alice's page)
        assert client.get(f"{base}/c/20211107090002id_/{BOB_PHOTO}").status_code == 404
        r = client.get(f"{base}/c/20211107090000id_/{BOB_EMBED}")
        assert arc.bodies[BOB_EMBED] not in r.content
        r = client.get(f"{base}/c/20211108100003id_/{ALICE_API}")
        assert r.status_code == 200 and r.content == arc.bodies[ALICE_API]


def test_exports_from_a_file_still_being_written(arc: Archive, tmp_path: Path) -> None:
    for path in (arc.root / "warcs").iterdir():
        path.rename(path.with_name(path.name + ".open"))
    summary = export_bundle(arc.root, alice_selection(arc), alice_pages(), tmp_path / "a.warc.gz")
    assert summary.records == len(alice_selection(arc)) + 1 and summary.missing_originals == []
