"""How an Instagram post is asked about: its public captioned embed page, read for the post.

The page (`/p/CODE/embed/captioned/`) shows the author's handle (`.Username`), the caption
(`.Caption`, without its leading handle link and comment count), the picture (`img.EmbeddedMediaImage`,
largest `srcset` candidate) and, in the page's data, the time it was taken (`taken_at_timestamp`).
A post that is gone shows Instagram's words instead; docs/platforms.md lists them.
"""

from __future__ import annotations

import re

from archiver.capture.embedpage import (
    EmbedPage,
    PostData,
    embed_check,
    embed_page_of,
    json_string,
    largest_candidate,
    node_text,
    og_post,
    parse_html,
    post_and_embed_urls,
    wayback_source,
)
from archiver.platforms.base import iso_from_given_seconds
from archiver.platforms.capture import PostRef, found_there_before
from archiver.platforms.instagram.detect import embed_url

# What the embed page says instead of a post (lower case) -> status.
WORDS: tuple[tuple[str, str], ...] = (
    ("this account is private", "protected"),
    ("removed for violating", "removed"),
    ("the page may have been removed", "deleted"),
    ("this page isn't available", "unavailable"),
    ("this page isn’t available", "unavailable"),
    ("post isn't available", "unavailable"),
)
_TAKEN_AT = re.compile(r'"taken_at_timestamp"\s*:\s*(\d{9,11})')
_FULL_NAME = re.compile(r'"owner"\s*:\s*\{[^{}]*?"full_name"\s*:\s*"((?:[^"\\]|\\.)*)"')


def parse_embed(page: str) -> PostData | None:
    """The post an Instagram embed page (or an archived post page) shows."""
    tree = parse_html(page)
    user = tree.css_first(".Username") or tree.css_first(".CaptionUsername")
    caption = tree.css_first(".Caption")
    text = None
    if caption is not None:
        for drop in caption.css(".CaptionUsername, .CaptionComments"):
            drop.decompose()
        text = node_text(caption)
    media = []
    for img in tree.css("img.EmbeddedMediaImage"):
        best = largest_candidate(img.attributes.get("srcset"), img.attributes.get("src"))
        if best and best not in media:
            media.append(best)
    taken = _TAKEN_AT.search(page)
    name = _FULL_NAME.search(page)
    data = PostData(handle=user.text(strip=True).lstrip("@") or None if user is not None else None,
                    author=json_string(name.group(1)) if name else None, text=text,
                    posted_at=iso_from_given_seconds(taken.group(1)) if taken else None, media=media)
    if not data.recovered:
        return og_post(page)
    return data


_PERMALINK = re.compile(r'href="https://www\.instagram\.com/(?:p|reel|tv)/([A-Za-z0-9_-]{5,40})/')


def shown_post(page: str) -> str | None:
    """The post an embed page shows: the one its links to a post lead to, when they all lead to
    one (its "View this post" and comments links); None when it names none, or several."""
    codes = set(_PERMALINK.findall(page))
    return codes.pop() if len(codes) == 1 else None


def _gone_doubt(post: PostRef) -> str | None:
    """Instagram's "Sorry, this page isn't available … may have been removed" is its page for a post
    removed and for an address that never named one (a shortcode mistyped or cut short): it says the
    post is gone only of one a check found there (held as `live`)."""
    if found_there_before(post):
        return None
    return ("Instagram shows this page for an address that never named a post as well (a shortcode mistyped or cut "
            "short): gone only once a check found it there")


CHECK = embed_check(EmbedPage(url=embed_page_of(embed_url), parse=parse_embed, words=WORDS, about=shown_post,
                              gone_doubt=_gone_doubt), wayback_source(post_and_embed_urls(embed_url), parse_embed),
                    (".Embed",))
