"""TikTok: how its videos appear in articles (detect.py), how one is asked about (check.py), and
how a share link leads to its video (sharelinks.py)."""

from dataclasses import replace

from archiver.platforms.tiktok import detect
from archiver.platforms.tiktok.detect import canonical_url, embed_url, numeric_id, parse_url, video_time
from archiver.platforms.tiktok.sharelinks import ALIASES, SHARELINKS

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.tiktok.check", shortlinks=SHARELINKS, aliases=ALIASES)

__all__ = ["PLATFORM", "canonical_url", "embed_url", "numeric_id", "parse_url", "video_time"]
