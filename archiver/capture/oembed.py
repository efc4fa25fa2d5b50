"""Public metadata endpoints and renderable embed URLs for every platform (docs/platforms.md).

Two registries, one entry per platform:
- `METADATA`: oEmbed endpoints that answer without credentials. Instagram and
  Facebook need a token and Threads has nothing usable, so they have no entry: their status comes
  from the rendered embed alone. Truth Social's API is not listed either: unverified, and an
  endpoint that does not exist would answer 404 and read as a missing post.
- `EMBEDS`: the URL to open in the browser to see the post as an article shows it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from archiver.capture.types import Failure, HttpGetter
from archiver.errors import NetworkError
from archiver.platforms.twitter.detect import parse_status_url

log = logging.getLogger(__name__)


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _mastodon_endpoint(url: str) -> str | None:
    # Every Mastodon instance serves its own oEmbed: the endpoint is on the post's host.
    host = _host(url)
    return f"https://{host}/api/oembed?url=" if host else None


# platform -> function giving the endpoint prefix (the quoted post URL is appended) for a post URL.
METADATA: dict[str, Callable[[str], str | None]] = {
    "twitter": lambda _url: "https://publish.twitter.com/oembed?omit_script=1&dnt=1&url=",
    "youtube": lambda _url: "https://www.youtube.com/oembed?format=json&url=",
    "tiktok": lambda _url: "https://www.tiktok.com/oembed?url=",
    "vimeo": lambda _url: "https://vimeo.com/api/oembed.json?url=",
    "reddit": lambda _url: "https://www.reddit.com/oembed?url=",
    "bluesky": lambda _url: "https://embed.bsky.app/oembed?url=",
    "mastodon": _mastodon_endpoint,
}


def metadata_url(platform: str, url: str) -> str | None:
    """The oEmbed URL to ask about `url`, or None when the platform has no public endpoint."""
    endpoint = METADATA.get(platform)
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


# --- embed URLs ---------------------------------------------------------------------------------

_YOUTUBE_ID = re.compile(r"(?:/embed/|/shorts/|/live/|/v/|youtu\.be/|[?&]v=)([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")
_INSTAGRAM = re.compile(r"instagram\.com/(?:[A-Za-z0-9_.]+/)?(?:p|reel|reels|tv)/([A-Za-z0-9_-]+)", re.I)
_NUMERIC_TAIL = re.compile(r"/(?:video|videos)/(\d+)|/(\d+)(?:[/?#]|$)")
_BSKY = re.compile(r"bsky\.app/profile/(did:[a-z]+:[A-Za-z0-9._:%-]+)/post/([A-Za-z0-9._:~-]+)", re.I)
_AT_URI = re.compile(r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]+)$", re.I)
_MASTO_STATUS = re.compile(r"^https://([^/]+)/@([A-Za-z0-9_]+)(?:@[^/]+)?/(\d+)(?:[/?#]|$)", re.I)
_TELEGRAM = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/(?:s/)?([A-Za-z0-9_]{4,64})/(\d+)", re.I)
_LINKEDIN = re.compile(r"urn:li:(activity|share|ugcPost):(\d+)", re.I)


def _twitter(post_id: str | None, url: str | None) -> str | None:
    found = parse_status_url(url) if url else None
    pid = post_id or (found[1] if found else None)
    return f"https://platform.twitter.com/embed/Tweet.html?id={pid}" if pid and pid.isdigit() else None


def _youtube(post_id: str | None, url: str | None) -> str | None:
    vid = post_id if post_id and re.fullmatch(r"[A-Za-z0-9_-]{11}", post_id) else None
    if vid is None and url:
        m = _YOUTUBE_ID.search(url)
        vid = m.group(1) if m else None
    return f"https://www.youtube.com/embed/{vid}" if vid else None


def _instagram(post_id: str | None, url: str | None) -> str | None:
    m = _INSTAGRAM.search(url or "")
    code = m.group(1) if m else post_id
    return f"https://www.instagram.com/p/{code}/embed/captioned/" if code else None


def _numeric(post_id: str | None, url: str | None) -> str | None:
    if post_id and post_id.isdigit():
        return post_id
    m = _NUMERIC_TAIL.search(url or "")
    return (m.group(1) or m.group(2)) if m else None


def _tiktok(post_id: str | None, url: str | None) -> str | None:
    vid = _numeric(post_id, url)
    return f"https://www.tiktok.com/embed/v2/{vid}" if vid else None


def _vimeo(post_id: str | None, url: str | None) -> str | None:
    vid = _numeric(post_id, url)
    return f"https://player.vimeo.com/video/{vid}" if vid else None


def _bluesky(post_id: str | None, url: str | None) -> str | None:
    # embed.bsky.app names the author by DID; a post URL that names a handle renders as itself.
    m = _BSKY.search(url or "") or _AT_URI.match(url or "")
    if m:
        return f"https://embed.bsky.app/embed/{m.group(1)}/app.bsky.feed.post/{m.group(2)}"
    return url


def _mastodon(post_id: str | None, url: str | None) -> str | None:
    # Mastodon (and its forks) render any public status at <status URL>/embed.
    m = _MASTO_STATUS.match(url or "")
    if m:
        return f"https://{m.group(1)}/@{m.group(2)}/{m.group(3)}/embed"
    return url


def _facebook(post_id: str | None, url: str | None) -> str | None:
    if not url:
        return None
    kind = "video" if re.search(r"/videos?/|/watch/?\?|/reel/", url) else "post"
    return f"https://www.facebook.com/plugins/{kind}.php?href={quote(url, safe='')}&show_text=true"


def _telegram(post_id: str | None, url: str | None) -> str | None:
    m = _TELEGRAM.match(url or "") or _TELEGRAM.match(f"t.me/{post_id}" if post_id else "")
    return f"https://t.me/{m.group(1)}/{m.group(2)}?embed=1" if m else url


def _linkedin(post_id: str | None, url: str | None) -> str | None:
    m = _LINKEDIN.search(url or "")
    if m:
        return f"https://www.linkedin.com/embed/feed/update/urn:li:{m.group(1)}:{m.group(2)}"
    if post_id and post_id.isdigit():
        return f"https://www.linkedin.com/embed/feed/update/urn:li:activity:{post_id}"
    return url


def _as_is(post_id: str | None, url: str | None) -> str | None:
    return url


# platform -> (post_id, post URL) -> URL to render. Threads and Reddit pages render as they are.
EMBEDS: dict[str, Callable[[str | None, str | None], str | None]] = {
    "twitter": _twitter,
    "youtube": _youtube,
    "instagram": _instagram,
    "tiktok": _tiktok,
    "vimeo": _vimeo,
    "bluesky": _bluesky,
    "mastodon": _mastodon,
    "truthsocial": _mastodon,
    "facebook": _facebook,
    "telegram": _telegram,
    "linkedin": _linkedin,
    "threads": _as_is,
    "reddit": _as_is,
}


def embed_url(platform: str, post_id: str | None, url: str | None) -> str | None:
    """The URL to render in the browser for a post, or None when nothing renderable is known."""
    make = EMBEDS.get(platform, _as_is)
    return make(post_id, url)
