"""WACZ for the people and tools that read it: page text for search, a ZipNum index when the index
is large, a title naming the selection; replayed and searched in ReplayWeb.page and pywb."""

from __future__ import annotations

import bisect
import gzip
import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from archiver.bundle import selection_title
from archiver.export import export_bundle
from archiver.export.summary import MAX_HTML, _head, html_description
from archiver.export.wacz import ZIPNUM_ABOVE, pages_jsonl
from archiver.export.zipnum import zipnum
from archiver.index.filters import Filters
from archiver.index.rows import PageRow
from tests.e2e import cli, lookup
from tests.export_fixtures import ALICE_EMBED, ALICE_KEY, ARTICLE, Archive, alice_pages, build_archive
from tests.fakeweb import FakeWeb, site

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
BULK = 6000  # records enough for a CDXJ index past ZIPNUM_ABOVE (about 190 bytes a line)
WIRE = f"https://news.example{site.WIRE_TEXT_PATH}"
FLAT_EMBED = f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_FLAT.id}"


def bulk_url(i: int) -> str:
    return f"https://news.example/gallery/{i:05d}.html"


def bulk_body(i: int) -> bytes:
    return f"<html><body><p>gallery page {i}</p></body></html>".encode()


def _zip_parts(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as zf:
        return {"names": set(zf.namelist()), "info": {i.filename: i for i in zf.infolist()},
                "read": {n: zf.read(n) for n in zf.namelist() if not n.startswith("archive/")}}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The test archive exported twice: alice's selection (a small, plain index) and the same with
    BULK more pages of hers (a CDXJ index past ZIPNUM_ABOVE, so ZipNum)."""
    tmp = tmp_path_factory.mktemp("readers")
    arc = build_archive(tmp / "archive")
    small = tmp / "small.wacz"
    export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), small, title="Posts by @alice")
    w = arc.warc("capture-20211109-000001.warc.gz")
    for i in range(BULK):
        w.exchange(bulk_url(i), bulk_body(i), mime="text/html; charset=utf-8",
                   date=f"2021-11-09T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z", post_key=ALICE_KEY)
    w.fh.close()
    big = tmp / "big.wacz"
    export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), big, title="Posts by @alice")
    return {"tmp": tmp, "arc": arc, "small": small, "big": big}


def test_pages_carry_text_for_search_redacted() -> None:
    pages = [PageRow(url="https://a.example/", ts="2021-01-01T00:00:00Z", title="A post",
                     text="levee holds https://u:secretpw@cdn.example/x"),
             PageRow(url="https://b.example/", ts="2021-01-01T00:00:00Z", title="No words")]
    entries = [json.loads(line) for line in pages_jsonl(pages).decode().splitlines()[1:]]
    assert entries[0]["text"].startswith("levee holds ") and "secretpw" not in entries[0]["text"]
    assert "text" not in entries[1]


def test_the_title_names_the_selection() -> None:
    assert selection_title(Filters(), 12) == "Whole archive (12 posts)"
    assert selection_title(Filters(handle="@Alice"), 1) == "Posts by @alice (1 post)"
    assert selection_title(Filters(handle="alice", platform="Twitter", date="2024-03-04"), 3) == (
        "Posts by @alice on twitter, posted 2024-03-04 (3 posts)")
    assert selection_title(Filters(since="2024-03-01", until="2024-03-31", status="deleted", text="levee",
                                   captured_since="2024-04-01"), 2) == (
        "Posts posted 2024-03-01 to 2024-03-31, matching 'levee', status deleted, captured since 2024-04-01 (2 posts)")
    assert selection_title(Filters(until="2024-03-31", article="https://news.example/a.html"), 2) == (
        "Posts posted until 2024-03-31, cited by https://news.example/a.html (2 posts)")


def test_the_title_names_the_handle_as_the_archive_holds_it() -> None:
    # The filter matches any case; the title spells the handle as most selected posts do.
    held = ["RivertonDesk", "rivertondesk", "RivertonDesk", None, "MayorRuiz"]
    assert selection_title(Filters(handle="@rivertondesk"), 3, held) == "Posts by @RivertonDesk (3 posts)"
    assert selection_title(Filters(handle="RIVERTONDESK"), 3, ["rivertonDesk", "RivertonDesk"]) == (
        "Posts by @rivertonDesk (3 posts)")  # the first seen among equals
    assert selection_title(Filters(handle="Alice"), 1, ["Bob"]) == "Posts by @alice (1 post)"


def test_an_article_page_carries_the_summary_its_html_declares(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "archive")
    w = arc.warc("capture.warc.gz")
    summary = "Residents near Mill Street were told to leave as water rose overnight."
    html = (f'<html><head><title>River rising</title><meta property="og:description" content="{summary}">'
            '</head><body><meta name="description" content="not in the head"><p>Text.</p></body></html>')
    w.exchange(ARTICLE, html.encode(), mime="text/html; charset=utf-8", date="2021-11-08T10:00:00Z", article_id=1)
    plain = "https://news.example/wire.txt"
    w.exchange(plain, b'<meta name="description" content="not HTML">', mime="text/plain",
               date="2021-11-08T10:00:01Z", article_id=2)
    w.fh.close()
    out = tmp_path / "a.wacz"
    pages = [PageRow(url=ARTICLE, ts="2021-11-08T10:00:00Z", title="River rising", text="River rising\nCites @alice"),
             PageRow(url=plain, ts="2021-11-08T10:00:01Z", title=plain)]
    export_bundle(arc.root, arc.rows, pages, out)
    with zipfile.ZipFile(out) as zf:
        entries = {e["url"]: e for e in map(json.loads, zf.read("pages/pages.jsonl").decode().splitlines()[1:])}
    assert entries[ARTICLE]["text"] == f"River rising\nCites @alice\n{summary}"
    assert "text" not in entries[plain]


def test_the_summary_is_the_first_capture_s_even_when_its_headers_were_removed(tmp_path: Path) -> None:
    arc = Archive(tmp_path / "archive")
    w = arc.warc("capture.warc.gz")

    def page(description: str) -> bytes:
        return f'<html><head><meta name="description" content="{description}"></head><body>x</body></html>'.encode()

    # The first capture's answer sets a cookie: the export re-writes that record without it.
    w.exchange(ARTICLE, page("Water rose overnight."), mime="text/html", date="2021-11-08T10:00:00Z",
               article_id=1, resp_headers=[("Set-Cookie", "sid=SECRET")])
    w.exchange(ARTICLE, page("A later edit."), mime="text/html", date="2021-11-09T10:00:00Z", article_id=1)
    w.fh.close()
    out = tmp_path / "a.wacz"
    export_bundle(arc.root, arc.rows, [PageRow(url=ARTICLE, ts="2021-11-08T10:00:00Z", title="River")], out)
    with zipfile.ZipFile(out) as zf:
        entries = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        warc = zf.read("archive/data.warc.gz")
    assert entries[0]["text"] == "Water rose overnight."
    assert b"A later edit." in gzip.decompress(warc) and b"SECRET" not in gzip.decompress(warc)


def test_zipnum_blocks_hold_the_lines_and_the_idx_finds_them() -> None:
    lines = [f"com,example)/p{i:05d} 2021{i:010d} {{\"offset\": {i}}}\n".encode() for i in range(2500)]
    cdxj = b"".join(lines)
    zn = zipnum(cdxj, "index.cdx.gz", block_lines=1000)
    idx = zn.idx.decode().splitlines()
    assert idx[0] == '!meta 0 {"format": "cdxj-gzip-1.0", "filename": "index.cdx.gz"}'
    assert zn.blocks == len(idx) - 1 == 3
    assert gzip.decompress(zn.cdx_gz) == cdxj  # back-to-back members read as one stream
    prefixes, seen = [], 0
    for n, line in enumerate(idx[1:]):
        prefix, blob = line.split(" {", 1)
        entry = json.loads("{" + blob)
        member = zn.cdx_gz[entry["offset"]:entry["offset"] + entry["length"]]
        assert entry["digest"] == "sha256:" + hashlib.sha256(member).hexdigest()
        block = gzip.decompress(member)
        assert block == b"".join(lines[n * 1000:(n + 1) * 1000])
        assert prefix.encode() == b" ".join(block.split(b" ", 2)[:2])
        assert entry["offset"] == seen
        seen += entry["length"]
        prefixes.append(prefix)
    assert seen == len(zn.cdx_gz)
    # a reader's lookup: the last block whose first key is at or before the key sought
    assert bisect.bisect_right(prefixes, "com,example)/p01500 20210000001500") - 1 == 1
    assert zipnum(cdxj, "index.cdx.gz", block_lines=1000) == zn  # reproducible bytes


def test_small_index_stays_plain_large_one_becomes_zipnum(bundles: dict[str, Any]) -> None:
    small, big = _zip_parts(bundles["small"]), _zip_parts(bundles["big"])
    assert "indexes/index.cdx" in small["names"] and not {"indexes/index.idx", "indexes/index.cdx.gz"} & small["names"]
    assert len(small["read"]["indexes/index.cdx"]) <= ZIPNUM_ABOVE
    assert {"indexes/index.idx", "indexes/index.cdx.gz"} <= big["names"] and "indexes/index.cdx" not in big["names"]
    assert big["info"]["indexes/index.cdx.gz"].compress_type == zipfile.ZIP_STORED
    cdxj = gzip.decompress(big["read"]["indexes/index.cdx.gz"])
    assert len(cdxj) > ZIPNUM_ABOVE and len(cdxj.splitlines()) > BULK
    assert b"example,news)/gallery/05999.html" in cdxj
    # the same lines cdxj-indexer gives for the exported WARC
    with zipfile.ZipFile(bundles["big"]) as zf:
        warc = zf.read("archive/data.warc.gz")
    (bundles["tmp"] / "data.warc.gz").write_bytes(warc)
    ref = subprocess.run([str(BIN / "cdxj-indexer"), "-p", "-s", str(bundles["tmp"] / "data.warc.gz")],
                         capture_output=True, check=True).stdout
    assert cdxj == ref
    package = json.loads(big["read"]["datapackage.json"])
    paths = {r["path"]: r for r in package["resources"]}
    for name in ("indexes/index.idx", "indexes/index.cdx.gz"):
        assert paths[name]["hash"] == "sha256:" + hashlib.sha256(big["read"][name]).hexdigest()
    proc = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(bundles["big"])], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and "Validation succeeded" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.pywb
@pytest.mark.parametrize("kind", ["small", "big"])
def test_pywb_replays_both_index_kinds(bundles: dict[str, Any], kind: str, tmp_path: Path) -> None:
    from tests.pywb_harness import pywb_collection, serve

    arc: Archive = bundles["arc"]
    wanted = [(ARTICLE, "20211108100000", arc.bodies[ARTICLE]), (ALICE_EMBED, "20211108100002", arc.bodies[ALICE_EMBED])]
    if kind == "big":  # first, middle and last block of the ZipNum index
        wanted += [(bulk_url(i), "20211109000000", bulk_body(i)) for i in (0, BULK // 2, BULK - 1)]
    with (pywb_collection(tmp_path / "pywb", "c", [bundles[kind]]) as wb, serve(wb) as base,
          httpx.Client(timeout=30, trust_env=False) as client):
        for url, ts, body in wanted:
            r = client.get(f"{base}/c/{ts}id_/{url}")
            assert r.status_code == 200 and r.content == body, url
        assert client.get(f"{base}/c/20211109000000id_/https://news.example/gallery/99999.html").status_code == 404


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["small", "big"])
def test_replayweb_replays_both_index_kinds(bundles: dict[str, Any], kind: str, tmp_path: Path) -> None:
    from tests.replayweb_harness import replayweb

    with replayweb(tmp_path, bundles[kind]) as rwp:
        assert "Rising water." in rwp.replay(ARTICLE, "20211108100000").inner_text("body")
        assert "Alice: the river is up" in rwp.replay(ALICE_EMBED, "20211108100002").inner_text("body")
        if kind == "big":
            for i in (0, BULK - 1):  # the first and the last block
                assert rwp.replay(bulk_url(i), "20211109000000").inner_text("body").strip() == f"gallery page {i}"
        # it read the index the bundle offered: the whole CDXJ, or only ZipNum's block index
        assert rwp.index_kinds() == ["zipnum" if kind == "big" else "cdx"]
        if kind == "big":
            with zipfile.ZipFile(bundles["big"]) as zf:
                blocks = len(zf.read("indexes/index.idx").splitlines()) - 1
            lines = rwp.stored("ziplines")
            assert len(lines) == blocks > 2
            # only the blocks the replayed URLs are in were fetched, not the whole index
            assert 0 < sum(bool(line["loaded"]) for line in lines) < blocks
        info = rwp.collection()
        assert len(info["pages"]) == len(alice_pages())
        assert info["title"] == "Posts by @alice"
        assert rwp.verify()["signature"] is None  # unsigned


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real capture of the wire story (which carries a flattened tweet), exported by handle."""
    tmp = tmp_path_factory.mktemp("wire")
    with FakeWeb(tmp / "web") as web:
        archive = tmp / "archive"
        r = cli(web, "archive", WIRE, archive=archive)
        assert r.returncode == 0, r.stderr
        out = tmp / "desk.wacz"
        r = cli(web, "export", "--handle", "RivertonDesk", "-o", str(out), archive=archive)
        assert r.returncode == 0, r.stderr
        yield out, lookup(web, archive, "--handle", "RivertonDesk")


@pytest.mark.browser
def test_exported_pages_carry_post_text_and_title_names_the_selection(captured: Any) -> None:
    out, posts = captured
    with zipfile.ZipFile(out) as zf:
        pages = {p["url"]: p for p in map(json.loads, zf.read("pages/pages.jsonl").decode().splitlines()[1:])}
        package = json.loads(zf.read("datapackage.json"))
    assert set(pages) == {WIRE, FLAT_EMBED}
    (post,) = posts
    assert "near the old bridge" in post["text"]
    assert pages[FLAT_EMBED]["text"] == post["text"]  # the post's text as indexed
    assert pages[WIRE]["text"].endswith("Cites @RivertonDesk")
    assert pages[WIRE]["title"] == site.ARTICLE_WIRE.title  # the plain text's first line, its headline
    assert package["title"] == "Posts by @RivertonDesk (1 post)"  # as the archive holds it


@pytest.mark.browser
def test_replayweb_search_finds_a_post_by_a_word_of_its_text(captured: Any, tmp_path: Path) -> None:
    from tests.replayweb_harness import replayweb

    out, _posts = captured
    word = "rising"  # in the post's text only: not in any page's URL or title (the text's headline has "bridge")
    with zipfile.ZipFile(out) as zf:
        entries = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert not any(word in (e["url"] + e.get("title", "")).lower() for e in entries)
    with replayweb(tmp_path, out) as rwp:
        assert rwp.search(word) == [FLAT_EMBED]
        assert rwp.collection()["title"] == "Posts by @RivertonDesk (1 post)"  # shown as the archive's name
        assert rwp.search("zeppelin") == []
        # the embed page draws the post from its replayed API answer after it loads
        rwp.replay(FLAT_EMBED).get_by_text("near the old bridge").first.wait_for()



def test_a_description_is_read_from_the_head_alone() -> None:
    head = b'<html><head><meta name="twitter:description" content="  Water  rose\n overnight. ">'
    assert html_description(head + b"</head><body><p>Text.</p></body></html>") == "Water rose overnight."
    # In the body it is not the page's own; and a page that never names one is not parsed at all.
    assert html_description(b'<html><head></head><BODY><meta name="description" content="x"></BODY>') is None
    assert html_description(b"<p>" + bytes(range(256)) * 64 + b"</p>") is None


def test_a_description_is_read_in_the_pages_own_charset() -> None:
    """Older news sites serve Latin-1 or windows-1252: declared by the response, or by the page's
    own <meta charset>, or by neither. The words replay tools search are the page's words."""
    words = "Résumé of the café story"
    page = (f'<html><head><meta charset="iso-8859-1"><meta name="description" content="{words}">'
            "</head><body></body></html>").encode("latin-1")
    assert html_description(page, "iso-8859-1") == words  # as the response declared it
    assert html_description(page) == words  # as the page declares it
    bare = page.replace(b'<meta charset="iso-8859-1">', b"")
    assert html_description(bare) == words  # neither: windows-1252, the web's default
    assert html_description(words.encode().join([b'<meta name="description" content="', b'">'])) == words


def test_the_head_is_read_up_to_the_body_tag_only() -> None:
    body = b"<Body>" + b"x" * (3 * 64 * 1024)
    stream = io.BytesIO(b"<head>" + b"h" * (100 * 1024) + body)
    head = _head(stream)
    assert head.startswith(b"<head>") and b"<Body>" in head
    assert stream.tell() < 3 * 64 * 1024  # the rest of the body was never read
    assert _head(io.BytesIO(b"a" * (2 * MAX_HTML))) == b"a" * MAX_HTML


@pytest.fixture(scope="module")
def recaptured(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The wire story captured with its tweet live, then, the tweet deleted, captured again
    (`--recapture`): two captures of one embed URL, and of one article URL. Exported by handle."""
    tmp = tmp_path_factory.mktemp("recaptured")
    archive = tmp / "archive"
    with FakeWeb(tmp / "web") as web:
        r = cli(web, "archive", site.ARTICLE_WIRE.url, archive=archive)
        assert r.returncode == 0, r.stderr
        web.set_state(("tweet", site.TWEET_FLAT.id), "deleted")
        r = cli(web, "archive", "--recapture", site.ARTICLE_WIRE.url, archive=archive)
        assert r.returncode == 0, r.stderr
        out = tmp / "desk.wacz"
        r = cli(web, "export", "--handle", "RivertonDesk", "-o", str(out), archive=archive)
        assert r.returncode == 0, r.stderr
    return archive, out


def _first_at_or_after(cdxj: bytes, url: str, ts: str) -> dict[str, Any]:
    """The CDXJ entry ReplayWeb.page opens for `url` at `ts` to the second (a replay URL's 14 digits):
    the URL's first response or revisit whose time (to the millisecond where the line gives it) is at
    or after it, in the CDXJ's order; its time as `cdxj_ts`."""
    want = _second(ts)
    entries = sorted(((line.split(" ", 2)[1], json.loads(line.split(" ", 2)[2]))
                      for line in cdxj.decode().splitlines() if line.strip()), key=lambda e: e[0])
    found = [{**e, "cdxj_ts": t} for t, e in entries
             if e["url"] == url and e.get("mime") != "warc/request" and t >= want]
    assert found, (url, ts)
    return found[0]


def _second(ts: str) -> str:
    return "".join(ch for ch in ts if ch.isdigit())[:14]


def test_each_page_opens_its_own_capture_of_a_url_captured_twice(recaptured: Any) -> None:
    import sqlite3

    from warcio.archiveiterator import ArchiveIterator

    archive, out = recaptured
    with sqlite3.connect(archive / "archive.db") as db:
        held = db.execute("SELECT c.url, c.page_record_id, r.date, c.post IS NULL FROM captures c "
                          "JOIN records r ON r.record_id = c.page_record_id ORDER BY c.captured_at").fetchall()
    page_records = {rid: (url, date) for url, rid, date, _ in held}
    embed_records = [rid for url, rid, _, _ in held if url == FLAT_EMBED]
    article_records = [rid for url, rid, _, is_article in held if url == site.ARTICLE_WIRE.url and is_article]
    assert len(embed_records) == 2 and len(article_records) == 2, held
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        package = json.loads(zf.read("datapackage.json"))
        cdxj = zf.read("indexes/index.cdx")
        warc = zf.read("archive/data.warc.gz")
    # The live capture's page, then the deleted one's: each at its own page record's WARC-Date
    # (captured_at is written when the capture ends, after its records: the next capture's time).
    embeds = [p for p in pages if p["url"] == FLAT_EMBED]
    assert [p["ts"] for p in embeds] == [page_records[rid][1] for rid in embed_records], (embeds, held)
    (article,) = [p for p in pages if p["url"] == site.ARTICLE_WIRE.url]
    assert article["ts"] == page_records[article_records[0]][1]  # the capture that shows the post: the first
    assert (package["mainPageUrl"], package["mainPageDate"]) == (site.ARTICLE_WIRE.url, article["ts"])
    # What ReplayWeb.page opens at each page's time (to the second, as its replay URL gives it) is
    # that capture's own page record, or one of the same second holding the same payload: what the
    # reader sees is that capture's page either way.
    ids, digests = {}, {}
    it = ArchiveIterator(io.BytesIO(warc))
    for rec in it:
        rid = rec.rec_headers.get_header("WARC-Record-ID")
        ids[it.get_record_offset()] = rid
        digests[rid] = rec.rec_headers.get_header("WARC-Payload-Digest")
    for page, rid in [*zip(embeds, embed_records), (article, article_records[0])]:
        entry = _first_at_or_after(cdxj, page["url"], page["ts"])
        opened = ids[int(entry["offset"])]
        assert opened == rid or (digests[opened] == digests[rid] and entry["cdxj_ts"][:14] == _second(page["ts"])), (
            page, entry)


def _warc_records(wacz: Path) -> list[dict[str, Any]]:
    """Each record of the bundle's WARC: type, URL, date, what a revisit refers to, payload digest, offset."""
    from warcio.archiveiterator import ArchiveIterator

    with zipfile.ZipFile(wacz) as zf:
        warc = zf.read("archive/data.warc.gz")
    found = []
    it = ArchiveIterator(io.BytesIO(warc))
    for rec in it:
        h = rec.rec_headers
        found.append({"type": rec.rec_type, "url": h.get_header("WARC-Target-URI"), "date": h.get_header("WARC-Date"),
                      "id": h.get_header("WARC-Record-ID"), "refers_to": h.get_header("WARC-Refers-To"),
                      "digest": h.get_header("WARC-Payload-Digest"), "offset": it.get_record_offset()})
    return found


def _revisit_then_recaptured(wacz: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The live capture's revisit of the post's data, its original, and the deleted capture's answer
    at the same URL (another payload, later): what ReplayWeb.page must tell apart."""
    records = _warc_records(wacz)
    by_id = {r["id"]: r for r in records}
    for revisit in (r for r in records if r["type"] == "revisit" and "/tweet-result?" in r["url"]):
        original = by_id[revisit["refers_to"]]
        later = [r for r in records if r["type"] == "response" and r["url"] == original["url"]
                 and r["date"] > revisit["date"] and r["digest"] != original["digest"]]
        if later:
            return revisit, original, later[0]
    raise AssertionError("no revisit of the post's data whose URL was answered otherwise later")


def test_index_times_are_to_the_millisecond_where_warc_dates_have_them(tmp_path: Path) -> None:
    """A record's index line gives its WARC-Date to the millisecond (the fraction cut, as a browser's
    Date reads it) when the date has a fraction, to the second when not; otherwise the lines are
    cdxj-indexer's own, in bytewise order, which is the order of their times."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archiver.export.cdxj import cdxj_index

    url = "https://cdn.example/data.json"
    dates = ["2024-03-04T21:49:16.523987Z", "2024-03-04T21:49:16Z", "2024-03-04T21:49:16.05Z",
             "2024-03-04T21:49:15.9999999Z", "2024-03-04T21:49:17.5Z"]
    path = tmp_path / "t.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for n, date in enumerate(dates):
            body = b'{"n": %d}' % n
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), warc_headers_dict={"WARC-Date": date},
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "application/json")], protocol="HTTP/1.1")))
    with path.open("rb") as fh:
        lines = cdxj_index(fh, "t.warc.gz").decode().splitlines()
    stamps = [line.split(" ")[1] for line in lines]
    assert stamps == ["20240304214915999", "20240304214916", "20240304214916050", "20240304214916523",
                      "20240304214917500"]
    assert lines == sorted(lines)
    ref = subprocess.run([str(BIN / "cdxj-indexer"), "-p", "-s", str(path)], capture_output=True, check=True,
                         text=True).stdout.splitlines()
    cut = [" ".join([key, stamp[:14], rest]) for key, stamp, rest in (line.split(" ", 2) for line in lines)]
    assert sorted(cut) == sorted(ref)


@pytest.mark.browser
def test_replayweb_resolves_a_revisit_to_its_own_capture_s_original(recaptured: Any, tmp_path: Path) -> None:
    """The live capture's page read the post's data as a revisit of the tool's own fetch of it, a
    fraction of a second into a second; the deleted capture read the same URL again, answered with
    the tombstone. ReplayWeb.page looks a revisit's original up from WARC-Refers-To-Date to the
    millisecond: the live page shows the post, the later one its deletion."""
    from tests.replayweb_harness import replayweb

    _archive, out = recaptured
    revisit, original, later = _revisit_then_recaptured(out)
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        cdxj = zf.read("indexes/index.cdx").decode()
    embeds = [p for p in pages if p["url"] == FLAT_EMBED]
    assert len(embeds) == 2 and embeds[0]["ts"] < revisit["date"] < later["date"] < embeds[1]["ts"], (embeds, later)
    shown = "() => /Water levels are rising|unavailable/.test(document.body.innerText)"
    with replayweb(tmp_path, out) as rwp:
        live = rwp.replay(FLAT_EMBED, _second(embeds[0]["ts"]))
        live.wait_for_function(shown)
        assert "Water levels are rising fast near the old bridge" in live.inner_text("body")
        assert "unavailable" not in live.inner_text("body")
        gone = rwp.replay(FLAT_EMBED, _second(embeds[1]["ts"]))
        gone.wait_for_function(shown)
        assert "This Post is unavailable" in gone.inner_text("body")
    # the original's line gives its time to the millisecond, at which the revisit says it was written
    line = next(x for x in cdxj.splitlines() if f'"offset": "{original["offset"]}"' in x)
    assert line.split(" ")[1] == _second(original["date"]) + (original["date"].split(".")[1] + "00")[:3]


@pytest.mark.pywb
def test_pywb_resolves_the_same_revisit_with_millisecond_times(recaptured: Any, tmp_path: Path) -> None:
    """pywb reads the same index (times to the millisecond) and opens each capture's own answer."""
    from tests.pywb_harness import pywb_collection, serve

    _archive, out = recaptured
    revisit, original, later = _revisit_then_recaptured(out)
    with (pywb_collection(tmp_path / "pywb", "c", [out]) as wb, serve(wb) as base,
          httpx.Client(timeout=30, trust_env=False) as client):
        for record in (revisit, original):
            r = client.get(f"{base}/c/{_second(record['date'])}id_/{record['url']}")
            assert r.status_code == 200 and r.json()["__typename"] == "Tweet", (record, r.text[:200])
        # the deleted post's data, as recorded: a 404 without a body (not pywb's own page for no capture)
        r = client.get(f"{base}/c/{_second(later['date'])}id_/{later['url']}")
        assert (r.status_code, r.content) == (404, b"") and "memento-datetime" in r.headers, r.text[:200]


def test_verify_reads_index_times_to_the_millisecond_or_to_the_second(recaptured: Any, tmp_path: Path) -> None:
    """`archiver verify` takes an index line's time to the millisecond (this export's) or to the
    second (cdxj-indexer's, bundles exported before) as its record's; another millisecond is named."""
    from archiver.evidence.verify_wacz import verify_wacz
    from tests.test_evidence import _rehashed

    _archive, out = recaptured
    assert verify_wacz(out).ok
    with zipfile.ZipFile(out) as zf:
        lines = zf.read("indexes/index.cdx").splitlines(keepends=True)
    split = [line.split(b" ", 2) for line in lines]
    assert any(len(stamp) == 17 for _key, stamp, _rest in split)
    seconds = b"".join(sorted(b" ".join([key, stamp[:14], rest]) for key, stamp, rest in split))
    assert verify_wacz(_rehashed(out, tmp_path / "seconds.wacz", {"indexes/index.cdx": seconds})).ok
    at = next(i for i, (_key, stamp, _rest) in enumerate(split) if len(stamp) == 17)
    key, stamp, rest = split[at]
    other = b" ".join([key, b"%017d" % (int(stamp) + 1 if stamp[-3:] != b"999" else int(stamp) - 1), rest])
    result = verify_wacz(_rehashed(out, tmp_path / "other.wacz",
                                   {"indexes/index.cdx": b"".join(lines[:at] + [other] + lines[at + 1:])}))
    assert [f.kind for f in result.findings] == ["index"] and "timestamp" in result.findings[0].detail, result.findings
