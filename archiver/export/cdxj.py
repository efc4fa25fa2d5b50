"""CDXJ index lines for an exported WARC, as pywb and ReplayWeb.page look records up.

The lines are cdxj-indexer's own, run over the exported WARC as written: one line per response,
revisit, resource and metadata record (its default record types)

    <SURT key> <14-digit timestamp> {"url", "mime", "status", "digest", "length", "offset", "filename"}

with POST and PUT responses keyed with their request body folded in (`__wb_method=POST&...`, its
`--post-append`, which pywb's own indexer does too), so a replayed POST finds its response. An
answer to any other method but GET (HEAD above all, whose answer has no body) is keyed with its
method (`__wb_method=head`), as pywb asks for it when replaying such a request: cdxj-indexer keys it
as a GET, so that a replayed GET of the address could be given the bodiless HEAD answer. Lines
are sorted bytewise and de-duplicated, and carry no request header at all: cookies and
Authorization never reach the index.
"""

from __future__ import annotations

import io
import json
from typing import IO

from cdxj_indexer import CDXJIndexer
from warcio.archiveiterator import ArchiveIterator


def cdxj_index(warc: IO[bytes], filename: str) -> bytes:
    """The CDXJ index (UTF-8, one line per record, sorted bytewise) of the WARC read from `warc`.

    `filename` is the name the lines give the WARC, as a replay tool will find it.
    """
    out = io.StringIO()
    CDXJIndexer(out, warc, post_append=True, sort=True, filename=filename).process_all()
    lines = out.getvalue().splitlines(keepends=True)
    warc.seek(0)
    methods = _other_methods(warc)
    if methods:
        lines = sorted(_with_method(line, methods) for line in lines)
    return "".join(lines).encode("utf-8")


# Methods cdxj-indexer keys as they are meant: GET (plainly), POST and PUT (with their bodies).
_KEYED = frozenset({"GET", "POST", "PUT"})


def _other_methods(warc: IO[bytes]) -> dict[int, str]:
    """Offset of each response record whose request used another method than `_KEYED` -> that method."""
    by_id: dict[str, int] = {}
    asked: dict[str, str] = {}  # response record ID -> its request's method
    records = ArchiveIterator(warc, no_record_parse=False)
    for record in records:
        kind = record.rec_type
        if kind in ("response", "revisit"):
            by_id[record.rec_headers.get_header("WARC-Record-ID") or ""] = records.get_record_offset()
        elif kind == "request" and record.http_headers is not None:
            method = (record.http_headers.protocol or "").upper()
            answered = record.rec_headers.get_header("WARC-Concurrent-To")
            if answered and method and method not in _KEYED:
                asked[answered] = method
    return {by_id[rid]: method for rid, method in asked.items() if rid in by_id}


def _with_method(line: str, methods: dict[int, str]) -> str:
    """The CDXJ `line` with its key naming the request's method, when `methods` has its offset."""
    try:
        key, stamp, text = line.rstrip("\n").split(" ", 2)
        fields = json.loads(text)
        method = methods.get(int(fields["offset"]))
    except (ValueError, KeyError, TypeError):
        return line
    if method is None:
        return line
    fields["method"] = method  # (as cdxj-indexer writes it for POST and PUT)
    return f"{key}{'&' if '?' in key else '?'}__wb_method={method.lower()} {stamp} {json.dumps(fields)}\n"
