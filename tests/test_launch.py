"""The `archiver` command answers SIGINT and SIGTERM from its first line, before the command line
(Typer, Rich) is imported: one line, 128 + the signal, nothing done."""

from __future__ import annotations

import signal
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The signal arrives the moment the early handlers are in, standing for a Ctrl-C during the imports.
STARTING = ("import os, signal, time; from archiver.launch import install_early; install_early(); "
            "os.kill(os.getpid(), signal.{sig}); time.sleep(30); print('alive')")


def test_the_command_is_the_launcher() -> None:
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "archiver"]
    assert script.value == "archiver.launch:main"
    assert "archiver.launch" in (ROOT / ".venv" / "bin" / "archiver").read_text()


@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_while_starting_is_one_line_and_its_exit_code(sig: str, code: int) -> None:
    r = subprocess.run([sys.executable, "-c", STARTING.format(sig=sig)], capture_output=True, text=True,
                       cwd=ROOT, timeout=60, check=False)
    assert r.returncode == code
    assert r.stderr == "archiver: stopped while starting; nothing was done\n" and r.stdout == ""


def test_a_signal_the_process_was_started_ignoring_stays_ignored() -> None:
    def ignore_interrupts() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    r = subprocess.run([sys.executable, "-c", STARTING.format(sig="SIGINT").replace("time.sleep(30)", "time.sleep(0.2)")],
                       capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
                       preexec_fn=ignore_interrupts)
    assert r.returncode == 0 and r.stdout == "alive\n", r.stderr
