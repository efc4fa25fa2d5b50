"""Share links: the addresses an app's share button writes for a post (`vm.tiktok.com/CODE`,
`reddit.com/r/SUB/s/CODE`), each a redirect to the post's own address, and how a post known only
by one learns its ID.

A page that cites a post by such a link alone names it by no ID: the post is known by its link
(kind `shortlink`, keyed by the link's address) until a run follows the link hop by hop
(`hops.follow`, every hop recorded) to the first address past the share links, the post's own when
the link works, and takes the ID that address holds, as a tweet known by its t.co link does. Where
the redirects go is the platforms' own business: a link that leads to no post's address stands for
no post, and one that cannot be followed leaves the post known by its link, named among the failures.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from archiver.models import Post
from archiver.platforms.base import ShortLinks, UrlMatch, host_lowered
from archiver.platforms.capture import Alias, Aliases, Destination, identify_with
from archiver.platforms.hops import follow, led_to

if TYPE_CHECKING:
    from archiver.capture.types import HttpGetter



# The path of a login form (`/login/?next=…`, `/accounts/login/`, `/checkpoint/…`, `/en-gb/signin`):
# where a platform may send a signed-out reader of a share link instead of the post.
_LOGIN_PATH = re.compile(r"^/(?:[a-z]{2}(?:[-_][a-z]{2})?/)?(?:accounts?/)?(?:log-?in|sign-?in|checkpoint|auth|sso)"
                         r"(?:/|\.php$|$)", re.IGNORECASE)  # (`auth.ng`, `login.gov`: pages of their own)


def login_form(url: str) -> bool:
    """True when `url` is a login form's address (`_LOGIN_PATH`), not a page of its own."""
    from urllib.parse import urlsplit

    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return _LOGIN_PATH.match(path or "/") is not None


def share_links(
    platform: str,
    *,
    pattern: re.Pattern[str],
    address: Callable[[re.Match[str]], str],
    hosts: tuple[str, ...],
    hints: tuple[str, ...],
    raw_pattern: re.Pattern[str],
    raw_hint: re.Pattern[bytes],
    parse_url: Callable[[str], UrlMatch | None],
    canonical: Callable[[str, str | None], str],
    time_from_id: Callable[[str], str | None] | None = None,
) -> tuple[ShortLinks, Aliases]:
    """The `ShortLinks` and `Aliases` of a platform's share links.

    `pattern`: one link as written, its code in the group `code`; `address(match)`: the link's
    https address, one for all its spellings (with or without scheme or `www.`), which keys the post
    and is the first hop; `hosts`: hosts that serve nothing but these links; `hints`: what every
    spelling holds; `raw_pattern`/`raw_hint`: see `ShortLinks`; `parse_url`, `canonical`,
    `time_from_id`: the platform's own, for the address the link leads to.
    """

    def at(link: str) -> str | None:
        m = pattern.search(host_lowered(link.strip()))
        return address(m) if m else None

    def is_share_link(url: str) -> bool:
        return pattern.match(host_lowered(url)) is not None

    def make_post(link: str, source: str, evidence: str) -> Post:
        where = at(link) or link
        return Post(platform=platform, kind="shortlink", source=source, evidence=evidence, links=[link],
                    key=f"{platform}:h:" + hashlib.sha256(f"||{where}".encode()).hexdigest())

    def resolve(post: Post, client: HttpGetter) -> Alias:
        """Follow the post's share links to the first address past them (hops through `client`;
        that address is not asked: the post's capture is its own)."""
        out = Alias()
        for link in dict.fromkeys(u for u in post.links if at(u)):
            res = follow(client, at(link) or link, stop=lambda url: not is_share_link(url))
            if res.network_failed:
                out.failures.append((f"{link}: could not be resolved ({res.error})", True))
                return out
            if res.error is not None and res.unanswered:  # no server answered: where it leads is still to learn
                out.link_unanswered(f"{link}: could not be followed ({res.error})", res.said(link))
            elif res.error is not None:
                out.failures.append((f"{link}: could not be followed ({res.error})", False))
            found = led_to(res, parse_url)
            if found is not None:
                out.found, out.link, out.url = (found.handle, found.post_id), link, found.url
                return out
            if res.error is None and res.final_url and login_form(res.final_url):
                # (Facebook's may send a reader there first: where the link leads is not learnt,
                # and it is followed again by the next check, never taken for a page that is no post)
                out.failures.append((f"{link}: led to a login form ({res.final_url}): where it leads is not known "
                                     "without signing in", False))
            elif res.error is None and res.final_url:
                out.elsewhere = res.final_url
        if out.failures:
            out.elsewhere = None
        return out

    def destination(link: str, client: HttpGetter) -> Destination:
        """Where a share link given as a source leads: the first address past the share links."""
        start = at(link)
        if start is None:
            return Destination(failures=[(f"{link}: not a {platform} share link", False)])
        return Destination.past(link, follow(client, start, stop=lambda url: not is_share_link(url)), is_share_link)

    links = ShortLinks(hosts=hosts, hints=hints, pattern=pattern, media_hints=(), make_post=make_post,
                       raw_pattern=raw_pattern, raw_hint=raw_hint)
    return links, Aliases(resolve=resolve, identify=identify_with(canonical, time_from_id), destination=destination)
