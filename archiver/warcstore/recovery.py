"""Crash recovery: finishing the `.open` WARC files a killed writer left behind.

recover() cuts a leftover `<name>.warc.gz.open` back to its last complete gzip member (each record is
one member, written whole and fsync'ed by WarcStore) and renames it to `<name>.warc.gz`. The writer
holds an flock on its `.open` file, so recover() never touches a file still being written.
"""

from __future__ import annotations

import logging
import mmap
import os
import zlib
from pathlib import Path

from archiver.warcstore.files import OPEN_SUFFIX, fsync_dir, try_lock

logger = logging.getLogger(__name__)


def complete_members(path: Path) -> int:
    """Byte length of the leading run of complete, decompressible gzip members that each hold a WARC record."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return 0
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            data = memoryview(mm)
            try:
                return _scan_members(data)
            finally:
                data.release()


def _scan_members(data: memoryview) -> int:
    good = pos = 0
    step = 1 << 16
    while pos < len(data):
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        head = b""
        i = pos
        try:
            # Bounded input and output per call: a member may hold a large video.
            while not d.eof and i < len(data):
                chunk = data[i : i + step]
                i += len(chunk)
                out = d.decompress(chunk, 1 << 20)
                head += out[: max(0, 5 - len(head))]
                while d.unconsumed_tail and not d.eof:
                    out = d.decompress(d.unconsumed_tail, 1 << 20)
                    head += out[: max(0, 5 - len(head))]
        except zlib.error:
            break
        if not d.eof or not head.startswith(b"WARC/"):
            break
        pos = good = i - len(d.unused_data)
    return good


def recover(directory: Path) -> list[str]:
    """Finish every `.open` WARC left by a killed run: cut it to its last complete record, rename it.

    Files still locked by a live writer are left alone. Returns one message per file handled.
    """
    messages: list[str] = []
    directory = Path(directory)
    if not directory.is_dir():
        return messages
    for temp in sorted(directory.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        final = temp.with_name(temp.name[: -len(OPEN_SUFFIX)])
        with open(temp, "r+b") as fh:
            if not try_lock(fh.fileno()):
                messages.append(f"{temp.name}: still being written by another process, left alone")
                continue
            size = os.fstat(fh.fileno()).st_size
            good = complete_members(temp)
            if good == 0:
                os.unlink(temp)
                messages.append(f"{temp.name}: no complete record, removed")
                continue
            if good < size:
                fh.truncate(good)
                messages.append(f"{final.name}: cut {size - good} bytes of an unfinished record")
            else:
                messages.append(f"{final.name}: complete, renamed")
            fh.flush()
            os.fsync(fh.fileno())
            if final.exists():
                final = final.with_name(final.name.replace(".warc.gz", "-recovered.warc.gz"))
            os.replace(temp, final)
        fsync_dir(directory)
        logger.info("recovered %s", final)
    return messages
