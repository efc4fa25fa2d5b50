"""Every performance ratio in one run: each bench script in turn, then the lines that carry a ratio.

Usage: .venv/bin/python bench/all.py [--quick] [--only scan,lookup,archive,flight,export,scale,stamps,wacz_index] [--before DIR]

Runs, one after the other (never two at once, so they do not take CPU from each other), each as a
process of its own:

- bench/scan.py     scan vs a bare selectolax parse of a 600-file pile, in-process and whole-process;
- bench/lookup.py   lookup p50/p95 per filter at 100k and 1M posts (indexes built through the index's
                    own writes, cached between runs), whole `lookup` process vs `--version`;
- bench/archive.py  archive of the three-tweet article vs the plain-load and networkidle floors;
- bench/flight.py   20 articles: --concurrency 1 vs 2 vs --pages-in-flight N, peak PSS of the whole
                    tree, of Python and of the browser; a re-run of 50 held articles;
- bench/export.py   archiver export vs wacz create over the same WARC; verify s/GB;
- bench/scale.py    captures/minute with 1, 2 and 3 `archiver worker` processes (own Redis and
                    PostgreSQL) vs one local run, and CPU-seconds, memory, PostgreSQL statements,
                    Redis commands and bytes per capture;
- bench/stamps.py   `archive --timestamp URL` (a local RFC 3161 authority) vs the same run without;
- bench/wacz_index.py  a large WACZ's first page in ReplayWeb.page: plain CDXJ vs ZipNum index.

Each script prints its own full report (each side interleaved, best and median of its rounds) as it
goes (`--before DIR`, a checkout of an earlier archiver, is handed to the scan, archive and
flight benches, which then run it as one more side); at the end this prints the load average and, per script, the lines with the ratios and
targets again, so one run's figures can be read (and copied) in one place. `--quick` uses fewer
rounds (for checking the scripts work, not for figures). Building the 1M-post index the first time
takes long (an hour on a loaded 2-core machine); later runs reuse it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Script, its arguments for a full run, for a quick one, and the lines of its output worth repeating.
BENCHES: dict[str, tuple[list[str], list[str], str]] = {
    "scan": (["--rounds", "9"], ["--rounds", "3", "--copies", "4"], r"^\S.*|ratio|start-up|before|this"),
    "lookup": (["--repeat", "40", "--rounds", "10"], ["--sizes", "20000", "--repeat", "10", "--rounds", "3"],
               r"^== |^filter| ok|MISS|OVER|whole process"),
    "archive": (["--rounds", "5"], ["--rounds", "1"], r"^one article| best .*x|statuses|^  archive"),
    "flight": (["--rounds", "3"], ["--rounds", "1", "--articles", "6", "--pages", "2", "--held", "10"],
               r"^\d+ articles|^configuration|^--|^before|^re-run"),
    "export": (["--rounds", "3"], ["--rounds", "1", "--posts", "40"], r"^archive:|x$|s/GB|GB"),
    "scale": (["--rounds", "3"], ["--rounds", "1", "--articles", "6", "--workers", "1,2"],
              r"^\d+ articles|^configuration|^local|^\d+ workers?|^ +Redis|per capture"),
    "stamps": (["--rounds", "3"], ["--rounds", "1", "--direct", "5"], r"^ratio|^captures timestamped|^stamping step"),
    "wacz_index": (["--rounds", "3"], ["--rounds", "1", "--records", "3000"], r"first page shown|^plain / zipnum"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds: checks the scripts, not for figures")
    ap.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset, in this order")
    ap.add_argument("--before", type=Path, help="an earlier archiver's checkout, for the archive and flight benches")
    args = ap.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = [name for name in chosen if name not in BENCHES]
    if unknown:
        print(f"bench/all.py: unknown bench {', '.join(unknown)} (choose from {', '.join(BENCHES)})", file=sys.stderr)
        return 2
    summary: dict[str, list[str]] = {}
    failed: list[str] = []
    start = time.perf_counter()
    for name in chosen:
        full, quick, keep = BENCHES[name]
        cmd = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)]
        if args.before is not None and name in ("scan", "archive", "flight"):
            cmd += ["--before", str(args.before.resolve())]
        print(f"\n######## bench/{name}.py {' '.join(cmd[2:])}  (load average {os.getloadavg()[0]:.2f})", flush=True)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
        if proc.wait() != 0:
            failed.append(f"bench/{name}.py exited {proc.returncode}")
        summary[name] = [line for line in lines if line.strip() and re.search(keep, line)]
    load = os.getloadavg()
    print(f"\n######## every ratio, one run ({time.perf_counter() - start:.0f} s; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs)")
    for name, lines in summary.items():
        print(f"\n[{name}]")
        for line in lines:
            print(f"  {line.strip()}")
    for failure in failed:
        print(failure, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
