"""Short links (t.co, pic.twitter.com) followed hop by hop to the post they stand for.

t.co answers non-browser user agents with a 3xx Location and browsers with a 200 page carrying a
meta refresh and `location.replace(...)` (unverified offline: docs/platforms.md, "Short links").
So: no auto-follow, a curl-like user agent, each hop fetched (and, through a RecordingClient,
recorded) by us, with the page forms as a fallback. Resolution stops at the first status URL: the
post page itself is the capture's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from archiver.platforms.hops import Hop, Resolution, follow, led_to, page_redirect
from archiver.platforms.twitter.detect import parse_status_url

if TYPE_CHECKING:
    from archiver.capture.types import HttpGetter

__all__ = ["Hop", "Resolution", "is_shortlink", "normalise_shortlink", "page_redirect", "resolve_shortlink",
           "resolved_post_id", "unwrap_unsafe_link"]


_SHORT = re.compile(r"^(?:https?://)?(?P<host>t\.co|pic\.twitter\.com|pic\.x\.com)/(?P<code>[A-Za-z0-9]+)", re.I)
_UNSAFE = re.compile(r"^https?://(?:(?:www|mobile)\.)?(?:twitter|x)\.com/safety/unsafe_link_warning\b", re.I)


def normalise_shortlink(link: str) -> str:
    """`pic.twitter.com/X`, `t.co/X`, `http://t.co/X…` -> `https://<host>/X`; other URLs unchanged."""
    link = link.strip()
    m = _SHORT.match(link)
    if m:
        return f"https://{m.group('host').lower()}/{m.group('code')}"
    if link.startswith("//"):
        return "https:" + link
    return link


def is_shortlink(link: str) -> bool:
    """True for t.co / pic.twitter.com / pic.x.com links, with or without a scheme."""
    return bool(_SHORT.match(link.strip()))


def unwrap_unsafe_link(url: str) -> str | None:
    """The target of a `twitter.com/safety/unsafe_link_warning?unsafe_link=...` page, else None."""
    if not _UNSAFE.match(url):
        return None
    try:
        values = parse_qs(urlsplit(url).query).get("unsafe_link")
    except ValueError:
        return None
    return values[0] if values and values[0] else None


def __getattr__(name: str) -> Any:
    """`CURL_UA`, the default user agent, re-exported on first use (the HTTP stack loads with it)."""
    if name == "CURL_UA":
        from archiver.capture.http import CURL_UA

        return CURL_UA
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve_shortlink(
    client: HttpGetter, url: str, max_hops: int = 10, *, user_agent: str | None = None,
    until: Callable[[str], bool] | None = None,
) -> Resolution:
    """Follow a short link to the status URL (or whatever it ends at); never raises for network trouble.

    The default curl-like `user_agent` gets plain 3xx answers from t.co; a browser agent gets its
    meta-refresh page, which is followed too. `until`: stop, without asking it, at the first
    address it is true of (the first one past the short-link hosts, say). The unsafe-link warning
    page is passed through to the address it names.
    """

    def stop(current: str) -> bool:
        return bool(parse_status_url(current)) or (until is not None and until(current))

    def unwrap(current: str) -> str | None:
        target = unwrap_unsafe_link(current)
        return normalise_shortlink(target) if target else None

    return follow(client, normalise_shortlink(url), stop=stop, unwrap=unwrap, max_hops=max_hops, user_agent=user_agent)


def resolved_post_id(resolution: Resolution) -> tuple[str | None, str] | None:
    """(handle or None, status ID) of the post the short link led to, if it led to one."""
    return led_to(resolution, parse_status_url)
