"""Truth Social: a Mastodon fork on one host; its embed is Mastodon's (own class name UNVERIFIED).

Accepts `truthsocial.com/@user/ID`, `/@user/posts/ID` and their `/embed` iframes, and both
`blockquote.truthsocial-embed` and a `mastodon-embed` that points at truthsocial.com.
"""

from __future__ import annotations

from typing import Any

from archiver.platforms.base import Platform, UrlMatch
from archiver.platforms.capture import PostCheck, PostRef
from archiver.platforms.mastodon.detect import (
    embed_url as mastodon_embed_url,
)
from archiver.platforms.mastodon.detect import (
    make_embed_rules,
    match_status,
    status_time,
)
from archiver.platforms.mastodon.postcheck import WAYBACK, make_probe

HOST = "truthsocial.com"


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """`https://truthsocial.com/@{handle}/{id}` (`/@/{id}` style is not served: use i/web form)."""
    if handle:
        return f"https://{HOST}/@{handle}/{post_id}"
    return f"https://{HOST}/web/statuses/{post_id}"


def parse_url(url: str) -> UrlMatch | None:
    """A truthsocial.com status URL -> (numeric ID, canonical URL, handle)."""
    found = match_status(url)
    if found is None or found[0] != HOST:
        return None
    _, user, sid = found
    return UrlMatch(sid, canonical_url(sid, user), user)


def _locate(post: PostRef) -> tuple[str, str, str] | None:
    sid = post.post_id or ""
    return (HOST, sid, post.url or canonical_url(sid, post.handle)) if sid.isdigit() else None


def _handle(account: dict[str, Any], host: str) -> str | None:
    """Truth Social handles are written without the host (its accounts are all local)."""
    acct = account.get("acct") or account.get("username")
    return str(acct) if acct else None


# Truth Social's own API is Mastodon's (`/api/v1/statuses/ID`); see docs/platforms.md for what of it
# is verified.
CHECK = PostCheck(probe=make_probe(_locate, _handle), wayback=WAYBACK)

PLATFORM: Platform = Platform(
    name="truthsocial",
    hosts=(HOST,),
    parse_url=parse_url,
    rules=make_embed_rules(lambda: PLATFORM, lambda host: host == HOST, "truthsocial-embed")
    + make_embed_rules(lambda: PLATFORM, lambda host: host == HOST, "mastodon-embed"),
    time_from_id=status_time,
    canonical=canonical_url,
    embed_url=mastodon_embed_url,
    check=CHECK,
)
