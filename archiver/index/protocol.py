"""What the rest of archiver may ask of an index: `ArchiveIndex` (writes and the reads writers
need) and `IndexQueries` (typed answers for lookup, show, export, report, verify and re-checks).

Both implementations satisfy both: the archive's SQLite file (`archiver.index.sqlite`) and
PostgreSQL (`archiver.index.postgres`), sharing their SQL (`archiver.index.sql`); callers get one
from `archiver.index.open_index()` and never know which.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from archiver.index.filters import Filters
from archiver.index.journal import Writer
from archiver.index.rows import (
    ArticlePage,
    ArticleRow,
    Capture,
    CaptureDetail,
    CaptureName,
    CaptureStamp,
    KeyAlias,
    MediaRow,
    PostDetail,
    PostRow,
    RecordLocation,
    RecordRow,
    RunRow,
    StoredFile,
    StoredPost,
)
from archiver.models import Post


class JournalSink(Protocol):
    """Where the index's journal goes once a transaction commits (the archive's WARC store)."""

    writer: Writer | None


class ArchiveIndex(Protocol):
    """The writes of a capture run, and the reads that decide what to capture."""

    archive_dir: Path

    @property
    def journal(self) -> JournalSink:
        """Set `journal.writer` to keep the index's journal in the WARCs."""

    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...
    def transaction(self) -> AbstractContextManager[None]: ...

    def upsert_article(self, url: str, *, source: str | None = None, title: str | None = None) -> int: ...
    def upsert_post(self, post: Post) -> str: ...
    def update_post_data(self, key: str, **updates: Any) -> None: ...
    def merge_post_key(self, old_key: str, new_key: str) -> None: ...
    def fold_id_case(self, platforms: Sequence[str]) -> list[tuple[str, str]]: ...
    def alias_of(self, key: str) -> str | None: ...
    def destination_of(self, link_key: str) -> tuple[str, str] | None: ...
    def note_destination(self, link_key: str, url: str) -> None: ...
    def cite(self, article_id: int, post_key: str, kind: str, evidence: str) -> None: ...
    def current_citations(self, article_id: int) -> set[str]: ...
    def drop_citations(self, article_id: int, found: Collection[str]) -> list[str]: ...
    def add_capture(self, capture: Capture) -> int: ...
    def add_records(self, capture_id: int | None, records: Iterable[RecordLocation], *,
                    post_key: str | None = None, article_id: int | None = None) -> None: ...
    def observe(self, post_key: str, status: str, *, detail: str | None = None,
                checked_at: str | None = None, settled: bool = True) -> None: ...
    def add_media(self, post_key: str, url: str, path: str | None, sha256: str | None,
                  mime: str | None = None) -> None: ...
    def add_stamp(self, stamp: CaptureStamp) -> None: ...
    def stamp_times_since(self, since: str) -> list[tuple[int, str, str, str]]: ...
    def unstamped_since(self, since: str) -> list[CaptureStamp]: ...

    def get_post(self, key: str) -> StoredPost | None: ...
    def post_status(self, key: str) -> str | None: ...
    def has_capture(self, post_key: str, status: str | None = None) -> bool: ...
    def has_wayback_copy(self, post_key: str, shows_no_post: str) -> bool: ...
    def held_article(self, address: str) -> tuple[int, str] | None: ...
    def wayback_lookups(self, post_key: str, not_made: str, apis: tuple[str, ...]) -> tuple[str | None, str | None]: ...
    def article_captured(self, url: str) -> bool: ...
    def citations_changed_since_capture(self, article_id: int) -> bool: ...
    def find_record_by_digest(self, payload_digest: str) -> RecordRow | None: ...
    def posts_due_for_recheck(self, older_than: timedelta, now: datetime | None = None) -> list[str]: ...
    def last_post_id(self) -> int: ...
    def unchecked_after(self, post_id: int) -> set[str]: ...
    def latest_moment(self) -> str | None: ...

    def start_run(self, command: str = "run") -> int: ...
    def finish_run(self, run_id: int, summary: dict[str, Any], outcome: str = "done",
                   finished_at: str | None = None, *, only_open: bool = False) -> bool: ...
    def unfinished_runs(self) -> list[int]: ...
    def run_end(self, run_id: int) -> tuple[str, str | None, str | None, str] | None: ...
    def close_unfinished_runs(self, outcome: str = "killed") -> list[RunRow]: ...


class IndexQueries(Protocol):
    """Typed answers for the commands that read an archive."""

    def lookup(self, filters: Filters, *, limit: int | None = None, offset: int = 0,
               check_captures: bool = False) -> list[PostRow]:
        """Posts matching every filter, by posted_at (unknown last) then key: the page of at most
        `limit` posts (None: all of them) after the first `offset`; with `check_captures`, each
        post's captures checked against what its WARC records name (IndexDamaged when short), and
        its history against its `last_checked` (a warning when short on sound pages)."""
    def show(self, ident: str) -> PostDetail | None: ...
    def posts_after(self, key: str | None, limit: int) -> list[PostRow]:
        """Every post in key order, a page at a time: at most `limit` posts whose key sorts after
        `key` (None: from the first). Each page costs the same however far into the index it
        starts, where a lookup's `offset` steps over every post before it."""
    def post_media(self, post_keys: Sequence[str]) -> dict[str, list[MediaRow]]:
        """The media files of the posts, by post key (a post without any is left out)."""
    def post_captures_of(self, post_keys: Sequence[str]) -> dict[str, list[CaptureDetail]]:
        """The captures of the posts, by post key, with every field (a post without any is left out)."""
    def articles_after(self, url: str | None, limit: int) -> list[ArticleRow]:
        """Every article's own row in URL order, a page at a time: at most `limit` articles whose
        URL sorts after `url` (None: from the first)."""
    def article_captures_after(self, url: str | None, limit: int) -> list[tuple[str, list[CaptureDetail]]]:
        """Every article captured at least once, in URL order, a page at a time: at most `limit`
        articles whose URL sorts after `url` (None: from the first), each with its own captures."""
    def article_captures(self, url: str) -> list[CaptureDetail]:
        """The captures of the article at `url` (not of its posts), oldest first."""
    def aliases_after(self, key: str | None, limit: int) -> list[KeyAlias]:
        """Every key alias in old key order, a page at a time: at most `limit` after `key` (None:
        from the first)."""
    def alias_of(self, key: str) -> str | None:
        """The key the post once keyed `key` was merged into; None when it was not."""
    def article_led_to(self, link: str) -> str | None:
        """The URL of the article a platform's short link (`t.co/CODE`) led to when a run was given
        that link as its source; None when no run followed it to an article."""
    def link_led_to(self, link: str) -> tuple[str, str] | None:
        """(where it led, when it was followed) for a platform's short link that a run followed to
        a page that is no post; None otherwise."""
    def handles_with_server(self, name: str) -> list[str]:
        """Handles held that are `name@server` (Mastodon's, Truth Social's), at most five: what a bare
        user name given to `lookup --handle` may have meant."""
    def records_for(self, post_keys: Sequence[str], include_articles: bool = True) -> list[RecordRow]: ...
    def article_records(self, urls: Sequence[str]) -> list[RecordRow]:
        """WARC records of the articles at `urls` themselves (those `records_for` takes for an article
        citing its posts), with the originals of their revisits, by file and offset."""
    def articles_keyed(self, url_keys: Sequence[str]) -> list[tuple[ArticleRow, list[CaptureDetail]]]:
        """The articles whose URL key is one of `url_keys` (the spellings of an `--article`), in URL
        order, each with its own captures, oldest first; found through the index of URL keys."""
    def all_records(self) -> Iterator[RecordRow]: ...
    def stored_files(self) -> list[StoredFile]: ...
    def self_check(self) -> list[str]:
        """What the database's own check of the index's storage finds wrong; empty when sound."""
    def quick_check(self, tables: Collection[str] | None = None) -> list[str]:
        """What the database's quick check of every page of the index (with `tables`: of those
        tables and their indexes) finds wrong (not each index against its rows, which `self_check`
        adds); empty when sound. Linear in the size of what it checks."""
    def unheld_page_records(self) -> list[tuple[str, str, str]]:
        """(what was captured: a post's key or an article's URL, when, record ID) of every capture
        whose page record the index does not hold."""
    def capture_names(self, capture_ids: Sequence[int]) -> dict[int, CaptureName]:
        """What names each of these captures to a person, by row id (`CaptureName`)."""
    def history_lost(self, post_key: str) -> bool:
        """Whether a rebuild made the post from partial history (its first journal entries lost)."""
    def partial_history(self) -> list[str] | None:
        """None unless a rebuild of the index lacked part of the archive's history; then the WARC
        files named lost or damaged (maybe none): no post's citing articles are known to be all."""
    def articles_history_lost(self, urls: Sequence[str]) -> list[str]:
        """Of these article URLs, those a rebuild made from partial history."""
    def captures_in_files(self, filenames: Sequence[str]) -> dict[str, list[int]]:
        """The row ids of the captures whose WARC file is one of `filenames`, by file."""
    def citing_articles(self, post_keys: Sequence[str]) -> list[ArticlePage]: ...
    def post_captures(self, post_key: str) -> list[CaptureDetail]: ...
    def posts_for_article(self, url: str) -> list[str]: ...
    def capture_stamps(self, capture_ids: Sequence[int]) -> list[CaptureStamp]: ...
    def has_tokens(self) -> bool: ...


class Index(ArchiveIndex, IndexQueries, Protocol):
    """An archive's index: its writes and its queries."""
