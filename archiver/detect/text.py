"""Posts in plain text: posts flattened into lines, post URLs, short links.

The text is cut into units (see `units.py`). Each platform with a `flattened` hook is offered the
units first and claims the units its flattened posts span (a tweet's body lines and its signature
`— Name (@handle) date`); a post is reported where its closing unit stands. Every other unit, and
the text after a flattened post on its closing line, is searched for post URLs (`http(s)://`, or
scheme-less on a registered platform's host) and for the short links that platforms mint.
"""

from __future__ import annotations

from collections.abc import Sequence

from archiver.detect.units import Unit, find_urls, split_units, weighted_length
from archiver.models import Post
from archiver.platforms import REGISTRY, SHORTENERS, match_url
from archiver.platforms.base import FlatPost, Flattener, absolutize, build_post

_FLATTENERS: tuple[Flattener, ...] = tuple(p.flattened for p in REGISTRY if p.flattened is not None)


def detect_text(text: str, source: str) -> list[Post]:
    """Every post in a plain text, in text order (not yet deduplicated)."""
    units = split_units(text)
    at, consumed = flat_posts(units, source)
    posts: list[Post] = []
    for i, unit in enumerate(units):
        flat = at.get(i)
        if flat is not None:
            posts.append(flat.post)
            if flat.rest:
                posts.extend(_free_text(flat.rest, [], source))
        elif i not in consumed:
            posts.extend(_free_text(unit.text, unit.links, source))
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


def _free_text(text: str, md_links: list[str], source: str) -> list[Post]:
    posts: list[Post] = []
    for url in [*md_links, *find_urls(text)]:
        found = match_url(absolutize(url))
        if found is not None:
            platform, match = found
            posts.append(build_post(platform, kind="linked", source=source, evidence="text-url", match=match))
    for _name, shortlinks in SHORTENERS:
        for link in shortlinks.find(text) + [u for u in md_links if shortlinks.find(u)]:
            posts.append(shortlinks.post(link, source, "text-shortlink"))
    return posts


__all__ = ["Unit", "detect_text", "flat_posts", "split_units", "weighted_length"]
