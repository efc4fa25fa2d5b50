"""What an exported page says of itself: the description an HTML page declares in its `<head>`.

A news article carries its summary in `<meta name="description">` or `<meta property="og:description">`;
pages.jsonl gives it to replay tools' page search beside the title. Read from the exported WARC
itself (the response record of the page's URL), so the words are those of the archived page.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections.abc import Iterable
from typing import IO, Protocol

from selectolax.lexbor import LexborHTMLParser
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArchiveLoadFailed

from archiver.export.warcfile import ExportedRecord

log = logging.getLogger(__name__)

MAX_HTML = 1 << 20  # the head is at the top: a larger page is read up to here
SUMMARY_CHARS = 1000
_PROPS = ("description", "og:description", "twitter:description")
_BODY_RE = re.compile(rb"<body", re.IGNORECASE)
_CHUNK = 64 * 1024


def html_description(html: bytes) -> str | None:
    """The page's declared description (the first of description, og:, twitter:), whitespace folded.

    Only the head is parsed, and only when it holds the word: every name looked for contains
    "description", and the selectors match attribute values as written (a name spelt with
    character references, `&#100;escription`, is not read).
    """
    # the meta tags are in the head: parse only that, whatever the body holds (nesting, size)
    end = _BODY_RE.search(html)
    head = html[:end.start()] if end is not None else html
    if b"description" not in head:
        return None  # no description named: nothing to parse
    tree = LexborHTMLParser(head)
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


def page_summaries(warc: IO[bytes], entries: Iterable[ExportedRecord], urls: Iterable[str]) -> dict[str, str]:
    """URL -> declared description, for each of `urls` whose first response in the export is HTML
    with one. `warc` is the exported WARC; `entries` say where each record landed. The records are
    read in file order, seeking forward only (a zip member seeks backward by reading from its start)."""
    wanted = set(urls)
    first: dict[str, ExportedRecord] = {}
    for entry in entries:
        if entry.rec_type == "response" and entry.url in wanted and entry.url not in first:
            first[entry.url] = entry
    found: dict[str, str] = {}
    for entry in sorted(first.values(), key=lambda e: e.offset):
        try:
            warc.seek(entry.offset)
            record = next(iter(ArchiveIterator(io.BytesIO(warc.read(entry.length)))))
            ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
            if "html" in ctype.lower() and (text := html_description(_head(record.content_stream()))):
                found[entry.url] = text
        except (OSError, ValueError, EOFError, StopIteration, zlib.error, ArchiveLoadFailed) as e:
            # a page without a summary is still a page: never fail the export for it
            log.debug("no summary read for %s: %s", entry.url, e)
    return found
