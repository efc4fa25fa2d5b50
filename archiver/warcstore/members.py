"""Walking a WARC file gzip member by gzip member.

The store writes every record as its own gzip member, so a member's offset and compressed length
are the record's address in the index. Whoever must know whether a file splits into whole members
(verify, crash recovery) walks it here instead of through warcio's iterator, which quietly accepts
a file cut off inside its last member. Inflating is bounded per call in input and output, since one
member may hold a large video.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Protocol

GZIP_MAGIC = b"\x1f\x8b"
STEP = 1 << 16  # compressed bytes read per call: a walk re-reads what follows a member's end
BUF = 1 << 20  # inflated bytes produced per call
SPOOL_IN_MEMORY = 16 * 1024 * 1024
HEAD = 64  # inflated bytes kept in Member.head: enough for the `WARC/1.1` line
ENDS_INSIDE = "file ends inside the gzip member"  # MemberError.reason of a member cut short


class BinarySink(Protocol):
    """Anything inflated bytes can be written to (a spool file, a buffer)."""

    def write(self, data: bytes, /) -> int: ...


class MemberError(Exception):
    """The bytes at `offset` are not one whole gzip member; `reason` says what is wrong."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason


@dataclass
class Member:
    """One whole gzip member of a file: where it starts, its compressed length, what it inflates to.

    `spool` holds the inflated record (rewound), when the walk was asked to keep it; it is only
    valid until the walk moves on. `head` is its first bytes either way.
    """

    offset: int
    length: int
    head: bytes
    spool: IO[bytes] | None = None


class _Head:
    """A sink that keeps only the first HEAD bytes."""

    def __init__(self, inner: BinarySink | None) -> None:
        self.inner = inner
        self.data = b""

    def write(self, data: bytes, /) -> int:
        if len(self.data) < HEAD:
            self.data += data[: HEAD - len(self.data)]
        if self.inner is not None:
            self.inner.write(data)
        return len(data)


def starts_member(fh: IO[bytes], offset: int) -> bool:
    """Whether a gzip member (its magic bytes) starts at `offset`."""
    fh.seek(offset)
    return fh.read(2) == GZIP_MAGIC


def inflate_member(fh: IO[bytes], offset: int, sink: BinarySink | None = None, *,
                   length: int | None = None) -> int:
    """Inflate the gzip member at `offset` into `sink`; return its compressed length.

    With `length` (an indexed length) the member must end exactly there; without, the member's
    own end is found. Raises MemberError when the bytes are not one whole member.
    """
    fh.seek(offset)
    magic = fh.read(len(GZIP_MAGIC))
    if magic != GZIP_MAGIC:
        if not magic:  # an offset an index names in a file since cut shorter
            raise MemberError(offset, "lies at or past the file's end")
        if GZIP_MAGIC.startswith(magic):  # cut off inside the magic bytes themselves
            raise MemberError(offset, ENDS_INSIDE)
        raise MemberError(offset, "does not start a gzip member")
    fh.seek(offset)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    consumed = 0
    try:
        while not inflater.eof:
            want = STEP if length is None else min(STEP, length - consumed)
            chunk = fh.read(want) if want else b""
            if not chunk:
                if length is not None and consumed == length:
                    raise MemberError(offset, "gzip member is incomplete")
                raise MemberError(offset, ENDS_INSIDE)
            consumed += len(chunk)
            out = inflater.decompress(chunk, BUF)
            while True:
                if sink is not None:
                    sink.write(out)
                if not inflater.unconsumed_tail or inflater.eof:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, BUF)
    except zlib.error as e:
        raise MemberError(offset, f"does not decompress ({e})") from None
    member_length = consumed - len(inflater.unused_data)
    if length is not None and member_length != length:
        raise MemberError(offset, "gzip member ends before the indexed length")
    return member_length


def member_head(fh: IO[bytes], offset: int) -> bytes:
    """The first HEAD inflated bytes of the whole gzip member at `offset` (MemberError otherwise)."""
    head = _Head(None)
    inflate_member(fh, offset, head)
    return head.data


def next_record_member(fh: IO[bytes], after: int) -> int | None:
    """The offset of the first whole gzip member past `after` that holds a WARC record (in a WARC
    file of one member a record, what follows damage); None when there is none."""
    at = after
    while True:
        fh.seek(at + 1)
        window = fh.read(1 << 20)
        found = window.find(GZIP_MAGIC + b"\x08")
        if found < 0:
            if len(window) < 1 << 20:
                return None  # the file's end
            at += len(window) - 2  # the magic may straddle two windows
            continue
        at += 1 + found
        try:
            if member_head(fh, at).startswith(b"WARC/"):
                return at
        except MemberError:
            continue


def walk_members(fh: IO[bytes], *, skip: Mapping[int, int] | None = None,
                 spool: bool = True, start: int = 0) -> Iterator[Member]:
    """Every gzip member of an open file, in order, from `start` (a member's offset) to its end.

    Members at the offsets in `skip` (offset -> length, already known to be sound) are stepped
    over unread and not yielded. With `spool`, each member's inflated record is kept in
    `Member.spool` (in memory up to 16 MiB, then on disk). A damaged tail ends the walk with
    MemberError at the first offset where the file no longer splits into whole members; every
    member yielded before it is whole.
    """
    skip = skip or {}
    size = fh.seek(0, 2)
    pos = start
    while pos < size:
        if pos in skip:
            pos += skip[pos]
            continue
        if spool:
            with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as held:
                head = _Head(held)
                length = inflate_member(fh, pos, head)
                held.seek(0)
                yield Member(pos, length, head.data, held)  # type: ignore[arg-type]
        else:
            head = _Head(None)
            length = inflate_member(fh, pos, head)
            yield Member(pos, length, head.data)
        pos += length
