"""`index copy` between two spellings of one PostgreSQL index is refused (exit 2) before anything is
written: copying an index onto itself (`--force`) emptied it and then waited for ever, its TRUNCATE
holding the tables while its own reads waited, every lookup blocked behind it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archiver.index import open_index
from archiver.index.transfer import Location, _same
from tests.e2e import ROOT


def _copy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", "index", "copy", "--force", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def _filled(url: str) -> None:
    with open_index(Path("."), url=url) as index:
        index.start_run()
        index.upsert_article("https://news.example/a")


def _runs(url: str) -> int:
    with open_index(Path("."), url=url, create=False) as index:
        return int(index.db.execute("SELECT count(*) FROM runs").fetchone()[0])  # type: ignore[attr-defined]


@pytest.mark.parametrize("to", [
    lambda u: u.replace("postgresql://", "postgres://", 1),  # the scheme's alias
    lambda u: u.replace("@127.0.0.1", "@LOCALHOST", 1),  # another name of the same server
])
def test_copying_an_index_onto_itself_is_refused(postgres_url: str, to) -> None:  # type: ignore[no-untyped-def]
    _filled(postgres_url)
    other = to(postgres_url)
    assert other != postgres_url
    done = _copy("--from", postgres_url, "--to", other)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("archiver: --from and --to are the same index"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""
    assert _runs(postgres_url) == 1  # nothing was emptied


def test_the_same_place_is_known_without_asking_the_server() -> None:
    url = "postgresql://u:p@127.0.0.1:5432/arch4"
    for other in ("postgres://u:p@127.0.0.1/arch4", "postgresql://v@127.0.0.1:5432/arch4?sslmode=disable",
                  "postgresql://u@127.0.0.1/arch4?options=-csearch_path%3Dpublic"):
        assert _same(Location(Path("."), url), Location(Path("."), other)), other
    for other in ("postgresql://u@127.0.0.1/arch5", "postgresql://u@127.0.0.1:5433/arch4",
                  "postgresql://u@127.0.0.1/arch4?options=-csearch_path%3Ddesk"):
        assert not _same(Location(Path("."), url), Location(Path("."), other)), other
    assert not _same(Location(Path("."), url), Location(Path("/tmp/a")))
