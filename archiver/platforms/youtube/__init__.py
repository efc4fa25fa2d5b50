"""YouTube: how its videos appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.youtube import detect
from archiver.platforms.youtube.detect import canonical_url, embed_url, parse_url

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.youtube.check")

__all__ = ["PLATFORM", "canonical_url", "embed_url", "parse_url"]
