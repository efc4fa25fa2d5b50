"""Truth Social: a Mastodon fork on one host; its embed is Mastodon's (own class name UNVERIFIED).

Accepts `truthsocial.com/@user/ID`, `/@user/posts/ID` and their `/embed` iframes, and both
`blockquote.truthsocial-embed` and a `mastodon-embed` that points at truthsocial.com. How a post is
asked about is in check.py.
"""

from __future__ import annotations

from archiver.platforms.base import Platform, UrlMatch
from archiver.platforms.mastodon.detect import (
    embed_url as mastodon_embed_url,
)
from archiver.platforms.mastodon.detect import (
    make_embed_rules,
    match_status,
    status_time,
)

HOST = "truthsocial.com"


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """`https://truthsocial.com/@{handle}/{id}` (`/@/{id}` style is not served: use i/web form)."""
    if handle:
        return f"https://{HOST}/@{handle}/{post_id}"
    return f"https://{HOST}/web/statuses/{post_id}"


def parse_url(url: str) -> UrlMatch | None:
    """A truthsocial.com status URL -> (numeric ID, canonical URL, handle)."""
    found = match_status(url)
    if found is None or not _ours(found[0]):
        return None
    _, user, sid = found
    return UrlMatch(sid, canonical_url(sid, user), user)


def _ours(host: str) -> bool:
    """truthsocial.com, written with `www.` or not (every status of either is the one server's)."""
    return host.removeprefix("www.") == HOST


PLATFORM: Platform = Platform(
    name="truthsocial",
    hosts=(HOST,),
    parse_url=parse_url,
    rules=make_embed_rules(lambda: PLATFORM, _ours, "truthsocial-embed")
    + make_embed_rules(lambda: PLATFORM, _ours, "mastodon-embed"),
    time_from_id=status_time,
    canonical=canonical_url,
    embed_url=mastodon_embed_url,
    check_module="archiver.platforms.truthsocial.check",
)
