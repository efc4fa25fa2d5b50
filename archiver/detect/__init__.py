"""Detection: a `Document` (HTML or plain text) -> the social posts it embeds, links or cites.

    detect(doc)            all posts in one document, deduplicated by key, in document order
    looks_like_html(text)  content sniffing
    platform_for_url(url)  (platform, post_id, canonical URL, handle) of one URL, or None
    post_at_address(url)   the post a source's own address points to (a tweet's URL), or None
    source_address(url, http)  what a URL given as a source stands for (a post, an article past a short link)

Importing this package is cheap (selectolax and regexes); dateparser loads on the first localized
date that has to be read.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from archiver.detect.sniff import looks_like_html

if TYPE_CHECKING:
    from collections.abc import Callable

    from archiver.capture.types import HttpGetter
    from archiver.models import Document, Post

log = logging.getLogger(__name__)


def detect(doc: Document) -> list[Post]:
    """All posts in one document, HTML or plain text per `doc.is_html`, one per key, document order.

    A post both embedded and linked is reported once, as embedded, with the richest fields of both.
    """
    # Imported here: platform modules use this package's helpers (dates, signatures), and the
    # walkers use the platform registry, so neither side imports the other at load time.
    from archiver.detect.html import detect_html
    from archiver.detect.merge import merge_posts
    from archiver.detect.text import detect_text

    if doc.is_html:
        # Bytes that are exactly the text's UTF-8 go to the parser as they are (no second encoding).
        posts = detect_html(doc.text, doc.source, raw=doc.raw if doc.utf8 else None)
    else:
        posts = detect_text(doc.text, doc.source)
    merged = merge_posts(posts)
    log.debug("%s: %d post(s) (%d before merging)", doc.source, len(merged), len(posts))
    return merged


def post_at_address(url: str, source: str | None = None) -> Post | None:
    """The post whose own address `url` is (a tweet's status URL, a YouTube watch URL), as a source
    names it (`source`: the source as given, when it led to `url`); None for any other page.

    Only addresses on a platform's own hosts count: a page elsewhere whose path merely looks like
    a post's (`/@user/123` on an unknown host) stays an article, whose capture must not be skipped.
    """
    from archiver.platforms import platform_for_host
    from archiver.platforms.base import build_post, host_of

    platform = platform_for_host(host_of(url))
    if platform is None:
        return None
    match = platform.parse_url(url) or platform.embed_src(url)
    if match is None:
        return None
    return build_post(platform, kind="linked", source=source or url, evidence="address", match=match)


def source_address(url: str, http: Callable[[], HttpGetter]) -> tuple[Post | None, str | None]:
    """What a URL given as a source stands for: (the post, None) for a post's own address, or for a
    platform's short link that leads to one; (None, the address past it) for a short link that
    leads to an article; (None, None) for any other address, to be read as it is.

    A short link (`t.co/CODE`) is followed through `http()` (asked only then), as curl would: the
    shortener shows browsers a page that forwards them, with nothing of the article in it.
    SourceError, or NetworkUnreachable, when it leads nowhere.
    """
    from archiver.errors import NetworkUnreachable, SourceError
    from archiver.platforms import shortener_for

    post = post_at_address(url)
    if post is not None:
        return post, None
    platform = shortener_for(url)
    if platform is None or platform.aliases is None or platform.aliases.destination is None:
        return None, None
    found = platform.aliases.destination(url, http())
    for message, network in found.failures:
        raise (NetworkUnreachable if network else SourceError)(message)
    if found.url is None:
        raise SourceError(f"{url}: leads nowhere")
    post = post_at_address(found.url, url)
    return (post, None) if post is not None else (None, found.url)


def platform_for_url(url: str) -> tuple[str, str, str, str | None] | None:
    """(platform, post_id, canonical URL, handle) for one URL, or None when it is no post.

    For any single URL: a link as written (scheme-less `twitter.com/u/status/1` too), a redirect
    target seen during capture, or a player/embed URL (`youtube.com/embed/ID`, `Tweet.html?id=`).
    """
    from archiver.platforms import match_embed_src, match_url
    from archiver.platforms.base import absolutize

    url = absolutize(url) if url and url.strip() else ""
    if not url:
        return None
    found = match_url(url) or match_embed_src(url)
    if found is None:
        return None
    platform, match = found
    return platform.name, match.post_id, match.url, match.handle


__all__ = ["detect", "looks_like_html", "platform_for_url", "post_at_address", "source_address"]
