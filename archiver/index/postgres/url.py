"""PostgreSQL index URLs: which ones are PostgreSQL's, whether one can name a server at all, and how
messages name one without its password.

Every helper here takes whatever was typed: a URL that `urllib` refuses (an unclosed `[`, a port
that is not a number) never raises from them; `check` says what is wrong with it, as a usage error.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from archiver.errors import UsageError

SCHEMES = ("postgresql", "postgres")
EXAMPLE = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def is_postgres(url: str | None) -> bool:
    """True for a `postgresql://` or `postgres://` URL (well formed or not: `check` tells)."""
    if url is None:
        return False
    match = _SCHEME.match(url.strip())
    return match is not None and match[1].lower() in SCHEMES


def _split(url: str) -> tuple[str, str | None, str, str]:
    """The URL as `scheme://`, its user part (None without '@'), its host list (`host:port[,...]`:
    libpq takes several) and the rest; split without `urllib`, which refuses some of what is typed."""
    rest = url.strip()
    match = _SCHEME.match(rest)
    head = match[0] if match is not None else ""
    rest = rest[len(head):]
    if not rest.startswith("//"):
        return head, None, "", rest
    head, rest = head + "//", rest[2:]
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    user, at, hosts = netloc.rpartition("@")
    return head, user if at else None, hosts, tail


def _hosts(hosts: str) -> list[tuple[str, str]]:
    """Each `host[:port]` of a host list (libpq takes several, comma-separated) as (host, port)."""
    found: list[tuple[str, str]] = []
    for item in hosts.split(",") if hosts else []:
        if item.startswith("["):
            host, bracket, after = item[1:].partition("]")
            port = after[1:] if after.startswith(":") else after
            found.append((f"[{host}]" if bracket else f"[{host}", port if bracket else ""))
        else:
            host, _, port = item.partition(":")
            found.append((host, port))
    return found


def _problem(url: str) -> str | None:
    """Why the URL cannot name a PostgreSQL server and database, or None."""
    from archiver.redact import unescaped_userinfo

    if _URL_START.match(url) and unescaped_userinfo(url) is not None:
        return "its user name or password holds '/', '?' or '#', which a URL writes %2F, %3F and %23"
    _, _, hosts, tail = _split(url)
    if hosts.count("[") != hosts.count("]"):
        return "a '[' around its host is not closed by ']'" if "[" in hosts else "its host has a ']' without '['"
    for host, port in _hosts(hosts):
        if host.startswith("[") and not host.endswith("]"):
            return f"the host {host} is not closed by ']'"
        if host.startswith("["):
            import ipaddress

            try:
                ipaddress.IPv6Address(host[1:-1].partition("%")[0])
            except ValueError:
                return f"{host} is not an IPv6 address"
        if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            return f"its port {port!r} is not a port number (1 to 65535)"
    query = tail.partition("?")[2].partition("#")[0]
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.lower() == "port" and not all(p.isascii() and p.isdigit() and 1 <= int(p) <= 65535
                                             for p in value.split(",") if p):
            return f"its port parameter {value!r} is not a port number (1 to 65535)"
    try:
        urlsplit(url)
    except ValueError as exc:
        return str(exc) or "it cannot be parsed"
    return None


def check(url: str) -> None:
    """UsageError (exit 2, one line, no password) when the URL cannot name a server and database."""
    problem = _problem(url)
    if problem is not None:
        from archiver.redact import unescaped_userinfo, without_userinfo

        shown = without_userinfo(url) if unescaped_userinfo(url) is not None else redact(url)
        raise UsageError(f"the index URL {shown} is not valid: {problem}; give {EXAMPLE}")


# libpq's parameters whose value is a secret: the password, and `sslpassword` (the passphrase of
# the client's TLS key). The others that name credentials (`passfile`, `sslkey`, `sslcert`) are
# paths to files, not secrets: they are shown.
SECRET_PARAMS = ("password", "sslpassword")

# `password=...` (or `sslpassword=...`) in libpq's key/value form (`host=db user=archiver
# password='s3 cret'`), which is no URL but may be typed where one is asked for.
_URL_START = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*://")
_CONNINFO_PASSWORD = re.compile(r"""(?i)\s*\b(?:ssl)?password\s*=\s*(?:'(?:[^'\\]|\\.)*'?|\S*)""")


def redact(url: str) -> str:
    """The URL without its password (in the user part or as a `password=` parameter) nor the value
    of any other secret parameter (`sslpassword=`); a libpq key/value string without them."""
    if not _URL_START.match(url):  # (a key/value string's values may hold "://": application_name=http://x)
        return _CONNINFO_PASSWORD.sub("", url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # refused by urllib (an unclosed '['...): the same cuts, by hand
        head, user, hosts, tail = _split(url)
        name = (user or "").partition(":")[0]
        path, mark, query = tail.partition("?")
        query = _without_secrets(query)
        return f"{head}{name + '@' if name else ''}{hosts}{path}{mark if query else ''}{query}"
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}" if user.partition(":")[0] else host
    query = _without_secrets(parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _without_secrets(query: str) -> str:
    """A URL's query without its secret parameters; the others kept as typed."""
    return "&".join(p for p in query.split("&") if unquote(p.partition("=")[0]).strip().lower() not in SECRET_PARAMS)


def place(url: str) -> str:
    """host:port/database, the way messages name the server and database of an index (the port as
    it was given, a wrong one included)."""
    _, user, hosts, tail = _split(url)
    host, port = (_hosts(hosts) or [("", "")])[0]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    database = tail.partition("?")[0].partition("#")[0].lstrip("/")
    return f"{host.lower() or 'localhost'}:{port or 5432}/{database or (user or '').partition(':')[0] or 'postgres'}"


_SEARCH_PATH = re.compile(r"(?:-c\s*|--)search_path\s*=\s*(\"(?:[^\"]|\"\")*\"|[^\s,]+)", re.IGNORECASE)


def schema(url: str) -> str:
    """The schema the URL's connections work in, as far as the URL says (`options=-csearch_path=…`,
    its first entry): `public` when it says nothing."""
    query = _split(url)[3].partition("?")[2].partition("#")[0]
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.strip().lower() == "options" and (found := _SEARCH_PATH.search(value)) is not None:
            name = found[1]
            return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
    return "public"


def index_place(url: str) -> str:
    """Which index the URL names: `place` (the server and database, however spelt: `postgres://` or
    `postgresql://`, the host in any case, the default port written or not) and the schema. Two URLs
    with the same `index_place` name one index."""
    return f"{place(url)}#{schema(url)}"


def passwords(url: str) -> list[str]:
    """The secrets the URL carries (user part, `password=`, `sslpassword=`), as typed and
    percent-decoded; also for a URL that urllib refuses."""
    _, user, _, tail = _split(url)
    found = [(user or "").partition(":")[2]]
    found += [v for k, v in parse_qsl(tail.partition("?")[2].partition("#")[0]) if k.strip().lower() in SECRET_PARAMS]
    return sorted({s for p in found for s in (p, unquote(p)) if s}, key=len, reverse=True)


def scrub(message: str, url: str) -> str:
    """A driver's message on one line, with the URL's password (should it appear) blanked."""
    line = " ".join(message.strip().splitlines()[:1]) or "no reason given"
    for secret in passwords(url):
        line = line.replace(secret, "***")
    return line
