"""The `Renderer` contract, run against the fake (tests/fakerender.py) and the Chromium renderer alike.

Both render the same pages of FakeWeb (the fake from a table saying what those pages hold) into a
real WARC store, and must write the same kinds of records in the same order and fill the same
PageCapture fields: a page that loads, one that does not, and several renders in flight at once
on one renderer, each writing only into its own batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from archiver.capture.chromium_render import ChromiumRenderer
from archiver.capture.renderer import PageCapture, Renderer
from archiver.net import NetOptions
from archiver.warcstore import Batch, WarcStore
from tests.fakerender import FakePage, FakeRenderer
from tests.fakeweb.server import FakeWeb
from tests.test_recorder import Rec, read_warcs

T = TypeVar("T")

PAGES = {
    "/contract/flood.html": ("Flood warning", "The river rose overnight.", ("Sandbags", "Road closed")),
    "/contract/bridge.html": ("Bridge reopens", "Traffic is back on the bridge.", ("Detour ends",)),
    "/contract/school.html": ("Schools closed", "All schools stay shut on Friday.", ()),
}
SELECTOR = "p.note"
UNREACHABLE = "http://127.0.0.1:9/"  # a refused port: Chromium's error page, never a view of the URL
RENDERERS = ["fake", pytest.param("chromium", marks=pytest.mark.browser)]


def url(path: str) -> str:
    return f"https://news.example{path}"


def html(title: str, text: str, notes: tuple[str, ...]) -> str:
    paragraphs = "".join(f'<p class="note">{n}</p>' for n in notes)
    return f"<!doctype html><html><head><title>{title}</title></head><body><h1>{text}</h1>{paragraphs}</body></html>"


def fake_table() -> dict[str, FakePage]:
    return {url(path): FakePage(status=200, title=title, body=html(title, text, notes).encode(),
                                text="\n".join((text, *notes)), elements={SELECTOR: notes}, delay=0.05)
            for path, (title, text, notes) in PAGES.items()}


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as w:
        for path, (title, text, notes) in PAGES.items():
            w.set_state(("article", path), html(title, text, notes))
        yield w


@asynccontextmanager
async def opened(kind: str, web: FakeWeb, workdir: Path) -> AsyncIterator[Renderer]:
    renderer: Renderer
    if kind == "fake":
        renderer = FakeRenderer(fake_table())
    else:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        renderer = await ChromiumRenderer.launch(net, workdir=workdir, timeout=20)
    async with renderer:
        yield renderer


def run(kind: str, web: FakeWeb, tmp_path: Path, body: Callable[[Renderer, WarcStore], Awaitable[T]]) -> T:
    async def go() -> T:
        async with opened(kind, web, tmp_path / "browser") as renderer:
            with WarcStore(tmp_path / "warc", prefix="t") as store:
                return await body(renderer, store)
    return asyncio.run(go())


def info_fields(rec: Rec) -> dict[str, str]:
    fields: dict[str, str] = json.loads(rec.payload)
    return fields


def written(tmp_path: Path) -> list[Rec]:
    return [r for r in read_warcs(tmp_path / "warc") if r.type != "warcinfo"]


@pytest.mark.parametrize("kind", RENDERERS)
def test_a_page_that_loads(kind: str, web: FakeWeb, tmp_path: Path) -> None:
    target = url("/contract/flood.html")
    shot = tmp_path / "shots" / "page.png"
    shot.parent.mkdir()

    async def body(renderer: Renderer, store: WarcStore) -> tuple[PageCapture, Batch, dict[str, str]]:
        batch = Batch(store)
        batch.write_resource("urn:before", "text/plain", b"written before the render")
        page = await renderer.render(target, batch, screenshot_path=shot, element_selectors=[SELECTOR],
                                     element_dir=shot.parent)
        return page, batch, {"browser": renderer.browser_version, "user-agent": renderer.user_agent}

    page, batch, who = run(kind, web, tmp_path, body)
    assert who["browser"] and who["user-agent"]
    assert (page.url, page.final_url, page.status, page.title) == (target, target, 200, "Flood warning")
    assert page.login_wall is False and page.errors == []
    assert page.html is not None and "The river rose overnight." in page.html
    assert page.frames[0].url == target and "The river rose overnight." in page.frames[0].text
    assert {"load", "settle", "screenshots", "collect", "write", "total"} <= set(page.timings)

    # The render's records follow what the batch held, and page.records lists exactly them.
    assert [r.record_id for r in batch.records[1:]] == [r.record_id for r in page.records]
    records = written(tmp_path)
    assert [r.uri for r in records[1:]] == [r.target_uri for r in page.records]
    kinds = [(r.type, r.uri) for r in records[1:]]
    # The page's document first (the store writes a response before its request).
    assert kinds[:2] == [("response", target), ("request", target)]
    assert page.page_record_id == records[1].headers["WARC-Record-ID"] and records[1].status == 200
    # Anything else the page loaded comes in response/request pairs, then the screenshots.
    rest = kinds[2:]
    while rest and rest[0][0] == "response":
        assert rest[1] == ("request", rest[0][1])
        rest = rest[2:]
    assert rest == [("resource", f"urn:screenshot:{target}"),
                    ("resource", f"urn:screenshot:element-0:{target}"),
                    ("resource", f"urn:screenshot:element-1:{target}"),
                    ("metadata", f"urn:capture-info:{target}")]
    # Each picture has an index key of its own, as replay tools index them (a fragment is dropped).
    from archiver.export.cdxj import cdxj_index

    (warc,) = (tmp_path / "warc").glob("*.warc.gz")
    with warc.open("rb") as f:
        lines = cdxj_index(f, warc.name).decode().splitlines()
    shot_keys = [line.split(" ", 1)[0] for line in lines if "urn:screenshot:" in line]
    assert len(shot_keys) == 3 and len(set(shot_keys)) == 3, shot_keys

    assert page.screenshot == shot and shot.is_file()
    assert page.screenshot_sha256 == hashlib.sha256(shot.read_bytes()).hexdigest()
    assert page.screenshot_record is not None and page.screenshot_record.target_uri == f"urn:screenshot:{target}"
    assert [(e.selector, e.index, e.text) for e in page.elements] == [(SELECTOR, 0, "Sandbags"),
                                                                     (SELECTOR, 1, "Road closed")]
    for n, element in enumerate(page.elements):
        assert element.path == shot.parent / f"page-element-{n:02d}.png" and element.path.is_file()
        assert element.sha256 == hashlib.sha256(element.path.read_bytes()).hexdigest()
        assert element.record is not None and element.frame_url is None

    info = info_fields(records[-1])
    assert info["browser"] == f"Chromium {who['browser']}" and info["user-agent"] == who["user-agent"]
    assert (info["url"], info["final-url"], info["status"], info["title"], info["login-wall"]) == (
        target, target, "200", "Flood warning", "false")


@pytest.mark.parametrize("kind", RENDERERS)
def test_a_page_that_does_not_load(kind: str, web: FakeWeb, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"

    async def body(renderer: Renderer, store: WarcStore) -> PageCapture:
        return await renderer.render(UNREACHABLE, Batch(store), screenshot_path=shot,
                                     element_selectors=[SELECTOR], element_dir=tmp_path)

    page = run(kind, web, tmp_path, body)
    assert page.status is None and page.page_record_id is None and page.screenshot is None
    assert any(e.startswith("page load: ") and "ERR_" in e for e in page.errors), page.errors
    assert page.elements == [] and not shot.exists()
    assert [(r.type, r.uri) for r in written(tmp_path)] == [("metadata", f"urn:capture-info:{UNREACHABLE}")]
    assert [r.target_uri for r in page.records] == [f"urn:capture-info:{UNREACHABLE}"]


@pytest.mark.parametrize("kind", RENDERERS)
def test_renders_in_flight_at_once_write_only_into_their_own_batch(kind: str, web: FakeWeb, tmp_path: Path) -> None:
    targets = [url(path) for path in PAGES]

    async def body(renderer: Renderer, store: WarcStore) -> list[tuple[PageCapture, Batch]]:
        batches = [Batch(store) for _ in targets]
        pages = await asyncio.gather(*(renderer.render(t, b, screenshot_path=None, element_selectors=[SELECTOR])
                                       for t, b in zip(targets, batches, strict=True)))
        if isinstance(renderer, FakeRenderer):
            assert renderer.most_in_flight == len(targets)
        return list(zip(pages, batches, strict=True))

    results: list[Any] = run(kind, web, tmp_path, body)
    for target, (page, batch) in zip(targets, results, strict=True):
        assert page.url == target and page.status == 200 and page.title == PAGES[page.url[len("https://news.example"):]][0]
        assert [r.record_id for r in batch.records] == [r.record_id for r in page.records]
        uris = [r.target_uri for r in batch.records]
        assert uris[:2] == [target, target] and uris[-1] == f"urn:capture-info:{target}"
        # Nothing of another page's: neither its document nor its screenshots or capture info.
        assert not any(other in u for u in uris for other in targets if other != target)
        notes = PAGES[target[len("https://news.example"):]][2]
        assert [e.text for e in page.elements] == list(notes)
    assert len({page.page_record_id for page, _ in results}) == len(targets)


def test_a_page_that_did_not_load_is_failed_by_its_cause_alone() -> None:
    from archiver.capture.renderer import PageCapture

    def capture(status: int | None, *errors: str) -> PageCapture:
        return PageCapture(url="https://m.example/@a/1", final_url="https://m.example/@a/1", status=status,
                           title=None, page_record_id=None, errors=list(errors))

    load = "page load: Page.goto: net::ERR_TUNNEL_CONNECTION_FAILED at https://m.example/@a/1"
    after = ["scrolling: Page.evaluate: Execution context was destroyed", "no screenshots: the page did not load"]
    failed = "request failed: GET https://m.example/@a/1: net::ERR_TUNNEL_CONNECTION_FAILED"
    assert capture(None, failed, load, *after).load_failure() == load
    refused = "refused: https://m.example/@a/1 resolves to a loopback address (127.0.0.1)"
    assert capture(None, refused, failed, load, *after).load_failure() == f"{refused}; {load}"
    assert capture(None, "something else").load_failure() == "something else"  # nothing better to say
    assert capture(200, failed).load_failure() is None  # the page loaded: its errors fail nothing
