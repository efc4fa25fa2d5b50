"""Twitter / X: status URLs, snowflake time, short links, and every embed form (docs/platforms.md)."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from archiver.detect.signature import find_signature
from archiver.models import Post
from archiver.platforms.base import (
    LINK_START,
    Attrs,
    EmbedContext,
    EmbedRule,
    FlatPost,
    Platform,
    ShortLinks,
    UrlMatch,
    has_class,
    host_lowered,
    href_of,
    iso_from_ms,
    plausible_ms,
    query_param,
    text_and_links,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from selectolax.lexbor import LexborNode

    from archiver.detect.units import Unit

# Mirror and "fix" front-ends change often: configuration, not code.
MIRROR_HOSTS: tuple[str, ...] = (
    "twitter.com",
    "x.com",
    "fxtwitter.com",
    "vxtwitter.com",
    "fixupx.com",
    "fixvx.com",
    "twittpr.com",
    "fxtwitter.seria.moe",
    "xcancel.com",
    "nitter.net",
    "nitter.poast.org",
    "nitter.privacydev.net",
)
_HOSTS_RE = "|".join(re.escape(h) for h in MIRROR_HOSTS)
STATUS_URL_RE = re.compile(
    r"(?<![\w.-])(?:https?:)?(?://)?(?:[a-z0-9-]+\.)*?"
    + r"(?:"
    + _HOSTS_RE
    + r"|nitter\.[a-z0-9.-]+|[a-z0-9-]*nitter[a-z0-9-]*\.[a-z0-9.-]+)"
    + r"(?::[0-9]+)?/(?:#!/)?"
    + r"(?:i/web/|i/|(?P<handle>[A-Za-z0-9_]{1,15})/)"
    + r"status(?:es)?/(?P<id>[0-9]{1,20})(?![0-9A-Za-z_])",  # "123abc" is no status ID
    re.IGNORECASE,
)
_MENTION_RE = re.compile(r"^(?:https?:)?//(?:www\.|mobile\.)?(?:twitter|x)\.com/\w{1,15}/?(?:[?#]|$)", re.IGNORECASE)
_NOT_HANDLES = frozenset({"i", "intent", "share", "search", "hashtag", "home", "web"})
SNOWFLAKE_EPOCH_MS = 1288834974657
FIRST_SNOWFLAKE = 29700859247  # IDs below this predate snowflakes (2010-11-04): no time inside
SNOWFLAKE_YEAR = 2010

# t.co and pic.twitter.com share their code; pic.x.com is the new spelling.
SHORTLINK_RE = re.compile(
    LINK_START + r"(?:https?://)?(?:www\.)?(?:pic\.twitter\.com|pic\.x\.com|t\.co)/(?P<code>[A-Za-z0-9]{4,16})\b"
)
# The same links in a whole raw page, in one pass. The three spellings share ".co": a pattern that
# starts with that literal lets the regex engine jump between occurrences like str.find does, and the
# look-behinds then pick t.co (not "bit.co"), pic.twitter.com and pic.x.com, after any letter but
# an ASCII one (a superset of LINK_START's: what they find, the text walk then reads with it). One
# pass instead of three finds (each costs ~10% of a parse).
_RAW_SHORTLINK_RE = re.compile(
    r"\.co(?:(?<=t\.co)(?<![A-Za-z0-9_.@-]t\.co)/|m/(?<=pic\.twitter\.com/)(?<![A-Za-z0-9_.-]pic\.twitter\.com/)"
    r"|m/(?<=pic\.x\.com/)(?<![A-Za-z0-9_.-]pic\.x\.com/))([A-Za-z0-9]{4,16})\b"
)
# What every such link holds as written ("t.co/", "pic.twitter.com/", "pic.x.com/"), found the same way
# in a page's UTF-8 bytes: a bytes pass is cheaper than one over the text, and most pages hold none.
_RAW_SHORTLINK_HINT_RE = re.compile(rb"\.co(?:(?<=t\.co)/|m/(?<=pic\.twitter\.com/)|m/(?<=pic\.x\.com/))")


def parse_status_url(url: str) -> tuple[str | None, str] | None:
    """(handle or None, status ID) for any twitter/x/mirror status URL, else None."""
    if "tatus" not in url and "TATUS" not in url:
        return None  # the common case (hashtag, profile, share links) without running the regex
    m = STATUS_URL_RE.match(url.strip().strip("\\\"'"))
    if not m:
        return None
    handle = m.group("handle")
    if handle and handle.lower() in _NOT_HANDLES:
        handle = None
    return handle, str(int(m.group("id")))


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """`https://x.com/{handle}/status/{id}`, or `https://x.com/i/web/status/{id}` without a handle."""
    if handle:
        return f"https://x.com/{handle.lstrip('@')}/status/{post_id}"
    return f"https://x.com/i/web/status/{post_id}"


def snowflake_time(post_id: str | int) -> str | None:
    """ISO 8601 UTC (ms, `Z`) encoded in a snowflake ID; None for pre-snowflake or non-numeric IDs,
    and for an ID whose time is past tomorrow (a mistyped or made-up ID, no post yet)."""
    try:
        n = int(post_id)
    except (TypeError, ValueError):
        return None
    if n < FIRST_SNOWFLAKE:
        return None
    ms = (n >> 22) + SNOWFLAKE_EPOCH_MS
    return iso_from_ms(ms) if plausible_ms(ms, SNOWFLAKE_YEAR) else None


def find_shortlinks(text: str) -> list[str]:
    """The t.co / pic.twitter.com / pic.x.com short links in `text`, as written, first-seen order."""
    return SHORTLINKS.find(text)


def shortlink_code(link: str) -> str | None:
    """The code of a short link (shared by its t.co and pic.twitter.com forms)."""
    return SHORTLINKS.code(link)


def is_media_shortlink(link: str) -> bool:
    """pic.twitter.com / pic.x.com links stand for attached media."""
    return SHORTLINKS.is_media(link)


def shortlink_key(code: str) -> str:
    """Key of a post known only by a short link: the `twitter:h:` hash form, over the code.

    The generic hash key would drop the link from the text and give every short link the same key;
    hashing the code keeps `t.co/X` and `pic.twitter.com/X` one post until resolution gives its ID.
    """
    return "twitter:h:" + hashlib.sha256(f"||t.co/{code}".encode()).hexdigest()


def shortlink_post(link: str, source: str, evidence: str) -> Post:
    """A post known only by a t.co / pic.twitter.com link (kind `shortlink`)."""
    code = shortlink_code(link) or link
    media = [link] if is_media_shortlink(link) else []
    return Post(
        platform="twitter",
        kind="shortlink",
        source=source,
        evidence=evidence,
        links=[link],
        media=media,
        key=shortlink_key(code),
    )


SHORTLINKS = ShortLinks(
    hosts=("t.co",),
    hints=("t.co/", "pic.twitter.com/", "pic.x.com/"),
    pattern=SHORTLINK_RE,
    media_hints=("pic.twitter.com/", "pic.x.com/"),
    make_post=shortlink_post,
    raw_pattern=_RAW_SHORTLINK_RE,
    raw_hint=_RAW_SHORTLINK_HINT_RE,
)


def _parse_url(url: str) -> UrlMatch | None:
    parsed = parse_status_url(url)
    if parsed is None:
        return None
    handle, post_id = parsed
    return UrlMatch(post_id, canonical_url(post_id, handle), handle)


def _parse_embed_src(url: str) -> UrlMatch | None:
    # platform.twitter.com/embed/Tweet.html?...&id=ID (the widget once widgets.js has run)
    lowered = host_lowered(url)  # `https://PLATFORM.TWITTER.COM/embed/...` is the same player
    if "/embed/" in url and ("twitter.com" in lowered or "x.com" in lowered):
        tid = query_param(url, "id")
        if tid and tid.isdigit():
            return UrlMatch(tid, canonical_url(tid))
        return None
    return _parse_url(url)


def _time(post_id: str) -> str | None:
    return snowflake_time(post_id)


def _canonical(post_id: str, handle: str | None) -> str:
    return canonical_url(post_id, handle)


def _flattened(units: Sequence[Unit], source: str) -> list[FlatPost]:
    # The flattened-text reader builds on this module (PLATFORM, status URLs, short links).
    from archiver.platforms.twitter.flattened import find_flattened

    return find_flattened(units, source)


# --- HTML embed rules ----------------------------------------------------------------------------


def _blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    classes = (attrs.get("class") or "").split()
    kind = "twitter-video" if "twitter-video" in classes else "twitter-tweet"
    if kind not in classes:
        return _classless_blockquote(node, attrs, ctx)
    return _tweet_from_blockquote(node, attrs, ctx, f"blockquote.{kind}")


def _classless_blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    """A blockquote whose class a CMS stripped, still holding a status link and a signature."""
    text = node.text()
    if "(@" not in text or "status" not in (node.html or ""):
        return None
    posts = _tweet_from_blockquote(node, attrs, ctx, "blockquote(signature)", need_signature=True)
    return posts or None


def _tweet_from_blockquote(
    node: LexborNode, attrs: Attrs, ctx: EmbedContext, evidence: str, need_signature: bool = False
) -> list[Post]:
    # One pass over the blockquote's children (CSS queries on small subtrees cost more than the
    # whole walk of them): paragraphs are the text, loose text + anchors after them the signature.
    lang = attrs.get("data-lang") or None
    status: tuple[str | None, str] | None = None
    body_links: list[str] = []
    media: list[str] = []
    paragraphs: list[str] = []
    signature_text = ""
    loose: list[str] = []
    for child in snippet(node):
        tag = child.tag
        if tag == "-text":
            loose.append(child.text_content or "")
            continue
        if tag == "a":
            href = href_of(child)
            status = parse_status_url(href) or status  # the LAST status link is the post (§1.1)
            loose.append(child.text())
            continue
        if tag == "br":
            loose.append("\n")
            continue
        ptext, plinks = text_and_links(child)
        for href, _label in plinks:
            status = parse_status_url(href) or status
        stripped = ptext.strip()
        if stripped[:1] in "—–-&" and find_signature(" ".join(stripped.split()), need_date=False):
            signature_text = ptext  # WordPress wraps the signature in its own <p>
            continue
        paragraphs.append(ptext)
        if tag == "p":
            lang = lang or child.attributes.get("lang")
        for href, label in plinks:
            if label.startswith(("pic.twitter.com/", "pic.x.com/")):
                media.append(label)
            elif "/hashtag/" in href or _MENTION_RE.match(href) or parse_status_url(href):
                continue  # hashtags and mentions are entities, not links
            elif href:
                body_links.append(href)
    if not signature_text:
        signature_text = "".join(loose)  # the usual snippet: loose text + date link after the <p>
    sig = find_signature(" ".join(signature_text.split()), lang, need_date=False)
    if status is None:
        status = _status_in_text(node.text())
    if need_signature and (sig is None or status is None):
        return []
    if status is None and sig is None:
        return []
    text = "\n".join(p.strip() for p in paragraphs if p.strip())
    for link in find_shortlinks(text):
        (media if is_media_shortlink(link) else body_links).append(link)
    handle = sig.handle if sig else (status[0] if status else None)
    post = ctx.embedded(
        PLATFORM,
        evidence,
        post_id=status[1] if status else None,
        handle=handle,
        author=sig.name if sig else None,
        date_text=sig.date_text if sig else None,
        text=text or None,
        links=body_links,
        media=media,
        lang=lang,
    )
    return [post]


def snippet(node: LexborNode) -> list[LexborNode]:
    """The children of a tweet's blockquote that are its snippet.

    Twitter's snippet is a paragraph or more of text, then the signature, whose date link (a link
    to a status among the blockquote's own children after its "(@handle)", or in a paragraph of its
    own that starts with the signature's dash, as WordPress wraps it) names the post; the LAST status link is the post,
    as widgets.js reads it. A blockquote a CMS left unclosed takes in the rest of the page as its
    children: the article's paragraphs, other embeds, links to other posts, none of them the
    tweet's. So a block of the page (a paragraph, a frame, another blockquote...) after a date
    link ends the snippet at that link; links alone after it (a closed snippet) are still its."""
    children = list(node.iter(include_text=True))
    end = None
    signed = False  # the signature's "(@handle)" read among the blockquote's own text: its date link is next
    for i, child in enumerate(children):
        tag = child.tag
        if end is not None and tag in _PAGE_BLOCKS:
            return children[:end + 1]
        if tag == "-text":
            signed = signed or "(@" in (child.text_content or "")
        elif tag == "a":
            # (A link before any signature, a stub's `<a href=…/status/ID>` before its text, ends nothing.)
            if signed and parse_status_url(href_of(child)):
                end = i
        elif tag != "br":
            stripped = child.text().strip()
            if stripped[:1] in "—–-&" and _status_in_text(child.html or "") \
                    and find_signature(" ".join(stripped.split()), need_date=False):
                end = i
    return children


# Elements that are no part of a tweet's snippet after its date link: the page's own blocks.
_PAGE_BLOCKS = frozenset((
    "p", "div", "blockquote", "iframe", "figure", "section", "article", "aside", "header", "footer", "nav",
    "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "form", "hr", "pre", "img",
    "picture", "video", "audio", "object", "embed", "script", "noscript", "template", "textarea",
))


def _status_in_text(text: str) -> tuple[str | None, str] | None:
    found = None
    for m in STATUS_URL_RE.finditer(text):
        found = parse_status_url(m.group(0))
    return found


def _iframe(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    tid = attrs.get("data-tweet-id")
    if tid and tid.strip().isdigit():
        return [ctx.embedded(PLATFORM, "iframe[data-tweet-id]", post_id=tid.strip())]
    return None


def _figure(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    if not has_class(attrs, "wp-block-embed-twitter", "is-provider-twitter"):
        return None
    if node.css_first("blockquote, iframe") is not None:
        return None  # the blockquote or rendered iframe inside says more: let its rule report it
    status = _status_in_text(node.text()) or _status_in_anchors(node)
    if status is None:
        return None
    return [ctx.embedded(PLATFORM, "figure.wp-block-embed-twitter", post_id=status[1], handle=status[0])]


def _status_in_anchors(node: LexborNode) -> tuple[str | None, str] | None:
    found = None
    for a in node.css("a[href]"):
        found = parse_status_url(href_of(a)) or found
    return found


def _amp(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    tid = (attrs.get("data-tweetid") or "").strip()
    if not tid.isdigit():
        return None
    # AMP shows a placeholder until the tweet loads: often the tweet's own blockquote, signature
    # and all, which says who wrote it and what (when its status link is this tweet's).
    placeholder = node.css_first("blockquote")
    if placeholder is not None:
        for post in _tweet_from_blockquote(placeholder, placeholder.attributes, ctx, "amp-twitter"):
            if post.post_id == tid:
                return [post]
    return [ctx.embedded(PLATFORM, "amp-twitter", post_id=tid)]


def _data_embed(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    # Time.com style wrappers: <div data-embed-type="twitter" data-embed-id="ID">
    if (attrs.get("data-embed-type") or "").lower() != "twitter":
        return None
    tid = (attrs.get("data-embed-id") or "").strip()
    if not tid.isdigit():
        return None
    return [ctx.embedded(PLATFORM, '[data-embed-type="twitter"]', post_id=tid)]


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """platform.twitter.com's embed page for a status ID."""
    found = parse_status_url(url) if url else None
    pid = post_id or (found[1] if found else None)
    return f"https://platform.twitter.com/embed/Tweet.html?id={pid}" if pid and pid.isdigit() else None


def _oembed(_url: str) -> str | None:
    return "https://publish.twitter.com/oembed?omit_script=1&dnt=1&url="


PLATFORM = Platform(
    name="twitter",
    hosts=MIRROR_HOSTS,
    parse_url=_parse_url,
    parse_embed_src=_parse_embed_src,
    rules=(
        EmbedRule(("blockquote",), _blockquote, extent=snippet),  # also class-less ones: CMSs strip classes
        EmbedRule(("iframe",), _iframe, needs=("data-tweet-id",)),
        EmbedRule(("figure",), _figure, needs=("class",)),
        EmbedRule(("amp-twitter",), _amp, needs=("data-tweetid",)),
        EmbedRule(("div",), _data_embed, needs=("data-embed-type",)),
    ),
    time_from_id=_time,
    canonical=_canonical,
    shortlinks=SHORTLINKS,
    flattened=_flattened,
    flattened_hints=("(@",),  # the signature's `(@handle)`
    markup_hints=(r"div[^>]*data-embed",),  # <div data-embed-type="twitter">
    embed_url=embed_url,
    oembed=_oembed,
    embed_selectors=("iframe[data-tweet-id]", "iframe[src*='platform.twitter.com/embed']"),
)
