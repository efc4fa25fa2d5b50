"""Handlers for www.youtube.com, www.youtube-nocookie.com and i.ytimg.com."""

from __future__ import annotations

import json
import re

from . import media, pages, site
from .app import Handler, Request, Response, SiteState, not_found, redirect, text

_VIDEO_ID = re.compile(r"(?:/embed/|/shorts/|/live/|youtu\.be/|[?&]v=)([A-Za-z0-9_-]{11})")


def www(req: Request, state: SiteState) -> Response:
    if req.path.startswith("/embed/"):
        video = site.YOUTUBE_VIDEOS.get(req.path[len("/embed/") :])
        return text(200, pages.youtube_embed_html(video), gzip=True) if video else not_found()
    if req.path == "/watch":
        video = site.YOUTUBE_VIDEOS.get(req.query.get("v", ""))
        return text(200, pages.youtube_watch_html(video), gzip=True) if video else not_found()
    if req.path == "/oembed":
        m = _VIDEO_ID.search(req.query.get("url", ""))
        video = site.YOUTUBE_VIDEOS.get(m.group(1)) if m else None
        if video is None:
            return text(404, "Not Found", "text/html; charset=utf-8")
        data = {
            "title": video.title,
            "author_name": video.author_name,
            "author_url": f"https://www.youtube.com/{video.author_handle}",
            "type": "video",
            "height": 113,
            "width": 200,
            "version": "1.0",
            "provider_name": "YouTube",
            "provider_url": "https://www.youtube.com/",
            "thumbnail_height": 360,
            "thumbnail_width": 480,
            "thumbnail_url": f"https://i.ytimg.com/vi/{video.id}/hqdefault.jpg",
            "html": pages.youtube_iframe(video.id),
        }
        return text(200, json.dumps(data, ensure_ascii=False), "application/json", gzip=True)
    return not_found()


def bare(req: Request, state: SiteState) -> Response:
    return redirect(f"https://www.youtube.com{req.target}")


def nocookie(req: Request, state: SiteState) -> Response:
    if req.path.startswith("/embed/"):
        return www(req, state)
    return not_found()


def ytimg(req: Request, state: SiteState) -> Response:
    m = re.match(r"^/vi(?:_webp)?/([A-Za-z0-9_-]{11})/\w+\.(?:jpg|webp)$", req.path)
    if m and m.group(1) in site.YOUTUBE_VIDEOS:
        return Response(200, media.jpeg(f"yt-{m.group(1)}.jpg"), "image/jpeg")
    return not_found()


HANDLERS: dict[str, Handler] = {
    "www.youtube.com": www,
    "youtube.com": bare,
    "m.youtube.com": bare,
    "www.youtube-nocookie.com": nocookie,
    "youtube-nocookie.com": nocookie,
    "i.ytimg.com": ytimg,
}
