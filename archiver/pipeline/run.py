"""One run, two phases, over an executor; used by `archive` (no re-checks) and `run` (re-checks).

  1. articles: each source read, its posts detected, short links resolved, the article page
     captured and its citations indexed;
  2. posts: each post once (the first citation wins), only if not held yet (unless recaptured),
     then the held posts due for a re-check.
This process holds the archive's lock throughout, repairs WARC files left open before the run, and
does the bookkeeping (the run row, the choice of posts, the summary); the executor handles the tasks,
here or in worker processes. Whether the network was found unreachable is run state: carried from
results into the tasks made after them, and only written to the summary at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..interrupt import STOP
from ..limits import Limits
from ..models import Post
from ..sources import expand
from ..times import iso_seconds
from .executors import Executor, Handlers, InlineExecutor, NotStarted, ProcessPoolExecutor, TaskFailed
from .postcapture import PostOutcome
from .session import Session, recover_warcs
from .summary import ArchiveSummary, ArticleOutcome
from .tasks import ArticleResult, ArticleTask, PostResult, PostTask

if TYPE_CHECKING:
    from ..index.protocol import ArchiveIndex
    from ..net import NetOptions

log = logging.getLogger(__name__)


@dataclass
class RunState:
    """What the run has learnt so far that changes how later tasks are handled."""

    offline: bool = False  # the network was found unreachable


@dataclass(frozen=True)
class Plan:
    """How a run captures: `recapture` held articles and posts again; re-check held posts last
    checked longer ago than `recheck_after` (None: no re-checks)."""

    recapture: bool = False
    recheck_after: timedelta | None = None


def execute(command: str, specs: Sequence[str], archive_dir: Path, net: NetOptions, *, plan: Plan,
            problems: Sequence[str] = (), workers: int = 1, timeout: float = 30.0,
            limits: Limits | None = None, progress: Callable[[str], None] | None = None) -> ArchiveSummary:
    """Run `specs` as the `command` row of `runs`; the caller holds the archive's lock."""
    from ..runs import recorded_run

    limits = limits or Limits()
    recover_warcs(archive_dir)
    with ExitStack() as stack:
        executor: Executor
        if workers > 1:
            from ..index import open_index

            # The parent's index is opened (and migrated) before any worker opens its own.
            index: ArchiveIndex = stack.enter_context(open_index(archive_dir))
            record = stack.enter_context(recorded_run(index, command))
            executor = stack.enter_context(ProcessPoolExecutor(
                archive_dir, net, workers, timeout=timeout, limits=limits, recapture=plan.recapture,
                progress=progress))
        else:
            session = stack.enter_context(Session(archive_dir, net, timeout=timeout, limits=limits))
            index = session.index
            record = stack.enter_context(recorded_run(index, command))
            executor = stack.enter_context(InlineExecutor(Handlers(session, recapture=plan.recapture,
                                                                   progress=progress)))
        record.summary = summary = ArchiveSummary(started_at=iso_seconds(), failures=list(problems))
        run_phases(executor, index, list(expand(list(specs))), summary, plan)
    return summary


def run_phases(executor: Executor, index: ArchiveIndex, specs: list[str], summary: ArchiveSummary,
               plan: Plan) -> RunState:
    """Both phases over `executor`, then the bookkeeping; fills `summary` in place."""
    state = RunState()
    summary.articles_planned += len(specs)
    posts = phase_articles(executor, specs, summary, state)
    tasks = [] if STOP.requested else choose_posts(index, posts, summary, state, plan)
    before = {t.key: index.post_status(t.key) for t in tasks if t.recheck_key is not None}
    if before:
        log.info("re-checking %d post(s) last checked before %s ago", len(before), plan.recheck_after)
    phase_posts(executor, tasks, summary, state)
    executor.close()
    summary.rechecked = sum(1 for p in summary.posts if p.key in before)
    summary.changed = sum(1 for p in summary.posts if p.key in before and before[p.key] != p.status)
    summary.network_unreachable = state.offline
    summary.finished_at = iso_seconds()
    summary.interrupted = STOP.signum
    return state


def phase_articles(executor: Executor, specs: list[str], summary: ArchiveSummary, state: RunState) -> list[Post]:
    """Phase 1; returns every post the articles cite that has something to capture, in citation order."""
    posts: list[Post] = []
    for spec, result in zip(specs, executor.map([ArticleTask(s) for s in specs]), strict=True):
        if isinstance(result, NotStarted):
            continue
        if isinstance(result, TaskFailed):
            msg = f"{spec}: not archived: {result.reason}"
            log.warning("%s", msg)
            summary.failures.append(msg)
            summary.articles.append(ArticleOutcome(spec, spec, error=msg))
            continue
        assert isinstance(result, ArticleResult)
        if result.outcome is not None:
            summary.articles.append(result.outcome)
        summary.failures.extend(result.failures)
        summary.sources_read += int(result.read)
        state.offline = state.offline or result.network_unreachable
        posts.extend(result.posts)
    return posts


def choose_posts(index: ArchiveIndex, posts: list[Post], summary: ArchiveSummary, state: RunState,
                 plan: Plan) -> list[PostTask]:
    """Phase 2's work: each post once (the first citation wins), only if not held yet (unless
    `plan.recapture`); then the held posts due for a re-check that are not captured anyway."""
    tasks: list[PostTask] = []
    seen: set[str] = set()
    for post in posts:
        if post.key in seen:
            continue
        seen.add(post.key)
        if not plan.recapture and index.has_capture(post.key):
            summary.skipped_posts += 1
            continue
        tasks.append(PostTask(post=post, offline=state.offline))
    if plan.recheck_after is not None:
        captured = {t.key for t in tasks}
        tasks += [PostTask(recheck_key=k, offline=state.offline)
                  for k in index.posts_due_for_recheck(plan.recheck_after) if k not in captured]
    return tasks


def phase_posts(executor: Executor, tasks: list[PostTask], summary: ArchiveSummary, state: RunState) -> None:
    """Phase 2; a task whose worker failed is a post with an error, tried again by the next run."""
    for task, result in zip(tasks, executor.map(tasks), strict=True):
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
        assert isinstance(result, PostResult)
        if result.outcome is not None:
            summary.posts.append(result.outcome)
        summary.failures.extend(result.failures)
        state.offline = state.offline or result.network_unreachable


def archive_sources(specs: list[str], archive_dir: Path, net: NetOptions, *, timeout: float = 30.0,
                    recapture: bool = False, max_bytes: int, progress: Callable[[str], None] | None = None,
                    limits: Limits | None = None) -> ArchiveSummary:
    """`archive`: every source under the archive's lock, in this process; `max_bytes` caps every body."""
    from ..runs import locked

    limits = replace(limits or Limits(), max_bytes=max_bytes)
    with locked(archive_dir):
        return execute("archive", specs, archive_dir, net, plan=Plan(recapture=recapture), timeout=timeout,
                       limits=limits, progress=progress)
