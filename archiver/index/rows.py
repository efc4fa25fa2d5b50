"""What goes into the index and what comes out of it, as typed values instead of dicts.

`Capture` is one capture to record. The `*Row` classes are what the index answers: `to_dict()`
gives the JSON objects `lookup` and `show` print, with the same keys in the same order (a
`...Detail` class adds the fields `show` prints beside `lookup`'s).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

CAPTURE_SOURCES: tuple[str, ...] = ("live", "wayback")


class RecordLocation(Protocol):
    """Where one WARC record lives: what the index needs to know of a record the capture wrote."""

    @property
    def record_id(self) -> str: ...
    @property
    def warc_type(self) -> str: ...
    @property
    def target_uri(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def offset(self) -> int: ...
    @property
    def length(self) -> int: ...
    @property
    def status(self) -> int | None: ...
    @property
    def mime(self) -> str | None: ...
    @property
    def payload_digest(self) -> str | None: ...
    @property
    def extra(self) -> dict[str, str] | None: ...


@dataclass(frozen=True)
class Capture:
    """One capture of a post (`post_key`) or of an article (`article_id`, `post_key` None)."""

    source: str  # one of CAPTURE_SOURCES
    url: str
    status: str
    post_key: str | None = None
    article_id: int | None = None
    screenshot: str | None = None  # relative to the archive directory
    screenshot_sha256: str | None = None
    error: str | None = None  # None when the capture completed
    warc: str | None = None
    page_record_id: str | None = None
    captured_at: str | None = None  # now, when None

    def __post_init__(self) -> None:
        if self.source not in CAPTURE_SOURCES:
            raise ValueError(f"capture source must be one of {CAPTURE_SOURCES}, not {self.source!r}")
        if self.post_key is None and self.article_id is None:
            raise ValueError("a capture belongs to a post or an article: give post_key or article_id")


class _Row:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload,no-any-return]


@dataclass
class CitationRow(_Row):
    """An article citing a post, as `lookup` lists it under the post; `dropped_at`: when a read
    found the article no longer citing it (None while it does)."""

    url: str
    kind: str
    evidence: str | None
    dropped_at: str | None = None


@dataclass
class CitationDetail(CitationRow):
    title: str | None = None
    first_seen: str | None = None


@dataclass
class CaptureRow(_Row):
    """A capture of a post, as `lookup` lists it. `copied_at`: when the copy it shows was made, for
    a capture of the Wayback Machine's copy (its snapshot's time; `captured_at` is when archiver
    captured that copy); None for a live capture, which shows the post at `captured_at`. `error`:
    what went wrong, or for a Wayback copy that is `not_recovered`, why it recovered nothing."""

    captured_at: str
    source: str
    screenshot: str | None
    status: str
    warc: str | None
    copied_at: str | None = None
    error: str | None = None


@dataclass
class CaptureDetail(CaptureRow):
    id: int = 0
    url: str = ""
    screenshot_sha256: str | None = None
    page_record_id: str | None = None


@dataclass
class ObservationRow(_Row):
    """One status check of a post."""

    checked_at: str
    status: str


@dataclass
class ObservationDetail(ObservationRow):
    detail: str | None = None


@dataclass
class MediaRow(_Row):
    """A media file downloaded for a post."""

    url: str
    path: str | None
    sha256: str | None
    mime: str | None


@dataclass
class ArticleRow(_Row):
    """An article's own row: where the URL list or a run found it (`source`), its title, when it
    was first seen, when last captured whole, and how its latest capture went (`status`)."""

    url: str
    source: str | None
    title: str | None
    first_seen: str
    last_captured: str | None
    status: str | None


@dataclass
class KeyAlias(_Row):
    """A key that leads to another post's (`key_aliases`): a hash key, or an ID as a page spelt it,
    merged into the post keyed `new_key` at `merged_at`."""

    old_key: str
    new_key: str
    merged_at: str


@dataclass
class FormerHandle(_Row):
    """A handle a post's author had before the one held (`lookup --handle` finds the post by it), and
    when the archive found it replaced (`until`; None: unknown, as for a handle a merged post held)."""

    handle: str
    until: str | None


@dataclass
class PostRow(_Row):
    """A post with the articles citing it, its captures and its status history (`lookup`)."""

    key: str
    platform: str
    post_id: str | None
    url: str | None
    handle: str | None
    author: str | None
    posted_at: str | None
    text: str | None
    links: list[str]
    media: list[str]
    status: str | None  # the latest check's (models.POST_STATUSES), or `pending` before any check
    reason: str | None = None  # why: the latest observation's detail (the platform's own words or codes)
    articles: Sequence[CitationRow] = field(default_factory=list)
    captures: Sequence[CaptureRow] = field(default_factory=list)
    history: Sequence[ObservationRow] = field(default_factory=list)
    # The handles its author had before `handle`, oldest first (the articles citing it may print one).
    former_handles: Sequence[FormerHandle] = field(default_factory=list)


@dataclass
class PostDetail(PostRow):
    """Everything known of one post (`show`)."""

    data: dict[str, Any] | None = None
    first_seen: str | None = None
    last_checked: str | None = None
    media_files: list[MediaRow] = field(default_factory=list)


@dataclass
class PageRow(_Row):
    """A page an export opens on: a citing article, or a capture of a post (its best first)."""

    url: str
    ts: str
    title: str
    text: str | None = None  # words a replay tool's page search should find it by
    page_record_id: str | None = None  # its capture's page record, when known (not written to pages.jsonl)


@dataclass
class ArticlePage(_Row):
    """An article citing some of the selected posts, when it was first captured (None: never), and
    the capture that shows those posts (`showing_capture`; None: none completed); when its latest
    capture failed (its site took it down, say), since when its captures fail (`failing_since`,
    the first failure after its last completed capture) and the latest one's error (`failure`)."""

    url: str
    title: str | None
    first_captured: str | None
    showing: str | None = None
    failing_since: str | None = None
    failure: str | None = None


def showing_capture(captured: Sequence[str], citations: Sequence[tuple[str, str]]) -> str | None:
    """Of an article's completed captures (`captured`, their times), the first that shows every post
    of `citations` ((first seen, evidence) of each): a post the markup cites appears in the
    captures from the read that first cited it on (an article held before is captured again when
    it cites a new post); one only the rendered page held (evidence `rendered:...`) was found in
    the capture made just before it was cited. Without such a capture, the latest (the article
    was read again citing the post, but not captured again); None when there is no capture."""
    times = sorted(captured)
    if not times:
        return None
    if not citations:
        return times[0]
    needed = []
    for first_seen, evidence in citations:
        if evidence.startswith("rendered:"):
            before = [t for t in times if t <= first_seen]
            needed.append(before[-1] if before else times[0])
        else:
            needed.append(next((t for t in times if t >= first_seen), times[-1]))
    return max(needed)


@dataclass
class RecordRow(_Row):
    """One indexed WARC record: where it lives (`filename` under warcs/, the gzip member at `offset`,
    `length` bytes), what it is, and whose it is (a capture, a post, an article; any may be None).

    `extra` holds the revisit headers the index keeps (`WARC-Refers-To`, `WARC-Refers-To-Target-URI`,
    `WARC-Refers-To-Date`); empty for other records.
    """

    record_id: str
    warc_type: str
    target_uri: str
    date: str
    filename: str
    offset: int
    length: int
    status: int | None = None
    mime: str | None = None
    payload_digest: str | None = None
    capture_id: int | None = None
    post_key: str | None = None
    article_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class CaptureName(_Row):
    """What names a capture to a person (its row id names it to no one, and changes with every
    rebuild): what it captured (`post_key` or `article_url`), how (`source`:
    `live`, `wayback`, an article's page), its `url` and time, and its WARC file and page record
    when it has them. `held` is False for a row id no capture of the index has."""

    capture_id: int
    held: bool = True
    source: str | None = None
    url: str | None = None
    captured_at: str | None = None
    post_key: str | None = None
    article_url: str | None = None
    warc: str | None = None
    page_record_id: str | None = None
    post_url: str | None = None  # the post's own address, when the index holds one

    def __str__(self) -> str:
        if not self.held:
            return f"a capture the index does not hold (row {self.capture_id})"
        if self.post_key is not None:  # its key: platform and ID, what `archiver show` is given
            what = f"post {self.post_key}"
        elif self.article_url is not None:
            what = f"article {self.article_url}"
        else:
            what = "nothing the index holds"
        said = [self.url] if self.url and self.url != self.article_url else []  # a post's page, a Wayback copy
        if self.warc or self.page_record_id:
            said.append("page record " + (self.page_record_id or "?") + (f" in warcs/{self.warc}" if self.warc else ""))
        return f"the {self.source} capture of {what} at {self.captured_at}" + (f" ({'; '.join(said)})" if said else "")


@dataclass
class StoredFile(_Row):
    """A screenshot or media file the archive keeps beside its WARCs: `path` relative to the archive
    directory, and the SHA-256 recorded when it was written (None: never recorded); for a capture's
    screenshot, the capture's id (its other shots lie beside it, their bytes in its WARC records)."""

    path: str
    sha256: str | None
    capture_id: int | None = None


# The command a run sent to a cluster without waiting is recorded under: its row stays open, by
# design, until `runs status` finds every answer in, so no later run closes it as killed.
DETACHED_RUN = "run --no-wait"


@dataclass
class RunRow(_Row):
    """A closed-by-force run: its id, start and command; when it closed it (its last sign of life)
    and what it did, as the index tells (the row's summary)."""

    id: int
    started_at: str
    command: str | None
    finished_at: str | None = None
    did: dict[str, Any] | None = None


@dataclass
class StoredPost:
    """A post as the index holds it (attributes like `Post`'s, plus status and check times)."""

    key: str
    platform: str
    post_id: str | None = None
    url: str | None = None
    handle: str | None = None
    author: str | None = None
    posted_at: str | None = None
    text: str | None = None
    links: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    status: str | None = None
    first_seen: str | None = None
    last_checked: str | None = None
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CaptureStamp(_Row):
    """An RFC 3161 timestamp of one capture by one authority (`tsa`, its URL): the canonical list of
    the capture's records (`manifest`), its SHA-256 (`digest`, "sha256:<hex>"), and the authority's
    token (base64 DER) with the time it vouches for, or the `error` that left the capture without one.

    Read back, a stamp also names its capture: `post_key` or `article_url`, its URL and time."""

    capture_id: int
    digest: str
    manifest: str
    tsa: str
    token: str | None = None
    stamped_at: str | None = None
    error: str | None = None
    requested_at: str | None = None
    post_key: str | None = None
    article_url: str | None = None
    capture_url: str | None = None
    captured_at: str | None = None
