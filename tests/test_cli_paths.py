"""Output and input paths, and numbers, that cannot be used: one line naming the option, exit 2.

Names longer than the file system takes, folders that take no files, empty names, `-o -` meaning
standard output for every command that writes a file, numbers beyond what an index or a date can
hold. Each case runs the real command line in a process of its own."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli_conventions import _archive

ROOT = Path(__file__).resolve().parents[1]
LONG = "a" * 300  # over NAME_MAX (255) on every Linux file system


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


def _one_line(r: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    lines = r.stderr.splitlines()
    assert r.returncode == code, r.stderr
    assert lines and lines[-1].startswith("archiver: "), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    for word in words:
        assert word in lines[-1], lines[-1]
    return lines[-1]


def test_a_source_whose_name_is_too_long_is_named_as_unreadable(tmp_path: Path) -> None:
    r = _cli("scan", str(tmp_path / f"{LONG}.html"), "seeds/famous-posts.html", "--format", "jsonl")
    _one_line(r, 1, "post(s) in 1 source(s); 1 of 2 sources failed")  # the other source was read
    (named,) = [line for line in r.stderr.splitlines() if f"{LONG}.html" in line]
    assert named.startswith("archiver: ") and "File name too long" in named and "BarackObama" in r.stdout


def test_a_seeds_folder_whose_name_is_too_long_is_a_usage_error(tmp_path: Path) -> None:
    _one_line(_cli("run", "--seeds", str(tmp_path / LONG), "--archive-dir", str(tmp_path / "a")), 2,
              "--seeds", "File name too long")
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("where", ["long name", "no files there"])
def test_an_export_to_a_path_that_takes_no_file_is_one_line(where: str, tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    out = tmp_path / f"{LONG}.wacz" if where == "long name" else Path("/proc/archiver-test.wacz")
    _one_line(_cli("export", "--archive-dir", str(archive), "-o", str(out)), 2, "cannot write", "-o")
    assert not list(tmp_path.glob(".*part"))


@pytest.mark.parametrize("option", ["--limit", "--offset"])
def test_a_row_count_beyond_the_index_is_a_usage_error(option: str, tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    _one_line(_cli("lookup", "--archive-dir", str(archive), option, "9" * 23), 2, option)
    assert _cli("lookup", "--archive-dir", str(archive), option, str(2**63 - 1)).returncode == 0


@pytest.mark.parametrize("duration", ["999999d", "9" * 20 + "d"])
def test_a_recheck_period_past_the_calendar_is_a_usage_error(duration: str, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    r = _cli("run", "--seeds", str(seeds), "--archive-dir", str(tmp_path / "a"), "--recheck-after", duration)
    _one_line(r, 2, "--recheck-after", "1000 years")


def test_an_empty_output_name_is_a_usage_error(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    for command in (["report"], ["report", "-f", "json"], ["datasette-metadata"]):
        _one_line(_cli(*command, "--archive-dir", str(archive), "-o", "", cwd=tmp_path), 2, "-o", "name a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive"]


@pytest.mark.parametrize("command", [["report"], ["report", "-f", "json"], ["datasette-metadata"]], ids=" ".join)
def test_dash_writes_to_standard_output_and_no_file_named_dash(command: list[str], tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    r = _cli(*command, "--archive-dir", str(archive), "-o", "-", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    starts, word = {"report": ("<!doctype html>", "alice"), "datasette-metadata": ("title:", "disappeared")
                    }.get(" ".join(command), ("{", "alice"))
    assert r.stdout.startswith(starts) and word in r.stdout
    assert not (tmp_path / "-").exists()


def test_datasette_metadata_refuses_a_format_its_file_name_contradicts(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    _one_line(_cli("datasette-metadata", "--archive-dir", str(archive), "-o", str(tmp_path / "m.json"), "-f", "yaml"),
              2, "--format yaml contradicts", "m.json")
    _one_line(_cli("datasette-metadata", "--archive-dir", str(archive), "-o", str(tmp_path / "m.yml"), "-f", "json"),
              2, "--format json contradicts")
    assert not list(tmp_path.glob("m.*"))
    r = _cli("datasette-metadata", "--archive-dir", str(archive), "-o", str(tmp_path / "m.json"))
    assert r.returncode == 0 and (tmp_path / "m.json").read_text().startswith("{")


def _without_override() -> list[str]:
    """A prefix that runs a command without the power to read any file whatever its mode (root's)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root without setpriv: file modes do not bind")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


def test_unreadable_warc_files_are_named_by_verify_and_left_out_by_export(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    (warc,) = (archive / "warcs").glob("*.warc.gz")
    warc.chmod(0)
    prefix = [*_without_override(), sys.executable, "-m", "archiver.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    verify = subprocess.run([*prefix, "verify", "--archive-dir", str(archive)], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=120, check=False)
    assert verify.returncode == 1, verify.stderr
    assert verify.stdout.startswith(f"unreadable\twarcs/{warc.name}\tcannot be opened (Permission denied)")
    assert "Traceback" not in verify.stderr and "internal error" not in verify.stderr
    export = subprocess.run([*prefix, "export", "--archive-dir", str(archive), "-o", str(tmp_path / "x.wacz")],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)
    _one_line(export, 2, "nothing left to export", warc.name, "cannot be read (Permission denied)")
    assert not (tmp_path / "x.wacz").exists()


@pytest.mark.parametrize("where", ["the archive folder", "its warcs folder"])
def test_a_file_where_the_archive_needs_a_folder_is_one_line(where: str, tmp_path: Path) -> None:
    source = tmp_path / "article.html"
    source.write_text("<html><body><p>Nothing cited.</p></body></html>")
    archive = tmp_path / "archive"
    if where == "the archive folder":
        archive.write_text("a file")
        blocked = archive
    else:
        archive.mkdir()
        blocked = archive / "warcs"
        blocked.write_text("a file")
    line = _one_line(_cli("archive", str(source), "--archive-dir", str(archive)), 2, "is a file where a folder must be")
    assert str(blocked) in line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="a kernel file system at /proc (Linux)")
def test_an_archive_folder_on_a_kernel_file_system_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "article.html"
    source.write_text("<html><body><p>Nothing cited.</p></body></html>")
    line = _one_line(_cli("archive", str(source), "--archive-dir", "/proc/archiver-test"), 2,
                     "cannot create the folder /proc/archiver-test")
    assert not Path("/proc/archiver-test").exists(), line


@pytest.mark.parametrize("option", ["--archive-dir", "--seeds"])
def test_an_empty_folder_name_is_refused_not_read_as_the_current_folder(option: str, tmp_path: Path) -> None:
    args = ["run", "--seeds", str(tmp_path), "--archive-dir", str(tmp_path / "a")]
    args[args.index(option) + 1] = ""
    _one_line(_cli(*args, cwd=tmp_path), 2, f"{option} '': give a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    lookup = _cli("lookup", "--archive-dir", "", cwd=tmp_path)
    _one_line(lookup, 2, "--archive-dir ''")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://u:pw-s3cret@ftp.example/x", "javascript:alert(1)",
                                 "data:text/html,hi"])
def test_a_url_of_another_scheme_is_refused_as_one_not_looked_for_as_a_file(url: str, tmp_path: Path) -> None:
    line = _one_line(_cli("scan", url), 2, "not an http(s) URL, nor a file")
    assert "pw-s3cret" not in line
    assert line.startswith(f"archiver: {url.split(':')[0]}:")
    r = _cli("archive", url, "--archive-dir", str(tmp_path / "archive"))
    assert r.returncode == 2 and "not an http(s) URL, nor a file" in r.stderr and "pw-s3cret" not in r.stderr


_WRITERS = [["report"], ["datasette-metadata"], ["export"]]


def _named(command: list[str], stem: str) -> str:
    return stem + (".warc.gz" if command[0] == "export" else ".out")  # export reads its format from the name


@pytest.mark.parametrize("command", _WRITERS, ids=" ".join)
def test_an_output_through_a_symbolic_link_writes_its_target_and_keeps_the_link(command: list[str],
                                                                                 tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    real = tmp_path / _named(command, "real")
    real.write_text("old")
    link = tmp_path / _named(command, "link")
    link.symlink_to(real.name)
    r = _cli(*command, "--archive-dir", str(archive), "-o", str(link), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == real.name
    assert real.stat().st_size > 100


@pytest.mark.parametrize("command", _WRITERS, ids=" ".join)
def test_an_output_that_is_a_pipe_is_written_into_not_replaced(command: list[str], tmp_path: Path) -> None:
    import stat
    import threading

    archive = _archive(tmp_path / "archive")
    fifo = tmp_path / _named(command, "fifo")
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    try:
        r = _cli(*command, "--archive-dir", str(archive), "-o", str(fifo), cwd=tmp_path)
    finally:
        if reader.is_alive():  # the command never opened the pipe: open it once so the reader ends
            with open(fifo, "wb"):
                pass
        reader.join(30)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert len(got[0]) > 100, got


@pytest.mark.parametrize("command", _WRITERS, ids=" ".join)
def test_output_to_dev_stdout_is_the_data_alone(command: list[str], tmp_path: Path) -> None:
    # `-o /dev/stdout | ...`: the command named the file it wrote on stdout after the data, which
    # was stdout itself: a stray "/dev/stdout" line ended the YAML, the page, the bundle.
    archive = _archive(tmp_path / "archive")
    options = ["--format", "warc.gz"] if command == ["export"] else []
    r = subprocess.run([sys.executable, "-m", "archiver.cli", *command, "--archive-dir", str(archive), "-o",
                        "/dev/stdout", *options], capture_output=True, cwd=tmp_path, timeout=120, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert b"/dev/stdout" not in r.stdout[-40:]
    if command == ["export"]:
        assert gzip.decompress(r.stdout)[:8] == b"WARC/1.1"  # every byte is the bundle's
    elif command == ["report"]:
        assert r.stdout.rstrip().endswith(b"</html>")
    else:
        assert not r.stdout.decode().rstrip().splitlines()[-1].startswith("/")


@pytest.mark.parametrize("stream", ["/dev/stdout", "/dev/stderr"])
@pytest.mark.parametrize("command", _WRITERS, ids=" ".join)
def test_output_to_a_stream_appending_to_a_file_appends(command: list[str], stream: str, tmp_path: Path) -> None:
    # `-o /dev/stdout >> log`: opening /dev/stdout opens the log again, from its start, emptied;
    # the descriptor the shell opened for appending is written into instead, and the log kept.
    archive = _archive(tmp_path / "archive")
    log = tmp_path / "log.txt"
    log.write_bytes(b"earlier line\n")
    inode = log.stat().st_ino
    options = ["--format", "warc.gz"] if command == ["export"] else []
    with log.open("ab") as fh:
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "-q", *command, "--archive-dir", str(archive), "-o",
                            stream, *options], stdout=fh if stream == "/dev/stdout" else subprocess.PIPE,
                           stderr=fh if stream == "/dev/stderr" else subprocess.PIPE, cwd=tmp_path, timeout=120,
                           check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, (r.stdout, r.stderr)
    data = log.read_bytes()
    assert log.stat().st_ino == inode and data.startswith(b"earlier line\n"), data[:200]
    written = data[len(b"earlier line\n"):]
    if command == ["export"]:
        assert gzip.decompress(written)[:8] == b"WARC/1.1"  # every byte after the log's is the bundle's
    elif command == ["report"]:
        assert written.lstrip().startswith(b"<!") and written.rstrip().endswith(b"</html>")
    else:
        assert len(written) > 100 and stream.encode() not in written


@pytest.mark.parametrize("command", _WRITERS, ids=" ".join)
def test_output_to_a_descriptor_the_command_was_not_given_is_refused(command: list[str], tmp_path: Path) -> None:
    # /dev/fd/3 when no descriptor 3 was passed: the number is the process's own by then (its index,
    # archive.db, open under it while exporting), never written into; one passed (`3> out`) is.
    archive = _archive(tmp_path / "archive")
    index = (archive / "archive.db").read_bytes()
    options = ["--format", "warc.gz"] if command == ["export"] else []
    cmd = [sys.executable, "-m", "archiver.cli", *command, "--archive-dir", str(archive), "-o", "/dev/fd/3", *options]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(cmd, capture_output=True, cwd=tmp_path, timeout=120, check=False, env=env)
    assert r.returncode == 2 and b"descriptor 3 was not open when the command started" in r.stderr, r.stderr
    if command == ["export"]:  # said before the bundle is made, not after: its one line, nothing else
        assert r.stderr.count(b"\n") == 1, r.stderr
    assert (archive / "archive.db").read_bytes()[:16] == index[:16] == b"SQLite format 3\x00"
    assert _cli("lookup", "--archive-dir", str(archive), cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    # (A shell opens it, as a user's would: this test's own descriptor 3 is left alone.)
    r = subprocess.run(["sh", "-c", 'exec "$@" 3> "$OUT"', "sh", *cmd], capture_output=True, cwd=tmp_path,
                       timeout=120, check=False, env={**env, "OUT": str(out)})
    assert r.returncode == 0, r.stderr
    assert len(out.read_bytes()) > 100


@pytest.mark.parametrize(("options", "magic"), [([], b"PK"), (["--format", "warc.gz"], b"\x1f\x8b"),
                                                 (["--format", "wacz"], b"PK")])
def test_an_export_into_a_pipe_whose_name_tells_no_format_takes_the_format_asked(
        options: list[str], magic: bytes, tmp_path: Path) -> None:
    # A device or a pipe (`/dev/stdout`) has a name of its own: --format says what to write into it,
    # a WACZ by default as for `-o -`.
    import threading

    archive = _archive(tmp_path / "archive")
    fifo = tmp_path / "bundle-pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    try:
        r = _cli("export", "--archive-dir", str(archive), "-o", str(fifo), *options, cwd=tmp_path)
    finally:
        if reader.is_alive():
            with open(fifo, "wb"):
                pass
        reader.join(30)
    assert r.returncode == 0, r.stderr
    assert got[0][:2] == magic, got[0][:8]


def test_an_export_to_a_terminal_device_is_refused_as_minus_o_is(tmp_path: Path) -> None:
    import pty

    archive = _archive(tmp_path / "archive")
    master, slave = pty.openpty()  # a terminal of the test's own, named as /dev/pts/N
    try:
        _one_line(_cli("export", "--archive-dir", str(archive), "-o", os.ttyname(slave), cwd=tmp_path), 2,
                  "not writing a binary bundle to a terminal")
    finally:
        os.close(master)
        os.close(slave)


def test_a_timestamp_authority_from_the_environment_is_not_asked_to_stamp_a_single_warc(tmp_path: Path) -> None:
    # ARCHIVER_TSA is set for runs' captures; a WARC export cannot hold a timestamp over it, and the
    # user asked for none on its command line. (Nothing listens at the address: it is never asked.)
    archive = _archive(tmp_path / "archive")
    out = tmp_path / "selection.warc.gz"
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "export", "--archive-dir", str(archive), "-o", str(out)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "ARCHIVER_TSA": "http://127.0.0.1:9/tsa"})
    assert r.returncode == 0, r.stderr
    assert "ARCHIVER_TSA not applied" in r.stderr
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    # Asked on the command line, it stays a usage error: a seal needs a WACZ.
    _one_line(_cli("export", "--archive-dir", str(archive), "-o", str(out), "--timestamp", "http://127.0.0.1:9/tsa",
                   cwd=tmp_path), 2, "*.wacz")


@pytest.mark.skipif(os.geteuid() != 0, reason="a device node of its own needs root")
@pytest.mark.parametrize("command", _WRITERS, ids=" ".join)
def test_an_output_device_that_is_full_is_one_line_and_stays_a_device(command: list[str], tmp_path: Path) -> None:
    import stat

    archive = _archive(tmp_path / "archive")
    full = tmp_path / _named(command, "full")  # a node of the kernel's "full" device (1, 7), made in the test's own folder
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    _one_line(_cli(*command, "--archive-dir", str(archive), "-o", str(full), cwd=tmp_path), 2, str(full),
              "No space left on device")
    assert stat.S_ISCHR(full.stat().st_mode)
