"""A `Renderer` without Chromium, for tests of decisions made on what a render returned.

`FakeRenderer(pages)` answers each URL from a table of `FakePage`s: status, title, login wall,
errors, the document's body and the elements a selector matches. It writes the same kinds of
records, in the same order, through the same writer as the Chromium renderer
(archiver.capture.pagewrite): the page's request and response, a full-page screenshot resource,
one resource per element screenshot, and the capture-info metadata record. A URL missing from
the table renders like an unreachable page: no status, a "page load" error, no screenshot, only
the capture-info record. tests/test_renderer.py runs one contract against both renderers so that
this fake cannot drift from the real one.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.capture.pagesteps import sha256
from archiver.capture.pagewrite import Provenance, write_page
from archiver.capture.renderer import ElementShot, FrameInfo, PageCapture
from archiver.capture.traffic import Recorded
from archiver.errors import BrowserError
from archiver.resource import AsyncClosing
from archiver.warcstore import Exchange

if TYPE_CHECKING:
    from archiver.warcstore import Batch

FAKE_VERSION = "0.0.0.0-fake"
FAKE_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) FakeRenderer/0.0"


@dataclass
class FakePage:
    """What rendering one URL yields. `status` None: the page did not load (no screenshot)."""

    status: int | None = 200
    title: str | None = None
    login_wall: bool = False
    errors: Sequence[str] = ()
    body: bytes = b"<!doctype html><title>Fake</title><p>A fake page.</p>"
    final_url: str | None = None  # where the page ended up, if not at the URL asked for
    text: str = "A fake page."  # the main frame's visible text
    elements: Mapping[str, Sequence[str]] = field(default_factory=dict)  # selector -> texts of its matches
    delay: float = 0.0  # seconds the render takes (other renders run meanwhile)
    # The page stopped answering (a busy loop) and its capture was cut at the deadline: said so in
    # `errors` and `cut_short`, as the Chromium renderer says it.
    cut_short: str | None = None


def png(width: int = 1, height: int = 1, shade: int = 0) -> bytes:
    """A small grey PNG; `shade` makes different screenshots differ."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([shade % 256]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


class FakeRenderer(AsyncClosing):
    """Renders from a table of pages; `rendered` lists the URLs asked for, in order."""

    def __init__(self, pages: Mapping[str, FakePage], *, browser_version: str = FAKE_VERSION,
                 user_agent: str = FAKE_USER_AGENT) -> None:
        self.pages = dict(pages)
        self.browser_version = browser_version
        self.user_agent = user_agent
        self.rendered: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0  # the largest number of renders that were running at once
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True

    async def render(self, url: str, batch: Batch, *, screenshot_path: Path | None,
                     element_selectors: Sequence[str] = (), element_dir: Path | None = None,
                     settle_ms: int = 1500, wait_for: str | None = None) -> PageCapture:
        if self.closed:
            raise BrowserError("the browser is closed")
        self.rendered.append(url)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.pages[url].delay if url in self.pages else 0)
        finally:
            self.in_flight -= 1
        page = self.pages.get(url)
        result = PageCapture(url=url, final_url=url, status=None, title=None, page_record_id=None)
        result.timings = {"load": 0.0, "settle": 0.0, "screenshots": 0.0, "collect": 0.0}
        if page is None:
            result.errors.append(f"page load: net::ERR_NAME_NOT_RESOLVED at {url}")
            write_page(result, [], batch, None, screenshot_path, [], address=lambda _u: None,
                       provenance=Provenance(self.browser_version, self.user_agent, None))
            result.timings.update(write=0.0, total=0.0)
            return result
        result.final_url = page.final_url or url
        result.title = page.title
        result.login_wall = page.login_wall
        result.errors.extend(page.errors)
        if page.cut_short is not None:
            result.errors.append(page.cut_short)
            result.cut_short = page.cut_short
        result.html = page.body.decode("utf-8", "replace")
        result.frames.append(FrameInfo(url=result.final_url, name="", text=page.text))
        recorded: list[Recorded] = []
        if page.status is not None:
            recorded.append(Recorded(self._exchange(result.final_url, page), result.final_url,
                                     main_frame=True, is_document=True, is_redirect=False))
        full_png = png(4, 4) if screenshot_path is not None and page.status is not None else None
        shots: list[tuple[ElementShot, bytes]] = []
        prefix = f"{screenshot_path.stem}-" if screenshot_path is not None else ""
        for selector in element_selectors if page.status is not None else ():
            for index, text in enumerate(page.elements.get(selector, ())):
                data = png(2, 2, shade=len(shots) + 1)
                path = element_dir / f"{prefix}element-{len(shots):02d}.png" if element_dir is not None else None
                shots.append((ElementShot(selector, index, path, sha256(data), None, None, text), data))
        write_page(result, recorded, batch, full_png, screenshot_path, shots, address=lambda _u: None,
                   provenance=Provenance(self.browser_version, self.user_agent, None))
        result.timings.update(write=0.0, total=0.0)
        return result

    def _exchange(self, url: str, page: FakePage) -> Exchange:
        assert page.status is not None
        return Exchange(
            url=url, method="GET",
            request_headers=[("Host", url.split("/")[2]), ("User-Agent", self.user_agent)],
            status=page.status,
            response_headers=[("Content-Type", "text/html; charset=utf-8")],
            body=page.body, reason=None, protocol="http/1.1",
            date=datetime(2024, 1, 1, tzinfo=UTC))

