"""LinkedIn: how its posts appear in articles (detect.py) and how one is asked about (check.py)."""

from dataclasses import replace

from archiver.platforms.linkedin import detect
from archiver.platforms.linkedin.check import CHECK
from archiver.platforms.linkedin.detect import embed_url, parse_url, update_time

PLATFORM = replace(detect.PLATFORM, check=CHECK)

__all__ = ["PLATFORM", "embed_url", "parse_url", "update_time"]
