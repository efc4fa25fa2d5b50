"""Scratch files for what a check or a rebuild of a whole archive reads from its WARC files.

`reindex` and `verify` read every WARC file before they can use what they read: the index's journal
is replayed in the order it was written (its date, then its file and offset), known only once every
file is read; a rebuild writes nothing before it knows that something could be read at all; verify
learns whether a revisit's original exists only once every file is read. An archive of a million
posts holds tens of millions of records and journal entries, gigabytes once held in memory. A
scratch file keeps them on disk instead: a SQLite file in a folder of its own in the temporary folder
(TMPDIR; readable by this user only), removed when it is closed. It takes about as much disk as
what it holds (the journal's JSON, the records' index rows, their IDs).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from archiver.index import fields
from archiver.index.journal import Entry
from archiver.index.rows import RecordRow

_BATCH = 2000  # rows written to the file at a time


class Scratch:
    """A scratch SQLite file with the given tables (name -> columns): rows are added in batches
    (`add`) and read back with SQL (`query`, which writes what is pending first)."""

    def __init__(self, tables: dict[str, Sequence[str]]) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="archiver-scratch-"))
        try:
            self._db = sqlite3.connect(self._folder / "scratch.db", isolation_level=None)
            # Nothing in it outlives the process that reads it back: no journal, no syncing.
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            for name, columns in tables.items():
                self._db.execute(f"CREATE TABLE {name} ({', '.join(columns)})")
        except BaseException:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise
        self._pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in tables}
        self._marks = {name: ", ".join("?" for _ in columns) for name, columns in tables.items()}
        self.counts = dict.fromkeys(tables, 0)

    def add(self, table: str, values: tuple[Any, ...]) -> None:
        pending = self._pending[table]
        pending.append(values)
        self.counts[table] += 1
        if len(pending) >= _BATCH:
            self._flush()

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        self._flush()
        # Not `yield from`: closing a generator left unfinished (a command interrupted) would
        # close the cursor too, on a database that may be closed already.
        with self._named_when_full():
            for row in self._db.execute(sql, params):  # noqa: UP028
                yield row

    def execute(self, sql: str) -> None:
        self._flush()
        with self._named_when_full():
            self._db.execute(sql)

    def _flush(self) -> None:
        if not any(self._pending.values()):
            return
        with self._named_when_full():
            self._db.execute("BEGIN")
            for table, rows in self._pending.items():
                if rows:
                    self._db.executemany(f"INSERT INTO {table} VALUES ({self._marks[table]})", rows)
                    rows.clear()
            self._db.execute("COMMIT")

    @contextmanager
    def _named_when_full(self) -> Iterator[None]:
        """A full disk under the scratch file is named as that, not as the archive's (whose disk
        may have room to spare): DiskFull saying where TMPDIR put it."""
        try:
            yield
        except sqlite3.OperationalError as e:
            from archiver.errors import DiskFull
            from archiver.index.sqlite.damage import is_full

            if not is_full(e):
                raise

            raise DiskFull(f"no space left on device writing the scratch file {self._folder / 'scratch.db'} (in the "
                           "temporary folder, TMPDIR): free some space there, or point TMPDIR at a larger disk, "
                           "and run again") from None

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


_RECORD_COLUMNS = ("record_id", "warc_type", "target_uri", "date", "filename", '"offset"', "length", "status", "mime",
                   "payload_digest", "capture_id", "post_key", "article_id", "extra")
_RECORD_FIELDS = tuple(c.strip('"') for c in _RECORD_COLUMNS)
# The journal entries that have a WARC-Record-ID, each numbered among those sharing it in file name
# and offset order (1: the one replayed).
_RANKED_ENTRIES = ('SELECT rowid AS id, record_id, filename, "offset", row_number() OVER (PARTITION BY record_id '
                   'ORDER BY filename, "offset") AS n FROM entries WHERE record_id IS NOT NULL')
_FIRST_ENTRIES = f"SELECT id FROM ({_RANKED_ENTRIES}) WHERE n = 1"


class Spool(Scratch):
    """Journal entries (`append`, as a list takes them) and records' index rows (`add_record`)."""

    def __init__(self) -> None:
        super().__init__({"entries": ("date", "filename", '"offset"', "kind", "raw", "record_id"),
                          "records": _RECORD_COLUMNS})
        self._entry_duplicates: tuple[int, tuple[int, tuple[str, str, int, str, int] | None]] | None = None

    def append(self, entry: Entry) -> None:
        """Keep one journal entry."""
        self.add("entries", (entry.date, entry.filename, entry.offset, entry.kind, entry.raw, entry.record_id))

    def add_record(self, row: RecordRow) -> None:
        """Keep one record's index row."""
        self.add("records", (row.record_id, row.warc_type, row.target_uri, row.date, row.filename, row.offset,
                             row.length, row.status, row.mime, row.payload_digest, row.capture_id, row.post_key,
                             row.article_id, fields.dump(row.extra) if row.extra else None))

    @property
    def entry_count(self) -> int:
        return self.counts["entries"]

    @property
    def record_count(self) -> int:
        return self.counts["records"]

    def __len__(self) -> int:
        """The journal entries kept (as a list of them would say)."""
        return self.entry_count

    def entries(self) -> Iterator[Entry]:
        """The journal entries in the order they were written: by date, then file and offset. Of the
        entries whose records share a WARC-Record-ID (a journal record appended twice: one write),
        only the first in file name and offset order (`duplicate_entries` names the others)."""
        where = f" WHERE record_id IS NULL OR rowid IN ({_FIRST_ENTRIES})" if self.duplicate_entries()[0] else ""
        for date, filename, offset, kind, raw, record_id in self.query(
                f'SELECT date, filename, "offset", kind, raw, record_id FROM entries{where} '
                'ORDER BY date, filename, "offset"'):
            yield Entry(date, filename, offset, kind, bytes(raw), record_id)

    def duplicate_entries(self) -> tuple[int, tuple[str, str, int, str, int] | None]:
        """How many journal entries have the WARC-Record-ID of an entry before them in file name and
        offset order (left out of `entries`), and the first of them: (its ID, file and offset, and
        the file and offset of the entry kept)."""
        if self._entry_duplicates is not None and self._entry_duplicates[0] == self.entry_count:
            return self._entry_duplicates[1]
        found: tuple[int, tuple[str, str, int, str, int] | None] = (0, None)
        if self.entry_count:
            self.execute('CREATE INDEX IF NOT EXISTS entries_id ON entries (record_id, filename, "offset")')
            # One pass over the index; the entries themselves are ranked only when some share an ID.
            ((count,),) = self.query("SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM entries "
                                     "WHERE record_id IS NOT NULL GROUP BY record_id HAVING n > 1)")
            if count:
                later = (f"FROM ({_RANKED_ENTRIES}) r JOIN ({_RANKED_ENTRIES}) k ON k.record_id = r.record_id "
                         "AND k.n = 1 WHERE r.n > 1")
                first = next(self.query(f'SELECT r.record_id, r.filename, r."offset", k.filename, k."offset" {later} '
                                        'ORDER BY r.filename, r."offset" LIMIT 1'))
                found = (int(count), (str(first[0]), str(first[1]), int(first[2]), str(first[3]), int(first[4])))
        self._entry_duplicates = (self.entry_count, found)
        return found

    def records(self, *, first_of_each_id: bool = False) -> Iterator[RecordRow]:
        """The record rows in the order they were kept; with `first_of_each_id`, of the rows sharing
        a WARC-Record-ID only the first kept (`duplicates` names the others)."""
        where = (" WHERE rowid IN (SELECT min(rowid) FROM records GROUP BY record_id)" if first_of_each_id else "")
        for values in self.query(f"SELECT * FROM records{where} ORDER BY rowid"):
            row = dict(zip(_RECORD_FIELDS, values, strict=True))
            row["extra"] = fields.load_dict(row["extra"]) or {}
            yield RecordRow(**row)

    def duplicates(self) -> tuple[int, tuple[str, str, int, str, int] | None]:
        """How many record rows have the WARC-Record-ID of a row kept before them, and the first of
        them: (its ID, file and offset, and the file and offset of the row kept first)."""
        if not self.record_count:
            return 0, None
        self.execute("CREATE INDEX IF NOT EXISTS records_id ON records (record_id)")
        later = ('FROM records r JOIN (SELECT record_id, min(rowid) AS first FROM records GROUP BY record_id '
                 "HAVING count(*) > 1) d ON d.record_id = r.record_id JOIN records k ON k.rowid = d.first "
                 "WHERE r.rowid != d.first")
        ((count,),) = self.query(f"SELECT count(*) {later}")
        if not count:
            return 0, None
        first = next(self.query(f'SELECT r.record_id, r.filename, r."offset", k.filename, k."offset" {later} '
                                "ORDER BY r.rowid LIMIT 1"))
        return int(count), (str(first[0]), str(first[1]), int(first[2]), str(first[3]), int(first[4]))
