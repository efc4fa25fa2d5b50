"""Tweets flattened into plain text: the body lines, then `— Name (@handle) date`, and page titles.

When an article is turned into text (copy-paste, html2text, trafilatura) an embedded tweet keeps its
text and its signature line; the status link survives only as a markdown link or not at all.
A signature line closes a tweet; its body is the units above it: the whole quote block when the
signature is quoted or written right under one, else up to a blank line, an earlier signature, a heading/list item/lead-in
ending in ":", or the 280-weighted-character limit (a hint, not a wall: paid accounts post longer).
A saved tweet page's title (`Name (@handle) on X: "text" / X`) is a post of its own (a caption).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from archiver.detect.flatlines import body_above
from archiver.detect.signature import Signature, find_signature
from archiver.detect.units import Unit, find_urls, weighted_length
from archiver.models import Post
from archiver.platforms.base import FlatPost, build_post
from archiver.platforms.twitter.detect import (
    PLATFORM,
    find_shortlinks,
    is_media_shortlink,
    parse_status_url,
    shortlink_code,
)

TWEET_LIMIT = 280
_TRAILING_LINKS_RE = re.compile(
    r"(?:\s*(?:https?://\S+|(?:pic\.twitter\.com|pic\.x\.com|t\.co)/[A-Za-z0-9]+))+\s*$"
)
_DATE_NEXT_RE = re.compile(r"\(@[A-Za-z0-9_]{1,15}\)(?:\s+on\s+(?:Twitter|X))?\s*$")
_X_TITLE_END_RE = re.compile(r"[\"”]\s*/\s*X\s*$")
_MENTION_RE = re.compile(r"^https?://(www\.)?(twitter|x)\.com/\w+/?(\?|$)")
CAPTION_RE = re.compile(
    r"^(?P<name>[^\"“”\n]{1,60}?)\s*(?:\(@(?P<handle>[A-Za-z0-9_]{1,15})\)\s*)?on\s+(?:Twitter|X)\s*:\s*"
    r"[\"“](?P<text>.+)[\"”](?:\s*/\s*(?:X|Twitter))?\s*$"
)


@dataclass
class _Tweet:
    first: int  # index of the first body unit
    sig_index: int
    last: int  # the signature's last unit (its date may sit on the next line)
    signature: Signature
    body: list[str]
    links: list[str]


def find_flattened(units: Sequence[Unit], source: str) -> list[FlatPost]:
    """Every flattened tweet (closed by its signature) and every tweet page title in `units`."""
    found: list[FlatPost] = []
    consumed: set[int] = set()
    for tw in _find_tweets(units):
        consumed.update(range(tw.first, tw.last + 1))
        found.append(FlatPost(tw.first, tw.sig_index, tw.last, _tweet_post(tw, source), tw.signature.rest))
    for i, unit in enumerate(units):
        if i not in consumed and (caption := _caption(unit.text, source)) is not None:
            found.append(FlatPost(i, i, i, caption))
    return found


def _find_tweets(units: Sequence[Unit]) -> list[_Tweet]:
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
        first, body = body_above(units, i, limit=TWEET_LIMIT, stop=signatures, weigh=_tweet_weight, glued=glued)
        links = list(unit.links)
        for k in range(first, i):
            links.extend(units[k].links)
        last = i + 1 if i in spill else i
        links.extend(units[last].links if last != i else [])
        tweets.append(_Tweet(first, i, last, sig, body, links))
    return tweets


def _tweet_weight(lines: Sequence[str]) -> int:
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
        parsed = parse_status_url(url)
        if parsed is not None:
            if parsed[0] is None or parsed[0].lower() == sig.handle.lower() or post_id is None:
                post_id = parsed[1]  # the status link of the signature's date
            continue
        if "/hashtag/" in url or _MENTION_RE.match(url):
            continue  # hashtags and mentions are entities, not links
        (media if is_media_shortlink(url) else links).append(url)
    if post_id is None and (dated := _status_after_date(sig)) is not None:
        post_id = dated
    for url in find_urls(text):
        if parse_status_url(url) is None:
            links.append(url)
    for link in find_shortlinks(text):
        (media if is_media_shortlink(link) else links).append(link)
    # `[pic.twitter.com/X](https://t.co/X)` is one attachment, not a link as well.
    media_codes = {shortlink_code(m) for m in media}
    links = [u for u in links if shortlink_code(u) not in media_codes or not find_shortlinks(u)]
    return build_post(
        PLATFORM,
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


def _status_after_date(sig: Signature) -> str | None:
    """The ID of the signature's own status URL written out after its date, as a copied embed
    leaves it when its date link becomes text (`... March 4, 2024 https://twitter.com/u/status/1`):
    the URL must come first after the date and name the signature's handle (or none)."""
    urls = find_urls(sig.rest)
    if not urls or not sig.rest.lstrip(" \t-–—·|:(").startswith(urls[0]):
        return None
    parsed = parse_status_url(urls[0])
    if parsed is None or (parsed[0] is not None and parsed[0].lower() != sig.handle.lower()):
        return None
    return parsed[1]


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
    media = [s for s in find_shortlinks(body) if is_media_shortlink(s)]
    links = [s for s in find_shortlinks(body) if not is_media_shortlink(s)]
    return build_post(
        PLATFORM,
        kind="embedded",
        source=source,
        evidence="text-caption",
        handle=m.group("handle"),
        author=m.group("name"),
        text=body,
        links=links,
        media=media,
    )
