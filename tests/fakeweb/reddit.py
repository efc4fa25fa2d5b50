"""Reddit on the fake web: `.json` listings, post pages, preview.redd.it photos.

`FakeWeb(dir, handlers=reddit.HANDLERS)`. A listing is `[post listing, comments listing]` of
`Listing`/`t3` things with the fields the capture reads (docs/platforms.md cites the sources):
r/riverton holds a live post with a photo (its preview `source` URL HTML-escaped, as Reddit writes
it), one its author deleted and one a moderator removed; r/rivertoncouncil is private (403 with
`"reason": "private"`).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from tests.fakerender import png

from .app import Handler, Request, Response, SiteState, not_found, redirect, text

PHOTO_SOURCE = png(1600, 1200, 110)  # the preview's `source`
PHOTO_SMALL = png(320, 240, 110)  # one of its `resolutions`
SOURCE_URL = "https://preview.redd.it/levee0night1.png?width=1600&format=png&auto=webp&s=5f1e0c0a9b"
SMALL_URL = "https://preview.redd.it/levee0night1.png?width=320&crop=smart&auto=webp&s=0a9b5f1e0c"

LIVE_ID, DELETED_ID, REMOVED_ID, PRIVATE_ID = "1b6riv1", "1b6del2", "1b6rem3", "1b6prv4"
SUB, PRIVATE_SUB = "riverton", "rivertoncouncil"


def _thing(pid: str, **fields: Any) -> dict[str, Any]:
    base = {"id": pid, "name": f"t3_{pid}", "subreddit": SUB, "subreddit_name_prefixed": f"r/{SUB}",
            "permalink": f"/r/{SUB}/comments/{pid}/{fields.get('slug', 'post')}/", "over_18": False,
            "removed_by_category": None, "is_self": True, "url": f"https://www.reddit.com/r/{SUB}/comments/{pid}/"}
    base.update({k: v for k, v in fields.items() if k != "slug"})
    return base


POSTS: dict[str, dict[str, Any]] = {
    LIVE_ID: _thing(LIVE_ID, slug="levee_at_night", title="Levee at night, from the Ashford Road bridge",
                    selftext="Crews were still out at 2am. Stay off the embankment.", author="flood_watcher",
                    created_utc=1709551800.0, is_self=False, post_hint="image",
                    url_overridden_by_dest="https://i.redd.it/levee0night1.png", url="https://i.redd.it/levee0night1.png",
                    preview={"images": [{"id": "levee0night1",
                                         "source": {"url": html.escape(SOURCE_URL), "width": 1600, "height": 1200},
                                         "resolutions": [{"url": html.escape(SMALL_URL), "width": 320, "height": 240}]}],
                             "enabled": True}),
    DELETED_ID: _thing(DELETED_ID, slug="sandbags", title="Where to get sandbags today?", selftext="[deleted]",
                       author="[deleted]", created_utc=1709555400.0, removed_by_category="deleted"),
    REMOVED_ID: _thing(REMOVED_ID, slug="levee_rumour", title="The levee is going to fail tonight",
                       selftext="[removed]", author="rumour_mill", created_utc=1709559000.0,
                       removed_by_category="moderator"),
}


def _listing(post: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"kind": "Listing", "data": {"after": None, "dist": 1, "children": [{"kind": "t3", "data": post}],
                                         "before": None}},
            {"kind": "Listing", "data": {"after": None, "dist": None, "children": [], "before": None}}]


def _json(status: int, body: Any) -> Response:
    return text(status, json.dumps(body, ensure_ascii=False), "application/json; charset=UTF-8")


# The app's share links (path) and the post each leads to; None: to the community's front page.
SHARES: dict[str, str | None] = {f"/r/{SUB}/s/Rv8share1": LIVE_ID, f"/r/{SUB}/s/Rv8gone00": None}


def www(req: Request, state: SiteState) -> Response:
    if req.path.rstrip("/") in SHARES:
        pid = SHARES[req.path.rstrip("/")]
        if pid is None:
            return redirect(f"https://www.reddit.com/r/{SUB}/")
        return redirect(f"https://www.reddit.com{POSTS[pid]['permalink']}?share_id=Xy12&utm_medium=android_app")
    m = re.fullmatch(r"(?:/r/([A-Za-z0-9_]+))?/comments/([a-z0-9]+)(?:/(?!\.json$)[^/]*)?/?(\.json)?", req.path)
    if m is None:
        return not_found()
    pid, as_json = m.group(2), bool(m.group(3))
    if pid == PRIVATE_ID:
        if as_json:
            return _json(403, {"reason": "private", "message": "Forbidden", "error": 403})
        return text(403, f"<!doctype html><title>r/{PRIVATE_SUB}</title><p>r/{PRIVATE_SUB} is a private community</p>")
    post = POSTS.get(pid)
    if post is None:
        return _json(404, {"message": "Not Found", "error": 404}) if as_json else not_found()
    if as_json:
        return _json(200, _listing(post))
    body = html.escape(post["selftext"])
    img = f'<img src="{html.escape(SMALL_URL)}" width=320 height=240>' if pid == LIVE_ID else ""
    return text(200, f"<!doctype html><title>{html.escape(post['title'])}</title><shreddit-post>"
                     f"<h1>{html.escape(post['title'])}</h1><p>u/{html.escape(post['author'])}</p><p>{body}</p>{img}"
                     "</shreddit-post>")


def bare(req: Request, state: SiteState) -> Response:
    return redirect(f"https://www.reddit.com{req.target}")


def preview(req: Request, state: SiteState) -> Response:
    # Only the exact (unescaped) query is served: "&amp;" in a URL would ask for another file.
    if f"https://{req.host}{req.target}" == SOURCE_URL:
        return Response(200, PHOTO_SOURCE, "image/png")
    if f"https://{req.host}{req.target}" == SMALL_URL:
        return Response(200, PHOTO_SMALL, "image/png")
    return text(403, "Forbidden", "text/plain")


HANDLERS: dict[str, Handler] = {"www.reddit.com": www, "reddit.com": bare, "preview.redd.it": preview}
