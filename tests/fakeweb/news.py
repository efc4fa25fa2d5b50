"""Handlers for news.example (and www.news.example): articles, the front page, the RSS feed, drips.

HTML and the feed are sent gzip-encoded when the client accepts it and always without a
Content-Length; over HTTP/1.1 (the only protocol this host offers) that means chunked coding.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

from . import pages, site
from .app import Handler, Request, Response, SiteState, not_found, text

_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _extra_articles(state: SiteState) -> list[tuple[str, str]]:
    """(path, title) of pages added with set_state(("article", PATH), HTML)."""
    out = []
    for key, value in state.items():
        if isinstance(key, tuple) and len(key) == 2 and key[0] == "article" and value is not None:
            m = _TITLE.search(value)
            out.append((key[1], m.group(1).strip() if m else key[1]))
    return sorted(out)


def _drip(total: int, rate: int) -> AsyncIterator[bytes]:
    """The dripped page: a real article head, padding inside a comment, a closing tail."""

    async def gen() -> AsyncIterator[bytes]:
        head, tail = pages.drip_head(), pages.DRIP_TAIL
        pad = max(0, total - len(head) - len(tail))
        body = (head + b"." * pad + tail)[:total]
        step = max(1, rate // 10)  # ten writes a second
        for i in range(0, len(body), step):
            await asyncio.sleep(0.1)  # before each piece, so the whole body takes total/rate seconds
            yield body[i : i + step]

    return gen()


def _drip_bytes(body: bytes, rate: int) -> AsyncIterator[bytes]:
    """`body` at `rate` bytes a second, ten pieces a second."""

    async def gen() -> AsyncIterator[bytes]:
        step = max(1, rate // 10)
        for i in range(0, len(body), step):
            await asyncio.sleep(0.1)
            yield body[i : i + step]

    return gen()


def news(req: Request, state: SiteState) -> Response:
    path = req.path
    drip = state.get(("drip", path))
    if drip is not None:
        total, rate = drip
        return Response(200, b"", "text/html; charset=utf-8", stream=lambda: _drip(total, rate), length=total)
    moved = state.get(("redirect", path))
    if moved is not None:
        return Response(302, b"", None, [("location", moved)])
    # (body, file name[, content type[, bytes a second]]): a download, sent slowly with a rate
    attached = state.get(("attachment", path))
    if attached is not None:
        body, name, ctype, rate = (*attached, *("application/octet-stream", None)[len(attached) - 2:])
        disposition = [("content-disposition", f'attachment; filename="{name}"')]
        if rate is not None:  # a download still running while the page loads
            return Response(200, b"", ctype, disposition, stream=lambda: _drip_bytes(body, rate), length=len(body))
        return Response(200, body, ctype, disposition)
    bare = state.get(("status", path))  # a bare status, no body (204, 205)
    if bare is not None:
        return Response(int(bare), b"", None)
    served = state.get(("file", path))  # (body, content type): bytes served as they are (a .xml.gz)
    if served is not None:
        return Response(200, served[0], served[1])
    extra = state.get(("article", path))
    if extra is not None:
        return text(200, extra, gzip=True)
    article = site.ARTICLES.get(path)
    if article is not None:
        return text(200, pages.article_html(article), headers=[("last-modified", "Tue, 05 Mar 2024 09:30:00 GMT")], gzip=True)
    if path == site.FORGING_PATH:
        lies = [name for part in parse_qs(req.query_string).get("lies", []) for name in part.split(",")]
        return text(200, pages.forging_article_html(site.ARTICLE_FLOOD, lies), gzip=True)
    if path == site.WIRE_TEXT_PATH:
        return text(200, pages.article_text(site.ARTICLE_WIRE), "text/plain; charset=utf-8", gzip=True)
    if path in ("/", "/index.html"):
        listing = [(a.path, a.title) for a in site.ARTICLES.values()] + _extra_articles(state)
        return text(200, pages.index_html(listing), gzip=True)
    if path == "/feed.xml":
        body = pages.feed_xml(list(site.ARTICLES.values()), _extra_articles(state))
        return text(200, body, "application/rss+xml; charset=utf-8", gzip=True)
    return not_found()


HANDLERS: dict[str, Handler] = {host: news for host in site.NEWS_HOSTS}
