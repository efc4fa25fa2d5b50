"""Reddit's share links: `www.reddit.com/r/SUB/s/CODE`, as the app's share button writes them, each a
redirect to the post's own address (`/r/SUB/comments/ID/slug/?share_id=...`). How a post known only
by one learns its ID: `sharelinks`.
"""

from __future__ import annotations

import re

from archiver.platforms.base import LINK_START
from archiver.platforms.reddit.detect import canonical_url, parse_url
from archiver.platforms.sharelinks import share_links

# The link as written, with or without its scheme or `www.`; the community and the code.
SHARE_RE = re.compile(
    LINK_START + r"(?:https?://)?(?:(?:www|old|new|m|np)\.)?reddit\.com/r/(?P<sub>[A-Za-z0-9_]{2,32})/s/"
    r"(?P<code>[A-Za-z0-9]{6,16})\b"
)


def _address(m: re.Match[str]) -> str:
    return f"https://www.reddit.com/r/{m.group('sub').lower()}/s/{m.group('code')}"


SHARELINKS, ALIASES = share_links(
    "reddit",
    pattern=SHARE_RE,
    address=_address,
    hosts=(),  # on Reddit's own hosts, beside its posts
    hints=("/s/",),
    # Every code in a raw page in one pass, from each "reddit.com/r/" on (found as `str.find` would).
    raw_pattern=re.compile(r"reddit\.com/r/[A-Za-z0-9_]{2,32}/s/([A-Za-z0-9]{6,16})\b"),
    raw_hint=re.compile(rb"\.com/r/(?<=reddit\.com/r/)"),  # keyed on ".co", as t.co's: see detect.html
    parse_url=parse_url,
    canonical=lambda post_id, _handle: canonical_url(post_id),
)
