"""An archive's index: what it holds (`rows`), what callers may ask of it (`protocol`), how lookups
select (`filters`), and its SQLite implementation (`sqlite/`, the only place with SQL).

Callers get an index from `open_index()`; the implementation is imported only then, so that
importing a pure helper (`filters`, `rows`, `journal`) does not load sqlite-utils.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archiver.errors import ArchiverError
    from archiver.index.journal import Entry, Rebuilt
    from archiver.index.protocol import Index
    from archiver.index.rows import RecordRow


def open_index(archive_dir: Path, *, create: bool = True, url: str | None = None) -> Index:
    """The archive's index (created and migrated as needed unless `create` is False: then IndexError_
    when there is none); a context manager that closes it.

    `url` None: the SQLite file in `archive_dir`. Any other index is named by its URL."""
    from archiver.index.sqlite.index import SQLiteIndex

    if url is not None:
        from archiver.errors import UsageError

        raise UsageError(f"--index {url}: no index backend answers this URL; leave --index out for the "
                         "archive's own SQLite index")

    return SQLiteIndex(archive_dir, create=create)


def index_name(archive_dir: Path) -> str:
    """How messages name the archive's index (its file, for SQLite)."""
    from archiver.layout import DB_NAME

    return DB_NAME


def index_exists(archive_dir: Path) -> bool:
    """True when the archive has an index to open (usable or not: opening it tells)."""
    from archiver.layout import DB_NAME

    return (Path(archive_dir) / DB_NAME).exists()


def index_unusable(archive_dir: Path) -> str | None:
    """Why the index cannot be used at all without even opening it (missing, empty), or None."""
    from archiver.layout import DB_NAME

    db = Path(archive_dir) / DB_NAME
    if not db.exists():
        return f"{DB_NAME} is missing"
    if db.stat().st_size == 0:
        return f"{DB_NAME} is empty (0 bytes)"
    return None


def memory_index() -> Index:
    """An index held in memory only (tests, dry runs)."""
    from archiver.index.sqlite.index import SQLiteIndex

    return SQLiteIndex.in_memory()


def rebuild_index(archive_dir: Path, records: Sequence[RecordRow], journal: list[Entry]) -> Rebuilt:
    """Replace the archive's index with one built from the WARC records (see `reindex`) and the replayed
    journal; the old index stays until the new one is complete. Call it under the archive's lock."""
    from archiver.index.sqlite.replay import replace_index

    return replace_index(archive_dir, records, journal)


def index_in_use(archive_dir: Path) -> bool:
    """True when the archive's index is readable and holds something (`reindex` refuses it without --force)."""
    from archiver.index.sqlite.replay import healthy_and_full
    from archiver.layout import DB_NAME

    return healthy_and_full(archive_dir / DB_NAME)


def translate_error(exc: BaseException, path: Path | None = None) -> ArchiverError | None:
    """The archiver error a database exception stands for (a damaged file, a full disk), if any."""
    from archiver.index.sqlite.damage import translate

    return translate(exc, path)
