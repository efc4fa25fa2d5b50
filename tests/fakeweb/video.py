"""YouTube, Vimeo and TikTok videos in several states: `FakeWeb(dir, handlers=video.HANDLERS)`.

Each platform serves its oEmbed endpoint, the page whose words speak for a video (YouTube's watch
page with `ytInitialPlayerResponse`, Vimeo's player with `window.playerConfig`, TikTok's embed
player) and the pictures, as PNGs whose pixel size is in their path (`/WxH/`). The answers follow
the sources docs/platforms.md cites for each platform; videos the demo site knows (site.py) are
left to youtube.py. Wayback copies of these videos are served by `archived.py`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape

from . import youtube
from .app import Handler, Request, Response, SiteState, not_found, redirect, text
from .images import image_response


@dataclass(frozen=True)
class Video:
    """One video: `state` is live | deleted | removed | private | age | botwall."""

    id: str
    state: str
    title: str = ""
    author: str = ""
    handle: str = ""
    description: str = ""
    published: str = ""
    said: tuple[str, str] = ("", "")  # the page's (reason, subreason) when it will not play
    oembed: int = 200
    extra: dict[str, str] = field(default_factory=dict)
    secret: str = ""  # an unlisted Vimeo video's privacy hash: without it, oEmbed and the player know no video


YT = {v.id: v for v in (
    Video("yLiveVid001", "live", "Harbour wall repairs, day one", "Harbour Channel", "harbourchannel",
          "Crews start on the east wall.", "2024-05-06T08:00:00-07:00"),
    Video("yDeleted001", "deleted", said=("Video unavailable", "This video has been removed by the uploader"),
          oembed=404),
    Video("yRemoved001", "removed", said=("Video unavailable",
          "This video has been removed for violating YouTube's Community Guidelines"), oembed=404),
    Video("yPrivate001", "private", said=("This video is private", ""), oembed=401),
    Video("yAgeGate001", "age", "Storm surge footage (graphic)", "Harbour Channel", "harbourchannel",
          said=("Sign in to confirm your age", "This video may be inappropriate for some users.")),
    Video("yBotWall001", "botwall", "Harbour council meeting", "Harbour Channel", "harbourchannel",
          said=("Sign in to confirm you’re not a bot", "This helps protect our community.")),
)}
# The thumbnails a watch page lists; the largest is the video's full-size picture.
YT_THUMBS = (("default", 120, 90), ("hqdefault", 480, 360), ("maxresdefault", 1280, 720))

VIMEO = {v.id: v for v in (
    Video("100000001", "live", "Tide tables explained", "Harbour Films", published="2024-02-03 10:20:30"),
    Video("100000002", "deleted", said=("Sorry, this video does not exist.", ""), oembed=404),
    Video("100000003", "private", said=("Because of its privacy settings, this video cannot be played here.", ""),
          oembed=403),
    Video("100000004", "live", "Dredging the inner harbour (unlisted)", "Harbour Films",
          published="2024-02-05 09:00:00", secret="8272103f6e"),
)}
VIMEO_THUMBS = ((295, 166), (640, 360), (1280, 720))

TIKTOK = {v.id: v for v in (
    Video("7350000000000000001", "live", "Waves over the pier #storm", "Harbour Cam", "harbourcam"),
    Video("7350000000000000002", "removed",
          said=("This video has been removed for violating our Community Guidelines.", ""), oembed=400),
    Video("7350000000000000003", "private", said=("This video is private", ""), oembed=400),
    Video("7350000000000000004", "live", "The pier at dawn, shared from the app", "Harbour Cam", "harbourcam"),
)}
TIKTOK_THUMB = (720, 1280)
# The app's share links (host + path) and the video each leads to; None: to TikTok's front page
# (a link the app no longer resolves to a video).
TIKTOK_SHARES: dict[str, str | None] = {
    "vm.tiktok.com/ZMshare01/": "7350000000000000004",
    "www.tiktok.com/t/ZTshare02/": "7350000000000000004",
    "vt.tiktok.com/ZSnovideo/": None,
}


def yt_thumb(vid: str, name: str) -> str:
    size = {n: (w, h) for n, w, h in YT_THUMBS}[name]
    return f"https://i.ytimg.com/vi/{vid}/{size[0]}x{size[1]}/{name}.jpg"


def _json(data: object, status: int = 200) -> Response:
    return text(status, json.dumps(data, ensure_ascii=False), "application/json")


def _page(title: str, body: str, status: int = 200) -> Response:
    return text(status, f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
                        f"<body>{body}</body></html>\n")


# --- YouTube -------------------------------------------------------------------------------------


def player_response(v: Video) -> dict[str, object]:
    """`ytInitialPlayerResponse` as the watch page carries it (the fields the archiver reads)."""
    if v.said[0]:
        status = "LOGIN_REQUIRED" if v.state in ("private", "age", "botwall") else "ERROR"
        screen = {"reason": {"simpleText": v.said[0]}}
        if v.said[1]:
            screen["subreason"] = {"runs": [{"text": v.said[1]}]}
        playability: dict[str, object] = {"status": status, "reason": v.said[0],
                                          "errorScreen": {"playerErrorMessageRenderer": screen}}
    else:
        playability = {"status": "OK", "playableInEmbed": True}
    out: dict[str, object] = {"responseContext": {}, "playabilityStatus": playability}
    if v.title:
        out["videoDetails"] = {
            "videoId": v.id, "title": v.title, "author": v.author, "shortDescription": v.description,
            "thumbnail": {"thumbnails": [{"url": yt_thumb(v.id, n), "width": w, "height": h} for n, w, h in YT_THUMBS]}}
        out["microformat"] = {"playerMicroformatRenderer": {
            "publishDate": v.published, "uploadDate": v.published,
            "ownerProfileUrl": f"http://www.youtube.com/@{v.handle}"}}
    return out


def watch_html(v: Video, player: dict[str, object] | None = None) -> str:
    data = json.dumps(player or player_response(v), ensure_ascii=False)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(v.title or "YouTube")} - YouTube</title>'
            f'</head><body><div id="player"></div><script>var ytInitialPlayerResponse = {data};'
            "var meta = document.createElement('meta');</script></body></html>\n")


def _yt_embed(v: Video) -> str:
    if v.said[0]:
        body = f'<div id="player" class="error"><div class="reason">{escape(v.said[0])}</div></div>'
    else:
        body = (f'<div id="player"><img alt="" src="{yt_thumb(v.id, "hqdefault")}" width=480 height=360>'
                f"<a href=\"https://www.youtube.com/watch?v={v.id}\">{escape(v.title)}</a></div>")
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>YouTube</title></head><body>{body}</body></html>\n'


_YT_ID = re.compile(r"(?:/embed/|[?&]v=|youtu\.be/)([A-Za-z0-9_-]{11})")


def www_youtube(req: Request, state: SiteState) -> Response:
    vid = ""
    if req.path.startswith("/embed/"):
        vid = req.path[len("/embed/"):]
    elif req.path == "/watch":
        vid = req.query.get("v", "")
    elif req.path == "/oembed":
        m = _YT_ID.search(req.query.get("url", ""))
        vid = m.group(1) if m else ""
    v = YT.get(vid)
    if v is None:
        return youtube.www(req, state)
    if req.path == "/oembed":
        if v.oembed == 401:
            return text(401, "Unauthorized", "text/html; charset=utf-8")
        if v.oembed != 200:
            return text(v.oembed, "Not Found", "text/html; charset=utf-8")
        return _json({"title": v.title, "author_name": v.author, "author_url": f"https://www.youtube.com/@{v.handle}",
                      "type": "video", "version": "1.0", "provider_name": "YouTube",
                      "thumbnail_url": yt_thumb(v.id, "hqdefault"), "thumbnail_width": 480, "thumbnail_height": 360,
                      "html": f'<iframe src="https://www.youtube.com/embed/{v.id}?feature=oembed"></iframe>'})
    if req.path == "/watch":
        return text(200, watch_html(v))
    return text(200, _yt_embed(v))


def ytimg(req: Request, state: SiteState) -> Response:
    m = re.match(r"^/vi/([A-Za-z0-9_-]{11})/\d+x\d+/", req.path)
    if m and m.group(1) in YT:
        return image_response(req)
    return youtube.ytimg(req, state)


# --- Vimeo ---------------------------------------------------------------------------------------


def vimeo_thumb(vid: str, w: int, h: int) -> str:
    return f"https://i.vimeocdn.com/video/{vid}/{w}x{h}/thumb.jpg"


def vimeo_api(req: Request, state: SiteState) -> Response:
    if req.path != "/api/oembed.json":
        return not_found()
    m = re.search(r"vimeo\.com/(?:video/)?(\d+)(?:/([0-9a-f]+)|\?h=([0-9a-f]+))?", req.query.get("url", ""))
    v = VIMEO.get(m.group(1)) if m else None
    if v is not None and m is not None and v.secret and v.secret not in (m.group(2), m.group(3)):
        return text(404, "Not Found")  # an unlisted video is answered for only with its hash
    if v is None or v.oembed == 404:
        return _json({"error": "not found"}, 404) if v else text(404, "Not Found")
    if v.oembed == 403:
        return _json({"domain_status_code": 403, "video_id": int(v.id)}, 403)
    w, h = VIMEO_THUMBS[0]
    return _json({"type": "video", "version": "1.0", "provider_name": "Vimeo", "title": v.title,
                  "author_name": v.author, "author_url": "https://vimeo.com/harbourfilms", "upload_date": v.published,
                  "thumbnail_url": vimeo_thumb(v.id, w, h), "thumbnail_width": w, "thumbnail_height": h,
                  "video_id": int(v.id), "html": f'<iframe src="https://player.vimeo.com/video/{v.id}"></iframe>'})


def vimeo_player(req: Request, state: SiteState) -> Response:
    m = re.fullmatch(r"/video/(\d+)", req.path)
    v = VIMEO.get(m.group(1)) if m else None
    if v is None:
        return not_found()
    if v.secret and req.query.get("h") != v.secret:
        return _page("Sorry", '<main><div class="exception-message"><p>Sorry, this video does not exist.</p></div></main>',
                     404)
    if v.said[0]:
        status = 403 if v.state == "private" else 404
        return _page("Sorry", f'<main><div class="exception-message"><p>{escape(v.said[0])}</p></div></main>', status)
    config = {"video": {"id": int(v.id), "title": v.title, "owner": {"name": v.author},
                        "thumbs": {str(w): vimeo_thumb(v.id, w, h) for w, h in VIMEO_THUMBS}}}
    return text(200, f'<!DOCTYPE html><html><head><title>{escape(v.title)}</title></head><body>'
                     f'<div id="player"><img src="{vimeo_thumb(v.id, 640, 360)}" width=640 height=360></div>'
                     f"<script>window.playerConfig = {json.dumps(config)};</script></body></html>\n")


# --- TikTok --------------------------------------------------------------------------------------


def tiktok_thumb(vid: str) -> str:
    w, h = TIKTOK_THUMB
    return f"https://p16-sign.tiktokcdn-us.com/obj/{vid}/{w}x{h}/cover.jpeg"


def tiktok_share(req: Request, state: SiteState) -> Response:
    """A share link: a 301 to the video's address with the app's tracking query, as the app's links
    are seen to answer (unknown codes: 404). State ("share", "host/path/") -> a video ID adds or
    changes one, "" answers a 301 without a Location, "location:X" a 301 to X as it is."""
    key = f"{req.host}{req.path if req.path.endswith('/') else req.path + '/'}"
    vid = state.get(("share", key), TIKTOK_SHARES.get(key, "?"))
    if vid == "?":
        return not_found()
    if vid is None:
        return redirect("https://www.tiktok.com/")
    if vid == "":
        return Response(301, b"", None)
    if vid.startswith("location:"):
        return redirect(vid.removeprefix("location:"))
    return redirect(f"https://www.tiktok.com/@{TIKTOK[vid].handle}/video/{vid}?_r=1&_t=ZM-share")


def www_tiktok(req: Request, state: SiteState) -> Response:
    if req.path.startswith("/t/"):
        return tiktok_share(req, state)
    if req.path == "/oembed":
        m = re.search(r"/video/(\d+)", req.query.get("url", ""))
        v = TIKTOK.get(m.group(1)) if m else None
        if v is None or v.oembed != 200:
            return _json({"code": 400, "message": "Something went wrong", "status_msg": "Something went wrong"}, 400)
        w, h = TIKTOK_THUMB
        return _json({"version": "1.0", "type": "video", "title": v.title, "author_url": f"https://www.tiktok.com/@{v.handle}",
                      "author_name": v.author, "author_unique_id": v.handle, "provider_name": "TikTok",
                      "thumbnail_url": tiktok_thumb(v.id), "thumbnail_width": w, "thumbnail_height": h,
                      "html": f'<blockquote class="tiktok-embed" data-video-id="{v.id}"></blockquote>'})
    m = re.fullmatch(r"/embed/v2/(\d+)", req.path)
    v = TIKTOK.get(m.group(1)) if m else None
    if v is None:
        return not_found()
    if v.said[0]:
        return _page("TikTok", f'<div id="main"><p class="error-message">{escape(v.said[0])}</p></div>')
    return _page("TikTok", f'<div id="main"><img src="{tiktok_thumb(v.id)}" width=360 height=640>'
                           f"<p>{escape(v.title)}</p><a href=\"https://www.tiktok.com/@{v.handle}\">@{v.handle}</a></div>")


HANDLERS: dict[str, Handler] = {
    "www.youtube.com": www_youtube,
    "i.ytimg.com": ytimg,
    "vimeo.com": vimeo_api,
    "player.vimeo.com": vimeo_player,
    "i.vimeocdn.com": lambda req, state: image_response(req),
    "www.tiktok.com": www_tiktok,
    "vm.tiktok.com": tiktok_share,
    "vt.tiktok.com": tiktok_share,
    "p16-sign.tiktokcdn-us.com": lambda req, state: image_response(req),
}
