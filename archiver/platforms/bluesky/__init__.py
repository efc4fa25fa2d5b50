"""Bluesky: how its posts appear in articles (detect.py) and how one is asked about (postcheck.py).

The `Platform(...)` value is built in detect.py; here it gains its capture hooks.
"""

from dataclasses import replace

from archiver.platforms.bluesky import detect

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.bluesky.postcheck")

__all__ = ["PLATFORM"]
