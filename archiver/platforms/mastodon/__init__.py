"""Mastodon: how its statuses appear in articles (detect.py) and how one is asked about (postcheck.py).

The `Platform(...)` value is built in detect.py; here it gains its capture hooks. Truth Social, a
Mastodon fork, reuses both (archiver/platforms/truthsocial.py).
"""

from dataclasses import replace

from archiver.platforms.mastodon import detect
from archiver.platforms.mastodon.detect import embed_url, make_embed_rules, match_status, status_time

PLATFORM = replace(detect.PLATFORM, check_module="archiver.platforms.mastodon.postcheck")

__all__ = ["PLATFORM", "embed_url", "make_embed_rules", "match_status", "status_time"]
