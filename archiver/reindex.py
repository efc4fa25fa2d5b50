"""`reindex`: rebuild `archive.db` from the archive's WARC files.

Every WARC record (except the `warcinfo` opening each file and the journal itself) becomes a row of
`records` with its file, offset and length, as the capture indexed it. The index's journal (the
`urn:post:`, `urn:capture:`, `urn:observation:`... metadata records, see archiver/index/journal.py)
is then replayed in the order it was written: posts, articles, citations, captures, status history,
media files and which records belong to which capture come back as they were. WARC files written
before the journal existed give their records only; what cannot be rebuilt is named, one line per
kind of gap.

The new index is built beside the old one and takes its place only once complete, under the
archive's lock: a reader sees the old index or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from .errors import UsageError
from .index import index_in_use, index_name, rebuild_index
from .index.journal import JOURNAL_FORMAT, Entry, Rebuilt, is_journal_record
from .index.rows import RecordRow
from .layout import WARC_DIR

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


def _scan(path: Path, rel: str, rows: list[RecordRow], journal: list[Entry], gaps: list[str]) -> bool:
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
                        journal.append(Entry(rec.rec_headers.get_header("WARC-Date") or "", filename,
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


def reindex(archive_dir: Path, *, force: bool = False) -> ReindexSummary:
    """Rebuild the archive's index from its WARC files, under the archive's lock."""
    from .lock import ArchiveLock
    from .warcstore import OPEN_SUFFIX, recover

    archive_dir = Path(archive_dir)
    warcs = archive_dir / WARC_DIR
    files = sorted([*warcs.glob("*.warc.gz"), *warcs.glob("*.warc")]) if warcs.is_dir() else []
    if not files and not list(warcs.glob(f"*{OPEN_SUFFIX}") if warcs.is_dir() else []):
        raise UsageError(f"no WARC files in {warcs}: nothing to rebuild the index from; check --archive-dir")
    db_path = archive_dir / index_name(archive_dir)
    with ArchiveLock(archive_dir):
        if not force and index_in_use(archive_dir):
            raise UsageError(f"{db_path} is a healthy index already: pass --force to rebuild it from the WARCs anyway")
        for message in recover(warcs):
            log.warning("%s", message)
        files = sorted([*warcs.glob("*.warc.gz"), *warcs.glob("*.warc")])
        summary = ReindexSummary(files=len(files))
        rows: list[RecordRow] = []
        journal: list[Entry] = []
        older: list[str] = []
        for path in files:
            if not _scan(path, f"{WARC_DIR}/{path.name}", rows, journal, summary.gaps):
                older.append(path.name)
        rebuilt = rebuild_index(archive_dir, rows, journal)
        summary.records = len(rows)
        summary.journal = len(journal)
        summary.posts, summary.captures, summary.observations = rebuilt.posts, rebuilt.captures, rebuilt.observations
        _name_gaps(summary, older, rebuilt)
    return summary


def _name_gaps(summary: ReindexSummary, older: list[str], replay: Rebuilt) -> None:
    if older:
        summary.gaps.append(
            f"{len(older)} WARC file(s) were written before the index was journaled in the WARCs "
            f"(first: {older[0]}): their records are indexed, but the posts, articles, citations, captures "
            "and status history they held cannot be rebuilt; archive those articles again to restore them")
    if replay.missing_records:
        summary.gaps.append(f"{replay.missing_records} record(s) the journal names are missing from the WARCs "
                            "(run `archiver verify`)")
    if replay.orphans:
        summary.gaps.append(f"{replay.orphans} journal entries name an article, post or capture whose own entry is lost")
