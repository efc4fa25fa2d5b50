"""Reading indexed records back out of the archive's WARC files.

An index row points at one complete gzip member, `[offset, offset + length)` of
`<archive_dir>/warcs/<filename>`. Each helper here opens exactly that slice, so a record can be
copied byte for byte or re-parsed with warcio without touching its neighbours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord
from warcio.timeutils import iso_date_to_timestamp

from archiver.errors import ExportError
from archiver.index.rows import RecordRow
from archiver.layout import WARC_DIR
from archiver.warcstore.files import OPEN_SUFFIX, warc_path

log = logging.getLogger(__name__)


class BinarySink(Protocol):
    """Anything bytes can be written to (a file, a zip entry, a counting wrapper)."""

    def write(self, data: bytes, /) -> int: ...


@dataclass(frozen=True)
class Location:
    """Where one record lives: a WARC file under warcs/, and its gzip member."""

    filename: str
    offset: int
    length: int
    record_id: str | None = None
    warc_type: str | None = None
    # what the record is of, as the index says (a page is told by its URL and its record's WARC-Date)
    target_uri: str | None = field(default=None, compare=False)
    date: str | None = field(default=None, compare=False)

    @classmethod
    def from_row(cls, row: RecordRow) -> Location:
        # int(): a damaged or hand-edited index may hold anything in these columns
        try:
            return cls(filename=str(row.filename), offset=int(row.offset), length=int(row.length),
                       record_id=row.record_id, warc_type=row.warc_type, target_uri=row.target_uri, date=row.date)
        except (TypeError, ValueError) as e:
            raise ExportError(
                f"index row without a usable filename/offset/length ({e}): run `archiver verify`"
            ) from e

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.filename, self.offset)


def parse_member(fh: IO[bytes], loc: Location) -> ArcWarcRecord:
    """Parse the record at `loc` from an open WARC file; its streams read only inside the slice."""
    fh.seek(loc.offset)
    it = ArchiveIterator(LimitReader(fh, loc.length))
    try:
        return next(iter(it))
    except StopIteration:
        raise ExportError(
            f"no WARC record at {loc.filename} offset {loc.offset}: run `archiver verify`"
        ) from None


def copy_slice(fh: IO[bytes], loc: Location, out: BinarySink, bufsize: int = 1 << 20) -> None:
    """Copy the record's bytes exactly as stored."""
    fh.seek(loc.offset)
    remaining = loc.length
    while remaining:
        chunk = fh.read(min(bufsize, remaining))
        if not chunk:
            raise ExportError(
                f"{loc.filename} ends inside the record at offset {loc.offset}: run `archiver verify`"
            )
        out.write(chunk)
        remaining -= len(chunk)


@dataclass(frozen=True)
class Candidate:
    """A record that could be the original a revisit refers to."""

    loc: Location
    rec_type: str
    uri: str
    ts: str  # 14-digit timestamp
    digest: str | None


def _candidate_from_row(row: RecordRow) -> Candidate | None:
    if row.warc_type not in ("response", "resource"):
        return None
    try:
        ts = iso_date_to_timestamp(row.date)
    except ValueError:
        ts = ""
    return Candidate(Location.from_row(row), row.warc_type, row.target_uri, ts, row.payload_digest)


def _scan_file(archive_dir: Path, filename: str) -> Iterator[Candidate]:
    """Every response/resource record in one WARC file, headers only."""
    path = warc_path(archive_dir / WARC_DIR, filename)
    with path.open("rb") as fh:
        it = ArchiveIterator(fh, no_record_parse=True)
        for rec in it:
            if rec.rec_type not in ("response", "resource"):
                continue
            h = rec.rec_headers
            offset = it.get_record_offset()
            # the length is known only once the iterator has moved past the record
            it.read_to_end(rec)
            loc = Location(filename, offset, it.get_record_length(), h.get_header("WARC-Record-ID"),
                           rec.rec_type, h.get_header("WARC-Target-URI"), h.get_header("WARC-Date"))
            yield Candidate(loc, rec.rec_type, h.get_header("WARC-Target-URI") or "",
                            iso_date_to_timestamp(h.get_header("WARC-Date") or ""),
                            h.get_header("WARC-Payload-Digest"))


class OriginalFinder:
    """Finds the record a revisit stands for: first among the given rows, then in the WARC files.

    Matching follows the revisit's own headers, strongest first: `WARC-Refers-To` (record ID);
    `WARC-Refers-To-Target-URI` + `WARC-Refers-To-Date` (what pywb resolves by); the same URI with
    the same payload digest; finally any record with that payload digest. The WARC files are
    scanned lazily (the revisit's own file first) and only when the rows have no match.
    """

    def __init__(self, archive_dir: Path, rows: Sequence[RecordRow]) -> None:
        self.archive_dir = archive_dir
        self._pools: list[list[Candidate]] = [[c for r in rows if (c := _candidate_from_row(r))]]
        self._scanned: set[str] = set()

    def _files(self, first: str) -> list[str]:
        root = self.archive_dir / WARC_DIR
        names = set()
        for p in root.rglob("*.warc*"):
            name = str(p.relative_to(root)).removesuffix(OPEN_SUFFIX)  # warc_path() finds it either way
            if name.endswith((".warc", ".warc.gz")):
                names.add(name)
        return [first] + sorted(names - {first})

    @staticmethod
    def _best(pool: list[Candidate], refers_id: str | None, uri: str | None, ts: str | None,
              digest: str | None) -> tuple[int, Candidate] | None:
        """The best match in `pool` and its rank (0 = strongest)."""
        tests: list[Callable[[Candidate], bool]] = [
            lambda c: bool(refers_id) and c.loc.record_id == refers_id,
            lambda c: bool(uri and ts) and c.uri == uri and c.ts == ts,
            lambda c: bool(uri and digest) and c.uri == uri and c.digest == digest,
            lambda c: bool(digest) and c.digest == digest,
        ]
        for rank, test in enumerate(tests):
            for cand in pool:
                if test(cand):
                    return rank, cand
        return None

    def find(self, revisit: ArcWarcRecord, revisit_file: str) -> Location | None:
        h = revisit.rec_headers
        refers_id = h.get_header("WARC-Refers-To")
        uri = h.get_header("WARC-Refers-To-Target-URI") or h.get_header("WARC-Target-URI")
        date = h.get_header("WARC-Refers-To-Date")
        ts = iso_date_to_timestamp(date) if date else None
        digest = h.get_header("WARC-Payload-Digest")
        best: tuple[int, Candidate] | None = None

        def consider(pool: list[Candidate]) -> bool:
            """Keep the strongest match so far; True once it is exact (record ID or URI + date)."""
            nonlocal best
            found = self._best(pool, refers_id, uri, ts, digest)
            if found and (best is None or found[0] < best[0]):
                best = found
            return best is not None and best[0] <= 1

        if any(consider(pool) for pool in self._pools):
            return best[1].loc if best else None
        for name in self._files(revisit_file):
            if name in self._scanned:
                continue
            self._scanned.add(name)
            try:
                pool = list(_scan_file(self.archive_dir, name))
            except Exception as e:
                log.warning("cannot scan %s for revisit originals: %s", name, e)
                continue
            self._pools.append(pool)
            if consider(pool):
                break
        return best[1].loc if best else None
