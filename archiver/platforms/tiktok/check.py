"""How a TikTok video is asked about: oEmbed, and the embed player's words.

oEmbed answers a public video with its caption (`title`), author (`author_name`,
`author_unique_id`) and thumbnail. For one it will not show, the embed player
(`/embed/v2/ID`) says why in TikTok's words ("This video is private", "… removed for violating our
Community Guidelines", "Video currently unavailable"), which decide the status (docs/platforms.md).
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
)
from archiver.capture.videopage import VideoSite, embed_src_id, video_check
from archiver.platforms.tiktok.detect import canonical_url, embed_url, numeric_id

WORDS: tuple[tuple[str, str], ...] = (
    ("this video is private", "protected"),
    ("removed for violating", "removed"),
    ("community guidelines", "removed"),
    ("deleted by the creator", "deleted"),
    ("not available in your region", "withheld"),
    ("video currently unavailable", "unavailable"),
    ("couldn't find this", "unavailable"),
    ("couldn’t find this", "unavailable"),
)
CODES = {
    400: "oEmbed answered 400: TikTok answers so for private, removed and unknown videos alike",
    404: "oEmbed answered 404: no such video, or one that was removed",
}


def read_embed_page(page: str) -> tuple[PostData | None, str | None]:
    """TikTok's words on an embed player that shows no video (its error text), else nothing."""
    tree = parse_html(page)
    node = tree.css_first(".error-message") or tree.css_first('[data-e2e="error-message"]')
    said = visible_text(node.html or "") if node is not None else None
    return None, said or None


def from_oembed(data: dict[str, Any]) -> PostData:
    thumb = data.get("thumbnail_url")
    handle = data.get("author_unique_id")
    return PostData(handle=handle if isinstance(handle, str) and handle else None,
                    author=data.get("author_name") if isinstance(data.get("author_name"), str) else None,
                    text=data.get("title") if isinstance(data.get("title"), str) else None,
                    media=[thumb] if isinstance(thumb, str) else [])


_VIDEO_ID_ATTR = re.compile(r'data-video-id="(\d+)"')


def oembed_about(data: dict[str, Any]) -> str | None:
    """The video an oEmbed answer is about: its `embed_product_id`, or its blockquote's data-video-id."""
    vid = data.get("embed_product_id")
    if isinstance(vid, str) and vid.isdigit():
        return vid
    return embed_src_id(data, _VIDEO_ID_ATTR)


def read_archived(page: str) -> PostData | None:
    return og_post(page)


SITE = VideoSite(page_url=embed_page_of(embed_url), read_page=read_embed_page, words=WORDS, codes=CODES,
                 from_oembed=from_oembed, oembed_about=oembed_about)
FORMS = post_and_embed_urls(embed_url, id_of=numeric_id, canonical=canonical_url)  # post, canonical, embed
CHECK = video_check("tiktok", SITE, wayback_source(FORMS, read_archived), ("#main", "main"))
