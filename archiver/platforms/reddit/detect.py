"""Reddit: `blockquote.reddit-embed-bq` (and older `reddit-card`), `amp-reddit`, embed iframes.

A post is `/comments/<id36>/`; an embedded comment is `/comments/<id36>/<slug>/<comment36>/`, with
post_id `<id36>/<comment36>` so it never collides with its post. Reddit writes its base-36 IDs
lower-case and reads them in any case: they are lower-cased in the post ID and URL.
"""

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
)

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

COMMENTS_URL_RE = re.compile(
    r"^(?:https?:)?//(?:[a-z0-9-]+\.)*reddit(?:media)?\.com"
    # a subreddit's post, or a post to a user's profile (`/user/NAME/comments/ID`, `/u/NAME/...`)
    r"(?:/r/(?P<sub>[A-Za-z0-9_]{2,32})|/(?:user|u)/[A-Za-z0-9_-]{2,32})?/comments/(?P<id>[a-z0-9]{4,12})"
    # a comment: `/comment/CID`, `/slug/comment/CID`, or the older `/slug/CID` (where `comment` and
    # `related`, the pages under a post's address, are no comment's ID)
    r"(?:/(?:[^/?#]*/)?comment/(?P<c1>[a-z0-9]{4,12})"
    r"|/[^/?#]*/(?!(?:comment|related)(?=[/?#]|$))(?P<c2>[a-z0-9]{4,12}))?(?=[/?#]|$)",
    re.IGNORECASE,
)
SHORT_URL_RE = re.compile(r"^(?:https?:)?//redd\.it/(?P<id>[a-z0-9]{4,12})(?=[/?#]|$)", re.IGNORECASE)
# A gallery post's own address (`reddit.com/gallery/ID`): the post of that ID.
GALLERY_URL_RE = re.compile(r"^(?:https?:)?//(?:[a-z0-9-]+\.)*reddit\.com/gallery/(?P<id>[a-z0-9]{4,12})(?=[/?#]|$)",
                            re.IGNORECASE)
# "by u/USER in r/SUB"; the generator's markup leaves no space before its links ("by<a>u/USER</a>")
# and may print the subreddit without "r/".
_BY_RE = re.compile(r"by\s*u/(?P<user>[A-Za-z0-9_-]{2,32})(?:\s*in\s*(?:r/)?(?P<sub>[A-Za-z0-9_]{2,32}))?")


def canonical_url(post_id: str, sub: str | None = None) -> str:
    """`https://www.reddit.com/[r/{sub}/]comments/{id}/[comment/{cid}/]`."""
    pid, _, cid = post_id.partition("/")
    base = f"https://www.reddit.com/r/{sub}/comments/{pid}/" if sub else f"https://www.reddit.com/comments/{pid}/"
    return base + (f"comment/{cid}/" if cid else "")


def parse_url(url: str) -> UrlMatch | None:
    """A Reddit post or comment permalink (or redd.it short link, or gallery address) -> (ID, canonical URL)."""
    m = COMMENTS_URL_RE.match(url)
    if m:
        cid = m.group("c1") or m.group("c2")
        post_id = (f"{m.group('id')}/{cid}" if cid else m.group("id")).lower()
        return UrlMatch(post_id, canonical_url(post_id, m.group("sub")))
    m = SHORT_URL_RE.match(url) or GALLERY_URL_RE.match(url)
    if m:
        return UrlMatch(m.group("id").lower(), canonical_url(m.group("id").lower()))
    return None


def _blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    if not has_class(attrs, "reddit-embed-bq", "reddit-card"):
        return None
    match = None
    for a in node.css("a[href]"):
        href = href_of(a)
        if "/comments/" in href:
            match = parse_url(href)  # the first comments link is the post
            if match:
                break
    if match is None:
        return None
    by = _BY_RE.search(" ".join(node.text().split()))
    # A post's snippet labels its link with the post's title; a comment's with the word "Comment"
    # (then "from discussion <title>"): not the comment's words, which the snippet does not hold.
    first = None if "/" in match.post_id else node.css_first("a[href*='/comments/']")
    return [
        ctx.embedded(
            PLATFORM,
            "blockquote.reddit-embed-bq" if has_class(attrs, "reddit-embed-bq") else "blockquote.reddit-card",
            match,
            handle=by.group("user") if by else None,
            text=first.text() if first is not None else None,
        )
    ]


def _amp(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    match = parse_url(attrs.get("data-src") or "")
    return [ctx.embedded(PLATFORM, "amp-reddit", match)] if match else None


def _oembed(_url: str) -> str | None:
    return "https://www.reddit.com/oembed?url="


PLATFORM = Platform(
    name="reddit",
    hosts=("reddit.com", "redd.it", "redditmedia.com"),
    parse_url=parse_url,
    rules=(EmbedRule(("blockquote",), _blockquote, needs=("class",)), EmbedRule(("amp-reddit",), _amp, needs=("data-embedtype",))),
    oembed=_oembed,
    case_free_ids=True,
)
