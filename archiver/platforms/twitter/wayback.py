"""Tweets in the Wayback Machine: the twitter.com and x.com spellings looked up, saved pages read.

Archived status pages are parsed for whatever they show: JSON-LD, the rendered markup of either
twitter.com era, OpenGraph tags, the title. Absent fields stay None. The look-up itself is the
generic one (capture/wayback.py), with a tweet's spellings.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from archiver.capture import wayback as _wayback
from archiver.capture.types import HttpGetter
from archiver.capture.wayback import WEB_URL_RE, Snapshot, SnapshotLookup, https_wayback_url, raw_url
from archiver.platforms.twitter.detect import parse_status_url
from archiver.platforms.twitter.syndication import TweetData, iso_utc, original_photo_url

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

__all__ = ["Snapshot", "SnapshotLookup", "fetch_snapshot", "find_snapshot", "https_wayback_url", "lookup_forms",
           "parse_archived_tweet", "raw_url"]


def lookup_forms(url: str) -> list[str]:
    """The URL forms to ask the archive about: for a tweet, its twitter.com and x.com spellings."""
    found = parse_status_url(url)
    if not found:
        return [url]
    handle, post_id = found
    user = handle or "i/web"
    return [f"https://twitter.com/{user}/status/{post_id}", f"https://x.com/{user}/status/{post_id}"]

def find_snapshot(client: HttpGetter, url: str, *, timestamp: str | None = None) -> SnapshotLookup:
    """The closest 200 capture of a tweet under any of its spellings; never raises (see capture/wayback.py)."""
    return _wayback.find_snapshot(client, url, timestamp=timestamp, forms=lookup_forms)


def fetch_snapshot(client: HttpGetter, snapshot: Snapshot) -> tuple[httpx.Response, TweetData | None]:
    """Fetch the raw capture and read the post out of it (None when it is not an HTML page)."""
    resp = _wayback.fetch_raw(client, snapshot)
    if resp.status_code != 200:
        return resp, None
    ctype = resp.headers.get("content-type", "").lower()
    if "html" not in ctype and not resp.content[:512].lstrip().startswith(b"<"):
        return resp, None
    found = parse_status_url(snapshot.original)
    return resp, parse_archived_tweet(resp.text, post_id=found[1] if found else None)


# --- reading an archived tweet page ------------------------------------------------------------


def parse_archived_tweet(html: str, post_id: str | None = None) -> TweetData:
    """Author, handle, text, time and photos from a saved twitter.com / x.com status page."""
    from selectolax.lexbor import LexborHTMLParser  # lazy: keeps `archiver --help` fast

    from archiver.detect.depth import for_parser

    tree = LexborHTMLParser(for_parser(html))  # held to the detector's caps: nesting, a tag's attributes
    data = TweetData(post_id=post_id, source="wayback")
    for reader in (_from_json_ld, _from_new_markup, _from_old_markup, _from_meta):
        reader(tree, data)
    return data


def _fill(data: TweetData, **fields: Any) -> None:
    """Set each field that is still empty: earlier readers are more specific than later ones."""
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip() or None
        if value and not getattr(data, name):
            setattr(data, name, value)


def _from_json_ld(tree: Any, data: TweetData) -> None:
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            doc = json.loads(node.text())
        except ValueError:
            continue
        for item in _walk_ld(doc):
            if item.get("@type") not in ("SocialMediaPosting", "DiscussionForumPosting"):
                continue
            raw_author = item.get("author")
            author: dict[str, Any] = raw_author if isinstance(raw_author, dict) else {}
            handle = author.get("additionalName") or author.get("alternateName")
            _fill(
                data,
                author=author.get("name") if isinstance(author.get("name"), str) else None,
                handle=handle.lstrip("@") if isinstance(handle, str) else None,
                text=item.get("articleBody") or item.get("text"),
                posted_at=iso_utc(item.get("datePublished") if isinstance(item.get("datePublished"), str) else None),
            )


def _walk_ld(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, list):
        for d in doc:
            yield from _walk_ld(d)
    elif isinstance(doc, dict):
        yield doc
        yield from _walk_ld(doc.get("@graph"))
        yield from _walk_ld(doc.get("mainEntity"))


def _main_article(tree: Any, post_id: str | None) -> Any:
    articles = tree.css('article[data-testid="tweet"]') or tree.css("article")
    if post_id:
        for a in articles:
            if a.css_first(f'a[href*="/status/{post_id}"] time'):
                return a
    return articles[0] if articles else None


def _from_new_markup(tree: Any, data: TweetData) -> None:
    """x.com / 2019+ twitter.com: data-testid attributes on the rendered post."""
    art = _main_article(tree, data.post_id)
    if art is None:
        return
    name_box = art.css_first('[data-testid="User-Name"]')
    author = handle = None
    if name_box is not None:
        for span in name_box.css("span"):
            t = span.text(strip=True)
            if t.startswith("@") and handle is None:
                handle = t[1:]
            elif t and author is None and not t.startswith("@") and t != "·":
                author = t
    text_node = art.css_first('[data-testid="tweetText"]')
    time_node = art.css_first("time[datetime]")
    _fill(
        data,
        author=author,
        handle=handle if handle and re.fullmatch(r"[A-Za-z0-9_]{1,15}", handle) else None,
        text=text_node.text(separator="", strip=False) if text_node is not None else None,
        posted_at=iso_utc(time_node.attributes.get("datetime")) if time_node is not None else None,
    )
    _photos(art, data)


def _from_old_markup(tree: Any, data: TweetData) -> None:
    """twitter.com 2014-2020: `div.tweet[data-tweet-id]` with data-screen-name/data-name."""
    node = None
    if data.post_id:
        node = tree.css_first(f'div.tweet[data-tweet-id="{data.post_id}"]')
    node = node or tree.css_first(".permalink-tweet") or tree.css_first("div.tweet[data-tweet-id]")
    if node is None:
        return
    text_node = node.css_first("p.tweet-text") or node.css_first(".js-tweet-text")
    posted_at = None
    stamp = node.css_first("[data-time-ms]") or node.css_first("[data-time]")
    if stamp is not None:
        ms = stamp.attributes.get("data-time-ms")
        secs = stamp.attributes.get("data-time")
        try:
            when = int(ms) / 1000 if ms else int(secs or "")
            posted_at = iso_utc(datetime.fromtimestamp(when, UTC).isoformat())
        except (ValueError, OverflowError, OSError):  # not a number, or no calendar's date
            posted_at = None
    _fill(
        data,
        author=node.attributes.get("data-name"),
        handle=node.attributes.get("data-screen-name"),
        text=text_node.text(separator="", strip=False) if text_node is not None else None,
        posted_at=posted_at,
    )
    _photos(node, data)


def _photos(node: Any, data: TweetData) -> None:
    for img in node.css("img[src]"):
        src = https_wayback_url(img.attributes.get("src") or "")
        m = WEB_URL_RE.match(src)
        original = m.group(2) if m else src
        if original.startswith("https://pbs.twimg.com/media/"):
            url = original_photo_url(original)
            if url not in data.photos:
                data.photos.append(url)


_TITLE = re.compile(
    r"^(?P<name>.+?)\s*(?:\(@(?P<handle>[A-Za-z0-9_]{1,15})\)\s*)?on (?:X|Twitter)\s*:\s*[\"“](?P<text>.*)[\"”](?:\s*/\s*(?:X|Twitter))?\s*$",
    re.S,
)


def _meta(tree: Any, prop: str) -> str | None:
    node = tree.css_first(f'meta[property="{prop}"]') or tree.css_first(f'meta[name="{prop}"]')
    value = node.attributes.get("content") if node is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _from_meta(tree: Any, data: TweetData) -> None:
    """OpenGraph tags and the `Name on X: "text" / X` title: the thinnest but commonest layer."""
    og_url = _meta(tree, "og:url")
    canonical = tree.css_first('link[rel="canonical"]')
    for u in (og_url, canonical.attributes.get("href") if canonical is not None else None):
        found = parse_status_url(u) if u else None
        if found and found[0] and (not data.post_id or found[1] == data.post_id):
            _fill(data, handle=found[0])
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node is not None else ""
    m = _TITLE.match(title)
    if m:
        _fill(data, author=m.group("name"), handle=m.group("handle"), text=m.group("text"))
    og_title = _meta(tree, "og:title")
    if og_title:
        t = re.match(r"^(?P<name>.+?)\s*(?:\(@(?P<handle>[A-Za-z0-9_]{1,15})\))?\s+on (?:X|Twitter)$", og_title)
        if t:
            _fill(data, author=t.group("name"), handle=t.group("handle"))
    desc = _meta(tree, "og:description")
    if desc:
        _fill(data, text=re.sub(r'^[“"](.*)[”"]$', r"\1", desc, flags=re.S))
