"""An export whose -o cannot be written (its folder not there, or a file; a read-only file there)
is one line naming why, exit 2, said before anything else: it printed the note that the whole
archive was being exported, then the refusal. The real command line, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli_conventions import _archive

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _archive(tmp_path_factory.mktemp("export-output") / "archive")


@pytest.mark.parametrize("selection", [[], ["--handle", "alice"]], ids=["whole archive", "one handle"])
def test_an_output_folder_that_is_not_there_is_the_one_line_said(selection: list[str], archive: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "nonexist" / "dir" / "x.wacz"
    r = _cli("export", "--archive-dir", str(archive), *selection, "-o", str(out))
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [f"archiver: cannot write {out}: {out.parent} does not exist; choose another path"]
    assert r.stdout == "" and not out.parent.exists()


def test_an_output_under_a_file_or_over_a_read_only_file_is_the_one_line_said(archive: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("notes")
    r = _cli("export", "--archive-dir", str(archive), "-o", str(a_file / "x.wacz"))
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [
        f"archiver: cannot write {a_file / 'x.wacz'}: {a_file} is a file, not a folder; choose another path"]
    kept = tmp_path / "kept.wacz"
    kept.write_bytes(b"an earlier bundle")
    kept.chmod(0o444)
    r = _cli("export", "--archive-dir", str(archive), "-o", str(kept))
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [
        f"archiver: cannot write {kept}: {kept} is read-only (make it writable to replace it); choose another path"]
    assert kept.read_bytes() == b"an earlier bundle"


def test_a_writable_output_still_gets_the_whole_archive_note(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.wacz"
    r = _cli("export", "--archive-dir", str(archive), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines()[0].startswith("archiver: exporting the whole archive (2 posts)"), r.stderr
    assert out.stat().st_size > 0


def test_an_output_that_is_a_folder_is_the_one_line_said(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle.wacz"
    out.mkdir()
    r = _cli("export", "--archive-dir", str(archive), "-o", str(out))
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [f"archiver: cannot write {out}: {out} is a folder; choose another path"], r.stderr
    assert r.stdout == "" and out.is_dir() and not any(out.iterdir())

