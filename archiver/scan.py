"""`scan`: read sources and find the social posts they embed, link or cite."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .limits import DEFAULT_FETCH_DEADLINE, DEFAULT_MAX_FEED_ARTICLES
from .models import KINDS, Document, Post
from .sources import (
    DEFAULT_MAX_BYTES,
    LocalFile,
    SourceFailure,
    check_specs,
    fetch_url,
    is_url,
    pending_sources,
    read_sources,
    shown,
)

if TYPE_CHECKING:
    from .net import NetOptions
    from .seeds import Feed

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    """What a scan found: posts in source order, and the sources that could not be read."""

    posts: list[Post] = field(default_factory=list)
    failures: list[SourceFailure] = field(default_factory=list)
    sources_read: int = 0


def scan(specs: list[str], *, kind: str = "all", max_bytes: int = DEFAULT_MAX_BYTES,
         net: NetOptions | None = None, problems: Sequence[str] = (),
         max_feed_articles: int = DEFAULT_MAX_FEED_ARTICLES, jobs: int | None = 1,
         fetch_deadline: float | None = DEFAULT_FETCH_DEADLINE) -> ScanResult:
    """Detect posts in every source; `kind` is one of KINDS or "all"; `problems`: sources already
    found unusable (a bad line of a URL list), each named among the failures; a feed fetched from
    the web stands for at most `max_feed_articles` of the articles it lists, the newest where dated.
    Each fetch (a URL, a feed, a short link's hops) ends by `fetch_deadline` seconds, everything included.

    `jobs`: processes that read and scan files at once (None: as many as this process may use CPUs,
    at most `MAX_JOBS`); a run of files takes more than one only when each gets `FILES_PER_JOB`
    of them. What is found, and named, is the same in the same order whatever the number.

    `''` or a malformed URL among `specs` is a usage error, raised before anything is read.
    """
    check_specs(specs)
    wanted = set(KINDS) if kind == "all" else {kind}
    result = ScanResult()
    result.failures += [SourceFailure(problem.split(": ", 1)[0], problem) for problem in problems]
    files: list[str] = []  # a run of files given or listed in a row, not read yet

    def take(outcome: _Outcome) -> None:
        read, posts, failure = outcome
        result.sources_read += read
        if failure is not None:
            log.debug("%s", failure.message)  # the caller names every failure (ScanResult.failures)
            result.failures.append(failure)
        result.posts.extend(p for p in posts if p.kind in wanted)

    reading = _Reading(max_bytes, net, fetch_deadline)
    for item in _with_feeds(_read(specs, reading), reading, max_feed_articles, set(specs)):
        if isinstance(item, LocalFile):
            files.append(item.spec)
            continue
        if files:
            for outcome in _scan_files(files, max_bytes, jobs):
                take(outcome)
            files = []
        if isinstance(item, Post):
            take((True, [item], None))
        elif isinstance(item, SourceFailure):
            take((False, [], item))
        else:
            take((True, *_detected(item)))
    for outcome in _scan_files(files, max_bytes, jobs):
        take(outcome)
    return result


# What became of one source: whether it was read, the posts found in it, and its failure if any.
_Outcome = tuple[bool, list[Post], SourceFailure | None]
MAX_JOBS = 8
FILES_PER_JOB = 16  # fewer files than this each, and starting a process costs more than it saves


def _detected(doc: Document) -> tuple[list[Post], SourceFailure | None]:
    """The posts in a document, or the failure that stopped its scan (one page never sinks the rest)."""
    from .detect import detect

    try:
        return detect(doc), None
    except Exception as e:
        msg = f"{doc.source}: could not be scanned ({type(e).__name__}: {e})"
        log.debug("%s", msg, exc_info=True)
        return [], SourceFailure(doc.source, msg)


def _scan_file(spec: str, max_bytes: int) -> _Outcome:
    """Read one file and scan it (in a worker process, or in this one)."""
    from .errors import SourceError
    from .sources import read_file

    try:
        doc = read_file(Path(spec), max_bytes, given=spec)
    except SourceError as e:
        return False, [], SourceFailure(spec, str(e))
    _note_saved_feed(doc)
    return (True, *_detected(doc))


def _scan_files(specs: list[str], max_bytes: int, jobs: int | None) -> Iterator[_Outcome]:
    """Each file read and scanned, in order: by worker processes when there are enough files for
    more than one (see `scan`), each file read in the worker that scans it."""
    workers = _workers(jobs, len(specs))
    if workers <= 1:
        yield from (_scan_file(spec, max_bytes) for spec in specs)
        return
    import multiprocessing

    from .detect import html  # noqa: F401  # imported here, before the fork: no worker imports it again

    # Forked workers start at once, with the detector already imported; a worker leaves Ctrl-C
    # to this process, which stops them all on its way out (the pool's end terminates them).
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals) as pool:
        chunk = max(1, min(16, len(specs) // (workers * 8)))
        yield from pool.imap(partial(_scan_file, max_bytes=max_bytes), specs, chunksize=chunk)


def _workers(jobs: int | None, files: int) -> int:
    """How many processes scan `files` files: `jobs` (None: the CPUs this process may use, at most
    MAX_JOBS), no more than give each FILES_PER_JOB files, one where processes cannot be forked."""
    import multiprocessing

    if jobs is None:
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        jobs = min(usable, MAX_JOBS)
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(jobs, files // FILES_PER_JOB))


def _worker_signals() -> None:
    """In a scanning worker: Ctrl-C is the parent's to answer; SIGTERM (the pool's end) ends it quietly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass(frozen=True)
class _Reading:
    """How sources are read: at most `max_bytes` each, URLs through `net`, each fetch ending by
    `deadline` seconds (None: none)."""

    max_bytes: int
    net: NetOptions | None
    deadline: float | None


def _read(specs: list[str], how: _Reading) -> Iterator[Post | Document | SourceFailure | LocalFile]:
    """Each source read, in order. A post's own address (a tweet's URL) is that post, not fetched:
    its page is the platform's, which shows the post to a browser, if at all, not in its markup. A
    short link (`t.co/CODE`) is followed to the post or the article it stands for."""
    from .errors import NetworkError, SourceError

    rest: list[str] = []
    for spec in specs:
        if not is_url(spec):
            rest.append(spec)
            continue
        try:
            post, target = _address(spec, how)
        except (SourceError, NetworkError) as e:
            post, target = None, None
            failure: SourceFailure | None = SourceFailure(spec, str(e))
        else:
            failure = None
        if post is None and target is None and failure is None:
            rest.append(spec)
            continue
        yield from pending_sources(rest, max_bytes=how.max_bytes, net=how.net, deadline=how.deadline)
        rest = []
        if failure is not None:
            yield failure
        elif post is not None:
            yield post
        elif target is not None:
            # named as the user gave it
            for item in read_sources([target], max_bytes=how.max_bytes, net=how.net, deadline=how.deadline):
                yield (replace(item, source=spec) if isinstance(item, Document)
                       else SourceFailure(spec, f"{shown(spec)} led to {item.message}"))
    yield from pending_sources(rest, max_bytes=how.max_bytes, net=how.net, deadline=how.deadline)


def _address(spec: str, how: _Reading) -> tuple[Post | None, str | None]:
    """`detect.source_address` with an HTTP client made only when a short link is to be followed."""
    from contextlib import ExitStack

    from .capture.http import RecordingClient
    from .detect import source_address
    from .net import NetOptions

    with ExitStack() as stack:
        return source_address(spec, lambda: stack.enter_context(
            RecordingClient(how.net or NetOptions(), max_retries=0, deadline=how.deadline, max_body=how.max_bytes)))


def _with_feeds(items: Iterator[Post | Document | SourceFailure | LocalFile], how: _Reading,
                room: int, seen: set[str]) -> Iterator[Post | Document | SourceFailure | LocalFile]:
    """The items, each feed fetched from the web (RSS, Atom, a sitemap) replaced by at most `room`
    of the articles it lists, read (a sitemap index: those of the sitemaps it lists), each once
    (`seen`: the sources given, and those read so far); a feed file is read as it is (a seeds
    folder is where feeds are files)."""
    for item in items:
        yield from _expanded(item, how, room, depth=0, left=[room], seen=seen)


def _note_saved_feed(doc: Document) -> None:
    """Say so when a document read from a file or stdin is a feed: what its entries hold is scanned,
    the articles it lists are not fetched."""
    from .seeds import document_feed

    if doc.url is None and (saved := document_feed(doc)):
        log.warning("%s: a feed file listing %d article(s) or sitemap(s), read as it is; give the feed's URL to scan "
                    "its articles, or put the file in a seeds folder for `archiver run`",
                    doc.source, len(saved.articles) + len(saved.sitemaps))


def _expanded(item: Post | Document | SourceFailure | LocalFile, how: _Reading, bound: int, *,
              depth: int, left: list[int], seen: set[str]) -> Iterator[Post | Document | SourceFailure | LocalFile]:
    """`item`, or the articles it stands for when it is a feed fetched from the web, `depth` feeds
    away from the source given (as `archive` and `run` take them): a feed a feed lists gives its own
    articles, but no sitemap it lists is read, and one listed by such a feed gives nothing. `left`
    holds what the bound still lets the source given add; an article `seen` before is not read again."""
    from .seeds import document_feed, expand_feed, left_out_note, too_deep_note

    feed = document_feed(item) if isinstance(item, Document) and item.url is not None else None
    if feed is None:
        if depth == 0 and isinstance(item, Document):
            _note_saved_feed(item)
        yield item
        return
    assert isinstance(item, Document)
    if depth >= 2:
        log.warning("%s", too_deep_note(item.source, feed))
        return

    def fetch(url: str) -> Feed | None:
        return document_feed(fetch_url(url, how.max_bytes, how.net, deadline=how.deadline))

    got = expand_feed(item.source, feed, room=left[0], fetch=fetch if depth == 0 else None,
                      also=(item.url,) if item.url else ())
    log.info("%s: feed with %d article(s)", item.source, len(got.articles))
    new = [url for url in got.articles if url not in seen]
    seen.update(new)
    left[0] -= len(new)
    for problem in got.problems:
        yield SourceFailure(item.source, problem)
    for note in got.notes:
        log.warning("%s", note)
    if got.left_out or got.unread:
        log.warning("%s", left_out_note(item.source, len(got.articles), got.left_out, bound, got.unread))
    if got.empty:
        yield SourceFailure(item.source, f"{item.source}: a feed that lists no article to scan")
    for listed in _read(new, how):  # a post's own address there is that post, as given
        yield from _expanded(listed, how, bound, depth=depth + 1, left=left, seen=seen)
