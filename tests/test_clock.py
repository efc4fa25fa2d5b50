"""A run on a machine whose clock reads before what the archive holds is refused: its checks would
be dated before earlier ones (an earlier check dated later outranks them: the post would keep its
old status), its captures' WARC dates out of order. Real index and CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import DB_NAME
from archiver.models import Post
from archiver.times import format_utc
from tests.e2e import ROOT


def _archive(root: Path, checked: datetime) -> None:
    with Index(root) as index:
        key = index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote",
                                     post_id="1764640000000000001", handle="desk"))
        index.observe(key, "live", checked_at=format_utc(checked))


def _archive_page(root: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    page = tmp_path / "story.txt"
    page.write_text("Rain all day; no post cited.\n")
    return subprocess.run([sys.executable, "-m", "archiver.cli", "archive", str(page), "--archive-dir", str(root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_a_run_whose_clock_reads_before_the_archive_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    _archive(root, datetime.now(UTC) + timedelta(hours=1))  # checked "an hour from now": this clock is behind
    r = _archive_page(root, tmp_path)
    assert r.returncode == 1, r.stderr
    (line,) = r.stderr.splitlines()
    assert "this machine's clock reads" in line and "before the archive's latest run or check" in line, line
    with sqlite3.connect(root / DB_NAME) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (0,)  # nothing started, nothing written
    assert not list((root / "warcs").glob("*.warc.gz")) if (root / "warcs").exists() else True


def test_a_clock_a_little_behind_another_machine_s_is_no_reason_to_refuse(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    _archive(root, datetime.now(UTC) + timedelta(minutes=2))  # within the slack (another worker's clock)
    r = _archive_page(root, tmp_path)
    assert r.returncode == 0, r.stderr


def test_a_clock_set_right_runs_over_an_archive_that_holds_a_time_from_ahead_when_told_to(tmp_path: Path) -> None:
    import os

    root = tmp_path / "archive"
    _archive(root, datetime.now(UTC) + timedelta(hours=1))
    refused = _archive_page(root, tmp_path)
    assert refused.returncode == 1 and "ARCHIVER_CLOCK_BEHIND_OK=1" in refused.stderr, refused.stderr
    page = tmp_path / "story.txt"
    told = subprocess.run([sys.executable, "-m", "archiver.cli", "archive", str(page), "--archive-dir", str(root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "ARCHIVER_CLOCK_BEHIND_OK": "1"})
    assert told.returncode == 0, told.stderr


def test_a_clock_years_behind_is_said_in_seconds_and_days_not_scientific_notation(tmp_path: Path) -> None:
    from archiver.limits import seconds

    assert seconds(2.5) == "2.5 s" and seconds(120.0) == "120 s"
    assert seconds(96881700) == "96881700 s (1121 days)"  # was "9.68817e+07 s"
    root = tmp_path / "archive"
    _archive(root, datetime.now(UTC) + timedelta(days=3 * 365))
    (line,) = _archive_page(root, tmp_path).stderr.splitlines()
    assert "e+0" not in line and " days) before the archive's latest" in line, line
