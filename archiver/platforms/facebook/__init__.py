"""Facebook: how its posts appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.facebook import detect
from archiver.platforms.facebook.detect import embed_url, parse_embed_src, parse_url
from archiver.platforms.facebook.sharelinks import ALIASES, SHARELINKS

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.facebook.check", shortlinks=SHARELINKS, aliases=ALIASES)

__all__ = ["PLATFORM", "embed_url", "parse_embed_src", "parse_url"]
