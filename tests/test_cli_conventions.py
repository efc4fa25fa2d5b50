"""What every command shares: Click-style help, one-line usage errors, shell completion, -q/-v after
the command; `lookup --text` refusing a malformed query; `export` saying when it exports everything
and writing to stdout with `-o -`; the progress bar counting posts as well as articles."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archiver.cli import app
from archiver.cli_options import DEFAULT_TIMEOUT
from archiver.index.rows import Capture
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import WARC_DIR
from archiver.limits import Limits
from archiver.models import Post
from archiver.progress import DONE, Progress
from archiver.warcstore import Exchange, RecordInfo, WarcStore
from tests.index_backends import postgres_database

ROOT = Path(__file__).resolve().parents[1]
ARCHIVER = ROOT / ".venv" / "bin" / "archiver"
runner = CliRunner()


def _cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, cwd=ROOT,
                          timeout=120, input=stdin, env={**os.environ, **(env or {})})


def _every_command() -> list[list[str]]:
    """Every command's words, groups' subcommands included (`index copy`)."""
    words: list[list[str]] = []
    for command in app.registered_commands:
        words.append([command.name or command.callback.__name__])  # type: ignore[union-attr]
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:  # type: ignore[union-attr]
            words.append([group.name or "", command.name or command.callback.__name__])  # type: ignore[union-attr]
    return words


# -- help -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("words", _every_command(), ids=" ".join)
def test_help_metavars_are_click_style(words: list[str]) -> None:
    r = runner.invoke(app, [*words, "--help"], terminal_width=200)
    assert r.exit_code == 0, r.output
    # Typer's own spellings: <str>, <int range>, <path>, <table|json>, {sources}..., sources:<str>
    assert not re.search(r"<[a-z][^>]*>|\{[a-z_]+\}", r.output), r.output
    usage = r.output.splitlines()[0]
    assert usage == usage.replace("{", "").replace("}", "")


def test_help_shows_the_metavars_click_would() -> None:
    scan = runner.invoke(app, ["scan", "--help"], terminal_width=200).output
    assert scan.startswith("Usage: archiver scan [OPTIONS] SOURCES...\n")
    assert "\n  SOURCES...  " in scan
    assert re.search(r"--format \[table\|json\|jsonl\|csv\]\s", scan)
    assert re.search(r"--max-bytes INTEGER ", scan)
    lookup = runner.invoke(app, ["lookup", "--help"], terminal_width=200).output
    assert re.search(r"--handle TEXT ", lookup) and re.search(r"--limit N ", lookup)
    export = runner.invoke(app, ["export", "--help"], terminal_width=200).output
    assert re.search(r"-o, --output OUT ", export) and re.search(r"--format \[wacz\|warc\.gz\]", export)


# -- usage errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("words", "allowed"), [
    (["scan", "x.html"], "table, json, jsonl, csv"),
    (["lookup"], "table, json, jsonl, csv"),
    (["show", "twitter:1"], "table, json"),
    (["archive", "a.html"], "table, json"),
    (["run"], "table, json"),
    (["export", "-o", "-"], "wacz, warc.gz"),
    (["runs", "status", "1", "--broker", "redis://127.0.0.1:1/0"], "table, json"),
])
def test_a_bad_choice_is_one_clean_line(words: list[str], allowed: str) -> None:
    r = _cli(*words, "--format", "xml")
    assert r.returncode == 2
    assert r.stdout == b""
    (line,) = r.stderr.decode().splitlines()
    assert line == f"archiver: --format 'xml': expected one of {allowed} (see `archiver {' '.join(words[:2] if words[0] == 'runs' else words[:1])} --help`)"


@pytest.mark.parametrize(("args", "expected"), [
    (["scan"], "archiver: missing SOURCES... (see `archiver scan --help`)"),
    (["export"], "archiver: missing --output (see `archiver export --help`)"),
    (["scan", "x.html", "--max-bytes", "ten"], "archiver: --max-bytes 'ten': expected an integer (see `archiver scan --help`)"),
    (["scan", "x.html", "--max-bytes", "0"], "archiver: --max-bytes: 0 is not in the range x>=1 (see `archiver scan --help`)"),
    (["lookup", "--nope"], "archiver: No such option: --nope (Possible options: --index, --since) "
                           "(see `archiver lookup --help`)"),
    (["lookp"], "archiver: No such command 'lookp'. Did you mean 'lookup'? (see `archiver --help`)"),
    (["index", "copy", "--from", "a"], "archiver: missing --to (see `archiver index copy --help`)"),
    # Written right, but no such day or time: the message names it, not the form.
    (["lookup", "--date", "2024-02-30"], "archiver: --date: no such date: 2024-02-30 (day is out of range for month)"),
    (["report", "--since", "2024-03-04T24:00Z", "-o", "r.html"],
     "archiver: --since: no such time: 2024-03-04T24:00Z (hour must be in 0..23)"),
    (["export", "--until", "2023-02-29", "-o", "x.wacz"],
     "archiver: --until: no such date: 2023-02-29 (day is out of range for month)"),
])
def test_usage_errors_are_one_line_with_exit_2(args: list[str], expected: str) -> None:
    r = _cli(*args)
    assert r.returncode == 2
    assert r.stderr.decode().splitlines() == [expected]


def test_a_group_alone_still_shows_its_help() -> None:
    r = runner.invoke(app, ["index"])
    assert "Usage: archiver index [OPTIONS] COMMAND [ARGS]..." in r.output
    assert "migrate" in r.output and "copy" in r.output


# -- shell completion -------------------------------------------------------------------------------

@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_the_script_for_a_shell(shell: str) -> None:
    # Typer's switch for tests: the shell is named instead of detected from the parent processes.
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    r = subprocess.run([str(ARCHIVER), "--show-completion", shell], capture_output=True, text=True, timeout=60,
                       env=env)
    assert r.returncode == 0, r.stderr
    assert "_ARCHIVER_COMPLETE" in r.stdout and f"complete_{shell}" in r.stdout


def test_completion_answers_commands_options_and_choices() -> None:
    def complete(words: str) -> list[str]:
        env = {**os.environ, "_ARCHIVER_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1)}
        r = subprocess.run([str(ARCHIVER)], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout.split()

    assert complete("archiver loo") == ["lookup"]
    assert complete("archiver lookup --form") == ["--format"]
    assert complete("archiver lookup --format j") == ["json", "jsonl"]
    assert "--install-completion" in runner.invoke(app, ["--help"]).output


# -- -q and -v after the command ----------------------------------------------------------------------

@pytest.mark.parametrize(("args", "level"), [
    (["scan", "{page}", "-v"], logging.INFO),
    (["scan", "{page}", "-vv"], logging.DEBUG),
    (["-v", "scan", "{page}", "--verbose"], logging.DEBUG),  # the counts add up
    (["scan", "{page}", "-q"], logging.ERROR),
    (["scan", "{page}", "--quiet"], logging.ERROR),
    (["scan", "{page}"], logging.WARNING),  # nothing left over from the invocations before
])
def test_verbosity_options_after_the_command(tmp_path: Path, args: list[str], level: int) -> None:
    page = tmp_path / "a.txt"
    page.write_text("https://twitter.com/jack/status/20")
    r = runner.invoke(app, [a.replace("{page}", str(page)) for a in args])
    assert r.exit_code == 0, r.output
    assert logging.getLogger("archiver").level == level


def test_verbose_after_the_command_shows_info_lines(tmp_path: Path) -> None:
    page = tmp_path / "latin1.html"
    page.write_bytes(b"<p>caf\xe9 https://twitter.com/jack/status/20</p>")  # no declared encoding fits
    quiet = _cli("scan", str(page))
    loud = _cli("scan", str(page), "-v")
    assert quiet.returncode == loud.returncode == 0
    assert b"decoding as windows-1252" not in quiet.stderr
    assert b"decoding as windows-1252" in loud.stderr


# -- lookup --text: a malformed query ------------------------------------------------------------------

MALFORMED = [
    ("levee AND (", "'(' does not group terms (character 11)"),
    ('"old bridge', "unclosed quote (character 1)"),
    ("levee OR", "OR needs a term after it (character 7)"),
    ("AND levee", "AND needs a term before it (character 1)"),
    ("NOT levee", "NOT is not supported"),
    ("bridge -levee", "'-levee' would search for 'levee', not exclude it"),
]


def _archive(root: Path, padding: int = 0, handles: tuple[str, str] = ("alice", "bob")) -> Path:
    """Two posts from two handles, each with its captured embed page (`padding` incompressible bytes
    more in each), written by the capture's own WARC writer and indexed in a real SQLite index."""
    with Index(root) as index, WarcStore(root / WARC_DIR, prefix="test") as store:
        for post_id, handle, text in (("1764640000000000201", handles[0], "The levee is holding"),
                                      ("1764640000000000202", handles[1], "Bridge closed")):
            key = index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="test",
                                         post_id=post_id, url=f"https://x.com/{handle}/status/{post_id}",
                                         handle=handle, author=handle.title(), text=text,
                                         posted_at="2024-03-04T10:00:00Z"))
            index.observe(key, "live")
            embed = f"https://platform.twitter.com/embed/Tweet.html?id={post_id}"
            records: list[RecordInfo] = list(store.write_exchange(Exchange(
                url=embed, method="GET", status=200, body=f"<article>{text}</article>".encode() + os.urandom(padding),
                date=datetime.now(UTC), protocol="h2", request_headers=[("Accept", "*/*")],
                response_headers=[("Content-Type", "text/html; charset=utf-8")])))
            cid = index.add_capture(Capture(post_key=key, article_id=None, source="live", url=embed, status="live",
                                            screenshot=None, screenshot_sha256=None, error=None,
                                            warc=records[0].filename, page_record_id=None))
            index.add_records(cid, records, post_key=key)
    return root


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_malformed_text_query_is_exit_2_with_the_parsers_message(
        backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    index = ["--index", postgres_database(request)] if backend == "postgresql" else []
    if index:  # the same two posts, in PostgreSQL
        copied = _cli("index", "copy", "--from", str(archive), "--to", index[1], "--force")
        assert copied.returncode == 0, copied.stderr
    good = _cli("lookup", "--archive-dir", str(archive), *index, "--text", "levee", "--format", "jsonl")
    assert good.returncode == 0, good.stderr
    assert good.stdout.count(b"\n") == 1 and b'"alice"' in good.stdout
    for query, why in MALFORMED:
        r = _cli("lookup", "--archive-dir", str(archive), *index, "--text", query)
        assert r.returncode == 2, (query, r.stderr)
        assert r.stdout == b""
        (line,) = r.stderr.decode().splitlines()
        assert line.startswith(f"archiver: --text {query!r}: {why}"), line


def test_a_lower_case_or_that_finds_nothing_is_named(tmp_path: Path) -> None:
    """`or` in lower case is a word to search for (operators are upper case): when nothing holds it,
    stderr says how to combine terms; the upper-case query finds both posts."""
    archive = _archive(tmp_path / "archive")
    lowered = _cli("lookup", "--archive-dir", str(archive), "--text", "levee or bridge", "--format", "jsonl")
    assert lowered.returncode == 0 and lowered.stdout == b""
    assert "--text searched for the word 'or'; write OR (upper case) between terms" in lowered.stderr.decode()
    upper = _cli("lookup", "--archive-dir", str(archive), "--text", "levee OR bridge", "--format", "jsonl")
    assert upper.stdout.count(b"\n") == 2 and "searched for the word" not in upper.stderr.decode()
    quoted = _cli("lookup", "--archive-dir", str(archive), "--text", '"rock and roll"', "--format", "jsonl")
    assert "searched for the word" not in quoted.stderr.decode()  # a phrase holds its words as written


# -- export: the whole archive, and stdout ----------------------------------------------------------------

def test_export_without_a_filter_says_it_exports_the_whole_archive(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    out = tmp_path / "all.wacz"
    r = _cli("export", "--archive-dir", str(archive), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "archiver: exporting the whole archive (2 posts)" in r.stderr.decode()
    assert r.stdout.decode() == f"{out}\n"
    some = _cli("export", "--archive-dir", str(archive), "--handle", "alice", "-o", str(tmp_path / "alice.wacz"))
    assert some.returncode == 0, some.stderr
    assert b"whole archive" not in some.stderr


def _warc_targets(data: bytes) -> list[str]:
    return [rec.rec_headers.get_header("WARC-Target-URI") for rec in ArchiveIterator(io.BytesIO(data))
            if rec.rec_type == "response"]


def test_export_to_stdout_writes_the_bundle_there(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    on_disk = tmp_path / "alice.wacz"
    assert _cli("export", "--archive-dir", str(archive), "--handle", "alice", "-o", str(on_disk)).returncode == 0

    r = _cli("export", "--archive-dir", str(archive), "--handle", "alice", "-o", "-")
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().splitlines()[-1].startswith("archiver: wrote the bundle to stdout: ")
    with zipfile.ZipFile(io.BytesIO(r.stdout)) as streamed, zipfile.ZipFile(on_disk) as written:
        assert streamed.testzip() is None
        assert sorted(streamed.namelist()) == sorted(written.namelist())
        warc = next(n for n in streamed.namelist() if n.endswith(".warc.gz"))
        assert _warc_targets(streamed.read(warc)) == [
            "https://platform.twitter.com/embed/Tweet.html?id=1764640000000000201"]
    assert not list(tmp_path.glob("-*")) and not (ROOT / "-").exists()

    warc = _cli("export", "--archive-dir", str(archive), "-o", "-", "--format", "warc.gz")
    assert warc.returncode == 0, warc.stderr
    assert warc.stdout[:2] == b"\x1f\x8b"
    assert len(_warc_targets(warc.stdout)) == 2


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
def test_a_reader_that_stops_early_fails_an_export_to_stdout(unbuffered: str, tmp_path: Path) -> None:
    # Bigger than a pipe's buffer: the reader goes away while the bundle is still being written.
    archive = _archive(tmp_path / "archive", padding=512 * 1024)
    proc = subprocess.Popen([sys.executable, "-m", "archiver.cli", "export", "--archive-dir", str(archive),
                             "-o", "-"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": unbuffered})
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10).startswith(b"PK")
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2, err
    assert err.splitlines()[-1] == ("archiver: could not write the whole bundle to stdout (it was closed); "
                                    "nothing usable was written")
    # Read to the end, the same bundle arrives whole.
    whole = _cli("export", "--archive-dir", str(archive), "-o", "-", env={"PYTHONUNBUFFERED": unbuffered})
    assert whole.returncode == 0 and len(whole.stdout) > 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(whole.stdout)) as bundle:
        assert bundle.testzip() is None


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("words", [["--version"], ["scan", "seeds/famous-posts.html"], ["lookup"], ["lookup", "--help"]],
                         ids=" ".join)
def test_stdout_that_cannot_be_written_is_one_line_and_exit_2(words: list[str], tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    extra = ["--archive-dir", str(archive)] if words == ["lookup"] else []
    with open("/dev/full", "wb") as full:
        r = subprocess.run([sys.executable, "-m", "archiver.cli", *words, *extra], cwd=ROOT, stdout=full,
                           stderr=subprocess.PIPE, timeout=120, check=False)
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 2, lines
    assert len(lines) == 1 and lines[0].startswith("archiver: could not write") and "No space left" in lines[0]


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize("words", [["lookup", "--format", "jsonl"], ["report", "-o", "-"]], ids=" ".join)
def test_stdout_cut_short_is_named_however_python_buffers_it(words: list[str], unbuffered: str,
                                                             tmp_path: Path) -> None:
    """A file that takes only part of a write (here the file-size limit; a disk filling up does the
    same): the rest is written or the command fails in one line, never a cut output and exit 0."""
    import resource
    import signal

    from tests.synthetic import synthetic_archive

    archive = tmp_path / "archive"
    synthetic_archive(archive, 200)
    limit = 64 * 1024  # above what the index's shared-memory file needs (32 kB), below the output

    def limited() -> None:  # in the child: writes past `limit` bytes fail (EFBIG) instead of killing it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with open(tmp_path / "out", "wb") as out:
        r = subprocess.run([sys.executable, "-m", "archiver.cli", *words, "--archive-dir", str(archive)], cwd=ROOT,
                           stdout=out, stderr=subprocess.PIPE, timeout=120, check=False, preexec_fn=limited,
                           env={**os.environ, "PYTHONUNBUFFERED": unbuffered, "PYTHONDONTWRITEBYTECODE": "1"})
    lines = r.stderr.decode().splitlines()
    assert (tmp_path / "out").stat().st_size == limit  # the file took what it could
    assert r.returncode == 2, lines
    assert lines[-1] == "archiver: could not write to stdout (File too large): the output is incomplete", lines


def test_export_format_must_agree_with_the_file_name(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    r = _cli("export", "--archive-dir", str(archive), "-o", str(tmp_path / "x.wacz"), "--format", "warc.gz")
    assert r.returncode == 2
    assert "--format warc.gz contradicts the output name 'x.wacz'" in r.stderr.decode()
    assert not (tmp_path / "x.wacz").exists()


def test_a_failed_export_to_stdout_writes_nothing_there(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    r = _cli("export", "--archive-dir", str(archive), "--handle", "nobody", "-o", "-")
    assert r.returncode == 2
    assert r.stdout == b""
    assert "nothing matched" in r.stderr.decode()


# -- shared capture options -----------------------------------------------------------------------------

def _option_lines(command: list[str], option: str) -> str:
    text = runner.invoke(app, [*command, "--help"], terminal_width=400).output
    (line,) = [line for line in text.splitlines() if line.strip().startswith(option + " ")]
    return line.strip()


@pytest.mark.parametrize("option", ["--timeout", "--max-bytes", "--fetch-deadline", "--capture-deadline",
                                    "--max-capture-bytes"])
def test_archive_run_and_worker_share_their_capture_limits(option: str) -> None:
    lines = {tuple(c): _option_lines(c, option) for c in (["archive"], ["run"], ["worker"])}
    assert len(set(lines.values())) == 1, lines
    defaults = {"--timeout": DEFAULT_TIMEOUT, "--max-bytes": Limits().max_bytes,
                "--fetch-deadline": Limits().fetch_deadline, "--capture-deadline": Limits().capture_deadline,
                "--max-capture-bytes": Limits().max_capture_bytes}
    assert re.search(rf"[\[;] ?default: {defaults[option]}[;\]]", lines[("run",)]), lines


# -- progress ---------------------------------------------------------------------------------------------

def test_progress_counts_posts_as_well_as_articles() -> None:
    with Progress(total=1) as progress:
        progress("article story.html")
        assert (progress.completed, progress.total) == (0, 1)
        for n in range(1, 5):
            progress(f"post twitter:{n}")
            # every post started is a step; it is done when it says so
            assert (progress.completed, progress.total) == (n - 1, 1 + n)
            progress(f"{DONE}post twitter:{n}")
            assert (progress.completed, progress.total) == (n, 1 + n)
        progress(f"{DONE}article story.html")
        assert (progress.completed, progress.total) == (5, 5)


def test_progress_counts_the_articles_a_feed_adds_and_the_feed_as_one_step() -> None:
    with Progress(total=2) as progress:
        progress("article https://news.example/feed.xml")
        progress("article https://x.com/a/status/1")  # a post's own address: a step too
        progress(f"{DONE}article https://x.com/a/status/1")
        assert (progress.completed, progress.total) == (1, 2)
        progress("feed https://news.example/feed.xml: +3 article(s)")
        assert (progress.completed, progress.total) == (1, 5)  # known as soon as the feed is read
        progress(f"{DONE}article https://news.example/feed.xml")
        for n, step in enumerate(["post twitter:1", "article a.html", "article b.html", "article c.html"], 3):
            progress(step)
            progress(f"{DONE}{step}")
            assert (progress.completed, progress.total) == (n, 6)


def test_the_live_bar_shows_a_step_as_text_not_as_markup_or_terminal_control() -> None:
    # A feed names its articles' addresses: brackets in one are Rich markup to a bar that reads
    # them so (a closing tag crashed the run as the bar stopped; `[link=...]` planted a hyperlink).
    progress = Progress(total=3)
    progress.live = True
    hostile = ["article https://news.example/2024/[/x]a.html",
               "article https://news.example/[link=https://evil.example/]x[/link]",
               "article https://news.example/\x1b]0;PWNED\x07\u202ea.html"]
    with progress:
        (column,) = [c for c in progress._progress.columns if getattr(c, "text_format", "") == "{task.description}"]
        for step, expected in zip(hostile, [hostile[0], hostile[1], "article https://news.example/a.html"],
                                  strict=True):
            progress(step)
            (task,) = progress._progress.tasks
            shown = column.render(task)
            assert (shown.plain, shown.spans) == (expected, [])
        for step in hostile:
            progress(f"{DONE}{step}")


def test_the_live_bar_moves_while_posts_are_captured(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(total=1)
    progress.live = True  # as on a terminal: the real rich bar
    with progress:
        progress("article story.html")
        for n in range(1, 5):
            progress(f"post twitter:{n}")
        progress(f"{DONE}post twitter:4")
        progress(f"{DONE}post twitter:2")
        (task,) = progress._progress.tasks
        assert (task.completed, task.total) == (2, 5)
        # The step named is the oldest still in hand, not the last one started.
        assert task.description == "article story.html"
        progress(f"{DONE}article story.html")
        assert progress._progress.tasks[0].description == "post twitter:1"


def test_export_to_stdout_refuses_a_terminal(tmp_path: Path) -> None:
    import pty

    archive = _archive(tmp_path / "archive")
    leader, follower = pty.openpty()
    try:
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "export", "--archive-dir", str(archive),
                            "-o", "-"], stdout=follower, stderr=subprocess.PIPE, cwd=ROOT, timeout=120)
    finally:
        os.close(follower)
        os.close(leader)
    assert r.returncode == 2
    assert b"not writing a binary bundle to a terminal" in r.stderr


@pytest.mark.browser
def test_the_bar_of_a_real_capture_counts_its_posts(tmp_path: Path) -> None:
    """`archive` on a terminal: one article citing several posts; the bar's count grows with the posts."""
    import pty
    import threading

    from tests.fakeweb import FakeWeb, site

    leader, follower = pty.openpty()
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's far end closed
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with FakeWeb(tmp_path / "web") as web:
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "archive", site.ARTICLE_FLOOD.url,
                            "--archive-dir", str(tmp_path / "archive"), "--map-host", web.map_host,
                            "--ca-bundle", str(web.ca_pem)],
                           stdout=subprocess.PIPE, stderr=follower, cwd=ROOT, timeout=300,
                           env={**os.environ, "COLUMNS": "160", "TERM": "xterm"})
    os.close(follower)
    reader.join(timeout=30)
    os.close(leader)
    assert r.returncode in (0, 1), shown.decode(errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode(errors="replace"))
    counts = [(int(done), int(total)) for done, total in re.findall(r"(\d+)/(\d+)", text)]
    assert counts, text
    posts = sum(1 for block in site.ARTICLE_FLOOD.blocks if block[0] in ("tweet", "xtweet", "youtube"))
    assert max(total for _, total in counts) >= 1 + min(posts, 3), counts
    assert max(done for done, _ in counts) >= 2, counts


def test_export_to_a_closed_pipe_is_one_line(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    proc = subprocess.Popen([sys.executable, "-m", "archiver.cli", "export", "--archive-dir", str(archive),
                             "-o", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the bundle is ready: `archiver export -o - | false`
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.decode().splitlines()[-1] == ("archiver: could not write the whole bundle to stdout (it was closed); "
                                             "nothing usable was written")
    assert b"Traceback" not in err and b"Exception ignored" not in err


def test_verify_of_a_wacz_refuses_an_index_given_but_not_one_from_the_environment(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    bundle = tmp_path / "alice.wacz"
    assert _cli("export", "--archive-dir", str(archive), "--handle", "alice", "-o", str(bundle)).returncode == 0
    given = _cli("verify", str(bundle), "--index", "postgresql://u@127.0.0.1:1/db")
    assert given.returncode == 2
    assert given.stderr.decode().splitlines() == ["archiver: a WACZ is checked on its own: leave out --index"]
    from_env = _cli("verify", str(bundle), env={"ARCHIVER_INDEX": "postgresql://u@127.0.0.1:1/db"})
    assert from_env.returncode == 0, from_env.stderr


def test_an_article_given_twice_is_archived_once(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text("<html><body><p>Nothing cited.</p></body></html>")
    r = _cli("archive", str(page), str(tmp_path), str(page), "--archive-dir", str(tmp_path / "archive"),
             "--format", "json")
    assert r.returncode == 0, r.stderr
    import json

    assert json.loads(r.stdout)["articles"] == 1  # named twice, and inside the folder given too


# -- report: its selection, named; an empty one refused ---------------------------------------------------

def test_report_names_its_selection_and_refuses_an_empty_one(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    out = tmp_path / "alice.html"
    r = _cli("report", "--archive-dir", str(archive), "--handle", "alice", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "<title>Posts by @alice (1 post)</title>" in out.read_text(encoding="utf-8")
    whole = tmp_path / "all.html"
    assert _cli("report", "--archive-dir", str(archive), "-o", str(whole)).returncode == 0
    assert "<title>Archived posts</title>" in whole.read_text(encoding="utf-8")
    none = _cli("report", "--archive-dir", str(archive), "--handle", "nobody", "-o", str(tmp_path / "none.html"))
    assert none.returncode == 2 and none.stdout == b""
    assert none.stderr.decode().splitlines() == [
        "archiver: nothing matched the filters; try `archiver lookup` with the same filters first"]
    assert not (tmp_path / "none.html").exists()
    Index(tmp_path / "empty").close()  # an archive that holds no post yet
    empty = _cli("report", "--archive-dir", str(tmp_path / "empty"), "-o", str(tmp_path / "empty.html"))
    assert empty.returncode == 2 and empty.stderr.decode().splitlines() == [
        "archiver: the archive holds no posts yet: nothing to report"]


def test_an_export_and_a_report_name_the_handle_as_the_archive_holds_it(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive", handles=("RivertonDesk", "bob"))
    wacz, html = tmp_path / "desk.wacz", tmp_path / "desk.html"
    exported = _cli("export", "--archive-dir", str(archive), "--handle", "rivertondesk", "-o", str(wacz))
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(wacz) as zf:
        assert json.loads(zf.read("datapackage.json"))["title"] == "Posts by @RivertonDesk (1 post)"
    reported = _cli("report", "--archive-dir", str(archive), "--handle", "@RIVERTONDESK", "-o", str(html))
    assert reported.returncode == 0, reported.stderr
    assert "<title>Posts by @RivertonDesk (1 post)</title>" in html.read_text(encoding="utf-8")


def test_a_selections_title_carries_no_token_of_an_article_url() -> None:
    from archiver.bundle import selection_title
    from archiver.index.filters import Filters

    title = selection_title(Filters(article="https://news.example/story?access_token=SECRET123"), 2)
    assert "SECRET123" not in title and title.startswith("Posts cited by https://news.example/story")


def test_a_reason_naming_a_request_is_shown_without_its_token(tmp_path: Path) -> None:
    """A check's reason may name the request it made, token included: tables and `show` print it for
    people without the secret, `--format json` as held."""
    url = "https://cdn.syndication.twimg.com/tweet-result?id=1764640000000000301&lang=en&token=4ab9kq2"
    with Index(tmp_path / "a") as index:
        key = index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="test",
                                     post_id="1764640000000000301", handle="alice"))
        index.observe(key, "unknown", detail=f"GET {url}: HTTP 503")
    shown = _cli("show", key, "--archive-dir", str(tmp_path / "a"))
    listed = _cli("lookup", "--archive-dir", str(tmp_path / "a"), env={"COLUMNS": "300"})
    for r in (shown, listed):
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode()
        assert "token=REDACTED" in out and "4ab9kq2" not in out, out
    held = _cli("show", key, "--format", "json", "--archive-dir", str(tmp_path / "a"))
    assert json.loads(held.stdout)["reason"] == f"GET {url}: HTTP 503"
    page = tmp_path / "report.html"
    assert _cli("report", "--archive-dir", str(tmp_path / "a"), "-o", str(page)).returncode == 0
    assert "token=REDACTED" in page.read_text(encoding="utf-8") and "4ab9kq2" not in page.read_text(encoding="utf-8")


def test_quiet_leaves_stderr_to_errors_on_every_reading_command(tmp_path: Path) -> None:
    """-q (before or after the command): a command that succeeds says nothing on stderr; its data
    still goes to stdout, and a failure is still named."""
    archive = _archive(tmp_path / "archive")
    page = tmp_path / "a.html"
    page.write_text("<p><a href='https://x.com/alice/status/1764640000000000201'>a post</a></p>")
    a = str(archive)
    commands = [["scan", str(page)], ["lookup", "--archive-dir", a], ["verify", "--archive-dir", a],
                ["export", "--archive-dir", a, "-o", str(tmp_path / "x.wacz")],
                ["report", "--archive-dir", a, "-o", str(tmp_path / "r.html")],
                ["datasette-metadata", "--archive-dir", a, "-o", str(tmp_path / "m.json")]]
    for words in commands:
        for args in (["-q", *words], [*words, "--quiet"]):
            r = _cli(*args)
            assert r.returncode == 0 and r.stderr == b"", (args, r.stderr)
            assert r.stdout or words[0] == "verify", args  # the data (the file written) still on stdout
    missing = _cli("-q", "scan", str(tmp_path / "nowhere.html"))
    assert missing.returncode == 2 and b"nowhere.html" in missing.stderr


def test_an_empty_folder_is_named_by_scan_and_by_run(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    scanned = _cli("scan", str(empty))
    assert scanned.returncode == 2 and scanned.stderr.decode().splitlines() == [
        f"archiver: nothing to read in {empty}: give article files (HTML, text), folders of them, URLs or *.urls lists"]
    # A folder not yet filled, archive or not: held posts are still re-checked when due, not an error
    # (a scheduled run may start before the folder is filled).
    for archive in (tmp_path / "a", _archive(tmp_path / "b")):
        ran = _cli("run", "--seeds", str(empty), "--archive-dir", str(archive))
        assert ran.returncode == 0, ran.stderr
        assert ("archiver: the seeds folder holds no seed (article files, *.urls lists, feeds): only held posts due "
                "for a re-check were looked at") in ran.stderr.decode().splitlines()


def test_archive_of_sources_known_unreadable_says_what_scan_says_and_makes_no_archive(tmp_path: Path) -> None:
    """Nothing any work could read (an empty folder, a folder of pictures, a file not there, a FIFO):
    `archive` refuses as `scan` does, exit 2, before the archive folder exists."""
    empty = tmp_path / "empty"
    empty.mkdir()
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    (pictures / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (pictures / "b.jpg").write_bytes(b"\xff\xd8\xff")
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    cases = [[str(empty)], [str(pictures)], [str(tmp_path / "typo.html")], [str(tmp_path / "typo.html"), str(fifo)],
             [str(empty), str(tmp_path / "typo.html")]]
    for n, sources in enumerate(cases):
        scanned = _cli("scan", *sources)
        assert scanned.returncode == 2, (sources, scanned.stderr)
        archive = tmp_path / f"new{n}"
        archived = _cli("archive", *sources, "--archive-dir", str(archive))
        assert archived.returncode == 2, (sources, archived.stderr)
        assert archived.stderr == scanned.stderr and archived.stdout == b"", (sources, archived.stderr)
        assert not archive.exists(), sources


def test_verify_finds_a_damaged_index_page_no_query_reads(tmp_path: Path) -> None:
    """A page of archive.db that fails SQLite's own check is a problem for verify, even where no
    record or screenshot query reads it (here: the root page of an index on records' posts)."""
    import sqlite3

    archive = _archive(tmp_path / "archive")
    assert _cli("verify", "--archive-dir", str(archive)).returncode == 0
    db = archive / "archive.db"
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records_post'").fetchone()
    conn.close()
    with db.open("r+b") as fh:  # the page's cell pointers and cells, past its 12-byte header
        fh.seek((root - 1) * page_size + 12)
        fh.write(bytes(range(256)) * ((page_size - 12) // 256))
    r = _cli("verify", "--archive-dir", str(archive), "--format", "json")
    assert r.returncode == 1, r.stderr
    (problem,) = json.loads(r.stdout)["problems"]
    assert problem["kind"] == "index" and problem["path"] == "archive.db"
    assert problem["detail"].startswith("the database's own check fails: ")
    assert "rebuild it from the WARCs with `archiver reindex`" in problem["detail"]


def test_verify_still_checks_the_warcs_beside_a_damaged_index(tmp_path: Path) -> None:
    """An index that fails its own check cannot say which records the WARCs should hold, but the
    WARCs can still be read through: a record damaged there is named too, not hidden behind the
    index's problem."""
    import sqlite3

    archive = _archive(tmp_path / "archive")
    db = archive / "archive.db"
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records_post'").fetchone()
    conn.close()
    with db.open("r+b") as fh:
        fh.seek((root - 1) * page_size + 12)
        fh.write(bytes(range(256)) * ((page_size - 12) // 256))
    (warc,) = (archive / WARC_DIR).glob("*.warc.gz")
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside one record's gzip member
    warc.write_bytes(bytes(data))
    r = _cli("verify", "--archive-dir", str(archive), "--format", "json")
    assert r.returncode == 1, r.stderr
    problems = json.loads(r.stdout)["problems"]
    assert problems[0]["kind"] == "index" and problems[0]["path"] == "archive.db"
    damaged = [p for p in problems[1:] if p["path"] == f"{WARC_DIR}/{warc.name}"]
    assert damaged and all(p["kind"] in ("digest", "unreadable") for p in damaged), problems
    assert not [p for p in problems if p["kind"] == "unindexed"], problems  # the index is there, if damaged


@pytest.mark.parametrize("command", [["export"], ["report"], ["datasette-metadata"]])
def test_an_output_onto_the_archives_own_files_is_refused(tmp_path: Path, command: list[str]) -> None:
    """-o naming a WARC file, the index or a file in the archive's own folders would destroy what the
    archive holds: a usage error (exit 2, one line), the file untouched. Beside them is fine."""
    archive = _archive(tmp_path / "archive")
    (warc,) = (archive / WARC_DIR).glob("*.warc.gz")
    kept = {p: p.read_bytes() for p in (warc, archive / "archive.db")}
    for target, what in ((warc, "inside the archive's warcs/ folder"), (archive / "archive.db", "the archive's index"),
                         (archive / "screenshots" / "x.html", "inside the archive's screenshots/ folder")):
        r = _cli(*command, "--archive-dir", str(archive), "-o", str(target))
        err = r.stderr.decode().strip()
        assert r.returncode == 2 and len(err.splitlines()) == 1, err
        assert f"-o {target}: that is {what}, which writing there would destroy" in err, err
    assert {p: p.read_bytes() for p in kept} == kept
    beside = archive / ("out.wacz" if command == ["export"] else "out.json" if command != ["report"] else "out.html")
    assert _cli(*command, "--archive-dir", str(archive), "-o", str(beside)).returncode == 0
    assert beside.is_file()


@pytest.mark.parametrize("damage", ["cut short", "header overwritten"])
def test_verify_reads_the_warcs_through_beside_an_index_that_will_not_open(tmp_path: Path, damage: str) -> None:
    """An archive.db cut short (an interrupted copy) or with its header overwritten cannot be opened
    at all: verify names it (kind `index`, exit 1) and still reads every WARC file through."""
    archive = _archive(tmp_path / "archive")
    db = archive / "archive.db"
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2] if damage == "cut short" else b"not a database!!" + data[16:])
    (warc,) = (archive / WARC_DIR).glob("*.warc.gz")
    broken = bytearray(warc.read_bytes())
    broken[len(broken) // 2] ^= 0xFF
    warc.write_bytes(bytes(broken))
    r = _cli("verify", "--archive-dir", str(archive), "--format", "json")
    assert r.returncode == 1, r.stderr
    problems = json.loads(r.stdout)["problems"]
    assert problems[0]["kind"] == "index" and "archive.db is damaged: " in problems[0]["detail"], problems
    assert [p for p in problems[1:] if p["path"] == f"{WARC_DIR}/{warc.name}"], problems


def test_a_stdout_closed_before_the_start_is_named_and_no_file_of_the_archive_takes_its_place(tmp_path: Path) -> None:
    """`archiver ... >&-`: data written is one line and exit 2, and descriptor 1 does not become the
    first file the command opens (the index, a WARC file: the browser's and its driver's output)."""
    from tests.synthetic import synthetic_archive

    archive = tmp_path / "archive"
    synthetic_archive(archive, 3)

    def closed(*words: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "archiver", *words], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, preexec_fn=lambda: os.close(1),
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})

    for words in (["lookup", "--archive-dir", str(archive)], ["--version"]):
        r = closed(*words)
        assert r.returncode == 2, (words, r.stderr)
        assert r.stderr.splitlines() == ["archiver: could not write to stdout (it was closed): the output is incomplete"]
    # A command whose work opens files: the archive's own files keep their contents.
    page = tmp_path / "note.txt"
    page.write_text("No posts cited here.\n")
    r = closed("archive", str(page), "--archive-dir", str(archive), "--format", "json")
    assert r.returncode == 2 and r.stderr.splitlines()[-1].startswith("archiver: could not write to stdout"), r.stderr
    v = subprocess.run([sys.executable, "-m", "archiver", "verify", "--archive-dir", str(archive)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stdout + v.stderr


def test_arguments_holding_bytes_that_are_no_utf8_are_named_not_an_internal_error(tmp_path: Path) -> None:
    # A shell passes bytes typed in another encoding (Latin-1 `\xe9`) as they are; Python holds them
    # as lone surrogates, which no index takes: each option is named, exit 2. A file's path may hold
    # them (a name from a Windows zip): `--article` looks for it as archived, by its `file:` address.
    archive = _archive(tmp_path / "archive")
    d = ["--archive-dir", str(archive)]
    for args, said in ((["lookup", *d, "--handle", b"\xe9"], b"--handle: "),
                       (["lookup", *d, "--text", b"caf\xe9"], b"--text: "),
                       (["export", *d, "--handle", b"al\xefce", "-o", str(tmp_path / "x.wacz")], b"--handle: "),
                       (["show", *d, b"twitter:\xff"], b"show: "),
                       (["lookup", *d, "--article", b"https://news.example/caf\xe9"], b"--article: "),
                       (["lookup", *d, "--index", b"postgresql://u\xe9@h/db"], b"--index "),
                       (["export", *d, "--timestamp", b"http://t\xe9/", "-o", str(tmp_path / "y.wacz")],
                        b"--timestamp ")):
        r = subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, cwd=ROOT, timeout=120)
        assert r.returncode == 2, (args, r.stderr)
        lines = r.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("archiver: " + said.decode()), (args, lines)
        assert "not UTF-8" in lines[0] and "internal error" not in lines[0] and "\\\\" not in lines[0], lines
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "lookup", *d, "--article", b"Fl\xfcchtlinge.html"],
                       capture_output=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and b"no article" in r.stderr and b"internal error" not in r.stderr, r.stderr


def test_a_file_path_holding_bytes_that_are_no_utf8_is_looked_for_by_its_file_address() -> None:
    from archiver.index.urls import article_keys

    keys = article_keys("/tmp/Fl\udcfcchtlinge.html")
    assert keys == ("file:///tmp/Fl%FCchtlinge.html",)
