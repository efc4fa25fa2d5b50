"""The systemd units in docs/systemd: their command lines run with the real CLI against a test Redis
and PostgreSQL, they keep the passwords off the command line, their stop settings let a capture
finish, and `systemd-analyze verify` accepts them where it is installed."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "docs" / "systemd"
ARCHIVER = "/srv/archiver/.venv/bin/archiver"


def unit(name: str) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, per key, in order (systemd lets a key repeat)."""
    out: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def argv(command: str, archive: Path, seeds: Path | None = None) -> list[str]:
    """A unit's command line as this checkout runs it: its own archiver, test folders for the paths."""
    words = shlex.split(command)
    assert words[0] == ARCHIVER, words
    swap = {"/mnt/archive": str(archive), "/srv/archiver/seeds": str(seeds or archive / "seeds")}
    return [sys.executable, "-m", "archiver.cli", *(swap.get(w, w) for w in words[1:])]


def seconds(value: str) -> float:
    units = {"s": 1, "min": 60, "h": 3600}
    m = re.fullmatch(r"(\d+)(s|min|h)?", value)
    assert m, value
    return int(m.group(1)) * units[m.group(2) or "s"]


def help_text(command: str) -> str:
    """`archiver COMMAND --help`, its words joined by single spaces (the help wraps its lines)."""
    r = subprocess.run([sys.executable, "-m", "archiver.cli", command, "--help"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return " ".join(r.stdout.split())


def option_default(command: str, option: str) -> float:
    """The default of `option` as `archiver COMMAND --help` prints it."""
    m = re.search(rf"{option} [^\[]*\[[^\]]*default: ([\d.]+)", help_text(command))
    assert m, option
    return float(m.group(1))


def test_the_units_keep_the_urls_and_their_passwords_off_the_command_line() -> None:
    env = dict(line.split("=", 1) for line in (UNITS / "archiver.env.example").read_text().splitlines()
               if line and not line.startswith("#"))
    assert set(env) == {"ARCHIVER_BROKER", "ARCHIVER_INDEX"}
    for name, command in (("archiver-worker.service", "worker"), ("archiver-run.service", "run")):
        u = unit(name)
        assert u["EnvironmentFile"] == ["/etc/archiver/archiver.env"]
        for line in u.get("ExecStartPre", []) + u["ExecStart"]:
            assert "--broker" not in line and "--index" not in line and "ARCHIVER_" not in line, line
        # The environment file names the variables the options read.
        text = help_text(command)
        assert "env var: ARCHIVER_BROKER" in text and "env var: ARCHIVER_INDEX" in text


def test_stopping_a_worker_lets_the_capture_in_hand_finish() -> None:
    u = unit("archiver-worker.service")
    assert u["KillMode"] == ["mixed"] and u["KillSignal"] == ["SIGTERM"] and u["Restart"] == ["on-failure"]
    stop = seconds(u["TimeoutStopSec"][0])
    longest = option_default("worker", "--capture-deadline") + option_default("worker", "--fetch-deadline")
    assert longest < stop < option_default("worker", "--visibility-timeout")
    run = unit("archiver-run.service")
    assert run["Type"] == ["oneshot"]
    assert unit("archiver-run.timer")["OnCalendar"]


@pytest.mark.browser
@pytest.mark.cluster
def test_the_worker_units_command_lines_pass_their_own_check(tmp_path: Path, redis_server: Any,
                                                            postgres_url: str) -> None:
    """ExecStartPre as written, and ExecStart with --check added: every option parses, and the
    broker, the index and Chromium answer."""
    u = unit("archiver-worker.service")
    env = {**os.environ, "ARCHIVER_BROKER": redis_server.url, "ARCHIVER_INDEX": postgres_url}
    for command in [*u["ExecStartPre"], u["ExecStart"][0] + " --check"]:
        r = subprocess.run(argv(command, tmp_path / "archive"), cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, (command, r.stdout, r.stderr)
        assert r.stdout.split() == ["broker:", "ok", "index:", "ok", "chromium:", "ok"], r.stdout


@pytest.mark.cluster
def test_the_run_units_command_line_runs(tmp_path: Path, redis_server: Any, postgres_url: str) -> None:
    """ExecStart of the scheduled run, over seeds that list nothing: it parses, reaches the broker and
    the index, records its run and exits 0 with its summary as JSON."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("# nothing to archive yet\n")
    env = {**os.environ, "ARCHIVER_BROKER": redis_server.url, "ARCHIVER_INDEX": postgres_url}
    r = subprocess.run(argv(unit("archiver-run.service")["ExecStart"][0], tmp_path / "archive", seeds), cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert '"articles": 0' in r.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    """With this checkout's archiver in place of /srv/archiver's (verify checks the program exists)."""
    names = ["archiver-worker.service", "archiver-run.service", "archiver-run.timer"]
    for name in names:
        text = (UNITS / name).read_text().replace(ARCHIVER, str(Path(sys.executable).parent / "archiver"))
        (tmp_path / name).write_text(text)
    r = subprocess.run(["systemd-analyze", "verify", *[str(tmp_path / n) for n in names]], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
