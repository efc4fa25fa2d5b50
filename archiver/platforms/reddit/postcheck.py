"""How a Reddit post's status is asked about: its `.json` listing, credential-free.

`https://www.reddit.com/comments/ID/.json` answers a two-part listing: the post, then its comments.
The post's `removed_by_category` tells who took it away: `deleted` (its author) or a moderator,
AutoModerator or Reddit itself (`removed`); the `[deleted]`/`[removed]` markers are read only
where that field is absent (comments, older answers). `over_18` is Reddit's 18+ wall. A 403 whose
JSON names a private, quarantined or banned community says so; any other 403 and a 429 are Reddit
turning an anonymous client away, which says nothing about the post (`unavailable`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from archiver.capture.types import given, json_list, json_text
from archiver.platforms.base import iso_from_given_seconds
from archiver.platforms.capture import PostCheck, PostRef, Probe, about_another_post, archived_copy, ask
from archiver.platforms.reddit.detect import canonical_url

if TYPE_CHECKING:
    from archiver.capture.types import HttpGetter

# removed_by_category values: the author's own deletion, and removals by someone else.
BY_AUTHOR = {"deleted": "deleted by its author", "author": "deleted by its author"}
BY_OTHERS = {
    "moderator": "removed by a moderator of the community",
    "automod_filtered": "removed by the community's AutoModerator",
    "reddit": "removed by Reddit",
    "anti_evil_ops": "removed by Reddit (Anti-Evil Operations)",
    "community_ops": "removed by Reddit (Community Operations)",
    "legal_operations": "removed by Reddit (Legal Operations)",
    "copyright_takedown": "removed by Reddit after a copyright notice",
    "content_takedown": "removed by Reddit",
}
# A 403/404 body's `reason` about the whole community.
COMMUNITY = {
    "private": ("protected", "the community is private: only its approved members see its posts"),
    "quarantined": ("login_required", "the community is quarantined: only signed-in readers who opt in see it"),
    "banned": ("removed", "the community was banned by Reddit"),
}
_MARKERS = ("[deleted]", "[removed]")
_REDDIT_HOSTS = ("reddit.com", "redd.it", "redditmedia.com")



def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}

def listing_url(post_id: str) -> str:
    """The post's (or an embedded comment's) listing as JSON."""
    pid, _, cid = post_id.partition("/")
    return f"https://www.reddit.com/comments/{pid}/_/{cid}/.json" if cid else f"https://www.reddit.com/comments/{pid}/.json"


def _children(part: Any) -> list[dict[str, Any]]:
    data = part.get("data") if isinstance(part, dict) else None
    kids = data.get("children") if isinstance(data, dict) else None
    return [k["data"] for k in json_list(kids) if isinstance(k, dict) and isinstance(k.get("data"), dict)]


def _thing(listing: Any, comment: bool) -> dict[str, Any] | None:
    if not isinstance(listing, list) or len(listing) < (2 if comment else 1):
        return None
    found = _children(listing[1 if comment else 0])
    return found[0] if found else None


def full_size_media(post: dict[str, Any]) -> list[str]:
    """Photos at full size: a gallery's `s` entries in gallery order, else the preview's `source`.

    Reddit escapes `&` in these URLs as `&amp;`: they are unescaped.
    """
    meta = _obj(post.get("media_metadata"))
    urls: list[str] = []
    for item in json_list(_obj(post.get("gallery_data")).get("items")):
        best = _obj(meta.get(str(_obj(item).get("media_id")))).get("s")
        if isinstance(best, dict) and (best.get("u") or best.get("gif")):
            urls.append(html.unescape(str(best.get("u") or best.get("gif"))))
    if urls:
        return urls
    preview = _obj(post.get("preview"))
    for image in json_list(preview.get("images")):
        source = image.get("source") if isinstance(image, dict) else None
        if isinstance(source, dict) and source.get("url"):
            urls.append(html.unescape(str(source["url"])))
    return urls


def _external(url: Any) -> list[str]:
    if not isinstance(url, str) or not url.startswith("http"):
        return []
    host = (urlsplit(url).hostname or "").lower()
    return [] if any(host == h or host.endswith("." + h) for h in _REDDIT_HOSTS) else [url]


def thing_fields(thing: dict[str, Any]) -> dict[str, Any]:
    """What the index keeps of a post or comment; markers (`[deleted]`, `[removed]`) are not text."""
    author = json_text(thing.get("author"))
    author = author if author not in _MARKERS else None
    body = json_text(thing.get("selftext") if "title" in thing else thing.get("body"))
    body = body if body not in _MARKERS else None
    title = json_text(thing.get("title"))
    text = "\n\n".join(part for part in (title, body) if part) or None
    created = thing.get("created_utc")
    posted = iso_from_given_seconds(created)
    out = {"handle": author, "author": author, "text": text, "posted_at": posted, "media": full_size_media(thing),
           "links": _external(thing.get("url_overridden_by_dest") or thing.get("url")), "data": thing}
    return given(out)


def classify(thing: dict[str, Any]) -> tuple[str, str]:
    """(status, reason) of a post or comment the listing returned."""
    category = thing.get("removed_by_category")
    if isinstance(category, str) and category:
        if category in BY_AUTHOR:
            return "deleted", f'removed_by_category "{category}": {BY_AUTHOR[category]}'
        if category in BY_OTHERS:
            return "removed", f'removed_by_category "{category}": {BY_OTHERS[category]}'
        return "unavailable", f'removed_by_category "{category}" is not one this tool knows'
    body = thing.get("selftext") if "title" in thing else thing.get("body")
    if body == "[removed]":
        return "removed", 'the text reads "[removed]": removed by a moderator or Reddit'
    if body == "[deleted]":
        return "deleted", 'the text reads "[deleted]": deleted by its author'
    if thing.get("over_18"):
        return "age_restricted", "over_18: Reddit shows it behind its 18+ wall"
    return "live", "the listing returned the post"


def probe(post: PostRef, client: HttpGetter) -> Probe:
    """The listing, and what it says of the post."""
    pid = post.post_id or ""
    if not pid:
        return Probe("unknown", "the post's ID is not known")
    url = post.url or canonical_url(pid)
    answer = ask(client, listing_url(pid))
    if answer.status is None:
        return answer.unanswered("www.reddit.com did not answer")
    if answer.status == 200:
        thing = _thing(answer.data, comment="/" in pid)
        if thing is None:
            return Probe("unavailable", f"the listing holds no post{answer.how()}", url=url)
        said_id = str(thing.get("id") or "").lower()
        if said_id and said_id != pid.rpartition("/")[2].lower():
            return about_another_post(f"the listing ({said_id[:30]})", url)
        status, reason = classify(thing)
        fields = thing_fields(thing)
        media = tuple(fields.get("media") or ()) if status in ("live", "age_restricted") else ()
        return Probe(status, reason, url=url, fields=fields, media=media, found=True)
    said = answer.data.get("reason") if isinstance(answer.data, dict) else None
    if said in COMMUNITY:
        status, reason = COMMUNITY[str(said)]
        return Probe(status, f'HTTP {answer.status}, reason "{said}": {reason}', url=url)
    if answer.status in (403, 429):
        return Probe("unavailable", f"Reddit turned an anonymous client away (HTTP {answer.status}): a bot wall says "
                                    "nothing about the post", url=url)
    return Probe("unavailable", f"the listing answered HTTP {answer.status}", url=url)


CHECK = PostCheck(probe=probe, wayback=archived_copy(lambda url: [url]))
