"""Instagram: `blockquote.instagram-media`, rendered `/embed/` iframes, `amp-instagram`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from archiver.models import Post, hash_key
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
    iso_from_datetime_attr,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from selectolax.lexbor import LexborNode

    from archiver.detect.units import Unit

POST_URL_RE = re.compile(
    r"^(?:https?:)?//(?:[a-z0-9-]+\.)*(?:instagram\.com|instagr\.am)"
    # (`/reels/audio/ID`, a sound's page, and `/reels/videos/`: pages, not posts)
    r"/(?:[A-Za-z0-9_.]{1,30}/)?(?P<kind>p|reels?|tv)/(?!(?:audio|videos)(?=[/?#]|$))"
    r"(?P<code>[A-Za-z0-9_-]{5,64})(?=[/?#]|$)",
    re.IGNORECASE,
)
# "A post shared by Name (@handle)" in the embed's languages; anything else keeps the handle only.
_SHARED_BY = (
    "a post shared by",
    "ein beitrag geteilt von",
    "une publication partagée par",
    "una publicación compartida de",
    "un post condiviso da",
    "een bericht gedeeld door",
    "uma publicação compartilhada por",
)
_BYLINE_RE = re.compile(r"(?P<lead>[^()]*?)\s*\(@(?P<handle>[A-Za-z0-9_.]{1,30})\)")


def parse_url(url: str) -> UrlMatch | None:
    """(shortcode, canonical URL) of an Instagram post/reel/IGTV URL, incl. `/embed/` variants."""
    m = POST_URL_RE.match(url)
    if not m:
        return None
    kind = m.group("kind").lower()
    kind = "reel" if kind == "reels" else kind
    return UrlMatch(m.group("code"), f"https://www.instagram.com/{kind}/{m.group('code')}/")


def _byline(parts: Sequence[LexborNode]) -> tuple[str | None, str | None, str | None]:
    """(author, handle, the date printed after them) from the "A post shared by Name (@handle) on
    Jun 15, 2019 at 11:55pm PDT" line of a snippet (`snippet`), when present (`printed_day` reads
    the date)."""
    for p in reversed(_select(parts, "p")):
        text = " ".join(p.text().split())
        m = _BYLINE_RE.search(text)
        if not m:
            continue
        lead = m.group("lead").strip()
        author = None
        for phrase in _SHARED_BY:
            if lead.lower().startswith(phrase):
                author = lead[len(phrase) :].strip() or None
                break
        printed = _AFTER_HANDLE_RE.match(text, m.end())
        return author, m.group("handle"), printed.group(1) if printed else None
    return None, None, None


# What follows the handle in a byline: " on DATE" in the snippet's languages.
_AFTER_HANDLE_RE = re.compile(r"\s+(?:on|am|le|el|il|op|em)\s+(\S.{3,59})$", re.IGNORECASE)
# The time and zone a byline prints after its date ("at 11:55pm PDT", "a las 23:55 PDT", "alle ore
# 23:55 PDT", "um 23:31 Uhr PDT"): Instagram printed its snippets' times in US Pacific time. Only
# zones whose offset is fixed and known are read.
_PRINTED_TIME_RE = re.compile(
    r"^(?:\w+\s+){0,2}(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)\s*(?:(?P<half>[ap])\.?\s?m\.?)?"
    r"(?:\s+uhr)?\s+(?P<zone>[A-Z]{3,4})$",
    re.IGNORECASE,
)
_ZONE_HOURS = {"UTC": 0, "GMT": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
               "EST": -5, "EDT": -4}


def printed_day(printed: str) -> tuple[str | None, str | None]:
    """(the day as printed, its UTC day), each `YYYY-MM-DD`, of a byline's printed date. The UTC day
    is the printed one unless a time and a known zone follow it ("Jun 15, 2019 at 11:55pm PDT"):
    then it is the day that moment falls on in UTC (here 2019-06-16), since a bare date stands for a
    UTC day. (None, None) when no date can be read."""
    from archiver.detect.signature import split_date

    day, _shown, rest = split_date(printed)
    if day is None:
        return None, None
    m = _PRINTED_TIME_RE.match(rest)
    zone = _ZONE_HOURS.get(m.group("zone").upper()) if m else None
    if m is None or zone is None:
        return day, day
    hour = int(m.group("hour"))
    if m.group("half"):
        if not 1 <= hour <= 12:
            return day, day  # "13:05pm": no such time; the day as printed
        hour = hour % 12 + (12 if m.group("half").lower() == "p" else 0)
    moment = datetime.fromisoformat(day) + timedelta(hours=hour - zone, minutes=int(m.group("minute")))
    return day, moment.date().isoformat()


def snippet(node: LexborNode) -> list[LexborNode]:
    """The children of an Instagram blockquote that are its snippet.

    Instagram's snippet links to Instagram (the post, its author's profile) and ends with the
    byline, all of it in one `div` as Instagram writes it. A blockquote a CMS left unclosed takes in
    the rest of the page as its children (the article's paragraphs, other embeds), which are the
    page's: the snippet ends with its last child linking to Instagram before any other embed (a
    blockquote, a frame); when that child is no `div` (a CMS stripped it), a byline right after it
    ("… (@handle) am <time>", which older snippets print without a link) is the snippet's too. One
    that links nowhere (a hand-made stub) keeps every child. Each child is searched once, in C."""
    children = list(node.iter(include_text=True))
    last = None
    first = True
    for i, child in enumerate(children):
        tag = child.tag or "-"
        if tag.startswith("-"):  # text and comments
            continue
        if tag in _EMBEDS and not first:
            break
        first = False
        if (tag == "a" and _INSTAGRAM_HREF_RE.search(child.attributes.get("href") or "")) \
                or child.css_first(_INSTAGRAM_LINK) is not None:
            last = i
    if last is None:
        return children
    if children[last].tag != "div":
        for i in range(last + 1, len(children)):
            tag = children[i].tag or "-"
            if tag.startswith("-"):
                continue
            if tag not in _EMBEDS and "(@" in children[i].text():
                last = i
            break
    return children[: last + 1]


# What is no part of another post's snippet; links to Instagram, looked for in C.
_EMBEDS = frozenset({"blockquote", "iframe", "object", "embed", "amp-instagram", "amp-twitter"})
_INSTAGRAM_LINK = 'a[href*="instagram.com" i], a[href*="instagr.am" i]'
_INSTAGRAM_HREF_RE = re.compile(r"instagram\.com|instagr\.am", re.IGNORECASE)


def _match_of(attrs: Attrs, parts: Sequence[LexborNode]) -> UrlMatch | None:
    """The post an Instagram blockquote names: its permalink, else its first link to a post."""
    permalink = attrs.get("data-instgrm-permalink")
    match = parse_url(permalink) if permalink else None
    if match is None:
        for a in _select(parts, "a", "href"):
            match = parse_url(href_of(a))
            if match:
                break
    return match


def _select(parts: Sequence[LexborNode], tag: str, attr: str | None = None) -> list[LexborNode]:
    """The `tag` elements (with `attr`) among `parts` and their descendants, in document order."""
    selector = f"{tag}[{attr}]" if attr else tag
    found: list[LexborNode] = []
    for part in parts:
        if (part.tag or "-").startswith("-"):  # text and comments
            continue
        if part.tag == tag and (attr is None or attr in part.attributes):
            found.append(part)
        found.extend(part.css(selector))
    return found


def _blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    if not has_class(attrs, "instagram-media"):
        return None
    parts = snippet(node)  # (what is read below is read in the snippet alone)
    match = _match_of(attrs, parts)
    if match is None:
        return None
    author, handle, printed = _byline(parts)
    times = _select(parts, "time", "datetime")
    posted_at = iso_from_datetime_attr(times[0].attributes.get("datetime")) if times else None
    if posted_at is None and printed:
        posted_at = printed_day(printed)[1]
    text = None
    if "data-instgrm-captioned" in attrs:
        # Older captioned snippets carry the caption as the first paragraph's link text.
        paragraphs = _select(parts, "p")
        if paragraphs and "(@" not in paragraphs[0].text():
            text = paragraphs[0].text()
    return [
        ctx.embedded(
            PLATFORM,
            "blockquote.instagram-media",
            match,
            handle=handle,
            author=author,
            posted_at=posted_at,
            text=text,
        )
    ]


def _amp(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    code = (attrs.get("data-shortcode") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{5,64}", code):
        return None
    return [ctx.embedded(PLATFORM, "amp-instagram", UrlMatch(code, f"https://www.instagram.com/p/{code}/"))]


_EMBED_CODE = re.compile(r"instagram\.com/(?:[A-Za-z0-9_.]+/)?(?:p|reel|reels|tv)/([A-Za-z0-9_-]+)", re.I)


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The captioned embed page of a post (Instagram's oEmbed needs a token: none is asked)."""
    m = _EMBED_CODE.search(url or "")
    code = m.group(1) if m else post_id
    return f"https://www.instagram.com/p/{code}/embed/captioned/" if code else None


# --- flattened into text -------------------------------------------------------------------------
# The embed snippet's fallback, once its markup is gone: "View this post on Instagram", the caption
# (captioned snippets), then the byline "A post shared by Name (@handle) on Jun 16, 2019 at 7:30am
# PDT" (older snippets; current ones end at the handle). The byline must fill its line.
_FLAT_BYLINE_RE = re.compile(
    r"^(?P<phrase>" + "|".join(re.escape(p) for p in _SHARED_BY) + r")\s+(?P<name>[^()\n]{0,64}?)\s*"
    r"\(@(?P<handle>[A-Za-z0-9_.]{1,30})\)(?:\s+(?:on|am|le|el|il|op|em)\s+(?P<date>[^\n]{4,60}))?\s*$",
    re.IGNORECASE,
)
# "View this post on Instagram" in the snippet's languages: the embed's first line.
_VIEW_ON = frozenset(
    {
        "view this post on instagram",
        "diesen beitrag auf instagram ansehen",
        "voir cette publication sur instagram",
        "ver esta publicación en instagram",
        "visualizza questo post su instagram",
        "dit bericht op instagram bekijken",
        "ver essa foto no instagram",
    }
)
_MARKER_REACH = 8  # a caption is a few lines: the marker is looked for this far above the byline


def _is_marker(text: str) -> bool:
    return text.strip().lower() in _VIEW_ON


def _flattened(units: Sequence[Unit], source: str) -> list[FlatPost]:
    from archiver.detect.flatlines import links_of, post_in

    found: list[FlatPost] = []
    taken: set[int] = set()
    for i, unit in enumerate(units):
        if "(@" not in unit.text:
            continue
        m = _FLAT_BYLINE_RE.match(unit.text)
        if m is None:
            continue
        shown, date = printed_day(m.group("date")) if m.group("date") else (None, None)
        first, caption = _caption_above(units, i, taken)
        links = links_of(units, first, i)
        match = post_in(links, parse_url)
        post = build_post(
            PLATFORM,
            kind="embedded",
            source=source,
            evidence="text-byline",
            match=match,
            handle=m.group("handle"),
            author=m.group("name") or None,
            posted_at=date,
            text="\n".join(caption) or None,
        )
        if post.post_id is None:
            # Keyed by the day as printed, as before its UTC day was read: archives already hold
            # the post under that key.
            post.key = hash_key(PLATFORM.name, post.handle, shown, post.text)
        found.append(FlatPost(first, i, i, post))
        taken.update(range(first, i + 1))
    return found


def _caption_above(units: Sequence[Unit], i: int, taken: set[int]) -> tuple[int, list[str]]:
    """(first unit of the post, caption lines): the lines between "View this post on Instagram"
    and the byline, or the rest of the byline's quote block. Without either, the lines above are
    the article's, not the post's: no caption."""
    unit = units[i]
    j = i - 1
    lines: list[str] = []
    while j >= 0 and i - j <= _MARKER_REACH and j not in taken:
        above = units[j]
        if unit.quoted and above.block != unit.block:
            break
        if _is_marker(above.text):
            return j, lines
        if not unit.quoted and above.quoted:
            break
        lines.insert(0, above.text)
        j -= 1
    if unit.quoted and lines and (j < 0 or units[j].block != unit.block):
        return j + 1, lines  # the whole quote block above the byline
    return i, []


PLATFORM = Platform(
    name="instagram",
    hosts=("instagram.com", "instagr.am"),
    parse_url=parse_url,
    rules=(EmbedRule(("blockquote",), _blockquote, needs=("class",), extent=snippet), EmbedRule(("amp-instagram",), _amp, needs=("data-shortcode",))),
    embed_url=embed_url,
    embed_selectors=("iframe.instagram-media",),
    flattened=_flattened,
    flattened_hints=("(@",),
)
