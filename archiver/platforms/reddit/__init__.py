"""Reddit: how its posts appear in articles (detect.py), how one is asked about (postcheck.py), and
how a share link leads to its post (sharelinks.py).

The `Platform(...)` value is built in detect.py; here it gains its capture hooks.
"""

from dataclasses import replace

from archiver.platforms.reddit import detect
from archiver.platforms.reddit.sharelinks import ALIASES, SHARELINKS

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.reddit.postcheck", shortlinks=SHARELINKS, aliases=ALIASES)

__all__ = ["PLATFORM"]
