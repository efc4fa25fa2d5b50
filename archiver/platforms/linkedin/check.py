"""How a LinkedIn post is asked about: its public embed page (`embed/feed/update/urn:li:…`), read.

The embed page shows the author (`[data-tracking-control-name$="actor-name"]`), the text
(`.attributed-text-segment-list__content`) and the pictures (`img` with `data-delayed-url`, or
the largest `srcset` candidate); the post's time is in its ID (detect.py). A post LinkedIn will
not show to an anonymous reader sends it to the `authwall` (`login_required`); its words for a
post that is gone are in docs/platforms.md.
"""

from __future__ import annotations

from archiver.capture.embedpage import (
    EmbedPage,
    PostData,
    embed_check,
    embed_page_of,
    largest_candidate,
    node_text,
    og_post,
    parse_html,
    post_and_embed_urls,
    wayback_source,
)
from archiver.platforms.linkedin.detect import embed_url

WORDS: tuple[tuple[str, str], ...] = (
    ("removed for violating", "removed"),
    ("this post has been deleted", "deleted"),
    ("this post cannot be displayed", "unavailable"),
    ("this content isn't available", "unavailable"),
    ("this content isn’t available", "unavailable"),
    ("sign in to view", "login_required"),
)


def parse_embed(page: str) -> PostData | None:
    """The post a LinkedIn embed page (or an archived post page) shows."""
    tree = parse_html(page)
    actor = tree.css_first('[data-tracking-control-name$="actor-name"]')
    media = []
    for img in tree.css("img[data-delayed-url], .feed-images-content img, img.feed-image"):
        best = img.attributes.get("data-delayed-url") or largest_candidate(
            img.attributes.get("srcset"), img.attributes.get("src"))
        if best and best not in media:
            media.append(best)
    data = PostData(author=actor.text(strip=True) or None if actor is not None else None,
                    text=node_text(tree.css_first(".attributed-text-segment-list__content")), media=media)
    return data if data.recovered else og_post(page)


CHECK = embed_check(EmbedPage(url=embed_page_of(embed_url), parse=parse_embed, words=WORDS), wayback_source(post_and_embed_urls(embed_url), parse_embed),
                    (".share-update-card",))
