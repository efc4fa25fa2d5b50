"""The normalised form under which an article's URL is matched (`articles.url_key`)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def url_key(url: str) -> str:
    """The URL with surrounding space and trailing slashes removed, scheme and host lower-cased:
    the spellings of one article's address that people type interchangeably."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.rstrip("/")
    if parts.scheme and parts.netloc:
        url = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment))
    return url.rstrip("/")


_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|urn:", re.IGNORECASE)


def article_keys(given: str) -> tuple[str, ...]:
    """The `url_key`s an article typed as `given` may be held under.

    A URL with its scheme is looked for as typed. Without one (`news.example/2024/story.html`, or a
    file's path as it was passed to `archive`), it may be a web address, held under https or http,
    or a local file, held under the `file:` URL of its absolute path: each is looked for.
    """
    given = given.strip()
    if not given:
        return ()
    if _SCHEME_RE.match(given):
        return (url_key(given),)
    keys = [url_key(f"https://{given}"), url_key(f"http://{given}")]
    try:
        keys.append(url_key(Path(given).resolve().as_uri()))
    except (OSError, ValueError):
        pass  # no such path can have been archived (a NUL, a name too long)
    return tuple(dict.fromkeys(keys))
