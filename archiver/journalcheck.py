"""Does the index say what the journal in the WARC files says?

Every write of the index is also written, once its transaction commits, as a journal record in the
WARCs (`archiver.index.journal`), which `archiver reindex` replays. The journal is the witness the
WARCs carry: this module replays it into a scratch index and compares, post by post, what a reader
of the archive is told: the posts, each one's dated checks and current status, its captures (every
field the journal writes of one), its media files and the articles citing it; then, article by
article, the articles' own captures, and their own rows (title, source, first seen, last captured,
status); then the key aliases (a flattened post's hash key, an ID as a page spelt it, leading to
the post it was merged into).

The index may run ahead of the journal: a run killed between its commit and the journal's WARC
write, a run still going, a journal record in a file still being written or one that cannot be read,
files written before the index was journaled. What only the index holds is noted, never failed.
What the journal holds and the index does not, or says otherwise (a check, a capture, a citation,
a post, a media file or a value of one, an article's capture, a key alias, a status changed under
the same checks, an article's first-seen time, a value of an article's row the index holds as NULL,
an article's status or last capture its own captures do not give), is a problem: the index lost or
changed what the WARCs vouch for, and `reindex` would not give it back as it is. What a later write
changes (an article's title or source, a media file's path, digest or type) is the index ahead, and
so is an article's first-seen time earlier than the journal's when the journal lacks the article's
own first entry (lost with a WARC file: its first sighting is then that of a later entry).
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
from archiver.index.rows import ArticleRow, CaptureDetail, MediaRow, PostRow
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
    # Its captures, each as the journal writes it (`_CAPTURED`: time, source, URL, status, error,
    # screenshot and its SHA-256, WARC file, page record).
    captures: Counter[_Captured]
    citations: frozenset[tuple[str, str]]  # (article URL, kind)
    # What the post says, as (field, value): who posted it, when, and its words.
    said: tuple[tuple[str, str | None], ...] = ()
    # Its media files: (url, path, sha256, mime), one a URL.
    media: frozenset[tuple[str, str | None, str | None, str | None]] = frozenset()

    @classmethod
    def of(cls, row: PostRow, media: Sequence[MediaRow] = (), captures: Sequence[CaptureDetail] = ()) -> _Facts:
        return cls(row.status, Counter((h.checked_at, h.status) for h in row.history),
                   Counter(_captured(c) for c in captures),
                   frozenset((a.url, a.kind) for a in row.articles),
                   tuple((name, getattr(row, name)) for name in _SAID),
                   frozenset((m.url, m.path, m.sha256, m.mime) for m in media))

    def digest(self) -> bytes:
        """16 bytes that differ when the facts do (what is kept of each post while comparing)."""
        told = (self.status, sorted(self.checks.items()), sorted(self.captures.items(), key=repr),
                sorted(self.citations), self.said, sorted(self.media, key=repr))
        return _digest(told)


def _digest(facts: object) -> bytes:
    """16 bytes of what `facts` (built of strings, None, numbers, tuples, lists) says."""
    return hashlib.blake2b(repr(facts).encode(), digest_size=16).digest()


_SAID = ("handle", "author", "posted_at", "text")


def _digests(index: IndexQueries) -> Iterator[tuple[str, bytes]]:
    """Each post's key and the digest of its facts, read a page of posts at a time in key order."""
    last: str | None = None
    while True:
        rows = index.posts_after(last, PAGE)
        media = index.post_media([row.key for row in rows]) if rows else {}
        captures = index.post_captures_of([row.key for row in rows]) if rows else {}
        for row in rows:
            yield row.key, _Facts.of(row, media.get(row.key, ()), captures.get(row.key, ())).digest()
        if len(rows) < PAGE:
            return
        last = rows[-1].key


def _facts(index: IndexQueries, key: str) -> _Facts | None:
    """The facts of the post held under `key` (None when there is none)."""
    detail = index.show(key)
    if detail is None or detail.key != key:
        return None
    return _Facts.of(detail, detail.media_files, index.post_captures_of([key]).get(key, ()))


@contextmanager
def _replayed(journal: Journal) -> Iterator[SQLiteIndex]:
    """The posts the journal describes, replayed into a scratch index (removed on the way out)."""
    from archiver.index.journal import first_of_each_id, written_order
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.index.sqlite.replay import rebuild

    with tempfile.TemporaryDirectory(prefix="archiver-journal-") as scratch:
        # A journal record appended twice holds one write: replayed once, as `reindex` replays it.
        entries = (journal.entries() if isinstance(journal, Spool)
                   else sorted(first_of_each_id(journal), key=written_order))
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
    The captures' timestamps before (`_stamp_differences`); the articles' own captures and the key
    aliases after, the same way as the posts."""
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
            found = _difference(key, facts, told_facts, where)
            if found:
                problems += found
            elif facts != told_facts:
                ahead.append(key)
        found, articles_ahead = _article_differences(index, replayed, where)
        problems += found
        found, rows_ahead = _article_row_differences(index, replayed, where)
        problems += found
        found, aliases_ahead = _alias_differences(index, replayed, where)
        problems += found
    why = ("its journal records may be in the damaged WARC file(s) named above, or a run stopped between "
           "writing the index and its journal" if damaged else "a run stopped between writing the index and "
           "its journal, still running, or written before the index was journaled")
    count = len(ahead) + extra
    if count:
        log.warning("note: %s: %d post(s) hold more than the journal in the WARCs says (%s): %s; not an error, but "
                    "`archiver reindex` would not give it back", where, count, _named(ahead, first_extra, count), why)
    for (count, named), what in ((articles_ahead, "article(s) hold captures"),
                                 (rows_ahead, "article(s) hold a title, source, status or first sighting"),
                                 (aliases_ahead, "key alias(es)")):
        if count:
            log.warning("note: %s: %d %s the journal in the WARCs does not hold (%s): %s; not an error, but "
                        "`archiver reindex` would not give them back", where, count, what, named, why)
    return problems


def _named(ahead: list[str], first_extra: list[str], count: int) -> str:
    """The first few of `count` keys or URLs: those found differing, then those only the index holds."""
    listed = (ahead + first_extra)[:NAMED]
    return ", ".join(listed) + (f" and {count - len(listed)} more" if count > len(listed) else "")


class _Tally:
    """What only the index holds of some kind (articles' captures, key aliases): how many, and the
    first few named (those found differing in the order found, then the smallest others)."""

    def __init__(self) -> None:
        self.ahead: list[str] = []
        self.extra = 0
        self.first_extra: list[str] = []

    def add_extra(self, name: str) -> None:
        self.extra += 1
        self.first_extra = heapq.nsmallest(NAMED, [*self.first_extra, name])

    def said(self) -> tuple[int, str]:
        count = len(self.ahead) + self.extra
        return count, _named(self.ahead, self.first_extra, count)


# What the index and the journal each say of an article's capture, as the journal writes it.
_CAPTURED = ("captured_at", "source", "url", "status", "error", "screenshot", "screenshot_sha256", "warc",
             "page_record_id")
_Captured = tuple[str | None, ...]


def _article_captures(index: IndexQueries) -> Iterator[tuple[str, Counter[_Captured]]]:
    """Each captured article's URL and its own captures, read a page of articles at a time in URL order."""
    last: str | None = None
    while True:
        page = index.article_captures_after(last, PAGE)
        for url, captures in page:
            yield url, Counter(_captured(c) for c in captures)
        if len(page) < PAGE:
            return
        last = page[-1][0]


def _captured(capture: CaptureDetail) -> _Captured:
    return tuple(getattr(capture, name) for name in _CAPTURED)


def _captures_of(index: IndexQueries, url: str) -> Counter[_Captured]:
    """The captures of the article at `url` (empty when it has none)."""
    return Counter(_captured(c) for c in index.article_captures(url))


def _article_differences(index: IndexQueries, replayed: SQLiteIndex, where: str) -> tuple[list[Problem], tuple[int, str]]:
    """The articles' own captures the journal holds that the index lacks or says otherwise of,
    compared article by article as the posts are (a digest held of each article the journal
    describes); and what only the index holds, as (count, the first named)."""
    tally = _Tally()
    vouched = {url: _digest(sorted(captures.items(), key=repr)) for url, captures in _article_captures(replayed)}
    differing: list[str] = []
    for url, captures in _article_captures(index):
        told = vouched.pop(url, None)
        if told is None:
            tally.add_extra(url)
        elif told != _digest(sorted(captures.items(), key=repr)):
            differing.append(url)
    differing += vouched
    del vouched
    problems: list[Problem] = []
    for url in differing:
        found = _captures_difference(url, _captures_of(index, url), _captures_of(replayed, url), where)
        if found:
            problems += found
        else:
            tally.ahead.append(url)
    return problems, tally.said()


def _captures_difference(url: str, mine: Counter[_Captured], told: Counter[_Captured], where: str) -> list[Problem]:
    """The problems of an article whose captures in the index (`mine`) are not those the journal
    tells: a capture the index lacks, or holds otherwise (found by its time and source, else by its
    page record); none when the index only holds more."""
    lacked, changed, _extra = _matched(mine, told)
    problems = [Problem(JOURNAL, where, f"{url}: the index lacks {', '.join(lacked)}, which the journal in the "
                                        "WARCs holds")] if lacked else []
    return problems + [Problem(JOURNAL, where, f"{url}: {detail}") for detail in changed]


def _matched(mine: Counter[_Captured], told: Counter[_Captured]) -> tuple[list[str], list[str], Counter[_Captured]]:
    """The journal's captures (`told`) set against the index's (`mine`), each found by its time and
    source, else by its page record: those the index lacks, those it holds otherwise (field by
    field), and the index's captures the journal does not tell of."""
    lost, extra = told - mine, mine - told
    lacked: list[str] = []
    changed: list[str] = []
    at, source, status, record = (_CAPTURED.index(name) for name in ("captured_at", "source", "status",
                                                                      "page_record_id"))
    for capture in sorted(lost.elements(), key=repr):
        match = next((c for c in extra if c[at] == capture[at] and c[source] == capture[source]), None) or next(
            (c for c in extra if capture[record] is not None and c[record] == capture[record]), None)
        if match is None:
            lacked.append(f"the {capture[source]} capture of {capture[at]} ({capture[status]})")
            continue
        extra -= Counter([match])
        said = [f"{name} {' in the index, '.join(_apart(m, t))} in the journal in the WARCs"
                for name, m, t in zip(_CAPTURED, match, capture, strict=True) if m != t]
        changed.append(f"the {capture[source]} capture of {capture[at]}: {'; '.join(said)}")
    return lacked, changed, extra


# What the index and the journal each say of an article itself (its row, as the journal writes it).
_ARTICLE = ("source", "title", "first_seen", "last_captured", "status")
# Of those, what a later read or capture of the article changes (the index may be ahead).
_LATER = ("source", "title", "last_captured", "status")


def _articles(index: IndexQueries) -> Iterator[ArticleRow]:
    """Each article's own row, read a page at a time in URL order."""
    last: str | None = None
    while True:
        page = index.articles_after(last, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1].url


def _article_said(row: ArticleRow) -> tuple[str | None, ...]:
    return tuple(getattr(row, name) for name in _ARTICLE)


def _article_row_differences(index: IndexQueries, replayed: SQLiteIndex,
                             where: str) -> tuple[list[Problem], tuple[int, str]]:
    """The articles the journal holds that the index lacks, or whose own row (title, source, when
    first seen, when last captured, status) it holds otherwise, holding a digest of each article
    the journal describes; and what only the index holds, as (count, the first named).

    When first seen is written once, and no write clears a value: one changed, or a value the index
    holds as NULL where the journal has one, is a problem. What a later read or capture changes is
    the index ahead of its journal (a run killed between the index's commit and the journal's
    write; the article given later by another spelling, `?utm_source=rss`, changes its source
    without a capture): another title or source, a status and last capture as the index's own
    captures of the article give them (`_article_ahead`)."""
    tally = _Tally()
    vouched = {row.url: _digest(_article_said(row)) for row in _articles(replayed)}
    differing: dict[str, tuple[str | None, ...] | None] = {}  # URL -> the index's row (None: not held)
    for row in _articles(index):
        told = vouched.pop(row.url, None)
        if told is None:
            tally.add_extra(row.url)
        elif told != _digest(_article_said(row)):
            differing[row.url] = _article_said(row)
    differing.update(dict.fromkeys(vouched))
    del vouched
    problems: list[Problem] = []
    # Articles the journal lacks the own first entry of (lost with a WARC file): what it says of when
    # each was first seen is only the earliest of its later entries.
    partial = {name for (name,) in replayed.db.execute("SELECT name FROM history_lost WHERE kind = 'article'")}
    for url, mine in differing.items():
        found = replayed.db.execute(f"SELECT {', '.join(_ARTICLE)} FROM articles WHERE url = ?", [url]).fetchone()
        if found is None:
            continue
        theirs: tuple[str | None, ...] = tuple(found)
        if mine is None:
            problems.append(Problem(JOURNAL, where, f"{url}: the journal in the WARCs holds this article, the index "
                                                    "does not"))
            continue
        held = index.article_captures(url)
        said = [f"{name} {' in the index, '.join(_apart(m, t))} in the journal in the WARCs"
                for name, m, t in zip(_ARTICLE, mine, theirs, strict=True)
                if m != t and not _article_ahead(name, m, held) and not _seen_before(name, m, t, url in partial)]
        if said:
            problems.append(Problem(JOURNAL, where, f"{url}: {'; '.join(said)}"))
        else:
            tally.ahead.append(url)
    return problems, tally.said()


def _article_ahead(name: str, mine: str | None, held: Sequence[CaptureDetail]) -> bool:
    """Whether the index's `mine` for the article's field `name`, not the journal's, may be a later
    write whose journal record the WARCs lack. Never for a NULL (the upserts never clear a value:
    that is a loss) nor for when first seen (written once). A source or title: any other (the
    article given later by another spelling, read again). A status and a last capture: the ones the
    index's own captures of the article give (`held`: its status is the last capture's, its last
    capture the latest made without error), as a later capture sets them; another is not ahead of
    anything, but changed."""
    if mine is None or name not in _LATER:
        return False
    if name == "status":
        return bool(held) and mine == max(held, key=lambda c: c.id).status
    if name == "last_captured":
        return mine == max((c.captured_at for c in held if c.error is None), default=None)
    return True


def _seen_before(name: str, mine: str | None, theirs: str | None, partial: bool) -> bool:
    """Whether the index's first-seen time `mine` is earlier than the journal's `theirs` for an
    article the journal holds from partial history (`partial`: its own first entry lost, its
    first sighting taken from a later entry): the index holds what the lost entry said, no damage."""
    return name == "first_seen" and partial and mine is not None and theirs is not None and mine < theirs


def _aliases(index: IndexQueries) -> Iterator[tuple[str, str, str]]:
    """Each key alias (old key, new key, merged at), read a page at a time in old key order."""
    last: str | None = None
    while True:
        page = index.aliases_after(last, PAGE)
        for alias in page:
            yield alias.old_key, alias.new_key, alias.merged_at
        if len(page) < PAGE:
            return
        last = page[-1].old_key


def _alias_differences(index: IndexQueries, replayed: SQLiteIndex, where: str) -> tuple[list[Problem], tuple[int, str]]:
    """The key aliases the journal holds that the index lacks or leads elsewhere, holding a digest
    of each alias the journal describes; and what only the index holds, as (count, the first named).

    An alias the index leads further than the journal (the journal's post merged since into the
    one the index names, a merge whose journal record the WARCs lack), or remembered again later,
    is the index ahead of its journal."""
    tally = _Tally()
    vouched = {old: _digest((new, at)) for old, new, at in _aliases(replayed)}
    differing: list[tuple[str, tuple[str, str] | None]] = []  # with the index's (new key, merged at)
    for old, new, at in _aliases(index):
        told = vouched.pop(old, None)
        if told is None:
            tally.add_extra(old)
        elif told != _digest((new, at)):
            differing.append((old, (new, at)))
    differing += [(old, None) for old in vouched]
    del vouched
    problems: list[Problem] = []
    for old, mine in differing:
        row = replayed.db.execute("SELECT new_key, merged_at FROM key_aliases WHERE old_key = ?", [old]).fetchone()
        if row is None:
            continue
        new, at = str(row[0]), str(row[1])
        if mine is None:
            problems.append(Problem(JOURNAL, where, f"{old}: the index lacks its alias to {new}, which the journal "
                                                    "in the WARCs holds"))
        elif mine[0] != new:
            if index.alias_of(new) == mine[0]:
                tally.ahead.append(old)
            else:
                problems.append(Problem(JOURNAL, where, f"{old}: alias to {mine[0]} in the index, to {new} in the "
                                                        "journal in the WARCs"))
        elif mine[1] > at:
            tally.ahead.append(old)
        else:
            problems.append(Problem(JOURNAL, where, f"{old}: alias to {new} merged at {mine[1]} in the index, at "
                                                    f"{at} in the journal in the WARCs"))
    return problems, tally.said()


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


def _difference(key: str, facts: _Facts | None, told: _Facts, where: str) -> list[Problem]:
    """The problems of a post whose facts in the index (`facts`, None: not held) are not those the
    journal tells: what it lacks, then each capture it holds otherwise (a capture row is written
    once, so any field of it changed is a problem, however far the index is ahead), then what the
    post says; none when the index only holds more."""
    if facts is None:
        return [Problem(JOURNAL, where, f"{key}: the journal in the WARCs holds this post, the index does not")]
    lacked, changed, extra = _matched(facts.captures, told.captures)
    recaptured = [Problem(JOURNAL, where, f"{key}: {detail}") for detail in changed]
    lost = [f"the check of {at} ({status})" for at, status in sorted((told.checks - facts.checks).elements())]
    lost += lacked
    lost += [f"the citation by {url} ({kind})" for url, kind in sorted(told.citations - facts.citations)]
    held = {url: rest for url, *rest in facts.media}
    lost += [f"the media file {url}" for url, *_rest in sorted(told.media, key=repr) if url not in held]
    if lost:
        return [Problem(JOURNAL, where, f"{key}: the index lacks {', '.join(lost)}, which the journal "
                                        "in the WARCs holds"), *recaptured]
    if facts.checks == told.checks and facts.status != told.status:
        return [Problem(JOURNAL, where, f"{key}: status {facts.status} in the index, {told.status} in "
                                        "the journal in the WARCs, after the same checks"), *recaptured]
    # A media file's path, digest and type: one the journal gives, the index holds too (`add_media`
    # never clears one: a NULL is a loss). Another one may be a later download whose journal record
    # the WARCs lack (the index ahead); a file that is not what the index says it is, the check of
    # the files against their SHA-256 names.
    media = [f"the media file {url}: {'; '.join(changed)}" for url, *vouched in sorted(told.media, key=repr)
             if (changed := [f"{name} {' in the index, '.join(_apart(mine, theirs))} in the journal in the WARCs"
                             for name, mine, theirs in zip(("path", "sha256", "mime"), held[url], vouched, strict=True)
                             if theirs is not None and mine is None])]
    if facts.checks != told.checks or extra:
        # the index holds more: what it says of the post may come from those
        return ([Problem(JOURNAL, where, f"{key}: {'; '.join(media)}")] if media else []) + recaptured
    words = [f"{name} {' in the index, '.join(_apart(mine, theirs))} in the journal in the WARCs"
             for (name, mine), (_name, theirs) in zip(facts.said, told.said, strict=True) if mine != theirs]
    said = [f"{'; '.join(words)}, after the same checks and captures"] if words else []
    if said or media:
        return [Problem(JOURNAL, where, f"{key}: {'; '.join(said + media)}"), *recaptured]
    return recaptured


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
