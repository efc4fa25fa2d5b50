"""`run`: a scheduled pass over a seeds folder — new articles captured, held posts re-checked.

Safe under cron: one run at a time (the archive lock, exit 3 or --wait), WARC
files recovered to their last complete record before anything is written, and every capture's
index rows committed only after its WARC records are on disk, so a killed run is resumed by the
next one without duplicates.

With `concurrency` > 1 the work is shared among worker processes (archiver/workers.py), in two
phases so that no post is captured twice even when articles handled by different workers cite it:
  1. articles: read, detect, resolve short links, capture the article page, index its citations;
  2. the unique posts that need a capture (not held yet, or due for a re-check).
The parent holds the archive lock throughout and does the bookkeeping (run row, recovery, the
choice of posts, the merged summary); the workers never take the lock. With 1, everything runs in
this process exactly as it always has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .archive import Archiver, ArchiveSummary, ArticleOutcome, Session, _now
from .interrupt import STOP
from .layout import WARC_DIR
from .limits import Limits
from .lock import ArchiveLock
from .models import Post
from .modes import make_dirs
from .postcapture import PostOutcome
from .seeds import read_seeds
from .sources import expand

if TYPE_CHECKING:
    from .index.store import Index
    from .net import NetOptions
    from .workers import WorkerPool

log = logging.getLogger(__name__)


def run(seeds: Path, archive_dir: Path, net: NetOptions, *, recheck_after: timedelta = timedelta(days=7),
        wait: bool = False, timeout: float = 30.0, concurrency: int = 1,
        progress: Callable[[str], None] | None = None, limits: Limits | None = None) -> ArchiveSummary:
    """Archive what the seeds list, then re-check held posts whose last check is older than recheck_after."""
    seed_list = read_seeds(seeds)
    # The operator's own URL lists are trusted as given; links read from feeds are content.
    net = net.trusting(seed_list.trusted)
    if concurrency > 1:
        with locked(archive_dir, wait=wait):
            return _run_parallel(seed_list.sources, seed_list.problems, archive_dir, net,
                                 recheck_after=recheck_after, timeout=timeout, workers=concurrency,
                                 progress=progress, limits=limits)
    with locked(archive_dir, wait=wait), Session(archive_dir, net, timeout=timeout, limits=limits) as session, \
            recorded_run(session.index, "run") as record:
        archiver = Archiver(session, progress=progress, max_bytes=session.limits.max_bytes)
        record.summary = summary = archiver.summary
        for problem in seed_list.problems:
            archiver.summary.failures.append(problem)
        archiver.archive_specs(seed_list.sources)
        due = [] if archiver.stopping() else [
            k for k in session.index.posts_due_for_recheck(recheck_after) if k not in {p.key for p in summary.posts}]
        if due:
            log.info("re-checking %d post(s) last checked before %s ago", len(due), recheck_after)
        before = {k: session.index.post_status(k) for k in due}
        archiver.recheck(due)
        summary.rechecked = sum(1 for p in summary.posts if p.key in before)
        summary.changed = sum(
            1 for p in summary.posts if p.key in before and before[p.key] != p.status)
    return summary


@contextmanager
def locked(archive_dir: Path, *, wait: bool = False) -> Iterator[ArchiveLock]:
    """The archive's lock; SIGINT/SIGTERM while waiting for it (`wait`) stop the wait at once."""
    lock = ArchiveLock(archive_dir, wait=wait)
    with STOP.raising():
        lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


class RunRecord:
    """The run row being written; `summary` is what `recorded_run` stores when the run ends."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.summary: ArchiveSummary | None = None


@contextmanager
def recorded_run(index: Index, command: str) -> Iterator[RunRecord]:
    """A row in `runs` for this run, opened after closing the rows of runs that died unfinished.

    Call it holding the archive's lock: a run still going holds the lock, so an unfinished row seen
    under it belongs to a process that was killed (kill -9, out of memory, power cut). The row is
    closed as 'done', as 'interrupted' when a signal stopped the run early, or as 'failed' when the
    run ended with an error.
    """
    for row in index.close_unfinished_runs("killed"):
        what = "run" if row.get("command") in (None, "run") else f"{row['command']} run"
        log.warning("%s %s (started %s) did not finish: closed as killed", what, row["id"], row["started_at"])
    record = RunRecord(index.start_run(command))
    try:
        yield record
    except BaseException as e:
        summary = record.summary.to_dict() if record.summary is not None else {}
        summary["error"] = f"{type(e).__name__}: {e}"
        index.finish_run(record.run_id, summary, "failed")
        raise
    summary_obj = record.summary or ArchiveSummary()
    summary_obj.run_id = record.run_id
    if STOP.requested and not summary_obj.interrupted:
        summary_obj.interrupted = STOP.signum  # arrived during the last item: still said and closed so
    if not summary_obj.finished_at:
        summary_obj.finished_at = _now()
    index.finish_run(record.run_id, summary_obj.to_dict(),
                     "interrupted" if summary_obj.interrupted else "done")


# -- the parallel run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleTask:
    """Phase 1: archive one source without capturing its posts."""

    spec: str


@dataclass(frozen=True)
class PostTask:
    """Phase 2: capture one post (`post`), or re-check a held one (`recheck_key`)."""

    post: Post | None = None
    recheck_key: str | None = None
    offline: bool = False  # the network was found unreachable in phase 1

    @property
    def key(self) -> str:
        return self.post.key if self.post is not None else str(self.recheck_key)


class CaptureJob:
    """What each worker process runs: its own Session, one Archiver per task.

    Pickled into the worker before `open`, so it carries settings only until then.
    """

    def __init__(self, archive_dir: Path, net: NetOptions, timeout: float, limits: Limits | None = None) -> None:
        self.archive_dir = archive_dir
        self.net = net
        self.timeout = timeout
        self.limits = limits
        self._session: Session | None = None
        # Once a capture in this worker found the network down, later ones know it too (as in a
        # run without workers, where one Archiver carries the flag from post to post).
        self._offline = False

    def open(self, worker: int) -> None:
        # A WARC prefix of its own: two workers never race for the same file name. No recovery:
        # the parent did it, and the other workers' `.open` files are alive, not leftovers.
        session = Session(self.archive_dir, self.net, timeout=self.timeout, recover_warcs=False,
                          warc_prefix=f"archiver-w{worker}", limits=self.limits)
        self._session = session.__enter__()

    def handle(self, task: Any, progress: Callable[[str], None]) -> Any:
        assert self._session is not None, "open() first"
        archiver = Archiver(self._session, progress=progress, max_bytes=self._session.limits.max_bytes)
        if isinstance(task, ArticleTask):
            posts = archiver.archive_spec(task.spec, capture_posts=False)
            return archiver.summary, posts
        if isinstance(task, PostTask):
            archiver.summary.network_unreachable = task.offline or self._offline
            if task.post is not None:
                # The parent already chose this post as not held: capture it without asking again.
                archiver.capture_post(task.post, force=True)
            else:
                archiver.recheck([task.key])
            self._offline = archiver.summary.network_unreachable
            return archiver.summary
        raise TypeError(f"unknown task {task!r}")

    def close(self) -> None:
        if self._session is not None:
            self._session.__exit__(None, None, None)
            self._session = None


def _run_parallel(sources: list[str], problems: list[str], archive_dir: Path, net: NetOptions, *,
                  recheck_after: timedelta, timeout: float, workers: int,
                  progress: Callable[[str], None] | None, limits: Limits | None = None) -> ArchiveSummary:
    """The two-phase run over `workers` processes; the caller holds the archive lock."""
    from .index.store import Index
    from .warcstore import recover
    from .workers import WorkerPool

    warcs = make_dirs(archive_dir / WARC_DIR)
    for msg in recover(warcs):
        log.warning("%s", msg)
    if net.ca_bundle is not None:
        # Build Chromium's NSS database (for --ca-bundle) once, here: workers starting together
        # would otherwise rebuild it under each other's feet. They find it ready and reuse it.
        net.chromium_launch(make_dirs(archive_dir / ".browser"))
    summary = ArchiveSummary(started_at=_now(), failures=list(problems))
    # The parent's index is opened (and migrated) before any worker opens its own.
    with Index(archive_dir) as index, recorded_run(index, "run") as record, \
            WorkerPool(CaptureJob(archive_dir, net, timeout, limits), workers, progress=progress,
                       should_stop=lambda: STOP.signum) as pool:
        record.summary = summary
        specs = list(expand(sources))
        summary.articles_planned = len(specs)
        to_capture = _phase_articles(pool, specs, summary)
        tasks = [] if STOP.requested else _choose_posts(index, to_capture, summary, recheck_after)
        before = {t.key: index.post_status(t.key) for t in tasks if t.recheck_key is not None}
        if before:
            log.info("re-checking %d post(s) last checked before %s ago", len(before), recheck_after)
        _phase_posts(pool, tasks, summary)
        pool.close()
        # A worker that died leaves an `.open` WARC; every worker has stopped now, so finish it
        # here rather than leave it to the next run (its committed records stay where they are).
        for msg in recover(warcs):
            log.warning("%s", msg)
        summary.rechecked = sum(1 for p in summary.posts if p.key in before)
        summary.changed = sum(1 for p in summary.posts if p.key in before and before[p.key] != p.status)
        summary.finished_at = _now()
        summary.interrupted = STOP.signum
    return summary


def _phase_articles(pool: WorkerPool, specs: list[str], summary: ArchiveSummary) -> list[Post]:
    """Phase 1 over the pool; returns every post the articles cite that has something to capture."""
    from .workers import NotStarted, TaskFailed

    posts: list[Post] = []
    for spec, result in zip(specs, pool.map([ArticleTask(s) for s in specs]), strict=True):
        if isinstance(result, NotStarted):
            continue
        if isinstance(result, TaskFailed):
            msg = f"{spec}: not archived: {result.reason}"
            log.warning("%s", msg)
            summary.failures.append(msg)
            summary.articles.append(ArticleOutcome(spec, spec, error=msg))
            continue
        part, found = result
        summary.merge(part)
        posts.extend(found)
    return posts


def _choose_posts(index: Index, posts: list[Post], summary: ArchiveSummary,
                  recheck_after: timedelta) -> list[PostTask]:
    """Phase 2's work: each post once (the first citation wins, as in a run without workers), only
    if not held yet; then the held posts due for a re-check that are not captured anyway."""
    offline = summary.network_unreachable
    tasks: list[PostTask] = []
    seen: set[str] = set()
    for post in posts:
        if post.key in seen:
            continue
        seen.add(post.key)
        if index.has_capture(post.key):
            summary.skipped_posts += 1
            continue
        tasks.append(PostTask(post=post, offline=offline))
    captured = {t.key for t in tasks}
    tasks += [PostTask(recheck_key=k, offline=offline)
              for k in index.posts_due_for_recheck(recheck_after) if k not in captured]
    return tasks


def _phase_posts(pool: WorkerPool, tasks: list[PostTask], summary: ArchiveSummary) -> None:
    """Phase 2 over the pool; a task whose worker failed is a post with an error, tried again next run."""
    from .workers import NotStarted, TaskFailed

    for task, result in zip(tasks, pool.map(tasks), strict=True):
        if isinstance(result, NotStarted):
            continue
        if isinstance(result, TaskFailed):
            platform = task.post.platform if task.post is not None else task.key.partition(":")[0]
            url = task.post.url if task.post is not None else None
            error = f"not captured: {result.reason}"
            log.warning("%s: %s", task.key, error)
            summary.failures.append(f"{task.key}: {error}")
            summary.posts.append(PostOutcome(task.key, platform, url, "unknown", error=error))
            continue
        summary.merge(result)
