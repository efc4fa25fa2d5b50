"""Lookup latency per filter on large indexes, and the whole `archiver lookup` process next to
`archiver --version`.

Usage: .venv/bin/python bench/lookup.py [--sizes 100000,1000000] [--repeat 40] [--cache DIR] [--rebuild] [--cold]

For each size, builds an archive index through the index's own writes (`upsert_article`,
`upsert_post`, `cite`, `observe`, in transactions of a few thousand posts) with a realistic
spread: many handles, posting times over sixteen years (some known only to the day, a few not at
all), several platforms, a few rare statuses, texts of common words plus rarer ones, each post
cited by an article. The built index is kept under the cache directory (default: the system's
temporary directory, `archiver-bench/`), keyed by size, generator version and schema version, so
reruns start at once.

Then (after reading the database once, so the page cache is warm, unless `--cold`) prints, per
filter, p50 and p95 of `SQLiteIndex.lookup` in-process (ms; each repetition asks
for another handle, day, word, article...), selective filters (at most about a hundred matching
posts) whole and broad ones as their first page (`--limit 50`), against the targets p50 < 10 ms and
p95 < 50 ms; and the whole-process time of `archiver lookup` (one handle) next to `archiver --version`
(best and median of N interleaved runs, wall and CPU time; target: lookup under 150 ms). Timings
on a shared machine are noisy: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.index.filters import Filters  # noqa: E402
from archiver.index.sqlite.index import SQLiteIndex  # noqa: E402
from archiver.index.sqlite.schema import SCHEMA_VERSION  # noqa: E402
from archiver.models import Post  # noqa: E402

GENERATOR = 1  # bump when the synthetic archive changes, so cached indexes are rebuilt
FIRST_YEAR, YEARS = 2010, 16
PLATFORMS = ("twitter",) * 12 + ("youtube",) * 3 + ("instagram",) * 2 + ("tiktok", "bluesky", "mastodon")
# Most posts are live; a few were deleted; two statuses are rare (tens of posts in a million).
STATUSES = (("live", 0.93), ("deleted", 0.05), ("unavailable", 0.01998), ("suspended", 0.00001),
            ("withheld", 0.00001))
COMMON = ("river", "bridge", "flood", "water", "road", "closed", "council", "rain", "storm", "quay", "town",
          "news", "today", "update", "people", "school", "police", "fire", "train", "market")
PAGE = 50


def _handles(posts: int) -> int:
    return max(posts // 20, 1)  # about 20 posts each


def _words(posts: int) -> int:
    return max(posts // 40, 1)  # rare words: about 40 posts each


def _articles(posts: int) -> int:
    return max(posts // 10, 1)  # each cites about 10 posts


def _status(rng: random.Random) -> str:
    draw = rng.random()
    for status, share in STATUSES:
        if draw < share:
            return status
        draw -= share
    return "live"


def _post(n: int, posts: int, rng: random.Random) -> Post:
    day = rng.randrange(YEARS * 365)
    year, rest = FIRST_YEAR + day // 365, day % 365
    month, mday = 1 + rest // 31 % 12, 1 + rest % 28
    if n % 50 == 0:
        posted = None
    elif n % 10 == 0:
        posted = f"{year}-{month:02d}-{mday:02d}"
    else:
        posted = f"{year}-{month:02d}-{mday:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
    platform = PLATFORMS[n % len(PLATFORMS)]
    words = " ".join(rng.choice(COMMON) for _ in range(8))
    return Post(platform=platform, kind="embedded", source="bench.html", evidence="blockquote",
                post_id=f"{10**17 + n}", url=f"https://{platform}.example/p/{10**17 + n}",
                handle=f"Desk{rng.randrange(_handles(posts))}", author="Bench Author", posted_at=posted,
                text=f"{words} w{rng.randrange(_words(posts))}x {n}")


def build(target: Path, posts: int, batch: int = 5000) -> float:
    """Write the synthetic archive's index at `target` through the index API; return seconds taken."""
    rng = random.Random(posts)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    start = time.perf_counter()
    with SQLiteIndex(partial) as index:
        articles = _articles(posts)
        with index.transaction():
            ids = [index.upsert_article(f"https://news.example/{a}.html", source=f"{a}.html") for a in range(articles)]
        for first in range(0, posts, batch):
            with index.transaction():
                for n in range(first, min(first + batch, posts)):
                    key = index.upsert_post(_post(n, posts, rng))
                    index.cite(ids[rng.randrange(articles)], key, "embedded", "blockquote.twitter-tweet")
                    if n % 20:  # one post in twenty was never checked
                        index.observe(key, _status(rng), checked_at="2026-01-01T00:00:00Z")
            if first and first % (batch * 40) == 0:
                print(f"  {first} posts written, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    elapsed = time.perf_counter() - start
    partial.rename(target)
    return elapsed


def cached(cache: Path, posts: int, rebuild: bool) -> tuple[Path, float | None]:
    target = cache / f"lookup-{posts}-g{GENERATOR}-s{SCHEMA_VERSION}"
    if rebuild:
        shutil.rmtree(target, ignore_errors=True)
    if target.exists():
        return target, None
    print(f"building an index of {posts} posts in {target} ...", file=sys.stderr)
    return target, build(target, posts)


def _values(index: SQLiteIndex, sql: str) -> list[Any]:
    return [row[0] for row in index.db.execute(sql).fetchall()]


def cases(index: SQLiteIndex, posts: int, rng: random.Random) -> dict[str, tuple[Callable[[], dict[str, Any]], int | None]]:
    """Filter name -> (a fresh set of filter arguments per call, page size or None for all)."""
    rare = [s for s, share in STATUSES if share < 0.001]
    articles = _articles(posts)

    def day() -> str:
        return f"{FIRST_YEAR + rng.randrange(YEARS)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(27):02d}"

    return {
        "handle": (lambda: {"handle": f"@desk{rng.randrange(_handles(posts))}"}, None),
        "date (one day)": (lambda: {"date": day()}, None),
        "text (one rare word)": (lambda: {"text": f"w{rng.randrange(_words(posts))}x"}, None),
        "article": (lambda: {"article": f"https://news.example/{rng.randrange(articles)}.html"}, None),
        "status (rare)": (lambda: {"status": rng.choice(rare)}, None),
        "range (two days)": (lambda: (lambda d: {"since": d, "until": d[:-2] + f"{int(d[-2:]) + 1:02d}"})(day()),
                             None),  # day() stops at the 27th: the next day exists in every month
        "platform (first page)": (lambda: {"platform": rng.choice(("twitter", "youtube", "bluesky"))}, PAGE),
        "status live (first page)": (lambda: {"status": "live"}, PAGE),
        "since (first page)": (lambda: {"since": day()}, PAGE),
        "until (first page)": (lambda: {"until": day()}, PAGE),
        "range (a year, first page)": (lambda: (lambda y: {"since": f"{y}-01-01", "until": f"{y}-12-31"})(
            FIRST_YEAR + rng.randrange(YEARS)), PAGE),
        "text common word (first page)": (lambda: {"text": rng.choice(COMMON)}, PAGE),
        "no filter (first page)": (lambda: {}, PAGE),
        # Three common words together: about 3% of posts hold all three, the share at which reading
        # the page off the ordering index and sorting the matches cost about the same.
        "text three common words (first page)": (lambda: {"text": " ".join(rng.sample(COMMON, 3))}, PAGE),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_process(archive: Path, posts: int, repeat: int) -> list[tuple[str, float, float, float, str]]:
    rng = random.Random(7)
    results = []
    with SQLiteIndex(archive, create=False) as index:
        for name, (make, page) in cases(index, posts, rng).items():
            times, sizes = [], []
            for _ in range(repeat):
                filters = Filters(**make())
                start = time.perf_counter()
                rows = index.lookup(filters, limit=page)
                times.append((time.perf_counter() - start) * 1000)
                sizes.append(len(rows))
            selective = page is None
            ok = percentile(times, 0.5) < 10 and percentile(times, 0.95) < 50
            results.append((name, percentile(times, 0.5), percentile(times, 0.95), statistics.median(sizes),
                            ("ok" if ok else "OVER") + ("" if selective else f" (limit {page})")))
    return results


def warm(archive: Path) -> float:
    """Read the database files once, so the page cache holds them as on a machine that serves
    lookups; seconds taken."""
    start = time.perf_counter()
    for path in sorted(archive.glob("archive.db*")):
        with path.open("rb") as f:
            while f.read(1 << 22):
                pass
    return time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(archive: Path, rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU milliseconds of each run of `lookup` and of `--version`, interleaved. CPU time
    (user + system, of the child) is what a loaded machine distorts least."""
    exe = Path(sys.executable).with_name("archiver")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "archiver"]
    commands = {"version": [*command, "--version"],
                "lookup": [*command, "lookup", "-d", str(archive), "--handle", "@desk1", "--format", "json"]}
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in commands}
    for _ in range(rounds):
        for name, argv in commands.items():
            cpu, start = _children_cpu(), time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, timeout=120)
            times[name][0].append((time.perf_counter() - start) * 1000)
            times[name][1].append((_children_cpu() - cpu) * 1000)
    return times


def bytecode_note() -> str:
    """Whether archiver's modules start from cached bytecode: without it (an editable install under
    PYTHONDONTWRITEBYTECODE, before `make install` compiled them) every process compiles them again,
    and the whole-process figures measure that too."""
    import importlib.util

    modules = sorted((ROOT / "archiver").rglob("*.py"))
    cached = sum(Path(importlib.util.cache_from_source(str(m))).exists() for m in modules)
    if cached == len(modules):
        return "bytecode: cached for every archiver module"
    return (f"bytecode: cached for {cached} of {len(modules)} archiver modules (the rest compile at every start; "
            "`make install` compiles them)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="Comma-separated post counts.")
    parser.add_argument("--repeat", type=int, default=40, help="Lookups per filter (p50/p95 over these).")
    parser.add_argument("--rounds", type=int, default=10, help="Whole-process runs of each command.")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "archiver-bench")
    parser.add_argument("--rebuild", action="store_true", help="Build the indexes again even if cached.")
    parser.add_argument("--build-only", action="store_true", help="Build (or find) the indexes, measure nothing.")
    parser.add_argument("--cold", action="store_true",
                        help="Do not read the database into the page cache first (by default it is: warm figures).")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for posts in (int(s) for s in args.sizes.split(",")):
        archive, built = cached(args.cache, posts, args.rebuild)
        size = (archive / "archive.db").stat().st_size / 1e6
        note = f"built in {built:.0f} s ({built / posts * 1e6:.0f} us/post)" if built is not None else "cached"
        print(f"\n== {posts} posts: {archive} ({size:.0f} MB), {note}")
        if args.build_only:
            continue
        if not args.cold:
            print(f"page cache: warm (the database read once in {warm(archive):.1f} s before measuring)")
        else:
            print("page cache: as found (--cold: whatever of the database the system still holds)")
        print(f"{'filter':34} {'p50 ms':>8} {'p95 ms':>8} {'rows':>6}  target p50<10 p95<50")
        for name, p50, p95, rows, verdict in in_process(archive, posts, args.repeat):
            print(f"{name:34} {p50:8.2f} {p95:8.2f} {rows:6.0f}  {verdict}")
        print(bytecode_note())
        times = whole_process(archive, args.rounds)
        for kind, column in (("wall", 0), ("cpu", 1)):
            lookups, versions = times["lookup"][column], times["version"][column]
            best_l, best_v = min(lookups), min(versions)
            print(f"whole process {kind}, best/median of {args.rounds}: lookup --handle {best_l:.0f}/"
                  f"{statistics.median(lookups):.0f} ms, --version {best_v:.0f}/{statistics.median(versions):.0f} ms; "
                  f"lookup/version x{best_l / best_v:.2f} (best), lookup {'ok' if best_l < 150 else 'OVER'} "
                  "against 150 ms")
    print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
