"""LinkedIn: `iframe[src*="linkedin.com/embed/feed/update/urn:li:..."]`; time is `ID >> 22` ms."""

from __future__ import annotations

import re
from urllib.parse import unquote

from archiver.platforms.base import Platform, UrlMatch, iso_from_ms, plausible_ms

UPDATE_URL_RE = re.compile(
    r"^(?:https?:)?//(?:[a-z0-9-]+\.)*linkedin\.com/(?:embed/)?feed/update/urn:li:(?P<type>activity|share|ugcPost):(?P<id>[0-9]{10,25})(?![0-9A-Za-z_])",
    re.IGNORECASE,
)
POSTS_URL_RE = re.compile(
    r"^(?:https?:)?//(?:[a-z0-9-]+\.)*linkedin\.com/posts/(?P<slug>[^/?#]+)-(?P<type>activity|share|ugcPost)-(?P<id>[0-9]{10,25})(?![0-9A-Za-z_])",
    re.IGNORECASE,
)


def update_time(post_id: str) -> str | None:
    """Creation time in a LinkedIn activity/share ID: its top 41 bits are Unix milliseconds."""
    try:
        ms = int(post_id) >> 22
    except ValueError:
        return None
    return iso_from_ms(ms) if plausible_ms(ms, 2003) else None


def _canonical(post_id: str, urn_type: str = "activity") -> str:
    return f"https://www.linkedin.com/feed/update/urn:li:{urn_type}:{post_id}/"


def parse_url(url: str) -> UrlMatch | None:
    """A feed/update URN URL (embed or not) or a /posts/...-activity-ID URL -> (ID, canonical URL)."""
    url = unquote(url)  # URNs are often written %3A-encoded
    m = UPDATE_URL_RE.match(url) or POSTS_URL_RE.match(url)
    if not m:
        return None
    return UrlMatch(m.group("id"), _canonical(m.group("id"), m.group("type")))


_EMBED_URN = re.compile(r"urn:li:(activity|share|ugcPost):([0-9]+)", re.I)


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """The feed-update embed page of a post."""
    m = _EMBED_URN.search(url or "")
    if m:
        return f"https://www.linkedin.com/embed/feed/update/urn:li:{m.group(1)}:{m.group(2)}"
    if post_id and post_id.isdigit():
        return f"https://www.linkedin.com/embed/feed/update/urn:li:activity:{post_id}"
    return url


PLATFORM = Platform(
    name="linkedin",
    hosts=("linkedin.com",),
    parse_url=parse_url,
    time_from_id=update_time,
    embed_url=embed_url,
)
