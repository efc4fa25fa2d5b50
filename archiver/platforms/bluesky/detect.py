"""Bluesky: `blockquote.bluesky-embed[data-bluesky-uri]`, embed.bsky.app iframes, bsky.app links.

The post ID is the record key (rkey) of `at://<did>/app.bsky.feed.post/<rkey>`: embeds name the
author by DID, links usually by handle, and the rkey is what both share.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.detect.signature import find_signature
from archiver.models import Post
from archiver.platforms.base import (
    Attrs,
    EmbedContext,
    EmbedRule,
    FlatPost,
    Platform,
    UrlMatch,
    build_post,
    has_class,
    href_of,
    text_and_links,
    unquote_at,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from selectolax.lexbor import LexborNode

    from archiver.detect.units import Unit

# "." and ".." are no record keys (AT Protocol): as a key's folder they would name the folder above.
_RKEY = r"(?P<rkey>(?!\.\.?(?![A-Za-z0-9._:~-]))[A-Za-z0-9._:~-]{1,512})"
_ACTOR = r"(?P<actor>did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z0-9-]+)"
PROFILE_URL_RE = re.compile(
    r"^(?:https?:)?//(?:[a-z0-9-]+\.)*bsky\.app/profile/" + _ACTOR + r"/post/" + _RKEY + r"(?=[/?#]|$)",
    re.IGNORECASE,
)
AT_URI_RE = re.compile(r"^at://" + _ACTOR + r"/app\.bsky\.feed\.post/" + _RKEY + r"$", re.IGNORECASE)
EMBED_URL_RE = re.compile(
    r"^(?:https?:)?//embed\.bsky\.app/embed/" + _ACTOR + r"/app\.bsky\.feed\.post/" + _RKEY + r"(?=[/?#]|$)",
    re.IGNORECASE,
)
# Bluesky's own signature puts the handle (a domain) in the parentheses.
_SIG_RE = re.compile(r"(?:—|–|&mdash;)\s*(?P<name>[^()—–]*?)\s*\(@(?P<handle>[A-Za-z0-9.-]+)\)\s*(?P<date>.*)$")


def canonical_url(actor: str, rkey: str) -> str:
    """`https://bsky.app/profile/{did or handle}/post/{rkey}`."""
    return f"https://bsky.app/profile/{actor}/post/{rkey}"


def _match(m: re.Match[str]) -> UrlMatch:
    actor = m.group("actor")
    handle = None if actor.startswith("did:") else actor
    return UrlMatch(m.group("rkey"), canonical_url(actor, m.group("rkey")), handle)


def parse_url(url: str) -> UrlMatch | None:
    """A bsky.app post URL, an `at://` post URI or an embed.bsky.app URL -> (rkey, URL, handle)."""
    url = unquote_at(url)
    for regex in (PROFILE_URL_RE, AT_URI_RE, EMBED_URL_RE):
        m = regex.match(url)
        if m:
            return _match(m)
    return None


def _blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    if not has_class(attrs, "bluesky-embed"):
        return None
    match = parse_url(attrs.get("data-bluesky-uri") or "")
    if match is None:
        for a in node.css("a[href]"):
            match = parse_url(href_of(a)) or match
    if match is None:
        return None
    author = handle = date_text = None
    text = None
    paragraphs = node.css("p")
    if paragraphs:
        # Its lines as lines, without the link the snippet puts in place of media or a quoted post.
        text = text_and_links(paragraphs[0])[0].rstrip()
        text = text.removesuffix(_MEDIA_LINE).rstrip() or None
    tail = " ".join(node.text().split())
    sig = _SIG_RE.search(tail)
    if sig:
        author, handle, date_text = sig.group("name") or None, sig.group("handle"), sig.group("date")
    elif (s := find_signature(tail, need_date=False)) is not None:
        author, handle, date_text = s.name, s.handle, s.date_text
    return [
        ctx.embedded(
            PLATFORM,
            "blockquote.bluesky-embed",
            match,
            handle=handle or match.handle,
            author=author,
            date_text=date_text,
            text=text,
        )
    ]


_EMBED_POST = re.compile(r"bsky\.app/profile/(did:[a-z]+:[A-Za-z0-9._:%-]+)/post/([A-Za-z0-9._:~-]+)", re.I)
_AT_URI = re.compile(r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]+)$", re.I)


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """embed.bsky.app names the author by DID; a post URL that names a handle renders as itself."""
    m = _EMBED_POST.search(url or "") or _AT_URI.match(url or "")
    if m:
        return f"https://embed.bsky.app/embed/{m.group(1)}/app.bsky.feed.post/{m.group(2)}"
    return url


def _oembed(_url: str) -> str | None:
    return "https://embed.bsky.app/oembed?url="


# --- flattened into text -------------------------------------------------------------------------
# The embed snippet's fallback, once its markup is gone: the text, "[image or embed]" for media or a
# quoted post, then "— Name (@handle.domain) November 25, 2024 at 12:58 AM". The handle is a domain
# (it has a dot), which keeps it apart from a tweet's signature.
_FLAT_SIG_RE = re.compile(
    r"(?:—|–|―|&mdash;|&#8212;|(?:(?<=\s)|^)--?)[ \t\u00a0]*(?P<name>[^\n()—–―]{0,64}?)[ \t\u00a0]*"
    r"\(@(?P<handle>[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)\)[ \t\u00a0]*(?P<tail>[^\n]{0,80})"
)
_MEDIA_LINE = "[image or embed]"
POST_LIMIT = 300  # graphemes; weighted length is close enough for where a body ends


def _flattened(units: Sequence[Unit], source: str) -> list[FlatPost]:
    from archiver.detect.flatlines import body_above, links_of, post_in
    from archiver.detect.signature import split_date, starts_like_date

    found: list[FlatPost] = []
    taken: set[int] = set()
    for i, unit in enumerate(units):
        if "(@" not in unit.text or "." not in unit.text:
            continue
        m = _FLAT_SIG_RE.search(unit.text)
        if m is None:
            continue
        date, _, rest = split_date(m.group("tail")) if starts_like_date(m.group("tail")) else (None, None, "")
        if date is None:
            continue  # a dash and a handle without a date is a quote's attribution, not a post
        glued = unit.text[: m.start()].strip()
        first, body = body_above(units, i, limit=POST_LIMIT, stop=taken, skip=lambda t: t == _MEDIA_LINE)
        if glued:
            body.append(glued)
        links = links_of(units, first, i)
        match = post_in(links, parse_url)
        text = "\n".join(line for line in body if line != _MEDIA_LINE).replace(_MEDIA_LINE, "").strip()
        post = build_post(
            PLATFORM,
            kind="embedded",
            source=source,
            evidence="text-signature",
            match=match,
            handle=m.group("handle"),
            author=m.group("name") or None,
            posted_at=date,
            text=text or None,
            links=[link for link in links if parse_url(link) is None and "/profile/" not in link],
        )
        found.append(FlatPost(first, i, i, post, rest))
        taken.update(range(first, i + 1))
    return found


PLATFORM = Platform(
    name="bluesky",
    hosts=("bsky.app",),
    parse_url=parse_url,
    rules=(EmbedRule(("blockquote",), _blockquote, needs=("class",)),),
    embed_url=embed_url,
    oembed=_oembed,
    flattened=_flattened,
    flattened_hints=("(@",),
)
