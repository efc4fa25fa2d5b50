"""CDXJ index lines for an exported WARC, as pywb and ReplayWeb.page look records up.

One line per response, revisit, resource and metadata record (the record types `cdxj-indexer`
indexes by default):

    <SURT key> <14-digit timestamp> {"url", "mime", "status", "digest", "length", "offset", "filename"}

POST and PUT responses get the request body folded into the key (`__wb_method=POST&...`), the way
`cdxj-indexer --post-append` and pywb's own indexer do, so a replayed POST finds its response.
Lines are sorted bytewise and carry no request header at all: cookies and Authorization never reach
the index.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode

import surt
from warcio.timeutils import iso_date_to_timestamp

INDEXED_TYPES = ("response", "revisit", "resource", "metadata")

# pywb caps the folded request body; longer bodies are cut, on both the index and the lookup side.
MAX_QUERY_LENGTH = 4096

_MIME_SPLIT = re.compile(r"[;\s]")


@dataclass
class IndexEntry:
    """What the index needs to know about one record as written into the export."""

    rec_type: str
    url: str
    date: str  # WARC-Date
    offset: int
    length: int
    record_id: str = ""
    mime: str | None = None
    status: str | None = None
    digest: str | None = None
    warc_content_type: str | None = None
    concurrent_to: list[str] = field(default_factory=list)
    # request records only: what a POST/PUT lookup key is built from
    method: str | None = None
    request_content_type: str | None = None
    request_body: bytes | None = None


def url_key(url: str) -> str:
    """SURT form of a URL; `urn:` and other non-HTTP URIs come back unchanged."""
    try:
        return str(surt.surt(url))
    except Exception:
        return url


def clean_mime(value: str | None) -> str | None:
    """`text/html; charset=utf-8` -> `text/html`, as replay tools store it."""
    if value is None:
        return None
    return _MIME_SPLIT.split(value, 1)[0].strip()


def _binary_query(body: bytes) -> str:
    return "__wb_post_data=" + base64.b64encode(body).decode("ascii")


def _flatten_json(data: Any) -> str:
    """Leaf values of a JSON document as `name=value` pairs; repeated names get `.N_` suffixes."""
    pairs: dict[str, str] = {}
    seen: dict[str, int] = {}

    def key_for(name: str) -> str:
        if name not in pairs:
            return name
        seen[name] = seen.get(name, 1) + 1
        return f"{name}.{seen[name]}_"

    def walk(node: Any, name: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, name)
        elif name:
            pairs[key_for(name)] = str(node)

    walk(data, "")
    return urlencode(pairs)


def _json_query(body: bytes) -> str:
    try:
        return _flatten_json(json.loads(body))
    except json.JSONDecodeError:
        # newline-delimited JSON: flatten each line into the same namespace
        if b"\n" not in body:
            raise
        merged = [json.loads(line) for line in body.split(b"\n") if line.strip()]
        return _flatten_json(merged)


def request_body_query(content_type: str | None, body: bytes) -> str:
    """The canonical query string for a request body (Webrecorder's request-body canonicalization).

    Forms are decoded, JSON is flattened to `key=value` pairs, anything else is base64. Multipart
    bodies are treated as binary here (pywb decodes their fields): such lookups then rely on pywb's
    fuzzy matching.
    """
    mime = (content_type or "").lower()
    query = ""
    if mime.startswith("application/x-www-form-urlencoded"):
        try:
            query = unquote_plus(body.decode("utf-8"))
        except UnicodeDecodeError:
            query = _binary_query(body)
    elif mime.startswith("application/json"):
        try:
            query = _json_query(body)
        except (ValueError, UnicodeDecodeError):
            query = ""
    elif mime.startswith("text/plain"):
        try:
            query = _json_query(body)
        except (ValueError, UnicodeDecodeError):
            query = _binary_query(body)
    else:
        query = _binary_query(body)
    return query[:MAX_QUERY_LENGTH]


def _post_suffix(url: str, method: str, query: str) -> str:
    suffix = ("&" if "?" in url else "?") + "__wb_method=" + method
    if query:
        suffix += "&" + query
    return suffix


def _is_indexed(entry: IndexEntry) -> bool:
    if entry.rec_type not in INDEXED_TYPES:
        return False
    # warc-fields resource/metadata records are bookkeeping, not replayable content
    return not (entry.rec_type in ("resource", "metadata")
                and entry.warc_content_type == "application/warc-fields")


def _pair_requests(entries: list[IndexEntry]) -> dict[str, IndexEntry]:
    """Map each response's record ID to its request (linked by WARC-Concurrent-To, either way)."""
    requests = [e for e in entries if e.rec_type == "request"]
    by_id = {e.record_id: e for e in entries if e.record_id}
    paired: dict[str, IndexEntry] = {}
    for req in requests:
        for target in req.concurrent_to:
            if target in by_id and by_id[target].rec_type == "response":
                paired[target] = req
    for e in entries:
        if e.rec_type == "response" and e.record_id not in paired:
            for target in e.concurrent_to:
                if target in by_id and by_id[target].rec_type == "request":
                    paired[e.record_id] = by_id[target]
    return paired


def cdxj_lines(entries: list[IndexEntry], filename: str) -> list[str]:
    """Sorted, de-duplicated CDXJ lines (each ending in a newline) for records of one WARC file."""
    paired = _pair_requests(entries)
    lines: set[str] = set()
    for e in entries:
        if not _is_indexed(e):
            continue
        key = url_key(e.url)
        extra: dict[str, str] = {}
        req = paired.get(e.record_id) if e.rec_type == "response" else None
        if req is not None and req.method and req.method.upper() in ("POST", "PUT"):
            method = req.method.upper()
            query = request_body_query(req.request_content_type, req.request_body or b"")
            key = url_key(e.url + _post_suffix(e.url, method, query))
            extra = {"requestBody": query, "method": method}
        fields: dict[str, str] = {"url": e.url}
        mime = "warc/revisit" if e.rec_type == "revisit" else e.mime
        if mime is not None:
            fields["mime"] = mime
        if e.status is not None and e.rec_type in ("response", "revisit"):
            fields["status"] = e.status
        if e.digest is not None:
            fields["digest"] = e.digest
        fields["length"] = str(e.length)
        fields["offset"] = str(e.offset)
        fields["filename"] = filename
        fields.update(extra)
        lines.add(f"{key} {iso_date_to_timestamp(e.date)} {json.dumps(fields)}\n")
    # bytewise order of the UTF-8 lines, which binary-searching readers rely on
    return sorted(lines, key=lambda line: line.encode("utf-8"))
