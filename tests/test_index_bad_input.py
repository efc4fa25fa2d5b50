"""Bad input around the index, through the real command line: a malformed or out-of-range --index
URL, an archive.db that is a folder, unreadable or empty, a --text too long for any backend, an
`index copy` or `index migrate` pointed at the wrong place or at a locked archive, and `reindex`
over WARC files that are garbage, truncated, unreadable or hold a record without a date.

Each answers with one line per problem, prefixed `archiver: `, and the exit code every command
shares (1 partly failed, 2 usage error or nothing readable, 3 locked); no traceback, no
"internal error", no password; a command that reads never writes into the archive.

The archives are written by the real index and WARC writer (no browser). What needs a user other
than root (a file this user may not read) runs the command as `nobody` through `setpriv` when the
tests run as root, and is skipped when neither is possible.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.index.textquery import MAX_WORDS
from archiver.layout import DB_NAME, WARC_DIR
from archiver.lock import LOCK_NAME
from archiver.models import Post
from archiver.warcstore import WarcStore
from tests.e2e import ROOT
from tests.services import free_port
from tests.synthetic import add_captured_tweet

PASSWORD = "pw-s3cret-9"
NOBODY = 65534



def _naming(stderr: str, name: str) -> list[str]:
    """The lines of a reindex's stderr naming the WARC file `name`, besides the line that says the
    index was rebuilt from partial history (which names every file lost or damaged)."""
    return [x for x in stderr.splitlines() if name in x and "rebuilt from partial history" not in x]

def _cli(*args: str, as_nobody: bool = False, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "archiver.cli", *args]
    if as_nobody and os.geteuid() == 0:
        argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)})


def _one_line(r: subprocess.CompletedProcess[str], code: int) -> str:
    """The single line a refused command printed on stderr (asserting its exit code)."""
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: "), r.stderr
    assert PASSWORD not in r.stderr + r.stdout
    return lines[0]


def _build(archive: Path, posts: int = 6) -> None:
    """An archive of `posts` captured posts, its WARCs split over several files, its journal in them."""
    archive.mkdir(parents=True)
    with Index(archive) as index, WarcStore(archive / WARC_DIR, max_size=6_000) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article("https://news.example/2024/river.html", source="river.html")
        for n in range(posts):
            post = Post(platform="twitter", kind="embedded", source="river.html", evidence="blockquote",
                        post_id=f"17646400000000{n:05d}", handle="RivertonDesk", posted_at="2024-03-04T12:00:00Z",
                        text=f"The river is up again, gauge {n}")
            add_captured_tweet(index, store, article, post, b"<html>tweet</html>" * 20, reason="OK")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("bad-input") / "archive"
    _build(archive)
    assert len(_warcs(archive)) >= 3
    return archive


def _copy(pristine: Path, dest: Path) -> Path:
    shutil.copytree(pristine, dest)
    return dest


def _warcs(archive: Path) -> list[Path]:
    return sorted((archive / WARC_DIR).glob("*.warc.gz"))


def _drop_index(archive: Path) -> None:
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        (archive / name).unlink(missing_ok=True)


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder outside pytest's 0700 tree, open to the `nobody` user (who runs some commands here)."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("as root, a permission is only tested through setpriv, which is not installed")
    folder = Path(tempfile.mkdtemp(prefix="archiver-bad-input-"))
    folder.chmod(0o777)
    yield folder
    for path in folder.rglob("*"):  # files made 000 by the test: removable again
        if not path.is_symlink():
            path.chmod(0o777)
    shutil.rmtree(folder, ignore_errors=True)


def _open_to_all(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(0o777 if p.is_dir() else 0o666)


# -- --index URLs ---------------------------------------------------------------------------------------

def _index_commands(tmp: Path) -> dict[str, list[str]]:
    """Each command that takes an --index URL, with the arguments it needs to get that far."""
    seeds = tmp / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "news.urls").write_text("https://news.example/a.html\n")
    article = tmp / "article.html"
    article.write_text("<p>no posts</p>")
    archive = ["--archive-dir", str(tmp / "archive")]
    broker = ["--broker", f"redis://127.0.0.1:{free_port()}/0"]
    return {
        "lookup": ["lookup", *archive, "--index"],
        "show": ["show", "twitter:1", *archive, "--index"],
        "export": ["export", "-o", str(tmp / "out.wacz"), *archive, "--index"],
        "report": ["report", "-o", str(tmp / "report.html"), *archive, "--index"],
        "verify": ["verify", *archive, "--index"],
        "archive": ["archive", str(article), *archive, "--index"],
        "run": ["run", "--seeds", str(seeds), *archive, "--index"],
        "worker": ["worker", *broker, *archive, "--index"],
        "index migrate": ["index", "migrate", "--index"],
        "index copy --from": ["index", "copy", "--to", str(tmp / "copy"), "--from"],
        "index copy --to": ["index", "copy", "--from", str(tmp / "archive"), "--to"],
        "runs status": ["runs", "status", "1", *broker, "--index"],
    }


COMMANDS = ("lookup", "show", "export", "report", "verify", "archive", "run", "worker", "index migrate",
            "index copy --from", "index copy --to", "runs status")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_malformed_index_url_is_a_usage_error_without_the_password(command: str, tmp_path: Path,
                                                                     pristine: Path) -> None:
    _copy(pristine, tmp_path / "archive")
    url = f"postgresql://user:{PASSWORD}@[::1"
    r = _cli(*_index_commands(tmp_path)[command], url)
    line = _one_line(r, 2)
    assert "postgresql://user@[::1" in line and "not valid" in line and "postgresql://USER" in line
    assert not (tmp_path / "copy").exists()


@pytest.mark.parametrize("command", ["lookup", "archive", "index migrate", "index copy --from"])
def test_a_port_out_of_range_is_a_usage_error_naming_the_port_given(command: str, tmp_path: Path,
                                                                     pristine: Path) -> None:
    _copy(pristine, tmp_path / "archive")
    r = _cli(*_index_commands(tmp_path)[command], f"postgresql://u:{PASSWORD}@127.0.0.1:99999/db")
    line = _one_line(r, 2)
    assert "99999" in line and "port" in line and "5432" not in line


def test_index_url_helpers_never_raise_on_what_was_typed() -> None:
    from archiver.errors import UsageError
    from archiver.index.postgres.url import check, is_postgres, place, redact, scrub

    for url in (f"postgresql://user:{PASSWORD}@[::1", f"postgres://u:{PASSWORD}@h:port/db",
                f"postgresql://u:{PASSWORD}@[zz]/db", f"postgresql://u:{PASSWORD}@h/db?port=0"):
        assert is_postgres(url)
        assert PASSWORD not in redact(url) and PASSWORD not in place(url)
        assert scrub(f"failed for {PASSWORD}", url) == "failed for ***"
        with pytest.raises(UsageError) as refused:
            check(url)
        assert PASSWORD not in str(refused.value)
    assert place(f"postgresql://u:{PASSWORD}@127.0.0.1:99999/db") == "127.0.0.1:99999/db"
    for url in ("postgresql://h1:5432,h2:5433/db", "postgresql:///db?host=/run/postgresql",
                "postgresql://u@[::1]:5432/db", "postgres://u:p@db.example/archive?sslmode=disable"):
        check(url)  # well formed: accepted as they are


# -- archive.db that cannot be read -----------------------------------------------------------------

READERS = {
    "lookup": ["lookup"],
    "show": ["show", "twitter:1"],
    "verify": ["verify"],
    "report": ["report", "-o", "OUT/report.html"],
    "datasette-metadata": ["datasette-metadata"],
    "index migrate": ["index", "migrate"],
    "index copy --from": ["index", "copy", "--to", "OUT/copy", "--from"],
}


def _reader(command: str, archive: Path, out: Path) -> list[str]:
    args = [a.replace("OUT", str(out)) for a in READERS[command]]
    return [*args, str(archive)] if command == "index copy --from" else [*args, "--archive-dir", str(archive)]


@pytest.mark.parametrize("command", sorted(READERS))
def test_an_index_that_is_a_folder_is_named_as_one(command: str, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    (archive / DB_NAME).mkdir(parents=True)
    line = _one_line(_cli(*_reader(command, archive, tmp_path)), 2)
    assert f"{archive / DB_NAME}" in line and "is a folder" in line
    assert not (tmp_path / "copy").exists() and not (tmp_path / "report.html").exists()


FIFO_COMMANDS = {**READERS, "export": ["export", "-o", "OUT/x.wacz"], "archive": ["archive", "PAGE"]}


@pytest.mark.parametrize("command", sorted(FIFO_COMMANDS))
def test_an_index_that_is_a_named_pipe_is_named_at_once_and_left(command: str, tmp_path: Path) -> None:
    # Opened, a FIFO waits for a writer (or SQLite says 'disk I/O error'): it is named from its stat.
    archive = tmp_path / "archive"
    archive.mkdir()
    os.mkfifo(archive / DB_NAME)
    page = tmp_path / "page.html"
    page.write_text("<p>No post here.</p>")
    args = [a.replace("OUT", str(tmp_path)).replace("PAGE", str(page)) for a in FIFO_COMMANDS[command]]
    args = [*args, str(archive)] if command == "index copy --from" else [*args, "--archive-dir", str(archive)]
    r = subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                       timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = _one_line(r, 2)
    assert line == (f"archiver: cannot read the index {archive / DB_NAME}: it is a named pipe (FIFO), not an index "
                    "file: move it away, or pass the right --archive-dir")
    assert stat.S_ISFIFO((archive / DB_NAME).lstat().st_mode)  # never removed nor replaced
    assert not (tmp_path / "copy").exists() and not (tmp_path / "report.html").exists()
    assert not (tmp_path / "x.wacz").exists()


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_reindex_leaves_an_index_that_is_a_named_pipe(force: list[str], tmp_path: Path, pristine: Path) -> None:
    """A FIFO where the index goes is someone's: forced or not, reindex names it and leaves it."""
    archive = tmp_path / "archive"
    shutil.copytree(pristine / "warcs", archive / "warcs")
    os.mkfifo(archive / DB_NAME)
    line = _one_line(_cli("reindex", *force, "--archive-dir", str(archive)), 2)
    assert line == (f"archiver: cannot read the index {archive / DB_NAME}: it is a named pipe (FIFO), not an index "
                    "file: move it away, or pass the right --archive-dir")
    assert stat.S_ISFIFO((archive / DB_NAME).lstat().st_mode)


def test_copying_over_an_index_that_is_a_named_pipe_needs_force(tmp_path: Path, pristine: Path) -> None:
    destination = tmp_path / "copy"
    destination.mkdir()
    os.mkfifo(destination / DB_NAME)
    line = _one_line(_cli("index", "copy", "--from", str(pristine), "--to", str(destination)), 2)
    assert f"{destination / DB_NAME}" in line and "named pipe (FIFO)" in line
    assert stat.S_ISFIFO((destination / DB_NAME).lstat().st_mode)
    r = _cli("index", "copy", "--from", str(pristine), "--to", str(destination), "--force")
    assert r.returncode == 0, r.stderr
    assert (destination / DB_NAME).is_file()


@pytest.mark.parametrize("command", sorted(READERS))
def test_an_index_this_user_may_not_read_says_permission_denied(command: str, open_tmp: Path,
                                                                pristine: Path) -> None:
    archive = _copy(pristine, open_tmp / "archive")
    _open_to_all(archive)
    (archive / DB_NAME).chmod(0)
    line = _one_line(_cli(*_reader(command, archive, open_tmp), as_nobody=True), 2)
    assert f"{archive / DB_NAME}" in line and "permission denied" in line


@pytest.mark.parametrize("command", sorted(set(READERS) - {"index migrate"}))
def test_reading_an_empty_index_leaves_it_empty(command: str, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / DB_NAME).write_bytes(b"")
    line = _one_line(_cli(*_reader(command, archive, tmp_path)), 2)
    assert "empty" in line and f"{archive / DB_NAME}" in line
    assert (archive / DB_NAME).stat().st_size == 0  # no schema written into it
    assert not (tmp_path / "copy").exists()


def _foreign_sqlite(folder: Path) -> None:
    """Another program's SQLite file where the index would be."""
    import sqlite3

    folder.mkdir()
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()


def test_reading_a_foreign_sqlite_file_leaves_it_alone(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    _foreign_sqlite(archive)
    before = (archive / DB_NAME).read_bytes()
    line = _one_line(_cli("lookup", "--archive-dir", str(archive)), 2)
    assert "not an archive.db" in line or "without an archiver index" in line
    assert (archive / DB_NAME).read_bytes() == before


# -- --text ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["lookup"], ["export", "-o", "OUT/out.wacz"], ["report", "-o", "OUT/r.html"]],
                         ids=lambda c: c[0])
def test_a_text_of_too_many_words_is_a_usage_error(command: list[str], tmp_path: Path, pristine: Path) -> None:
    args = [a.replace("OUT", str(tmp_path)) for a in command]
    words = " ".join(f"w{n}" for n in range(999))
    line = _one_line(_cli(*args, "--archive-dir", str(pristine), "--text", words), 2)
    assert "999 words" in line and str(MAX_WORDS) in line and "index" not in line
    assert len(line) < 200


def test_an_export_over_an_existing_file_says_it_replaced_it(tmp_path: Path, pristine: Path) -> None:
    """A mistyped -o over a bundle made earlier (a signed one, say) is noticed on stderr."""
    out = tmp_path / "bundle.wacz"
    first = _cli("export", "--archive-dir", str(pristine), "-o", str(out))
    assert first.returncode == 0 and "replacing" not in first.stderr, first.stderr
    again = _cli("export", "--archive-dir", str(pristine), "-o", str(out))
    assert again.returncode == 0 and f"wrote {out} (replacing the file that was there): " in again.stderr


def test_the_most_words_a_text_may_hold_are_searched(pristine: Path) -> None:
    words = " OR ".join(["gauge", *(f"w{n}" for n in range(MAX_WORDS - 1))])
    r = _cli("lookup", "--archive-dir", str(pristine), "--text", words, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count('"key"') == 6


# -- index copy, index migrate ---------------------------------------------------------------------------

def test_copying_from_an_archive_without_an_index_is_exit_2(tmp_path: Path) -> None:
    for source in (tmp_path / "nowhere", tmp_path / "nowhere" / DB_NAME):
        line = _one_line(_cli("index", "copy", "--from", str(source), "--to", str(tmp_path / "copy")), 2)
        assert "no index at" in line
    assert not (tmp_path / "copy").exists()


def test_migrating_into_a_file_says_it_is_not_a_folder(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    for where in (afile, afile / "deeper"):
        line = _one_line(_cli("index", "migrate", "--archive-dir", str(where)), 2)
        assert f"{afile} is a file, not a folder" in line
    assert afile.read_text() == "x"


def test_migrating_into_a_read_only_folder_says_it_is_not_writable(open_tmp: Path) -> None:
    folder = open_tmp / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    line = _one_line(_cli("index", "migrate", "--archive-dir", str(folder), as_nobody=True), 2)
    assert f"the folder {folder} is not writable" in line
    assert not list(folder.iterdir())


def test_copying_into_an_archive_whose_lock_is_held_is_exit_3(tmp_path: Path, pristine: Path) -> None:
    destination = tmp_path / "destination"
    destination.mkdir()
    (destination / DB_NAME).write_bytes(b"the index a running archive is writing")
    fd = os.open(destination / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a run holds it (archiver/lock.py)
        r = _cli("index", "copy", "--from", str(pristine), "--to", str(destination), "--force")
        line = _one_line(r, 3)
        assert "another run holds the lock" in line
    finally:
        os.close(fd)
    assert (destination / DB_NAME).read_bytes() == b"the index a running archive is writing"
    assert not list(destination.glob(f".{DB_NAME}.copy-*"))
    r = _cli("index", "copy", "--from", str(pristine), "--to", str(destination), "--force")
    assert r.returncode == 0, r.stderr


def test_copying_over_a_foreign_sqlite_file_needs_force(tmp_path: Path, pristine: Path) -> None:
    destination = tmp_path / "destination"
    _foreign_sqlite(destination)
    before = (destination / DB_NAME).read_bytes()
    line = _one_line(_cli("index", "copy", "--from", str(pristine), "--to", str(destination)), 2)
    assert "not an archiver index" in line and "--force" in line
    assert (destination / DB_NAME).read_bytes() == before


# -- reindex over damaged WARC files -------------------------------------------------------------------

def _garbage(path: Path, seed: int = 7) -> None:
    rng = random.Random(seed)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(3000)))


def _reindex(archive: Path, *extra: str, as_nobody: bool = False) -> subprocess.CompletedProcess[str]:
    r = _cli("reindex", "--archive-dir", str(archive), *extra, as_nobody=as_nobody)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert all(line.startswith("archiver: ") for line in r.stderr.splitlines()), r.stderr
    assert "Remainder" not in r.stderr and "\\x" not in r.stderr
    assert all(len(line) < 400 and line.isprintable() for line in r.stderr.splitlines()), r.stderr
    return r


def _lookup_keys(archive: Path) -> list[str]:
    import json

    r = _cli("lookup", "--archive-dir", str(archive), "--format", "json")
    assert r.returncode == 0, r.stderr
    return [row["key"] for row in json.loads(r.stdout)]


def test_reindex_of_garbage_only_names_each_file_and_writes_nothing(tmp_path: Path, pristine: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    _drop_index(archive)
    files = _warcs(archive)
    for n, path in enumerate(files):
        _garbage(path, seed=n)
    r = _reindex(archive)
    assert r.returncode == 2, r.stderr
    for path in files:
        (line,) = _naming(r.stderr, path.name)
        assert "not a WARC file" in line
    assert "nothing could be read" in r.stderr.splitlines()[-1]
    assert not (archive / DB_NAME).exists() and not list(archive.glob(f".{DB_NAME}*"))


def test_reindex_of_unreadable_files_only_is_exit_2_without_an_index(open_tmp: Path, pristine: Path) -> None:
    archive = _copy(pristine, open_tmp / "archive")
    _drop_index(archive)
    _open_to_all(archive)
    for path in _warcs(archive):
        path.chmod(0)
    r = _reindex(archive, as_nobody=True)
    assert r.returncode == 2, r.stderr
    assert sum("permission denied" in line for line in r.stderr.splitlines()) == len(_warcs(archive))
    assert not (archive / DB_NAME).exists()


def test_reindex_keeps_the_old_index_when_nothing_is_readable(tmp_path: Path, pristine: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    before = (archive / DB_NAME).read_bytes()
    for path in _warcs(archive):
        _garbage(path)
    r = _reindex(archive, "--force")
    assert r.returncode == 2, r.stderr
    assert "the old one is untouched" in r.stderr.splitlines()[-1]
    assert (archive / DB_NAME).read_bytes() == before


def test_reindex_names_one_garbage_file_and_indexes_the_rest(tmp_path: Path, pristine: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    _drop_index(archive)
    stray = archive / WARC_DIR / "archiver-20991231000000000-00009.warc.gz"
    _garbage(stray)
    r = _reindex(archive)
    assert r.returncode == 1, r.stderr
    (line,) = _naming(r.stderr, stray.name)
    assert "not a WARC file" in line and "journaled" not in line
    assert len(_lookup_keys(archive)) == 6


def test_reindex_names_a_truncated_file_truncated(tmp_path: Path, pristine: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    expected = _lookup_keys(archive)
    _drop_index(archive)
    last = _warcs(archive)[-1]
    data = last.read_bytes()
    last.write_bytes(data[: len(data) - 40])  # cut inside its last gzip member
    r = _reindex(archive)
    assert r.returncode == 1, r.stderr
    (line,) = _naming(r.stderr, last.name)
    assert "truncated" in line and "journaled" not in line
    assert set(_lookup_keys(archive)) <= set(expected)


@pytest.mark.parametrize(("tail", "said"), [(b"\x1f", "truncated: the file ends inside the record at offset"),
                                             (b"\x00", "damaged at offset")],
                         ids=["cut one byte into a member", "one stray byte"])
def test_reindex_tells_a_member_cut_short_from_a_stray_byte(tail: bytes, said: str, tmp_path: Path,
                                                            pristine: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    expected = _lookup_keys(archive)
    _drop_index(archive)
    last = _warcs(archive)[-1]
    size = last.stat().st_size
    with last.open("ab") as fh:
        fh.write(tail)  # a gzip member starts with 1f 8b: the first byte of one, or of nothing
    r = _reindex(archive)
    assert r.returncode == 1, r.stderr
    (line,) = _naming(r.stderr, last.name)
    assert f"{said} {size}" in line, line
    assert set(_lookup_keys(archive)) == set(expected)


def _undated(n: int) -> bytes:
    block = b"no date here"
    return gzip.compress(
        b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-00000000000"
        + str(n).encode() + b">\r\nWARC-Target-URI: https://news.example/undated.txt\r\nContent-Type: text/plain\r\n"
        b"Content-Length: " + str(len(block)).encode() + b"\r\n\r\n" + block + b"\r\n\r\n")


@pytest.mark.parametrize("where", ["after the file's records", "first in the file"])
def test_reindex_skips_and_names_a_record_without_a_date(where: str, tmp_path: Path, pristine: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    expected = _lookup_keys(archive)
    _drop_index(archive)
    first = _warcs(archive)[0]
    if where == "first in the file":  # at offset 0, then another one further on
        offset = 0
        first.write_bytes(_undated(1) + first.read_bytes() + _undated(2))
    else:
        offset = first.stat().st_size
        with first.open("ab") as fh:
            fh.write(_undated(1))
    r = _reindex(archive)
    assert r.returncode == 1, r.stderr
    (line,) = _naming(r.stderr, first.name)
    assert "without a WARC-Date" in line and f"the first at offset {offset})" in line
    assert "NOT NULL" not in r.stderr
    assert _lookup_keys(archive) == expected


def test_reindex_over_an_index_that_is_a_folder_names_it_and_leaves_nothing(tmp_path: Path, pristine: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    _drop_index(archive)
    (archive / DB_NAME).mkdir()
    r = _reindex(archive)
    line = _one_line(r, 2)
    assert f"{archive / DB_NAME}" in line and "is a folder" in line
    assert not list(archive.glob(f".{DB_NAME}.reindex-*"))


# -- an archive in a folder this user cannot write ------------------------------------------------------

def _read_only_for_all(archive: Path) -> None:
    for p in [*archive.rglob("*"), archive]:
        p.chmod(0o555 if p.is_dir() else 0o444)


@pytest.mark.parametrize("held", [False, True], ids=["closed", "open elsewhere"])
def test_an_archive_in_a_folder_this_user_cannot_write_is_read_as_it_stands(held: bool, open_tmp: Path,
                                                                              pristine: Path) -> None:
    import sqlite3

    archive = _copy(pristine, open_tmp / "archive")
    expected = _cli("lookup", "--archive-dir", str(archive), "--format", "jsonl")
    assert expected.returncode == 0 and expected.stdout.count("\n") >= 2, expected.stderr
    _drop_index(archive)  # as a finished run leaves it: the log folded in, no side files
    shutil.copy2(pristine / DB_NAME, archive / DB_NAME)
    keeper = None
    if held:  # the owner has it open meanwhile: the side files exist, and are read through
        keeper = sqlite3.connect(archive / DB_NAME)
        keeper.execute("PRAGMA journal_mode = wal")
        keeper.execute("SELECT count(*) FROM posts").fetchone()
        assert (archive / f"{DB_NAME}-shm").exists()
    _read_only_for_all(archive)
    try:
        before = {p.name: p.stat().st_mtime_ns for p in archive.iterdir()}
        r = _cli("lookup", "--archive-dir", str(archive), "--format", "jsonl", as_nobody=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout == expected.stdout
        checked = _cli("verify", "--archive-dir", str(archive), as_nobody=True)
        assert checked.returncode == 0 and "is intact" in checked.stderr, checked.stderr
        assert {p.name: p.stat().st_mtime_ns for p in archive.iterdir()} == before  # nothing written
    finally:
        if keeper is not None:
            keeper.close()
        _open_to_all(archive)


def test_a_read_only_archive_whose_log_holds_changes_says_what_to_do(open_tmp: Path, pristine: Path) -> None:
    archive = _copy(pristine, open_tmp / "archive")
    _drop_index(archive)
    shutil.copy2(pristine / DB_NAME, archive / DB_NAME)
    (archive / f"{DB_NAME}-wal").write_bytes(b"\0" * 4096)  # a log that was never folded in
    _read_only_for_all(archive)
    try:
        line = _one_line(_cli("lookup", "--archive-dir", str(archive), as_nobody=True), 2)
        assert "not writable by this user" in line and "as its owner" in line
    finally:
        _open_to_all(archive)


def test_reindex_steps_over_a_damaged_record_and_keeps_those_after_it(tmp_path: Path) -> None:
    """Bytes flipped inside one record of a gzipped WARC (bit rot): each record is a gzip member of
    its own, so the whole records after the damage are read as well; only the damaged one is lost."""
    from warcio.archiveiterator import ArchiveIterator

    from tests.synthetic import synthetic_archive

    archive = tmp_path / "archive"
    synthetic_archive(archive, 40)
    expected = _lookup_keys(archive)
    (warc,) = _warcs(archive)
    with warc.open("rb") as fh:
        it = ArchiveIterator(fh)
        responses = [(it.get_record_offset(), it.get_record_length()) for rec in it
                     if rec.rec_type == "response" and it.read_to_end(rec) is None]
    # A response record halfway through the file: the post it holds keeps its journal entries
    # (other members), so only that capture's page is lost from the index.
    offset, length = responses[len(responses) // 2]
    data = bytearray(warc.read_bytes())
    for i in range(offset + length // 2, offset + length // 2 + 3):
        data[i] ^= 0xFF
    warc.write_bytes(bytes(data))
    r = _reindex(archive, "--force")
    assert r.returncode == 1, r.stderr
    (line,) = _naming(r.stderr, warc.name)
    assert f"damaged at offset {offset} (no WARC record there): bytes {offset}-{offset + length} stepped over" in line, line
    assert line.endswith("every whole record around them is kept (run `archiver verify`)"), line
    assert set(_lookup_keys(archive)) == set(expected)  # every post is still there
    with sqlite3.connect(archive / DB_NAME) as db:
        assert db.execute("SELECT count(*) FROM records").fetchone()[0] == 40 * 2 - 1  # the damaged record alone
        stored = db.execute("SELECT \"offset\", length FROM records WHERE warc_type = 'response'").fetchall()
    # Every record after the damage is indexed where it lies: verify finds it there, nothing else amiss.
    assert sorted(stored) == sorted(r for r in responses if r[0] != offset)
    v = subprocess.run([sys.executable, "-m", "archiver", "verify", "--archive-dir", str(archive)],
                       capture_output=True, text=True, timeout=120)
    # The damaged member, and the capture whose page record it held; not the records past it.
    assert v.returncode == 1 and v.stdout.count("\n") <= 3, v.stdout
    assert f"offset {offset}" in v.stdout.splitlines()[0] and "gzip member" not in v.stdout, v.stdout


@pytest.mark.parametrize("text", ["*", "''", "--", '"!!"', "'' -- ?"])
def test_a_text_of_punctuation_alone_has_nothing_to_search_for(text: str) -> None:
    from archiver.errors import UsageError
    from archiver.index.filters import Filters

    with pytest.raises(UsageError, match="--text: nothing to search for"):
        Filters(text=text)


@pytest.mark.parametrize("text", ["C++", "#Riverton", "🌊", "a''"])
def test_words_with_punctuation_are_searched(text: str) -> None:
    from archiver.index.filters import Filters

    assert Filters(text=text).text == text


def test_a_row_of_garbage_text_is_damage_verify_names_and_reindex_repairs(tmp_path: Path, pristine: Path) -> None:
    """Bytes that are no UTF-8 where a post's text was pass SQLite's own check, but stop every
    command that reads the row: verify names the index damaged and still checks the WARCs (exit 1),
    and reindex, told to by the message, rebuilds it without --force."""
    archive = _copy(pristine, tmp_path / "archive")
    expected = _lookup_keys(archive)
    with sqlite3.connect(archive / DB_NAME) as db:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute(f'DROP TRIGGER "{name}"')  # a row's bytes overwritten, not an update
        db.execute("UPDATE posts SET text = CAST(X'DEADBEEFDEADBEEF' AS TEXT) WHERE rowid = (SELECT min(rowid) FROM posts)")
    looked = _cli("lookup", "--archive-dir", str(archive))
    assert looked.returncode == 2 and "not UTF-8" in looked.stderr and "archiver reindex" in looked.stderr, looked.stderr
    v = _cli("verify", "--archive-dir", str(archive), "--format", "json")
    assert v.returncode == 1, v.stderr
    report = json.loads(v.stdout)
    assert [p["kind"] for p in report["problems"]] == ["index"] and "not UTF-8" in report["problems"][0]["detail"]
    assert "WARC files walked" in report["checked"]
    r = _reindex(archive)
    assert r.returncode == 0, r.stderr
    assert sorted(_lookup_keys(archive)) == sorted(expected)
    assert _cli("verify", "--archive-dir", str(archive)).returncode == 0


def test_records_lost_from_the_index_that_its_journal_named_are_a_problem(tmp_path: Path, pristine: Path) -> None:
    """Rows gone from the index's records (deleted, an older copy put back) whose records the WARCs
    hold whole, and whose taking-in the journal vouches for: export would leave them out silently."""
    archive = _copy(pristine, tmp_path / "archive")
    with sqlite3.connect(archive / DB_NAME) as db:
        gone = [rid for (rid,) in db.execute(
            "SELECT record_id FROM records WHERE warc_type = 'request' ORDER BY record_id LIMIT 3")]
        assert len(gone) == 3  # no capture's own page record (the loss of one is named as such)
        db.execute(f"DELETE FROM records WHERE record_id IN ({', '.join('?' for _ in gone)})", gone)
    v = _cli("verify", "--archive-dir", str(archive), "--format", "json")
    assert v.returncode == 1, v.stdout + v.stderr
    (problem,) = json.loads(v.stdout)["problems"]
    assert problem["kind"] == "index" and problem["path"] == DB_NAME
    assert problem["detail"].startswith("3 record(s) of the WARC files that the index held, as its journal says, "
                                        f"are not in it (the first: {gone[0]})"), problem
    assert _reindex(archive, "--force").returncode == 0
    assert _cli("verify", "--archive-dir", str(archive)).returncode == 0


def test_reindex_does_not_replace_an_index_this_user_may_not_read(open_tmp: Path, pristine: Path) -> None:
    """It may be whole: the runs' history it holds is in no WARC. Only --force replaces it."""
    archive = _copy(pristine, open_tmp / "archive")
    _open_to_all(archive)
    (archive / DB_NAME).chmod(0)
    before = (archive / DB_NAME).read_bytes()
    line = _one_line(_reindex(archive, as_nobody=True), 2)
    assert f"cannot read {archive / DB_NAME}: permission denied" in line and "--force" in line, line
    assert (archive / DB_NAME).read_bytes() == before


@pytest.mark.parametrize("extra", [(), ("--force",)], ids=["plain", "forced"])
@pytest.mark.parametrize("in_wal", [False, True], ids=["in the file", "in the write-ahead log"])
def test_reindex_refuses_an_index_of_a_newer_schema_and_leaves_it(tmp_path: Path, pristine: Path,
                                                                  extra: tuple[str, ...], in_wal: bool) -> None:
    # Rebuilt at this archiver's older schema, it would lose what the newer archiver keeps.
    from archiver.index.sqlite.schema import SCHEMA_VERSION

    archive = _copy(pristine, tmp_path / "archive")
    conn = sqlite3.connect(archive / DB_NAME)
    if in_wal:  # the new version not yet copied into the file's header: a connection still holds the log
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.commit()
    try:
        before = (archive / DB_NAME).read_bytes()
        line = _one_line(_reindex(archive, *extra), 2)
        assert line == (f"archiver: {archive / DB_NAME} has schema version {SCHEMA_VERSION + 3}, newer than this "
                        f"archiver knows ({SCHEMA_VERSION}): upgrade archiver to read it")
        assert (archive / DB_NAME).read_bytes() == before
        assert not list(archive.glob(f".{DB_NAME}.reindex-*"))
    finally:
        conn.close()
    check = sqlite3.connect(archive / DB_NAME)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 3
    check.close()


# -- an archive on a read-only mount ---------------------------------------------------------------------

def _on_read_only_mount(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`archiver ARGS` in a mount namespace of its own where `folder` is bind-mounted read-only onto
    itself: a real read-only file system (EROFS), which a chmod'ed folder is not for root. Skipped
    where this user may not make such a namespace (not root, or a container without the capability)."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        pytest.skip("unshare or mount is not installed")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(folder), "true"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {probe.stderr.strip()}")
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(folder),
                           sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)})


def test_migrating_an_archive_on_a_read_only_mount_says_so(tmp_path: Path, pristine: Path) -> None:
    archive = _copy(pristine, tmp_path / "archive")
    before = (archive / DB_NAME).read_bytes()
    line = _one_line(_on_read_only_mount(archive, "index", "migrate", "--archive-dir", str(archive)), 2)
    assert line == (f"archiver: cannot write {archive / DB_NAME}: the file system is read-only: pass an --archive-dir "
                    "on a writable disk")
    # reindex says the same of the same archive
    said = _one_line(_on_read_only_mount(archive, "reindex", "--force", "--archive-dir", str(archive)), 2)
    assert "the file system is read-only: pass an --archive-dir on a writable disk" in said
    assert (archive / DB_NAME).read_bytes() == before


def test_copying_into_a_folder_on_a_read_only_mount_names_the_read_only_disk(tmp_path: Path, pristine: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    line = _one_line(_on_read_only_mount(folder, "index", "copy", "--from", str(pristine), "--to", str(folder)), 2)
    assert line == (f"archiver: cannot create the index {folder / DB_NAME}: the folder {folder} is on a read-only file "
                    "system; pass another --to, or change the folder's permissions")
