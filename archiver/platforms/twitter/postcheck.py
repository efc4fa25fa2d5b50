"""How a tweet's status is asked about and decided: syndication and oEmbed first, then the page.

The probe asks cdn.syndication.twimg.com and publish.twitter.com (neither raises on network
trouble: capture/types.py). When neither returned the post, the rendered embed's own words and
x.com's status page (is there a login wall?) settle it; a login wall alone is never "deleted".
Posts that are gone are looked for in the Wayback Machine under both twitter.com and x.com.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archiver.capture.types import given
from archiver.platforms.capture import PostCheck, PostRef, Probe, RenderFn, WaybackSource, outage, same_account_id
from archiver.platforms.twitter import syndication
from archiver.platforms.twitter.classify import classify
from archiver.platforms.twitter.detect import canonical_url, snowflake_time

if TYPE_CHECKING:
    from archiver.capture.renderer import PageCapture
    from archiver.capture.types import HttpGetter

# The rendered tweet inside Tweet.html, or the tombstone it shows instead (withheld, protected,
# deleted: the platform's own words); without either the full-page screenshot stands for the post.
TWEET_SELECTORS = ("article", '[data-testid="tombstone"]')
# The tweet on an archived twitter.com / x.com status page.
WAYBACK_SELECTORS = ('article[data-testid="tweet"]',)


def probe(post: PostRef, client: HttpGetter) -> Probe:
    """Syndication and oEmbed on one tweet; `state` keeps both answers for `after_render`."""
    pid = post.post_id or ""
    synd = syndication.fetch_syndication(client, pid)
    status_url = post.url or canonical_url(pid, post.handle)
    oembed = syndication.fetch_oembed(client, status_url)
    partly_offline = synd.network_failed or oembed.network_failed
    status, reason = classify(synd, oembed, None, partly_offline)
    # No answer, and the network policy kept the tool away: its own words say where and why.
    refused = synd.status is None and oembed.status is None and (synd.refused or oembed.refused)
    if refused:
        reason = "; ".join(f"{name}: {r.error}" for name, r in (("syndication", synd), ("oEmbed", oembed)) if r.error)
    fields: dict[str, Any] = {}
    media: tuple[str, ...] = ()
    if synd.kind == "tweet" and synd.json:
        data = syndication.parse_tweet(synd.json)
        fields = tweet_fields(data, synd.json)
        media = tuple(data.media or ())
    # Syndication decides: oEmbed and x.com's page are not enough alone. One that gave no answer
    # (refused, timed out, cut off by a byte cap) or none usable (a 429, a 5xx) leaves the post
    # unchecked, whatever oEmbed said: our network or an outage, not the post (a held post keeps
    # its status; one new to the archive is captured at the next run).
    unusable = not fields and (synd.status is None or outage(synd.status))
    return Probe(status, reason, url=status_url, fields=fields, media=media,
                 network_failed=synd.network_failed and oembed.network_failed, refused=refused,
                 found=bool(fields), state=(synd, oembed, partly_offline), unusable=unusable)


def after_render(found: Probe, page: PageCapture | None, render: RenderFn) -> tuple[str, str | None]:
    """Without the post's data: x.com's own page (a login wall?) and the embed's words decide."""
    if found.found:
        return found.status, found.reason
    synd, oembed, partly_offline = found.state
    ((wall_url, label),) = pages_beside(found)  # rendered beside the embed, when pages were spare
    wall_page = render(wall_url, label)
    login_wall = bool(wall_page and wall_page.login_wall)
    page_text = page.frames[0].text[:2000] if (page is not None and page.frames) else None
    return classify(synd, oembed, login_wall, partly_offline, page_text=page_text)


def pages_beside(found: Probe) -> tuple[tuple[str, str], ...]:
    """x.com's page, which `after_render` asks for whenever the tweet's data did not come back."""
    return () if found.found else ((found.url or "", "x"),)


def tweet_fields(data: syndication.TweetData, raw: dict[str, Any]) -> dict[str, Any]:
    """The post fields the index keeps from a syndication answer. The time is the ID's where the ID
    encodes it (to the millisecond; `created_at` is given to the second), as detection gives it."""
    posted_at = (snowflake_time(data.post_id) if data.post_id else None) or data.posted_at
    out = {"handle": data.handle, "author": data.author, "posted_at": posted_at, "text": data.text,
           "media": list(data.media or []), "data": raw}
    if getattr(data, "links", None):
        out["links"] = list(data.links)
    return given(out)


def _find_snapshot(client: HttpGetter, post_url: str) -> Any:
    # The Wayback side (and the HTTP stack under it) is imported on first use: every scan imports
    # the platform registry, and a scan never asks the Wayback Machine.
    from archiver.platforms.twitter import wayback

    return wayback.find_snapshot(client, post_url)


def _fetch_snapshot(client: HttpGetter, snapshot: Any) -> Any:
    from archiver.platforms.twitter import wayback

    return wayback.fetch_snapshot(client, snapshot)


CHECK = PostCheck(probe=probe, element_selectors=TWEET_SELECTORS, after_render=after_render,
                  render_beside=pages_beside, render_decides=lambda found: not found.found,
                  wayback=WaybackSource(find=_find_snapshot, fetch=_fetch_snapshot,
                                        element_selectors=WAYBACK_SELECTORS),
                  # The author's account by its ID in the syndication answer (a handle can change hands).
                  same_account=same_account_id("user", "id_str"))
