"""`verify_archive`: does the archive still hold what its index says it holds?

For every indexed record: its WARC file exists, the bytes `[offset, offset + length)` are exactly one
gzip member that decompresses, the record inside has the indexed WARC-Record-ID, its block is as
long as its Content-Length says, its WARC-Block-Digest / WARC-Payload-Digest match (checked by
warcio; revisit blocks, which warcio skips, are checked here), and its type, target URI, payload
digest and date are those the index holds for it. A record the index ties to a capture names, in its
WARC-Concurrent-To and WARC-Page-ID, only records of that capture (a screenshot its page). Every
screenshot file exists and has
its recorded SHA-256, and every other screenshot of the same capture beside it is byte for byte one
of the capture's screenshot records.

Every WARC file under warcs/ is then walked member by member, so damage outside the indexed records
is found too, such as a half-written record left by a crash. This walk does not rely on warcio's
iterator, which quietly accepts a file cut off inside its last gzip member. Files still named
`*.open` are being written (or await the capture's recover()): their indexed records are checked,
but they are not walked, since a record may be half-way onto the disk.

Each capture's timestamp tokens (`capture_stamps`), when the index is given for them: the token
is over its manifest, its signature checks (with its CA where one is carried, else with the signing
certificate's own key), and every record the manifest lists is one of the capture's sound records
with the very headers listed.

Records marked `WARC-Truncated` (a response the server or the connection cut short, recorded as
what arrived) are intact as written, so they are no problem; every one that verify reads is noted
(`TruncatedRecord`) so that whoever checks the archive learns which answers are partial.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import tempfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

from archiver.evidence.stamps import ManifestEntry, digest_of, parse_manifest
from archiver.index.journal import Entry, is_journal_record, parse_entry
from archiver.index.rows import CaptureName, CaptureStamp, RecordRow, StoredFile
from archiver.index.spool import Scratch, Spool
from archiver.layout import WARC_DIR
from archiver.redact import redact_endpoint
from archiver.warcstore.files import OPEN_SUFFIX, warc_path
from archiver.warcstore.members import MemberError, inflate_member, next_record_member, walk_members
from archiver.warcstore.records import MAX_WARC_FIELDS, MAX_WARC_HEAD

log = logging.getLogger(__name__)

# Problem kinds
MISSING = "missing"  # a file the index names is not there
TRUNCATED = "truncated"  # the file ends before an indexed record does
GZIP = "gzip"  # the slice is not one complete gzip member
RECORD = "record"  # not a well-formed WARC record, or not the indexed one
DIGEST = "digest"  # a WARC digest or a screenshot hash does not match
UNREADABLE = "unreadable"  # a WARC file under warcs/ cannot be read through to its end
UNINDEXED = "unindexed"  # WARC records the index does not know (archive.db lost, emptied or replaced)
INDEX = "index"  # the index's own storage fails the database's check (a damaged archive.db page)
STAMP = "timestamp"  # a capture's timestamp token does not check, or not over the records it names

# How a capture lost a record, in the closing lines that name the captures (`_name_lost_evidence`).
DAMAGED_WORD = "damaged"
CUT_OFF = "cut off by the end of the WARC file"
IN_MISSING = "in a missing WARC file"
IN_UNREADABLE = "in a WARC file that cannot be opened"
NOTED_LOST = 10  # captures named one by one in those lines; past this, how many more
NOTED_KEYS = 10  # posts and articles named in the closing line; past this, how many more

# The headers by which a record names another of its own capture.
CAPTURE_LINKS = ("WARC-Concurrent-To", "WARC-Page-ID")

REINDEX_HINT = "rebuild the index from the WARCs with `archiver reindex`"
REINDEX_FORCE_HINT = "`archiver reindex --force` takes them into the index"
REBUILD_HINT = "`archiver reindex --force` rebuilds the index from the WARC files"
# Beside an index in PostgreSQL, which `reindex` (it rebuilds an archive.db) does not write.
REINDEX_ELSEWHERE_HINT = ("`archiver reindex` rebuilds an archive.db, not this index: rebuild one in a copy of the "
                          "folder and `archiver index copy` it here to take them in")

BUF = 1 << 20
SPOOL_IN_MEMORY = 16 * 1024 * 1024
NOTED_TRUNCATED = 5  # records marked WARC-Truncated named one by one on stderr; past this, a count first
# The journal entries read on the way: kept on disk (a spool), or a list of them.
Journal = Spool | list[Entry]


@dataclass
class Problem:
    """One thing wrong with the archive: what kind, which file (relative to the archive), details."""

    kind: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class TruncatedRecord:
    """A record marked WARC-Truncated: intact as written, but its block is not all the server sent.

    `path` is the WARC file relative to the archive, `offset` the record's place in it, `reason` the
    field's value (`disconnect`, `unspecified`, `length` or `time` in WARC 1.1)."""

    path: str
    offset: int
    record_id: str
    warc_type: str
    target_uri: str
    reason: str

    def __str__(self) -> str:
        return (f"{self.path}: {self.warc_type} record at offset {self.offset} is marked "
                f"WARC-Truncated: {self.reason}: {self.target_uri}")


def _truncation(rel: str, offset: int, headers: StatusAndHeaders) -> TruncatedRecord | None:
    """The record's WARC-Truncated mark, if its headers carry one."""
    reason = headers.get_header("WARC-Truncated")
    if reason is None:
        return None
    return TruncatedRecord(rel, offset, headers.get_header("WARC-Record-ID") or "?",
                           headers.get_header("WARC-Type") or "?", headers.get_header("WARC-Target-URI") or "",
                           reason.strip() or "?")


class _Bad(Exception):
    """A check failed; carries the Problem kind and the reason."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def digest_matches(declared: str, raw: bytes) -> bool:
    """Compare a WARC digest field (`algo:value`, value base32, base16 or base64) with raw digest bytes."""
    value = declared.partition(":")[2].strip()
    # base32 and base16 are case-insensitive, base64 is not
    if value.upper() in (base64.b32encode(raw).decode(), raw.hex().upper()):
        return True
    return value in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode())


def _copy_plain(fh: IO[bytes], offset: int, length: int, spool: IO[bytes]) -> None:
    """An uncompressed .warc file: the slice is the record itself."""
    fh.seek(offset)
    remaining = length
    while remaining:
        chunk = fh.read(min(BUF, remaining))
        if not chunk:
            raise _Bad(TRUNCATED, "file ends inside the record")
        spool.write(chunk)
        remaining -= len(chunk)


def warc_head(fh: IO[bytes]) -> tuple[bytes, int]:
    """The bytes from the start of `fh` at least to the blank line that ends a WARC header, and where
    that line starts (-1: none before the end of `fh`, or what was read does not start as a WARC
    record). A header is as long as the URLs in it (up to some MiB): it is read to its end, but no
    further than MAX_WARC_HEAD, past which _Bad names a header too long."""
    fh.seek(0)
    head = b""
    while True:
        chunk = fh.read(min(BUF, MAX_WARC_HEAD + 4 - len(head)))
        if not chunk:
            return head, -1
        seen = len(head)
        head += chunk
        end = head.find(b"\r\n\r\n", max(0, seen - 3))  # the blank line may straddle two reads
        if end >= 0 or not head.startswith(b"WARC/"[:len(head)]):
            return head, end
        if len(head) >= MAX_WARC_HEAD + 4:
            raise _Bad(RECORD, f"WARC header longer than {MAX_WARC_HEAD:,} bytes (no blank line ends it): "
                               "not a record this tool wrote, or a damaged one")


def _framing(spool: IO[bytes], plain: bool) -> tuple[int, int]:
    """Start and length of the record's block; raises unless the record is framed as WARC 1.x says."""
    head, end = warc_head(spool)
    if not head.startswith(b"WARC/") or end < 0:
        raise _Bad(RECORD, "not a WARC record")
    if (fields := head.count(b"\n", 0, end)) > MAX_WARC_FIELDS:  # a line each after the version line
        raise _Bad(RECORD, f"WARC header of {fields:,} fields (more than {MAX_WARC_FIELDS:,}): not a record "
                           "this tool wrote, or a damaged one")
    length = None
    for line in head[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    if length is None:
        raise _Bad(RECORD, "WARC record without a valid Content-Length")
    start = end + 4
    spool.seek(0, 2)
    size = spool.tell()
    # warcio measures records of uncompressed files without their closing CRLF CRLF
    if not (plain and size == start + length):
        if size != start + length + 4:
            raise _Bad(RECORD, f"record is {size} bytes, its Content-Length implies {start + length + 4}")
        spool.seek(start + length)
        if spool.read(4) != b"\r\n\r\n":
            raise _Bad(RECORD, "record does not end with CRLF CRLF")
    return start, length


def _algorithm(declared: str | None) -> str:
    """The hash algorithm a WARC digest field names, as hashlib spells it (`SHA-256:…` -> sha256)."""
    return (declared or "").partition(":")[0].strip().lower().replace("-", "")


def digest_hasher(declared: str | None) -> Any:
    """A new hash object for the algorithm a WARC digest field names (`sha1:…`, `SHA-256:…`), or
    None when it names none hashlib knows."""
    algo = _algorithm(declared)
    try:
        return hashlib.new(algo) if algo else None
    except (ValueError, TypeError):  # TypeError: a name holding NUL or a lone surrogate (a damaged row)
        return None


def _check_block(spool: IO[bytes], start: int, length: int, declared: str) -> None:
    h = digest_hasher(declared)
    if h is None:
        raise _Bad(DIGEST, f"unknown digest algorithm in {declared}")
    spool.seek(start)
    remaining = length
    while remaining:
        chunk = spool.read(min(BUF, remaining))
        h.update(chunk)
        remaining -= len(chunk)
    if not digest_matches(declared, h.digest()):
        raise _Bad(DIGEST, f"block digest failed: {declared}")


def _check_spooled(spool: IO[bytes], plain: bool, record_id: str | None) -> StatusAndHeaders:
    """Check the one record held in `spool`: framing, identity, digests. Returns its WARC headers."""
    start, block_len = _framing(spool, plain)
    spool.seek(0)
    try:
        record = next(iter(ArchiveIterator(spool, check_digests=True)))
        while record.raw_stream.read(BUF):  # warcio checks the digests as the block is read
            pass
    except Exception as e:
        raise _Bad(RECORD, f"does not parse ({e})") from None
    h = record.rec_headers
    rid = h.get_header("WARC-Record-ID")
    if record_id and rid != record_id:
        raise _Bad(RECORD, f"holds {rid} instead")
    if record.digest_checker.passed is False:
        raise _Bad(DIGEST, "; ".join(record.digest_checker.problems))
    block_digest = h.get_header("WARC-Block-Digest")
    if record.rec_type == "revisit" and block_digest:
        _check_block(spool, start, block_len, block_digest)
    if not block_digest and not h.get_header("WARC-Payload-Digest"):
        raise _Bad(DIGEST, "carries no digest to check")
    return h


def _read_record(fh: IO[bytes], rel: str, offset: int, length: int, record_id: str | None) -> StatusAndHeaders:
    """Check the record at `[offset, offset + length)` of the open WARC file `rel`; returns its WARC
    headers, raises _Bad when it is not intact."""
    plain = rel.endswith(".warc")
    with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as spool:
        if plain:
            _copy_plain(fh, offset, length, spool)
        else:
            try:
                inflate_member(fh, offset, spool, length=length)
            except MemberError as e:
                _blame_the_length(fh, offset, length, record_id)
                raise _Bad(GZIP, e.reason) from None
        return _check_spooled(spool, plain, record_id)


def _blame_the_length(fh: IO[bytes], offset: int, length: int, record_id: str | None) -> None:
    """Raise when the index's length is what is wrong: the member at `offset` is whole at another
    length, and the record in it is sound and the one indexed (else the WARC is to blame)."""
    with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as spool:
        try:
            actual = inflate_member(fh, offset, spool)
            _check_spooled(spool, False, record_id)
        except (MemberError, _Bad):
            return
    if actual != length:
        raise _Bad(INDEX, f"the index gives it {length} bytes, but the record there is whole and sound at {actual} "
                          "bytes: the index's row is wrong, the WARC is not (an index rebuilt from the WARCs mends it)")


def _record_problem(bad: _Bad, rel: str, offset: int, record_id: str | None) -> Problem:
    return Problem(bad.kind, rel, f"record {record_id or '?'} at offset {offset}: {bad.reason}")


def check_record(fh: IO[bytes], rel: str, offset: int, length: int, record_id: str | None) -> Problem | None:
    """Check the record `record_id` (None: any) at `[offset, offset + length)` of the open WARC file
    `rel`; None when it is intact."""
    try:
        _read_record(fh, rel, offset, length, record_id)
    except _Bad as bad:
        return _record_problem(bad, rel, offset, record_id)
    return None


def _head_of(data: bytes) -> StatusAndHeaders | None:
    """The WARC headers at the start of `data`, when it starts with whole ones."""
    end = data.find(b"\r\n\r\n")
    if not data.startswith(b"WARC/") or end < 0:
        return None
    try:
        return StatusAndHeadersParser(["WARC/1.0", "WARC/1.1"], verify=False).parse(io.BytesIO(data[:end + 4]))
    except Exception:
        return None


def _damaged_head(fh: IO[bytes], offset: int) -> StatusAndHeaders | None:
    """The WARC headers of the damaged gzip member at `offset`, when its start still inflates to
    them (a member cut off, or damaged past its headers)."""
    fh.seek(offset)
    inflater = zlib.decompressobj(31)
    out = b""
    try:
        while len(out) < 1 << 16 and (chunk := fh.read(1 << 14)):
            out += inflater.decompress(chunk, (1 << 16) - len(out))
            if b"\r\n\r\n" in out or inflater.eof:
                break
    except zlib.error:
        pass
    return _head_of(out)


def _unindexed(headers: StatusAndHeaders | None) -> str:
    """What an unindexed record is called: the index's journal records, which the index never lists,
    by their name."""
    return "journal record" if headers is not None and _is_journal(headers) else "unindexed record"


def _walk_gzip_file(path: Path, rel: str, indexed: set[int], good: dict[int, int],
                    marked: list[TruncatedRecord], seen: _Seen, journal: Journal | None = None) -> list[Problem]:
    """Walk a per-record-gzip WARC member by member: what the index does not cover, or cannot reach.

    Members verified through the index (`good`: offset -> length) are skipped unread; members at
    other indexed offsets were already reported, so only their extent is needed. The walk stops
    where the file can no longer be split into gzip members. Sound unindexed records marked
    WARC-Truncated are added to `marked`, every sound unindexed record's ID to `seen`, and the
    entries of the index's journal (records the index never lists) to `journal` when it is given.
    """
    problems: list[Problem] = []
    start = 0
    with path.open("rb") as fh:
        while True:
            try:
                for member in walk_members(fh, skip=good, start=start):
                    if member.offset in indexed or member.spool is None:
                        continue
                    try:
                        headers = _check_spooled(member.spool, False, None)
                    except _Bad as bad:
                        kind = DIGEST if bad.kind == DIGEST else UNREADABLE
                        member.spool.seek(0)
                        called = _unindexed(_head_of(member.spool.read(1 << 16)))
                        problems.append(Problem(kind, rel, f"{called} at offset {member.offset}: {bad.reason}"))
                        continue
                    seen.record_id(headers.get_header("WARC-Record-ID") or "", rel, member.offset, member.length)
                    seen.stray(rel, member.offset, headers)
                    if mark := _truncation(rel, member.offset, headers):
                        marked.append(mark)
                    if journal is not None and _is_journal(headers):
                        member.spool.seek(0)
                        _take_entry(next(iter(ArchiveIterator(member.spool))), path.name, member.offset, journal)
                break
            except MemberError as e:
                # As reindex does: the whole records past the damage are read on (each record is a
                # member of its own). A damaged indexed member was named by the index's check.
                resume = next_record_member(fh, e.offset)
                if e.offset not in indexed:
                    past = (f"; bytes {e.offset}-{resume} stepped over, the records after them read on"
                            if resume is not None else "")
                    head = _damaged_head(fh, e.offset)
                    what = f" ({_unindexed(head)} {head.get_header('WARC-Record-ID') or '?'})" if head else ""
                    problems.append(Problem(UNREADABLE, rel,
                                            f"unreadable from offset {e.offset}{what}: {e.reason}{past}"))
                if resume is None:
                    break
                start = resume
    return problems


def _walk_plain_file(path: Path, rel: str, indexed: set[int], marked: list[TruncatedRecord],
                     seen: _Seen, journal: Journal | None = None) -> list[Problem]:
    """Uncompressed WARC files have no member boundaries to walk: let warcio read them through.
    Unindexed records marked WARC-Truncated are added to `marked` (indexed ones were checked, and
    noted, through the index), their IDs to `seen`, and journal entries to `journal` when given."""
    offset = 0
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                offset = it.get_record_offset()
                if offset in indexed:
                    continue
                if journal is not None and _is_journal(record.rec_headers):
                    _take_entry(record, path.name, offset, journal)
                it.read_to_end(record)
                if record.rec_headers.get_header("Content-Length") is None or getattr(record.raw_stream, "limit", 0) > 0:
                    # As reindex reads it: a record the file ends inside is no record to take in.
                    return [Problem(UNREADABLE, rel, f"{_unindexed(record.rec_headers)} at offset {offset}: "
                                                     "the file ends inside it")]
                seen.record_id(record.rec_headers.get_header("WARC-Record-ID") or "", rel, offset,
                               it.get_record_length())
                seen.stray(rel, offset, record.rec_headers)
                if mark := _truncation(rel, offset, record.rec_headers):
                    marked.append(mark)
    except Exception as e:
        return [Problem(UNREADABLE, rel, f"unreadable after offset {offset}: {e}")]
    return []


def _is_journal(headers: StatusAndHeaders) -> bool:
    return is_journal_record(headers.get_header("WARC-Type") or "", headers.get_header("WARC-Target-URI") or "")


def _take_entry(record: Any, filename: str, offset: int, journal: Journal) -> None:
    """The journal entry `record` holds, added to `journal` (one that is no entry is left out:
    `reindex` names those)."""
    try:
        entry = parse_entry(record.content_stream().read(), record.rec_headers.get_header("WARC-Date") or "",
                            filename, offset, record.rec_headers.get_header("WARC-Record-ID"))
    except ValueError:
        return
    if entry is not None:
        journal.append(entry)


def _check_screenshot(archive_dir: Path, row: StoredFile, digests: dict[str, bytes],
                      also: Iterable[str] = ()) -> Problem | None:
    """A stored file against its SHA-256: a capture's screenshot, or a post's media file (one
    named by no capture). The file is read once: `digests` gets its SHA-256 and its digests by the
    algorithms `also` names (its capture's screenshot records' own), for the check against those
    records (`_check_other_shots`)."""
    rel = row.path
    path = Path(rel) if Path(rel).is_absolute() else archive_dir / rel
    what = "screenshot" if row.capture_id is not None else "media file"
    if not path.is_file():
        return Problem(MISSING, rel, f"{what} is missing")
    hashes = {"sha256": hashlib.sha256()}
    for algorithm in set(also) - {"sha256"}:
        if (h := digest_hasher(f"{algorithm}:")) is not None:
            hashes[algorithm] = h
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(BUF):
                for h in hashes.values():
                    h.update(chunk)
    except OSError as e:
        return Problem(UNREADABLE, rel, f"{what} cannot be read ({e.strerror or e})")
    expected = (row.sha256 or "").lower()
    found = hashes["sha256"].hexdigest()
    if found != expected:
        return Problem(DIGEST, rel, f"sha256 is {found}, the index says {expected or 'nothing'}")
    digests.update((name, h.digest()) for name, h in hashes.items())
    return None


def _relative(archive_dir: Path, path: Path) -> str:
    """A file's path as the index names it: relative to the archive when inside it."""
    return str(path.relative_to(archive_dir)) if path.is_relative_to(archive_dir) else str(path)


def _check_other_shots(archive_dir: Path, screenshots: list[StoredFile],
                       digests_of: Callable[[int], set[str]],
                       matched: Mapping[str, Mapping[str, bytes]] | None = None) -> list[Problem]:
    """The screenshots a capture keeps beside the one the index names (the full page behind an
    embed's picture, further element shots, a page rendered beside it): the index holds no hash of
    them, but its WARC records hold their bytes, so each file must be one of the `urn:screenshot:`
    records of the captures whose screenshots share its folder and time stamp
    (`<stamp>[-<label>][-element-NN].png`), and each of those records must have its file there.

    The screenshot the index names is held to the same: matching the hash the index gives
    (`matched`: the paths that did, with their digests by algorithm, taken as the file was read for
    that) proves nothing when the index was edited with the file. A record is also found in a
    picture of the folder whose stamp no indexed capture has (an archiver before one stamp named all
    of a capture's renders gave a page rendered beside the embed a stamp of its own).
    Captures from before these records were written have none: their other files cannot be told
    from an edited one, and are left unchecked. `digests_of` gives a capture's screenshot records'
    payload digests.
    """
    matched = matched or {}
    groups: dict[Path, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))  # folder -> stamp -> captures
    named: set[Path] = set()  # the pictures the index names
    reported: Counter[tuple[Path, str]] = Counter()  # (folder, stamp) -> named pictures already reported
    for shot in screenshots:
        if shot.capture_id is None:
            continue
        path = Path(shot.path) if Path(shot.path).is_absolute() else archive_dir / shot.path
        named.add(path)
        groups[path.parent][_shot_stamp(path.name)].add(shot.capture_id)
        if shot.path not in matched:  # missing, unreadable or changed: named by `_check_screenshot`
            reported[(path.parent, _shot_stamp(path.name))] += 1
    problems: list[Problem] = []
    for folder, stamps in sorted(groups.items()):
        if not folder.is_dir():
            continue
        pictures = [path for path in sorted(folder.iterdir()) if path.suffix == ".png"]
        strays = [path for path in pictures if _shot_stamp(path.name) not in stamps]
        knowns = {stamp: set().union(*(digests_of(c) for c in captures)) for stamp, captures in stamps.items()}
        every: set[str] = set().union(*knowns.values())
        stray_hits: dict[Path, set[str]] = {}  # each stray read once, against the folder's records
        for stamp in sorted(stamps):
            known = knowns[stamp]
            if not known:
                continue
            found: set[str] = set()  # the records a file here holds
            failed = reported[(folder, stamp)]  # named already: missing, changed
            for path in pictures:
                rel = _relative(archive_dir, path)
                if _shot_stamp(path.name) != stamp or (path in named and rel not in matched):
                    continue
                if had := matched.get(rel):
                    hits = {d for d in known if (a := _algorithm(d)) in had and digest_matches(d, had[a])}
                    if hits:  # the digest taken as it was read for the index's hash is one of the records'
                        found |= hits
                        continue
                try:
                    hits = _records_held(known, path.read_bytes())
                except OSError as e:
                    problems.append(Problem(UNREADABLE, rel, f"screenshot cannot be read ({e.strerror or e})"))
                    failed += 1
                    continue
                if not hits:
                    problems.append(Problem(DIGEST, rel, "matches none of its capture's screenshot records in the WARCs"))
                    failed += 1
                found |= hits
            for path in strays if len(known - found) > failed else ():
                found |= _held_once(path, every, stray_hits) & known
            if (lost := len(known - found) - failed) > 0:
                problems.append(Problem(MISSING, _relative(archive_dir, folder),
                                        f"{lost} picture(s) of the capture at {stamp} are in its screenshot records in "
                                        "the WARCs but not in this folder (`archiver export` carries the records)"))
        if strays and all(knowns.values()):  # every capture here has records to hold a picture to
            for path in strays:
                if not _held_once(path, every, stray_hits):
                    # Not an error: a capture cut short (a run killed) leaves its pictures unindexed.
                    log.warning("note: %s: a picture that no capture's screenshot records hold (left by a capture "
                                "cut short, or put there since); not an error", _relative(archive_dir, path))
    return problems


def _held_once(path: Path, known: set[str], held: dict[Path, set[str]]) -> set[str]:
    """`_records_held` of the file at `path` (none when it cannot be read), read once (`held` keeps it)."""
    if path not in held:
        try:
            held[path] = _records_held(known, path.read_bytes())
        except OSError:
            held[path] = set()
    return held[path]


def _records_held(known: set[str], data: bytes) -> set[str]:
    """The digests among `known` (WARC digest fields) that `data` has."""
    return {d for d in known if (h := _hashed(d, data)) is not None and digest_matches(d, h.digest())}


def _lost_from_index(seen: _Seen, journal: Journal, reindex_hint: str, where: str,
                     named: Iterable[str]) -> list[Problem]:
    """Sound records in the WARCs that the index does not hold although the journal it wrote says
    it took them in: rows lost from the index (deleted, or an older copy put back). An export would
    leave them out without a word."""
    seen.journaled(journal)
    count, first = seen.lost_from_index(named)
    if not count:
        return []
    return [Problem(INDEX, where, f"{count} record(s) of the WARC files that the index held, as its journal says, "
                                    f"are not in it (the first: {first}); {reindex_hint}")]


def _note_strays(seen: _Seen, reindex_hint: str) -> None:
    """Sound records in files the index holds records of, that it does not hold itself (nor its
    journal names: those are problems of their own)."""
    for rel, count, first in seen.strays(seen.indexed_files):
        log.warning("note: %s: %d record(s) not in the index (the first at offset %d): a run stopped between "
                    "writing them and indexing them, or they were put there since; not an error (replay tools "
                    "reading the file do serve them); %s", rel, count, first, reindex_hint)


def _note_unjournaled(seen: _Seen, where: str) -> None:
    """Indexed records tied to their captures that no journal entry in the WARCs names: the index ran
    ahead of its journal (a run stopped between the two, or the journal record was lost with the
    end of a WARC file). Not an error, but `reindex` would not tie them to their captures again."""
    count, first = seen.unjournaled()
    if count:
        log.warning("note: %s: %d record(s) the index ties to their captures are named by no journal entry in "
                    "the WARC files (the first: %s): a run stopped between writing the index and its journal, "
                    "or the journal record went with the end of a WARC file; not an error, but `archiver "
                    "reindex` would not tie them to their captures (an export of a post or an article would "
                    "leave them out)", where, count, first)


def _dangling_revisits(seen: _Seen) -> list[Problem]:
    """Indexed revisits whose original (`WARC-Refers-To`) no WARC file of the archive holds, indexed or
    not: they will not replay, and no export can carry what they stand for. One line per file."""
    problems = []
    for filename, lost, target_uri, offset, refers_to in seen.lost_revisits():
        problems.append(Problem(MISSING, f"{WARC_DIR}/{filename}", (
            f"{lost} revisit record(s) refer to records no WARC file of the archive holds (the first: "
            f"{target_uri} at offset {offset}, of {refers_to}): they will not "
            "replay; restore the WARC file that held them")))
    return problems


def _hashed(declared: str, data: bytes) -> Any:
    """`data` hashed with the algorithm `declared` names (None when none known)."""
    h = digest_hasher(declared)
    if h is not None:
        h.update(data)
    return h


def _shot_stamp(name: str) -> str:
    """The time stamp a screenshot's file name starts with (`20240304T182231.417Z-embed.png`)."""
    return name.split("-", 1)[0].removesuffix(".png")


def _check_indexed_file(warc_root: Path, filename: str, rows: Iterable[RecordRow], problems: list[Problem],
                        marked: list[TruncatedRecord], seen: _Seen) -> tuple[dict[int, int], set[int], bool]:
    """Check the indexed records of one file (`rows`, by offset); return the members found sound
    (offset -> length), the offsets of every indexed record, and whether the file could not be
    opened at all. Sound records marked WARC-Truncated are added to `marked`; every row is noted in
    `seen`."""
    rel = f"{WARC_DIR}/{filename}"
    path = warc_path(warc_root, filename)
    good: dict[int, int] = {}
    offsets: set[int] = set()
    if not path.is_file():
        seen.lost_files[filename] = IN_MISSING
        problems.append(Problem(MISSING, rel, f"WARC file is missing ({_note_all(rows, seen, IN_MISSING)} "
                                "indexed records)"))
        return good, offsets, False
    try:
        fh = path.open("rb")
    except OSError as e:
        seen.lost_files[filename] = IN_UNREADABLE
        problems.append(Problem(UNREADABLE, rel, f"cannot be opened ({e.strerror or e}); "
                                f"its {_note_all(rows, seen, IN_UNREADABLE)} indexed records were not checked"))
        return good, offsets, True
    size = os.fstat(fh.fileno()).st_size
    with fh:
        for row in rows:
            seen.note(row)
            offsets.add(row.offset)
            offset, end = row.offset, row.offset + row.length
            if end > size:
                problems.append(Problem(TRUNCATED, rel, f"record {row.record_id or '?'} at offset "
                                        f"{offset} ends at byte {end}, the file has {size}"))
                seen.lost(row, CUT_OFF)
                continue
            try:
                headers = _read_record(fh, rel, offset, row.length, row.record_id)
            except _Bad as bad:
                problems.append(_record_problem(bad, rel, offset, row.record_id))
                if bad.kind != INDEX:  # (a wrong length in the index's row: the record is sound)
                    seen.lost(row, DAMAGED_WORD)
                continue
            if (differs := _differs_from_index(row, headers)) is not None:
                problems.append(Problem(RECORD, rel, f"record {row.record_id or '?'} at offset {offset}: {differs}"))
                seen.lost(row, DAMAGED_WORD)
                continue
            good[offset] = row.length
            seen.placed(row)
            if row.capture_id is not None:
                seen.links(rel, row, headers)
                if seen.keep_lines:
                    seen.sound(row.capture_id, headers)
            if mark := _truncation(rel, offset, headers):
                marked.append(mark)
    return good, offsets, False


def _note_all(rows: Iterable[RecordRow], seen: _Seen, how: str) -> int:
    """Note every row in `seen`, each lost (`how`: its file missing or unreadable); how many there were."""
    count = 0
    for row in rows:
        seen.note(row)
        seen.lost(row, how)
        count += 1
    return count


class _Seen(Scratch):
    """What verify learns across files, kept on disk (`archiver.index.spool`): the ID of every
    record (indexed, or a sound one walked), the indexed revisits whose originals are looked for
    once every file is read, and the payload digests of the captures' screenshot records."""

    def __init__(self) -> None:
        super().__init__({"ids": ("id", "indexed"), "revisits": ("filename", '"offset"', "target_uri", "refers_to"),
                          "shots": ("capture_id", "digest"),
                          "sound": ("capture_id", "record_id", "line"),
                          "unindexed": ("id",), "journaled": ("id",), "named_lost": ("id",),
                          "lost": ("capture_id", "id", "how", "filename", "post_key"),
                          "tied": ("id", "filename", "capture_id"), "stray": ("rel", '"offset"', "id"),
                          "journal_files": ("filename",),
                          "links": ("rel", '"offset"', "id", "capture_id", "header", "target"),
                          "placed": ("id", "rel", '"offset"', "length", "indexed")})
        self.indexed_files: set[str] = set()  # the files of which the index holds records
        self.lost_files: dict[str, str] = {}  # indexed files lost whole (missing, unopenable): file -> how
        self._shots_indexed = False
        self.keep_lines = False  # the sound records' manifest lines, kept when tokens are checked

    def record_id(self, record_id: str, rel: str, offset: int, length: int) -> None:
        """A sound record walked that the index does not hold, at `[offset, offset + length)` of `rel`."""
        self.add("ids", (record_id, 0))
        self.add("unindexed", (record_id,))
        self.add("placed", (record_id, rel, offset, length, 0))

    def lost(self, row: RecordRow, how: str) -> None:
        """An indexed record that is damaged (`how`: DAMAGED_WORD) or not there to read (its WARC
        file missing or unreadable): evidence its capture lost, when the index ties it to one."""
        self.add("lost", (row.capture_id, row.record_id, how, row.filename, row.post_key))

    def lost_captures(self) -> list[tuple[int, dict[str, int], list[str]]]:
        """The captures that lost records, in order, each with how many it lost, by how, and the
        files those records were in."""
        if not self.counts["lost"]:
            return []
        out: dict[int, tuple[dict[str, int], set[str]]] = {}
        for capture_id, how, filename, count in self.query(
                "SELECT capture_id, how, filename, count(DISTINCT id) FROM lost WHERE capture_id IS NOT NULL "
                "GROUP BY capture_id, how, filename ORDER BY capture_id, how, filename"):
            hows, files = out.setdefault(int(capture_id), ({}, set()))
            hows[how] = hows.get(how, 0) + int(count)
            files.add(str(filename))
        return [(cid, hows, sorted(files)) for cid, (hows, files) in out.items()]

    def lost_unlinked(self) -> list[tuple[str, str, int, list[str]]]:
        """Per file and how, the lost records of the files the index ties no record of to a capture
        (an index without the links from records to captures there: the file was indexed by an
        archiver that wrote none, or rebuilt without the journal entries that give them): (file,
        how, how many, the posts the records name). Lost records that are no capture's in a file
        whose other records are (a failed request, a feed) are evidence of no capture: left out."""
        if not self.counts["lost"]:
            return []
        if self.counts["tied"]:
            self.execute("CREATE INDEX IF NOT EXISTS tied_filename ON tied (filename)")
        out = []
        for filename, how, count in list(self.query(
                "SELECT filename, how, count(DISTINCT id) FROM lost WHERE capture_id IS NULL "
                "AND filename NOT IN (SELECT filename FROM tied) GROUP BY filename, how ORDER BY filename, how")):
            posts = [str(key) for (key,) in self.query(
                "SELECT DISTINCT post_key FROM lost WHERE filename = ? AND how = ? AND post_key IS NOT NULL "
                "ORDER BY post_key", [filename, how])]
            out.append((str(filename), str(how), int(count), posts))
        return out

    def placed(self, row: RecordRow) -> None:
        """An indexed record found sound where the index says it is."""
        self.add("placed", (row.record_id, f"{WARC_DIR}/{row.filename}", row.offset, row.length, 1))

    def duplicates(self) -> Iterator[tuple[str, int, int, str, str, int, int, int]]:
        """Every sound record whose WARC-Record-ID another sound record has: (file, offset, length,
        ID, and the file, offset, length of the record that keeps the ID, and whether the index
        holds that one), by file and offset. The record that keeps the ID is the one the index holds,
        else the first in file name and offset order (the one `reindex` takes)."""
        if not self.counts["placed"]:
            return
        self.execute("CREATE INDEX placed_id ON placed (id)")
        yield from self.query(
            "WITH ranked AS (SELECT *, row_number() OVER (PARTITION BY id ORDER BY indexed DESC, rel, \"offset\") AS n "
            "FROM placed WHERE id IN (SELECT id FROM placed GROUP BY id HAVING count(*) > 1)) "
            'SELECT c.rel, c."offset", c.length, c.id, k.rel, k."offset", k.length, k.indexed FROM ranked c '
            'JOIN ranked k ON k.id = c.id AND k.n = 1 WHERE c.n > 1 ORDER BY c.rel, c."offset"')

    def stray(self, rel: str, offset: int, headers: StatusAndHeaders) -> None:
        """A sound record walked that the index does not hold, and that it would hold had it been
        taken in (every record but a file's `warcinfo` and the journal's own)."""
        if (headers.get_header("WARC-Type") or "") != "warcinfo" and not _is_journal(headers):
            self.add("stray", (rel, offset, headers.get_header("WARC-Record-ID") or ""))

    def strays(self, files: Collection[str]) -> list[tuple[str, int, int]]:
        """(file, how many, first offset) of the stray records in each of `files`, but those the
        journal names (the index lost them: a problem of their own, `lost_from_index`) or whose ID
        the index holds elsewhere (two records with one ID: a problem of their own, `duplicates`)."""
        if not self.counts["stray"]:
            return []
        return [(rel, int(n), int(first)) for rel, n, first in self.query(
            'SELECT rel, count(*), min("offset") FROM stray WHERE id NOT IN (SELECT id FROM journaled) '
            "AND id NOT IN (SELECT id FROM ids WHERE indexed = 1) GROUP BY rel ORDER BY rel") if rel in files]

    def journaled(self, journal: Journal) -> None:
        """The records the journal's `records` entries name: the index held each once."""
        import json

        entries = journal.entries() if isinstance(journal, Spool) else journal
        files: set[str] = set()
        for entry in entries:
            files.add(entry.filename)
            if entry.kind == "records":
                try:
                    ids = json.loads(entry.raw).get("record_ids") or []
                except (ValueError, AttributeError):
                    continue  # (an unreadable entry is the journal check's to name)
                for record_id in ids:
                    self.add("journaled", (str(record_id),))
        for filename in files:
            self.add("journal_files", (filename,))

    def lost_from_index(self, named: Iterable[str] = ()) -> tuple[int, str | None]:
        """How many walked records the index does not hold although its journal named them, and the
        first; records `named` (in a problem of their own) left out, and records whose ID the index
        holds elsewhere (two records with one ID: `duplicates`)."""
        if not (self.counts["unindexed"] and self.counts["journaled"]):
            return 0, None
        for record_id in named:
            self.add("named_lost", (record_id,))
        self.execute("CREATE INDEX IF NOT EXISTS journaled_id ON journaled (id)")
        count, first = next(self.query(
            "SELECT count(DISTINCT id), min(id) FROM unindexed WHERE id IN (SELECT id FROM journaled) "
            "AND id NOT IN (SELECT id FROM named_lost) AND id NOT IN (SELECT id FROM ids WHERE indexed = 1)"))
        return int(count), first

    def unjournaled(self) -> tuple[int, str | None]:
        """How many indexed records tied to a capture no journal `records` entry names, and the
        first; only in files that hold journal entries (a file written before the index was
        journaled holds none, and its records none name)."""
        if not (self.counts["tied"] and self.counts["journaled"]):
            return 0, None
        self.execute("CREATE INDEX IF NOT EXISTS journaled_id ON journaled (id)")
        count, first = next(self.query(
            "SELECT count(DISTINCT id), min(id) FROM tied WHERE id NOT IN (SELECT id FROM journaled) "
            "AND filename IN (SELECT filename FROM journal_files)"))
        return int(count), first

    def note(self, row: RecordRow) -> None:
        """An indexed record: its ID, and what it is to the checks made at the end."""
        self.add("ids", (row.record_id, 1))
        if row.capture_id is not None:
            self.add("tied", (row.record_id, row.filename, row.capture_id))
        if row.warc_type == "revisit" and row.extra.get("WARC-Refers-To"):
            self.add("revisits", (row.filename, row.offset, row.target_uri, row.extra["WARC-Refers-To"]))
        elif (row.capture_id is not None and row.warc_type == "resource" and row.payload_digest
                and row.target_uri.startswith("urn:screenshot:")):
            self.add("shots", (row.capture_id, row.payload_digest))

    def links(self, rel: str, row: RecordRow, headers: StatusAndHeaders) -> None:
        """The records a sound indexed record of a capture names as its own capture's in its headers
        (`WARC-Concurrent-To`: a request's response, a screenshot's or capture-info's page;
        `WARC-Page-ID`: the page of an exchange the page made)."""
        for name, value in headers.headers:
            header = next((h for h in CAPTURE_LINKS if h.lower() == name.strip().lower()), None)
            if header is not None and value.strip():
                self.add("links", (rel, row.offset, row.record_id, row.capture_id, header, value.strip()))

    def linked_elsewhere(self) -> Iterator[tuple[str, int, str, int, str, str, int | None, bool]]:
        """(file, offset, record ID, its capture, header, the record it names, that record's capture,
        and whether the index holds that record) of every link `links` took that leads out of the
        record's own capture: to another capture's record, to a record the index holds as no
        capture's, or to a record no WARC file of the archive holds; by file and offset."""
        if not self.counts["links"]:
            return
        self.execute("CREATE INDEX IF NOT EXISTS tied_id ON tied (id)")
        self.execute("CREATE INDEX IF NOT EXISTS ids_id ON ids (id)")
        for rel, offset, record_id, capture, header, target, theirs, held in self.query(
                'SELECT l.rel, l."offset", l.id, l.capture_id, l.header, l.target, '
                "(SELECT t.capture_id FROM tied t WHERE t.id = l.target LIMIT 1) AS theirs, "
                "EXISTS (SELECT 1 FROM ids WHERE ids.id = l.target AND ids.indexed = 1) AS held FROM links l "
                "WHERE theirs IS NOT NULL AND theirs != l.capture_id OR theirs IS NULL AND (held "
                'OR l.target NOT IN (SELECT id FROM ids)) ORDER BY l.rel, l."offset", l.header'):
            yield rel, offset, record_id, capture, header, target, theirs, bool(held)

    def sound(self, capture_id: int, headers: StatusAndHeaders) -> None:
        """A capture's indexed record found sound: its manifest line, from its own headers."""
        entry = ManifestEntry.of(headers)
        self.add("sound", (capture_id, entry.record_id, entry.line()))

    def stamped_captures(self) -> list[int]:
        """The captures with a sound record, in order."""
        if not self.counts["sound"]:
            return []
        self.execute("CREATE INDEX sound_capture ON sound (capture_id, record_id)")
        return [cid for (cid,) in self.query("SELECT DISTINCT capture_id FROM sound ORDER BY capture_id")]

    def sound_lines(self, capture_id: int) -> dict[str, str]:
        """Record ID -> manifest line of the capture's sound records."""
        return dict(self.query("SELECT record_id, line FROM sound WHERE capture_id = ?", [capture_id]))

    def lost_revisits(self) -> list[tuple[str, int, str, int, str]]:
        """Per file (in name order), the revisits whose original no record holds: (file, how many,
        and the first's target URI, offset and original's ID)."""
        if not self.counts["revisits"]:
            return []
        self.execute("CREATE INDEX IF NOT EXISTS ids_id ON ids (id)")
        lost = 'FROM revisits WHERE refers_to NOT IN (SELECT id FROM ids)'
        out = []
        for filename, count, first in list(self.query(f'SELECT filename, count(*), min("offset") {lost} '
                                                      "GROUP BY filename ORDER BY filename")):
            target_uri, refers_to = next(self.query(f'SELECT target_uri, refers_to {lost} AND filename = ? '
                                                    'AND "offset" = ?', [filename, first]))
            out.append((filename, count, target_uri, first, refers_to))
        return out

    def screenshot_digests(self, capture_id: int) -> set[str]:
        if not self._shots_indexed:
            self.execute("CREATE INDEX shots_capture ON shots (capture_id)")
            self._shots_indexed = True
        return {digest for (digest,) in self.query("SELECT digest FROM shots WHERE capture_id = ?", [capture_id])}


def _check_stamps(seen: _Seen, stamps: Callable[[Sequence[int]], Sequence[CaptureStamp]],
                  names: Callable[[Sequence[int]], Mapping[int, CaptureName]] | None = None) -> list[Problem]:
    """The problems of the captures' timestamp tokens (see the module's docstring); a token that
    checks without a CA at hand to say whose it is, is no problem."""
    from archiver.errors import TokenInvalid, TokenUnanchored
    from archiver.evidence import tsa
    from archiver.evidence.verify_wacz import not_when_made

    captures = seen.stamped_captures()
    failed: list[tuple[CaptureStamp, str]] = []  # named once all are checked, the captures all at once
    for start in range(0, len(captures), 500):
        for stamp in stamps(captures[start:start + 500]):
            if not stamp.token:
                continue  # a request that brought no token: the run named it
            shown = redact_endpoint(stamp.tsa)

            def fail(detail: str, stamp: CaptureStamp = stamp, shown: str = shown) -> None:
                failed.append((stamp, f"its timestamp by {shown} {detail}"))

            if digest_of(stamp.manifest) != stamp.digest:
                fail("is over a manifest that is not the one kept with it (their digests differ)")
                continue
            try:
                der = base64.b64decode(stamp.token)
                made = tsa.check_token(der, message=stamp.manifest.encode("utf-8")).time
            except TokenUnanchored:
                made = tsa.parse_token(der).time  # sound, whoever signed it: verify X.wacz --ca-bundle says who
            except (TokenInvalid, ValueError) as e:
                fail(f"does not check: {e}")
                continue
            # A token made long after the capture stamps records as they were then (changed, their
            # manifest made again and stamped anew): no proof of what was captured; one made long
            # before the records' dates proves nothing of those dates.
            if late := not_when_made(stamp.manifest, stamp.captured_at)(made):
                fail(f"is {late}")
                continue
            try:
                entries = parse_manifest(stamp.manifest)
            except ValueError as e:
                fail(f"is over a manifest that cannot be read: {e}")
                continue
            held = seen.sound_lines(stamp.capture_id)
            for entry in entries:
                line = held.get(entry.record_id)
                if line is not None and entry.payload_digest is None:  # a first-version manifest
                    line = line.rsplit("\t", 1)[0] + "\t-"
                if line != entry.line():
                    fail(f"covers record {entry.record_id}, which " + (
                        "is not among the capture's sound records" if line is None
                        else "now has other headers than those stamped"))
                    break
    if names is not None:
        name = _capture_namer(names, [stamp.capture_id for stamp, _ in failed])
        return [Problem(STAMP, name(stamp.capture_id), detail) for stamp, detail in failed]
    return [Problem(STAMP, f"capture {stamp.capture_id} ({stamp.post_key or stamp.article_url or stamp.capture_url})",
                    detail) for stamp, detail in failed]


def _differs_from_index(row: RecordRow, headers: StatusAndHeaders) -> str | None:
    """What the index says of a record that its WARC headers do not (its type, target URI, payload
    digest, date), or None when they agree: an index edited or damaged would otherwise send export,
    show and replay to a record that is not the one it names, and a record whose WARC-Date was
    rewritten in place (its digests cover its block, not its headers) would carry the new date
    into every export's CDXJ and every replay."""
    said = [f"the index says {header} {indexed}, the record says {written}"
            for header, indexed in (("WARC-Type", row.warc_type), ("WARC-Target-URI", row.target_uri),
                                    ("WARC-Payload-Digest", row.payload_digest), ("WARC-Date", row.date))
            if indexed is not None and (written := headers.get_header(header)) is not None and indexed != written]
    return "; ".join(said) or None


def verify_archive(archive_dir: Path, records: Iterable[RecordRow],
                   screenshots: Iterable[StoredFile], *, whole_index: bool = False,
                   index_present: bool = True, truncated: list[TruncatedRecord] | None = None,
                   journal: Journal | None = None, reindex_hint: str = REINDEX_FORCE_HINT,
                   stamps: Callable[[Sequence[int]], Sequence[CaptureStamp]] | None = None,
                   where: str = "archive.db", named_lost: Iterable[str] = (),
                   names: Callable[[Sequence[int]], Mapping[int, CaptureName]] | None = None,
                   in_files: Callable[[Sequence[str]], Mapping[str, Sequence[int]]] | None = None,
                   lost: LostEvidence | None = None) -> list[Problem]:
    """Every problem found with the indexed records, the WARC files and the screenshots, and with
    the timestamps `stamps` gives for the captures of those records (`ArchiveIndex.capture_stamps`).
    `where` names the index in what is said of it; `named_lost`: records the index lost that the
    caller names in problems of their own (a capture's page record), not counted again. `names`
    (`IndexQueries.capture_names`) says what each capture named in a problem is: its post or
    article, URL, time, WARC file and page record (without it, a capture is named by its row id).
    `in_files` (`IndexQueries.captures_in_files`) gives the captures of a lost WARC file whose
    records the index ties to none; `lost`, when given, takes every capture that lost evidence
    (the log names the first NOTED_LOST).

    Sound records marked WARC-Truncated are no problem: they are noted on the log and, in file and
    offset order, added to `truncated` when it is given. The index's journal entries read on the
    way are added to `journal` when it is given (`journalcheck` compares them with the index).
    `records` are best given by file and offset (as `all_records` gives them): a list is sorted.

    With `whole_index` (the records are all the index holds), WARC files none of whose records is
    indexed are named too. Without a usable index they are problems (the index was lost or
    emptied). Beside a present index they are only noted: a run killed between writing records and
    indexing them leaves such records (the index is the commit point, so they were never part of
    the archive's state), and so does a WARC copied in from elsewhere; `reindex --force` takes them in.
    """
    archive_dir = Path(archive_dir)
    if isinstance(records, Sequence):
        records = sorted(records, key=lambda r: (r.filename, r.offset))
    marked: list[TruncatedRecord] = []
    with _Seen() as seen:
        seen.keep_lines = stamps is not None
        problems = _verify(archive_dir, records, seen, whole_index=whole_index, index_present=index_present,
                           journal=journal, marked=marked, reindex_hint=reindex_hint, names=names)
        screenshots = list(screenshots)
        matched: dict[str, dict[str, bytes]] = {}  # the screenshots whose bytes are the ones the index says
        for shot in screenshots:
            digests: dict[str, bytes] = {}
            also = ({_algorithm(d) for d in seen.screenshot_digests(shot.capture_id)}
                    if shot.capture_id is not None else ())
            if problem := _check_screenshot(archive_dir, shot, digests, also):
                problems.append(problem)
            else:
                matched[shot.path] = digests
        problems += _check_other_shots(archive_dir, screenshots, seen.screenshot_digests, matched)
        if stamps is not None:
            problems += _check_stamps(seen, stamps, names)
        if journal is not None and whole_index and index_present:
            problems += _lost_from_index(seen, journal, reindex_hint, where, named_lost)
            _note_unjournaled(seen, where)
        if whole_index and index_present:
            _note_strays(seen, reindex_hint)
        lost_lines = _lost_evidence(seen, names, in_files, lost)
    for p in problems:
        log.warning("%s", p)
    for line in lost_lines:
        log.warning("%s", line)
    marked.sort(key=lambda m: (m.path, m.offset))
    _note_truncated(marked)
    if truncated is not None:
        truncated += marked
    return problems


def _verify(archive_dir: Path, records: Iterable[RecordRow], seen: _Seen, *, whole_index: bool,
            index_present: bool, journal: Journal | None, marked: list[TruncatedRecord],
            reindex_hint: str = REINDEX_FORCE_HINT,
            names: Callable[[Sequence[int]], Mapping[int, CaptureName]] | None = None) -> list[Problem]:
    """The WARC side of `verify_archive`: each file's indexed records (taken file by file, by offset,
    as `all_records` gives them: a file's records are held at once, never the archive's), then the
    file walked; then the files no record is indexed in; then the revisits' originals."""
    warc_root = archive_dir / WARC_DIR
    files = sorted(p for p in warc_root.rglob("*") if p.is_file()) if warc_root.is_dir() else []
    on_disk = {f"{WARC_DIR}/{path.relative_to(warc_root)}": path for path in files}
    checked: list[Problem] = []  # the indexed records' problems
    walked: list[Problem] = []  # the walks' problems
    done: set[str] = set()  # files walked, or that could not be opened (named once, not walked again)
    indexed_files: set[str] = set()
    for filename, rows in groupby(records, key=attrgetter("filename")):
        indexed_files.add(filename)
        rel = f"{WARC_DIR}/{filename}"
        good, offsets, unopened = _check_indexed_file(warc_root, filename, rows, checked, marked, seen)
        if unopened:
            done.add(rel)
        elif rel in on_disk and rel not in done:
            done.add(rel)
            walked += _walk(on_disk[rel], rel, offsets, good, marked, seen, journal)
    for rel, path in on_disk.items():
        if rel not in done:
            walked += _walk(path, rel, set(), {}, marked, seen, journal)
    # Each list by file (a file's own problems in the order found), as the files are named.
    problems = sorted(checked, key=attrgetter("path")) + sorted(walked, key=attrgetter("path"))
    if whole_index:
        if index_present:
            # Beside a healthy index `reindex` asks for --force: the hint says so.
            for note in _unindexed_files(warc_root, indexed_files, hint=reindex_hint):
                log.warning("note: %s: %s (not in the index; not an error)", note.path, note.detail)
            seen.indexed_files = {f"{WARC_DIR}/{f}" for f in indexed_files}
        else:
            problems += _unindexed_files(warc_root, indexed_files)
    dangling = _dangling_revisits(seen)
    linked, unheld = _linked_elsewhere(seen, names, reindex_hint)
    problems += linked + _duplicates(warc_root, seen)
    if being_written(archive_dir):
        # A file still being written is not walked: the originals may be in it, not yet indexed.
        for note in dangling + unheld:
            log.warning("note: %s: %s (a WARC file is still being written: they may be in it)", note.path, note.detail)
    else:
        problems += dangling + unheld
    return problems


@dataclass(frozen=True)
class LostCapture:
    """A capture whose evidence is damaged or gone, and what it was evidence of: its post (key and
    address) or article (URL), how and when it was captured, its WARC file (`warc`, its page
    record's), the files its lost records were in, and how many it lost, by how (`records`; empty
    when `known_by` is "warc_file": the index ties none of the lost file's records to a capture, so
    the capture is known only by the WARC file it names)."""

    capture_id: int
    post: str | None
    post_url: str | None
    article: str | None
    source: str | None
    url: str | None
    captured_at: str | None
    warc: str | None
    files: tuple[str, ...]
    records: dict[str, int]
    known_by: str = "records"


@dataclass(frozen=True)
class UnlinkedLoss:
    """Lost records of a WARC file whose records the index ties to no capture: how many, how they
    were lost, and the posts they name (when the index knows that much): whose captures they were
    the index cannot tell."""

    path: str
    how: str
    records: int
    posts: tuple[str, ...] = ()


@dataclass
class LostEvidence:
    """What verify's damage cost, for a machine: every capture that lost evidence, and the lost
    records the index cannot place in a capture."""

    captures: list[LostCapture] = field(default_factory=list)
    unlinked: list[UnlinkedLoss] = field(default_factory=list)


def _lost_evidence(seen: _Seen, names: Callable[[Sequence[int]], Mapping[int, CaptureName]] | None,
                   in_files: Callable[[Sequence[str]], Mapping[str, Sequence[int]]] | None = None,
                   into: LostEvidence | None = None) -> list[str]:
    """The lines that close verify's list of problems with what they cost: each capture that lost
    records (damaged, or not there to read), by what it captured (its post or article, URL, time,
    page record), up to NOTED_LOST of them; then the posts and articles concerned, so that a reader
    of hundreds of damaged records learns whose evidence is gone. Every such capture goes to `into`
    when it is given. None without `names` (no index to say what a capture is) or without such a
    record.

    Where the index ties none of a lost file's records to a capture (an older archive, or an index
    rebuilt without the journal entries that tie them), the captures whose WARC file it is
    (`in_files`) stand for them when the whole file is lost; else the lines say plainly that the
    index cannot tell which captures lost evidence there."""
    if names is None:
        return []
    captures: list[tuple[int, dict[str, int], list[str], str]] = [
        (cid, hows, files, "records") for cid, hows, files in seen.lost_captures()]
    unlinked = seen.lost_unlinked()
    whole = sorted({f for f, how, _n, _p in unlinked if seen.lost_files.get(f) == how})
    by_file = dict(in_files(whole)) if in_files is not None and whole else {}
    known = {cid for cid, *_ in captures}
    placed: set[str] = set()
    for filename in whole:
        for cid in by_file.get(filename, ()):
            placed.add(filename)
            if cid not in known:
                known.add(cid)
                captures.append((cid, {}, [filename], "warc_file"))
    unplaced = [u for u in unlinked if u[0] not in placed]
    if not captures and not unplaced:
        return []
    posts: dict[str, None] = {}
    articles: dict[str, None] = {}
    named: dict[int, CaptureName] = {}
    for start in range(0, len(captures), 500):
        found = names([cid for cid, *_ in captures[start:start + 500]])
        named.update(found)
        for name in found.values():
            if name.post_key is not None:
                posts.setdefault(name.post_key)
            elif name.article_url is not None:
                articles.setdefault(name.article_url)
    if into is not None:
        for capture_id, hows, files, known_by in captures:
            name = named.get(capture_id, CaptureName(capture_id, held=False))
            into.captures.append(LostCapture(
                capture_id, name.post_key, name.post_url, name.article_url, name.source, name.url, name.captured_at,
                name.warc, tuple(f"{WARC_DIR}/{f}" for f in files), dict(hows), known_by))
        into.unlinked += [UnlinkedLoss(f"{WARC_DIR}/{f}", how, count, tuple(keys)) for f, how, count, keys in unplaced]
    lines = []
    for capture_id, hows, files, known_by in captures[:NOTED_LOST]:
        what = str(named[capture_id]) if capture_id in named else f"capture {capture_id}"
        if known_by == "warc_file":
            said = (f"its WARC file {WARC_DIR}/{files[0]} is {'missing' if seen.lost_files[files[0]] == IN_MISSING else 'unreadable'} "
                    "(the index ties none of that file's records to a capture: known by the WARC file it names)")
        else:
            said = ", ".join(f"{count} {how}" for how, count in sorted(hows.items())).replace(" ", " record(s) ", 1)
        lines.append(f"evidence lost: {what}: {said}")
    if len(captures) > NOTED_LOST:
        lines.append(f"evidence lost: ... and {len(captures) - NOTED_LOST} more capture(s) "
                     "(`archiver verify --format json` lists them all)")
    for filename, how, count, keys in unplaced:
        of = f"; they name {listed_of(keys, 'post', 'posts')}" if keys else ""
        lines.append(f"evidence lost: {count} record(s) {how} ({WARC_DIR}/{filename}), none of which the index ties "
                     f"to a capture: it cannot tell which captures lost evidence there{of} (an index rebuilt "
                     "without the journal entries tying records to captures, or written by an older archiver)")
    if not captures:
        return lines

    whose = [listed_of(list(keys), one, many) for keys, one, many in ((posts, "post", "posts"),
                                                                     (articles, "article", "articles")) if keys]
    # A capture known by its WARC file has no count of its own: its file's lost records are counted whole.
    records = (sum(sum(hows.values()) for _, hows, *_ in captures)
               + sum(count for filename, _how, count, _keys in unlinked if filename in placed))
    whole_files = (f" (the {len(placed)} lost WARC file(s) whose records the index ties to no capture counted "
                   "whole)" if placed else "")
    lines.append(f"evidence lost in all: {records} record(s){whole_files} of {len(captures)} capture(s)"
                 + (f", of {' and '.join(whose)}" if whose else "")
                 + ": `archiver show KEY` lists a post's captures; a capture of it that is whole, or the post "
                   "captured again, stands for the one lost")
    return lines


def listed_of(keys: Sequence[str], one: str, many: str) -> str:
    """`3 posts (a, b, c)`: how many, and the first NOTED_KEYS of them."""
    shown = list(keys)[:NOTED_KEYS]
    more = f" and {len(keys) - NOTED_KEYS} more" if len(keys) > NOTED_KEYS else ""
    return f"{len(keys)} {one if len(keys) == 1 else many} ({', '.join(shown)}{more})"


def _duplicates(warc_root: Path, seen: _Seen) -> list[Problem]:
    """Records that share their WARC-Record-ID with another (a record appended twice, a file
    concatenated with a copy of itself): one problem per file, naming the first and how many. Replay
    tools cannot tell such records apart, `reindex` takes the first of them (and says so), an export
    carries the one the index holds."""
    found: dict[str, tuple[int, tuple[int, int, str, str, int, int, int]]] = {}
    for rel, offset, length, record_id, kept_rel, kept_offset, kept_length, indexed in seen.duplicates():
        count, first = found.get(rel, (0, (offset, length, record_id, kept_rel, kept_offset, kept_length, indexed)))
        found[rel] = (count + 1, first)
    problems = []
    for rel, (count, (offset, length, record_id, kept_rel, kept_offset, kept_length, indexed)) in found.items():
        other = f"the record at offset {kept_offset}" + (f" of {kept_rel}" if kept_rel != rel else "")
        held = "which the index holds" if indexed else "which the index does not hold either"
        copy = _same_bytes(warc_root, (rel, offset, length), (kept_rel, kept_offset, kept_length))
        what = (f"record {record_id} at offset {offset} has the WARC-Record-ID of {other}, {held}: two records with "
                f"one ID, which replay tools cannot tell apart; this one "
                + ("is a byte-for-byte copy of it" if copy else "holds other bytes than it")
                + (" (an export carries the one the index holds)" if indexed else ""))
        problems.append(Problem(RECORD, rel, what if count == 1 else
                                f"{count} records have the WARC-Record-ID of another record; the first: {what}"))
    return problems


def _same_bytes(warc_root: Path, one: tuple[str, int, int], other: tuple[str, int, int]) -> bool:
    """Whether two stretches (file under the archive, offset, length) of the WARC files hold the same bytes."""
    if one[2] != other[2]:
        return False
    try:
        with (warc_path(warc_root, one[0].removeprefix(f"{WARC_DIR}/")).open("rb") as a,
              warc_path(warc_root, other[0].removeprefix(f"{WARC_DIR}/")).open("rb") as b):
            a.seek(one[1])
            b.seek(other[1])
            remaining = one[2]
            while remaining:
                chunk = a.read(min(BUF, remaining))
                if not chunk or chunk != b.read(len(chunk)):
                    return False
                remaining -= len(chunk)
    except OSError:
        return False
    return True


def _capture_namer(names: Callable[[Sequence[int]], Mapping[int, CaptureName]] | None,
                   ids: Iterable[int]) -> Callable[[int], str]:
    """How a problem names each of the captures `ids`: what `names` says of it (its post or
    article, URL, time, WARC file and page record), else its row id."""
    known = dict(names(sorted(set(ids)))) if names is not None else {}
    return lambda capture_id: str(known[capture_id]) if capture_id in known else f"capture {capture_id}"


def _linked_elsewhere(seen: _Seen, names: Callable[[Sequence[int]], Mapping[int, CaptureName]] | None = None,
                      reindex_hint: str = REINDEX_FORCE_HINT) -> tuple[list[Problem], list[Problem]]:
    """The indexed records of a capture whose headers tie them to another capture than the one the
    index ties them to (a screenshot pointed at another capture's page: an export would show it
    as that capture's), or to a record the index holds as no capture's (an export of the capture
    would leave it out), and those whose headers name a record no WARC file of the archive holds."""
    elsewhere: list[Problem] = []
    unheld: list[Problem] = []
    # The journal in the WARCs ties a capture's records together: a rebuilt index ties them again.
    rebuild = REBUILD_HINT if reindex_hint == REINDEX_FORCE_HINT else reindex_hint
    found = list(seen.linked_elsewhere())
    name = _capture_namer(names, [c for row in found for c in (row[3], row[6]) if c is not None])
    for rel, offset, record_id, capture, header, target, theirs, held in found:
        where = f"record {record_id} at offset {offset}: its {header} names {target}, "
        if theirs is not None:
            elsewhere.append(Problem(RECORD, rel, where + f"a record of {name(theirs)}, but the index ties this "
                                                          f"record to {name(capture)}"))
        elif held:
            elsewhere.append(Problem(RECORD, rel, where + "a record the index holds but ties to no capture, while it "
                                                          f"ties this record to {name(capture)}: the two records of "
                                                          "one capture are not one capture's in the index (an export "
                                                          f"of it would leave that record out); {rebuild}"))
        else:
            unheld.append(Problem(RECORD, rel, where + f"which no WARC file of the archive holds (the index ties the "
                                                       f"record to {name(capture)})"))
    return elsewhere, unheld


def _walk(path: Path, rel: str, offsets: set[int], good: dict[int, int], marked: list[TruncatedRecord],
          seen: _Seen, journal: Journal | None) -> list[Problem]:
    """Walk one file under warcs/ (see `_walk_gzip_file`); files that are no WARC are only opened."""
    if not os.access(path, os.R_OK):
        return [Problem(UNREADABLE, rel, "cannot be opened (permission denied)")]
    if path.name.endswith(".warc.gz"):
        return _walk_gzip_file(path, rel, offsets, good, marked, seen, journal)
    if path.name.endswith(".warc"):
        return _walk_plain_file(path, rel, offsets, marked, seen, journal)
    return []


def being_written(archive_dir: Path) -> bool:
    """Whether a WARC file of the archive is still being written (`.open`): the walk leaves it
    unread, so what it holds (originals of revisits, journal entries) may explain a difference."""
    warc_root = Path(archive_dir) / WARC_DIR
    return warc_root.is_dir() and any(warc_root.rglob(f"*{OPEN_SUFFIX}"))


def _note_truncated(marked: list[TruncatedRecord]) -> None:
    """Name the records marked WARC-Truncated on the log: each one, or past NOTED_TRUNCATED, how
    many and the first few."""
    why = "partial as recorded; not an error"
    if len(marked) <= NOTED_TRUNCATED:
        for mark in marked:
            log.warning("note: %s (%s)", mark, why)
        return
    log.warning("note: %d records are marked WARC-Truncated (%s); the first %d:", len(marked), why, NOTED_TRUNCATED)
    for mark in marked[:NOTED_TRUNCATED]:
        log.warning("note: %s", mark)
    log.warning("note: ... and %d more (`archiver verify --format json` lists them all)",
                len(marked) - NOTED_TRUNCATED)


def _content_records(path: Path) -> int:
    """How many records of the file an index would hold (not its warcinfo, not the index's journal)."""
    from archiver.index.journal import is_journal_record

    count = 0
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh, check_digests=False)
            for rec in it:
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                if rec.rec_type != "warcinfo" and not is_journal_record(rec.rec_type, uri):
                    count += 1
                it.read_to_end(rec)
    except Exception:  # reported by the walk
        pass
    return count


def _unindexed_files(warc_root: Path, indexed_files: set[str], hint: str = REINDEX_HINT) -> list[Problem]:
    """WARC files none of whose records is indexed: the index was lost, emptied or replaced."""
    problems: list[Problem] = []
    if not warc_root.is_dir():
        return problems
    for path in sorted([*warc_root.glob("*.warc.gz"), *warc_root.glob("*.warc")]):
        if path.name in indexed_files:
            continue
        if count := _content_records(path):
            problems.append(Problem(UNINDEXED, f"{WARC_DIR}/{path.name}",
                                    f"{count} records, none of them in the index: {hint}"))
    return problems


def index_absent(archive_dir: Path) -> str | None:
    """Why the archive's index cannot be used at all (missing or empty) while WARCs exist; else None."""
    from archiver.index import index_unusable

    warcs = Path(archive_dir) / WARC_DIR
    has_warcs = warcs.is_dir() and any(warcs.glob("*.warc*"))
    return index_unusable(archive_dir) if has_warcs else None


def verify_without_index(archive_dir: Path, *, truncated: list[TruncatedRecord] | None = None,
                         ) -> tuple[list[Problem], str]:
    """Walk every WARC file of an archive whose index is missing or empty: they are all unindexed.
    Records marked WARC-Truncated are noted, and added to `truncated` when it is given."""
    from archiver.index import index_name

    name = index_name(archive_dir)
    reason = index_absent(archive_dir) or f"{name} cannot be used"
    problems = [Problem(UNINDEXED, name, f"{reason}: the WARC files are not indexed; {REINDEX_HINT}")]
    problems += verify_archive(archive_dir, [], [], whole_index=True, index_present=False, truncated=truncated)
    return problems, "WARC files walked without an index"
