"""Vimeo: `iframe[src*="player.vimeo.com/video/ID"]` and vimeo.com video links."""

from __future__ import annotations

import re

from archiver.platforms.base import Platform, UrlMatch

PLAYER_URL_RE = re.compile(r"^(?:https?:)?//player\.vimeo\.com/video/(?P<id>\d{3,12})(?!\d)", re.IGNORECASE)
PAGE_URL_RE = re.compile(
    r"^(?:https?:)?//(?:www\.)?vimeo\.com/(?:channels/[\w-]+/|groups/[\w-]+/videos/|album/\d+/video/|video/)?"
    r"(?P<id>\d{3,12})(?=[/?#]|$)",
    re.IGNORECASE,
)


def canonical_url(video_id: str, handle: str | None = None) -> str:
    """`https://vimeo.com/{id}`."""
    return f"https://vimeo.com/{video_id}"


def parse_url(url: str) -> UrlMatch | None:
    """A Vimeo player or page URL -> (video ID, canonical URL)."""
    m = PLAYER_URL_RE.match(url) or PAGE_URL_RE.match(url)
    return UrlMatch(m.group("id"), canonical_url(m.group("id"))) if m else None


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The player page of a video."""
    from archiver.platforms.tiktok import numeric_id

    vid = numeric_id(post_id, url)
    return f"https://player.vimeo.com/video/{vid}" if vid else None


def _oembed(_url: str) -> str | None:
    return "https://vimeo.com/api/oembed.json?url="


PLATFORM = Platform(
    name="vimeo",
    hosts=("vimeo.com",),
    parse_url=parse_url,
    canonical=canonical_url,
    embed_url=embed_url,
    oembed=_oembed,
    embed_selectors=("iframe[src*='player.vimeo.com']",),
)
