"""Twitter/X: how its posts appear in articles (detect) and how they are captured."""

from archiver.platforms.twitter.detect import PLATFORM

__all__ = ["PLATFORM"]
