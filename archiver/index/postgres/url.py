"""PostgreSQL index URLs: which ones are PostgreSQL's, and how messages name one without its password."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")


def is_postgres(url: str | None) -> bool:
    """True for a `postgresql://` or `postgres://` URL."""
    return url is not None and urlsplit(url).scheme.lower() in SCHEMES


def redact(url: str) -> str:
    """The URL without its password (in the user part or as a `password=` parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}" if user.partition(":")[0] else host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def place(url: str) -> str:
    """host:port/database, the way messages name the server and database of an index."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    host = parts.hostname or "localhost"
    return f"{host}:{port}/{parts.path.lstrip('/') or parts.username or 'postgres'}"


def scrub(message: str, url: str) -> str:
    """A driver's message on one line, with the URL's password (should it appear) blanked."""
    parts = urlsplit(url)
    secrets = [parts.password, *(v for k, v in parse_qsl(parts.query) if k.lower() == "password")]
    line = " ".join(message.strip().splitlines()[:1]) or "no reason given"
    for secret in filter(None, secrets):
        line = line.replace(secret, "***")
    return line
