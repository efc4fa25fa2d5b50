"""File modes: the archive's files are 0640 and its folders 0750 whatever the umask; exports and
reports follow the user's umask (0666 & ~umask) like any file they ask for.

Each test sets a known umask and puts the old one back.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.export import export_bundle
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import DB_NAME, WARC_DIR
from archiver.lock import LOCK_NAME, ArchiveLock
from archiver.models import Post
from archiver.modes import DIR_MODE, FILE_MODE, current_umask, make_dirs, user_file_mode, write_file
from archiver.warcstore import OPEN_SUFFIX, Exchange, WarcStore
from tests.e2e import ROOT
from tests.export_fixtures import build_archive

UMASKS = [0o022, 0o002, 0o077]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=UMASKS, ids=[f"umask{m:03o}" for m in UMASKS])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def test_current_umask_reads_the_process_umask(umask: int) -> None:
    assert current_umask() == umask
    assert user_file_mode() == 0o666 & ~umask


def test_folders_and_files(umask: int, tmp_path: Path) -> None:
    existing = tmp_path / "mine"
    existing.mkdir(mode=0o700)
    deep = make_dirs(existing / "a" / "b")
    assert mode(existing) == 0o700  # a folder that was there is left alone
    assert mode(existing / "a") == mode(deep) == DIR_MODE
    shot = write_file(tmp_path / "mine" / "c" / "shot.png", b"png")
    assert mode(shot) == FILE_MODE and mode(shot.parent) == DIR_MODE and shot.read_bytes() == b"png"


def test_index_and_its_wal_and_shm(umask: int, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    with Index(root) as index:
        index.upsert_post(Post(platform="twitter", kind="embedded", source="t", evidence="t", post_id="1"))
        files = [root / DB_NAME, root / f"{DB_NAME}-wal", root / f"{DB_NAME}-shm"]
        assert all(f.exists() for f in files), sorted(os.listdir(root))
        assert [mode(f) for f in files] == [FILE_MODE] * 3
    assert mode(root) == DIR_MODE


def test_lock_file(umask: int, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    with ArchiveLock(root):
        assert mode(root / LOCK_NAME) == FILE_MODE
    with ArchiveLock(root):  # taken again: the existing file is reused
        assert mode(root / LOCK_NAME) == FILE_MODE
    assert mode(root) == DIR_MODE


def test_warc_files(umask: int, tmp_path: Path) -> None:
    warcs = tmp_path / "archive" / WARC_DIR
    ex = Exchange(url="https://news.example/", method="GET", request_headers=[], status=200,
                  response_headers=[("Content-Type", "text/html")], body=b"<p>hi</p>", date=datetime.now(UTC))
    with WarcStore(warcs) as store:
        store.write_exchange(ex)
        (open_file,) = warcs.glob(f"*{OPEN_SUFFIX}")
        assert mode(open_file) == FILE_MODE
    (done,) = warcs.glob("*.warc.gz")
    assert mode(done) == FILE_MODE and mode(warcs) == mode(warcs.parent) == DIR_MODE


def _cli(*args: str, umask: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, umask=umask)


@pytest.mark.parametrize("umask", UMASKS, ids=[f"umask{m:03o}" for m in UMASKS])
def test_exports_and_reports_follow_the_umask(tmp_path: Path, umask: int) -> None:
    arc = build_archive(tmp_path / "archive")
    with Index(arc.root) as index:  # one post, so that the report has something to show
        index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="test", post_id="1"))
    for out in (tmp_path / "out.wacz", tmp_path / "out.warc.gz"):
        old = os.umask(umask)
        try:
            export_bundle(arc.root, arc.rows, [], out)
        finally:
            os.umask(old)
        assert mode(out) == 0o666 & ~umask, out.name
    # and through the CLI, a report
    report = tmp_path / "report.html"
    r = _cli("report", "--archive-dir", str(arc.root), "-o", str(report), umask=umask)
    assert r.returncode == 0, r.stderr
    assert mode(report) == 0o666 & ~umask


@pytest.mark.browser
def test_a_real_run_writes_nothing_world_readable(tmp_path: Path) -> None:
    """`archiver run` with Chromium against the fake web, under a lax umask (0002) that would give
    0664/0775 to anything created without an explicit mode."""
    from tests.fakeweb import FakeWeb, site

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(site.ARTICLE_FLOOD.url + "\n")
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        r = _cli("run", "--seeds", str(seeds), "--archive-dir", str(archive), "--map-host", web.map_host,
                 "--ca-bundle", str(web.ca_pem), "--format", "json", umask=0o002)
    assert r.returncode == 0, r.stderr
    seen: dict[str, set[int]] = {"dirs": set(), "files": set()}
    kinds = set()
    for dirpath, dirnames, filenames in os.walk(archive):
        here = Path(dirpath)
        seen["dirs"].add(mode(here))
        if here.name == ".browser":
            dirnames[:] = []  # Chromium's profiles: its own business, behind a 0750 folder
            # The home of the CA database for --ca-bundle is archiver's: its folders as every other
            # (Chromium, which runs with that home, makes its own in it).
            nss = [here / "nss-home", here / "nss-home" / ".pki", here / "nss-home" / ".pki" / "nssdb"]
            assert [mode(d) for d in nss] == [DIR_MODE] * 3
            # and the files archiver writes there (the CA, the stamp of what the database trusts)
            ours = [*nss[2].glob("ca-*.pem"), nss[2] / "archiver-ca.sha256"]
            assert len(ours) >= 2 and {mode(f) for f in ours} == {FILE_MODE}, [(f.name, oct(mode(f))) for f in ours]
            continue
        for name in filenames:
            f = here / name
            assert mode(f) == FILE_MODE, f"{f.relative_to(archive)} is {mode(f):o}"
            kinds.add(f.relative_to(archive).parts[0])
    assert seen["dirs"] == {DIR_MODE}
    # every kind of file the archive holds was checked
    assert {WARC_DIR, "screenshots", "media", DB_NAME, LOCK_NAME} <= kinds, kinds


def test_an_index_that_cannot_be_created_is_a_one_line_error(tmp_path: Path) -> None:
    from archiver.errors import IndexError_

    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(IndexError_, match="cannot create the index"):
        Index(tmp_path / "a-file" / "archive")
