"""One post per key within a document: embedded beats linked beats shortlink, richest fields kept."""

from __future__ import annotations

from archiver.models import Post
from archiver.platforms import BY_NAME
from archiver.platforms.twitter import detect as twitter

_RANK = {"embedded": 3, "linked": 2, "shortlink": 1}


def merge_posts(posts: list[Post]) -> list[Post]:
    """Deduplicate by key in first-seen order; drop short links that belong to a found post."""
    by_key: dict[str, Post] = {}
    for post in posts:
        have = by_key.get(post.key)
        if have is None:
            by_key[post.key] = post
        else:
            _absorb(have, post)
    # A t.co / pic.twitter.com link inside a post (its text or media) is that post, not another one.
    owned: set[str] = set()
    for post in by_key.values():
        if post.kind != "shortlink":
            for link in (*post.links, *post.media):
                code = twitter.shortlink_code(link)
                if code:
                    owned.add(code)
    out: list[Post] = []
    for post in by_key.values():
        if post.kind == "shortlink":
            code = twitter.shortlink_code(post.links[0]) if post.links else None
            if code in owned:
                continue
        out.append(post)
    return out


def _absorb(into: Post, other: Post) -> None:
    """Fold `other` (same key) into `into`, keeping the strongest kind and the richest fields."""
    if _RANK.get(other.kind, 0) > _RANK.get(into.kind, 0):
        into.kind = other.kind
        into.evidence = other.evidence
    into.handle = _richer(into.handle, other.handle)
    into.author = _richer(into.author, other.author)
    into.text = _richer(into.text, other.text)
    into.posted_at = _richer(into.posted_at, other.posted_at)  # a full time beats a bare date
    into.links = _union(into.links, other.links)
    into.media = _union(into.media, other.media)
    if into.post_id and into.handle:
        platform = BY_NAME.get(into.platform)
        if platform is not None and platform.canonical is not None:
            into.url = platform.canonical(into.post_id, into.handle)
    into.url = into.url or other.url


def _richer(a: str | None, b: str | None) -> str | None:
    if not a:
        return b
    if not b:
        return a
    return b if len(b) > len(a) else a


def _union(a: list[str], b: list[str]) -> list[str]:
    return a + [x for x in b if x not in a]
