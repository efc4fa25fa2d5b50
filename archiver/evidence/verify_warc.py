"""`archiver verify X.warc.gz`: what a single-WARC export says about itself, checked offline.

A `.warc.gz` export carries no signature, timestamp or index (export a WACZ for those): what can
be checked is its records. Every record reads whole and matches its `WARC-Block-Digest`, no two
share a `WARC-Record-ID`, and every revisit's original is in the file: the payload it stands for
(its `WARC-Payload-Digest`) held by an intact record, or, a revisit without one, the record its
`WARC-Refers-To` names. The records its export left out (damaged, or their WARC file missing or
unreadable) are named in the file itself, in a `metadata` record (`LEFT_OUT_URI`, application/json,
the `archiver-left-out/1` document a WACZ carries as evidence/left-out.json): a revisit whose
original that list names is a known gap, noted, not a problem, as `verify X.wacz` takes it.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.errors import EvidenceError, UsageError
from archiver.evidence.sidecar import LEFT_OUT_URI, LeftOutList, read_left_out
from archiver.evidence.verify_wacz import (
    BundleRecord,
    Finding,
    WaczVerification,
    _named,
    _read_records,
    left_out_revisit,
    record_problems,
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
        parts = [f"{self.path}: all {self.records} records read whole and match their WARC-Block-Digest, and every "
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
    from warcio.archiveiterator import ArchiveIterator

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
    records: dict[str, list[BundleRecord]] = {}
    blocks: dict[str, list[tuple[str, bytes | None]]] = {LEFT_OUT_URI: []}
    name = path.name
    try:
        # warcio writes what it could not decompress to stderr and reads on: the damage is this
        # check's to name, once.
        with path.open("rb") as fh, contextlib.redirect_stderr(io.StringIO()):
            _read_records(ArchiveIterator(fh, no_record_parse=True), records, name, blocks=blocks)
    except Exception as e:
        if not records:
            raise UsageError(f"{path} is not a readable WARC file ({type(e).__name__}: "
                             f"{_first_line(e)})") from None
        result.findings.append(Finding("damaged", name, f"its records cannot all be read ({type(e).__name__}: "
                                                        f"{_first_line(e)}); what follows the damage is lost to replay"))
    result.records = sum(len(recs) for recs in records.values())
    result.findings.extend(record_problems(records))
    left_out = _left_out(blocks[LEFT_OUT_URI], records, result, name)
    _revisits(records, left_out, result, name)
    return result


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else ""


def _left_out(found: list[tuple[str, bytes | None]], records: dict[str, list[BundleRecord]],
              result: WarcVerification, name: str) -> LeftOutList:
    """The list of what export left out, from the file's one intact left-out metadata record."""
    if len(found) > 1:
        result.findings.append(Finding("record", name, f"{len(found)} metadata records {LEFT_OUT_URI}: an export "
                                                       "writes one, and which one says what it left out?"))
        return LeftOutList()
    if not found:
        return LeftOutList()
    rid, data = found[0]
    if not all(rec.intact for rec in records.get(rid, ())):
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


def _revisits(records: dict[str, list[BundleRecord]], left_out: LeftOutList, result: WarcVerification,
              name: str) -> None:
    """Each revisit's original in the file, or named as left out by its export (a note)."""
    payloads = {rec.line.split("\t")[5] for recs in records.values() for rec in recs if rec.payload_intact}
    missing: list[str] = []
    for rid, recs in records.items():
        for rec in recs:
            fields = rec.line.split("\t")
            if fields[1] != "revisit":
                continue
            payload = fields[5]
            if payload != "-" and payload in payloads:
                continue
            if payload == "-" and rec.refers_to and rec.refers_to in records:
                continue  # no payload digest to go by: the record it names is here
            original = left_out.original_of(rid, rec.refers_to)
            if original is not None:
                result.notes.append(left_out_revisit(name, rid, payload, original, left_out, NAMED_IN))
            else:
                missing.append(f"{rid} ({fields[2][:120]})")
    if missing:
        result.findings.append(Finding("record", name, f"{len(missing)} revisit record(s) stand for content that no "
                                                       "intact record of this file holds, and that its export does not "
                                                       f"say it left out: they will not replay: {_named(missing)}"))
