"""SIGTERM, SIGINT and kill -9 during a real `archiver run` (real Chromium, the local fake web).

A stop asked for by a signal finishes the article at hand, writes the summary, closes the run row
as interrupted and exits 128 + the signal; kill -9 leaves no browser behind (even when Playwright's
driver cannot clean up), and the next run closes the dead run's row. The article fetched first drips slowly, so that the signal always
arrives while something is being captured.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import ROOT, cli, warc_files, warcio_check
from tests.fakeweb import FakeWeb, site
from tests.proctree import snapshot, survivors

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with FakeWeb(tmp_path_factory.mktemp("signals-web")) as w:
        yield w


def _seeds(tmp: Path, web: FakeWeb, name: str, more: tuple[str, ...] = (site.ARTICLE_FLOOD.url,
                                                                      site.ARTICLE_REVIEW.url)) -> Path:
    """A seeds folder: first an article that drips slowly (the one in hand when a signal comes), then `more`."""
    slow = web.drip(f"/2024/{name}-slow.html", 150_000, 75_000)
    d = tmp / f"{name}-seeds"
    d.mkdir()
    (d / "news.urls").write_text("\n".join([slow, *more]) + "\n")
    return d


def _start(web: FakeWeb, seeds: Path, archive: Path, *extra: str, output: bool = True) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir", str(archive),
            "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem), "--format", "json", *extra]
    # Without `output`, no pipe: a surviving browser driver would hold it open (and the test) forever.
    pipe = subprocess.PIPE if output else subprocess.DEVNULL
    # A process group of its own, as a terminal gives a command line, so a Ctrl-C can be sent to it.
    return subprocess.Popen(args, cwd=ROOT, stdout=pipe, stderr=pipe, text=True, start_new_session=True)


def _wait_for(cond: Any, seconds: float, proc: subprocess.Popen[str]) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return
        if proc.poll() is not None:
            raise AssertionError(f"archiver exited early ({proc.returncode}): {proc.communicate()[1]}")
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _runs(archive: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(archive / "archive.db") as db:
        return db.execute("SELECT id, finished_at IS NOT NULL, outcome, command FROM runs ORDER BY id").fetchall()


def _interrupt(web: FakeWeb, tmp: Path, signum: int, name: str, *, group: bool,
               extra: tuple[str, ...]) -> tuple[subprocess.Popen[str], str, str, Path]:
    archive = tmp / name
    p = _start(web, _seeds(tmp, web, name), archive, *extra)
    try:
        _wait_for(lambda: web.active_streams > 0, 120, p)  # the slow article is on its way
        tree = snapshot(p.pid)
        if group:  # a Ctrl-C at a terminal: the whole group gets it, workers and browser driver too
            os.killpg(p.pid, signum)
        else:
            p.send_signal(signum)
        out, err = p.communicate(timeout=180)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert not survivors(tree), "a process the run started outlived it"
    return p, out, err, archive


@pytest.mark.parametrize("signum, code, group, extra", [
    # kill PID, docker stop; one page in flight (with more, every capture in hand finishes too)
    (signal.SIGTERM, 143, False, ("--pages-in-flight", "1")),
    (signal.SIGINT, 130, True, ("--concurrency", "2")),  # Ctrl-C at a terminal, with worker processes
], ids=["SIGTERM", "SIGINT-group-workers"])
def test_signal_finishes_the_article_at_hand_then_stops(web: FakeWeb, tmp_path: Path, signum: int, code: int,
                                                        group: bool, extra: tuple[str, ...]) -> None:
    name = signal.Signals(signum).name
    p, out, err, archive = _interrupt(web, tmp_path, signum, name.lower(), group=group, extra=extra)
    assert p.returncode == code, err
    said = [line for line in err.splitlines() if "interrupted by" in line]
    assert len(said) == 1, err
    done = re.fullmatch(rf"archiver: interrupted by {name}: (\d) of 3 sources done; run 1 closed as interrupted",
                        said[0])
    assert done, said
    # Sequentially the slow first article is the one in hand; two workers had one article each.
    assert int(done.group(1)) == (1 if "--concurrency" not in extra else 2), err
    assert "Traceback" not in err and "again" not in err and "failed" not in err, err
    # Heard at once, said once (the worker processes, which got the signal too, leave it to the run).
    heard = f"archiver: {name}: finishing what is in hand, then stopping (a second {name} stops at once)"
    assert err.splitlines().count(heard) == 1, err
    summary = json.loads(out)  # the summary is still written, on one line
    assert summary["interrupted"] == name and summary["articles"] == int(done.group(1))
    assert summary["articles_failed"] == 0
    # What it says it did is what the index holds: the pages captured, the posts checked (none
    # started after the signal), no more, no fewer.
    with sqlite3.connect(archive / "archive.db") as db:
        pages = db.execute("SELECT count(*) FROM captures WHERE post IS NULL").fetchone()[0]
        checked = {k for (k,) in db.execute("SELECT key FROM posts WHERE last_checked IS NOT NULL")}
    assert summary["articles"] == pages
    assert {r["key"] for r in summary["results"] if r["checked"]} == checked, (summary["results"], checked)
    assert _runs(archive) == [(1, 1, "interrupted", "run")]
    assert not list((archive / "warcs").glob("*.open")), "the WARC file was left open"
    for f in warc_files(archive):
        assert warcio_check(f).returncode == 0, f
    v = cli(web, "verify", archive=archive)
    assert v.returncode == 0, v.stdout + v.stderr
    # The article at hand was finished, not abandoned: the next run does not capture it again.
    slow_only = tmp_path / "again"
    slow_only.mkdir()
    (slow_only / "news.urls").write_text((tmp_path / f"{name.lower()}-seeds" / "news.urls").read_text().split()[0])
    again = cli(web, "run", "--seeds", str(slow_only), "--format", "json", archive=archive)
    assert again.returncode == 0, again.stderr
    assert "did not finish" not in again.stderr  # closed as interrupted, not found dead
    with sqlite3.connect(archive / "archive.db") as db:
        dupes = db.execute("SELECT count(*) FROM (SELECT article_id FROM captures WHERE post IS NULL "
                           "AND error IS NULL GROUP BY article_id HAVING count(*) > 1)").fetchone()[0]
    assert dupes == 0


def _warc_bytes(archive: Path) -> int:
    total = 0
    for f in (archive / "warcs").glob("*.warc.gz*"):
        try:
            total += f.stat().st_size
        except FileNotFoundError:
            pass  # renamed from .open meanwhile
    return total


def test_kill_9_leaves_no_browser_and_the_next_run_closes_the_row(web: FakeWeb, tmp_path: Path) -> None:
    archive = tmp_path / "killed"
    seeds = _seeds(tmp_path, web, "kill", more=(site.ARTICLE_PROTECTED.url,))
    for trial in range(2):
        before = _warc_bytes(archive)
        p = _start(web, seeds, archive, output=False)
        try:
            _wait_for(lambda b=before: _warc_bytes(archive) > b, 120, p)  # a first record of this run
            # Chromium starts with the first capture, which may come after the first record.
            _wait_for(lambda pid=p.pid: any("chrom" in name for _s, name in snapshot(pid).values()), 120, p)
            time.sleep(0.3 * trial)
            tree = snapshot(p.pid)
            assert any("chrom" in name for _start_time, name in tree.values()), tree
            if trial == 1:
                # A driver too busy or stuck to close Chromium when its pipe closes (left alone,
                # it and Chromium would live on): the watchdog must do it.
                (driver,) = [pid for pid in tree if b"run-driver" in _cmdline(pid)]
                os.kill(driver, signal.SIGSTOP)
            os.kill(p.pid, signal.SIGKILL)
        finally:
            p.kill()
            p.wait()
        left = survivors(tree)
        for pid in left:  # still ours (same start time): never leak them, even when failing
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        assert not left, f"trial {trial}: survived the kill: {left}"
    # Each run closed the row the run before it left, as the last one is closed below.
    assert _runs(archive) == [(1, 1, "killed", "run"), (2, 0, None, "run")]
    r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)
    assert r.returncode == 0, r.stderr
    closed = [line for line in r.stderr.splitlines() if "did not finish" in line]
    assert len(closed) == 1 and closed[0].startswith("archiver: run 2 (started "), r.stderr
    assert closed[0].endswith("did not finish, and could not record why (killed, stopped by a full disk, "
                                "or its index unreachable as it ended): closed as killed")
    assert _runs(archive)[1:] == [(2, 1, "killed", "run"), (3, 1, "done", "run")]
    v = cli(web, "verify", archive=archive)
    assert v.returncode == 0, v.stdout + v.stderr
    for f in warc_files(archive):
        assert warcio_check(f).returncode == 0, f


def _catches(pid: int, signum: int) -> bool:
    """True once the process has a handler of its own for `signum` (SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(mask & (1 << (signum - 1)))


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_waiting_for_the_lock_stops_at_once(tmp_path: Path, signum: int, code: int) -> None:
    from archiver.lock import ArchiveLock

    archive = tmp_path / "archive"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("https://news.example/2024/never-fetched.html\n")
    with ArchiveLock(archive):  # another run holds the archive the whole time
        p = subprocess.Popen([sys.executable, "-m", "archiver.cli", "run", "--wait", "--seeds", str(seeds),
                              "--archive-dir", str(archive)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            # Python catches SIGINT from the start; SIGTERM only once archiver's handler is in.
            _wait_for(lambda: _catches(p.pid, signal.SIGTERM), 60, p)
            p.send_signal(signum)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert p.returncode == code, err
    assert err == f"archiver: interrupted by {signal.Signals(signum).name}\n" and out == ""
    assert not (archive / "archive.db").exists()  # nothing was started


def test_run_rows_of_an_older_archive_get_an_outcome_and_dead_ones_are_closed(tmp_path: Path) -> None:
    """Migration 3 on an archive written before it: finished runs are 'done'; an unfinished one stays
    open until a run holding the lock closes it as killed."""
    from sqlite_utils import Database

    from archiver.index.sqlite.index import SQLiteIndex as Index
    from archiver.index.sqlite.schema import MIGRATIONS, migrate
    from archiver.layout import DB_NAME

    db = Database(tmp_path / DB_NAME)
    migrate(db, MIGRATIONS[:2])
    db.execute("INSERT INTO runs (started_at, finished_at, summary) VALUES ('2026-01-01T00:00:00Z', "
               "'2026-01-01T00:10:00Z', '{}')")
    db.execute("INSERT INTO runs (started_at) VALUES ('2026-01-02T00:00:00Z')")
    db.conn.commit()
    db.close()
    with Index(tmp_path) as index:
        assert index.unfinished_runs() == [2]
        closed = index.close_unfinished_runs()
        assert [(r.id, r.started_at) for r in closed] == [(2, "2026-01-02T00:00:00Z")]
        assert index.close_unfinished_runs() == []
        run = index.start_run("archive")
        index.finish_run(run, {"articles": 0}, "interrupted")
        rows = index.db.execute("SELECT id, outcome, command, finished_at IS NOT NULL FROM runs").fetchall()
    assert rows == [(1, "done", None, 1), (2, "killed", None, 1), (3, "interrupted", "archive", 1)]


def test_a_run_sent_without_waiting_is_not_closed_as_killed(tmp_path: Path) -> None:
    """A run sent to a cluster without waiting keeps its row open (its workers hold no lock) until
    `runs status` closes it: the next run closes only the rows of runs that died."""
    from archiver.index.rows import DETACHED_RUN
    from archiver.index.sqlite.index import SQLiteIndex as Index

    with Index(tmp_path) as index:
        sent = index.start_run(DETACHED_RUN)
        died = index.start_run("run")
        assert [r.id for r in index.close_unfinished_runs()] == [died]
        assert index.unfinished_runs() == [sent]
        index.finish_run(sent, {"articles": 1})
        rows = index.db.execute("SELECT id, outcome, command FROM runs ORDER BY id").fetchall()
    assert rows == [(sent, "done", DETACHED_RUN), (died, "killed", "run")]


def test_a_killed_run_is_closed_at_its_last_sign_of_life_with_what_it_did(web: FakeWeb, tmp_path: Path) -> None:
    """Killed once its article's capture is indexed (a post's capture hanging): the next run closes
    its row at the time of the last thing it indexed, not at the next run's start, and its summary
    counts what the index holds of it and says the time is no clean end."""
    from archiver.platforms.twitter.syndication import syndication_url

    archive = tmp_path / "archive"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(site.ARTICLE_FLOOD.url + "\n")
    synd = syndication_url(site.TWEET_PHOTO.id).removeprefix("https://cdn.syndication.twimg.com")
    fault = ("fault", "cdn.syndication.twimg.com", synd)

    def article_captured() -> bool:
        try:
            with sqlite3.connect(f"file:{archive / 'archive.db'}?mode=ro", uri=True) as db:
                return db.execute("SELECT count(*) FROM captures WHERE post IS NULL").fetchone()[0] > 0
        except sqlite3.Error:
            return False

    web.set_state(fault, "hang")
    try:
        p = _start(web, seeds, archive, output=False)
        try:
            _wait_for(article_captured, 120, p)
            os.killpg(p.pid, signal.SIGKILL)  # (its own group: Chromium with it)
        finally:
            p.kill()
            p.wait()
    finally:
        web.set_state(fault, None)
    r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(archive / "archive.db") as db:
        (started, finished, outcome, summary), (next_start,) = (
            db.execute("SELECT started_at, finished_at, outcome, summary FROM runs WHERE id = 1").fetchone(),
            db.execute("SELECT started_at FROM runs WHERE id = 2").fetchone())
        latest = db.execute("SELECT max(captured_at), count(*) FROM captures WHERE captured_at < ?",
                            [next_start]).fetchone()
        articles = db.execute("SELECT count(*) FROM captures WHERE post IS NULL AND captured_at < ?",
                              [next_start]).fetchone()[0]
        checks = db.execute("SELECT max(checked_at), count(*) FROM observations WHERE checked_at < ?",
                            [next_start]).fetchone()
    did = json.loads(summary)
    assert outcome == "killed" and started < finished < next_start, (started, finished, next_start)
    assert finished == max(t for t in (latest[0], checks[0]) if t), (finished, latest, checks)
    assert did["article_captures"] == articles == 1, did
    assert did["post_captures"] + did["article_captures"] == latest[1] and did["checks"] == checks[1], did
    assert did["finished_at_is"].startswith("its last sign of life"), did
    (closed,) = [line for line in r.stderr.splitlines() if "did not finish" in line]
    assert closed.startswith(f"archiver: run 1 (started {started}; last sign of life {finished}: "
                             f"{latest[1]} capture(s), {checks[1]} check(s) indexed) did not finish"), closed


def test_a_signal_that_lands_while_a_class_is_made_is_the_signal_not_an_internal_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A signal raised in a descriptor's `__set_name__` (a dataclass's fields, as a module is imported
    lazily while a run starts) reaches the command wrapped in Python's RuntimeError("Error calling
    __set_name__ ..."): it still ends as the signal does (exit 130, one line), never "internal error"."""
    import typer

    from archiver import cli
    from archiver.interrupt import Interrupted, interruption_in

    class Landing:
        def __set_name__(self, owner: type, name: str) -> None:
            raise Interrupted(signal.SIGINT)

    def make_a_class() -> None:
        type("Made", (), {"field": Landing()})

    with pytest.raises(RuntimeError) as wrapped:
        make_a_class()
    assert isinstance(interruption_in(wrapped.value), Interrupted)
    assert interruption_in(RuntimeError("a fault of ours")) is None
    with pytest.raises(typer.Exit) as ended:
        cli._call(make_a_class)
    assert ended.value.exit_code == 130
    assert capsys.readouterr().err == "archiver: interrupted by SIGINT\n"
