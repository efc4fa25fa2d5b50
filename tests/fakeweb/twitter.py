"""Handlers for the Twitter/X family of hosts (docs/platforms.md, "Twitter / X in detail").

- twitter.com (and www./mobile./m.): 301 to the same path on x.com.
- x.com: a login wall (200) for every page, whatever the post's state.
- t.co/CODE: 301 for non-browser user agents; 200 meta-refresh page for browsers ("Mozilla").
- pic.twitter.com/CODE, pic.x.com/CODE: 301 to https://t.co/CODE (so two hops to the status URL).
- platform.twitter.com (and platform.x.com): widgets.js and embed/Tweet.html.
- cdn.syndication.twimg.com/tweet-result: `{}` without the right token; else by state.
- publish.twitter.com/oembed: 200 live/withheld, 403 protected, 404 deleted/suspended/unknown.
- pbs.twimg.com, video.twimg.com: media bytes.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from typing import Any

from . import media, pages, site, syndication, widget
from .app import Handler, Request, Response, SiteState, not_found, redirect, text

STATUS_ID = re.compile(r"/status(?:es)?/(\d+)")


def _json(status: int, data: Any, **kw: Any) -> Response:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON writes as its escape, "\ud800", as browsers' JSON does
        body = json.dumps(data, separators=(",", ":")).encode("ascii")
    return Response(status, body, "application/json; charset=utf-8", **kw)


def twitter_com(req: Request, state: SiteState) -> Response:
    return redirect(f"https://x.com{req.target}")


def x_www(req: Request, state: SiteState) -> Response:
    return redirect(f"https://x.com{req.target}")


def x_com(req: Request, state: SiteState) -> Response:
    # Never reveals whether the post exists: a login wall is not evidence of deletion.
    return text(200, pages.login_wall_html(), headers=[("cache-control", "no-cache, no-store, max-age=0")], gzip=True)


def t_co(req: Request, state: SiteState) -> Response:
    code = req.path.strip("/")
    target = state.get(("short", code)) or site.SHORT_LINKS.get(code)
    if target is None:
        return not_found()
    headers = [("cache-control", "private,max-age=300"), ("referrer-policy", "unsafe-url")]
    if req.is_browser:
        return text(200, pages.tco_html(target), headers=headers)
    return Response(301, b"", None, headers + [("location", target)])


def pic_twitter(req: Request, state: SiteState) -> Response:
    code = req.path.strip("/")
    if code not in site.SHORT_LINKS:
        return not_found()
    return redirect(f"https://t.co/{code}")


def platform(req: Request, state: SiteState) -> Response:
    cors = [("access-control-allow-origin", "*"), ("cache-control", "public, max-age=1800")]
    if req.path == "/widgets.js":
        return text(200, widget.WIDGETS_JS, "application/javascript; charset=utf-8", headers=cors, gzip=True)
    if req.path == "/embed/Tweet.html":
        said = state.get(("embed", req.query.get("id", "")))
        if said:  # the embed shows these words whatever the tweet's data says (a test's own state)
            return text(200, '<!doctype html><html><head><meta charset="utf-8"><title>Embedded post</title></head>'
                             f'<body><div data-testid="tombstone"><p>{html.escape(said)}</p></div></body></html>')
        return text(200, widget.TWEET_HTML, headers=[("cache-control", "public, max-age=600")], gzip=True)
    return not_found()


def syndication_api(req: Request, state: SiteState) -> Response:
    if req.path != "/tweet-result":
        return not_found()
    headers = [("access-control-allow-origin", "*"), ("cache-control", "public, max-age=60")]
    q = req.query
    tweet_id = q.get("id", "")
    expected = site.TOKENS.get(tweet_id)
    if expected is None or q.get("token") != expected:
        # A missing or wrong token gets an empty object, exactly like a post that is not found
        # in some cases: one reason an empty answer alone must not mean "deleted".
        return _json(200, {}, headers=headers, gzip=True)
    tweet = site.TWEETS.get(tweet_id)
    tweet_state = state.tweet_state(tweet_id)
    if tweet is None or tweet_state == site.DELETED:
        return Response(404, b"", "application/json; charset=utf-8", headers, gzip=True)
    if tweet_state == site.LIVE:
        edited = state.get(("text", tweet_id))  # the post's words as edited since
        if edited is not None:
            tweet = dataclasses.replace(tweet, text=edited)
        renamed = state.get(("screen_name", tweet_id))  # the author's handle, taken since
        if renamed is not None:
            tweet = dataclasses.replace(tweet, user=dataclasses.replace(tweet.user, screen_name=renamed))
        return _json(200, syndication.tweet_json(tweet), headers=headers, gzip=True)
    return _json(200, syndication.tombstone_json(tweet, str(tweet_state)), headers=headers, gzip=True)


def oembed(req: Request, state: SiteState) -> Response:
    if req.path != "/oembed":
        return not_found()
    url = req.query.get("url", "")
    m = STATUS_ID.search(url)
    if not m:
        return _json(400, {"error": "Invalid URL"}, chunked=True)
    tweet = site.TWEETS.get(m.group(1))
    tweet_state = state.tweet_state(m.group(1))
    if tweet is None or tweet_state in (site.DELETED, site.SUSPENDED):
        return Response(404, b"", None, chunked=True)
    if tweet_state == site.PROTECTED:
        return _json(403, {"error": "Sorry, you are not authorized to see this status."}, chunked=True)
    return _json(200, syndication.oembed_json(tweet), chunked=True)


_MEDIA = re.compile(r"^/media/([A-Za-z0-9_-]+)(?:\.(?:jpg|png|webp))?(:\w+)?$")
_AVATAR = re.compile(r"^(/profile_images/\d+/\w+?)_(?:normal|bigger|mini|400x400|200x200)\.jpg$")


def pbs(req: Request, state: SiteState) -> Response:
    headers = [("access-control-allow-origin", "*"), ("cache-control", "max-age=604800, must-revalidate")]
    m = _MEDIA.match(req.path)
    if m:
        # Original size: ?name=orig or the legacy ".jpg:orig" suffix, as pbs.twimg.com accepts both.
        orig = req.query.get("name") == "orig" or m.group(2) == ":orig"
        body = media.photo(m.group(1), orig)
        return Response(200, body, "image/jpeg", headers) if body else not_found()
    m = _AVATAR.match(req.path)
    if m:
        for user in site.USERS:
            if user.avatar_path == m.group(1):
                return Response(200, media.jpeg(f"avatar-{user.screen_name}.jpg"), "image/jpeg", headers)
        return not_found()
    for tweet in site.TWEETS.values():
        if tweet.video and req.path == tweet.video.thumb_path:
            return Response(200, media.jpeg(f"video-thumb-{tweet.video.id_str}.jpg"), "image/jpeg", headers)
    return not_found()


def video(req: Request, state: SiteState) -> Response:
    variant = media.video_variant(req.path)
    if variant is None:
        return not_found()
    headers = [("access-control-allow-origin", "*"), ("accept-ranges", "none")]
    if variant.bitrate is None:
        for tweet in site.TWEETS.values():
            if tweet.video and variant in tweet.video.variants:
                return text(200, media.m3u8(tweet.video), "application/x-mpegURL", headers=headers)
    return Response(200, media.mp4(variant.path, variant.size), "video/mp4", headers)


HANDLERS: dict[str, Handler] = {
    "twitter.com": twitter_com,
    "www.twitter.com": twitter_com,
    "mobile.twitter.com": twitter_com,
    "m.twitter.com": twitter_com,
    "x.com": x_com,
    "www.x.com": x_www,
    "mobile.x.com": x_www,
    "t.co": t_co,
    "pic.twitter.com": pic_twitter,
    "pic.x.com": pic_twitter,
    "platform.twitter.com": platform,
    "platform.x.com": platform,
    "cdn.syndication.twimg.com": syndication_api,
    "publish.twitter.com": oembed,
    "publish.x.com": oembed,
    "pbs.twimg.com": pbs,
    "video.twimg.com": video,
}
