"""What `export` selects from a real archive: the whole archive holds every captured article,
those that cite no post included, and `--article` naming such an article exports it."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.e2e import cli
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

PLAIN_PATH = "/2024/council-minutes.html"
PLAIN = f"https://news.example{PLAIN_PATH}"
PLAIN_HTML = ("<!DOCTYPE html><html><head><title>Council minutes</title></head>"
              "<body><h1>Council minutes</h1><p>The council met; no posts are cited here.</p></body></html>")
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An archive of an article citing a post and of one citing none."""
    tmp = tmp_path_factory.mktemp("selection")
    archive = tmp / "archive"
    with FakeWeb(tmp / "web") as web:
        web.set_state(("article", PLAIN_PATH), PLAIN_HTML)
        r = cli(web, "archive", site.ARTICLE_WIRE.url, PLAIN, archive=archive)
        assert r.returncode == 0, r.stderr
        yield web, archive, tmp


def _export(web: Any, archive: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    r = cli(web, "export", *args, "-o", str(out), archive=archive)
    assert r.returncode == 0, r.stderr
    return r


def _uris(warc: bytes) -> set[str]:
    return {rec.rec_headers.get_header("WARC-Target-URI") for rec in ArchiveIterator(io.BytesIO(warc))
            if rec.rec_type in ("response", "revisit")}


def _checked(out: Path) -> None:
    """The bundle passes `archiver verify` (files, CDXJ lines against their records) and `wacz validate`."""
    v = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", str(out)], capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr
    w = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(out)], capture_output=True, text=True)
    assert w.returncode == 0 and "Validation succeeded" in w.stdout, w.stdout + w.stderr


def test_a_whole_export_holds_the_articles_that_cite_no_post(archived: Any) -> None:
    web, archive, tmp = archived
    out = tmp / "all.wacz"
    r = _export(web, archive, out)
    with zipfile.ZipFile(out) as zf:
        pages = {p["url"]: p for p in map(json.loads, zf.read("pages/pages.jsonl").decode().splitlines()[1:])}
        package = json.loads(zf.read("datapackage.json"))
        warc = zf.read("archive/data.warc.gz")
        cdxj = zf.read("indexes/index.cdx").decode()
    assert {PLAIN, site.ARTICLE_WIRE.url} <= set(pages) and PLAIN in _uris(warc)
    assert "exporting the whole archive (1 post, 1 article citing none)" in r.stderr  # said before the work
    assert pages[PLAIN]["title"] == "Council minutes"
    assert any(json.loads(line.split(" ", 2)[2])["url"] == PLAIN for line in cdxj.splitlines())
    assert package["title"] == "Whole archive (1 post, 1 article citing none)"
    assert package["mainPageUrl"] == site.ARTICLE_WIRE.url  # a citing article still opens the bundle
    _checked(out)
    # A single WARC of the whole archive holds it too.
    plain = tmp / "all.warc.gz"
    _export(web, archive, plain)
    assert PLAIN in _uris(gzip.decompress(plain.read_bytes()))


def test_an_article_that_cites_no_post_is_exported_by_its_address(archived: Any) -> None:
    web, archive, tmp = archived
    out = tmp / "plain.wacz"
    _export(web, archive, out, "--article", PLAIN.removeprefix("https://"))
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        package = json.loads(zf.read("datapackage.json"))
        warc = zf.read("archive/data.warc.gz")
    assert [p["url"] for p in pages] == [PLAIN] and package["mainPageUrl"] == PLAIN
    assert package["title"] == f"Article {PLAIN.removeprefix('https://')} (it cites no post)"
    uris = _uris(warc)
    assert PLAIN in uris and not any("twitter" in u or site.ARTICLE_WIRE.url == u for u in uris), uris
    _checked(out)
    # Another filter selects posts: with none matching, nothing is exported (exit 2), as before.
    r = cli(web, "export", "--article", PLAIN, "--handle", "RivertonDesk", "-o", str(tmp / "none.wacz"),
            archive=archive)
    assert r.returncode == 2 and "nothing matched the filters" in r.stderr, r.stderr


def test_an_article_citing_no_post_is_read_by_its_keys_not_with_the_whole_archive(archived: Any,
                                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`--article` naming an article that cites no post read every captured article (a page at a
    time) to find it, and every indexed record to find its own (8.9 s at 1,000,000 records for one
    page). It is now found by its URL keys and its records by the indexed reads `records_for` makes
    of an article: the export reads neither the list of articles nor every record."""
    from archiver.bundle import export_selection
    from archiver.index.filters import Filters
    from archiver.index.sqlite.index import SQLiteIndex

    web, archive, tmp = archived

    def whole(*_args: object) -> object:
        raise AssertionError("an export of one article read the whole archive")

    with SQLiteIndex(archive) as index:
        for name in ("all_records", "article_captures_after", "articles_after"):
            monkeypatch.setattr(index, name, whole)
        out = tmp / "keyed.wacz"
        export_selection(index, archive, Filters(article=PLAIN.removeprefix("https://")), out)
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        uris = _uris(zf.read("archive/data.warc.gz"))
    assert [p["url"] for p in pages] == [PLAIN] and PLAIN in uris
    assert not any("twitter" in u or site.ARTICLE_WIRE.url == u for u in uris), uris
    _checked(out)
