"""Scan throughput over the shared corpus next to a bare selectolax parse, and CLI start-up time.

Usage: .venv/bin/python bench/scan.py [--rounds N]

Prints MB/s and pages/s for `archiver.detect.detect` over every corpus page (in-process, parse
included) and for `LexborHTMLParser(html)` alone on the same pages, their ratio (target: scan
within 2x of the bare parse), and the whole-process start-up time of `archiver --help` (target:
under 0.3 s). Each figure is the best of N rounds, so a busy machine skews it less.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "articles"
sys.path.insert(0, str(ROOT))


def best_of(rounds: int, fns: list[Callable[[], object]]) -> list[tuple[float, float]]:
    """(best wall time, best CPU time) of each function over `rounds` interleaved rounds.

    Interleaving and taking the best round keep a busy machine (other processes) from skewing one
    side of the comparison; CPU time (this process only) is printed too for the same reason.
    """
    walls = [float("inf")] * len(fns)
    cpus = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            walls[i] = min(walls[i], time.perf_counter() - w0)
            cpus[i] = min(cpus[i], time.process_time() - c0)
    return list(zip(walls, cpus))


def startup_command() -> list[str]:
    """`archiver --help` when the console script is installed, else importing the detector."""
    script = ROOT / ".venv" / "bin" / "archiver"
    if script.exists():
        return [str(script), "--help"]
    return [sys.executable, "-c", "import archiver.detect"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2

    from selectolax.lexbor import LexborHTMLParser

    from archiver.detect import detect
    from archiver.models import Document

    pages = [(p.name, p.read_bytes().decode("utf-8", errors="replace")) for p in sorted(CORPUS.glob("*.html"))]
    megabytes = sum(len(html.encode("utf-8")) for _, html in pages) / 1e6
    docs = [Document(source=name, text=html, is_html=True) for name, html in pages]

    def bare() -> None:
        for _, html in pages:
            LexborHTMLParser(html)

    def scan() -> None:
        for doc in docs:
            detect(doc)

    scan()  # warm-up: regex compilation, lazy imports
    (w_bare, c_bare), (w_scan, c_scan) = best_of(args.rounds, [bare, scan])
    n = len(pages)
    print(f"corpus: {n} pages, {megabytes:.2f} MB; best of {args.rounds} interleaved rounds")
    print("                                 wall clock                 CPU time")
    for label, wall, cpu in (
        ("bare parse (selectolax lexbor)", w_bare, c_bare),
        ("scan (archiver.detect.detect) ", w_scan, c_scan),
    ):
        print(
            f"{label}: {megabytes / wall:6.1f} MB/s {n / wall:7.1f} pages/s"
            f"   {megabytes / cpu:6.1f} MB/s {n / cpu:7.1f} pages/s"
        )
    print(f"scan / bare parse time ratio:   {w_scan / w_bare:5.2f}x wall   {c_scan / c_bare:5.2f}x CPU  (target <= 2x)")

    commands = [startup_command(), [sys.executable, "-c", "import archiver.detect"]]
    for cmd in commands:
        starts = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            starts.append(time.perf_counter() - t0)
        label = " ".join([Path(cmd[0]).name, *cmd[1:]])
        print(f"start-up `{label}`: best {min(starts):.3f} s, median {statistics.median(starts):.3f} s  (target < 0.3 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
