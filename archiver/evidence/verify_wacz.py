"""`archiver verify X.wacz`: everything a WACZ says about itself, checked offline.

In order: every file against its SHA-256 and size in datapackage.json; datapackage.json against
datapackage-digest.json; the signature in `signedData` (anonymous or domain, with the domain
signature's RFC 3161 timestamp); each token of the timestamp sidecar over datapackage.json; each
capture's tokens over its record manifest, and the manifest against the bundle's WARC records.
Certificates are checked against `roots` (a CA bundle the reader trusts) when given, else only
against the chains the bundle carries — the result says which.

Every failure is a `Finding` with a kind and a reason; `sentence()` says what is proven.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

from cryptography import x509

from archiver.errors import ArchiverError, DiskFull, EvidenceError, TokenInvalid, TokenUnanchored, UsageError
from archiver.evidence import tsa
from archiver.evidence.keys import PublicKey
from archiver.evidence.sidecar import (
    DIGEST_TIMESTAMPS,
    LEFT_OUT_PATH,
    SIDECAR_PATH,
    CaptureTimestamps,
    LeftOutList,
    StoredToken,
    read_left_out,
    read_sidecar,
    read_tokens,
)
from archiver.evidence.sign import (
    ANONYMOUS_FIELDS,
    CERT_WINDOW,
    DOMAIN_FIELDS,
    STAMP_WINDOW,
    check_chain,
    duration,
    parse_created,
    subject_domain,
    verify_domain_signature,
)
from archiver.evidence.stamps import MANIFEST_FORMAT_V1, ManifestEntry
from archiver.index.spool import Scratch
from archiver.redact import redact_endpoint
from archiver.space import megabytes
from archiver.verify import digest_hasher, digest_matches
from archiver.warcstore.records import MAX_WARC_HEAD

PACKAGE = "datapackage.json"
DIGEST = "datapackage-digest.json"
PAGES = "pages/pages.jsonl"
POSTS = "evidence/posts.jsonl"  # what the archive found of each post exported (archiver/bundle.py)
_MAX_PAGE = 1 << 24  # a pages.jsonl line longer than this is no page's (read no further into it)
REDACTED_FIELD = "WARC-Archiver-Removed-Headers"
# The records export rewrites without credential headers (archiver/export/credentials.py): those
# with HTTP headers. The field on any other record is no export's doing.
REWRITTEN_TYPES = ("request", "response", "revisit")
_CHUNK = 1 << 20
# What reading one entry of a hostile zip raises besides damage: a compression method zipfile does
# not know, an encrypted entry, a name that is not the UTF-8 it claims.
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, UnicodeError)
# An index line longer than this is no CDXJ line (read no further into it). A line holds its record's
# URL twice (the key and the url field), as its WARC header can: they share the header's cap.
_MAX_LINE = MAX_WARC_HEAD
NAMED_RECORDS = 5  # records or index lines named one by one in the problems; past this, a count


@dataclass
class Finding:
    """One thing that does not hold: its kind, the file (or capture) concerned, and why."""

    kind: str  # missing, damaged, hash, size, unlisted, duplicate, digest, record, index, pages, entry,
    # signature, timestamp, capture
    path: str
    detail: str

    def __post_init__(self) -> None:
        # Text read from the bundle (an index line's JSON may escape a lone surrogate, "\\ud800") as
        # it can be written out: such a character escaped, as in the JSON.
        self.path, self.detail = _writable(self.path), _writable(self.detail)

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"


def _writable(text: str) -> str:
    """`text` with what UTF-8 cannot encode (a lone surrogate) written as its escape, `\\ud800`."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _all_writable(value: Any) -> Any:
    """`value` (JSON's kinds) with every text in it `_writable`."""
    if isinstance(value, str):
        return _writable(value)
    if isinstance(value, dict):
        return {_all_writable(k): _all_writable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_all_writable(v) for v in value]
    return value


@dataclass
class Stamp:
    """A timestamp token that checked."""

    over: str  # "signature", "bundle" or "capture <id>"
    authority: str  # the signer's subject
    time: str
    root: str
    anchored: bool


@dataclass
class WaczVerification:
    path: str
    files: int = 0
    hash: str | None = None
    signature: dict[str, Any] | None = None
    stamps: list[Stamp] = field(default_factory=list)
    captures: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unchecked: int = 0  # tokens whose authority's CA certificate was not at hand
    unstamped: int = 0  # records of the bundle that no capture's timestamp covers (when any does)
    headers_unproven: int = 0  # covered records export rewrote without credential headers: body proven, head not
    left_out: int = 0  # records evidence/left-out.json says export left out (damaged, WARC file missing or unreadable)
    anchored: bool = False  # a CA bundle was given

    @property
    def ok(self) -> bool:
        return not self.findings

    def sentence(self) -> str:
        if not self.ok:
            kinds = sorted({f.kind for f in self.findings})
            return (f"{self.path} does NOT verify: {len(self.findings)} problem(s) ({', '.join(kinds)}); "
                    "nothing in it is proven until they are explained")
        parts = [f"{self.path}: all {self.files} files match datapackage.json, and it matches its digest"]
        sig = self.signature
        if sig is None:
            parts.append("unsigned (anyone could have made it)")
        elif sig["kind"] == "anonymous":
            # The time it states is datapackage.json's own, which the signature covers: its signer's word,
            # which no timestamp proves (a domain signature's has its own).
            parts.append(f"signed by key {sig['key']} (anonymous: whoever holds that key; the time it states, "
                         f"{sig['created']}, is its signer's word)")
        else:
            trust = "its certificate chaining to your CA bundle" if sig["anchored"] else \
                "its certificate chain carried in the bundle, not checked against a CA you trust"
            parts.append(f"signed by {sig['domain']} ({trust}) on {sig['created']}")
        bundle_stamps = [s for s in self.stamps if s.over in ("bundle", "signature")]
        if bundle_stamps:
            first = min(bundle_stamps, key=lambda s: s.time)
            trust = "checked against your CA bundle" if first.anchored else \
                f"certificate chain to {first.root} carried in the bundle, not checked against a CA you trust"
            parts.append(f"content unchanged since {first.time[:16]}Z per TSA {first.authority} ({trust})")
        elif not self.unchecked:
            parts.append("no timestamp: nothing proves when it was made")
        if self.unchecked:
            parts.append(f"{self.unchecked} timestamp(s) not checked: give their authority's CA certificate with --ca-bundle")
        captures = [s for s in self.stamps if s.over.startswith("capture")]
        if self.captures:
            loose = sorted({s.root for s in captures if not s.anchored})
            trust = "checked against your CA bundle" if not loose else \
                f"certificate chain to {', '.join(loose)} carried in the bundle, not checked against a CA you trust"
            parts.append(f"{self.captures} capture(s) timestamped when made ({len(captures)} token(s) checked, {trust})")
            if self.headers_unproven:
                # Their tokens cover their heads as captured, credentials included: what is left of a
                # head cannot be told from one edited (a status line, a Content-Type) under the field.
                parts.append(f"{self.headers_unproven} record(s) of them exported without credential headers: the "
                             "tokens prove their bodies, not their status lines or the headers left")
            if self.unstamped:
                parts.append(f"{self.unstamped} record(s) of the bundle are in no capture's timestamp, which proves "
                             "nothing of them")
        if self.left_out:
            parts.append(f"{self.left_out} record(s) of the archive left out by its export (damaged, or their WARC "
                         f"file missing or unreadable; named in {LEFT_OUT_PATH}): the bundle does not hold them")
        return "; ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON can hold it, text read from the bundle (a timestamp's capture, a note)
        made writable as `Finding`'s is."""
        result: dict[str, Any] = _all_writable({"path": self.path, "verified": self.ok, "files": self.files, "hash": self.hash,
                "signature": self.signature, "timestamps": [asdict(s) for s in self.stamps],
                "captures": self.captures, "problems": [asdict(f) for f in self.findings],
                "notes": self.notes, "unchecked_timestamps": self.unchecked, "unstamped_records": self.unstamped,
                "headers_unproven_records": self.headers_unproven, "left_out_records": self.left_out,
                "ca_bundle": self.anchored, "proven": self.sentence()})
        return result


def verify_wacz(path: Path, *, roots: Sequence[x509.Certificate] | None = None) -> WaczVerification:
    """Check the WACZ at `path`; raises UsageError only when it is not a readable zip at all."""
    result = WaczVerification(path=str(path), anchored=roots is not None)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist") from None
    except (OSError, zipfile.BadZipFile, UnicodeError, NotImplementedError, RuntimeError) as e:
        raise UsageError(f"{path} is not a readable WACZ (zip): {getattr(e, 'strerror', None) or e}") from None
    with zf:
        _outside_zip(path, zf, result)
        check = _Check(zf, result, roots)
        try:
            check.run()
        finally:
            check.records.close()
    return result


_END_OF_ZIP = b"PK\x05\x06"  # the end of central directory record's signature
_END_SIZE = 22  # its size before the comment


def _outside_zip(path: Path, zf: zipfile.ZipFile, result: WaczVerification) -> None:
    """Bytes before the zip's first entry, or after its end (past the comment it declares): no hash
    covers them, unzip warns of them, and a reader of the file meets them (before the zip, they are
    what the file's type is told by). Named as `unlisted`, as a zip's comment is."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            tail_from = max(size - (1 << 16) - _END_SIZE, 0)  # where zipfile looks for the end, too
            fh.seek(tail_from)
            tail = fh.read()
    except OSError:
        return  # what cannot be read again is named by the check that follows
    at = tail.rfind(_END_OF_ZIP)
    if at < 0 or len(tail) < at + _END_SIZE:
        return
    comment = int.from_bytes(tail[at + 20:at + 22], "little")
    after = size - (tail_from + at + _END_SIZE + comment)
    infos = zf.infolist()
    before = min(i.header_offset for i in infos) if infos else getattr(zf, "start_dir", 0)
    if before > 0:
        result.findings.append(Finding("unlisted", "(before the zip)", f"{before} bytes before the zip's first entry "
                                       "that nothing vouches for (unzip warns of them; a reader of the file meets "
                                       "them first)"))
    if after > 0:
        result.findings.append(Finding("unlisted", "(after the zip)", f"{after} bytes after the zip's end that nothing "
                                       "vouches for (unzip warns of them)"))


class _Check:
    def __init__(self, zf: zipfile.ZipFile, result: WaczVerification, roots: Sequence[x509.Certificate] | None):
        self.zf, self.r, self.roots = zf, result, roots
        entries = [i.filename for i in zf.infolist() if not i.is_dir()]
        self.names = set(entries)
        self.listed: set[str] = set()  # what datapackage.json vouches for: the only entries read into
        # What no signature covers and an unzip shows or makes: a folder entry holding data, a
        # symbolic link, the zip's comment.
        for info in zf.infolist():
            if info.is_dir() and info.file_size:
                result.findings.append(Finding("unlisted", info.filename, f"a folder entry holding {info.file_size} "
                                                                          "bytes: nothing vouches for them"))
            elif info.create_system == 3 and (info.external_attr >> 16) & 0o170000 == 0o120000:
                result.findings.append(Finding("entry", info.filename, "a symbolic link: unzipped, it points "
                                                                       "elsewhere, and no hash covers where"))
        if zf.comment:
            result.findings.append(Finding("unlisted", "(zip comment)", f"the zip carries a comment of {len(zf.comment)} "
                                                                        "bytes that nothing vouches for, which "
                                                                        "unzip shows"))
        # A name the zip holds twice: readers differ on which entry they take (unzip the first,
        # Python's zipfile the last), so only one of them can be the file vouched for.
        self.twice = sorted(name for name, n in Counter(entries).items() if n > 1)
        # The bundle's records as the checks after reading them need them (each manifest line is checked
        # against its record only when there are captures to check); with the IDs that some capture's
        # timestamped manifest lists (`cover`), and where each record starts (what its index line must say).
        self.records = RecordTable(keep=SIDECAR_PATH in self.names)
        self._read = False
        self.page_list: list[tuple[str, str]] = []  # (url, ts) of each page of pages/pages.jsonl
        self.created: Any = None  # datapackage.json's `created`
        self.left_out = LeftOutList()  # what export left out, and why (evidence/left-out.json)
        # Revisits a capture's check said stand for an original not in the bundle (noted or failed).
        self.noted: set[str] = set()

    def fail(self, kind: str, path: str, detail: str) -> None:
        self.r.findings.append(Finding(kind, path, detail))

    def read(self, name: str) -> bytes | None:
        if name not in self.names:
            self.fail("missing", name, "not in the bundle")
            return None
        try:
            return self.zf.read(name)
        except _UNREADABLE as e:
            self.fail("damaged", name, f"cannot be read from the zip ({e})")
            return None

    def run(self) -> None:
        package = self.read(PACKAGE)
        digest_bytes = self.read(DIGEST)
        digest = _json(digest_bytes) if digest_bytes is not None else None
        if digest_bytes is not None and not isinstance(digest, dict):
            self.fail("digest", DIGEST, "is not a JSON object")
        if package is None:
            return
        actual = "sha256:" + hashlib.sha256(package).hexdigest()
        self.r.hash = actual
        if isinstance(digest, dict):
            if digest.get("hash") != actual:
                self.fail("digest", PACKAGE, f"its SHA-256 is {actual[:19]}…, not the {str(digest.get('hash'))[:19]}… "
                                             f"{DIGEST} names: it changed after the bundle was sealed")
            if digest.get("path") != PACKAGE:
                self.fail("digest", DIGEST, f"names {digest.get('path')!r} instead of {PACKAGE!r}")
        self.files(package)
        self.stored()
        self.contents()
        self.pages()
        if isinstance(digest, dict) and digest.get("signedData") is not None:
            self.signature(digest["signedData"], str(digest.get("hash")))
        if isinstance(digest, dict) and digest.get(DIGEST_TIMESTAMPS) is not None:
            self.bundle_tokens(package, digest[DIGEST_TIMESTAMPS])
        if LEFT_OUT_PATH in self.listed:  # only as datapackage.json vouches for it
            self.read_left_out()
        if SIDECAR_PATH in self.names:
            self.sidecar()
        if self.records.any_start():
            findings, notes = orphan_revisits(self.records, self.left_out, LEFT_OUT_PATH, "this bundle", self.noted)
            self.r.findings.extend(findings)
            self.r.notes.extend(notes)

    # -- files ------------------------------------------------------------------------------------

    def files(self, package: bytes) -> None:
        doc = _json(package)
        self.created = doc.get("created") if isinstance(doc, dict) else None
        resources = doc.get("resources") if isinstance(doc, dict) else None
        if not isinstance(resources, list):
            self.fail("digest", PACKAGE, "has no list of resources")
            return
        listed = {PACKAGE, DIGEST}
        for res in resources:
            if not isinstance(res, dict) or not isinstance(res.get("path"), str):
                self.fail("hash", PACKAGE, "a resource has no path")
                continue
            name = res["path"]
            if name in listed:
                self.fail("duplicate", name, f"{PACKAGE} lists it more than once")
                continue
            listed.add(name)
            if name not in self.names:
                self.fail("missing", name, f"listed in {PACKAGE} but not in the bundle")
                continue
            got = self.hash_entry(name)
            if got is None:
                continue
            sha, size = got
            self.r.files += 1
            if res.get("hash") != "sha256:" + sha:
                self.fail("hash", name, f"its SHA-256 differs from {PACKAGE}'s: the file changed")
            elif res.get("bytes") is not None and res.get("bytes") != size:
                self.fail("size", name, f"{size} bytes, not the {res.get('bytes')} {PACKAGE} names")
        for name in sorted(self.names - listed):
            self.fail("unlisted", name, f"not listed in {PACKAGE}: nothing vouches for it")
        self.listed = listed & self.names
        for name in self.twice:
            self.fail("duplicate", name, "the zip holds more than one file of this name: tools differ on which "
                                         "they read, and nothing vouches for the others")

    def hash_entry(self, name: str) -> tuple[str, int] | None:
        h, size = hashlib.sha256(), 0
        try:
            with self.zf.open(name) as fh:
                while chunk := fh.read(_CHUNK):
                    h.update(chunk)
                    size += len(chunk)
        except _UNREADABLE as e:
            self.fail("damaged", name, f"cannot be read from the zip ({e})")
            return None
        return h.hexdigest(), size

    # -- signature ----------------------------------------------------------------------------------

    def signature(self, signed: Any, hash_: str) -> None:
        if not isinstance(signed, dict):
            self.fail("signature", DIGEST, "signedData is not an object")
            return
        if signed.get("hash") != hash_:
            self.fail("signature", DIGEST, "signedData.hash is not the digest's hash: the signature is over other content")
            return
        if signed.get("created") != self.created:
            # The signature's time is the package's own (datapackage.json, which the signed hash
            # covers), as `wacz validate` requires: another one is a time nothing vouches for.
            self.fail("signature", DIGEST, f"signedData.created ({str(signed.get('created'))[:40]}) is not the "
                                           f"created of {PACKAGE} ({str(self.created)[:40]}), which the signature "
                                           "covers: the time it states is not the package's")
        domain = "domainCert" in signed
        allowed = DOMAIN_FIELDS if domain else ANONYMOUS_FIELDS
        extra = sorted(set(signed) - set(allowed))
        if extra:
            self.fail("signature", DIGEST, f"signedData has properties the signing spec does not allow: {', '.join(extra)}")
        try:
            created = parse_created(signed.get("created"))
            if domain:
                self.domain_signature(signed, hash_, created)
            else:
                key = PublicKey(str(signed.get("publicKey") or ""))
                key.verify(str(signed.get("signature") or ""), hash_)
                self.r.signature = {"kind": "anonymous", "key": key.fingerprint, "created": signed["created"],
                                    "anchored": False}
        except TokenInvalid as e:
            self.fail("timestamp", DIGEST, f"timeSignature: {e}")
        except EvidenceError as e:
            self.fail("signature", DIGEST, str(e))

    def domain_signature(self, signed: dict[str, Any], hash_: str, created: datetime) -> None:
        chain = _pem_chain(signed.get("domainCert"), "domainCert")
        check_chain(chain, what="domainCert", at=created)
        leaf = chain[0]
        if subject_domain(leaf) != signed.get("domain"):
            raise EvidenceError(f"the certificate names {subject_domain(leaf)!r}, not the signed domain {signed.get('domain')!r}")
        verify_domain_signature(leaf, str(signed.get("signature") or ""), hash_)
        if not leaf.not_valid_before_utc <= created <= leaf.not_valid_before_utc + CERT_WINDOW:
            raise EvidenceError(f"created {signed['created']} is not within {CERT_WINDOW.days} days of the domain "
                                f"certificate's start ({leaf.not_valid_before_utc:%Y-%m-%dT%H:%MZ})")
        if created > leaf.not_valid_after_utc:
            # (a certificate of a few days' life expires within that window: its key signs no more)
            raise EvidenceError(f"created {signed['created']} is after the domain certificate expired "
                                f"({leaf.not_valid_after_utc:%Y-%m-%dT%H:%MZ}): it no longer vouched for its key")
        anchored = False
        if self.roots is not None:
            if not _chains_to(chain, self.roots, at=created):
                raise EvidenceError("the domain certificate does not chain to the given CA bundle")
            anchored = True
        ts_chain = _pem_chain(signed.get("timestampCert"), "timestampCert")
        check_chain(ts_chain, what="timestampCert")
        der = _b64(signed.get("timeSignature"), "timeSignature")
        check = tsa.check_token(der, message=str(signed.get("signature") or "").encode("ascii"),
                                roots=self.roots, certificates=ts_chain)
        if check.token.signer is not None and check.token.signer != ts_chain[0]:
            raise TokenInvalid("it is signed by another certificate than timestampCert's first")
        if not created <= check.time <= created + STAMP_WINDOW:
            raise TokenInvalid(f"its time {check.time:%Y-%m-%dT%H:%M:%SZ} is not within {int(STAMP_WINDOW.total_seconds() // 60)} "
                               f"minutes after created {signed['created']}")
        self.r.signature = {"kind": "domain", "domain": signed["domain"], "created": signed["created"],
                            "certificate": leaf.subject.rfc4514_string(), "anchored": anchored}
        self.r.stamps.append(_stamp("signature", check))

    # -- sidecar ------------------------------------------------------------------------------------

    def bundle_tokens(self, package: bytes, value: Any) -> None:
        try:
            tokens = read_tokens(value, DIGEST_TIMESTAMPS)
        except EvidenceError as e:
            self.fail("timestamp", DIGEST, str(e))
            return
        self.tokens(tokens, package, kind="timestamp", where=DIGEST, name="timestamp", over="bundle")

    def tokens(self, tokens: Sequence[StoredToken], message: bytes, *, kind: str, where: str, name: str,
               over: str, late: Callable[[datetime], str | None] | None = None) -> int:
        """Check each token over `message`; failures are findings of `kind` at `where`, tokens whose
        authority's CA is not at hand are noted. `late` says why a token's time is too late for what
        it stamps, or too early for the dates they bear (a `timestamp` finding), or None. Returns how many were proven."""
        good = 0
        for i, stored in enumerate(tokens, 1):
            label = f"{name} {i} ({redact_endpoint(stored.authority)})"
            try:
                chain = _pem_chain(stored.certificates, "certificates") if stored.certificates else []
                check = tsa.check_token(stored.der, message=message, roots=self.roots, certificates=chain)
                _same_time(stored.time, check)
            except TokenUnanchored:
                self.r.unchecked += 1
                prefix = "" if kind == "timestamp" else f"{where}: "
                self.r.notes.append(f"{prefix}{label} not checked: the bundle does not carry its authority's CA "
                                    "certificate; give it with --ca-bundle")
                continue
            except EvidenceError as e:
                self.fail(kind, where, f"{label}: {e}")
                continue
            why = late(check.time) if late is not None else None
            if why is not None:
                self.fail("timestamp", where, f"{label}: {why}")
                continue
            good += 1
            self.r.stamps.append(_stamp(over, check))
        return good

    def read_left_out(self) -> None:
        data = self.read(LEFT_OUT_PATH)
        if data is None:
            return
        try:
            self.left_out = read_left_out(data)
        except EvidenceError as e:
            self.fail("capture", LEFT_OUT_PATH, f"{e}: export writes it to name the records it left out")
            return
        self.r.left_out = len(self.left_out.why)

    def sidecar(self) -> None:
        data = self.read(SIDECAR_PATH)
        if data is None:
            return
        try:
            captures = read_sidecar(data)
        except EvidenceError as e:
            self.fail("capture", SIDECAR_PATH, str(e))
            return
        if captures:
            self.captures(captures)

    def captures(self, captures: list[CaptureTimestamps]) -> None:
        records = self.warc_records()
        try:
            self.capture_tokens(captures, records)
        finally:
            # Records beside the stamped ones (another capture's, made without a token; or one put
            # in by whoever made the bundle): said, as the stamps prove nothing of them.
            self.r.unstamped = records.uncovered()

    def capture_tokens(self, captures: list[CaptureTimestamps], records: RecordTable) -> None:
        shown = _Shown.of(self)
        for cap in captures:
            where = f"capture {cap.capture} ({cap.owner})"
            if "sha256:" + hashlib.sha256(cap.manifest.encode("utf-8")).hexdigest() != cap.digest:
                self.fail("capture", where, "its manifest does not match its digest")
                continue
            if not cap.tokens:
                # Export writes a capture only with its tokens: a manifest beside none is anyone's.
                self.fail("capture", where, "it has no token: nothing vouches for its manifest")
            good = self.tokens(cap.tokens, cap.manifest.encode("utf-8"), kind="capture", where=where, name="token",
                               over=f"capture {cap.capture}", late=not_when_made(cap.manifest, cap.captured_at))
            if good:
                self.r.captures += 1
            # Its records are checked against the manifest whatever its tokens gave; only a token
            # that checked makes them covered (one not checked, for want of its CA, proves nothing yet).
            self.manifest_records(cap, where, records, proven=bool(good), shown=shown)

    def manifest_records(self, cap: CaptureTimestamps, where: str, records: RecordTable, *,
                         proven: bool = True, shown: _Shown | None = None) -> None:
        lines = cap.manifest.split("\n")
        present = rewritten = headers_only = unproven = 0
        # The second version lists each record's payload digest too: a revisit's names the payload it
        # stands for, which must then be held, intact, by a record of the bundle.
        width = 5 if lines[0] == MANIFEST_FORMAT_V1 else 6
        entries = [line.split("\t") for line in lines[1:] if line]
        missing: list[str] = []
        for fields in entries:
            if len(fields) != width:
                self.fail("capture", where, f"its manifest has a line that is not {width} tab-separated fields")
                return
            record_id = fields[0]
            if record_id not in records:
                missing.append(record_id)
                continue
            present += 1
            # Every record of that ID is checked (a second one is a `record` problem besides).
            held = records[record_id]
            outcomes = [self.manifest_record(rec, fields, width, where) for rec in held]
            if "unproven" in outcomes:
                unproven += 1  # what the token says of it cannot be checked: not covered
            else:
                if proven:
                    records.cover(record_id)
                    self.r.headers_unproven += "rewritten" in outcomes
                rewritten += "rewritten" in outcomes
            if fields[1] != "revisit":
                continue
            if width == 5:
                headers_only += 1
            elif fields[5] == "-" or not records.has_payload(fields[5]):
                # An original export said it left out (damaged, its WARC file missing or unreadable)
                # is absent by the bundle's own word, as a stamped record of a capture is: the one
                # its WARC-Refers-To names, or (a revisit naming its original by URL and date, or by
                # payload digest alone) the one the list says it stands for.
                left = sorted(filter(None, (self.left_out.original_of(record_id, r.refers_to)
                                            for r in held)))
                if fields[5] != "-" and left:
                    self.r.notes.append(left_out_revisit(where, record_id, fields[5], left[0], self.left_out,
                                                         LEFT_OUT_PATH))
                    self.noted.add(record_id)
                    continue
                self.fail("capture", where, f"record {record_id} is a revisit of payload {fields[5]}, which no intact "
                                            "record of this bundle holds: the content it stands for cannot be shown")
                self.noted.add(record_id)
        if headers_only:
            self.r.notes.append(f"{where}: {headers_only} revisit record(s) stamped by a first-version manifest, which "
                                "covers their headers, not the content they stand for")
        why = shown.presents(cap, entries) if shown is not None and missing else None
        if why is not None:
            # A capture the bundle shows as its own is exported whole (every record of a post's or
            # an article's captures): one of its stamped records missing is one taken out, or put
            # back under another WARC-Record-ID; unless the bundle says export left it out (damaged,
            # its WARC file missing or unreadable), in content its hashes and signature cover.
            excused = [rid for rid in missing if rid in self.left_out.why]
            taken = [rid for rid in missing if rid not in self.left_out.why]
            if taken:
                self.fail("capture", where, f"the bundle presents it as its own ({why}), but {len(taken)} of the "
                                            f"{len(entries)} records its token lists are not in it: {_named(taken)}"
                          + (f" (besides {len(excused)} export left out)" if excused else ""))
            if excused:
                reasons = Counter(self.left_out.why[rid] for rid in excused)
                said = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
                self.r.notes.append(f"{where}: {len(excused)} of the {len(entries)} records its token lists were "
                                    f"left out by export ({said}; named in {LEFT_OUT_PATH}): {_named(excused)}")
        elif present < len(entries):
            # Another capture's records pulled in (the originals a revisit of the selection stands for).
            self.r.notes.append(f"{where}: {present} of its {len(entries)} records are in this bundle")
        if rewritten:
            self.r.notes.append(f"{where}: {rewritten} record(s) rewritten without credential headers on export; "
                                "their payload is the one stamped, their status line and the headers left are not "
                                "proven (the token covers their headers as captured, credentials included)")
        if unproven:
            self.r.notes.append(f"{where}: {unproven} record(s) rewritten without credential headers on export, "
                                "stamped by a first-version manifest, which holds no payload digest to check what is "
                                "left of them against: the token proves nothing of them")

    def manifest_record(self, rec: BundleRecord, fields: list[str], width: int, where: str) -> str:
        """Check one record against its manifest line; "ok", "rewritten" (credential headers removed
        on export, what is left checked), "unproven" (rewritten, and the line cannot tell what is
        left) or "failed" (named)."""
        record_id, block = fields[0], fields[4]
        headers = rec.line.split("\t")
        kind = headers[1]
        if not rec.intact:
            self.fail("capture", where, f"record {record_id}: its block does not match its WARC-Block-Digest")
        elif headers[1:4] != fields[1:4]:
            # type, target URI and date are never rewritten on export, credentials removed or not
            self.fail("capture", where, f"record {record_id}: its WARC-Type, WARC-Target-URI or WARC-Date "
                                        "is not the one stamped")
        elif width == 6 and headers[5] != fields[5]:
            self.fail("capture", where, f"record {record_id}: its payload digest is not the one stamped")
        elif not rec.redacted:
            if block != "-" and headers[4] != block:
                self.fail("capture", where, f"record {record_id}: its block digest is not the one stamped")
                return "failed"
            return "ok"
        elif kind not in REWRITTEN_TYPES:
            # Export removes headers from the HTTP headers of requests, responses and revisits only.
            self.fail("capture", where, f"record {record_id}: a {kind} record carrying {REDACTED_FIELD}, which "
                                        "export never writes on one: its block is not the one stamped")
        elif block != "-" and headers[4] == block:
            return "ok"  # carries the field, yet its block is as stamped
        elif width == 5:
            return "unproven"
        elif kind == "revisit":
            # Its block is HTTP headers alone; the payload it stands for is checked as every revisit's.
            return "rewritten"
        elif fields[5] == "-" or not rec.payload_ok:
            # Removing credential headers leaves the HTTP body as it was: its digest, computed from
            # its bytes, must be the one stamped.
            self.fail("capture", where, f"record {record_id}: rewritten on export without credential headers, "
                                        "but its HTTP body is not the one stamped (its digest, computed from its "
                                        f"bytes, is not the stamped {fields[5]})")
        else:
            return "rewritten"
        return "failed"

    def warc_records(self) -> RecordTable:
        """The bundle's WARC records (`self.records`), read once (`contents`): every record of an ID in
        the order read (an ID is one record's, and a second one is a problem that `contents` names),
        the payload digests intact records hold (the originals revisits stand for), and where each
        record starts, for the index to be checked against."""
        if self._read:
            return self.records
        self._read = True
        import contextlib
        import io

        from warcio.archiveiterator import ArchiveIterator

        names = sorted(n for n in self.listed if n.startswith("archive/"))  # never an unlisted entry
        for name in names:
            self.records.expect(name, self.zf.getinfo(name).file_size)
        for name in names:
            if not self.looks_like_warc(name):
                continue
            try:
                # warcio writes what it could not decompress to stderr and reads on: the damage is
                # this check's to name, once.
                with self.zf.open(name) as fh, contextlib.redirect_stderr(io.StringIO()):
                    # Blocks unparsed: each digest is computed here, a revisit's block (its HTTP
                    # headers) included, which warcio's own check leaves out.
                    _read_records(ArchiveIterator(fh, no_record_parse=True), self.records, name, starts=True)
            except ArchiverError:
                raise  # the scratch file's failure (a full disk under TMPDIR): no damage in the bundle
            except Exception as e:
                self.fail("damaged", name, f"its records cannot all be read ({type(e).__name__}: {str(e).strip().splitlines()[0][:200] if str(e).strip() else ''}); "
                                           "what follows the damage is lost to replay")
        return self.records

    def stored(self) -> None:
        """The WARCs stored uncompressed in the zip (`STORED`), as WACZ requires: replay tools read a
        record by its offset in the entry, which they cannot seek to in a compressed one."""
        for info in self.zf.infolist():
            if info.filename in self.listed and info.filename.startswith("archive/") \
                    and info.compress_type != zipfile.ZIP_STORED:
                method = {zipfile.ZIP_DEFLATED: "DEFLATED", zipfile.ZIP_BZIP2: "BZIP2",
                          zipfile.ZIP_LZMA: "LZMA"}.get(info.compress_type, f"method {info.compress_type}")
                self.fail("entry", info.filename, f"compressed in the zip ({method}): WACZ stores a WARC "
                                                  "uncompressed (STORED), so that replay tools can read its records "
                                                  "by offset; they cannot seek into this one")

    def pages(self) -> None:
        """pages/pages.jsonl is what replay tools list and search: a header line, then a JSON object a
        line, each with the `url` and `ts` of its page."""
        if PAGES not in self.listed:
            # (One in the zip but not listed is named as unlisted; one listed but not in it as missing.)
            if PAGES not in self.names and not any(f.path == PAGES for f in self.r.findings):
                self.fail("pages", PAGES, "the bundle holds no list of its pages: replay tools have none to list "
                                          "or search, nor a page to open first")
            return
        bad: list[str] = []
        lines = 0
        try:
            with self.zf.open(PAGES) as fh:
                for n, raw in enumerate(iter(lambda: fh.readline(_MAX_PAGE + 1), b""), 1):
                    if len(raw) > _MAX_PAGE and not raw.endswith(b"\n"):
                        bad.append(f"line {n} is longer than {_MAX_PAGE} bytes; read no further")
                        break
                    if not raw.strip():
                        continue
                    lines += 1
                    try:
                        doc = json.loads(raw)
                    except ValueError:
                        bad.append(f"line {n} is not JSON")
                        continue
                    if not isinstance(doc, dict):
                        bad.append(f"line {n} is not a JSON object")
                    elif lines == 1:
                        if not str(doc.get("format", "")).startswith("json-pages-"):
                            bad.append(f"line {n}, its first, is not the header (a \"format\": \"json-pages-1.0\" object)")
                    elif not isinstance(doc.get("url"), str) or not isinstance(doc.get("ts"), str):
                        bad.append(f"line {n} gives no page (a \"url\" and a \"ts\")")
                    else:
                        self.page_list.append((doc["url"], doc["ts"]))
        except _UNREADABLE as e:
            self.fail("pages", PAGES, f"cannot be read ({type(e).__name__}: {e})")
            return
        if not lines:
            bad.append("it is empty: no header line, no page")
        elif not self.page_list and not bad:
            # A bundle may hold no page to open: its export names what it left out (evidence/left-out.json),
            # and a post whose documents a byte cap kept out has none.
            self.r.notes.append(f"{PAGES} lists no page: replay tools have none to list or search (the bundle's "
                                "records are found by their URLs)")
        for why in bad[:NAMED_RECORDS]:
            self.fail("pages", PAGES, f"{why}: replay tools list and search the pages from it")
        if len(bad) > NAMED_RECORDS:
            self.fail("pages", PAGES, f"and {len(bad) - NAMED_RECORDS} more line(s) that are no page")

    # -- contents ---------------------------------------------------------------------------------

    def contents(self) -> None:
        """What the hashes of datapackage.json cannot tell, once they were made again over changed
        files: every record of the WARCs reads whole and matches its WARC-Block-Digest, and the
        index points at records that are there, for every answer replay looks up."""
        self.r.findings.extend(self.warc_records().problems())
        self.index_lines()

    def index_lines(self) -> None:
        """Each index line at the start of a record of its URL, of its length; each answer (response
        and revisit record of an http(s) URL) with a line."""
        # Any name: the spec allows any under indexes/ (cdxj-indexer's ZipNum blocks are
        # index.cdxj.gz, ours index.cdx.gz); a ZipNum's .idx only says where its blocks start.
        names = sorted(n for n in self.listed if n.startswith("indexes/") and not n.endswith((".idx", "/")))
        if not names:
            if self.records.any_start():
                self.fail("index", "indexes/", "the bundle holds no CDXJ index: replay tools cannot find its records")
            return
        wrong = _Problems(names[0], "more index line(s) pointing at no such record")
        for name in names:
            before: str | None = None  # the line above: replay tools find lines by binary search
            unordered = 0
            # An index has a line a record at most: past that (and some lines besides), what is left
            # is read no further (a member of nothing but line ends inflates to gigabytes of lines).
            most = self.records.count + _INDEX_SLACK
            try:
                for n, line in enumerate(self.index_file_lines(name), 1):
                    if line is None:
                        wrong.add(f"{name}:{n}", f"a line longer than {_MAX_LINE} bytes, no CDXJ line; read no further")
                        break
                    if n > most:
                        wrong.add(f"{name}:{n}", f"more lines than the WARCs have records ({self.records.count}); "
                                                 "read no further")
                        break
                    if not line or line.startswith("!"):
                        continue
                    if before is not None and line < before:
                        unordered += 1
                        if unordered == 1:
                            self.fail("index", f"{name}:{n}", "out of order: the line sorts before the one above it, "
                                                               "and replay tools find lines by binary search, which then "
                                                               "misses lines (the index must be sorted bytewise)")
                    before = line
                    why = self.index_line(line)
                    if why is not None:
                        wrong.add(f"{name}:{n}", why)
            except _UNREADABLE as e:
                self.fail("index", name, f"cannot be read ({type(e).__name__}: {e})")
            if unordered > 1:
                self.fail("index", name, f"{unordered} lines in all sort before the line above them")
        for path, detail in wrong.named():
            self.fail("index", path, detail)
        unindexed, first = self.records.unpointed()
        if first is not None:
            file, offset, uri = first
            self.fail("index", names[0], f"{unindexed} answer(s) of the WARCs have no index line, so replay cannot "
                                         f"find them (the first: {uri[:120]}, offset {offset} of {file})")
        for name in sorted(n for n in self.listed if n.startswith("indexes/") and n.endswith(".idx")):
            for path, why in self.block_index(name)[:NAMED_RECORDS + 1]:
                self.fail("index", path, why)

    def block_index(self, name: str) -> list[tuple[str, str]]:
        """What is wrong with a ZipNum block index (`.idx`), which ReplayWeb.page loads up front and
        searches for the one block it reads for a URL. Its lines, as wabac.js reads them: a first
        line `!meta` naming the blocks' file; then each a prefix (the block's first line as far as
        its first `{`, cdxj-indexer's cut; `key timestamp` in ours) and a JSON object saying where
        the block lies (`offset`, `length`, a `digest`, a `filename` of its own), or pywb's
        tab-separated `prefix, file, offset, length[, …]`. Each block at its place, of its digest,
        one whole gzip member whose first line starts with its prefix; the blocks of each file in
        order, back to back over the whole file (a line in no block is found by no one), no two of
        one prefix (the last would stand for both). The first NAMED_RECORDS problems are named, the
        rest counted; no more lines are read than the blocks' files could hold blocks (a gzip
        member takes 20 bytes at least), so a block index of millions of lines costs no memory."""
        wrong = _Problems(name)
        folder = "indexes/"  # (where wabac.js looks for the blocks' file, whatever folder the .idx is in)
        meta: str | None = None
        room = sum(self.zf.getinfo(n).file_size for n in self.listed
                   if n.startswith(folder) and not n.endswith(".idx")) // 20 + 1
        blocks: list[tuple[int, str, str | None, int, int, str | None]] = []  # line, prefix, file, offset, length, digest
        try:
            for n, line in enumerate(self.index_file_lines(name), 1):
                if line is None:
                    return [(f"{name}:{n}", f"a line longer than {_MAX_LINE} bytes: no block index line; read no further")]
                if not line:
                    continue
                if len(blocks) >= room:
                    wrong.add(name, f"more lines than its blocks' files can hold blocks ({room} at most): read no further")
                    break
                try:
                    if " {" not in line and line.find("\t") > 0:  # pywb's form: the first four fields
                        cut, its_file, at, long = line.split("\t")[:4]
                        blocks.append((n, cut, folder + its_file, _count(int(at)), _count(int(long)), None))
                        continue
                    prefix, _, rest = line.partition(" {")
                    entry = json.loads("{" + rest)
                    if not isinstance(entry, dict):
                        raise ValueError
                    if prefix.startswith("!meta"):
                        if n != 1:
                            wrong.add(f"{name}:{n}", "a `!meta` line that is not the first: replay tools read it "
                                                     "only there, and take this one for a block that is none")
                        elif entry.get("filename") is not None:
                            meta = folder + str(entry["filename"])
                        continue
                    own = entry.get("filename")
                    blocks.append((n, prefix, None if own is None else folder + str(own), _count(entry["offset"]),
                                   _count(entry["length"]), None if entry.get("digest") is None else str(entry["digest"])))
                except (ValueError, KeyError, TypeError, OverflowError):
                    wrong.add(f"{name}:{n}", "not a block index line (the block's first line as far as its first "
                                             "`{`, and where the block lies: its offset and length, whole numbers)")
        except _UNREADABLE as e:
            return [(name, f"cannot be read ({type(e).__name__}: {e})")]
        by_file: dict[str, list[tuple[int, str, int, int, str | None]]] = {}
        for n, prefix, file, offset, length, digest in blocks:
            data = file or meta
            if data is None:
                wrong.add(f"{name}:{n}", "names no file its block is in (no `filename`, no first `!meta` line): "
                                         "replay tools cannot find it")
                continue
            by_file.setdefault(data, []).append((n, prefix, offset, length, digest))
        if not blocks and not wrong.count:
            wrong.add(name, "it names no block: replay tools find no line of the index")
        for data, its in by_file.items():
            if data not in self.listed:
                wrong.add(name, f"its blocks' file {data} is not in the bundle: replay tools find no line of it")
                continue
            self.blocks_of(name, data, its, wrong)
        return wrong.named()

    def blocks_of(self, name: str, data: str, blocks: list[tuple[int, str, int, int, str | None]],
                  wrong: _Problems) -> None:
        """What is wrong with the blocks the block index `name` places in `data` (see `block_index`),
        into `wrong`. The file is read forward only, each block once (one out of place is named, not
        read), each inflated to `_MAX_INFLATED` at most and all of them to `_INFLATED_BUDGET`: a
        block index naming a block many times, or blocks of a bomb, cost no more than the file."""
        budget = _INFLATED_BUDGET
        end = 0
        before: str | None = None
        size = self.zf.getinfo(data).file_size
        try:
            with self.zf.open(data) as fh:
                for n, prefix, offset, length, digest in blocks:
                    where = f"{name}:{n}"
                    if before is not None and prefix <= before:
                        wrong.add(where, "the same first line as the block above: replay tools keep one of them, "
                                         "and lose the other's lines" if prefix == before else
                                  "out of order: the block sorts before the one above it, and replay tools find a "
                                  "block by binary search")
                    before = prefix
                    if offset != end:
                        wrong.add(where, f"its block starts at offset {offset} of {data}, where the block above ends "
                                         f"at {end}: the blocks are to lie back to back")
                        if offset < end:
                            continue  # read once already, or before what was read: not read again
                    if length <= 0 or offset + length > size:
                        wrong.add(where, f"its block ({length} bytes at offset {offset}) is not within {data} "
                                         f"({size} bytes)")
                        continue
                    end = offset + length
                    if length > _MAX_BLOCK:
                        wrong.add(where, f"its block is {length} bytes long, no block of index lines (read no more "
                                         f"than {_MAX_BLOCK} bytes)")
                        continue
                    fh.seek(offset)  # (forward only: a zip entry read backwards is inflated again from its start)
                    member = fh.read(length)
                    if digest is not None:
                        hasher = digest_hasher(digest)
                        if hasher is None:
                            wrong.add(where, f"its digest {digest[:80]} names no hash known here")
                        else:
                            hasher.update(member)
                            if not digest_matches(digest, hasher.digest()):
                                wrong.add(where, f"the {length} bytes at offset {offset} of {data} are not of the "
                                                 f"digest {digest[:80]}")
                                continue
                    if budget <= 0:
                        wrong.add(name, f"its blocks inflate past {_INFLATED_BUDGET >> 20} MiB in all: the rest "
                                        "are not read")
                        break
                    first, inflated = _block_start(member, min(_MAX_INFLATED, budget))
                    budget -= inflated
                    if first is None or not first.startswith(prefix):
                        wrong.add(where, f"the block at offset {offset} of {data} starts "
                                         + (f"with {first[:160]!r}" if first is not None else
                                            "with no whole gzip member of index lines (or one that inflates past "
                                            f"{_MAX_INFLATED >> 20} MiB)")
                                         + f", not with {prefix[:160]!r}: replay looks for URLs in the wrong block")
                if end < size:
                    wrong.add(name, f"its blocks end at offset {end} of {data}, which holds {size} bytes: the index "
                                    "lines past them are in no block, and replay finds none of them")
        except _UNREADABLE as e:
            wrong.add(data, f"cannot be read ({type(e).__name__}: {e})")

    def index_file_lines(self, name: str) -> Iterator[str | None]:
        """The lines of one index file (gzip members back to back, as ZipNum blocks are, or plain),
        read as a stream; None for a line past `_MAX_LINE` bytes (and nothing after it)."""
        with self.zf.open(name) as opened:
            raw: Any = opened  # a ZipExtFile, which peeks (its stubs say IO[bytes])
            stream: Any = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == b"\x1f\x8b" else raw
            while line := stream.readline(_MAX_LINE + 1):
                if len(line) > _MAX_LINE and not line.endswith(b"\n"):
                    yield None
                    return
                yield line.decode("utf-8", "replace").rstrip("\r\n")

    def looks_like_warc(self, name: str) -> bool:
        """Whether an entry starts as a WARC file does (a gzip member, or `WARC/`); one that does not
        is named and not read (a reader of WARC headers hunting a line end through gigabytes of one
        byte takes hours)."""
        try:
            with self.zf.open(name) as fh:
                head = fh.read(5)
            if head[:2] == b"\x1f\x8b":
                with self.zf.open(name) as fh, gzip.GzipFile(fileobj=fh) as inflated:
                    head = inflated.read(5)
        except _UNREADABLE as e:
            self.fail("damaged", name, f"cannot be read ({type(e).__name__}: {e})")
            return False
        if head == b"WARC/":
            return True
        self.fail("damaged", name, "not a WARC file: it does not start with a WARC record")
        return False

    def index_line(self, line: str) -> str | None:
        """Why one CDXJ line points at no record of its URL, or says of it what the record does not
        (None: it points at one, and says what it holds)."""
        _key, _, rest = line.partition(" ")
        stamp, _, fields = rest.partition(" ")
        try:
            entry = json.loads(fields)
            where = ("archive/" + str(entry["filename"]), int(entry["offset"]))
            length = int(entry["length"])
        except (ValueError, KeyError, TypeError, OverflowError):  # (OverflowError: an offset of 1e999)
            return "not a CDXJ line with a filename, an offset and a length"
        found = self.records.start(*where)
        if found is None:
            return f"{str(entry.get('url'))[:120]} at offset {where[1]} of {where[0]}, where no record starts"
        uri, size = found.uri, found.length
        if entry.get("url") is not None and entry["url"] != uri:
            return f"{str(entry['url'])[:120]} at offset {where[1]} of {where[0]}, where the record is of {uri[:120]}"
        if length != size:
            return f"{uri[:120]}: {length} bytes long, the record at offset {where[1]} of {where[0]} {size}"
        self.records.point(*where)
        # What replay shows and filters by (the time a reader picks, the status, the type): the record's own.
        said = [(what, "none" if given is None else str(given)[:40], "none" if held is None else held)
                for what, given, held in (("timestamp", stamp, found.timestamp), ("status", entry.get("status"), found.status),
                                          ("mime", entry.get("mime"), found.mime))
                if (None if given is None else str(given)) != held
                # a time to the second (cdxj-indexer's, and bundles exported before milliseconds) is the record's too
                and not (what == "timestamp" and len(stamp) == 14 and (held or "")[:14] == stamp)]
        if said:
            return (f"{uri[:120]} at offset {where[1]} of {where[0]}: the line gives "
                    + ", ".join(f"{what} {given}" for what, given, _held in said) + "; the record says "
                    + ", ".join(f"{what} {held}" for what, _given, held in said))
        return None


def _block_start(member: bytes, limit: int) -> tuple[str | None, int]:
    """The first line of a ZipNum block (None: not one whole gzip member, or one inflating past
    `limit` bytes), and the bytes inflated. The member is inflated to its end a piece at a time,
    only its first line kept."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    head = b""
    data = member
    inflated = 0
    try:
        while True:
            out = inflater.decompress(data, 1 << 16)
            inflated += len(out)
            if inflated > limit:
                return None, inflated
            if b"\n" not in head and len(head) < _MAX_LINE:
                head += out[:_MAX_LINE]
            data = inflater.unconsumed_tail
            if inflater.eof or not data:
                break
    except zlib.error:
        return None, inflated
    if not inflater.eof or inflater.unused_data:
        return None, inflated
    return head.split(b"\n", 1)[0].decode("utf-8", "replace"), inflated


class _Problems:
    """Problems of one file, the first NAMED_RECORDS kept as (path, detail), the rest counted and
    said in one more, of `name`: "and N `more`"."""

    def __init__(self, name: str, more: str = "more problem(s) of its blocks") -> None:
        self.name = name
        self.more = more
        self.kept: list[tuple[str, str]] = []
        self.count = 0

    def add(self, path: str, detail: str) -> None:
        self.count += 1
        if len(self.kept) < NAMED_RECORDS:
            self.kept.append((path, detail))

    def named(self) -> list[tuple[str, str]]:
        more = self.count - len(self.kept)
        return self.kept + ([(self.name, f"and {more} {self.more}")] if more else [])


def _count(value: object) -> int:
    """A byte count or offset as an index line gives it: a whole number, not negative (ValueError)."""
    if type(value) is not int or value < 0:
        raise ValueError(f"not a whole number: {value!r}")
    return value


_MAX_BLOCK = 16 << 20  # a ZipNum block (some thousand index lines, compressed) is read whole up to this
_MAX_INFLATED = 64 << 20  # and inflated up to this (a thousand lines of 64 KB at most)
_INFLATED_BUDGET = 1 << 30  # all the blocks of one file: some 3 million index lines of 300 bytes
_INDEX_SLACK = 10_000  # lines of an index besides a line a record (blank lines, comments, `!meta`)


def left_out_revisit(where: str, record_id: str, payload: str, original: str, left_out: LeftOutList,
                     named_in: str) -> str:
    """The note on a revisit whose original its export left out (named in `named_in`)."""
    return (f"{where}: record {record_id} is a revisit of payload {payload}, whose original {original} was left "
            f"out by export ({left_out.why[original]}; named in {named_in}): the content it stands for cannot be "
            "shown")


def orphan_revisits(records: RecordTable, left_out: LeftOutList, named_in: str, of: str,
                    said: set[str] | frozenset[str] = frozenset()) -> tuple[list[Finding], list[str]]:
    """Each revisit's original among the records read (`RecordTable.orphans`), or named as left
    out by its export (a note): the findings, one for each WARC file holding such revisits, and the
    notes; none of either for the record IDs in `said` (said already, by a capture's check). `of`
    names what holds the originals ("this file", "this bundle")."""
    missing: dict[str, list[str]] = {}
    more: Counter[str] = Counter()  # missing past the first NAMED_RECORDS of a file, counted
    notes: list[str] = []
    for rid, payload, refers_to, uri, file in records.orphans():
        if rid in said:
            continue
        original = left_out.original_of(rid, refers_to)
        if original is not None:
            notes.append(left_out_revisit(file, rid, payload, original, left_out, named_in))
        elif len(missing.setdefault(file, [])) < NAMED_RECORDS:
            missing[file].append(f"{rid} ({uri})")
        else:
            more[file] += 1
    return [Finding("record", file, f"{len(ids) + more[file]} revisit record(s) stand for content that no intact "
                                    f"record of {of} holds, and that its export does not say it left out: they will "
                                    f"not replay: {_named(ids)}" + (f" and {more[file]} more" if more[file] else ""))
            for file, ids in missing.items()], notes


def _named(ids: Sequence[str]) -> str:
    """Record IDs, the first NAMED_RECORDS of them named, then a count."""
    return ", ".join(ids[:NAMED_RECORDS]) + (f" and {len(ids) - NAMED_RECORDS} more" if len(ids) > NAMED_RECORDS else "")


_MAX_POSTS = 64 << 20  # evidence/posts.jsonl read no further than this for what it presents


@dataclass
class _Shown:
    """What a bundle presents as its own: its pages (pages/pages.jsonl) and the posts and citing
    articles of evidence/posts.jsonl. Export takes every record of each capture of a selected post
    and of an article it holds; of any other capture, only the originals its revisits stand for."""

    pages: dict[tuple[str, datetime | str], int]  # (url, instant) of each page -> its place in pages.jsonl
    posts: set[str]
    articles: set[str]

    @classmethod
    def of(cls, check: _Check) -> _Shown:
        posts: set[str] = set()
        articles: set[str] = {url for url, _ts in check.page_list}
        if POSTS in check.listed:
            try:
                with check.zf.open(POSTS) as fh:
                    read = 0
                    while read < _MAX_POSTS and (raw := fh.readline(_MAX_PAGE + 1)):
                        read += len(raw)
                        doc = _json(raw)
                        if not isinstance(doc, dict):
                            continue
                        if isinstance(doc.get("key"), str):
                            posts.add(doc["key"])
                        cited = doc.get("articles")
                        for article in cited if isinstance(cited, list) else ():
                            if isinstance(article, dict) and isinstance(article.get("url"), str):
                                articles.add(article["url"])
            except _UNREADABLE:
                pass  # named by the file's own hash check
        pages: dict[tuple[str, datetime | str], int] = {}
        for place, (url, ts) in enumerate(check.page_list):
            pages.setdefault((url, _instant(ts)), place)
        return cls(pages, posts, articles)

    def presents(self, cap: CaptureTimestamps, entries: list[list[str]]) -> str | None:
        """Why the bundle presents `cap` as its own (None: it does not). Of several pages at its
        records, the one of the capture's own URL is named, else the first of pages.jsonl: the same
        reason whatever order the manifest lists its records in (by their random IDs)."""
        # A page at one of its records: the manifest's own say, whatever its labels.
        at_pages = []
        for fields in entries:
            place = self.pages.get((fields[2], _instant(fields[3])))
            if place is not None:
                at_pages.append((fields[2] != cap.url, place, fields[2], fields[3]))
        if at_pages:
            _, _, uri, when = min(at_pages)
            return f"its record of {uri[:120]} at {when} is a page of {PAGES}"
        if cap.post_key and cap.post_key in self.posts:
            return f"a capture of post {cap.post_key}, which {POSTS} holds"
        if cap.article_url and cap.article_url in self.articles:
            return f"a capture of article {cap.article_url[:120]}, which the bundle holds"
        return None


def _instant(value: str) -> datetime | str:
    """A WARC-Date or a page's `ts` as an instant, to compare times written with different
    precisions; the text itself when it reads as none."""
    try:
        if len(value) == 14 and value.isdigit():  # as a CDXJ line gives it
            return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class Start(NamedTuple):
    """A record of the bundle's WARCs as its index line must describe it."""

    uri: str
    kind: str  # WARC-Type
    length: int
    timestamp: str  # its WARC-Date as an export's CDXJ line gives it (14 digits, 17 to the millisecond)
    status: str | None  # its HTTP status (a response's, a revisit's with HTTP headers), as cdxj-indexer reads it
    mime: str | None  # the media type cdxj-indexer gives it: `warc/revisit`, the HTTP or the record's Content-Type


class BundleRecord(NamedTuple):
    """A WARC record of the bundle as a capture's manifest lists it."""

    line: str  # its manifest line (second version), from its own headers
    intact: bool  # its block matches its WARC-Block-Digest (a revisit's too)
    redacted: bool  # rewritten without credential headers on export (a new block digest)
    payload_intact: bool = False  # a response or resource whose payload matches its WARC-Payload-Digest
    file: str = ""  # the WARC in the bundle
    offset: int = 0  # where it starts in it
    payload_ok: bool = False  # a request, response or resource whose payload (the HTTP body of an
    # http(s) request or response) has the WARC-Payload-Digest it declares, computed from its bytes
    refers_to: str = ""  # a revisit's WARC-Refers-To: the record ID of the original it stands for
    # A response's or resource's URI and time (`uri_at`), when its block is intact; a revisit's
    # WARC-Refers-To-Target-URI and WARC-Refers-To-Date, when it gives both: how it names its original.
    at: int | None = None


# Temporary space (in TMPDIR) that verifying takes a record, as measured on bench/verify_memory.py's
# files (pages of short URLs; a record of a longer URL takes more): what a full disk's message says
# is needed. A WACZ's records take more than a WARC's: where each starts, with what its index line
# must say, is kept besides; and, when the bundle holds captures' timestamps, the record's manifest line.
ROOM_WARC = 215
ROOM_WACZ = 300
ROOM_KEPT = 205

# What is kept of each record read, a row each, in the order read (`seq`); the columns past `uri`
# only with `keep`. Only written while the records are read; looked up (through the indexes made
# then) once every one is read.
_TABLES: dict[str, tuple[str, ...]] = {
    # payload: the payload digest an intact response or resource holds (what revisits stand for);
    # named, uri: of a record whose block does not match its digest, its ID and URI as named.
    # at: of an intact response or resource, its URI and time (`uri_at`), as revisits may name it;
    # original: whether it is an intact response or resource (what a revisit's WARC-Refers-To may name).
    "records": ("seq INTEGER PRIMARY KEY", "rid TEXT", "file INTEGER", '"offset" INTEGER', "intact INTEGER",
                "answer INTEGER", "payload TEXT", "named TEXT", "uri TEXT", "at INTEGER", "original INTEGER",
                "line TEXT", "redacted INTEGER", "payload_ok INTEGER", "refers_to TEXT"),
    # Where each record starts, with what its index line must say (`answer`: a response or revisit
    # of an http(s) URL, which an index line must point at).
    "starts": ("file INTEGER", '"offset" INTEGER', "uri TEXT", "kind TEXT", "length INTEGER", "timestamp TEXT",
               "status TEXT", "mime TEXT", "answer INTEGER"),
    "pointed": ("file INTEGER", '"offset" INTEGER'),  # where index lines point at a record's start
    "covered": ("rid TEXT",),  # the IDs a capture's checked token covers
    # Each revisit as read, whose original is looked for once every record is read.
    "revisits": ("seq INTEGER PRIMARY KEY", "rid TEXT", "file INTEGER", "payload TEXT", "refers_to TEXT",
                 "target INTEGER", "uri TEXT"),
}
_ROWS_PENDING = 250  # rows of a table held before they are written: some 0.1 MB
_INDEXES = ("CREATE INDEX records_rid ON records (rid)",
            "CREATE INDEX records_payload ON records (payload) WHERE payload IS NOT NULL",
            "CREATE INDEX records_at ON records (at) WHERE at IS NOT NULL",
            'CREATE INDEX starts_at ON starts (file, "offset")')
_UNPOINTED = ('FROM starts s WHERE answer AND NOT EXISTS (SELECT 1 FROM pointed p WHERE p.file = s.file '
              'AND p."offset" = s."offset")')


class RecordTable(Scratch):
    """What the checks made after reading a file's records need of them, and no more: held in a
    scratch SQLite file in the temporary folder (TMPDIR; in memory up to SQLite's page cache), so
    that verifying a bundle of millions of records takes memory by what it must look up, not by
    how many records there are (and temporary space by how many: `room` bytes a record, about).
    A row a record, in the order read: its WARC-Record-ID (a second record of one is a problem, and
    a revisit's WARC-Refers-To may name any), the payload digest it holds when intact (what
    revisits stand for), whether its block matches its digest, and, with `keep`, the record as a
    capture's manifest line is checked against it (a `BundleRecord`); where each record starts
    with what its index line must say (`add_start`). Rows are added in batches while the records
    are read; the indexes the look-ups take are made once every record is read (the first look-up).
    A full disk under it is named as that (DiskFull: the scratch file, TMPDIR, the room needed),
    never as damage in what is verified, nor as any archive's index."""

    room = ROOM_WACZ  # temporary space a record takes, about (without `keep`)

    def __init__(self, *, keep: bool = False, tables: dict[str, tuple[str, ...]] | None = None) -> None:
        import sqlite3

        try:
            super().__init__({**_TABLES, **(tables or {})})
        except (sqlite3.Error, OSError) as e:  # (OSError: its folder not made, or no temporary folder usable)
            raise _scratch_failed(e, None, f"some {self.room} bytes a record") from None
        self.keep = keep
        self.count = 0  # records read (those with a WARC-Record-ID)
        self.answers = 0  # of them, those that are no warcinfo record (what a timestamp may cover)
        self.broken = 0  # of them, those whose block does not match its digest
        self._any_start = False
        self._numbers: dict[str, int] = {}  # each WARC file read -> its number, in the order first read
        self._names: list[str] = []
        self._sizes: dict[str, int] = {}  # the bytes of each file to read (`expect`)
        self._before = 0  # bytes of the files read before the one being read
        self._at = 0  # where the last record read starts in its file
        # (SQLite's own page cache, 2 MB, is enough: rows are only appended while reading, the indexes
        # made after; a larger one, 16 MB, took as much CPU time, and 26 MB more memory at its peak.)
        self._ready = False

    def add(self, table: str, values: tuple[Any, ...]) -> None:
        """One row to write, in a batch of at most _ROWS_PENDING (what is pending is in Python's memory)."""
        super().add(table, values)
        if len(self._pending[table]) >= _ROWS_PENDING:
            self._flush()

    @property
    def room_per_record(self) -> int:
        return self.room + (ROOM_KEPT if self.keep else 0)

    def expect(self, file: str, size: int) -> None:
        """A file of `size` bytes is to be read (for the room a full disk would need)."""
        self._sizes[file] = size

    def _number(self, file: str) -> int:
        n = self._numbers.get(file)
        if n is None:
            if self._names:
                self._before += self._sizes.get(self._names[-1], 0)
            n = self._numbers[file] = len(self._names)
            self._names.append(file)
        return n

    @contextmanager
    def _named_when_full(self) -> Iterator[None]:
        """A full disk under the scratch file named as that, with the room verifying needs there;
        any other failure of it as the scratch file's, never as damage in what is verified."""
        import sqlite3

        try:
            with super()._named_when_full():
                yield
        except DiskFull:
            raise _scratch_failed(None, self._folder / "scratch.db", self._needed()) from None
        except sqlite3.Error as e:
            raise _scratch_failed(e, self._folder / "scratch.db", self._needed()) from None

    def _needed(self) -> str:
        """The temporary space verifying the files expected takes, about, from the records read so far."""
        per = self.room_per_record
        if not self.count:
            return f"some {per} bytes a record there"
        records = self.count
        total, read = sum(self._sizes.values()), self._before + self._at
        if not self._ready and 0 < read < total:
            records = int(self.count * total / read)
        return f"about {megabytes(records * per)} there ({per} bytes a record, some {records:,} records)"

    def _finish(self) -> None:
        """Once every record is read: what is pending written, and the indexes the look-ups take."""
        if self._ready:
            return
        self._ready = True
        for sql in _INDEXES:
            self.execute(sql)  # (writes what is pending first)

    def _one(self, query: str, *args: Any) -> Any:
        return next(iter(self._rows(query, *args)), None)

    def _rows(self, query: str, *args: Any) -> list[Any]:
        self._finish()
        try:
            with self._named_when_full():
                return self._db.execute(query, args).fetchall()
        except (UnicodeEncodeError, OverflowError):  # what no record can have (a lone surrogate, a huge number)
            return []

    # -- records ----------------------------------------------------------------------------------

    def add_record(self, rid: str, rec: BundleRecord) -> None:
        """One record read (in the order read)."""
        self.count += 1
        fields = rec.line.split("\t")
        answer = fields[1] != "warcinfo"
        self.answers += answer
        self.broken += not rec.intact
        self._at = rec.offset
        named = (fields[0], fields[2][:120]) if not rec.intact else (None, None)
        kept = (rec.line, int(rec.redacted), int(rec.payload_ok), rec.refers_to) if self.keep else (None,) * 4
        revisit = fields[1] == "revisit"
        original = rec.intact and fields[1] in ("response", "resource")
        self.add("records", (self.count, rid, self._number(rec.file), rec.offset, int(rec.intact), int(answer),
                             fields[5] if rec.payload_intact else None, *named, None if revisit else rec.at,
                             int(original), *kept))
        if revisit:
            self.add("revisits", (self.count, rid, self._number(rec.file), fields[5], rec.refers_to, rec.at,
                                  fields[2][:120]))

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and self._one("SELECT 1 FROM records WHERE rid = ? LIMIT 1", rid) is not None

    def __getitem__(self, rid: str) -> list[BundleRecord]:
        """Every record of that ID, in the order read (only with `keep`)."""
        if not self.keep:
            return []
        rows = self._rows('SELECT line, intact, redacted, payload IS NOT NULL, file, "offset", payload_ok, refers_to '
                          "FROM records WHERE rid = ? ORDER BY seq", rid)
        return [BundleRecord(line, bool(intact), bool(redacted), bool(payload_intact), self._names[file], offset,
                             bool(payload_ok), refers_to)
                for line, intact, redacted, payload_intact, file, offset, payload_ok, refers_to in rows]

    def all_intact(self, rid: str) -> bool:
        """Whether every record of that ID matches its WARC-Block-Digest (none: True)."""
        row = self._one("SELECT min(intact) FROM records WHERE rid = ?", rid)
        return row is None or row[0] is None or bool(row[0])

    def orphans(self) -> Iterator[tuple[str, str, str, str, str]]:
        """(record ID, payload digest, WARC-Refers-To, URI, the WARC file) of each revisit whose
        original no record read holds, in the order of their IDs' first records, then as read. A
        revisit names its original in any of three ways, as replay tools find it: by the payload it
        stands for (held by an intact record), by the original's record ID (WARC-Refers-To, an intact
        response or resource, not the revisit itself; its payload digest may be computed otherwise
        than here, over a de-chunked body), or by its URI and time (WARC-Refers-To-Target-URI and
        -Date, an intact response or resource)."""
        self._finish()
        for rid, payload, refers_to, uri, file in self.query(
                "SELECT v.rid, v.payload, v.refers_to, v.uri, v.file FROM revisits v WHERE NOT ("
                "v.payload != '-' AND EXISTS (SELECT 1 FROM records r WHERE r.payload = v.payload) "
                "OR v.refers_to != '' AND EXISTS (SELECT 1 FROM records r WHERE r.rid = v.refers_to AND r.rid != v.rid "
                "AND r.original) "
                "OR v.target IS NOT NULL AND EXISTS (SELECT 1 FROM records r WHERE r.at = v.target)) "
                "ORDER BY (SELECT min(seq) FROM records r WHERE r.rid = v.rid), v.seq"):
            yield rid, payload, refers_to, uri, self._names[file]

    def has_payload(self, digest: str) -> bool:
        """Whether an intact record holds the payload of this digest (as its manifest line gives it)."""
        return self._one("SELECT 1 FROM records WHERE payload = ? LIMIT 1", digest) is not None

    def cover(self, rid: str) -> None:
        self.add("covered", (rid,))

    def uncovered(self) -> int:
        """Records (warcinfo aside) of IDs that no `cover` named."""
        self._finish()
        ((covered,),) = self.query("SELECT coalesce(sum(answer), 0) FROM records WHERE rid IN (SELECT rid FROM covered)")
        return self.answers - int(covered)

    def problems(self) -> list[Finding]:
        """Two records of one WARC-Record-ID (tools differ on which they take), and records whose block
        does not match their WARC-Block-Digest (the first NAMED_RECORDS named, then a count): each in
        the order of its ID's first record, then as read."""
        self._finish()
        found = []
        twice: list[Any] = []  # the ID, how many records, (file, offset) of the first NAMED_RECORDS, the second's file

        def named() -> None:
            rid, n, places, second = twice
            where = ", ".join(f"offset {offset} of {file}" for file, offset in places)
            found.append(Finding("record", second, f"{n} records have the WARC-Record-ID {rid[:120]} ({where}): an "
                                                   "ID names one record, and tools differ on which they take"))

        for rid, n, file, offset in self.query(
                'WITH twice AS (SELECT rid, min(seq) AS first, count(*) AS n FROM records GROUP BY rid HAVING n > 1) '
                'SELECT t.rid, t.n, r.file, r."offset" FROM twice t JOIN records r ON r.rid = t.rid '
                "ORDER BY t.first, r.seq"):
            if not twice or twice[0] != rid:
                if twice:
                    named()
                twice = [rid, n, [], None]
            elif twice[3] is None:
                twice[3] = self._names[file]
            if len(twice[2]) < NAMED_RECORDS:
                twice[2].append((self._names[file], offset))
        if twice:
            named()
        if self.broken:
            broken = list(self.query('SELECT named, uri, "offset", file FROM records r WHERE NOT intact ORDER BY '
                                     "(SELECT min(seq) FROM records WHERE rid = r.rid), seq LIMIT ?",
                                     (NAMED_RECORDS + 1,)))
            for rid, uri, offset, file in broken[:NAMED_RECORDS]:
                found.append(Finding("record", self._names[file], f"record {rid} ({uri}) at offset {offset}: its "
                                                                  "block does not match its WARC-Block-Digest"))
            if self.broken > NAMED_RECORDS:
                found.append(Finding("record", self._names[broken[NAMED_RECORDS][3]],
                                     f"and {self.broken - NAMED_RECORDS} more record(s) whose block does not match "
                                     "its digest"))
        return found

    # -- where records start ----------------------------------------------------------------------

    def add_start(self, file: str, offset: int, start: Start) -> None:
        self._any_start = True
        answer = start.kind in ("response", "revisit") and start.uri.startswith(("http:", "https:"))
        self.add("starts", (self._number(file), offset, *start, int(answer)))

    def any_start(self) -> bool:
        return self._any_start

    def start(self, file: str, offset: int) -> Start | None:
        number = self._numbers.get(file)
        if number is None:
            return None
        row = self._one('SELECT uri, kind, length, timestamp, status, mime FROM starts WHERE file = ? AND "offset" = ? '
                        "ORDER BY rowid DESC LIMIT 1", number, offset)
        return Start(*row) if row is not None else None

    def point(self, file: str, offset: int) -> None:
        """An index line points at the record starting there."""
        number = self._numbers.get(file)
        if number is not None:
            self.add("pointed", (number, offset))

    def unpointed(self) -> tuple[int, tuple[str, int, str] | None]:
        """How many answers (responses and revisits of http(s) URLs) no index line points at, and the
        first of them by (file, offset): its file, offset and URI. (Files are numbered in the order
        read, which is their names' order.)"""
        self._finish()
        self.execute('CREATE INDEX IF NOT EXISTS pointed_at ON pointed (file, "offset")')
        ((n,),) = self.query(f"SELECT count(*) {_UNPOINTED}")
        first = list(self.query(f'SELECT file, "offset", uri {_UNPOINTED} ORDER BY file, "offset" LIMIT 1'))
        return int(n), ((self._names[first[0][0]], first[0][1], first[0][2]) if first else None)


def _scratch_failed(e: Exception | None, path: Path | None, needed: str) -> ArchiverError:
    """The one-line error for the scratch file at `path` (None: one not made yet) failing: DiskFull
    for a full disk (`e` None, or SQLite's own "full"), naming the temporary folder and the room
    `needed`."""
    import errno
    import tempfile

    from archiver.index.sqlite.damage import is_full

    if path is not None:
        folder: Path | str = path.parent.parent
    else:
        try:
            folder = Path(tempfile.gettempdir())
        except OSError:  # none of the folders Python tries is writable (a full disk among the reasons)
            folder = os.environ.get("TMPDIR") or "/tmp"
    name = f"the scratch file {path}" if path is not None else "a scratch file"
    if e is None or is_full(e) or (isinstance(e, OSError) and e.errno == errno.ENOSPC):
        return DiskFull(f"no space left on device writing {name} (in the temporary folder, TMPDIR, "
                        f"{folder}): verifying needs {needed}; free some space there, or point TMPDIR at a "
                        "larger disk, and run again")
    return ArchiverError(f"cannot use {name} (in the temporary folder, TMPDIR, {folder}): {e}; "
                         "point TMPDIR at a writable folder with room and run again")


def _read_records(it: Any, out: RecordTable, file: str = "", *, starts: bool = False,
                  blocks: dict[str, list[tuple[str, bytes | None]]] | None = None) -> None:
    """Each record's manifest line and digests into `out` (by WARC-Record-ID, every record of an ID);
    with `starts`, where each starts (file, offset) with what its index line must say; the block of
    each `metadata` record whose WARC-Target-URI is a key of `blocks`, with its record ID, into that
    key's list (None past `MAX_KEPT_BLOCK` bytes)."""
    for record in it:
        h = record.rec_headers
        kept: bytearray | None = None
        if blocks is not None and record.rec_type == "metadata" and (h.get_header("WARC-Target-URI") or "") in blocks:
            kept = bytearray()
        rid = h.get_header("WARC-Record-ID")
        block_digest, payload_digest = h.get_header("WARC-Block-Digest"), h.get_header("WARC-Payload-Digest")
        uri = h.get_header("WARC-Target-URI") or ""
        # The payload follows the HTTP headers in an http(s) request or response; a resource is all payload.
        http = record.rec_type in ("response", "request") and uri.startswith(("http:", "https:"))
        hashing = _BlockHashes(block_digest, payload_digest if record.rec_type in ("response", "resource")
                               or http else None, http=http)
        stream: IO[bytes] = record.raw_stream
        # The HTTP head of an answer, for the status and type its index line gives.
        head: bytearray | None = (bytearray() if record.rec_type in ("response", "revisit")
                                  and uri.startswith(("http:", "https:")) else None)
        while chunk := stream.read(_CHUNK):
            hashing.update(chunk)
            if kept is not None and len(kept) <= MAX_KEPT_BLOCK:
                kept += chunk
            if head is not None and len(head) <= _MAX_HEAD and b"\r\n\r\n" not in head:
                head += chunk[:_MAX_HEAD + 1 - len(head)]
        offset = it.get_record_offset()
        if starts:
            it.read_to_end(record)
            status, mime = _indexed_fields(record.rec_type, h.get_header("Content-Type"), head)
            out.add_start(file, offset, Start(uri, record.rec_type, it.get_record_length(),
                                           _timestamp(h.get_header("WARC-Date") or ""), status, mime))
        if kept is not None and blocks is not None:
            blocks[h.get_header("WARC-Target-URI") or ""].append(
                (rid or "", bytes(kept) if len(kept) <= MAX_KEPT_BLOCK else None))
        if rid:
            line = ManifestEntry.of(h, record.rec_type).line()
            payload_ok = hashing.payload_matches()
            intact = hashing.block_matches()
            if record.rec_type == "revisit":
                at = uri_at(h.get_header("WARC-Refers-To-Target-URI"), h.get_header("WARC-Refers-To-Date"))
            else:
                at = uri_at(uri, h.get_header("WARC-Date")) if intact and record.rec_type in ("response", "resource") \
                    else None
            out.add_record(rid, BundleRecord(
                line, intact, h.get_header(REDACTED_FIELD) is not None,
                payload_ok and record.rec_type in ("response", "resource"), file, offset, payload_ok,
                h.get_header("WARC-Refers-To") or "", at))


class _BlockHashes:
    """A record's block digest, and its payload's (the block past the HTTP headers, for an HTTP
    response), computed as the block is read, each with the algorithm its header names."""

    def __init__(self, block: str | None, payload: str | None, *, http: bool) -> None:
        self.block, self.payload = block, payload
        self._block = digest_hasher(block)
        self._payload = digest_hasher(payload)
        self._head: bytearray | None = bytearray() if http and self._payload is not None else None

    def update(self, chunk: bytes) -> None:
        if self._block is not None:
            self._block.update(chunk)
        if self._payload is None:
            return
        if self._head is None:
            self._payload.update(chunk)
            return
        self._head += chunk
        end = self._head.find(b"\r\n\r\n")
        if end >= 0:
            self._payload.update(bytes(self._head[end + 4:]))
            self._head = None
        elif len(self._head) > _MAX_HEAD:
            self._payload = None  # no end of headers: not an HTTP message whose payload can be told

    def block_matches(self) -> bool:
        """True unless a block digest is declared and the block does not have it."""
        if self.block is None:
            return True
        return self._block is not None and digest_matches(self.block, self._block.digest())

    def payload_matches(self) -> bool:
        return (self.payload is not None and self._payload is not None and self._head is None
                and digest_matches(self.payload, self._payload.digest()))


_MAX_HEAD = 1 << 20  # HTTP headers longer than this are not looked for further
MAX_KEPT_BLOCK = 1 << 26  # a metadata block kept for reading (a .warc.gz export's left-out list) past this is none
_TYPE_END = re.compile(r"[;\s]")  # where cdxj-indexer ends a Content-Type's media type


def uri_at(uri: str | None, date: str | None) -> int | None:
    """A record's URI and time, to the second, as one signed 64-bit number (None without either):
    what a revisit's WARC-Refers-To-Target-URI and WARC-Refers-To-Date name, matched against each
    response's WARC-Target-URI and WARC-Date without keeping either (8 bytes a record)."""
    stamp = _timestamp(date)[:14] if uri and date else ""
    if len(stamp) != 14 or not stamp.isdigit():
        return None  # no time that can be read: no original is named by it
    key = f"{uri}\n{stamp}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True)


def _timestamp(warc_date: str) -> str:
    """A WARC-Date as a CDXJ line of an export gives it: 14 digits, then its milliseconds when it has
    a fraction of a second (`archiver.times.cdxj_timestamp`)."""
    from archiver.times import cdxj_timestamp

    return cdxj_timestamp(warc_date)


def _indexed_fields(kind: str, content_type: str | None, head: bytearray | None) -> tuple[str | None, str | None]:
    """(status, mime) as cdxj-indexer writes them for a record of type `kind`: the HTTP status of a
    response or revisit; `warc/revisit` for a revisit, else the HTTP Content-Type of a response, the
    record's own for the others, cut at its first `;` or space. None where it writes none."""
    status = http_type = None
    if head is not None:
        end = head.find(b"\r\n\r\n")
        lines = bytes(head[:end if end >= 0 else len(head)]).decode("latin-1").split("\r\n")
        first = lines[0].split(None, 2) if lines and lines[0] else []
        if len(first) >= 2 and first[0].upper().startswith("HTTP/"):
            status = first[1]
            for line in lines[1:]:
                name, colon, value = line.partition(":")
                if colon and name.strip().lower() == "content-type":
                    http_type = value.strip()
                    break
    if kind == "revisit":
        return status, "warc/revisit"
    given = http_type if kind in ("response", "request") else content_type
    return status, (_TYPE_END.split(given, maxsplit=1)[0].strip() if given is not None else None)


def _same_time(written: str, check: tsa.TokenCheck) -> None:
    """The time written beside a token is for people; it must still be the token's own."""
    if not written:
        return
    try:
        same = parse_created(written) == check.time
    except EvidenceError:
        same = False
    if not same:
        raise TokenInvalid(f"the time written beside it ({written}) is not the token's own")


def _manifest_times(manifest: str) -> list[datetime]:
    """The WARC-Date of each line of a capture's manifest that has one that reads as a time."""
    times = []
    for line in manifest.split("\n")[1:]:
        fields = line.split("\t")
        if len(fields) < 4:
            continue
        try:
            times.append(parse_created(fields[3]))
        except EvidenceError:
            continue
    return times


def not_when_made(manifest: str, captured_at: str | None) -> Callable[[datetime], str | None]:
    """Why a token over a capture's `manifest` was not made when the capture was (None: it was).

    A capture is stamped as soon as its records are written: a token made more than STAMP_WINDOW
    after the latest WARC-Date its manifest lists (or after the capture's `captured_at`) stamps
    records as they were then, which could have been changed, their manifest made again and
    stamped anew by the same authority, in the meantime. One made more than STAMP_WINDOW before
    them stamps records dated later than anything proves: a capture presented as made days after it
    was (a post "still live" then), or a clock set that far wrong.
    """
    times = _manifest_times(manifest)
    latest = max(times) if times else None
    try:
        captured = parse_created(captured_at) if captured_at else None
    except EvidenceError:
        captured = None
    minutes = int(STAMP_WINDOW.total_seconds() // 60)

    def late(when: datetime) -> str | None:
        if latest is None:
            return "its manifest gives no WARC-Date to tell when the capture was made: the token does not show it " \
                   "was timestamped when made"
        for what, made in (("the latest WARC-Date its manifest lists", latest), ("the capture's captured_at", captured)):
            if made is not None and when - made > STAMP_WINDOW:
                return (f"made at {when:%Y-%m-%dT%H:%M:%SZ}, {duration(when - made)} after {what} "
                        f"({made:%Y-%m-%dT%H:%M:%SZ}), more than the {minutes} minutes a capture is stamped within: "
                        "not timestamped when made (the records could have changed before it)")
            if made is not None and made - when > STAMP_WINDOW:
                return (f"made at {when:%Y-%m-%dT%H:%M:%SZ}, {duration(made - when)} before {what} "
                        f"({made:%Y-%m-%dT%H:%M:%SZ}), more than the {minutes} minutes a capture is stamped within: "
                        "the records are dated later than the token proves (dates written after the fact, or a "
                        "clock set wrong)")
        return None

    return late


def _stamp(over: str, check: tsa.TokenCheck) -> Stamp:
    return Stamp(over=over, authority=check.token.authority, time=check.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 root=check.root, anchored=check.anchored)


def _json(data: bytes | None) -> Any:
    try:
        return json.loads(data or b"")
    except ValueError:
        return None


def _b64(value: Any, what: str) -> bytes:
    import base64

    try:
        return base64.b64decode(str(value or ""), validate=True)
    except ValueError:
        raise EvidenceError(f"{what} is not base64") from None


def _pem_chain(value: Any, what: str) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(str(value or "").encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise EvidenceError(f"{what} holds no PEM certificate") from None
    return chain


def _chains_to(chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate], *,
               at: datetime | None = None) -> bool:
    """Whether the chain ends at one of `roots`, or at a certificate one of them issued; EvidenceError
    when the root that issued it cannot issue certificates (no CA's, or not valid at `at`)."""
    last = chain[-1]
    if last in roots:
        return True
    for root in roots:
        if root.subject == last.issuer:
            try:
                last.verify_directly_issued_by(root)
            except Exception:
                continue
            refused = tsa.issuer_refused(last, root, at)
            if refused is not None:
                raise EvidenceError(f"domainCert: {refused}")
            return True
    return False


def verify_path(path: Path, ca_bundles: Sequence[Path] | None = None) -> WaczVerification:
    """`archiver verify X.wacz [--ca-bundle PEM]...`: the CA certificates of every file given are
    trusted. A single-WARC export (`X.warc.gz`) is checked by `verify_warc`."""
    from archiver.evidence.verify_warc import is_warc, verify_warc

    if is_warc(path):
        if ca_bundles:
            raise UsageError(f"{path} is a WARC file, which carries no signature or timestamp to check against a CA: "
                             "leave out --ca-bundle")
        return verify_warc(path)
    roots = None
    if ca_bundles:
        roots = [cert for pem in ca_bundles
                 for cert in tsa.load_certificates(pem, option="--ca-bundle", expected="CA certificates in PEM form")]
    return verify_wacz(path, roots=roots)
