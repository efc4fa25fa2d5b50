"""Facebook's share links: `www.facebook.com/share/p/CODE/` (a post), `/share/v/CODE/` (a video),
`/share/r/CODE/` (a reel) and the older `/share/CODE/`, as its share button writes them, and
`fb.watch/CODE/`, its short links to videos. Each is a redirect to the post's own address (which
may then ask a reader to log in). How a post known only by one learns its ID: `sharelinks`.

A Facebook address cannot be rebuilt from the ID alone (a page's post, a video, a group's post
differ), so the post keeps the address the link led to; a post given only its ID (a link followed
by an earlier run) is addressed as `https://www.facebook.com/ID/`.
"""

from __future__ import annotations

import re

from archiver.platforms.base import LINK_START
from archiver.platforms.facebook.detect import parse_url
from archiver.platforms.sharelinks import share_links

# The link as written, with or without its scheme or `www.`: where it points (`fb.watch` or
# `facebook.com/share[/KIND]`) and the code.
SHARE_RE = re.compile(
    LINK_START + r"(?:https?://)?(?P<at>fb\.watch|(?:(?:www|m|web)\.)?facebook\.com/share(?:/(?P<kind>[prv]))?)"
    r"/(?P<code>[A-Za-z0-9_-]{5,24})(?![A-Za-z0-9_-])"
)


def _address(m: re.Match[str]) -> str:
    if m.group("at") == "fb.watch":
        return f"https://fb.watch/{m.group('code')}/"
    kind = f"{m.group('kind')}/" if m.group("kind") else ""
    return f"https://www.facebook.com/share/{kind}{m.group('code')}/"


def canonical(post_id: str, handle: str | None) -> str:
    """A page's post by its page name; otherwise the address Facebook answers for an ID alone."""
    return f"https://www.facebook.com/{handle}/posts/{post_id}/" if handle else f"https://www.facebook.com/{post_id}/"


SHARELINKS, ALIASES = share_links(
    "facebook",
    pattern=SHARE_RE,
    address=_address,
    hosts=("fb.watch",),  # serves nothing but these links; facebook.com/share/ sits beside the posts
    hints=("fb.watch/", "facebook.com/share/"),
    # Every code of a share link in a raw page in one pass, keyed on ".co" as the other platforms'
    # hints are (see detect.html): the regex engine then jumps between its occurrences in one search
    # for all of them. fb.watch holds no ".co", and a search of its own would cost every page another
    # pass: a bare fb.watch address in an HTML page's text is not read (as a link, and in plain text, it is).
    raw_pattern=re.compile(r"\.com/share(?<=facebook\.com/share)(?:/[prv])?/([A-Za-z0-9_-]{5,24})(?![A-Za-z0-9_-])"),
    raw_hint=re.compile(rb"\.com/share/(?<=facebook\.com/share/)"),
    parse_url=parse_url,
    canonical=canonical,
)
