"""Posts in an HTML page: embeds of every registered platform, links to posts, bare short links.

The page is parsed ONCE (selectolax/lexbor) and walked once, elements only, in document order.
Only the small places that a parser sees as text are parsed again: consent-manager containers
(`textarea`, `template`, `noscript` holding text, `script type=text/plain`) and attributes that
hold escaped embed markup (`data-html="&lt;iframe ..."`). A second walk, with text
nodes, happens only on a page whose raw text has the code of a platform's short link (t.co) that no
embed or link found in the first walk accounts for (a bare short link in the article text).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable

from selectolax.lexbor import LexborCSSSelector, LexborHTMLParser, LexborNode

from archiver.detect.blocks import add_flattened
from archiver.detect.depth import LIMIT as DEPTH_LIMIT
from archiver.detect.depth import few_tags, for_parser
from archiver.detect.hidden import (
    CUSTOM_ID_MIN,
    ESCAPED_MARKER,
    MARKUP_HINT_RE,
    PRIVACY_MARKER,
    PRIVACY_SELECTOR,
    Targets,
    escaped_targets,
    maybe_base64,
    privacy_embed,
)
from archiver.models import Post
from archiver.platforms import (
    REGISTRY,
    SHORTENERS,
    WAYBACK_HOSTS,
    match_embed_src,
    match_link,
    platform_for_host,
)
from archiver.platforms.base import (
    EmbedContext,
    EmbedRule,
    Platform,
    backslashes_read,
    build_post,
    host_lowered,
    host_of,
    strip_url,
    trim_attr,
    trim_url,
)

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # containers inside containers inside containers: enough for every CMS seen so far

# Rules by element name, in registry order: the first rule that returns posts wins the element.
_RULES: dict[str, list[tuple[Platform, EmbedRule]]] = {}
for _platform in REGISTRY:
    for _rule in _platform.rules:
        for _tag in _rule.tags:
            _RULES.setdefault(_tag, []).append((_platform, _rule))

# For each element name, the attributes at least one of which a rule needs (None: some rule
# needs none). Lets the walker skip the thousands of plain divs with one set intersection.
_NEEDS: dict[str, frozenset[str] | None] = {}
for _tag, _pairs in _RULES.items():
    _names: set[str] = set()
    for _p, _r in _pairs:
        if not _r.needs:
            _NEEDS[_tag] = None
            break
        _names.update(_r.needs)
    else:
        _NEEDS[_tag] = frozenset(_names)
_HIDDEN = frozenset({"textarea", "template", "noscript", "script"})
# Elements that show another page or a player by its address: frames, and the `object`/`embed`
# (and `object`'s `param name=movie`) that pages before 2012 played Flash video in (`youtube.com/v/ID`).
_FRAMES = frozenset({"iframe", "amp-iframe", "embed", "object", "param"})
_TAGS = frozenset({"a"}) | _HIDDEN | _FRAMES | frozenset(_RULES)
# AMP components (`amp-twitter`, `amp-iframe`) count only where the page can hold them (`may_hold_amp`).
_TAGS_WITHOUT_AMP = frozenset(t for t in _TAGS if not t.startswith("amp-"))


def _tag_ids() -> tuple[dict[int, str], int]:
    """lexbor's numeric ids of the standard elements we look at, and of text nodes.

    Comparing `node.tag_id` (an int) is cheaper than `node.tag` (a new str per call). Custom
    elements (amp-*, lite-youtube) get per-document ids, so those are compared by name.
    """
    probe = LexborHTMLParser("<body>x" + "".join(f"<{t}></{t}>" for t in sorted(_TAGS)) + "</body>")
    ids: dict[int, str] = {}
    text_id = -1
    for n in probe.root.traverse(include_text=True) if probe.root is not None else ():
        if n.tag == "-text":
            text_id = n.tag_id
        elif n.tag in _TAGS and n.tag_id < CUSTOM_ID_MIN:
            ids[n.tag_id] = n.tag
    return ids, text_id


_TAG_BY_ID, _TEXT_ID = _tag_ids()
_A_ID = next(i for i, t in _TAG_BY_ID.items() if t == "a")
# div/section get a fast path: skipped unless they carry an attribute some rule needs. (If a rule
# on them ever needs no attribute, the fast path switches itself off.)
_DIV_NEEDS_BY_TAG = [_NEEDS.get(t, frozenset()) for t in ("div", "section")]
_DIV_IDS = (
    frozenset(i for i, t in _TAG_BY_ID.items() if t in ("div", "section"))
    if all(n is not None for n in _DIV_NEEDS_BY_TAG)
    else frozenset()
)
_DIV_NEEDS = frozenset().union(*(n for n in _DIV_NEEDS_BY_TAG if n is not None))
_JS_TYPES = frozenset(
    {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/ecmascript",
     "application/json", "application/ld+json", "importmap", "speculationrules"}
)
_PLAIN_JS = _JS_TYPES - {"application/ld+json"}
# A plain JavaScript script is skipped unless it carries an attribute that a rule on scripts needs
# besides `type` (a script whose data attribute names the post, `data-telegram-post`).
_SCRIPT_MARKERS = tuple(sorted((_NEEDS.get("script") or frozenset()) - {"type"}))
_EVERY_SCRIPT = "script" in _NEEDS and _NEEDS["script"] is None  # a rule wants every script
# Links on hosts no platform owns go to the platforms with posts on any host (`Platform.any_host`)
# when they hold one of their `any_host_hint`s (Mastodon's "/@", "/users/"...): a few substring
# tests per link. A platform with no hint gives () (every such link is offered); no such platform
# gives None (none is).
def _any_host_hints() -> tuple[str, ...] | None:
    hints: list[str] = []
    platforms = [p for p in REGISTRY if p.any_host is not None]
    for p in platforms:
        own = (p.any_host_hint,) if isinstance(p.any_host_hint, str) else tuple(p.any_host_hint)
        if not all(own):
            return ()
        hints += own
    return tuple(dict.fromkeys(hints)) if platforms else None


_ANY_HOST_HINTS = _any_host_hints()
# One C call per link, whatever the number of hints (a generator over them cost 10% of detection).
_ANY_HOST_SEARCH: Callable[[str], object] | None = (
    None if _ANY_HOST_HINTS is None else (lambda _href: True) if not _ANY_HOST_HINTS
    else re.compile("|".join(map(re.escape, _ANY_HOST_HINTS))).search)
# Hosts that serve nothing but a platform's short links (t.co).
_SHORT_HOSTS = frozenset(h for _name, s in SHORTENERS for h in s.hosts)
_ESCAPED_MARKER_RE = re.compile(re.escape(ESCAPED_MARKER).encode())  # searched faster than `in` finds it


def detect_html(html: str, source: str, *, raw: bytes | None = None) -> list[Post]:
    """Every post the page embeds or links to, in document order (not yet deduplicated).

    `raw`, when given, is exactly `html` encoded as UTF-8 (the bytes it was decoded from): the
    parser then reads them as they are instead of `html` encoded once more, and the checks of the
    raw page for markers run on the bytes.
    """
    return posts_in_tree(parse_page(html, raw), html, source, raw=raw)


def parse_page(html: str, raw: bytes | None = None) -> LexborHTMLParser:
    """The page's one parse (see `detect_html` for `raw`)."""
    if raw is not None and few_tags(raw):
        return LexborHTMLParser(raw)
    # A page nested deeper than browsers nest, or a tag of very many attributes, would parse in
    # quadratic time. (Measured in bytes, as `few_tags` measures it, when they are at hand.)
    held = for_parser(html, size=len(raw) if raw is not None else None)
    return LexborHTMLParser(raw if raw is not None and held is html else held)


def posts_in_tree(tree: LexborHTMLParser, html: str, source: str, *, raw: bytes | None = None) -> list[Post]:
    """Every post in a page already parsed (`parse_page`), `html` being its text."""
    if tree.root is None:
        return []
    # Attributes holding `&lt;iframe...`, found in the raw page, which seldom holds the marker at all.
    marked = _ESCAPED_MARKER_RE.search(raw) is not None if raw is not None else ESCAPED_MARKER in html
    escaped = escaped_targets(html) if marked else {}
    privacy = marked and PRIVACY_MARKER in html  # escaped embeds in scripts (`privacy_embed`)
    walker = _Walker(source, with_text=False, escaped=escaped, amp=may_hold_amp(html), privacy=privacy)
    walker.walk(tree.root, EmbedContext(source), depth=0)
    # Bare short links can only be in text nodes, which double the walk. Walk them only when the
    # page has a short-link code that no post (embed, link) found in the first walk accounts for.
    codes = _raw_shortlink_codes(html, raw) if SHORTENERS else set()
    if codes and codes - _codes_in(walker.posts):
        walker = _Walker(source, with_text=True, escaped=escaped, amp=walker.amp, privacy=privacy)
        walker.walk(tree.root, EmbedContext(source), depth=0)
    return add_flattened(tree, html, source, walker.posts, walker.embeds, raw=raw)  # posts flattened into text


def _raw_shortlink_codes(html: str, raw: bytes | None = None) -> set[tuple[str, str]]:
    """(platform, code) of every short link in the raw page: one regex of every platform's hint over
    the bytes tells whose links may be there (most pages: nobody's), then one regex pass over the
    text for each of those platforms only."""
    if raw is None or _RAW_HINTS is None:
        return {(name, code) for name, shortlinks in SHORTENERS for code in shortlinks.codes_in_page(html, raw)}
    hinted = _hinted(raw)
    return {(name, code) for i, (name, shortlinks) in enumerate(SHORTENERS) if i in hinted
            for code in shortlinks.codes_in_page(html)}


def _hinted(raw: bytes) -> set[int]:
    """The indices in SHORTENERS of the platforms whose `ShortLinks.raw_hint` finds something in
    `raw`, in one regex per platform found at most (a page of a thousand t.co links is not read link
    by link): each search looks for the hints of the platforms not found yet, from where the one
    before found a hint (another platform's may match there too), so none is passed over."""
    found: set[int] = set()
    at = 0
    while len(found) < len(SHORTENERS):
        hit = _hints_regex(frozenset(found)).search(raw, at)
        if hit is None:
            break
        name = hit.lastgroup  # the group after the hint found (its own groups, if any, close before it)
        assert name is not None
        found.add(int(name[2:]))
        at = hit.start()
    return found


_HINT_REGEXES: dict[frozenset[int], re.Pattern[bytes]] = {}


def _hints_regex(without: frozenset[int]) -> re.Pattern[bytes]:
    """One regex of the `raw_hint`s of the platforms in SHORTENERS not in `without`, each followed
    by an empty group named after its index: the last group a match closes names its platform
    (cached: a few platforms make a few combinations).

    One regex of them all costs what one of them does, when the hints share their first bytes
    (t.co's, TikTok's and Reddit's all start with the literal `.co`, which the regex engine then
    jumps between as `bytes.find` would); a search per platform over the whole page costs some 40 us
    for an article page, as long as a fifth of parsing it. The groups come after the hints: a group
    around each would hide their common first bytes from the regex compiler, and the search would
    try every position of the page (dozens of times slower)."""
    found = _HINT_REGEXES.get(without)
    if found is None:
        assert _RAW_HINTS is not None
        found = _HINT_REGEXES[without] = re.compile(b"|".join(
            b"(?:%s)(?P<_h%d>)" % (hint.pattern, i) for i, hint in enumerate(_RAW_HINTS) if i not in without))
    return found


def _raw_hints() -> tuple[re.Pattern[bytes], ...] | None:
    """Every platform's `ShortLinks.raw_hint`, when each has one written as a plain bytes regex (its
    pattern can be joined with the others' as it is); else None: each platform searches on its own."""
    hints = tuple(s.raw_hint for _name, s in SHORTENERS if s.raw_hint is not None and not s.raw_hint.flags)
    return hints if SHORTENERS and len(hints) == len(SHORTENERS) else None


_RAW_HINTS = _raw_hints()


def _codes_in(posts: list[Post]) -> set[tuple[str, str]]:
    return {
        (name, code)
        for p in posts
        for link in (*p.links, *p.media)
        for name, shortlinks in SHORTENERS
        if (code := shortlinks.code(link))
    }


class _Walker:
    """One pass over a tree (and the trees re-parsed out of its hidden containers)."""

    def __init__(
        self, source: str, *, with_text: bool, escaped: Targets, amp: bool = True, privacy: bool = False
    ) -> None:
        self.source = source
        self.amp = amp
        self.privacy = privacy  # the page may hold Embed Privacy's scripts (`privacy_embed`)
        self.with_text = with_text
        self.escaped = escaped  # which elements' attributes hold escaped embed markup
        self.posts: list[Post] = []
        self.embeds: list[LexborNode] = []  # elements a rule reported as posts (their text is theirs)

    def walk(self, root: LexborNode, ctx: EmbedContext, depth: int, skip_root: bool = False) -> None:
        # The hot loop of the scanner. Elements come from ONE CSS query (lexbor matches in C, in
        # document order) naming only what some rule, the link check or the container check wants:
        # a Python walk over every node costs as much as the parse itself. Text nodes cannot be
        # selected, so the rare text walk (see detect_html) traverses everything instead.
        claimed: set[int] = set()
        noscripts: set[int] = set()
        root_id = root.mem_id if skip_root else None
        escaped = self.escaped
        escaped_anywhere = None in escaped
        tag_by_id = _TAG_BY_ID
        a_id, div_ids, div_needs, text_id, custom_min = _A_ID, _DIV_IDS, _DIV_NEEDS, _TEXT_ID, CUSTOM_ID_MIN
        relevance_of = _HOST_RELEVANCE
        any_host = _ANY_HOST_SEARCH
        custom_tags = _TAGS if self.amp else _TAGS_WITHOUT_AMP  # (the CSS query names only these too)
        nodes: Iterable[LexborNode]
        if self.with_text:
            nodes = root.traverse(include_text=True)
        elif skip_root:
            nodes = root.css(_selector(escaped, self.amp, self.privacy))  # a template's content: css() covers all its top level
        else:
            nodes = _css_engine().find(_selector(escaped, self.amp, self.privacy), root)
        for node in nodes:
            tid = node.tag_id
            if escaped and (tid in escaped or escaped_anywhere):
                self._escaped_attributes(node, escaped, ctx, depth, claimed)
            if tid == a_id:
                # Hundreds of links per page: classify the host through a cache keyed by the URL up
                # to the first "/" after the scheme before anything else looks at the link.
                if claimed and node.mem_id in claimed:
                    continue
                href = node.attrs.get("href")
                # Only absolute links can point at a platform: skip /path, #anchor, mailto: early
                # (the common "http..." costs one comparison; spaces and upper case are rare). A
                # browser reads the address without the spaces around it (a trailing one costs a
                # test of the last character), and without the tabs and line breaks inside it:
                # those are looked for only in the links that may be posts, and in a host first
                # seen (`_host_relevance`).
                if href and href[:4] != "http" and href[:2] != "//":
                    # A third of the links: /path, #anchor, mailto:. A first character that is
                    # neither trimmed (no space or control) nor an h, a slash or a backslash stays
                    # first once trimmed; a slash or a backslash stays one alone unless a tab, a
                    # line break, a slash or a backslash follows it (`/\host` is `//host`).
                    first = href[0]
                    if first > " " and (first not in "hH/\\" or first in "/\\" and href[1:2] not in _SLASH_AFTER_TRIM):
                        continue
                    href = trim_url(href)
                    if "\\" in href:
                        href = backslashes_read(href)
                    if href[:2] != "//" and href[:4].lower() != "http":
                        continue
                elif href and "\\" in href:
                    # A backslash is a slash in an http(s) address before its query
                    # (`https:\\x.com\u\status\1`): read so, the tabs and line breaks gone first.
                    href = backslashes_read(trim_url(href))
                elif href and href[-1] <= " ":
                    href = trim_url(href)
                if href:
                    cut = href.find("/", 8)
                    key = href[:cut] if cut > 0 else href
                    relevance = relevance_of.get(key) or _host_relevance(key)
                    if relevance != _OTHER or (any_host is not None and any_host(href)):
                        if relevance == _BROKEN or "\n" in href or "\t" in href or "\r" in href:
                            self._broken_link(href)
                            continue
                        # The host as a server reads it (`https://VM.TIKTOK.COM/...`): short links'
                        # patterns are written for lower-case hosts.
                        self._link(href if key.islower() else host_lowered(href), relevance)
                continue
            tag = tag_by_id.get(tid)
            if tag is None:
                if tid == text_id:
                    if not (claimed and node.mem_id in claimed):
                        self._text(node)
                    continue
                if tid >= custom_min and node.tag in custom_tags:
                    tag = node.tag
                else:
                    continue
            if tid in div_ids:
                # Thousands of divs: only those with a rule's attribute (data-href, data-embed-type).
                attrs = node.attributes
                if not attrs or div_needs.isdisjoint(attrs):
                    continue
            if claimed and node.mem_id in claimed:
                continue
            if root_id is not None and node.mem_id == root_id:
                continue
            if tag == "script":
                # Dozens per page, nearly all plain JavaScript: decide before reading all attributes.
                script_attrs = node.attrs
                stype = script_attrs.get("type")
                if (
                    (not stype or stype.strip().lower() in _PLAIN_JS)
                    and not _EVERY_SCRIPT
                    and not any(m in script_attrs for m in _SCRIPT_MARKERS)
                ):
                    if self.privacy and depth < MAX_DEPTH:
                        self._privacy_script(node, ctx, depth)
                    continue  # no markup in it for anyone
            attrs = node.attributes
            if tag == "noscript" and node.child is not None and any(c.tag != "-text" for c in node.iter()):
                # lexbor parses noscript content as elements (scripting off), so the query already
                # yields them next; remember the container to name it in their evidence.
                noscripts.add(node.mem_id)
                continue
            here = _nested(ctx, "noscript>") if noscripts and _inside(node, noscripts) else ctx
            needs = _NEEDS.get(tag, ())
            wanted = needs is None or (needs and not needs.isdisjoint(attrs))
            if wanted and self._rules(tag, attrs, node, here, claimed):
                continue
            if tag in _FRAMES:
                self._frame(node, attrs, here)
            elif tag in _HIDDEN:
                self._hidden(tag, attrs, node, here, depth, claimed)

    # -- embeds ------------------------------------------------------------------------------------

    def _rules(
        self, tag: str, attrs: dict[str, str | None], node: LexborNode, ctx: EmbedContext, claimed: set[int]
    ) -> bool:
        if any(v and (v[0] <= " " or v[-1] <= " " or "\n" in v or "\t" in v or "\r" in v) for v in attrs.values()):
            # Addresses as a browser reads them (a permalink, a `cite`, a `data-href` written with a
            # space or a line break inside its quotes, or wrapped over lines), for every rule alike,
            # as a link's address is (`trim_url`).
            attrs = {name: trim_attr(v) if v else v for name, v in attrs.items()}
        for _platform, rule in _RULES.get(tag, ()):
            if rule.needs and all(name not in attrs for name in rule.needs):
                continue
            try:
                found = rule.handler(node, attrs, ctx)
            except Exception:  # one odd embed must never sink the page
                log.warning("%s: %s rule failed on <%s>", self.source, _platform.name, tag, exc_info=True)
                continue
            if found:
                self.posts.extend(found)
                parts = list(rule.extent(node)) if rule.extent is not None else None
                if parts is None:
                    self.embeds.append(node)
                else:  # the embed is these children: what follows them is the page's (text too)
                    self.embeds.extend(parts)
                if rule.claims:
                    _claim(node, claimed, parts)
                return True
        return False

    def _frame(self, node: LexborNode, attrs: dict[str, str | None], ctx: EmbedContext) -> None:
        # src first, then whatever lazy-loading attribute holds the real URL (data-src,
        # data-lazy-src, data-cmplz-src, ...): any attribute value that is a player URL counts.
        ordered = sorted(attrs.items(), key=lambda kv: kv[0] != "src")
        for name, value in ordered:
            if not value or ("//" not in value and "\\" not in value):
                continue
            if "\\" in value:
                value = _frame_backslashes(value)
            found = match_embed_src(strip_url(value))
            if found is not None:
                platform, match = found
                self.posts.append(ctx.embedded(platform, f"{node.tag}[{name}]", match))
                return

    # -- hidden containers ---------------------------------------------------------------------------

    def _hidden(
        self,
        tag: str,
        attrs: dict[str, str | None],
        node: LexborNode,
        ctx: EmbedContext,
        depth: int,
        claimed: set[int],
    ) -> None:
        if depth >= MAX_DEPTH:
            return
        if tag == "template":
            for fragment in node.template_fragments():
                self.walk(fragment, _nested(ctx, "template>"), depth + 1, skip_root=True)
            return
        if tag == "script":
            stype = (attrs.get("type") or "").strip().lower()
            if stype in _JS_TYPES or "javascript" in stype:
                return
            label = f"script[type={stype}]>"
        else:
            label = f"{tag}>"
        self._reparse(node.text(deep=True), _nested(ctx, label), depth)

    def _privacy_script(self, node: LexborNode, ctx: EmbedContext, depth: int) -> None:
        """The embed in a script of Embed Privacy's container (`PRIVACY_SELECTOR`, which the text
        walk, going over every node, tests here)."""
        parent = node.parent
        if parent is None or parent.tag != "div" or "embed-privacy-content" not in (
            (parent.attributes.get("class") or "").split()
        ):
            return
        markup = privacy_embed(node.text(deep=True))
        if markup is not None:
            self._reparse(markup, _nested(ctx, "script>"), depth)

    def _escaped_attributes(
        self, node: LexborNode, escaped: Targets, ctx: EmbedContext, depth: int, claimed: set[int]
    ) -> None:
        if depth >= MAX_DEPTH or (claimed and node.mem_id in claimed):
            return
        names = escaped.get(node.tag_id) or escaped.get(None) or frozenset()
        for name, value in node.attributes.items():
            if value and name in names and "<" in value and MARKUP_HINT_RE.search(value):
                self._reparse(value, _nested(ctx, f"[{name}]>"), depth)

    def _reparse(self, markup: str, ctx: EmbedContext, depth: int) -> None:
        if "<" not in markup:
            decoded = maybe_base64(markup)
            if decoded is None:
                return
            markup = decoded
        if not MARKUP_HINT_RE.search(markup):
            return
        if '\\"' in markup:
            markup = markup.replace('\\"', '"').replace("\\/", "/")  # HTML inside a JSON string
        tree = LexborHTMLParser(for_parser(markup))
        if tree.root is not None:
            escaped = escaped_targets(markup) if ESCAPED_MARKER in markup else {}
            inner = _Walker(self.source, with_text=self.with_text, escaped=escaped)
            inner.walk(tree.root, ctx, depth + 1)
            self.posts.extend(inner.posts)

    # -- links and short links ----------------------------------------------------------------------

    def _broken_link(self, href: str) -> None:
        """A link whose address holds a tab or a line break (a long address wrapped): read, as a
        browser reads it, without them."""
        href = trim_url(href)
        cut = href.find("/", 8)
        key = href[:cut] if cut > 0 else href
        relevance = _HOST_RELEVANCE.get(key) or _host_relevance(key)
        if relevance != _OTHER or (_ANY_HOST_SEARCH is not None and _ANY_HOST_SEARCH(href)):
            self._link(href if key.islower() else host_lowered(href), relevance)

    def _link(self, href: str, relevance: int) -> None:
        if relevance == _SHORT:
            self._shortlinks(href, "a[href]")
            return
        found = match_link(href)
        if found is not None:
            platform, match = found
            self.posts.append(
                build_post(platform, kind="linked", source=self.source, evidence="a[href]", match=match)
            )
        elif any(shortlinks.might_contain(href) for _name, shortlinks in SHORTENERS):
            # A link on a platform's host that is no post's address may still be a short link spelt
            # on a host the platform shares with its posts (`www.tiktok.com/t/CODE`, `pic.twitter.com/CODE`).
            self._shortlinks(href, "a[href]")

    def _text(self, node: LexborNode) -> None:
        text = node.text_content
        if not text or not any(shortlinks.might_contain(text) for _name, shortlinks in SHORTENERS):
            return
        parent = node.parent
        if parent is not None and parent.tag in ("script", "style", "textarea", "title"):
            return
        self._shortlinks(text, "text")

    def _shortlinks(self, text: str, evidence: str) -> None:
        for _name, shortlinks in SHORTENERS:
            self.posts.extend(shortlinks.post(link, self.source, evidence) for link in shortlinks.find(text))


def _frame_backslashes(value: str) -> str:
    """A frame's address holding backslashes as a browser reads it (`backslashes_read`): an address
    written with slashes keeps its JSON escapes (`\\/`) read as slashes first, as `strip_url` reads
    them; one with none (`https:\\\\player.example\\embed\\ID`) is read as a browser reads it. Quotes
    escaped around it (markup copied out of a JSON string) are left out first."""
    value = trim_url(value)
    if value[:1] in "\"'" or value[:2] in ("\\\"", "\\'"):
        # markup copied out of a JSON string (`src=\"https://...\"`): its quotes and their
        # backslashes go first, and its escapes (`\/`) are slashes, as `strip_url` reads them
        return backslashes_read(value.strip("\\\"' ").replace("\\/", "/"))
    return backslashes_read(value.replace("\\/", "/") if "//" in value else value)


_SELECTORS: dict[tuple[frozenset[str], bool, bool], str] = {}
# AMP documents must declare themselves on the html element (`<html amp>` / `<html ⚡>`): AMP
# components (amp-twitter, amp-youtube...) need the AMP runtime, so other pages do not have them.
_AMP_RE = re.compile(r"<html\b[^>]*?\s(?:amp|⚡)(?:[\s=>/]|$)", re.IGNORECASE)


def may_hold_amp(html: str) -> bool:
    """True for an AMP document, or a fragment without `<html>` (a saved body, a pasted embed)."""
    at = html.find("<html", 0, 8192)
    if at < 0:
        at = html.find("<HTML", 0, 8192)
    return at < 0 or _AMP_RE.match(html, at, at + 1024) is not None


def _selector(escaped: Targets, amp: bool, privacy: bool = False) -> str:
    """The CSS selector list naming every element the walk must see (cached per escaped set).

    The list is one `:is(...)`: lexbor goes over the tree once for each selector of a list, but
    once for one selector whose `:is` holds them all, with the same matches in the same order (the
    query over the corpus's parsed pages: 0.40 of a parse as a list, 0.28 as one `:is`). Every
    entry still costs a little (custom element names and bare attribute tests the most), so the
    list holds only what can occur: AMP components (`amp-twitter`) only when the page can hold them
    (`amp`: an AMP document, or a fragment), other custom elements by the attribute their rule needs
    (`[videoid]`), common elements only with their rule's attribute (`div[data-href]`), plus
    attributes found holding escaped markup, and the scripts of Embed Privacy's containers on a page
    with its marker (`privacy`). The walk dispatches on the tag name, so a stray match costs nothing
    more.
    """
    extra = frozenset().union(*escaped.values()) if escaped else frozenset()
    found = _SELECTORS.get((extra, amp, privacy))
    if found is None:
        parts = ["a[href]", *sorted(t for t in _FRAMES | _HIDDEN if amp or not t.startswith("amp-"))]
        parts[parts.index("script")] = _SCRIPTS
        for tag, needs in sorted(_NEEDS.items(), key=lambda kv: kv[0]):
            if tag in _FRAMES or tag in _HIDDEN:
                continue  # already selected whole
            if tag.startswith("amp-"):
                if amp:
                    parts.append(tag)
            elif needs is None:
                parts.append(tag)
            elif "-" in tag:
                parts.extend(f"[{name}]" for name in sorted(needs))
            else:
                parts.extend(f"{tag}[{name}]" for name in sorted(needs))
        parts.extend(f"[{name}]" for name in sorted(extra) if _CSS_NAME_RE.fullmatch(name))
        if privacy:
            parts.append(PRIVACY_SELECTOR)
        found = _SELECTORS[(extra, amp, privacy)] = ":is(" + ", ".join(dict.fromkeys(parts)) + ")"
    return found


_ENGINES = threading.local()


def _css_engine() -> LexborCSSSelector:
    """This thread's CSS selector engine, shared by the pages it walks.

    `node.css()` sets up an engine of its own for every parsed tree (a CSS parser and its memory
    pools: some 9 us, 2% of parsing an article page, paid again for every tree re-parsed out of a
    hidden container); one engine serves any tree. One per thread, since an engine holds the
    state of the query it runs.
    """
    engine = getattr(_ENGINES, "engine", None)
    if engine is None:
        engine = _ENGINES.engine = LexborCSSSelector()  # type: ignore[no-untyped-call]  # selectolax's stub
    return engine


_CSS_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Scripts, dozens per page and nearly all plain JavaScript, are told apart in the parser: only those
# with a type that is not JavaScript's (JSON-LD, text/plain, templates) or with a rule's marker
# attribute reach the walk, which applies the same test again (with `strip`: " text/javascript").
_SCRIPTS = "script" if _EVERY_SCRIPT else ", ".join((
    'script[type]:not([type=""])' + "".join(f':not([type="{t}" i])' for t in sorted(_PLAIN_JS) if t),
    *(f"script[{name}]" for name in _SCRIPT_MARKERS),
))
# What may follow a link's first slash (or backslash) and make it `//` once the link is trimmed
# (`trim_url`) and its backslashes read as slashes (`backslashes_read`).
_SLASH_AFTER_TRIM = frozenset({"/", "\\", "\t", "\n", "\r"})
# `_BROKEN`: the scheme and host hold a tab or a line break, to be read without them (`_broken_link`).
_PLATFORM, _SHORT, _OTHER, _BROKEN = 1, 2, 3, 4
_HOST_RELEVANCE: dict[str, int] = {}


def _host_relevance(key: str) -> int:
    """Is a link's host a platform's, a short-link host, or anything else? Cached per scheme+host."""
    broken = "\n" in key or "\t" in key or "\r" in key
    host = host_of(key) if "//" in key[:8] and not broken else None
    if broken:
        verdict = _BROKEN  # what it is once they are removed is asked then (`_broken_link`)
    elif host is None:
        verdict = _OTHER  # relative links
    elif host in _SHORT_HOSTS:
        verdict = _SHORT
    elif platform_for_host(host) is not None or host in WAYBACK_HOSTS:
        verdict = _PLATFORM
    else:
        verdict = _OTHER
    if len(_HOST_RELEVANCE) > 50_000:
        _HOST_RELEVANCE.clear()  # bound the cache on endless crawls
    _HOST_RELEVANCE[key] = verdict
    return verdict


def _nested(ctx: EmbedContext, label: str) -> EmbedContext:
    return EmbedContext(ctx.source, ctx.prefix + label, ctx.lang)


def _inside(node: LexborNode, containers: set[int]) -> bool:
    """True when one of the node's ancestors is one of `containers` (by mem_id).

    The walk up stops after the depth cap's number of levels: a small page can still nest deeper
    than that (see `may_be_deep`), and a walk per node over all of it would be quadratic.
    """
    parent = node.parent
    for _ in range(DEPTH_LIMIT + 8):  # html, body and a little slack above the cap
        if parent is None:
            return False
        if parent.mem_id in containers:
            return True
        parent = parent.parent
    return False


def _claim(node: LexborNode, claimed: set[int], parts: Iterable[LexborNode] | None = None) -> None:
    """Mark an embed's descendants as part of it (their links are the post's, not linked posts);
    with `parts`, only those of these children of it (`EmbedRule.extent`)."""
    claimed.add(node.mem_id)
    for child in node.iter(include_text=True) if parts is None else parts:
        claimed.update(n.mem_id for n in child.traverse(include_text=True))
