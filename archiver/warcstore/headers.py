"""What goes into a WARC record besides the payload: dates, digests, and the HTTP headers as stored.

Headers that describe the transfer, not the payload, are renamed when the body was decoded by the
browser or the HTTP client; the status line says HTTP/1.1 for h2 and h3 exchanges, which pywb needs,
while WARC-Protocol keeps the real protocol (docs/warc.md).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import urlsplit

from archiver.warcstore.records import Exchange

# Headers that describe the transfer, not the payload: when the body was decoded by the browser or
# httpx they no longer apply to the stored bytes (docs/warc.md, "Bodies are stored decoded").
_TRANSFER_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
# Connection-specific headers that HTTP/2 never sends (RFC 9113 8.2.2); recorded h2 requests omit them.
_HOP_HEADERS = ("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade")


def warc_date(dt: datetime | None = None) -> str:
    """WARC-Date in UTC with microseconds (WARC 1.1 allows fractions of a second); naive means UTC."""
    dt = dt or datetime.now(UTC)
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def reason_phrase(status: int, reason: str | None) -> str:
    """The reason phrase of the status line: the one received, else the standard one."""
    if reason:
        return reason
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def status_protocol(protocol: str | None) -> str:
    """pywb refuses `HTTP/2 200`: the status line is HTTP/1.1 unless the exchange really was 1.0."""
    return "HTTP/1.0" if (protocol or "").lower() in ("http/1.0", "http/1") else "HTTP/1.1"


def warc_protocol(protocol: str | None) -> str | None:
    """The WARC-Protocol value (`h2`, `h3`, `http/1.1`) for a protocol as the browser or httpx names it."""
    p = (protocol or "").strip().lower()
    return {"http/2": "h2", "http/2.0": "h2", "http/3": "h3", "": None}.get(p, p) if p else None


def content_mime(headers: list[tuple[str, str]]) -> str | None:
    """The media type of a Content-Type header, lower-cased, without parameters."""
    for k, v in headers:
        if k.lower() == "content-type":
            return v.split(";")[0].strip().lower() or None
    return None


def header_text(value: str) -> str:
    """A header value as its sender wrote it. Chromium hands over header bytes one character per
    byte (as Latin-1): a UTF-8 `résumé` comes as `rÃ©sumÃ©`, which warcio would percent-encode
    (RFC 8187) as those four characters' UTF-8, twice over. A value whose characters are bytes that
    make UTF-8 is read as that UTF-8; anything else stays as it is (Latin-1 text almost never
    makes valid multi-byte UTF-8)."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def response_headers(ex: Exchange) -> list[tuple[str, str]]:
    """The response headers as stored: no pseudo headers; transfer headers renamed when decoded;
    values whose bytes are UTF-8 read as UTF-8 (`header_text`)."""
    out: list[tuple[str, str]] = []
    for k, v in ex.response_headers:
        if k.startswith(":"):
            continue
        v = header_text(v)
        if ex.decoded and k.lower() in _TRANSFER_HEADERS:
            out.append((f"X-Archive-Orig-{k}", v))
        else:
            out.append((k, v))
    if ex.decoded:
        out.append(("Content-Length", str(len(ex.body))))
    return out


def request_headers(ex: Exchange) -> list[tuple[str, str]]:
    """The request headers as stored: no pseudo headers, a Host header first (from :authority or the URL)."""
    host = next((v for k, v in ex.request_headers if k.lower() in (":authority", "host")), None)
    if host is None:
        host = urlsplit(ex.url).netloc.rpartition("@")[2]
    h2 = warc_protocol(ex.protocol) in ("h2", "h3")
    out = [("Host", host)]
    for k, v in ex.request_headers:
        if k.startswith(":") or k.lower() == "host" or (h2 and k.lower() in _HOP_HEADERS):
            continue
        out.append((k, v))
    return out


def request_target(url: str) -> str:
    """The path and query of `url`, as on an HTTP/1.1 request line."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")



def payload_digest(data: bytes) -> str:
    """`sha1:<base32>`, the form warcio writes in WARC-Payload-Digest (for dedup look-ups)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()
