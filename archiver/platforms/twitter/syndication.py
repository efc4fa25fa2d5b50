"""Twitter/X post data without a login: syndication JSON, oEmbed, media, and the post's status.

Every request goes through the caller's client, so with a RecordingClient bound to a capture's
batch each exchange lands in the WARC under its real URL. Network failures never raise out of
here: they come back as results with `status=None` and the failure named (the fetchers' contract,
capture/types.py), so one failing post never sinks an article.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

from archiver.capture.types import Failure, HttpGetter
from archiver.errors import NetworkError
from archiver.models import POST_STATUSES
from archiver.platforms.twitter.token import syndication_token
from archiver.times import format_utc, in_utc

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

SYNDICATION_URL = "https://cdn.syndication.twimg.com/tweet-result"
OEMBED_URL = "https://publish.twitter.com/oembed"

STATUSES = POST_STATUSES  # the one list lives in models.py (lookup --status validates against it)

SyndicationKind = Literal["tweet", "tombstone", "empty", "not_found", "error"]

JSON = dict[str, Any]


@dataclass
class SyndicationResult:
    """What cdn.syndication.twimg.com answered for one post ID (failures: capture/types.py)."""

    url: str
    status: int | None  # HTTP status; None when no response arrived (`error` says why)
    kind: SyndicationKind
    json: JSON | None = None
    tombstone_text: str | None = None
    error: str | None = None
    network_failed: bool = False
    refused: bool = False


@dataclass
class OEmbedResult:
    """What publish.twitter.com/oembed answered for one status URL (failures: capture/types.py)."""

    url: str
    status: int | None  # None when no response arrived (`error` says why)
    author_name: str | None = None
    author_url: str | None = None
    html: str | None = None
    error: str | None = None
    network_failed: bool = False
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.html)

    @property
    def handle(self) -> str | None:
        """The screen name at the end of `author_url` (https://twitter.com/NAME)."""
        if not self.author_url:
            return None
        m = re.match(r"https?://(?:www\.)?(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/?$", self.author_url)
        return m.group(1) if m else None

    @property
    def text(self) -> str | None:
        """The post text inside the oEmbed blockquote (its first `<p>`), if there is one."""
        if not self.html:
            return None
        from selectolax.lexbor import LexborHTMLParser  # lazy: keeps `archiver --help` fast

        p = LexborHTMLParser(self.html).css_first("blockquote p")
        if p is None:
            return None
        text = p.text(separator="", strip=False).strip()
        return text or None


@dataclass
class TweetData:
    """Post fields taken from one source (syndication JSON, a Wayback capture); None when absent."""

    post_id: str | None = None
    handle: str | None = None
    author: str | None = None
    posted_at: str | None = None  # ISO 8601 UTC, e.g. 2024-03-04T18:22:31.000Z
    text: str | None = None
    lang: str | None = None
    links: list[str] = field(default_factory=list)  # expanded URLs of the links in the text
    photos: list[str] = field(default_factory=list)  # original-size photo URLs
    videos: list[str] = field(default_factory=list)  # best MP4 of each video / animated GIF
    quoted_id: str | None = None
    reply_to_id: str | None = None
    is_edited: bool | None = None
    source: str = "syndication"

    @property
    def media(self) -> list[str]:
        """Every media URL to download, photos first."""
        return [*self.photos, *self.videos]


# --- syndication -------------------------------------------------------------------------------


def syndication_url(post_id: str | int, token: str | None = None) -> str:
    """The tweet-result URL react-tweet and Tweet.html request, token included."""
    tok = syndication_token(post_id) if token is None else token
    return f"{SYNDICATION_URL}?id={post_id}&lang=en&token={tok}"


def fetch_syndication(
    client: HttpGetter, post_id: str | int, *, token: str | None = None
) -> SyndicationResult:
    """Fetch and sort the syndication answer for one post; never raises for network trouble."""
    import httpx  # here: the platform registry is imported by every scan, which needs no HTTP stack

    url = syndication_url(post_id, token)
    try:
        resp = client.get(url, follow_redirects=True)
    except (NetworkError, httpx.TransportError) as e:
        log.info("syndication %s: network failure: %s", post_id, e)
        failed = Failure.of(e)
        return SyndicationResult(url, None, "error", error=failed.error, network_failed=failed.network_failed,
                                 refused=failed.refused)
    return _sort_syndication(url, resp, str(post_id))


def _sort_syndication(url: str, resp: httpx.Response, post_id: str | None = None) -> SyndicationResult:
    status = resp.status_code
    if status == 404:
        return SyndicationResult(url, status, "not_found")
    if status != 200:
        return SyndicationResult(url, status, "error", error=f"HTTP {status}")
    if not resp.content.strip():
        return SyndicationResult(url, status, "empty", json={})
    try:
        data = resp.json()
    except ValueError:
        return SyndicationResult(url, status, "error", error="answer is not JSON")
    if not isinstance(data, dict):
        return SyndicationResult(url, status, "error", error="answer is not a JSON object")
    if not data:
        # `{}`: what a missing or wrong token produces, and also what some unknown IDs get.
        return SyndicationResult(url, status, "empty", json=data)
    typename = data.get("__typename")
    if typename == "TweetTombstone":
        return SyndicationResult(url, status, "tombstone", json=data, tombstone_text=_tombstone_text(data))
    if typename == "Tweet" or (typename is None and data.get("id_str")):
        said = str(data.get("id_str") or "")
        if post_id is not None and said and said != post_id:
            # Another post's data (a cache or a proxy that mixed answers up): nothing of this one.
            return SyndicationResult(url, status, "error", json=data,
                                     error=f"the answer is about another post (id_str {said[:30]})")
        return SyndicationResult(url, status, "tweet", json=data)
    return SyndicationResult(url, status, "error", json=data, error=f"unexpected __typename {typename!r}")


def _tombstone_text(data: JSON) -> str | None:
    tomb = data.get("tombstone")
    text: Any = tomb.get("text") if isinstance(tomb, dict) else data.get("text")
    if isinstance(text, dict):
        text = text.get("text")
    return text.strip() if isinstance(text, str) and text.strip() else None


def iso_utc(created_at: str | None) -> str | None:
    """Syndication `created_at` (ISO, or the v1.1 `Wed Oct 10 20:19:24 +0000 2018`) as ISO UTC."""
    if not created_at:
        return None
    dt: datetime | None = None
    try:
        dt = datetime.fromisoformat(created_at)
    except ValueError:
        try:
            dt = datetime.strptime(created_at, "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            return None
    if dt.tzinfo is None:
        return None  # a time without a zone would be a guess
    utc = in_utc(dt)  # None: a zone that carries it out of the years 1 to 9999 in UTC, no date
    return format_utc(utc) if utc is not None else None


def parse_tweet(data: JSON) -> TweetData:
    """Fields of a syndication `Tweet` object, media at their best (original-size photos, best MP4)."""
    user = _obj(data.get("user"))
    entities = _obj(data.get("entities"))
    url_entities = [u for u in entities.get("urls") or [] if isinstance(u, dict)]
    media_entities = [m for m in entities.get("media") or [] if isinstance(m, dict)]
    photos, videos = _media(data)
    quoted = data.get("quoted_tweet")
    parent = data.get("parent")
    reply_to = data.get("in_reply_to_status_id_str") or (
        parent.get("id_str") if isinstance(parent, dict) else None
    )
    return TweetData(
        post_id=_str_or_none(data.get("id_str")),
        handle=_str_or_none(user.get("screen_name")),
        author=_str_or_none(user.get("name")),
        posted_at=iso_utc(data.get("created_at")),
        text=_display_text(data.get("text"), url_entities, media_entities),
        lang=_str_or_none(data.get("lang")),
        links=[u["expanded_url"] for u in url_entities if u.get("expanded_url")],
        photos=photos,
        videos=videos,
        quoted_id=_str_or_none(quoted.get("id_str")) if isinstance(quoted, dict) else None,
        reply_to_id=_str_or_none(reply_to),
        is_edited=_is_edited(data),
    )


def _obj(v: Any) -> JSON:
    return v if isinstance(v, dict) else {}


def _str_or_none(v: Any) -> str | None:
    return str(v) if v not in (None, "") else None


def _display_text(text: Any, urls: list[JSON], media: list[JSON]) -> str | None:
    """The text a reader sees: t.co links expanded, the trailing media link dropped, unescaped."""
    if not isinstance(text, str):
        return None
    for u in urls:
        if u.get("url") and u.get("expanded_url"):
            text = text.replace(u["url"], u["expanded_url"])
    for m in media:
        if m.get("url"):
            text = text.replace(m["url"], "")
    # The API escapes &, < and > in `text` (v1.1 heritage).
    return html.unescape(text).strip() or None


def _is_edited(data: JSON) -> bool | None:
    if "isEdited" in data:
        return bool(data["isEdited"])
    ids = _obj(data.get("edit_control")).get("edit_tweet_ids")
    return len(ids) > 1 if isinstance(ids, list) else None


def _media(data: JSON) -> tuple[list[str], list[str]]:
    photos: list[str] = []
    videos: list[str] = []
    details = [d for d in data.get("mediaDetails") or [] if isinstance(d, dict)]
    for d in details:
        kind = d.get("type")
        if kind == "photo" and d.get("media_url_https"):
            photos.append(original_photo_url(d["media_url_https"]))
        elif kind in ("video", "animated_gif"):
            info = _obj(d.get("video_info"))
            best = best_mp4(info.get("variants") or [])
            if best:
                videos.append(best)
    if not details:
        # Older / slimmer answers carry only `photos` and `video` (react-tweet's shapes).
        for p in data.get("photos") or []:
            if isinstance(p, dict) and p.get("url"):
                photos.append(original_photo_url(p["url"]))
        video = data.get("video")
        if isinstance(video, dict):
            best = best_mp4(video.get("variants") or [])
            if best:
                videos.append(best)
    return _dedupe(photos), _dedupe(videos)


def _dedupe(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(urls))


def original_photo_url(url: str) -> str:
    """pbs.twimg.com/media/ID.jpg -> pbs.twimg.com/media/ID?format=jpg&name=orig (original size)."""
    parts = urlsplit(url)
    if parts.hostname != "pbs.twimg.com" or not parts.path.startswith("/media/"):
        return url
    path = parts.path.split(":", 1)[0]  # the old `ID.jpg:large` form
    query = parse_qs(parts.query)
    m = re.match(r"^(/media/[^/.]+)\.([A-Za-z0-9]+)$", path)
    if m:
        base, fmt = m.group(1), m.group(2).lower()
    else:
        base, fmt = path, (query.get("format") or ["jpg"])[0]
    return f"https://pbs.twimg.com{base}?format={fmt}&name=orig"


def best_mp4(variants: list[Any]) -> str | None:
    """The `video/mp4` variant with the highest bitrate (never the .m3u8 playlist)."""
    best: tuple[int, int, str] | None = None
    for v in variants:
        if not isinstance(v, dict):
            continue
        ctype = v.get("content_type") or v.get("type")
        url = v.get("url") or v.get("src")
        if ctype != "video/mp4" or not isinstance(url, str):
            continue
        bitrate = v.get("bitrate")
        # Variants without a bitrate (react-tweet's `video.variants`): rank by the WxH in the path.
        size = re.search(r"/(\d{2,5})x(\d{2,5})/", url)
        area = int(size.group(1)) * int(size.group(2)) if size else 0
        rank = (int(bitrate) if isinstance(bitrate, (int, float)) else -1, area, url)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


# --- oEmbed ------------------------------------------------------------------------------------


def oembed_url(status_url: str) -> str:
    """publish.twitter.com's oEmbed URL for a status URL (x.com spelled as twitter.com)."""
    target = re.sub(r"^https?://(?:www\.|mobile\.)?x\.com/", "https://twitter.com/", status_url)
    return f"{OEMBED_URL}?url={quote(target, safe='')}&omit_script=1&dnt=1"


def fetch_oembed(client: HttpGetter, status_url: str) -> OEmbedResult:
    """Ask publish.twitter.com about one post; 404 means it is gone (or never was). Never raises
    for network trouble."""
    import httpx

    url = oembed_url(status_url)
    try:
        resp = client.get(url, follow_redirects=True)
    except (NetworkError, httpx.TransportError) as e:
        log.info("oEmbed %s: network failure: %s", status_url, e)
        failed = Failure.of(e)
        return OEmbedResult(url, None, error=failed.error, network_failed=failed.network_failed,
                            refused=failed.refused)
    if resp.status_code != 200:
        return OEmbedResult(url, resp.status_code, error=f"HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError:
        return OEmbedResult(url, resp.status_code, error="answer is not JSON")
    if not isinstance(data, dict):
        return OEmbedResult(url, resp.status_code, error="answer is not a JSON object")
    return OEmbedResult(
        url,
        resp.status_code,
        author_name=_str_or_none(data.get("author_name")),
        author_url=_str_or_none(data.get("author_url")),
        html=_str_or_none(data.get("html")),
    )
