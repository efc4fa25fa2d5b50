"""What every platform module provides, and the helpers they share.

A platform module builds one `Platform` value: how its post URLs look (-> `UrlMatch`), which HTML
elements embed its posts (`EmbedRule`s), and, where the platform's IDs encode it, the time of a post
from its ID. The HTML walker, the plain-text scanner and the link matcher only talk to this interface.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from archiver.models import Post
from archiver.times import from_epoch_ms, iso_seconds

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode


@dataclass(frozen=True)
class UrlMatch:
    """A post identified from a URL: its ID, canonical URL and (when the URL names it) handle."""

    post_id: str
    url: str
    handle: str | None = None


@dataclass
class EmbedContext:
    """Where the HTML walker is: the source, and the hidden container (if any) the node sits in."""

    source: str
    prefix: str = ""  # e.g. "textarea>" for embeds re-parsed out of a consent-manager textarea
    lang: str | None = None

    def embedded(
        self,
        platform: Platform,
        evidence: str,
        match: UrlMatch | None = None,
        *,
        post_id: str | None = None,
        handle: str | None = None,
        author: str | None = None,
        date_text: str | None = None,
        posted_at: str | None = None,
        text: str | None = None,
        links: Iterable[str] = (),
        media: Iterable[str] = (),
        lang: str | None = None,
    ) -> Post:
        """One embedded post found by `evidence` (prefixed by the container it was found in)."""
        return build_post(
            platform,
            kind="embedded",
            source=self.source,
            evidence=self.prefix + evidence,
            match=match,
            post_id=post_id,
            handle=handle,
            author=author,
            date_text=date_text,
            posted_at=posted_at,
            text=text,
            links=links,
            media=media,
            lang=lang or self.lang,
        )


Attrs = dict[str, "str | None"]  # an element's attributes, as the walker read them once
Handler = Callable[["LexborNode", Attrs, EmbedContext], "list[Post] | None"]


@dataclass(frozen=True)
class EmbedRule:
    """HTML elements named `tags` are offered to `handler`; it returns the posts they embed, or None.

    `needs`: the element must carry at least one of these attributes for the handler to be called
    at all. The walker checks it on the attribute dict it already holds, so rules on very common
    elements (`div`) cost a dictionary lookup, not a function call, per element.
    `claims=True` means the element's descendants belong to the embed: the walker then does not report
    the links inside it as separate linked posts (a tweet's hashtags, its own status link).
    """

    tags: tuple[str, ...]
    handler: Handler
    needs: tuple[str, ...] = ()
    claims: bool = True


@dataclass(frozen=True)
class Platform:
    """One social platform, as the detector sees it."""

    name: str
    # Host names (without "www.") whose URLs `parse_url` understands; sub-domains match too.
    hosts: tuple[str, ...]
    parse_url: Callable[[str], UrlMatch | None]
    # Player/embed URLs found in iframe attributes; None means `parse_url` handles them as well.
    parse_embed_src: Callable[[str], UrlMatch | None] | None = None
    rules: tuple[EmbedRule, ...] = ()
    time_from_id: Callable[[str], str | None] | None = None
    canonical: Callable[[str, str | None], str] | None = None
    # Instance-based networks (Mastodon) have posts on hosts nobody can list in advance.
    any_host: Callable[[str], UrlMatch | None] | None = field(default=None)

    def embed_src(self, url: str) -> UrlMatch | None:
        """A post from a player/embed URL (iframe src and its lazy-loading variants)."""
        return (self.parse_embed_src or self.parse_url)(url)


def build_post(
    platform: Platform,
    *,
    kind: str,
    source: str,
    evidence: str,
    match: UrlMatch | None = None,
    post_id: str | None = None,
    handle: str | None = None,
    author: str | None = None,
    date_text: str | None = None,
    posted_at: str | None = None,
    text: str | None = None,
    links: Iterable[str] = (),
    media: Iterable[str] = (),
    lang: str | None = None,
) -> Post:
    """A `Post` with canonical URL and time filled in by the platform's rules.

    Time: the ID wins when the platform's IDs encode it; else `posted_at` as given (a machine-readable
    datetime in the markup); else the printed `date_text` as a bare date; else None.
    """
    url = None
    if match is not None:
        post_id = post_id or match.post_id
        handle = handle or match.handle
        url = match.url
    handle = clean_handle(handle)
    if post_id:
        if platform.canonical is not None:
            url = platform.canonical(post_id, handle)
        if platform.time_from_id is not None:
            posted_at = platform.time_from_id(post_id) or posted_at
    if not posted_at and date_text:
        # dateparser is heavy: the dates module (and it) load on the first printed date needed
        from archiver.detect.dates import parse_printed_date

        posted_at = parse_printed_date(date_text, lang)
    return Post(
        platform=platform.name,
        kind=kind,
        source=source,
        evidence=evidence,
        post_id=post_id or None,
        url=url,
        handle=handle,
        author=clean_space(author),
        posted_at=posted_at,
        text=clean_text(text),
        links=unique(links),
        media=unique(media),
    )


# --- small shared helpers -------------------------------------------------------------------------

_HOST_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//([^/?#\s]+)", re.IGNORECASE)
_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def host_of(url: str) -> str | None:
    """Lower-case host of an absolute (or scheme-relative) URL, without port, `www.`, `m.`."""
    m = _HOST_RE.match(url)
    if not m:
        return None
    host = m.group(1).rsplit("@", 1)[-1].split(":", 1)[0].lower().rstrip(".")
    for prefix in ("www.", "m.", "mobile."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def strip_url(url: str) -> str:
    """A URL as found in markup, without surrounding quotes/backslashes (JSON-escaped attributes)."""
    return url.strip().strip("\\\"' ").replace("\\/", "/")


def absolutize(url: str) -> str:
    """Scheme-relative and scheme-less URLs get https, so one set of regexes fits all."""
    url = strip_url(url)
    if url.startswith("//"):
        return "https:" + url
    if not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.IGNORECASE):
        return "https://" + url
    return url


def query_param(url: str, name: str) -> str | None:
    """First value of query parameter `name` (percent-decoded), or None."""
    try:
        values = parse_qs(urlsplit(url).query).get(name)
    except ValueError:
        return None
    return values[0] if values else None


def clean_space(s: str | None) -> str | None:
    """Runs of spaces folded to one, ends stripped; None for empty."""
    if s is None:
        return None
    s = _SPACE_RE.sub(" ", s).strip()
    return s or None


def clean_text(s: str | None) -> str | None:
    """Post text: spaces folded per line, line breaks kept, blank lines at the ends removed."""
    if s is None:
        return None
    lines = [_SPACE_RE.sub(" ", line).strip() for line in s.replace("\r", "").split("\n")]
    out = "\n".join(lines).strip("\n ")
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out or None


def clean_handle(handle: str | None) -> str | None:
    """A handle without `@` and surrounding space; None for empty."""
    if not handle:
        return None
    h = handle.strip().lstrip("@").strip()
    return h or None


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order, without repeats or empties."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def iso_from_ms(ms: int) -> str:
    """ISO 8601 UTC with milliseconds and `Z`."""
    return from_epoch_ms(ms)


def iso_from_seconds(s: int) -> str:
    """ISO 8601 UTC to the second, with `Z`."""
    return iso_seconds(datetime.fromtimestamp(s, UTC))


def plausible_ms(ms: int, earliest_year: int) -> bool:
    """A time decoded from an ID is only trusted between the platform's launch and tomorrow."""
    earliest = calendar.timegm((earliest_year, 1, 1, 0, 0, 0)) * 1000
    return earliest <= ms <= (time.time() + 2 * 86400) * 1000


def iso_from_datetime_attr(value: str | None) -> str | None:
    """A machine-readable `datetime="..."` attribute as ISO UTC; a bare date stays a bare date."""
    if not value:
        return None
    v = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.strftime("%Y-%m-%d")  # no zone: the day is all we can say in UTC terms honestly
    return iso_seconds(dt)


def has_class(attrs: Attrs, *names: str) -> bool:
    """True when the element's class list (from its attribute dict) contains any of `names`."""
    cls = attrs.get("class") or ""
    if not cls:
        return False
    classes = cls.split()
    return any(n in classes for n in names)
