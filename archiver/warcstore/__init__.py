"""WARC storage: writing, reading, recovery and the batches of records that make one capture.

- records.py: Exchange (what the browser or the HTTP client saw) and RecordInfo (where it was stored)
- writer.py: WarcStore, the one writer (per-record gzip, rollover, `.open` files, revisits)
- headers.py: WARC-Date, payload digests, and the HTTP headers as stored
- files.py: the `.open` name of a file being written, its lock, and `warc_path()` to find either name
- members.py: walking a file gzip member by gzip member (one member per record)
- reader.py: records read back, all of a file or one by offset
- recovery.py: cutting a killed writer's `.open` file back to its last complete record
- batch.py: Batch, the records of one capture
"""

from archiver.warcstore.batch import Batch
from archiver.warcstore.files import OPEN_SUFFIX, fsync_dir, try_lock, warc_path
from archiver.warcstore.headers import payload_digest, request_headers, response_headers, warc_date
from archiver.warcstore.members import Member, MemberError, inflate_member, starts_member, walk_members
from archiver.warcstore.reader import StoredRecord, iter_records, read_member, read_record
from archiver.warcstore.records import TRUNCATED_REASONS, Exchange, RecordInfo
from archiver.warcstore.recovery import complete_members, recover
from archiver.warcstore.writer import REVISIT_PROFILE, WarcStore

__all__ = [
    "OPEN_SUFFIX",
    "REVISIT_PROFILE",
    "TRUNCATED_REASONS",
    "Batch",
    "Exchange",
    "Member",
    "MemberError",
    "RecordInfo",
    "StoredRecord",
    "WarcStore",
    "complete_members",
    "fsync_dir",
    "inflate_member",
    "iter_records",
    "payload_digest",
    "read_member",
    "read_record",
    "recover",
    "request_headers",
    "response_headers",
    "starts_member",
    "try_lock",
    "walk_members",
    "warc_date",
    "warc_path",
]
