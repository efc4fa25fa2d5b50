"""Twitter/X: how its posts appear in articles (detect) and how they are captured.

detect.py and flattened.py find posts; syndication.py, classify.py and postcheck.py ask about one
and decide its status; token.py signs syndication requests; wayback.py recovers gone posts;
shortlinks.py and aliases.py follow t.co links; loginwall.py spots x.com's login wall.
"""

from dataclasses import replace

from archiver.platforms.twitter import detect
from archiver.platforms.twitter.aliases import ALIASES
from archiver.platforms.twitter.loginwall import LOGIN_WALL

PLATFORM = replace(detect.PLATFORM, other_names=("x",), check_module="archiver.platforms.twitter.postcheck",
                   login_wall=LOGIN_WALL, aliases=ALIASES)

__all__ = ["PLATFORM"]
