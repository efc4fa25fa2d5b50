"""x.com's login wall: a page that asks an anonymous visitor to log in instead of showing the post."""

from __future__ import annotations

from urllib.parse import urlsplit

from archiver.platforms.capture import LoginWall

X_HOSTS = ("x.com", "twitter.com")
_LOGIN_PATHS = ("/i/flow/login", "/login", "/i/flow/signup")
# A rendered post on an x.com page: with one on the page, "Log in / Sign up" words are only a bar.
POST_SELECTOR = 'article[data-testid="tweet"]'


def detect_login_wall(final_url: str, text: str, has_post: bool) -> bool:
    """Heuristic: an x.com/twitter.com page that asks to log in instead of showing the post.

    Logged-out x.com pages can show a post with a "Log in / Sign up" bar under it: that is not a
    wall, so the words count only when no post (`article[data-testid=tweet]`) is on the page.
    """
    parts = urlsplit(final_url)
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "mobile.", "m."):
        host = host.removeprefix(prefix)
    if host not in X_HOSTS:
        return False
    if any(parts.path.startswith(p) for p in _LOGIN_PATHS):
        return True
    low = text.lower()
    asks = ("log in" in low or "sign in" in low) and "sign up" in low
    return asks and not has_post


LOGIN_WALL = LoginWall(hosts=X_HOSTS, post_selector=POST_SELECTOR, detect=detect_login_wall)
