"""Plain text cut into units, and the URLs in it: what the text scanner and platform hooks share.

The text is cut into units: one per line, except that a `>`-quoted paragraph (html2text's rendering
of a blockquote, hard-wrapped at 78 columns) is joined into one unit. Markdown links are reduced to
their label with the URL kept aside, so a signature rendered as `[14\\. Juni\\n> 2018](status URL)`
reads like trafilatura's `14. Juni 2018` and still yields the status ID.

URLs in running text: anything starting with `http(s)://`, and scheme-less links to the host of a
registered platform (plugins included), such as `youtu.be/ID`. The registry is read on first use,
so platform modules can import this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

_QUOTE_RE = re.compile(r"^[ \t]*((?:>[ \t]?)+)")
_MD_LINK_RE = re.compile(r"(!?)\[([^\[\]]*)\]\(\s*<?((?:https?:)?//[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_AUTOLINK_RE = re.compile(r"<((?:https?:)?//[^>\s]+)>")
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_TRAILING = ".,;:!?'\"’”»…"
LINK_WEIGHT = 23  # what a link counts for in a short post's length, whatever its length


@dataclass
class Unit:
    """One logical line of the text."""

    text: str
    quoted: bool = False
    block: int = 0  # quote blocks are numbered; 0 = not quoted
    blank_before: bool = False
    links: list[str] = field(default_factory=list)  # URLs of markdown links, in order


def split_units(text: str) -> list[Unit]:
    """Lines -> units (quoted paragraphs joined), markdown links reduced to labels + URLs."""
    units: list[Unit] = []
    block = 0
    prev_quoted = False
    blank = False
    para: list[str] = []
    para_blank = False

    def flush() -> None:
        nonlocal para
        if para:
            units.append(_unit(_join(para), True, block, para_blank))
            para = []

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _QUOTE_RE.match(raw)
        if m:
            line = raw[m.end() :]
            if not prev_quoted:
                block += 1
                para_blank = blank
            prev_quoted = True
            if line.strip():
                if not para:
                    para_blank = para_blank or blank
                para.append(line)
                blank = False
            else:
                flush()  # a bare ">" separates paragraphs inside one quote
                blank = True
            continue
        flush()
        prev_quoted = False
        if not raw.strip():
            blank = True
            continue
        units.append(_unit(raw.strip(), False, 0, blank))
        blank = False
    flush()
    return units


def _join(lines: list[str]) -> str:
    # Markdown: a line ending in two spaces is a hard break, any other line end a soft wrap.
    parts: list[str] = []
    for k, line in enumerate(lines):
        parts.append(line.strip())
        if k < len(lines) - 1:
            parts.append("\n" if line.endswith("  ") else " ")
    return "".join(parts)


def _unit(text: str, quoted: bool, block: int, blank_before: bool) -> Unit:
    links: list[str] = []
    if "](" in text:

        def label(m: re.Match[str]) -> str:
            links.append(m.group(3))
            return "" if m.group(1) else m.group(2)

        text = _MD_LINK_RE.sub(label, text)
    if "<" in text:
        text = _MD_AUTOLINK_RE.sub(lambda m: m.group(1), text)
    if "\\" in text:
        text = _MD_ESCAPE_RE.sub(r"\1", text)
    return Unit(text.strip(), quoted, block, blank_before, links)


# --- URLs -----------------------------------------------------------------------------------------


@cache
def url_re() -> re.Pattern[str]:
    """URLs in running text: `http(s)://...`, or scheme-less on a registered platform's host, one
    of its sub-domains (`old.reddit.com/...`, `pic.twitter.com/...`) or a short-link host (`t.co/...`),
    in any case (`T.CO/...`)."""
    from archiver.platforms import REGISTRY, SHORTENERS
    from archiver.platforms.base import LINK_START

    hosts = sorted({h for p in REGISTRY for h in p.hosts} | {h for _name, s in SHORTENERS for h in s.hosts},
                   key=lambda h: (-len(h), h))
    # Any sub-domain, as `platform_for_host` reads it with a scheme (`www.`, `m.`, `old.`).
    bare = r"(?:[a-z0-9-]+\.)*?(?:" + "|".join(re.escape(h) for h in hosts) + r")/"
    # A host written straight after a word is part of it (`example.x.com/`), unless after CJK text.
    return re.compile(r"(?:https?://|" + LINK_START + bare + r")[^\s<>\"'\[\](){}|" + _URL_STOPS + r"]*",
                      re.IGNORECASE)


# Characters that end a URL in running text besides ASCII's (a URL carries them percent-encoded
# only): dashes, curly quotes and ellipsis, guillemets, CJK and fullwidth punctuation, as in
# `.../status/1—it's great` or `…/p/CODE。`. Letters of any script stay (an IRI's path may hold them).
_URL_STOPS = "\u00ab\u00bb\u2010-\u2027\u2039\u203a\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"


def find_urls(text: str) -> list[str]:
    """The URLs in `text`, as written, without the punctuation that ends a sentence after them."""
    if "." not in text:
        return []
    return [m.group(0).rstrip(_TRAILING) for m in url_re().finditer(text)]


def weighted_length(text: str) -> int:
    """Length of a short post as microblogs count it: links 23, CJK/emoji 2, most other characters 1.

    Short links of every registered platform count as links, like full URLs.
    """
    from archiver.platforms import SHORTENERS

    n = 0
    if "/" in text:
        pattern = url_re()
        stripped = pattern.sub("", text)
        n += LINK_WEIGHT * len(pattern.findall(text))
        for _name, shortlinks in SHORTENERS:
            n += LINK_WEIGHT * len(shortlinks.find(stripped))
            stripped = shortlinks.pattern.sub("", stripped)
        text = stripped
    for ch in text:
        cp = ord(ch)
        if cp <= 0x10FF or 0x2000 <= cp <= 0x200D or 0x2010 <= cp <= 0x201F or 0x2032 <= cp <= 0x2037:
            n += 1
        else:
            n += 2
    return n
