"""A toy platform, "pebble", that tests load as a plugin (`ARCHIVER_PLATFORM_MODULES=tests.toyplatform`).

Posts live at `https://pebble.example/p/<digits>`; pages embed them as
`<blockquote class="pebble-post" data-pebble-id="ID">text</blockquote>` or as an iframe of
`https://pebble.example/embed/<digits>`. Its API (`https://api.pebble.example/v1/posts/<id>.json`)
answers 200 with the post as JSON, 404 for a deleted post, 403 for a protected one. Nothing in
`archiver` knows this platform: whatever finds, captures and looks up its posts went through the
registry. tests/toyweb.py serves its hosts on the fake web.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx

from archiver.capture.types import Failure
from archiver.errors import NetworkError
from archiver.platforms.base import Attrs, EmbedContext, EmbedRule, Platform, UrlMatch, has_class
from archiver.platforms.capture import PostCheck, PostRef, Probe

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

    from archiver.capture.types import HttpGetter
    from archiver.models import Post

HOST = "pebble.example"
API_HOST = "api.pebble.example"
EMBED_RE = re.compile(r"^(?:https?:)?//(?:www\.)?pebble\.example/embed/(?P<id>\d{1,20})(?![0-9A-Za-z])", re.IGNORECASE)
POST_URL_RE = re.compile(r"^(?:https?:)?//(?:www\.)?pebble\.example/p/(?P<id>\d{1,20})(?![0-9A-Za-z])", re.IGNORECASE)


def post_url(post_id: str, handle: str | None = None) -> str:
    """The canonical URL of a pebble post."""
    return f"https://{HOST}/p/{post_id}"


def parse_url(url: str) -> UrlMatch | None:
    """The post a pebble URL points to, or None."""
    m = POST_URL_RE.match(url)
    return UrlMatch(m.group("id"), post_url(m.group("id"))) if m else None


def parse_embed_src(url: str) -> UrlMatch | None:
    """The post an embed iframe shows."""
    m = EMBED_RE.match(url)
    return UrlMatch(m.group("id"), post_url(m.group("id"))) if m else None


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The embed page of a post."""
    found = parse_url(url) if url and not post_id else None
    pid = post_id or (found.post_id if found else None)
    return f"https://{HOST}/embed/{pid}" if pid else None


def api_url(post_id: str) -> str:
    return f"https://{API_HOST}/v1/posts/{post_id}.json"


def probe(post: PostRef, client: HttpGetter) -> Probe:
    """The API's word on a post; network trouble is named, never raised."""
    url = api_url(post.post_id or "")
    try:
        resp = client.get(url)
    except (NetworkError, httpx.TransportError) as e:
        failed = Failure.of(e)
        return Probe("unknown" if failed.refused else "unavailable", failed.error,
                     network_failed=failed.network_failed, refused=failed.refused)
    if resp.status_code == 200:
        data: dict[str, Any] = resp.json()
        media = tuple(data.get("media") or ())
        fields = {"author": data.get("author"), "handle": data.get("handle"), "text": data.get("text"),
                  "posted_at": data.get("posted_at"), "media": list(media), "data": data}
        return Probe("live", "the API returned the post", fields={k: v for k, v in fields.items() if v},
                     media=media, found=True)
    if resp.status_code == 404:
        return Probe("deleted", "the API answered 404")
    if resp.status_code == 403:
        return Probe("protected", "the API answered 403")
    return Probe("unknown", f"the API answered {resp.status_code}")


def _blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    post_id = (attrs.get("data-pebble-id") or "").strip()
    if not has_class(attrs, "pebble-post") or not post_id.isdigit():
        return None
    return [ctx.embedded(PLATFORM, "blockquote.pebble-post", post_id=post_id, text=node.text())]


PLATFORM = Platform(
    name="pebble",
    hosts=(HOST,),
    parse_url=parse_url,
    parse_embed_src=parse_embed_src,
    rules=(EmbedRule(("blockquote",), _blockquote, needs=("data-pebble-id",)),),
    canonical=post_url,
    embed_url=embed_url,
    embed_selectors=("iframe[src*='pebble.example/embed/']",),
    check=PostCheck(probe=probe, element_selectors=("article.pebble-card",)),
)
