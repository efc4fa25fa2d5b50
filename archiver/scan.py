"""`scan`: read sources and find the social posts they embed, link or cite."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .models import KINDS, Document, Post
from .sources import DEFAULT_MAX_BYTES, SourceFailure, check_specs, is_url, read_sources

if TYPE_CHECKING:
    from .net import NetOptions

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    """What a scan found: posts in source order, and the sources that could not be read."""

    posts: list[Post] = field(default_factory=list)
    failures: list[SourceFailure] = field(default_factory=list)
    sources_read: int = 0


def scan(specs: list[str], *, kind: str = "all", max_bytes: int = DEFAULT_MAX_BYTES,
         net: NetOptions | None = None) -> ScanResult:
    """Detect posts in every source; `kind` is one of KINDS or "all".

    `''` or a malformed URL among `specs` is a usage error, raised before anything is read.
    """
    from .detect import detect

    check_specs(specs)
    wanted = set(KINDS) if kind == "all" else {kind}
    result = ScanResult()
    for item in _read(specs, max_bytes, net):
        if isinstance(item, Post):
            result.sources_read += 1
            if item.kind in wanted:
                result.posts.append(item)
            continue
        if isinstance(item, SourceFailure):
            log.debug("%s", item.message)  # the caller names every failure (ScanResult.failures)
            result.failures.append(item)
            continue
        result.sources_read += 1
        try:
            posts = detect(item)
        except Exception as e:
            msg = f"{item.source}: could not be scanned ({type(e).__name__}: {e})"
            log.debug("%s", msg, exc_info=True)
            result.failures.append(SourceFailure(item.source, msg))
            continue
        result.posts.extend(p for p in posts if p.kind in wanted)
    return result


def _read(specs: list[str], max_bytes: int, net: NetOptions | None) -> Iterator[Post | Document | SourceFailure]:
    """Each source read, in order; a post's own address (a tweet's URL) is that post, not fetched:
    its page is the platform's, which shows the post to a browser, if at all, not in its markup."""
    from .detect import post_at_address

    rest: list[str] = []
    for spec in specs:
        post = post_at_address(spec) if is_url(spec) else None
        if post is None:
            rest.append(spec)
            continue
        yield from read_sources(rest, max_bytes=max_bytes, net=net)
        rest = []
        yield post
    yield from read_sources(rest, max_bytes=max_bytes, net=net)
