"""Plain records passed between the recorders and the WARC store, and what the fetchers share.

The metadata fetchers (Twitter's syndication and oEmbed, every platform's oEmbed, the Wayback
availability/CDX look-up, short-link resolution) have one failure contract: they never raise for
trouble on the way. Each returns a result whose `error` names what went wrong and whose
`network_failed` says whether it means the network may be down, so that a run treats its later
fetches as offline; `refused` says the network policy kept the tool away from an address. A
refusal or a broken limit (RefusedError, LimitExceeded) is named in `error` but is not
`network_failed`: it says something about one server only (NetworkError.unreachable). `Failure`
turns what the transport raised into those fields. The transport itself (RecordingClient.get)
and the fetchers of content (media, an archived page) raise NetworkError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol

from archiver.errors import NetworkError, RefusedError

if TYPE_CHECKING:
    import httpx


@dataclass
class Exchange:
    """One HTTP request and its response, as seen by the browser or the HTTP client.

    `body` is the payload as received by the caller: when `decoded` is true it has already been
    un-gzipped / de-chunked, and the WARC writer renames Content-Encoding, Transfer-Encoding and
    Content-Length to X-Archive-Orig-* and sets Content-Length to len(body) (docs/warc.md).
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


class Failure(NamedTuple):
    """A metadata fetch that got no answer, in the fields of the fetchers' failure contract."""

    error: str
    network_failed: bool
    refused: bool

    @classmethod
    def of(cls, e: Exception) -> Failure:
        """The failure a NetworkError (or a plain httpx client's transport error) stands for."""
        if isinstance(e, NetworkError):
            return cls(str(e) or type(e).__name__, e.unreachable, isinstance(e, RefusedError))
        return cls(str(e) or type(e).__name__, True, False)


class HttpGetter(Protocol):
    """The part of an HTTP client the fetchers use: a RecordingClient bound to the capture's
    Batch (`client.bind(batch)`), or a plain httpx.Client."""

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> httpx.Response: ...
