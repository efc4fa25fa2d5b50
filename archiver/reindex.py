"""`reindex`: rebuild `archive.db` from the archive's WARC files.

Every WARC record (except the `warcinfo` opening each file and the journal itself) becomes a row of
`records` with its file, offset and length, as the capture indexed it. The index's journal (the
`urn:post:`, `urn:capture:`, `urn:observation:`... metadata records, see archiver/index/journal.py)
is then replayed in the order it was written: posts, articles, citations, captures, status history,
media files and which records belong to which capture come back as they were. WARC files written
before the journal existed give their records only; what cannot be rebuilt is named, one line per
kind of gap.

The new index is written to a temporary file beside `archive.db` and renamed over it at the end,
under the archive's lock: a reader sees the old index or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from .errors import IndexError_, UsageError
from .index import fields, merge
from .index.damage import disk_full, is_full
from .index.journal import JOURNAL_FORMAT, is_journal_record
from .layout import DB_NAME, WARC_DIR
from .modes import ensure_file

log = logging.getLogger(__name__)

_REFERS = ("WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date")


@dataclass
class ReindexSummary:
    """What `reindex` rebuilt, and each kind of gap it could not fill (one line each)."""

    files: int = 0
    records: int = 0
    journal: int = 0
    posts: int = 0
    captures: int = 0
    observations: int = 0
    gaps: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.gaps else 0

    def __str__(self) -> str:
        return (f"{self.records} records from {self.files} WARC file(s); {self.posts} post(s), "
                f"{self.captures} capture(s), {self.observations} observation(s) from {self.journal} journal entries")


@dataclass
class _Entry:
    date: str
    filename: str
    offset: int
    kind: str
    payload: dict[str, Any]


def _record_row(rec: Any, filename: str, offset: int, length: int) -> tuple[Any, ...]:
    """The `records` row the capture wrote for this record (see WarcStore._write)."""
    h = rec.rec_headers
    status = mime = None
    if rec.http_headers is not None and rec.rec_type in ("response", "revisit"):
        status = int(rec.http_headers.get_statuscode() or 0) or None
        ctype = rec.http_headers.get_header("Content-Type") or ""
        mime = ctype.split(";")[0].strip().lower() or None
    elif rec.rec_type in ("resource", "metadata"):
        mime = (h.get_header("Content-Type") or "").split(";")[0].strip() or None
    extra = {k: h.get_header(k) for k in _REFERS if rec.rec_type == "revisit" and h.get_header(k)}
    return (h.get_header("WARC-Record-ID"), rec.rec_type, h.get_header("WARC-Target-URI") or "",
            h.get_header("WARC-Date"), status, mime, h.get_header("WARC-Payload-Digest"), filename, offset, length,
            fields.dump(extra) if extra else None)


def _scan(path: Path, rel: str, rows: list[tuple[Any, ...]], journal: list[_Entry], gaps: list[str]) -> bool:
    """Read one WARC file; returns True when it holds journal entries."""
    filename = path.name
    found_journal = False
    offset = 0
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh, check_digests=False)
            for rec in it:
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                if is_journal_record(rec.rec_type, uri):
                    payload = json.loads(rec.content_stream().read())
                    if isinstance(payload, dict) and payload.get("journal") == JOURNAL_FORMAT:
                        it.read_to_end(rec)
                        journal.append(_Entry(rec.rec_headers.get_header("WARC-Date") or "", filename,
                                              it.get_record_offset(), str(payload.get("kind")), payload))
                        found_journal = True
                        continue
                it.read_to_end(rec)
                offset = it.get_record_offset()
                if rec.rec_type != "warcinfo":
                    rows.append(_record_row(rec, filename, offset, it.get_record_length()))
    except Exception as e:  # a damaged file: keep what was read before the damage
        gaps.append(f"{rel}: unreadable after offset {offset} ({type(e).__name__}: {e}); "
                    "the records after it are not indexed (run `archiver verify`)")
    return found_journal


_RECORD_INSERT = (
    'INSERT OR REPLACE INTO records (record_id, warc_type, target_uri, date, status, mime, payload_digest, '
    'filename, "offset", length, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
)


def _upsert(db: Any, table: str, row: dict[str, Any], conflict: str) -> None:
    names = list(row)
    cols = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    sets = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n not in conflict.split(", "))
    db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({conflict}) DO UPDATE SET {sets}",
               list(row.values()))


def _insert(db: Any, table: str, row: dict[str, Any]) -> int:
    names = list(row)
    cols = ", ".join(f'"{n}"' for n in names)
    cursor = db.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' for _ in names)})", list(row.values()))
    return int(cursor.lastrowid or 0)


class _Replay:
    """Applies journal entries, in order, to a fresh index."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.captures: dict[str, int] = {}
        self.missing_records = 0
        self.orphans = 0  # entries naming an article or capture the journal never described

    def article_id(self, url: str | None) -> int | None:
        if url is None:
            return None
        row = self.db.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()
        if row is None:
            self.orphans += 1
            return None
        return int(row[0])

    def apply(self, entry: _Entry) -> None:
        p = entry.payload
        row = dict(p.get("row") or {})
        if entry.kind == "article":
            _upsert(self.db, "articles", row, "url")
        elif entry.kind == "post":
            _upsert(self.db, "posts", row, "key")
        elif entry.kind == "post-status":
            self.db.execute("UPDATE posts SET status = ?, last_checked = ? WHERE key = ?",
                            [row.get("status"), row.get("last_checked"), row.get("key")])
        elif entry.kind == "citation":
            row["article_id"] = self.article_id(row.pop("article_url", None))
            if row["article_id"] is not None:
                _upsert(self.db, "citations", row, "article_id, post_key")
        elif entry.kind == "capture":
            row["article_id"] = self.article_id(row.pop("article_url", None)) if row.get("article_url") else None
            row.pop("article_url", None)
            self.captures[str(p.get("ref"))] = _insert(self.db, "captures", row)
        elif entry.kind == "observation":
            _insert(self.db, "observations", row)
        elif entry.kind == "media":
            _upsert(self.db, "media", row, "post_key, url")
        elif entry.kind == "post-merge":
            self._merge(str(p["old_key"]), str(p["new_key"]), str(p["merged_at"]))
        elif entry.kind == "records":
            self._records(p)

    def _merge(self, old: str, new: str, merged_at: str) -> None:
        self.db.execute("UPDATE key_aliases SET new_key = ? WHERE new_key = ?", [new, old])
        self.db.execute(
            "INSERT INTO key_aliases (old_key, new_key, merged_at) VALUES (?, ?, ?) "
            "ON CONFLICT (old_key) DO UPDATE SET new_key = excluded.new_key, merged_at = excluded.merged_at",
            [old, new, merged_at])
        exists = self.db.execute("SELECT 1 FROM posts WHERE key = ?", [new]).fetchone()
        if exists is None:  # the merged post's own row follows in the journal
            cols = [r[1] for r in self.db.execute("PRAGMA table_info(posts)").fetchall() if r[1] not in ("id", "key")]
            names = ", ".join(cols)
            self.db.execute(f"INSERT INTO posts (key, {names}) SELECT ?, {names} FROM posts WHERE key = ?", [new, old])
        merge.move_children(self.db, old, new)
        self.db.execute("DELETE FROM posts WHERE key = ?", [old])

    def _records(self, p: dict[str, Any]) -> None:
        ids = [str(i) for i in p.get("record_ids") or []]
        capture = self.captures.get(str(p["capture"])) if p.get("capture") else None
        article = self.article_id(p.get("article_url")) if p.get("article_url") else None
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor = self.db.execute(
                f"UPDATE records SET capture_id = ?, post_key = ?, article_id = ? "
                f"WHERE record_id IN ({', '.join('?' for _ in chunk)})",
                [capture, p.get("post_key"), article, *chunk])
            self.missing_records += len(chunk) - cursor.rowcount


def _healthy_and_full(path: Path) -> bool:
    """True when `path` is a readable index that holds something (refused without --force)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                return False
            return any(conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in ("records", "posts"))
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeDecodeError):
        return False


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def reindex(archive_dir: Path, *, force: bool = False) -> ReindexSummary:
    """Rebuild the archive's index from its WARC files, under the archive's lock."""
    from .index.schema import open_database
    from .lock import ArchiveLock
    from .warcstore import OPEN_SUFFIX, fsync_dir, recover

    archive_dir = Path(archive_dir)
    warcs = archive_dir / WARC_DIR
    files = sorted([*warcs.glob("*.warc.gz"), *warcs.glob("*.warc")]) if warcs.is_dir() else []
    if not files and not list(warcs.glob(f"*{OPEN_SUFFIX}") if warcs.is_dir() else []):
        raise UsageError(f"no WARC files in {warcs}: nothing to rebuild the index from; check --archive-dir")
    db_path = archive_dir / DB_NAME
    with ArchiveLock(archive_dir):
        if not force and _healthy_and_full(db_path):
            raise UsageError(f"{db_path} is a healthy index already: pass --force to rebuild it from the WARCs anyway")
        for message in recover(warcs):
            log.warning("%s", message)
        files = sorted([*warcs.glob("*.warc.gz"), *warcs.glob("*.warc")])
        summary = ReindexSummary(files=len(files))
        rows: list[tuple[Any, ...]] = []
        journal: list[_Entry] = []
        older: list[str] = []
        for path in files:
            if not _scan(path, f"{WARC_DIR}/{path.name}", rows, journal, summary.gaps):
                older.append(path.name)
        temp = archive_dir / f".{DB_NAME}.reindex-{os.getpid()}"
        # Left by a reindex that was killed (we hold the lock: nobody else is writing one).
        for stale in archive_dir.glob(f".{DB_NAME}.reindex-*"):
            _remove(stale)
        ensure_file(temp)  # 0640 like every index, whatever the umask (SQLite's -wal follows it)
        db = open_database(temp)
        try:
            db.execute("PRAGMA foreign_keys = OFF")  # a gap in the journal must not stop the rest
            replay = _Replay(db)
            with db.conn:
                db.conn.executemany(_RECORD_INSERT, rows)
                journal.sort(key=lambda e: (e.date, e.filename, e.offset))
                for entry in journal:
                    replay.apply(entry)
            summary.records = len(rows)
            summary.journal = len(journal)
            summary.posts = int(db.execute("SELECT count(*) FROM posts").fetchone()[0])
            summary.captures = int(db.execute("SELECT count(*) FROM captures").fetchone()[0])
            summary.observations = int(db.execute("SELECT count(*) FROM observations").fetchone()[0])
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to rename
        except sqlite3.Error as e:
            db.close()
            _remove(temp)
            if is_full(e):
                raise disk_full(temp) from e
            raise IndexError_(f"could not write the new index {temp}: {e}; the old index is untouched") from e
        except BaseException:
            db.close()
            _remove(temp)
            raise
        db.close()
        _name_gaps(summary, older, replay)
        # The old index's write-ahead log must not be applied to the new file.
        for side in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            _remove(side)
        os.replace(temp, db_path)
        fsync_dir(archive_dir)
    return summary


def _name_gaps(summary: ReindexSummary, older: list[str], replay: _Replay) -> None:
    if older:
        summary.gaps.append(
            f"{len(older)} WARC file(s) were written before the index was journaled in the WARCs "
            f"(first: {older[0]}): their records are indexed, but the posts, articles, citations, captures "
            "and status history they held cannot be rebuilt; archive those articles again to restore them")
    if replay.missing_records:
        summary.gaps.append(f"{replay.missing_records} record(s) the journal names are missing from the WARCs "
                            "(run `archiver verify`)")
    if replay.orphans:
        summary.gaps.append(f"{replay.orphans} journal entries name an article or capture whose own entry is lost")
