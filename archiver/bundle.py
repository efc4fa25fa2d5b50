"""Glue between the index and the bundle writers: what `export` and `verify` select from the archive."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ExportError
from .index.rows import PageRow, RecordRow
from .layout import DB_NAME, WARC_DIR
from .models import distinct_captures, shows_post
from .times import iso_seconds, parse_timestamp

if TYPE_CHECKING:
    from .evidence.seal import EvidenceOptions
    from .export import ExportSummary
    from .index.filters import Filters
    from .index.protocol import IndexQueries
    from .index.rows import CaptureDetail, PostRow
    from .verify import LostEvidence, Problem, TruncatedRecord

log = logging.getLogger(__name__)

# What the archive found about each selected post, carried in a WACZ beside the captures.
FINDINGS_PATH = "evidence/posts.jsonl"


def _pages(index: IndexQueries, posts: list[PostRow], records: Sequence[RecordRow],
           alone: Sequence[ArticleAlone] = ()) -> list[PageRow]:
    """One page per citing article (its URL, at the capture that shows the selected posts it cites),
    and for each post one page per capture that shows it
    its own way (`distinct_captures`: the best first, then say its tombstone and the Wayback
    Machine's copy); then one page per article of `alone` (captured articles the selection holds
    that cite none of its posts). A post's pages may share a URL (its embed, captured live and after
    it was deleted): their times tell a replay tool which capture to open, each page's time being
    its own capture's (`_page_time`, read from `records`: the selection's records).

    Each page carries the words a reader would search it by: a post's page its text when the
    capture shows the post (`shows_post`: not its tombstone, a login wall, or a Wayback copy of it
    already gone), an article its title and the handles of the selected posts it cites.
    """
    pages: list[PageRow] = []
    seen: set[str] = set()
    by_capture: dict[int, list[RecordRow]] = {}
    for record in records:
        if record.capture_id is not None:
            by_capture.setdefault(record.capture_id, []).append(record)
    cited: dict[str, list[str]] = {}  # article URL -> who of the selection it cites
    for post in posts:
        name = f"@{post.handle}" if post.handle else (post.author or post.platform)
        for citation in post.articles:
            if name not in cited.setdefault(citation.url, []):
                cited[citation.url].append(name)
    for article in index.citing_articles([p.key for p in posts]) if posts else []:
        if article.url in seen or not article.first_captured:
            continue
        seen.add(article.url)
        text = "\n".join(filter(None, [article.title, "Cites " + ", ".join(cited[article.url])
                                       if cited.get(article.url) else None]))
        # The capture that shows the selected posts (an article that later cited more was captured
        # again): the one a reader of the bundle meets them in.
        when = article.showing or article.first_captured
        capture = next((c for c in index.article_captures(article.url)
                        if c.captured_at == when and (c.error is None or not article.showing)), None)
        pages.append(PageRow(url=article.url, ts=_page_time(capture, by_capture) if capture else when,
                             title=article.title or article.url, text=text or None,
                             page_record_id=capture.page_record_id if capture else None))
    shown: set[tuple[str, str]] = set()  # (URL, time) of the posts' pages
    for post in posts:
        captures = [c for c in distinct_captures(index.post_captures(post.key), post.status)
                    if c.url not in seen and (c.url, c.captured_at) not in shown]
        who = post.author or (f"@{post.handle}" if post.handle else post.platform)
        handle = f" (@{post.handle})" if post.handle and post.author else ""
        title = f"{who}{handle}, {post.posted_at or 'date unknown'}"
        # What each page shows, when there are several, or when the post is gone (its one page may
        # be a tombstone, or a copy from the Wayback Machine).
        say = len(captures) > 1 or post.status != "live"
        for capture in captures:
            if not _has_page(capture, by_capture):
                continue  # its document was not recorded (a byte cap left it out): no page to open
            shown.add((capture.url, capture.captured_at))
            pages.append(PageRow(url=capture.url, ts=_page_time(capture, by_capture),
                                 title=f"{title}: {_as_captured(capture)}" if say else title,
                                 text=(post.text or None) if shows_post(capture) else None,
                                 page_record_id=capture.page_record_id))
    for other in alone:
        if other.url in seen:
            continue
        seen.add(other.url)
        pages.append(PageRow(url=other.url, ts=_page_time(other.capture, by_capture),
                             title=other.title or other.url, text=other.title or None,
                             page_record_id=other.capture.page_record_id))
    return pages


_PAGE_TYPES = ("response", "revisit", "resource")


def _has_page(capture: CaptureDetail, by_capture: dict[int, list[RecordRow]]) -> bool:
    """Whether the capture has a page to open: its page record, else (a capture made without the
    browser, a Wayback copy) a record of its URL among its records. A capture whose records the
    selection does not hold is given the benefit of the doubt (its page time is then its own)."""
    records = by_capture.get(capture.id)
    if not records:
        return True
    if capture.page_record_id:
        return any(r.record_id == capture.page_record_id for r in records)
    return any(r.target_uri == capture.url and r.warc_type in _PAGE_TYPES for r in records)


def _page_time(capture: CaptureDetail, by_capture: dict[int, list[RecordRow]]) -> str:
    """The time of a capture's page: the `WARC-Date` of its page record (the response record of
    its main document, which its screenshots' `WARC-Concurrent-To` names). Replay tools open a page
    at its URL and time; ReplayWeb.page takes the URL's first record at or after that time, so the
    capture's own `captured_at` (taken when it ends, after its records) would open the next capture
    of that URL. When the page record is at another address than the page (its URL redirected
    there), the capture's last record of the page's own URL written at or before it (the hop that
    led there); without a page record, the capture's first record of its URL; without any, its
    `captured_at`."""
    records = by_capture.get(capture.id, [])
    page = next((r for r in records if capture.page_record_id and r.record_id == capture.page_record_id), None)
    if page is not None and page.target_uri == capture.url:
        return page.date
    own = sorted((r for r in records if r.target_uri == capture.url and r.warc_type in _PAGE_TYPES),
                 key=lambda r: _instant(r.date))
    if page is not None:
        before = [r for r in own if _instant(r.date) <= _instant(page.date)]
        return before[-1].date if before else page.date
    return own[0].date if own else capture.captured_at


def _instant(value: str) -> float:
    """A WARC-Date as seconds, to order dates written with different precisions (unreadable: last)."""
    when = parse_timestamp(value)
    return when.timestamp() if when else float("inf")


@dataclass(frozen=True)
class ArticleAlone:
    """A captured article that cites none of the selected posts, and the capture its page opens
    (the first that completed, else its first)."""

    url: str
    title: str | None
    capture: CaptureDetail


def _articles_alone(index: IndexQueries, filters: Filters, posts: Sequence[PostRow]) -> list[ArticleAlone]:
    """The captured articles the selection holds that cite none of its posts: for the whole archive,
    every captured article citing no post; for `--article` alone (no other filter), the article it
    names when it cites no post (looked up by its URL keys, not among every article). Other filters
    select posts, and an article by what it cites."""
    article_only = filters.article is not None and replace(filters, article=None).selects_all
    if article_only and not posts:
        return [ArticleAlone(row.url, row.title, _page_capture(captures))
                for row, captures in index.articles_keyed(filters.article_keys) if captures]
    if not filters.selects_all:
        return []
    citing = {c.url for p in posts for c in p.articles}
    found: dict[str, CaptureDetail] = {}
    after: str | None = None
    while batch := index.article_captures_after(after, _PAGE):
        for url, captures in batch:
            if url not in citing and captures:
                found[url] = _page_capture(captures)
        after = batch[-1][0]
    titles: dict[str, str | None] = {}
    after = None
    while found and (rows := index.articles_after(after, _PAGE)):
        titles.update((r.url, r.title) for r in rows if r.url in found)
        after = rows[-1].url
    return [ArticleAlone(url, titles.get(url), capture) for url, capture in found.items()]


def _page_capture(captures: Sequence[CaptureDetail]) -> CaptureDetail:
    """The capture an article's page opens: its first that completed, else its first."""
    return next((c for c in captures if c.error is None), captures[0])


_PAGE = 1000  # articles read at a time


def _as_captured(capture: CaptureDetail) -> str:
    """What one of a post's several pages shows, for its title: `live, captured 2024-03-05T10:10:10Z`,
    `deleted, captured ...`, `the Wayback Machine's copy of 2024-03-04T18:30:00Z`."""
    when = parse_timestamp(capture.captured_at)
    captured = iso_seconds(when) if when else capture.captured_at
    if capture.source == "wayback":
        from .capture.wayback import copy_time

        copied = copy_time(capture.url)
        return f"the Wayback Machine's copy of {copied}" if copied else f"the Wayback Machine's copy, captured {captured}"
    return f"{capture.status}, captured {captured}"


def selection_title(filters: Filters, count: int, handles: Iterable[str | None] = (), *, articles: int = 0) -> str:
    """The bundle's title, naming what was selected: `Posts by @Alice on twitter, posted 2021-11-08
    (3 posts)`; `Whole archive (12 posts)` when nothing was filtered, `Whole archive (12 posts, 2
    articles citing none)` when it holds `articles` that cite no post; `Article URL (it cites no
    post)` for `--article` naming one. The handle is named as the
    archive holds it: the spelling most of the selected posts' `handles` carry (the handle filter
    matches any case), else as the filter holds it, lower-cased."""
    handle = _held_spelling(filters.handle, handles) if filters.handle else None
    who = " ".join(filter(None, [f"by @{handle}" if handle else None,
                                  f"on {filters.platform}" if filters.platform else None]))
    parts: list[str] = [who] if who else []
    if filters.date:
        parts.append(f"posted {filters.date.strip()}")
    if filters.since and filters.until:
        parts.append(f"posted {filters.since.strip()} to {filters.until.strip()}")
    elif filters.since:
        parts.append(f"posted since {filters.since.strip()}")
    elif filters.until:
        parts.append(f"posted until {filters.until.strip()}")
    if filters.text:
        parts.append(f"matching {filters.text!r}")
    if filters.status:
        parts.append(f"status {filters.status}")
    if filters.article:
        from .redact import redact_url

        parts.append(f"cited by {redact_url(filters.article)}")  # a title is passed around: no token in it
    if filters.captured_since:
        parts.append(f"captured since {filters.captured_since.strip()}")
    if filters.article and not count and articles:
        from .redact import redact_url

        return f"Article {redact_url(filters.article)} (it cites no post)"
    counted = _counted(count, articles)
    return f"Posts {', '.join(parts)} ({counted})" if parts else f"Whole archive ({counted})"


def _counted(posts: int, articles: int = 0) -> str:
    """`3 posts`, or `3 posts, 1 article citing none` with `articles` that cite none of them."""
    said = f"{posts} post" + ("" if posts == 1 else "s")
    if articles:
        said += f", {articles} article" + (" citing none" if articles == 1 else "s citing none")
    return said


def _held_spelling(handle: str, handles: Iterable[str | None]) -> str:
    """`handle` (lower-cased) as most of `handles` spell it, the first seen among equals; itself
    when none is that handle."""
    spellings = Counter(h for h in handles if h and h.lower() == handle)
    return spellings.most_common(1)[0][0] if spellings else handle


# The tables an export of a selection reads (the posts and their checks, citing articles and
# captures: `lookup`; their records and the captures' timestamps), and a report; with --text, the
# full-text index too. tests/test_damaged_archive.py asks SQLite which tables each reads.
# (former_handles: a post's earlier handles, which `--handle` matches and the posts' rows list)
EXPORT_READS = ("posts", "citations", "articles", "observations", "captures", "capture_stamps", "records",
                "former_handles")
# (history_lost: whether the index was rebuilt from partial history, deciding how posts no article is known to cite are filed)
REPORT_READS = ("posts", "citations", "articles", "observations", "captures", "history_lost", "former_handles")
TEXT_READS = ("posts_fts",)


def tables_read(filters: Filters, reads: Sequence[str]) -> tuple[str, ...] | None:
    """The tables a command reading `reads` reads for the selection `filters`; None (every table)
    for the whole archive."""
    if filters.selects_all:
        return None
    return (*reads, *TEXT_READS) if filters.text else tuple(reads)


def require_sound(index: IndexQueries, tables: Sequence[str] | None = None) -> None:
    """IndexDamaged (exit 2) when the database's quick check of every page (with `tables`: of the
    pages of those tables and their indexes, those the command reads) finds damage. SQLite
    reads a damaged page of a table by row id as "no such row" rather than as an error (only a scan
    of it fails), so a command reading the archive through its rows (an export, a report) would
    otherwise leave out whatever such a page held (a post's citing articles, say) and succeed."""
    found = index.quick_check(tables)
    if found:
        from .index.sqlite.damage import damaged

        raise damaged(getattr(index, "path", None), "the database's own check fails: " + "; ".join(found))


def export_selection(index: IndexQueries, archive_dir: Path, filters: Filters, out: Path, *,
                     include_credentials: bool = False, allow_damaged: bool = False,
                     evidence: EvidenceOptions | None = None, fmt: str | None = None) -> ExportSummary:
    """Export the posts matching `filters`, with the articles citing them; `evidence` signs and
    timestamps the bundle (an authority that failed is named in the summary's `unsealed`). `fmt`
    is the format asked for where the output's name cannot tell (`bundle_format`)."""
    from .export import bundle_format, export_bundle

    fmt = bundle_format(out, fmt)  # a bad name is a usage error before any work
    require_sound(index, tables_read(filters, EXPORT_READS))
    posts = index.lookup(filters)
    alone = _articles_alone(index, filters, posts)
    if filters.selects_all:
        records = list(index.all_records())  # every record: the articles' and posts', and any other
        # Records of no post or article (a feed as fetched, a failed fetch, a short link's hops): the
        # whole archive holds them, though no page leads to them.
        others = sum(1 for r in records if r.post_key is None and r.article_id is None)
        # No filter given: say what that means before the work.
        log.warning("exporting the whole archive (%s%s); give --handle, --since, ... to export less",
                    _counted(len(posts), len(alone)), f", {others} record{'' if others == 1 else 's'} of no post "
                    "or article: feeds, failed fetches, short links' hops" if others else "")
    if not posts and not alone:
        raise ExportError("nothing matched the filters; try `archiver lookup` with the same filters first")
    if not filters.selects_all:
        records = index.records_for([p.key for p in posts]) if posts else []
        if alone:
            records = sorted({r.record_id: r for r in [*records, *index.article_records([a.url for a in alone])]}.values(),
                             key=lambda r: (r.filename, r.offset))
    title = selection_title(filters, len(posts), (p.handle for p in posts), articles=len(alone))
    extra: dict[str, bytes] = {}
    if fmt == "wacz":
        evidence = _with_capture_stamps(index, records, evidence)
        if posts:  # a bundle of an article citing no post has no findings (an empty file is no JSON lines)
            extra[FINDINGS_PATH] = findings(posts)
    sealer = None
    if evidence:
        from .evidence.seal import Sealer

        sealer = Sealer(evidence)
        extra.update(sealer.files())
    summary = export_bundle(archive_dir, records, _pages(index, posts, records, alone), out,
                            include_credentials=include_credentials, title=title, allow_damaged=allow_damaged,
                            extra_files=extra or None, seal=sealer, fmt=fmt)
    if sealer is not None:
        summary.unsealed.extend(sealer.failures)
    return summary


def findings(posts: Sequence[PostRow]) -> bytes:
    """What the archive holds about each post, one JSON object a line, as `lookup --format json`
    gives it: who posted what and when, its status and the reason, every check with its date (when
    it was seen live, when gone), its captures and the articles citing it. Listed in the WACZ's
    datapackage.json like every file, so the bundle's signature and timestamps cover it."""
    from .output import to_jsonl

    return to_jsonl(p.to_dict() for p in posts).encode()


def _with_capture_stamps(index: IndexQueries, records: Sequence[RecordRow],
                         evidence: EvidenceOptions | None) -> EvidenceOptions | None:
    """`evidence` with the RFC 3161 tokens of the exported captures (taken at capture time), which
    travel with every WACZ export, signed or not."""
    captures = sorted({r.capture_id for r in records if r.capture_id is not None})
    stamps = index.capture_stamps(captures) if captures else []
    if not any(s.token for s in stamps):
        return evidence
    from .evidence.seal import EvidenceOptions
    from .evidence.sidecar import captures_from_stamps

    evidence = evidence or EvidenceOptions()
    evidence.captures = captures_from_stamps(stamps)
    return evidence


def index_damage(archive_dir: Path) -> str | None:
    """Why the archive's own index (archive.db) cannot even be opened, when it is damaged (a file
    cut short, its header overwritten); None when it opens. Other failures are raised."""
    from .errors import IndexDamaged
    from .index.sqlite.index import SQLiteIndex

    try:
        SQLiteIndex(archive_dir, create=False).close()
    except IndexDamaged as e:
        return str(e)
    return None


def beside_damaged_index(archive_dir: Path, damage: str, *, truncated: list[TruncatedRecord] | None = None,
                         where: str = DB_NAME) -> tuple[list[Problem], str]:
    """An index whose answers cannot be trusted is a problem of kind `index`, but the WARCs can still
    be checked on their own: each record read through, its digests compared, as without an index."""
    from .verify import INDEX, Problem, verify_archive

    problems = [Problem(INDEX, where, damage)]
    problems += verify_archive(archive_dir, [], [], truncated=truncated)
    return problems, "index checked; WARC files walked without it"


def verify_selection(index: IndexQueries, archive_dir: Path, *, truncated: list[TruncatedRecord] | None = None,
                     where: str = DB_NAME, lost: LostEvidence | None = None) -> tuple[list[Problem], str]:
    """Verify every indexed record and screenshot, and the index against the journal the WARCs
    carry (`journalcheck`); returns the problems and what was checked. Records marked
    WARC-Truncated are noted, and added to `truncated` when it is given; the captures that lost
    evidence, to `lost`. `where`: how the index is named in what is said of it (its file, or its
    URL without the password)."""
    from .errors import IndexDamaged
    from .index.sqlite.damage import FIX

    # The index's own storage first: a damaged page that no query below happens to read. Its
    # answers cannot be trusted then, but the WARCs can still be checked on their own: each record
    # read through, its digests compared, as for an archive without an index.
    found = index.self_check()
    if found:
        return beside_damaged_index(archive_dir, f"the database's own check fails: {'; '.join(found)}; {FIX}",
                                    truncated=truncated, where=where)
    try:
        return _verify_indexed(index, archive_dir, truncated=truncated, where=where, lost=lost)
    except IndexDamaged as e:
        # Damage SQLite's own check passes (garbage bytes where a row's text was) stops the read of
        # the index at that row: the WARCs are checked on their own, and what was noted is noted again.
        if truncated is not None:
            truncated.clear()
        if lost is not None:
            lost.captures.clear()
            lost.unlinked.clear()
        return beside_damaged_index(archive_dir, str(e), truncated=truncated, where=where)


def _verify_indexed(index: IndexQueries, archive_dir: Path, *, truncated: list[TruncatedRecord] | None,
                    where: str, lost: LostEvidence | None = None) -> tuple[list[Problem], str]:
    """`verify_selection` of an index SQLite's own check finds sound."""
    from .index.spool import Spool
    from .journalcheck import compare
    from .verify import (
        INDEX,
        REINDEX_ELSEWHERE_HINT,
        REINDEX_FORCE_HINT,
        Problem,
        being_written,
        verify_archive,
    )

    shots = index.stored_files()
    counted = [0]

    captures: set[int] = set()  # those holding records, whose timestamps the journal may vouch for

    def records() -> Iterator[RecordRow]:  # read as checked, file by file: never all at once
        for row in index.all_records():
            counted[0] += 1
            if row.capture_id is not None:
                captures.add(row.capture_id)
            yield row

    unheld = index.unheld_page_records()  # named one by one below
    with Spool() as journal:  # the journal entries, on disk until replayed
        problems = verify_archive(archive_dir, records(), shots, whole_index=True, truncated=truncated,
                                  journal=journal,
                                  stamps=index.capture_stamps if index.has_tokens() else None,
                                  reindex_hint=REINDEX_FORCE_HINT if where == DB_NAME else REINDEX_ELSEWHERE_HINT,
                                  where=where, named_lost=[rid for _what, _at, rid in unheld],
                                  names=index.capture_names, in_files=index.captures_in_files, lost=lost)
        damaged = any(p.path.startswith(f"{WARC_DIR}/") for p in problems)
        problems += compare(index, journal, where=where, writing=being_written(archive_dir), damaged=damaged,
                            captures=captures)
        problems += [Problem(INDEX, where, f"the capture of {what} at {at} names its page record {rid}, which the "
                                           "index does not hold: `archiver reindex --force` rebuilds the index "
                                           "from the WARC files")
                     for what, at, rid in unheld]
        entries = len(journal)
    checked = (f"{counted[0]} record{'s' if counted[0] != 1 else ''}, "
               f"{len(shots)} file{'s' if len(shots) != 1 else ''} checked")
    return problems, checked + (f", {entries} journal entries compared with the index" if entries else "")
