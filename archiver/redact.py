"""Secrets inside URLs, hidden from what people read: credentials in the userinfo part
(`https://user:pass@host/`) and the values of well-known secret query or fragment parameters.

Used where a URL is shown to a person — page titles in an export's pages.jsonl, the `report` HTML —
and nowhere a URL is a key: WARC records, CDXJ lines and page URLs stay as fetched, because replay
looks them up exactly. The operator's own endpoints (a proxy, a timestamp authority) are named in
messages, log lines and bundles by `redact_endpoint`, which keeps the user name so that the message
still says which account was used.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

MASK = "REDACTED"

# Parameter names (compared in lower case, `-` read as `_`) whose value is a secret: OAuth and API
# tokens and keys, signed-URL signatures and credentials (AWS, Google Cloud), sessions, passwords.
SECRET_PARAMS = frozenset({
    "access_token", "refresh_token", "id_token", "auth_token", "oauth_token", "oauth_verifier", "oauth_signature",
    "token", "auth", "key", "api_key", "apikey", "client_secret", "secret", "sig", "signature", "session",
    "sessionid", "session_id", "sid", "password", "passwd", "pwd", "jwt",
    "x_amz_signature", "x_amz_credential", "x_amz_security_token", "x_goog_signature", "x_goog_credential",
})

# One `name=value` pair in a query or fragment; the separators stay as they are.
_PAIR_RE = re.compile(r"(?P<name>[^&;=#]+)=(?P<value>[^&;#]*)")


def _mask_pairs(part: str) -> str:
    def mask(m: re.Match[str]) -> str:
        name = m["name"].strip().lower().replace("-", "_")
        if name in SECRET_PARAMS and m["value"]:
            return f"{m['name']}={MASK}"
        return m.group()

    return _PAIR_RE.sub(mask, part)


def redact_url(url: str) -> str:
    """`url` with userinfo and secret parameter values replaced by REDACTED; anything that does not
    parse as a URL is returned as it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc
    userinfo, at, host = netloc.rpartition("@")
    if at and userinfo and not userinfo.endswith(f":{MASK}") and userinfo != MASK:
        # (a user name before a password already replaced, as `redact_endpoint` names an
        # operator's endpoint, is kept)
        netloc = f"{MASK}@{host}"
    query, fragment = _mask_pairs(parts.query), _mask_pairs(parts.fragment)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url  # nothing secret: the URL exactly as given
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


# An endpoint's scheme and userinfo, read by hand so that a value urllib cannot split is still cut:
# userinfo is what comes before the last `@` of the authority (RFC 3986: no `/`, `?` or `#` in it).
_USERINFO_RE = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://|//|)(?P<userinfo>[^/?#]*)@")


def redact_endpoint(url: str) -> str:
    """How a message names an operator's endpoint (a proxy, a timestamp authority): the user name
    kept, the password and secret parameter values replaced by REDACTED (a user name with no
    password is often a token: replaced whole). Works on any scheme and on values that are not URLs
    at all; a value with nothing secret is returned as it is."""
    head, rest = "", url
    m = _USERINFO_RE.match(url)
    if m is not None and m["userinfo"]:
        user, colon, _password = m["userinfo"].partition(":")
        head, rest = f"{m['head']}{f'{user}:{MASK}' if colon and user else MASK}@", url[m.end():]
    before_fragment, hash_, fragment = rest.partition("#")
    path, mark, query = before_fragment.partition("?")
    return f"{head}{path}{mark}{_mask_pairs(query)}{hash_}{_mask_pairs(fragment)}"


# A userinfo typed with its `/`, `?` or `#` unescaped (a password from a base64 generator), which a
# URL parser ends at the first of them: the host it then reads is the password's start.
_HOSTPORT_RE = re.compile(r"(?:\[[0-9A-Za-z:.%_-]*\]|[A-Za-z0-9._~%!$&'()*+,;=-]*)(?::[0-9]+)?")


def unescaped_userinfo(url: str) -> str | None:
    """The URL's user part when it holds a `/`, `?` or `#` that should have been written %2F, %3F,
    %23 (parsers then read the password as the host, port or path, and messages quoting the URL or
    their errors print it); None otherwise, and for a URL whose `@` are in its path or query."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return None
    cut = re.search(r"[/?#]", rest)
    if cut is None or "@" not in rest[cut.start():]:
        return None  # no `@` past the first `/?#`: a parser reads the user part as written
    before = rest[:cut.start()]
    if "@" in before or _HOSTPORT_RE.fullmatch(before):
        return None  # a user part a parser reads, or a host (and port): the `@` are the path's or query's
    if ":" not in before:
        return None  # a user name alone, with no password in it
    for at in (m.start() for m in re.finditer("@", rest)):
        if at < cut.start():
            continue
        host = re.split(r"[/?#]", rest[at + 1:], maxsplit=1)[0]
        if host and _HOSTPORT_RE.fullmatch(host):
            return rest[:at]
    return None


def without_userinfo(url: str) -> str:
    """The URL as a message may show it whatever its user part holds: one typed with an unescaped
    `/`, `?` or `#` (`unescaped_userinfo`) replaced by REDACTED whole; else as `redact_endpoint`."""
    userinfo = unescaped_userinfo(url)
    if userinfo is None:
        return redact_endpoint(url)
    scheme, _, rest = url.strip().partition("://")
    return redact_endpoint(f"{scheme}://{MASK}@{rest[len(userinfo) + 1:]}")


def endpoint_secrets(url: str) -> list[str]:
    """The secrets an endpoint's URL carries (its password, or a user name standing alone, and the
    values of secret parameters), as typed and percent-decoded: what `scrub` takes out of a message
    that may quote them (a library's error text)."""
    from urllib.parse import unquote

    found: list[str] = []
    m = _USERINFO_RE.match(url)
    if m is not None and m["userinfo"]:
        user, colon, password = m["userinfo"].partition(":")
        found.append(password if colon else user)
    if (loose := unescaped_userinfo(url)) is not None:
        user, colon, password = loose.partition(":")
        found.append(password if colon else user)
    for part in (url.partition("?")[2], url.partition("#")[2]):
        for pair in _PAIR_RE.finditer(part):
            if pair["name"].strip().lower().replace("-", "_") in SECRET_PARAMS:
                found.append(pair["value"])
    return sorted({s for p in found for s in (p, unquote(p)) if s}, key=len, reverse=True)


_URL_RE = re.compile(r"(?i:https?)://[^\s\"'<>]+")  # (a scheme in any case: `HTTPS://` is one)


def _redact_match(m: re.Match[str]) -> str:
    url = m.group()
    bare = url.rstrip(".,;:!?)]}")  # the sentence's punctuation after a URL is not part of it
    return redact_url(bare) + url[len(bare):]


def redact_text(text: str) -> str:
    """`text` with every http(s) URL in it redacted (titles often are, or hold, a URL). Runs on every
    line printed for people: a text without `://` is returned at once."""
    if "://" not in text:
        return text
    return _URL_RE.sub(_redact_match, text)


def dsn_secrets(url: str) -> list[str]:
    """The secrets a database URL carries (userinfo, `password=`, `sslpassword=`), as typed and
    percent-decoded."""
    from urllib.parse import unquote

    from .index.postgres.url import passwords

    found: list[str] = list(passwords(url))  # (also from URLs urllib refuses to split)
    if (loose := unescaped_userinfo(url)) is not None and ":" in loose:
        found.append(loose.partition(":")[2])
    found += re.findall(r"(?i)(?:^|[?&;\s])(?:ssl)?password\s*=\s*([^&;#\s]+)", url)
    return sorted({s for p in found for s in (p, unquote(p)) if s}, key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with each of `secrets` replaced by REDACTED (a driver's message may quote them)."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class ScrubFilter(logging.Filter):
    """A log handler's filter: its lines never show `secrets` (the list may be filled later)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:  # a traceback (-vv) is text too: formatted once, here
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), self.secrets)
        return True
