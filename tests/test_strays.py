"""What a captured page starts beside itself: a pop-up (`window.open`, a target=_blank link a script
clicks) is closed at once, named in the capture's errors and kept out of its records; a download
(a script's `<a download>` click, an iframe or the page itself sent to a file to save) is named, its
bytes kept nowhere on disk, and the load does not wait out its timeout for it. Neither fails the
capture nor the run. A real Chromium against FakeWeb."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.capture.chromium_render import ChromiumRenderer
from archiver.capture.pagesteps import FILE_TO_SAVE
from archiver.capture.renderer import PageCapture
from archiver.net import NetOptions
from archiver.warcstore import Batch, WarcStore
from tests.e2e import cli
from tests.fakeweb import FakeWeb
from tests.test_recorder import read_warcs

pytestmark = pytest.mark.browser

NEWS = "https://news.example"
OTHER = "/2024/stray-other.html"  # what a pop-up is sent to
OTHER_HTML = "<!doctype html><title>Other</title><h1>Another page</h1><img src='/2024/stray-other.png'>"
FILE = b"saved bytes " * 400
SLOW = b"slowly saved " * 20_000  # 260 KB at 26 KB/s: still arriving when the capture ends
PAGES = {
    "/2024/opens.html": ("<!doctype html><title>Opens</title><h1>Opens a pop-up</h1><script>"
                         f"addEventListener('load', () => window.open('{NEWS}{OTHER}?by=open'));</script>"),
    "/2024/blank.html": ("<!doctype html><title>Blank</title><h1>A link in a new tab</h1>"
                         f"<a id=a target=_blank href='{NEWS}{OTHER}?by=link'>more</a>"
                         "<script>addEventListener('load', () => document.getElementById('a').click());</script>"),
    "/2024/saves.html": ("<!doctype html><title>Saves</title><a id=a download href='/2024/file.bin'>file</a>"
                         "<script>document.getElementById('a').click();</script><h1>Clicked a download</h1>"),
    "/2024/frame-saves.html": ("<!doctype html><title>Frame saves</title><iframe id=f></iframe>"
                               "<script>document.getElementById('f').src = '/2024/file.bin';</script><h1>A frame</h1>"),
    "/2024/goes-to-file.html": ("<!doctype html><title>Goes to a file</title>"
                                "<script>location.href = '/2024/file.bin';</script><h1>Sent to a file</h1>"),
    "/2024/slow-save.html": ("<!doctype html><title>Slow save</title><a id=a download href='/2024/slow.bin'>file</a>"
                             "<script>document.getElementById('a').click();</script><h1>A slow download</h1>"),
    # (a frame taking seconds holds its load event back: the script sends it on before it comes)
    "/2024/saves-then-goes.html": ("<!doctype html><title>Saves, then goes</title><a id=a download "
                                   "href='/2024/file.bin'>file</a><iframe src='/2024/slow-frame'></iframe>"
                                   "<script>document.getElementById('a').click();"
                                   f"setTimeout(() => location.href = '{NEWS}{OTHER}?by=script', 300);</script>"
                                   "<h1>Clicked a download, then sent on</h1>"),
    "/2024/opens-many.html": ("<!doctype html><title>Opens many</title><h1>Opens pop-ups on a timer</h1><script>"
                              f"let n = 0; const t = setInterval(() => {{ window.open('{NEWS}{OTHER}?n=' + n);"
                              " if (++n === 12) clearInterval(t); }, 5);</script>"),
    # (a link made and followed in the <head>: the parser stops there too)
    "/2024/clicks-to-file.html": ("<!doctype html><title>Clicks to a file</title><script>"
                                  "const a = document.createElement('a'); a.href = '/2024/file.bin'; a.click();"
                                  "</script><h1>Followed a link to a file</h1>"),
    "/2024/opens-opener.html": ("<!doctype html><title>Opens an opener</title><h1>Its pop-up opens another</h1><script>"
                                "addEventListener('load', () => { const w = window.open('');"
                                f" w.document.write(\"<script>window.open('{NEWS}{OTHER}?by=popup')<\\/script>\"); }});"
                                "</script>"),
    "/2024/opens-noopener.html": ("<!doctype html><title>No opener</title><h1>Opens one without an opener</h1><script>"
                                  f"addEventListener('load', () => window.open('{NEWS}{OTHER}?by=noopener', '_blank',"
                                  " 'noopener'));</script>"),
    # (drawn, then sent to a file by its own navigation)
    "/2024/drew-then-goes.html": ("<!doctype html><title>Drew, then goes</title><h1>Drawn first</h1><script>"
                                  "addEventListener('load', () => requestAnimationFrame(() => requestAnimationFrame("
                                  "() => { location.href = '/2024/file.bin'; })));</script>"),
    # (drawn, then sent to a file while its frames take 2.5 s each to draw: slow, not undrawn)
    "/2024/slow-then-goes.html": ("<h1>Your download will start</h1><script>let n=0; function f(){const t0=Date.now();"
                                  " while(Date.now()-t0<2500){} if(++n<6) requestAnimationFrame(f);}"
                                  " addEventListener('load',()=>{location.href='/2024/file.bin';"
                                  " requestAnimationFrame(f);});</script>"),
    # (a download of its own address, its frames as slow: not its own navigation)
    "/2024/saves-itself.html": ("<h1>Save me</h1><a id=a download href=''>save</a><script>let n=0; function f(){"
                                "const t0=Date.now(); while(Date.now()-t0<2500){} if(++n<6) requestAnimationFrame(f);}"
                                " addEventListener('load',()=>{document.getElementById('a').click();"
                                " requestAnimationFrame(f);});</script>"),
    # (a download of its own address started in the <head>, which then stops itself)
    "/2024/saves-itself-and-stops.html": ("<!doctype html><title>Saves itself, stops</title><script>"
                                          "const a = document.createElement('a'); a.download = ''; a.href = '';"
                                          " a.click(); window.stop();</script><h1>Stopped</h1>"),
    "/2024/stops.html": "<!doctype html><title>Stops</title><script>window.stop()</script><h1>Stopped in the head</h1>",
    "/2024/goes-to-part.html": ("<!doctype html><title>Goes to a part</title>"
                                "<script>location.href = '/2024/file.bin#part';</script><h1>Sent to a part of a file</h1>"),
    # (sent to a file by its own navigation, then to about:blank)
    "/2024/goes-then-blank.html": ("<!doctype html><title>Goes, then blank</title><script>"
                                   "location.href = '/2024/file.bin'; setTimeout(() => location.href = 'about:blank', 300);"
                                   "</script><h1>Sent to a file, then to a blank page</h1>"),
    # (its own world lies: its document complete, without a load event, while a frame still drips)
    "/2024/lies-complete.html": ("<!doctype html><title>Lies</title><script>Object.defineProperty(document, 'readyState',"
                                 " {get: () => 'complete'}); performance.getEntriesByType = () => [{loadEventStart: 0}];"
                                 "</script><h1>Says it is complete</h1><iframe src='/2024/slow-frame'></iframe>"),
    # (a download started, the load held back by a frame dripping for seconds)
    "/2024/saves-slowly.html": ("<!doctype html><title>Saves, slowly</title><a id=a download href='/2024/file.bin'>"
                                "file</a><iframe src='/2024/slow-frame'></iframe>"
                                "<script>document.getElementById('a').click();</script><h1>Clicked, still loading</h1>"),
    # (stops itself in its <head>, then sends itself on to the article by script)
    "/2024/stops-then-goes.html": ("<script>window.stop(); setTimeout(() => "
                                   "location.replace('https://news.example/2024/riverton-flood.html'), 800)</script>"),
    # (opens a pop-up at once, its load held back by a frame dripping for seconds)
    "/2024/opens-slowly.html": ("<!doctype html><title>Opens, slowly</title><script>"
                                f"window.open('{NEWS}{OTHER}?by=slow');</script><iframe src='/2024/slow-frame'></iframe>"
                                "<h1>Opened one, still loading</h1>"),
    OTHER: OTHER_HTML,
}
ZIP = b"PK\x03\x04" + b"\x00" * 400  # a type no page is: Chromium downloads it
ARTICLE_FILE = b"<!doctype html><title>A file</title><h1>An article served as a file to save</h1>"
TIMEOUT_S = 20  # the per-step timeout the renderers below run with


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as w:
        for path, html in PAGES.items():
            w.set_state(("article", path), html)
        w.set_state(("attachment", "/2024/file.bin"), (FILE, "file.bin"))
        w.set_state(("attachment", "/2024/article-file.html"), (ARTICLE_FILE, "article.html", "text/html; charset=utf-8"))
        w.set_state(("attachment", "/2024/slow.bin"), (SLOW, "slow.bin", "application/octet-stream", 26_000))
        w.set_state(("file", "/2024/article.zip"), (ZIP, "application/zip"))  # no Content-Disposition
        w.set_state(("redirect", "/2024/to-zip"), "/2024/article.zip")
        w.drip("/2024/slow-frame", 4000, 1000)  # four seconds
        w.set_state(("status", "/2024/no-content"), 204)
        w.set_state(("status", "/2024/reset-content"), 205)
        yield w


def render(web: FakeWeb, tmp_path: Path, path: str, *, after: list[Path] | None = None,
           shot: bool = True) -> PageCapture:
    """One render of `path` into tmp_path/warc; `after`, when given, gets every file under the
    driver's downloads folder (under TMPDIR) as the render returns, before its tab is closed."""
    async def go() -> PageCapture:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        async with await ChromiumRenderer.launch(net, workdir=tmp_path / "browser", timeout=TIMEOUT_S) as renderer:
            with WarcStore(tmp_path / "warc", prefix="t") as store:
                page = await renderer.render(f"{NEWS}{path}", Batch(store), screenshot_path=tmp_path / "page.png" if shot else None)
                if after is not None:
                    # Where Playwright keeps the downloads it accepts.
                    after.extend(p for p in Path(os.environ["TMPDIR"]).glob("playwright-artifacts-*/*"))
                return page
    return asyncio.run(go())


def uris(tmp_path: Path) -> list[str]:
    return [r.uri for r in read_warcs(tmp_path / "warc") if r.type in ("request", "response")]


@pytest.mark.parametrize(("path", "how"), [("/2024/opens.html", "open"), ("/2024/blank.html", "link")])
def test_a_popup_is_closed_named_and_kept_out_of_the_records(web: FakeWeb, tmp_path: Path, path: str, how: str) -> None:
    page = render(web, tmp_path, path)
    assert page.status == 200 and page.load_failure() is None and page.cut_short is None
    assert f"the page opened a pop-up ({NEWS}{OTHER}?by={how}): closed, not captured" in page.errors, page.errors
    # The pop-up asked the network through the gate, but none of it is the page's.
    assert any(e["path"].startswith(OTHER) for e in web.log)
    assert not [u for u in uris(tmp_path) if "stray-other" in u], uris(tmp_path)
    assert page.screenshot is not None and page.final_url == f"{NEWS}{path}"


def test_a_page_sent_to_a_file_while_it_loads_does_not_wait_out_the_timeout(web: FakeWeb, tmp_path: Path) -> None:
    """Playwright's load wait never saw `load` once the page's own navigation became a download:
    it waited its whole timeout (20 s here; 30 s by default), and the page's record was the file's.
    (No screenshot: Chromium draws no frame of such a page any more, and a screenshot waits out its
    own timeout.)"""
    path = "/2024/goes-to-file.html"
    started = time.monotonic()
    page = render(web, tmp_path, path, shot=False)
    took = time.monotonic() - started
    assert page.timings["load"] < TIMEOUT_S / 2 and took < TIMEOUT_S, (page.timings, page.errors)
    assert not [e for e in page.errors if e.startswith("page load:")], page.errors
    assert f"the page started a download ({NEWS}/2024/file.bin): not kept" in page.errors
    assert page.status == 200 and page.title == "Goes to a file" and page.load_failure() is None
    # The page's record is its own document, not the file's answer.
    (doc,) = [r for r in read_warcs(tmp_path / "warc")
              if r.type == "response" and r.headers["WARC-Record-ID"] == page.page_record_id]
    assert doc.uri == f"{NEWS}{path}"


@pytest.mark.parametrize("path", ["/2024/saves.html", "/2024/frame-saves.html"])
def test_a_download_a_script_starts_is_named_and_not_kept(web: FakeWeb, tmp_path: Path, path: str) -> None:
    page = render(web, tmp_path, path)
    assert page.status == 200 and page.load_failure() is None, page.errors
    assert f"the page started a download ({NEWS}/2024/file.bin): not kept" in page.errors, page.errors
    assert not [e for e in page.errors if e.startswith("page load:")], page.errors
    stored = b"".join(r.payload for r in read_warcs(tmp_path / "warc") if r.type == "response")
    assert FILE[:100] not in stored  # (a frame's aborted request is recorded, without the file's bytes)


def test_a_download_writes_nothing_to_disk(web: FakeWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright keeps an accepted download under the driver's temporary folder while its context
    lives; a refused one is never written."""
    tmp = Path(tempfile.mkdtemp(prefix="strays-"))  # short: Chromium's socket path under it must be
    monkeypatch.setenv("TMPDIR", str(tmp))
    files: list[Path] = []
    page = render(web, tmp_path, "/2024/slow-save.html", after=files)
    assert f"the page started a download ({NEWS}/2024/slow.bin): not kept" in page.errors, page.errors
    assert not files, files
    assert not [p for p in (tmp_path / "browser").rglob("*") if p.is_file() and p.read_bytes()[:13] == SLOW[:13]]
    shutil.rmtree(tmp)


def test_a_run_over_pages_with_popups_and_downloads_succeeds(web: FakeWeb, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    urls = [f"{NEWS}{p}" for p in ("/2024/opens.html", "/2024/saves.html")]
    tmp = Path(tempfile.mkdtemp(prefix="strays-"))
    try:
        r = cli(web, "archive", *urls, "--format", "json", archive=archive, timeout=120, env={"TMPDIR": str(tmp)})
        left = [p for p in tmp.glob("playwright-artifacts-*/*")]
    finally:
        shutil.rmtree(tmp)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["failures"] == []
    infos = [json.loads(rec.payload) for rec in read_warcs(archive / "warcs")
             if rec.type == "metadata" and rec.uri.startswith("urn:capture-info:")]
    errors = {info["url"]: json.loads(info["errors"]) for info in infos}
    assert f"the page opened a pop-up ({NEWS}{OTHER}?by=open): closed, not captured" in errors[urls[0]]
    assert f"the page started a download ({NEWS}/2024/file.bin): not kept" in errors[urls[1]]
    assert not left and not [p for p in (archive / ".browser").rglob("*") if p.is_file() and FILE[:24] in p.read_bytes()]


def test_a_page_sent_on_after_starting_a_download_is_waited_for(web: FakeWeb, tmp_path: Path) -> None:
    """A download, then a script sending the page on: the question "has the page loaded?" failed
    with its document, which ended the load wait at once with a false "load event did not come"
    (and the capture of a page still on its way)."""
    page = render(web, tmp_path, "/2024/saves-then-goes.html")
    assert not [e for e in page.errors if e.startswith("page load:")], page.errors
    assert f"the page started a download ({NEWS}/2024/file.bin): not kept" in page.errors, page.errors
    assert page.final_url == f"{NEWS}{OTHER}?by=script" and page.title == "Other", (page.final_url, page.errors)


@pytest.mark.parametrize("path", ["/2024/goes-to-file.html", "/2024/clicks-to-file.html"])
def test_a_page_that_draws_no_frames_after_going_to_a_file_gets_no_picture_at_once(web: FakeWeb, tmp_path: Path,
                                                                                    path: str) -> None:
    """A script in the <head> sending the page to a file to save stops the parser before the
    <body>, and Chromium never draws such a page: the full-page screenshot waited its whole
    timeout (20 s here, 30 s by default) for a frame, and failed."""
    started = time.monotonic()
    page = render(web, tmp_path, path)
    took = time.monotonic() - started
    assert page.timings["screenshots"] < TIMEOUT_S / 4 and took < TIMEOUT_S, (page.timings, page.errors)
    assert page.screenshot is None
    assert (f"full-page screenshot: not taken: the page draws no frames: its own navigation became a download "
            f"({NEWS}/2024/file.bin) before it drew its first, and Chromium stopped reading it then") in page.errors
    # Named as before, and the rest of the capture as it was.
    assert f"the page started a download ({NEWS}/2024/file.bin): not kept" in page.errors, page.errors
    assert page.status == 200 and page.load_failure() is None and page.final_url == f"{NEWS}{path}"
    info = [json.loads(r.payload) for r in read_warcs(tmp_path / "warc")
            if r.type == "metadata" and r.uri.startswith("urn:capture-info:")]
    assert any(e.startswith("full-page screenshot: not taken:") for e in json.loads(info[0]["errors"]))


def test_a_page_going_to_a_file_after_it_drew_is_pictured(web: FakeWeb, tmp_path: Path) -> None:
    """A page that drew, then sent itself to a file to save (its own navigation became a
    download) keeps drawing: its picture is taken."""
    page = render(web, tmp_path, "/2024/drew-then-goes.html")
    assert f"the page started a download ({NEWS}/2024/file.bin): not kept" in page.errors, page.errors
    assert page.screenshot is not None and not [e for e in page.errors if "screenshot" in e], page.errors
    assert page.title == "Drew, then goes" and page.load_failure() is None


@pytest.mark.parametrize("path", ["/2024/slow-then-goes.html", "/2024/saves-itself.html"])
def test_a_slow_page_that_starts_a_download_is_pictured(web: FakeWeb, tmp_path: Path, path: str) -> None:
    """A page that drew and whose frames then take 2.5 s each (heavy scripts, a busy machine),
    sent to a file by its own navigation, or saving its own address with `<a download>`: 'no
    frame within 2 s' was taken for 'never draws', and the page lost its picture, said to draw no
    frames. (The second was taken for the page's own navigation, its address being one the page
    went to.)"""
    page = render(web, tmp_path, path)
    assert page.screenshot is not None and page.screenshot.is_file(), page.errors
    assert not [e for e in page.errors if "draws no frames" in e or "screenshot" in e], page.errors
    assert f"the page started a download ({NEWS}/2024/file.bin): not kept" in page.errors or path.endswith(
        "saves-itself.html"), page.errors
    assert page.status == 200 and page.load_failure() is None


def test_a_download_of_its_own_address_is_not_its_own_navigation(web: FakeWeb, tmp_path: Path) -> None:
    """The page's own navigation is told by the request that became the download, not by an
    address the page went to: an `<a download>` of the page's own address is not one."""
    page = render(web, tmp_path, "/2024/saves-itself-and-stops.html")
    assert page.screenshot is None
    assert ("full-page screenshot: not taken: the page draws no frames: its document stopped before its <body> "
            "(Chromium draws a page from its <body> on)") in page.errors, page.errors
    assert not [e for e in page.errors if "navigation became a download" in e], page.errors


def test_a_page_that_stops_itself_in_its_head_is_neither_waited_for_nor_pictured(web: FakeWeb,
                                                                                  tmp_path: Path) -> None:
    """`window.stop()` in the <head>: the document is complete, without a body and without a load
    event. The load waited out its timeout (20 s here), then the screenshot its own."""
    started = time.monotonic()
    page = render(web, tmp_path, "/2024/stops.html")
    took = time.monotonic() - started
    assert page.timings["load"] < TIMEOUT_S / 2 and took < TIMEOUT_S, (page.timings, page.errors)
    assert page.screenshot is None
    assert ("full-page screenshot: not taken: the page draws no frames: its document stopped before its <body> "
            "(Chromium draws a page from its <body> on)") in page.errors, page.errors
    assert not [e for e in page.errors if e.startswith("page load:")], page.errors
    assert page.title == "Stops" and page.final_url == f"{NEWS}/2024/stops.html"


def test_a_page_sent_to_a_part_of_a_file_is_known_as_its_own_navigation(web: FakeWeb, tmp_path: Path) -> None:
    """The download is announced with the fragment, its request without: the page's own
    navigation was missed, and the screenshot waited out its timeout (20 s here)."""
    started = time.monotonic()
    page = render(web, tmp_path, "/2024/goes-to-part.html")
    took = time.monotonic() - started
    assert page.timings["screenshots"] < TIMEOUT_S / 4 and took < TIMEOUT_S, (page.timings, page.errors)
    assert page.screenshot is None
    assert (f"full-page screenshot: not taken: the page draws no frames: its own navigation became a download "
            f"({NEWS}/2024/file.bin#part) before it drew its first, and Chromium stopped reading it then") in page.errors


def test_a_page_that_loaded_then_went_blank_is_not_said_not_to_have_loaded(web: FakeWeb, tmp_path: Path) -> None:
    """A page that loaded (its document recorded) and then sent itself to about:blank, its load
    ended by its own document rather than by Playwright's wait (no status from it), was said not
    to have loaded: 'no screenshots: the page did not load'."""
    page = render(web, tmp_path, "/2024/goes-then-blank.html")
    assert "no screenshots: the page did not load" not in page.errors, page.errors
    assert page.status == 200 and page.load_failure() is None, page.errors
    assert page.final_url == "about:blank", page.final_url


@pytest.mark.parametrize("run", range(3))
def test_a_pop_up_opened_by_a_pop_up_is_named_by_its_opener(web: FakeWeb, tmp_path: Path, run: int) -> None:
    """A pop-up's own pop-up was named as if the captured page had opened it; then, Playwright
    knowing no opener of a page announced after its opener was closed (at once), as of an unknown
    opener, every time. The browser names the opener as it creates the pop-up. (Three runs: the
    pop-up's announcement races its opener's closing.)"""
    page = render(web, tmp_path, "/2024/opens-opener.html")
    named = [e for e in page.errors if "pop-up" in e]
    assert named == ["the page opened a pop-up (about:blank): closed, not captured",
                     f"a pop-up the page opened (about:blank) opened a pop-up ({NEWS}{OTHER}?by=popup): closed, "
                     "not captured"], page.errors
    assert not [u for u in uris(tmp_path) if "stray-other" in u], uris(tmp_path)
    assert page.status == 200 and page.load_failure() is None


def test_the_openers_of_finished_captures_are_not_held(web: FakeWeb, tmp_path: Path) -> None:
    """One browser-level session hears every capture's pop-ups; what it keeps of a capture's
    context goes with its tab, so a long run holds only the tabs open (the next capture's,
    opened ahead, and at most the last one's, closing behind its result)."""
    async def go() -> tuple[list[PageCapture], int]:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        async with await ChromiumRenderer.launch(net, workdir=tmp_path / "browser", timeout=TIMEOUT_S) as renderer:
            with WarcStore(tmp_path / "warc", prefix="t") as store:
                pages = [await renderer.render(f"{NEWS}/2024/opens-opener.html", Batch(store), screenshot_path=None)
                         for _ in range(4)]
                assert renderer._openers is not None
                return pages, len(renderer._openers._contexts)
    pages, held = asyncio.run(go())
    assert all(any("opened a pop-up" in e for e in p.errors) for p in pages), [p.errors for p in pages]
    assert held <= 2, held  # the last capture's tab, maybe still closing, and the one opened ahead


def test_a_noopener_pop_up_is_named_by_its_page(web: FakeWeb, tmp_path: Path) -> None:
    """`noopener` hides the opener from the pop-up's scripts, not from the browser, which names it."""
    page = render(web, tmp_path, "/2024/opens-noopener.html")
    named = [e for e in page.errors if "pop-up" in e]
    assert named == [f"the page opened a pop-up ({NEWS}{OTHER}?by=noopener): closed, not captured"], named
    assert not [u for u in uris(tmp_path) if "stray-other" in u], uris(tmp_path)


def test_an_article_that_is_a_file_to_save_is_named_so(web: FakeWeb, tmp_path: Path) -> None:
    """An article address answered as a file to save: `archive` keeps the file as fetched over
    HTTP; the browser shows nothing of it. The failure said "Page.goto: Download is starting", and
    the blank tab's picture was kept as the article's screenshot."""
    url = f"{NEWS}/2024/article-file.html"
    archive = tmp_path / "archive"
    r = cli(web, "archive", url, "--format", "json", archive=archive, timeout=120)
    assert r.returncode == 1, r.stderr
    (failure,) = json.loads(r.stdout)["failures"]
    assert failure == f"{url}: the page could not be captured: page load: {FILE_TO_SAVE}; the file is kept in the " \
                      "archive as fetched", failure
    records = read_warcs(archive / "warcs")
    assert any(rec.type == "response" and rec.uri == url and rec.payload == ARTICLE_FILE for rec in records)
    assert not [rec for rec in records if rec.uri.startswith("urn:screenshot:")]
    assert not list(archive.rglob("*.png"))


@pytest.mark.parametrize("path", ["/2024/article.zip", "/2024/to-zip"])
def test_an_address_the_browser_downloads_by_its_type_is_a_file_to_save(web: FakeWeb, tmp_path: Path,
                                                                        path: str) -> None:
    """An address (or the last of its redirects) answered as application/zip without
    Content-Disposition is downloaded by Chromium all the same: it was reported as 'page load:
    Page.goto: Download is starting'."""
    url = f"{NEWS}/2024/article.zip"
    page = render(web, tmp_path, path)
    assert page.file_to_save == url, page.errors
    assert f"page load: {FILE_TO_SAVE}" in page.errors and "no screenshots: the page did not load" in page.errors
    assert page.load_failure() == f"page load: {FILE_TO_SAVE}" and page.screenshot is None
    # The zip is not taken for the page's document.
    assert page.status is None and page.page_record_id is None


def test_a_page_opening_pop_ups_on_a_timer_gets_a_few_named_not_one_line_each(web: FakeWeb, tmp_path: Path) -> None:
    """setInterval(window.open): one error line per pop-up made a capture of a page that opens
    them for its whole deadline a record of thousands of lines."""
    page = render(web, tmp_path, "/2024/opens-many.html")
    named = [e for e in page.errors if e.startswith("the page opened a pop-up")]
    assert len(named) == 5, page.errors
    assert "the page started more than 5 pop-ups: each ended the same way, the others not named" in page.errors
    assert page.status == 200 and page.load_failure() is None


def test_a_page_cannot_answer_for_its_own_document_being_loaded(web: FakeWeb, tmp_path: Path) -> None:
    """Whether the page's document is complete, and had its load event, was asked in the page's
    own world: a page saying it is complete without one (its `document.readyState` and
    `performance` redefined) ended the load at once, its frame still arriving (a frame taking
    4 s: the load ended after a quarter of a second). It is asked where no page script reaches."""
    page = render(web, tmp_path, "/2024/lies-complete.html", shot=False)
    assert page.timings["load"] > 3, (page.timings, page.errors)
    assert not [e for e in page.errors if e.startswith("page load:")], page.errors
    assert page.status == 200 and page.load_failure() is None


@pytest.mark.parametrize("path", ["/2024/no-content", "/2024/reset-content"])
def test_an_address_answered_with_no_content_is_not_pictured_nor_waited_for(web: FakeWeb, tmp_path: Path,
                                                                           path: str) -> None:
    """An answer 204 or 205 shows nothing: the tab stays blank. The load waited 5 s for a download
    it took it to be, and the blank tab's picture was stored as the page's screenshot."""
    page = render(web, tmp_path, path)
    assert page.timings["load"] < 3, (page.timings, page.errors)
    assert "no screenshots: the page did not load" in page.errors, page.errors
    assert page.screenshot is None and page.file_to_save is None
    assert [e for e in page.errors if e.startswith("page load:")], page.errors


def test_a_page_that_stops_itself_then_goes_on_by_script_is_captured_where_it_went(web: FakeWeb,
                                                                                   tmp_path: Path) -> None:
    """`window.stop()`, then a script's redirect to the article: the load ended on the stopped
    page, which was captured, with a false 'the page went to ... by itself after it loaded'. A
    page the stopped one goes on to before the load's timeout is the load going on."""
    page = render(web, tmp_path, "/2024/stops-then-goes.html")
    assert page.final_url == f"{NEWS}/2024/riverton-flood.html", (page.final_url, page.errors)
    assert not [e for e in page.errors if "by itself after it loaded" in e or "draws no frames" in e], page.errors
    assert page.screenshot is not None and page.title and "Riverton" in page.title, (page.title, page.errors)
    assert page.timings["load"] < TIMEOUT_S / 2, page.timings


def test_pop_up_openers_wait_for_nothing_they_cannot_hear(web: FakeWeb, tmp_path: Path) -> None:
    """A lookup that timed out left its waiter behind until some pop-up came; and once the
    browser-level session stopped answering (detached), each pop-up still waited its whole
    lookup (5 s) for an announcement that could not come."""
    async def go() -> tuple[object, int, object, float, bool]:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        async with await ChromiumRenderer.launch(net, workdir=tmp_path / "browser", timeout=TIMEOUT_S) as renderer:
            openers = renderer._openers
            assert openers is not None
            missed = await openers.opener("no such context", "no such target", 0.2)
            left = len(openers._wakeups)
            await openers.session.detach()
            started = time.monotonic()
            gone = await openers.opener("no such context", "no such target", 5)
            return missed, left, gone, time.monotonic() - started, getattr(openers, "dead", False)
    from archiver.capture.tabs import UNKNOWN
    missed, left, gone, took, dead = asyncio.run(go())
    assert missed is UNKNOWN and left == 0
    assert gone is UNKNOWN and dead and took < 2, took


def test_a_capture_cancelled_while_naming_its_pop_ups_still_closes_its_tab(web: FakeWeb, tmp_path: Path) -> None:
    """A capture cancelled (a signal, a caller's timeout), then cancelled again while it waited
    for its pop-ups' lines, never released its tab: its context stayed open, and what the shared
    openers kept of it too."""
    async def go() -> tuple[int, int]:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        async with await ChromiumRenderer.launch(net, workdir=tmp_path / "browser", timeout=TIMEOUT_S) as renderer:
            with WarcStore(tmp_path / "warc", prefix="t") as store:
                assert renderer._browser is not None and renderer._openers is not None
                capture = asyncio.ensure_future(renderer.render(f"{NEWS}/2024/opens-slowly.html", Batch(store),
                                                                screenshot_path=None))
                while not capture.done() and not any(len(c.pages) > 1 for c in renderer._browser.contexts):
                    await asyncio.wait({capture}, timeout=0.01)
                capture.cancel()  # the pop-up announced: its line being written
                await asyncio.wait({capture}, timeout=0.001)
                capture.cancel()
                await asyncio.gather(capture, return_exceptions=True)
                await asyncio.gather(*renderer._tabs._closing, return_exceptions=True)
                standby = await renderer._tabs.take() if renderer._tabs._standby is not None else None
                held = len(renderer._openers._contexts) - (standby is not None)
                contexts = len(renderer._browser.contexts) - (standby is not None)
                return held, contexts
    held, contexts = asyncio.run(go())
    assert held == 0 and contexts == 0, (held, contexts)
