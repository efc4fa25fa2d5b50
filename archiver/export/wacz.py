"""Packaging an export as WACZ 1.1.1 (webrecorder specs, wacz/1.1.1).

    archive/data.warc.gz       STORED: replay tools read records by offset straight from the zip
    indexes/index.cdx          CDXJ lines by cdxj-indexer (see cdxj.py), DEFLATED; or, when those
                               lines pass ZIPNUM_ABOVE bytes, a ZipNum index (see zipnum.py):
    indexes/index.idx            one line per block of 1024 CDXJ lines, DEFLATED
    indexes/index.cdx.gz         the blocks, gzip members back to back, STORED (read by offset)
    pages/pages.jsonl          header line, then one {id, url, ts, title, text} per page (URLs in
                               titles and text redacted); `text` is what replay tools' search reads:
                               the words the index gives the page, and the description an HTML page
                               declares of itself (an article's summary; see summary.py)
    datapackage.json           frictionless data package: every file with its sha256 and size
    datapackage-digest.json    sha256 of datapackage.json (+ its signature and timestamps when sealed)
    evidence/left-out.json     when records were left out (damaged, their WARC file missing): each one
                               by its WARC-Record-ID, with why (archiver/evidence/sidecar.py)

An export that is signed or timestamped (archiver/evidence/seal.py) adds its files before
datapackage.json, listed there like the others, and seals the digest once it is known.

The index is named `index.cdx` although it holds CDXJ: the spec allows any name in `indexes/`, and
pywb's `wb-manager add --unpack-wacz` only picks up `*.cdx` / `*.cdx.gz` there (a `.cdxj` file
makes it skip the whole bundle). ReplayWeb.page reads both names as CDXJ.

A small index is kept whole (a replay tool reads it at once, and its lines stay greppable); past
ZIPNUM_ABOVE a reader would have to fetch and parse megabytes before showing the first page, so
the index becomes ZipNum and only the small block index is read up front, as py-wacz does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver import __version__
from archiver.errors import ExportError
from archiver.evidence.sidecar import LEFT_OUT_PATH, left_out_bytes
from archiver.export.cdxj import cdxj_index
from archiver.export.source import Location
from archiver.export.summary import page_summaries
from archiver.export.warcfile import CountingWriter, ExportedRecord, Plan, WarcResult, write_export_warc
from archiver.export.zipnum import zipnum
from archiver.index.rows import PageRow
from archiver.redact import redact_text
from archiver.sources import is_url
from archiver.times import iso_precise, iso_seconds, parse_timestamp

log = logging.getLogger(__name__)

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"
WARC_PATH = "archive/" + WARC_NAME
INDEX_PATH = "indexes/index.cdx"
ZIPNUM_IDX_PATH = "indexes/index.idx"
ZIPNUM_DATA_PATH = "indexes/index.cdx.gz"
ZIPNUM_ABOVE = 1 << 20  # CDXJ bytes (1 MiB) past which the index is written as ZipNum
PAGES_PATH = "pages/pages.jsonl"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}

# (datapackage.json's bytes, its "sha256:<hex>") -> properties to add to datapackage-digest.json
Seal = Callable[[bytes, str], dict[str, Any]]


_RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z")


def rfc3339(value: str) -> str:
    """An ISO 8601 time as RFC 3339 UTC (`2021-11-08T10:00:00Z`); naive times are taken as UTC. A
    time written so already is kept as written (a page's `ts` is then its page record's `WARC-Date`
    exactly, as the bundle's WARC writes it)."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as e:
        raise ExportError(f"page time {value!r} is not an ISO 8601 date") from e
    return value if _RFC3339_UTC.fullmatch(value) else iso_precise(dt)


def pages_jsonl(pages: Iterable[PageRow]) -> bytes:
    """pages/pages.jsonl: the header line, then each page once (first occurrence wins)."""
    lines = [json.dumps(PAGES_HEADER)]
    seen: set[tuple[str, str]] = set()
    for page in pages:
        url, ts = page.url, rfc3339(page.ts)
        if (url, ts) in seen:
            continue
        seen.add((url, ts))
        entry: dict[str, Any] = {"id": hashlib.sha1(f"{ts} {url}".encode()).hexdigest()[:16],
                                 "url": url, "ts": ts}
        if page.title:
            # shown to people in replay tools' page lists: no credentials in URLs there (the
            # page's `url` stays as fetched, it is what replay looks up)
            entry["title"] = redact_text(page.title)
        if page.text:
            # ReplayWeb.page's page search matches words of `url`, `title` and `text`
            entry["text"] = redact_text(page.text)
        lines.append(json.dumps(entry, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def main_page(pages: Sequence[PageRow]) -> PageRow:
    """The page a replay tool opens the bundle on: the first web page (http or https) in the
    pages' order, which is the citing articles by URL, then each post's page in the selection's
    order; an article read from a file or stdin only when there is nothing else, since its `file:`
    URL names a path on the disk of whoever archived it, and opens nothing anyone else can see."""
    return next((p for p in pages if is_url(p.url)), pages[0])


def with_summary(page: PageRow, summary: str | None) -> PageRow:
    """`page` with the description it declares added to its searchable text (once)."""
    if not summary or summary in (page.text or "") or summary == page.title:
        return page
    return replace(page, text="\n".join(filter(None, [page.text, summary])))


# The package's own files beside those WACZ defines (the findings, the seal's files) are listed as
# `"type": "file"`: checked by their hash and size only. Frictionless (which `wacz validate` runs)
# would otherwise read a `.jsonl` as a table, guess each column's type from its first rows, and fail
# the bundle on the first row that differs (a YouTube post ID after a hundred numeric tweet IDs).
def _resource(path: str, data_hash: str, size: int) -> dict[str, Any]:
    return {"name": path.rsplit("/", 1)[-1].lower(), "path": path, "hash": "sha256:" + data_hash, "bytes": size}


PAGE_TYPES = ("response", "revisit", "resource")


def _at(url: str | None, when: str | None) -> tuple[str, float | str]:
    """A record's or a page's URL and time, the time as an instant (dates written with different
    precisions compare equal), or as written when it is none."""
    moment = parse_timestamp(when or "")
    return (url or "", moment.timestamp() if moment else (when or ""))


def _replayable(pages: Sequence[PageRow], entries: list[ExportedRecord], *, left_out: bool,
                lost: Sequence[Location] = ()) -> list[PageRow]:
    """The pages to list: each is named when it has no record in this export (it will not replay);
    when the export `left_out` records (damaged, or their WARC file missing), such a page, whose
    records were among them, is not listed either, as replay would show nothing of it. Nor is a
    page whose own record (its capture's page record, by its record ID when the page knows it, else
    its URL at its time) is among the records left out (`lost`), although the export holds its URL
    at other times (or holds the redirect that led to it): replay would open another capture of the
    URL (a live post) under this page's title (`deleted, captured ...`)."""
    replayable = {e.url for e in entries if e.rec_type in PAGE_TYPES}
    held = {_at(e.url, e.date) for e in entries if e.rec_type in PAGE_TYPES}
    gone = {_at(loc.target_uri, loc.date) for loc in lost if loc.warc_type in PAGE_TYPES}
    gone_ids = {loc.record_id for loc in lost if loc.record_id}
    kept = []
    for page in pages:
        if page.url in replayable:
            own_lost = (page.page_record_id in gone_ids if page.page_record_id
                        else _at(page.url, page.ts) in gone - held)
            if own_lost:
                log.warning("page %s at %s (%s) has no record left in this export, its own record being left out: "
                            "left out of %s, as replay would open another capture of that URL under its title",
                            page.url, page.ts, redact_text(page.title), PAGES_PATH)
            else:
                kept.append(page)
        elif left_out:
            log.warning("page %s has no record in this export: left out of %s, as it would not replay", page.url,
                        PAGES_PATH)
        else:
            log.warning("page %s has no record in this export: it will not replay", page.url)
            kept.append(page)
    return kept


def _zipinfo(path: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=datetime.now(UTC).timetuple()[:6])
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


def _index_files(cdxj: bytes) -> list[tuple[str, bytes, int]]:
    """(path, bytes, zip compression) of the index files for these CDXJ lines: plain or ZipNum."""
    if len(cdxj) <= ZIPNUM_ABOVE:
        return [(INDEX_PATH, cdxj, zipfile.ZIP_DEFLATED)]
    zn = zipnum(cdxj, ZIPNUM_DATA_PATH.rsplit("/", 1)[1])
    log.info("index of %d bytes written as ZipNum (%d blocks)", len(cdxj), zn.blocks)
    # the blocks are already gzip and are read by offset: STORED, as the WACZ spec asks of them
    return [(ZIPNUM_IDX_PATH, zn.idx, zipfile.ZIP_DEFLATED), (ZIPNUM_DATA_PATH, zn.cdx_gz, zipfile.ZIP_STORED)]


def write_wacz(dest: Path, archive_dir: Path, plan: Plan, pages: Sequence[PageRow], *,
               title: str, include_credentials: bool, extra_files: Mapping[str, bytes] | None = None,
               seal: Seal | None = None) -> WarcResult:
    """Write the whole WACZ to `dest` (a temporary path the caller renames)."""
    # zipfile refuses to grow a streamed entry past 2 GiB unless told up front
    big = sum(loc.length for loc in plan.locations) > (1 << 31) - (1 << 26)
    with zipfile.ZipFile(dest, "w", allowZip64=True) as zf:
        with zf.open(_zipinfo(WARC_PATH, zipfile.ZIP_STORED), "w", force_zip64=big) as raw:
            result = write_export_warc(CountingWriter(raw), archive_dir, plan, filename=WARC_NAME,
                                       title=title, include_credentials=include_credentials)
        with zf.open(WARC_PATH) as warc:  # read back as written, the way a replay tool will
            index = cdxj_index(warc, WARC_NAME)
        pages = _replayable(pages, result.entries, left_out=bool(plan.left_out), lost=plan.lost)
        result.pages = len(pages)
        if pages:
            summaries = page_summaries(archive_dir, result.entries, [p.url for p in pages])
            pages = [with_summary(p, summaries.get(p.url)) for p in pages]
        index_files = _index_files(index)
        for path, data, compress in index_files:
            zf.writestr(_zipinfo(path, compress), data)
        page_bytes = pages_jsonl(pages)
        zf.writestr(_zipinfo(PAGES_PATH, zipfile.ZIP_DEFLATED), page_bytes)
        extras = dict(extra_files or {})
        if plan.left_out_records:  # what verify must know to tell them from records taken out
            extras[LEFT_OUT_PATH] = left_out_bytes(plan.left_out_records)
        for path, data in extras.items():
            zf.writestr(_zipinfo(path, zipfile.ZIP_DEFLATED), data)

        # the time the package is sealed: a signature's `created` is this one, and must come shortly
        # before its timestamp (the signing spec's verifiers allow minutes, an export may take longer)
        created = iso_seconds()
        package: dict[str, Any] = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": title,
            "description": (f"{result.records} WARC records exported by archiver; credential headers "
                            + ("kept." if include_credentials
                               else "(cookies, Authorization, tokens, keys, sessions) removed; addresses kept "
                                    "as captured, for replay.")),
            "created": created,
            "software": f"archiver {__version__}",
            "resources": [
                _resource(WARC_PATH, result.sha256, result.size),
                *(_resource(path, hashlib.sha256(data).hexdigest(), len(data)) for path, data, _ in index_files),
                _resource(PAGES_PATH, hashlib.sha256(page_bytes).hexdigest(), len(page_bytes)),
                *({**_resource(path, hashlib.sha256(data).hexdigest(), len(data)), "type": "file"}
                  for path, data in extras.items()),
            ],
        }
        # ReplayWeb.page names a bundle by the package's `metadata` (title, desc), else by its file name
        package["metadata"] = {"title": title, "desc": package["description"]}
        if pages:
            main = main_page(pages)
            package["mainPageUrl"] = main.url
            package["mainPageDate"] = rfc3339(main.ts)
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        zf.writestr(_zipinfo("datapackage.json", zipfile.ZIP_DEFLATED), package_bytes)
        digest: dict[str, Any] = {"path": "datapackage.json",
                                  "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        if seal is not None:
            digest.update(seal(package_bytes, digest["hash"]))
        zf.writestr(_zipinfo("datapackage-digest.json", zipfile.ZIP_DEFLATED),
                    json.dumps(digest, indent=2).encode("utf-8"))
    return result
