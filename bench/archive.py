"""End-to-end time of archiving one article with three embedded tweets, and where it goes.

Usage: .venv/bin/python bench/archive.py [--rounds N]

Runs against the local impersonating server (tests/fakeweb), so the figures measure archiver and
Chromium on this machine, not the internet. Baseline, measured in the same run: a bare Playwright
load of the same article with a full-page screenshot and nothing recorded. Prints the archive time,
its split (page load, settle, screenshots, WARC writing, everything else: HTTP metadata, media,
Wayback, index), and the ratio to the baseline. Best of N rounds, each into a fresh archive.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.capture import browser as browser_mod  # noqa: E402
from archiver.net import NetOptions  # noqa: E402
from archiver.pipeline import ArchiveSummary, Handlers, InlineExecutor, Plan, Session, run_phases  # noqa: E402
from tests.fakeweb import FakeWeb, site  # noqa: E402


def baseline(web: FakeWeb, net: NetOptions, workdir: Path) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser_mod.find_chromium(), **net.chromium_launch(workdir))
        start = time.perf_counter()
        ctx = b.new_context(viewport={"width": 1280, "height": 1000})
        page = ctx.new_page()
        page.goto(site.ARTICLE_FLOOD.url, wait_until="networkidle")
        page.screenshot(full_page=True)
        ctx.close()
        took = time.perf_counter() - start
        b.close()
    return took


def archive_once(web: FakeWeb, net: NetOptions, tmp: Path) -> tuple[float, dict[str, float], float]:
    totals: dict[str, float] = defaultdict(float)
    original = browser_mod.Browser.capture

    def timed(self: browser_mod.Browser, *a: object, **kw: object) -> browser_mod.PageCapture:
        result = original(self, *a, **kw)  # type: ignore[arg-type]
        for k, v in result.timings.items():
            totals[k] += v
        totals["captures"] += 1
        return result

    browser_mod.Browser.capture = timed  # type: ignore[method-assign]
    try:
        t0 = time.perf_counter()
        with Session(tmp / "archive", net) as session:
            launched = time.perf_counter() - t0
            start = time.perf_counter()
            summary = ArchiveSummary()
            run_phases(InlineExecutor(Handlers(session)), session.index, [site.ARTICLE_FLOOD.url], summary, Plan())
            took = time.perf_counter() - start
    finally:
        browser_mod.Browser.capture = original  # type: ignore[method-assign]
    assert len(summary.posts) == 4, summary.to_dict()  # three tweets and a YouTube video
    return took, dict(totals), launched


def main() -> None:
    # The test server's connections are cut when it stops; asyncio would print each one.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d, FakeWeb(Path(d) / "web") as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None)
        runs = []
        bases = []
        for i in range(args.rounds):
            bases.append(baseline(web, net, Path(d) / f"b{i}"))
            runs.append(archive_once(web, net, Path(d) / f"r{i}"))
        took, split, launched = min(runs, key=lambda r: r[0])
        base = min(bases)
    browser = sum(split.get(k, 0.0) for k in ("load", "settle", "screenshots", "collect", "write"))
    print(f"one article, 3 tweets + 1 YouTube embed, {int(split.get('captures', 0))} browser captures "
          f"(best of {args.rounds})")
    print(f"  archive end to end      {took:6.2f} s   (browser start, once per run: {launched:.2f} s)")
    for k in ("load", "settle", "screenshots", "collect", "write"):
        print(f"    {k:<20} {split.get(k, 0.0):6.2f} s")
    print(f"    other (HTTP metadata, media, Wayback, index, contexts) {took - browser:6.2f} s")
    print(f"  baseline: bare load + full-page screenshot, nothing kept  {base:6.2f} s")
    print(f"  ratio archive / baseline  {took / base:5.1f}x")


if __name__ == "__main__":
    main()
