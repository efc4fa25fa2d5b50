"""Moving an index between backends (`archiver index copy`) and bringing one up to date
(`archiver index migrate`).

A copy keeps every table's rows as they are: ids, keys, timestamps, JSON text. It refuses a
destination that already holds anything unless forced, and leaves nothing half-written: into
PostgreSQL it is one transaction (a forced copy empties the tables in that same transaction); into
SQLite it writes a new file beside the destination and renames it over it once complete.
Each database keeps its full-text index itself (SQLite's triggers, PostgreSQL's expression index)
and derives `posts.title` from the copied columns.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.errors import ArchiverError, IndexError_, UsageError
from archiver.index.errors import IndexUnreadable
from archiver.layout import DB_NAME, INDEX_NOTE

# Every table of an index, parents before children (the order a copy fills them in).
TABLES = ("articles", "posts", "former_handles", "key_aliases", "citations", "captures", "observations", "records", "media", "runs",
          "capture_stamps", "link_destinations", "history_lost")
_BATCH = 1000


@dataclass(frozen=True)
class Location:
    """Where an index is: the archive folder of a SQLite index, or a PostgreSQL URL."""

    archive_dir: Path
    url: str | None = None

    @property
    def name(self) -> str:
        from archiver.index import index_name

        return index_name(self.archive_dir, self.url) if self.url else str(self.archive_dir / DB_NAME)


def locate(text: str) -> Location:
    """An archive folder, its `archive.db`, or a postgresql:// URL, as a `Location`."""
    from archiver.index.postgres.url import check, is_postgres

    if not text.strip():
        raise UsageError("an empty name is no index (nor the current folder): give an archive folder, its "
                         f"{DB_NAME}, or a postgresql:// URL")
    if is_postgres(text):
        check(text)
        return Location(Path("."), text)
    if "://" in text:
        raise UsageError(f"{text.split('://')[0]}:// is not an index; give an archive folder, its {DB_NAME}, "
                         "or a postgresql:// URL")
    path = Path(text)
    try:
        if path.name == DB_NAME and not path.is_dir():
            return Location(path.parent)
        if path.exists() and not path.is_dir():
            raise UsageError(f"{path} is not an archive folder nor its {DB_NAME}")
    except OSError as exc:  # a folder on the way that this user may not enter
        raise UsageError(f"cannot look at {path}: {(exc.strerror or str(exc)).lower()}; give a folder this "
                         "user may read, or run as its owner") from None
    return Location(path)


def migrate_index(where: Location) -> tuple[str, int, int]:
    """Create the index or bring its schema to the current version: its name, the version it had
    (0: none yet) and the version it has now."""
    from archiver.index import open_index

    if where.url is None:
        _refuse_read_only_disk(where.archive_dir / DB_NAME)
    before = _version_found(where)
    with open_index(where.archive_dir, url=where.url) as index:
        db: Any = index.db  # type: ignore[attr-defined]
        if where.url is None:
            from archiver.index.sqlite.schema import schema_version
        else:
            from archiver.index.postgres.schema import schema_version  # type: ignore[assignment]
        return where.name, before, schema_version(db)


def _refuse_read_only_disk(target: Path) -> None:
    """The usage error `archive`, `run` and `reindex` give for an archive on a read-only mount, before
    SQLite fails to open `target` for writing ('unable to open database file')."""
    import errno

    from archiver.space import read_only_disk, translate_os

    if read_only_disk(target):
        error = translate_os(OSError(errno.EROFS, os.strerror(errno.EROFS), str(target)))
        assert error is not None  # EROFS with a file name is always translated
        raise error


def _version_found(where: Location) -> int:
    """The schema version the index has before anything opens it (0: there is none yet); an index
    that cannot be read this way is left for opening it to name."""
    if where.url is not None:
        from archiver.index import _postgres_version

        return _postgres_version(where.url)
    import sqlite3

    path = where.archive_dir / DB_NAME
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return 0
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except (OSError, sqlite3.Error):
        return 0
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def _columns(db: Any, table: str) -> list[str]:
    return [column[0] for column in db.execute(f"SELECT * FROM {table} LIMIT 0").description]


def count_rows(db: Any) -> dict[str, int]:
    """How many rows each table of the index holds."""
    return {table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in TABLES}


def _fill(source: Any, destination: Any, *, generated: dict[str, tuple[str, ...]], name: str) -> dict[str, int]:
    """Copy every table's rows (inside the destination's open transaction); the counts copied."""
    counts: dict[str, int] = {}
    for table in TABLES:
        wanted = set(_columns(destination, table)) - set(generated.get(table, ()))
        columns = [c for c in _columns(source, table) if c in wanted]
        names = ", ".join(f'"{c}"' for c in columns)
        insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"
        counts[table] = 0
        try:
            for batch in source.batches(f"SELECT {names} FROM {table}", _BATCH):
                destination.executemany(insert, batch)
                counts[table] += len(batch)
        except ArchiverError:
            raise
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise IndexError_(f"cannot copy table {table} into {name}: {first}; nothing was written") from exc
    return counts


def _refuse_full(db: Any, name: str) -> None:
    full = [table for table, count in count_rows(db).items() if count]
    if full:
        raise UsageError(f"{name} already holds an index ({', '.join(full)} not empty): pass --force to replace "
                         "it, or copy to an empty destination")


def copy_index(source: Location, destination: Location, *, force: bool = False, wait: bool = False) -> dict[str, int]:
    """Copy every row of the source index into the destination (created and migrated as needed);
    the number of rows copied per table. UsageError for a non-empty destination without `force`;
    LockHeld (exit 3) while a run holds the destination's lock (its archive folder's, or the
    PostgreSQL index's), as `archive`, `run` and `reindex` take it, unless `wait`: then it waits.

    An archive folder's index copied into PostgreSQL has moved there: the folder records it
    (`note_index`), so that no command goes on writing its archive.db without `--index`."""
    from archiver.index import note_index, open_index, require_own_index
    from archiver.lock import run_lock

    if _same(source, destination):
        raise UsageError(f"--from and --to are the same index ({source.name})")
    if source.url is None:
        require_own_index(source.archive_dir, give="copy from that index: --from {url}")
    with open_index(source.archive_dir, create=False, url=source.url) as reader:
        db: Any = reader.db  # type: ignore[attr-defined]
        if destination.url is not None:
            with run_lock(destination.archive_dir, destination.url, wait=wait):
                copied = _into_postgres(db, destination, force=force,
                                        source_identity=_identity(db) if source.url is not None else None,
                                        source_name=source.name)
            if source.url is None:
                note_index(source.archive_dir, destination.url)
            return copied
        if not os.path.lexists(destination.archive_dir):
            counts = _into_new_folder(db, destination.archive_dir)
            if counts is not None:
                return counts
        _writable_folder(destination.archive_dir)
        with _noted_index_lock(destination.archive_dir, source, wait=wait), \
                run_lock(destination.archive_dir, wait=wait):
            return _into_sqlite(db, destination.archive_dir, force=force)


def _noted_index_lock(folder: Path, source: Location, *, wait: bool) -> Any:
    """The run lock of the PostgreSQL index the folder is noted as indexed in (`INDEX_NOTE`), if any:
    its runs (a cluster's scheduler) hold that lock, not the folder's, and a copy into the folder's
    own archive.db under them would leave a stale index that commands then read quietly. LockHeld
    (exit 3) while a run holds it. The source's URL is used when it names that index (the note
    holds no password)."""
    from contextlib import nullcontext

    from archiver.index import indexed_elsewhere
    from archiver.index.postgres.url import index_place
    from archiver.lock import run_lock

    noted = indexed_elsewhere(folder)
    if noted is None:
        return nullcontext()
    url = source.url if source.url is not None and index_place(source.url) == index_place(noted) else noted
    return _noted_lock(folder, noted, run_lock(folder, url, wait=wait))


@contextmanager
def _noted_lock(folder: Path, noted: str, lock: Any) -> Iterator[None]:
    """`lock` (of the index `noted` in the folder's note) held; an index that cannot be used is
    named as the note's, with the ways on (the copy cannot tell a server down from one only this
    machine cannot reach, whose runs may be writing: it does not go on without the lock)."""
    try:
        lock.acquire()
    except IndexError_ as e:
        why = str(e).removesuffix(" (check that the server runs and the --index URL)")
        raise IndexError_(f"{folder} is noted as indexed in PostgreSQL at {noted} (its {INDEX_NOTE} says so), and a "
                          f"copy into its archive.db first takes that index's run lock: {why}; start that server, "
                          f"or, if the folder is indexed there no longer, delete {folder / INDEX_NOTE} and copy "
                          "again") from None
    try:
        yield
    finally:
        lock.release()


def _same(a: Location, b: Location) -> bool:
    """Whether both name one index: the same folder, or the same PostgreSQL index however its URL is
    spelt (copying an index onto itself would empty it, or wait for ever on its own lock)."""
    if a.url is not None or b.url is not None:
        from archiver.index.postgres.url import index_place

        return a.url is not None and b.url is not None and index_place(a.url) == index_place(b.url)
    try:
        return a.archive_dir.resolve() == b.archive_dir.resolve()
    except OSError:
        return a == b


def _writable_folder(folder: Path) -> None:
    """Make the destination's archive folder; UsageError when it cannot hold a new index (a file is
    in the way, it may not be written to, or its archive.db is a folder)."""
    import errno

    from archiver.index.sqlite.index import cannot_create
    from archiver.modes import make_dirs

    target = folder / DB_NAME
    try:
        make_dirs(folder)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
    except OSError as exc:
        raise cannot_create(target, exc, "--to") from None
    if target.is_dir():
        raise UsageError(f"cannot write the index {target}: it is a folder, not an index file; move it away, "
                         "or copy to another destination")


def _into_new_folder(source: Any, folder: Path) -> dict[str, int] | None:
    """Copy into an archive folder that does not exist yet: the folder is made beside it, filled,
    and renamed into place, so that no run can have started in it meanwhile (no lock needed, and no
    half-made folder is ever seen). None when the folder appeared in the meantime (nothing done)."""
    import shutil
    import tempfile

    from archiver.index.sqlite.index import cannot_create
    from archiver.modes import DIR_MODE, make_dirs
    from archiver.warcstore.files import fsync_dir

    try:
        make_dirs(folder.parent)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.copy-", dir=folder.parent))
    except OSError as exc:
        raise cannot_create(folder / DB_NAME, exc, "--to") from None
    try:
        counts = _into_sqlite(source, staging, force=True, name=str(folder / DB_NAME))
        os.chmod(staging, DIR_MODE)
        try:
            os.rename(staging, folder)  # refused when the folder appeared and holds something
        except OSError:
            return None
        fsync_dir(folder.parent)
        return counts
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _identity(db: Any) -> str:
    from archiver.index.postgres.identity import identity

    return identity(db)


def _into_postgres(source: Any, destination: Location, *, force: bool, source_identity: str | None = None,
                   source_name: str = "") -> dict[str, int]:
    """Copy into the PostgreSQL index `destination`; `source_identity`: that of a PostgreSQL source
    index, refused when the destination is the same index reached by another name (its tables
    emptied, the copy would then wait for ever on its own reads)."""
    from archiver.index.postgres.schema import GENERATED, open_database

    assert destination.url is not None
    db = open_database(destination.url)
    try:
        if source_identity is not None and _identity(db) == source_identity:
            raise UsageError(f"--from and --to are the same index ({source_name} and {destination.name} reach "
                             "one database and schema)")
        with db.atomic():
            if force:
                db.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
            else:
                _refuse_full(db, destination.name)
            counts = _fill(source, db, generated=GENERATED, name=destination.name)
            # New rows continue after the copied ids.
            for table in TABLES:
                if "id" in _columns(db, table):
                    db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"coalesce(max(id), 0) + 1, false) FROM {table}")
    finally:
        db.close()
    return counts


def _into_sqlite(source: Any, folder: Path, *, force: bool, name: str | None = None) -> dict[str, int]:
    """Copy into `folder`'s archive.db (`name`: how messages call it); a new file renamed over the old."""
    from archiver.index.sqlite.schema import open_database
    from archiver.modes import ensure_file
    from archiver.warcstore.files import fsync_dir

    target = folder / DB_NAME
    if target.exists() and not force and (target.stat().st_size > 0 or not target.is_file()):  # a FIFO: named
        try:
            existing = open_database(target, create=False)
        except IndexUnreadable:
            if not (target.is_file() and os.access(target, os.R_OK)):
                raise  # a folder, or a file this user may not read: --force would not help
            raise UsageError(f"{target} is there and is not an archiver index: pass --force to replace it, "
                             "or copy to another destination") from None
        try:
            _refuse_full(existing, str(target))
        finally:
            existing.close()
    temp = folder / f".{DB_NAME}.copy-{os.getpid()}"
    temp.unlink(missing_ok=True)
    ensure_file(temp)
    try:
        db = open_database(temp)
        try:
            with db.atomic():
                counts = _fill(source, db, generated={}, name=name or str(target))
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to rename
        finally:
            db.close()
        # The old index's write-ahead log must not be applied to the new file.
        for side in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            side.unlink(missing_ok=True)
        os.replace(temp, target)
    except BaseException:
        for left in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            left.unlink(missing_ok=True)
        raise
    (folder / INDEX_NOTE).unlink(missing_ok=True)  # indexed in its own archive.db again, not in PostgreSQL
    fsync_dir(folder)
    return counts
