"""Scanning a pile of files with several processes finds and names what one process does, in order.

The files of a folder are read and scanned by forked workers when there are enough of them
(`archiver.scan.FILES_PER_JOB` each); the corpus pages are real articles, and files that cannot be
read (a FIFO, a binary file, an empty one) and a page whose scan fails sit among them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archiver import scan as scan_module
from archiver.scan import FILES_PER_JOB, ScanResult, scan

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "articles"


@pytest.fixture
def pile(tmp_path: Path) -> Path:
    pages = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    assert pages, f"no corpus at {CORPUS}"
    root = tmp_path / "pile"
    count = 0
    for copy in range(3):
        for page in pages:
            folder = root / f"copy{copy}" / page.parent.name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / page.name).write_bytes(page.read_bytes())
            count += 1
    assert count >= 2 * FILES_PER_JOB  # enough for two workers
    (root / "copy1" / "binary.html").write_bytes(b"\x00\x01\x02PNG\x00" * 50)
    (root / "copy1" / "empty.html").write_bytes(b"")
    os.mkfifo(root / "copy2" / "pipe.html")
    (root / "copy2" / "fails.html").write_text('<blockquote class="twitter-tweet"><a href="https://twitter.com/a/status/20">x</a></blockquote>')
    return root


def outcome(result: ScanResult) -> tuple[list[dict[str, Any]], list[tuple[str, str]], int]:
    return [p.to_dict() for p in result.posts], [(f.source, f.message) for f in result.failures], result.sources_read


def test_two_workers_find_and_name_what_one_process_does_in_the_same_order(
        pile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archiver import detect as detect_module

    real = detect_module.detect
    seen = tmp_path / "pids"

    def detect(doc: Any) -> Any:  # which process scanned each page; one page's scan fails
        with seen.open("a") as f:
            f.write(f"{os.getpid()}\n")
        if doc.source.endswith("fails.html"):
            raise RuntimeError("a rule broke on this page")
        return real(doc)

    monkeypatch.setattr(detect_module, "detect", detect)  # forked workers inherit it
    one = scan([str(pile)], jobs=1)
    seen.unlink()
    two = scan([str(pile)], jobs=2)
    assert outcome(two) == outcome(one)
    posts, failures, read = outcome(one)
    assert len(posts) > 100 and read == len([p for p in pile.rglob("*") if p.is_file()]) - 2  # binary, empty
    named = {Path(source).name: message for source, message in failures}
    assert set(named) == {"binary.html", "empty.html", "pipe.html", "fails.html"}, failures
    assert "RuntimeError: a rule broke on this page" in named["fails.html"]
    workers = set(seen.read_text().split())
    assert len(workers) == 2 and str(os.getpid()) not in workers  # two forked processes did the scanning


def test_few_files_are_scanned_in_this_process(tmp_path: Path) -> None:
    assert scan_module._workers(None, FILES_PER_JOB * 2 - 1) == 1
    assert scan_module._workers(1, 10_000) == 1
    assert scan_module._workers(3, FILES_PER_JOB * 2) == 2
    assert scan_module._workers(3, 10_000) == 3


def test_the_command_line_output_is_the_same_with_any_number_of_jobs(pile: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "archiver", "scan", str(pile), "--format", "jsonl", *args],
                              capture_output=True, text=True, timeout=300)

    one, two = run("-j", "1"), run("--jobs", "2")
    assert one.returncode == two.returncode == 1  # three sources could not be read, each named
    assert one.stdout == two.stdout and one.stdout.count("\n") > 100
    assert sorted(one.stderr.splitlines()) == sorted(two.stderr.splitlines())
    bad = run("-j", "0")
    assert bad.returncode == 2 and bad.stdout == "" and "--jobs" in bad.stderr and len(bad.stderr.splitlines()) == 1
