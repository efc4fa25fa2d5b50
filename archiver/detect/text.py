"""Posts in plain text: flattened tweets, title captions, post URLs, short links.

The text is cut into units: one per line, except that a `>`-quoted paragraph (html2text's rendering
of a blockquote, hard-wrapped at 78 columns) is joined into one unit. Markdown links are reduced to
their label with the URL kept aside, so a signature rendered as `[14\\. Juni\\n> 2018](status URL)`
reads like trafilatura's `14. Juni 2018` and still yields the status ID.

A signature line closes a tweet; its body is the units above it: the whole quote block when the
signature is quoted, else up to a blank line, an earlier signature, a heading/list item/lead-in
ending in ":", or the 280-weighted-character limit (a hint, not a wall: paid accounts post longer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archiver.detect.signature import Signature, find_signature
from archiver.models import Post
from archiver.platforms import BY_NAME, match_url
from archiver.platforms.base import absolutize, build_post
from archiver.platforms.twitter import detect as twitter

TWEET_LIMIT = 280
_QUOTE_RE = re.compile(r"^[ \t]*((?:>[ \t]?)+)")
_MD_LINK_RE = re.compile(r"(!?)\[([^\[\]]*)\]\(\s*<?((?:https?:)?//[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_AUTOLINK_RE = re.compile(r"<((?:https?:)?//[^>\s]+)>")
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_HOSTS = (
    r"(?:twitter\.com|x\.com|mobile\.twitter\.com|youtube\.com|youtu\.be|instagram\.com|tiktok\.com"
    r"|facebook\.com|bsky\.app|t\.me|threads\.net|threads\.com|reddit\.com|redd\.it|vimeo\.com"
    r"|linkedin\.com|truthsocial\.com)"
)
URL_RE = re.compile(
    r"(?:https?://|(?<![\w@./-])(?:www\.|m\.)?" + _HOSTS + r"/)[^\s<>\"'\[\]()]*",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"’”»…"
_TRAILING_LINKS_RE = re.compile(
    r"(?:\s*(?:https?://\S+|(?:pic\.twitter\.com|pic\.x\.com|t\.co)/[A-Za-z0-9]+))+\s*$"
)
_DATE_NEXT_RE = re.compile(r"\(@[A-Za-z0-9_]{1,15}\)(?:\s+on\s+(?:Twitter|X))?\s*$")
_X_TITLE_END_RE = re.compile(r"[\"”]\s*/\s*X\s*$")
_LIST_RE = re.compile(r"^(?:[-*•·–]\s|\d{1,2}[.)]\s|#{1,6}\s)")
CAPTION_RE = re.compile(
    r"^(?P<name>[^\"“”\n]{1,60}?)\s*(?:\(@(?P<handle>[A-Za-z0-9_]{1,15})\)\s*)?on\s+(?:Twitter|X)\s*:\s*"
    r"[\"“](?P<text>.+)[\"”](?:\s*/\s*(?:X|Twitter))?\s*$"
)


@dataclass
class Unit:
    """One logical line of the text."""

    text: str
    quoted: bool = False
    block: int = 0  # quote blocks are numbered; 0 = not quoted
    blank_before: bool = False
    links: list[str] = field(default_factory=list)  # URLs of markdown links, in order


@dataclass
class _Tweet:
    first: int  # index of the first body unit
    sig_index: int
    last: int  # the signature's last unit (its date may sit on the next line)
    signature: Signature
    body: list[str]
    links: list[str]


def detect_text(text: str, source: str) -> list[Post]:
    """Every post in a plain text, in text order (not yet deduplicated)."""
    units = split_units(text)
    tweets = _find_tweets(units)
    consumed: set[int] = set()
    by_sig: dict[int, _Tweet] = {}
    for tw in tweets:
        consumed.update(range(tw.first, tw.last + 1))
        by_sig[tw.sig_index] = tw
    posts: list[Post] = []
    for i, unit in enumerate(units):
        closing = by_sig.get(i)
        if closing is not None:
            posts.append(_tweet_post(closing, source))
            if closing.signature.rest:
                posts.extend(_free_text(closing.signature.rest, [], source))
        elif i not in consumed:
            caption = _caption(unit.text, source)
            if caption is not None:
                posts.append(caption)
            else:
                posts.extend(_free_text(unit.text, unit.links, source))
    return posts


# --- units -----------------------------------------------------------------------------------------


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


# --- tweets ----------------------------------------------------------------------------------------


def weighted_length(text: str) -> int:
    """Tweet length as twitter-text counts it: links 23, CJK/emoji 2, most other characters 1."""
    n = 0
    if "/" in text:
        stripped = URL_RE.sub("", text)
        n += 23 * (len(URL_RE.findall(text)))
        n += 23 * len(twitter.find_shortlinks(stripped))
        text = twitter.SHORTLINK_RE.sub("", stripped)
    for ch in text:
        cp = ord(ch)
        if cp <= 0x10FF or 0x2000 <= cp <= 0x200D or 0x2010 <= cp <= 0x201F or 0x2032 <= cp <= 0x2037:
            n += 1
        else:
            n += 2
    return n


def _find_tweets(units: list[Unit]) -> list[_Tweet]:
    signatures: dict[int, Signature] = {}
    spill: set[int] = set()
    for i, unit in enumerate(units):
        if "(@" in unit.text:
            sig = find_signature(unit.text)
            if sig is None and i + 1 < len(units) and _DATE_NEXT_RE.search(unit.text):
                # One text node per line (e.g. an HTML body's text joined by newlines) puts the
                # signature's date, the link text, on the line after "— Name (@handle)".
                nxt = units[i + 1].text
                if len(nxt) <= 40 and not units[i + 1].blank_before:
                    sig = find_signature(f"{unit.text} {nxt}")
                    if sig is not None:
                        spill.add(i)
            if sig is not None:
                signatures[i] = sig
    tweets: list[_Tweet] = []
    for i, sig in signatures.items():
        unit = units[i]
        glued = unit.text[: sig.start].strip()
        body: list[str] = [glued] if glued else []
        first = i
        if unit.quoted:
            j = i - 1
            while j >= 0 and units[j].block == unit.block and j not in signatures:
                body.insert(0, units[j].text)
                first = j
                j -= 1
        else:
            first = _plain_body(units, i, signatures, body)
        links = list(unit.links)
        for k in range(first, i):
            links.extend(units[k].links)
        last = i + 1 if i in spill else i
        links.extend(units[last].links if last != i else [])
        tweets.append(_Tweet(first, i, last, sig, body, links))
    return tweets


def _plain_body(units: list[Unit], i: int, signatures: dict[int, Signature], body: list[str]) -> int:
    """Collect the body lines above signature unit `i` into `body`; return the first unit index."""
    first = i
    j = i - 1
    while j >= 0:
        cand = units[j]
        below = units[j + 1]
        if j in signatures or cand.quoted:
            break
        if body and below.blank_before:
            break  # a blank line ends the body once there is one
        text = cand.text
        if body and (text.endswith(":") or _LIST_RE.match(text)):
            break  # "She wrote:" / list items / headings introduce a tweet, they are not in it
        if body and _tweet_weight([text, *body]) > TWEET_LIMIT:
            break
        body.insert(0, text)
        first = j
        j -= 1
        if _tweet_weight(body) > TWEET_LIMIT:
            break  # a long (paid) post directly above the signature: take it, nothing more
    return first


def _tweet_weight(lines: list[str]) -> int:
    """Weighted length of a candidate body; trailing links (attached media, a quoted tweet) are
    free on Twitter, so they are not counted."""
    text = "\n".join(lines)
    return weighted_length(_TRAILING_LINKS_RE.sub("", text))


def _tweet_post(tw: _Tweet, source: str) -> Post:
    sig = tw.signature
    text = "\n".join(tw.body)
    post_id = None
    links: list[str] = []
    media: list[str] = []
    for url in tw.links:
        parsed = twitter.parse_status_url(url)
        if parsed is not None:
            if parsed[0] is None or parsed[0].lower() == sig.handle.lower() or post_id is None:
                post_id = parsed[1]  # the status link of the signature's date
            continue
        if "/hashtag/" in url or re.match(r"^https?://(www\.)?(twitter|x)\.com/\w+/?(\?|$)", url):
            continue  # hashtags and mentions are entities, not links
        (media if twitter.is_media_shortlink(url) else links).append(url)
    for url in _urls(text):
        if twitter.parse_status_url(url) is None:
            links.append(url)
    for link in twitter.find_shortlinks(text):
        (media if twitter.is_media_shortlink(link) else links).append(link)
    # `[pic.twitter.com/X](https://t.co/X)` is one attachment, not a link as well.
    media_codes = {twitter.shortlink_code(m) for m in media}
    links = [u for u in links if twitter.shortlink_code(u) not in media_codes or not twitter.find_shortlinks(u)]
    return build_post(
        BY_NAME["twitter"],
        kind="embedded",
        source=source,
        evidence="text-signature",
        post_id=post_id,
        handle=sig.handle,
        author=sig.name,
        posted_at=sig.date,
        text=text or None,
        links=links,
        media=media,
    )


def _caption(text: str, source: str) -> Post | None:
    if "on Twitter" not in text and "on X" not in text:
        return None
    m = CAPTION_RE.match(text)
    if not m:
        return None
    if m.group("handle") is None and " on X" in text[: m.start("text")] and not _X_TITLE_END_RE.search(text):
        # `Name on X: "..."` without the handle or the page title's " / X" reads like a headline
        # ("Musk on X: ..."), not a saved post: only the full title form counts.
        return None
    body = m.group("text")
    media = [s for s in twitter.find_shortlinks(body) if twitter.is_media_shortlink(s)]
    links = [s for s in twitter.find_shortlinks(body) if not twitter.is_media_shortlink(s)]
    return build_post(
        BY_NAME["twitter"],
        kind="embedded",
        source=source,
        evidence="text-caption",
        handle=m.group("handle"),
        author=m.group("name"),
        text=body,
        links=links,
        media=media,
    )


# --- links and short links outside posts ------------------------------------------------------------


def _urls(text: str) -> list[str]:
    if "." not in text:
        return []
    return [m.group(0).rstrip(_TRAILING) for m in URL_RE.finditer(text)]


def _free_text(text: str, md_links: list[str], source: str) -> list[Post]:
    posts: list[Post] = []
    for url in [*md_links, *_urls(text)]:
        found = match_url(absolutize(url))
        if found is not None:
            platform, match = found
            posts.append(build_post(platform, kind="linked", source=source, evidence="text-url", match=match))
    for link in twitter.find_shortlinks(text) + [u for u in md_links if twitter.find_shortlinks(u)]:
        posts.append(twitter.shortlink_post(link, source, "text-shortlink"))
    return posts
