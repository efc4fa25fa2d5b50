"""How a Vimeo video is asked about: oEmbed, and the player page's config or its words.

The player page (`player.vimeo.com/video/ID`) carries `window.playerConfig` (title, owner, the
thumbnail in several widths) for a video it plays, and a sentence of Vimeo's for one it will not
("Sorry, this video does not exist.", "Because of its privacy settings, this video cannot be played
here."), which decides the status (docs/platforms.md).
"""

from __future__ import annotations

import re
from typing import Any

from archiver.capture.embedpage import (
    PostData,
    embed_page_of,
    og_post,
    parse_html,
    post_and_embed_urls,
    visible_text,
    wayback_source,
    words_status,
)
from archiver.capture.videopage import VideoSite, json_after, video_check
from archiver.platforms.base import iso_from_datetime_attr
from archiver.platforms.capture import PostRef, found_there_before
from archiver.platforms.tiktok.detect import numeric_id
from archiver.platforms.vimeo.detect import canonical_url, embed_url, has_hash

WORDS: tuple[tuple[str, str], ...] = (
    ("because of its privacy settings", "protected"),
    ("this video is private", "protected"),
    ("removed for violating", "removed"),
    ("removed due to a violation", "removed"),
    ("not available in your country", "withheld"),
    ("video does not exist", "deleted"),
)
CODES = {
    401: "oEmbed answered 401: the video is private",
    403: "oEmbed answered 403: the video is private, or embeddable only on some sites",
    404: "oEmbed answered 404: no such video, or one embeddable only on some sites",
}
_CONFIG = re.compile(r"window\.playerConfig\s*=\s*")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def read_player_page(page: str) -> tuple[PostData | None, str | None]:
    """(the video's data, Vimeo's words when it will not play) from a player page."""
    config = json_after(page, _CONFIG)
    if not isinstance(config, dict):
        tree = parse_html(page)
        message = tree.css_first(".exception-message")
        node = message or tree.css_first("main") or tree.body
        said = visible_text(node.html or "") if node is not None else None
        # Vimeo's own message element is its word; any other text of the page (a footer, an answer
        # that is no page at all) only when it says one of Vimeo's phrases.
        if said and message is None and words_status(said, WORDS) is None:
            said = None
        return None, said or None
    video = _dict(config.get("video"))
    owner, thumbs = _dict(video.get("owner")), _dict(video.get("thumbs"))
    sized = sorted(((int(k), v) for k, v in thumbs.items() if k.isdigit() and isinstance(v, str)), reverse=True)
    data = PostData(author=owner.get("name") if isinstance(owner.get("name"), str) else None,
                    text=video.get("title") if isinstance(video.get("title"), str) else None,
                    media=[sized[0][1]] if sized else [])
    return (data if data.recovered else None), None


def from_oembed(data: dict[str, Any]) -> PostData:
    thumb = data.get("thumbnail_url")
    when = data.get("upload_date")
    handle = re.fullmatch(r"https?://vimeo\.com/([A-Za-z0-9_]+)/?", str(data.get("author_url") or ""))
    return PostData(handle=handle.group(1) if handle else None, author=data.get("author_name") if isinstance(data.get("author_name"), str) else None,
                    text=data.get("title") if isinstance(data.get("title"), str) else None,
                    posted_at=iso_from_datetime_attr(str(when).replace(" ", "T") + "+00:00") if when else None,
                    media=[thumb] if isinstance(thumb, str) else [])


def oembed_about(data: dict[str, Any]) -> str | None:
    """The video an oEmbed answer is about (its `video_id`)."""
    vid = data.get("video_id")
    return str(vid) if isinstance(vid, (int, str)) and not isinstance(vid, bool) and str(vid) else None


def page_about(page: str) -> str | None:
    """The video a player page's config is about."""
    config = json_after(page, _CONFIG)
    vid = _dict(_dict(config).get("video")).get("id") if isinstance(config, dict) else None
    return str(vid) if isinstance(vid, (int, str)) and not isinstance(vid, bool) and str(vid) else None


def read_archived(page: str) -> PostData | None:
    data, _ = read_player_page(page)
    return data or og_post(page)


def _gone_doubt(post: PostRef) -> str | None:
    """"Does not exist" of a video asked without a privacy hash: Vimeo answers so for an unlisted one
    (played, and answered by oEmbed, only with its hash), which may well be live. Not of one a check
    found live so asked (held as `live`): a public video, which this answer says is gone."""
    if has_hash(post.url or "") or found_there_before(post):
        return None
    return ("Vimeo says so of an unlisted video asked without its privacy hash, which the address cited lacks "
            "(vimeo.com/ID/HASH): it may be live; gone only once a check found it there")


SITE = VideoSite(page_url=embed_page_of(embed_url), read_page=read_player_page, words=WORDS, codes=CODES,
                 from_oembed=from_oembed, oembed_about=oembed_about, page_about=page_about,
                 gone_doubt=_gone_doubt)
FORMS = post_and_embed_urls(embed_url, id_of=numeric_id, canonical=canonical_url)  # post, canonical, embed
CHECK = video_check("vimeo", SITE, wayback_source(FORMS, read_archived), ("#player",))
