"""A nesting-depth cap put on HTML before it is parsed, so that parsing stays linear in its size.

An HTML tree builder checks "is there a <p> in button scope?" and the like by walking its stack of
open elements, so a document nested D levels deep costs it O(size x D): 80,000 nested `<div>`s
take lexbor (selectolax) over ten seconds. Chromium stops nesting at 512 levels; `cap_depth` does
the same to the markup, in one pass over its tags:

- Within the cap the document is returned as it is (the same object): the cap changes nothing on
  pages as people write them.
- In a document deeper than the cap, from the soft limit (64 levels under it) on, start tags
  without attributes are dropped (with their end tags) while the current element has none
  either: their content stays, one level flatter. Elements with attributes, the ones embeds are
  made of (`<blockquote class="twitter-tweet">`), keep their own small subtree.
- At the hard limit the deepest open elements are closed (end tags are written in) down to the
  soft limit, and their own end tags dropped when they come.

The depth counted is the tree builder's, approximated: void elements, raw text (`script`, `style`,
`textarea`, `title`...), comments, self-closing tags in SVG/MathML, and the end tags HTML implies
(a new `<p>`, `<li>`, `<td>` closing the previous one, a block closing an open `<p>`) are taken
into account. End tags are matched within a bounded window of the stack, so the pass stays linear
however the tags are misnested. Misnesting can still make the builder's depth differ from the
count by a small factor, never by an unbounded amount.
"""

from __future__ import annotations

import re
from typing import Any

LIMIT = 512  # Chromium's kMaximumHTMLParserDOMTreeDepth
_SOFT_MARGIN = 64  # room under LIMIT for the small subtrees of elements with attributes
_WINDOW = 64  # how far down the stack an end tag looks for its element
_SLICE = 4096  # characters per slice of the start/end tag balance in `may_be_deep`
# Up to this many tags, lexbor parses any nesting (all of them open) within a second; past it the
# tags are always counted.
_ALWAYS_COUNT = 20_000

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr", "keygen", "param", "basefont", "bgsound", "frame", "image"})
_RAW = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
_IGNORED = frozenset({"html", "head", "body"})  # never nested: a second one merges into the first
_FORMATTING = frozenset({"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt",
                         "u"})
# Elements the tree builder treats as "special": an end tag of an ordinary element stops at them.
_SPECIAL = frozenset({
    "address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body", "br",
    "button", "caption", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt", "embed",
    "fieldset", "figcaption", "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6",
    "head", "header", "hgroup", "hr", "html", "iframe", "img", "input", "li", "link", "listing", "main",
    "marquee", "menu", "meta", "nav", "noembed", "noframes", "noscript", "object", "ol", "p", "param",
    "plaintext", "pre", "script", "search", "section", "select", "source", "style", "summary", "table", "tbody",
    "td", "template", "textarea", "tfoot", "th", "thead", "title", "tr", "track", "ul", "wbr", "xmp",
    "svg", "math", "foreignobject", "desc",
})
_SCOPE = frozenset({"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "svg",
                    "math", "foreignobject", "desc"})
_MARKERS = frozenset({"td", "th", "caption", "template", "applet", "object", "marquee"})
_CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "main",
    "menu", "nav", "ol", "p", "pre", "search", "section", "summary", "table", "ul", "li", "dd", "dt", "listing",
})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SECTIONS = frozenset({"tbody", "thead", "tfoot"})
_TABLE_ROW_CONTEXT = frozenset({"tbody", "thead", "tfoot", "table", "template"})
# Start tags that close an open element of the same kind (or kin) found near the top of the stack,
# and where the search for it stops.
_SIBLINGS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu", "dir"}) | _SCOPE),
    "dd": (frozenset({"dd", "dt"}), frozenset({"dl"}) | _SCOPE),
    "dt": (frozenset({"dd", "dt"}), frozenset({"dl"}) | _SCOPE),
    "option": (frozenset({"option"}), frozenset({"select", "datalist", "optgroup"}) | _SCOPE),
    "optgroup": (frozenset({"option", "optgroup"}), frozenset({"select"}) | _SCOPE),
    "tr": (frozenset({"tr"}), _TABLE_ROW_CONTEXT),
    "td": (frozenset({"td", "th"}), frozenset({"tr"}) | _TABLE_ROW_CONTEXT),
    "th": (frozenset({"td", "th"}), frozenset({"tr"}) | _TABLE_ROW_CONTEXT),
    "thead": (_SECTIONS, frozenset({"table", "template"})),
    "tbody": (_SECTIONS, frozenset({"table", "template"})),
    "tfoot": (_SECTIONS, frozenset({"table", "template"})),
    "caption": (frozenset({"caption"}), frozenset({"table", "template"})),
    "colgroup": (frozenset({"colgroup"}), frozenset({"table", "template"})),
    "a": (frozenset({"a"}), _SPECIAL),
    "nobr": (frozenset({"nobr"}), _SPECIAL),
    "button": (frozenset({"button"}), _SCOPE),
    "rb": (frozenset({"rb", "rt", "rp", "rtc"}), frozenset({"ruby"}) | _SCOPE),
    "rt": (frozenset({"rb", "rt", "rp"}), frozenset({"ruby", "rtc"}) | _SCOPE),
    "rp": (frozenset({"rb", "rt", "rp"}), frozenset({"ruby", "rtc"}) | _SCOPE),
    "rtc": (frozenset({"rb", "rt", "rp", "rtc"}), frozenset({"ruby"}) | _SCOPE),
}
# End tags whose element ends whatever is open inside it, formatting elements included.
_CLOSES_ALL = _MARKERS | frozenset({"table", "tbody", "thead", "tfoot", "tr", "select", "svg", "math"})

# `<!--...-->`, `<!...>`/`<?...>`, or a tag: `<name` / `</name` (attributes are read separately).
_TOKEN_RE = re.compile(r"<(?:(!--)|([!?])|(/?)([A-Za-z][^\t\n\f\r />]*))")
_ATTRS_RE = re.compile(r"""(?:[^>"']+|"[^"]*"|'[^']*'|["'])*""")
_RAW_END_RE = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _RAW}
_COMMENT_END_RE = re.compile(r"--!?>")
# What `may_be_deep` does not count as a start tag: end tags, comments and doctypes, common voids.
_NOT_START_RE = re.compile(
    r"<(?:/|!|\?|(?:br|img|meta|link|input|hr|source|wbr|area|col|embed|base|param|track|BR|IMG|META|LINK|INPUT|HR)"
    r"[\t\n\f\r />])"
)
# Runs of bare tags (`<div><div><div>`, `</div></div>`), dropped in one step once past the limit.
_OPEN_RUN_RE = re.compile(r"(?:<[A-Za-z][A-Za-z0-9-]*>)+")
_CLOSE_RUN_RE = re.compile(r"(?:</[A-Za-z][A-Za-z0-9-]*>)+")
_RUN_NAME_RE = re.compile(r"</?([a-z][a-z0-9-]*)>")
_NOT_IN_RUNS = _RAW | _VOID | _IGNORED | frozenset({"plaintext", "svg", "math"})


class _Entry:
    """One open element as counted: its name, whether its start tag carried attributes."""

    __slots__ = ("name", "attrs")

    def __init__(self, name: str, attrs: bool) -> None:
        self.name = name
        self.attrs = attrs


# Up to this many tags a document nests at most this deep, and lexbor parses even that in well under
# 0.1 s (its cost grows with the square of the depth: 0.35 s at 20,000 levels): cheaper than
# looking. Ordinary article pages stay under it (all 30 corpus pages do).
_CHEAP_TAGS = 10_000


def for_parser(html: str, size: int | None = None) -> str:
    """`html` as the detector hands it to the parser: depth-capped when it has enough tags for
    nesting to cost anything, and with no tag of more than `MAX_ATTRIBUTES` attributes (on pages of
    many tags for their size, none long enough to cost anything: see `_over_cap`); as it is
    otherwise (the same object). `size`: its length in UTF-8 bytes, when known (as `few_tags`
    measures a page)."""
    tags = html.count("<")
    capped = html if tags <= _CHEAP_TAGS else cap_depth(html)
    return cap_attributes(capped, tags if capped is html else None, size=size if capped is html else None)


def few_tags(raw: bytes) -> bool:
    """True when a document, as its UTF-8 bytes, has too few tags for nesting to cost anything and
    no tag of more than `MAX_ATTRIBUTES` attributes that `cap_attributes` would cap: `for_parser`
    hands such a document over as it is. (Counting bytes is cheaper than characters.)"""
    tags = raw.count(b"<")
    return tags <= _CHEAP_TAGS and not _over_cap(raw, tags) and not _root_cuts(raw)


# -- attributes ---------------------------------------------------------------------------------------
#
# lexbor checks each attribute of a start tag against those before it (a duplicate is dropped), so a
# tag of N attributes costs it N x N: 20,000 take a second, 200,000 (1.8 MB) two minutes. No embed
# has more than a few dozen; past MAX_ATTRIBUTES a tag's attributes are dropped before parsing, as
# deep nesting is capped (what lexbor keeps of a tag is the same up to there: the first of
# duplicates).
MAX_ATTRIBUTES = 256
# The tokenizer's whitespace (CR is read as LF), a start tag's name and one attribute as it reads
# them: a name (its first character may be `=`; quotes and `<` are part of it), then maybe `=` and a
# value, quoted or not. Each part possessive: the regular expression splits a tag where the tokenizer
# does, never anywhere else.
_WS = r"\t\n\f\r "
_WS_CHARS, _WS_BYTES = "\t\n\f\r ", b"\t\n\f\r "
_EQUALS = ord("=")  # (an item of bytes is an int)
_TAG_NAME = rf"<[A-Za-z][^{_WS}/>]*+"
_ATTRIBUTE = (rf"""(?>[{_WS}/]*+[^{_WS}/>][^{_WS}/>=]*+"""
              rf"""(?:[{_WS}]*+=[{_WS}]*+(?>"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^{_WS}>]*+))?+)""")
# A start tag of more than MAX_ATTRIBUTES attributes ends where its first MAX_ATTRIBUTES do.
_MANY_ATTRIBUTES_RE = re.compile(rf"{_TAG_NAME}{_ATTRIBUTE}{{{MAX_ATTRIBUTES}}}(?=[{_WS}/]*+[^{_WS}/>])")
_MORE_ATTRIBUTES_RE = re.compile(rf"{_ATTRIBUTE}*+")
# Which start tags have more than MAX_ATTRIBUTES attributes is asked of every tag only on pages where
# such a tag can be much of the page: more than _BYTES_PER_TAG bytes a tag (ordinary pages have 30 to
# 100), or more tags than _CHEAP_TAGS (where the depth cap's count costs more already). Elsewhere
# that would cost a quarter to a half of a parse (any regular expression over every tag does), a
# tenth of detection. Where asked, two searches find them, and only the tags found are counted,
# exactly:
# - one that runs on for twice as many characters without a `>` (an attribute takes two at least: a
#   name and what ends it);
# - one whose first `>` is inside a quoted value (outside one, `>` ends the tag), found from each
#   quoted value holding a `>`.
_SPAN = 2 * MAX_ATTRIBUTES
_BYTES_PER_TAG = 256
_LONG_TAG = rf"<[A-Za-z][^>]{{{_SPAN}}}"
_QUOTED_GT = rf"""=[{_WS}]*+(?:"[^">]*+|'[^'>]*+)>"""
_TAG_START = r"<[A-Za-z]"
_LONG_TAG_RE, _LONG_TAG_RE_B = re.compile(_LONG_TAG), re.compile(_LONG_TAG.encode())
_QUOTED_GT_RE, _QUOTED_GT_RE_B = re.compile(_QUOTED_GT), re.compile(_QUOTED_GT.encode())
_TAG_START_RE, _TAG_START_RE_B = re.compile(_TAG_START), re.compile(_TAG_START.encode())
_MANY_ATTRIBUTES_RE_B = re.compile(_MANY_ATTRIBUTES_RE.pattern.encode())
_MORE_ATTRIBUTES_RE_B = re.compile(_MORE_ATTRIBUTES_RE.pattern.encode())
_TAG_NAME_RE, _TAG_NAME_RE_B = re.compile(_TAG_NAME), re.compile(_TAG_NAME.encode())
# On the other pages (many tags for their size) what costs is a long tag: lexbor's time goes with
# the square of a tag's length in bytes at worst (a tag of 16 KB took it 0.024 s of CPU at most, 64 KB
# 0.45 s, 100 KB a second: short names, the last one repeated; 32 KB of one-character CJK names
# 0.08 s). Such a tag is found by probes, one every _PROBE bytes (in text, every _PROBE / 4
# characters unless it is ASCII: a character is four bytes of UTF-8 at most), each a few calls that
# search at C speed (about 1% of detection in all, on the corpus). A probe looks for a start tag
# begun since the probe before it (one begun earlier was open at that one) and still open: between
# the `>` before the probe and the first `>` after it, or holding one of them in a quoted value (the
# value's opening quote is the last of its kind before the `>`, after `=` and whitespace). Where a
# `>` may be quoted, the searches above run over the stretch since the probe before, where such a
# tag begins; where the `>`s are _RUN bytes apart or more (_RUN / 4 characters), the one tag that
# can begin between them is counted. A start tag found by no probe begins and ends between two
# probes, or is shorter than _PROBE + _RUN bytes (18 KB: a few hundredths of a second).
_PROBE = 16384
_RUN = 2048


def _over_cap(doc: str | bytes, tags: int, size: int | None = None) -> list[int]:
    """Where the start tags of more than MAX_ATTRIBUTES attributes begin, in order, each after the
    end of the one before (as `cap_attributes` caps them; on pages of many tags for their size,
    those the probes find: see `_probe`); `tags`: the document's count of `<`; `size`: its length in
    UTF-8 bytes when it is text (else its length)."""
    text = isinstance(doc, str)
    if size is None:
        size = len(doc) if not text or doc.isascii() else len(doc.encode("utf-8", "surrogatepass"))  # type: ignore[union-attr]
    if size <= _SPAN:
        return []
    long_tag, quoted_gt, tag_start = (
        (_LONG_TAG_RE, _QUOTED_GT_RE, _TAG_START_RE) if text else (_LONG_TAG_RE_B, _QUOTED_GT_RE_B, _TAG_START_RE_B))
    candidates: set[int] = set()  # where a tag to count may begin
    if size <= _BYTES_PER_TAG * tags and tags <= _CHEAP_TAGS:
        spans = _probe(doc, candidates)
    else:
        spans = [(0, len(doc))]
    gt = ">" if text else b">"
    for low_span, high_span in spans:
        # Every tag beginning in the span is found whole: a search reads on past its end as far as
        # such a tag needs (a long tag's first _SPAN characters, the first quoted `>` within them).
        end = min(len(doc), high_span + 2 * _SPAN + 2)
        candidates.update(hit.start() for hit in long_tag.finditer(doc, low_span, end))  # type: ignore[arg-type]
        for hit in quoted_gt.finditer(doc, low_span, end):  # type: ignore[arg-type]
            # The tag holding a tag's first quoted `>` starts after the `>` before it (there is none
            # between), within _SPAN characters (a longer run is a long tag, found above); maybe
            # after the `=` the hit begins with, when that one is not the tag's (`x="y <div a='>'`:
            # the hit runs from the text's `=`, the tag's own is inside it).
            close = hit.end() - 1
            low = max(0, close - _SPAN - 2)
            low = max(low, doc.rfind(gt, low, close) + 1)  # type: ignore[arg-type]
            tag = tag_start.search(doc, low, close)  # type: ignore[arg-type]
            if tag is not None:
                candidates.add(tag.start())
    return _counted(doc, sorted(candidates))


def _counted(doc: str | bytes, candidates: list[int]) -> list[int]:
    """Those of `candidates` (in order) where a start tag of more than MAX_ATTRIBUTES attributes
    begins, each after the end of the one before: one inside a tag found is not counted (its
    attributes are dropped with the tag's), so each character is read about once, however many
    candidates a tag holds. Nor is one inside the name of a tag that has too few: it reads as the
    rest of that name, then the same attributes."""
    text = isinstance(doc, str)
    many, more, name = ((_MANY_ATTRIBUTES_RE, _MORE_ATTRIBUTES_RE, _TAG_NAME_RE) if text
                        else (_MANY_ATTRIBUTES_RE_B, _MORE_ATTRIBUTES_RE_B, _TAG_NAME_RE_B))
    found: list[int] = []
    past = 0
    for at in candidates:
        if at < past:
            continue
        m = many.match(doc, at)  # type: ignore[arg-type]
        if m is None:
            past = name.match(doc, at).end()  # type: ignore[arg-type,union-attr]
            continue
        found.append(at)
        past = more.match(doc, m.end()).end()  # type: ignore[arg-type,union-attr]
    return found


# lexbor copies the attributes of every later `<html>` start tag onto the first `html` element (those
# it lacks: each is checked against those it has), and of every later `<body>` onto the first body:
# quadratic in their total, however few each tag has (60,000 attributes over 235 `<html>` tags of 256
# took 7 s, twice as many 35 s). Such tags keep MAX_ATTRIBUTES in all, the first tag's first; where
# there is one of each (every ordinary page), or their attributes are within that, nothing changes.
# They are found by a search at C speed for their start (in scripts and comments too, where the count
# can only be higher than the parser's).
_ROOT_RE = re.compile(rf"<(html|body)(?=[{_WS}/>])", re.IGNORECASE)
_ROOT_RE_B = re.compile(_ROOT_RE.pattern.encode(), re.IGNORECASE)
_ONE_ATTRIBUTE_RE, _ONE_ATTRIBUTE_RE_B = re.compile(_ATTRIBUTE), re.compile(_ATTRIBUTE.encode())


def _root_cuts(doc: str | bytes) -> list[tuple[int, int]]:
    """The spans of attributes to drop from repeated `<html>` and `<body>` start tags, in order: those
    past the first MAX_ATTRIBUTES of all the tags of each name (none when there is one of each)."""
    text = isinstance(doc, str)
    root, one, more = ((_ROOT_RE, _ONE_ATTRIBUTE_RE, _MORE_ATTRIBUTES_RE) if text
                       else (_ROOT_RE_B, _ONE_ATTRIBUTE_RE_B, _MORE_ATTRIBUTES_RE_B))
    found: dict[Any, list[int]] = {}
    for hit in root.finditer(doc):  # type: ignore[arg-type]
        found.setdefault(hit.group(1).lower(), []).append(hit.end())
    cuts: list[tuple[int, int]] = []
    for ends in found.values():
        if len(ends) < 2:
            continue
        left = MAX_ATTRIBUTES
        for at in ends:
            while left and (m := one.match(doc, at)) is not None:  # type: ignore[arg-type]
                at = m.end()
                left -= 1
            rest = more.match(doc, at)  # type: ignore[arg-type]
            assert rest is not None  # (it matches the empty string)
            if rest.end() > at:
                cuts.append((at, rest.end()))
    return sorted(cuts)


def _cut(html: str, cuts: list[tuple[int, int]]) -> str:
    """`html` without the spans `cuts` (in order), each replaced by a space (an unquoted value is not
    run on into a `/` after it); spans inside one cut already are left out."""
    if not cuts:
        return html
    out: list[str] = []
    done = 0
    for start, end in cuts:
        if start < done:
            continue
        out.append(html[done:start] + " ")
        done = end
    out.append(html[done:])
    return "".join(out)


def _probe(doc: str | bytes, candidates: set[int]) -> list[tuple[int, int]]:
    """The probes of `doc`: the tags they find open added to `candidates` (to be counted), and the
    spans (start, end) where such a tag may begin returned, adjacent ones joined (none on ordinary
    pages)."""
    # Whether a `>` may be inside a quoted value of a tag begun after `low`: the last quote of either
    # kind before it opens a value (it follows `=`, and maybe whitespace). Written out twice below,
    # as calls would cost a third of the probes' time. (An item of bytes is an int.)
    marks: tuple[Any, ...] = ((">", "<", '"', "'", "=", _WS_CHARS) if isinstance(doc, str)
                              else (b">", b"<", b'"', b"'", _EQUALS, _WS_BYTES))
    gt, lt, dq, sq, eq, ws = marks
    find, rfind = doc.find, doc.rfind
    # In text, a character may be four bytes of UTF-8 (as the parser reads it): the probes are as
    # many characters apart as leaves them _PROBE bytes apart at most.
    step, run = (_PROBE, _RUN) if isinstance(doc, bytes) or doc.isascii() else (_PROBE // 4, _RUN // 4)
    spans: list[tuple[int, int]] = []
    for p in range(step, len(doc), step):
        low = p - step
        after = find(gt, p, p + run)
        quoted = False
        if after >= 0:
            r = rfind(dq, low, after)
            quoted = r > low and ((c := doc[r - 1]) == eq or c in ws and _after_equals(doc, low, r))
            if not quoted:
                r = rfind(sq, low, after)
                quoted = r > low and ((c := doc[r - 1]) == eq or c in ws and _after_equals(doc, low, r))
        if not quoted:
            before = rfind(gt, low, p)
            if after >= 0 and after - max(before, low) < run:
                continue  # a tag open at `p` (and begun since `low`) is short, or holds `before`
            if before > low:
                for quote in (dq, sq):
                    r = rfind(quote, low, before)
                    if r > low and ((c := doc[r - 1]) == eq or c in ws and _after_equals(doc, low, r)):
                        quoted = True
                        break
        if quoted:
            if spans and spans[-1][1] == low:
                spans[-1] = (spans[-1][0], p)
            else:
                spans.append((low, p))
        else:
            # Far from any `>` a tag holds, the tag open at `p` is the first to begin after `before`
            # (each `<` is looked at by one probe at most).
            at = find(lt, max(before + 1, low), p)
            while at >= 0 and not (doc[at + 1 : at + 2].isalpha() and doc[at + 1 : at + 2].isascii()):
                at = find(lt, at + 1, p)
            if at >= 0:
                candidates.add(at)
    return spans


def _after_equals(doc: str | bytes, low: int, r: int) -> bool:
    """Whether `doc[r]` follows `=` and whitespace, within `doc[low:r]`."""
    if isinstance(doc, str):
        return doc[low:r].rstrip(_WS_CHARS).endswith("=")
    return doc[low:r].rstrip(_WS_BYTES).endswith(b"=")


def cap_attributes(html: str, tags: int | None = None, *, size: int | None = None) -> str:
    """`html` with the attributes of each start tag past the first MAX_ATTRIBUTES dropped, and those of
    repeated `<html>` and `<body>` tags past the first MAX_ATTRIBUTES of all of each name (see
    `_root_cuts`); `html` itself when there are none to drop (or, on pages of many tags for their
    size, no tag long enough to cost the parser anything: see `_PROBE`). `tags`: its count of `<`,
    when taken already; `size`: its length in UTF-8 bytes, when known."""
    starts = _over_cap(html, html.count("<") if tags is None else tags, size)
    cuts: list[tuple[int, int]] = []
    for start in starts:  # (each after the end of the one before)
        m = _MANY_ATTRIBUTES_RE.match(html, start)
        assert m is not None
        rest = _MORE_ATTRIBUTES_RE.match(html, m.end())
        assert rest is not None  # (it matches the empty string)
        cuts.append((m.end(), rest.end()))
    capped = _cut(html, cuts)
    return _cut(capped, _root_cuts(capped))


def cap_depth(html: str, limit: int = LIMIT) -> str:
    """`html` with its element nesting held to `limit` levels; `html` itself when it is within the cap."""
    soft = max(1, limit - _SOFT_MARGIN) if limit > _SOFT_MARGIN * 2 else max(1, limit // 2)
    if not may_be_deep(html, limit):
        return html
    probe = _Capper(html, soft, limit, measure=True)
    probe.run()  # counts only, and stops past the limit
    if not probe.too_deep:
        return html
    return _Capper(html, soft, limit).run()


def may_be_deep(html: str, levels: int) -> bool:
    """False when `html` cannot nest more than `levels` elements, judged from counts (at C speed).

    The counting pass over tags costs several parses, so it runs only on documents that may need
    it: those with more tags than `levels` whose balance of start tags (void elements left out)
    and end tags, counted per slice of the text, climbs past `levels`. A page can hide its depth
    from these counts only with end tags that close nothing, and only below `_ALWAYS_COUNT` tags,
    where even the worst nesting parses in under a second; larger documents are always counted.
    """
    tags = html.count("<")
    if tags <= levels:
        return False  # fewer tags than levels
    if tags > _ALWAYS_COUNT:
        return True
    if not _may_climb(html, levels):
        return False
    balance = 0
    for i in range(0, len(html), _SLICE):
        j = i + _SLICE
        found = _NOT_START_RE.findall(html, i, j)
        opens = html.count("<", i, j) - len(found)
        if balance + opens > levels:  # as if every start tag of the slice came before its end tags
            return True
        balance = max(0, balance + opens - found.count("</"))
    return False


def _may_climb(html: str, levels: int) -> bool:
    """The slice balance of `may_be_deep` from plain counts only: every `<` that is not `</` or `<!`
    taken for a start tag (voids included). That can only overcount start tags, so when even this
    balance stays within `levels` the exact one does too; on ordinary pages it does (29 of the 30
    corpus pages), and the regular expression is never run."""
    balance = 0
    for i in range(0, len(html), _SLICE):
        j = i + _SLICE
        closes = html.count("</", i, j)
        opens = html.count("<", i, j) - closes - html.count("<!", i, j)
        if balance + opens > levels:
            return True
        balance = max(0, balance + opens - closes)
    return False


class _Capper:
    """One pass over the tags of `html`: counts the depth and, unless `measure`, rewrites past `soft`."""

    def __init__(self, html: str, soft: int, hard: int, *, measure: bool = False) -> None:
        self.html = html
        self.measure = measure
        self.too_deep = False  # (measure) the count went past `hard`
        self.soft = soft
        self.hard = hard
        self.stack: list[_Entry] = []
        self.counts: dict[str, int] = {}
        self.dropped: dict[str, int] = {}  # end tags still to drop, by name
        self.drop_floor = 1 << 62  # stack height below which dropped elements' end tags are expected
        self.out: list[str] = []
        self.done = 0  # html[:done] is in `out` (once anything changed)
        self.foreign = 0  # open svg/math elements

    # -- the pass -------------------------------------------------------------------------------
    def run(self) -> str:
        html = self.html
        n = len(html)
        pos = 0
        search = _TOKEN_RE.search
        while not self.too_deep:
            m = search(html, pos)
            if m is None:
                break
            start = m.start()
            if m.group(1):  # comment
                c = _COMMENT_END_RE.search(html, m.end())
                pos = c.end() if c else n
                continue
            if m.group(2):  # doctype, bogus comment, processing instruction
                gt = html.find(">", m.end())
                pos = gt + 1 if gt >= 0 else n
                continue
            if self.dropped and len(self.stack) >= self.soft:
                skip = self._drop_run(m.group(3), start)
                if skip:
                    pos = skip
                    continue
            name = m.group(4).lower()
            end = m.end()
            if end < n and html[end] == ">":  # the common case: no attributes
                end += 1
                attrs = False
                self_closing = False
            else:
                a = _ATTRS_RE.match(html, end)
                body = a.group() if a else ""
                end = min(end + len(body) + 1, n)
                stripped = body.strip()
                self_closing = stripped.endswith("/")
                attrs = bool(stripped.rstrip("/").strip())
            if m.group(3):
                self._end(name, start, end)
                pos = end
                continue
            pos = self._start(name, attrs, self_closing, start, end)
        if not self.out:
            return html
        self.out.append(html[self.done :])
        return "".join(self.out)

    # -- start tags -------------------------------------------------------------------------------
    def _start(self, name: str, attrs: bool, self_closing: bool, start: int, end: int) -> int:
        """Count one start tag; returns where the scan goes on (past a raw-text element's end)."""
        html = self.html
        if name == "plaintext":
            return len(html)  # all that follows is text
        if name in _RAW:
            e = _RAW_END_RE[name].search(html, end)
            after = html.find(">", e.end() - 1) + 1 if e else len(html)
            if len(self.stack) >= self.hard:
                self._close_down(start)  # a raw-text element is kept whole, never unwrapped
            return after if after > 0 else len(html)
        if name in _VOID or name in _IGNORED:
            return end
        if self_closing and (self.foreign or name in ("svg", "math")):
            return end
        stack = self.stack
        depth = len(stack)
        if self.measure:
            self._implied_closes(name)
            self._push(name, attrs)
            self.too_deep = len(stack) > self.hard
            return end
        if depth >= self.soft and not attrs and not stack[-1].attrs:
            self._drop(start, end)
            self.dropped[name] = self.dropped.get(name, 0) + 1
            self.drop_floor = min(self.drop_floor, depth)
            return end
        self._implied_closes(name)
        depth = len(stack)
        if depth >= self.hard:
            self._close_down(start)
        self._push(name, attrs)
        return end

    def _implied_closes(self, name: str) -> None:
        stack = self.stack
        if not stack:
            return
        if name in _CLOSES_P and self.counts.get("p"):
            self._pop_to({"p"}, _SCOPE | {"button"}, formatting_stay=False)
        if name in _HEADINGS and stack and stack[-1].name in _HEADINGS:
            self._pop(1)
        sib = _SIBLINGS.get(name)
        if sib is not None and any(self.counts.get(s) for s in sib[0]):
            self._pop_to(sib[0], sib[1], formatting_stay=False)
        if name in ("tr", "td", "th") and stack and stack[-1].name == "table":
            self._push("tbody", False)  # the tree builder inserts the tbody the markup left out
        if name in ("td", "th") and stack and stack[-1].name in _SECTIONS:
            self._push("tr", False)

    def _push(self, name: str, attrs: bool) -> None:
        self.stack.append(_Entry(name, attrs))
        self.counts[name] = self.counts.get(name, 0) + 1
        if name in ("svg", "math"):
            self.foreign += 1

    def _pop(self, k: int) -> None:
        for _ in range(k):
            e = self.stack.pop()
            self.counts[e.name] -= 1
            if e.name in ("svg", "math"):
                self.foreign -= 1
        self.drop_floor = min(self.drop_floor, len(self.stack))

    def _pop_to(self, names: set[str] | frozenset[str], stop: frozenset[str] | set[str], *,
                formatting_stay: bool) -> bool:
        """Pop down to the nearest element named in `names` (found within the window, before any in
        `stop`); formatting elements above it stay open when `formatting_stay` (the tree builder
        reopens them). False when there is none to pop."""
        stack = self.stack
        low = max(0, len(stack) - _WINDOW)
        for i in range(len(stack) - 1, low - 1, -1):
            e = stack[i]
            if e.name in names:
                break
            if e.name in stop:
                return False
        else:
            return False
        if formatting_stay:
            kept = [x for x in stack[i + 1 :] if x.name in _FORMATTING]
            self._pop(len(stack) - i)
            for x in kept:
                self._push(x.name, x.attrs)
        else:
            self._pop(len(stack) - i)
        return True

    # -- end tags ---------------------------------------------------------------------------------
    def _end(self, name: str, start: int, end: int) -> None:
        if name in _IGNORED or name in _VOID:
            return
        stack = self.stack
        if self.dropped.get(name):
            top = stack[-1] if stack else None
            ours = top is not None and top.name == name and len(stack) > self.drop_floor
            if not ours:
                self.dropped[name] -= 1
                self._drop(start, end)
                return
        if not self.counts.get(name):
            return  # nothing of that name is open: the tree builder ignores it
        if name in _CLOSES_ALL:
            self._pop_to({name}, frozenset({"html", "template"}) - {name}, formatting_stay=False)
        elif name in _FORMATTING:
            # Misnested formatting (`<b><p></b>`): the element leaves the stack, what is inside stays.
            low = max(0, len(stack) - _WINDOW)
            for i in range(len(stack) - 1, low - 1, -1):
                if stack[i].name == name:
                    e = stack.pop(i)
                    self.counts[name] -= 1
                    self.drop_floor = min(self.drop_floor, len(stack))
                    del e
                    break
                if stack[i].name in _SCOPE:
                    break
        elif name in _SPECIAL:
            self._pop_to({name}, _SCOPE, formatting_stay=True)
        else:
            self._pop_to({name}, _SPECIAL, formatting_stay=False)

    def _drop_run(self, closing: str, start: int) -> int:
        """Drop a run of bare start tags (in a bare element past the soft limit), or of end tags
        of dropped elements, in one step; returns where the scan goes on, 0 when nothing was dropped."""
        html = self.html
        stack = self.stack
        if not closing:
            if stack[-1].attrs:
                return 0
            m = _OPEN_RUN_RE.match(html, start)
            if m is None:
                return 0
            names = _RUN_NAME_RE.findall(m.group().lower())
            if len(names) < 2 or not _NOT_IN_RUNS.isdisjoint(names):
                return 0
            dropped = self.dropped
            for name in names:
                dropped[name] = dropped.get(name, 0) + 1
            self.drop_floor = min(self.drop_floor, len(stack))
            self._drop(start, m.end())
            return m.end()
        m = _CLOSE_RUN_RE.match(html, start)
        if m is None:
            return 0
        ours = stack[-1].name if stack and len(stack) > self.drop_floor else None
        dropped = self.dropped
        end = start
        for name in _RUN_NAME_RE.findall(m.group().lower()):
            left = dropped.get(name)
            if not left or name == ours:
                break
            dropped[name] = left - 1
            end += len(name) + 3
        if end == start:
            return 0
        self._drop(start, end)
        return end

    # -- rewriting --------------------------------------------------------------------------------
    def _drop(self, start: int, end: int) -> None:
        self.out.append(self.html[self.done : start])
        self.done = end

    def _close_down(self, at: int) -> None:
        """End the open elements above the soft limit, writing their end tags in before `at`."""
        self.out.append(self.html[self.done : at])
        self.done = at
        while len(self.stack) > self.soft:
            e = self.stack[-1]
            self._pop(1)
            self.out.append(f"</{e.name}>")
            self.dropped[e.name] = self.dropped.get(e.name, 0) + 1
