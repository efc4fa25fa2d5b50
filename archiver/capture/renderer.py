"""What rendering a page yields, and the `Renderer` protocol that yields it.

A renderer loads one URL in a browser, writes the page's traffic, its screenshots and a
capture-info record into the capture's `Batch`, and returns a `PageCapture`. Renderers are
asynchronous so that one browser can keep several pages in flight: each `render()` call gets a
context of its own, and nothing about one page (its recorder, its CDP sessions, its records) is
shared with another. `archiver.capture.chromium_render.ChromiumRenderer` drives a real Chromium;
`archiver.capture.browser.Browser` runs it for synchronous callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from archiver.warcstore import RecordInfo

if TYPE_CHECKING:
    from archiver.warcstore import Batch


# How a capture says its page's renderer crashed (Chromium's renderer process died), ending it; and
# an out-of-process (cross-site) iframe's, which ends it too (the browser's driver gives the page up).
RENDERER_CRASHED = "the page's renderer crashed"
EMBED_CRASHED = "an embedded frame's renderer crashed"


@dataclass
class FrameInfo:
    """One frame of the captured page (the main frame first) and its visible text."""

    url: str
    name: str
    text: str


@dataclass
class ElementShot:
    """A screenshot of one element matched by one of the requested selectors."""

    selector: str
    index: int  # position among this selector's matches
    path: Path | None
    sha256: str
    record: RecordInfo | None
    frame_url: str | None  # for an iframe: the URL of the document it shows
    text: str  # the iframe's body text, or the element's own text
    # The element's box in CSS pixels and the page's device scale when it was shot: the picture's
    # pixel size is the box times the scale (None: not measured).
    box: tuple[float, float] | None = None
    scale: float | None = None


@dataclass
class PageCapture:
    """Everything one capture produced: files, WARC records, the rendered text, and problems."""

    url: str
    final_url: str
    status: int | None
    title: str | None
    page_record_id: str | None  # record id of the main document's response record
    screenshot: Path | None = None
    screenshot_sha256: str | None = None
    screenshot_record: RecordInfo | None = None
    elements: list[ElementShot] = field(default_factory=list)
    html: str | None = None  # final DOM (page.content())
    frames: list[FrameInfo] = field(default_factory=list)
    records: list[RecordInfo] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Seconds: open (context, page, recorder; opened ahead, usually ~0), load, settle, screenshots,
    # collect (DOM, frame texts, bodies), write, total.
    timings: dict[str, float] = field(default_factory=dict)
    login_wall: bool = False
    # The address the page went to by itself after it loaded (a script's or a meta refresh's
    # redirect): what was shown and read after that is that page's, not `url`'s. None: it stayed.
    left_for: str | None = None
    # The address downloaded when the page's address itself was a file to save (the load's own
    # navigation became a download: `Content-Disposition: attachment`, a type no page is): nothing
    # of it was shown. None: it was a page.
    file_to_save: str | None = None
    # Why the capture stopped before its steps were done (its deadline passed): what was complete is kept.
    cut_short: str | None = None
    # Bodies a byte cap (--max-bytes, --max-capture-bytes) left out of the capture: (URL, why).
    left_out: list[tuple[str, str]] = field(default_factory=list)

    def load_failure(self) -> str | None:
        """Why the page did not load (`status` None), in the errors that say so: a request the
        network policy refused, the load's own error. What followed from it (no screenshots, a
        scroll through a page that was gone, the page's other requests failing) is left out; it
        stays in the capture-info record. A page that loaded but whose own document a byte cap left
        out is no capture of it either: that is named. None when the page loaded and was recorded."""
        if self.status is not None or not self.errors:
            return self.document_left_out()
        causes = [e for e in self.errors if e.startswith(("refused:", "page load:"))]
        return "; ".join(causes or self.errors)


    def document_left_out(self) -> str | None:
        """Why the page's own document was not recorded, when a byte cap left it out."""
        if self.page_record_id is not None:
            return None
        for url, why in self.left_out:
            if url in (self.url, self.final_url):
                return f"its document {url} was not recorded: {why}"
        return None

    def bodies_left_out(self) -> str | None:
        """The other bodies a byte cap left out of the capture (its images, scripts, frames...),
        counted by the cap they broke, the first named; None when none was."""
        document = self.document_left_out() is not None
        others = [(url, why) for url, why in self.left_out if not (document and url in (self.url, self.final_url))]
        if not others:
            return None
        caps: dict[str, int] = {}
        for _url, why in others:
            cap = why[why.find("--max-"):] if "--max-" in why else why
            caps[cap] = caps.get(cap, 0) + 1
        counted = ", ".join(f"{n} over {cap}" for cap, n in caps.items())
        url, why = others[0]
        return (f"{len(others)} bod{'y' if len(others) == 1 else 'ies'} of the page left out, not recorded "
                f"({counted}); the first: {url}: {why}")


class Renderer(Protocol):
    """Renders pages into WARC records; several `render()` calls may be in flight at once.

    `browser_version` and `user_agent` are what the capture-info records and the WARC headers
    name. Close with `await r.aclose()` or `async with`.
    """

    browser_version: str
    user_agent: str

    async def render(self, url: str, batch: Batch, *, screenshot_path: Path | None,
                     element_selectors: Sequence[str] = (), element_dir: Path | None = None,
                     settle_ms: int = 1500, wait_for: str | None = None) -> PageCapture:
        """Load `url`, write its traffic, screenshots and capture info into `batch`.

        A page that fails to load still yields a PageCapture (status None, errors filled) with
        whatever was recorded; only a dead browser raises BrowserError. `result.records` are the
        records this call wrote, in order (the batch may hold others written before).
        """
        ...

    async def aclose(self) -> None:
        """Release the browser; safe to call twice."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...
