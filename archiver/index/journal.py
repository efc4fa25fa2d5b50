"""The index's journal in the WARC files: what SQLite alone would otherwise know, kept beside the bytes.

Each write of a post, article, citation, capture, observation, media file or record ownership is also
written as a WARC `metadata` record (application/json) once its transaction commits, with a `urn:`
target URI naming what it describes:

    urn:post:<key>                          the post's whole row after the write
    urn:post-status:<key>                   its status and last check, after an observation
    urn:article:<url>                       the article's whole row after the write
    urn:citation:<article url>#<post key>   the citation's row
    urn:capture:<post key | article url>#<captured_at>
    urn:observation:<post key>#<checked_at>
    urn:media:<post key>#<media url>
    urn:post-merge:<old key>#<new key>      a hash-keyed post absorbed into its ID-keyed one
    urn:records:<capture ref | post key | article url>
                                            which post, article and capture WARC records belong to

Rows are stored as the database holds them (JSON columns as their text), without row ids, which
`archiver reindex` assigns again: a row's post is named by its key (`post_key`), never by the
post's row id, so that journals written before and after the index pointed at `posts.id` replay alike. Replaying the journal in order (see archiver/reindex.py) rebuilds
the index. A transaction that rolls back writes nothing here; a process killed between the commit
and the WARC write loses that one journal entry, and the index keeps the write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

# The `journal` field of every payload, so that a reader can tell these records from capture-info.
JOURNAL_FORMAT = "archiver-index/1"
KINDS: tuple[str, ...] = ("post", "post-status", "article", "citation", "capture", "observation", "media", "post-merge", "records")
URN_PREFIXES: tuple[str, ...] = tuple(f"urn:{kind}:" for kind in KINDS)

# WarcStore.write_metadata_batch: writes [(uri, fields), ...] as metadata records, one fsync for all.
Writer = Callable[[list[tuple[str, dict[str, Any]]]], Any]


def is_journal_uri(uri: str) -> bool:
    """True for the target URI of a journal record (never a page or a capture's provenance)."""
    return uri.startswith(URN_PREFIXES)


def is_journal_record(rec_type: str, uri: str) -> bool:
    """True for a WARC record of the index's journal: the one kind of record the index never lists."""
    return rec_type == "metadata" and is_journal_uri(uri)


def _row(db: Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def _keyed(row: dict[str, Any], post_key: str | None) -> dict[str, Any]:
    """The row with its post named by key in place of the post's row id."""
    row.pop("post", None)
    row["post_key"] = post_key
    return row


class Journal:
    """Queues journal entries during a transaction and writes them once it commits."""

    def __init__(self, writer: Writer | None = None) -> None:
        self.writer = writer
        self.pending: list[tuple[str, dict[str, Any]]] = []
        self._capture_refs: dict[int, str] = {}

    def _queue(self, kind: str, name: str, payload: dict[str, Any]) -> None:
        if self.writer is not None:
            self.pending.append((f"urn:{kind}:{name}", {"journal": JOURNAL_FORMAT, "kind": kind, **payload}))

    def flush(self) -> None:
        """Write what the committed transaction queued (called after COMMIT)."""
        pending, self.pending = self.pending, []
        if self.writer is not None and pending:
            self.writer(pending)

    def discard(self, keep: int = 0) -> None:
        """Forget what a rolled-back transaction (or savepoint) queued after the first `keep` entries."""
        del self.pending[keep:]

    # -- entries ------------------------------------------------------------------------------------

    def post(self, db: Database, key: str) -> None:
        if self.writer is None:
            return
        row = _row(db, "SELECT * FROM posts WHERE key = ?", [key])
        if row is not None:
            row.pop("id", None)
            row.pop("title", None)  # derived from the others by the index itself
            self._queue("post", key, {"row": row})

    def post_status(self, db: Database, key: str) -> None:
        """The post's status and last check after an observation (the rest of its row is unchanged)."""
        if self.writer is None:
            return
        row = _row(db, "SELECT key, status, last_checked FROM posts WHERE key = ?", [key])
        if row is not None:
            self._queue("post-status", key, {"row": row})

    def article(self, db: Database, article_id: int | None) -> None:
        if self.writer is None or article_id is None:
            return
        row = _row(db, "SELECT * FROM articles WHERE id = ?", [article_id])
        if row is not None:
            row.pop("id", None)
            row.pop("url_key", None)  # derived from the URL
            self._queue("article", row["url"], {"row": row})

    def citation(self, db: Database, article_id: int, post_key: str) -> None:
        if self.writer is None:
            return
        row = _row(db, "SELECT c.*, a.url AS article_url FROM citations c JOIN articles a ON a.id = c.article_id "
                   "JOIN posts p ON p.id = c.post WHERE c.article_id = ? AND p.key = ?", [article_id, post_key])
        if row is not None:
            row.pop("article_id", None)
            row = _keyed(row, post_key)
            self._queue("citation", f"{row['article_url']}#{post_key}", {"row": row})

    def capture(self, db: Database, capture_id: int) -> None:
        if self.writer is None:
            return
        row = _row(db, "SELECT c.*, p.key AS post_key, a.url AS article_url FROM captures c "
                   "LEFT JOIN articles a ON a.id = c.article_id LEFT JOIN posts p ON p.id = c.post "
                   "WHERE c.id = ?", [capture_id])
        if row is None:
            return
        row.pop("id", None)
        row.pop("article_id", None)
        row = _keyed(row, row.pop("post_key"))
        ref = uuid.uuid4().hex
        self._capture_refs[capture_id] = ref
        owner = row["post_key"] or row["article_url"]
        self._queue("capture", f"{owner}#{row['captured_at']}", {"ref": ref, "row": row})

    def observation(self, db: Database, observation_id: int | None) -> None:
        if self.writer is None or observation_id is None:
            return
        row = _row(db, "SELECT o.*, p.key AS post_key FROM observations o JOIN posts p ON p.id = o.post "
                   "WHERE o.id = ?", [observation_id])
        if row is not None:
            row.pop("id", None)
            row = _keyed(row, row.pop("post_key"))
            self._queue("observation", f"{row['post_key']}#{row['checked_at']}", {"row": row})

    def media(self, db: Database, post_key: str, url: str) -> None:
        if self.writer is None:
            return
        row = _row(db, "SELECT m.* FROM media m JOIN posts p ON p.id = m.post WHERE p.key = ? AND m.url = ?",
                   [post_key, url])
        if row is not None:
            row.pop("id", None)
            row = _keyed(row, post_key)
            self._queue("media", f"{post_key}#{url}", {"row": row})

    def merge(self, old_key: str, new_key: str, merged_at: str) -> None:
        self._queue("post-merge", f"{old_key}#{new_key}",
                    {"old_key": old_key, "new_key": new_key, "merged_at": merged_at})

    def records(self, db: Database, capture_id: int | None, post_key: str | None, article_id: int | None,
                record_ids: list[str]) -> None:
        if self.writer is None or not record_ids:
            return
        article = _row(db, "SELECT url FROM articles WHERE id = ?", [article_id]) if article_id is not None else None
        capture = self._capture_refs.get(capture_id) if capture_id is not None else None
        article_url = article["url"] if article else None
        owner = capture or post_key or article_url or "unowned"
        self._queue("records", owner, {"capture": capture, "post_key": post_key, "article_url": article_url,
                                       "record_ids": record_ids})
