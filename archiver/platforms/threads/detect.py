"""Threads: `blockquote.text-post-media[data-text-post-permalink]`, threads.net/.com post links."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import (
    Attrs,
    EmbedContext,
    EmbedRule,
    Platform,
    UrlMatch,
    has_class,
    href_of,
    unquote_at,
)

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

# `/@user/post/CODE`, and `/t/CODE`, the short address Threads gave posts at first, which leads to
# the same code under its author (unverified: the code is taken to be the post's).
POST_URL_RE = re.compile(
    r"^(?:https?:)?//(?:www\.)?threads\.(?:net|com)/(?:@(?P<handle>[A-Za-z0-9_.]{1,30})/post|t)/"
    r"(?P<code>[A-Za-z0-9_-]{5,64})(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
_POST_BY_RE = re.compile(r"Post by @(?P<handle>[A-Za-z0-9_.]{1,30})", re.IGNORECASE)


def canonical_url(code: str, handle: str | None = None) -> str:
    """`https://www.threads.net/@{handle}/post/{code}` (threads.com serves the same path), or
    `https://www.threads.net/t/{code}` when the author is not known."""
    return f"https://www.threads.net/@{handle}/post/{code}" if handle else f"https://www.threads.net/t/{code}"


def parse_url(url: str) -> UrlMatch | None:
    """A Threads post URL -> (shortcode, canonical URL, handle)."""
    m = POST_URL_RE.match(unquote_at(url))
    if not m:
        return None
    return UrlMatch(m.group("code"), canonical_url(m.group("code"), m.group("handle")), m.group("handle"))


def _blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    if not has_class(attrs, "text-post-media"):
        return None
    match = parse_url(attrs.get("data-text-post-permalink") or "")
    if match is None:
        for a in node.css("a[href]"):
            match = match or parse_url(href_of(a))
    if match is None:
        return None
    by = _POST_BY_RE.search(node.text(separator=" "))
    return [
        ctx.embedded(
            PLATFORM,
            "blockquote.text-post-media",
            match,
            handle=match.handle or (by.group("handle") if by else None),
        )
    ]


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The embed page of a post: its URL on threads.net with `/embed` after it; None for a `/t/CODE`
    address, which names no author, and the embed page's path needs one."""
    m = POST_URL_RE.match(url or "")
    return embed_of(m.group("handle"), m.group("code")) if m else None


def embed_of(handle: str | None, code: str | None) -> str | None:
    """`https://www.threads.net/@{handle}/post/{code}/embed`, or None without either."""
    return f"https://www.threads.net/@{handle}/post/{code}/embed" if handle and code else None


PLATFORM = Platform(
    name="threads",
    hosts=("threads.net", "threads.com"),
    parse_url=parse_url,
    rules=(EmbedRule(("blockquote",), _blockquote, needs=("class",)),),
    canonical=canonical_url,
    embed_url=embed_url,
)
