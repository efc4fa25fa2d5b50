"""N renders one after the other vs the same N in flight at once, on one Chromium.

Usage: .venv/bin/python bench/render.py [--pages N] [--rounds R]

Runs against the local impersonating server (tests/fakeweb): the news site's articles, with their
embedded post iframes, rendered by `ChromiumRenderer` with full-page and element screenshots into
a WARC store, as a capture does. The baseline is the sequential pass of the same run; the figure
is sequential time / concurrent time (above 1: keeping several pages in flight pays). Best of R
rounds for each. On a machine with few cores both are mostly CPU-bound, so expect a modest ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.capture.chromium_render import ChromiumRenderer  # noqa: E402
from archiver.net import NetOptions  # noqa: E402
from archiver.warcstore import Batch, WarcStore  # noqa: E402
from tests.fakeweb import FakeWeb, site  # noqa: E402

SELECTORS = ("iframe", "blockquote.twitter-tweet")


async def render_all(renderer: ChromiumRenderer, urls: list[str], out: Path, *, concurrent: bool) -> float:
    with WarcStore(out / "warc", prefix="bench") as store:
        jobs = [renderer.render(u, Batch(store), screenshot_path=out / f"{n}.png", element_selectors=SELECTORS,
                                element_dir=out) for n, u in enumerate(urls)]
        start = time.perf_counter()
        if concurrent:
            pages = await asyncio.gather(*jobs)
        else:
            pages = [await job for job in jobs]
        took = time.perf_counter() - start
    assert all(p.status == 200 for p in pages), [(p.url, p.status, p.errors) for p in pages]
    return took


async def bench(pages: int, rounds: int, tmp: Path, web: FakeWeb) -> tuple[float, float]:
    net = NetOptions.from_options([web.map_host], str(web.ca_pem), None)
    articles = [a.url for a in site.ARTICLES.values()]
    urls = [articles[n % len(articles)] for n in range(pages)]
    sequential: list[float] = []
    concurrent: list[float] = []
    async with await ChromiumRenderer.launch(net, workdir=tmp / "browser", timeout=30) as renderer:
        await render_all(renderer, urls[:1], tmp / "warm", concurrent=False)  # first-run costs
        for r in range(rounds):
            sequential.append(await render_all(renderer, urls, tmp / f"s{r}", concurrent=False))
            concurrent.append(await render_all(renderer, urls, tmp / f"c{r}", concurrent=True))
    return min(sequential), min(concurrent)


def main() -> None:
    # The test server's connections are cut when it stops; asyncio would print each one.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d, FakeWeb(Path(d) / "web") as web:
        seq, conc = asyncio.run(bench(args.pages, args.rounds, Path(d), web))
    print(f"{args.pages} fakeweb articles with their embeds, one Chromium (best of {args.rounds})")
    print(f"  sequential  {seq:6.2f} s   ({seq / args.pages:.2f} s a page)")
    print(f"  concurrent  {conc:6.2f} s")
    print(f"  ratio sequential / concurrent  {seq / conc:4.2f}x")


if __name__ == "__main__":
    main()
