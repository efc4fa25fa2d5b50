"""Posts in an HTML page: embeds of every registered platform, links to posts, bare short links.

The page is parsed ONCE (selectolax/lexbor) and walked once in document order. Only the small
places that a parser sees as text are parsed again: consent-manager containers (`textarea`,
`template`, `noscript` holding text, `script type=text/plain`) and attributes that hold escaped
embed markup (`data-html="&lt;iframe ..."`, EMBEDS.md §1.3).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from archiver.detect.platforms import REGISTRY, match_embed_src, match_url
from archiver.detect.platforms import twitter
from archiver.detect.platforms.base import EmbedContext, EmbedRule, Platform, build_post, strip_url
from archiver.models import Post

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # containers inside containers inside containers: enough for every CMS seen so far

# Rules by element name, in registry order: the first rule that returns posts wins the element.
_RULES: dict[str, list[tuple[Platform, EmbedRule]]] = {}
for _platform in REGISTRY:
    for _rule in _platform.rules:
        for _tag in _rule.tags:
            _RULES.setdefault(_tag, []).append((_platform, _rule))

_HIDDEN = frozenset({"textarea", "template", "noscript", "script"})
_FRAMES = frozenset({"iframe", "amp-iframe"})
_ALWAYS = frozenset({"a"}) | _HIDDEN | _FRAMES | (frozenset(_RULES) - {"div", "section", "span"})
# Rules on common elements (div...) are only worth running when the page has their marker at all.
_DIV_MARKERS = ("data-embed-type", "fb-post", "fb-video")
_JS_TYPES = frozenset(
    {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/ecmascript",
     "application/json", "application/ld+json", "importmap", "speculationrules"}
)
_ESCAPED_HINT_RE = re.compile(r"&lt;\s*(?:iframe|blockquote)", re.I)
_MARKUP_HINT_RE = re.compile(
    r"<\s*(?:iframe|blockquote|amp-|lite-youtube|script[^>]*data-telegram|div[^>]*(?:fb-|data-embed))", re.I
)
_BASE64_RE = re.compile(r"[A-Za-z0-9+/=\s]{40,}")


def detect_html(html: str, source: str) -> list[Post]:
    """Every post the page embeds or links to, in document order (not yet deduplicated)."""
    tree = LexborHTMLParser(html)
    walker = _Walker(
        source,
        with_text=any(h in html for h in ("t.co/", "pic.twitter.com/", "pic.x.com/")),
        escaped_attrs=_ESCAPED_HINT_RE.search(html) is not None,
        div_rules=any(m in html for m in _DIV_MARKERS),
    )
    if tree.root is not None:
        walker.walk(tree.root, EmbedContext(source), depth=0)
    return walker.posts


class _Walker:
    """One pass over a tree (and the trees re-parsed out of its hidden containers)."""

    def __init__(self, source: str, *, with_text: bool, escaped_attrs: bool, div_rules: bool) -> None:
        self.source = source
        self.with_text = with_text
        self.escaped_attrs = escaped_attrs
        self.tags = _ALWAYS | ({"div", "section", "span"} if div_rules else frozenset())
        self.posts: list[Post] = []

    def walk(self, root: LexborNode, ctx: EmbedContext, depth: int, skip_root: bool = False) -> None:
        claimed: set[int] = set()
        tags = self.tags
        root_id = root.mem_id
        for node in root.traverse(include_text=self.with_text):
            tag = node.tag
            if tag == "-text":
                if not (claimed and node.mem_id in claimed):
                    self._text(node)
                continue
            if claimed and node.mem_id in claimed:
                continue
            if self.escaped_attrs:
                self._escaped_attributes(node, ctx, depth)
            if tag not in tags or (skip_root and node.mem_id == root_id):
                continue
            if tag == "a":
                self._link(node)
            elif self._rules(tag, node, ctx, claimed):
                pass
            elif tag in _FRAMES:
                self._frame(node, ctx)
            elif tag in _HIDDEN:
                self._hidden(tag, node, ctx, depth, claimed)

    # -- embeds ------------------------------------------------------------------------------------

    def _rules(self, tag: str, node: LexborNode, ctx: EmbedContext, claimed: set[int]) -> bool:
        for _platform, rule in _RULES.get(tag, ()):
            try:
                found = rule.handler(node, ctx)
            except Exception:  # one odd embed must never sink the page (STYLE.md, auto-archiver)
                log.warning("%s: %s rule failed on <%s>", self.source, _platform.name, tag, exc_info=True)
                continue
            if found:
                self.posts.extend(found)
                if rule.claims:
                    _claim(node, claimed)
                return True
        return False

    def _frame(self, node: LexborNode, ctx: EmbedContext) -> None:
        # src first, then whatever lazy-loading attribute holds the real URL (data-src,
        # data-lazy-src, data-cmplz-src, ...): any attribute value that is a player URL counts.
        attrs = node.attributes
        ordered = sorted(attrs.items(), key=lambda kv: kv[0] != "src")
        for name, value in ordered:
            if not value or "//" not in value:
                continue
            found = match_embed_src(strip_url(value))
            if found is not None:
                platform, match = found
                self.posts.append(ctx.embedded(platform, f"{node.tag}[{name}]", match))
                return

    # -- hidden containers ---------------------------------------------------------------------------

    def _hidden(self, tag: str, node: LexborNode, ctx: EmbedContext, depth: int, claimed: set[int]) -> None:
        if depth >= MAX_DEPTH:
            return
        if tag == "template":
            for fragment in node.template_fragments():
                self.walk(fragment, _nested(ctx, "template>"), depth + 1, skip_root=True)
            return
        if tag == "noscript" and node.child is not None and any(c.tag != "-text" for c in node.iter()):
            # lexbor parses noscript content as elements (scripting off): walk it under its own name.
            _claim(node, claimed)
            self.walk(node, _nested(ctx, "noscript>"), depth + 1, skip_root=True)
            return
        if tag == "script":
            stype = (node.attributes.get("type") or "").strip().lower()
            if stype in _JS_TYPES or "javascript" in stype:
                return
            label = f"script[type={stype}]>"
        else:
            label = f"{tag}>"
        self._reparse(node.text(deep=True), _nested(ctx, label), depth)

    def _escaped_attributes(self, node: LexborNode, ctx: EmbedContext, depth: int) -> None:
        if depth >= MAX_DEPTH:
            return
        for name, value in node.attributes.items():
            if value and "<" in value and _MARKUP_HINT_RE.search(value):
                self._reparse(value, _nested(ctx, f"[{name}]>"), depth)

    def _reparse(self, markup: str, ctx: EmbedContext, depth: int) -> None:
        if "<" not in markup:
            decoded = _maybe_base64(markup)
            if decoded is None:
                return
            markup = decoded
        if not _MARKUP_HINT_RE.search(markup):
            return
        if '\\"' in markup:
            markup = markup.replace('\\"', '"').replace("\\/", "/")  # HTML inside a JSON string
        tree = LexborHTMLParser(markup)
        if tree.root is not None:
            self.walk(tree.root, ctx, depth + 1)

    # -- links and short links ----------------------------------------------------------------------

    def _link(self, node: LexborNode) -> None:
        href = node.attributes.get("href")
        if not href or not href.startswith(("http", "//")):
            return
        found = match_url(href)
        if found is not None:
            platform, match = found
            self.posts.append(
                build_post(platform, kind="linked", source=self.source, evidence="a[href]", match=match)
            )
        elif self.with_text and twitter.find_shortlinks(href):
            self.posts.extend(self._shortlinks([href], "a[href]"))

    def _text(self, node: LexborNode) -> None:
        text = node.text_content
        if not text or ("t.co/" not in text and "pic.twitter.com/" not in text and "pic.x.com/" not in text):
            return
        parent = node.parent
        if parent is not None and parent.tag in ("script", "style", "textarea", "title"):
            return
        self.posts.extend(self._shortlinks(twitter.find_shortlinks(text), "text"))

    def _shortlinks(self, links: Iterable[str], evidence: str) -> list[Post]:
        return [shortlink_post(link, self.source, evidence) for link in links]


def shortlink_post(link: str, source: str, evidence: str) -> Post:
    """A post known only by a t.co / pic.twitter.com link (kind `shortlink`, issue 2 point 3)."""
    code = twitter.shortlink_code(link) or link
    media = [link] if twitter.is_media_shortlink(link) else []
    return Post(
        platform="twitter",
        kind="shortlink",
        source=source,
        evidence=evidence,
        links=[link],
        media=media,
        key=twitter.shortlink_key(code),
    )


def _nested(ctx: EmbedContext, label: str) -> EmbedContext:
    return EmbedContext(ctx.source, ctx.prefix + label, ctx.lang)


def _claim(node: LexborNode, claimed: set[int]) -> None:
    """Mark an embed's descendants as part of it (their links are the post's, not linked posts)."""
    for n in node.traverse(include_text=True):
        claimed.add(n.mem_id)


def _maybe_base64(text: str) -> str | None:
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
