"""A damaged archive.db, or none beside the WARCs: every command names the damage in one line.

The archive is written by the real index and WARC writer (no browser needed): posts, citations,
a capture with its records, observations. archive.db is then damaged in several ways.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import DB_NAME, WARC_DIR
from archiver.models import Post
from archiver.warcstore import WarcStore
from tests.e2e import ROOT
from tests.synthetic import add_captured_tweet

PAGE = 4096


def _cli(*args: str, archive: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args, "--archive-dir", str(archive)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _build(archive: Path) -> None:
    """An archive with enough rows to span many database pages."""
    archive.mkdir(parents=True)
    with Index(archive) as index, WarcStore(archive / WARC_DIR, max_size=40_000) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article("https://news.example/2024/river.html", source="river.html")
        for n in range(60):
            post = Post(platform="twitter", kind="embedded", source="river.html", evidence="blockquote",
                        post_id=f"17646400000000{n:05d}", handle="RivertonDesk", posted_at="2024-03-04T12:00:00Z",
                        text=f"The river is up again, gauge {n} " + "é" * 200)
            add_captured_tweet(index, store, article, post, b"<html>tweet</html>" * 20, reason="OK",
                               request_headers=[("Accept", "*/*")])
    for side in ("-wal", "-shm"):
        assert not (archive / f"{DB_NAME}{side}").exists()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("damaged") / "archive"
    _build(archive)
    assert (archive / DB_NAME).stat().st_size > 20 * PAGE
    return archive


def _copy(pristine: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(pristine, dest)
    return dest


def _flip_pages(path: Path, *, keep_first: bool) -> None:
    data = bytearray(path.read_bytes())
    start = PAGE if keep_first else 0
    for i in range(start, len(data)):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _garbage(path: Path) -> None:
    rng = random.Random(7)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(path.stat().st_size)))


DAMAGE = {
    "every-page-flipped": lambda p: _flip_pages(p, keep_first=False),
    "pages-after-the-header-flipped": lambda p: _flip_pages(p, keep_first=True),
    "random-garbage": _garbage,
    "cut-to-one-byte": lambda p: p.write_bytes(p.read_bytes()[:1]),  # an interrupted copy
}

COMMANDS = [
    ("lookup", "--format", "json"),
    ("show", "twitter:1764640000000000001"),
    ("export", "-o", "OUT/out.wacz"),
    ("verify",),
    ("report", "-o", "OUT/report.html"),
    ("archive", "SRC"),
    ("run", "--seeds", "SRC"),
]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_every_command_names_a_damaged_index(pristine: Path, tmp_path: Path, damage: str) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    DAMAGE[damage](archive / DB_NAME)
    source = tmp_path / "article.html"
    source.write_text("<html><body><p>No posts here.</p></body></html>")
    (tmp_path / "out").mkdir()
    for command in COMMANDS:
        args = [a.replace("OUT", str(tmp_path / "out")).replace("SRC", str(source)) for a in command]
        r = _cli(*args, archive=archive)
        # verify names the damage among its problems (exit 1) and still reads the WARCs through
        checking = command[0] == "verify"
        lines = (r.stderr + (r.stdout if checking else "")).strip().splitlines()
        assert r.returncode == (1 if checking else 2), (command, r.stderr)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (command, r.stderr)
        assert "UnicodeDecodeError" not in r.stderr
        named = [line for line in lines if "archive.db is damaged: " in line]
        assert named, (command, r.stderr)
        # what to do, and never "run `archiver verify`", which reads the same index
        assert "archiver reindex" in named[0] and "backup" in named[0] and "archiver verify" not in named[0]
    assert not (tmp_path / "out" / "out.wacz").exists()


def test_reindex_rebuilds_a_damaged_index_without_force(pristine: Path, tmp_path: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    expected = _cli("lookup", "--format", "json", archive=archive)
    _garbage(archive / DB_NAME)
    r = _cli("reindex", archive=archive)
    assert r.returncode == 0, r.stderr
    again = _cli("lookup", "--format", "json", archive=archive)
    assert again.returncode == 0, again.stderr
    assert again.stdout == expected.stdout and again.stdout.count('"key"') == 60


@pytest.mark.parametrize("how", ["missing", "zero-bytes"])
def test_verify_calls_warcs_without_an_index_unindexed(pristine: Path, tmp_path: Path, how: str) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    if how == "missing":
        (archive / DB_NAME).unlink()
    else:
        (archive / DB_NAME).write_bytes(b"")
    r = _cli("verify", archive=archive)
    assert r.returncode == 1, r.stderr
    assert "intact" not in r.stderr and "Traceback" not in r.stderr
    unindexed = [line for line in r.stdout.splitlines() if line.startswith("unindexed\t")]
    assert unindexed and all("archiver reindex" in line for line in unindexed)
    assert any(line.split("\t")[1].startswith(WARC_DIR + "/") for line in unindexed)
    # verify left the file as it found it (no schema written into the empty file)
    assert not (archive / DB_NAME).exists() if how == "missing" else (archive / DB_NAME).stat().st_size == 0
    r = _cli("reindex", archive=archive)
    assert r.returncode == 0, r.stderr
    v = _cli("verify", archive=archive)
    assert v.returncode == 0, v.stdout + v.stderr
    assert "intact" in v.stderr


def test_a_healthy_index_beside_a_foreign_warc_notes_it_unindexed(pristine: Path, tmp_path: Path) -> None:
    # Beside a usable index, records it does not list are what a killed run (or a copied-in file)
    # leaves: named as a note, not an error, since everything the index holds is intact.
    archive = _copy(pristine, tmp_path / "archive")
    with WarcStore(archive / WARC_DIR, prefix="stray") as store:
        store.write_resource("https://news.example/stray.txt", "text/plain", b"not indexed")
    r = _cli("verify", archive=archive)
    assert r.returncode == 0, r.stderr
    (line,) = [line for line in r.stderr.splitlines() if "not in the index" in line]
    assert "stray-" in line and "1 records" in line and "archiver reindex --force" in line
    assert os.path.exists(archive / DB_NAME)
    # and what the note says to run does take them in
    taken = _cli("reindex", "--force", archive=archive)
    # (exit 1: the stray file carries records but no journal of posts to rebuild, and says so)
    assert taken.returncode == 1 and "stray-" in taken.stderr and "their records are indexed" in taken.stderr
    again = _cli("verify", archive=archive)
    assert again.returncode == 0 and "not in the index" not in again.stderr, again.stderr


def _export(archive: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _cli("export", "--handle", "RivertonDesk", "-o", str(out), *extra, archive=archive)


def test_export_names_a_missing_warc_file_and_exports_the_rest(pristine: Path, tmp_path: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    files = sorted((archive / WARC_DIR).glob("*.warc.gz"))
    assert len(files) >= 3
    files[1].unlink()
    out = tmp_path / "out.warc.gz"
    r = _export(archive, out)
    assert r.returncode == 1, r.stderr
    (line,) = [x for x in r.stderr.splitlines() if "WARC file is missing" in x]
    assert f"{WARC_DIR}/{files[1].name}" in line
    assert out.exists() and "Traceback" not in r.stderr


def test_export_refuses_a_damaged_record_unless_allowed(pristine: Path, tmp_path: Path) -> None:
    import sqlite3

    archive = _copy(pristine, tmp_path / "archive")
    conn = sqlite3.connect(archive / DB_NAME)
    record_id, filename, offset, length = conn.execute(
        "SELECT record_id, filename, \"offset\", length FROM records WHERE warc_type = 'response' "
        "ORDER BY filename, \"offset\" LIMIT 1 OFFSET 5").fetchone()
    conn.close()
    path = archive / WARC_DIR / filename
    data = bytearray(path.read_bytes())
    # the gzip member's CRC-32 (8 bytes from its end) no longer matches what it holds
    data[offset + length - 8] ^= 0xFF
    path.write_bytes(bytes(data))
    out = tmp_path / "out.wacz"
    r = _export(archive, out)
    assert r.returncode == 1, r.stderr
    assert record_id in r.stderr and "--allow-damaged" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".out.wacz*"))
    r = _export(archive, out, "--allow-damaged")
    assert r.returncode == 1, r.stderr
    (line,) = [x for x in r.stderr.splitlines() if "left out" in x and record_id in x]
    assert filename in line
    assert out.exists()


@pytest.mark.parametrize("how", ["missing", "zero-bytes"])
def test_lookup_without_an_index_beside_warcs_suggests_reindex(pristine: Path, tmp_path: Path, how: str) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    if how == "missing":
        (archive / DB_NAME).unlink()
    else:
        (archive / DB_NAME).write_bytes(b"")
    r = _cli("lookup", "--format", "json", archive=archive)
    assert r.returncode == 2 and r.stdout == ""
    assert "archiver reindex" in r.stderr and "Traceback" not in r.stderr
    assert (archive / DB_NAME).exists() == (how == "zero-bytes")
    if how == "zero-bytes":
        assert (archive / DB_NAME).stat().st_size == 0  # left as found: no schema written into it


def test_verify_names_an_index_whose_rows_its_own_indexes_disagree_with(pristine: Path, tmp_path: Path) -> None:
    """A row's bytes changed under an index that still holds the old values (a flipped byte in the
    file): SQLite's quick check passes it, the index answers one way and the row another."""
    import sqlite3

    archive = _copy(pristine, tmp_path / "a")
    db = archive / DB_NAME
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA writable_schema = ON")  # nothing else: the change below bypasses the index
        pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'records' AND pagetype = 'leaf'")]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    data = bytearray(db.read_bytes())
    at = next(i for page in pages if (i := data.find(b".warc.gz", (page - 1) * size, page * size)) >= 0)
    data[at + 7] = ord("Z")  # `.warc.gZ` in the row; the filename index still says `.warc.gz`
    db.write_bytes(bytes(data))
    r = _cli("verify", archive=archive)
    assert r.returncode == 1 and any(line.startswith("index\t") for line in r.stdout.splitlines()), r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_a_garbled_digest_name_is_no_algorithm_not_a_crash() -> None:
    from archiver.verify import digest_hasher

    # A row cut short by an interrupted copy holds NULs; hashlib raises TypeError for such a name.
    assert digest_hasher("sha1\x00:X") is None and digest_hasher("\ud800:X") is None
    assert digest_hasher("sha1:ABC") is not None


def _overwrite(db: Path, at: int, length: int) -> None:
    with db.open("r+b") as f:
        f.seek(at)
        f.write(b"A" * length)


def test_a_damaged_articles_page_is_named_not_read_as_no_article(pristine: Path, tmp_path: Path) -> None:
    """Page 2 (the articles table's root) overwritten: SQLite reads an article by its row id there
    as "no such row", so a post's citing article vanished from an export, a report and `show`,
    all exiting 0. Each now names the damage (exit 2), and no bundle is written."""
    archive = _copy(pristine, tmp_path / "archive")
    import sqlite3

    conn = sqlite3.connect(archive / DB_NAME)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'articles'").fetchone()[0]
    conn.close()
    assert root == 2
    _overwrite(archive / DB_NAME, 5000, 4000)  # as found: 904 bytes into page 2, on into page 3
    out = tmp_path / "out"
    out.mkdir()
    for command in (("export", "-o", str(out / "all.wacz")),
                    ("export", "--handle", "RivertonDesk", "-o", str(out / "one.wacz")),
                    ("report", "-o", str(out / "report.html")),
                    ("show", "twitter:1764640000000000001"),
                    ("lookup", "--format", "json")):
        r = _cli(*command, archive=archive)
        assert r.returncode == 2, (command, r.returncode, r.stderr[-500:])
        (line,) = [x for x in r.stderr.splitlines() if "archive.db is damaged: " in x]
        assert "archiver reindex" in line and "Traceback" not in r.stderr, (command, r.stderr)
        assert "no article" not in r.stdout
    assert list(out.iterdir()) == []


def test_export_checks_every_page_first(pristine: Path, tmp_path: Path) -> None:
    """A leaf page of the records table overwritten: an export reads its rows by id, and would leave
    out the records it held. The export's quick check of every page refuses it first (exit 2,
    nothing written), naming the page. (`lookup` reads no record's row, only the records' partial
    index by post and capture to check each post's captures: what it lists is whole.)"""
    import json
    import sqlite3

    archive = _copy(pristine, tmp_path / "archive")
    conn = sqlite3.connect(archive / DB_NAME)
    page = conn.execute("SELECT min(pageno) FROM dbstat WHERE name = 'records' AND pagetype = 'leaf'").fetchone()[0]
    conn.close()
    _overwrite(archive / DB_NAME, (page - 1) * PAGE + 100, PAGE - 200)
    r = _cli("lookup", "--format", "json", archive=archive)
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 60, r.stderr
    out = tmp_path / "out.wacz"
    r = _export(archive, out)
    assert r.returncode == 2, r.stderr
    (line,) = [x for x in r.stderr.splitlines() if "archive.db is damaged: the database's own check fails" in x]
    assert f"page {page}" in line and "archiver reindex" in line
    assert not out.exists() and not list(tmp_path.glob(".out.wacz*"))


_SELECTIONS = {"handle": {"handle": "RivertonDesk"}, "date": {"date": "2024-03-04"}, "since": {"since": "2024-01-01"},
               "article": {"article": "https://news.example/2024/river.html"}, "text": {"text": "river gauge"},
               "status": {"status": "live"}, "platform": {"platform": "twitter"},
               "captured since": {"captured_since": "2020-01-01"}}


@pytest.mark.parametrize("selection", sorted(_SELECTIONS))
def test_a_selection_s_export_and_report_check_the_tables_they_read(pristine: Path, tmp_path: Path,
                                                                    selection: str) -> None:
    """An export or a report of a selection checks the pages of the tables it reads (SQLite says
    which, through its authorizer), each with its indexes, not the whole file; the whole archive's
    checks the whole file."""
    import sqlite3

    from archiver.bundle import export_selection
    from archiver.index.filters import Filters
    from archiver.report import report_from_index

    for filters in (Filters(**_SELECTIONS[selection]), Filters()):
        for command in ("export", "report"):
            read: set[str] = set()
            checks: list[str] = []

            def authorize(action: int, table: str | None, *_rest: object, read: set[str] = read) -> int:
                if action == sqlite3.SQLITE_READ and table:
                    read.add(table)
                return sqlite3.SQLITE_OK

            with Index(pristine, create=False) as index:
                conn = index.db.conn
                shadows = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                                                      "LIKE 'posts^_fts^_%' ESCAPE '^'")]
                conn.set_authorizer(authorize)
                conn.set_trace_callback(lambda sql, checks=checks: checks.append(sql)
                                        if sql.startswith("PRAGMA quick_check") else None)
                if command == "export":
                    export_selection(index, pristine, filters, tmp_path / f"{selection}.wacz")
                else:
                    report_from_index(index, filters, pristine)
            if filters.selects_all:
                assert checks == ["PRAGMA quick_check(10)"], (command, checks)
                continue
            checked = {c.removeprefix('PRAGMA quick_check("').removesuffix('")') for c in checks}
            assert "PRAGMA quick_check(10)" not in checks and len(checked) == len(checks), (command, checks)
            # posts_fts is read through the tables that hold it; sqlite_master is read at every open
            read = {t for t in read if t != "sqlite_master"}
            if "posts_fts" in read:
                assert set(shadows) <= checked, (command, checks)
                read -= {"posts_fts", *shadows}
            assert read and read <= checked, (command, sorted(read - checked))
            assert ("records" in checked) == (command == "export"), (command, checks)


def test_damage_in_a_table_a_selection_does_not_read_stops_only_what_reads_it(pristine: Path,
                                                                              tmp_path: Path) -> None:
    """A leaf page of the full-text index overwritten: an export of one handle's posts reads none of
    it and goes ahead; the whole archive's export, and a selection by words, refuse (exit 2). A
    leaf of the records table overwritten: the export of the handle refuses, its report (which
    reads no record) goes ahead."""
    import sqlite3

    archive = _copy(pristine, tmp_path / "archive")
    conn = sqlite3.connect(archive / DB_NAME)
    fts, records = (conn.execute("SELECT min(pageno) FROM dbstat WHERE name = ? AND pagetype = 'leaf'",
                                 [name]).fetchone()[0] for name in ("posts_fts_data", "records"))
    conn.close()
    _overwrite(archive / DB_NAME, (fts - 1) * PAGE + 100, PAGE - 200)
    out = tmp_path / "out"
    out.mkdir()
    one = _cli("export", "--handle", "RivertonDesk", "-o", str(out / "one.wacz"), archive=archive)
    assert one.returncode == 0 and (out / "one.wacz").is_file(), one.stderr[-500:]
    for command in (("export", "-o", str(out / "all.wacz")),
                    ("export", "--text", "gauge", "-o", str(out / "words.wacz"))):
        r = _cli(*command, archive=archive)
        assert r.returncode == 2 and f"page {fts}" in r.stderr, (command, r.stderr[-500:])
    assert sorted(p.name for p in out.iterdir()) == ["one.wacz"]

    archive = _copy(pristine, tmp_path / "second")
    _overwrite(archive / DB_NAME, (records - 1) * PAGE + 100, PAGE - 200)
    r = _cli("export", "--handle", "RivertonDesk", "-o", str(out / "two.wacz"), archive=archive)
    assert r.returncode == 2 and f"page {records}" in r.stderr, r.stderr[-500:]
    r = _cli("report", "--handle", "RivertonDesk", "-o", str(out / "report.html"), archive=archive)
    assert r.returncode == 0 and (out / "report.html").is_file(), r.stderr[-500:]


@pytest.mark.parametrize("table", ["captures", "observations"])
def test_show_and_lookup_name_a_damaged_page_of_a_post_s_captures_or_checks(pristine: Path, tmp_path: Path,
                                                                           table: str) -> None:
    """The leaf page of the index `show` and `lookup` find a post's captures (or checks) through
    overwritten: SQLite reads the post's rows there as none, and the post showed no captures (or
    no history, no reason) with exit 0. Both now check what they read against what the index
    holds by other paths (the capture a post's WARC records name; the check at its `last_checked`),
    and on a contradiction name the damaged page in one line (exit 2, as every command reading a
    damaged index), saying what to do."""
    import json
    import sqlite3

    key = "twitter:1764640000000000015"
    healthy = json.loads(_cli("show", key, "--format", "json", archive=pristine).stdout)
    assert healthy["captures"] and healthy["history"]
    archive = _copy(pristine, tmp_path / "archive")
    conn = sqlite3.connect(archive / DB_NAME)
    (page,) = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'",
                                          [f"{table}_post"])]
    conn.close()
    _overwrite(archive / DB_NAME, (page - 1) * PAGE + 100, PAGE - 200)
    for command in (("show", key), ("show", key, "--format", "json"), ("lookup", "--format", "json"),
                    ("lookup", "--handle", "RivertonDesk")):
        r = _cli(*command, archive=archive)
        assert r.returncode == 2, (command, r.returncode, r.stdout[-300:], r.stderr[-300:])
        (line,) = r.stderr.splitlines()
        assert "archive.db is damaged: the database's own check fails" in line and f"page {page}" in line, line
        assert "archiver reindex" in line and "Traceback" not in r.stderr
        assert r.stdout == ""
    # Nothing held is read: nothing to check, nothing said of damage.
    r = _cli("lookup", "--handle", "nobody", archive=archive)
    assert r.returncode == 0 and "damaged" not in r.stderr, r.stderr


def test_a_history_without_its_latest_check_on_sound_pages_is_said_not_taken_for_damage(pristine: Path,
                                                                                        tmp_path: Path) -> None:
    """A post whose `last_checked` names a check its history does not hold, every page sound (an
    index rebuilt from a journal that lost that check's entry can hold it): `lookup` and `show`
    say so in a warning and show what is held (exit 0), rather than send the user to a reindex
    that would rebuild the same."""
    import json
    import sqlite3

    key = "twitter:1764640000000000015"
    archive = _copy(pristine, tmp_path / "archive")
    conn = sqlite3.connect(archive / DB_NAME)
    with conn:
        conn.execute("DELETE FROM observations WHERE post = (SELECT id FROM posts WHERE key = ?)", [key])
    conn.close()
    r = _cli("show", key, "--format", "json", archive=archive)
    assert r.returncode == 0 and json.loads(r.stdout)["history"] == [], r.stderr
    assert f"post {key} was last checked at" in r.stderr and "finds no damage" in r.stderr, r.stderr
    r = _cli("lookup", "--handle", "RivertonDesk", "--format", "json", archive=archive)
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 60, r.stderr
    assert "damaged" not in r.stderr and "last checked at" in r.stderr, r.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_capture_committed_between_lookup_s_reads_is_not_taken_for_damage(tmp_path: Path, backend: str,
                                                                            request: pytest.FixtureRequest,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`lookup` and `show` read a post's captures in one statement and the capture its first record
    names in a later one. A run committing a capture and its records between the two (another
    process: lookups take no lock) made the records name a capture the first read did not see:
    "post ... reads as without its capture N, which the index holds", exit 2, on a sound index.
    All of their reads now see one snapshot. The interleaving is forced: right after the captures
    are read, a second connection to the same index commits a capture with its records for a post
    that had none (and, the reader holding no write lock, that commit goes through)."""
    from archiver.index import open_index
    from archiver.index.filters import Filters
    from archiver.index.rows import Capture
    from archiver.index.sql import query
    from archiver.warcstore import Exchange
    from tests.index_backends import postgres_database

    archive = tmp_path / "archive"
    archive.mkdir()
    url = postgres_database(request) if backend == "postgresql" else None
    post = Post(platform="twitter", kind="embedded", source="river.html", evidence="blockquote",
                post_id="1764640000000000001", handle="RivertonDesk", posted_at="2024-03-04T12:00:00Z",
                text="The river is up again")
    with open_index(archive, url=url) as index:
        article = index.upsert_article("https://news.example/2024/river.html", source="river.html")
        key = index.upsert_post(post)
        index.cite(article, key, "embedded", "blockquote")
        index.observe(key, "live")

    def capture_now() -> None:
        with open_index(archive, url=url) as writer, WarcStore(archive / WARC_DIR) as store:
            ex = Exchange(url=f"https://platform.twitter.com/embed/Tweet.html?id={post.post_id}", method="GET",
                          status=200, reason="OK", request_headers=[], response_headers=[("Content-Type", "text/html")],
                          body=b"<html>tweet</html>")
            req, resp = store.write_exchange(ex)
            with writer.transaction():
                cid = writer.add_capture(Capture(post_key=key, article_id=None, source="live", url=ex.url, status="live",
                                                 screenshot=None, screenshot_sha256=None, error=None,
                                                 warc=resp.filename, page_record_id=resp.record_id))
                writer.add_records(cid, [req, resp], post_key=key)

    grouped = query._grouped
    written: list[str] = []

    def grouped_then_a_run_commits(index: object, sql: str, keys: list[str]) -> dict[str, list[dict[str, object]]]:
        found = grouped(index, sql, keys)  # type: ignore[arg-type]
        if "FROM captures c" in sql and not written:
            capture_now()
            written.append(sql)
        return found

    monkeypatch.setattr(query, "_grouped", grouped_then_a_run_commits)
    with open_index(archive, url=url) as index:
        (row,) = index.lookup(Filters(), check_captures=True)
        assert written and row.key == key and row.captures == []  # what the index held when the lookup began
        assert [c.source for c in index.lookup(Filters(), check_captures=True)[0].captures] == ["live"]
        written.clear()
        index.db.execute("DELETE FROM records")  # type: ignore[attr-defined]
        index.db.execute("DELETE FROM captures")  # type: ignore[attr-defined]
        detail = index.show(key)
        assert written and detail is not None and detail.captures == []


def test_a_history_without_its_latest_check_is_looked_for_by_lookup_and_show_only(
        pristine: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The check of a post's history against its `last_checked` ran in every read of posts: each
    page of `verify`'s journal check (1,000 posts at a time), each `lookup` of an export or a
    report, quick-checked the observations table and warned again (100 warnings, 2.5 times the
    time, on 100,000 posts with one gap in 1,000). It now runs for `lookup` and `show` (what asks
    `check_captures`), and its quick check at most once a process."""
    import logging
    import sqlite3

    from archiver.index.filters import Filters

    archive = _copy(pristine, tmp_path / "archive")
    conn = sqlite3.connect(archive / DB_NAME)
    with conn:
        for n in (3, 40):
            conn.execute("DELETE FROM observations WHERE post = (SELECT id FROM posts WHERE key = ?)",
                         [f"twitter:17646400000000{n:05d}"])
    conn.close()
    with Index(archive) as index:
        checks: list[object] = []
        quick_check = index.quick_check

        def counted(tables: object = None) -> list[str]:
            checks.append(tables)
            return quick_check(tables)  # type: ignore[arg-type]

        index.quick_check = counted  # type: ignore[method-assign]
        with caplog.at_level(logging.WARNING):
            after = None
            while page := index.posts_after(after, 7):  # as verify reads them
                after = page[-1].key
            assert len(index.lookup(Filters())) == 60  # as an export or a report reads them
            assert checks == [] and "last checked" not in caplog.text
            for _ in range(3):
                assert len(index.lookup(Filters(), check_captures=True)) == 60
                assert index.show("twitter:1764640000000000003") is not None
        assert checks == [("observations",)], checks
        assert caplog.text.count("was last checked at") == 6, caplog.text


def test_the_capture_probe_reads_the_records_partial_index_alone(pristine: Path, tmp_path: Path) -> None:
    """The probe of each post's records that `lookup` and `show` make to check its captures read a
    record's row a post (the first of its records naming a capture, through the index by post):
    on an unbounded lookup, a random page read a post with a cold cache. Schema version 11 adds a
    partial index of the records naming a capture, by post and capture, that answers it alone."""
    from archiver.index.sql.query import CAPTURE_PROBE

    archive = _copy(pristine, tmp_path / "archive")
    with Index(archive) as index:
        plan = [row[3] for row in index.db.execute("EXPLAIN QUERY PLAN " + CAPTURE_PROBE.format(marks="?, ?"),
                                                  [1, 2]).fetchall()]
        assert any("COVERING INDEX records_post_capture" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan
        named = {row["id"]: row["named"] for row in index.db.query(CAPTURE_PROBE.format(marks="?, ?"), [1, 2])}
        held = {row["post"]: row["id"] for row in index.db.query(
            "SELECT post, min(id) AS id FROM captures WHERE post IN (1, 2) GROUP BY post")}
        assert named == held and len(named) == 2
