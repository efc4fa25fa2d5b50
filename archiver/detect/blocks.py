"""Posts flattened into an HTML page's text: its blocks read as a reader sees them, then the
platforms' `flattened` hooks, exactly as in plain text.

CMSs, feeds, AMP and syndicated copies often keep an embed's words and drop its markup: one `<p>`
per line, the lines inside a class-less `<blockquote>`, `<br>`-separated lines, a `<pre>`. The
page's text blocks (paragraphs, blockquotes, `<br>` lines, `<pre>` lines, list items, cells) are
read in reading order into the units the plain-text scanner cuts (`units.Unit`: one per line, a
blank line between paragraphs, the lines of one blockquote numbered as one quote block) and offered
to every platform's `flattened` hook, so the HTML forms give what the text form gives.

Not read: real embeds (the elements the HTML walker's rules reported as posts: those posts are
found already) and what a reader does not see (`script`, `style`, `template`, `textarea`,
`noscript`, `head`, `[hidden]`). Cheap on the pages that hold no flattened post, nearly all: nothing
happens unless the raw page holds a platform's `flattened_hints`, and the blocks are read only when
the page holds more of them than its real embeds and its scripts account for.
"""

from __future__ import annotations

import bisect
import logging
from typing import TYPE_CHECKING

from archiver.detect.depth import LIMIT as DEPTH_LIMIT
from archiver.detect.text import flat_posts
from archiver.detect.units import Unit
from archiver.platforms import REGISTRY, SHORTENERS
from archiver.platforms.base import trim_url

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

    from selectolax.lexbor import LexborHTMLParser, LexborNode

    from archiver.models import Post

log = logging.getLogger(__name__)

# None: some platform has a `flattened` hook without hints, so every page is read.
_HINTS: tuple[str, ...] | None = tuple(
    dict.fromkeys(h for p in REGISTRY if p.flattened is not None for h in p.flattened_hints)
)
if any(p.flattened is not None and not p.flattened_hints for p in REGISTRY):
    _HINTS = None
# Hints holding "@" are looked for at each "@" of the page (a C-speed search for one character
# finds the few dozen a page has); a two-character search such as "(@" reads the whole page slowly.
_AT_HINTS = tuple((h, h.index("@")) for h in _HINTS or () if "@" in h)
_OTHER_HINTS = tuple(h for h in _HINTS or () if "@" not in h)
_OTHER_HINTS_RAW = tuple(h.encode() for h in _OTHER_HINTS)
# Elements a reader does not see as text.
_UNSEEN = frozenset(
    {"script", "style", "noscript", "template", "textarea", "title", "head", "svg", "math", "iframe",
     "amp-iframe", "object", "embed", "select", "button", "canvas", "video", "audio", "img", "input", "map"}
)
_UNSEEN_RAW = ("script", "style", "noscript", "template", "textarea")
# Blocks with a gap (a blank line) before and after them; other blocks only start a new line.
_PARAGRAPHS = frozenset(
    {"p", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "li", "table",
     "figure", "hr", "address", "details", "fieldset", "form"}
)
_LINES = frozenset(
    {"div", "section", "article", "aside", "main", "nav", "header", "footer", "tr", "td", "th", "dd",
     "dt", "figcaption", "caption", "summary", "center", "tbody", "thead", "tfoot", "body", "html",
     "legend", "option", "dialog", "hgroup", "menu", "search"}
)
_ENTER, _GAP, _LINE, _QUOTE_END, _PRE_END = range(5)


def add_flattened(
    tree: LexborHTMLParser,
    html: str,
    source: str,
    posts: list[Post],
    embeds: Sequence[LexborNode] = (),
    *,
    raw: bytes | None = None,
) -> list[Post]:
    """`posts` (the walker's, in document order) with the page's flattened posts added.

    `embeds`: the elements the walker's rules reported as posts, or for an embed whose rule names
    its extent, the children that are its (`EmbedRule.extent`); their text is theirs, not read.
    `raw`, when given, is exactly `html` encoded as UTF-8: the hints are looked for in it.

    Each flattened post goes where the first post it accounts for stands (its own bare short link,
    a link to it), else after the flattened post before it, else at the end; merging then folds
    those records into it.
    """
    if _HINTS is not None and not _has_hint(html, raw):
        return posts
    body = tree.body or tree.root
    if body is None:
        return posts
    if _HINTS is not None and not _outside_embeds(html, embeds):
        return posts
    skip = {node.mem_id for node in embeds}
    units = read_units(body, skip)
    at, _ = flat_posts(units, source)
    if not at:
        return posts
    found = [at[i].post for i in sorted(at)]
    log.debug("%s: %d flattened posts in the page's text", source, len(found))
    return _placed(posts, found)


def _has_hint(html: str, raw: bytes | None = None) -> bool:
    """True when `html` holds one of the platforms' `flattened_hints` (see `_hint_positions`).

    With `raw` (`html` as UTF-8), the hints without "@" are looked for in the bytes: a hint that is
    not ASCII (`♬`) by the occurrences of its last byte, which pages seldom hold (see `_holds`).
    """
    if raw is None:
        return bool(_hint_positions(html, first=True))
    if _AT_HINTS and _hint_positions(html, first=True, at_hints_only=True):
        return True
    return any(_holds(raw, hint) for hint in _OTHER_HINTS_RAW)


def _holds(raw: bytes, needle: bytes) -> bool:
    """`needle in raw`, quicker when the needle is the UTF-8 of a character that is not ASCII.

    CPython's substring search skips ahead by the needle's last byte and a small filter of its
    bytes, and for a three-byte character such as `♬` that filter lets nearly every position of a
    page through, so the search reads byte by byte. A multi-byte character ends in a byte that
    pages seldom hold in that place: the search for that one byte (memchr) jumps from one occurrence
    to the next, and each is compared whole. ASCII needles go to `in`.
    """
    if needle.isascii():
        return needle in raw
    last = needle[-1:]
    before = len(needle) - 1
    at = raw.find(last, before)
    while at >= 0:
        if raw.startswith(needle, at - before):
            return True
        at = raw.find(last, at + 1)
    return False


def _hint_positions(text: str, start: int = 0, *, first: bool = False, at_hints_only: bool = False) -> list[int]:
    """Where `text` holds the platforms' `flattened_hints`, from `start` on. A hint ending in "@"
    counts only before a handle's first character (a letter, digit or "_"): "(@handle", not
    "(@.…)"; tags between the "@" and what precedes it are skipped. Hints holding "@" are looked for at each "@" (a C-speed search for one character
    finds the few dozen a page has); a search for "(@" itself would read the whole page slowly.
    `at_hints_only`: only the hints holding "@" are looked for."""
    found: list[int] = []
    if _AT_HINTS:
        at = text.find("@", start)
        while at >= 0:
            before = at
            while before > 0 and text[before - 1] == ">":  # "(<a href=…>@handle</a>)": tags between
                lt = text.rfind("<", 0, before - 1)
                if lt < 0 or before - lt > 512:
                    break
                before = lt
            for hint, offset in _AT_HINTS:
                if (text.startswith(hint, at - offset) or text.startswith(hint[:offset], before - offset)) and (
                    offset < len(hint) - 1 or text[at + 1 : at + 2].isalnum() or text[at + 1 : at + 2] == "_"
                ):
                    found.append(at)
                    if first:
                        return found
                    break
            at = text.find("@", at + 1)
    if at_hints_only:
        return found
    for hint in _OTHER_HINTS:
        at = text.find(hint, start)
        while at >= 0:
            found.append(at)
            if first:
                return found
            at = text.find(hint, at + 1)
    return found


def read_units(body: LexborNode, skip: Collection[int] = ()) -> list[Unit]:
    """The text of `body` as a reader sees it, one unit per line, without the elements whose
    `mem_id` is in `skip` (real embeds)."""
    reader = _Reader(skip)
    reader.read(body)
    return reader.units


class _Reader:
    def __init__(self, skip: Collection[int]) -> None:
        self.skip = skip
        self.units: list[Unit] = []
        self.parts: list[str] = []
        self.links: list[str] = []
        self.blank = False
        self.quote = 0  # the quote block being read; 0: not inside a blockquote
        self.quotes = 0
        self.pre = 0  # depth of <pre> elements around the text being read

    def line(self, *, hard: bool = False) -> None:
        """End the current line; an empty one ended by `<br>` (or in `<pre>`) is a blank line."""
        text = " ".join("".join(self.parts).split())
        if text:
            self.units.append(Unit(text, self.quote > 0, self.quote, self.blank, self.links))
            self.blank = False
            self.links = []
        elif hard and self.units:
            self.blank = True
        self.parts = []

    def gap(self) -> None:
        self.line()
        if self.units:
            self.blank = True

    def read(self, root: LexborNode) -> None:
        stack: list[tuple[LexborNode, int, int]] = [(root, _ENTER, 0)]
        while stack:
            node, state, saved = stack.pop()
            if state == _GAP:
                self.gap()
                continue
            if state == _LINE:
                self.line()
                continue
            if state == _QUOTE_END:
                self.gap()
                self.quote = saved
                continue
            if state == _PRE_END:
                self.gap()
                self.pre -= 1
                continue
            if self.skip and node.mem_id in self.skip:
                continue  # a real embed, or a part of one (its snippet's text and elements)
            tag = node.tag
            if tag == "-text":
                self.text(node.text_content or "")
                continue
            if tag == "br":
                self.line(hard=True)
                continue
            if tag is None or tag in _UNSEEN or tag.startswith("-"):
                continue  # comments, doctype
            attrs = node.attrs
            if "hidden" in attrs:
                continue
            if tag == "a":
                href = attrs.get("href")
                if href:
                    self.links.append(trim_url(href))
            if tag == "blockquote":
                self.gap()
                self.quotes += 1
                stack.append((node, _QUOTE_END, self.quote))
                self.quote = self.quotes
            elif tag == "pre":
                self.gap()
                self.pre += 1
                stack.append((node, _PRE_END, 0))
            elif tag in _PARAGRAPHS:
                self.gap()
                stack.append((node, _GAP, 0))
            elif tag in _LINES:
                self.line()
                stack.append((node, _LINE, 0))
            children = list(node.iter(include_text=True))
            stack.extend((child, _ENTER, 0) for child in reversed(children))

    def text(self, text: str) -> None:
        if not self.pre:
            self.parts.append(text)
            return
        lines = text.split("\n")
        for k, piece in enumerate(lines):
            self.parts.append(piece)
            if k < len(lines) - 1:
                self.line(hard=True)


def _outside_embeds(html: str, embeds: Sequence[LexborNode]) -> bool:
    """True when the page's body holds more hints, outside scripts and other unseen containers,
    than its real embeds account for: then some hint is in text a reader sees. Counted on the raw
    page and on the embeds' markup, so a page whose hints all sit in embeds costs little."""
    start = max(html.find("<body"), 0)
    found = _hint_positions(html, start)
    ids = {n.mem_id for n in embeds}
    inside = 0
    for node in embeds:
        if not _below(node, ids) and not _unseen_above(node):
            inside += len(_hint_positions(node.html or ""))
    if len(found) <= inside:
        return False  # the usual page: every hint is in an embed
    unseen = _Unseen(html)
    return len([at for at in found if not unseen.holds(at)]) > inside


class _Unseen:
    """Where the raw page holds script, style, template, textarea or noscript content, as a reader
    takes it: a position is unseen when the last opening tag of one of these before it is not
    closed yet. Found in one pass per tag, then asked by bisection, so a page full of hints costs
    no more than it is long."""

    def __init__(self, html: str) -> None:
        spans: list[tuple[int, int]] = []
        for tag in _UNSEEN_RAW:
            opening, closing = "<" + tag, "</" + tag
            opened = html.find(opening)
            while opened >= 0:
                closed = html.find(closing, opened)
                # From the end of the opening tag's name to the end of the closing one's.
                spans.append((opened + len(opening), closed + len(closing) if closed >= 0 else len(html) + 1))
                if closed < 0:
                    break
                opened = html.find(opening, closed)
        self.starts: list[int] = []
        self.ends: list[int] = []
        for first, last in sorted(spans):  # their union, as disjoint spans
            if self.ends and first <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], last)
            else:
                self.starts.append(first)
                self.ends.append(last)

    def holds(self, at: int) -> bool:
        i = bisect.bisect_right(self.starts, at) - 1
        return i >= 0 and at < self.ends[i]


def _unseen_above(node: LexborNode) -> bool:
    return _any_ancestor(node, lambda parent: parent.tag in _UNSEEN)


def _below(node: LexborNode, ids: set[int]) -> bool:
    """True when an ancestor of `node` is one of `ids` (by mem_id)."""
    return _any_ancestor(node, lambda parent: parent.mem_id in ids)


def _any_ancestor(node: LexborNode, test: Callable[[LexborNode], bool]) -> bool:
    """True when `test` holds for an ancestor of `node`; the walk up is bounded."""
    parent = node.parent
    for _ in range(DEPTH_LIMIT + 8):
        if parent is None:
            return False
        if test(parent):
            return True
        parent = parent.parent
    return False


def _placed(posts: list[Post], found: list[Post]) -> list[Post]:
    out = list(posts)
    last = -1
    for post in found:
        anchor = _anchor(out, post)
        if anchor is not None and anchor > last:
            at = anchor
        elif last >= 0:
            at = last + 1
        else:
            at = len(out)
        out.insert(at, post)
        last = at
    return out


def _anchor(posts: list[Post], post: Post) -> int | None:
    """Index of the first post that is this one: the same key, or a short link found inside it."""
    codes = {
        (name, code) for link in (*post.links, *post.media) for name, minted in SHORTENERS if (code := minted.code(link))
    }
    for i, other in enumerate(posts):
        if other.key == post.key:
            return i
        if codes and other.kind == "shortlink" and other.links:
            for name, minted in SHORTENERS:
                if name == other.platform and (name, minted.code(other.links[0])) in codes:
                    return i
    return None


__all__ = ["add_flattened", "read_units"]
