"""Instagram, Facebook, Threads, LinkedIn and Telegram embed pages: `FakeWeb(dir, handlers=embedpages.HANDLERS)`.

Each platform has a live, a gone and a not-public post, served at the embed page the archiver reads
(Instagram `/p/CODE/embed/captioned/`, Facebook `plugins/post.php?href=`, Threads `…/embed`,
LinkedIn `embed/feed/update/urn:li:…`, Telegram `t.me/CHANNEL/ID?embed=1`) in the markup and words
docs/platforms.md cites. Pictures come in a small and a large candidate (`srcset`), their pixel
size in their path; the archiver must keep the large one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from .app import Handler, Request, Response, SiteState, not_found, redirect, text
from .images import image_response

SMALL, LARGE = (320, 400), (640, 800)


@dataclass(frozen=True)
class Post:
    """One post: `state` live | deleted | unavailable | private | login."""

    key: str
    state: str
    author: str = ""
    handle: str = ""
    text: str = ""
    posted_at: str = ""  # ISO UTC
    epoch: int = 0
    photo: str = ""  # CDN path prefix of its picture (the size is added)


def photo(host: str, prefix: str, size: tuple[int, int]) -> str:
    return f"https://{host}/{prefix}/{size[0]}x{size[1]}/photo.jpg"


def _page(title: str, body: str, status: int = 200, head: str = "") -> Response:
    return text(status, f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title>{head}</head>'
                        f"<body>{body}</body></html>\n")


# --- Instagram -----------------------------------------------------------------------------------

IG_CDN = "scontent.cdninstagram.com"
INSTAGRAM = {p.key: p for p in (
    Post("CLiveIG0001", "live", "Harbour Photos", "harbourphotos", "Low tide at the old pier.\nShot at dawn.",
         "2024-04-25T00:26:40Z", 1714004800, "ig/CLiveIG0001"),
    Post("CGoneIG0001", "deleted"),
    Post("CPrivIG0001", "private"),
)}
# What the archived copy of the deleted post showed before it went.
IG_ARCHIVED = Post("CGoneIG0001", "live", "Harbour Photos", "harbourphotos", "The pier before the storm.",
                   "2024-03-01T12:00:00Z", 1709294400, "ig/CGoneIG0001")


def instagram_embed_html(p: Post) -> str:
    small, large = photo(IG_CDN, p.photo, SMALL), photo(IG_CDN, p.photo, LARGE)
    data = json.dumps({"shortcode_media": {"shortcode": p.key, "taken_at_timestamp": p.epoch,
                                           "owner": {"username": p.handle, "full_name": p.author}}})
    caption = escape(p.text).replace("\n", "<br/>")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Instagram</title></head><body>'
            f'<div class="Embed" data-media-id="{p.key}"><div class="Header"><a class="Username" '
            f'href="https://www.instagram.com/{p.handle}/">{p.handle}</a></div>'
            f'<div class="EmbeddedMedia"><img class="EmbeddedMediaImage" alt="" src="{small}" '
            f'srcset="{small} 320w, {large} 640w" sizes="540px"></div>'
            f'<div class="Caption"><a class="CaptionUsername" href="https://www.instagram.com/{p.handle}/">{p.handle}</a>'
            f'{caption}<div class="CaptionComments"><a href="https://www.instagram.com/p/{p.key}/">View all 3 comments</a>'
            f"</div></div></div><script>window.__additionalDataLoaded('extra', {data});</script></body></html>\n")


def www_instagram(req: Request, state: SiteState) -> Response:
    m = re.fullmatch(r"/p/([A-Za-z0-9_-]+)/embed/captioned/?", req.path)
    p = INSTAGRAM.get(m.group(1)) if m else None
    if p is None:
        return not_found()
    if p.state == "deleted":
        return _page("Page not found • Instagram", "<h2>Sorry, this page isn't available.</h2><p>The link you followed "
                     "may be broken, or the page may have been removed.</p>", 404)
    if p.state == "private":
        return _page("Instagram", '<div class="Embed"><div class="EmbedIsPrivate"><p>This Account is Private</p>'
                     "<p>Follow to see their photos and videos.</p></div></div>")
    return text(200, instagram_embed_html(p))


# --- Facebook ------------------------------------------------------------------------------------

FB_CDN = "scontent.xx.fbcdn.net"
FACEBOOK = {p.key: p for p in (
    Post("1000000001", "live", "Harbour Council", "harbourcouncil", "The east wall reopens on Monday.\nThank you for your patience.",
         "2024-04-02T08:00:00Z", 1712044800, "fb/1000000001"),
    Post("1000000002", "unavailable"),
    Post("1000000003", "login"),
    Post("1000000004", "live", "Harbour Council", "harbourcouncil", "The ferry leaving at dusk, filmed from the pier.",
         "2024-04-03T18:30:00Z", 1712169000, "fb/1000000004"),
)}
# The share button's links (host + path) and the address each leads to, with the tracking query
# Facebook adds; None: to the front page (a link to a post no longer there).
FB_SHARES: dict[str, str | None] = {
    "www.facebook.com/share/p/1HbrShare1/": "https://www.facebook.com/harbourcouncil/posts/1000000001/",
    "fb.watch/hbrClip01/": "https://www.facebook.com/watch/?v=1000000004",
    "www.facebook.com/share/p/1GoneShar1/": None,
    "www.facebook.com/share/p/1WallShar1/": "LOGIN",  # to the login form, as a signed-out reader may be
}


def _fb_post(href: str) -> Post | None:
    m = re.search(r"facebook\.com/(?:[^/]+/posts/|watch/?\?v=)(\d+)", href)
    return FACEBOOK.get(m.group(1)) if m else None


def fb_share(req: Request, state: SiteState) -> Response:
    """A share link: a 302 to the post's address (unknown codes: 404)."""
    key = req.host + req.path.rstrip("/") + "/"
    if key not in FB_SHARES:
        return not_found()
    to = FB_SHARES[key]
    if to is None:
        return redirect("https://www.facebook.com/", 302)
    if to == "LOGIN":
        return redirect(f"https://www.facebook.com/login/?next={quote('https://' + key, safe='')}", 302)
    return redirect(to + ("&" if "?" in to else "?") + "rdid=Hb7xQ2&share_url=" + quote("https://" + key, safe=""), 302)


def www_facebook(req: Request, state: SiteState) -> Response:
    if req.path.startswith("/share/"):
        return fb_share(req, state)
    if req.path.startswith("/login"):
        return _page("Log in to Facebook", "<h2>You must log in to continue.</h2><form><input name=email></form>")
    if req.path not in ("/plugins/post.php", "/plugins/video.php"):
        return not_found()
    p = _fb_post(req.query.get("href", ""))
    if p is None:
        return not_found()
    if p.state == "login":
        return redirect(f"https://www.facebook.com/login/?next={quote(req.target, safe='')}", 302)
    if p.state == "unavailable":
        return _page("Facebook", '<div class="_li"><div class="pam uiBoxWhite">This Facebook post is no longer available. '
                     "It may have been removed or the privacy settings of the post may have changed.</div></div>")
    small, large = photo(FB_CDN, p.photo, SMALL), photo(FB_CDN, p.photo, LARGE)
    body = escape(p.text).replace("\n", "<br />")
    return _page("Facebook", f'<div class="_li"><div class="_5pcr userContentWrapper"><h5><span class="fwb">'
                 f'<a href="https://www.facebook.com/{p.handle}">{escape(p.author)}</a></span></h5>'
                 f'<abbr class="_5ptz" data-utime="{p.epoch}" title="2 April 2024">2 April</abbr>'
                 f'<div class="_5pbx userContent" data-testid="post_message"><p>{body}</p></div>'
                 f'<img class="scaledImageFitWidth img" src="{small}" srcset="{small} 1x, {large} 2x" width="320" '
                 f'height="400" alt=""></div></div>')


# --- Threads -------------------------------------------------------------------------------------

THREADS = {p.key: p for p in (
    Post("CLiveTH001", "live", "Harbour Council", "harbourcouncil", "Ferry timetable changes from May 1.",
         "2024-04-20T10:00:00Z", 1713607200, "th/CLiveTH001"),
    Post("CGoneTH001", "deleted", handle="harbourcouncil"),
    Post("CPrivTH001", "private", handle="quietresident"),
)}


def www_threads(req: Request, state: SiteState) -> Response:
    m = re.fullmatch(r"/@([A-Za-z0-9_.]+)/post/([A-Za-z0-9_-]+)/embed/?", req.path)
    p = THREADS.get(m.group(2)) if m else None
    if p is None:
        return not_found()
    if p.state == "deleted":
        return _page("Threads", '<div class="ThreadsEmbed"><p>Sorry, this post has been deleted.</p></div>', 404)
    if p.state == "private":
        return _page("Threads", '<div class="ThreadsEmbed"><p>This profile is private.</p></div>')
    small, large = photo(IG_CDN, p.photo, SMALL), photo(IG_CDN, p.photo, LARGE)
    head = (f'<meta property="og:title" content="{escape(p.author)} (@{p.handle}) on Threads">'
            f'<meta property="og:description" content="{escape(p.text)}">')
    return _page("Threads", f'<div class="ThreadsEmbed"><a href="https://www.threads.net/@{p.handle}">{p.handle}</a>'
                 f'<time datetime="{p.posted_at}">04/20/24</time><div class="BodyTextContainer">{escape(p.text)}</div>'
                 f'<div class="MediaContainer"><img src="{small}" srcset="{small} 320w, {large} 640w" alt=""></div></div>',
                 head=head)


# --- LinkedIn ------------------------------------------------------------------------------------

LI_CDN = "media.licdn.com"
LINKEDIN = {p.key: p for p in (
    Post("7150000000000000001", "live", "Harbour Council", "", "We are hiring two harbour pilots.",
         photo="li/7150000000000000001"),
    Post("7150000000000000002", "unavailable"),
    Post("7150000000000000003", "login"),
)}


def www_linkedin(req: Request, state: SiteState) -> Response:
    if req.path.startswith("/authwall"):
        return _page("Sign Up | LinkedIn", "<h1>Join LinkedIn</h1><p>Sign in to view this content.</p>")
    m = re.fullmatch(r"/embed/feed/update/urn:li:(?:activity|share|ugcPost):(\d+)/?", req.path.replace("%3A", ":"))
    p = LINKEDIN.get(m.group(1)) if m else None
    if p is None:
        return not_found()
    if p.state == "login":
        return redirect("https://www.linkedin.com/authwall?trk=embed&sessionRedirect=" + quote(req.target, safe=""), 302)
    if p.state == "unavailable":
        return _page("LinkedIn", "<main><p>This post cannot be displayed.</p></main>", 404)
    small, large = photo(LI_CDN, p.photo, SMALL), photo(LI_CDN, p.photo, LARGE)
    return _page("LinkedIn", f'<article class="share-update-card"><a data-tracking-control-name="public_post_feed-actor-name" '
                 f'href="https://www.linkedin.com/company/harbour-council">{escape(p.author)}</a>'
                 f'<p class="attributed-text-segment-list__content">{escape(p.text)}</p>'
                 f'<ul class="feed-images-content"><li><img data-delayed-url="{large}" src="{small}" alt=""></li></ul>'
                 "</article>")


# --- Telegram ------------------------------------------------------------------------------------

TG_CDN = "cdn4.telesco.pe"
TELEGRAM = {p.key: p for p in (
    Post("harbournews/101", "live", "Harbour News", "harbournews", "Storm warning lifted.\nFerries run again from noon.",
         "2024-04-01T09:30:00Z", 0, "tg/harbournews-101"),
    Post("harbournews/102", "deleted"),
    Post("closedharbour/7", "private"),
)}


def telegram_error_html(words: str) -> str:
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram Widget</title></head><body>'
            f'<div class="tgme_widget_message_error">{escape(words)}</div></body></html>\n')


def t_me(req: Request, state: SiteState) -> Response:
    m = re.fullmatch(r"/([A-Za-z0-9_]+/\d+)", req.path)
    p = TELEGRAM.get(m.group(1)) if m else None
    if p is None or req.query.get("embed") != "1":
        return not_found()
    if p.state == "deleted":
        return text(200, telegram_error_html("Post not found"))
    if p.state == "private":
        return text(200, telegram_error_html("Channel is private"))
    full = photo(TG_CDN, p.photo, LARGE)
    body = escape(p.text).replace("\n", "<br/>")
    return _page("Telegram Widget", f'<div class="tgme_widget_message js-widget_message" data-post="{p.key}">'
                 f'<div class="tgme_widget_message_author"><a class="tgme_widget_message_owner_name" '
                 f'href="https://t.me/{p.handle}"><span dir="auto">{escape(p.author)}</span></a></div>'
                 f'<a class="tgme_widget_message_photo_wrap" href="https://t.me/{p.key}" '
                 f"style=\"width:320px;background-image:url('{full}')\"></a>"
                 f'<div class="tgme_widget_message_text js-message_text" dir="auto">{body}</div>'
                 f'<a class="tgme_widget_message_date" href="https://t.me/{p.key}"><time datetime="'
                 f'{p.posted_at.replace("Z", "+00:00")}" class="time">09:30</time></a></div>')


def _cdn(req: Request, state: SiteState) -> Response:
    return image_response(req)


HANDLERS: dict[str, Handler] = {
    "www.instagram.com": www_instagram,
    "www.facebook.com": www_facebook,
    "fb.watch": fb_share,
    "www.threads.net": www_threads,
    "www.linkedin.com": www_linkedin,
    "t.me": t_me,
    IG_CDN: _cdn,
    FB_CDN: _cdn,
    LI_CDN: _cdn,
    TG_CDN: _cdn,
}
