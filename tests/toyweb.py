"""The toy platform's hosts on the fake web: `FakeWeb(dir, handlers=toyweb.HANDLERS)`.

Post 101 is live (with one photo), 202 deleted, 303 protected; every other ID is unknown (404).
The embed page of a live post shows it in `<article class="pebble-card">`; a gone post's says so.
"""

from __future__ import annotations

import json
import re

from tests.fakerender import png
from tests.fakeweb.app import Handler, Request, Response, SiteState, not_found, text

POSTS = {
    "101": {"author": "Mayor Ada", "handle": "ada", "text": "We will rebuild the bridge.",
            "posted_at": "2024-03-04T10:00:00Z", "media": ["https://pebble.example/media/101.png"]},
}
DELETED = {"202"}
PROTECTED = {"303"}
PHOTO = png(4, 4, 99)


def api(request: Request, state: SiteState) -> Response:
    m = re.fullmatch(r"/v1/posts/(\d+)\.json", request.path)
    if m is None:
        return not_found()
    pid = m.group(1)
    if pid in POSTS:
        return text(200, json.dumps({"id": pid, **POSTS[pid]}), "application/json")
    if pid in PROTECTED:
        return text(403, json.dumps({"error": "protected"}), "application/json")
    return text(404, json.dumps({"error": "not found"}), "application/json")


def site(request: Request, state: SiteState) -> Response:
    if request.path == "/media/101.png":
        return Response(200, PHOTO, "image/png")
    m = re.fullmatch(r"/embed/(\d+)", request.path)
    if m is None:
        return not_found()
    post = POSTS.get(m.group(1))
    if post is None:
        return text(404, "<!doctype html><title>Pebble</title><p>This pebble is not available.</p>")
    return text(200, f"<!doctype html><title>Pebble</title><article class=\"pebble-card\"><b>{post['author']}</b>"
                     f"<p>{post['text']}</p><img src=\"{post['media'][0]}\" width=4 height=4></article>")


HANDLERS: dict[str, Handler] = {"api.pebble.example": api, "pebble.example": site}
