"""Public oEmbed metadata and renderable embed URLs, as each platform declares them.

Each `Platform` (archiver/platforms) may name a public oEmbed endpoint (`Platform.oembed`; Instagram,
Facebook and Threads have none usable without a token) and names its embed page (`Platform.embed_url`).
The video platforms' checks ask oEmbed through `fetch_metadata`; `OEMBED_CHECK` is the post check of
a platform without one of its own (a plugin: every built-in platform has its own).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from archiver.capture.types import Failure, HttpGetter
from archiver.errors import NetworkError
from archiver.platforms.capture import PostCheck, PostRef, Probe

if TYPE_CHECKING:
    from archiver.platforms.base import Platform

log = logging.getLogger(__name__)


def _platform(name: str) -> Platform | None:
    from archiver.platforms import BY_NAME

    return BY_NAME.get(name)


def metadata_url(platform: str, url: str) -> str | None:
    """The oEmbed URL to ask about `url`, or None when the platform has no public endpoint."""
    found = _platform(platform)
    endpoint = found.oembed if found is not None else None
    prefix = endpoint(url) if endpoint and url else None
    return prefix + quote(url, safe="") if prefix else None


@dataclass
class Metadata:
    """What a platform's oEmbed endpoint answered for one post (failures: capture/types.py).

    `status` None: no answer arrived, and `error` says why, so that "no answer" is never mistaken
    for "no post". `data` is the JSON object, or {"error": why} when the answer was not one.
    """

    url: str
    status: int | None
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    network_failed: bool = False
    refused: bool = False

    @property
    def unreadable(self) -> str | None:
        """Why an answer that arrived (HTTP 200) cannot be read (not JSON, not a JSON object), in one
        line; None for any other answer. Such an answer says nothing about the post, 200 or not."""
        if self.status == 200 and self.error is not None:
            return f"oEmbed's answer could not be read: {self.error}"
        if self.status == 200 and not any(self.data.get(k) for k in _OEMBED_FIELDS):
            # `{}`, or an object of none of oEmbed's fields: it says nothing of the post.
            return "oEmbed's answer holds none of oEmbed's fields (no type, title, author or html)"
        return None


# What every oEmbed answer holds some of (oEmbed 1.0: `type` and `version` are required; a rich or
# video answer has `html`; the others describe the post).
_OEMBED_FIELDS = ("type", "version", "html", "title", "author_name", "author_url", "thumbnail_url")


def fetch_metadata(client: HttpGetter, platform: str, url: str) -> Metadata | None:
    """Ask the platform's oEmbed endpoint about a post; None when it has none (nothing asked).

    Never raises for network trouble.
    """
    api = metadata_url(platform, url)
    if api is None:
        return None
    try:
        resp = client.get(api, follow_redirects=True)
    except (NetworkError, httpx.TransportError) as e:
        failed = Failure.of(e)
        error = failed.error if isinstance(e, NetworkError) else f"GET {api}: {failed.error}"
        log.info("oEmbed %s: %s", url, error)
        return Metadata(api, None, error=error, network_failed=failed.network_failed, refused=failed.refused)
    if resp.status_code != 200:
        return Metadata(api, resp.status_code)
    try:
        data = resp.json()
    except ValueError:
        return Metadata(api, resp.status_code, {"error": "answer is not JSON"}, error="answer is not JSON")
    if not isinstance(data, dict):
        why = "answer is not a JSON object"
        return Metadata(api, resp.status_code, {"error": why}, error=why)
    return Metadata(api, resp.status_code, data)


def embed_url(platform: str, post_id: str | None, url: str | None) -> str | None:
    """The URL to render in the browser for a post, or None when nothing renderable is known."""
    found = _platform(platform)
    make = found.embed_url if found is not None else None
    return make(post_id, url) if make is not None else url


def _post_url(found: Platform, post: PostRef) -> str | None:
    """The URL oEmbed is asked about: the post's own, else the one its platform builds from its ID
    and handle (a post rebuilt from partial history may have none) when that URL leads back to the
    post's ID, else None. A rule that builds no address of the post without its author (the handle
    not known) or fails builds none: oEmbed asked about another address answers about no post."""
    if post.url:
        return post.url
    if found.canonical is None or not post.post_id:
        return None
    try:
        url = found.canonical(post.post_id, post.handle)
        match = found.parse_url(url)
    except (ValueError, TypeError):
        return None
    return url if match is not None and match.post_id == post.post_id else None


def _probe(post: PostRef, client: HttpGetter) -> Probe:
    """The post's status from its platform's public oEmbed endpoint; none: only the render speaks."""
    found = _platform(post.platform)
    if found is None or found.oembed is None:
        return Probe("unknown")  # no public endpoint: the rendered embed alone speaks for the post
    url = _post_url(found, post)
    if not url:
        # oEmbed asked about "" answers about no post: an error there is no word on this one.
        return Probe("unknown", "not asked: no URL of the post is known", unusable=True)
    meta = fetch_metadata(client, post.platform, url)
    url = url if url != post.url else None  # a URL built here is the one the capture goes on with
    if meta is None:
        return Probe("unknown", url=url)  # no endpoint for this URL: the rendered embed alone speaks
    if meta.unreadable:
        return Probe("unknown", meta.unreadable, url=url)
    if meta.status == 200:
        return Probe("live", url=url, fields={"author": meta.data.get("author_name"), "data": meta.data}, found=True)
    if meta.status in (404, 410):
        # One signal only: not enough to call it deleted (that takes two that agree).
        return Probe("unavailable", f"oEmbed answered {meta.status}", url=url)
    if meta.status is None:
        # A refusal by the network policy says nothing about the post; no answer otherwise does.
        return Probe("unknown" if meta.refused else "unavailable", meta.error, url=url,
                     network_failed=meta.network_failed, refused=meta.refused)
    return Probe("unknown", url=url)


OEMBED_CHECK = PostCheck(probe=_probe)


def check_for(platform: str) -> tuple[PostCheck, Platform | None]:
    """The post check of a platform (its own, or the oEmbed one), and the platform if registered."""
    found = _platform(platform)
    own = found.post_check() if found is not None else None
    return (own if own is not None else OEMBED_CHECK), found
