"""Writing the selected records into one export WARC, and noting where each one landed.

Records are copied byte for byte (each is one gzip member) unless credentials must be removed or
the source stored the record uncompressed: those are re-serialized through warcio. A fresh
`warcinfo` record describing the export comes first (WARC 1.1 section 6.3); in a single .warc.gz
export, a `metadata` record naming the records the export left out follows it, when it left any.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.errors import DamagedRecord, ExportError
from archiver.evidence.sidecar import LEFT_OUT_URI, left_out_bytes
from archiver.export.credentials import RULE, credential_headers, reserialize
from archiver.export.source import (
    Location,
    OriginalFinder,
    copy_slice,
    parse_member,
)
from archiver.index.rows import RecordRow
from archiver.layout import WARC_DIR
from archiver.times import iso_seconds
from archiver.warcstore.files import warc_path
from archiver.warcstore.members import starts_member

log = logging.getLogger(__name__)

SPOOL_IN_MEMORY = 8 * 1024 * 1024


class CountingWriter:
    """A binary sink that knows its position and the SHA-256 of everything written."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.pos = 0
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self.pos += len(data)
        self.sha256.update(data)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()

    def tell(self) -> int:
        return self.pos


@dataclass
class Plan:
    """The records to write, in archive order, and what the revisit look-up found."""

    locations: list[Location]
    originals_added: int = 0
    missing_originals: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # missing files, damaged records: one line each
    records_left_out: int = 0
    # Each record left out by its WARC-Record-ID, with why and where it was (LeftOut): what the
    # bundle says of them (evidence/left-out.json), for verify to tell them from records taken out.
    left_out_records: list[LeftOut] = field(default_factory=list)
    # Every record left out, where the index placed it and what it is of (its URL and WARC-Date):
    # a page whose own record is among them is not listed (write_wacz).
    lost: list[Location] = field(default_factory=list)
    # The places (file, offset) of those records: each is checked, named and counted once, however
    # many revisits point at it as their original.
    failed: set[tuple[str, int]] = field(default_factory=set)
    # The revisits this export holds whose original it left out: the original's place -> their
    # WARC-Record-IDs, which its entry of the left-out list names (a revisit need not name its
    # original by record ID: `WARC-Refers-To` is optional).
    revisits_of: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    # A WARC file that is missing or cannot be read: why, and how many selected records and revisit
    # originals it held (named once per file, in `left_out`, when the plan is done).
    unread_files: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class LeftOut:
    """A record of the selection (or an original a revisit of it stands for) that export left out."""

    record_id: str
    why: str  # DAMAGED, FILE_MISSING or FILE_UNREADABLE
    file: str  # warcs/<name>, as the archive holds it
    offset: int
    revisits: tuple[str, ...] = ()  # the WARC-Record-IDs of the exported revisits that stand for it


DAMAGED = "damaged"
FILE_MISSING = "WARC file missing"
FILE_UNREADABLE = "WARC file unreadable"


@dataclass
class ExportedRecord:
    """One record as written into the export: what it is, where it went, and where it came from."""

    rec_type: str
    url: str
    date: str  # WARC-Date
    offset: int
    length: int
    record_id: str = ""
    source: Location | None = None  # the archive's own record (same payload; headers may be redacted)


@dataclass
class WarcResult:
    entries: list[ExportedRecord]
    records: int
    redacted: int
    size: int
    sha256: str
    pages: int = 0  # pages listed (a WACZ's pages.jsonl)


def plan_records(archive_dir: Path, rows: Sequence[RecordRow], *, allow_damaged: bool = False) -> Plan:
    """Deduplicate the rows and add the original of every revisit among them.

    Records of a missing WARC file are left out and named (`plan.left_out`). A record that fails
    its CRC or digest check stops the export (DamagedRecord) unless `allow_damaged`: then it is
    left out and named too, so that the bundle holds only records that check.
    """
    chosen: dict[tuple[str, int], Location] = {}
    for row in rows:
        loc = Location.from_row(row)
        chosen.setdefault(loc.sort_key, loc)
    plan = Plan(locations=[])
    chosen = _readable(archive_dir, chosen, plan, allow_damaged)
    finder: OriginalFinder | None = None
    queue = [loc for loc in chosen.values() if loc.warc_type == "revisit"]
    while queue:
        loc = queue.pop()
        finder = finder or OriginalFinder(archive_dir, list(rows))
        with warc_path(archive_dir / WARC_DIR, loc.filename).open("rb") as fh:
            revisit = parse_member(fh, loc)
            original = finder.find(revisit, loc.filename)
            uri = revisit.rec_headers.get_header("WARC-Target-URI") or "?"
            revisit_id = revisit.rec_headers.get_header("WARC-Record-ID") or loc.record_id
        if original is None:
            # the revisit still goes in: the bundle stays valid, that one URL just will not replay
            log.warning("no original found for the revisit of %s (%s)", uri, loc.record_id)
            plan.missing_originals.append(uri)
        elif original.sort_key not in chosen:
            if not _readable(archive_dir, {original.sort_key: original}, plan, allow_damaged, originals=True):
                plan.missing_originals.append(uri)  # its original is in the archive, but cannot be read
                if revisit_id:  # the bundle says so beside the original it names as left out
                    plan.revisits_of.setdefault(original.sort_key, []).append(revisit_id)
                continue
            chosen[original.sort_key] = original
            plan.originals_added += 1
            if original.warc_type == "revisit":
                queue.append(original)
    plan.locations = sorted(chosen.values(), key=lambda loc: loc.sort_key)
    if plan.revisits_of:
        plan.left_out_records = [
            replace(r, revisits=tuple(sorted(plan.revisits_of.get((r.file.removeprefix(f"{WARC_DIR}/"), r.offset), ()))))
            for r in plan.left_out_records]
    for rel, (why, selected, originals) in sorted(plan.unread_files.items()):
        held = f"{selected} selected record(s)" + (f" and the originals of {originals} revisit(s)" if originals else "")
        plan.left_out.append(f"{rel}: {why}; its {held} were left out (run `archiver verify`)")
        plan.records_left_out += selected + originals
    return plan


def _readable(archive_dir: Path, chosen: dict[tuple[str, int], Location], plan: Plan,
              allow_damaged: bool, *, originals: bool = False) -> dict[tuple[str, int], Location]:
    """The locations whose file exists and whose record checks; the others are named in the plan
    (counted as selected records, or as the `originals` of revisits). A record that does not hold
    the WARC-Record-ID the index gives it (its ID altered in the file) is damaged like any other:
    refused, or left out with `allow_damaged`."""
    from archiver.verify import check_record

    kept: dict[tuple[str, int], Location] = {}
    by_file: dict[str, list[tuple[tuple[str, int], Location]]] = {}
    for key, loc in chosen.items():
        if key not in plan.failed:  # already named (a selected record, or the original of another revisit)
            by_file.setdefault(loc.filename, []).append((key, loc))
    for filename, locs in sorted(by_file.items()):
        path = warc_path(archive_dir / WARC_DIR, filename)
        rel = f"{WARC_DIR}/{filename}"
        why = None
        if not path.is_file():
            why, kind = "WARC file is missing", FILE_MISSING
        else:
            try:
                fh = path.open("rb")
            except OSError as e:
                why, kind = f"WARC file cannot be read ({e.strerror or e})", FILE_UNREADABLE
        if why is not None:
            counts = plan.unread_files.setdefault(rel, [why, 0, 0])
            counts[2 if originals else 1] += len(locs)
            plan.left_out_records.extend(LeftOut(loc.record_id, kind, rel, loc.offset) for _key, loc in locs
                                         if loc.record_id)
            plan.lost.extend(loc for _key, loc in locs)
            plan.failed.update(key for key, _loc in locs)
            continue
        with fh:
            for key, loc in locs:
                problem = check_record(fh, path.name, loc.offset, loc.length, loc.record_id)
                if problem is None:
                    kept[key] = loc
                    continue
                named = f"record {loc.record_id or '?'} at offset {loc.offset}"
                detail = problem.detail.removeprefix(f"{named}: ")
                if problem.kind == "record" and detail.endswith(" instead"):
                    # its ID altered in the file, or the index out of step with the WARC files
                    detail += ": not the record the index names; its ID was altered, or the index is out of step"
                what = f"{rel}: {named} is damaged ({detail})"
                if not allow_damaged:
                    raise DamagedRecord(f"{what}; no bundle written: pass --allow-damaged to export without it, "
                                        "and run `archiver verify`")
                plan.left_out.append(f"{what}; left out")
                plan.records_left_out += 1
                plan.lost.append(loc)
                plan.failed.add(key)
                if loc.record_id:
                    plan.left_out_records.append(LeftOut(loc.record_id, DAMAGED, rel, loc.offset))
    return kept


def _entry(written: StatusAndHeaders, rec_type: str, offset: int, length: int, source: Location) -> ExportedRecord:
    return ExportedRecord(
        rec_type=rec_type,
        url=written.get_header("WARC-Target-URI") or "",
        date=written.get_header("WARC-Date") or "",
        offset=offset,
        length=length,
        record_id=written.get_header("WARC-Record-ID") or "",
        source=source,
    )


def _write_one(out: CountingWriter, writer: WARCWriter, fh: IO[bytes], loc: Location,
               include_credentials: bool) -> tuple[ExportedRecord, bool]:
    gzipped = starts_member(fh, loc.offset)
    record = parse_member(fh, loc)
    rid = record.rec_headers.get_header("WARC-Record-ID")
    if loc.record_id and rid != loc.record_id:
        raise ExportError(
            f"{loc.filename} offset {loc.offset} holds {rid}, not {loc.record_id}: "
            "the index is out of step with the WARC files; run `archiver verify`"
        )
    drop = [] if include_credentials else credential_headers(record.rec_type, record.http_headers)
    start = out.tell()
    if drop or not gzipped:
        with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as spool:
            shutil.copyfileobj(record.raw_stream, spool)
            size = spool.tell()
            spool.seek(0)
            written = reserialize(writer, record, spool, size, drop)
    else:
        written = record.rec_headers
        copy_slice(fh, loc, out)
    return _entry(written, record.rec_type, start, out.tell() - start, loc), bool(drop)


def _warcinfo_fields(title: str, count: int, include_credentials: bool, left_out: int = 0) -> dict[str, str]:
    if include_credentials:
        creds = "kept as captured (exported with --include-credentials)"
    else:
        creds = "removed: " + RULE + "; affected records carry a WARC-Archiver-Removed-Headers field"
    fields = {
        "software": f"archiver/{__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": title,
        "export-created": iso_seconds(),
        "export-records": str(count),
        "export-credentials": creds,
    }
    if left_out:
        fields["export-left-out"] = (f"{left_out} record(s) of the archive (damaged, or their WARC file missing or "
                                     f"unreadable), named in the metadata record {LEFT_OUT_URI} that follows")
    return fields


def _left_out_record(writer: WARCWriter, plan: Plan, warcinfo_id: str) -> Any:
    """The `metadata` record naming what the export left out (application/json, the document a WACZ
    carries as evidence/left-out.json), about the export its `warcinfo` describes."""
    data = left_out_bytes(plan.left_out_records)
    return writer.create_warc_record(LEFT_OUT_URI, "metadata", payload=io.BytesIO(data), length=len(data),
                                     warc_content_type="application/json",
                                     warc_headers_dict={"WARC-Warcinfo-ID": warcinfo_id})


def write_export_warc(out: CountingWriter, archive_dir: Path, plan: Plan, *, filename: str,
                      title: str, include_credentials: bool, name_left_out: bool = False) -> WarcResult:
    """Write the warcinfo and then every planned record to `out`; return where each one went.
    With `name_left_out` (a single .warc.gz export, which has no other place to say it), the records
    the plan left out are named in a `metadata` record right after the warcinfo."""
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    named = len(plan.left_out_records) if name_left_out else 0
    info = writer.create_warcinfo_record(filename, _warcinfo_fields(title, len(plan.locations),
                                                                    include_credentials, named))
    writer.write_record(info)
    if named:
        writer.write_record(_left_out_record(writer, plan, info.rec_headers.get_header("WARC-Record-ID")))
    entries: list[ExportedRecord] = []
    redacted = 0
    with ExitStack() as stack:
        handles: dict[str, IO[bytes]] = {}
        for loc in plan.locations:
            if loc.filename not in handles:
                path = warc_path(archive_dir / WARC_DIR, loc.filename)
                try:
                    handles[loc.filename] = stack.enter_context(path.open("rb"))
                except OSError as e:
                    raise ExportError(f"cannot read {path}: {e.strerror}; run `archiver verify`") from e
            entry, was_redacted = _write_one(out, writer, handles[loc.filename], loc, include_credentials)
            entries.append(entry)
            redacted += was_redacted
    out.flush()
    return WarcResult(entries=entries, records=len(entries), redacted=redacted, size=out.tell(),
                      sha256=out.sha256.hexdigest())
