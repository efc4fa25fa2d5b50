"""A signal while `reindex`, `verify` or `export` walks the WARC files stops the command at once,
with the one line and exit code of an interrupted command, and never as damage of the archive: the
record being read when it came is as good as the others, and the index `reindex` was replacing stays
as it was. Real CLI, index and WARC files (a synthetic archive, written as a run writes one)."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e import ROOT
from tests.synthetic import synthetic_archive
from tests.test_signals import _catches, _wait_for

POSTS = 1500  # a walk of about a second on an idle machine, so that each delay below lands inside it


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("walks") / "archive"
    synthetic_archive(archive, POSTS)
    return archive


def _posts(archive: Path) -> int:
    with sqlite3.connect(f"file:{archive / 'archive.db'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM posts").fetchone()[0])


@pytest.mark.parametrize("command", [["reindex", "--force"], ["verify"], ["export", "-o", "{tmp}/all.wacz"]],
                         ids=["reindex", "verify", "export"])
def test_a_signal_in_a_warc_walk_is_an_interruption_not_damage(built: Path, tmp_path: Path, command: list[str]) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(built, archive)
    args = [sys.executable, "-m", "archiver.cli", *(a.format(tmp=tmp_path) for a in command), "--archive-dir",
            str(archive)]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _catches(p.pid, signal.SIGTERM), 60, p)  # archiver's handler is in
        time.sleep(0.3)  # test pacing: the command is reading its WARC file by then
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    if command[0] == "export" and p.returncode == 0:
        # The signal came once the bundle was in place (a slow machine reached the end first): the
        # export was done, and says so; its bundle is whole.
        checked = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", str(tmp_path / "all.wacz")],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert checked.returncode == 0 and "Traceback" not in err, checked.stdout + checked.stderr + err
        return
    assert (p.returncode, err.splitlines()[-1:]) == (130, ["archiver: interrupted by SIGINT"]), out + err
    assert "damaged" not in err and "Traceback" not in err and "Exception ignored" not in err, err
    assert "unreadable" not in out and "damaged" not in out, out
    assert _posts(archive) == POSTS  # the index reindex was replacing is as it was
    assert not (tmp_path / "all.wacz").exists()  # no bundle half written
    again = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", "--archive-dir", str(archive)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_signal_once_the_output_is_in_place_is_recorded_not_raised() -> None:
    # In a child process of its own (signal handlers are the process's): raising mode, then the hold
    # a command takes once its output is renamed into place.
    code = ("import os, signal\n"
            "from archiver.interrupt import STOP, Interrupted\n"
            "STOP.install(raising=True)\n"
            "try:\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    raise SystemExit('not raised')\n"
            "except Interrupted:\n"
            "    pass\n"
            "STOP.reset()\n"
            "STOP.hold()\n"
            "os.kill(os.getpid(), signal.SIGINT)\n"
            "STOP.check()\n"
            "assert STOP.signum == signal.SIGINT\n"
            "print('held')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "held"), done.stderr
