"""Limits that hold against a hostile or broken server: deadlines and byte caps.

A per-read timeout never trips on a body that drips one byte a second, and a body without a
Content-Length can be of any size: these limits bound a run however the far end behaves.

    fetch_deadline      seconds for one HTTP fetch outside the browser, everything included:
                        connecting, every redirect hop, reading the body, retries and their waits
    capture_deadline    seconds for one browser capture: load, settle, screenshots, collecting
    max_bytes           bytes of any one body (source, media, browser resource), enforced while
                        reading: a longer body is cut off there and not recorded
    max_capture_bytes   bytes of all the bodies one browser capture records
    max_posts           posts one article may have archived: a page of half a million status
                        links (or short links, each followed) would take a run over for days
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024

DEFAULT_FETCH_DEADLINE = 120.0
DEFAULT_CAPTURE_DEADLINE = 300.0
DEFAULT_MAX_BYTES = 50 * MIB
DEFAULT_MAX_CAPTURE_BYTES = 500 * MIB
# Articles one feed adds to a run (--max-feed-articles), the newest where the feed dates them. A news
# sitemap lists at most 1,000 (Google's rule: the articles of the last two days), an RSS or Atom feed
# some 10 to 100: none is cut. A whole-site sitemap (up to 50,000 URLs, every article the site ever
# published) is, to its 1,000 newest each run.
DEFAULT_MAX_FEED_ARTICLES = 1000
# Posts archived from one article (--max-posts), the first in the page's order. A live blog embeds
# some hundreds at most.
DEFAULT_MAX_POSTS = 1000


@dataclass(frozen=True)
class Limits:
    """The limits of one run (picklable: worker processes get a copy)."""

    fetch_deadline: float = DEFAULT_FETCH_DEADLINE
    capture_deadline: float = DEFAULT_CAPTURE_DEADLINE
    max_bytes: int = DEFAULT_MAX_BYTES
    max_capture_bytes: int = DEFAULT_MAX_CAPTURE_BYTES
    max_posts: int = DEFAULT_MAX_POSTS


def seconds(value: float) -> str:
    """120.0 -> "120 s", 2.5 -> "2.5 s", 96881700 -> "96881700 s (1121 days)" (for failure messages:
    never in scientific notation)."""
    if abs(value) < 1000:
        return f"{value:g} s"
    days = f" ({abs(value) / 86400:.0f} days)" if abs(value) >= 2 * 86400 else ""
    return f"{value:.0f} s{days}"
