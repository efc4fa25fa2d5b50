"""LinkedIn: how its posts appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.linkedin import detect
from archiver.platforms.linkedin.detect import embed_url, parse_url, update_time

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.linkedin.check")

__all__ = ["PLATFORM", "embed_url", "parse_url", "update_time"]
