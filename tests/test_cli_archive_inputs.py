"""`archive` of sources none of which can be read (empty files, binary files, files not there, an
empty standard input): refused as `scan` refuses them, the same lines, exit 2, before the archive
folder is made. With a source that can be read among them the archive goes ahead and names each
bad one (exit 1). The real command line, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINARY = bytes(range(256)) * 8  # NULs and control bytes: no text in any encoding read


def _cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\t\n")
    (tmp_path / "scan.html").write_bytes(BINARY)
    (tmp_path / "story.html").write_text("<p>A quiet day: no posts cited here.</p>")
    return {name: str(tmp_path / name) for name in ("empty.html", "blank.txt", "scan.html", "story.html")} | {
        "missing": str(tmp_path / "missing.html")}


@pytest.mark.parametrize("sources", [["empty.html"], ["scan.html"], ["blank.txt"], ["missing", "empty.html"],
                                     ["empty.html", "scan.html", "missing"]], ids=" ".join)
def test_archive_of_files_none_of_which_can_be_read_says_what_scan_says_and_makes_no_archive(
        sources: list[str], files: dict[str, str], tmp_path: Path) -> None:
    # These made archive.db, .lock and warcs/ and printed "0 article(s), 0 post(s) captured or
    # checked" before the refusal.
    given = [files[s] for s in sources]
    scanned = _cli("scan", *given)
    assert scanned.returncode == 2, scanned.stderr
    archive = tmp_path / "archive"
    archived = _cli("archive", *given, "--archive-dir", str(archive))
    assert archived.returncode == 2, archived.stderr
    assert archived.stderr == scanned.stderr and archived.stdout == b"", archived.stderr
    assert not archive.exists()


@pytest.mark.parametrize("stdin", [b"", b"\n \n", BINARY], ids=["empty", "blank", "binary"])
def test_archive_of_a_standard_input_that_cannot_be_read_makes_no_archive(stdin: bytes, tmp_path: Path) -> None:
    scanned = _cli("scan", "-", stdin=stdin)
    assert scanned.returncode == 2, scanned.stderr
    archive = tmp_path / "archive"
    archived = _cli("archive", "-", "--archive-dir", str(archive), stdin=stdin)
    assert archived.returncode == 2, archived.stderr
    assert archived.stderr == scanned.stderr, archived.stderr
    assert not archive.exists()


def test_a_standard_input_closed_when_the_program_started_is_refused_in_one_line(tmp_path: Path) -> None:
    """`archiver scan - <&-`: Python's sys.stdin is None; it was an internal error (AttributeError)."""
    def closed(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "archiver.cli", *args], stdin=subprocess.DEVNULL,
                              capture_output=True, cwd=ROOT, timeout=180, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=lambda: os.close(0))
    line = b"archiver: -: there is no standard input (it was closed); pipe the page into it, or give a file\n"
    scanned = closed("scan", "-")
    assert (scanned.returncode, scanned.stderr) == (2, line), scanned.stderr
    archive = tmp_path / "archive"
    archived = closed("archive", "-", "--archive-dir", str(archive))
    assert (archived.returncode, archived.stderr) == (2, line), archived.stderr
    assert not archive.exists()


def test_a_standard_input_that_fails_as_it_is_read_is_named_as_such(tmp_path: Path) -> None:
    """A socket reset by its peer as standard input: the read's error was reported as a failure to
    write the output."""
    import socket
    import struct

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.sendall(b"x")
        peer.close()  # with SO_LINGER 0: a reset, which the client's next read gets
        archive = tmp_path / "archive"
        with client:
            r = subprocess.run([sys.executable, "-m", "archiver.cli", "archive", "-", "--archive-dir", str(archive)],
                               stdin=client.fileno(), capture_output=True, cwd=ROOT, timeout=180, check=False,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2, r.stderr
    assert r.stderr == b"archiver: -: standard input cannot be read (Connection reset by peer)\n", r.stderr
    assert not archive.exists()


def test_standard_input_looked_at_first_is_still_what_the_archive_reads(tmp_path: Path) -> None:
    page = b"<html><head><title>River</title></head><body><p>The river is up.</p></body></html>"
    archive = tmp_path / "archive"
    r = _cli("archive", "-", "--archive-dir", str(archive), "--format", "json", stdin=page)
    assert r.returncode == 0, r.stderr
    assert b'"articles": 1' in r.stdout, r.stdout


def test_with_a_file_that_can_be_read_the_archive_goes_ahead_and_names_each_bad_one(
        files: dict[str, str], tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    r = _cli("archive", files["empty.html"], files["scan.html"], files["story.html"], "--archive-dir", str(archive),
             "--map-host", "*=127.0.0.1:9")
    assert r.returncode == 1, r.stderr
    lines = r.stderr.decode().splitlines()
    assert f"archiver: failed: {files['empty.html']}: empty; nothing to scan" in lines, lines
    assert (f"archiver: failed: {files['scan.html']}: binary content, not HTML or text; give an article page or a "
            "text file") in lines, lines
    assert (archive / "archive.db").exists()
