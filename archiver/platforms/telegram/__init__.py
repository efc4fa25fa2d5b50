"""Telegram: how channel posts appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.telegram import detect
from archiver.platforms.telegram.detect import canonical_url, embed_url, parse_url

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.telegram.check")

__all__ = ["PLATFORM", "canonical_url", "embed_url", "parse_url"]
