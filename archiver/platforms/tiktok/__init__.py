"""TikTok: how its videos appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.tiktok import detect
from archiver.platforms.tiktok.check import CHECK
from archiver.platforms.tiktok.detect import canonical_url, embed_url, numeric_id, parse_url, video_time

PLATFORM = replace(detect.PLATFORM, check=CHECK)

__all__ = ["PLATFORM", "canonical_url", "embed_url", "numeric_id", "parse_url", "video_time"]
