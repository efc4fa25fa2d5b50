"""What a killed export leaves (its hidden `.part` file beside the output, or the folder `-o -`
stages its bundle in) is removed by the next export to the same place, unless a live export is
writing it: its writer's PID is alive, it was written within the grace period, or it holds the
file's lock (a writer on another machine).

The leftovers are made by real exports killed with SIGKILL while writing (the real WARC writer
and zip, in a child process), then aged past the grace period; live ones by a child process
holding a lock, as an export does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from archiver.export import export_bundle
from archiver.export.leftovers import GRACE, STAGE_PATTERN, part_pattern
from tests.export_fixtures import ALICE_KEY, alice_pages, build_archive

ROOT = Path(__file__).resolve().parents[1]

# A real export to OUT, SIGKILLed once its bundle is written but before it is sealed and renamed.
KILLED_EXPORT = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from archiver.export import export_bundle
    from tests.export_fixtures import ALICE_KEY, alice_pages, build_archive
    arc = build_archive(Path(sys.argv[1]))
    def killed(package, digest):
        os.kill(os.getpid(), signal.SIGKILL)
    export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), Path(sys.argv[2]), seal=killed)
""")

# `-o -`'s staging folder, SIGKILLed while the bundle is in it.
KILLED_STAGING = textwrap.dedent("""
    import os, signal
    from archiver.cli_export import _temporary
    with _temporary("export.wacz") as path:
        path.write_bytes(b"PK\\x03\\x04" + b"z" * 99996)  # a zip's first bytes, as a WACZ's
        os.kill(os.getpid(), signal.SIGKILL)
""")

# Holds the exclusive lock of argv[1] (as a writing export does) until its stdin closes.
HOLDER = textwrap.dedent("""
    import sys
    from archiver.export.leftovers import hold
    fd = hold(sys.argv[1])
    print("held", flush=True)
    sys.stdin.read()
""")


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=120)


def _dead_pid() -> int:
    """The PID of a process that ended (and was reaped): no process of it is left."""
    done = subprocess.Popen(["true"])
    assert done.wait(timeout=30) == 0
    return done.pid


def _aged(path: Path) -> Path:
    """`path` (and what a folder holds) last written twice the grace period ago."""
    import time

    then = time.time() - 2 * GRACE
    for each in [*(path.iterdir() if path.is_dir() else ()), path]:
        os.utime(each, (then, then))
    return path


def _holding(path: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=30)


def test_a_killed_exports_part_file_is_removed_by_the_next_export_never_a_live_ones(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "alice.wacz"
    killed = _python(KILLED_EXPORT, str(tmp_path / "killed-archive"), str(out))
    assert killed.returncode == -9, killed.stderr
    (left,) = [p for p in out_dir.iterdir()]
    assert part_pattern(out.name).fullmatch(left.name), left.name
    assert left.stat().st_size > 1000 and not out.exists()  # a full-size bundle, hidden
    _aged(left)

    # Live writers' files: one whose writer is on another machine (its PID means nothing here,
    # it holds the lock), one just made (its writer alive here, not locked yet), one written
    # lately by a writer whose lock this machine cannot see (a mount with client-local locks);
    # and another output's, whose name starts alike.
    dead = _dead_pid()
    elsewhere = out_dir / f".alice.wacz.{dead}.abcd1234.part"
    elsewhere.write_bytes(b"x" * 100)
    holder = _holding(_aged(elsewhere))
    lately = out_dir / f".alice.wacz.{dead}.mnop3456.part"
    lately.write_bytes(b"w" * 100)
    try:
        fresh = out_dir / f".alice.wacz.{holder.pid}.efgh5678.part"
        fresh.write_bytes(b"y" * 100)
        other = out_dir / f".alice.wacz.x.wacz.{dead}.ijkl9012.part"
        other.write_bytes(b"z" * 100)

        arc = build_archive(tmp_path / "archive")
        summary = export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), out)
        assert summary.records > 0
        with zipfile.ZipFile(out) as z:
            assert "datapackage.json" in z.namelist()
        assert not left.exists()
        assert elsewhere.exists() and fresh.exists() and lately.exists() and other.exists()
    finally:
        _release(holder)
    _aged(fresh)
    # Once their writers are gone, the next export removes them, but the one written lately (still
    # within the grace period); the other output's stays.
    export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), out)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([out.name, other.name, lately.name])
    _aged(lately)
    export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), out)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([out.name, other.name])


def test_a_killed_stdout_exports_folder_is_removed_by_the_next_one(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    killed = _python(KILLED_STAGING, env={"TMPDIR": str(tmp)})
    assert killed.returncode == -9, killed.stderr
    (left,) = list(tmp.iterdir())
    assert STAGE_PATTERN.fullmatch(left.name) and (left / "export.wacz").stat().st_size == 100000
    _aged(left)

    elsewhere = tmp / f"archiver-export-{_dead_pid()}-abcd1234"
    elsewhere.mkdir()
    holder = _holding(elsewhere)
    _aged(elsewhere)
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp))
        from archiver.cli_export import _temporary

        with _temporary("export.wacz") as path:
            assert path.parent.parent == tmp
            assert not left.exists() and elsewhere.exists()
            # this one is live: another export now leaves it alone
            assert _python(textwrap.dedent("""
                from archiver.cli_export import _temporary
                with _temporary("export.wacz"):
                    pass
            """), env={"TMPDIR": str(tmp)}).returncode == 0
            assert path.parent.exists()
        assert not path.parent.exists()
    finally:
        _release(holder)


def test_a_killed_stdout_export_s_folder_written_lately_is_left(tmp_path: Path) -> None:
    """Its writer's PID dead here and no lock held, but its bundle written within the grace period:
    maybe a live export on a machine whose locks this one cannot see. Left until the grace period
    has passed."""
    from archiver.export.leftovers import remove_stale

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    killed = _python(KILLED_STAGING, env={"TMPDIR": str(tmp)})
    assert killed.returncode == -9, killed.stderr
    (left,) = list(tmp.iterdir())
    _aged(left)
    (left / "export.wacz").write_bytes(b"PK" * 60000)  # written again, the folder's own time old
    assert remove_stale(tmp, STAGE_PATTERN) == [] and left.exists()
    _aged(left)
    assert remove_stale(tmp, STAGE_PATTERN) == [left] and not left.exists()


@pytest.mark.parametrize("kind", ["part file", "staging folder"])
def test_the_lock_an_export_holds_is_one_nfs_can_share(tmp_path: Path, kind: str) -> None:
    """On NFS flock is emulated with POSIX locks, whose exclusive lock needs a descriptor open for
    writing (a folder cannot be opened so): the descriptor `hold` gives takes a POSIX exclusive
    lock, on the file itself or on a file inside the staging folder."""
    import fcntl

    from archiver.export.leftovers import hold

    if kind == "part file":
        path = tmp_path / ".alice.wacz.1.abcd1234.part"
        path.write_bytes(b"x" * 100)
    else:
        path = tmp_path / "archiver-export-1-abcd1234"
        path.mkdir()
    fd = hold(path)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # EBADF on a descriptor open for reading only
        held = Path(os.readlink(f"/proc/self/fd/{fd}"))
        assert held == path if kind == "part file" else held.parent == path
    finally:
        os.close(fd)


def test_leftovers_of_the_naming_without_a_pid_are_removed_once_old_and_unlocked(tmp_path: Path) -> None:
    """Archivers before the PID was put in these names left `.NAME.XXXXXXXX.part` beside the output
    and `archiver-export-XXXXXXXX/` in the temporary folder. A killed export's bundle under that
    name, last written before the grace period, is removed by the next export to the same output
    (and such a folder by the next `-o -`); one written lately, one whose lock is held, and another
    output's are left."""
    from archiver.export.leftovers import remove_stale

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "alice.wacz"
    killed = _python(KILLED_EXPORT, str(tmp_path / "killed-archive"), str(out))
    assert killed.returncode == -9, killed.stderr
    (left,) = list(out_dir.iterdir())
    old = left.rename(out_dir / ".alice.wacz.k3j_9x2a.part")  # the same bundle, as the older naming had it
    assert part_pattern(out.name).fullmatch(old.name) and old.stat().st_size > 1000
    _aged(old)
    lately = out_dir / ".alice.wacz.q8w7e6r5.part"
    lately.write_bytes(old.read_bytes())
    locked = out_dir / ".alice.wacz.z1x2c3v4.part"
    locked.write_bytes(old.read_bytes())
    _aged(locked)
    other = out_dir / ".bob.wacz.a1b2c3d4.part"
    other.write_bytes(b"o" * 100)
    _aged(other)
    holder = _holding(locked)
    try:
        arc = build_archive(tmp_path / "archive")
        export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), out)
        assert sorted(p.name for p in out_dir.iterdir()) == sorted([out.name, lately.name, locked.name, other.name])
    finally:
        _release(holder)
    _aged(lately)
    export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), out)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([out.name, other.name])

    # `-o -`'s folder of that naming: a killed one's bundle in it.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    killed = _python(KILLED_STAGING, env={"TMPDIR": str(tmp)})
    assert killed.returncode == -9, killed.stderr
    (staged,) = list(tmp.iterdir())
    staged.joinpath(".lock").unlink()  # the older archiver kept no lock file in it
    old_folder = staged.rename(tmp / "archiver-export-u7i8o9p0")
    assert STAGE_PATTERN.fullmatch(old_folder.name)
    (tmp / "archiver-export-notes").mkdir()  # not an export's: its name has no eight-character tail
    assert remove_stale(tmp, STAGE_PATTERN) == [] and old_folder.exists()  # written lately
    _aged(old_folder)
    assert remove_stale(tmp, STAGE_PATTERN) == [old_folder] and not old_folder.exists()
    assert (tmp / "archiver-export-notes").exists()


def test_a_persons_own_entries_of_the_older_names_are_left(tmp_path: Path) -> None:
    """Eight characters of [a-z0-9_] are names a person gives too: `archiver export -o - >
    $TMPDIR/archiver-export-20240301` (a file), a folder `archiver-export-old_runs/`, a partial
    download `.alice.wacz.20240301.part` beside the output. Old and unlocked as they are, none of
    them is what an interrupted export of the naming without a PID left, and none is removed (nor
    is a `.lock` made inside a folder); the real leftover beside them is."""
    import shutil

    from archiver.export.leftovers import remove_stale

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    killed = _python(KILLED_STAGING, env={"TMPDIR": str(tmp)})
    assert killed.returncode == -9, killed.stderr
    (staged,) = list(tmp.iterdir())
    staged.joinpath(".lock").unlink()  # the older archiver kept no lock file in it
    leftover = staged.rename(tmp / "archiver-export-u7i8o9p0")
    bundle = (leftover / "export.wacz").read_bytes()

    # A person's export to stdout, redirected to a file of that name: a bundle, but a file.
    user_file = tmp / "archiver-export-20240301"
    user_file.write_bytes(bundle)
    # ... and a file named as the PID naming names a staging folder.
    pid_file = tmp / f"archiver-export-{_dead_pid()}-20240301"
    pid_file.write_bytes(bundle)
    # A person's folder of runs, one with a file named as the staged bundle but no bundle, one
    # holding a bundle and more, an empty one, and a real leftover's copy of another user's.
    runs = tmp / "archiver-export-old_runs"
    runs.mkdir()
    (runs / "notes.txt").write_text("keep me")
    not_bundle = tmp / "archiver-export-20240302"
    not_bundle.mkdir()
    (not_bundle / "export.wacz").write_text("my own notes, named oddly")
    more = tmp / "archiver-export-20240303"
    more.mkdir()
    (more / "export.wacz").write_bytes(bundle)
    (more / "list.txt").write_text("what I exported")
    empty = tmp / "archiver-export-20240304"
    empty.mkdir()
    pid_folder = tmp / f"archiver-export-{_dead_pid()}-20240306"  # the PID naming's, holding more than a bundle
    pid_folder.mkdir()
    (pid_folder / ".lock").touch()
    (pid_folder / "export.wacz").write_bytes(bundle)
    (pid_folder / "notes.txt").write_text("keep me")
    others = tmp / "archiver-export-20240305"
    shutil.copytree(leftover, others)
    for each in (others / "export.wacz", others):
        os.chown(each, os.getuid() + 1000, -1)
    for path in tmp.iterdir():
        _aged(path)

    assert remove_stale(tmp, STAGE_PATTERN) == [leftover]
    assert user_file.read_bytes() == bundle and pid_file.read_bytes() == bundle
    assert sorted(p.name for p in runs.iterdir()) == ["notes.txt"]  # no .lock made in it
    assert sorted(p.name for p in not_bundle.iterdir()) == ["export.wacz"]
    assert sorted(p.name for p in more.iterdir()) == ["export.wacz", "list.txt"]
    assert list(empty.iterdir()) == []
    assert sorted(p.name for p in others.iterdir()) == ["export.wacz"]
    assert sorted(p.name for p in pid_folder.iterdir()) == [".lock", "export.wacz", "notes.txt"]

    # Beside the output: a person's partial download and text under the older part name, and a
    # folder so named, are left; a killed export's bundle under that name is removed.
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    download = out_dir / ".alice.wacz.20240301.part"
    download.write_bytes(b"<html>half a page")
    folder = out_dir / ".alice.wacz.20240302.part"
    folder.mkdir()
    (folder / "export.wacz").write_bytes(bundle)
    others_part = out_dir / ".alice.wacz.20240303.part"
    others_part.write_bytes(bundle)
    os.chown(others_part, os.getuid() + 1000, -1)
    killed_part = out_dir / ".alice.wacz.20240304.part"
    killed_part.write_bytes(bundle)
    for path in out_dir.iterdir():
        _aged(path)
    assert remove_stale(out_dir, part_pattern("alice.wacz")) == [killed_part]
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([download.name, folder.name, others_part.name])
    assert download.read_bytes() == b"<html>half a page" and (folder / "export.wacz").exists()
