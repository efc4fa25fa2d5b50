"""What the index's journal costs, and how long `reindex` takes to rebuild an index from the WARCs.

Usage: .venv/bin/python bench/reindex.py [--posts N]

Writes a synthetic archive with the real index and WARC writer (N posts, each cited, captured with
one exchange of 20 kB, observed twice), first without the journal and then with it. Prints the time
of both writes and their ratio, the WARC bytes the journal adds, and the time `reindex` takes, next
to the time of reading the same WARC files through once (the floor for any rebuild).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from archiver.layout import DB_NAME, WARC_DIR  # noqa: E402
from archiver.reindex import reindex  # noqa: E402
from tests.synthetic import synthetic_archive  # noqa: E402


def build(archive: Path, posts: int, journal: bool) -> float:
    start = time.perf_counter()
    synthetic_archive(archive, posts, journal=journal)
    return time.perf_counter() - start


def warc_bytes(archive: Path) -> int:
    return sum(p.stat().st_size for p in (archive / WARC_DIR).glob("*.warc.gz"))


def read_through(archive: Path) -> float:
    start = time.perf_counter()
    for path in sorted((archive / WARC_DIR).glob("*.warc.gz")):
        with path.open("rb") as fh:
            it = ArchiveIterator(fh, check_digests=False)
            for rec in it:
                it.read_to_end(rec)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain, journaled = Path(tmp) / "plain", Path(tmp) / "journaled"
        t_plain = build(plain, args.posts, journal=False)
        t_journal = build(journaled, args.posts, journal=True)
        b_plain, b_journal = warc_bytes(plain), warc_bytes(journaled)
        t_read = read_through(journaled)
        (journaled / DB_NAME).unlink()
        start = time.perf_counter()
        summary = reindex(journaled)
        t_reindex = time.perf_counter() - start
    print(f"posts: {args.posts}")
    print(f"write without journal: {t_plain:.2f} s; with journal: {t_journal:.2f} s (x{t_journal / t_plain:.2f})")
    print(f"WARC bytes without journal: {b_plain}; with: {b_journal} (+{100 * (b_journal - b_plain) / b_plain:.1f} %)")
    print(f"reindex: {t_reindex:.2f} s ({summary}); reading the WARCs through once: {t_read:.2f} s "
          f"(x{t_reindex / t_read:.1f})")


if __name__ == "__main__":
    main()
