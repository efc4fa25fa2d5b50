"""`archive`: capture each article and every post it embeds or links, into WARC + screenshots + index.

The work itself is `archiver.pipeline`: this is the entry point the CLI calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .limits import DEFAULT_MAX_FEED_ARTICLES, Limits
from .pipeline.summary import ArchiveSummary, ArticleOutcome
from .sources import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from .evidence.stamps import Authorities
    from .net import NetOptions


def archive(specs: list[str], archive_dir: Path, net: NetOptions, *, timeout: float = 30.0,
            recapture: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
            progress: Callable[[str], None] | None = None, limits: Limits | None = None,
            pages_in_flight: int | None = None, index_url: str | None = None,
            timestamps: Authorities | None = None, problems: Sequence[str] = (), wait: bool = False,
            max_feed_articles: int = DEFAULT_MAX_FEED_ARTICLES) -> ArchiveSummary:
    """Archive every source under the run lock, as a row of the index's `runs` (`''` or a
    malformed URL: a usage error, at once); `max_bytes` is also the cap of every body;
    `pages_in_flight` pages are captured at once (None: the default); `index_url` names the index
    (None: the archive's own SQLite file); `timestamps` the authorities that timestamp each capture;
    `problems`: sources already found unusable (a bad line of a URL list), named among the failures;
    `wait`: wait for a run that holds the lock instead of raising LockHeld; a feed among the
    sources adds at most `max_feed_articles` articles, the newest where it dates them."""
    from .pipeline.run import archive_sources
    from .sources import check_specs

    check_specs(specs)
    return archive_sources(specs, archive_dir, net, timeout=timeout, recapture=recapture, max_bytes=max_bytes,
                           progress=progress, limits=limits, pages_in_flight=pages_in_flight, index_url=index_url,
                           timestamps=timestamps, problems=problems, wait=wait,
                           max_feed_articles=max_feed_articles)


__all__ = ["ArchiveSummary", "ArticleOutcome", "archive"]
