"""A large WACZ in ReplayWeb.page: the plain CDXJ index against the ZipNum index the export writes.

Usage: .venv/bin/python bench/wacz_index.py [--records N] [--rounds R]

Writes a synthetic archive of N small HTML responses (tests/export_fixtures' warcio writer), exports
it twice with the real exporter, once as written (a CDXJ past 1 MiB becomes ZipNum) and once with
the ZipNum threshold lifted (the whole index plain), and opens each bundle in ReplayWeb.page 2.5.3
(tests/replayweb_harness.py: loopback server, Chromium) R times, sides interleaved, replaying the
last URL of the index. Prints, per side, the median seconds until that page is shown, the bytes of
the WACZ fetched by then, and the ratios plain / ZipNum. Needs `make replayweb`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archiver.export.wacz as wacz  # noqa: E402
from archiver.export import export_bundle  # noqa: E402
from archiver.index.rows import PageRow  # noqa: E402
from tests.export_fixtures import Archive  # noqa: E402
from tests.replayweb_harness import replayweb, replayweb_available  # noqa: E402


def url(i: int) -> str:
    return f"https://news.example/gallery/{i:07d}.html"


def build(root: Path, records: int) -> Archive:
    arc = Archive(root)
    w = arc.warc("bench.warc.gz")
    for i in range(records):
        w.exchange(url(i), f"<html><body><p>page {i}</p></body></html>".encode(), mime="text/html",
                   date=f"2024-03-04T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z", post_key="twitter:1")
    w.fh.close()
    return arc


def export(arc: Archive, out: Path, records: int, *, plain: bool) -> None:
    saved = wacz.ZIPNUM_ABOVE
    wacz.ZIPNUM_ABOVE = 1 << 62 if plain else saved
    try:
        pages = [PageRow(url=url(records - 1), ts="2024-03-04T00:00:00Z", title="last")]
        export_bundle(arc.root, arc.rows, pages, out, title="bench")
    finally:
        wacz.ZIPNUM_ABOVE = saved


def replay_once(work: Path, bundle: Path, target: str) -> tuple[float, int]:
    with replayweb(work, bundle) as rwp:
        start = time.perf_counter()
        frame = rwp.replay(target)
        frame.get_by_text(target.rsplit("/", 1)[1].split(".")[0].lstrip("0") or "0").first.wait_for()
        return time.perf_counter() - start, rwp.served_bytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=30000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not replayweb_available():
        sys.exit("ReplayWeb.page is not unpacked: run `make replayweb` first")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        arc = build(tmp / "archive", args.records)
        bundles = {"plain": tmp / "plain.wacz", "zipnum": tmp / "zipnum.wacz"}
        export(arc, bundles["plain"], args.records, plain=True)
        export(arc, bundles["zipnum"], args.records, plain=False)
        for side, path in bundles.items():
            with zipfile.ZipFile(path) as zf:
                index = {i.filename: i.file_size for i in zf.infolist() if i.filename.startswith("indexes/")}
            print(f"{side}: {path.stat().st_size} bytes, index files {index}")
        target = url(args.records - 1)
        results: dict[str, list[tuple[float, int]]] = {"plain": [], "zipnum": []}
        for n in range(args.rounds):
            for side, path in bundles.items():
                results[side].append(replay_once(tmp / f"{side}-{n}", path, target))
        med = {side: (statistics.median(s for s, _ in r), statistics.median(b for _, b in r))
               for side, r in results.items()}
        for side, (secs, sent) in med.items():
            print(f"{side:>6}: first page shown in {secs:.2f} s (median of {args.rounds}), {sent:.0f} bytes of the WACZ fetched")
        print(f"plain / zipnum: time {med['plain'][0] / med['zipnum'][0]:.2f}x, "
              f"bytes fetched {med['plain'][1] / med['zipnum'][1]:.2f}x")


if __name__ == "__main__":
    main()
