"""How a YouTube video is asked about: oEmbed, and the watch page's player response.

The watch page carries `ytInitialPlayerResponse`: `playabilityStatus` (`status` OK, ERROR,
LOGIN_REQUIRED, UNPLAYABLE; `reason` and the error screen's `subreason` in YouTube's words),
`videoDetails` (title, author, description, thumbnails) and `microformat` (publish date, the
channel's @handle). Its words decide the status (docs/platforms.md); the largest thumbnail is the
video's picture.
"""

from __future__ import annotations

import re
from typing import Any

from archiver.capture.embedpage import PostData, og_post, post_and_embed_urls, wayback_source
from archiver.capture.videopage import VideoSite, embed_src_id, json_after, video_check
from archiver.platforms.base import iso_from_datetime_attr
from archiver.platforms.capture import PostRef
from archiver.platforms.youtube.detect import canonical_url, embed_url, parse_url

WORDS: tuple[tuple[str, str], ...] = (
    ("confirm your age", "age_restricted"),
    ("age-restricted", "age_restricted"),
    ("inappropriate for some users", "age_restricted"),
    ("removed by the uploader", "deleted"),
    ("account associated with this video has been terminated", "suspended"),
    ("removed for violating", "removed"),
    ("violation of youtube's terms of service", "removed"),
    ("violation of youtube’s terms of service", "removed"),
    ("this video is private", "protected"),
    ("private video", "protected"),  # (the player's wording since 2023: "Private video. Sign in if you've been granted access")
    ("not made this video available in your country", "withheld"),
    ("video unavailable", "unavailable"),
)
CODES = {
    400: "oEmbed answered 400 (not a video URL it knows)",
    401: "oEmbed answered 401: the video is private, or its owner turned embedding off",
    403: "oEmbed answered 403: the video is private, or its owner turned embedding off",
    404: "oEmbed answered 404: no such video, or one that was removed",
}
_PLAYER = re.compile(r"ytInitialPlayerResponse\s*=\s*")
_HANDLE = re.compile(r"youtube\.com/@([A-Za-z0-9_.-]{3,30})")


def _text(value: Any) -> str | None:
    """YouTube's text objects: a plain string, {"simpleText": ...} or {"runs": [{"text": ...}]}."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        if isinstance(value.get("simpleText"), str):
            return value["simpleText"].strip() or None
        runs = value.get("runs")
        if isinstance(runs, list):
            joined = "".join(r.get("text", "") for r in runs if isinstance(r, dict))
            return joined.strip() or None
    return None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def read_watch_page(page: str) -> tuple[PostData | None, str | None]:
    """(the video's data, YouTube's words when it will not play) from a watch page."""
    player = json_after(page, _PLAYER)
    if not isinstance(player, dict):
        return None, None
    playability = _get(player, "playabilityStatus") or {}
    said = None
    # A stream or premiere still to come (`LIVE_STREAM_OFFLINE`: "This live event will begin in 3
    # hours"): the video is there, public, with its details; it only has nothing to play yet.
    if _get(playability, "status") not in (None, "OK", "LIVE_STREAM_OFFLINE"):
        screen = _get(playability, "errorScreen", "playerErrorMessageRenderer") or {}
        parts = [_text(playability.get("reason")) or _text(screen.get("reason")), _text(screen.get("subreason"))]
        said = ". ".join(p.rstrip(".") for p in parts if p) or f"playability status {playability.get('status')}"
    details = _get(player, "videoDetails") or {}
    micro = _get(player, "microformat", "playerMicroformatRenderer") or {}
    thumbs = [t for t in (_get(details, "thumbnail", "thumbnails") or []) if isinstance(t, dict) and t.get("url")]
    best = max(thumbs, key=lambda t: _size(t.get("width")) * _size(t.get("height")), default=None)
    title, description = _text(details.get("title")), _text(details.get("shortDescription"))
    handle = _HANDLE.search(str(micro.get("ownerProfileUrl") or ""))
    data = PostData(handle=handle.group(1) if handle else None, author=_text(details.get("author")),
                    text="\n\n".join(t for t in (title, description) if t) or None,
                    posted_at=iso_from_datetime_attr(str(micro.get("publishDate") or micro.get("uploadDate") or "")),
                    media=[str(best["url"])] if best else [])
    return (data if data.recovered else None), said


def from_oembed(data: dict[str, Any]) -> PostData:
    handle = _HANDLE.search(str(data.get("author_url") or ""))
    thumb = data.get("thumbnail_url")
    return PostData(handle=handle.group(1) if handle else None, author=_text(data.get("author_name")),
                    text=_text(data.get("title")), media=[thumb] if isinstance(thumb, str) else [])


_EMBED_SRC_ID = re.compile(r"youtube(?:-nocookie)?\.com/embed/([A-Za-z0-9_-]{11})")


def oembed_about(data: dict[str, Any]) -> str | None:
    """The video an oEmbed answer is about: the one its player (`html`) plays."""
    return embed_src_id(data, _EMBED_SRC_ID)


def page_about(page: str) -> str | None:
    """The video a watch page is about (its player's `videoDetails.videoId`)."""
    player = json_after(page, _PLAYER)
    vid = _get(player, "videoDetails", "videoId") if isinstance(player, dict) else None
    return vid if isinstance(vid, str) and vid else None


def page_url(post: PostRef) -> str | None:
    found = parse_url(post.url or "") if post.url else None
    vid = found.post_id if found else post.post_id
    return canonical_url(vid) if vid else None


def read_archived(page: str) -> PostData | None:
    data, _ = read_watch_page(page)
    return data or og_post(page)


SITE = VideoSite(page_url=page_url, read_page=read_watch_page, words=WORDS, codes=CODES, from_oembed=from_oembed,
                 oembed_about=oembed_about, page_about=page_about)
# The embed page is the player alone: its full-page screenshot is the picture.
CHECK = video_check("youtube", SITE, wayback_source(post_and_embed_urls(embed_url), read_archived), ())


def _size(value: object) -> int:
    """A thumbnail's width or height as the page gives it; 0 when it is not a whole number."""
    return value if isinstance(value, int) and not isinstance(value, bool) else (
        int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else 0)
