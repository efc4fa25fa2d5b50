"""HTML, XML and text of the news site, the x.com login wall, t.co and YouTube pages.

The Twitter widget JavaScript lives in widget.py; the data in site.py.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import format_datetime
from html import escape

from . import site

_SIGNATURE_LANG = "en"


def _linkify(text: str, tweet: site.Tweet) -> str:
    """Tweet text as publish.twitter.com writes it inside the blockquote's <p>."""
    out = escape(text, quote=False)
    if tweet.media_tco:
        code = tweet.media_tco
        out = out.replace(f"https://t.co/{code}", f'<a href="https://t.co/{code}">pic.twitter.com/{code}</a>')
    for code, expanded in tweet.urls:
        shown = re.sub(r"^https?://(www\.)?", "", expanded)
        shown = shown if len(shown) <= 26 else shown[:25] + "…"
        out = out.replace(f"https://t.co/{code}", f'<a href="https://t.co/{code}">{escape(shown)}</a>')
    return re.sub(
        r"#(\w+)",
        lambda m: f'<a href="https://twitter.com/hashtag/{m.group(1)}?src=hash&amp;ref_src=twsrc%5Etfw">#{m.group(1)}</a>',
        out,
    )


def blockquote_html(tweet: site.Tweet, x_style: bool = False) -> str:
    """The snippet publish.twitter.com hands out (x_style: the newer x.com variant)."""
    host = "x.com" if x_style else "twitter.com"
    status = f"https://{host}/{tweet.user.screen_name}/status/{tweet.id}?ref_src=twsrc%5Etfw"
    cls = "twitter-video" if tweet.video else "twitter-tweet"
    return (
        f'<blockquote class="{cls}" data-lang="{_SIGNATURE_LANG}" data-dnt="true">'
        f'<p lang="{tweet.lang}" dir="ltr">{_linkify(tweet.text, tweet)}</p>'
        f"&mdash; {escape(tweet.user.name)} (@{tweet.user.screen_name}) "
        f'<a href="{status}">{escape(tweet.signature_date)}</a></blockquote>\n'
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
    )


def youtube_iframe(video_id: str) -> str:
    return (
        f'<iframe width="560" height="315" src="https://www.youtube.com/embed/{video_id}" '
        'title="YouTube video player" frameborder="0" allow="accelerometer; autoplay; clipboard-write; '
        'encrypted-media; gyroscope; picture-in-picture; web-share" allowfullscreen></iframe>'
    )


_STYLE = (
    "body{font-family:'DejaVu Serif',serif;max-width:720px;margin:2em auto;padding:0 1em;color:#222}"
    "header a{color:#a00;font:bold 1.4em sans-serif;text-decoration:none}"
    ".byline{color:#666}blockquote{border-left:3px solid #1d9bf0;margin:1em 0;padding:.5em 1em}"
)


def _page(title: str, body: str, head_extra: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} | The Riverton Courier</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="alternate" type="application/rss+xml" title="The Riverton Courier" href="/feed.xml">'
        f"<style>{_STYLE}</style>{head_extra}</head>\n"
        f'<body><header><a href="/">The Riverton Courier</a></header>\n{body}\n'
        "<footer><p>&copy; 2024 The Riverton Courier (a fictional newspaper)</p></footer></body></html>\n"
    )


def tweets_page(title: str, *tweets: site.Tweet) -> str:
    """A bare page titled `title` embedding `tweets` (a page a held article's address may lead to)."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
            + "".join(blockquote_html(t) for t in tweets) + "</body></html>")


def article_html(article: site.Article) -> str:
    """One news article with its embeds."""
    parts: list[str] = []
    for kind, value in article.blocks:
        if kind == "p":
            parts.append(f"<p>{escape(value)}</p>")
        elif kind in ("tweet", "xtweet"):
            parts.append(blockquote_html(site.TWEETS[value], x_style=kind == "xtweet"))
        elif kind == "youtube":
            parts.append(youtube_iframe(value))
        elif kind == "pre":
            # Flattened embed: one <p> per line, plain text, no links (as text extractors leave it).
            parts.extend(f"<p>{escape(line)}</p>" for line in value.split("\n"))
    published = datetime.fromisoformat(article.published)
    head = (
        f'<meta property="og:title" content="{escape(article.title)}">'
        f'<meta property="og:url" content="{article.url}">'
        '<meta property="og:type" content="article">'
        f'<meta property="article:published_time" content="{article.published}">'
        f'<link rel="canonical" href="{article.url}">'
    )
    body = (
        f"<article><h1>{escape(article.title)}</h1>"
        f'<p class="byline">By {escape(article.author)} · '
        f'<time datetime="{article.published}">{published:%B} {published.day}, {published:%Y}</time></p>\n'
        + "\n".join(parts)
        + "</article>"
    )
    return _page(article.title, body, head)


# Lies a page's own script can tell whoever measures it in its main JavaScript world, each run first
# thing in the page, before the embeds render. Each lies only to code that measures (widgets.js keeps
# working): an iframe's box is the headline's; arrays of elements never include anything; Math.max
# gives its smallest argument, and every element is 600 px high and 1,000,000 px wide to
# scrollHeight and scrollWidth; the device scale is
# 2; every element's innerText is FORGED_TEXT.
FORGING_JS = {
    "box": """var box = Element.prototype.getBoundingClientRect;
  Element.prototype.getBoundingClientRect = function () {
    var h1 = document.querySelector('h1');
    return box.call(this.tagName === 'IFRAME' && h1 ? h1 : this);
  };""",
    "includes": """var includes = Array.prototype.includes;
  Array.prototype.includes = function (x) {
    return (x instanceof Element) ? false : includes.apply(this, arguments);
  };""",
    "size": """var max = Math.max;
  Math.max = function () { return arguments.length > 1 ? Math.min.apply(Math, arguments) : max.apply(Math, arguments); };
  Object.defineProperty(Element.prototype, 'scrollHeight', {get: function () { return 600; }, configurable: true});
  Object.defineProperty(Element.prototype, 'scrollWidth', {get: function () { return 1000000; }, configurable: true});""",
    "scale": """Object.defineProperty(window, 'devicePixelRatio', {get: function () { return 2; }, configurable: true});""",
    "text": "Object.defineProperty(HTMLElement.prototype, 'innerText', {get: function () { return "
            + json.dumps(site.FORGED_TEXT) + "; }, configurable: true});",
}


def forging_article_html(article: site.Article, lies: list[str]) -> str:
    """`article` with the FORGING_JS `lies` (all when none is named) run before anything else of the page's."""
    script = "\n  ".join(FORGING_JS[name] for name in (lies or FORGING_JS) if name in FORGING_JS)
    head = '<head><meta charset="utf-8">'
    return article_html(article).replace(head, f"{head}<script>(function () {{\n  {script}\n}})();</script>", 1)


def article_text(article: site.Article) -> str:
    """The plain-text edition of an article (what a feed reader or extractor leaves)."""
    lines = [article.title, "", f"By {article.author}", ""]
    for kind, value in article.blocks:
        if kind in ("p", "pre"):
            lines.extend([value, ""])
    return "\n".join(lines)


def index_html(articles: list[tuple[str, str]]) -> str:
    """The front page: (path, title) links."""
    items = "".join(f'<li><a href="{escape(p)}">{escape(t)}</a></li>' for p, t in articles)
    return _page("Home", f"<h1>Latest</h1><ul>{items}</ul>")


def feed_xml(articles: list[site.Article], extra: list[tuple[str, str]]) -> str:
    """RSS 2.0 listing every article (extra: (path, title) pages added through set_state)."""
    items = []
    for a in articles:
        items.append(
            f"<item><title>{escape(a.title)}</title><link>{a.url}</link>"
            f'<guid isPermaLink="true">{a.url}</guid>'
            f"<pubDate>{format_datetime(datetime.fromisoformat(a.published))}</pubDate>"
            f"<description>{escape(a.summary)}</description></item>"
        )
    for path, title in extra:
        url = f"https://news.example{path}"
        items.append(f'<item><title>{escape(title)}</title><link>{url}</link><guid isPermaLink="true">{url}</guid></item>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>The Riverton Courier</title><link>https://news.example/</link>"
        "<description>News from Riverton (fictional)</description><language>en</language>"
        + "".join(items)
        + "</channel></rss>\n"
    )


def drip_head() -> bytes:
    """Start of a dripped page: a real article with one live tweet, then padding follows."""
    tweet = site.TWEET_PHOTO
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Live blog: the flood, '
        "minute by minute | The Riverton Courier</title></head><body><article><h1>Live blog: the flood, "
        "minute by minute</h1><p>This page is very long.</p>\n" + blockquote_html(tweet) + "\n<!-- "
    ).encode("utf-8")


DRIP_TAIL = b" -->\n</article></body></html>\n"


def login_wall_html() -> str:
    """What x.com often shows an anonymous browser instead of a post: a "Log in" / "Sign up" wall."""
    return (
        '<!DOCTYPE html>\n<html dir="ltr" lang="en"><head><meta charset="utf-8"><title>X</title>'
        '<meta property="og:site_name" content="X (formerly Twitter)"><meta name="robots" content="noindex">'
        "<style>body{font-family:sans-serif;background:#000;color:#e7e9ea;text-align:center;padding-top:10%}"
        "a{display:inline-block;margin:.5em;padding:.6em 2em;border-radius:2em;background:#1d9bf0;color:#fff;"
        "text-decoration:none}</style></head><body><main>"
        '<div role="dialog" aria-labelledby="modal-header"><h1 id="modal-header">Log in to X</h1>'
        "<p>Don’t miss what’s happening</p><p>People on X are the first to know.</p>"
        '<a href="/i/flow/login" role="link">Log in</a><a href="/i/flow/signup" role="link">Sign up</a>'
        "</div></main></body></html>\n"
    )


def tco_html(target: str) -> str:
    """t.co's answer to browsers: 200 with a meta refresh and location.replace (curl gets a 301)."""
    attr = escape(target)
    js = target.replace("\\", "\\\\").replace('"', '\\"').replace("/", "\\/")
    return (
        '<head><meta name="referrer" content="always">'
        f'<meta http-equiv="refresh" content="0;URL={attr}"><title>{attr}</title></head>'
        f'<script>window.opener = null; location.replace("{js}")</script>\n'
    )


def archived_tweet_html(tweet: site.Tweet, timestamp: str, replay: bool) -> str:
    """A twitter.com page as the Wayback Machine stored it: og tags plus rendered markup.

    replay=True is the /web/TS/URL view: toolbar inserted and media URLs rewritten to im_ mode.
    """
    created = datetime.fromisoformat(tweet.created_at)
    hour = created.hour % 12 or 12
    shown = f"{hour}:{created:%M} {'AM' if created.hour < 12 else 'PM'} · {created:%b} {created.day}, {created:%Y}"
    name = escape(tweet.user.name)
    body_text = escape(tweet.text)
    imgs = ""
    for photo in tweet.photos:
        url = f"https://pbs.twimg.com/media/{photo.key}?format=jpg&name=small"
        if replay:
            url = f"https://web.archive.org/web/{timestamp}im_/{url}"
        imgs += f'<img alt="Image" src="{escape(url)}" width="{photo.small_width}" height="{photo.small_height}">'
    toolbar = (
        '<!-- BEGIN WAYBACK TOOLBAR INSERT --><div id="wm-ipp">The Wayback Machine - '
        f"https://web.archive.org/web/{timestamp}/{escape(tweet.status_url)}</div>"
        "<!-- END WAYBACK TOOLBAR INSERT -->"
        if replay
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html dir="ltr" lang="en"><head><meta charset="utf-8">'
        f'<title>{name} on X: "{body_text}" / X</title>'
        f'<meta property="og:title" content="{name} on X">'
        f'<meta property="og:description" content="“{body_text}”">'
        f'<meta property="og:url" content="{escape(tweet.status_url)}">'
        '<meta property="og:site_name" content="X (formerly Twitter)"></head><body>'
        f'{toolbar}<main><article data-testid="tweet" aria-labelledby="id__tweet">'
        f'<div data-testid="User-Name"><a href="/{tweet.user.screen_name}"><span>{name}</span></a>'
        f'<a href="/{tweet.user.screen_name}"><span>@{tweet.user.screen_name}</span></a></div>'
        f'<div data-testid="tweetText" lang="{tweet.lang}">{body_text}</div>{imgs}'
        f'<a href="/{tweet.user.screen_name}/status/{tweet.id}"><time datetime="{tweet.created_at}">{shown}</time></a>'
        "</article></main></body></html>\n"
    )


def wayback_not_found_html(url: str) -> str:
    return (
        "<!DOCTYPE html><title>Wayback Machine</title><h2>Hrm.</h2>"
        f"<p>The Wayback Machine has not archived that URL.</p><p>{escape(url)}</p>"
    )


def youtube_embed_html(video: site.YouTubeVideo) -> str:
    """A minimal player page: title, channel and poster, no real video."""
    return (
        '<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8">'
        f"<title>{escape(video.title)} - YouTube</title>"
        "<style>body{margin:0;background:#000;color:#fff;font-family:sans-serif}"
        ".t{position:absolute;top:8px;left:12px}.t a{color:#fff}img{width:100%;height:auto}</style></head><body>"
        f'<div id="player" data-video-id="{video.id}"><img alt="" src="https://i.ytimg.com/vi/{video.id}/hqdefault.jpg">'
        f'<div class="t"><a href="https://www.youtube.com/watch?v={video.id}" target="_blank">{escape(video.title)}</a>'
        f"<div>{escape(video.author_name)}</div></div></div></body></html>\n"
    )


def youtube_watch_html(video: site.YouTubeVideo) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(video.title)} - YouTube</title>'
        f'<meta property="og:title" content="{escape(video.title)}">'
        f'<link rel="canonical" href="https://www.youtube.com/watch?v={video.id}"></head><body>'
        f"<h1>{escape(video.title)}</h1><p>{escape(video.author_name)}</p></body></html>\n"
    )
