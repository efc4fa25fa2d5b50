"""`reindex`: rebuild `archive.db` from the archive's WARC files.

Every WARC record (except the `warcinfo` opening each file and the journal itself) becomes a row of
`records` with its file, offset and length, as the capture indexed it. The index's journal (the
`urn:post:`, `urn:capture:`, `urn:observation:`... metadata records, see archiver/index/journal.py)
is then replayed in the order it was written: posts, articles, citations, captures, status history,
media files and which records belong to which capture come back as they were. WARC files written
before the journal existed give their records only; what cannot be rebuilt is named, one line per
kind of gap.

A damaged WARC file is named in one short line saying how (it cannot be read, it is not a WARC
file, it is truncated inside a record, it holds something that is not a record at some offset)
and the records read before the damage are kept; a record without the headers its row needs
(WARC-Date, WARC-Record-ID, WARC-Type) is left out and counted, and so is every record with the
WARC-Record-ID of one read before it (the first is indexed, the others named). Each record's
digests are checked as it is read: one failing them is indexed as read and named; a journal record
failing them is named and not replayed (its entry changed after it was written); a journal record
with the WARC-Record-ID of one read before it holds the same write, replayed once (the others
named: a capture replayed twice would be two captures). warcio's own warnings, which quote
the bytes they found, never reach the terminal. When not one record could be read from any file,
nothing is rebuilt (exit 2) and the old index, if any, stays as it was.

The new index is built beside the old one and takes its place only once complete, under the
archive's lock: a reader sees the old index or the new one, never half of one. What the files give
waits for it on disk (`archiver.index.spool`), not in memory, however large the archive.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .errors import ArchiverError, UsageError
from .index import index_in_use, index_name, index_unusable, rebuild_index, require_own_index
from .index.journal import Rebuilt, is_journal_record, parse_entry
from .index.rows import RecordRow
from .index.spool import Spool
from .layout import INDEX_NOTE, WARC_DIR

log = logging.getLogger(__name__)

_REFERS = ("WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date")


class NothingReadable(ArchiverError):
    """Not one record could be read from any of the archive's WARC files: nothing to rebuild from (exit 2)."""

    exit_code = 2


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
    # Rows kept in the index but rebuilt incomplete (posts and articles from partial history): not
    # left out, so said under a heading of their own; the rebuild is still partial (exit 1).
    kept: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.gaps or self.kept else 0

    def __str__(self) -> str:
        return (f"{self.records} records from {self.files} WARC file(s); {self.posts} post(s), "
                f"{self.captures} capture(s), {self.observations} observation(s) from {self.journal} journal entries")


def _record_row(rec: Any, filename: str, offset: int, length: int) -> RecordRow:
    """The record as the capture indexed it (see WarcStore._write)."""
    h = rec.rec_headers
    status = mime = None
    if rec.http_headers is not None and rec.rec_type in ("response", "revisit"):
        status = int(rec.http_headers.get_statuscode() or 0) or None
        ctype = rec.http_headers.get_header("Content-Type") or ""
        mime = ctype.split(";")[0].strip().lower() or None
    elif rec.rec_type in ("resource", "metadata"):
        mime = (h.get_header("Content-Type") or "").split(";")[0].strip() or None
    extra = {k: h.get_header(k) for k in _REFERS if rec.rec_type == "revisit" and h.get_header(k)}
    return RecordRow(record_id=h.get_header("WARC-Record-ID"), warc_type=rec.rec_type,
                     target_uri=h.get_header("WARC-Target-URI") or "", date=h.get_header("WARC-Date"),
                     status=status, mime=mime, payload_digest=h.get_header("WARC-Payload-Digest"),
                     filename=filename, offset=offset, length=length, extra=extra)


@dataclass
class _FileScan:
    """What reading one WARC file gave, and each thing wrong with it."""

    rel: str
    records: int = 0
    journal: int = 0
    problem: str | None = None  # why reading stopped before the file's end (None: read to its end)
    undated: int = 0  # records without the headers a row needs (left out)
    first_undated: int = 0
    bad_journal: int = 0  # journal entries that are not valid JSON (left out)
    first_bad_journal: int = 0
    uneven_at: int | None = None  # warcio found a record not followed by its blank lines
    bad_digest: list[tuple[str, int]] = field(default_factory=list)  # (record ID, offset): indexed as read
    bad_digest_journal: list[tuple[str, int]] = field(default_factory=list)  # journal records: not replayed

    def gaps(self) -> list[str]:
        """One short line for each thing wrong with the file."""
        lines = [f"{self.rel}: {self.problem}"] if self.problem else []
        if self.undated:
            lines.append(f"{self.rel}: {self.undated} record(s) without a WARC-Date, WARC-Record-ID or WARC-Type "
                         f"left out (the first at offset {self.first_undated})")
        if self.bad_journal:
            lines.append(f"{self.rel}: {self.bad_journal} journal entr{'y' if self.bad_journal == 1 else 'ies'} "
                         f"that are not valid JSON left out (the first at offset {self.first_bad_journal}); "
                         "what they recorded is not rebuilt")
        if self.bad_digest:
            rid, at = self.bad_digest[0]
            lines.append(f"{self.rel}: {len(self.bad_digest)} record(s) fail their digest check, indexed as read "
                         f"(the first: {rid} at offset {at}); their content is not what was written "
                         "(run `archiver verify`)")
        if self.bad_digest_journal:
            rid, at = self.bad_digest_journal[0]
            n = len(self.bad_digest_journal)
            lines.append(f"{self.rel}: {n} journal entr{'y' if n == 1 else 'ies'} fail their digest check, not "
                         f"replayed (the first: {rid} at offset {at}); what they recorded is not rebuilt "
                         "(run `archiver verify`)")
        if self.uneven_at is not None and self.problem is None:
            lines.append(f"{self.rel}: damaged near offset {self.uneven_at}: a record's length does not match its "
                         "content; its records are indexed as read (run `archiver verify`)")
        return lines


class _Incomplete(Exception):
    """A record without its Content-Length, or whose block ends before it: cut short or damaged."""


def _ends_inside(path: Path, at: int) -> bool:
    """Whether the file ends inside the record that starts at `at` (it was cut short there), rather
    than holding something that is not a record."""
    from .warcstore.members import ENDS_INSIDE, MemberError, inflate_member
    from .warcstore.records import MAX_WARC_HEAD

    try:
        with path.open("rb") as fh:
            if path.name.endswith(".gz"):
                try:
                    inflate_member(fh, at)
                except MemberError as e:
                    return e.reason == ENDS_INSIDE
                return False  # a whole member: it holds something that is not a record
            fh.seek(at)
            head = fh.read(1 << 16)
            at += len(head) - len(head.lstrip(b"\r\n"))
            head = head.lstrip(b"\r\n")
            if not head.startswith(b"WARC/"):
                return False  # not the start of a record: something else is there
            # A header holding long URLs runs past the first read: read on to its end (as verify does)
            while (end := head.find(b"\r\n\r\n")) < 0 and len(head) < MAX_WARC_HEAD + 4:
                more = fh.read(min(1 << 20, MAX_WARC_HEAD + 4 - len(head)))
                if not more:
                    return True  # its headers run to the end of the file
                head += more
            if end < 0:
                return False  # a header longer than any this tool writes: not a record cut short
            size = path.stat().st_size
            for line in head[:end].split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length" and value.strip().isdigit():
                    return at + end + 4 + int(value) > size
            return False
    except OSError:
        return False


def _next_record(path: Path, position: int) -> int:
    """Where the next record starts after `position`, the end of one: past the blank lines that
    follow a record in an uncompressed WARC (a gzip member holds its own)."""
    if path.name.endswith(".gz"):
        return position
    try:
        with path.open("rb") as fh:
            while True:
                fh.seek(position)
                chunk = fh.read(1 << 12)
                blank = len(chunk) - len(chunk.lstrip(b"\r\n"))
                position += blank
                if blank < len(chunk) or not chunk:
                    return position
    except OSError:
        return position


def _os_reason(exc: OSError) -> str:
    import errno

    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EISDIR:
        return "it is a folder"
    return (exc.strerror or type(exc).__name__).lower()


def _scan(path: Path, rel: str, spool: Spool) -> _FileScan:
    """Read one WARC file: its records and its journal entries into `spool`. Whatever is wrong
    with it is said in the result, never raised; what was read before damage is kept, and in a
    gzipped WARC (a gzip member a record) so is every whole record after it."""
    import re

    scan = _FileScan(rel)
    noise = io.StringIO()  # warcio prints its warnings (with the bytes it found) to stderr
    try:
        fh = path.open("rb")
    except OSError as e:
        scan.problem = f"cannot be read ({_os_reason(e)}); nothing from it is indexed"
        return scan
    skipped: list[tuple[int, int]] = []  # (from, to): damaged bytes stepped over
    with fh:
        start = 0
        while True:
            position, damage = _read_from(fh, path, start, spool, scan, noise)
            if damage is None:
                break
            resume = _next_whole_record(fh, path, position) if not isinstance(damage, (EOFError, OSError)) else None
            if resume is None:
                _say_damage(scan, path, position, damage, skipped)
                break
            skipped.append((position, resume))
            start = resume
    if skipped and scan.problem is None:
        (first, _), more = skipped[0], len(skipped) - 1
        scan.problem = (f"damaged at offset {first} (no WARC record there): bytes {first}-{skipped[0][1]} stepped "
                        f"over{f' and {more} more damaged stretch(es)' if more else ''}; every whole record around "
                        "them is kept (run `archiver verify`)")
    if scan.uneven_at is None and (found := re.search(r"Offset: (\d+)", noise.getvalue())):
        scan.uneven_at = int(found[1])
    return scan


def _read_from(fh: BinaryIO, path: Path, start: int, spool: Spool, scan: _FileScan,
               noise: io.StringIO) -> tuple[int, BaseException | None]:
    """Read records from offset `start` on into `spool`: (where reading stopped, the damage that
    stopped it, None at the file's end)."""
    import contextlib

    from warcio.archiveiterator import WARCIterator

    position = start  # where the record being read starts (the end of the last one read)
    filename = path.name
    try:
        fh.seek(start)
        with contextlib.redirect_stderr(noise):
            # Digests checked as the records are read (each record's block and payload are read
            # through anyway): a record whose bytes changed is named, a journal record so is not replayed.
            it = WARCIterator(fh, check_digests=True)
            # warcio counts offsets from where the file stood when the iterator was made (it asks
            # the file; some versions start at 0): records found past damage sit `start` bytes on.
            base = start - it.offset
            for rec in it:
                h = rec.rec_headers
                uri = h.get_header("WARC-Target-URI") or ""
                payload: bytes | None = None
                if is_journal_record(rec.rec_type, uri):
                    payload = rec.content_stream().read()
                it.read_to_end(rec)
                if h.get_header("Content-Length") is None or getattr(rec.raw_stream, "limit", 0) > 0:
                    raise _Incomplete
                offset, length = base + it.get_record_offset(), it.get_record_length()
                position = offset + length
                if getattr(rec, "digest_checker", None) is not None and rec.digest_checker.passed is False:
                    failed = (h.get_header("WARC-Record-ID") or "(no WARC-Record-ID)", offset)
                    if payload is not None:
                        scan.bad_digest_journal.append(failed)
                        continue
                    scan.bad_digest.append(failed)
                if payload is not None:
                    try:
                        entry = parse_entry(payload, h.get_header("WARC-Date") or "", filename, offset,
                                            h.get_header("WARC-Record-ID"))
                    except ValueError:
                        scan.bad_journal += 1
                        if scan.bad_journal == 1:  # (offset 0 is an offset too)
                            scan.first_bad_journal = offset
                        continue
                    if entry is not None:
                        spool.append(entry)
                        scan.journal += 1
                        continue
                if rec.rec_type == "warcinfo":
                    continue
                if not (rec.rec_type and h.get_header("WARC-Date") and h.get_header("WARC-Record-ID")):
                    scan.undated += 1
                    if scan.undated == 1:
                        scan.first_undated = offset
                    continue
                spool.add_record(_record_row(rec, filename, offset, length))
                scan.records += 1
        position = _next_record(path, position)
        if position < path.stat().st_size:  # bytes after the last record warcio found
            raise _Incomplete
    except Exception as e:  # damage: what was read before it is kept
        return _next_record(path, position), e
    return position, None


def _next_whole_record(fh: BinaryIO, path: Path, after: int) -> int | None:
    """In a gzipped WARC, the offset of the first whole gzip member past `after` that holds a WARC
    record (each record is a member of its own); None when there is none, or the file is not gzipped."""
    from .warcstore.members import next_record_member

    return next_record_member(fh, after) if path.name.endswith(".gz") else None


def _say_damage(scan: _FileScan, path: Path, position: int, e: BaseException, skipped: list[tuple[int, int]]) -> None:
    """What stopped the reading of a file, and what was kept."""
    truncated = isinstance(e, EOFError) or _ends_inside(path, position)
    read = scan.records + scan.journal
    if isinstance(e, OSError) and not truncated:
        scan.problem = f"cannot be read after offset {position} ({_os_reason(e)})"
    elif truncated:
        scan.problem = (f"truncated: the file ends inside the record at offset {position}"
                        if position or read else "truncated: the file ends inside its first record")
    elif position == 0 and not read:
        scan.problem = "not a WARC file (no WARC record at its start)"
    else:
        scan.problem = f"damaged at offset {position} (no WARC record there)"
    if skipped:
        scan.problem += f" (after {len(skipped)} damaged stretch(es) stepped over, the first at offset {skipped[0][0]})"
    scan.problem += (f"; the {read} record(s) before it are kept, the rest of the file is not read "
                     "(run `archiver verify`)" if read else "; nothing from it is indexed")


def reindex(archive_dir: Path, *, force: bool = False, wait: bool = False) -> ReindexSummary:
    """Rebuild the archive's index from its WARC files, under the archive's lock (`wait`: for
    another run holding it to finish, rather than LockHeld)."""
    from .index.sqlite.schema import refuse_newer_file
    from .lock import ArchiveLock
    from .warcstore import OPEN_SUFFIX, recover

    archive_dir = Path(archive_dir)
    if not force:  # its index is in PostgreSQL: an archive.db would be a second one, unless that is lost
        require_own_index(archive_dir, other_way=", or `archiver reindex --force` to rebuild one from the WARC files "
                                                 "(the PostgreSQL index lost, say)")
    warcs = archive_dir / WARC_DIR
    files = sorted([*warcs.glob("*.warc.gz"), *warcs.glob("*.warc")]) if warcs.is_dir() else []
    if not files and not list(warcs.glob(f"*{OPEN_SUFFIX}") if warcs.is_dir() else []):
        raise UsageError(f"no WARC files in {warcs}: nothing to rebuild the index from; check --archive-dir")
    db_path = archive_dir / index_name(archive_dir)
    with ArchiveLock(archive_dir, wait=wait):
        # A newer archiver's index, forced or not: rebuilt at this schema it would lose what it keeps.
        refuse_newer_file(db_path)
        _refuse_special(db_path)
        if not force and db_path.is_file() and not os.access(db_path, os.R_OK):
            # Not damage: what the WARCs cannot give back (the runs' history) would go with it.
            raise UsageError(f"cannot read {db_path}: permission denied: give this user read access to it, or pass "
                             "--force to replace it with one rebuilt from the WARCs (the runs' history is lost then)")
        if not force and index_in_use(archive_dir):
            raise UsageError(f"{db_path} is a healthy index already: pass --force to rebuild it from the WARCs anyway")
        for message in recover(warcs):
            log.warning("%s", message)
        files = sorted([*warcs.glob("*.warc.gz"), *warcs.glob("*.warc")])
        summary = ReindexSummary(files=len(files))
        with Spool() as spool:
            rebuilt = _rebuild(archive_dir, files, warcs, db_path, spool, summary)
        summary.posts, summary.captures, summary.observations = rebuilt.posts, rebuilt.captures, rebuilt.observations
    for line in summary.kept:
        log.warning("kept in the rebuilt index, incomplete: %s", line)
    return summary


def _shared_ids(count: int, kind: str, left: str, kept_as: str, first: tuple[str, str, int, str, int]) -> str:
    """The gap naming `count` records (of `kind`) that share the WARC-Record-ID of one before them."""
    record_id, filename, offset, kept, kept_offset = first
    at = f"offset {kept_offset}" + (f" of {WARC_DIR}/{kept}" if kept != filename else "")
    return (f"{WARC_DIR}/{filename}: {count} {kind}(s) have the WARC-Record-ID of a {kind} before them, {left} "
            f"(the first: {record_id} at offset {offset}, the same ID as the {kind} at {at}, {kept_as}); "
            "`archiver verify` names them")


def _refuse_special(db_path: Path) -> None:
    """A named pipe, a device or a socket where the index goes is someone's, forced or not: named,
    never replaced by the rebuilt index (as every other command names it, never opening it)."""
    import stat

    from .index.sqlite.damage import not_a_file

    try:
        mode = db_path.stat().st_mode
    except OSError:
        return  # none there (or unreadable: the rebuild's own checks say so)
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise not_a_file(db_path, mode)


def _rebuild(archive_dir: Path, files: list[Path], warcs: Path, db_path: Path, spool: Spool,
             summary: ReindexSummary) -> Rebuilt:
    """Read every file into `spool`, then write the new index from it; `summary` takes the counts
    and the gaps."""
    scans = [_scan(path, f"{WARC_DIR}/{path.name}", spool) for path in files]
    if files and not spool.record_count and not spool.entry_count and any(scan.problem for scan in scans):
        for scan in scans:
            for line in scan.gaps():
                log.error("%s", line)
        raise NothingReadable(f"nothing could be read from the {len(files)} WARC file(s) in {warcs} (each is "
                              f"named above): the index was not rebuilt"
                              + ("; the old one is untouched" if db_path.exists() and not index_unusable(archive_dir)
                                 else f"; move the unreadable WARC files out of {warcs} and keep them: the folder "
                                      "then takes a new archive"))
    for scan in scans:
        summary.gaps += scan.gaps()
    # Files read to their end without a journal entry: written before the journal existed, unless
    # the journal another file holds names their records (a run's records in one file, its
    # journal's in the next: the two files of an `archive --recapture`, say).
    older = _unjournaled([path.name for path, scan in zip(files, scans, strict=True)
                          if scan.problem is None and scan.records and not scan.journal], spool)
    # Records sharing one WARC-Record-ID (a record appended twice, a file concatenated with a copy
    # of itself): the first is indexed, the others are named, never one of them chosen unsaid.
    twice, first = spool.duplicates()
    # Files whose journal was not read whole: what the lost entries held (a post's citing articles) is unknown.
    incomplete = [path.name for path, scan in zip(files, scans, strict=True)
                  if scan.problem or scan.bad_journal or scan.bad_digest_journal] + older
    rebuilt = rebuild_index(archive_dir, spool.records(first_of_each_id=bool(twice)), spool.entries(),
                            files=[path.name for path in files], incomplete=incomplete)
    (archive_dir / INDEX_NOTE).unlink(missing_ok=True)  # indexed in its own archive.db from now on
    summary.records = spool.record_count - twice
    if first is not None:
        summary.gaps.append(_shared_ids(twice, "record", "left out of the index", "which is indexed", first))
    # Journal records sharing one WARC-Record-ID hold one write: replayed once (`Spool.entries`), the
    # others named (a capture replayed twice would be two captures).
    again, first = spool.duplicate_entries()
    summary.journal = spool.entry_count - again
    if first is not None:
        summary.gaps.append(_shared_ids(again, "journal record", "left out of the replay", "which is replayed", first))
    _name_gaps(summary, older, rebuilt)
    return rebuilt


def _unjournaled(names: list[str], spool: Spool) -> list[str]:
    """Of the files `names` (none holding a journal entry), those no journal entry names a record
    of. Only their records are held while the journal is read: memory as their size, not the archive's."""
    if not names:
        return []
    import json

    marks = ", ".join("?" for _ in names)
    owner = {rid: name for rid, name in spool.query(
        f"SELECT record_id, filename FROM records WHERE filename IN ({marks})", names)}
    named: set[str] = set()
    for entry in spool.entries():
        if entry.kind != "records":
            continue
        try:
            ids = json.loads(entry.raw).get("record_ids") or []
        except (ValueError, AttributeError):
            continue
        named.update(owner[rid] for rid in ids if isinstance(rid, str) and rid in owner)
        if len(named) == len(names):
            break
    return [name for name in names if name not in named]


def _name_gaps(summary: ReindexSummary, older: list[str], replay: Rebuilt) -> None:
    if older:
        summary.gaps.append(
            f"{len(older)} WARC file(s) hold records but no journal entry (first: {older[0]}): written before "
            "the index was journaled in the WARCs, or cut short before their journal records; their records "
            "are indexed, but the posts, articles, citations, captures "
            "and status history they held cannot be rebuilt; archive those articles again to restore them")
    if replay.missing_records:
        summary.gaps.append(f"{replay.missing_records} record(s) the journal names are missing from the WARCs "
                            "(run `archiver verify`)")
    for named, found, filename, offset in replay.changed_ids:
        summary.gaps.append(f"{WARC_DIR}/{filename}: the record at offset {offset} holds WARC-Record-ID {found}, "
                            f"where the old index and the journal named {named}: its WARC-Record-ID was changed "
                            "after it was written (run `archiver verify`)")
    for kind, lost, what, later in (("post", replay.partial_posts, "platform and ID from its key", "checks, captures, "
                                     "media files, records"),
                                    ("article", replay.partial_articles, "URL", "citations, captures, records")):
        if lost:
            summary.kept.append(
                f"{len(lost)} {kind}(s) rebuilt from partial history, their own first journal entry lost "
                f"({_first_few(lost)}): each is kept with its {what} and what its later entries say ({later}); "
                "what only the lost entry held is empty; archive them again to restore it")
    if replay.lost_files is not None:
        files = (f"WARC file(s) lost or damaged: {_first_few(replay.lost_files)}" if replay.lost_files
                else "the journal names what no WARC file holds")
        summary.kept.append(
            f"the index itself was rebuilt from partial history ({files}): where the journal entries that were lost "
            "named a post's citing articles, `show`, `lookup --article` and `report` say its citing articles are "
            "unknown rather than none")
    if replay.orphans:
        summary.gaps.append(f"{replay.orphans} journal entries name a capture whose own entry is lost: its "
                            "timestamps are not rebuilt and its records belong to no capture")


def _first_few(names: list[str], shown: int = 5) -> str:
    """`names`, the first `shown` of them, and how many more."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")
