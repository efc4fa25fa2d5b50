"""The Wayback Machine: the closest archived copy of a URL, and its bytes as captured.

Lookups use the availability API first, then the CDX API, for every spelling of the URL the caller
names (a platform's own forms: a tweet under twitter.com and x.com). The availability API answers
with `http://web.archive.org/...` URLs; every URL handed out here is https. Archived pages are
read with the raw `id_` mode (the bytes as captured, no replay toolbar).

The look-up follows the metadata fetchers' failure contract (capture/types.py): it never raises,
and "could not ask" comes back named in `SnapshotLookup.error`, never confused with "no snapshot".
Reading the archived page itself (`fetch_raw`) is a fetch of content: it raises NetworkError.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from archiver.capture.types import Failure, HttpGetter
from archiver.errors import NetworkError
from archiver.times import iso_seconds

if TYPE_CHECKING:
    import httpx  # imported where used: `scan` loads these modules and needs no HTTP client

    from archiver.index.protocol import ArchiveIndex

log = logging.getLogger(__name__)

AVAILABLE_API = "https://archive.org/wayback/available"
CDX_API = "https://web.archive.org/cdx/search/cdx"
WEB = "https://web.archive.org/web"
# How the error of a `wayback` capture begins when the look-up could not be made (no answer, or a
# 5xx or 429 from the availability or CDX API, or from the copy itself): the post is looked up
# again on its next re-check, whatever its status then.
LOOKUP_NOT_MADE = "Wayback lookup not made"

WEB_URL_RE = re.compile(r"^(?:https?:)?//web\.archive\.org/web/(\d{1,14})(?:[a-z]{2}_)?/(.+)$", re.I | re.S)
_TIMESTAMP = re.compile(r"^\d{14}$")


@dataclass
class Snapshot:
    """One Wayback capture of a URL."""

    original: str  # the URL as the archive recorded it
    timestamp: str  # 14 digits, UTC
    via: str = "available"  # which API found it: available | cdx
    status: str | None = "200"

    @property
    def url(self) -> str:
        """The replay URL (with the archive's toolbar), always https."""
        return f"{WEB}/{self.timestamp}/{self.original}"

    @property
    def raw_url(self) -> str:
        return raw_url(self)

    @property
    def captured_at(self) -> str:
        """The capture time as ISO 8601 UTC."""
        return iso_seconds(datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC))


@dataclass
class SnapshotLookup:
    """What the availability and CDX APIs said about a URL (failures: capture/types.py).

    `snapshot` None without an `error`: nothing archived; with one: the look-up was not made (for
    some spelling of the URL neither API answered, or each answered 5xx or 429: an overloaded
    archive says nothing about what it holds).
    """

    snapshot: Snapshot | None = None
    error: str | None = None
    network_failed: bool = False
    refused: bool = False


def copy_time(url: str) -> str | None:
    """When the Wayback Machine made the copy a replay URL (`web.archive.org/web/<14 digits>/...`)
    shows, as ISO 8601 UTC; None for any other URL."""
    m = WEB_URL_RE.match(url.strip())
    if m is None or not _TIMESTAMP.match(m.group(1)):
        return None
    try:
        return Snapshot(m.group(2), m.group(1)).captured_at
    except ValueError:  # 14 digits that are no date (month 13)
        return None


def raw_url(snapshot: Snapshot) -> str:
    """`https://web.archive.org/web/{ts}id_/{url}`: the archived bytes without replay rewriting."""
    return f"{WEB}/{snapshot.timestamp}id_/{snapshot.original}"


def https_wayback_url(url: str) -> str:
    """`http://web.archive.org/web/TS/URL` (as the availability API writes it) -> https."""
    m = WEB_URL_RE.match(url.strip())
    return f"{WEB}/{m.group(1)}/{m.group(2)}" if m else url

def _get(client: HttpGetter, url: str, *, follow: bool = False) -> httpx.Response:
    import httpx

    from archiver.capture.http import is_unreachable
    from archiver.errors import NetworkUnreachable

    try:
        return client.get(url, follow_redirects=follow)
    except httpx.TransportError as e:
        # (a plain httpx client's error: whether the network itself may be down, as the
        # RecordingClient tells it)
        kind = NetworkUnreachable if is_unreachable(e) else NetworkError
        raise kind(f"GET {url}: {e or type(e).__name__}") from e


def find_snapshot(client: HttpGetter, url: str, *, timestamp: str | None = None,
                  forms: Callable[[str], list[str]] | None = None) -> SnapshotLookup:
    """The closest 200 capture of `url` (any of its spellings `forms(url)`), if there is one.

    Never raises for network trouble: the lookup's `error` is set when it was not made, that is
    when for some spelling neither API gave an answer (none arrived, or a 5xx or 429 did).
    """
    import httpx

    forms_asked = forms(url) if forms is not None else [url]
    not_answered = set(forms_asked)
    failures: list[Failure] = []
    for lookup in (_available, _cdx):
        for form in forms_asked:
            try:
                snap = lookup(client, form, timestamp)
            except (NetworkError, httpx.TransportError) as e:
                failures.append(Failure.of(e))
                continue
            not_answered.discard(form)
            if snap is not None:
                return SnapshotLookup(snap)
    if not_answered and failures:
        return SnapshotLookup(None, f"lookup not made: {failures[0].error}",
                              network_failed=all(f.network_failed for f in failures),
                              refused=all(f.refused for f in failures))
    return SnapshotLookup(None)


def unanswered(status: int) -> bool:
    """True for an answer of the Wayback Machine that says nothing of what it holds: a 5xx (it is
    down or overloaded, as it often is) or a 429 (it asks us to slow down)."""
    return status >= 500 or status == 429


def _answer(resp: httpx.Response, api: str) -> httpx.Response:
    """`resp`, unless it is no answer (`unanswered`): then the NetworkError that names it."""
    if unanswered(resp.status_code):
        raise NetworkError(f"GET {api}: HTTP {resp.status_code}")
    return resp


def _available(client: HttpGetter, url: str, timestamp: str | None) -> Snapshot | None:
    api = f"{AVAILABLE_API}?url={quote(url, safe='')}"
    if timestamp:
        api += f"&timestamp={timestamp}"
    resp = _answer(_get(client, api, follow=True), api)
    if resp.status_code != 200:
        log.info("wayback available %s: HTTP %s", url, resp.status_code)
        return None
    try:
        data = resp.json()
    except ValueError:
        return None
    closest = (data.get("archived_snapshots") or {}).get("closest") if isinstance(data, dict) else None
    if not isinstance(closest, dict) or not closest.get("available", True):
        return None
    if str(closest.get("status", "200")) != "200":
        return None  # a capture of a redirect or an error page shows nothing of the post
    m = WEB_URL_RE.match(str(closest.get("url", "")))
    ts = str(closest.get("timestamp") or (m.group(1) if m else ""))
    if not m or not _TIMESTAMP.match(ts):
        return None
    return Snapshot(original=m.group(2), timestamp=ts, via="available")


def _cdx(client: HttpGetter, url: str, timestamp: str | None) -> Snapshot | None:
    api = f"{CDX_API}?url={quote(url, safe='')}&output=json&filter=statuscode:200&limit=-5"
    resp = _answer(_get(client, api, follow=True), api)
    if resp.status_code != 200 or not resp.content.strip():
        return None
    try:
        rows = resp.json()
    except ValueError:
        return None
    if not isinstance(rows, list) or len(rows) < 2 or not isinstance(rows[0], list):
        return None
    header = [str(h) for h in rows[0]]
    try:
        i_ts, i_orig = header.index("timestamp"), header.index("original")
    except ValueError:
        return None
    i_status = header.index("statuscode") if "statuscode" in header else None
    snaps = [
        Snapshot(original=str(r[i_orig]), timestamp=str(r[i_ts]), via="cdx",
                 status=str(r[i_status]) if i_status is not None else None)
        for r in rows[1:]
        if isinstance(r, list) and len(r) > max(i_ts, i_orig) and _TIMESTAMP.match(str(r[i_ts]))
    ]
    snaps = [s for s in snaps if s.status in (None, "200")]
    if not snaps:
        return None
    if timestamp:
        want = int(timestamp.ljust(14, "0")[:14])
        return min(snaps, key=lambda s: abs(int(s.timestamp) - want))
    return max(snaps, key=lambda s: s.timestamp)



def fetch_raw(client: HttpGetter, snapshot: Snapshot) -> httpx.Response:
    """The archived bytes of a snapshot (raises NetworkError)."""
    return _get(client, raw_url(snapshot), follow=True)


def last_lookups(index: ArchiveIndex, post_key: str) -> tuple[str | None, str | None]:
    """When the Wayback Machine's look-up APIs last answered a look-up for the post, and when one
    last could not be made (None: never), to the millisecond as every time the archive shows (the
    answer's time is its WARC record's, written to the microsecond)."""
    from archiver.times import normalise_timestamp

    answered, failed = index.wayback_lookups(post_key, LOOKUP_NOT_MADE, (AVAILABLE_API, CDX_API))
    return (normalise_timestamp(answered) if answered else None), (normalise_timestamp(failed) if failed else None)
