"""Vimeo: `iframe[src*="player.vimeo.com/video/ID"]` and vimeo.com video links."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import Attrs, EmbedContext, EmbedRule, Platform, UrlMatch, query_param

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

PLAYER_URL_RE = re.compile(r"^(?:https?:)?//player\.vimeo\.com/video/(?P<id>[0-9]{3,12})(?![0-9])", re.IGNORECASE)
PAGE_URL_RE = re.compile(
    r"^(?:https?:)?//(?:www\.)?vimeo\.com/(?:channels/[A-Za-z0-9_-]+/|groups/[A-Za-z0-9_-]+/videos/|(?:album|showcase)/[0-9]+/video/|video/)?"
    r"(?P<id>[0-9]{3,12})(?:/(?P<hash>[0-9a-f]{6,20}))?(?=[/?#]|$)",
    re.IGNORECASE,
)
# An unlisted video is played, and answered by oEmbed, only with its privacy hash: `vimeo.com/ID/HASH`,
# `player.vimeo.com/video/ID?h=HASH`. Without it Vimeo says the video "does not exist".
_HASH_RE = re.compile(r"[0-9a-f]{6,20}", re.IGNORECASE)
_ID_RE = re.compile(r"[0-9]{3,12}")


def canonical_url(video_id: str, handle: str | None = None) -> str:
    """`https://vimeo.com/{id}`."""
    return f"https://vimeo.com/{video_id}"


def _id_and_hash(url: str) -> tuple[str, str | None] | None:
    """The video's ID and its privacy hash (None for a public video's URL), or None."""
    m = PLAYER_URL_RE.match(url)
    if m:
        given = query_param(url, "h")
        return m.group("id"), (given if given and _HASH_RE.fullmatch(given) else None)
    m = PAGE_URL_RE.match(url)
    return (m.group("id"), m.group("hash")) if m else None


def has_hash(url: str) -> bool:
    """True when the address names its video with a privacy hash (an unlisted video's)."""
    found = _id_and_hash(url)
    return found is not None and found[1] is not None


def parse_url(url: str) -> UrlMatch | None:
    """A Vimeo player or page URL -> (video ID, its page: `vimeo.com/ID`, or `vimeo.com/ID/HASH`
    for an unlisted one)."""
    found = _id_and_hash(url)
    if found is None:
        return None
    vid, secret = found
    return UrlMatch(vid, f"{canonical_url(vid)}/{secret.lower()}" if secret else canonical_url(vid))


def richer_url(known: str, other: str) -> bool:
    """True when `other` names the video `known` names with the privacy hash `known` lacks."""
    a, b = _id_and_hash(known), _id_and_hash(other)
    return a is not None and b is not None and a[0] == b[0] and a[1] is None and b[1] is not None


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The player page of a video (with the hash of an unlisted one, as its URL holds it)."""
    from archiver.platforms.tiktok import numeric_id

    vid = numeric_id(post_id, url)
    if not vid:
        return None
    found = _id_and_hash(url or "")
    secret = found[1] if found is not None and found[0] == vid else None
    return f"https://player.vimeo.com/video/{vid}" + (f"?h={secret.lower()}" if secret else "")


def _amp(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    """`<amp-vimeo data-videoid="ID">`."""
    vid = (attrs.get("data-videoid") or "").strip()
    return [ctx.embedded(PLATFORM, "amp-vimeo", UrlMatch(vid, canonical_url(vid)))] if _ID_RE.fullmatch(vid) else None


def _oembed(_url: str) -> str | None:
    return "https://vimeo.com/api/oembed.json?url="


PLATFORM = Platform(
    name="vimeo",
    hosts=("vimeo.com",),
    parse_url=parse_url,
    # `https://vimeo.com/ID`, what a video known by its ID alone is asked about by (one rebuilt from
    # the index, say). A spelling with an unlisted video's hash wins over it and over any spelling
    # without, whichever came first (`richer_url`): the hash is never lost to the canonical form.
    canonical=canonical_url,
    richer_url=richer_url,
    rules=(EmbedRule(("amp-vimeo",), _amp, needs=("data-videoid",)),),
    embed_url=embed_url,
    oembed=_oembed,
    embed_selectors=("iframe[src*='player.vimeo.com']",),
)
