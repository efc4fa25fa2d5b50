"""Wayback copies of the video and embed-page platforms' posts: availability, CDX and snapshots.

`HANDLERS` answers for these posts' URLs and hands every other URL to wayback.py (tweets), so a
FakeWeb serving `{**video.HANDLERS, **embedpages.HANDLERS, **archived.HANDLERS}` keeps both. The
availability API answers in http:// URLs, as the real one does.
"""

from __future__ import annotations

import json
import re

from . import embedpages, video, wayback
from .app import Handler, Request, Response, SiteState, redirect, text

STAMP = "20240301120000"
_deleted_video = video.Video("yDeleted001", "live", "Harbour wall, before the works", "Harbour Channel", "harbourchannel",
                             "The wall as it stood in February.", "2024-02-20T09:00:00Z")
# original URL -> the page the archive holds for it
COPIES: dict[str, str] = {
    # A deleted video's watch page, saved while it played.
    "https://www.youtube.com/watch?v=yDeleted001": video.watch_html(_deleted_video),
    # A deleted Instagram post's embed page (its second form: the post URL itself was never saved).
    "https://www.instagram.com/p/CGoneIG0001/embed/captioned/": embedpages.instagram_embed_html(embedpages.IG_ARCHIVED),
    # A Telegram post saved only after it was gone: the copy shows Telegram's "Post not found".
    "https://t.me/harbournews/102": embedpages.telegram_error_html("Post not found"),
}
_WEB = re.compile(r"^/web/(\d{14})(id_)?/(.+)$", re.S)


def _json(data: object) -> Response:
    return text(200, json.dumps(data), "application/json")


def availability(req: Request, state: SiteState) -> Response:
    url = req.query.get("url", "")
    if req.path != "/wayback/available" or url not in COPIES:
        return wayback.availability(req, state)
    closest = {"status": "200", "available": True, "url": f"http://web.archive.org/web/{STAMP}/{url}", "timestamp": STAMP}
    return _json({"url": url, "archived_snapshots": {"closest": closest}})


def web(req: Request, state: SiteState) -> Response:
    if req.path == "/cdx/search/cdx":
        url = req.query.get("url", "")
        if url not in COPIES:
            return wayback.web(req, state)
        header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
        return _json([header, ["x", STAMP, url, "text/html", "200", "X", str(len(COPIES[url]))]])
    m = _WEB.match(req.target)
    if m is None or m.group(3) not in COPIES:
        return wayback.web(req, state)
    if m.group(1) != STAMP:
        return redirect(f"https://web.archive.org/web/{STAMP}{m.group(2) or ''}/{m.group(3)}", 302)
    return text(200, COPIES[m.group(3)], headers=[("memento-datetime", "Fri, 01 Mar 2024 12:00:00 GMT")])


HANDLERS: dict[str, Handler] = {"archive.org": availability, "www.archive.org": availability, "web.archive.org": web}
