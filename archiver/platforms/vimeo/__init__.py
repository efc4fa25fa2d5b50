"""Vimeo: how its videos appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.vimeo import detect
from archiver.platforms.vimeo.detect import canonical_url, embed_url, parse_url

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.vimeo.check")

__all__ = ["PLATFORM", "canonical_url", "embed_url", "parse_url"]
