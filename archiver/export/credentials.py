"""Which HTTP headers carry credentials, and how a record is re-serialized without them.

Browser captures record the session's cookies and any Authorization header in request records, and
servers' Set-Cookie in responses. An export is meant to be shared, so by default those
headers are removed: the record is rewritten through warcio, which recomputes the block digest and
Content-Length (the payload, and so its digest, is unchanged).
"""

from __future__ import annotations

from typing import IO

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# x-csrf-token repeats the ct0 session cookie on x.com; x-guest-token is a session token too.
REQUEST_CREDENTIALS = ("cookie", "authorization", "proxy-authorization", "x-csrf-token", "x-guest-token")
RESPONSE_CREDENTIALS = ("set-cookie", "set-cookie2")

# The capture renames some headers with this prefix; a renamed credential is still a credential.
_ORIG_PREFIX = "x-archive-orig-"

# Marks a record that is not byte-identical to the one in the archive (same ID, headers removed).
REDACTED_FIELD = "WARC-Archiver-Removed-Headers"


def _bare(name: str) -> str:
    name = name.lower()
    return name.removeprefix(_ORIG_PREFIX)


def credential_headers(rec_type: str, http_headers: StatusAndHeaders | None) -> list[str]:
    """Names of the credential headers present in a record's HTTP headers, as spelled there."""
    if http_headers is None:
        return []
    watched: tuple[str, ...]
    if rec_type == "request":
        watched = REQUEST_CREDENTIALS
    elif rec_type in ("response", "revisit"):
        watched = RESPONSE_CREDENTIALS
    else:
        return []
    return [name for name, _ in http_headers.headers if _bare(name) in watched]


def reserialize(writer: WARCWriter, record: ArcWarcRecord, payload: IO[bytes], length: int,
                drop: list[str]) -> StatusAndHeaders:
    """Write `record` with `payload` through `writer`, minus the HTTP headers named in `drop`.

    The WARC-Record-ID is kept so request/response links still hold; a record that lost headers says
    which in REDACTED_FIELD. Returns the WARC headers as written (digests included).
    """
    rec_headers = record.rec_headers
    http = record.http_headers
    if drop and http is not None:
        gone = {n.lower() for n in drop}
        http = StatusAndHeaders(http.statusline, [(k, v) for k, v in http.headers if k.lower() not in gone],
                                protocol=http.protocol)
        rec_headers.replace_header(REDACTED_FIELD, ", ".join(sorted({n.title() for n in drop})))
    # the block changes (or may: headers are re-serialized), so warcio must recompute its digest
    rec_headers.remove_header("WARC-Block-Digest")
    new = writer.create_warc_record(
        rec_headers.get_header("WARC-Target-URI") or "",
        record.rec_type,
        payload=payload,
        length=length,
        warc_headers=rec_headers,
        http_headers=http,
    )
    writer.write_record(new)
    return new.rec_headers
