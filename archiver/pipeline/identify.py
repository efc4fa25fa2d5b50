"""A post known by its short links alone (a flattened tweet, a bare t.co or share link) taking the ID
they led to: in the article's reading, and in a later run's re-check of a post held that way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..index.protocol import ArchiveIndex
    from ..platforms.base import Platform


def take_id(index: ArchiveIndex, platform: Platform, post: Any, old_key: str, found: tuple[str | None, str],
            link: str | None, url: str | None = None) -> None:
    """Give `post` (held as `old_key`) the (handle, ID) its links led to, and merge what the index
    holds under `old_key` into the ID-keyed post (a journaled merge). The short link followed,
    `link`, stands for the post too: `show LINK` finds it. `url`: the post's address as the links
    led to it, kept over the one the platform builds from the ID and handle."""
    assert platform.aliases is not None
    handle, pid = found
    platform.aliases.identify(post, pid, handle)
    if url:
        post.url = url
    index.merge_post_key(old_key, post.key)
    if link is not None and platform.shortlinks is not None:
        link_key = platform.shortlinks.post(link, post.source, "address").key
        if link_key != old_key:
            index.merge_post_key(link_key, post.key)
