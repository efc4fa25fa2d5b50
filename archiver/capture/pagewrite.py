"""Writing one rendered page into its capture's batch: exchanges, screenshots, capture info.

The order is part of the archive's shape: the page's own document (and the redirect hops that led
to it) first, so every other exchange can name the page record it belongs to; then the other
exchanges, the full-page screenshot, the element screenshots, and the capture-info record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver import __version__
from archiver.capture.pagesteps import LOCALE, TIMEZONE, Shots, is_http, sha256
from archiver.capture.renderer import ElementShot, PageCapture
from archiver.capture.traffic import Recorded, page_document, redirect_chain
from archiver.modes import write_file
from archiver.redact import redact_text
from archiver.warcstore import RecordInfo

if TYPE_CHECKING:
    from playwright.async_api import Request

    from archiver.warcstore import Batch


@dataclass
class Provenance:
    """What every capture-info record says about the browser that rendered the page."""

    browser_version: str
    user_agent: str
    sealed: bool | None  # the network policy let nothing reach the internet (None: unknown)


def write_page(result: PageCapture, recorded: list[Recorded], batch: Batch, full_png: bytes | None,
               screenshot_path: Path | None, shots: Shots, *, address: Callable[[str], str | None],
               provenance: Provenance, downloaded: Collection[Request] = ()) -> None:
    """Write what was rendered into `batch`; each record also goes to `result.records`.

    `address(url)` is the server address the gate connected to for that URL; `downloaded`, the
    page's own navigations the browser made downloads, none of which is the page's document.
    """
    def keep(info: RecordInfo) -> RecordInfo:
        result.records.append(info)
        return info

    for rec in recorded:
        # The browser's peer is the gate; the server's address is what the gate connected to.
        rec.exchange.ip = address(rec.exchange.url)
    main = page_document(recorded, downloaded)
    chain = redirect_chain(recorded, main)
    for rec in chain:
        request_info, response_info = batch.write_exchange(rec.exchange)
        keep(request_info)
        keep(response_info)
        if rec is main:
            result.page_record_id = response_info.record_id
    if main is not None and result.status is None:
        result.status = main.exchange.status
    chained = {id(r) for r in chain}
    for rec in recorded:
        if id(rec) in chained:
            continue
        rec.exchange.page_id = result.page_record_id
        request_info, response_info = batch.write_exchange(rec.exchange)
        keep(request_info)
        keep(response_info)

    if full_png is not None and screenshot_path is not None:
        write_file(screenshot_path, full_png)
        result.screenshot = screenshot_path
        result.screenshot_sha256 = sha256(full_png)
        result.screenshot_record = keep(batch.write_resource(
            f"urn:screenshot:{result.url}", "image/png", full_png,
            concurrent_to=result.page_record_id))
    for n, (shot, png) in enumerate(shots):
        if shot.path is not None:
            write_file(shot.path, png)
        # Not `<page URL>#element-N`: indexers (cdxj-indexer, pywb) drop a fragment, which made each
        # element's picture one key with the full page's, and replay served the full page for it.
        uri = (f"urn:screenshot:{shot.frame_url}" if is_http(shot.frame_url)
               else f"urn:screenshot:element-{n}:{result.url}")
        shot.record = keep(batch.write_resource(uri, "image/png", png,
                                                concurrent_to=result.page_record_id))
        result.elements.append(shot)

    keep(batch.write_metadata(f"urn:capture-info:{result.url}", capture_info(result, provenance),
                              concurrent_to=result.page_record_id))


def capture_info(result: PageCapture, provenance: Provenance) -> dict[str, str]:
    """The fields of the capture-info record: who rendered what, how it went, how long it took."""
    fields = {
        "software": f"archiver/{__version__}",
        "browser": f"Chromium {provenance.browser_version}",
        "user-agent": provenance.user_agent,
        # The zone and locale the page's scripts saw: the times an embed prints are in this zone.
        "timezone": TIMEZONE,
        "locale": LOCALE,
        "url": result.url,
        "final-url": result.final_url,
        "status": "" if result.status is None else str(result.status),
        "title": result.title or "",
        "login-wall": "true" if result.login_wall else "false",
        "timings": json.dumps({k: round(v, 3) for k, v in result.timings.items()}),
        # Our own words on what went wrong: the URLs in them without credentials or secret
        # parameters (the requests themselves are recorded as made, in their own records).
        "errors": json.dumps([redact_text(e) for e in result.errors], ensure_ascii=False),
        "frames": json.dumps([f.url for f in result.frames]),
        # Each element screenshot: its record, what matched it, and the element's text as read
        # when it was shot (an iframe's document text), so the picture can be told by its words.
        "elements": json.dumps([element_info(shot) for shot in result.elements], ensure_ascii=False),
    }
    if provenance.sealed is not None:
        fields["network-sealed"] = "true" if provenance.sealed else "false"
    return fields


def element_info(shot: ElementShot) -> dict[str, Any]:
    """One element screenshot as the capture-info record names it; `box` ([width, height] in CSS
    pixels) times `scale` (the device pixel ratio) is the picture's pixel size."""
    return {"record": shot.record.record_id if shot.record is not None else None,
            "selector": shot.selector, "index": shot.index, "sha256": shot.sha256,
            "frame-url": shot.frame_url, "text": shot.text,
            "box": list(shot.box) if shot.box is not None else None, "scale": shot.scale}
