"""The archive lock: a second holder is refused (exit 3 semantics) or waits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archiver.errors import LockHeld
from archiver.lock import ArchiveLock

HOLD = "import sys,time; from pathlib import Path; from archiver.lock import ArchiveLock\n" \
       "l=ArchiveLock(Path(sys.argv[1])); l.acquire(); print('held', flush=True); time.sleep(float(sys.argv[2]))\n" \
       "(Path(sys.argv[1]) / 'released').touch(); l.release()"


def _holder(tmp_path: Path, seconds: float) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def test_second_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    p = _holder(tmp_path, 30)
    try:
        with pytest.raises(LockHeld, match=rf"pid {p.pid} .*--wait") as e:
            ArchiveLock(tmp_path).acquire()
        assert e.value.exit_code == 3
    finally:
        p.kill()
        p.wait()


def test_a_run_that_waits_says_once_for_whom(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    p = _holder(tmp_path, 1.5)
    with caplog.at_level("WARNING", logger="archiver.lock"):
        lock = ArchiveLock(tmp_path, wait=True, poll=0.05)
        lock.acquire()
        lock.release()
    p.wait()
    said = [r.getMessage() for r in caplog.records if "waiting for the lock" in r.getMessage()]
    assert len(said) == 1 and f"waiting for the lock on {tmp_path} (held by pid {p.pid} on" in said[0], said


def test_a_holder_that_wrote_nothing_is_said_so(tmp_path: Path) -> None:
    import fcntl
    import os

    # Another tool holds the (empty) lock file: `flock archive/.lock sleep 60`.
    fd = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(LockHeld) as e:
            ArchiveLock(tmp_path).acquire()
        assert "(a process that did not say which)" in str(e.value) and "None" not in str(e.value)
    finally:
        os.close(fd)


def test_lock_is_freed_when_the_holder_is_killed(tmp_path: Path) -> None:
    p = _holder(tmp_path, 30)
    p.kill()  # SIGKILL: the kernel drops the flock
    p.wait()
    with ArchiveLock(tmp_path):
        pass


def test_wait_blocks_until_the_holder_finishes(tmp_path: Path) -> None:
    p = _holder(tmp_path, 1.0)
    with ArchiveLock(tmp_path, wait=True, poll=0.05):
        # The holder marks the moment it lets go: the waiter got the lock after that, not before.
        assert (tmp_path / "released").exists()
    p.wait()


def test_every_command_the_refusal_sends_to_wait_can_wait(tmp_path: Path) -> None:
    # The refusal says "pass --wait": archive, index copy and reindex, which take the lock like run, accept it.
    text = tmp_path / "note.txt"
    text.write_text("No posts cited here.\n")
    archive, copy = tmp_path / "archive", tmp_path / "copy"
    cli = [sys.executable, "-m", "archiver.cli"]
    first = subprocess.run([*cli, "archive", str(text), "--archive-dir", str(archive)], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    for argv, folder in (([*cli, "archive", str(text), "--archive-dir", str(archive)], archive),
                         ([*cli, "index", "copy", "--from", str(archive), "--to", str(copy)], copy),
                         ([*cli, "reindex", "--archive-dir", str(archive), "--force"], archive)):
        folder.mkdir(exist_ok=True)
        (folder / "released").unlink(missing_ok=True)
        p = _holder(folder, 30)
        try:
            refused = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            assert refused.returncode == 3 and "pass --wait" in refused.stderr, refused.stderr
        finally:
            p.kill()
            p.wait()
        p = _holder(folder, 1.0)
        waited = subprocess.run([*argv, "--wait"], capture_output=True, text=True, timeout=60)
        p.wait()
        assert waited.returncode == 0, (argv, waited.stderr)
        assert (folder / "released").exists()  # it ran once the holder let go, not before


@pytest.mark.parametrize("odd", ["dangling link", "folder", "fifo"])
def test_a_lock_path_that_holds_no_file_is_a_one_line_usage_error(tmp_path: Path, odd: str) -> None:
    import os

    text = tmp_path / "note.txt"
    text.write_text("No posts cited here.\n")
    archive = tmp_path / "archive"
    archive.mkdir()
    lock = archive / ".lock"
    if odd == "dangling link":
        lock.symlink_to(tmp_path / "nowhere")  # could neither be made nor opened: tried for ever
    elif odd == "folder":
        lock.mkdir()
    else:
        os.mkfifo(lock)
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "archive", str(text), "--archive-dir", str(archive)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"archiver: cannot use {lock} as the archive's lock file (") and "remove it" in line, line
