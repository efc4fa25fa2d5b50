"""The WARC/1.1 store: per-record gzip, rollover at a size limit, and crash-safe files.

Crash safety (a run killed with SIGKILL at any moment leaves no unreadable WARC; docs/warc.md):
- the file being written is `<name>.warc.gz.open`; each record is one complete gzip member, flushed
  and fsync'ed BEFORE its RecordInfo is returned, so the index never points at bytes not on disk;
- close() renames it to `<name>.warc.gz` (offsets do not change), and RecordInfo.filename is always
  that final name;
- recover() (recovery.py) cuts a leftover `.open` file back to its last complete gzip member and renames it.
The writer holds an flock on its `.open` file, so recover() never touches a file still being written.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.modes import create_file, make_dirs
from archiver.resource import Closing
from archiver.space import disk_full, is_full
from archiver.warcstore.files import OPEN_SUFFIX, fsync_dir, try_lock
from archiver.warcstore.headers import (
    content_mime,
    payload_digest,
    reason_phrase,
    request_headers,
    request_target,
    response_headers,
    status_protocol,
    warc_date,
    warc_protocol,
)
from archiver.warcstore.records import TRUNCATED_REASONS, Exchange, RecordInfo
from archiver.wellformed import well_formed

logger = logging.getLogger(__name__)

REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
WARC_FORMAT = "WARC File Format 1.1"
WARC_CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

class WarcStore(Closing):
    """Writes WARC/1.1 files into a directory: `<prefix>-<UTC timestamp>-<n>.warc.gz`."""

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = "archiver",
        max_size: int = 1_000_000_000,
        software: str = "archiver",
        info: dict[str, str] | None = None,
        dedup_min_bytes: int | None = 1024,
    ) -> None:
        self.directory = Path(directory)
        # Identical payloads met again in this store (widgets.js, the embed page, a photo shown by two
        # posts) become identical-payload-digest revisits (docs/warc.md); None turns this off.
        self.dedup_min_bytes = dedup_min_bytes
        self._originals: dict[str, RecordInfo] = {}
        # Payloads stored before this writer opened (earlier runs): the archive's look-up of a stored
        # 200 response by payload digest, asked once per digest this writer has not met; None: none.
        self.find_original: Callable[[str], RecordInfo | None] | None = None
        self.prefix = prefix
        self.max_size = max_size
        self.software = software
        self.info = dict(info or {})
        self._lock = threading.RLock()
        # Records are serialised in memory and appended with os.write: no Python buffer can hold half a
        # record that a later flush would write after we have cut the file back.
        self._builder = RecordBuilder(warc_version="1.1")
        self._fd: int | None = None
        self._pos = 0  # end of the last complete record in the current file
        self._name: str | None = None  # final name of the file being written
        self._seq = 0
        self._files: list[Path] = []
        self._closed = False

    # -- files -----------------------------------------------------------------------------------

    @property
    def files(self) -> list[Path]:
        """Final paths of every file this store has started, in order (the current one may still be `.open`)."""
        return list(self._files)

    def _open_next(self) -> None:
        make_dirs(self.directory)
        while True:
            ts = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
            name = f"{self.prefix}-{ts}-{self._seq:05d}.warc.gz"
            self._seq += 1
            final, temp = self.directory / name, self.directory / (name + OPEN_SUFFIX)
            if final.exists():
                continue
            try:
                fd = create_file(temp)  # 0640 whatever the umask
            except FileExistsError:
                continue
            break
        if not try_lock(fd):  # a brand-new file (O_EXCL): nobody else can hold it
            raise RuntimeError(f"{temp} is locked by another process")
        self._fd, self._name, self._pos = fd, name, 0
        self._files.append(final)
        fields = {"software": self.software, "format": WARC_FORMAT, "conformsTo": WARC_CONFORMS_TO, **self.info}
        try:
            self._write(self._builder.create_warcinfo_record(name, fields))
        except BaseException:
            # No file without its warcinfo: the next write starts a new one (once there is room).
            os.close(fd)
            os.unlink(temp)
            self._files.pop()
            self._fd = self._name = None
            raise
        logger.debug("started %s", temp)

    def _finish_current(self) -> None:
        if self._fd is None or self._name is None:
            return
        os.fsync(self._fd)
        final = self.directory / self._name
        # Rename while still holding the lock, so recover() can never see a half-closed file.
        os.replace(self.directory / (self._name + OPEN_SUFFIX), final)
        os.close(self._fd)
        fsync_dir(self.directory)
        logger.debug("closed %s", final)
        self._fd = self._name = None

    def _abandon_current(self) -> None:
        """Leave the current file as `.open` for recover() and start a new one on the next write."""
        logger.error("could not cut an unfinished record from %s; leaving it to recover()", self._name)
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._fd = self._name = None

    # -- writing -----------------------------------------------------------------------------------

    def _write(self, record: ArcWarcRecord, *, sync: bool = True) -> RecordInfo:
        """Append one record as one gzip member, make it durable (unless the caller syncs a batch
        itself), and say where it is."""
        assert self._fd is not None and self._name is not None
        buf = io.BytesIO()
        WARCWriter(buf, gzip=True, warc_version="1.1").write_record(record)
        data = buf.getvalue()
        offset, name = self._pos, self._name
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            if sync:
                os.fsync(self._fd)
        except BaseException as exc:
            # A half-written member in the middle of the file would hide every later record from
            # readers: cut it off before anything else is appended (disk full, interrupt...).
            try:
                os.ftruncate(self._fd, offset)
                os.lseek(self._fd, offset, os.SEEK_SET)
            except OSError:
                self._abandon_current()
            if is_full(exc):
                raise disk_full(self.directory / (name + OPEN_SUFFIX), needed=len(data),
                                what=f"a {record.rec_type} record") from exc
            raise
        self._pos = offset + len(data)
        h = record.rec_headers
        status = mime = None
        if record.http_headers is not None and record.rec_type in ("response", "revisit"):
            status = int(record.http_headers.get_statuscode() or 0) or None
            mime = content_mime(record.http_headers.headers)
        elif record.rec_type in ("resource", "metadata"):
            mime = (h.get_header("Content-Type") or "").split(";")[0].strip() or None
        return RecordInfo(
            record_id=h.get_header("WARC-Record-ID"),
            warc_type=record.rec_type,
            target_uri=h.get_header("WARC-Target-URI") or "",
            date=h.get_header("WARC-Date"),
            filename=name,
            offset=offset,
            length=len(data),
            status=status,
            mime=mime,
            payload_digest=h.get_header("WARC-Payload-Digest"),
            block_digest=h.get_header("WARC-Block-Digest"),
        )

    def _begin(self) -> RecordBuilder:
        if self._closed:
            raise ValueError("WarcStore is closed")
        if self._fd is None:
            self._open_next()
        return self._builder

    def _end(self) -> None:
        """Roll over once the file has reached the size limit (never between a request and its response)."""
        if self._fd is not None and self._pos >= self.max_size:
            self._finish_current()

    def _http_records(self, ex: Exchange, rec_type: str, extra: dict[str, str]) -> tuple[ArcWarcRecord, ArcWarcRecord]:
        writer = self._begin()
        common = {"WARC-Date": warc_date(ex.date)}
        if ex.ip:
            common["WARC-IP-Address"] = ex.ip
        protocol = warc_protocol(ex.protocol)
        if protocol:
            common["WARC-Protocol"] = protocol
        if ex.page_id:
            common["WARC-Page-ID"] = ex.page_id
        status_line = f"{ex.status} {reason_phrase(ex.status, ex.reason)}"
        resp_http = StatusAndHeaders(status_line, response_headers(ex), protocol=status_protocol(ex.protocol))
        body = b"" if rec_type == "revisit" else ex.body
        if ex.truncated is not None:
            # The response record's block is cut short, not the request's (WARC 1.1, WARC-Truncated).
            if ex.truncated not in TRUNCATED_REASONS:
                raise ValueError(f"{ex.url}: WARC-Truncated reason {ex.truncated!r} is not one of {TRUNCATED_REASONS}")
            extra = {**extra, "WARC-Truncated": ex.truncated}
        resp = writer.create_warc_record(
            ex.url, rec_type, payload=io.BytesIO(body), length=len(body),
            warc_headers_dict={**common, **extra}, http_headers=resp_http,
        )
        # is_http_request: warcio splits the method off the front of the line it is given.
        req_http = StatusAndHeaders(
            f"{ex.method} {request_target(ex.url)} {status_protocol(ex.protocol)}", request_headers(ex),
            is_http_request=True,
        )
        req_body = ex.request_body or b""
        req_common = {**common, "WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")}
        req = writer.create_warc_record(
            ex.url, "request", payload=io.BytesIO(req_body), length=len(req_body),
            warc_headers_dict=req_common, http_headers=req_http,
        )
        return req, resp

    def write_exchange(self, ex: Exchange) -> tuple[RecordInfo, RecordInfo]:
        """Write a response record and its request (WARC-Concurrent-To); returns (request, response)."""
        digest = self._dedup_digest(ex)
        original = self._original(digest) if digest else None
        if original is not None:
            return self.write_revisit(ex, original)
        with self._lock:
            req, resp = self._http_records(ex, "response", {})
            resp_info = self._write(resp)
            req_info = self._write(req)
            self._end()
        if digest:
            self._originals[digest] = resp_info
        return req_info, resp_info

    def _original(self, digest: str) -> RecordInfo | None:
        """The stored response with this payload digest: one this writer wrote, else one `find_original`
        knows of (remembered either way; a digest it does not know is asked once, and the response
        written for it becomes the original of the next one)."""
        found = self._originals.get(digest)
        if found is None and self.find_original is not None:
            try:
                found = self.find_original(digest)
            except Exception as e:  # a look-up that fails costs a full record, never the exchange
                logger.warning("cannot look up stored payload %s: %s", digest, e)
                found = None
            if found is not None:
                self._originals[digest] = found
        return found

    def _dedup_digest(self, ex: Exchange) -> str | None:
        """The payload digest when this exchange may be stored as a revisit (a whole 200 body to a
        GET: a truncated one is neither stored as a revisit nor the original of one, and an answer to
        a POST is stored whole: replay finds it by its request's body, which indexers such as
        cdxj-indexer and pywb fold into its key only for a response record, never a revisit)."""
        if (self.dedup_min_bytes is None or ex.status != 200 or ex.truncated is not None
                or ex.method.upper() != "GET" or len(ex.body) < self.dedup_min_bytes):
            return None
        return payload_digest(ex.body)

    def write_revisit(self, ex: Exchange, original: RecordInfo) -> tuple[RecordInfo, RecordInfo]:
        """Write a request + identical-payload-digest revisit pointing at `original` (a stored response).

        Raises ValueError when ex.body does not have the original's payload digest, or is truncated.
        """
        if ex.truncated is not None:
            raise ValueError(f"revisit of {ex.url}: a truncated body is no identical payload")
        if original.payload_digest != payload_digest(ex.body):
            raise ValueError(f"revisit of {ex.url}: payload differs from {original.record_id}")
        refers = {
            "WARC-Profile": REVISIT_PROFILE,
            "WARC-Refers-To": original.record_id,
            "WARC-Refers-To-Target-URI": original.target_uri,
            "WARC-Refers-To-Date": original.date,
            "WARC-Payload-Digest": original.payload_digest,
        }
        with self._lock:
            req, resp = self._http_records(ex, "revisit", refers)
            resp_info = self._write(resp)
            resp_info.payload_digest = original.payload_digest
            resp_info.extra.update({k: v for k, v in refers.items() if k.startswith("WARC-Refers-To")})
            req_info = self._write(req)
            self._end()
            return req_info, resp_info

    def write_resource(
        self,
        uri: str,
        content_type: str,
        data: bytes,
        *,
        concurrent_to: str | None = None,
        date: datetime | None = None,
    ) -> RecordInfo:
        """A `resource` record: a screenshot (urn:screenshot:...), a local file given as a source..."""
        headers = {"WARC-Date": warc_date(date), "Content-Type": content_type}
        if concurrent_to:
            headers["WARC-Concurrent-To"] = concurrent_to
        with self._lock:
            writer = self._begin()
            rec = writer.create_warc_record(
                uri, "resource", payload=io.BytesIO(data), length=len(data),
                warc_content_type=content_type, warc_headers_dict=headers,
            )
            info = self._write(rec)
            self._end()
            return info

    def write_metadata(
        self,
        uri: str,
        fields: dict[str, Any],
        *,
        concurrent_to: str | None = None,
        date: datetime | None = None,
    ) -> RecordInfo:
        """A `metadata` record holding `fields` as application/json (capture provenance)."""
        data = _json_bytes(fields)
        headers = {"WARC-Date": warc_date(date), "Content-Type": "application/json"}
        if concurrent_to:
            headers["WARC-Concurrent-To"] = concurrent_to
        with self._lock:
            writer = self._begin()
            rec = writer.create_warc_record(
                uri, "metadata", payload=io.BytesIO(data), length=len(data),
                warc_content_type="application/json", warc_headers_dict=headers,
            )
            info = self._write(rec)
            self._end()
            return info

    def write_metadata_batch(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """Several `metadata` records (uri, fields) made durable with one fsync: the index's journal."""
        if not items:
            return
        with self._lock:
            for uri, fields in items:
                writer = self._begin()
                data = _json_bytes(fields)
                rec = writer.create_warc_record(
                    uri, "metadata", payload=io.BytesIO(data), length=len(data),
                    warc_content_type="application/json",
                    warc_headers_dict={"WARC-Date": warc_date(), "Content-Type": "application/json"},
                )
                self._write(rec, sync=False)
            if self._fd is not None:
                os.fsync(self._fd)
            self._end()

    def describe(self, fields: dict[str, str]) -> None:
        """Add `fields` to every later file's warcinfo (the browser's version, known once it runs).
        A file begun without them is finished here: the records after this point go into a file
        whose warcinfo says them."""
        with self._lock:
            if all(self.info.get(k) == v for k, v in fields.items()):
                return
            self.info.update(fields)
            self._finish_current()

    def flush(self) -> None:
        """Nothing to do: every record is written and fsync'ed before its RecordInfo is returned."""

    def close(self) -> None:
        """Finish the current file (rename `.open` -> `.warc.gz`). Safe to call twice."""
        with self._lock:
            self._finish_current()
            self._closed = True


def _json_bytes(fields: dict[str, Any]) -> bytes:
    """`fields` as a metadata record's UTF-8 JSON; text holding a lone surrogate (`well_formed`: a
    page's title cut through an emoji by its scripts) with U+FFFD in its place."""
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return well_formed(text).encode()
