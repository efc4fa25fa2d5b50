"""TikTok's share links: `vm.tiktok.com/CODE`, `vt.tiktok.com/CODE` and `www.tiktok.com/t/CODE`, as the
app's share button writes them, each a redirect to the video's own address
(`www.tiktok.com/@user/video/ID?...`). How a video known only by one learns its ID: `sharelinks`.
"""

from __future__ import annotations

import re

from archiver.platforms.base import LINK_START
from archiver.platforms.sharelinks import share_links
from archiver.platforms.tiktok.detect import canonical_url, parse_url, video_time

# The link as written, with or without its scheme; the form (`vm.`, `vt.`, `/t/`) and the code.
SHARE_RE = re.compile(
    LINK_START + r"(?:https?://)?(?:(?P<sub>vm|vt)\.tiktok\.com|(?:www\.|m\.)?tiktok\.com/t)/(?P<code>[A-Za-z0-9]{5,16})\b"
)


def _address(m: re.Match[str]) -> str:
    where = f"{m.group('sub')}.tiktok.com" if m.group("sub") else "www.tiktok.com/t"
    return f"https://{where}/{m.group('code')}/"


SHARELINKS, ALIASES = share_links(
    "tiktok",
    pattern=SHARE_RE,
    address=_address,
    hosts=("vm.tiktok.com", "vt.tiktok.com"),
    hints=("vm.tiktok.com/", "vt.tiktok.com/", "tiktok.com/t/"),
    # Every code in a raw page in one pass: the literal "tiktok.com/" lets the regex engine jump
    # between occurrences as `str.find` does; what comes before it is looked at only there.
    raw_pattern=re.compile(r"tiktok\.com/(?:(?<=vm\.tiktok\.com/)|(?<=vt\.tiktok\.com/)|t/)([A-Za-z0-9]{5,16})\b"),
    raw_hint=re.compile(rb"\.com/(?<=tiktok\.com/)"),  # keyed on ".co", as t.co's: see detect.html
    parse_url=parse_url,
    canonical=canonical_url,
    time_from_id=video_time,
)
