"""A ZipNum index: sorted CDXJ lines cut into gzip blocks, and a small index of the blocks.

A replay tool reading a large WACZ loads only the block index (`index.idx`) up front, finds by
binary search the block whose first key is at or before the URL it wants, and reads that one
gzip member of `index.cdx.gz` by its offset and length. The layout is py-wacz's and
cdxj-indexer's (`--compress`), which ReplayWeb.page reads:

    indexes/index.idx      !meta 0 {"format": "cdxj-gzip-1.0", "filename": "index.cdx.gz"}
                           <key> <timestamp> {"offset": N, "length": N, "digest": "sha256:<hex>"}
                           ... one line per block: its first line's key and timestamp
    indexes/index.cdx.gz   the blocks, each a complete gzip member of BLOCK_LINES lines, back to back

Each block's sha256 lets the reader check the member it fetched. Concatenated gzip members are a
valid gzip stream, so tools that read the whole `.cdx.gz` at once (pywb's `wb-manager add
--unpack-wacz`) see the plain CDXJ.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

FORMAT = "cdxj-gzip-1.0"
BLOCK_LINES = 1024  # py-wacz's block size (`DEFAULT_NUM_LINES`)


@dataclass(frozen=True)
class ZipNum:
    """The two files of a ZipNum index."""

    idx: bytes  # indexes/index.idx
    cdx_gz: bytes  # indexes/index.cdx.gz
    blocks: int


def zipnum(cdxj: bytes, data_name: str, *, block_lines: int = BLOCK_LINES) -> ZipNum:
    """Cut sorted CDXJ (`cdxj`, one record a line) into gzip blocks named `data_name` in the idx."""
    if block_lines < 1:
        raise ValueError("block_lines must be at least 1")
    lines = cdxj.splitlines(keepends=True)
    head = json.dumps({"format": FORMAT, "filename": data_name})
    idx = [f"!meta 0 {head}\n".encode()]
    data = bytearray()
    for start in range(0, len(lines), block_lines):
        block: Sequence[bytes] = lines[start:start + block_lines]
        # mtime=0: the same lines give the same bytes, so the bundle's hashes are reproducible
        member = gzip.compress(b"".join(block), mtime=0)
        key_ts = b" ".join(block[0].split(b" ", 2)[:2])
        entry = {"offset": len(data), "length": len(member), "digest": "sha256:" + hashlib.sha256(member).hexdigest()}
        idx.append(key_ts + b" " + json.dumps(entry).encode() + b"\n")
        data += member
    return ZipNum(idx=b"".join(idx), cdx_gz=bytes(data), blocks=len(idx) - 1)
