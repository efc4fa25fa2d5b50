"""Pages in flight: 20 articles with `--concurrency 1` vs `--concurrency 2` vs `--pages-in-flight N`,
and a re-run over 50 articles whose pages and posts are all held already.

Usage: .venv/bin/python bench/flight.py [--rounds 3] [--pages 2,3,4] [--articles 20] [--held 50] [--before DIR]

Runs the real `archiver archive` command against the local impersonating server (tests/fakeweb): the
articles are news pages made for the bench, each embedding two or three of the fake web's tweets and
sometimes its YouTube video, so the posts are shared between articles and captured once each. Each
configuration archives the same articles into a fresh archive; the configurations take turns within
each round (interleaved), and the figures are the best and the median of the rounds. With
`--before DIR` (a checkout of an earlier archiver), its `--concurrency 1` and `--concurrency 2` run
as two more configurations, and every configuration's time is also given against the earlier
`--concurrency 1`.

Memory is the peak, over the run, of the summed PSS of the archiver's whole process tree (Python,
worker processes, Playwright's driver, every Chromium process): /proc/PID/smaps_rollup of every
descendant, sampled every 50 ms. PSS, not RSS: RSS counts Chromium's shared pages once per process.
Besides the whole tree, the peaks of its Python processes alone and of the rest (the browser:
Playwright's driver and Chromium) are printed.

The held re-run: a first run archives the articles; the second, timed, finds everything held. It
must start no browser: the bench watches its process tree for a Chromium and says if one appeared.
The WARC bytes each re-run adds are printed beside what the first run wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.watchdog import descendants  # noqa: E402
from tests.fakeweb import FakeWeb, pages, site  # noqa: E402

_TWEETS = (site.TWEET_PHOTO, site.TWEET_VIDEO, site.TWEET_DELETED, site.TWEET_PROTECTED, site.TWEET_WITHHELD)


def make_articles(web: FakeWeb, count: int, tag: str) -> list[str]:
    """`count` news pages served by `web`; article n embeds two or three tweets, every third the video."""
    urls = []
    for n in range(count):
        blocks: list[tuple[str, str]] = [("p", f"Bench article {n}: the river rose again overnight.")]
        for k in range(2 + n % 2):
            blocks += [("tweet", _TWEETS[(n + k) % len(_TWEETS)].id), ("p", f"Paragraph {k} of article {n}.")]
        if n % 3 == 0:
            blocks.append(("youtube", site.YOUTUBE.id))
        path = f"/bench/{tag}/article-{n:03d}.html"
        article = site.Article(path=path, title=f"Bench article {n}", published="2024-03-05T09:30:00+00:00",
                               author="Bench", summary="Made for bench/flight.py.", blocks=tuple(blocks))
        web.set_state(("article", path), pages.article_html(article))
        urls.append(article.url)
    return urls


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Watch:
    """Samples a process tree: peak summed PSS (whole tree; Python processes; the browser's processes,
    Playwright's driver included), and whether a Chromium ever ran in it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self.python_kib = 0
        self.browser_kib = 0
        self.chromium = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = [self.pid, *descendants(self.pid)]
            pss = {p: pss_kib(p) for p in tree}
            python = sum(k for p, k in pss.items() if "python" in Path(_cmdline(p).split(" ")[0]).name)
            self.peak_kib = max(self.peak_kib, sum(pss.values()))
            self.python_kib = max(self.python_kib, python)
            self.browser_kib = max(self.browser_kib, sum(pss.values()) - python)
            if not self.chromium and any("chrom" in _cmdline(p).split(" ")[0] for p in tree[1:]):
                self.chromium = True
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _warc_bytes(archive_dir: Path) -> int:
    """Bytes of every WARC file the archive holds."""
    return sum(p.stat().st_size for p in (archive_dir / "warcs").rglob("*.warc*"))


def archive(web: FakeWeb, urls: list[str], archive_dir: Path, extra: list[str],
            root: Path = ROOT) -> tuple[float, tuple[int, int, int], bool, dict]:
    """One `archiver archive` (or `run` for --concurrency): seconds, peak PSS KiB (whole tree, Python,
    browser), Chromium seen, summary."""
    net = ["--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
    if "--concurrency" in extra:
        seeds = archive_dir.parent / (archive_dir.name + "-seeds")
        seeds.mkdir(parents=True, exist_ok=True)
        (seeds / "bench.urls").write_text("".join(u + "\n" for u in urls))
        args = ["run", "--seeds", str(seeds), "--recheck-after", "3650d"]
    else:
        args = ["archive", *urls]
    cmd = [sys.executable, "-m", "archiver.cli", "-q", *args, *net, *extra, "--archive-dir", str(archive_dir),
           "--format", "json"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watch = Watch(proc.pid)
    try:
        out, err = proc.communicate(timeout=1800)
    except subprocess.TimeoutExpired:
        proc.kill()  # this bench's own child, by its PID
        proc.communicate()
        raise
    finally:
        watch.stop()
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"archiver {' '.join(args[:1] + extra)} exited {proc.returncode}: {err[-2000:]}")
    return took, (watch.peak_kib, watch.python_kib, watch.browser_kib), watch.chromium, json.loads(out)


def _fmt(values: list[float]) -> str:
    return f"best {min(values):6.2f}  median {statistics.median(values):6.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pages", default="2,3,4", help="pages in flight to compare (comma-separated)")
    ap.add_argument("--articles", type=int, default=20)
    ap.add_argument("--held", type=int, default=50, help="articles of the held re-run (0: skip it)")
    ap.add_argument("--before", type=Path, help="a checkout of an earlier archiver: its --concurrency 1 and 2 too")
    args = ap.parse_args()
    configs: dict[str, list[str]] = {
        "--concurrency 1 --pages-in-flight 1": ["--pages-in-flight", "1"],
        "--concurrency 2": ["--concurrency", "2"],
    }
    for n in (int(x) for x in args.pages.split(",") if x):
        configs[f"--pages-in-flight {n}"] = ["--pages-in-flight", str(n)]
    roots = dict.fromkeys(configs, ROOT)
    if args.before is not None:
        for n in (1, 2):
            name = f"before: --concurrency {n}"
            configs[name] = ["--concurrency", "2"] if n == 2 else []
            roots[name] = args.before.resolve()
    times: dict[str, list[float]] = {k: [] for k in configs}
    peaks: dict[str, list[int]] = {k: [] for k in configs}
    python_peaks: dict[str, list[int]] = {k: [] for k in configs}
    browser_peaks: dict[str, list[int]] = {k: [] for k in configs}
    statuses: dict[str, set[str]] = {k: set() for k in configs}
    with tempfile.TemporaryDirectory() as tmp, FakeWeb(Path(tmp) / "web") as web:
        urls = make_articles(web, args.articles, "flight")
        for r in range(args.rounds):
            order = list(configs) if r % 2 == 0 else list(reversed(configs))
            for name in order:
                took, (peak, python, browser), _chromium, summary = archive(web, urls, Path(tmp) / f"a-{r}-{len(times[name])}-{abs(hash(name))}",
                                                         configs[name], roots[name])
                times[name].append(took)
                peaks[name].append(peak)
                python_peaks[name].append(python)
                browser_peaks[name].append(browser)
                statuses[name].add(json.dumps({p["key"]: p["status"] for p in summary["results"]}, sort_keys=True))
                print(f"  round {r + 1}: {name:40s} {took:6.2f} s  peak PSS {peak / 1024:6.0f} MiB", file=sys.stderr)
        base = min(times["--concurrency 1 --pages-in-flight 1"])
        base_med = statistics.median(times["--concurrency 1 --pages-in-flight 1"])
        load = os.getloadavg()
        print(f"\n{args.articles} articles against tests/fakeweb, {args.rounds} rounds interleaved "
              f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs)")
        before = times.get("before: --concurrency 1")
        print(f"{'configuration':40s} {'seconds':>28s}   {'x c1 (best/median)':>18s}   "
              + (f"{'x before c1':>14s}   " if before else "")
              + "peak PSS MiB, max/median: whole tree; Python; browser")
        for name in configs:
            t = times[name]
            ratio = f"{min(t) / base:.2f}x / {statistics.median(t) / base_med:.2f}x"
            if before:
                ratio += f"   {min(t) / min(before):.2f}x / {statistics.median(t) / statistics.median(before):.2f}x"
            same = "" if statuses[name] == statuses["--concurrency 1 --pages-in-flight 1"] else "  STATUSES DIFFER"
            print(f"{name:40s} {_fmt(t):>28s}   {ratio:>18s}   {max(peaks[name]) / 1024:6.0f} / "
                  f"{statistics.median(peaks[name]) / 1024:6.0f}; {max(python_peaks[name]) / 1024:4.0f} / "
                  f"{statistics.median(python_peaks[name]) / 1024:4.0f}; {max(browser_peaks[name]) / 1024:5.0f} / "
                  f"{statistics.median(browser_peaks[name]) / 1024:5.0f}{same}")

        if args.held:
            held_urls = make_articles(web, args.held, "held")
            held_dir = Path(tmp) / "held"
            archive(web, held_urls, held_dir, [])
            first = _warc_bytes(held_dir)
            runs, grew = [], []
            for _ in range(args.rounds):
                size = _warc_bytes(held_dir)
                runs.append(archive(web, held_urls, held_dir, []))
                grew.append(_warc_bytes(held_dir) - size)
            took = [t for t, *_ in runs]
            print(f"\nre-run of {args.held} held articles (nothing new): {_fmt(took)} s; peak PSS "
                  f"{max(p[0] for _, p, _, _ in runs) / 1024:.0f} MiB; Chromium started: "
                  f"{'YES' if any(c for _, _, c, _ in runs) else 'no'}; posts captured "
                  f"{sum(s['posts'] for *_, s in runs)}, skipped as held {runs[-1][3]['posts_skipped_already_captured']}; "
                  f"WARC bytes written per re-run {statistics.median(grew) / 1024:.0f} KiB (the first run wrote "
                  f"{first / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
