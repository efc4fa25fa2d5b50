"""Truth Social: how one of its posts is asked about (its API is Mastodon's)."""

from __future__ import annotations

from typing import Any

from archiver.platforms.capture import PostCheck, PostRef
from archiver.platforms.mastodon.postcheck import SAME_ACCOUNT, WAYBACK, make_probe
from archiver.platforms.truthsocial import HOST, canonical_url


def _locate(post: PostRef) -> tuple[str, str, str] | None:
    sid = post.post_id or ""
    return (HOST, sid, post.url or canonical_url(sid, post.handle)) if sid.isdigit() else None


def _handle(account: dict[str, Any], host: str) -> str | None:
    """Truth Social handles are written without the host (its accounts are all local)."""
    acct = account.get("acct") or account.get("username")
    return str(acct) if acct else None


# Truth Social's own API is Mastodon's (`/api/v1/statuses/ID`); see docs/platforms.md for what of it
# is verified.
CHECK = PostCheck(probe=make_probe(_locate, _handle), wayback=WAYBACK, same_account=SAME_ACCOUNT)
