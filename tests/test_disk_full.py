"""A disk that fills up mid-run: one named line, exit 1, an archive that still verifies, and a next
run (with room again) that completes.

The archive lives on a small tmpfs mounted inside `unshare -m`, so that a killed test leaves no
mount behind; everything that must see the mount runs in one shell script inside that namespace.
Real Chromium against the local fake web.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import ROOT
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

ARTICLES = [site.ARTICLE_FLOOD.url, site.ARTICLE_WITHHELD.url, f"https://news.example{site.WIRE_TEXT_PATH}"]


def _can_mount(tmp: Path) -> str | None:
    """Why a private tmpfs cannot be mounted here, or None."""
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = tmp / "probe"
    probe.mkdir()
    r = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {shlex.quote(str(probe))}"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return f"cannot mount a tmpfs in a private mount namespace (needs root): {r.stderr.strip()}"
    return None


def _folders(tmp: Path) -> tuple[Path, Path]:
    """Where the tmpfs goes and where the commands' output is kept (the test skips without a mount)."""
    why = _can_mount(tmp)
    if why:
        pytest.skip(why)
    mnt, out = tmp / "mnt", tmp / "out"
    mnt.mkdir()
    out.mkdir()
    return mnt, out


# In a step of `_in_namespace`: the fake web's `--map-host` and `--ca-bundle` options.
NET = "<the fake web>"


def _in_namespace(mnt: Path, out: Path, archive: Path, web: FakeWeb, steps: list[tuple[str, ...] | str]) -> None:
    """Run `steps` in one shell inside a private mount namespace, a 2 MB tmpfs mounted at `mnt`
    first: a tuple `(name, command, args...)` is one archiver command on `archive` (its stdout,
    stderr and exit code kept in `out` under `name`; `NET` among its arguments stands for the fake
    web's options), a string a shell line as it is."""
    exe = [sys.executable, "-m", "archiver.cli"]
    net = ["--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
    script = f"set -u\nmount -t tmpfs -o size=2m tmpfs {shlex.quote(str(mnt))} || exit 90\n"
    for step in steps:
        if isinstance(step, str):
            script += step + "\n"
            continue
        name, *args = step
        args = [a for arg in args for a in (net if arg == NET else [arg])]
        cmd = shlex.join([*exe, *args, "--archive-dir", str(archive)])
        script += f"{cmd} >{out}/{name}.out 2>{out}/{name}.err; echo $? >{out}/{name}.rc\n"
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr


def _result(out: Path, name: str) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of the step `name` of `_in_namespace`."""
    return (int((out / f"{name}.rc").read_text()), (out / f"{name}.out").read_text(),
            (out / f"{name}.err").read_text())


def test_disk_full_is_named_and_the_archive_stays_verifiable(tmp_path: Path) -> None:
    mnt, out = _folders(tmp_path)
    archive = mnt / "archive"
    with FakeWeb(tmp_path / "web") as web:
        _in_namespace(mnt, out, archive, web, [
            ("full", "archive", *ARTICLES, "--format", "json", NET),
            ("verify-full", "verify"),
            f"ls -laR {shlex.quote(str(mnt))} >{out}/ls.txt 2>&1",
            f"mount -o remount,size=300m {shlex.quote(str(mnt))} || exit 91",
            ("again", "archive", *ARTICLES, "--format", "json", NET),
            ("verify-again", "verify"),
            ("lookup", "lookup", "--format", "json"),
        ])

    code, stdout, err = _result(out, "full")
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    (line,) = [x for x in err.splitlines() if "no space left on device writing" in x]
    assert "free some space" in line and str(mnt) in line, line
    (summary_line,) = stdout.splitlines()  # the run's one JSON line, the disk among its failures
    assert any("no space left on device writing" in f for f in json.loads(summary_line)["failures"]), stdout
    code, stdout, err = _result(out, "verify-full")
    assert code == 0, stdout + err + (out / "ls.txt").read_text()
    assert "intact" in err
    code, stdout, err = _result(out, "again")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["failures"] == []
    code, stdout, err = _result(out, "verify-again")
    assert code == 0, stdout + err
    code, stdout, err = _result(out, "lookup")
    assert code == 0, err
    posts = json.loads(stdout)
    assert len(posts) >= 5 and all(p["captures"] for p in posts if p["status"] == "live")


def test_a_disk_full_before_the_index_has_its_tables_leaves_no_index(tmp_path: Path) -> None:
    mnt, out = _folders(tmp_path)
    source = tmp_path / "article.html"
    source.write_text("<html><body><p>Nothing cited.</p></body></html>")
    archive = mnt / "archive"
    exe = shlex.join([sys.executable, "-m", "archiver.cli"])
    m = shlex.quote(str(mnt))
    script = (
        "set -u\n"
        f"mount -t tmpfs -o size=1m tmpfs {m} || exit 90\n"
        # room for the folders and the index file's first page, not for its tables
        f"dd if=/dev/zero of={m}/filler bs=4k count=240 2>/dev/null\n"
        f"{exe} archive {shlex.quote(str(source))} --archive-dir {shlex.quote(str(archive))}"
        f" >{out}/full.out 2>{out}/full.err; echo $? >{out}/full.rc\n"
        f"ls -la {shlex.quote(str(archive))} >{out}/ls.txt 2>&1\n"
        f"{exe} lookup --archive-dir {shlex.quote(str(archive))} >{out}/lookup.out 2>{out}/lookup.err;"
        f" echo $? >{out}/lookup.rc\n"
    )
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    err = (out / "full.err").read_text()
    assert (out / "full.rc").read_text().strip() == "1", err
    assert "no space left on device writing" in err and "Traceback" not in err, err
    listing = (out / "ls.txt").read_text()
    assert "archive.db" not in listing, listing  # nothing half made
    # A later command finds no archive (and says how to make one), not a foreign file.
    lookup = (out / "lookup.err").read_text()
    assert (out / "lookup.rc").read_text().strip() == "2" and "no archive at" in lookup, lookup


def test_a_run_a_full_disk_stops_still_prints_its_json_summary(tmp_path: Path) -> None:
    mnt, out = _folders(tmp_path)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "article.html").write_text("<html><body><p>Nothing cited.</p></body></html>")
    archive = mnt / "archive"
    exe = shlex.join([sys.executable, "-m", "archiver.cli"])
    m = shlex.quote(str(mnt))
    script = (
        "set -u\n"
        f"mount -t tmpfs -o size=1m tmpfs {m} || exit 90\n"
        f"dd if=/dev/zero of={m}/filler bs=4k count=240 2>/dev/null\n"
        f"{exe} run --seeds {shlex.quote(str(seeds))} --format json --archive-dir {shlex.quote(str(archive))}"
        f" >{out}/run.out 2>{out}/run.err; echo $? >{out}/run.rc\n"
        # Again, its JSON log on the same disk, filled to the last byte (a crontab's `>> /var/log/...`):
        # stdout refuses the summary.
        f"dd if=/dev/zero of={m}/filler2 bs=1k 2>/dev/null; touch {m}/runs.jsonl\n"
        f"{exe} run --seeds {shlex.quote(str(seeds))} --format json --archive-dir {shlex.quote(str(archive))}"
        f" >>{m}/runs.jsonl 2>{out}/logged.err; echo $? >{out}/logged.rc\n"
    )
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    err = (out / "run.err").read_text()
    assert (out / "run.rc").read_text().strip() == "1", err
    (line,) = (out / "run.out").read_text().splitlines()
    summary = json.loads(line)
    (failure,) = summary["failures"]
    assert "no space left on device writing" in failure and "free some space" in failure, failure
    assert [x for x in err.splitlines() if "no space left on device" in x] == [f"archiver: failed: {failure}"], err
    # With stdout on the full disk too, the disk is still named on stderr, and the exit stays 1 (it was
    # 2, "could not write to stdout", the disk's line never printed).
    err = (out / "logged.err").read_text()
    assert (out / "logged.rc").read_text().strip() == "1", err
    assert any(x.startswith("archiver: failed: ") and "no space left on device writing" in x
               for x in err.splitlines()), err


@pytest.mark.parametrize("command", ["archive", "run"])
def test_a_run_the_disk_stops_counts_what_it_captured_before(tmp_path: Path, command: str) -> None:
    """The disk fills after some captures: the summary (the JSON line, the closing line, the run's
    row) counts the articles and posts captured and indexed before it, no more, no fewer."""
    mnt, out = _folders(tmp_path)
    archive = mnt / "archive"
    copy = out / "archive"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("".join(f"{url}\n" for url in ARTICLES))
    sources = list(ARTICLES) if command == "archive" else ["--seeds", str(seeds)]
    with FakeWeb(tmp_path / "web") as web:
        _in_namespace(mnt, out, archive, web, [
            ("full", command, *sources, "--format", "json", NET),
            ("verify-full", "verify"),
            # The index as the full disk left it, read after the namespace (and its mount) is gone.
            f"mkdir {shlex.quote(str(copy))} && cp {shlex.quote(str(archive))}/archive.db* {shlex.quote(str(copy))}",
            f"mount -o remount,size=300m {shlex.quote(str(mnt))} || exit 91",
            ("again", command, *sources, "--format", "json", NET),
        ])

    code, stdout, err = _result(out, "full")
    assert code == 1, err
    assert "Traceback" not in err, err
    (line,) = stdout.splitlines()
    summary = json.loads(line)
    assert "no space left on device writing" in summary["failures"][-1], summary
    assert summary["articles"] + summary["posts"] > 0, summary  # the disk filled after some captures
    db = sqlite3.connect(copy / "archive.db")
    article_captures = db.execute("SELECT count(*) FROM captures WHERE post IS NULL").fetchone()[0]
    post_captures = dict(db.execute("SELECT posts.key, count(*) FROM captures JOIN posts ON posts.id = captures.post "
                                    "GROUP BY posts.key").fetchall())
    checked = {k for (k,) in db.execute("SELECT key FROM posts WHERE last_checked IS NOT NULL")}
    ((outcome, kept),) = db.execute("SELECT outcome, summary FROM runs").fetchall()
    db.close()
    # Each article captured counts, each post checked (a fresh archive: every check is this run's),
    # with the captures it has; a capture the disk cut short is in neither.
    assert summary["articles"] == article_captures, (summary, article_captures)
    assert {r["key"] for r in summary["results"] if r["checked"]} == checked, (summary["results"], checked)
    assert {r["key"]: r["captures"] for r in summary["results"] if r["captures"]} == post_captures, summary
    assert sum(summary["statuses"].values()) == len(checked)
    # The closing line says as much.
    (said,) = [x for x in err.splitlines() if "captured or checked" in x]
    assert said.startswith(f"archiver: {summary['articles']} article(s), {summary['posts']} post(s) captured or "
                           "checked before the disk filled"), err
    code, stdout, err = _result(out, "verify-full")
    assert code == 0, stdout + err
    # With room again, what the first run captured is held: not captured twice.
    code, stdout, again_err = _result(out, "again")
    assert code == 0, again_err
    again = json.loads(stdout)
    assert again["posts_skipped_already_captured"] == len(post_captures), again
    # The run's row keeps the same summary, closed as failed; or, when the disk left no room to
    # close it, the next run closes it as killed, with the same captures as its last sign of life.
    if outcome is not None:
        assert outcome == "failed"
        row = json.loads(kept)
        assert (row["articles"], row["posts"], row["results"]) == (summary["articles"], summary["posts"],
                                                                   summary["results"])
    else:
        captures = article_captures + sum(post_captures.values())
        assert f"{captures} capture(s), {len(checked)} check(s) indexed" in again_err, again_err


# The disk filling at one chosen moment: right after an article's page capture is indexed, at the
# next index write of its task (the posts only its rendered page showed). The write is made to raise
# what a full disk raises there; the capture, the index and the WARC files are the real ones.
_FULL_AFTER_THE_PAGE = r"""
import sys
from archiver.pipeline import articles
from archiver.space import disk_full

def rendered_posts(self, *args, **kwargs):
    raise disk_full(self.s.archive_dir / "archive.db")

articles.ArticleHandler._rendered_posts = rendered_posts
from archiver.cli import main
sys.argv = ["archiver", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("in_flight", ["1", "3"])
def test_an_article_whose_page_was_indexed_before_the_disk_filled_in_its_task_is_counted(
        tmp_path: Path, in_flight: str) -> None:
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        r = subprocess.run(
            [sys.executable, "-c", _FULL_AFTER_THE_PAGE, "archive", site.ARTICLE_FLOOD.url, "--format", "json",
             "--pages-in-flight", in_flight, "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem),
             "--archive-dir", str(archive)],
            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert "no space left on device writing" in summary["failures"][-1], summary
    with sqlite3.connect(archive / "archive.db") as db:
        (pages,) = db.execute("SELECT count(*) FROM captures WHERE post IS NULL AND status = 'ok'").fetchone()
        ((outcome, counted),) = db.execute("SELECT outcome, json_extract(summary, '$.articles') FROM runs").fetchall()
    assert pages == 1 and summary["articles"] == 1 and summary["articles_failed"] == 0, (pages, summary)
    assert (outcome, counted) == ("failed", 1)
