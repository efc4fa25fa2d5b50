"""Instagram: how its posts appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.instagram import detect
from archiver.platforms.instagram.detect import embed_url, parse_url

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.instagram.check")

__all__ = ["PLATFORM", "embed_url", "parse_url"]
