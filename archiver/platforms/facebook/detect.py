"""Facebook posts and videos: `div.fb-post`/`div.fb-video`, `plugins/post.php`/`video.php` iframes.

`plugins/like.php`, `page.php` and friends are widgets, not posts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from archiver.models import Post
from archiver.platforms.base import (
    Attrs,
    EmbedContext,
    EmbedRule,
    Platform,
    UrlMatch,
    absolutize,
    has_class,
    query_param,
)

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

_HOST = r"^(?:https?:)?//(?:[a-z0-9-]+\.)*(?:facebook\.com|fb\.com)"
_PAGE = r"(?P<page>[A-Za-z0-9_.-]{1,80})"
PATH_POST_RE = re.compile(
    # (videos and photos may have a segment before their ID: an album `a.123`, a video list
    # `vb.123`, a video's title)
    _HOST + r"/" + _PAGE + r"/(?P<kind>posts|(?:videos|photos)(?:/[^/?#]+)?)/(?P<id>pfbid[A-Za-z0-9]+|[0-9]{5,25})"
    r"(?![0-9A-Za-z_])",
    re.IGNORECASE,
)
# A group's post: `/groups/GROUP/posts/ID` or `/groups/GROUP/permalink/ID` (GROUP its name or number).
GROUP_POST_RE = re.compile(
    _HOST + r"/groups/(?P<group>[A-Za-z0-9_.-]{1,80})/(?:posts|permalink)/(?P<id>pfbid[A-Za-z0-9]+|[0-9]{5,25})"
    r"(?![0-9A-Za-z_])",
    re.IGNORECASE,
)
REEL_RE = re.compile(_HOST + r"/(?P<kind>reel|watch/live)/(?P<id>[0-9]{5,25})(?![0-9A-Za-z_])", re.IGNORECASE)
QUERY_POST_RE = re.compile(_HOST + r"/(?P<path>permalink\.php|story\.php|photo\.php|photo/?|watch/live/?|watch/?|video\.php)(?=[?#]|$)",
                           re.IGNORECASE)
PLUGIN_RE = re.compile(_HOST + r"/(?:v[0-9.]+/)?plugins/(?P<kind>post|video)\.php", re.IGNORECASE)
_NOT_PAGES = frozenset({"groups", "events", "hashtag", "sharer", "share", "dialog", "plugins", "pages"})


def parse_url(url: str) -> UrlMatch | None:
    """A Facebook post/video/photo URL -> (ID, canonical URL, page name)."""
    m = PATH_POST_RE.match(url)
    if m and m.group("page").lower() not in _NOT_PAGES:
        page, post_id = m.group("page"), m.group("id")
        kind = m.group("kind").split("/")[0].lower()
        return UrlMatch(post_id, f"https://www.facebook.com/{page}/{kind}/{post_id}/", page)
    m = GROUP_POST_RE.match(url)
    if m:
        # The group is where it was posted, not who posted it: no handle.
        return UrlMatch(m.group("id"), f"https://www.facebook.com/groups/{m.group('group')}/posts/{m.group('id')}/")
    m = REEL_RE.match(url)
    if m:
        return UrlMatch(m.group("id"), f"https://www.facebook.com/{m.group('kind')}/{m.group('id')}/")
    m = QUERY_POST_RE.match(url)
    if m:
        path = m.group("path").rstrip("/").lower()
        if path in ("permalink.php", "story.php"):
            story, owner = query_param(url, "story_fbid"), query_param(url, "id")
            if story and owner:
                return UrlMatch(
                    story, f"https://www.facebook.com/permalink.php?story_fbid={story}&id={owner}"
                )
        elif path in ("watch", "watch/live", "video.php"):
            vid = query_param(url, "v") or query_param(url, "video_id")
            if vid and vid.isdigit():
                return UrlMatch(vid, f"https://www.facebook.com/watch/?v={vid}")
        else:
            fbid = query_param(url, "fbid")
            if fbid and fbid.isdigit():
                return UrlMatch(fbid, f"https://www.facebook.com/photo/?fbid={fbid}")
    return None


def parse_embed_src(url: str) -> UrlMatch | None:
    """`plugins/post.php?href=...` and `plugins/video.php?href=...` iframes -> the post inside."""
    if not PLUGIN_RE.match(url):
        return None  # like.php, page.php, share_button.php...: widgets
    href = query_param(url, "href")
    return parse_url(absolutize(href)) if href else None


def _div(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    for cls in ("fb-post", "fb-video"):
        if has_class(attrs, cls):
            href = attrs.get("data-href") or ""
            match = parse_url(absolutize(href)) if href else None
            if match is None:
                cite = node.css_first("blockquote[cite]")
                match = parse_url(absolutize(cite.attributes.get("cite") or "")) if cite else None
            if match is None:
                return None
            author, date_text = _posted_by(node)
            return [ctx.embedded(PLATFORM, f"div.{cls}", match, author=author, date_text=date_text)]
    return None


def _posted_by(node: LexborNode) -> tuple[str | None, str | None]:
    """(author, printed date) from the fallback "Posted by X on DATE" (English snippets only)."""
    text = " ".join(node.text(separator=" ").split())
    m = re.search(r"Posted by (?P<author>.+?) on (?P<date>[^.]{0,40}?\d{4})", text)
    if not m:
        return None, None
    return m.group("author"), m.group("date")


def _amp(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
    """`<amp-facebook data-href="...">`: a post or (`data-embed-as="video"`) a video."""
    match = parse_url(absolutize((attrs.get("data-href") or "").strip()))
    return [ctx.embedded(PLATFORM, "amp-facebook", match)] if match else None


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The post or video plugin page (Facebook's oEmbed needs a token: none is asked)."""
    if not url:
        return None
    kind = "video" if re.search(r"/videos?/|/watch/?\?|/reel/", url) else "post"
    return f"https://www.facebook.com/plugins/{kind}.php?href={quote(url, safe='')}&show_text=true"


PLATFORM = Platform(
    name="facebook",
    hosts=("facebook.com", "fb.com"),
    parse_url=parse_url,
    parse_embed_src=parse_embed_src,
    rules=(EmbedRule(("div",), _div, needs=("data-href",)), EmbedRule(("amp-facebook",), _amp, needs=("data-href",))),
    markup_hints=(r"div[^>]*fb-",),  # <div class="fb-post" ...>
    embed_url=embed_url,
)
