"""`archiver verify X.warc.gz`: what a single-WARC export says about itself, checked offline.

A `.warc.gz` export carries no signature, timestamp or index (export a WACZ for those): what can
be checked is its records. Every record reads whole and matches its `WARC-Block-Digest`, no two
share a `WARC-Record-ID`, and every revisit's original is in the file, by any of the names replay
tools find it by (`RecordTable.orphans`): the payload it stands for (its `WARC-Payload-Digest`)
held by an intact record, the intact record its `WARC-Refers-To` names, or an intact response or
resource at its `WARC-Refers-To-Target-URI` and `WARC-Refers-To-Date`. The records its export left out (damaged, or their WARC file missing or
unreadable) are named in the file itself, in a `metadata` record (`LEFT_OUT_URI`, application/json,
the `archiver-left-out/1` document a WACZ carries as evidence/left-out.json): a revisit whose
original that list names is a known gap, noted, not a problem, as `verify X.wacz` takes it.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from archiver.errors import ArchiverError, EvidenceError, UsageError
from archiver.evidence.sidecar import LEFT_OUT_URI, LeftOutList, read_left_out
from archiver.evidence.verify_wacz import (
    NAMED_RECORDS,
    ROOM_WARC,
    Finding,
    RecordTable,
    WaczVerification,
    _named,
    _read_records,
    orphan_revisits,
)

NAMED_IN = f"its metadata record {LEFT_OUT_URI}"
_WARC_STARTS = (b"\x1f\x8b", b"WARC/")


def is_warc(path: Path) -> bool:
    """Whether `path` is to be checked as a WARC file: named *.warc.gz or *.warc, and not a zip."""
    import zipfile

    if not path.name.lower().endswith((".warc.gz", ".warc")):
        return False
    try:
        return not zipfile.is_zipfile(path)
    except OSError:
        return True  # what cannot be opened is said by the check itself


@dataclass
class WarcVerification(WaczVerification):
    records: int = 0  # records read (the export's own warcinfo and left-out list included)

    def sentence(self) -> str:
        if not self.ok:
            kinds = sorted({f.kind for f in self.findings})
            return (f"{self.path} does NOT verify: {len(self.findings)} problem(s) ({', '.join(kinds)}); "
                    "nothing in it is proven until they are explained")
        parts = [f"{self.path}: all {self.records} records read whole and match their WARC-Block-Digest where they declare one, and every "
                 "revisit's original is in it" + (" or named as left out by its export" if self.left_out else ""),
                 "a WARC export is neither signed nor timestamped (anyone could have made it; export a WACZ with "
                 "--sign and --timestamp for that)"]
        if self.left_out:
            parts.append(f"{self.left_out} record(s) of the archive left out by its export (damaged, or their WARC "
                         f"file missing or unreadable; named in {NAMED_IN}): the file does not hold them")
        return "; ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "records": self.records}


def verify_warc(path: Path) -> WarcVerification:
    """Check the WARC file at `path`; raises UsageError when it is missing or no WARC file at all."""
    result = WarcVerification(path=str(path))
    try:
        with path.open("rb") as fh:
            head = fh.read(5)
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist") from None
    except OSError as e:
        raise UsageError(f"{path} cannot be read: {e.strerror or e}") from None
    if not head.startswith(_WARC_STARTS):
        raise UsageError(f"{path} is not a WARC file (it starts with neither a gzip member nor `WARC/`)")
    records = _WarcRecords()
    try:
        records.expect(path.name, path.stat().st_size)
        _check(path, result, records)
    finally:
        records.close()
    return result


def _check(path: Path, result: WarcVerification, records: _WarcRecords) -> None:
    from warcio.archiveiterator import ArchiveIterator

    blocks: dict[str, list[tuple[str, bytes | None]]] = {LEFT_OUT_URI: []}
    name = path.name
    reading: _Framing | None = None
    try:
        # warcio writes what it could not decompress to stderr and reads on: the damage is this
        # check's to name, once.
        with path.open("rb") as fh, contextlib.redirect_stderr(io.StringIO()):
            reading = _Framing(ArchiveIterator(fh, no_record_parse=True))
            _read_records(reading, records, name, blocks=blocks)
            if not reading.read:
                raise UsageError(f"{path} is not a readable WARC file (no WARC record can be read at its start)")
            result.findings.extend(reading.problems(name, fh))
    except ArchiverError:
        raise  # not a WARC file; or the scratch file's failure (a full disk under TMPDIR), no damage in the file
    except Exception as e:
        if reading is None or not reading.read:
            raise UsageError(f"{path} is not a readable WARC file ({type(e).__name__}: "
                             f"{_first_line(e)})") from None
        result.findings.append(Finding("damaged", name, f"its records cannot all be read ({type(e).__name__}: "
                                                        f"{_first_line(e)}); what follows the damage is lost to replay"))
    result.records = records.count
    result.findings.extend(records.problems())
    left_out = _left_out(blocks[LEFT_OUT_URI], records, result, name)
    findings, notes = orphan_revisits(records, left_out, NAMED_IN, "this file")
    result.findings.extend(findings)
    result.notes.extend(notes)


class _WarcRecords(RecordTable):
    """The file's records as its checks need them (a WARC's records take less room than a bundle's)."""

    room = ROOM_WARC


class _Framing:
    """An ArchiveIterator that notes, rather than passes on, where no record can be read, and each
    record whose block ends before its Content-Length says. A file cut short inside a record's
    header, or holding bytes that are no WARC record, reads in warcio as one that ends there (or
    yields a record without WARC headers): `end` is where the last record read ends, for the
    caller to hold against the file's size. A record cut short inside its block, without a
    WARC-Block-Digest to fail (another tool's WARC/1.0 record), would otherwise pass as whole, and
    one cut inside its header reads as a record without the fields every record has."""

    def __init__(self, it: Any) -> None:
        self.it = it
        self.read = 0  # records read (with WARC headers)
        self.end = 0  # where the last of them ends
        self.unreadable: int | None = None  # the first offset where no record could be read
        # Of the first NAMED_RECORDS records cut short: (record, offset, bytes missing); and how many in all.
        self.short: list[tuple[str, int, int]] = []
        self.shorts = 0
        # Of the first NAMED_RECORDS records whose header is cut short: (offset, fields lacking); how many in all.
        self.headless: list[tuple[int, list[str]]] = []
        self.headlesses = 0

    def __iter__(self) -> Iterator[Any]:
        for record in self.it:
            if record.rec_type is None or not record.rec_headers.headers:
                self._unreadable(self.it.get_record_offset())
                continue
            self.read += 1
            yield record
            missing = getattr(record.raw_stream, "limit", 0)  # what its Content-Length promised, unread
            self.it.read_to_end(record)
            offset = self.it.get_record_offset()
            self.end = offset + self.it.get_record_length()
            lacks = [f for f in _MANDATORY if record.rec_headers.get_header(f) is None]
            if lacks:
                self.headlesses += 1
                if len(self.headless) < NAMED_RECORDS:
                    self.headless.append((offset, lacks))
            elif missing > 0:
                self.shorts += 1
                if len(self.short) < NAMED_RECORDS:
                    rid = record.rec_headers.get_header("WARC-Record-ID") or "?"
                    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                    self.short.append((f"{rid[:120]} ({uri[:120]})", offset, missing))

    def _unreadable(self, offset: int) -> None:
        self.unreadable = offset if self.unreadable is None else min(self.unreadable, offset)

    def get_record_offset(self) -> int:
        return int(self.it.get_record_offset())

    def problems(self, name: str, fh: IO[bytes]) -> list[Finding]:
        """What was found cut short or unreadable; past the last record, what `fh` holds besides the
        blank lines a plain WARC may end with."""
        found = [Finding("damaged", name, f"record {rec} at offset {offset}: its block ends {missing} byte(s) "
                                          "before its Content-Length says: the file is cut short or damaged there")
                 for rec, offset, missing in self.short]
        if self.shorts > NAMED_RECORDS:
            found.append(Finding("damaged", name, f"and {self.shorts - NAMED_RECORDS} more record(s) cut short"))
        for offset, lacks in self.headless:
            found.append(Finding("damaged", name, f"the record at offset {offset} has no {' or '.join(lacks)}, which "
                                                  "every WARC record has: its header is cut short or damaged"))
        if self.headlesses > NAMED_RECORDS:
            found.append(Finding("damaged", name, f"and {self.headlesses - NAMED_RECORDS} more record(s) whose "
                                                  "header is cut short"))
        fh.seek(self.end)
        if fh.read(_TAIL).strip(b"\r\n\t \x00") or fh.read(1):
            self._unreadable(self.end)
        if self.unreadable is not None:
            found.append(Finding("damaged", name, f"no WARC record can be read at offset {self.unreadable}: the file is cut "
                                                  "short or damaged there, and what follows the damage is lost to "
                                                  "replay"))
        return found


_MANDATORY = ("WARC-Record-ID", "Content-Length")  # what no record of any WARC version is without
_TAIL = 64  # blank lines past the last record of a plain WARC, up to this many bytes, are no damage


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else ""


def _left_out(found: list[tuple[str, bytes | None]], records: RecordTable,
              result: WarcVerification, name: str) -> LeftOutList:
    """The list of what export left out, from the file's one intact left-out metadata record."""
    if len(found) > 1:
        result.findings.append(Finding("record", name, f"{len(found)} metadata records {LEFT_OUT_URI}: an export "
                                                       "writes one, and which one says what it left out?"))
        return LeftOutList()
    if not found:
        return LeftOutList()
    rid, data = found[0]
    if not records.all_intact(rid):
        return LeftOutList()  # named as a record whose block does not match its digest
    if data is None:
        result.findings.append(Finding("record", name, f"its metadata record {LEFT_OUT_URI} is too large to be an "
                                                       "export's list of what it left out"))
        return LeftOutList()
    try:
        left_out = read_left_out(data)
    except EvidenceError as e:
        result.findings.append(Finding("record", name, f"its metadata record {LEFT_OUT_URI}: {e}: export writes it "
                                                       "to name the records it left out"))
        return LeftOutList()
    result.left_out = len(left_out.why)
    if left_out.why:
        reasons = Counter(left_out.why.values())
        said = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        result.notes.append(f"{name}: {len(left_out.why)} record(s) of the archive left out by its export ({said}; "
                            f"named in {NAMED_IN}): {_named(sorted(left_out.why))}")
    return left_out
