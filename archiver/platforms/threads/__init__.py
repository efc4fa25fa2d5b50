"""Threads: how its posts appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.threads import detect
from archiver.platforms.threads.detect import canonical_url, embed_url, parse_url

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.threads.check")

__all__ = ["PLATFORM", "canonical_url", "embed_url", "parse_url"]
