"""Telegram channel posts: `script[data-telegram-post]`, `iframe#telegram-post-<channel>-<id>`, t.me links.

post_id is `<channel>/<id>`: message IDs are per channel. Telegram reads a channel's name whatever
its case (t.me/Durov/1 is t.me/durov/1), so the name is lower-case in the post ID and URL and as
written in the handle.
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
)

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

_CHANNEL = r"(?P<channel>[A-Za-z][A-Za-z0-9_]{3,31})"
POST_URL_RE = re.compile(
    r"^(?:https?:)?//(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?" + _CHANNEL
    # a message in a forum topic: `/CHANNEL/TOPIC/MESSAGE` (message IDs are the chat's own)
    + r"/(?:[0-9]{1,12}/)?(?P<id>[0-9]{1,12})(?=[/?#]|$)",
    re.IGNORECASE,
)
_DATA_RE = re.compile(r"^" + _CHANNEL + r"/(?P<id>[0-9]{1,12})$")
_IFRAME_ID_RE = re.compile(r"^telegram-post-" + _CHANNEL + r"-(?P<id>[0-9]{1,12})$")
# Not channels: t.me/share/url?..., t.me/joinchat/..., t.me/addstickers/...
_NOT_CHANNELS = frozenset({"share", "joinchat", "addstickers", "proxy", "socks", "iv", "login"})


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """`https://t.me/{channel}/{id}`."""
    return f"https://t.me/{post_id}"


def _match(channel: str, mid: str) -> UrlMatch | None:
    if channel.lower() in _NOT_CHANNELS:
        return None
    post_id = f"{channel.lower()}/{mid}"
    return UrlMatch(post_id, canonical_url(post_id), channel)


def parse_url(url: str) -> UrlMatch | None:
    """A t.me channel post URL -> (`channel/id`, canonical URL, channel)."""
    m = POST_URL_RE.match(url)
    return _match(m.group("channel"), m.group("id")) if m else None


def _script(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    value = (attrs.get("data-telegram-post") or "").strip()
    m = _DATA_RE.match(value)
    match = _match(m.group("channel"), m.group("id")) if m else None
    return [ctx.embedded(PLATFORM, "script[data-telegram-post]", match)] if match else None


def _iframe(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    m = _IFRAME_ID_RE.match((attrs.get("id") or "").strip())
    match = _match(m.group("channel"), m.group("id")) if m else None
    return [ctx.embedded(PLATFORM, "iframe#telegram-post", match)] if match else None


def _parse_embed_src(url: str) -> UrlMatch | None:
    # The widget's iframe loads https://t.me/channel/id?embed=1
    return parse_url(url)


_EMBED_POST = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/(?:s/)?([A-Za-z0-9_]{4,64})/([0-9]+)", re.I)


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The widget page of a channel post."""
    m = _EMBED_POST.match(url or "") or _EMBED_POST.match(f"t.me/{post_id}" if post_id else "")
    return f"https://t.me/{m.group(1)}/{m.group(2)}?embed=1" if m else url


PLATFORM = Platform(
    name="telegram",
    hosts=("t.me", "telegram.me", "telegram.dog"),
    parse_url=parse_url,
    parse_embed_src=_parse_embed_src,
    rules=(EmbedRule(("script",), _script, needs=("data-telegram-post",), claims=False), EmbedRule(("iframe",), _iframe, needs=("id",))),
    canonical=canonical_url,
    markup_hints=(r"script[^>]*data-telegram",),
    embed_url=embed_url,
    case_free_ids=True,
)
