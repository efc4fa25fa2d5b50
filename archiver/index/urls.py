"""The normalised form under which an article's URL is matched (`articles.url_key`)."""

from __future__ import annotations

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
