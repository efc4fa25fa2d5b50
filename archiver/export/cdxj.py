"""CDXJ index lines for an exported WARC, as pywb and ReplayWeb.page look records up.

The lines are cdxj-indexer's own, run over the exported WARC as written: one line per response,
revisit, resource and metadata record (its default record types)

    <SURT key> <14-digit timestamp> {"url", "mime", "status", "digest", "length", "offset", "filename"}

with POST and PUT responses keyed with their request body folded in (`__wb_method=POST&...`, its
`--post-append`, which pywb's own indexer does too), so a replayed POST finds its response. Lines
are sorted bytewise and de-duplicated, and carry no request header at all: cookies and
Authorization never reach the index.
"""

from __future__ import annotations

import io
from typing import IO

from cdxj_indexer import CDXJIndexer


def cdxj_index(warc: IO[bytes], filename: str) -> bytes:
    """The CDXJ index (UTF-8, one line per record, sorted bytewise) of the WARC read from `warc`.

    `filename` is the name the lines give the WARC, as a replay tool will find it.
    """
    out = io.StringIO()
    CDXJIndexer(out, warc, post_append=True, sort=True, filename=filename).process_all()
    return out.getvalue().encode("utf-8")
