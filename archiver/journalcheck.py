"""Does the index say what the journal in the WARC files says?

Every write of the index is also written, once its transaction commits, as a journal record in the
WARCs (`archiver.index.journal`), which `archiver reindex` replays. The journal is the witness the
WARCs carry: this module replays it into a scratch index and compares, post by post, what a reader
of the archive is told: the posts, each one's dated checks and current status, its captures and the
articles citing it.

The index may run ahead of the journal: a run killed between its commit and the journal's WARC
write, a run still going, a journal record in a file still being written or one that cannot be read,
files written before the index was journaled. What only the index holds is noted, never failed.
What the journal holds and the index does not, or says otherwise (a check, a capture, a citation,
a post, a status changed under the same checks), is a problem: the index lost or changed what the
WARCs vouch for, and `reindex` would not give it back as it is.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import tempfile
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.index.protocol import IndexQueries
from archiver.index.rows import PostRow
from archiver.index.spool import Spool
from archiver.layout import DB_NAME
from archiver.redact import redact_endpoint
from archiver.verify import Journal, Problem

if TYPE_CHECKING:
    from archiver.index.sqlite.index import SQLiteIndex

log = logging.getLogger(__name__)

# Problem kind: the index differs from the journal in the WARC files.
JOURNAL = "journal"
# Posts named one by one in the notes of what only the index holds; past this, a count.
NAMED = 5
PAGE = 1000  # posts read at a time from each index


@dataclass(frozen=True)
class _Facts:
    """What a reader is told of one post, as sets a journal can only add to."""

    status: str | None
    checks: Counter[tuple[str, str]]  # (checked_at, status)
    captures: Counter[tuple[str, str, str]]  # (captured_at, source, status)
    citations: frozenset[tuple[str, str]]  # (article URL, kind)
    # What the post says, as (field, value): who posted it, when, and its words.
    said: tuple[tuple[str, str | None], ...] = ()
    # The screenshot each capture shows: (captured_at, source, path).
    shots: frozenset[tuple[str, str, str | None]] = frozenset()

    @classmethod
    def of(cls, row: PostRow) -> _Facts:
        return cls(row.status, Counter((h.checked_at, h.status) for h in row.history),
                   Counter((c.captured_at, c.source, c.status) for c in row.captures),
                   frozenset((a.url, a.kind) for a in row.articles),
                   tuple((name, getattr(row, name)) for name in _SAID),
                   frozenset((c.captured_at, c.source, c.screenshot) for c in row.captures))

    def digest(self) -> bytes:
        """16 bytes that differ when the facts do (what is kept of each post while comparing)."""
        told = (self.status, sorted(self.checks.items()), sorted(self.captures.items()), sorted(self.citations),
                self.said, sorted(self.shots, key=repr))
        return hashlib.blake2b(repr(told).encode(), digest_size=16).digest()


_SAID = ("handle", "author", "posted_at", "text")


def _digests(index: IndexQueries) -> Iterator[tuple[str, bytes]]:
    """Each post's key and the digest of its facts, read a page of posts at a time in key order."""
    last: str | None = None
    while True:
        rows = index.posts_after(last, PAGE)
        for row in rows:
            yield row.key, _Facts.of(row).digest()
        if len(rows) < PAGE:
            return
        last = rows[-1].key


def _facts(index: IndexQueries, key: str) -> _Facts | None:
    """The facts of the post held under `key` (None when there is none)."""
    detail = index.show(key)
    return _Facts.of(detail) if detail is not None and detail.key == key else None


@contextmanager
def _replayed(journal: Journal) -> Iterator[SQLiteIndex]:
    """The posts the journal describes, replayed into a scratch index (removed on the way out)."""
    from archiver.index.journal import written_order
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.index.sqlite.replay import rebuild

    with tempfile.TemporaryDirectory(prefix="archiver-journal-") as scratch:
        entries = journal.entries() if isinstance(journal, Spool) else sorted(journal, key=written_order)
        rebuild(Path(scratch) / DB_NAME, [], entries)
        with SQLiteIndex(Path(scratch), create=False) as replayed:
            yield replayed


def compare(index: IndexQueries, journal: Journal, *, where: str = DB_NAME, writing: bool = False,
            damaged: bool = False, captures: Collection[int] = ()) -> list[Problem]:
    """The problems of `index` against the journal entries read from the WARCs (none when there is
    no journal to compare with); what only the index holds is noted on the log. `writing`: a WARC
    file is still being written (`.open`, not read), whose journal entries may be what explains a
    difference (a post merged into another by the run in progress): differences are then noted,
    not failed. `damaged`: some WARC file could not be read whole, so journal records in it were
    not read (the note on what only the index holds says so). `captures`: the IDs of the index's
    captures that hold records, whose timestamps are compared with those the journal holds."""
    if not journal:
        return []
    problems = _differences(index, journal, where, damaged, captures)
    if writing:
        for problem in problems:
            log.warning("note: %s (a WARC file is still being written: its journal entries may explain it)", problem)
        return []
    if problems:
        log.warning("%s: the index lost or changed what the journal in the WARC files holds: `archiver reindex "
                    "--force` rebuilds it from them", where)
    return problems


def _differences(index: IndexQueries, journal: Journal, where: str, damaged: bool = False,
                 captures: Collection[int] = ()) -> list[Problem]:
    """Compared post by post, holding a digest of each post the journal describes (never every
    post's facts): the facts of a post are read again, from both sides, where the digests differ.
    Then the captures' timestamps (`_stamp_differences`)."""
    problems: list[Problem] = []
    ahead: list[str] = []  # differing posts the index holds more of, in the order found
    extra = 0  # posts only the index holds; the first few by key are named
    first_extra: list[str] = []
    with _replayed(journal) as replayed:
        problems += _stamp_differences(index, replayed, captures, where)
        vouched = dict(_digests(replayed))
        differing: list[str] = []
        for key, digest in _digests(index):
            told = vouched.pop(key, None)
            if told is None:
                extra += 1
                first_extra = heapq.nsmallest(NAMED, [*first_extra, key])
            elif told != digest:
                differing.append(key)
        differing += vouched  # the journal's posts the index did not list
        del vouched
        for key in differing:
            told_facts = _facts(replayed, key)
            if told_facts is None:
                continue
            facts = _facts(index, key)
            problem = _difference(key, facts, told_facts, where)
            if problem is not None:
                problems.append(problem)
            elif facts != told_facts:
                ahead.append(key)
    count = len(ahead) + extra
    if count:
        listed = (ahead + first_extra)[:NAMED]
        named = ", ".join(listed) + (f" and {count - len(listed)} more" if count > len(listed) else "")
        why = ("its journal records may be in the damaged WARC file(s) named above, or a run stopped between "
               "writing the index and its journal" if damaged else "a run stopped between writing the index and "
               "its journal, still running, or written before the index was journaled")
        log.warning("note: %s: %d post(s) hold more than the journal in the WARCs says (%s): %s; not an error, but "
                    "`archiver reindex` would not give it back", where, count, named, why)
    return problems


def _stamp_differences(index: IndexQueries, replayed: SQLiteIndex, captures: Collection[int],
                       where: str) -> list[Problem]:
    """The timestamp tokens the journal holds that the index lacks, or holds another of.

    A capture is known on both sides by what it captured and when (its IDs differ), a token by its
    capture and authority. A request the journal saw fail that the index holds a token for was
    retried since (the index ahead of the journal): no problem."""
    told = _stamps(replayed, [cid for (cid,) in replayed.db.execute("SELECT DISTINCT capture_id FROM capture_stamps")])
    if not any(token for token, _digest in told.values()):
        return []
    held = _stamps(index, sorted(captures))
    problems = []
    for (who, url, at, authority), (token, digest) in sorted(told.items()):
        if token is None:
            continue
        mine = held.get((who, url, at, authority))
        if mine == (token, digest):
            continue
        what = f"the timestamp by {redact_endpoint(authority)} of its capture of {url} at {at}"
        problems.append(Problem(JOURNAL, where, (
            f"{who}: the index lacks {what}, which the journal in the WARCs holds" if mine is None or mine[0] is None
            else f"{who}: {what} in the index is not the one the journal in the WARCs holds")))
    return problems


def _stamps(index: IndexQueries, capture_ids: Sequence[int]) -> dict[tuple[str, str, str, str], tuple[str | None, str]]:
    """(post key or article URL, capture URL, captured at, authority) -> (token, manifest digest)."""
    found = {}
    for start in range(0, len(capture_ids), PAGE):
        for stamp in index.capture_stamps(capture_ids[start:start + PAGE]):
            who = stamp.post_key or stamp.article_url or ""
            found[(who, stamp.capture_url or "", stamp.captured_at or "", stamp.tsa)] = (stamp.token, stamp.digest)
    return found


def _difference(key: str, facts: _Facts | None, told: _Facts, where: str) -> Problem | None:
    """The problem of a post whose facts in the index (`facts`, None: not held) are not those the
    journal tells; None when the index only holds more."""
    if facts is None:
        return Problem(JOURNAL, where, f"{key}: the journal in the WARCs holds this post, the index does not")
    lost = [f"the check of {at} ({status})" for at, status in sorted((told.checks - facts.checks).elements())]
    lost += [f"the {source} capture of {at} ({status})"
             for at, source, status in sorted((told.captures - facts.captures).elements())]
    lost += [f"the citation by {url} ({kind})" for url, kind in sorted(told.citations - facts.citations)]
    if lost:
        return Problem(JOURNAL, where, f"{key}: the index lacks {', '.join(lost)}, which the journal "
                                       "in the WARCs holds")
    if facts.checks == told.checks and facts.status != told.status:
        return Problem(JOURNAL, where, f"{key}: status {facts.status} in the index, {told.status} in "
                                       "the journal in the WARCs, after the same checks")
    if facts.checks != told.checks or facts.captures != told.captures:
        return None  # the index holds more: what it says of the post may come from those
    changed = [f"{name} {' in the index, '.join(_apart(mine, theirs))} in the journal in the WARCs"
               for (name, mine), (_name, theirs) in zip(facts.said, told.said, strict=True) if mine != theirs]
    changed += [f"the {source} capture of {at} shows {_shown(path)} in the index, {_shown(vouched)} in the journal"
                for at, source, path in sorted(facts.shots - told.shots, key=repr)
                for t_at, t_source, vouched in told.shots if (t_at, t_source) == (at, source)]
    if changed:
        return Problem(JOURNAL, where, f"{key}: {'; '.join(changed)}, after the same checks and captures")
    return None


def _apart(mine: str | None, theirs: str | None) -> tuple[str, str]:
    """Two values that differ, as a problem quotes them: from a little before where they part when
    that lies past what `_shown` shows (two long texts alike in their first 80 characters)."""
    if mine is None or theirs is None:
        return _shown(mine), _shown(theirs)
    at = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
    if at < 60:
        return _shown(mine), _shown(theirs)
    start = at - 20  # "…" before the quote: the text's first characters, alike in both, left out
    return f"…{_shown(mine[start:])}", f"…{_shown(theirs[start:])}"


def _shown(value: str | None) -> str:
    """A value as a problem quotes it: none, or its first 80 characters."""
    if value is None:
        return "none"
    return repr(value if len(value) <= 80 else value[:79] + "…")
