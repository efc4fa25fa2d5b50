"""A selection option of lookup, export or report given twice is a usage error naming it, exit 2:
Click kept the last value given, and `lookup --date 2024-03-07 --date 2024-03-05` answered for the
5th alone without a word. Repeats are told by the command line's parser itself: a value that
happens to spell an option (`--handle --date`) is a value. The real command line, in a process of
its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli_conventions import _archive

ROOT = Path(__file__).resolve().parents[1]

REPEATS = [
    ("--handle", ["alice", "bob"]), ("--date", ["2024-03-07", "2024-03-05"]), ("--since", ["2024-03-01", "2024-03-02"]),
    ("--until", ["2024-03-09", "2024-03-08"]), ("--platform", ["twitter", "youtube"]), ("--text", ["levee", "bridge"]),
    ("--status", ["live", "deleted"]), ("--article", ["news.example/a", "news.example/b"]),
    ("--captured-since", ["2024-03-01", "2024-03-02"]),
]


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _archive(tmp_path_factory.mktemp("once") / "archive")


def _refused(r: subprocess.CompletedProcess[str], option: str, command: str, times: str = "twice") -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == ""
    assert r.stderr.splitlines() == [f"archiver: {option} given {times}: give it once (see `archiver {command} --help`)"]


@pytest.mark.parametrize("command", ["lookup", "export", "report"])
@pytest.mark.parametrize(("option", "values"), REPEATS, ids=[o for o, _ in REPEATS])
def test_a_filter_given_twice_is_refused(command: str, option: str, values: list[str], archive: Path,
                                         tmp_path: Path) -> None:
    out = {"lookup": [], "export": ["-o", str(tmp_path / "x.wacz")], "report": ["-o", str(tmp_path / "r.html")]}
    r = _cli(command, "--archive-dir", str(archive), *out[command], option, values[0], option, values[1])
    _refused(r, option, command)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_every_spelling_of_a_repeat_is_one(archive: Path) -> None:
    _refused(_cli("lookup", "--archive-dir", str(archive), "--date=2024-03-04", "--date", "2024-03-05"),
             "--date", "lookup")
    _refused(_cli("lookup", "-d", str(archive), "--archive-dir", str(archive)), "--archive-dir", "lookup")
    _refused(_cli("lookup", "-d", str(archive), "--limit", "1", "--limit", "2"), "--limit", "lookup")
    _refused(_cli("lookup", "-d", str(archive), "--offset", "1", "--offset", "0", "--offset", "2"), "--offset",
             "lookup", "3 times")


def test_a_value_that_spells_an_option_is_a_value_not_a_repeat(archive: Path) -> None:
    # `--handle --date` asks for the handle "--date": the one --date given is taken.
    r = _cli("lookup", "-d", str(archive), "--handle", "--date", "--date", "2024-03-04", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    r = _cli("lookup", "-d", str(archive), "--date", "2024-03-04", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert {p["handle"] for p in json.loads(r.stdout)} == {"alice", "bob"}


def test_a_repeat_of_an_option_that_selects_nothing_is_still_taken(archive: Path, tmp_path: Path) -> None:
    # -q, -v and what is written where (--format, -o) are not the selection: as before.
    r = _cli("lookup", "-d", str(archive), "--format", "table", "--format", "json", "-q", "-q")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 2


@pytest.mark.parametrize(("command", "option", "values"), [
    ("run", "--seeds", ["seeds-a", "seeds-b"]), ("run", "--recheck-after", ["0s", "1d"]),
    ("run", "--archive-dir", ["a", "b"]), ("archive", "--archive-dir", ["a", "b"]), ("show", "--archive-dir", ["a", "b"]),
    ("verify", "--archive-dir", ["a", "b"]), ("index migrate", "--archive-dir", ["a", "b"]),
    ("keys create", "--archive-dir", ["a", "b"]),
])
def test_what_a_command_works_on_given_twice_is_refused_before_anything_is_made(
        command: str, option: str, values: list[str], tmp_path: Path) -> None:
    # `run --seeds A --seeds B` read B alone; `--archive-dir A --archive-dir B` wrote into B.
    extra = {"archive": ["https://news.example/a.html"], "show": ["twitter:20"]}.get(command, [])
    r = _cli(*command.split(), *extra, option, values[0], option, values[1], cwd=tmp_path)  # (relative to tmp_path)
    _refused(r, option, command)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("command", "option"), [("run", "--seeds"), ("run", "--archive-dir"), ("lookup", "--archive-dir")])
def test_a_web_address_for_a_folder_is_refused_as_one(command: str, option: str, tmp_path: Path) -> None:
    # As a path, `https://news.example/a.html` is the folder `https:/news.example/a.html`: the
    # message named that, a path the user never typed.
    r = _cli(command, option, "https://news.example/2024/a.html", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == "", r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"archiver: {option} https://news.example/2024/a.html is a web address, not a folder; ")
    assert ("*.urls" in line) == (option == "--seeds")
    assert list(tmp_path.iterdir()) == []


def test_archiver_home_holding_a_web_address_is_refused_as_one(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "run", "--seeds", str(tmp_path)], capture_output=True,
                       text=True, cwd=tmp_path, timeout=120, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "ARCHIVER_HOME": "https://x.example/a"})
    assert (r.returncode, r.stderr) == (2, "archiver: ARCHIVER_HOME https://x.example/a is a web address, not a folder; "
                                           "set it to a folder on this machine\n")
    assert list(tmp_path.iterdir()) == []
