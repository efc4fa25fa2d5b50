"""Rebuilding an index file from WARC record rows and the index's journal (`archiver reindex`), and
putting it in place of the archive's index."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from archiver.errors import IndexError_
from archiver.index import fields, urls
from archiver.index.journal import Entry, Rebuilt
from archiver.index.rows import RecordRow
from archiver.index.sql import merge
from archiver.index.sqlite.damage import disk_full, is_full
from archiver.index.sqlite.schema import open_database
from archiver.layout import DB_NAME
from archiver.modes import ensure_file
from archiver.warcstore.files import fsync_dir

_RECORD_INSERT = (
    'INSERT OR REPLACE INTO records (record_id, warc_type, target_uri, date, status, mime, payload_digest, '
    'filename, "offset", length, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
)


def canonical_url(platform: str, post_id: str | None) -> str | None:
    """The post's own URL as its platform builds it from the ID alone, or None when it builds none
    (it needs a handle or a DID, or has no rule) or what it builds does not lead back to that ID."""
    from archiver.platforms import BY_NAME

    found = BY_NAME.get(platform)
    if found is None or found.canonical is None or not post_id:
        return None
    try:
        url = found.canonical(post_id, None)
        match = found.parse_url(url)
    except (ValueError, TypeError):
        return None
    return url if match is not None and match.post_id == post_id else None


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


# Of the record IDs the journal names and no WARC holds, how many are looked for in the old index
# (each a search of the new one's records by file and offset).
_MISSING_KEPT = 20


def _index_time(warc_date: str) -> str:
    """A journal record's WARC-Date (microseconds, `2024-03-05T10:00:00.123456Z`) in the index's
    time format (milliseconds), as every other time it holds; as it is when it is no time."""
    from archiver.times import normalise_timestamp

    try:
        return normalise_timestamp(warc_date)
    except ValueError:
        return warc_date


class _Replay:
    """Applies journal entries, in order, to a fresh index.

    An entry naming a post or an article whose own entry is lost (its WARC file gone, or cut short
    before it) makes a row for it from what the entries themselves say: a post's platform and ID
    from its key, an article's URL, its first sighting from the earliest entry naming it, its
    status from its later checks. Its later checks, captures and records are kept so, and a later
    entry of its own fills in the rest without emptying what is known. Such rows are counted in
    `partial_posts`/`partial_articles` (their keys and URLs kept, for the gap line)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.captures: dict[str, int] = {}
        self.missing_records = 0
        self.missing_ids: list[str] = []  # the first of them (`_MISSING_KEPT`), to say where they went
        self.orphans = 0  # entries naming a capture the journal never described
        self.partial_posts: list[str] = []
        self.partial_articles: list[str] = []
        self._partial_post_keys: set[str] = set()

    def article_id(self, url: str | None, when: str = "") -> int | None:
        """The row id of the article the journal names by URL; one made from the URL when its own
        entry is lost (None only when the entry names none)."""
        if url is None:
            return None
        row = self.db.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()
        if row is None:
            self.partial_articles.append(url)
            return _insert(self.db, "articles", {"url": url, "url_key": urls.url_key(url), "first_seen": when})
        return int(row[0])

    def post_id(self, key: str | None) -> int | None:
        """The row id of the post the journal names by key (None when it has none or is unknown)."""
        if key is None:
            return None
        row = self.db.execute("SELECT id FROM posts WHERE key = ?", [key]).fetchone()
        return int(row[0]) if row else None

    def known_post(self, key: str | None, when: str) -> int | None:
        """`post_id`, a row made from the key when the post's own entry is lost."""
        if key is None:
            return None
        found = self.post_id(key)
        if found is not None:
            return found
        platform, _, rest = key.partition(":")
        post_id = None if rest.startswith("h:") or not rest else rest  # `<platform>:h:<hash>`: no ID known
        self.partial_posts.append(key)
        self._partial_post_keys.add(key)
        return _insert(self.db, "posts", {"key": key, "platform": platform or key, "post_id": post_id,
                                          "url": canonical_url(platform, post_id), "first_seen": when})

    def _by_id(self, row: dict[str, Any], when: str) -> dict[str, Any]:
        """A journal row (its post named by key) as the table holds it (the post's row id)."""
        row["post"] = self.known_post(row.pop("post_key", None), when)
        return row

    def _post(self, row: dict[str, Any]) -> None:
        key = str(row.get("key"))
        if key in self._partial_post_keys:
            # A row made from partial history: what this entry leaves empty keeps what was known.
            row = {k: v for k, v in row.items() if v is not None}
        _upsert(self.db, "posts", row, "key")

    def apply(self, entry: Entry) -> None:
        p = entry.payload
        row = dict(p.get("row") or {})
        when = str(row.get("first_seen") or row.get("captured_at") or row.get("checked_at")
                   or row.get("last_checked") or _index_time(entry.date))
        if entry.kind in ("citation", "capture", "observation", "media"):
            row = self._by_id(row, when)
        if entry.kind == "article":
            row["url_key"] = urls.url_key(str(row.get("url") or ""))
            _upsert(self.db, "articles", row, "url")
        elif entry.kind == "post":
            self._post(row)
        elif entry.kind == "post-status":
            self.known_post(row.get("key"), when)
            self.db.execute("UPDATE posts SET status = ?, last_checked = ? WHERE key = ?",
                            [row.get("status"), row.get("last_checked"), row.get("key")])
        elif entry.kind == "citation":
            row["article_id"] = self.article_id(row.pop("article_url", None), when)
            if row["article_id"] is not None:
                _upsert(self.db, "citations", row, "article_id, post")
        elif entry.kind == "capture":
            row["article_id"] = self.article_id(row.pop("article_url", None), when) if row.get("article_url") else None
            row.pop("article_url", None)
            self.captures[str(p.get("ref"))] = _insert(self.db, "captures", row)
        elif entry.kind == "observation":
            _insert(self.db, "observations", row)
        elif entry.kind == "media":
            _upsert(self.db, "media", row, "post, url")
        elif entry.kind == "post-merge":
            self._merge(str(p["old_key"]), str(p["new_key"]), str(p["merged_at"]))
        elif entry.kind == "records":
            self._records(p, _index_time(entry.date))
        elif entry.kind == "stamp":
            capture = self.captures.get(str(p.get("capture")))
            if capture is None:
                self.orphans += 1
                return
            _upsert(self.db, "capture_stamps", {**row, "capture_id": capture}, "capture_id, tsa")

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
        old_id, new_id = self.post_id(old), self.post_id(new)
        if old_id is not None and new_id is not None:
            merge.move_children(self.db, old_id, new_id)
        self.db.execute("DELETE FROM posts WHERE key = ?", [old])

    def _records(self, p: dict[str, Any], when: str) -> None:
        ids = [str(i) for i in p.get("record_ids") or []]
        capture = self.captures.get(str(p["capture"])) if p.get("capture") else None
        if p.get("capture") and capture is None:  # the capture's own entry is lost: its records stay unowned by one
            self.orphans += 1
        article = self.article_id(p.get("article_url"), when) if p.get("article_url") else None
        post = self.known_post(p.get("post_key"), when)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor = self.db.execute(
                f"UPDATE records SET capture_id = ?, post = ?, article_id = ? "
                f"WHERE record_id IN ({', '.join('?' for _ in chunk)})",
                [capture, post, article, *chunk])
            if (missing := len(chunk) - cursor.rowcount) and len(self.missing_ids) < _MISSING_KEPT:
                found = {r[0] for r in self.db.execute(
                    f"SELECT record_id FROM records WHERE record_id IN ({', '.join('?' for _ in chunk)})", chunk)}
                self.missing_ids += [i for i in chunk if i not in found][:_MISSING_KEPT - len(self.missing_ids)]
            self.missing_records += missing


def healthy_and_full(path: Path) -> bool:
    """True when `path` is a readable index that holds something (refused without --force)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check(1)").fetchone()[0] != "ok":  # indexes against their rows too
                return False
            if not any(conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in ("records", "posts")):
                return False
            _read_every_row(conn)  # a text value that is no UTF-8 raises: no healthy index
            return True
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeDecodeError):
        return False


def _read_every_row(conn: sqlite3.Connection) -> None:
    """Read every row of every table, its text decoded (the sqlite3 module does it in C, raising
    for a value that is no UTF-8). SQLite's own check passes a page whose row bytes were overwritten
    with garbage, which then stops every command that reads that row: such an index is no healthy
    one to keep. Read only when an index that looks healthy would be kept."""
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        cursor = conn.execute(f'SELECT * FROM "{table}"')
        while cursor.fetchmany(4096):
            pass


def _record_values(r: RecordRow) -> tuple[Any, ...]:
    """The row in `_RECORD_INSERT`'s column order."""
    return (r.record_id, r.warc_type, r.target_uri, r.date, r.status, r.mime, r.payload_digest, r.filename,
            r.offset, r.length, fields.dump(r.extra) if r.extra else None)


def rebuild(path: Path, records: Iterable[RecordRow], journal: Iterable[Entry]) -> Rebuilt:
    """Write a new index at `path`: the WARC records' rows, then the journal replayed, its entries
    given in the order they were written (`Spool.entries`, `written_order`). DiskFull or IndexError_
    when it cannot be written (`path` is then to be removed)."""
    db = open_database(path)
    try:
        db.execute("PRAGMA foreign_keys = OFF")  # a gap in the journal must not stop the rest
        replay = _Replay(db)
        with db.conn:
            db.conn.executemany(_RECORD_INSERT, map(_record_values, records))
            for entry in journal:
                replay.apply(entry)
            # What the lost entries held (a post's citing articles, say) is unknown, not absent: kept said.
            from archiver.times import utc_now

            now = utc_now()
            db.conn.executemany("INSERT OR IGNORE INTO history_lost (kind, name, rebuilt_at) VALUES (?, ?, ?)",
                                [("post", key, now) for key in replay.partial_posts]
                                + [("article", url, now) for url in replay.partial_articles])
        counts = [int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                  for t in ("posts", "captures", "observations")]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to rename
    except sqlite3.Error as e:
        if is_full(e):
            raise disk_full(path) from e
        raise IndexError_(f"could not write the new index {path}: {e}") from e
    finally:
        db.close()
    posts, captures, observations = counts
    return Rebuilt(posts, captures, observations, missing_records=replay.missing_records, orphans=replay.orphans,
                   partial_posts=replay.partial_posts, partial_articles=replay.partial_articles,
                   missing_ids=replay.missing_ids)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def replace_index(archive_dir: Path, records: Iterable[RecordRow], journal: Iterable[Entry], *,
                  files: Collection[str] = (), incomplete: Collection[str] = ()) -> Rebuilt:
    """Build a new index beside the archive's and rename it over the old one once it is complete
    (the caller holds the archive's lock). A failure leaves the old index as it was. `files`: the
    names of the WARC files read; `incomplete`: those of them whose journal could not be read whole
    (damaged, cut short, written before the journal). When the journal the rebuild replayed is
    not the archive's whole history, the new index says so (`_mark_partial`)."""
    db_path = archive_dir / DB_NAME
    temp = archive_dir / f".{DB_NAME}.reindex-{os.getpid()}"
    # Left by a reindex that was killed (the caller holds the lock: nobody else is writing one).
    for stale in archive_dir.glob(f".{DB_NAME}.reindex-*"):
        _remove(stale)
    if db_path.is_dir():
        from archiver.index.errors import IndexUnwritable

        raise IndexUnwritable(f"cannot write the index {db_path}: it is a folder, not an index file; move it away "
                              "and run reindex again")
    had_old = db_path.exists()
    ensure_file(temp)  # 0640 like every index, whatever the umask (SQLite's -wal follows it)
    try:
        rebuilt = rebuild(temp, records, journal)
    except IndexError_ as e:
        _remove(temp)
        raise IndexError_(f"{e}; {'the old index is untouched' if had_old else 'no index was written'}") from e
    except BaseException:
        _remove(temp)
        raise
    if had_old and rebuilt.missing_ids:
        rebuilt.changed_ids = _changed_ids(db_path, temp, rebuilt.missing_ids)
    try:
        _mark_partial(temp, rebuilt, _lost_files(db_path if had_old else None, temp, files, incomplete))
    except BaseException:
        _remove(temp)
        raise
    # The old index's write-ahead log must not be applied to the new file.
    for side in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        _remove(side)
    try:
        os.replace(temp, db_path)
    except BaseException:
        _remove(temp)
        raise
    fsync_dir(archive_dir)
    return rebuilt


def _changed_ids(old: Path, new: Path, missing: list[str]) -> list[tuple[str, str, str, int]]:
    """Of the record IDs the journal names and no WARC holds, those whose place (file, offset) in
    the old index holds a record of another ID now: (the ID named, the one found, file, offset).
    A record whose WARC-Record-ID was changed after it was written reads so. Empty when the old
    index cannot be read (it is being replaced because it is damaged, maybe)."""
    found: list[tuple[str, str, str, int]] = []
    try:
        was = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
        now = sqlite3.connect(f"file:{new}?mode=ro", uri=True)
        try:
            marks = ", ".join("?" for _ in missing)
            places = was.execute(f'SELECT record_id, filename, "offset" FROM records WHERE record_id IN ({marks})',
                                 missing).fetchall()
            for record_id, filename, offset in places:
                row = now.execute('SELECT record_id FROM records WHERE filename = ? AND "offset" = ?',
                                  [filename, offset]).fetchone()
                if row is not None and row[0] != record_id:
                    found.append((str(record_id), str(row[0]), str(filename), int(offset)))
        finally:
            was.close()
            now.close()
    except (sqlite3.Error, UnicodeDecodeError, TypeError, ValueError):
        return []
    return sorted(found, key=lambda f: (f[2], f[3]))


# `history_lost` rows of this kind: the index itself was rebuilt from partial history; one a WARC file
# lost or damaged (its name), or one with an empty name when no such file could be named.
PARTIAL_INDEX = "index"


def _lost_files(old: Path | None, new: Path, files: Collection[str], incomplete: Collection[str]) -> list[str]:
    """The WARC files whose journal the rebuild lacked, by name: those `incomplete`, and those the
    old index (its records, or its own record of an earlier rebuild from partial history) or the
    journal (a capture's WARC file) names that are not among `files` any more. The old index is
    read only when readable (it is being replaced because it is damaged, maybe)."""
    named: set[str] = set()
    for path, sql in ((old, "SELECT DISTINCT filename FROM records UNION SELECT name FROM history_lost "
                            f"WHERE kind = '{PARTIAL_INDEX}' AND name != ''"),
                      (new, "SELECT DISTINCT warc FROM captures WHERE warc IS NOT NULL AND warc != ''")):
        if path is None:
            continue
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                named.update(str(name) for (name,) in conn.execute(sql))
            finally:
                conn.close()
        except (sqlite3.Error, UnicodeDecodeError):
            continue
    return sorted((named - set(files)) | set(incomplete))


def _mark_partial(path: Path, rebuilt: Rebuilt, lost: list[str]) -> None:
    """Record in the new index at `path` that it was rebuilt from partial history, when it was: a
    WARC file is lost or damaged (`lost`), or the journal names what it no longer holds (a post or
    an article whose own first entry is lost, a capture whose own entry is lost, records no WARC
    file holds other than those whose ID was changed). What a lost journal entry held is unknown,
    not absent: a post no article is known to cite may have been cited in it. `rebuilt.lost_files`
    is then the files named (empty when none could be)."""
    if not (lost or rebuilt.partial_posts or rebuilt.partial_articles or rebuilt.orphans
            or rebuilt.missing_records > len(rebuilt.changed_ids)):
        return
    from archiver.times import utc_now

    now = utc_now()
    try:
        conn = sqlite3.connect(path)
        try:
            with conn:
                conn.executemany("INSERT OR IGNORE INTO history_lost (kind, name, rebuilt_at) VALUES (?, ?, ?)",
                                 [(PARTIAL_INDEX, name, now) for name in lost or [""]])
        finally:
            conn.close()
    except sqlite3.Error as e:
        if is_full(e):
            raise disk_full(path) from e
        raise IndexError_(f"could not write the new index {path}: {e}") from e
    rebuilt.lost_files = lost
