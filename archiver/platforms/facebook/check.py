"""How a Facebook post is asked about: its public post plugin (`plugins/post.php?href=`), read.

The plugin shows the post's page name, its text (`.userContent`), its time (`abbr[data-utime]`,
Unix seconds) and its pictures (largest `srcset` candidate of `img.scaledImageFitWidth`). For a
post it will not show, Facebook says "This Facebook post is no longer available. It may have been
removed or the privacy settings of the post may have changed": it does not say which, so such a
post is `unavailable` with those words as the reason. A plugin that sends the reader to log in is
`login_required`.
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
from archiver.platforms.base import iso_from_given_seconds
from archiver.platforms.facebook.detect import embed_url

WORDS: tuple[tuple[str, str], ...] = (
    ("removed for violating", "removed"),
    ("this facebook post is no longer available", "unavailable"),
    ("this content isn't available", "unavailable"),
    ("this content isn’t available", "unavailable"),
    ("you must log in", "login_required"),
)


def parse_embed(page: str) -> PostData | None:
    """The post a Facebook post plugin (or an archived post page) shows."""
    tree = parse_html(page)
    text = node_text(tree.css_first(".userContent") or tree.css_first('[data-testid="post_message"]'))
    author_node = tree.css_first(".fwb a") or tree.css_first("._50f7")
    stamp = tree.css_first("abbr[data-utime]")
    utime = (stamp.attributes.get("data-utime") or "") if stamp is not None else ""
    media = []
    for img in tree.css("img.scaledImageFitWidth, img._46-i"):
        best = largest_candidate(img.attributes.get("srcset"), img.attributes.get("src"))
        if best and best not in media:
            media.append(best)
    data = PostData(author=author_node.text(strip=True) or None if author_node is not None else None, text=text,
                    posted_at=iso_from_given_seconds(utime), media=media)
    return data if data.recovered else og_post(page)


CHECK = embed_check(EmbedPage(url=embed_page_of(embed_url), parse=parse_embed, words=WORDS), wayback_source(post_and_embed_urls(embed_url), parse_embed),
                    ("._li",))
