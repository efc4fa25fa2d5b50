"""Reading records back from WARC files: every record of a file, or one record by its offset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from archiver.warcstore.files import warc_path


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
    with open(warc_path(directory, filename), "rb") as fh:
        fh.seek(offset)
        for rec in ArchiveIterator(fh):
            return bytes(rec.content_stream().read())
    raise ValueError(f"no WARC record at {filename}:{offset}")


def read_member(directory: Path, filename: str, offset: int, length: int) -> bytes:
    """The raw gzip member of one record, e.g. to copy it into an export."""
    with open(warc_path(directory, filename), "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise ValueError(f"{filename}: {length} bytes expected at {offset}, {len(data)} found")
    return data
