"""One post per key within a document: embedded beats linked beats shortlink, richest fields kept."""

from __future__ import annotations

from archiver.models import Post, normalise_text
from archiver.platforms import BY_NAME, SHORTENERS

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
    _fold_copies(by_key)
    # A platform's short link inside a post (its text, links or media) is that post, not another one.
    owned: set[tuple[str, str]] = set()
    for post in by_key.values():
        if post.kind != "shortlink":
            for link in (*post.links, *post.media):
                for name, minted in SHORTENERS:
                    code = minted.code(link)
                    if code:
                        owned.add((name, code))
    out: list[Post] = []
    for post in by_key.values():
        if post.kind == "shortlink" and post.links and owned:
            platform = BY_NAME.get(post.platform)
            shortlinks = platform.shortlinks if platform is not None else None
            code = shortlinks.code(post.links[0]) if shortlinks is not None else None
            if code is not None and (post.platform, code) in owned:
                continue
        out.append(post)
    return out


def _fold_copies(by_key: dict[str, Post]) -> None:
    """A post known only by its words (hash-keyed: a flattened copy) that a post with an ID in the
    same document says word for word under the same handle is that post: a page showing an
    embed's code (in a textarea, say) beside its flattened text shows one post. Its printed date
    is left out of the comparison: it is the embedder's day, which the ID's UTC time may not be."""
    with_id: dict[tuple[str, str, str], str] = {}
    for key, post in by_key.items():
        if post.post_id and post.handle and (words := normalise_text(post.text)):
            with_id.setdefault((post.platform, post.handle.lower(), words), key)
    if not with_id:
        return
    for key, post in list(by_key.items()):
        if post.post_id or not post.handle or ":h:" not in key:
            continue
        same = with_id.get((post.platform, post.handle.lower(), normalise_text(post.text)))
        if same is not None:
            _absorb(by_key[same], by_key.pop(key))


def _absorb(into: Post, other: Post) -> None:
    """Fold `other` (same key) into `into`, keeping the strongest kind and the richest fields.

    The handle is not the longer one but the one of the stronger citation: an embed's (its
    signature's) over a link's, whose username is only a hint (an old handle, another account's
    address for the post); between two of one kind, one read with its author's name (a signature)
    over one read from an address alone (a stub, a bare embed URL), else the first seen."""
    rank, other_rank = _RANK.get(into.kind, 0), _RANK.get(other.kind, 0)
    if other_rank > rank or other_rank == rank and other.author and not into.author:
        into.handle = other.handle or into.handle
    else:
        into.handle = into.handle or other.handle
    if other_rank > rank:
        into.kind = other.kind
        into.evidence = other.evidence
    into.author = _richer(into.author, other.author)
    into.text = _richer(into.text, other.text)
    into.posted_at = _richer(into.posted_at, other.posted_at)  # a full time beats a bare date
    into.links = _union(into.links, other.links)
    into.media = _union(into.media, other.media)
    platform = BY_NAME.get(into.platform)
    if into.post_id and into.handle and platform is not None and platform.canonical is not None:
        into.url = platform.address(into.post_id, into.handle, into.url)
    if into.url and other.url and platform is not None and platform.richer_url is not None \
            and platform.richer_url(into.url, other.url):
        into.url = other.url  # the same post, with what reaching it needs (an unlisted video's hash)
    into.url = into.url or other.url


def _richer(a: str | None, b: str | None) -> str | None:
    if not a:
        return b
    if not b:
        return a
    return b if len(b) > len(a) else a


def _union(a: list[str], b: list[str]) -> list[str]:
    return a + [x for x in b if x not in a]
