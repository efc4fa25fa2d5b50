"""An archive's index: what it holds (`rows`), what callers may ask of it (`protocol`), how lookups
select (`filters`), the SQL every backend shares (`sql/`), and the two backends: the archive's own
SQLite file (`sqlite/`) and PostgreSQL (`postgres/`, for many workers), named by its URL.

Callers get an index from `open_index()`; the implementation is imported only then, so that
importing a pure helper (`filters`, `rows`, `journal`) does not load sqlite-utils, and the SQLite
path never loads psycopg.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
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

    `url` None: the SQLite file in `archive_dir`. `postgresql://` (or `postgres://`): the index in that
    PostgreSQL database, while the archive's files (WARCs, screenshots, media) stay in `archive_dir`.
    IndexError_ (naming host:port/database, never the password) when the server cannot be reached."""
    if url is None:
        from archiver.index.sqlite.index import SQLiteIndex

        require_own_index(archive_dir)
        return SQLiteIndex(archive_dir, create=create)
    _require_known(url)
    from archiver.index.postgres.index import PostgresIndex

    return PostgresIndex(url, archive_dir, create=create)


def indexed_elsewhere(archive_dir: Path) -> str | None:
    """The PostgreSQL index (its URL without the password) that the archive folder says it is
    indexed in (`INDEX_NOTE`, written by the runs that use it), or None."""
    from archiver.layout import INDEX_NOTE

    try:
        text = (Path(archive_dir) / INDEX_NOTE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return lines[0] if lines else None


def require_own_index(archive_dir: Path, *, give: str = "pass --index {url} (or set ARCHIVER_INDEX)",
                      other_way: str = "") -> None:
    """UsageError (exit 2) when the folder is indexed in PostgreSQL: reading or writing an
    archive.db there would show, or make, another index of the same WARC files. `give`: how the
    command is given the index instead (`{url}` stands for it); `other_way`: one more way out, said
    last."""
    url = indexed_elsewhere(archive_dir)
    if url is None:
        return
    from archiver.errors import UsageError
    from archiver.layout import INDEX_NOTE

    raise UsageError(f"{archive_dir} is indexed in PostgreSQL at {url} (its {INDEX_NOTE} says so): "
                     f"{give.format(url=url)}; to index it in its own archive.db again, `archiver index copy "
                     f"--from {url} --to {archive_dir}`{other_way}")


def require_noted_index(archive_dir: Path, url: str, noted: str | None = None) -> None:
    """UsageError (exit 2) when the folder is indexed in another PostgreSQL index than `url`
    (`INDEX_NOTE`, or `noted` when the caller read it already; the same server, database and schema
    spelt otherwise is the same index): its WARC files would be indexed partly there, partly here. An
    index moved (`archiver index copy`) is followed once the note is deleted."""
    from archiver.index.postgres.url import index_place

    noted = noted if noted is not None else indexed_elsewhere(archive_dir)
    if noted is None or index_place(noted) == index_place(url):
        return
    from archiver.errors import UsageError
    from archiver.index.postgres.url import redact
    from archiver.layout import INDEX_NOTE

    raise UsageError(f"{archive_dir} is indexed in PostgreSQL at {noted} (its {INDEX_NOTE} says so), not at "
                     f"{redact(url)}: give --index {noted}; once its index is moved there (`archiver index copy "
                     f"--from {noted} --to {redact(url)}`), delete {Path(archive_dir) / INDEX_NOTE}")


def note_index(archive_dir: Path, url: str) -> None:
    """Write `INDEX_NOTE` in the archive folder of a run that indexes it in PostgreSQL at `url`
    (unless it says so already): the URL without its password, and what the file is for. A folder
    noted as indexed elsewhere is refused (`require_noted_index`)."""
    from archiver.index.postgres.url import redact
    from archiver.layout import INDEX_NOTE
    from archiver.modes import write_file

    shown = redact(url)
    noted = indexed_elsewhere(archive_dir)
    if noted == shown:
        return
    require_noted_index(archive_dir, url, noted)
    text = (f"# This archive folder is indexed in PostgreSQL (archiver run/archive --index URL, or\n"
            f"# ARCHIVER_INDEX). archiver refuses to use it without that index.\n{shown}\n")
    target = Path(archive_dir) / INDEX_NOTE
    temp = target.with_name(f".{INDEX_NOTE}.{os.getpid()}-{os.urandom(4).hex()}")  # workers on several hosts
    write_file(temp, text.encode())
    os.replace(temp, target)


def _require_known(url: str) -> None:
    """UsageError unless `url` is a PostgreSQL URL that can name a server and database."""
    from archiver.index.postgres.url import check, is_postgres, redact

    if not is_postgres(url):
        from archiver.errors import UsageError

        raise UsageError(f"--index {redact(url)}: not an index URL; give postgresql://USER@HOST:PORT/DATABASE, "
                         "or leave --index out for the archive's own SQLite index")
    check(url)


def index_name(archive_dir: Path, url: str | None = None) -> str:
    """How messages name the index: its file for SQLite, its URL without the password for PostgreSQL."""
    if url is not None:
        from archiver.index.postgres.url import redact

        return redact(url)
    from archiver.layout import DB_NAME

    return DB_NAME


def _postgres_version(url: str) -> int:
    """The schema version of the PostgreSQL index (0: none); IndexError_ when it cannot be reached."""
    _require_known(url)
    from archiver.index.postgres.connection import Database
    from archiver.index.postgres.schema import schema_version

    db = Database(url)
    try:
        return schema_version(db)
    finally:
        db.close()


def index_exists(archive_dir: Path, url: str | None = None) -> bool:
    """True when the archive has an index to open (usable or not: opening it tells). For PostgreSQL:
    when the database holds an index's schema (IndexError_ when the server cannot be reached)."""
    if url is not None:
        return _postgres_version(url) > 0
    from archiver.layout import DB_NAME

    try:
        (Path(archive_dir) / DB_NAME).stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:  # there, perhaps, but this user may not look: opening it says so
        return True
    return True


def index_unusable(archive_dir: Path, url: str | None = None) -> str | None:
    """Why the index cannot be used at all without even opening it (missing, empty), or None.
    For PostgreSQL: a database without an index's schema (IndexError_ when it cannot be reached)."""
    if url is not None:
        if _postgres_version(url) == 0:
            from archiver.index.postgres.url import place

            return f"the PostgreSQL database {place(url)} holds no index"
        return None
    import stat

    from archiver.layout import DB_NAME

    db = Path(archive_dir) / DB_NAME
    try:
        info = db.stat()
    except (FileNotFoundError, NotADirectoryError):
        return f"{DB_NAME} is missing"
    except OSError:  # this user may not look: opening it names the cause
        return None
    if not stat.S_ISREG(info.st_mode):  # a folder, a FIFO...: opening it names what it is
        return None
    if info.st_size == 0:
        return f"{DB_NAME} is empty (0 bytes)"
    return None


def memory_index() -> Index:
    """An index held in memory only (tests, dry runs)."""
    from archiver.index.sqlite.index import SQLiteIndex

    return SQLiteIndex.in_memory()


def rebuild_index(archive_dir: Path, records: Iterable[RecordRow], journal: Iterable[Entry], *,
                  files: Collection[str] = (), incomplete: Collection[str] = ()) -> Rebuilt:
    """Replace the archive's index with one built from the WARC records (see `reindex`) and the replayed
    journal (its entries in the order they were written); the old index stays until the new one is
    complete. `files`: the WARC files read, `incomplete`: those whose journal was not read whole.
    Call it under the archive's lock."""
    from archiver.index.sqlite.replay import replace_index

    return replace_index(archive_dir, records, journal, files=files, incomplete=incomplete)


def index_in_use(archive_dir: Path) -> bool:
    """True when the archive's index is readable and holds something (`reindex` refuses it without --force)."""
    from archiver.index.sqlite.replay import healthy_and_full
    from archiver.layout import DB_NAME

    return healthy_and_full(archive_dir / DB_NAME)


def translate_error(exc: BaseException, path: Path | None = None, *, url: str | None = None) -> ArchiverError | None:
    """The archiver error a database exception stands for (a damaged file, a full disk, a PostgreSQL
    server that failed a statement), if any."""
    if type(exc).__module__.startswith("psycopg"):
        from archiver.errors import IndexError_
        from archiver.index.postgres.url import place, scrub

        where = f"the PostgreSQL index at {place(url)}" if url else "the PostgreSQL index"
        return IndexError_(f"cannot use {where}: {scrub(str(exc), url or '')}")
    from archiver.index.sqlite.damage import translate

    return translate(exc, path)
