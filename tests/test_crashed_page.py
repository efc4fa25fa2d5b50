"""A page whose renderer crashes (Chromium's renderer process dies: here it runs out of memory)
ends its capture at once, named as such, with what was recorded before the crash kept whole or
marked cut; the next captures in the same browser go on as before. Each of these waited in its
loading or settling step until the whole capture deadline: the page's CDP sessions never answer a
crashed renderer's questions. A real Chromium against FakeWeb."""

from __future__ import annotations

import asyncio
import json
import shlex
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.capture.cdp import CdpTap
from archiver.capture.chromium import find_chromium
from archiver.capture.chromium_render import ChromiumRenderer
from archiver.capture.recorder import TrafficRecorder
from archiver.capture.renderer import PageCapture
from archiver.net import NetOptions
from archiver.warcstore import Batch, WarcStore
from tests.e2e import cli
from tests.fakeweb import FakeWeb
from tests.test_recorder import read_warcs

pytestmark = pytest.mark.browser

NEWS = "https://news.example"
VIDEO = "kX3f9TqLm2A"  # the fake web's one YouTube video
WATCH = f"https://www.youtube.com/watch?v={VIDEO}"
EMBED = f"https://www.youtube.com/embed/{VIDEO}"
EMBED_FAULT = ("fault", "www.youtube.com", f"/embed/{VIDEO}")
RUNS_OUT = "const kept = []; for (;;) kept.push(new Array(100000).fill(0.5));"
PAGES = {
    # (runs out while its document is still parsed: its load event never comes)
    "/2024/runs-out.html": ("<!doctype html><title>Runs out</title><h1>Runs out of memory</h1>"
                            f"<script>{RUNS_OUT}</script>"),
    # (runs out once loaded, a request of its still in flight, when it is first scrolled: only the
    # capture's settling scrolls it, through the page once, so the crash comes while it settles)
    "/2024/runs-out-later.html": ("<!doctype html><title>Runs out later</title><h1>Runs out later</h1>"
                                  '<div style="height: 3000px">A long page</div><script>'
                                  "addEventListener('load', () => fetch('https://faults.example/hang'));"
                                  f" addEventListener('scroll', () => {{ {RUNS_OUT} }}, {{once: true}});</script>"),
    "/2024/fine.html": "<!doctype html><title>Fine</title><h1>A page that stays</h1>",
    # (a healthy page, whose cross-site embed, in a renderer of its own, runs out: see EMBED_FAULT)
    "/2024/embeds-one.html": ("<!doctype html><title>With an embed</title><h1>An article with a video</h1>"
                              f'<iframe src="{EMBED}" width="560" height="315"></iframe>'),
}
DEADLINE_S = 30  # the capture deadline the crashed pages waited out


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as w:
        for path, html in PAGES.items():
            w.set_state(("article", path), html)
        yield w


@pytest.fixture(scope="module")
def small_heap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same Chromium, its pages' JavaScript heap capped at 32 MB: a page runs out of it (and
    its renderer crashes) in a fraction of a second, not after taking gigabytes for seconds."""
    chromium = find_chromium()
    assert chromium is not None
    wrapper = tmp_path_factory.mktemp("chromium") / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(chromium)} --js-flags=--max-old-space-size=32 "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.fixture
def detached(monkeypatch: pytest.MonkeyPatch) -> list[tuple[set[str], int]]:
    """For each page's recorder closed (its tab closing): the addresses its CDP sessions saw, and
    how many of those sessions it detached (the real detach, counted)."""
    closed: list[tuple[set[str], int]] = []
    detaching: list[CdpTap] = []
    real_close, real_detach = TrafficRecorder.close, CdpTap.detach

    async def detach(tap: CdpTap) -> None:
        detaching.append(tap)
        await real_detach(tap)

    async def close(recorder: TrafficRecorder) -> None:
        taps = list(recorder._taps)
        seen = {entry.url for tap in taps for entry in tap.requests.values()}
        await real_close(recorder)
        closed.append((seen, sum(1 for tap in detaching if any(tap is t for t in taps))))

    monkeypatch.setattr(CdpTap, "detach", detach)
    monkeypatch.setattr(TrafficRecorder, "close", close)
    return closed


def _render_all(web: FakeWeb, tmp_path: Path, paths: list[str]) -> list[tuple[PageCapture, float]]:
    """Each path rendered in turn in one browser, with how long each took; the browser closed."""
    async def go() -> list[tuple[PageCapture, float]]:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        out = []
        async with await ChromiumRenderer.launch(net, workdir=tmp_path / "browser", timeout=20,
                                                 capture_deadline=DEADLINE_S) as renderer:
            with WarcStore(tmp_path / "warc", prefix="t") as store:
                for n, path in enumerate(paths):
                    started = time.monotonic()
                    page = await renderer.render(f"{NEWS}{path}", Batch(store), screenshot_path=tmp_path / f"{n}.png")
                    out.append((page, time.monotonic() - started))
        return out
    return asyncio.run(go())


def test_a_crashed_page_ends_its_capture_at_once_and_the_next_ones_go_on(
        web: FakeWeb, small_heap: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        detached: list[tuple[set[str], int]]) -> None:
    monkeypatch.setenv("ARCHIVER_CHROMIUM", str(small_heap))
    paths = ["/2024/runs-out.html", "/2024/fine.html", "/2024/runs-out-later.html", "/2024/fine.html",
             "/2024/runs-out.html"]
    rendered = _render_all(web, tmp_path, paths)
    (early, took_early), (fine, _), (later, took_later), (fine_again, _), (last, _) = rendered
    for page, took, step in ((early, took_early, "loading"), (later, took_later, "settling")):
        assert took < DEADLINE_S / 3, (took, page.timings, page.errors)  # (it took DEADLINE_S and 5 s of grace)
        assert page.cut_short == f"the page's renderer crashed while {step}: kept what was recorded before it", page.errors
        assert page.cut_short in page.errors and page.screenshot is None
    assert later.status == 200 and later.title is None  # (its document came, before the crash)
    for page in (fine, fine_again):  # the same browser, the next tabs
        assert page.status == 200 and page.errors == [] and page.cut_short is None and page.title == "Fine"
        assert page.screenshot is not None and page.screenshot.stat().st_size > 0
    assert last.cut_short == early.cut_short, last.errors
    # A crashed page's tab (the last one's closed as the browser closes) no longer waits to detach
    # its CDP sessions from the dead renderer (each waited out its 5 s ceiling, holding the
    # browser's closing); the others' tabs detach theirs as before.
    crashed = [n for seen, n in detached if any("/2024/runs-out" in u for u in seen)]
    healthy = [n for seen, n in detached if f"{NEWS}/2024/fine.html" in seen]
    assert crashed == [0, 0, 0] and len(healthy) == 2 and all(healthy), detached
    records = read_warcs(tmp_path / "warc")  # every record whole: a reader reads them all
    infos = [r.uri for r in records if r.type == "metadata" and r.uri.startswith("urn:capture-info:")]
    assert infos == [f"urn:capture-info:{NEWS}{p}" for p in paths]  # (each page's, the crashed ones too)
    def documents(path: str) -> list[tuple[bytes, str | None]]:
        return [(r.payload, r.headers.get("WARC-Truncated")) for r in records
                if r.type == "response" and r.uri == f"{NEWS}{path}"]
    # The document of the page that crashed while loading: kept whole, said to be cut (its body,
    # asked for as the renderer died, went with it), or not recorded at all (the renderer died
    # before it reported the answer); the other's came whole, before its crash.
    whole, cut = (PAGES["/2024/runs-out.html"].encode(), None), (b"", "unspecified")
    assert set(documents("/2024/runs-out.html")) <= {whole, cut}, documents("/2024/runs-out.html")
    assert documents("/2024/runs-out-later.html") == [(PAGES["/2024/runs-out-later.html"].encode(), None)]
    info = json.loads(next(r.payload for r in records if r.uri == f"urn:capture-info:{NEWS}/2024/runs-out.html"))
    assert early.cut_short in json.loads(info["errors"])


def test_a_run_names_each_crashed_page_as_failed_and_captures_the_rest(web: FakeWeb, small_heap: Path,
                                                                        tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    crashing, fine = f"{NEWS}/2024/runs-out.html", f"{NEWS}/2024/fine.html"
    web.set_state(EMBED_FAULT, "oom")  # the post's embed page crashes too
    try:
        started = time.monotonic()
        r = cli(web, "archive", crashing, fine, WATCH, "--capture-deadline", str(DEADLINE_S), "--format", "json",
                archive=archive, timeout=300, env={"ARCHIVER_CHROMIUM": str(small_heap)})
        took = time.monotonic() - started
    finally:
        web.set_state(EMBED_FAULT, None)
    assert r.returncode == 1, r.stderr
    # (each crashed page waited out the deadline: over a minute; 13 s measured on a loaded machine)
    assert took < 50, took
    summary = json.loads(r.stdout)
    crashed = "the page's renderer crashed while loading: kept what was recorded before it"
    assert summary["failures"] == [
        f"{crashing}: the page could not be captured: {crashed}",
        f"youtube:{VIDEO}: the embed page {EMBED} stopped answering: {crashed}",
    ], summary
    (post,) = summary["results"]
    assert post["status"] == "live"  # its data came from oEmbed and the watch page
    assert not list((archive / "warcs").glob("*.open"))  # the run's WARC closed whole
    checked = cli(web, "verify", archive=archive)
    assert checked.returncode == 0, checked.stderr


def test_an_embedded_frames_crash_is_named_as_the_frames_not_the_pages(
        web: FakeWeb, small_heap: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cross-site iframe runs in a renderer of its own: its crash fires the page's `crash` event
    too (Playwright's), while the page's own renderer lives. Playwright gives the page up all the
    same (its calls on it fail), so the capture ends: named for the embed, not for the page, with
    the page's records kept and completed from its sessions, which still answer."""
    monkeypatch.setenv("ARCHIVER_CHROMIUM", str(small_heap))
    web.set_state(EMBED_FAULT, "oom")
    try:
        (page, took), (fine, _) = _render_all(web, tmp_path, ["/2024/embeds-one.html", "/2024/fine.html"])
    finally:
        web.set_state(EMBED_FAULT, None)
    assert page.cut_short == (f"an embedded frame's renderer crashed ({EMBED}) while loading, and the browser's "
                              "driver gives the page up with it: kept what was recorded before it"), page.errors
    assert page.cut_short in page.errors and page.status == 200 and took < DEADLINE_S / 3, (took, page.errors)
    assert fine.status == 200 and fine.errors == [] and fine.screenshot is not None  # the next tab
    records = read_warcs(tmp_path / "warc")
    (document,) = [r for r in records if r.type == "response" and r.uri == f"{NEWS}/2024/embeds-one.html"]
    assert document.payload == PAGES["/2024/embeds-one.html"].encode()
    # Completed as any cut capture's records are: the protocol, which only the CDP sessions tell.
    assert document.headers.get("WARC-Protocol"), document.headers
    assert document.headers.get("WARC-IP-Address"), document.headers
