"""The folder noted for a PostgreSQL index (`index-url.txt`) belongs to that index's runs: `index copy`
into its own archive.db waits for, or refuses (exit 3), a run holding the index's lock, as a copy into
PostgreSQL does; it went ahead under a live cluster run, removed the note and left a stale archive.db
that lookups then read quietly. And a cluster run (`run --broker`, waiting or not) writes the note, as
a run on one machine with --index does."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.index import note_index, open_index
from archiver.layout import DB_NAME, INDEX_NOTE
from archiver.lock import IndexLock
from tests.cluster import wait_for
from tests.e2e import ROOT
from tests.services import stop_process

pytestmark = pytest.mark.cluster


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def test_a_copy_into_the_noted_folder_waits_for_the_index_s_run(tmp_path: Path, postgres_url: str) -> None:
    folder = tmp_path / "A3"
    folder.mkdir()
    with open_index(folder, url=postgres_url) as index:
        index.start_run()
    note_index(folder, postgres_url)
    lock = IndexLock(postgres_url)
    lock.acquire()  # a cluster run under way
    try:
        # The same index spelt otherwise is the one noted.
        held = _cli("index", "copy", "--from", postgres_url.replace("postgresql://", "postgres://"), "--to",
                    str(folder))
        assert held.returncode == 3, held.stderr
        assert held.stderr.startswith("archiver: another run holds the lock on the PostgreSQL index at "), held.stderr
        assert len(held.stderr.strip().splitlines()) == 1
        assert (folder / INDEX_NOTE).exists() and not (folder / DB_NAME).exists()
    finally:
        lock.release()
    done = _cli("index", "copy", "--from", postgres_url, "--to", str(folder))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runs"] == 1
    assert not (folder / INDEX_NOTE).exists() and (folder / DB_NAME).exists()


def test_a_cluster_run_notes_its_index_in_the_folder(tmp_path: Path, broker: str, postgres_url: str) -> None:
    from archiver.index.postgres.url import redact

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("https://news.example/2024/noted.html\n")
    detached, waiting = tmp_path / "detached", tmp_path / "waiting"
    sent = _cli("run", "--broker", broker, "--index", postgres_url, "--seeds", str(seeds), "--no-wait",
                "--archive-dir", str(detached))
    assert sent.returncode == 0, sent.stderr
    assert (detached / INDEX_NOTE).read_text().splitlines()[-1] == redact(postgres_url)
    # A run that waits (no worker here: it waits until stopped) notes it before it sends anything.
    run = subprocess.Popen([sys.executable, "-m", "archiver.cli", "run", "--broker", broker, "--index", postgres_url,
                            "--seeds", str(seeds), "--archive-dir", str(waiting), "--wait"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for("the folder's note", lambda: (waiting / INDEX_NOTE).exists() or run.poll() is not None, timeout=60)
        assert (waiting / INDEX_NOTE).read_text().splitlines()[-1] == redact(postgres_url)
    finally:
        stop_process(run, signal.SIGTERM)


def test_a_copy_into_a_folder_noted_for_an_index_that_cannot_be_reached_names_the_note(
        tmp_path: Path, postgres_url: str) -> None:
    """The folder's note names an index no longer reachable, and the copy comes from another: it is
    refused (exit 1) naming the note as where that index comes from and the ways on (start it, or
    delete the note). It said only "check the --index URL", a URL the command was never given."""
    from tests.services import free_port

    folder = tmp_path / "A4"
    folder.mkdir()
    gone = f"postgresql://127.0.0.1:{free_port()}/gone"
    note_index(folder, gone)
    with open_index(tmp_path / "src", url=postgres_url) as index:
        index.start_run()
    refused = _cli("index", "copy", "--from", postgres_url, "--to", str(folder), "--force")
    assert refused.returncode == 1, refused.stderr
    said = refused.stderr.strip()
    assert len(said.splitlines()) == 1 and "--index" not in said, said
    assert said.startswith(f"archiver: {folder} is noted as indexed in PostgreSQL at {gone} (its {INDEX_NOTE} "
                           "says so)"), said
    assert said.endswith(f"start that server, or, if the folder is indexed there no longer, delete "
                         f"{folder / INDEX_NOTE} and copy again"), said
    assert (folder / INDEX_NOTE).exists() and not (folder / DB_NAME).exists()
    (folder / INDEX_NOTE).unlink()  # as the message says
    done = _cli("index", "copy", "--from", postgres_url, "--to", str(folder), "--force")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runs"] == 1
