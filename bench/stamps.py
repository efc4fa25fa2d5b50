"""What timestamping each capture costs: `archiver archive --timestamp URL` against the same run without.

Usage: .venv/bin/python bench/stamps.py [--rounds 3]

Archives the fake web's flood article (tests/fakeweb: the article and the posts it cites, real
Chromium) into a fresh archive, once without and once with `--timestamp` pointed at the local test
authority (tests/tsa_authority.py: `openssl ts -reply` behind a loopback HTTP handler), the two taking
turns within each round. Prints the best and median wall time of each, their ratio, the captures
timestamped, and the time per token (the difference over the captures): on a shared machine the
runs' own spread is larger than that difference, so the bench also times the stamping step alone
(`Stamper.stamp` of a capture's records: manifest, request, token check, index write) against the
same authority, `--direct` times over. A real authority on the internet adds its own round trip
(typically 50-500 ms) per capture and per authority.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import cli  # noqa: E402
from tests.fakeweb import FakeWeb, site  # noqa: E402
from tests.tsa_authority import timestamp_authority  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--direct", type=int, default=30)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"plain": [], "timestamped": []}
    stamped = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with FakeWeb(tmp / "web") as web, timestamp_authority(tmp / "tsa") as tsa:
            for n in range(args.rounds):
                for name, extra in (("plain", []), ("timestamped", ["--timestamp", tsa.url])):
                    archive = tmp / f"{name}-{n}"
                    start = time.perf_counter()
                    done = cli(web, "archive", site.ARTICLE_FLOOD.url, *extra, archive=archive)
                    times[name].append(time.perf_counter() - start)
                    if done.returncode != 0:
                        sys.exit(f"{name}: exit {done.returncode}: {done.stderr[-500:]}")
                    if extra:
                        with sqlite3.connect(archive / "archive.db") as conn:
                            stamped = conn.execute("SELECT count(*) FROM capture_stamps WHERE token IS NOT NULL"
                                                   ).fetchone()[0]
            direct = _direct(tmp / f"plain-{args.rounds - 1}", tsa.url, args.direct)
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    for name in times:
        print(f"{name:12} best {best[name]:6.2f} s  median {median[name]:6.2f} s")
    print(f"ratio timestamped/plain: best {best['timestamped'] / best['plain']:.2f}x, "
          f"median {median['timestamped'] / median['plain']:.2f}x")
    per = (median["timestamped"] - median["plain"]) / stamped if stamped else float("nan")
    print(f"captures timestamped: {stamped}; median cost per token: {per * 1000:.0f} ms (within the runs' spread)")
    print(f"stamping step alone ({args.direct} captures): median {statistics.median(direct) * 1000:.1f} ms, "
          f"max {max(direct) * 1000:.1f} ms per capture")


def _direct(archive: Path, url: str, count: int) -> list[float]:
    """Seconds per `Stamper.stamp` of the archive's largest capture (its records as indexed)."""
    from archiver.evidence.stamps import Authorities, Stamper
    from archiver.index import open_index
    from archiver.index.rows import RecordRow

    stamper = Stamper(Authorities((url,)))
    out = []
    with open_index(archive) as index:
        db = index.db  # type: ignore[attr-defined]
        capture = db.execute("SELECT capture_id FROM records WHERE capture_id IS NOT NULL GROUP BY capture_id "
                             "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        records = [r for r in index.all_records() if r.capture_id == capture]
        assert records and all(isinstance(r, RecordRow) for r in records)
        for _ in range(count):
            start = time.perf_counter()
            failures = stamper.stamp(index, capture, records)
            out.append(time.perf_counter() - start)
            if failures:
                sys.exit(f"stamping failed: {failures}")
    return out


if __name__ == "__main__":
    main()
