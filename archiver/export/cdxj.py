"""CDXJ index lines for an exported WARC, as pywb and ReplayWeb.page look records up.

The lines are cdxj-indexer's own, run over the exported WARC as written: one line per response,
revisit, resource and metadata record (its default record types)

    <SURT key> <timestamp> {"url", "mime", "status", "digest", "length", "offset", "filename"}

with POST and PUT responses keyed with their request body folded in (`__wb_method=POST&...`, its
`--post-append`, which pywb's own indexer does too), so a replayed POST finds its response. An
answer to any other method but GET (HEAD above all, whose answer has no body) is keyed with its
method (`__wb_method=head`), as pywb asks for it when replaying such a request: cdxj-indexer keys it
as a GET, so that a replayed GET of the address could be given the bodiless HEAD answer. Lines
are sorted bytewise and de-duplicated, and carry no request header at all: cookies and
Authorization never reach the index.

The timestamp is cdxj-indexer's 14 digits (`YYYYmmddHHMMSS`, the WARC-Date to the second) followed,
when the record's WARC-Date has a fraction of a second, by its milliseconds (17 digits, the
fraction cut, not rounded, as a browser's `Date` reads it). ReplayWeb.page finds the original of a
revisit record as the first record of its URL at or after `WARC-Refers-To-Date`, to the millisecond:
an original indexed to the second only is before that instant, skipped, and a later capture of the
same URL (another answer) taken instead. Readers that work to the second read the first 14 digits
and ignore the rest (pywb, warcio's `timestamp_to_datetime`); ReplayWeb.page reads all 17. In the
bytewise order a line of 14 digits comes before one of the same second with 17, as its time does.
"""

from __future__ import annotations

import io
import json
from typing import IO

from cdxj_indexer import CDXJIndexer
from warcio.archiveiterator import ArchiveIterator

from ..times import warc_millis


def cdxj_index(warc: IO[bytes], filename: str) -> bytes:
    """The CDXJ index (UTF-8, one line per record, sorted bytewise) of the WARC read from `warc`.

    `filename` is the name the lines give the WARC, as a replay tool will find it.
    """
    out = io.StringIO()
    CDXJIndexer(out, warc, post_append=True, sort=True, filename=filename).process_all()
    lines = out.getvalue().splitlines(keepends=True)
    warc.seek(0)
    records = _records(warc)
    return "".join(sorted(_line(line, records) for line in lines)).encode("utf-8")


# Methods cdxj-indexer keys as they are meant: GET (plainly), POST and PUT (with their bodies).
_KEYED = frozenset({"GET", "POST", "PUT"})


class _Records:
    """What the lines need of each record, by its offset in the WARC."""

    def __init__(self) -> None:
        self.methods: dict[int, str] = {}  # response record -> its request's method, when not _KEYED
        self.millis: dict[int, str] = {}  # record -> the 3 digits of milliseconds of its WARC-Date


def _records(warc: IO[bytes]) -> _Records:
    """Each record's milliseconds, and the method of each response asked by another method than `_KEYED`."""
    found = _Records()
    by_id: dict[str, int] = {}
    asked: dict[str, str] = {}  # response record ID -> its request's method
    records = ArchiveIterator(warc, no_record_parse=False)
    for record in records:
        kind = record.rec_type
        offset = records.get_record_offset()
        if millis := warc_millis(record.rec_headers.get_header("WARC-Date") or ""):
            found.millis[offset] = millis
        if kind in ("response", "revisit"):
            by_id[record.rec_headers.get_header("WARC-Record-ID") or ""] = offset
        elif kind == "request" and record.http_headers is not None:
            method = (record.http_headers.protocol or "").upper()
            answered = record.rec_headers.get_header("WARC-Concurrent-To")
            if answered and method and method not in _KEYED:
                asked[answered] = method
    found.methods = {by_id[rid]: method for rid, method in asked.items() if rid in by_id}
    return found


def _line(line: str, records: _Records) -> str:
    """cdxj-indexer's `line` with its timestamp to the millisecond where the record's WARC-Date has
    them, and its key naming the request's method where that is not one cdxj-indexer keys."""
    try:
        key, stamp, text = line.rstrip("\n").split(" ", 2)
        fields = json.loads(text)
        offset = int(fields["offset"])
    except (ValueError, KeyError, TypeError):
        return line
    millis = records.millis.get(offset)
    method = records.methods.get(offset)
    if millis is None and method is None:
        return line
    if millis is not None and len(stamp) == 14:
        stamp += millis
    if method is None:
        return f"{key} {stamp} {text}\n"
    fields["method"] = method  # (as cdxj-indexer writes it for POST and PUT)
    return f"{key}{'&' if '?' in key else '?'}__wb_method={method.lower()} {stamp} {json.dumps(fields)}\n"
