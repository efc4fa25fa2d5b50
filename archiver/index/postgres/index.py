"""`PostgresIndex`: the shared index SQL (`archiver.index.sql`) on a PostgreSQL database."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from archiver.index.postgres.connection import Database
from archiver.index.postgres.schema import LOCK_NAMESPACE, WRITE_LOCK, open_database
from archiver.index.postgres.url import redact
from archiver.index.sql.dialect import POSTGRES
from archiver.index.sql.index import SQLIndex
from archiver.index.sql.journal import Journal

# How long a write waits for another process's transaction before it gives up (IndexError_).
WRITE_LOCK_TIMEOUT = "60s"


class PostgresIndex(SQLIndex):
    """An archive's index in PostgreSQL; the archive's files (WARCs, screenshots, media) stay in
    `archive_dir`. A context manager that always closes its connection."""

    dialect = POSTGRES
    db: Database

    def self_check(self) -> list[str]:
        """Nothing: PostgreSQL checks its pages as it reads them, and its own tools (amcheck,
        `pg_checksums`) are the database administrator's."""
        return []

    def quick_check(self, tables: Collection[str] | None = None) -> list[str]:
        """Nothing, as `self_check`."""
        return []

    def __init__(self, url: str, archive_dir: Path | str = ".", *, create: bool = True) -> None:
        self.archive_dir = Path(archive_dir)
        self.url = url
        self.path = None
        self.db = open_database(url, create=create)
        self.journal = Journal()  # set journal.writer to keep the index's journal in the WARCs

    @property
    def name(self) -> str:
        """The index's URL without its password."""
        return redact(self.url)

    def _begin(self) -> None:
        # One writer at a time, as in SQLite: a transaction reads (is the post known?) before it
        # writes, and two processes doing that at once would both insert.
        self.db.execute("BEGIN")
        self.db.execute(f"SET LOCAL lock_timeout = '{WRITE_LOCK_TIMEOUT}'")
        self.db.execute("SELECT pg_advisory_xact_lock(?, ?)", [LOCK_NAMESPACE, WRITE_LOCK])
