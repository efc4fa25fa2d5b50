"""`archiver verify X.warc.gz` and `verify X.wacz` keep what they read of the records in a scratch
SQLite file in the temporary folder (TMPDIR): a full disk there is named as that, the room it needs
said, and never taken for damage in the file verified nor in an archive.db it does not touch; and
text of an index line that no encoding can write (a lone surrogate escaped in its JSON) is shown
escaped, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.verify_memory import build_wacz, build_warc, write_wacz

ROOT = Path(__file__).resolve().parents[1]

# The CLI as a user runs it, with every SQLite file it opens limited to 100 pages (400 KB): what a
# full disk under TMPDIR gives SQLite, without filling one.
SMALL_DISK = """
import sqlite3, sys
_connect = sqlite3.connect
def connect(*args, **kwargs):
    db = _connect(*args, **kwargs)
    db.execute("PRAGMA max_page_count = 100")
    return db
sqlite3.connect = connect
sys.argv = ["archiver", *sys.argv[1:]]
from archiver.cli import main
main()
"""


def _cli(*args: str, tmpdir: Path, prelude: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", prelude, *args] if prelude else [sys.executable, "-m", "archiver.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmpdir)})


def _warc(folder: Path, records: int) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "fsync", lambda fd: None)  # what a crash would leave is no concern here
        return build_warc(folder, records)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bundles")
    warc = _warc(folder / "warc", 6_000)
    return {"warc": warc, "wacz": build_wacz(warc, folder / "bundle.wacz")}


@pytest.mark.parametrize("kind", ["warc", "wacz"])
def test_a_full_temporary_disk_is_named_with_the_room_needed(bundles: dict[str, Path], kind: str,
                                                             tmp_path: Path) -> None:
    done = _cli("verify", str(bundles[kind]), tmpdir=tmp_path, prelude=SMALL_DISK)
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    said = lines[0]
    assert said.startswith("archiver: no space left on device writing the scratch file "), said
    assert f"TMPDIR, {tmp_path}" in said and "needs about" in said and " MB" in said, said
    # Neither the bundle's damage nor an archive.db's: the bundle is whole.
    assert "archive.db" not in said and "damaged" not in said and done.stdout == "", (said, done.stdout)
    assert list(tmp_path.iterdir()) == []  # the scratch file removed


@pytest.mark.parametrize("kind", ["warc", "wacz"])
def test_the_same_bundle_verifies_with_room(bundles: dict[str, Path], kind: str, tmp_path: Path) -> None:
    done = _cli("verify", str(bundles[kind]), tmpdir=tmp_path)
    assert done.returncode == 0 and done.stdout == "", (done.stdout, done.stderr)
    assert list(tmp_path.iterdir()) == []


def _rewrap(wacz: Path, out: Path, extra_line: str) -> Path:
    """The WACZ with `extra_line` appended to its index, datapackage.json's hashes made again."""
    with zipfile.ZipFile(wacz) as zf:
        entries = {name: zf.read(name) for name in zf.namelist() if not name.startswith("datapackage")}
    entries["indexes/index.cdxj"] += extra_line.encode() + b"\n"
    return write_wacz(entries, out)


def test_an_index_line_naming_a_lone_surrogate_is_named_escaped(tmp_path: Path) -> None:
    wacz = build_wacz(_warc(tmp_path / "warc", 20), tmp_path / "plain.wacz")
    line = 'zzz,example)/ 20240101000000 {"url": "https://example.zzz/\\udfff", "filename": "\\ud800", ' \
           '"offset": 0, "length": 10}'
    odd = _rewrap(wacz, tmp_path / "odd.wacz", line)
    shown = _cli("verify", str(odd), tmpdir=tmp_path)
    assert shown.returncode == 1 and "Traceback" not in shown.stderr, shown.stderr
    assert shown.stdout.splitlines() == [
        "index\tindexes/index.cdxj:11\thttps://example.zzz/\\udfff at offset 0 of archive/\\ud800, where no record "
        "starts"], shown.stdout
    as_json = _cli("verify", str(odd), "--format", "json", tmpdir=tmp_path)
    assert as_json.returncode == 1 and "Traceback" not in as_json.stderr, as_json.stderr
    problems = json.loads(as_json.stdout)["problems"]
    assert [p["detail"] for p in problems] == [
        "https://example.zzz/\\udfff at offset 0 of archive/\\ud800, where no record starts"]


# The CLI with the scratch folder not made: `mkdtemp` failing as a full disk fails it (ENOSPC), or
# as Python fails when none of the temporary folders it tries is writable (FileNotFoundError).
NO_FOLDER = """
import errno, sys, tempfile
how = sys.argv[1]
def fail(*args, **kwargs):
    if how == "enospc":
        raise OSError(errno.ENOSPC, "No space left on device", "/full/archiver-scratch-x")
    raise FileNotFoundError(errno.ENOENT, "No usable temporary directory found in ['/full']")
tempfile.mkdtemp = fail
if how == "none":
    tempfile.gettempdir = fail
sys.argv = ["archiver", *sys.argv[2:]]
from archiver.cli import main
main()
"""


@pytest.mark.parametrize("how", ["enospc", "none"])
def test_a_scratch_folder_that_cannot_be_made_is_named_in_one_line(bundles: dict[str, Path], how: str,
                                                                   tmp_path: Path) -> None:
    """Its folder not made, the scratch store's failure was no line of verify's: an internal
    error's traceback hint, or the archive's full-disk line telling the user to run verify."""
    done = _cli(how, "verify", str(bundles["wacz"]), tmpdir=tmp_path, prelude=NO_FOLDER)
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and len(lines) == 1 and done.stdout == "", done.stderr
    said = lines[0]
    assert "internal error" not in said and "archiver verify" not in said, said
    if how == "enospc":
        assert said.startswith("archiver: no space left on device writing a scratch file (in the temporary folder, "
                               "TMPDIR, "), said
    else:
        assert said.startswith("archiver: cannot use a scratch file (in the temporary folder, TMPDIR, "), said
        assert "No usable temporary directory" in said, said


def test_every_text_of_the_json_result_can_be_written() -> None:
    """A note or a timestamp's capture read from the bundle (evidence/timestamps.json may escape a
    lone surrogate, valid JSON) made `verify --format json` end in a traceback: only problems were
    made writable."""
    from archiver.evidence.verify_wacz import WaczVerification

    result = WaczVerification(path="odd\ud800.wacz", anchored=False)
    result.notes.append("capture \ud800x (owner): a note")
    written = json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")
    assert json.loads(written)["notes"] == ["capture \\ud800x (owner): a note"]
    assert json.loads(written)["path"] == "odd\\ud800.wacz"
