"""The WARC store: records written for real, read back with warcio, checked with `warcio check`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.warcstore import (
    REVISIT_PROFILE,
    Exchange,
    MemberError,
    RecordInfo,
    WarcStore,
    complete_members,
    iter_records,
    payload_digest,
    read_member,
    read_record,
    recover,
    walk_members,
)

ROOT = Path(__file__).resolve().parents[1]
WARCIO = ROOT / ".venv" / "bin" / "warcio"
WHEN = datetime(2024, 3, 4, 12, 30, 15, 123456, tzinfo=UTC)


def exchange(url: str = "https://twitter.com/a?b=1", body: bytes = b"<p>hello</p>" * 50, **kw: object) -> Exchange:
    fields: dict[str, object] = {
        "url": url,
        "method": "GET",
        "request_headers": [(":method", "GET"), (":authority", "twitter.com"), (":scheme", "https"),
                            (":path", "/a?b=1"), ("user-agent", "UA"), ("connection", "keep-alive")],
        "status": 200,
        "response_headers": [(":status", "200"), ("content-type", "text/html; charset=utf-8"),
                             ("content-encoding", "gzip"), ("content-length", "123")],
        "body": body,
        "reason": "",
        "protocol": "h2",
        "ip": "127.0.0.1",
        "date": WHEN,
    }
    fields.update(kw)
    return Exchange(**fields)  # type: ignore[arg-type]


def warcio_check(*paths: Path) -> str:
    r = subprocess.run([str(WARCIO), "check", "-v", *map(str, paths)], check=False, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def read_all(path: Path) -> list:
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            rec.payload = rec.content_stream().read()
            out.append(rec)
    return out


def test_exchange_pair_h2_decoded(tmp_path: Path) -> None:
    with WarcStore(tmp_path, info={"browser": "Chromium 156", "user-agent": "UA"}) as store:
        req_info, resp_info = store.write_exchange(exchange())
        assert (tmp_path / (resp_info.filename + ".open")).exists()  # not renamed before close
    [path] = store.files
    assert path.name == resp_info.filename and path.exists() and not list(tmp_path.glob("*.open"))
    assert path.name.startswith("archiver-") and path.name.endswith(".warc.gz")
    info, resp, req = read_all(path)

    assert info.rec_type == "warcinfo" and info.rec_headers.protocol == "WARC/1.1"
    assert b"software: archiver" in info.payload and b"browser: Chromium 156" in info.payload
    assert b"format: WARC File Format 1.1" in info.payload

    assert resp.rec_headers.get_header("WARC-Protocol") == "h2"
    assert resp.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert resp.rec_headers.get_header("WARC-Date") == "2024-03-04T12:30:15.123456Z"
    h = resp.http_headers
    assert (h.protocol, h.statusline) == ("HTTP/1.1", "200 OK")
    assert [k for k, _ in h.headers] == ["content-type", "X-Archive-Orig-content-encoding",
                                         "X-Archive-Orig-content-length", "Content-Length"]
    assert h.get_header("Content-Length") == str(len(exchange().body))
    assert resp.payload == exchange().body

    assert req.rec_headers.get_header("WARC-Concurrent-To") == resp.rec_headers.get_header("WARC-Record-ID")
    assert req.http_headers.protocol == "GET" and req.http_headers.statusline == "/a?b=1 HTTP/1.1"
    assert req.http_headers.headers == [("Host", "twitter.com"), ("user-agent", "UA")]  # h2: no connection header

    assert resp_info == RecordInfo(
        record_id=resp.rec_headers.get_header("WARC-Record-ID"), warc_type="response",
        target_uri="https://twitter.com/a?b=1", date="2024-03-04T12:30:15.123456Z", filename=path.name,
        offset=resp_info.offset, length=resp_info.length, status=200, mime="text/html",
        payload_digest=payload_digest(exchange().body), block_digest=resp.rec_headers.get_header("WARC-Block-Digest"),
    )
    assert resp_info.block_digest and resp_info.block_digest.startswith("sha1:")
    assert req_info.warc_type == "request" and req_info.offset == resp_info.offset + resp_info.length
    out = warcio_check(path)
    assert out.count("digest pass") == 3


def test_not_decoded_keeps_transfer_headers_and_http10(tmp_path: Path) -> None:
    raw = b"5\r\nhello\r\n0\r\n\r\n"
    ex = exchange(url="http://example.org/", body=raw, decoded=False, protocol="http/1.0", reason="Fine",
                  request_headers=[("Accept", "*/*")],
                  response_headers=[("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")])
    with WarcStore(tmp_path) as store:
        store.write_exchange(ex)
    _, resp, req = read_all(store.files[0])
    assert (resp.http_headers.protocol, resp.http_headers.statusline) == ("HTTP/1.0", "200 Fine")
    assert resp.http_headers.get_header("Transfer-Encoding") == "chunked"
    assert resp.payload == b"hello"  # warcio de-chunks per the stored headers
    assert req.http_headers.get_header("Host") == "example.org"  # rebuilt from the URL
    assert resp.rec_headers.get_header("WARC-Protocol") == "http/1.0"
    warcio_check(store.files[0])


def test_reason_phrase_supplied_for_empty_and_unknown(tmp_path: Path) -> None:
    with WarcStore(tmp_path) as store:
        store.write_exchange(exchange(status=404))
        store.write_exchange(exchange(status=599))
    resps = [r for r in read_all(store.files[0]) if r.rec_type == "response"]
    assert [r.http_headers.statusline for r in resps] == ["404 Not Found", "599 Unknown"]


def test_resource_metadata_and_revisit(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with WarcStore(tmp_path) as store:
        _, page = store.write_exchange(exchange())
        shot = store.write_resource("urn:screenshot:https://x.com/a/status/1", "image/png", png,
                                    concurrent_to=page.record_id, date=WHEN)
        meta = store.write_metadata("urn:capture:https://x.com/a/status/1",
                                    {"browser": "Chromium", "timings": {"load": 0.5}}, concurrent_to=page.record_id)
        _, rev = store.write_revisit(exchange(date=datetime(2024, 3, 5, tzinfo=UTC)), page)
        with pytest.raises(ValueError):
            store.write_revisit(exchange(body=b"other"), page)
    path = store.files[0]
    assert (shot.warc_type, shot.mime, shot.payload_digest) == ("resource", "image/png", payload_digest(png))
    assert read_record(tmp_path, shot.filename, shot.offset) == png
    assert json.loads(read_record(tmp_path, meta.filename, meta.offset)) == {
        "browser": "Chromium", "timings": {"load": 0.5}}
    recs = {r.rec_headers.get_header("WARC-Record-ID"): r for r in read_all(path)}
    r_shot, r_meta, r_rev = recs[shot.record_id], recs[meta.record_id], recs[rev.record_id]
    assert r_shot.rec_headers.get_header("WARC-Concurrent-To") == page.record_id
    assert r_shot.rec_headers.get_header("Content-Type") == "image/png"
    assert r_meta.rec_headers.get_header("Content-Type") == "application/json"
    assert r_rev.rec_type == "revisit" and r_rev.payload == b""
    assert r_rev.rec_headers.get_header("WARC-Profile") == REVISIT_PROFILE
    assert r_rev.rec_headers.get_header("WARC-Refers-To") == page.record_id
    assert r_rev.rec_headers.get_header("WARC-Refers-To-Target-URI") == page.target_uri
    assert r_rev.rec_headers.get_header("WARC-Refers-To-Date") == page.date
    assert r_rev.rec_headers.get_header("WARC-Payload-Digest") == page.payload_digest
    assert rev.status == 200 and rev.payload_digest == page.payload_digest
    warcio_check(path)


def test_rollover_each_file_starts_with_warcinfo(tmp_path: Path) -> None:
    infos: list[RecordInfo] = []
    with WarcStore(tmp_path, prefix="t", max_size=3000) as store:
        for i in range(6):
            infos.extend(store.write_exchange(exchange(url=f"https://x.com/{i}", body=os.urandom(1500))))
    assert len(store.files) == 3 and all(p.exists() for p in store.files)
    assert len(set(store.files)) == 3
    for path in store.files:
        recs = read_all(path)
        assert recs[0].rec_type == "warcinfo"
        assert recs[0].rec_headers.get_header("WARC-Filename") == path.name
        assert [r.rec_type for r in recs[1:]] == ["response", "request"] * 2  # pairs never split
    warcio_check(*store.files)
    for info in infos:
        member = read_member(tmp_path, info.filename, info.offset, info.length)
        assert member[:2] == b"\x1f\x8b"
        if info.warc_type == "response":
            assert payload_digest(read_record(tmp_path, info.filename, info.offset)) == info.payload_digest
    listed = [(r.offset, r.length, r.warc_type) for r in iter_records(store.files[0])]
    mine = sorted((i.offset, i.length, i.warc_type) for i in infos if i.filename == store.files[0].name)
    assert listed[1:] == mine


def test_write_after_close_is_refused(tmp_path: Path) -> None:
    store = WarcStore(tmp_path)
    store.close()
    store.close()
    with pytest.raises(ValueError):
        store.write_resource("urn:x", "text/plain", b"x")
    assert store.files == []  # nothing written, no empty WARC


def test_recover_cuts_a_file_truncated_mid_record(tmp_path: Path) -> None:
    live, crashed = tmp_path / "live", tmp_path / "crashed"
    store = WarcStore(live)
    infos = [store.write_exchange(exchange(url=f"https://x.com/{i}", body=os.urandom(4000)))[1] for i in range(3)]
    [open_file] = list(live.glob("*.warc.gz.open"))
    # Simulate a kill at several points: inside the last record, inside the first response, at a boundary.
    last = infos[-1]
    cuts = {
        "mid-last": (last.offset + last.length // 2, 1 + 2 * 2),  # warcinfo + 2 pairs; half a response lost
        "mid-first": (infos[0].offset + 10, 1),
        "boundary": (last.offset + last.length, 1 + 2 * 2 + 1),  # the last response made it, its request not
    }
    for name, (cut, complete) in cuts.items():
        d = crashed / name
        d.mkdir(parents=True)
        target = d / open_file.name
        target.write_bytes(open_file.read_bytes()[:cut])
        messages = recover(d)
        final = d / open_file.name.removesuffix(".open")
        assert final.exists() and not target.exists(), name
        assert len(messages) == 1 and final.name in messages[0]
        assert len(read_all(final)) == complete, name
        warcio_check(final)
    store.close()


def test_recover_leaves_a_live_writers_file_alone_and_removes_empty_ones(tmp_path: Path) -> None:
    store = WarcStore(tmp_path)
    info = store.write_resource("urn:x", "text/plain", b"x")
    (tmp_path / "junk.warc.gz.open").write_bytes(b"\x1f\x8b\x08\x00garbage")
    messages = recover(tmp_path)
    assert any("still being written" in m for m in messages)
    assert any("junk.warc.gz.open: no complete record, removed" in m for m in messages)
    assert not (tmp_path / "junk.warc.gz.open").exists()
    assert read_record(tmp_path, info.filename, info.offset) == b"x"  # readable while still .open
    store.close()
    assert recover(tmp_path) == []
    assert complete_members(tmp_path / info.filename) == (tmp_path / info.filename).stat().st_size


def test_member_walk_yields_each_record_and_names_where_the_damage_starts(tmp_path: Path) -> None:
    with WarcStore(tmp_path) as store:
        infos = [store.write_resource(f"urn:x:{i}", "text/plain", os.urandom(70_000)) for i in range(3)]
    [path] = store.files
    members = []
    with path.open("rb") as fh:
        for m in walk_members(fh):
            assert m.spool is not None and m.spool.read(5) == b"WARC/" and m.head.startswith(b"WARC/1.1")
            members.append((m.offset, m.length))
    assert members[1:] == [(i.offset, i.length) for i in infos]  # after the warcinfo
    size = path.stat().st_size
    with path.open("ab") as fh:
        fh.write(read_member(tmp_path, infos[0].filename, infos[0].offset, infos[0].length)[:100])
    with path.open("rb") as fh:
        walked = []
        with pytest.raises(MemberError) as damage:
            for m in walk_members(fh, skip={infos[0].offset: infos[0].length}, spool=False):
                walked.append(m.offset)
    assert damage.value.offset == size and damage.value.reason == "file ends inside the gzip member"
    assert walked == [0, infos[1].offset, infos[2].offset]
    assert complete_members(path) == size


@pytest.mark.parametrize(("tail", "reason"), [(b"\x1f", "file ends inside the gzip member"),
                                              (b"\x00", "does not start a gzip member")])
def test_a_member_cut_inside_its_magic_bytes_is_told_from_a_stray_byte(tail: bytes, reason: str, tmp_path: Path) -> None:
    with WarcStore(tmp_path) as store:
        store.write_resource("urn:x:0", "text/plain", b"body")
    [path] = store.files
    size = path.stat().st_size
    with path.open("ab") as fh:
        fh.write(tail)
    with path.open("rb") as fh, pytest.raises(MemberError) as damage:
        list(walk_members(fh, spool=False))
    assert damage.value.offset == size and damage.value.reason == reason
    assert complete_members(path) == size


def test_an_offset_past_the_files_end_is_named_as_such(tmp_path: Path) -> None:
    from archiver.warcstore.members import inflate_member

    with WarcStore(tmp_path) as store:
        store.write_resource("urn:x:0", "text/plain", b"body")
    [path] = store.files
    size = path.stat().st_size
    with path.open("rb") as fh:
        for offset in (size, size + 100):
            with pytest.raises(MemberError) as damage:
                inflate_member(fh, offset)
            assert (damage.value.offset, damage.value.reason) == (offset, "lies at or past the file's end")


WRITER = r"""
import json, os, sys
from pathlib import Path
from archiver.warcstore import WarcStore
from archiver.warcstore import Exchange
store = WarcStore(Path(sys.argv[1]), max_size=int(sys.argv[2]))
i = 0
while True:
    body = os.urandom(200_000)
    ex = Exchange(url=f"https://x.com/{i}", method="GET", request_headers=[], status=200,
                  response_headers=[("Content-Type", "application/octet-stream")], body=body)
    req, resp = store.write_exchange(ex)
    print(json.dumps({"file": resp.filename, "offset": resp.offset, "digest": resp.payload_digest}), flush=True)
    i += 1
"""


def test_sigkill_while_writing_leaves_readable_warcs(tmp_path: Path) -> None:
    # A real child process writing records is killed with SIGKILL; what it reported written must survive.
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "1500000"], stdout=subprocess.PIPE,
                            cwd=ROOT, text=True)
    assert proc.stdout is not None
    reported = []
    for _ in range(12):  # past one rollover
        reported.append(json.loads(proc.stdout.readline()))
    time.sleep(0.01)  # let it get into the middle of another record
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for line in proc.stdout:  # records it managed to report before dying count too
        if line.strip():
            reported.append(json.loads(line))
    assert list(tmp_path.glob("*.open"))
    messages = recover(tmp_path)
    assert messages and not list(tmp_path.glob("*.open"))
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) >= 2
    warcio_check(*files)
    for r in reported:
        assert payload_digest(read_record(tmp_path, r["file"], r["offset"])) == r["digest"]


def test_recovered_copy_passes_even_when_cut_inside_gzip_header(tmp_path: Path) -> None:
    with WarcStore(tmp_path / "a") as store:
        info = store.write_resource("urn:x", "text/plain", b"abc")
    d = tmp_path / "b"
    d.mkdir()
    src = store.files[0]
    shutil.copy(src, d / (src.name + ".open"))
    with open(d / (src.name + ".open"), "ab") as fh:
        fh.write(b"\x1f\x8b\x08")  # a new member that only got three bytes out
    recover(d)
    assert (d / src.name).read_bytes() == src.read_bytes()
    assert read_record(d, info.filename, info.offset) == b"abc"


FULL_DISK = r"""
import os, resource, signal, sys
from pathlib import Path
from archiver.warcstore import WarcStore
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))
store = WarcStore(Path(sys.argv[1]))
written = 0
try:
    while True:
        store.write_resource(f"urn:x:{written}", "application/octet-stream", os.urandom(4000))
        written += 1
except OSError as e:
    print(written, e.errno, flush=True)
store.close()
"""


def test_a_failed_write_leaves_no_partial_record(tmp_path: Path) -> None:
    # A real write failure (file size limit, as on a full disk) in the middle of a record.
    r = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                       check=True)
    written, errno = map(int, r.stdout.split())
    assert written >= 3 and errno == 27  # EFBIG
    [path] = list(tmp_path.glob("*.warc.gz"))
    assert not list(tmp_path.glob("*.open"))
    assert len(read_all(path)) == 1 + written
    warcio_check(path)


def test_warc_date_is_utc() -> None:
    from datetime import timedelta, timezone

    from archiver.warcstore import warc_date

    assert warc_date(datetime(2024, 3, 4, 12, 0, 0)) == "2024-03-04T12:00:00.000000Z"
    cet = timezone(timedelta(hours=1))
    assert warc_date(datetime(2024, 3, 4, 13, 0, 0, 5, tzinfo=cet)) == "2024-03-04T12:00:00.000005Z"


def test_a_repeated_payload_becomes_a_revisit_of_the_first(tmp_path: Path) -> None:
    from archiver.warcstore import Exchange, WarcStore

    body = b"x" * 4096
    def ex(url: str) -> Exchange:
        return Exchange(url=url, method="GET", request_headers=[("Host", "a.example")], status=200,
                        response_headers=[("Content-Type", "text/plain")], body=body)
    with WarcStore(tmp_path) as store:
        _, first = store.write_exchange(ex("https://a.example/widgets.js"))
        _, again = store.write_exchange(ex("https://a.example/widgets.js?v=2"))
        _, small = store.write_exchange(Exchange(url="https://a.example/s", method="GET", request_headers=[],
                                                 status=200, response_headers=[], body=b"tiny"))
    assert first.warc_type == "response" and again.warc_type == "revisit" and small.warc_type == "response"
    assert again.payload_digest == first.payload_digest
    assert again.extra["WARC-Refers-To"] == first.record_id
    files = list(tmp_path.glob("*.warc.gz"))
    r = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", "-v", str(files[0])],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_an_answer_to_a_post_is_stored_whole_never_as_a_revisit_or_its_original(tmp_path: Path) -> None:
    from archiver.warcstore import Exchange, WarcStore

    body = b'{"ok": true}' + b" " * 4096

    def ex(method: str, data: bytes | None) -> Exchange:
        return Exchange(url="https://api.example/answer", method=method, request_headers=[("Host", "api.example")],
                        status=200, response_headers=[("Content-Type", "application/json")], body=body,
                        request_body=data)
    with WarcStore(tmp_path) as store:
        _, one = store.write_exchange(ex("POST", b"a=1"))
        _, two = store.write_exchange(ex("POST", b"a=2"))
        _, got = store.write_exchange(ex("GET", None))
    # Replay finds each answer by its request's body (`__wb_method=post&a=2` in its key), which
    # indexers fold in for response records only.
    assert [r.warc_type for r in (one, two, got)] == ["response", "response", "response"]


def test_a_header_sent_in_utf8_is_stored_as_utf8_not_read_twice() -> None:
    from archiver.warcstore.headers import header_text

    assert header_text('attachment; filename="rÃ©sumÃ©.txt"') == 'attachment; filename="résumé.txt"'  # as handed over
    assert header_text('attachment; filename="résumé.txt"') == 'attachment; filename="résumé.txt"'  # Latin-1 as sent
    assert header_text("café ☃") == "café ☃" and header_text("plain") == "plain"


def test_non_ascii_response_headers_reach_the_warc_as_rfc_8187_of_their_own_utf8(tmp_path: Path) -> None:
    from archiver.warcstore import Exchange, WarcStore

    sent = 'attachment; filename="résumé.txt"'.encode().decode("latin-1")  # the bytes, one character each
    with WarcStore(tmp_path) as store:
        store.write_exchange(Exchange(url="https://a.example/cv", method="GET", request_headers=[], status=200,
                                      response_headers=[("Content-Disposition", sent)], body=b"x"))
    (path,) = tmp_path.glob("*.warc.gz")
    with path.open("rb") as fh:
        (resp,) = [r for r in ArchiveIterator(fh) if r.rec_type == "response"]
        assert resp.http_headers.get_header("Content-Disposition") == "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
