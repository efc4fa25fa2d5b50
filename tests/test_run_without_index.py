"""`archive` and `run` refuse a folder holding WARC files but no usable archive.db (missing, or an
empty file), as `lookup` and `show` do: a new empty index there would hold nothing of what the
WARCs hold, every post would be captured again and judged against no earlier check, and a plain
`reindex` would then find a healthy index and refuse. Nothing is written; `reindex` rebuilds it.

Real Chromium against the local fake web for the archive the refusals are tried on.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import cli, lookup
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("noindex")
    with FakeWeb(tmp / "web") as web:
        archive = tmp / "archive"
        r = cli(web, "archive", site.ARTICLE_FLOOD.url, archive=archive)
        assert r.returncode == 0, r.stderr
        seeds = tmp / "seeds"
        seeds.mkdir()
        (seeds / "news.urls").write_text(site.ARTICLE_FLOOD.url + "\n")
        yield web, archive, seeds, lookup(web, archive), tmp


def _files(archive: Path) -> dict[str, int]:
    return {str(p.relative_to(archive)): p.stat().st_size for p in archive.rglob("*")
            if p.is_file() and not p.name.endswith(".lock")}


@pytest.mark.parametrize("how", ["missing", "empty"])
@pytest.mark.parametrize("command", ["archive", "run"])
def test_a_run_refuses_warcs_without_their_index(archived: Any, how: str, command: str) -> None:
    web, archive, seeds, before, tmp = archived
    copy = tmp / f"{command}-{how}"
    shutil.copytree(archive, copy)
    for name in ("archive.db", "archive.db-wal", "archive.db-shm"):
        (copy / name).unlink(missing_ok=True)
    if how == "empty":
        (copy / "archive.db").write_bytes(b"")
    held = _files(copy)
    args = [site.ARTICLE_FLOOD.url] if command == "archive" else ["--seeds", str(seeds)]
    r = cli(web, command, *args, archive=copy)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"archive.db is {how}" in lines[0] and "beside the WARC files" in lines[0]
    assert "archiver reindex" in lines[0]
    assert _files(copy) == held  # nothing written: no new index, no WARC file
    # Plain `reindex` (no --force) rebuilds it, with everything the WARCs held.
    rebuilt = cli(web, "reindex", archive=copy)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert lookup(web, copy) == before


def test_a_folder_whose_warc_files_cannot_be_read_says_the_way_out(archived: Any) -> None:
    """WARC files no reader makes anything of, and no index: `archive` sends the user to
    `reindex`, which reads nothing; both say to move the files aside, and once they are, the
    folder is archived into anew (nothing is lost: the files are kept where the user put them)."""
    web, archive, _seeds, _before, tmp = archived
    copy = tmp / "unreadable"
    shutil.copytree(archive, copy)
    for name in ("archive.db", "archive.db-wal", "archive.db-shm"):
        (copy / name).unlink(missing_ok=True)
    for path in (copy / "warcs").glob("*.warc.gz"):
        path.write_bytes(b"not a WARC file at all\n" * 64)
    r = cli(web, "archive", site.ARTICLE_FLOOD.url, archive=copy)
    assert r.returncode == 2 and "archiver reindex" in r.stderr, r.stderr
    assert "move them out of" in r.stderr, r.stderr
    rebuilt = cli(web, "reindex", archive=copy)
    assert rebuilt.returncode == 2 and "nothing could be read" in rebuilt.stderr, rebuilt.stderr
    last = rebuilt.stderr.strip().splitlines()[-1]
    assert "move the unreadable WARC files out of" in last, last
    # The way out, as said: the files moved aside, the folder takes a new archive.
    (copy / "warcs").rename(tmp / "unreadable-warcs")
    again = cli(web, "archive", site.ARTICLE_FLOOD.url, archive=copy)
    assert again.returncode == 0, again.stderr
