"""YouTube: embed/nocookie iframes (also lazy ones), lite-youtube, amp-youtube, JSON-LD embedUrl."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from archiver.models import Post
from archiver.platforms.base import (
    Attrs,
    EmbedContext,
    EmbedRule,
    Platform,
    UrlMatch,
    query_param,
)

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

_ID = r"(?P<id>[A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])"
_HOST = r"^(?:https?:)?//(?:[a-z0-9-]+\.)*"
EMBED_URL_RE = re.compile(_HOST + r"(?:youtube\.com|youtube-nocookie\.com)/(?:embed|v|e)/" + _ID, re.IGNORECASE)
PATH_URL_RE = re.compile(_HOST + r"youtube\.com/(?:shorts|live|watch)/" + _ID, re.IGNORECASE)
SHORT_URL_RE = re.compile(_HOST + r"youtu\.be/" + _ID, re.IGNORECASE)
WATCH_URL_RE = re.compile(_HOST + r"youtube\.com/(?:watch|attribution_link)\b", re.IGNORECASE)
_VALID_ID = re.compile(r"[A-Za-z0-9_-]{11}")
# Eleven characters in a video ID's place that name no video: a playlist (`embed/videoseries?list=`)
# and a channel's current live stream (`embed/live_stream?channel=`), whichever video that is today.
_NOT_VIDEOS = frozenset({"videoseries", "live_stream"})


def canonical_url(video_id: str, handle: str | None = None) -> str:
    """`https://www.youtube.com/watch?v={id}`."""
    return f"https://www.youtube.com/watch?v={video_id}"


def parse_url(url: str) -> UrlMatch | None:
    """A video ID from embed, nocookie, watch, youtu.be, shorts and live URLs.

    `/embed/videoseries?list=` (a playlist) and `/embed/live_stream?channel=` (whatever a channel
    streams now) are not one video: no match.
    """
    for regex in (EMBED_URL_RE, SHORT_URL_RE, PATH_URL_RE):
        m = regex.match(url)
        if m:
            vid = m.group("id")
            if vid.lower() in _NOT_VIDEOS:
                return None
            return UrlMatch(vid, canonical_url(vid))
    if WATCH_URL_RE.match(url):
        vid = query_param(url, "v")
        if vid is None and (inner := query_param(url, "u")) is not None:
            # attribution_link?a=...&u=/watch?v=ID: the video's own address is in `u`
            vid = query_param("https://www.youtube.com" + inner, "v") if inner.startswith("/watch") else None
        if vid and _VALID_ID.fullmatch(vid) and vid.lower() not in _NOT_VIDEOS:
            return UrlMatch(vid, canonical_url(vid))
    return None


def _id_element(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    attr = "videoid" if node.tag == "lite-youtube" else "data-videoid"
    vid = (attrs.get(attr) or "").strip()
    if not _VALID_ID.fullmatch(vid) or vid.lower() in _NOT_VIDEOS:
        return None
    return [ctx.embedded(PLATFORM, f"{node.tag}[{attr}]", UrlMatch(vid, canonical_url(vid)))]


def _walk_json(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from _walk_json(value)
    elif isinstance(data, list):
        for value in data:
            yield from _walk_json(value)


def _json_ld(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    if (attrs.get("type") or "").strip().lower() != "application/ld+json":
        return None
    raw = node.text()
    if "embedUrl" not in raw:
        return None
    try:
        data = json.loads(raw, strict=False)
    except ValueError:
        return None
    posts: list[Post] = []
    for obj in _walk_json(data):
        types = obj.get("@type")
        types = types if isinstance(types, list) else [types]
        url = obj.get("embedUrl")
        if "VideoObject" in types and isinstance(url, str):
            match = parse_url(url.strip())
            if match:
                posts.append(ctx.embedded(PLATFORM, "script[type=application/ld+json]", match))
    return posts or None


_EMBED_ID = re.compile(r"(?:/embed/|/shorts/|/live/|/v/|youtu\.be/|[?&]v=)([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The player page of a video."""
    vid = post_id if post_id and re.fullmatch(r"[A-Za-z0-9_-]{11}", post_id) else None
    if vid is None and url:
        m = _EMBED_ID.search(url)
        vid = m.group(1) if m else None
    return f"https://www.youtube.com/embed/{vid}" if vid else None


def _oembed(_url: str) -> str | None:
    return "https://www.youtube.com/oembed?format=json&url="


PLATFORM = Platform(
    name="youtube",
    hosts=("youtube.com", "youtube-nocookie.com", "youtu.be"),
    parse_url=parse_url,
    rules=(
        EmbedRule(("lite-youtube",), _id_element, needs=("videoid",)),
        EmbedRule(("amp-youtube",), _id_element, needs=("data-videoid",)),
        EmbedRule(("script",), _json_ld, needs=("type",), claims=False),
    ),
    canonical=canonical_url,
    markup_hints=("lite-youtube",),
    embed_url=embed_url,
    oembed=_oembed,
    embed_selectors=("iframe[src*='youtube.com/embed']", "iframe[src*='youtube-nocookie.com/embed']"),
)
