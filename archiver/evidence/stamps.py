"""RFC 3161 timestamps of captures, asked for as each capture's records are committed.

What a timestamp covers is the capture's *manifest*: one line per WARC record of the capture,

    WARC-Record-ID <TAB> WARC-Type <TAB> WARC-Target-URI <TAB> WARC-Date <TAB> WARC-Block-Digest <TAB> WARC-Payload-Digest

sorted (by code point), each ending in a newline, after the first line `archiver-capture-records/2`;
UTF-8. A tab, carriage return or newline inside a field is written %09, %0D, %0A; a field a record
lacks is `-`. The block digest covers each record's block (HTTP headers and payload, or the
resource); a revisit's block is its HTTP headers only, and the payload it stands for (stored once,
in an earlier record) is the one its payload digest names, which the manifest therefore lists too.
The other fields say which record it is and when and where it was made; the manifest's SHA-256
(`digest`, "sha256:<hex>") is what the authority signs with its time. Anyone holding the WARC records
can rebuild the manifest from their headers alone, check each block digest against the bytes (and
each revisit's original against its payload digest), and check the token over it.

Manifests of the first version (`archiver-capture-records/1`, the first five fields) are still read:
they cover a revisit's headers, not the payload it stands for.

An authority that fails never fails the capture: the capture is kept, the failure is kept in the
index with the stamp's manifest, and the run names it (exit 1). After `GIVE_UP_AFTER` failures in a
row (requests still in flight counting once one failed) an authority is not asked again in this
process: each capture after that is named as not timestamped instead of waiting for it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..errors import UsageError
from ..index.rows import CaptureStamp
from ..redact import endpoint_secrets, redact_endpoint, scrub
from ..times import format_utc, normalise_timestamp, utc_now
from . import DEFAULT_STAMP_DEADLINE, usable_tsa_url

if TYPE_CHECKING:
    from ..index.protocol import ArchiveIndex, Index
    from ..index.rows import RecordLocation

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "archiver-capture-records/2"
MANIFEST_FORMAT_V1 = "archiver-capture-records/1"
GIVE_UP_AFTER = 3
DEADLINE = DEFAULT_STAMP_DEADLINE  # seconds for one request, from the name's look-up to the token's last byte
_ESCAPES = str.maketrans({"\t": "%09", "\r": "%0D", "\n": "%0A"})


@dataclass(frozen=True)
class ManifestEntry:
    """The header fields of one WARC record that a capture's manifest lists."""

    record_id: str
    warc_type: str
    target_uri: str
    date: str
    block_digest: str | None
    payload_digest: str | None = None

    @classmethod
    def of(cls, headers: Any, warc_type: str | None = None) -> ManifestEntry:
        """The entry of a record, from its own WARC headers (warcio's `StatusAndHeaders`)."""
        return cls(headers.get_header("WARC-Record-ID") or "", warc_type or headers.get_header("WARC-Type") or "",
                   headers.get_header("WARC-Target-URI") or "", headers.get_header("WARC-Date") or "",
                   headers.get_header("WARC-Block-Digest"), headers.get_header("WARC-Payload-Digest"))

    def line(self) -> str:
        fields = (self.record_id, self.warc_type, self.target_uri, self.date, self.block_digest or "-",
                  self.payload_digest or "-")
        return "\t".join(f.translate(_ESCAPES) for f in fields)


def manifest(entries: Iterable[ManifestEntry]) -> str:
    """The canonical text a capture's timestamp covers (see the module's docstring)."""
    lines = sorted({entry.line() for entry in entries})
    return "".join(f"{line}\n" for line in [MANIFEST_FORMAT, *lines])


def manifest_of(records: Iterable[RecordLocation]) -> str:
    """The manifest of records just written (`RecordInfo`s, which carry their block digest)."""
    return manifest(ManifestEntry(r.record_id, r.warc_type, r.target_uri, r.date, getattr(r, "block_digest", None),
                                  r.payload_digest) for r in records)


def digest_of(text: str) -> str:
    """The manifest's SHA-256 as the tokens and the bundle name it: "sha256:<hex>"."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_manifest(text: str) -> list[ManifestEntry]:
    """The entries of a manifest of either version (ValueError when it is not one); a first-version
    entry has no payload digest."""
    lines = text.split("\n")
    if not lines or lines[0] not in (MANIFEST_FORMAT, MANIFEST_FORMAT_V1) or lines[-1] != "":
        raise ValueError(f"not a capture manifest (it must start with {MANIFEST_FORMAT!r} and end with a newline)")
    width = 6 if lines[0] == MANIFEST_FORMAT else 5
    entries = []
    for line in lines[1:-1]:
        fields = line.split("\t")
        if len(fields) != width:
            raise ValueError(f"a manifest line has {len(fields)} fields, not {width}: {line[:80]!r}")
        values = [None if f == "-" else f for f in fields[4:]]
        entries.append(ManifestEntry(*fields[:4], *values))
    return entries


class Token(Protocol):
    """What an authority answered: the token (DER) and the time it vouches for."""

    @property
    def der(self) -> bytes: ...
    @property
    def time(self) -> datetime: ...


# Asks the authority at a URL for a token over SHA-256(message), within a deadline (seconds).
Request = Callable[[str, bytes, float], Token]


def default_request(url: str, message: bytes, deadline: float) -> Token:
    from . import tsa

    return tsa.request_token(url, message, deadline=deadline)


@dataclass(frozen=True)
class Authorities:
    """The timestamp authorities a run asks (`--timestamp URL`, or ARCHIVER_TSA): plain settings,
    so that they travel to worker processes. Their URLs are the operator's own endpoints: the
    network policy that guards captures does not apply to them. Each request ends by `deadline`
    seconds (--timestamp-deadline), however the authority answers."""

    urls: tuple[str, ...]
    deadline: float = DEADLINE

    def __bool__(self) -> bool:
        return bool(self.urls)

    @classmethod
    def of(cls, urls: Sequence[str] | None, deadline: float = DEADLINE) -> Authorities | None:
        """The authorities named by `urls` (None when there are none); UsageError for a URL that
        cannot name one (evidence.usable_tsa_url)."""
        found = tuple(dict.fromkeys(u.strip() for u in urls or () if u.strip()))
        for url in found:
            if not usable_tsa_url(url):
                raise UsageError(f"--timestamp {redact_endpoint(url)!r}: a timestamp authority is an http:// or "
                                 "https:// URL")
        return cls(found, deadline) if found else None


class Stamper:
    """Timestamps captures with each authority, keeping every answer (and every failure) in the index."""

    def __init__(self, authorities: Authorities, request: Request | None = None) -> None:
        self.authorities = authorities
        self.request = request or default_request
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}  # authority: failures in a row
        self._pending: dict[str, int] = {}  # authority: requests in flight (pages captured at once)
        self._last_error: dict[str, str] = {}
        self._told_ahead: set[str] = set()  # authorities whose tokens came before their records' dates

    def stamp(self, index: ArchiveIndex, capture_id: int, records: Sequence[RecordLocation]) -> list[str]:
        """Timestamp the capture's records with every authority; the failures, named (also kept in
        the index, where the run's summary finds them)."""
        text = manifest_of(records)
        digest = digest_of(text)
        failures = []
        for url in self.authorities.urls:
            requested = utc_now()
            token, when, error = self._ask(url, text.encode("utf-8"))
            if error is not None:  # named once, by the run's summary (unstamped_failures)
                failures.append(f"capture {capture_id} {_not_stamped(url, error)}")
                log.info("%s", failures[-1])
            elif (ahead := _clock_ahead((r.date for r in records), when)) is not None:
                self._clock_ahead(url, capture_id, ahead, failures)
            index.add_stamp(CaptureStamp(capture_id=capture_id, digest=digest, manifest=text, tsa=url,
                                         token=token, stamped_at=when, error=error, requested_at=requested))
        return failures

    def _clock_ahead(self, url: str, capture_id: int, ahead: str, failures: list[str]) -> None:
        """Name (once a run, per authority) a token that came before the records it stamps are dated:
        this machine's clock is ahead of the authority's, and `verify` will take no capture so stamped
        for timestamped when made. The token is kept: it proves the records existed by its time."""
        with self._lock:
            if url in self._told_ahead:
                log.info("capture %s: timestamped by %s %s before its records' dates", capture_id,
                         redact_endpoint(url), ahead)
                return
            self._told_ahead.add(url)
        failures.append(f"capture {capture_id}: {_ahead_words(url, ahead)}")
        log.info("%s", failures[-1])  # (named once, by the run's summary: `unstamped_failures`)

    def _ask(self, url: str, message: bytes) -> tuple[str | None, str | None, str | None]:
        """(token as base64, its time, None) or (None, None, why there is none)."""
        with self._lock:
            failed, pending = self._failures.get(url, 0), self._pending.get(url, 0)
            # Once it failed, the requests still in flight count too: captures made at once never
            # send more than GIVE_UP_AFTER requests to an authority that stopped answering.
            if failed and failed + pending >= GIVE_UP_AFTER:
                last = self._last_error.get(url) or "a request still waiting"
                return None, None, (f"not asked: the authority failed {failed} time(s) in a row in this run "
                                    f"(last: {last})")
            self._pending[url] = pending + 1
        try:
            answer = self.request(url, message, self.authorities.deadline)
        except Exception as exc:  # an authority's failure, whatever it is, never fails the capture
            error = scrub(str(exc) or type(exc).__name__, endpoint_secrets(url))
            with self._lock:
                self._pending[url] -= 1
                self._failures[url] = self._failures.get(url, 0) + 1
                self._last_error[url] = error
            return None, None, error
        with self._lock:
            self._pending[url] -= 1
            self._failures[url] = 0
        return base64.b64encode(answer.der).decode("ascii"), format_utc(answer.time), None


def _clock_ahead(record_dates: Iterable[str], stamped_at: str | None) -> str | None:
    """How long before the latest of the records' WARC-Dates a token of `stamped_at` was made, when
    that is more than the window `verify` allows (`sign.STAMP_WINDOW`); else None."""
    from ..times import parse_timestamp
    from .sign import STAMP_WINDOW, duration

    made = parse_timestamp(stamped_at) if stamped_at else None
    dates = [d for d in (parse_timestamp(r) for r in record_dates) if d is not None]
    if made is None or not dates or max(dates) - made <= STAMP_WINDOW:
        return None
    return duration(max(dates) - made)


def unstamped_failures(index: ArchiveIndex, since: str) -> list[str]:
    """One line per capture made since `since` that an authority did not timestamp, naming the
    capture's post or article, the authority and why; and one per authority whose tokens came
    before the records they stamp are dated (this machine's clock ahead of it: `_clock_ahead`)."""
    out = []
    for s in index.unstamped_since(since):
        owner = s.post_key or s.article_url or s.capture_url or f"capture {s.capture_id}"
        out.append(f"{owner}: capture {s.capture_id} ({s.captured_at}) {_not_stamped(s.tsa, s.error)}")
    early: dict[str, list[tuple[CaptureStamp, str]]] = {}
    # Records are written before their capture is stamped: a token more than the window before them
    # is one more than the window before its request, by this machine's clock. Only those are read whole.
    asked_early = sorted({capture for capture, _tsa, made, asked in index.stamp_times_since(since)
                          if _clock_ahead([asked], made) is not None})
    # (every index is both: the run holds it as the one it writes)
    for s in cast("Index", index).capture_stamps(asked_early) if asked_early else ():
        if not s.token or not s.requested_at or s.requested_at < normalise_timestamp(since):
            continue
        try:
            dates = [e.date for e in parse_manifest(s.manifest)] if s.manifest else []
        except ValueError:
            continue  # (a manifest this archiver wrote reads; `verify` names one that does not)
        if (ahead := _clock_ahead(dates, s.stamped_at)) is not None:
            early.setdefault(s.tsa, []).append((s, ahead))
    for url, stamps in early.items():
        first, ahead = stamps[0]
        owner = first.post_key or first.article_url or first.capture_url or f"capture {first.capture_id}"
        others = f" and {len(stamps) - 1} other(s)" if len(stamps) > 1 else ""
        out.append(f"{owner}: capture {first.capture_id}{others}: {_ahead_words(url, ahead)}")
    return out


def _ahead_words(url: str, ahead: str) -> str:
    return (f"timestamp authority {redact_endpoint(url)} dated its token {ahead} before the capture's records: this "
            "machine's clock is ahead of the authority's, and `archiver verify` will not count captures so stamped as "
            "timestamped when made; set this machine's clock right")


def _not_stamped(url: str, error: str | None) -> str:
    """"not timestamped ...", naming the authority once (its own errors name it already), never with
    the password or token its URL may carry."""
    shown = redact_endpoint(url)
    if error:
        error = scrub(error, endpoint_secrets(url))
    if error and shown in error:
        return f"not timestamped: {error}"
    return f"not timestamped by {shown}: {error or 'no token'}"
