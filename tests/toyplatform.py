"""A toy platform, "pebble", that tests load as a plugin (`ARCHIVER_PLATFORM_MODULES=tests.toyplatform`).

Posts live at `https://pebble.example/p/<digits>`; pages embed them as
`<blockquote class="pebble-post" data-pebble-id="ID">text</blockquote>`. Nothing in `archiver`
knows this platform: whatever finds its posts found them through the registry.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.platforms.base import Attrs, EmbedContext, EmbedRule, Platform, UrlMatch, has_class

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

    from archiver.models import Post

HOST = "pebble.example"
POST_URL_RE = re.compile(r"^(?:https?:)?//(?:www\.)?pebble\.example/p/(?P<id>\d{1,20})(?![0-9A-Za-z])", re.IGNORECASE)


def post_url(post_id: str, handle: str | None = None) -> str:
    """The canonical URL of a pebble post."""
    return f"https://{HOST}/p/{post_id}"


def parse_url(url: str) -> UrlMatch | None:
    """The post a pebble URL points to, or None."""
    m = POST_URL_RE.match(url)
    return UrlMatch(m.group("id"), post_url(m.group("id"))) if m else None


def _blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    post_id = (attrs.get("data-pebble-id") or "").strip()
    if not has_class(attrs, "pebble-post") or not post_id.isdigit():
        return None
    return [ctx.embedded(PLATFORM, "blockquote.pebble-post", post_id=post_id, text=node.text())]


PLATFORM = Platform(
    name="pebble",
    hosts=(HOST,),
    parse_url=parse_url,
    rules=(EmbedRule(("blockquote",), _blockquote, needs=("data-pebble-id",)),),
    canonical=post_url,
)
