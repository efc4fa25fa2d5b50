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

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from archiver.index.filters import Filters
from archiver.index.protocol import IndexQueries
from archiver.index.rows import PostRow
from archiver.index.spool import Spool
from archiver.layout import DB_NAME
from archiver.verify import Journal, Problem

log = logging.getLogger(__name__)

# Problem kind: the index differs from the journal in the WARC files.
JOURNAL = "journal"
# Posts named one by one in the notes of what only the index holds; past this, a count.
NAMED = 5


@dataclass(frozen=True)
class _Facts:
    """What a reader is told of one post, as sets a journal can only add to."""

    status: str | None
    checks: Counter[tuple[str, str]]  # (checked_at, status)
    captures: Counter[tuple[str, str, str]]  # (captured_at, source, status)
    citations: frozenset[tuple[str, str]]  # (article URL, kind)

    @classmethod
    def of(cls, row: PostRow) -> _Facts:
        return cls(row.status, Counter((h.checked_at, h.status) for h in row.history),
                   Counter((c.captured_at, c.source, c.status) for c in row.captures),
                   frozenset((a.url, a.kind) for a in row.articles))


def _posts(index: IndexQueries) -> dict[str, _Facts]:
    return {row.key: _Facts.of(row) for row in index.lookup(Filters())}


def _replayed(journal: Journal) -> dict[str, _Facts]:
    """The posts the journal describes, replayed into a scratch index."""
    from archiver.index.journal import written_order
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.index.sqlite.replay import rebuild

    with tempfile.TemporaryDirectory(prefix="archiver-journal-") as scratch:
        entries = journal.entries() if isinstance(journal, Spool) else sorted(journal, key=written_order)
        rebuild(Path(scratch) / DB_NAME, [], entries)
        with SQLiteIndex(Path(scratch), create=False) as replayed:
            return _posts(replayed)


def compare(index: IndexQueries, journal: Journal, *, where: str = DB_NAME, writing: bool = False) -> list[Problem]:
    """The problems of `index` against the journal entries read from the WARCs (none when there is
    no journal to compare with); what only the index holds is noted on the log. `writing`: a WARC
    file is still being written (`.open`, not read), whose journal entries may be what explains a
    difference (a post merged into another by the run in progress): differences are then noted,
    not failed."""
    if not journal:
        return []
    problems = _differences(index, journal, where)
    if writing:
        for problem in problems:
            log.warning("note: %s (a WARC file is still being written: its journal entries may explain it)", problem)
        return []
    return problems


def _differences(index: IndexQueries, journal: Journal, where: str) -> list[Problem]:
    held, vouched = _posts(index), _replayed(journal)
    problems: list[Problem] = []
    ahead: list[str] = []
    for key, told in vouched.items():
        facts = held.get(key)
        if facts is None:
            problems.append(Problem(JOURNAL, where, f"{key}: the journal in the WARCs holds this post, the index does not"))
            continue
        lost = [f"the check of {at} ({status})" for at, status in sorted((told.checks - facts.checks).elements())]
        lost += [f"the {source} capture of {at} ({status})"
                 for at, source, status in sorted((told.captures - facts.captures).elements())]
        lost += [f"the citation by {url} ({kind})" for url, kind in sorted(told.citations - facts.citations)]
        if lost:
            problems.append(Problem(JOURNAL, where, f"{key}: the index lacks {', '.join(lost)}, which the journal "
                                                    "in the WARCs holds"))
        elif facts.checks == told.checks and facts.status != told.status:
            problems.append(Problem(JOURNAL, where, f"{key}: status {facts.status} in the index, {told.status} in "
                                                    "the journal in the WARCs, after the same checks"))
        elif facts != told:
            ahead.append(key)
    ahead += sorted(set(held) - set(vouched))
    if ahead:
        named = ", ".join(ahead[:NAMED]) + (f" and {len(ahead) - NAMED} more" if len(ahead) > NAMED else "")
        log.warning("note: %s: %d post(s) hold more than the journal in the WARCs says (%s): a run stopped "
                    "between writing the index and its journal, still running, or written before the index was "
                    "journaled; not an error, but `archiver reindex` would not give it back", where, len(ahead), named)
    return problems
