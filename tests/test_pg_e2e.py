"""One archive run twice against the impersonating web: with the archive's own SQLite index, and with
`--index postgresql://…` (a throwaway PostgreSQL). Every reading command answers the same.

What legitimately differs between two runs is taken out before comparing: the moments (captured,
checked, first seen, started, finished), the time stamps in file names, the WARC files' names (the
PostgreSQL run uses worker processes, whose files carry the worker's prefix), the record IDs (random
UUIDs), the captures' row numbers (workers commit in no fixed order) and the screenshots' digests
(two renderings of a page need not agree to the pixel; that there is one is kept), and when the
Wayback Machine was asked for a copy it did not have (that it was asked is kept).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.e2e import cli
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

ARTICLES = [site.ARTICLE_FLOOD.url, site.ARTICLE_PROTECTED.url, site.ARTICLE_REVIEW.url,
            f"https://news.example{site.WIRE_TEXT_PATH}"]
LATER = [site.ARTICLE_WITHHELD.url]  # a later run over worker processes
MOMENTS = {"captured_at", "checked_at", "started_at", "finished_at", "first_seen", "last_checked", "run_id", "id",
           "page_record_id"}
PRESENCE = {"warc", "screenshot_sha256", "wayback_no_copy_at"}  # compared by being there or not
STAMP = re.compile(r"\d{8}T\d{6}(?:\.\d{3})?Z(?:-\d+)?")


def _norm(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (bool(v) if k in PRESENCE else _norm(v)) for k, v in value.items() if k not in MOMENTS}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, str):
        return STAMP.sub("STAMP", value)
    return value


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any) -> Any:
    tmp = tmp_path_factory.mktemp("pg-e2e")
    url = postgres_server.database()
    with FakeWeb(tmp / "web") as web:
        seeds, later = tmp / "seeds", tmp / "later"
        for folder, urls in ((seeds, ARTICLES), (later, LATER)):
            folder.mkdir()
            (folder / "news.urls").write_text("\n".join(urls) + "\n")
        lite, pg = tmp / "lite", tmp / "pg"
        first = {
            "lite": cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=lite),
            "pg": cli(web, "run", "--seeds", str(seeds), "--format", "json", "--index", url, archive=pg),
        }
        # Then `archive` of an article already held, the index named by the environment this time.
        again = {
            "lite": cli(web, "archive", site.ARTICLE_REVIEW.url, "--format", "json", archive=lite),
            "pg": cli(web, "archive", site.ARTICLE_REVIEW.url, "--format", "json", archive=pg,
                      env={"ARCHIVER_INDEX": url}),
        }
        # A run over two worker processes: each opens the index the URL names.
        pool = {name: cli(web, "run", "--seeds", str(later), "--format", "json", "--concurrency", "2",
                          *(["--index", url] if name == "pg" else []), archive=tmp / name) for name in ("lite", "pg")}
        yield web, tmp, url, first, again, pool


def _both(runs: Any, *args: str) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    web, tmp, url, *_ = runs
    lite = cli(web, *args, archive=tmp / "lite")
    pg = cli(web, *args, "--index", url, archive=tmp / "pg")
    assert lite.returncode == 0, lite.stderr
    assert pg.returncode == 0, pg.stderr
    return lite, pg


def test_the_runs_give_the_same_summary(runs: Any) -> None:
    *_, first, again, pool = runs
    for done in (first, again, pool):
        assert done["lite"].returncode == 0, done["lite"].stderr
        assert done["pg"].returncode == 0, done["pg"].stderr
        lite, pg = (json.loads(done[k].stdout) for k in ("lite", "pg"))
        assert _norm(pg) == _norm(lite)
    assert json.loads(first["pg"].stdout)["posts_new"] >= 5
    assert json.loads(again["pg"].stdout)["posts_skipped_already_captured"] >= 2
    assert json.loads(pool["pg"].stdout)["posts_new"] >= 1


def test_the_postgresql_run_left_no_sqlite_index(runs: Any) -> None:
    _web, tmp, *_ = runs
    assert (tmp / "lite" / "archive.db").exists()
    assert not (tmp / "pg" / "archive.db").exists()
    assert list((tmp / "pg" / "warcs").glob("*.warc.gz"))


def test_lookup_answers_the_same(runs: Any) -> None:
    for args in ([], ["--handle", "@RivertonDesk"], ["--status", "deleted"], ["--text", "levee"],
                 ["--platform", "youtube"], ["--article", site.ARTICLE_REVIEW.url], ["--limit", "2", "--offset", "1"]):
        lite, pg = _both(runs, "lookup", "--format", "json", *args)
        assert _norm(json.loads(pg.stdout)) == _norm(json.loads(lite.stdout)), args
    lite, pg = _both(runs, "lookup", "--format", "json")
    assert len(json.loads(lite.stdout)) >= 5


def test_show_answers_the_same(runs: Any) -> None:
    lite, _ = _both(runs, "lookup", "--format", "json")
    for row in json.loads(lite.stdout):
        a, b = _both(runs, "show", row["key"], "--format", "json")
        assert _norm(json.loads(b.stdout)) == _norm(json.loads(a.stdout)), row["key"]
    a, b = _both(runs, "show", f"twitter:{site.TWEET_DELETED.id}")  # the table form too
    assert STAMP.sub("", b.stdout).count("\n") == STAMP.sub("", a.stdout).count("\n")


def _wacz(path: Path) -> tuple[set[tuple[str, str]], list[str]]:
    records: set[tuple[str, str]] = set()
    with zipfile.ZipFile(path) as z:
        pages = sorted(json.loads(x).get("url", "") for x in z.read("pages/pages.jsonl").decode().splitlines()[1:])
        for name in z.namelist():
            if name.startswith("archive/"):
                with z.open(name) as fh:
                    for rec in ArchiveIterator(fh):
                        uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                        # Chromium asks for a page's favicon when it gets round to it: in a capture or not.
                        if rec.rec_type in ("response", "resource") and not uri.endswith("/favicon.ico"):
                            records.add((rec.rec_type, uri))
    return records, pages


def test_export_gives_a_valid_wacz_of_the_same_records(runs: Any) -> None:
    """The PostgreSQL index selects the same records of the same WARC files as the SQLite index
    `reindex` rebuilds from them (two separate runs would not do: a page's late subresources may
    fall on either side of a capture's end), and the same pages as the other run."""
    web, tmp, url, *_ = runs
    out: dict[str, Path] = {}
    for name in ("lite", "pg", "rebuilt"):
        out[name] = tmp / f"{name}-out" / "desk.wacz"
        out[name].parent.mkdir()
    rebuilt = tmp / "pg-rebuilt"
    shutil.copytree(tmp / "pg", rebuilt)
    r = cli(web, "reindex", "--force", archive=rebuilt)  # forced: the folder says its index is in PostgreSQL
    assert r.returncode == 0, r.stderr
    assert not (rebuilt / "index-url.txt").exists()  # indexed in its own archive.db from now on
    runs_ = [cli(web, "export", "--handle", "RivertonDesk", "-o", str(out["pg"]), "--index", url, archive=tmp / "pg"),
             cli(web, "export", "--handle", "RivertonDesk", "-o", str(out["rebuilt"]), archive=rebuilt),
             cli(web, "export", "--handle", "RivertonDesk", "-o", str(out["lite"]), archive=tmp / "lite")]
    assert all(x.returncode == 0 for x in runs_), "".join(x.stderr for x in runs_)
    v = subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(out["pg"])],
                       capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stdout + v.stderr
    records, pages = _wacz(out["pg"])
    assert records and pages
    rebuilt_records, rebuilt_pages = _wacz(out["rebuilt"])
    assert pages == rebuilt_pages == _wacz(out["lite"])[1]
    assert records == rebuilt_records, (f"only in PostgreSQL's: {sorted(records - rebuilt_records)}; "
                                        f"only in SQLite's: {sorted(rebuilt_records - records)}")


def test_report_draws_the_same_cards(runs: Any) -> None:
    web, tmp, url, *_ = runs
    html = {}
    for name, extra in (("lite", []), ("pg", ["--index", url])):
        out = tmp / f"{name}-report" / "report.html"
        out.parent.mkdir()
        r = cli(web, "report", "-o", str(out), *extra, archive=tmp / name)
        assert r.returncode == 0, r.stderr
        html[name] = out.read_text()
    cards = re.compile(r'href="(https://(?:x\.com|twitter\.com|www\.youtube\.com)/[^"]+)"')
    assert cards.findall(html["pg"]) and sorted(cards.findall(html["pg"])) == sorted(cards.findall(html["lite"]))


def test_verify_checks_the_folder_against_the_postgresql_index(runs: Any) -> None:
    web, tmp, url, *_ = runs
    lite, pg = _both(runs, "verify")
    assert "is intact" in pg.stderr and pg.stdout == ""
    # A screenshot gone from a copy of the folder: named against the same index.
    damaged = tmp / "pg-damaged"
    shutil.copytree(tmp / "pg", damaged)
    rows = json.loads(cli(web, "lookup", "--format", "json", "--index", url, archive=damaged).stdout)
    shot = damaged / next(c["screenshot"] for row in rows for c in row["captures"] if c["screenshot"])
    shot.unlink()
    r = cli(web, "verify", "--index", url, archive=damaged)
    assert r.returncode == 1, r.stderr
    assert shot.name in r.stdout and "1 problem" in r.stderr


def test_the_folder_names_its_postgresql_index_and_is_not_used_without_it(runs: Any) -> None:
    """A run with --index notes the index in the archive folder (no password); a command given the
    folder without --index is told where its index is, exit 2, and makes no second index; a copy of
    the index into the folder's own archive.db makes it a SQLite archive again."""
    from archiver.index.postgres.url import redact
    from archiver.layout import DB_NAME, INDEX_NOTE

    web, tmp, url, *_ = runs
    pg = tmp / "pg"
    assert (pg / INDEX_NOTE).read_text().splitlines()[-1] == redact(url)
    warcs = sorted(p.name for p in (pg / "warcs").iterdir())
    for args in (("run", "--seeds", str(tmp / "seeds")), ("archive", f"https://news.example{site.ARTICLE_FLOOD.path}"),
                 ("lookup",), ("show", f"twitter:{site.TWEET_PHOTO.id}"), ("verify",), ("reindex",), ("report", "-o",
                 str(tmp / "r.html"))):
        r = cli(web, *args, archive=pg, env={"ARCHIVER_INDEX": ""})
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.strip().startswith(
            f"archiver: {pg} is indexed in PostgreSQL at {redact(url)} (its {INDEX_NOTE} says so): pass --index "
            f"{redact(url)} (or set ARCHIVER_INDEX); to index it in its own archive.db again, `archiver index copy "
            f"--from {redact(url)} --to {pg}`"), args
        assert len(r.stderr.strip().splitlines()) == 1
    # Nor is it written into another PostgreSQL index (the same one spelt postgres:// is the same).
    other = url.rsplit("/", 1)[0] + "/another_database"
    for args in (("run", "--seeds", str(tmp / "seeds")), ("archive", f"https://news.example{site.ARTICLE_FLOOD.path}")):
        r = cli(web, *args, "--index", other, archive=pg)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.strip() == (
            f"archiver: {pg} is indexed in PostgreSQL at {redact(url)} (its {INDEX_NOTE} says so), not at "
            f"{redact(other)}: give --index {redact(url)}; once its index is moved there (`archiver index copy "
            f"--from {redact(url)} --to {redact(other)}`), delete {pg / INDEX_NOTE}"), args
    assert (pg / INDEX_NOTE).read_text().splitlines()[-1] == redact(url)
    respelt = cli(web, "lookup", "--format", "json", "--index", url.replace("postgresql://", "postgres://", 1), archive=pg)
    assert respelt.returncode == 0, respelt.stderr
    from_folder = cli(web, "index", "copy", "--from", str(pg), "--to", str(tmp / "pg-elsewhere"))
    assert from_folder.returncode == 2 and f"copy from that index: --from {redact(url)};" in from_folder.stderr
    assert not (tmp / "pg-elsewhere").exists()
    assert not (pg / DB_NAME).exists() and sorted(p.name for p in (pg / "warcs").iterdir()) == warcs
    # The index lost, its WARC files are the index: a forced reindex builds an archive.db (see the
    # export test) and the folder is indexed there from then on.
    back = tmp / "pg-back"
    shutil.copytree(pg, back)
    copied = cli(web, "index", "copy", "--from", url, "--to", str(back))
    assert copied.returncode == 0, copied.stderr
    assert not (back / INDEX_NOTE).exists()
    lite = cli(web, "lookup", "--format", "json", archive=back)
    assert lite.returncode == 0 and json.loads(lite.stdout), lite.stderr


def test_postgresql_stopped_mid_run_is_named_and_the_next_run_completes(tmp_path: Path, postgres_server: Any) -> None:
    from tests.e2e import ROOT, lookup

    url = postgres_server.database()
    with FakeWeb(tmp_path / "web") as web:
        slow = web.drip("/2024/slow-pg.html", 1_000_000, 100_000)
        seeds = tmp_path / "seeds"
        seeds.mkdir()
        (seeds / "news.urls").write_text(f"{site.ARTICLE_FLOOD.url}\n{slow}\n")
        archive = tmp_path / "archive"
        args = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir", str(archive),
                "--index", url, "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
        p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120  # a generous bound for the run to be reading the slow page
            while sum(web.streamed("/2024/slow-pg.html")) < 100_000:
                assert time.monotonic() < deadline and p.poll() is None, "the run never read the slow page"
                time.sleep(0.05)
            postgres_server.stop()
            _out, err = p.communicate(timeout=300)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            if postgres_server.proc is None:
                postgres_server.start()
        assert p.returncode == 1, err
        assert "cannot use the PostgreSQL index at 127.0.0.1:" in err and "Traceback" not in err
        web.drip("/2024/slow-pg.html", 200_000, 10_000_000)  # the next run gets it quickly
        again = cli(web, "run", "--seeds", str(seeds), "--format", "json", "--index", url, archive=archive)
        assert again.returncode == 0, again.stderr
        v = cli(web, "verify", "--index", url, archive=archive)
        assert v.returncode == 0, v.stdout + v.stderr
        # The flood story's posts, each captured once across the two runs (the deleted one with its
        # Wayback copy too); the stopped run's row is closed.
        rows = lookup(web, archive, "--index", url)
        assert {row["key"]: sorted(c["source"] for c in row["captures"]) for row in rows} == {
            f"twitter:{site.TWEET_PHOTO.id}": ["live"],
            f"twitter:{site.TWEET_VIDEO.id}": ["live"],
            f"twitter:{site.TWEET_DELETED.id}": ["live", "wayback"],
            f"youtube:{site.YOUTUBE.id}": ["live"],
        }
