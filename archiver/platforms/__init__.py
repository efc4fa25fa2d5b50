"""The platform registry: one module (or package) per platform, one line each below.

Adding a platform = a new module that builds a `Platform` (see `base.py`) + one line in BUILT_IN; a
platform kept outside this package is a plugin (`plugins.py`) and needs no line here.
Order matters only where two platforms could claim the same element: the first rule that returns
posts wins (Truth Social before Mastodon, so a Truth embed is not taken for a Mastodon one).
"""

from __future__ import annotations

import re

from archiver.platforms import (
    bluesky,
    facebook,
    instagram,
    linkedin,
    mastodon,
    reddit,
    telegram,
    threads,
    tiktok,
    truthsocial,
    twitter,
    vimeo,
    youtube,
)
from archiver.platforms.base import Platform, ShortLinks, UrlMatch, host_of
from archiver.platforms.capture import LoginWall
from archiver.platforms.plugins import discover

BUILT_IN: tuple[Platform, ...] = (
    twitter.PLATFORM,
    instagram.PLATFORM,
    tiktok.PLATFORM,
    youtube.PLATFORM,
    facebook.PLATFORM,
    bluesky.PLATFORM,
    truthsocial.PLATFORM,
    mastodon.PLATFORM,
    threads.PLATFORM,
    reddit.PLATFORM,
    telegram.PLATFORM,
    linkedin.PLATFORM,
    vimeo.PLATFORM,
)

REGISTRY: tuple[Platform, ...] = BUILT_IN + tuple(p for p in discover() if p.name not in {b.name for b in BUILT_IN})

BY_NAME: dict[str, Platform] = {p.name: p for p in REGISTRY}
# (platform name, its short links) of every platform that mints short links, in registry order.
SHORTENERS: tuple[tuple[str, ShortLinks], ...] = tuple((p.name, p.shortlinks) for p in REGISTRY if p.shortlinks)
_BY_HOST: dict[str, Platform] = {host: p for p in reversed(REGISTRY) for host in p.hosts}


def platform_for_host(host: str | None) -> Platform | None:
    """The platform owning `host` or one of its parent domains (`embed.bsky.app` -> bluesky)."""
    while host:
        found = _BY_HOST.get(host)
        if found is not None:
            return found
        _, _, host = host.partition(".")
        if "." not in host:
            return None
    return None


def shortener_for(url: str) -> Platform | None:
    """The platform whose short link `url` is (`t.co/CODE` -> twitter, `www.tiktok.com/t/CODE` ->
    tiktok), when it can follow such a link given as a source; None for any other address."""
    from archiver.platforms.base import host_lowered

    host = host_of(url)
    for p in REGISTRY:
        if (p.shortlinks is not None and p.aliases is not None and p.aliases.destination is not None
                and (f"{host}/" in p.shortlinks.hints
                     # the address itself a short link, not one named in its query
                     or (platform_for_host(host) is p and p.shortlinks.pattern.match(host_lowered(url.strip()))))):
            return p
    return None


def login_wall_for(url: str) -> LoginWall | None:
    """The login wall a page at `url` may show (its platform's), or None."""
    host = host_of(url)
    for p in REGISTRY:
        if p.login_wall is not None and host in p.login_wall.hosts:
            return p.login_wall
    return None


# The Wayback Machine's hosts: a link to its copy of a post (`web.archive.org/web/2020/https://x.com/…`)
# cites that post, as fact-checks cite posts already gone.
WAYBACK_HOSTS = frozenset({"web.archive.org", "wayback.archive.org"})
# /web/TIMESTAMP[MODIFIER_]/ADDRESS: a time of up to 14 digits (or `*`, every copy), a playback
# modifier such as `id_` or `if_`, then the address copied, as written (its scheme may be lost to a
# collapsed slash, `https:/x.com/…`, or missing).
_WAYBACK_PATH = re.compile(r"/web/(?:\d{1,14}|\*)(?:[a-z]{2}_)?/+(?P<url>.+)", re.IGNORECASE | re.DOTALL)
_SCHEME = re.compile(r"(?P<scheme>https?):/*", re.IGNORECASE)


def archived_url(url: str) -> str | None:
    """The address a Wayback Machine link (`WAYBACK_HOSTS`) shows a copy of, or None."""
    start = url.find("//") + 2 if "//" in url[:8] else 0
    slash = url.find("/", start)
    found = _WAYBACK_PATH.match(url, slash) if slash >= 0 else None
    if found is None:
        return None
    inner = found.group("url")
    scheme = _SCHEME.match(inner)
    return f"{scheme.group('scheme').lower()}://{inner[scheme.end():]}" if scheme else f"https://{inner}"


def match_link(url: str) -> tuple[Platform, UrlMatch] | None:
    """The post a link in a page or a text cites: the one its URL points to (`match_url`), or the
    one the Wayback Machine's copy it points to is of."""
    if host_of(url) in WAYBACK_HOSTS:
        inner = archived_url(url)
        return match_url(inner) if inner is not None and host_of(inner) not in WAYBACK_HOSTS else None
    return match_url(url)


def match_url(url: str) -> tuple[Platform, UrlMatch] | None:
    """The platform and post a URL points to (a link, as written), or None."""
    host = host_of(url)
    if host is None:
        return None
    platform = platform_for_host(host)
    if platform is not None:
        found = platform.parse_url(url)
        return (platform, found) if found else None
    for p in REGISTRY:
        if p.any_host is not None and (found := p.any_host(url)) is not None:
            return p, found
    return None


def match_embed_src(url: str) -> tuple[Platform, UrlMatch] | None:
    """The platform and post a player/embed URL (iframe src) shows, or None."""
    host = host_of(url)
    platform = platform_for_host(host) if host else None
    if platform is None:
        return None
    found = platform.embed_src(url)
    return (platform, found) if found else None


__all__ = ["BY_NAME", "REGISTRY", "SHORTENERS", "WAYBACK_HOSTS", "Platform", "UrlMatch", "archived_url", "match_link", "match_embed_src", "login_wall_for", "match_url", "platform_for_host", "shortener_for"]
