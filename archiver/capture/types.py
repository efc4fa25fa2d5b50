"""The part of an HTTP client that the fetchers need, and the failure contract they share.

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

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from archiver.errors import NetworkError, RefusedError

if TYPE_CHECKING:
    import httpx


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
        from archiver.capture.http import is_unreachable

        return cls(str(e) or type(e).__name__, is_unreachable(e), False)


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


def answer_or_failure(client: HttpGetter, url: str, *, follow_redirects: bool = True) -> httpx.Response | Failure:
    """GET `url` through `client` (a recording client writes every exchange to the capture's WARC):
    the response, whatever its status, or the Failure that stands for no answer. Never raises for
    network trouble."""
    import httpx

    try:
        return client.get(url, follow_redirects=follow_redirects)
    except (NetworkError, httpx.TransportError) as e:
        return Failure.of(e)


def json_list(value: Any) -> list[Any]:
    """`value` when an answer's JSON gave a list there, else an empty one (a server may send anything)."""
    return value if isinstance(value, list) else []


def json_text(value: Any) -> str | None:
    """`value` when an answer's JSON gave text there (not empty), else None."""
    return value if isinstance(value, str) and value else None


def given(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields a source really gave: without those it left empty (None, [], "")."""
    return {k: v for k, v in fields.items() if v not in (None, [], "")}
