"""Export and verify over one archive: `archiver export` vs `wacz create`, and verify's seconds per GB.

Usage: .venv/bin/python bench/export.py [--posts N] [--kib K] [--rounds R]

Writes a synthetic archive with the real index and WARC writer (N captured tweets, each with an embed
page of K KiB of incompressible bytes after a head that declares a description, so the WARC's size is about N x K KiB). Then, sides interleaved
and R rounds each, as whole processes:
- `archiver export -o all.wacz` (every post) against `wacz create` (webrecorder's own packer) over
  the same WARC files: the ratio export / wacz create;
- `archiver verify`: seconds per GB of WARC.
Prints best and median of each and the ratio of the bests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.index.sqlite.index import SQLiteIndex as Index  # noqa: E402
from archiver.layout import WARC_DIR  # noqa: E402
from archiver.models import Post  # noqa: E402
from archiver.warcstore import WarcStore  # noqa: E402
from tests.synthetic import add_captured_tweet  # noqa: E402

BIN = Path(sys.executable).parent


def build(archive: Path, posts: int, kib: int) -> None:
    archive.mkdir(parents=True)
    with Index(archive) as index, WarcStore(archive / WARC_DIR) as store:
        article = index.upsert_article("https://news.example/bench.html", source="bench.html")
        for n in range(posts):
            post = Post(platform="twitter", kind="embedded", source="bench.html", evidence="blockquote",
                        post_id=f"18{n:017d}", handle="Bench", posted_at="2024-03-04T12:00:00Z",
                        text=f"post {n}")
            # A page as pages come: a head declaring a description (which the export reads), then the body.
            head = f'<html><head><title>Post {n}</title><meta name="description" content="post {n}"></head>'
            add_captured_tweet(index, store, article, post,
                               head.encode() + b"<body><p>" + os.urandom(kib * 1024) + b"</p></body></html>")


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv[:2])} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=400)
    ap.add_argument("--kib", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        archive = Path(tmp) / "archive"
        build(archive, args.posts, args.kib)
        warcs = sorted(str(p) for p in (archive / WARC_DIR).glob("*.warc.gz"))
        size = sum(Path(p).stat().st_size for p in warcs)
        ours: list[float] = []
        theirs: list[float] = []
        verify: list[float] = []
        for r in range(args.rounds):
            out = Path(tmp) / f"ours-{r}.wacz"
            ours.append(timed([str(BIN / "archiver"), "export", "-d", str(archive), "-o", str(out)]))
            ref = Path(tmp) / f"ref-{r}.wacz"
            theirs.append(timed([str(BIN / "wacz"), "create", "-o", str(ref), *warcs]))
            verify.append(timed([str(BIN / "archiver"), "verify", "-d", str(archive)]))
            out.unlink()
            ref.unlink()
        gb = size / 1e9
        print(f"archive: {args.posts} captures, {len(warcs)} WARC file(s), {size / 1e6:.1f} MB")
        print(f"archiver export  best {min(ours):.2f} s  median {statistics.median(ours):.2f} s")
        print(f"wacz create      best {min(theirs):.2f} s  median {statistics.median(theirs):.2f} s")
        print(f"export / wacz create: {min(ours) / min(theirs):.2f}x")
        print(f"verify           best {min(verify):.2f} s  median {statistics.median(verify):.2f} s"
              f"  = {min(verify) / gb:.1f} s/GB")


if __name__ == "__main__":
    main()
