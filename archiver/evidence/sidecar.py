"""Where a bundle keeps its RFC 3161 tokens, beside what the WACZ signing spec defines.

Tokens over the bundle's digest (`export --timestamp URL`, repeatable) are kept in
`datapackage-digest.json` itself, under `timestamps`, next to `hash` and `signedData`: they
stamp the bytes of datapackage.json, so they cannot be inside any file datapackage.json lists.

    {"path": "datapackage.json", "hash": "sha256:<hex>", "signedData": {...},
     "timestamps": [TOKEN, ...]}

The tokens each capture got when it was made (`run --timestamp URL`) are in the sidecar file
`evidence/timestamps.json`, listed in datapackage.json like every other file (so the bundle's
digest, signature and timestamps cover it too):

    {
      "format": "archiver-timestamps/1",
      "captures": [
        {
          "capture": 12,                        the capture's id in the archive's index
          "post_key": "twitter:123" | null, "article_url": "https://..." | null,
          "url": "https://...", "captured_at": "2026-12-03T18:22:05.120Z",
          "manifest": "archiver-capture-records/1\\n...",  the text the tokens stamp (UTF-8)
          "digest": "sha256:<hex>",             SHA-256 of the manifest
          "tokens": [TOKEN, ...]
        }
      ]
    }

    TOKEN = {"authority": "<URL asked>", "time": "<the token's time, ISO 8601 UTC>",
             "token": "<base64 DER TimeStampResp>", "certificates": "<PEM chain, signer first, or ''>"}

An export that leaves records out (a damaged record, with `--allow-damaged`; a WARC file missing
from the archive) names each of them in `evidence/left-out.json`, listed in datapackage.json like
the sidecar (so the bundle's digest, signature and timestamps cover it):

    {"format": "archiver-left-out/1",
     "records": [{"record_id": "<urn:uuid:...>", "why": "damaged" | "WARC file missing" |
                  "WARC file unreadable", "file": "warcs/<name>", "offset": 1234,
                  "revisits": ["<urn:uuid:...>", ...]}, ...]}

`revisits` (only when there are some) names the revisit records the bundle holds that stand for
that record, whose content they cannot show without it; a revisit need not name its original by
record ID (`WARC-Refers-To` is optional in WARC/1.1), so export, which found it, says so here.
`archiver verify BUNDLE` takes those records, and only those, as absent from a capture the bundle
presents as its own without calling the capture incomplete, and a revisit of one as a known gap.
A single `.warc.gz` export carries the same document as the block of a `metadata` record
(`LEFT_OUT_URI`, application/json) after its `warcinfo`.

`authority` and the capture's labels are for people; the proof is `token`, whose own signer and
time are what verification reports (`time` must be the token's own). `certificates` carries the
authority's chain when it was known at export (`--timestamp-ca`; a token embeds its signer's
certificate only). Other WACZ tools ignore both the `timestamps` property and the sidecar;
`archiver verify X.wacz` checks them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from archiver.errors import EvidenceError
from archiver.redact import redact_endpoint

SIDECAR_PATH = "evidence/timestamps.json"
FORMAT = "archiver-timestamps/1"
DIGEST_TIMESTAMPS = "timestamps"  # the property of datapackage-digest.json
LEFT_OUT_PATH = "evidence/left-out.json"
LEFT_OUT_FORMAT = "archiver-left-out/1"
# The WARC-Target-URI of the metadata record a single .warc.gz export names what it left out in.
LEFT_OUT_URI = "urn:archiver:left-out"


@dataclass
class StoredToken:
    authority: str
    time: str
    token: str  # base64 DER TimeStampResp
    certificates: str = ""  # PEM chain, signer first

    @property
    def der(self) -> bytes:
        try:
            return base64.b64decode(self.token, validate=True)
        except ValueError:
            raise EvidenceError("the token is not base64") from None


@dataclass
class CaptureTimestamps:
    """One capture's manifest and the tokens over it."""

    capture: int | str
    manifest: str
    digest: str
    tokens: list[StoredToken] = field(default_factory=list)
    post_key: str | None = None
    article_url: str | None = None
    url: str | None = None
    captured_at: str | None = None

    @property
    def owner(self) -> str:
        return self.post_key or self.article_url or self.url or f"capture {self.capture}"


def sidecar_bytes(captures: Iterable[CaptureTimestamps]) -> bytes:
    doc = {"format": FORMAT, "captures": [asdict(c) for c in captures]}
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def read_token(value: Any, where: str) -> StoredToken:
    if not isinstance(value, dict) or not isinstance(value.get("token"), str):
        raise EvidenceError(f"{where} is not a token entry")
    return StoredToken(authority=str(value.get("authority") or "?"), time=str(value.get("time") or ""),
                       token=value["token"], certificates=str(value.get("certificates") or ""))


def read_tokens(value: Any, where: str) -> list[StoredToken]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise EvidenceError(f"{where} is not a list of tokens")
    return [read_token(t, f"{where} entry {i}") for i, t in enumerate(value, 1)]


def read_sidecar(data: bytes) -> list[CaptureTimestamps]:
    """The captures of a sidecar; a malformed one is named (EvidenceError)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EvidenceError("it is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise EvidenceError(f"it is not in the {FORMAT} format")
    listed = doc.get("captures")
    if listed is not None and not isinstance(listed, list):
        raise EvidenceError("its captures are not a list")
    captures = []
    for i, c in enumerate(listed or [], 1):
        if not isinstance(c, dict) or not isinstance(c.get("manifest"), str) or not isinstance(c.get("digest"), str):
            raise EvidenceError(f"capture entry {i} has no manifest or digest")
        try:
            c["manifest"].encode("utf-8")
        except UnicodeEncodeError:
            raise EvidenceError(f"capture entry {i} has a manifest that is not text (a lone surrogate)") from None
        captures.append(CaptureTimestamps(
            capture=c.get("capture", i), manifest=c["manifest"], digest=c["digest"],
            tokens=read_tokens(c.get("tokens"), f"capture {c.get('capture', i)} tokens"),
            post_key=c.get("post_key"), article_url=c.get("article_url"), url=c.get("url"),
            captured_at=c.get("captured_at")))
    return captures


def captures_from_stamps(stamps: Iterable[Any]) -> list[CaptureTimestamps]:
    """Group the index's capture stamps by capture. A stamp is a row with capture_id, manifest,
    digest, tsa (the URL), token (base64 DER), stamped_at and, read back, post_key/article_url/
    capture_url/captured_at; stamps without a token (the authority failed) are left out."""
    by_capture: dict[Any, CaptureTimestamps] = {}
    for s in stamps:
        if not getattr(s, "token", None):
            continue
        entry = by_capture.get(s.capture_id)
        if entry is None:
            entry = by_capture[s.capture_id] = CaptureTimestamps(
                capture=s.capture_id, manifest=s.manifest, digest=s.digest,
                post_key=getattr(s, "post_key", None), article_url=getattr(s, "article_url", None),
                url=getattr(s, "capture_url", None), captured_at=getattr(s, "captured_at", None))
        # the authority as people read it: a password or token in its URL stays in the archive
        entry.tokens.append(StoredToken(authority=redact_endpoint(s.tsa), time=s.stamped_at or "", token=s.token))
    return list(by_capture.values())


def left_out_bytes(records: Iterable[Any]) -> bytes:
    """evidence/left-out.json for the records an export left out (each with record_id, why, file,
    offset)."""
    entries = []
    for r in records:
        entry: dict[str, Any] = {"record_id": r.record_id, "why": r.why, "file": r.file, "offset": r.offset}
        if getattr(r, "revisits", ()):
            entry["revisits"] = list(r.revisits)
        entries.append(entry)
    doc = {"format": LEFT_OUT_FORMAT, "records": entries}
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


@dataclass
class LeftOutList:
    """What a bundle says its export left out: WARC-Record-ID -> why (`why`), and the revisits it
    holds whose original that is: revisit's WARC-Record-ID -> the original's (`originals`)."""

    why: dict[str, str] = field(default_factory=dict)
    originals: dict[str, str] = field(default_factory=dict)

    def original_of(self, revisit_id: str, refers_to: str = "") -> str | None:
        """The left-out original of a revisit: the one its `WARC-Refers-To` names, else the one the
        list says it stands for; None when it stands for none the list names."""
        if refers_to in self.why:
            return refers_to
        return self.originals.get(revisit_id)


def read_left_out(data: bytes) -> LeftOutList:
    """What export left out, from evidence/left-out.json (or a .warc.gz export's metadata record of
    it); a malformed document is named (EvidenceError)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EvidenceError("it is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != LEFT_OUT_FORMAT or not isinstance(doc.get("records"), list):
        raise EvidenceError(f"it is not in the {LEFT_OUT_FORMAT} format")
    found = LeftOutList()
    for i, r in enumerate(doc["records"], 1):
        if not isinstance(r, dict) or not isinstance(r.get("record_id"), str) or not isinstance(r.get("why"), str):
            raise EvidenceError(f"record entry {i} has no record_id or why")
        found.why[r["record_id"]] = r["why"]
        revisits = r.get("revisits", [])
        if not isinstance(revisits, list) or not all(isinstance(v, str) for v in revisits):
            raise EvidenceError(f"record entry {i} has revisits that are not a list of record IDs")
        for revisit in revisits:
            found.originals.setdefault(revisit, r["record_id"])
    return found
