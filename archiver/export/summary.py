"""What an exported page says of itself: the description an HTML page declares in its `<head>`.

A news article carries its summary in `<meta name="description">` or `<meta property="og:description">`;
pages.jsonl gives it to replay tools' page search beside the title. Read from the archive's own
record of what was exported as the page's response, so the words are those of the archived page
(an export copies payloads byte for byte; only credential headers may be left out), read in the
archive's WARC files, which seek at once, rather than back through the package being written.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from selectolax.lexbor import LexborHTMLParser
from warcio.recordloader import ArchiveLoadFailed

from archiver.detect.depth import cap_attributes
from archiver.errors import ExportError
from archiver.export.source import Location, parse_member
from archiver.export.warcfile import ExportedRecord
from archiver.layout import WARC_DIR
from archiver.warcstore.files import warc_path

log = logging.getLogger(__name__)

MAX_HTML = 1 << 20  # the head is at the top: a larger page is read up to here
SUMMARY_CHARS = 1000
_PROPS = ("description", "og:description", "twitter:description")
_BODY_RE = re.compile(rb"<body", re.IGNORECASE)
_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_CHUNK = 64 * 1024


def html_description(html: bytes, charset: str | None = None) -> str | None:
    """The page's declared description (the first of description, og:, twitter:), whitespace folded.

    Only the head is parsed, and only when it holds the word: every name looked for contains
    "description", and the selectors match attribute values as written (a name spelt with
    character references, `&#100;escription`, is not read). The bytes are read in the charset the
    response declared (`charset`), else as an article read from the web is (`sources.decode`:
    UTF-8, else the page's `<meta charset>`, else windows-1252).
    """
    from archiver.sources import decode

    # the meta tags are in the head: parse only that, whatever the body holds (nesting, size)
    end = _BODY_RE.search(html)
    head = html[:end.start()] if end is not None else html
    if b"description" not in head:
        return None  # no description named: nothing to parse
    # A tag of very many attributes costs the parser their square: held to the detector's cap.
    tree = LexborHTMLParser(cap_attributes(decode(head, charset)))
    for prop in _PROPS:
        node = tree.css_first(f'meta[name="{prop}"]') or tree.css_first(f'meta[property="{prop}"]')
        value = node.attributes.get("content") if node is not None else None
        if isinstance(value, str) and (text := " ".join(value.split())):
            return text[:SUMMARY_CHARS]
    return None


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _head(stream: _Readable) -> bytes:
    """A document read up to its `<body` tag (at most MAX_HTML bytes): the rest is not decompressed."""
    data = b""
    while len(data) < MAX_HTML:
        chunk = stream.read(min(_CHUNK, MAX_HTML - len(data)))
        if not chunk:
            break
        data += chunk
        if _BODY_RE.search(data, max(0, len(data) - len(chunk) - 4)) is not None:
            break
    return data


def page_summaries(archive_dir: Path, entries: Iterable[ExportedRecord], urls: Iterable[str]) -> dict[str, str]:
    """URL -> declared description, for each of `urls` whose first response in the export is HTML
    with one. `entries` are the exported records in export order, each naming the archive's record
    it was copied from; only each page's head is decompressed, in file order, each file opened once."""
    wanted = set(urls)
    first: dict[str, Location] = {}
    for entry in entries:
        if entry.rec_type == "response" and entry.url in wanted and entry.url not in first and entry.source:
            first[entry.url] = entry.source
    by_file: dict[str, list[tuple[Location, str]]] = {}
    for url, loc in first.items():
        by_file.setdefault(loc.filename, []).append((loc, url))
    found: dict[str, str] = {}
    for filename, locs in sorted(by_file.items()):
        try:
            fh = warc_path(archive_dir / WARC_DIR, filename).open("rb")
        except OSError as e:
            log.debug("no summary read from %s: %s", filename, e)
            continue
        with fh:
            for loc, url in sorted(locs, key=lambda pair: pair[0].offset):
                try:
                    record = parse_member(fh, loc)
                    ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
                    charset = m.group(1) if (m := _CHARSET_RE.search(ctype)) else None
                    if "html" in ctype.lower() and (text := html_description(_head(record.content_stream()), charset)):
                        found[url] = text
                except (OSError, ValueError, EOFError, zlib.error, ArchiveLoadFailed, ExportError) as e:
                    # a page without a summary is still a page: never fail the export for it
                    log.debug("no summary read for %s: %s", url, e)
    return found
