"""How a Threads post is asked about: its public embed page (`…/post/CODE/embed`), read.

The embed page names the author and handle in its title tags ("Name (@handle) on Threads"), carries
the text as its description, its time in `time[datetime]`, and its pictures as `img` elements
inside the post (largest `srcset` candidate). Threads' words for a post it will not show are in
docs/platforms.md.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.capture.embedpage import (
    EmbedPage,
    PostData,
    embed_check,
    embed_page_of,
    largest_candidate,
    meta,
    node_text,
    parse_html,
    post_and_embed_urls,
    wayback_source,
)
from archiver.platforms.base import iso_from_datetime_attr
from archiver.platforms.threads.detect import embed_of, embed_url

if TYPE_CHECKING:
    from archiver.platforms.capture import PostRef

WORDS: tuple[tuple[str, str], ...] = (
    ("this profile is private", "protected"),
    ("removed for violating", "removed"),
    ("post has been deleted", "deleted"),
    ("post unavailable", "unavailable"),
    ("post isn't available", "unavailable"),
    ("post isn’t available", "unavailable"),
)
_TITLE = re.compile(r"^(?P<name>.*?)\s*\(@(?P<handle>[A-Za-z0-9_.]{1,30})\)(?:\s+on Threads)?", re.S)


def parse_embed(page: str) -> PostData | None:
    """The post a Threads embed page (or an archived post page) shows."""
    tree = parse_html(page)
    title = _TITLE.match(meta(tree, "og:title") or "")
    body = tree.css_first(".BodyTextContainer")
    when = tree.css_first("time[datetime]")
    media = []
    for img in tree.css(".MediaContainer img, img.MediaImage"):
        best = largest_candidate(img.attributes.get("srcset"), img.attributes.get("src"))
        if best and best not in media:
            media.append(best)
    data = PostData(handle=title.group("handle") if title else None,
                    author=(title.group("name").strip() or None) if title else None,
                    text=node_text(body) if body is not None else meta(tree, "og:description"),
                    posted_at=iso_from_datetime_attr(when.attributes.get("datetime")) if when is not None else None,
                    media=media)
    return data if data.text or data.media else None




def embed_page(post: PostRef) -> str | None:
    """The post's embed page: from its address, else (a `/t/CODE` address) from the handle known
    for it (the article's "Post by @user", an index row); None when no author is known."""
    return embed_page_of(embed_url)(post) or embed_of(post.handle, post.post_id)


CHECK = embed_check(EmbedPage(url=embed_page, parse=parse_embed, words=WORDS), wayback_source(post_and_embed_urls(embed_url), parse_embed),
                    (".ThreadsEmbed",))
