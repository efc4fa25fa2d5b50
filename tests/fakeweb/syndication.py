"""JSON bodies of cdn.syndication.twimg.com/tweet-result and publish.twitter.com/oembed.

Field names follow the real API as vercel/react-tweet's TypeScript types describe it (`id_str`,
`created_at`, `user`, `entities`, `mediaDetails`, `__typename` Tweet / TweetTombstone...).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from . import pages, site

_TOMBSTONES = {
    site.PROTECTED: "You’re unable to view this Post because this account owner limits who can view their Posts. Learn more",
    site.SUSPENDED: "This Post is from a suspended account. Learn more",
}


def tombstone_text(tweet: site.Tweet, state: str) -> str:
    """The tombstone sentence for a post that is withheld, protected or suspended."""
    if state == site.WITHHELD:
        return (
            f"This Post from @{tweet.user.screen_name} has been withheld in {tweet.withheld_in} "
            "in response to a legal demand. Learn more"
        )
    return _TOMBSTONES[state]


def tombstone_json(tweet: site.Tweet, state: str) -> dict[str, Any]:
    text = tombstone_text(tweet, state)
    return {
        "__typename": "TweetTombstone",
        "tombstone": {
            "text": {
                "text": text,
                "entities": [
                    {
                        "from_index": len(text) - len("Learn more"),
                        "to_index": len(text),
                        "ref": {
                            "__typename": "TimelineUrl",
                            "url": "https://help.twitter.com/rules-and-policies/notices-on-twitter",
                            "url_type": "ExternalUrl",
                        },
                    }
                ],
                "rtl": False,
            }
        },
    }


def _span(text: str, needle: str, start: int = 0) -> list[int]:
    i = text.index(needle, start)
    return [i, i + len(needle)]


def _entities(t: site.Tweet) -> dict[str, Any]:
    hashtags = [{"indices": [m.start(), m.end()], "text": m.group(1)} for m in re.finditer(r"#(\w+)", t.text)]
    mentions = [
        {"id_str": "0", "indices": [m.start(), m.end()], "name": m.group(1), "screen_name": m.group(1)}
        for m in re.finditer(r"(?<!\w)@(\w{1,15})", t.text)
    ]
    urls = []
    for code, expanded in t.urls:
        shown = re.sub(r"^https?://(www\.)?", "", expanded)
        urls.append(
            {
                "display_url": shown if len(shown) <= 26 else shown[:25] + "…",
                "expanded_url": expanded,
                "indices": _span(t.text, f"https://t.co/{code}"),
                "url": f"https://t.co/{code}",
            }
        )
    entities: dict[str, Any] = {"hashtags": hashtags, "urls": urls, "user_mentions": mentions, "symbols": []}
    if t.media_tco:
        entities["media"] = [_media_link(t)]
    return entities


def _media_link(t: site.Tweet) -> dict[str, Any]:
    code = t.media_tco or ""
    return {
        "display_url": f"pic.twitter.com/{code}",
        "expanded_url": f"{t.status_url}/{t.media_kind}/1",
        "indices": _span(t.text, f"https://t.co/{code}"),
        "url": f"https://t.co/{code}",
    }


def _sizes(w: int, h: int) -> dict[str, Any]:
    def fit(limit: int) -> dict[str, Any]:
        scale = min(1.0, limit / max(w, h))
        return {"h": round(h * scale), "w": round(w * scale), "resize": "fit"}

    return {"large": fit(2048), "medium": fit(1200), "small": fit(680), "thumb": {"h": 150, "w": 150, "resize": "crop"}}


def _media_details(t: site.Tweet) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = []
    for p in t.photos:
        details.append(
            {
                **_media_link(t),
                "ext_media_availability": {"status": "Available"},
                "media_url_https": p.media_url_https,
                "original_info": {"height": p.height, "width": p.width},
                "sizes": _sizes(p.width, p.height),
                "type": "photo",
            }
        )
    if t.video:
        v = t.video
        details.append(
            {
                **_media_link(t),
                "ext_media_availability": {"status": "Available"},
                "media_url_https": v.thumb_url,
                "original_info": {"height": v.height, "width": v.width},
                "sizes": _sizes(v.width, v.height),
                "type": "video",
                "video_info": {
                    "aspect_ratio": [16, 9],
                    "duration_millis": v.duration_ms,
                    "variants": [
                        {"content_type": x.content_type, "url": x.url}
                        | ({"bitrate": x.bitrate} if x.bitrate is not None else {})
                        for x in v.variants
                    ],
                },
            }
        )
    return details


def tweet_json(t: site.Tweet) -> dict[str, Any]:
    """The 200 body of tweet-result for a live post."""
    created_ms = int(datetime.fromisoformat(t.created_at).timestamp() * 1000)
    end = t.text.index(f"https://t.co/{t.media_tco}") - 1 if t.media_tco else len(t.text)
    data: dict[str, Any] = {
        "__typename": "Tweet",
        "lang": t.lang,
        "favorite_count": t.favorite_count,
        "possibly_sensitive": False,
        "created_at": t.created_at,
        "display_text_range": [0, end],
        "entities": _entities(t),
        "id_str": t.id,
        "text": t.text,
        "user": {
            "id_str": t.user.id_str,
            "name": t.user.name,
            "profile_image_url_https": t.user.avatar_url,
            "screen_name": t.user.screen_name,
            "verified": t.user.verified,
            "is_blue_verified": t.user.is_blue_verified,
            "profile_image_shape": "Circle",
        },
        "edit_control": {
            "edit_tweet_ids": [t.id],
            "editable_until_msecs": str(created_ms + 3_600_000),
            "is_edit_eligible": True,
            "edits_remaining": "5",
        },
        "mediaDetails": _media_details(t),
        "conversation_count": 3,
        "news_action_type": "conversation",
        "isEdited": False,
        "isStaleEdit": False,
    }
    if t.photos:
        data["photos"] = [
            {
                "backgroundColor": {"red": 204, "green": 214, "blue": 221},
                "cropCandidates": [{"x": 0, "y": 0, "w": p.width, "h": p.height}],
                "expandedUrl": f"{t.status_url}/photo/1",
                "url": p.media_url_https,
                "width": p.width,
                "height": p.height,
            }
            for p in t.photos
        ]
    if t.video:
        v = t.video
        data["video"] = {
            "aspectRatio": [16, 9],
            "contentType": "media_entity",
            "durationMs": v.duration_ms,
            "mediaAvailability": {"status": "available"},
            "poster": v.thumb_url,
            "variants": [{"type": x.content_type, "src": x.url} for x in v.variants],
            "videoId": {"type": "tweet", "id": t.id},
            "viewCount": 0,
        }
    return data


def oembed_json(t: site.Tweet) -> dict[str, Any]:
    """publish.twitter.com/oembed for a post that can be shown: no date or ID field, like the real one."""
    return {
        "url": t.status_url,
        "author_name": t.user.name,
        "author_url": f"https://twitter.com/{t.user.screen_name}",
        "html": pages.blockquote_html(t) + "\n",
        "width": 550,
        "height": None,
        "type": "rich",
        "cache_age": "3153600000",
        "provider_name": "Twitter",
        "provider_url": "https://twitter.com",
        "version": "1.0",
    }
