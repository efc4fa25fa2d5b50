"""Seconds that reach the browser as a timeout in milliseconds (--timeout, --capture-deadline and
ARCHIVER_CAPTURE_DEADLINE) are bounded by what the timers of Playwright's driver keep, 2**31 - 1 ms:
a longer one is a usage error naming the option and its largest value, exit 2, before anything is
made. The real command line, in a process of its own; the largest value is shown to work with a
real Chromium."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]
LARGEST = 2_147_483  # seconds: (2**31 - 1) ms, whole
LONGEST_MS = 2**31 - 1


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, check=False)


def _refused(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: "), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    return lines[0]


def _command(command: str, tmp_path: Path) -> list[str]:
    article = tmp_path / "story.html"
    article.write_text("<p>A quiet day.</p>")
    return {"archive": ["archive", str(article), "--archive-dir", str(tmp_path / "archive")],
            "run": ["run", "--seeds", str(tmp_path), "--archive-dir", str(tmp_path / "archive")],
            "worker": ["worker", "--broker", f"redis://127.0.0.1:{free_port()}/0", "--archive-dir",
                       str(tmp_path / "archive")]}[command]


@pytest.mark.parametrize("command", ["archive", "run", "worker"])
@pytest.mark.parametrize(("option", "value"), [("--timeout", "3000000"), ("--timeout", "1e306"),
                                               ("--capture-deadline", "1e308"), ("--capture-deadline", "2147483.7"),
                                               ("--timestamp-deadline", "1e308"), ("--fetch-deadline", "3000000")])
def test_seconds_past_the_browser_s_longest_timeout_are_a_usage_error(command: str, option: str, value: str,
                                                                      tmp_path: Path) -> None:
    # --timeout 3000000 reached Chromium's launch as "Timeout 3000000000ms exceeded" (exit 1, the
    # run's every capture failed); 1e306 as "Out of range float values are not JSON compliant";
    # --capture-deadline 1e308 as "internal error: OverflowError" at the first capture;
    # --timestamp-deadline 1e308 failed each stamp ("timestamp out of range for platform time_t").
    line = _refused(_cli(*_command(command, tmp_path), option, value))
    assert line.startswith(f"archiver: {option} '{value}': expected a number from 1 to {LARGEST} (seconds"), line
    assert not (tmp_path / "archive").exists()


def test_a_capture_deadline_from_the_environment_is_bounded_and_named_by_its_variable(tmp_path: Path) -> None:
    line = _refused(_cli(*_command("archive", tmp_path), env={"ARCHIVER_CAPTURE_DEADLINE": "1e308"}))
    assert line.startswith(f"archiver: ARCHIVER_CAPTURE_DEADLINE '1e308': expected a number from 1 to {LARGEST}"), line
    assert not (tmp_path / "archive").exists()


def test_the_largest_value_is_taken_and_chromium_starts_with_it(tmp_path: Path) -> None:
    """The bound is the driver's own: at 2,147,483 s the launch and the capture work as with the
    defaults (a millisecond more, and Node's timer fires at once)."""
    started = time.monotonic()
    r = _cli(*_command("archive", tmp_path), "--timeout", str(LARGEST), "--capture-deadline", str(LARGEST),
             "--map-host", "*=127.0.0.1:9")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - started < 120
    with sqlite3.connect(tmp_path / "archive" / "archive.db") as db:
        (status, screenshot), = db.execute("SELECT status, screenshot FROM captures").fetchall()
    assert status == "ok" and screenshot and (tmp_path / "archive" / screenshot).stat().st_size > 0


def test_a_capture_clock_never_overflows_a_playwright_timeout() -> None:
    """The clock's conversions stay within what Playwright's timers keep, whatever deadline a
    caller of the library gives (an OverflowError, from `int(inf)`, was an internal error)."""
    from archiver.capture.deadline import CaptureClock

    clock = CaptureClock(time.monotonic(), 1e308, 1e306)
    assert clock.left_ms() == LONGEST_MS and clock.ms() == LONGEST_MS and clock.cap(5000) == 5000
    assert not clock.passed()
    short = CaptureClock(time.monotonic(), 60.0, 30.0)
    assert short.ms() == 30_000 and 59_000 < (short.left_ms() or 0) <= 60_000
