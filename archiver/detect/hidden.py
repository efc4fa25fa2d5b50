"""Embed markup that an HTML parser sees as text, not elements.

Consent managers keep the blocked embed as escaped HTML in an attribute (`data-html="&lt;iframe
..."`, Squarespace's JSON in `data-block-json`), base64-encoded in a `text/template` script, or as
a JavaScript string (WordPress's Embed Privacy plugin: `var _oembed_<hash> = '{"embed": "&lt;..."}'`
in a plain script). The raw page is searched for the escaped form, so the walker reads the
attributes of only those elements, and scripts only on a page with that plugin's marker.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re

from selectolax.lexbor import LexborHTMLParser

from archiver.platforms import REGISTRY

CUSTOM_ID_MIN = 1 << 16  # lexbor ids of the standard elements are small; custom ones are addresses
# Literal "&lt;" prefix: the regex engine jumps between occurrences as fast as str.find. A page
# without the marker (most pages) is not searched at all.
ESCAPED_MARKER = "&lt;"
ESCAPED_HINT_RE = re.compile(r"&lt;\s*(?i:iframe|blockquote)")
# Embed markup worth parsing: iframes, blockquotes and AMP components for every platform, plus each
# registered platform's own markers (`Platform.markup_hints`).
MARKUP_HINT_RE = re.compile(
    r"<\s*(?:" + "|".join(("iframe", "blockquote", "amp-", *(h for p in REGISTRY for h in p.markup_hints))) + ")",
    re.IGNORECASE,
)
_BASE64_RE = re.compile(r"[A-Za-z0-9+/=\s]{40,}")

Targets = dict[int | None, frozenset[str]]  # tag id (None: any element) -> attribute names
_ATTR_BEFORE_RE = re.compile(r"([^\s=<>\"'/]+)\s*=\s*$")
_TAG_AT_RE = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)")
_TAG_ID_CACHE: dict[str, int] = {}
_MAX_ESCAPED_HITS = 500
_LOOK_BACK = 20_000  # an attribute value holding a whole escaped embed (JSON around it) fits


def escaped_targets(markup: str) -> Targets:
    """Which elements (by tag id) carry which attributes holding escaped embed markup.

    Found in the raw text, where `&lt;iframe` sits inside `name="..."` of some `<tag`, so the walk
    only reads the attributes of those elements instead of every element's.
    """
    targets: dict[int | None, set[str]] = {}
    # Look-backs are bounded, and so is the number of hits: a page made of `&lt;iframe` (or a
    # hostile one) must stay linear; a few hundred hits name every attribute a real page uses.
    for n, m in enumerate(ESCAPED_HINT_RE.finditer(markup)):
        if n >= _MAX_ESCAPED_HITS:
            break
        pos = m.start()
        floor = max(0, pos - _LOOK_BACK)
        for quote in sorted((markup.rfind('"', floor, pos), markup.rfind("'", floor, pos)), reverse=True):
            name = _ATTR_BEFORE_RE.search(markup, max(0, quote - 100), quote) if quote > 0 else None
            if name is None:
                continue
            tag = _TAG_AT_RE.match(markup, markup.rfind("<", max(0, name.start() - _LOOK_BACK), name.start()))
            if tag is not None:
                targets.setdefault(_tag_id(tag.group(1).lower()), set()).add(name.group(1).lower())
            break
    return {k: frozenset(v) for k, v in targets.items()}


def _tag_id(name: str) -> int | None:
    """lexbor's id of a standard element name; None for custom elements (ids differ per page)."""
    if name not in _TAG_ID_CACHE:
        probe = LexborHTMLParser(f"<body><{name}></{name}></body>").body
        child = probe.child if probe is not None else None
        _TAG_ID_CACHE[name] = child.tag_id if child is not None and child.tag == name else -1
    tid = _TAG_ID_CACHE[name]
    return tid if 0 <= tid < CUSTOM_ID_MIN else None


def maybe_base64(text: str) -> str | None:
    """Some consent plugins keep the blocked embed base64-encoded in a text/template script."""
    t = text.strip()
    if not t or len(t) % 4 or not _BASE64_RE.fullmatch(t):
        return None
    try:
        raw = base64.b64decode(t, validate=False)
    except (binascii.Error, ValueError):
        return None
    try:
        out = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return out if "<" in out else None


# WordPress's Embed Privacy plugin keeps each blocked embed in a plain script of its container
# (`div.embed-privacy-content`) as one JavaScript string: the embed's markup with HTML entities
# (`&lt;blockquote ...`), as the value of "embed" in a JSON object, its quotes and backslashes then
# escaped by a backslash each (PHP's `addslashes`).
PRIVACY_MARKER = "_oembed_"
PRIVACY_SELECTOR = "div.embed-privacy-content > script"
# (Each part of it can match a character only one way, so a failed match is linear: no two spaces
# runs side by side, the one after the string's end only after its `;`.)
_PRIVACY_RE = re.compile(r"\s*var\s+_oembed_\w+\s*=\s*'((?:[^'\\]|\\.)*)'\s*(?:;\s*)?", re.DOTALL)
_SLASHED_RE = re.compile(r"\\(.)", re.DOTALL)


def privacy_embed(script: str) -> str | None:
    """The embed markup an Embed Privacy script holds, or None when it is not one."""
    found = _PRIVACY_RE.fullmatch(script)
    if found is None:
        return None
    text = _SLASHED_RE.sub(lambda m: "\0" if m.group(1) == "0" else m.group(1), found.group(1))
    try:
        value = json.loads(text)
    except ValueError:
        return None
    embed = value.get("embed") if isinstance(value, dict) else None
    return html.unescape(embed) if isinstance(embed, str) and "&lt;" in embed else None
