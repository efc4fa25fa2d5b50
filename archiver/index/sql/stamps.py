"""The index's RFC 3161 timestamps of captures (table `capture_stamps`, schema version 6), in the SQL
every backend shares: one row per capture and authority, kept when the authority failed too (its
error says why the capture has no token)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archiver.index.rows import CaptureStamp
from archiver.index.sql.connection import Connection
from archiver.index.sql.journal import Journal
from archiver.times import normalise_timestamp, utc_now

_SELECT = (
    "SELECT s.capture_id, s.digest, s.manifest, s.tsa, s.token, s.stamped_at, s.error, s.requested_at, "
    "p.key AS post_key, a.url AS article_url, c.url AS capture_url, c.captured_at "
    "FROM capture_stamps s JOIN captures c ON c.id = s.capture_id "
    "LEFT JOIN posts p ON p.id = c.post LEFT JOIN articles a ON a.id = c.article_id AND c.post IS NULL"
)
_CHUNK = 500


class StampStore:
    """Writes and reads of `capture_stamps`, mixed into the index (`db`, `transaction`)."""

    db: Connection
    journal: Journal

    def transaction(self) -> Any: ...  # provided by the store this is mixed into

    def add_stamp(self, stamp: CaptureStamp) -> None:
        """Record a capture's timestamp by one authority; a second answer of the same authority for
        the same capture replaces the first (a failed request tried again)."""
        requested = normalise_timestamp(stamp.requested_at) if stamp.requested_at else utc_now()
        stamped = normalise_timestamp(stamp.stamped_at) if stamp.stamped_at else None
        with self.transaction():
            self.db.execute(
                "INSERT INTO capture_stamps (capture_id, digest, manifest, tsa, token, stamped_at, error, "
                "requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (capture_id, tsa) DO UPDATE SET "
                "digest = excluded.digest, manifest = excluded.manifest, token = excluded.token, "
                "stamped_at = excluded.stamped_at, error = excluded.error, requested_at = excluded.requested_at",
                [stamp.capture_id, stamp.digest, stamp.manifest, stamp.tsa, stamp.token, stamped, stamp.error,
                 requested])
            self.journal.stamp(self.db, stamp.capture_id, stamp.tsa)

    def has_tokens(self) -> bool:
        """Whether any capture has a token (verify then checks them against their records)."""
        return self.db.execute("SELECT 1 FROM capture_stamps WHERE token IS NOT NULL LIMIT 1").fetchone() is not None

    def capture_stamps(self, capture_ids: Sequence[int]) -> list[CaptureStamp]:
        """The timestamps of these captures (failed requests included), by capture then authority."""
        found: list[CaptureStamp] = []
        ids = sorted(set(capture_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            found += [CaptureStamp(**row) for row in self.db.query(
                f"{_SELECT} WHERE s.capture_id IN ({marks}) ORDER BY s.capture_id, s.tsa", chunk)]
        return found

    def stamp_times_since(self, since: str) -> list[tuple[int, str, str, str]]:
        """(capture id, authority, the token's time, when it was asked for) of each request made at
        or after `since` (canonical UTC) that brought a token, oldest first: a row of four short
        values each, however many captures a run made."""
        return [(int(r["capture_id"]), r["tsa"], r["stamped_at"], r["requested_at"]) for r in self.db.query(
            "SELECT capture_id, tsa, stamped_at, requested_at FROM capture_stamps "
            "WHERE token IS NOT NULL AND stamped_at IS NOT NULL AND requested_at >= ? "
            "ORDER BY requested_at, capture_id, tsa", [normalise_timestamp(since)])]

    def unstamped_since(self, since: str) -> list[CaptureStamp]:
        """Requests made at or after `since` (canonical UTC) that brought no token, oldest first."""
        return [CaptureStamp(**row) for row in self.db.query(
            f"{_SELECT} WHERE s.token IS NULL AND s.requested_at >= ? ORDER BY s.requested_at, s.capture_id, s.tsa",
            [normalise_timestamp(since)])]
