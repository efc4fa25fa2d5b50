"""Reading WARC files back, and crash recovery of `.open` files left by a killed writer.

recover() cuts a leftover `<name>.warc.gz.open` back to its last complete gzip member (each record is
one member, written whole and fsync'ed by WarcStore) and renames it to `<name>.warc.gz`. The writer
holds an flock on its `.open` file, so recover() never touches a file still being written.
"""

from __future__ import annotations

import logging
import mmap
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, recover() trusts the caller's run lock
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"


def try_lock(fd: int) -> bool:
    """Take the writer's exclusive flock on an open WARC; False when another process holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- crash recovery ------------------------------------------------------------------------------


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


# -- reading -------------------------------------------------------------------------------------


@dataclass
class StoredRecord:
    """One record read back from a WARC file."""

    offset: int
    length: int
    warc_type: str
    record_id: str
    target_uri: str
    date: str
    headers: dict[str, str]
    http_headers: StatusAndHeaders | None
    payload: bytes

    @property
    def status(self) -> int | None:
        if self.http_headers is None or self.warc_type not in ("response", "revisit"):
            return None
        return int(self.http_headers.get_statuscode() or 0) or None


def _locate(directory: Path, filename: str) -> Path:
    path = Path(directory) / filename
    if not path.exists() and Path(str(path) + OPEN_SUFFIX).exists():
        return Path(str(path) + OPEN_SUFFIX)  # the run that writes it is still going (or was killed)
    return path


def iter_records(path: Path) -> Iterator[StoredRecord]:
    """Every record in a WARC file with its offset, compressed length and payload (decoded per its headers)."""
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            payload = rec.content_stream().read()
            it.read_to_end(rec)
            h = rec.rec_headers
            yield StoredRecord(
                offset=it.get_record_offset(),
                length=it.get_record_length(),
                warc_type=rec.rec_type,
                record_id=h.get_header("WARC-Record-ID") or "",
                target_uri=h.get_header("WARC-Target-URI") or "",
                date=h.get_header("WARC-Date") or "",
                headers=dict(h.headers),
                http_headers=rec.http_headers,
                payload=payload,
            )


def read_record(directory: Path, filename: str, offset: int) -> bytes:
    """The payload of the record at `offset` in `directory/filename` (or its `.open` file)."""
    with open(_locate(directory, filename), "rb") as fh:
        fh.seek(offset)
        for rec in ArchiveIterator(fh):
            return bytes(rec.content_stream().read())
    raise ValueError(f"no WARC record at {filename}:{offset}")


def read_member(directory: Path, filename: str, offset: int, length: int) -> bytes:
    """The raw gzip member of one record, e.g. to copy it into an export."""
    with open(_locate(directory, filename), "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise ValueError(f"{filename}: {length} bytes expected at {offset}, {len(data)} found")
    return data
