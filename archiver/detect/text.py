"""Posts in plain text: posts flattened into lines, post URLs, short links.

The text is cut into units (see `units.py`). Each platform with a `flattened` hook is offered the
units first and claims the units its flattened posts span (a tweet's body lines and its signature
`— Name (@handle) date`); a post is reported where its closing unit stands. Every other unit, and
the text after a flattened post on its closing line, is searched for post URLs (`http(s)://`, or
scheme-less on a registered platform's host) and for the short links that platforms mint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from archiver.detect.units import Unit, find_urls, split_units, weighted_length
from archiver.models import Post
from archiver.platforms import REGISTRY, SHORTENERS, match_link
from archiver.platforms.base import FlatPost, Flattener, absolutize, build_post, host_lowered, unique

_FLATTENERS: tuple[Flattener, ...] = tuple(p.flattened for p in REGISTRY if p.flattened is not None)


def detect_text(text: str, source: str) -> list[Post]:
    """Every post in a plain text, in text order (not yet deduplicated)."""
    units = split_units(text)
    at, consumed = flat_posts(units, source)
    # Each body line's post: a post's address in a flattened post's text (a tweet quoting or
    # answering another) is a post the text cites too; its short links are the post's own.
    owner = {k: flat.post.key for flat in at.values() for k in range(flat.first, flat.at)}
    posts: list[Post] = []
    for i, unit in enumerate(units):
        flat = at.get(i)
        if flat is not None:
            posts.append(flat.post)
            if flat.rest:
                posts.extend(_free_text(flat.rest, [], source))
        elif i not in consumed:
            posts.extend(_free_text(unit.text, unit.links, source))
        elif i in owner:
            posts.extend(p for p in _free_text(unit.text, unit.links, source, short_links=False)
                         if p.key != owner[i])
    return posts


def flat_posts(units: Sequence[Unit], source: str) -> tuple[dict[int, FlatPost], set[int]]:
    """The flattened posts every platform's hook finds in `units`, by the unit each closes on, and
    the units they span. Units an earlier platform's posts span are not another platform's post."""
    at: dict[int, FlatPost] = {}
    consumed: set[int] = set()
    for flattened in _FLATTENERS:
        mine = [flat for flat in flattened(units, source) if flat.at not in consumed]
        for found in mine:
            at[found.at] = found
            consumed.update(range(found.first, found.last + 1))
    return at, consumed


# A first line longer than this is a paragraph, not a headline.
HEADLINE_MAX = 200
# What `headline` reads: a flattened post that the first line starts closes well within it.
_HEAD_CHARS = 16_384
_HEAD_UNITS = 24
_HEADING_MARK_RE = re.compile(r"^#{1,6}[ \t]+")  # a Markdown heading's `# `


def headline(text: str, source: str) -> str | None:
    """The title of a plain-text article: its first non-empty line, when that reads as a headline
    (at most HEADLINE_MAX characters, no `# ` of a Markdown heading); None when that line is
    quoted, holds a URL or a short link, or is part of a post flattened into the text."""
    units = split_units(text[:_HEAD_CHARS].lstrip("\ufeff"))[:_HEAD_UNITS]
    if not units or units[0].quoted or units[0].links:
        return None
    line = _HEADING_MARK_RE.sub("", units[0].text).strip()
    if not line or len(line) > HEADLINE_MAX or find_urls(line) or any(s.find(line) for _, s in SHORTENERS):
        return None
    _, consumed = flat_posts(units, source)
    return None if 0 in consumed else line


def _free_text(text: str, md_links: list[str], source: str, *, short_links: bool = True) -> list[Post]:
    posts: list[Post] = []
    shouted: list[str] = []  # `HTTPS://T.CO/CODE`: short links' patterns are written for lower-case hosts
    for url in [*md_links, *find_urls(text)]:
        found = match_link(absolutize(url))
        if found is not None:
            platform, match = found
            posts.append(build_post(platform, kind="linked", source=source, evidence="text-url", match=match))
        elif (lowered := host_lowered(url)) != url:
            shouted.append(lowered)
    for _name, shortlinks in SHORTENERS if short_links else ():
        links = shortlinks.find(text) + [u for u in [*md_links, *shouted] if shortlinks.find(u)]
        for link in unique(links):
            posts.append(shortlinks.post(link, source, "text-shortlink"))
    return posts


__all__ = ["HEADLINE_MAX", "Unit", "detect_text", "flat_posts", "headline", "split_units", "weighted_length"]
