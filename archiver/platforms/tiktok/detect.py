"""TikTok: `blockquote.tiktok-embed`, player iframes; time is the ID's top 32 bits (seconds)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

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
    iso_from_seconds,
    plausible_ms,
    unquote_at,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from selectolax.lexbor import LexborNode

    from archiver.detect.units import Unit

VIDEO_URL_RE = re.compile(
    # (`@/video/ID`, without a user, is how TikTok routes a video known by its ID alone)
    r"^(?:https?:)?//(?:[a-z0-9-]+\.)*tiktok\.com/@(?P<handle>[A-Za-z0-9_.]{0,64})/(?:video|photo)/(?P<id>[0-9]{8,25})(?![0-9A-Za-z_])",
    re.IGNORECASE,
)
# The players, and the addresses TikTok gave a video before `@user/video/ID` (`m.tiktok.com/v/ID.html`,
# `/share/video/ID`), which still lead to it.
PLAYER_URL_RE = re.compile(
    r"^(?:https?:)?//(?:[a-z0-9-]+\.)*tiktok\.com/(?:player/v1|embed/v2|embed|share/video|v)/(?P<id>[0-9]{8,25})"
    r"(?:\.html)?(?![0-9A-Za-z_])",
    re.IGNORECASE,
)


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """`https://www.tiktok.com/@{handle}/video/{id}`; TikTok routes `@/video/{id}` without one."""
    return f"https://www.tiktok.com/@{handle or ''}/video/{post_id}"


def video_time(post_id: str) -> str | None:
    """Upload time encoded in a TikTok ID: its top 32 bits are Unix seconds."""
    try:
        seconds = int(post_id) >> 32
    except ValueError:
        return None
    if not plausible_ms(seconds * 1000, 2016):
        return None
    return iso_from_seconds(seconds)


def parse_url(url: str) -> UrlMatch | None:
    """A TikTok video URL or player URL -> (ID, canonical URL, handle)."""
    url = unquote_at(url)
    m = VIDEO_URL_RE.match(url)
    if m:
        handle = m.group("handle") or None
        return UrlMatch(m.group("id"), canonical_url(m.group("id"), handle), handle)
    m = PLAYER_URL_RE.match(url)
    if m:
        return UrlMatch(m.group("id"), canonical_url(m.group("id")))
    return None


def _blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    if not has_class(attrs, "tiktok-embed"):
        return None
    match = parse_url(attrs.get("cite") or "")
    vid = (attrs.get("data-video-id") or "").strip()
    if match is None and vid.isdigit():
        match = UrlMatch(vid, canonical_url(vid))
    if match is None:
        return None
    handle = match.handle
    author_link = node.css_first("a[title^='@']")
    if author_link is not None and not handle:
        handle = (author_link.attributes.get("title") or "").lstrip("@") or None
    caption = node.css_first("p")
    return [
        ctx.embedded(
            PLATFORM,
            "blockquote.tiktok-embed",
            match,
            handle=handle,
            text=caption.text() if caption is not None else _loose_caption(node),
        )
    ]


def _loose_caption(node: LexborNode) -> str | None:
    """The caption of current snippets: the section's own text and hashtag links, without the
    author link before it and the "♬ sound" link after it."""
    section = node.css_first("section")
    if section is None:
        return None
    parts: list[str] = []
    for child in section.iter(include_text=True):
        if child.tag == "-text":
            parts.append(child.text_content or "")
        elif child.tag == "a" and "/tag/" in (child.attributes.get("href") or ""):
            parts.append(child.text())
    text = " ".join("".join(parts).split())
    return text or None


_NUMERIC_TAIL = re.compile(r"/(?:video|videos)/([0-9]+)|/([0-9]+)(?:[/?#]|$)")


def numeric_id(post_id: str | None, url: str | None) -> str | None:
    """A numeric post ID, given or at the end of the URL."""
    if post_id and post_id.isdigit():
        return post_id
    m = _NUMERIC_TAIL.search(url or "")
    return (m.group(1) or m.group(2)) if m else None


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The v2 embed player of a video."""
    vid = numeric_id(post_id, url)
    return f"https://www.tiktok.com/embed/v2/{vid}" if vid else None


def _oembed(_url: str) -> str | None:
    return "https://www.tiktok.com/oembed?url="


# --- flattened into text -------------------------------------------------------------------------
# The embed snippet's fallback, once its markup is gone: "@handle", the caption with its hashtags,
# then the sound credit "♬ original sound - name", on one line or on lines of their own. A sound
# credit counts only with the author's "@handle" at the start of its line or of a line just above.
_SOUND_RE = re.compile(r"♬\s*(?P<sound>\S[^\n]*)$")
_AUTHOR_RE = re.compile(r"^@(?P<handle>[A-Za-z0-9_.]{2,24})(?=\s|$)\s*(?P<rest>[^\n]*)$")
_AUTHOR_REACH = 4  # lines between the author line and the sound credit, at most


def _flattened(units: Sequence[Unit], source: str) -> list[FlatPost]:
    from archiver.detect.flatlines import links_of, post_in

    found: list[FlatPost] = []
    taken: set[int] = set()
    for i, unit in enumerate(units):
        if "♬" not in unit.text:
            continue
        sound = _SOUND_RE.search(unit.text)
        if sound is None:
            continue
        before = unit.text[: sound.start()].strip()
        first = i
        author = _AUTHOR_RE.match(before)
        caption: list[str] = []
        if author is None:
            caption = [before] if before else []
            j = i - 1
            while j >= 0 and i - j <= _AUTHOR_REACH and j not in taken and units[j].quoted == unit.quoted:
                author = _AUTHOR_RE.match(units[j].text)
                if author is not None:
                    first = j
                    break
                caption.insert(0, units[j].text)
                j -= 1
            if author is None:
                continue  # "♬" in a lyric or a playlist, not a post
        rest = author.group("rest")
        text = "\n".join([rest, *caption] if rest else caption) if first != i else rest
        links = links_of(units, first, i)
        post = build_post(
            PLATFORM,
            kind="embedded",
            source=source,
            evidence="text-sound",
            match=post_in(links, parse_url),
            handle=author.group("handle"),
            text=text or None,
        )
        found.append(FlatPost(first, i, i, post))
        taken.update(range(first, i + 1))
    return found


def _amp(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    """`<amp-tiktok data-src="...">`: the video's URL, or its ID."""
    src = (attrs.get("data-src") or "").strip()
    match = UrlMatch(src, canonical_url(src)) if src.isdigit() and 8 <= len(src) <= 25 else parse_url(src)
    return [ctx.embedded(PLATFORM, "amp-tiktok", match)] if match else None


PLATFORM = Platform(
    name="tiktok",
    hosts=("tiktok.com",),
    parse_url=parse_url,
    rules=(EmbedRule(("blockquote",), _blockquote, needs=("class",)), EmbedRule(("amp-tiktok",), _amp, needs=("data-src",))),
    time_from_id=video_time,
    canonical=canonical_url,
    embed_url=embed_url,
    oembed=_oembed,
    embed_selectors=("iframe[src*='tiktok.com']",),
    flattened=_flattened,
    flattened_hints=("♬",),
)
