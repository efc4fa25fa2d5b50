"""The index's schema and its numbered migrations; opening `archive.db` brings it up to date.

The schema version lives in `PRAGMA user_version`: 0 is an empty file, N means migrations 1..N ran.
A database written by a newer archiver (version > len(MIGRATIONS)) is refused, never downgraded.
Pending migrations run in one `BEGIN IMMEDIATE` transaction, so two processes opening a fresh
archive at once migrate it once, and a crash mid-migration leaves the old version intact.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from archiver.errors import DiskFull, IndexDamaged, IndexError_
from archiver.index.errors import IndexUnreadable
from archiver.index.sql.views import CITATIONS_VIEW
from archiver.index.sqlite import damage, rekey
from archiver.index.sqlite.connection import Database, give_functions

log = logging.getLogger(__name__)

Migration = Callable[[Database], None]

# Long enough for another process to finish one capture's transaction (overlapping runs).
BUSY_TIMEOUT_MS = 10_000

# unicode61 with diacritics folded, so "cafe" finds "café"; CJK runs stay single tokens
# (query.py falls back to substring matching for those). The tokenizer of migrations 1 and 7.
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
# Since migration 16: marks are part of the words they are written in (Devanagari's vowel signs,
# Bengali's, Tamil's: unicode61 took them for spaces and split every word at them), and the text is
# `fold.folded` on its way in, as queries are.
FTS_TOKENIZER_MARKS = "unicode61 remove_diacritics 2 categories ''L* N* Co M*''"


def _m1_initial(db: Database) -> None:
    """Migration 1: the initial schema."""
    db.executescript(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            source TEXT,
            title TEXT,
            first_seen TEXT NOT NULL,
            last_captured TEXT,
            status TEXT
        );
        -- `id` is the rowid the external-content FTS5 index points at: an INTEGER PRIMARY KEY
        -- survives VACUUM, the implicit rowid of a table keyed by TEXT does not.
        CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            platform TEXT NOT NULL,
            post_id TEXT,
            url TEXT,
            handle TEXT,
            handle_lc TEXT,
            author TEXT,
            posted_at TEXT,
            posted_start TEXT,
            posted_end TEXT,
            text TEXT,
            links TEXT NOT NULL DEFAULT '[]',
            media TEXT NOT NULL DEFAULT '[]',
            status TEXT,
            first_seen TEXT NOT NULL,
            last_checked TEXT,
            data TEXT
        );
        CREATE INDEX posts_handle_lc ON posts (handle_lc);
        CREATE INDEX posts_posted ON posts (posted_start, posted_end);
        CREATE INDEX posts_platform_post_id ON posts (platform, post_id);
        CREATE INDEX posts_last_checked ON posts (last_checked);
        CREATE TABLE citations (
            article_id INTEGER NOT NULL REFERENCES articles (id),
            post_key TEXT NOT NULL REFERENCES posts (key),
            kind TEXT NOT NULL,
            evidence TEXT,
            first_seen TEXT NOT NULL,
            UNIQUE (article_id, post_key)
        );
        CREATE INDEX citations_post_key ON citations (post_key);
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            post_key TEXT REFERENCES posts (key),
            article_id INTEGER REFERENCES articles (id),
            captured_at TEXT NOT NULL,
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            screenshot TEXT,
            screenshot_sha256 TEXT,
            status TEXT NOT NULL,
            error TEXT,
            warc TEXT,
            page_record_id TEXT
        );
        CREATE INDEX captures_post_key ON captures (post_key, captured_at);
        CREATE INDEX captures_article_id ON captures (article_id);
        CREATE INDEX captures_captured_at ON captures (captured_at);
        CREATE TABLE observations (
            id INTEGER PRIMARY KEY,
            post_key TEXT NOT NULL REFERENCES posts (key),
            checked_at TEXT NOT NULL,
            status TEXT NOT NULL,
            detail TEXT
        );
        CREATE INDEX observations_post_key ON observations (post_key, checked_at);
        CREATE TABLE records (
            record_id TEXT PRIMARY KEY,
            capture_id INTEGER REFERENCES captures (id),
            post_key TEXT REFERENCES posts (key),
            article_id INTEGER REFERENCES articles (id),
            warc_type TEXT NOT NULL,
            target_uri TEXT NOT NULL,
            date TEXT NOT NULL,
            status INTEGER,
            mime TEXT,
            payload_digest TEXT,
            filename TEXT NOT NULL,
            "offset" INTEGER NOT NULL,
            length INTEGER NOT NULL,
            extra TEXT
        );
        CREATE INDEX records_capture_id ON records (capture_id);
        CREATE INDEX records_post_key ON records (post_key);
        CREATE INDEX records_article_id ON records (article_id);
        CREATE INDEX records_payload_digest ON records (payload_digest);
        CREATE INDEX records_location ON records (filename, "offset");
        CREATE TABLE media (
            id INTEGER PRIMARY KEY,
            post_key TEXT NOT NULL REFERENCES posts (key),
            url TEXT NOT NULL,
            path TEXT,
            sha256 TEXT,
            mime TEXT,
            UNIQUE (post_key, url)
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            summary TEXT
        );
        """
    )
    # sqlite-utils writes the full-text table and its triggers (imported here: only a new index needs it).
    import sqlite_utils

    sqlite_utils.Database(db.conn, execute_plugins=False).table("posts").enable_fts(
        ["text", "author", "handle"], create_triggers=True, tokenize=FTS_TOKENIZER)


def _m2_key_aliases(db: Database) -> None:
    """Migration 2: remember which hash key became which ID key, so that a flattened tweet seen
    again (say offline, when its short link cannot be resolved) lands on its ID-keyed post instead
    of coming back as a duplicate."""
    db.executescript(
        """
        CREATE TABLE key_aliases (
            old_key TEXT PRIMARY KEY,
            new_key TEXT NOT NULL,
            merged_at TEXT NOT NULL
        );
        CREATE INDEX key_aliases_new_key ON key_aliases (new_key);
        """
    )


def _m4_post_ids(db: Database) -> None:
    """Migration 4: the children of a post point at its integer `posts.id` (so that tools browsing
    the file, Datasette among them, can follow the link), posts carry a readable `title`, articles a
    normalised `url_key`, and two views show history and citations with names instead of ids."""
    rekey.apply(db)


def _m3_run_outcome(db: Database) -> None:
    """Migration 3: how each run ended ('done', 'interrupted' by a signal, 'failed', or 'killed' when
    a later run found it unfinished) and which command ran it ('run' or 'archive')."""
    db.executescript(
        """
        ALTER TABLE runs ADD COLUMN outcome TEXT;
        ALTER TABLE runs ADD COLUMN command TEXT;
        UPDATE runs SET outcome = 'done' WHERE finished_at IS NOT NULL;
        """
    )


# The order every lookup returns posts in (unknown times last, then by key): indexes that end with
# these columns hand a page of any size over in order, without sorting every matching post first.
LOOKUP_ORDER = "(posted_start IS NULL), posted_start, key"


def _m5_lookup_indexes(db: Database) -> None:
    """Migration 5: an index for each way lookup selects posts, each ending in the lookup order, so
    that no filter reads the whole table and a first page of a broad selection comes straight off
    the index: by current status, by platform, by handle (replacing the handle-only index), and by
    the order alone (a lookup without filters, or bounded by time: this one replaces the index on
    posted_start and posted_end)."""
    db.execute("DROP INDEX IF EXISTS posts_handle_lc")
    db.execute("DROP INDEX IF EXISTS posts_posted")
    for name, lead in (("posts_handle_order", "handle_lc, "), ("posts_status_order", "status, "),
                       ("posts_platform_order", "platform, "), ("posts_order", "")):
        db.execute(f"CREATE INDEX {name} ON posts ({lead}{LOOKUP_ORDER})")


def _m6_capture_stamps(db: Database) -> None:
    """Migration 6: RFC 3161 timestamps of captures. One row per capture and authority: the
    canonical list of the capture's records (`manifest`), its SHA-256 (`digest`, "sha256:<hex>"),
    the authority's URL, and its token (base64 DER) with the time it vouches for, or the error
    that left the capture without one."""
    db.executescript(
        """
        CREATE TABLE capture_stamps (
            id INTEGER PRIMARY KEY,
            capture_id INTEGER NOT NULL REFERENCES captures (id),
            digest TEXT NOT NULL,
            manifest TEXT NOT NULL,
            tsa TEXT NOT NULL,
            token TEXT,
            stamped_at TEXT,
            error TEXT,
            requested_at TEXT NOT NULL,
            UNIQUE (capture_id, tsa)
        );
        CREATE INDEX capture_stamps_requested_at ON capture_stamps (requested_at);
        """
    )


def _m7_fts_in_lookup_order(db: Database) -> None:
    """Migration 7: the full-text index numbers its rows in lookup order (`search.fts5_rowid`: the
    post's hour, then its id) instead of by post id, so that a page of a text search is read off it
    in order. It becomes contentless (the posts table keeps the text; the index only finds rows),
    rebuilt from every post, and its triggers follow the time as well as the three indexed columns."""
    count = db.execute("SELECT count(*) FROM posts").fetchone()[0]
    if count > 100_000:
        log.warning("index %s: rebuilding the full-text index of %d posts in lookup order (once)", _db_name(db), count)
    _contentless_fts(db, FTS_TOKENIZER, lambda column: column)


def _contentless_fts(db: Database, tokenizer: str, value: Callable[[str], str]) -> None:
    """The full-text index made again, contentless, numbered in lookup order, with `tokenizer`; what
    it holds of a column is `value(column)` (SQL), for every post and, by its triggers, as posts change."""
    from archiver.index.sql.search import fts5_rowid

    for trigger in ("posts_ai", "posts_ad", "posts_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute("DROP TABLE IF EXISTS posts_fts")
    db.execute(f"CREATE VIRTUAL TABLE posts_fts USING fts5 (text, author, handle, content='', "
               f"tokenize='{tokenizer}')")
    columns = "text, author, handle"

    def values(row: str) -> str:
        return ", ".join(value(f"{row}{column}") for column in ("text", "author", "handle"))

    db.execute(f"INSERT INTO posts_fts (rowid, {columns}) SELECT {fts5_rowid('posts')}, {values('')} FROM posts")
    insert = f"INSERT INTO posts_fts (rowid, {columns}) VALUES ({fts5_rowid('new')}, {values('new.')});"
    # A contentless index forgets a row only when told the values it was given.
    delete = (f"INSERT INTO posts_fts (posts_fts, rowid, {columns}) "
              f"VALUES ('delete', {fts5_rowid('old')}, {values('old.')});")
    db.execute(f"CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN {insert} END")
    db.execute(f"CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN {delete} END")
    db.execute(f"CREATE TRIGGER posts_au AFTER UPDATE OF id, text, author, handle, posted_start ON posts "
               f"BEGIN {delete} {insert} END")


def _m8_link_destinations(db: Database) -> None:
    """Migration 8: where a short link that names no post led (an article, a shop, a page that
    is gone), by the key the link's post would have had, and when it was followed: an article read
    again does not follow it again (`ArchiveIndex.destination_of`)."""
    db.execute("CREATE TABLE link_destinations (link_key TEXT PRIMARY KEY, url TEXT NOT NULL, "
               "followed_at TEXT NOT NULL)")

def _m9_citations_dropped(db: Database) -> None:
    """Migration 9: when a read of an article found that it no longer cites a post it cited
    (`citations.dropped_at`; NULL while it still does): an embed taken out of an article."""
    db.execute("ALTER TABLE citations ADD COLUMN dropped_at TEXT")


def _m10_citations_view_dates(db: Database) -> None:
    """Migration 10: `citations_expanded` shows when each citation was first seen and when a read
    of the article no longer found it (`first_seen`, `dropped_at`)."""
    db.execute("DROP VIEW IF EXISTS citations_expanded")
    db.execute(CITATIONS_VIEW)


def _m11_records_post_capture(db: Database) -> None:
    """Migration 11: the captures each post's records name, indexed by post (only the records that
    name one): `lookup` and `show` check a post's captures against the capture its first record
    names (`query._check_read_whole`), one probe a post, now read off this index alone, never a
    record's row (at 1,000,000 records it adds about 14 MB; building it took 0.4 s)."""
    db.execute("CREATE INDEX records_post_capture ON records (post, capture_id) WHERE capture_id IS NOT NULL")


def _m12_history_lost(db: Database) -> None:
    """Migration 12: the posts and articles a rebuild made from partial history (`history_lost`):
    their own first journal entry was lost with a WARC file, and with it what only that entry and
    those beside it held, such as the articles citing a post; `show` says so rather than "no article"."""
    db.execute("CREATE TABLE history_lost (kind TEXT NOT NULL, name TEXT NOT NULL, rebuilt_at TEXT NOT NULL, "
               "PRIMARY KEY (kind, name))")


def _m13_citations_cited_again(db: Database) -> None:
    """Migration 13: when a read of an article found it citing again a post it had dropped
    (`citations.cited_again_at`, the latest such read; NULL when it never did): a page whose
    capture did not complete after that read (the run killed) is captured by the next."""
    db.execute("ALTER TABLE citations ADD COLUMN cited_again_at TEXT")


def _m14_captures_article_url(db: Database) -> None:
    """Migration 14: article captures by the address they were made at (`captures_article_url`):
    `lookup --article` finds an article whose address now redirects to its own new one by the
    address of its captures there too, reading this index alone, never every article capture."""
    db.execute("CREATE INDEX captures_article_url ON captures (url) WHERE post IS NULL")


# A post's stored handle replaced by another one (not a change of case alone): the old one becomes a
# former handle of the post, dated by the new one's `handle_since`. A trigger, so that every write
# that replaces a handle records it, the store's and a rebuild's replay of the journal alike (each
# post entry of the journal is the whole row, `handle_since` with it).
FORMER_HANDLE_TRIGGER = (
    "CREATE TRIGGER posts_former_handle AFTER UPDATE OF handle, handle_lc ON posts "
    "WHEN old.handle_lc IS NOT NULL AND new.handle_lc IS NOT NULL AND old.handle_lc <> new.handle_lc BEGIN "
    "INSERT INTO former_handles (post, handle, handle_lc, until) VALUES (new.id, old.handle, old.handle_lc, "
    "new.handle_since) ON CONFLICT (post, handle_lc) DO UPDATE SET handle = excluded.handle, until = excluded.until; "
    "END"
)


def _m15_former_handles(db: Database) -> None:
    """Migration 15: the handles a post's author had before the one held (`former_handles`: a re-check
    that found the author under a new handle replaced it), each with when it was replaced (`until`,
    the new one's `posts.handle_since`; NULL when unknown, as for a handle a merged post held), so
    that `lookup --handle OLD` still finds the post the articles cite as @OLD. Its index by handle
    serves that lookup; its key, a post's former handles."""
    db.executescript(
        """
        ALTER TABLE posts ADD COLUMN handle_since TEXT;
        CREATE TABLE former_handles (
            post INTEGER NOT NULL REFERENCES posts (id),
            handle TEXT NOT NULL,
            handle_lc TEXT NOT NULL,
            until TEXT,
            PRIMARY KEY (post, handle_lc)
        );
        CREATE INDEX former_handles_handle ON former_handles (handle_lc, post);
        """
    )
    db.execute(FORMER_HANDLE_TRIGGER)


def _m16_fts_folded(db: Database) -> None:
    """Migration 16: the full-text index holds words as a reader finds them: marks inside the words
    they are written in, Arabic and Hebrew vowel marks and tatweel left out, Greek accents folded
    (`fold.folded`; queries are folded alike). Rebuilt from every post."""
    from archiver.index.sql.search import folded_sqlite

    count = db.execute("SELECT count(*) FROM posts").fetchone()[0]
    if count > 100_000:
        log.warning("index %s: rebuilding the full-text index of %d posts (once)", _db_name(db), count)
    _contentless_fts(db, FTS_TOKENIZER_MARKS, folded_sqlite)


# Append only: never edit a migration that has shipped, add the next one instead.
MIGRATIONS: tuple[Migration, ...] = (
    _m1_initial, _m2_key_aliases, _m3_run_outcome, _m4_post_ids, _m5_lookup_indexes, _m6_capture_stamps,
    _m7_fts_in_lookup_order, _m8_link_destinations, _m9_citations_dropped, _m10_citations_view_dates,
    _m11_records_post_capture, _m12_history_lost, _m13_citations_cited_again, _m14_captures_article_url,
    _m15_former_handles, _m16_fts_folded)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    """The version recorded in the file (0 for a new, empty database)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Run the pending migrations in one transaction; return the version reached."""
    target = len(migrations)
    version = schema_version(db)
    _refuse_newer(db, version, target)
    give_functions(db.conn)  # (a connection of another kind: the schema's triggers need them as it writes)
    if version == target:
        return version
    # Rebuilding a table that others reference is only possible with foreign keys off, and SQLite
    # ignores this pragma inside a transaction: it is switched before BEGIN and back after the end.
    enforced = bool(db.execute("PRAGMA foreign_keys").fetchone()[0])
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        return _migrate_locked(db, migrations, target)
    finally:
        if enforced:
            db.execute("PRAGMA foreign_keys = ON")


def _migrate_locked(db: Database, migrations: Sequence[Migration], target: int) -> int:
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        version = schema_version(db)
        _refuse_newer(db, version, target)
        for number in range(version + 1, target + 1):
            log.info("index %s: applying migration %d", _db_name(db), number)
            migrations[number - 1](db)
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:  # left by a reindex that replayed a journal with gaps; the rows stay readable
            log.warning("index %s: %d row(s) point at a missing row (first in table %s)",
                        _db_name(db), len(broken), broken[0][0])
        # Part of the same transaction: the version moves only if every step succeeded.
        db.execute(f"PRAGMA user_version = {target:d}")
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    return target


def _refuse_newer(db: Database, version: int, known: int) -> None:
    if version > known:  # nothing of it can be read: exit 2, as for any input that leaves nothing to read
        raise IndexUnreadable(
            f"{_db_name(db)} has schema version {version}, newer than this archiver knows ({known}): "
            "upgrade archiver to read it"
        )


def refuse_newer_file(path: Path) -> None:
    """IndexUnreadable when the regular file `path` is an SQLite database whose schema version is newer
    than this archiver's: what would replace it (a reindex, forced or not) would lose what a newer
    archiver keeps and the WARCs cannot give back. Anything else (no file, not SQLite, unreadable)
    passes: the caller's own checks name it. The version is read from the file's header, and through
    SQLite when it opens (a change still in the write-ahead log)."""
    import stat

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return
        with path.open("rb") as f:
            header = f.read(100)
    except OSError:
        return
    if len(header) < 64 or not header.startswith(b"SQLite format 3\x00"):
        return
    version = int.from_bytes(header[60:64], "big")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = max(version, int(conn.execute("PRAGMA user_version").fetchone()[0]))
        finally:
            conn.close()
    except sqlite3.Error:
        pass
    if version > SCHEMA_VERSION:
        raise IndexUnreadable(f"{path} has schema version {version}, newer than this archiver knows "
                              f"({SCHEMA_VERSION}): upgrade archiver to read it")


def _db_name(db: Database) -> str:
    """The main database's file name (read as bytes: a folder's name need not be UTF-8, and the
    text of a row that is no UTF-8 is taken for damage)."""
    import os

    row = db.execute("SELECT CAST(file AS BLOB) FROM pragma_database_list WHERE name = 'main'").fetchone()
    return os.fsdecode(row[0]) if row and row[0] else ":memory:"


def configure(db: Database) -> None:
    """Connection settings every index connection needs (they do not persist in the file, except WAL).

    The version check comes before anything that writes: a newer archiver's file is left untouched.
    """
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    db.execute("PRAGMA foreign_keys = ON")
    _refuse_newer(db, schema_version(db), SCHEMA_VERSION)
    if not db.memory and not db.read_only:
        _enable_wal(db)
    # WAL with synchronous=NORMAL is durable across process crashes (kill -9); only a power loss can
    # drop the last transactions, and never corrupts the file.
    db.execute("PRAGMA synchronous = NORMAL")


def _enable_wal(db: Database) -> None:
    """Switch to WAL, retrying: SQLite answers "locked" at once, without waiting for its busy
    timeout, when another connection is opening the same fresh file at the same moment."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _readable(path: Path) -> bool:
    """Whether the index file exists (False: there is none yet); IndexUnreadable when it exists but
    cannot be opened: a folder, a FIFO, a device or a socket, or a file this user may not read."""
    import errno
    import os
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:  # a folder on the way that this user may not enter...
        if exc.errno == errno.ENOTDIR:
            return False
        raise damage.unreadable(path, exc) from None
    if stat.S_ISDIR(mode):
        raise damage.unreadable(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    if not stat.S_ISREG(mode):  # a FIFO, a device, a socket: never opened (a FIFO's open would wait)
        raise damage.not_a_file(path, mode)
    if not os.access(path, os.R_OK):
        raise damage.unreadable(path, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))
    return True


def _read_only(path: Path) -> str | None:
    """How to open an index to be read in a folder this user cannot write (a colleague's archive, a
    read-only mount), where SQLite cannot make the files it keeps beside a WAL database: the URI
    parameters (None: the folder is writable, open as usual). With the shared-memory file there (the
    index is open elsewhere), read through it; without it, nobody has the index open, and the file
    is read as it stands (`immutable`), unless its write-ahead log holds changes not yet folded in."""
    import os

    folder = path.parent
    if os.access(folder, os.W_OK):
        return None
    if path.with_name(path.name + "-shm").exists():
        return "mode=ro"
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise damage.unreadable(path, reason=f"its folder is not writable by this user, and {wal.name} holds "
                                "changes SQLite can only read by writing beside it: run any archiver command on "
                                "it once as its owner, or copy the archive")
    return "mode=ro&immutable=1"


def _refuse_blank(db: Database, path: Path) -> None:
    """An index opened to be read must already have the index's schema: an empty file, or another
    program's SQLite file, is refused before anything is written into it."""
    if schema_version(db) > 0:
        return
    if path.stat().st_size == 0:
        raise damage.unreadable(path, reason="it is empty (0 bytes), not an index: restore it from a backup, "
                                "or rebuild it from the WARCs with `archiver reindex`")
    _refuse_headless(path)
    raise damage.unreadable(path, reason="it is a SQLite file without an archiver index's tables (not an "
                            "archive.db): pass the right --archive-dir, or move it away")


def _refuse_headless(path: Path) -> None:
    """A file that is not empty and has no SQLite file's header (less than one, or another one: cut
    short by an interrupted copy, or overwritten) is damage, never a file to make an index in."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return  # not there, or not readable: named where it is opened
    if size and (size < 100 or head != b"SQLite format 3\x00"):
        raise damage.damaged(path, f"cut short or overwritten ({size} bytes, no SQLite file's header)")


def open_database(path: Path, *, create: bool = True) -> Database:
    """Open (and create or migrate) the index at `path`; IndexError_ with a fix when it cannot be used.
    With `create` False the index must exist and have a schema (an older one is brought up to date):
    nothing is created, and an empty file stays empty."""
    if not _readable(path):
        if not create:
            raise IndexUnreadable(f"no index at {path}: archive something there first, or check the folder given")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif create:
        _refuse_headless(path)
    try:
        db = Database(path, read_only=None if create else _read_only(path))
    except sqlite3.Error as exc:
        raise IndexError_(f"cannot open the index {path}: {exc}") from exc
    db.conn.text_factory = damage.text_factory(path)
    try:
        if not create:
            _refuse_blank(db, path)
        configure(db)
        if db.read_only and schema_version(db) < SCHEMA_VERSION:
            raise damage.unreadable(path, reason="its tables are an older archiver's, and its folder is not writable "
                                    "by this user to bring them up to date: run any archiver command on it once as "
                                    "its owner, or copy the archive")
        migrate(db)
    except IndexError_:
        db.close()
        raise
    except sqlite3.DatabaseError as exc:
        db.close()
        named = damage.translate(exc, path)
        if isinstance(named, (IndexDamaged, DiskFull)):
            raise named from exc
        hint = "another process kept it busy, try again" if "locked" in str(exc) else "is it an archiver archive.db?"
        raise IndexError_(f"cannot use the index {path}: {exc} ({hint})") from exc
    return db


def open_memory() -> Database:
    """A migrated in-memory index, for tests and dry runs."""
    db = Database(memory=True)
    configure(db)
    migrate(db)
    return db
