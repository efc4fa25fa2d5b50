"""Bluesky on the fake web: the public AppView, bsky.app, embed.bsky.app and cdn.bsky.app.

`FakeWeb(dir, handlers=bluesky.HANDLERS)`. Answers are shaped as the AT Protocol lexicons and the
AppView's code give them (docs/platforms.md cites each): errors are HTTP 400 with
`{"error": NAME, "message": TEXT}`. The accounts: `rivertondesk.bsky.social` (one live post with a
photo, one deleted post), `quietharbour.bsky.social` (labelled `!no-unauthenticated`), and
`takendown.bsky.social` (taken down: getProfile answers AccountTakedown).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fakerender import png

from . import wayback
from .app import Handler, Request, Response, SiteState, not_found, text

API = "public.api.bsky.app"
PHOTO_FULL = png(1000, 750, 40)  # what `fullsize` points at
PHOTO_THUMB = png(100, 75, 40)  # what `thumb` points at


@dataclass(frozen=True)
class Account:
    did: str
    handle: str
    name: str
    labels: tuple[str, ...] = ()
    takendown: bool = False


@dataclass(frozen=True)
class Post:
    rkey: str
    account: Account
    text: str
    created_at: str
    photos: tuple[str, ...] = ()  # CIDs of images
    links: tuple[str, ...] = field(default_factory=tuple)


DESK = Account("did:plc:rivertondesk4x2q7n5m3k1j", "rivertondesk.bsky.social", "Riverton News Desk")
QUIET = Account("did:plc:quietharbour8w6e4r2t0y9u", "quietharbour.bsky.social", "Quiet Harbour",
                labels=("!no-unauthenticated",))
GONE = Account("did:plc:takendown5z3x1c9v7b5n3m", "takendown.bsky.social", "Taken Down", takendown=True)
ACCOUNTS = {a.did: a for a in (DESK, QUIET, GONE)}

LIVE = Post("3kmlive2riv1a", DESK, "Levee crews are working through the night at Ashford Road. Updates: https://news.example/live",
            "2024-03-04T10:15:00.000Z", photos=("bafkreilevee0photo0full0size",), links=("https://news.example/live",))
NOT_PUBLIC = Post("3kmquiet0hb2c", QUIET, "Our street is dry for now, thanks to the volunteers.", "2024-03-04T11:30:00.000Z")
POSTS = {(p.account.did, p.rkey): p for p in (LIVE, NOT_PUBLIC)}
# Posts that answer NotFound: deleted by DESK, and one of the taken-down account.
DELETED_RKEY = "3kmgone1riv9z"
TAKENDOWN_RKEY = "3kmtakendown1"


def _json(status: int, body: Any) -> Response:
    return text(status, json.dumps(body, ensure_ascii=False), "application/json; charset=utf-8")


def _error(name: str, message: str) -> Response:
    return _json(400, {"error": name, "message": message})


def photo_url(did: str, cid: str, kind: str) -> str:
    return f"https://cdn.bsky.app/img/{kind}/plain/{did}/{cid}@png"


def _author(account: Account) -> dict[str, Any]:
    return {"did": account.did, "handle": account.handle, "displayName": account.name, "avatar": None,
            "labels": [{"src": account.did, "uri": f"at://{account.did}/app.bsky.actor.profile/self",
                        "val": v, "cts": "2024-01-01T00:00:00.000Z"} for v in account.labels],
            "createdAt": "2023-05-01T00:00:00.000Z"}


def post_view(post: Post) -> dict[str, Any]:
    """A `app.bsky.feed.defs#postView`."""
    uri = f"at://{post.account.did}/app.bsky.feed.post/{post.rkey}"
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": post.text, "createdAt": post.created_at,
                              "langs": ["en"]}
    view: dict[str, Any] = {"uri": uri, "cid": f"bafyrei{post.rkey}", "author": _author(post.account),
                            "record": record, "replyCount": 0, "repostCount": 2, "likeCount": 5, "quoteCount": 0,
                            "indexedAt": post.created_at, "labels": []}
    if post.links:
        start = post.text.encode().index(post.links[0].encode())
        record["facets"] = [{"index": {"byteStart": start, "byteEnd": start + len(post.links[0].encode())},
                             "features": [{"$type": "app.bsky.richtext.facet#link", "uri": post.links[0]}]}]
    if post.photos:
        record["embed"] = {"$type": "app.bsky.embed.images", "images": [
            {"alt": "Crews at the levee", "image": {"$type": "blob", "ref": {"$link": cid}, "mimeType": "image/png",
                                                     "size": len(PHOTO_FULL)}} for cid in post.photos]}
        view["embed"] = {"$type": "app.bsky.embed.images#view", "images": [
            {"thumb": photo_url(post.account.did, cid, "feed_thumbnail"),
             "fullsize": photo_url(post.account.did, cid, "feed_fullsize"), "alt": "Crews at the levee",
             "aspectRatio": {"width": 1000, "height": 750}} for cid in post.photos]}
    return view


def api(req: Request, state: SiteState) -> Response:
    q = req.query
    if req.path == "/xrpc/com.atproto.identity.resolveHandle":
        found = next((a for a in ACCOUNTS.values() if a.handle == q.get("handle", "").lower()), None)
        return _json(200, {"did": found.did}) if found else _error("InvalidRequest", "Unable to resolve handle")
    if req.path == "/xrpc/app.bsky.actor.getProfile":
        account = ACCOUNTS.get(q.get("actor", ""))
        if account is None:
            return _error("InvalidRequest", "Profile not found")
        if account.takendown:
            return _error("AccountTakedown", "Account has been taken down")
        return _json(200, {**_author(account), "followersCount": 12, "followsCount": 3, "postsCount": 40})
    if req.path == "/xrpc/app.bsky.feed.getPostThread":
        m = re.fullmatch(r"at://([^/]+)/app\.bsky\.feed\.post/([^/]+)", unquote(q.get("uri", "")))
        post = POSTS.get((m.group(1), m.group(2))) if m else None
        if post is None:
            return _error("NotFound", f"Post not found: {q.get('uri', '')}")
        return _json(200, {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": post_view(post),
                                      "replies": []}})
    return not_found()


def cdn(req: Request, state: SiteState) -> Response:
    m = re.fullmatch(r"/img/(feed_fullsize|feed_thumbnail)/plain/([^/]+)/([a-z0-9]+)@png", req.path)
    if m and any(m.group(3) in p.photos and p.account.did == m.group(2) for p in POSTS.values()):
        return Response(200, PHOTO_FULL if m.group(1) == "feed_fullsize" else PHOTO_THUMB, "image/png")
    return not_found()


def embed(req: Request, state: SiteState) -> Response:
    """embed.bsky.app/embed/DID/app.bsky.feed.post/RKEY: the post as a card (thumbnails, like the real one).
    /static/embed.js, which embed snippets load, is a stand-in that leaves the snippet as it is (the
    real script replaces it by an iframe of the card)."""
    if req.path == "/static/embed.js":
        return text(200, "/* stand-in for Bluesky's embed script */\n", "text/javascript; charset=utf-8")
    m = re.fullmatch(r"/embed/([^/]+)/app\.bsky\.feed\.post/([^/]+)", req.path)
    post = POSTS.get((m.group(1), m.group(2))) if m else None
    if post is None or post.account.labels:
        return text(404, "<!doctype html><title>Bluesky</title><p>Post not found, it may have been deleted.</p>")
    imgs = "".join(f'<img src="{photo_url(post.account.did, c, "feed_thumbnail")}" width=100 height=75>'
                   for c in post.photos)
    return text(200, f"<!doctype html><title>Bluesky</title><article><b>{post.account.name}</b> "
                     f"@{post.account.handle}<p>{post.text}</p>{imgs}<time>{post.created_at}</time></article>")


# The Wayback Machine's copies of bsky.app post pages (the DID form, as embed snippets link them):
# the deleted post's copy shows it in its OpenGraph tags, as bsky.app serves them to crawlers; the
# not-public post's copy is the page a signed-out reader got, which shows no post.
WAYBACK_TS = "20240304120000"
ARCHIVED: dict[str, str] = {
    f"https://bsky.app/profile/{DESK.did}/post/{DELETED_RKEY}": (
        '<!doctype html><html><head><meta property="og:title" content="Riverton News Desk (@rivertondesk.bsky.social)">'
        '<meta property="og:description" content="Levee at Ashford Road is holding, no need to leave tonight.">'
        '<meta property="article:published_time" content="2024-03-03T21:00:00.000Z">'
        "<title>Riverton News Desk on Bluesky</title></head><body><noscript>JavaScript Required</noscript></body></html>"),
    f"https://bsky.app/profile/{QUIET.did}/post/{NOT_PUBLIC.rkey}": (
        '<!doctype html><html><head><meta property="og:title" content="Bluesky"><title>Bluesky</title></head>'
        "<body><p>This author has chosen to make their posts visible only to people who are signed in.</p></body></html>"),
}


def wayback_over(builtin: Handler) -> Handler:
    """archive.org / web.archive.org: the copies above, everything else as the built-in fake answers."""

    def handle(req: Request, state: SiteState) -> Response:
        url = req.query.get("url", "")
        if req.path == "/wayback/available" and url in ARCHIVED:
            closest = {"status": "200", "available": True, "url": f"http://web.archive.org/web/{WAYBACK_TS}/{url}",
                       "timestamp": WAYBACK_TS}
            return _json(200, {"url": url, "archived_snapshots": {"closest": closest}})
        m = re.fullmatch(r"/web/(\d{14})(id_)?/(.+)", req.target)
        if m and m.group(3) in ARCHIVED:
            return text(200, ARCHIVED[m.group(3)])
        return builtin(req, state)

    return handle


HANDLERS: dict[str, Handler] = {API: api, "cdn.bsky.app": cdn, "embed.bsky.app": embed,
                                "archive.org": wayback_over(wayback.HANDLERS["archive.org"]),
                                "web.archive.org": wayback_over(wayback.HANDLERS["web.archive.org"])}
