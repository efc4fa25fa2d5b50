"""Crash trials: kill -9 `archiver run` at random moments, then check that nothing was damaged.

Usage: .venv/bin/python bench/crash_trials.py [--trials 20] [--seed N] [--concurrency 1]

Against the local impersonating server (tests/fakeweb), nothing from the internet. A first, whole
run measures how long a run over the seed articles takes. Then, N times, in a fresh archive: start
`archiver run`, wait until its first WARC record is written, wait a random part of the measured
run time, note every process it started (walking /proc) and SIGKILL it. Each trial checks:

  orphans     no process the killed run started is still alive (same PID and start time) 10 s later
  resume      the next `archiver run` exits 0 and says it closed the dead run's row
  verify      `archiver verify` finds every indexed record and screenshot intact
  warcio      `warcio check` passes on every WARC file; no `.open` file is left
  duplicates  no post or article captured twice, no WARC-Record-ID twice (in the index or the WARCs)
  runs        every run row is closed: the killed one as 'killed', the resumed one as 'done'

Prints one line per trial and the tally; exits 0 only when every trial is clean. Not part of the
test suite: it takes minutes (each trial runs Chromium twice).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import cli, warc_files, warcio_check  # noqa: E402
from tests.fakeweb import FakeWeb, site  # noqa: E402
from tests.proctree import snapshot, survivors  # noqa: E402

SEEDS = [site.ARTICLE_FLOOD.url, site.ARTICLE_PROTECTED.url, site.ARTICLE_WITHHELD.url,
         site.ARTICLE_REVIEW.url, f"https://news.example{site.WIRE_TEXT_PATH}"]
CHECKS = ("orphans", "resume", "verify", "warcio", "duplicates", "runs")


def _warc_bytes(archive: Path) -> int:
    total = 0
    for f in (archive / "warcs").glob("*.warc.gz*"):
        try:
            total += f.stat().st_size
        except FileNotFoundError:
            pass
    return total


def _start(web: FakeWeb, seeds: Path, archive: Path, concurrency: int) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir", str(archive),
            "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem), "--concurrency", str(concurrency),
            "--format", "json"]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _run_args(seeds: Path, concurrency: int) -> list[str]:
    return ["run", "--seeds", str(seeds), "--concurrency", str(concurrency), "--format", "json"]


def _duplicates(archive: Path) -> list[str]:
    from warcio.archiveiterator import ArchiveIterator

    found: list[str] = []
    with sqlite3.connect(archive / "archive.db") as db:
        for key, source, n in db.execute(
                "SELECT p.key, c.source, count(*) FROM captures c JOIN posts p ON p.id = c.post "
                "WHERE c.error IS NULL GROUP BY p.key, c.source HAVING count(*) > 1"):
            found.append(f"post {key} captured {n} times from {source}")
        for aid, n in db.execute(
                "SELECT article_id, count(*) FROM captures WHERE post IS NULL AND error IS NULL "
                "GROUP BY article_id HAVING count(*) > 1"):
            found.append(f"article {aid} captured {n} times")
        for fn, off, n in db.execute('SELECT filename, "offset", count(*) FROM records '
                                     'GROUP BY filename, "offset" HAVING count(*) > 1'):
            found.append(f"{n} index rows for the record at {fn}:{off}")
    ids: Counter[str] = Counter()
    for f in warc_files(archive):
        with f.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                ids[str(rec.rec_headers.get_header("WARC-Record-ID"))] += 1
    found += [f"WARC-Record-ID {rid} written {n} times" for rid, n in ids.items() if n > 1]
    return found


def trial(web: FakeWeb, seeds: Path, archive: Path, delay: float, concurrency: int) -> tuple[dict[str, str], str]:
    """One kill and its checks: {check: problem} (empty when clean), and when the kill came."""
    problems: dict[str, str] = {}
    p = _start(web, seeds, archive, concurrency)
    t0 = time.monotonic()
    try:
        while _warc_bytes(archive) == 0:
            if p.poll() is not None:
                return {"resume": f"the run exited ({p.returncode}) before writing anything"}, "never"
            time.sleep(0.02)
        first = time.monotonic() - t0
        time.sleep(delay)
        tree = snapshot(p.pid)
        finished = p.poll() is not None
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.kill()
        p.wait()
    when = "after it finished" if finished else f"{first + delay:5.1f} s in ({delay:4.1f} s after the first record)"
    left = survivors(tree)
    if left:
        problems["orphans"] = "; ".join(f"{pid} {name}" for pid, name in sorted(left.items()))
        for pid in left:  # ours, by the PID and start time just checked: do not leak them
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    r = cli(web, *_run_args(seeds, concurrency), archive=archive)
    if r.returncode != 0:
        problems["resume"] = f"exit {r.returncode}: {r.stderr.strip().splitlines()[-1:]}"
    elif not finished and "did not finish: closed as killed" not in r.stderr:
        problems["resume"] = "the dead run's row was not reported"
    v = cli(web, "verify", archive=archive)
    if v.returncode != 0:
        problems["verify"] = (v.stdout + v.stderr).strip().replace("\n", " | ")[:300]
    bad = [f.name for f in warc_files(archive) if warcio_check(f).returncode != 0]
    bad += [f.name for f in (archive / "warcs").glob("*.open")]
    if bad:
        problems["warcio"] = ", ".join(bad)
    dupes = _duplicates(archive)
    if dupes:
        problems["duplicates"] = "; ".join(dupes[:5])
    with sqlite3.connect(archive / "archive.db") as db:
        runs = db.execute("SELECT outcome FROM runs ORDER BY id").fetchall()
    expected = [("done",), ("done",)] if finished else [("killed",), ("done",)]
    if runs != expected:
        problems["runs"] = f"run rows {runs}, expected {expected}"
    return problems, when


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None, help="Random seed (default: from the clock; printed).")
    ap.add_argument("--concurrency", type=int, default=1, help="Passed to `archiver run`.")
    args = ap.parse_args()
    # The fake web logs every connection a killed browser dropped; that is expected here.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    clean = 0
    with tempfile.TemporaryDirectory(prefix="crash-trials-") as tmp_name, FakeWeb(Path(tmp_name) / "web") as web:
        tmp = Path(tmp_name)
        seeds = tmp / "seeds"
        seeds.mkdir()
        (seeds / "news.urls").write_text("\n".join(SEEDS) + "\n")
        t0 = time.monotonic()
        whole = cli(web, *_run_args(seeds, args.concurrency), archive=tmp / "calibration")
        duration = time.monotonic() - t0
        if whole.returncode != 0:
            print(f"the calibration run failed ({whole.returncode}): {whole.stderr}", file=sys.stderr)
            return 2
        summary = json.loads(whole.stdout)
        print(f"seed {seed}; a whole run over {summary['articles']} articles and {summary['posts']} posts "
              f"takes {duration:.1f} s (concurrency {args.concurrency})", flush=True)
        for n in range(1, args.trials + 1):
            delay = rng.uniform(0, duration * 0.8)
            problems, when = trial(web, seeds, tmp / f"trial-{n:02d}", delay, args.concurrency)
            tally.update(problems.keys())
            clean += not problems
            status = "clean" if not problems else "; ".join(f"{k}: {v}" for k, v in problems.items())
            print(f"trial {n:2d}: killed {when}: {status}", flush=True)
    print(f"\n{clean} of {args.trials} trials clean")
    for check in CHECKS:
        print(f"  {check:<11} {args.trials - tally[check]:>3} of {args.trials} clean")
    return 0 if clean == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
