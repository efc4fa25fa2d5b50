"""A flattened tweet known only by its short links learns its status ID by following them."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from archiver.platforms.capture import Alias, Aliases, Destination, identify_with
from archiver.platforms.twitter.detect import canonical_url
from archiver.platforms.twitter.shortlinks import is_shortlink, resolve_shortlink, resolved_post_id

if TYPE_CHECKING:
    from archiver.capture.types import HttpGetter
    from archiver.models import Post

log = logging.getLogger(__name__)


def resolve(post: Post, client: HttpGetter) -> Alias:
    """Follow the post's short links to a status URL of the same author (hops go through `client`)."""
    out = Alias()
    candidates = [u for u in dict.fromkeys([*post.media, *post.links]) if is_shortlink(u)]
    dead_end = False  # a link that led nowhere (an error): it may yet lead to a post
    for link in candidates:
        # Followed through the short-link hosts to the first address past them, which is not asked:
        # a status URL is the post; anything else (an article the tweet cites) is no post of its own.
        res = resolve_shortlink(client, link, until=_past_short_links)
        if res.network_failed:
            out.failures.append((f"{link}: could not be resolved ({res.error})", True))
            return out
        if res.refused:
            out.failures.append((f"{link}: {res.error}", False))
        elif res.error is not None and res.unanswered:  # no server answered: where it leads is still to learn
            out.link_unanswered(f"{link}: could not be followed ({res.error})", res.said(link))
        elif res.error is not None:  # a 404, a loop: named by the run
            out.failures.append((f"{link}: could not be followed ({res.error})", False))
        found = resolved_post_id(res)
        if found and same_author(post, found[0], res.final_url):
            out.found, out.link = found, link
            return out
        if found:
            log.info("%s: %s leads to another account's post (%s); not this post's ID",
                     post.key, link, res.final_url)
        elif res.error is None and res.final_url:
            out.elsewhere = res.final_url
        else:
            dead_end = True
    if dead_end or out.failures:
        out.elsewhere = None
    return out


def destination(link: str, client: HttpGetter) -> Destination:
    """Where a short link given as a source leads: t.co hops (and pic.twitter.com's, and the
    unsafe-link warning's) are followed, the first address past them is not asked (the article is
    fetched as articles are, with a browser's agent; a status URL is the post)."""
    res = resolve_shortlink(client, link, until=_past_short_links)
    return Destination.past(link, res, is_shortlink)


def _past_short_links(url: str) -> bool:
    """The first address past the short-link hosts, where following stops without asking it."""
    return not is_shortlink(url)


def same_author(post: Post, handle: str | None, final_url: str | None) -> bool:
    """A flattened tweet's own media link ends at its own status (`/photo/1`, `/video/1`); a link in
    its text may point at someone else's post (a quote): that ID is not this post's."""
    if post.handle is None or handle is None:
        return post.kind == "shortlink" or bool(final_url and re.search(r"/(photo|video)/[0-9]+", final_url))
    return handle.lower() == post.handle.lower()


ALIASES = Aliases(resolve=resolve, identify=identify_with(canonical_url), destination=destination)
