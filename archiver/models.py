"""Typed records that flow through the pipeline: sources -> detect -> resolve -> capture -> index."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

Kind = Literal["embedded", "linked", "shortlink"]
KINDS: tuple[str, ...] = ("embedded", "linked", "shortlink")

# What a check can say about a post (README "Post statuses"; docs/platforms.md).
# `removed`: this post taken down by the platform or a moderator (`deleted`: by its author);
# `age_restricted`: shown only behind the platform's age or sensitive-content wall.
PostStatus = Literal["live", "deleted", "removed", "withheld", "protected", "suspended", "age_restricted",
                     "login_required", "unavailable", "unknown"]
POST_STATUSES: tuple[str, ...] = (
    "live", "deleted", "removed", "withheld", "protected", "suspended", "age_restricted", "login_required",
    "unavailable", "unknown")
# What the reading commands (lookup, show, report) call a post that no check has been made of yet
# (its `status` in the index is NULL): an article cites it (or it was given by its address), and the
# run that found it is still capturing, or stopped before it did; `archiver run` takes it up (a post never checked is due at
# once). Not a check's result, so never stored and not one of POST_STATUSES; `--status` selects it.
PENDING = "pending"

# Output field order for scan; every field is always present.
POST_FIELDS: tuple[str, ...] = (
    "key",
    "platform",
    "post_id",
    "url",
    "handle",
    "author",
    "posted_at",
    "text",
    "links",
    "media",
    "kind",
    "source",
    "evidence",
)


@dataclass
class Document:
    """One readable source: its bytes decoded to text, and whether it is HTML."""

    source: str  # the path or URL as the user gave it
    text: str
    is_html: bool
    url: str | None = None  # the URL it was fetched from (after redirects), if any
    raw: bytes | None = None  # the original bytes, kept for archiving local files
    content_type: str | None = None
    utf8: bool = False  # `text` is exactly `raw` decoded as UTF-8 (no BOM): a parser may read `raw` as it is
    # A file's path as the system names it, when `source` had to spell bytes of its name that are no
    # UTF-8 (`sources.text_safe`); None: `source` is the path, or the source is no file.
    path: str | None = None


@functools.cache
def _links_re() -> re.Pattern[str]:
    """URLs, and the scheme-less short links every registered platform mints (`t.co/CODE`)."""
    from archiver.platforms import SHORTENERS  # the registry's modules import this one

    hints = "|".join(re.escape(hint) for _, links in SHORTENERS for hint in links.hints)
    return re.compile(r"https?://\S+" + (rf"|\b(?:{hints})\S+" if hints else ""))


def normalise_text(text: str | None) -> str:
    """Text as used in hash keys: NFC, whitespace folded, short links and case ignored."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text)
    t = _links_re().sub(" ", t)
    t = re.sub(r"\s+", " ", t).strip().casefold()
    return t


def hash_key(platform: str, handle: str | None, date: str | None, text: str | None) -> str:
    """`<platform>:h:<sha256>` for a post whose ID is not known."""
    h = (handle or "").lower().lstrip("@")
    d = (date or "")[:10]
    digest = hashlib.sha256(f"{h}|{d}|{normalise_text(text)}".encode()).hexdigest()
    return f"{platform}:h:{digest}"


@dataclass
class Post:
    """One social post as found in one source (an article, a text, a URL)."""

    platform: str
    kind: str
    source: str
    evidence: str
    post_id: str | None = None
    url: str | None = None
    handle: str | None = None
    author: str | None = None
    posted_at: str | None = None
    text: str | None = None
    links: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            self.key = self.compute_key()

    def compute_key(self) -> str:
        if self.post_id:
            return f"{self.platform}:{self.post_id}"
        return hash_key(self.platform, self.handle, self.posted_at, self.text)

    def to_dict(self) -> dict[str, Any]:
        """The fields in `POST_FIELDS` order; the lists are copies."""
        return {"key": self.key, "platform": self.platform, "post_id": self.post_id, "url": self.url,
                "handle": self.handle, "author": self.author, "posted_at": self.posted_at, "text": self.text,
                "links": list(self.links), "media": list(self.media), "kind": self.kind, "source": self.source,
                "evidence": self.evidence}


class CaptureLike(Protocol):
    """What choosing the best capture reads of one (captures without `error` count as complete)."""

    @property
    def captured_at(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def status(self) -> str: ...


C = TypeVar("C", bound=CaptureLike)


def shows_post(capture: CaptureLike) -> bool:
    """Whether the capture shows the post itself: a live capture that found it live, or a Wayback
    copy that recovered it (not a tombstone, a login wall, or a copy of the post already gone)."""
    return (capture.source, capture.status) in (("live", "live"), ("wayback", "recovered"))


def best_capture(captures: Sequence[C], post_status: str | None) -> C | None:
    """The capture that best shows a post: the newest live one for a live post. For a post that is
    gone, the archive's own first-hand capture comes first: the newest live capture that found the
    post live; else, when the archive never saw it live, the newest Wayback copy that really
    recovered it; else the newest live capture (what the platform showed instead), else the newest
    capture. Shared by export (pages) and report (thumbnails)."""
    if not captures:
        return None
    ordered = sorted(captures, key=lambda c: c.captured_at or "")
    live = [c for c in ordered if c.source == "live"]
    if post_status != "live":
        complete = [c for c in ordered if not getattr(c, "error", None) and shows_post(c)]
        seen_live = [c for c in complete if c.source == "live"]
        if complete:
            return (seen_live or complete)[-1]
    return (live or ordered)[-1]


def distinct_captures(captures: Sequence[C], post_status: str | None) -> list[C]:
    """The captures that each show a post in their own way: the best capture (`best_capture`)
    first, then the newest complete capture of each other source and status (the post live, its
    tombstone, the Wayback Machine's copy), newest first. Failed captures show nothing of the post
    and are left out, unless one is the best there is."""
    best = best_capture(captures, post_status)
    if best is None:
        return []
    newest: dict[tuple[str, str], C] = {}
    for c in sorted(captures, key=lambda c: c.captured_at or ""):
        if not getattr(c, "error", None):
            newest[(c.source, c.status)] = c
    if not getattr(best, "error", None):
        newest.pop((best.source, best.status), None)
    return [best, *sorted(newest.values(), key=lambda c: c.captured_at or "", reverse=True)]
