"""`make run` on a machine without internet: the run completes, posts end `unavailable`, exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.browser


def test_offline_run_over_the_shipped_seeds(tmp_path: Path) -> None:
    # Everything is sent to a loopback port where nothing listens: connections are refused at once,
    # as on a machine with no route out (the real network is never touched).
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "run", "--seeds", str(ROOT / "seeds"),
                        "--archive-dir", str(tmp_path / "a"), "--map-host", "*=127.0.0.1:9", "--format", "json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    assert summary["network_unreachable"] is True
    assert summary["posts"] >= 4
    assert set(summary["statuses"]) == {"unavailable"}
    assert "the network was unreachable" in r.stderr
    assert "Traceback" not in r.stderr
    # The local seed articles themselves were still kept: rendered and stored as resource records.
    lookup = subprocess.run([sys.executable, "-m", "archiver.cli", "lookup", "--archive-dir", str(tmp_path / "a"),
                             "--format", "json", "--handle", "BarackObama"], capture_output=True, text=True, cwd=ROOT)
    (post,) = json.loads(lookup.stdout)
    assert post["status"] == "unavailable" and post["history"][0]["status"] == "unavailable"
    assert post["posted_at"].startswith("2012-11-07T")
