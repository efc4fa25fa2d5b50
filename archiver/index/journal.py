"""The index's journal in the WARC files: what SQLite alone would otherwise know, kept beside the bytes.

Each write of a post, article, citation, capture, observation, media file or record ownership is also
written as a WARC `metadata` record (application/json) once its transaction commits, with a `urn:`
target URI naming what it describes:

    urn:post:<key>                          the post's whole row after the write
    urn:post-status:<key>                   its status and last check, after an observation
    urn:article:<url>                       the article's whole row after the write
    urn:citation:<article url>#<post key>   the citation's row
    urn:capture:<post key | article url>#<captured_at>
    urn:observation:<post key>#<checked_at>
    urn:media:<post key>#<media url>
    urn:post-merge:<old key>#<new key>      a hash-keyed post absorbed into its ID-keyed one
    urn:records:<capture ref | post key | article url>
                                            which post, article and capture WARC records belong to
    urn:stamp:<capture ref>#<authority URL> a capture's RFC 3161 timestamp (or why it has none)

Rows are stored as the database holds them (JSON columns as their text), without row ids, which
`archiver reindex` assigns again: a row's post is named by its key (`post_key`), never by the
post's row id, so that journals written before and after the index pointed at `posts.id` replay alike.
Replaying the journal in order (see archiver/reindex.py) rebuilds
the index. A transaction that rolls back writes nothing here; a process killed between the commit
and the WARC write loses that one journal entry, and the index keeps the write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# The `journal` field of every payload, so that a reader can tell these records from capture-info.
JOURNAL_FORMAT = "archiver-index/1"
KINDS: tuple[str, ...] = ("post", "post-status", "article", "citation", "capture", "observation", "media", "post-merge", "records",
                          "stamp")
URN_PREFIXES: tuple[str, ...] = tuple(f"urn:{kind}:" for kind in KINDS)

# WarcStore.write_metadata_batch: writes [(uri, fields), ...] as metadata records, one fsync for all.
Writer = Callable[[list[tuple[str, dict[str, Any]]]], Any]


def is_journal_uri(uri: str) -> bool:
    """True for the target URI of a journal record (never a page or a capture's provenance)."""
    return uri.startswith(URN_PREFIXES)


def is_journal_record(rec_type: str, uri: str) -> bool:
    """True for a WARC record of the index's journal: the one kind of record the index never lists."""
    return rec_type == "metadata" and is_journal_uri(uri)


@dataclass(slots=True)
class Entry:
    """One journal entry, where it was read and what it says: its record's JSON as the bytes it
    was read as (a rebuild and verify keep every entry of an archive on disk until all are read,
    `archiver.index.spool`), parsed when replayed (`payload`)."""

    date: str
    filename: str
    offset: int
    kind: str
    raw: bytes
    # Its record's WARC-Record-ID (None: the record has none): a record appended twice holds the
    # same entry twice, replayed once (the first in file name and offset order).
    record_id: str | None = None

    @property
    def payload(self) -> dict[str, Any]:
        import json

        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


def written_order(entry: Entry) -> tuple[str, str, int]:
    """The key that sorts entries in the order they were written: by date, then file and offset."""
    return entry.date, entry.filename, entry.offset


def first_of_each_id(entries: Iterable[Entry]) -> list[Entry]:
    """`entries` but those whose record has the WARC-Record-ID of an entry's record before it in file
    name and offset order (a journal record appended twice holds one write, replayed once)."""
    seen: set[str] = set()
    kept = []
    for entry in sorted(entries, key=lambda e: (e.filename, e.offset)):
        if entry.record_id is not None:
            if entry.record_id in seen:
                continue
            seen.add(entry.record_id)
        kept.append(entry)
    return kept


def parse_entry(payload: bytes, date: str, filename: str, offset: int, record_id: str | None = None) -> Entry | None:
    """The journal entry a journal record's payload holds; None when it is some other JSON (a
    record that only looks like one); ValueError when it is no JSON at all."""
    import json
    import sys

    entry = json.loads(payload)
    if isinstance(entry, dict) and entry.get("journal") == JOURNAL_FORMAT:
        # (the file's name is the same string for each of its entries, kept once)
        return Entry(date, sys.intern(filename), offset, str(entry.get("kind")), bytes(payload), record_id or None)
    return None


@dataclass
class Rebuilt:
    """What a rebuild wrote, and what the journal named but could not be found."""

    posts: int
    captures: int
    observations: int
    missing_records: int
    orphans: int  # entries naming a capture whose own entry is lost (a stamp, the capture's records)
    # Posts (keys) and articles (URLs) whose own first entry is lost, rebuilt from later entries naming them
    partial_posts: list[str] = field(default_factory=list)
    partial_articles: list[str] = field(default_factory=list)
    # The first record IDs the journal names and no WARC holds; of those the old index placed, the
    # ones whose place holds a record of another ID now: (ID named, ID found, file, offset)
    missing_ids: list[str] = field(default_factory=list)
    changed_ids: list[tuple[str, str, str, int]] = field(default_factory=list)
    # The index was rebuilt from partial history: the WARC files lost or damaged (None: it was not;
    # empty: none could be named)
    lost_files: list[str] | None = None
