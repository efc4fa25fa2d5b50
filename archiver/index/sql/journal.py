"""The index's journal written from the index's rows (see `archiver.index.journal` for its format)."""

from __future__ import annotations

import uuid
from typing import Any

from archiver.index.journal import JOURNAL_FORMAT, Writer
from archiver.index.sql.connection import Connection as Database


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

    # A write that leaves a row as it was (an article read again, a post seen again with nothing new)
    # is no entry: the store reads the row's entry before the write (`*_row`) and passes it as
    # `before`, so the journal grows with what changed, not with what is held.

    def post_row(self, db: Database, key: str) -> dict[str, Any] | None:
        """The post's entry row as it stands (None without a writer: nothing will be written)."""
        if self.writer is None:
            return None
        row = _row(db, "SELECT * FROM posts WHERE key = ?", [key])
        if row is not None:
            row.pop("id", None)
            row.pop("title", None)  # derived from the others by the index itself
        return row

    def post(self, db: Database, key: str, *, before: dict[str, Any] | None = None) -> None:
        row = self.post_row(db, key)
        if row is not None and row != before:
            self._queue("post", key, {"row": row})

    def post_status(self, db: Database, key: str) -> None:
        """The post's status and last check after an observation (the rest of its row is unchanged)."""
        if self.writer is None:
            return
        row = _row(db, "SELECT key, status, last_checked FROM posts WHERE key = ?", [key])
        if row is not None:
            self._queue("post-status", key, {"row": row})

    def article_row(self, db: Database, article_id: int | None) -> dict[str, Any] | None:
        if self.writer is None or article_id is None:
            return None
        row = _row(db, "SELECT * FROM articles WHERE id = ?", [article_id])
        if row is not None:
            row.pop("id", None)
            row.pop("url_key", None)  # derived from the URL
        return row

    def article(self, db: Database, article_id: int | None, *, before: dict[str, Any] | None = None) -> None:
        row = self.article_row(db, article_id)
        if row is not None and row != before:
            self._queue("article", row["url"], {"row": row})

    def citation_row(self, db: Database, article_id: int, post_key: str) -> dict[str, Any] | None:
        if self.writer is None:
            return None
        row = _row(db, "SELECT c.*, a.url AS article_url FROM citations c JOIN articles a ON a.id = c.article_id "
                   "JOIN posts p ON p.id = c.post WHERE c.article_id = ? AND p.key = ?", [article_id, post_key])
        if row is not None:
            row.pop("article_id", None)
            row = _keyed(row, post_key)
        return row

    def citation(self, db: Database, article_id: int, post_key: str, *, before: dict[str, Any] | None = None) -> None:
        row = self.citation_row(db, article_id, post_key)
        if row is not None and row != before:
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

    def stamp(self, db: Database, capture_id: int, tsa: str) -> None:
        """A capture's timestamp by one authority, tied to the capture's entry by its ref (a stamp of a
        capture this journal did not write is left out: reindex could not place it)."""
        ref = self._capture_refs.get(capture_id)
        if self.writer is None or ref is None:
            return
        row = _row(db, "SELECT * FROM capture_stamps WHERE capture_id = ? AND tsa = ?", [capture_id, tsa])
        if row is not None:
            row.pop("id", None)
            row.pop("capture_id", None)
            self._queue("stamp", f"{ref}#{tsa}", {"capture": ref, "row": row})

    def observation(self, db: Database, observation_id: int | None) -> None:
        if self.writer is None or observation_id is None:
            return
        row = _row(db, "SELECT o.*, p.key AS post_key FROM observations o JOIN posts p ON p.id = o.post "
                   "WHERE o.id = ?", [observation_id])
        if row is not None:
            row.pop("id", None)
            row = _keyed(row, row.pop("post_key"))
            self._queue("observation", f"{row['post_key']}#{row['checked_at']}", {"row": row})

    def media_row(self, db: Database, post_key: str, url: str) -> dict[str, Any] | None:
        if self.writer is None:
            return None
        row = _row(db, "SELECT m.* FROM media m JOIN posts p ON p.id = m.post WHERE p.key = ? AND m.url = ?",
                   [post_key, url])
        if row is not None:
            row.pop("id", None)
            row = _keyed(row, post_key)
        return row

    def media(self, db: Database, post_key: str, url: str, *, before: dict[str, Any] | None = None) -> None:
        row = self.media_row(db, post_key, url)
        if row is not None and row != before:
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
