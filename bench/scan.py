"""Scan against a bare selectolax parse of the same pages, in-process and as whole processes.

Usage: .venv/bin/python bench/scan.py [--rounds N] [--copies N] [--before DIR]

Builds a pile of article pages (the shared corpus copied `--copies` times into a temporary
directory: 20 copies = 600 files, 63 MB) and prints, each side interleaved with the other round by
round, best and median of N rounds, wall clock and CPU time:

- in-process, detection: `archiver.detect.detect` over the pile's documents (as `scan` reads them)
  against `LexborHTMLParser(text)` over the same decoded texts (target: <= 1.5x);
- in-process, the floor of detection as designed: each document parsed as `detect` parses it (with
  the checks before the parse), its bytes searched for escaped markup and short links, the one CSS
  query of the walk, and the address of every link it yields read: what every page costs before
  any rule looks at anything (figure only: how near 1.5x can get);
- in-process, the whole scan: `archiver.scan.scan(pile)` plus its JSON-lines rows against reading
  each file and parsing its bytes (figure only);
- whole process: `archiver scan PILE --format jsonl` against a Python process that reads and parses
  every file of the pile (target: <= 2.0x), with the default `--jobs` (the pile's files scanned by
  as many processes as there are CPUs: the CPU columns add them all up) and with `--jobs 1`;
- start-up of `archiver --help` and of importing the detector (target: under 0.3 s);
- with `--before DIR` (a checkout of an earlier archiver): the in-process detection ratio of this
  archiver and of DIR's, each in processes of its own taking turns, and this one's ratio over the
  earlier one's (a change to detection may cost at most 10%: bound <= 1.10).

The load average is printed: on a shared machine, read the CPU columns and the best rounds first.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "articles"
sys.path.insert(0, str(ROOT))

# The floor of the whole-process comparison: the least a Python program must do to parse the pile.
BARE_PROCESS = """
import os, sys
from selectolax.lexbor import LexborHTMLParser
for root, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        with open(os.path.join(root, name), "rb") as f:
            LexborHTMLParser(f.read())
"""

Timing = tuple[list[float], list[float]]  # wall times, CPU times (one per round)


def interleaved(rounds: int, fns: list[Callable[[], object]], *, children: bool = False) -> list[Timing]:
    """Wall and CPU time of each function in each of `rounds` rounds, the functions taking turns.

    Taking turns spreads a busy machine's load over both sides of a comparison. CPU time is this
    process's, or with `children` that of the subprocesses waited for.
    """
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    out: list[Timing] = [([], []) for _ in fns]
    for _ in range(rounds):
        for (walls, cpus), fn in zip(out, fns, strict=True):
            r0, w0 = resource.getrusage(who), time.perf_counter()
            fn()
            w1, r1 = time.perf_counter(), resource.getrusage(who)
            walls.append(w1 - w0)
            cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return out


def show(title: str, target: str, labels: tuple[str, str], timings: list[Timing]) -> None:
    """Both sides' best and median, then the ratio of the second to the first on each."""
    (bw, bc), (sw, sc) = timings
    print(f"\n{title}")
    for label, walls, cpus in ((labels[0], bw, bc), (labels[1], sw, sc)):
        print(f"  {label:44s} wall best {min(walls):6.3f} s  median {statistics.median(walls):6.3f} s"
              f"   CPU best {min(cpus):6.3f} s  median {statistics.median(cpus):6.3f} s")
    print(f"  ratio {target}: wall best {min(sw) / min(bw):4.2f}x  median {statistics.median(sw) / statistics.median(bw):4.2f}x"
          f"   CPU best {min(sc) / min(bc):4.2f}x  median {statistics.median(sc) / statistics.median(bc):4.2f}x")


def build_pile(dest: Path, copies: int) -> tuple[int, float]:
    pages = sorted(CORPUS.glob("*.html"))
    for i in range(copies):
        sub = dest / f"copy{i:03d}"
        sub.mkdir()
        for page in pages:
            shutil.copyfile(page, sub / page.name)
    size = sum(p.stat().st_size for p in pages) * copies
    return len(pages) * copies, size / 1e6


def archiver_command() -> list[str]:
    script = ROOT / ".venv" / "bin" / "archiver"
    return [str(script)] if script.exists() else [sys.executable, "-m", "archiver"]


def detection_sides(pile: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """A bare parse of every document of the pile (as `scan` reads them), and detection over them."""
    bare_texts, detect_all, _floor = detection_sides_with_floor(pile)
    return bare_texts, detect_all


def detection_sides_with_floor(pile: str) -> tuple[Callable[[], None], Callable[[], None], Callable[[], None]]:
    """`detection_sides`, and the least of detection as designed (see the module's docstring)."""
    from selectolax.lexbor import LexborHTMLParser

    from archiver.detect import detect
    from archiver.models import Document
    from archiver.sources import read_sources

    docs = [d for d in read_sources([pile]) if isinstance(d, Document)]
    texts = [d.text for d in docs]

    def bare_texts() -> None:
        for text in texts:
            LexborHTMLParser(text)

    def detect_all() -> None:
        for doc in docs:
            detect(doc)

    def floor_all() -> None:
        from archiver.detect import html

        link = html._A_ID
        for doc in docs:
            raw = doc.raw if doc.utf8 else None
            tree = html.parse_page(doc.text, raw)
            if raw is not None:  # the two searches of every page's bytes (escaped markup, short links)
                html._ESCAPED_MARKER_RE.search(raw)
                html._hinted(raw)
            if tree.root is not None:
                query = html._selector({}, html.may_hold_amp(doc.text))
                for node in html._css_engine().find(query, tree.root):
                    if node.tag_id == link:
                        node.attrs.get("href")

    return bare_texts, detect_all, floor_all


def detect_ratios(pile: str, root: str, rounds: int) -> None:
    """In a child process: detect / bare parse over the pile with the archiver found in `root`,
    `rounds` interleaved rounds; prints the ratios, one per round, as a JSON list."""
    sys.path.insert(0, root)
    import json

    bare_texts, detect_all = detection_sides(pile)
    detect_all()  # warm-up
    (bare, _), (ours, _) = interleaved(rounds, [bare_texts, detect_all])
    print(json.dumps([o / b for o, b in zip(ours, bare, strict=True)]))


def against_before(pile: Path, before: Path, rounds: int) -> None:
    import json

    ratios: dict[str, list[float]] = {"this archiver": [], f"before ({before})": []}
    roots = dict(zip(ratios, (ROOT, before), strict=True))
    for turn in range(rounds):
        for name in (list(ratios) if turn % 2 == 0 else list(reversed(ratios))):
            out = subprocess.run([sys.executable, __file__, "--detect-ratios", str(pile), "--root", str(roots[name]),
                                  "--rounds", "3"], check=True, capture_output=True, text=True).stdout
            ratios[name].extend(json.loads(out.strip().splitlines()[-1]))
    print("\nin-process detection / bare parse, this archiver against an earlier one (processes taking turns)")
    for name, values in ratios.items():
        print(f"  {name:44s} best {min(values):4.2f}x  median {statistics.median(values):4.2f}x")
    ours, theirs = ratios.values()
    print(f"  this / before (bound <= 1.10): best {min(ours) / min(theirs):4.2f}  "
          f"median {statistics.median(ours) / statistics.median(theirs):4.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--copies", type=int, default=20, help="copies of the corpus in the pile (20: 600 files)")
    parser.add_argument("--before", type=Path, help="an earlier archiver's checkout: its detection ratio too")
    parser.add_argument("--detect-ratios", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.detect_ratios:
        detect_ratios(args.detect_ratios, args.root, args.rounds)
        return 0
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2

    from selectolax.lexbor import LexborHTMLParser

    from archiver.models import POST_FIELDS
    from archiver.output import render
    from archiver.scan import scan

    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        pile = Path(tmp)
        files, megabytes = build_pile(pile, args.copies)
        print(f"pile: {files} files, {megabytes:.1f} MB ({args.copies} copies of the corpus); "
              f"{args.rounds} rounds, sides interleaved; load average {os.getloadavg()[0]:.2f} at start")

        bare_texts, detect_all, floor_all = detection_sides_with_floor(str(pile))
        paths = [os.path.join(root, name) for root, _, names in os.walk(pile) for name in names]

        def bare_files() -> None:
            for path in paths:
                with open(path, "rb") as f:
                    LexborHTMLParser(f.read())

        def scan_all() -> None:
            result = scan([str(pile)])
            render([p.to_dict() for p in result.posts], "jsonl", fields=POST_FIELDS)

        detect_all()  # warm-up: regexes compiled, lazy imports done
        show("in-process, detection over the pile's documents",
             "(target <= 1.5x)", ("bare parse (LexborHTMLParser(text))", "detect(doc)"),
             interleaved(args.rounds, [bare_texts, detect_all]))
        show("in-process, the floor of detection as designed: parse (as detect parses), searches of the bytes,"
             " the walk's CSS query, every link's address read", "(figure only)",
             ("bare parse (LexborHTMLParser(text))", "floor of detect(doc)"),
             interleaved(args.rounds, [bare_texts, floor_all]))
        show("in-process, whole scan (files read, posts rendered as JSON lines)",
             "(figure only)", ("read + bare parse of the bytes", "scan(pile) + jsonl rows"),
             interleaved(args.rounds, [bare_files, scan_all]))

        bare_cmd = [sys.executable, "-c", BARE_PROCESS, str(pile)]
        scan_cmd = [*archiver_command(), "scan", str(pile), "--format", "jsonl"]
        one_cmd = [*scan_cmd, "--jobs", "1"]

        def run(cmd: list[str]) -> Callable[[], None]:
            return lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        bare_t, scan_t, one_t = interleaved(args.rounds, [run(bare_cmd), run(scan_cmd), run(one_cmd)], children=True)
        show(f"whole process, the default --jobs ({os.cpu_count()} CPUs here): wall time, and CPU time of all its processes",
             "(target <= 2.0x)", ("python: read + parse every file", "archiver scan PILE --format jsonl"), [bare_t, scan_t])
        show("whole process, one process scanning (--jobs 1)", "(figure only)",
             ("python: read + parse every file", "archiver scan PILE --format jsonl --jobs 1"), [bare_t, one_t])
        if args.before is not None:
            against_before(pile, args.before.resolve(), args.rounds)
        print(f"load average {os.getloadavg()[0]:.2f} at the end")

    print()
    for cmd in ([*archiver_command(), "--help"], [sys.executable, "-c", "import archiver.detect"]):
        starts = interleaved(args.rounds, [run(cmd)], children=True)[0][0]
        label = " ".join([Path(cmd[0]).name, *cmd[1:]])
        print(f"start-up `{label}`: best {min(starts):.3f} s, median {statistics.median(starts):.3f} s  (target < 0.3 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
