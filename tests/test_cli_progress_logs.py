"""Log lines printed while the progress bar is drawn on a terminal: each on a line of its own,
above the bar (written to stderr as they were, one joined the bar's own line). With no bar (stderr
not a terminal, --quiet), stderr is what it always was, byte for byte. The real command line, with
stderr on a pseudo-terminal of the test's own."""

from __future__ import annotations

import logging
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.progress import Progress
from tests.e2e import stderr_on_a_terminal

ROOT = Path(__file__).resolve().parents[1]
PAGE = b"<html><body><p>The river is up.</p></body></html>"
WARNING = ("archiver: -: an HTML page read from stdin is kept as read, not rendered (no screenshot); save it to a "
           "file and give that to have it rendered")
SUMMARY = "archiver: 1 article(s), 0 post(s) captured or checked (no posts); 0 already held"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _on_a_terminal(args: list[str], stdin: bytes) -> str:
    """What the command wrote to stderr, a terminal, as the terminal received it."""
    return stderr_on_a_terminal(args, stdin)


def _terminal_lines(raw: str) -> list[str]:
    """The pieces of text the terminal shows from the start of a line (after a CR or an LF), without
    escape sequences: a piece holding a log line and the bar before it is a log line glued on."""
    return [piece for piece in re.split(r"[\r\n]", ESCAPES.sub("", raw)) if piece.strip()]


def test_a_warning_while_the_bar_is_shown_prints_on_a_line_of_its_own(tmp_path: Path) -> None:
    raw = _on_a_terminal(["archive", "-", "--archive-dir", str(tmp_path / "a")], PAGE)
    assert "━" in raw  # the bar was drawn
    pieces = _terminal_lines(raw)
    with_warning = [p for p in pieces if "an HTML page read from stdin" in p]
    assert with_warning == [WARNING], pieces  # not "⠹ ━━━━ 0/1 0:00:00 startingarchiver: -: ..."
    assert SUMMARY in pieces, pieces


@pytest.mark.parametrize("quiet", [False, True])
def test_with_no_bar_stderr_is_the_plain_log_lines(quiet: bool, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "archiver.cli", *(["-q"] if quiet else []), "archive", "-",
                        "--archive-dir", str(tmp_path / "a")], input=PAGE, capture_output=True, cwd=ROOT,
                       timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stderr == (b"" if quiet else f"{WARNING}\n{SUMMARY}\n".encode())


def test_the_bar_s_handlers_are_the_ones_before_it_once_it_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """In one process: while a bar is live on a terminal, the root logger's stderr handler is
    replaced by one printing through the bar's console, and put back after it."""
    master, slave = pty.openpty()
    terminal = open(slave, "w", encoding="utf-8", closefd=True)
    monkeypatch.setattr(sys, "stderr", terminal)
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("archiver: %(message)s"))
    monkeypatch.setattr(root, "handlers", [handler])
    try:
        with Progress(2) as progress:
            assert progress.live
            (shown,) = root.handlers
            assert shown is not handler
            progress("article https://news.example/a.html")
            logging.getLogger("archiver.test").warning("a line above the bar")
        assert root.handlers == [handler]
    finally:
        terminal.close()
    raw = b""
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        raw += chunk
    os.close(master)
    assert "archiver: a line above the bar" in _terminal_lines(raw.decode("utf-8", "replace"))
