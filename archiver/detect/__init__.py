"""Detection: a `Document` (HTML or plain text) -> the social posts it embeds, links or cites.

    detect(doc)            all posts in one document, deduplicated by key, in document order
    looks_like_html(text)  content sniffing
    platforms              the registry: one module per platform (platforms/__init__.py)

Importing this package is cheap (selectolax and regexes); dateparser loads on the first localized
date that has to be read.
"""

from __future__ import annotations

import logging

from archiver.detect import platforms
from archiver.detect.html import detect_html
from archiver.detect.merge import merge_posts
from archiver.detect.sniff import looks_like_html
from archiver.detect.text import detect_text
from archiver.models import Document, Post

log = logging.getLogger(__name__)


def detect(doc: Document) -> list[Post]:
    """All posts in one document, HTML or plain text per `doc.is_html`, one per key, document order.

    A post both embedded and linked is reported once, as embedded, with the richest fields of both.
    """
    posts = detect_html(doc.text, doc.source) if doc.is_html else detect_text(doc.text, doc.source)
    merged = merge_posts(posts)
    log.debug("%s: %d posts (%d before merging)", doc.source, len(merged), len(posts))
    return merged


__all__ = ["detect", "looks_like_html", "platforms"]
