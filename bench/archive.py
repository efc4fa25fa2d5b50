"""Archiving one article with three embedded tweets, against bare-Playwright floors loading the same pages.

Usage: .venv/bin/python bench/archive.py [--rounds N] [--pages-in-flight N] [--before DIR]

Runs against the local impersonating server (tests/fakeweb), so the figures measure archiver and
Chromium on this machine, not the internet. The sides, each in a process of its own, interleaved
(the order turns every round), best and median of N rounds:

- archive: `archive` of the three-tweet article (every page archiver renders: the article, each
  post's embed, x.com for a post whose data is gone), with archiver's default pages in flight
  unless `--pages-in-flight` says otherwise, timed from the run's start (the browser is already
  up) to its end, HTTP metadata, media, Wayback and index included;
- archive (before): the same with the archiver found in DIR (a checkout of an earlier commit),
  when `--before` is given;
- plain floor: one Chromium started exactly as archiver starts it (the same launch flags, the
  same gate), one context, `goto` of the same pages one after the other, each waiting for `load`,
  and one full-page screenshot each; nothing recorded;
- networkidle floor: the same, each `goto` waiting for `networkidle`;
- fresh-context floor (a figure, not a target): the plain floor with a new context for each page,
  as every capture has one (no cookies, cache or storage shared between captures);
- new-tab floor (a figure, not a target): the plain floor with a new page (tab) for each address in
  its one context, the previous one closed: what keeping contexts between captures would still pay,
  since every capture needs a page of its own.

Prints each side's time, archive / floor ratios (best to best, median to median), the split of the
archive's browser time (load, settle, screenshots, ...), the fastest archive run's captures as they
overlapped (each one's start and end; their durations summed over the pages in flight: the least
the run could take with captures that long, however they were scheduled), and the statuses each
side saw, which must match, and the CPU time each side took (its whole process tree: Python,
Playwright's driver, Chromium), which bounds how fast its work can run on this machine's CPUs,
and, over each side's whole process (its start-up and Chromium's launch too), the CPU time of
each kind of process (Python, the driver, Chromium's browser process, renderers, GPU, network
service, the rest; bench/proctree.py).
Figures are as measured: on a shared machine, read them with the load average printed.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from proctree import KINDS, CpuByKind, tree_cpu  # beside this script (its folder is first on sys.path)

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"plain floor": "load", "networkidle floor": "networkidle", "fresh-context floor": "load-fresh",
          "new-tab floor": "load-tab"}
PHASES = ("open", "load", "settle", "screenshots", "collect", "write")


# -- the sides, each run in a child process ------------------------------------------------------


def archive_side(url: str, net: Any, tmp: Path, pages_in_flight: int) -> dict[str, Any]:
    from archiver.capture import browser as browser_mod
    from archiver.pipeline import ArchiveSummary, Handlers, InlineExecutor, Plan, Session, run_phases

    totals: dict[str, float] = defaultdict(float)
    pages: list[tuple[str, int | None]] = []
    # each capture's URL, start and end (perf_counter), and its own split
    spans: list[tuple[str, float, float, dict[str, float]]] = []
    original = browser_mod.Browser.capture

    def timed(self: Any, page_url: str, *a: Any, **kw: Any) -> Any:
        result = original(self, page_url, *a, **kw)
        ended = time.perf_counter()
        # From the render's own start: a capture may first wait for a page in flight to end.
        spans.append((page_url, ended - result.timings.get("total", 0.0), ended, dict(result.timings)))
        for k, v in result.timings.items():
            totals[k] += v
        pages.append((page_url, result.status))
        return result

    browser_mod.Browser.capture = timed  # type: ignore[method-assign]
    try:
        # Chromium is up before the clock starts, as for the floors (an archiver that starts it
        # lazily is asked to start it at once); an earlier archiver without pages in flight runs one.
        accepts = inspect.signature(Session).parameters
        options: dict[str, Any] = {"lazy_browser": False} if "lazy_browser" in accepts else {}
        if "pages_in_flight" not in accepts:
            pages_in_flight = 1
        elif pages_in_flight > 1:
            options["pages_in_flight"] = pages_in_flight
        with Session(tmp / "archive", net, **options) as session:
            executor = (InlineExecutor(lambda: Handlers(session), pages_in_flight=pages_in_flight)
                        if pages_in_flight > 1 else InlineExecutor(Handlers(session)))
            start, cpu = time.perf_counter(), tree_cpu(os.getpid())
            summary = ArchiveSummary()
            with executor:
                run_phases(executor, session.index, [url], summary, Plan())
            took, cpu = time.perf_counter() - start, tree_cpu(os.getpid()) - cpu
    finally:
        browser_mod.Browser.capture = original  # type: ignore[method-assign]
    return {"took": took, "cpu": cpu, "split": dict(totals), "pages": pages,
            "spans": [(u, b - start, e - start, t) for u, b, e, t in spans], "in_flight": pages_in_flight,
            "posts": sorted([p.key, p.status] for p in summary.posts)}


async def floor_side(urls: list[str], wait_until: str, net: Any, tmp: Path) -> dict[str, Any]:
    from archiver.capture.chromium_render import ChromiumRenderer
    from archiver.capture.pagesteps import VIEWPORT

    # The renderer's own launch: the same executable, flags and gate as a capture.
    async with await ChromiumRenderer.launch(net, workdir=tmp / "browser") as renderer:
        browser = renderer._browser
        assert browser is not None
        if hasattr(renderer, "_tabs"):
            # The tab a renderer opens ahead for its first capture: closed before the clock starts,
            # so that opening it takes nothing from the floor.
            from archiver.capture.tabs import close_tab

            await close_tab(await renderer._tabs.take())
        fresh = wait_until.endswith("-fresh")  # a context of its own for each page, as a capture has
        tab = wait_until.endswith("-tab")  # a page of its own for each address, in the one context
        wait_until = wait_until.removesuffix("-fresh").removesuffix("-tab")

        async def new_page() -> Any:
            context = await browser.new_context(service_workers="block", user_agent=renderer.user_agent,
                                                viewport=VIEWPORT, locale="en-US")
            return await context.new_page()

        start, cpu = time.perf_counter(), tree_cpu(os.getpid())
        page = await new_page()
        pages: list[tuple[str, int | None]] = []
        for n, url in enumerate(urls):
            if fresh and n:
                await page.context.close()
                page = await new_page()
            elif tab and n:
                context = page.context
                await page.close()
                page = await context.new_page()
            response = await page.goto(url, wait_until=wait_until)  # type: ignore[arg-type]
            await page.screenshot(full_page=True, type="png")
            pages.append((url, response.status if response is not None else None))
        await page.context.close()
        took, cpu = time.perf_counter() - start, tree_cpu(os.getpid()) - cpu
    return {"took": took, "cpu": cpu, "pages": pages}


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(args.root).resolve()))
    from archiver.net import NetOptions

    net = NetOptions.from_options([args.map_host], args.ca, None)
    with tempfile.TemporaryDirectory() as d:
        if args.side == "archive":
            out = archive_side(args.url, net, Path(d), args.pages_in_flight)
        else:
            out = asyncio.run(floor_side(json.loads(args.urls), args.side, net, Path(d)))
    print(json.dumps(out))


# -- the parent: the server, the rounds, the figures ---------------------------------------------


def run_side(kind: str, root: Path, web: Any, url: str, urls: list[str], pages_in_flight: int) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--side", kind, "--root", str(root),
           "--pages-in-flight", str(pages_in_flight),
           "--map-host", web.map_host, "--ca", str(web.ca_pem), "--url", url, "--urls", json.dumps(urls)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        by_kind = CpuByKind(proc.pid)
        try:
            # Its end waited for without reaping it: the last sample still finds it.
            deadline = time.monotonic() + 600
            while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{kind} side ({root}) took over 600 s")
                time.sleep(0.05)
        except BaseException:
            proc.kill()
            raise
        finally:
            seconds = by_kind.stop()
            code = proc.wait()
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise SystemExit(f"{kind} side ({root}) failed:\n{err.read()[-3000:]}")
        return {**json.loads(out.read().strip().splitlines()[-1]), "by_kind": seconds}


def main() -> None:
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--before", type=Path, help="a checkout of an earlier archiver, run as one more side")
    ap.add_argument("--pages-in-flight", type=int, default=None,
                    help="pages the archive side keeps in flight (default: archiver's own default)")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    ap.add_argument("--map-host", help=argparse.SUPPRESS)
    ap.add_argument("--ca", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--urls", default="[]", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        child(args)
        return

    sys.path.insert(0, str(ROOT))
    from archiver.pipeline.run import PAGES_IN_FLIGHT
    from tests.fakeweb import FakeWeb, site

    pages_in_flight = args.pages_in_flight or PAGES_IN_FLIGHT

    url = site.ARTICLE_FLOOD.url
    archives = {"archive": ROOT}
    if args.before is not None:
        archives["archive (before)"] = args.before.resolve()
    results: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as d, FakeWeb(Path(d) / "web") as web:
        # A first run, not counted: the pages archiver renders, which the floors then load too.
        warm = run_side("archive", ROOT, web, url, [], pages_in_flight)
        urls = [u for u, _ in warm["pages"]]
        sides = [*FLOORS, *archives]
        for r in range(args.rounds):
            for kind in sides[r % len(sides):] + sides[:r % len(sides)]:
                if kind in FLOORS:
                    results[kind].append(run_side(FLOORS[kind], ROOT, web, url, urls, pages_in_flight))
                else:
                    results[kind].append(run_side("archive", archives[kind], web, url, urls, pages_in_flight))
    report(results, urls, args.rounds, pages_in_flight)


def report(results: dict[str, list[dict[str, Any]]], urls: list[str], rounds: int, pages_in_flight: int) -> None:
    def best(kind: str) -> float:
        return min(r["took"] for r in results[kind])

    def median(kind: str) -> float:
        return statistics.median(r["took"] for r in results[kind])

    def median_cpu(kind: str) -> float:
        return statistics.median(r.get("cpu", 0.0) for r in results[kind])

    print(f"one article, 3 tweets + 1 YouTube embed: {len(urls)} pages; archive with {pages_in_flight} page(s) in "
          f"flight; best / median of {rounds} rounds, sides interleaved; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for u in urls:
        print(f"    {u}")
    for kind in results:
        print(f"  {kind:<20} best {best(kind):6.2f} s   median {median(kind):6.2f} s   "
              f"CPU of the process tree: median {median_cpu(kind):5.2f} s")
    if any(r.get("by_kind") for k in results for r in results[k]):  # (none without /proc)
        print("  CPU-seconds by kind of process over each side's whole process (Python's start-up and Chromium's "
              "launch included; sampled every 0.05 s), each column's median of the rounds (a row's sum is no total):")
        print(f"    {'':<20}" + "".join(f"{what:>17}" for what in KINDS))
        for kind in results:
            print(f"    {kind:<20}" + "".join(
                f"{statistics.median(r.get('by_kind', {}).get(what, 0.0) for r in results[kind]):17.2f}"
                for what in KINDS))
    for kind in (k for k in results if k not in FLOORS):
        for floor in FLOORS:
            print(f"  {kind} / {floor:<18} best {best(kind) / best(floor):5.2f}x   "
                  f"median {median(kind) / median(floor):5.2f}x" + (
                      f"   CPU median {median_cpu(kind) / median_cpu(floor):5.2f}x" if median_cpu(floor) else ""))
        if median_cpu(kind):  # (0 where there is no /proc to read it from)
            cores = os.cpu_count() or 1
            print(f"  {kind}: its median CPU time over {cores} CPU(s) is {median_cpu(kind) / cores:.2f} s, "
                  f"{median_cpu(kind) / cores / median('plain floor'):.2f}x the plain floor's median time: "
                  "no schedule of the same work could have been shorter on this machine, as loaded in these runs")
        split: dict[str, list[float]] = defaultdict(list)
        for r in results[kind]:
            for k in PHASES:
                split[k].append(r["split"].get(k, 0.0))
            if pages_in_flight == 1:
                split["other"].append(r["took"] - sum(r["split"].get(k, 0.0) for k in PHASES))
        print(f"  {kind}: median split (s) " + "  ".join(
            f"{k} {statistics.median(v):.2f}" for k, v in split.items())
            + ("   (other: HTTP metadata, media, Wayback, index; before: new contexts)" if pages_in_flight == 1
               else "   (summed over pages; pages in flight overlap, so the sum exceeds the run's time)"))
        timeline(kind, min(results[kind], key=lambda r: r["took"]))
    # The same statuses everywhere: posts across archive runs, pages across every side.
    posts = {json.dumps(r["posts"]) for k in results if k not in FLOORS for r in results[k]}
    pages = {json.dumps(sorted(map(list, r["pages"]))) for k in results for r in results[k]}
    print(f"  post statuses: {'same in every archive run' if len(posts) == 1 else 'DIFFER'}: "
          f"{json.loads(sorted(posts)[0])}")
    print(f"  page statuses: {'same on every side' if len(pages) == 1 else 'DIFFER'}: "
          f"{sorted({s for k in results for r in results[k] for _, s in r['pages']}, key=str)}")
    if len(posts) != 1 or len(pages) != 1:
        for kind in results:
            for r in results[kind]:
                print(f"    {kind}: posts {r.get('posts')} pages {r['pages']}")


def timeline(kind: str, run: dict[str, Any]) -> None:
    """The fastest run's captures as they overlapped: what the run waited for last, and the least
    time its captures could take on its pages in flight (their durations summed, over the slots)."""
    spans = sorted(run.get("spans", []), key=lambda s: s[1])
    if not spans:
        return  # a run that captured nothing
    busy = sum(span[2] - span[1] for span in spans)
    pages_in_flight = run["in_flight"]
    print(f"  {kind}: fastest run ({run['took']:.2f} s), each capture's start and end (s from the run's start); "
          f"captures {busy:.2f} s in all, / {pages_in_flight} in flight = {busy / pages_in_flight:.2f} s at the least")
    for url, begin, end, *split in spans:
        steps = "  ".join(f"{k} {v:.2f}" for k, v in (split[0] if split else {}).items() if k in PHASES)
        print(f"    {begin:5.2f} - {end:5.2f}  {url}" + (f"\n                   {steps}" if steps else ""))


if __name__ == "__main__":
    main()
