"""Plain records passed between the recorders and the WARC store: an exchange in, where it was stored out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The reasons WARC 1.1 gives for WARC-Truncated: over a configured maximum length, over a configured
# maximum time, a network disconnect, other or unknown.
TRUNCATED_REASONS = ("length", "time", "disconnect", "unspecified")

# The longest WARC header (from `WARC/1.1` to the blank line that ends it) a reader takes in before
# it calls the record damaged. The headers that can be long hold URLs: Chromium requests URLs of up
# to 2 MiB (its url::kMaxURLChars) and a revisit record carries two (WARC-Target-URI and
# WARC-Refers-To-Target-URI); the other fields are short. 16 MiB is four times what this tool can
# write, and bounds what a hostile file can make a reader hold.
MAX_WARC_HEAD = 16 * 1024 * 1024
# The most fields a WARC header may have before a reader calls the record damaged. This tool writes
# some twenty; WARC 1.1 defines fewer than forty. A header of millions of short lines within
# MAX_WARC_HEAD is read line by line (by warcio too), some 2.4 s for each 10 MB of them.
MAX_WARC_FIELDS = 1000


@dataclass
class Exchange:
    """One HTTP request and its response, as seen by the browser or the HTTP client.

    `body` is the payload as received by the caller: when `decoded` is true it has already been
    un-gzipped / de-chunked, and the WARC writer renames Content-Encoding, Transfer-Encoding and
    Content-Length to X-Archive-Orig-* and sets Content-Length to len(body) (docs/warc.md).

    `truncated` is set when `body` is known to be less than the body the server sent (a connection
    that broke mid-body, a body the browser no longer had): the WARC-Truncated reason of the
    response record, one of TRUNCATED_REASONS (docs/warc.md, "Truncated responses").
    """

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    request_body: bytes | None = None
    reason: str | None = None
    protocol: str | None = None  # "http/1.1", "h2", "h3" ... goes to WARC-Protocol
    ip: str | None = None  # server address, goes to WARC-IP-Address
    date: datetime | None = None  # when the response arrived (UTC)
    decoded: bool = True
    page_id: str | None = None  # the WARC-Record-ID of the page/capture this exchange belongs to, if any
    truncated: str | None = None  # WARC-Truncated reason: the body is not all the server sent


@dataclass
class RecordInfo:
    """Where one complete WARC record lives; enough to pull it back out with `warcio extract`."""

    record_id: str
    warc_type: str
    target_uri: str
    date: str  # WARC-Date, ISO 8601 UTC
    filename: str  # relative to the archive's warc directory
    offset: int
    length: int  # compressed length of the gzip member
    status: int | None = None
    mime: str | None = None
    payload_digest: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    block_digest: str | None = None  # WARC-Block-Digest: what a capture's timestamp covers

