"""Scanning deeply nested HTML: time against depth, next to a bare parse of a flat page of the same size.

Usage: .venv/bin/python bench/deep_html.py [--levels 1000,20000,80000,200000] [--rounds N] [--cli]

For each N, an N-level nest of `<div>`s with a tweet embed at the bottom is scanned in-process
(`archiver.detect.detect`, depth cap and parse included) and a flat page of the same size
(N sibling `<div></div>`s) is parsed bare with `LexborHTMLParser`; both are timed in the same run and
their ratio printed. Linear scanning shows as time/N staying flat as N grows (target: a 200,000-level
page scanned in well under 2 s). The time the depth cap's counting pass takes alone is printed too,
and, for the depths where it stays short, a bare parse of the nested page without the cap (the
quadratic cost the cap removes). `--cli` also times the whole `archiver scan` process on the deepest
page. Each figure is the best of N rounds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TWEET = ('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Deep</p>&mdash; Jack (@jack) '
         '<a href="https://twitter.com/jack/status/20">March 21, 2006</a></blockquote>')
UNCAPPED_UP_TO = 20_000  # a bare parse of a deeper nest takes many seconds


def best(rounds: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default="1000,20000,80000,200000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cli", action="store_true", help="also time `archiver scan` on the deepest page")
    args = ap.parse_args()

    from selectolax.lexbor import LexborHTMLParser

    from archiver.detect import detect
    from archiver.detect.depth import cap_depth
    from archiver.models import Document

    levels = [int(x) for x in args.levels.split(",")]
    print(f"{'levels':>8} {'bytes':>9} {'scan s':>8} {'us/level':>9} {'cap s':>7} {'flat parse s':>13} "
          f"{'scan/flat':>10} {'uncapped parse s':>17}")
    deepest = ""
    for n in levels:
        nested = "<html><body>" + "<div>" * n + TWEET + "</div>" * n + "</body></html>"
        flat = "<html><body>" + "<div></div>" * n + TWEET + "</body></html>"
        doc = Document(source="deep.html", text=nested, is_html=True)
        posts = detect(doc)
        assert [p.key for p in posts] == ["twitter:20"], posts
        scan_s = best(args.rounds, lambda doc=doc: detect(doc))  # type: ignore[misc]
        cap_s = best(args.rounds, lambda nested=nested: cap_depth(nested))  # type: ignore[misc]
        flat_s = best(args.rounds, lambda flat=flat: LexborHTMLParser(flat))  # type: ignore[misc]
        uncapped = (f"{best(1, lambda nested=nested: LexborHTMLParser(nested)):17.3f}"  # type: ignore[misc]
                    if n <= UNCAPPED_UP_TO else f"{'(skipped)':>17}")
        print(f"{n:>8} {len(nested):>9} {scan_s:8.3f} {scan_s / n * 1e6:9.2f} {cap_s:7.3f} {flat_s:13.4f} "
              f"{scan_s / flat_s:9.1f}x {uncapped}")
        deepest = nested
    if args.cli and deepest:
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "deep.html"
            page.write_text(deepest)
            cmd = [sys.executable, "-m", "archiver.cli", "scan", "--format", "jsonl", str(page)]
            wall = best(args.rounds, lambda: subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT))
            print(f"`archiver scan` of the {levels[-1]}-level page ({len(deepest)} bytes): {wall:.3f} s "
                  "(whole process, start-up included; target < 2 s)")


if __name__ == "__main__":
    main()
