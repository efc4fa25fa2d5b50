"""Bluesky: how its posts appear in articles (detect.py) and how one is asked about (postcheck.py).

The `Platform(...)` value is built in detect.py; here it gains its capture hooks.
"""

from dataclasses import replace

from archiver.platforms.bluesky import detect
from archiver.platforms.bluesky.postcheck import CHECK

PLATFORM = replace(detect.PLATFORM, check=CHECK)

__all__ = ["PLATFORM"]
