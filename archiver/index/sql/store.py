"""Writes to the index: articles, posts, citations, captures, WARC records, status observations,
media files and runs, in the SQL every backend shares.

Every public write runs in a transaction; group the writes of one capture in `Store.transaction()`
so that a killed process leaves all of them or none. Timestamps are stored in the canonical UTC
text of `times.py`, so that they compare and sort alike in every database. One index per thread:
a connection is not shared (`pipeline.sharedindex` runs a shared one on a thread of its own).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError
from archiver.index import fields, urls
from archiver.index.rows import DETACHED_RUN, Capture, RecordLocation, RecordRow, RunRow, StoredPost
from archiver.index.sql import merge
from archiver.index.sql.connection import Connection
from archiver.index.sql.dialect import Dialect
from archiver.index.sql.journal import Journal
from archiver.models import PENDING, Post
from archiver.times import (
    format_utc,
    normalise_posted_at,
    normalise_timestamp,
    utc_now,
)
from archiver.wellformed import well_formed_data

from ...resource import Closing

log = logging.getLogger(__name__)

# Fields update_post_data() accepts: what a platform's structured data can tell us about a post.
DATA_FIELDS: frozenset[str] = frozenset(
    {"platform", "post_id", "url", "handle", "author", "posted_at", "text", "links", "media", "data"}
)

# A run that started up to this share of the re-check period after the cutoff (at most
# MAX_RUN_START_SLACK) still counts as the previous period's (see `posts_due_for_recheck`).
RUN_START_SLACK = 0.05
MAX_RUN_START_SLACK = timedelta(minutes=15)
_RECORD_COLUMNS = (
    "record_id", "capture_id", "post", "article_id", "warc_type", "target_uri", "date", "status",
    "mime", "payload_digest", "filename", "offset", "length", "extra",
)
_RECORD_UPSERT = (
    "INSERT INTO records ({cols}) VALUES ({marks}) ON CONFLICT (record_id) DO UPDATE SET {sets}".format(
        cols=", ".join(f'"{c}"' for c in _RECORD_COLUMNS),
        marks=", ".join("?" for _ in _RECORD_COLUMNS),
        sets=", ".join(f'"{c}" = excluded."{c}"' for c in _RECORD_COLUMNS[1:]),
    )
)


# A records row as readers know it: its post named by key.
RECORD_SELECT = (
    'SELECT r.record_id, r.capture_id, p.key AS post_key, r.article_id, r.warc_type, r.target_uri, r.date, '
    'r.status, r.mime, r.payload_digest, r.filename, r."offset", r.length, r.extra '
    "FROM records r LEFT JOIN posts p ON p.id = r.post"
)


def record_row(row: dict[str, Any]) -> RecordRow:
    """A row of `RECORD_SELECT` as a `RecordRow` (`extra` decoded)."""
    return RecordRow(**{**row, "extra": fields.load_dict(row["extra"]) or {}})


class Store(Closing):
    """An archive's index: its writes, on the backend's connection (`db`) in its `dialect`."""

    archive_dir: Path
    db: Connection
    dialect: Dialect
    journal: Journal  # set journal.writer to keep the index's journal in the WARCs

    def close(self) -> None:
        self.db.close()

    @abstractmethod
    def _begin(self) -> None:
        """Open the outermost transaction, ready to write (IndexError_ when it cannot)."""

    def _failure(self, exc: BaseException) -> ArchiverError | None:
        """The archiver error a failed transaction stands for, when it names one."""
        return None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes atomically; nested uses become savepoints of the outer transaction."""
        if self.db.in_transaction:
            queued = len(self.journal.pending)
            try:
                with self.db.atomic():
                    yield
            except BaseException:
                self.journal.discard(queued)
                raise
            return
        self._begin()
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            self.journal.discard()
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            named = self._failure(exc)
            if named is not None and named is not exc:
                raise named from exc
            raise
        self.journal.flush()

    # -- reading helpers used by writers and by query.py ------------------------------------------

    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, list(params)))
        return rows[0] if rows else None

    def _post_row(self, key: str) -> dict[str, Any] | None:
        """The post's row with `links`, `media` as lists and `data` as a dict; None if unknown."""
        row = self._one("SELECT * FROM posts WHERE key = ?", [key])
        if row is None:
            return None
        row["links"] = fields.load_list(row["links"])
        row["media"] = fields.load_list(row["media"])
        row["data"] = fields.load_dict(row["data"])
        return row

    def get_post(self, key: str) -> StoredPost | None:
        """The stored post, or None if the key is unknown."""
        row = self._post_row(key)
        if row is None:
            return None
        return StoredPost(**{name: row[name] for name in StoredPost.__dataclass_fields__})

    def post_status(self, key: str) -> str | None:
        """The post's latest observed status (None if never checked or unknown)."""
        row = self._one("SELECT status FROM posts WHERE key = ?", [key])
        return row["status"] if row else None

    def _require_post(self, key: str) -> dict[str, Any]:
        row = self._post_row(key)
        if row is None:
            raise ValueError(f"no post with key {key!r} in the index: upsert_post() it first")
        return row

    def _require_post_id(self, key: str) -> int:
        """The row id of the post (what its citations, captures... point at); ValueError if unknown."""
        row = self._one("SELECT id FROM posts WHERE key = ?", [key])
        if row is None:
            raise ValueError(f"no post with key {key!r} in the index: upsert_post() it first")
        return int(row["id"])

    def _update_post(self, key: str, updates: dict[str, Any]) -> None:
        if not updates:
            return
        values = fields.column_values(updates)
        assignments = ", ".join(f"{name} = ?" for name in values)
        self.db.execute(f"UPDATE posts SET {assignments} WHERE key = ?", [*values.values(), key])

    def article_id(self, url: str) -> int | None:
        """The id of the article with this URL, if indexed."""
        row = self._one("SELECT id FROM articles WHERE url = ?", [url])
        return int(row["id"]) if row else None

    # -- articles and posts -------------------------------------------------------------------------

    def upsert_article(self, url: str, *, source: str | None = None, title: str | None = None) -> int:
        """Add the article or update its source/title (None keeps what is known); return its id."""
        with self.transaction():
            known = self.article_id(url)
            before = self.journal.article_row(self.db, known)
            self.db.execute(
                """
                INSERT INTO articles (url, source, title, first_seen, url_key) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (url) DO UPDATE SET
                    source = coalesce(excluded.source, articles.source),
                    title = coalesce(excluded.title, articles.title)
                """,
                [url, source, title, utc_now(), urls.url_key(url)],
            )
            found = known if known is not None else self.article_id(url)
            self.journal.article(self.db, found, before=before)
        assert found is not None  # just written in this transaction
        return found

    def upsert_post(self, post: Post) -> str:
        """Add the post, or fill the unknown fields of the stored one (a known field never becomes None,
        and other sources do not overwrite it: `update_post_data` does that; only an address that
        spells the same post with more of what reaching it needs replaces the held one,
        `fields.richer_url`); return its key."""
        incoming: dict[str, Any] = {
            "platform": post.platform,
            "post_id": post.post_id,
            "url": post.url,
            "handle": fields.clean_handle(post.handle),
            "author": post.author,
            "posted_at": normalise_posted_at(post.posted_at),
            "text": post.text,
            "links": list(post.links),
            "media": list(post.media),
        }
        incoming = well_formed_data(incoming)  # compared below with what is held, as it would be stored
        with self.transaction():
            key = self.alias_of(post.key) or post.key
            if key != post.key:
                # The ID is in the key ("twitter:<id>"); the hash-keyed sighting had none.
                incoming["post_id"], incoming["url"] = key.partition(":")[2], None
            known = self._post_row(key)
            if known is None:
                values = fields.column_values(incoming)
                values.update(key=key, first_seen=utc_now())
                names = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                self.db.execute(f"INSERT INTO posts ({names}) VALUES ({marks})", list(values.values()))
                self.journal.post(self.db, key)
            else:
                updates = fields.fill_gaps(known, incoming)
                if fields.richer_url(known.get("platform"), known.get("url"), incoming["url"]):
                    updates["url"] = incoming["url"]  # the held post's address, with what reaching it needs
                if updates:
                    # Each gap filled is a change: a post seen again with nothing new writes no journal entry.
                    self._update_post(key, updates)
                    self.journal.post(self.db, key)
        return key

    def alias_of(self, key: str) -> str | None:
        """The key a hash-keyed post was merged into, if it was (see merge_post_key)."""
        row = self._one("SELECT new_key FROM key_aliases WHERE old_key = ?", [key])
        return row["new_key"] if row else None

    def destination_of(self, link_key: str) -> tuple[str, str] | None:
        """(where it led, when it was followed) for a short link that named no post
        (`note_destination`), by the key of the post the link alone stood for; None otherwise."""
        row = self._one("SELECT url, followed_at FROM link_destinations WHERE link_key = ?", [link_key])
        return (row["url"], row["followed_at"]) if row else None

    def note_destination(self, link_key: str, url: str) -> None:
        """Remember that the short link keyed `link_key` led to `url`, no post, as followed now.

        A record of a request's answer, kept so that an article read again does not send it again;
        the answer itself is in the WARC with the hops. Not journaled: an index rebuilt from the
        WARCs follows such a link once more and notes it again.
        """
        with self.transaction():
            self.db.execute(
                "INSERT INTO link_destinations (link_key, url, followed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (link_key) DO UPDATE SET url = excluded.url, followed_at = excluded.followed_at",
                [link_key, url, utc_now()])

    def update_post_data(self, key: str, **updates: Any) -> None:
        """Overwrite fields with the platform's own structured data (syndication JSON, Wayback copy).

        Accepts platform, post_id, url, handle, author, posted_at, text, links, media, data (a dict,
        merged key by key into the stored one). None leaves a field as it is. A handle that replaces
        another one (not a change of case alone) keeps the other as a former handle of the post
        (`former_handles`, dated now), which `lookup --handle` matches too.
        """
        unknown = set(updates) - DATA_FIELDS
        if unknown:
            raise TypeError(f"update_post_data() got unknown fields: {', '.join(sorted(unknown))}")
        updates = well_formed_data(updates)  # compared below with what is held, as it would be stored
        with self.transaction():
            known = self._require_post(key)
            before = self.journal.post_row(self.db, key)
            changes = fields.authoritative(known, updates)
            if fields.replaces_handle(known.get("handle"), changes.get("handle")):
                # The held handle becomes a former one (the schema's trigger writes it, `until` this
                # time): `lookup --handle` by it still finds the post.
                changes["handle_since"] = utc_now()
            self._update_post(key, changes)
            self.journal.post(self.db, key, before=before)

    def merge_post_key(self, old_key: str, new_key: str) -> None:
        """Absorb the post `old_key` (typically hash-keyed) into `new_key` (typically ID-keyed).

        Citations, captures, observations, records, media and former handles move to `new_key`; the
        stored fields fill each other's gaps (the ID-keyed post's known values win, and a handle of
        the old post's other than the new one's becomes a former handle of it); the old row is deleted.
        `new_key` is created from the old post when it does not exist yet.
        """
        if old_key == new_key:
            return
        with self.transaction():
            if self._merged_already(old_key, new_key):
                return  # the same sighting merged again (a flattened post in an article read again)
            # Remembered even when the old post was never stored: the next sighting of the same
            # hash key goes straight to the ID-keyed post (upsert_post, alias_of).
            self.db.execute("UPDATE key_aliases SET new_key = ? WHERE new_key = ?", [new_key, old_key])
            merged_at = utc_now()
            self.db.execute(
                "INSERT INTO key_aliases (old_key, new_key, merged_at) VALUES (?, ?, ?) "
                "ON CONFLICT (old_key) DO UPDATE SET new_key = excluded.new_key, merged_at = excluded.merged_at",
                [old_key, new_key, merged_at])
            self.journal.merge(old_key, new_key, merged_at)
            old = self._post_row(old_key)
            if old is None:
                log.debug("merge_post_key: %s is not indexed, nothing to merge", old_key)
                return
            new = self._post_row(new_key)
            if new is None:
                merge.insert_renamed(self.db, old, new_key)
            else:
                updates = fields.fill_gaps(new, old)
                if old["data"]:
                    updates["data"] = {**old["data"], **(new["data"] or {})}
                # The later check gives the status, when both were checks of the post: one keyed
                # by no ID (a short link that could not be followed, a flattened post) was no check
                # of any post, and a post observed on its own keeps its status and its time (one
                # whose check was left unsettled stays so, due at the next run).
                if (old["last_checked"] or "") > (new["last_checked"] or "") and (
                        old["post_id"] or new["status"] in (None, PENDING)):
                    updates.update(status=old["status"], last_checked=old["last_checked"])
                updates["first_seen"] = min(old["first_seen"], new["first_seen"])
                self._update_post(new_key, updates)
            merge.move_children(self.db, int(old["id"]), self._require_post_id(new_key))
            self.db.execute("DELETE FROM posts WHERE key = ?", [old_key])
            self.journal.post(self.db, new_key)
        log.info("merged post %s into %s", old_key, new_key)

    def fold_id_case(self, platforms: Sequence[str]) -> list[tuple[str, str]]:
        """Merge every post of `platforms` whose ID is not lower-case into the post keyed by the
        lower-case ID (made from it when there is none); returns the (old key, new key) pairs.

        Those platforms read their IDs whatever the case (`Platform.case_free_ids`), and their
        detectors now write them lower-case; an earlier archiver kept them as the page wrote them,
        so one post could be held twice. Each fold is a merge like any other: journaled, and its old
        key still leads to the post (`alias_of`).
        """
        if not platforms:
            return []
        marks = ", ".join("?" for _ in platforms)
        rows = self.db.query(
            f"SELECT key, platform, post_id FROM posts WHERE platform IN ({marks}) AND post_id != lower(post_id) "
            "ORDER BY platform, post_id", list(platforms))
        folds = [(r["key"], f"{r['platform']}:{r['post_id'].lower()}") for r in rows]
        for old_key, new_key in folds:
            self.merge_post_key(old_key, new_key)
        return folds

    def _merged_already(self, old_key: str, new_key: str) -> bool:
        """True when `old_key` already leads to `new_key` and there is nothing left under it to move."""
        return (self.alias_of(old_key) == new_key and self._post_row(old_key) is None
                and self._one("SELECT 1 AS found FROM key_aliases WHERE new_key = ? LIMIT 1", [old_key]) is None)

    def cite(self, article_id: int, post_key: str, kind: str, evidence: str) -> None:
        """Record that the article cites the post (idempotent; the strongest kind is kept). A citation
        a read had found dropped is current again, its return dated (`cited_again_at`) unless only
        the rendered page shows it (the capture that rendered it is the one showing it)."""
        with self.transaction():
            before = self.journal.citation_row(self.db, article_id, post_key)
            post, now = self._require_post_id(post_key), utc_now()
            dropped = self._one("SELECT 1 AS found FROM citations WHERE article_id = ? AND post = ? "
                                "AND dropped_at IS NOT NULL", [article_id, post])
            back = now if dropped is not None and not evidence.startswith("rendered:") else None
            self.db.execute(
                "INSERT INTO citations (article_id, post, kind, evidence, first_seen, cited_again_at) "
                "VALUES (?, ?, ?, ?, ?, ?)" + merge.CITATION_CONFLICT,
                [article_id, post, kind, evidence, now, back],
            )
            self.journal.citation(self.db, article_id, post_key, before=before)

    def current_citations(self, article_id: int) -> set[str]:
        """Keys of the posts the article cites as its latest read found it (not dropped)."""
        rows = self.db.query("SELECT p.key FROM citations c JOIN posts p ON p.id = c.post "
                             "WHERE c.article_id = ? AND c.dropped_at IS NULL", [article_id])
        return {row["key"] for row in rows}

    def drop_citations(self, article_id: int, found: Collection[str]) -> list[str]:
        """Mark as dropped now the article's citations that a read of it no longer found (`found`:
        the keys it did), each journaled; those only its rendered page held are kept (a read of
        its markup cannot find them). The keys dropped, in key order."""
        rows = self.db.query("SELECT p.key, c.evidence FROM citations c JOIN posts p ON p.id = c.post "
                             "WHERE c.article_id = ? AND c.dropped_at IS NULL", [article_id])
        gone = sorted(row["key"] for row in rows
                      if row["key"] not in found and not (row["evidence"] or "").startswith("rendered:"))
        if not gone:
            return []
        now = utc_now()
        with self.transaction():
            for key in gone:
                before = self.journal.citation_row(self.db, article_id, key)
                self.db.execute("UPDATE citations SET dropped_at = ? WHERE article_id = ? AND post = ?",
                                [now, article_id, self._require_post_id(key)])
                self.journal.citation(self.db, article_id, key, before=before)
        return gone

    def posts_for_article(self, url: str) -> list[str]:
        """Keys of the posts the article cites, in key order (the URL is matched by its `url_key`)."""
        rows = self.db.query(
            "SELECT DISTINCT p.key FROM citations c JOIN articles a ON a.id = c.article_id "
            "JOIN posts p ON p.id = c.post WHERE a.url_key = ? ORDER BY p.key",
            [urls.url_key(url)],
        )
        return [row["key"] for row in rows]

    # -- captures, records, observations, media ------------------------------------------------------

    def add_capture(self, capture: Capture) -> int:
        """Record one capture (of a post, or of an article when post_key is None); return its id.

        An article capture also sets the article's status, and its last_captured when error is None.
        """
        c = capture
        when = normalise_timestamp(c.captured_at) if c.captured_at else utc_now()
        with self.transaction():
            post = self._require_post_id(c.post_key) if c.post_key is not None else None
            capture_id = self.db.insert_id(
                """
                INSERT INTO captures (post, article_id, captured_at, source, url, screenshot,
                    screenshot_sha256, status, error, warc, page_record_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [post, c.article_id, when, c.source, c.url, c.screenshot, c.screenshot_sha256, c.status, c.error,
                 c.warc, c.page_record_id],
            )
            if c.post_key is None:
                self.db.execute(
                    """
                    UPDATE articles SET status = :status,
                        last_captured = CASE WHEN NOT :ok THEN last_captured
                                        WHEN coalesce(last_captured, '') > :when THEN last_captured
                                        ELSE :when END
                    WHERE id = :id
                    """,
                    {"status": c.status, "ok": c.error is None, "when": when, "id": c.article_id},
                )
            self.journal.capture(self.db, capture_id)
            self.journal.article(self.db, c.article_id if c.post_key is None else None)
        return capture_id

    def add_records(
        self,
        capture_id: int | None,
        records: Iterable[RecordLocation],
        *,
        post_key: str | None = None,
        article_id: int | None = None,
    ) -> None:
        """Index WARC records; post_key/article_id default to the capture's. Re-adding a record updates it."""
        with self.transaction():
            if capture_id is not None and (post_key is None or article_id is None):
                owner = self._one("SELECT p.key AS post_key, c.article_id FROM captures c "
                                  "LEFT JOIN posts p ON p.id = c.post WHERE c.id = ?", [capture_id])
                if owner is None:
                    raise ValueError(f"no capture with id {capture_id} in the index")
                post_key = post_key if post_key is not None else owner["post_key"]
                article_id = article_id if article_id is not None else owner["article_id"]
            post = self._require_post_id(post_key) if post_key is not None else None
            rows = [
                (
                    rec.record_id, capture_id, post, article_id, rec.warc_type, rec.target_uri, rec.date,
                    rec.status, rec.mime, rec.payload_digest, rec.filename, rec.offset, rec.length,
                    fields.dump(rec.extra) if rec.extra else None,
                )
                for rec in records
            ]
            self.db.executemany(_RECORD_UPSERT, rows)
            self.journal.records(self.db, capture_id, post_key, article_id, [row[0] for row in rows])

    def find_record_by_digest(self, payload_digest: str) -> RecordRow | None:
        """The earliest response/resource record with this payload digest (the original a revisit
        record refers to), or None."""
        row = self._one(
            f"{RECORD_SELECT} WHERE r.payload_digest = ? AND r.warc_type IN ('response', 'resource') "
            "ORDER BY r.date, r.record_id LIMIT 1",
            [payload_digest],
        )
        return record_row(row) if row is not None else None

    def add_media(
        self, post_key: str, url: str, path: str | None, sha256: str | None, mime: str | None = None
    ) -> None:
        """Record a downloaded media file of a post (path relative to the archive dir)."""
        with self.transaction():
            before = self.journal.media_row(self.db, post_key, url)
            self.db.execute(
                """
                INSERT INTO media (post, url, path, sha256, mime) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (post, url) DO UPDATE SET
                    path = coalesce(excluded.path, media.path),
                    sha256 = coalesce(excluded.sha256, media.sha256),
                    mime = coalesce(excluded.mime, media.mime)
                """,
                [self._require_post_id(post_key), url, path, sha256, mime],
            )
            self.journal.media(self.db, post_key, url, before=before)

    def observe(
        self, post_key: str, status: str, *, detail: str | None = None, checked_at: str | None = None,
        settled: bool = True,
    ) -> None:
        """Add a status observation; the post's status/last_checked follow the latest observation.

        `settled=False`: a check the platform did not settle (the answer that decides was none usable)
        of a post never checked before: its status is the one found, and it stays never checked
        (`last_checked` unset), due for its re-check at the next run."""
        when = normalise_timestamp(checked_at) if checked_at else utc_now()
        with self.transaction():
            observation_id = self.db.insert_id(
                "INSERT INTO observations (post, checked_at, status, detail) VALUES (?, ?, ?, ?)",
                [self._require_post_id(post_key), when, status, detail],
            )
            self.journal.observation(self.db, observation_id)
            # An observation recorded late (an older checked_at) joins the history without
            # overriding a newer status.
            if settled:
                self.db.execute(
                    "UPDATE posts SET status = ?, last_checked = ? "
                    "WHERE key = ? AND (last_checked IS NULL OR last_checked <= ?)",
                    [status, when, post_key, when],
                )
            else:
                self.db.execute("UPDATE posts SET status = ? WHERE key = ? AND last_checked IS NULL",
                                [status, post_key])
            self.journal.post_status(self.db, post_key)

    def has_capture(self, post_key: str, status: str | None = None) -> bool:
        """True when the post has a capture that completed without error (with `status`: a live
        capture made while the post had that status)."""
        if status is None:
            return self._one("SELECT 1 AS found FROM captures c JOIN posts p ON p.id = c.post "
                             "WHERE p.key = ? AND c.error IS NULL LIMIT 1", [post_key]) is not None
        return self._one("SELECT 1 AS found FROM captures c JOIN posts p ON p.id = c.post WHERE p.key = ? "
                         "AND c.error IS NULL AND c.source = 'live' AND c.status = ? LIMIT 1",
                         [post_key, status]) is not None

    def has_wayback_copy(self, post_key: str, shows_no_post: str) -> bool:
        """True when a Wayback copy of the post was had and rendered: one that recovered the post,
        or one that shows it already gone (`not_recovered`; archives older than that status hold
        such a copy as an error whose reason is `shows_no_post`). A copy does not change, so
        neither is fetched again; one that could not be had or rendered does not count."""
        row = self._one(
            "SELECT 1 AS found FROM captures c JOIN posts p ON p.id = c.post WHERE p.key = ? AND c.source = 'wayback' "
            "AND (c.error IS NULL OR c.status = 'not_recovered' OR c.error = ?) LIMIT 1",
            [post_key, shows_no_post],
        )
        return row is not None

    def wayback_lookups(self, post_key: str, not_made: str, apis: tuple[str, ...]) -> tuple[str | None, str | None]:
        """When the Wayback Machine's look-up APIs (URLs beginning with one of `apis`) last answered
        (HTTP 200) a look-up for the post, and when a look-up for it last could not be made (a
        `wayback` capture in error whose error begins with `not_made`); None for never."""
        answered = self._one(
            "SELECT MAX(r.date) AS at FROM records r JOIN posts p ON p.id = r.post WHERE p.key = ? "
            "AND r.warc_type = 'response' AND r.status = 200 AND ("
            + " OR ".join("substr(r.target_uri, 1, ?) = ?" for _ in apis) + ")",
            [post_key, *(x for api in apis for x in (len(api), api))],
        ) if apis else None
        failed = self._one(
            "SELECT MAX(c.captured_at) AS at FROM captures c JOIN posts p ON p.id = c.post WHERE p.key = ? "
            "AND c.source = 'wayback' AND c.status = 'error' AND substr(c.error, 1, ?) = ?",
            [post_key, len(not_made), not_made],
        )
        return (answered["at"] if answered is not None else None), (failed["at"] if failed is not None else None)

    def held_article(self, address: str) -> tuple[int, str] | None:
        """The id and URL of an article captured before (a capture of its own that completed) under this
        address: held at it, in any spelling `urls.article_keys` gives, or first read from it (its
        `source`, as a redirect's start); None when there is none."""
        keys = urls.article_keys(address)
        sources = list(dict.fromkeys((address, urls.without_tracking(address))))
        marks, source_marks = ", ".join("?" * len(keys)) or "NULL", ", ".join("?" * len(sources))
        row = self._one(
            f"SELECT a.id, a.url FROM articles a WHERE (a.url_key IN ({marks}) OR a.source IN ({source_marks})) "
            "AND EXISTS (SELECT 1 FROM captures c WHERE c.article_id = a.id AND c.post IS NULL AND c.error IS NULL) "
            "ORDER BY a.id LIMIT 1",
            [*keys, *sources],
        )
        return (int(row["id"]), str(row["url"])) if row else None

    def article_captured(self, url: str) -> bool:
        """True when the article's latest capture of its own (not of a post) completed without
        error. An article whose latest read failed (taken down from its site for a while, a load
        that failed) is captured again once it answers: what it shows on its return is evidence."""
        row = self._one(
            "SELECT c.error IS NULL AS ok FROM captures c JOIN articles a ON a.id = c.article_id "
            "WHERE a.url = ? AND +c.post IS NULL ORDER BY c.captured_at DESC, c.id DESC LIMIT 1",
            [url],
        )
        return row is not None and bool(row["ok"])

    def citations_changed_since_capture(self, article_id: int) -> bool:
        """True when the article's citations changed after its latest capture of its own that
        completed: one first cited, or dropped, after it (a run that indexed the change and died
        before the page's capture ended leaves it so). Citations its rendered page gave are left
        out (they are found by the capture itself, and indexed after it); an article never captured
        to the end gives False (`article_captured` says so). A post cited again after a read found
        it dropped counts from the read that found it back (`cited_again_at`)."""
        row = self._one(
            "SELECT max(c.captured_at) AS at FROM captures c WHERE c.article_id = ? AND +c.post IS NULL "
            "AND c.error IS NULL", [article_id])
        if row is None or not row["at"]:
            return False
        changed = self._one(
            "SELECT 1 AS found FROM citations WHERE article_id = ? AND ("
            "(dropped_at IS NULL AND first_seen > ? AND (evidence IS NULL OR evidence NOT LIKE 'rendered:%')) "
            "OR dropped_at > ? OR (dropped_at IS NULL AND cited_again_at > ?)) LIMIT 1",
            [article_id, row["at"], row["at"], row["at"]])
        return changed is not None

    def posts_due_for_recheck(self, older_than: timedelta, now: datetime | None = None) -> list[str]:
        """Keys of posts never checked, or last checked `older_than` ago or more; stalest first.

        "Ago" counts from the start of the run that made the check: a post checked late in a long
        run is due again with the others of that run. Otherwise, with runs every `older_than` (cron
        every 6 hours, `--recheck-after 6h`), the checks made a few minutes into one run would not
        be due at the next, and wait for the one after: a deletion dated a period late.
        """
        at = (now or datetime.now(UTC)) - older_than
        cutoff = format_utc(at)
        # Runs never overlap on one index (the run lock): a check made before the end of a run
        # that started before the cutoff was made by that run, or an earlier one. "Before" with
        # some slack: the scheduler starting this run a little early (a timer's accuracy, the
        # time a process takes to start) must not leave the previous run's checks for the next.
        slack = format_utc(at + min(older_than * RUN_START_SLACK, MAX_RUN_START_SLACK))
        row = self._one("SELECT max(finished_at) AS finished FROM runs WHERE started_at < ? AND finished_at IS NOT NULL",
                        [slack])
        before = "<"
        if row is not None and row["finished"] and row["finished"] > cutoff:
            # (Up to its end: a killed run's is the time of the last thing it wrote, a check maybe.)
            cutoff, before = row["finished"], "<="
        rows = self.db.query(
            f"SELECT key FROM posts WHERE last_checked IS NULL OR last_checked {before} ? "
            "ORDER BY last_checked IS NOT NULL, last_checked, key",
            [cutoff],
        )
        return [row["key"] for row in rows]

    def last_post_id(self) -> int:
        """The highest row ID of the posts held (0: none): posts added later have higher ones."""
        row = self._one("SELECT max(id) AS id FROM posts", [])
        return int(row["id"]) if row is not None and row["id"] is not None else 0

    def unchecked_after(self, post_id: int) -> set[str]:
        """Keys of the posts added after the one with row ID `post_id` and never checked: new to the
        archive in the run that started when `post_id` was the last (`last_post_id`)."""
        return {row["key"] for row in self.db.query(
            "SELECT key FROM posts WHERE id > ? AND last_checked IS NULL", [post_id])}

    def latest_moment(self) -> str | None:
        """The latest time the archive holds of its own doing: a run's start, a post's check (None:
        none yet). Both columns are indexed: no scan."""
        row = self._one("SELECT max(m) AS m FROM (SELECT max(started_at) AS m FROM runs "
                        "UNION ALL SELECT max(last_checked) FROM posts) AS latest", [])
        return row["m"] if row is not None and row["m"] else None

    # -- runs ----------------------------------------------------------------------------------------

    def start_run(self, command: str = "run") -> int:
        """Record the start of a run (`command`: 'run', 'archive' or `DETACHED_RUN`); return its id."""
        with self.transaction():
            return self.db.insert_id("INSERT INTO runs (started_at, command) VALUES (?, ?)", [utc_now(), command])

    def finish_run(self, run_id: int, summary: dict[str, Any], outcome: str = "done",
                   finished_at: str | None = None, *, only_open: bool = False) -> bool:
        """Record the end of a run, how it ended ('done', 'interrupted', 'failed', 'abandoned') and its
        summary (JSON); `finished_at` (canonical form) when it ended before now (a run whose workers
        finished it before anyone asked), else now. With `only_open`, a run already closed is left as
        it is (in the same statement: two callers at once close it once). Whether a row was written."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE runs SET finished_at = ?, summary = ?, outcome = ? WHERE id = ?"
                + (" AND finished_at IS NULL" if only_open else ""),
                [finished_at or utc_now(), fields.dump(summary), outcome, run_id],
            )
            return bool(getattr(cursor, "rowcount", 1))

    def unfinished_runs(self) -> list[int]:
        """Ids of runs that started and never finished (killed or crashed), oldest first."""
        return [row["id"] for row in self.db.query("SELECT id FROM runs WHERE finished_at IS NULL ORDER BY id")]

    def run_end(self, run_id: int) -> tuple[str, str | None, str | None, str] | None:
        """(started_at, finished_at, outcome, command) of run `run_id`; None when there is no such run."""
        row = self._one("SELECT started_at, finished_at, outcome, command FROM runs WHERE id = ?", [run_id])
        return (row["started_at"], row["finished_at"], row["outcome"], row["command"]) if row is not None else None

    def close_unfinished_runs(self, outcome: str = "killed") -> list[RunRow]:
        """Close every unfinished run as `outcome`; return their rows (id, started_at, command).

        Only for the holder of the archive's lock: a run still going holds the lock, so an unfinished
        row seen under it belongs to a process that died. A run sent to a cluster without waiting
        (`DETACHED_RUN`) is left open: its workers hold no lock, and `runs status` closes it.
        """
        unfinished = "finished_at IS NULL AND (command IS NULL OR command <> ?)"
        closed: list[RunRow] = []
        with self.transaction():
            rows = list(self.db.query(
                f"SELECT id, started_at, command FROM runs WHERE {unfinished} ORDER BY id", [DETACHED_RUN]))
            for row in rows:
                end, did = self._last_sign_of_life(int(row["id"]), row["started_at"])
                self.db.execute("UPDATE runs SET finished_at = ?, outcome = ?, summary = ? WHERE id = ?",
                                [end, outcome, fields.dump(did), row["id"]])
                closed.append(RunRow(**row, finished_at=end, did=did))
        return closed

    def _last_sign_of_life(self, run_id: int, started_at: str) -> tuple[str, dict[str, Any]]:
        """When a run that died last wrote to the index, and what it wrote, as the index tells.

        Runs never overlap (the run lock): what the index dates from the run's start to the start
        of the next run (or now) is that run's: its captures, its checks, the citations it found or
        dropped. The time is the latest of them (its start when there is none), the summary counts
        them and says that the time is the last sign of life, not the run's end."""
        nxt = self._one("SELECT min(started_at) AS at FROM runs WHERE id > ?", [run_id])
        bound = (nxt["at"] if nxt is not None and nxt["at"] else None) or utc_now()
        window = [started_at, bound]

        def one(sql: str, params: list[Any]) -> Any:
            row = self._one(sql, params)
            return row["n"] if row is not None else None

        latest = [
            one("SELECT max(captured_at) AS n FROM captures WHERE captured_at >= ? AND captured_at < ?", window),
            # (A post's latest check, by the posts_last_checked index: observations has none by time.)
            one("SELECT max(last_checked) AS n FROM posts WHERE last_checked >= ? AND last_checked < ?", window),
            one("SELECT max(first_seen) AS n FROM citations WHERE first_seen >= ? AND first_seen < ?", window),
            one("SELECT max(dropped_at) AS n FROM citations WHERE dropped_at >= ? AND dropped_at < ?", window),
        ]
        end = max([t for t in latest if t] or [started_at])
        did = {
            "finished_at_is": "its last sign of life: the latest capture, check or citation it indexed (its start "
                              "when none), not a clean end",
            "post_captures": int(one("SELECT count(*) AS n FROM captures WHERE post IS NOT NULL "
                                     "AND captured_at >= ? AND captured_at < ?", window) or 0),
            "article_captures": int(one("SELECT count(*) AS n FROM captures WHERE post IS NULL "
                                        "AND captured_at >= ? AND captured_at < ?", window) or 0),
            "checks": int(one("SELECT count(*) AS n FROM posts WHERE last_checked >= ? AND last_checked < ?",
                              window) or 0),
            "citations_found": int(one("SELECT count(*) AS n FROM citations WHERE first_seen >= ? AND first_seen < ?",
                                       window) or 0),
            "citations_dropped": int(one("SELECT count(*) AS n FROM citations WHERE dropped_at >= ? "
                                         "AND dropped_at < ?", window) or 0),
        }
        return end, did
