"""One run over an executor; used by `archive` (no re-checks) and `run` (re-checks).

  1. articles: each source read, its posts detected, short links resolved, its citations
     indexed and the article page captured;
  2. posts: each post once (the first citation wins), only if not held yet (unless recaptured),
     started as soon as the article citing it first has been read (and every article before it
     in the specs' order); then the held posts due for a re-check, once every article is read.
This process holds the archive's lock throughout, repairs WARC files left open before the run, and
does the bookkeeping (the run row, the choice of posts, the summary); the executor handles the tasks,
here or in worker processes. Whether the network was found unreachable is run state: carried from
results into the tasks made after them, and only written to the summary at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..errors import UsageError
from ..interrupt import STOP
from ..limits import DEFAULT_MAX_FEED_ARTICLES, Limits, seconds
from ..models import Post
from ..progress import feed_message
from ..seeds import say_feed_read
from ..sources import expand, source_key, unique_sources
from ..times import iso_seconds, utc_now
from .executors import Answer, Executor, Handlers, InlineExecutor, NotStarted, ProcessPoolExecutor, TaskFailed
from .postcapture import LinksUnanswered, PostOutcome, wayback_left
from .session import Session, recover_warcs
from .summary import ArchiveSummary, ArticleOutcome
from .tasks import ArticlePosts, ArticleResult, ArticleTask, PostResult, PostTask, Task

if TYPE_CHECKING:
    from ..evidence.stamps import Authorities
    from ..index.protocol import ArchiveIndex, Index
    from ..net import NetOptions

log = logging.getLogger(__name__)


# Pages one process captures at once by default, measured on a 2-core machine with bench/flight.py
# and bench/archive.py (README's performance section): 3 was the fastest of 1, 2 and 3 on both, for
# some 8% more memory than 2; past it, more pages only share the same two cores.
PAGES_IN_FLIGHT = 3


def pages_in_flight_for(workers: int, asked: int | None) -> int:
    """The pages in flight a run uses: `asked`, else the default; worker processes capture one
    page at a time each (UsageError when more is asked of them)."""
    if workers > 1:
        if asked is not None and asked > 1:
            raise UsageError(f"--pages-in-flight {asked} needs --concurrency 1: each worker process captures "
                             "one page at a time; use one or the other")
        return 1
    return PAGES_IN_FLIGHT if asked is None else max(1, asked)


@dataclass
class RunState:
    """What the run has learnt so far that changes how later tasks are handled."""

    offline: bool = False  # the network was found unreachable


@dataclass(frozen=True)
class Plan:
    """How a run captures: `recapture` held articles and posts again; re-check held posts last
    checked longer ago than `recheck_after` (None: no re-checks); take at most `max_feed_articles`
    articles from each feed read (the newest where it dates them)."""

    recapture: bool = False
    recheck_after: timedelta | None = None
    max_feed_articles: int = DEFAULT_MAX_FEED_ARTICLES


def execute(command: str, specs: Sequence[str], archive_dir: Path, net: NetOptions, *, plan: Plan,
            problems: Sequence[str] = (), seed_articles_left_out: int = 0, seed_feeds: int = 0, workers: int = 1,
            timeout: float = 30.0,
            limits: Limits | None = None, progress: Callable[[str], None] | None = None,
            pages_in_flight: int | None = None, broker: str | None = None,
            index_url: str | None = None, timestamps: Authorities | None = None) -> ArchiveSummary:
    """Run `specs` as the `command` row of `runs`; the caller holds the run lock. `problems`: sources
    already found unusable, named among the failures; `seed_articles_left_out`: the articles feed
    files of the seeds listed beyond the bound of `plan`, and `seed_feeds` those feed files, counted
    in the summary.

    `broker`: over the workers of a cluster (`archiver worker`) behind that Redis URL, writing to
    the PostgreSQL index at `index_url` (required then). Otherwise `index_url` None is the archive's
    own SQLite file. `workers` > 1:
    over that many worker processes, one page at a time each; otherwise in this process with up to
    `pages_in_flight` pages captured at once in its one browser (None: the default, `PAGES_IN_FLIGHT`).
    `timestamps`: the authorities that timestamp each capture as it is committed; a capture one of
    them did not timestamp is kept, and named among the summary's failures. Over a cluster, each
    worker timestamps with the authorities it was started with (`archiver worker --timestamp`)."""
    from ..runs import recorded_run
    from ..times import utc_now

    pages_in_flight = pages_in_flight_for(workers, pages_in_flight)
    limits = limits or Limits()
    if broker is not None:
        from ..cluster import require_shared_index
        from ..cluster.storage import recover_local_runs

        require_shared_index(index_url)
        recover_local_runs(archive_dir)  # a cluster worker's file is its own host's to finish
    else:
        recover_warcs(archive_dir)
    with ExitStack() as stack:
        executor: Executor
        if broker is not None:
            from ..cluster.config import index_identity
            from ..cluster.executor import QueueExecutor
            from ..index import index_name, note_index, open_index

            assert index_url is not None  # (required_shared_index)
            note_index(archive_dir, index_url)  # a command given the folder without --index is told of it
            index: ArchiveIndex = stack.enter_context(open_index(archive_dir, url=index_url))
            record = stack.enter_context(recorded_run(index, command))
            # The tasks go to the queue of this index, which only its workers take.
            executor = stack.enter_context(QueueExecutor(
                broker, index=index_identity(index), index_name=index_name(archive_dir, index_url),
                recapture=plan.recapture, progress=progress))
        elif workers > 1:
            from ..index import open_index

            # The parent's index is opened (and migrated) before any worker opens its own.
            index = stack.enter_context(open_index(archive_dir, url=index_url))
            record = stack.enter_context(recorded_run(index, command))
            executor = stack.enter_context(ProcessPoolExecutor(
                archive_dir, net, workers, timeout=timeout, limits=limits, recapture=plan.recapture,
                progress=progress, index_url=index_url, timestamps=timestamps))
        else:
            session = stack.enter_context(Session(archive_dir, net, timeout=timeout, limits=limits,
                                                  pages_in_flight=pages_in_flight, index_url=index_url,
                                                  timestamps=timestamps))
            index = session.index
            record = stack.enter_context(recorded_run(index, command))
            if pages_in_flight > 1:
                executor = stack.enter_context(InlineExecutor(
                    lambda: Handlers(session, recapture=plan.recapture, progress=progress),
                    pages_in_flight=pages_in_flight))
            else:
                executor = stack.enter_context(InlineExecutor(Handlers(session, recapture=plan.recapture,
                                                                       progress=progress)))
        record.summary = summary = ArchiveSummary(started_at=iso_seconds(), failures=list(problems),
                                                  seed_articles_left_out=seed_articles_left_out, seed_feeds=seed_feeds)
        since = utc_now()
        run_phases(executor, index, list(expand(list(specs))), summary, plan, progress=progress)
        if broker is not None:  # stopped: what the cluster's workers still held, and what they skip
            summary.left_running = list(getattr(executor, "left_running", []))
            summary.left_pending = list(getattr(executor, "left_pending", []))
        if timestamps or broker is not None:  # a cluster's workers timestamp with their own --timestamp
            from ..evidence.stamps import unstamped_failures

            summary.failures.extend(unstamped_failures(index, since))
    return summary


def run_phases(executor: Executor, index: ArchiveIndex, specs: list[str], summary: ArchiveSummary,
               plan: Plan, progress: Callable[[str], None] | None = None) -> RunState:
    """Every article, and the posts they cite as soon as they are read, over `executor`; then the
    bookkeeping. Fills `summary` in place, in the order of the specs and of the posts' first
    citations whatever order the tasks ended in. `progress` is told the articles a feed adds.
    Sources that are one article spelt two ways (`source_key`: with `?utm_source=...`, a
    `#fragment`) are one task, under the first spelling."""
    state = RunState()
    since = utc_now()
    specs = unique_sources(specs)
    summary.articles_planned += len(specs)
    flight = _Flight(executor, index, summary, state, plan, [ArticleTask(s, room=plan.max_feed_articles) for s in specs],
                     progress=progress)
    try:
        flight.run()
    except Exception as e:
        from ..space import as_disk_full

        if (full := as_disk_full(e)) is None:
            raise
        # A full disk stops the run. What was captured and indexed before it is kept, and is what
        # the summary tells: the tasks still running end first, and those that ended whole count;
        # the capture the disk cut short was cut back to nothing (its WARC records, its index rows).
        executor.close()
        flight.ended(getattr(executor, "ended", ()))
        try:
            flight.kept(since)
        except Exception:  # (an index the disk left unreadable: the disk is what the run says)
            log.debug("the index could not tell what the stopped captures kept", exc_info=True)
        summary.stopped_by = str(full)
        log.debug("run stopped by a full disk", exc_info=True)
    executor.close()
    phase_articles(flight.articles, summary, state)
    phase_posts(flight.post_answers(), summary, state)
    summary.rechecks(flight.before)
    summary.network_unreachable = state.offline
    summary.finished_at = iso_seconds()
    summary.interrupted = STOP.signum
    if summary.stopped_by is not None:
        summary.failures.append(summary.stopped_by)
    return state


class _Flight:
    """The tasks of one run as they are made and answered.

    Articles are read in any order, but their posts are chosen in the order of the specs: the
    posts of article i are chosen (and start) once articles 0..i are all read (their posts
    announced, or the articles answered), so the first citation still wins and the posts come out
    in the order the run has always given them. An article's page may still be being captured
    then. Re-checks of held posts are chosen once every article is read: those this run's articles
    cite in citation order, then the others stalest first. A feed's articles join the run when the
    feed is read, after the articles before them; embeds that only an article's rendered page
    showed are chosen when its capture ends. The answers are put back in the articles' order
    (`post_answers`), so the summary does not depend on which capture finished first.
    """

    def __init__(self, executor: Executor, index: ArchiveIndex, summary: ArchiveSummary, state: RunState,
                 plan: Plan, articles: list[ArticleTask], progress: Callable[[str], None] | None = None) -> None:
        self.executor, self.index, self.summary, self.state, self.plan = executor, index, summary, state, plan
        self.progress = progress or (lambda _msg: None)
        self.tasks = articles
        self.articles: list[tuple[ArticleTask, Answer | None]] = [(t, None) for t in articles]
        # Each article's posts when they were announced before its answer (ArticlePosts).
        self._found: list[ArticlePosts | None] = [None for _ in articles]
        self._position = {id(t): i for i, t in enumerate(articles)}
        self._specs = {source_key(t.spec) for t in articles}  # each source once however it was spelt
        # A feed's articles (and what they are, if feeds): the source given to the run that led to
        # each; and the articles each such source may still add to the run.
        self._roots: dict[int, str] = {}
        self._room: dict[str, int] = {}
        self._order: dict[int, tuple[int, int, int]] = {}  # post task -> (0, article, citation) | (1, re-check, 0)
        self._chosen = 0  # articles whose posts were chosen
        self._rechecks_chosen = False
        self._seen: dict[str, None] = {}  # keys of the posts cited so far, in citation order
        self.posts: list[PostTask] = []
        self._post_answers: dict[int, Answer] = {}
        self.before: dict[str, str | None] = {}  # re-checked posts: their status before this run
        # Posts added to the index after this (their IDs past it) are new to the archive, re-checked or not.
        self._held_up_to = index.last_post_id()

    def run(self) -> None:
        for article in self.tasks:
            self.executor.submit(article)
        self._choose()  # no articles at all: the re-checks are due at once
        for task, answer in self.executor.answers():
            if isinstance(answer, ArticlePosts):
                self._found[self._position[id(task)]] = answer
                self._choose()
            elif isinstance(task, ArticleTask):
                position = self._position[id(task)]
                self.articles[position] = (task, answer)
                if isinstance(answer, ArticleResult) and answer.outcome is not None and answer.outcome.feed is not None:
                    self._feed_read(task, answer, answer.outcome)
                if position < self._chosen and isinstance(answer, ArticleResult) and not STOP.requested:
                    # Its posts were chosen when they were announced; the page, rendered since,
                    # may have shown more (embeds its scripts added): those are chosen now.
                    self._choose_from(answer, position)
                self._choose()
            else:
                self._post_answers[id(task)] = answer
                if isinstance(answer, PostResult):
                    self.state.offline = self.state.offline or answer.network_unreachable

    def ended(self, answers: Iterable[tuple[Task, Answer]]) -> None:
        """Answers of tasks that ended after the run stopped (a full disk): counted in the summary;
        no task is chosen from them."""
        for task, answer in answers:
            if isinstance(task, ArticleTask) and id(task) in self._position:
                self.articles[self._position[id(task)]] = (task, answer)
            elif isinstance(task, PostTask) and id(task) in self._order:
                self._post_answers[id(task)] = answer

    def kept(self, since: str) -> None:
        """After a full disk stopped the run: an article whose task did not end but whose page this
        run captured and indexed (the disk then stopping what its task did after: a post only its
        rendered page showed, a timestamp) is told as captured, citing what the index holds it to
        cite; a post whose task did not end but whose check this run indexed (its status observed,
        the rest of its capture then stopped by the disk) is told as the index holds it, with the
        captures this run indexed of it (`since`: the run's start)."""
        index = cast("Index", self.index)  # (every index a run opens answers the queries too)
        for position, (article, answer) in enumerate(self.articles):
            page = self.index.held_article(article.spec) if answer is None else None
            if page is None or not any(c.captured_at >= since and c.status == "ok"
                                       for c in index.article_captures(page[1])):
                continue
            self.articles[position] = (article, ArticleResult(
                ArticleOutcome(article.spec, page[1], posts=index.posts_for_article(page[1])), read=True))
        for task in self.posts:
            if id(task) in self._post_answers:
                continue
            held = self.index.get_post(task.key)
            if held is None or held.status is None or (held.last_checked or "") < since:
                continue
            captures = [c for c in index.post_captures(task.key) if c.captured_at >= since]
            self._post_answers[id(task)] = PostResult(PostOutcome(
                task.key, held.platform, held.url, held.status, captures=len(captures),
                source=captures[-1].source if captures else None,
                reason="checked before the disk filled, which stopped the rest of its capture"))

    def _choose(self) -> None:
        """Submit the posts of every article now read in order (its posts announced, or the article
        answered); the re-checks after the last."""
        while self._chosen < len(self.articles):
            result = self.articles[self._chosen][1]
            # The whole result when it is in (its posts include those announced), else the announcement.
            answer: Answer | ArticlePosts | None = (
                result if isinstance(result, ArticleResult) else self._found[self._chosen] or result)
            if answer is None:
                break
            self._chosen += 1
            if not isinstance(answer, ArticleResult | ArticlePosts):
                continue
            self.state.offline = self.state.offline or answer.network_unreachable
            if STOP.requested:
                continue
            self._choose_from(answer, self._chosen - 1)
        if (self._chosen == len(self.articles) and not self._rechecks_chosen and not STOP.requested
                and self.plan.recheck_after is not None):
            self._rechecks_chosen = True
            captured = {t.key for t in self.posts}
            due = [k for k in self.index.posts_due_for_recheck(self.plan.recheck_after) if k not in captured]
            # Posts this run's articles cite come first, in citation order, then the others
            # stalest first: captures in flight at once check their posts in no fixed order, and
            # the run's summary must not depend on which finished first.
            cited = {k: i for i, k in enumerate(self._seen)}
            due.sort(key=lambda k: cited.get(k, len(cited)))
            # A post this run's articles brought in that no capture took (a short link that did
            # not resolve) is due as never checked: it is checked, but new to the archive.
            new = self.index.unchecked_after(self._held_up_to) if due else set()
            # A post no check settled (its first one met an outage) had no status to change from.
            never = self.index.unchecked_after(0) if due else set()
            self.before.update((k, None if k in never else self.index.post_status(k)) for k in due if k not in new)
            if due:
                log.info("re-checking %d post(s) last checked %s ago or more", len(due),
                         seconds(self.plan.recheck_after.total_seconds()))
            for i, key in enumerate(due):
                self._submit(PostTask(recheck_key=key, offline=self.state.offline), (1, i, 0))

    def _feed_read(self, task: ArticleTask, answer: ArticleResult, outcome: ArticleOutcome) -> None:
        """A feed was read: its articles join the run, within what is left of the bound of the feed
        given to the run that led to it (its own, or the one whose listing named it), and what it
        left out, or did not follow, is said. (The handler took the newest up to the room left when
        the task was made; feeds listed by the same feed, read at once, share what is left then.)"""
        root = self._roots.get(id(task), task.spec)
        room = self._room.setdefault(root, self.plan.max_feed_articles)
        new = [spec for spec in unique_sources(answer.sources) if source_key(spec) not in self._specs]
        say_feed_read(task.spec, outcome, answer.notes, cut=max(len(new) - room, 0), bound=self.plan.max_feed_articles)
        new = new[:room]
        if not new or STOP.requested:
            return
        self._room[root] = room - len(new)
        self._add_articles(new, depth=task.depth + 1, root=root)
        self.progress(feed_message(task.spec, len(new)))

    def _add_articles(self, specs: Sequence[str], *, depth: int, root: str) -> None:
        """More articles for this run (those a feed lists, `depth` feeds away from the source given
        to the run, `root`), each once: submitted after the others, and their posts chosen after
        those of every article before them."""
        for spec in specs:
            if source_key(spec) in self._specs:
                continue
            self._specs.add(source_key(spec))
            task = ArticleTask(spec, room=self._room[root], depth=depth)
            self._roots[id(task)] = root
            self._position[id(task)] = len(self.articles)
            self.tasks.append(task)
            self.articles.append((task, None))
            self._found.append(None)
            self.summary.articles_planned += 1
            self.executor.submit(task)

    def _choose_from(self, answer: ArticleResult | ArticlePosts, position: int) -> None:
        """Submit the posts of the article at `position` not chosen before (`_seen`: each post
        once, first citation wins)."""
        cited = {post.key: i for i, post in reversed(list(enumerate(answer.posts)))}
        for task in choose_posts(self.index, list(answer.posts), self.summary, self.state,
                                 replace(self.plan, recheck_after=None), seen=self._seen, before=self.before,
                                 unanswered=answer.unanswered):
            self._submit(task, (0, position, cited.get(task.key, 0)))

    def _submit(self, task: PostTask, order: tuple[int, int, int]) -> None:
        self.posts.append(task)
        self._order[id(task)] = order
        self.executor.submit(task)

    def post_answers(self) -> list[tuple[PostTask, Answer]]:
        """Every post task and its answer, in the order of the articles citing them (then of their
        citations), the re-checks last: the same whatever order they were chosen or answered in,
        though an article's embeds that only its rendered page showed are chosen after it ends."""
        ordered = sorted(self.posts, key=lambda t: self._order[id(t)])
        return [(t, self._post_answers.get(id(t), NotStarted())) for t in ordered]


def choose_posts(index: ArchiveIndex, posts: list[Post], summary: ArchiveSummary, state: RunState,
                 plan: Plan, *, seen: dict[str, None] | None = None,
                 before: dict[str, str | None] | None = None,
                 unanswered: Mapping[str, LinksUnanswered] | None = None) -> list[PostTask]:
    """The posts to capture: each once (the first citation wins; `seen` holds the keys chosen
    before, and gets these), only if not captured yet (unless `plan.recapture`). A held post's
    status before this run goes into `before`, as a re-check's does, so that a change is told:
    one captured again (`plan.recapture`), and one an earlier run checked but never captured (it
    was offline, say), which is no post new to the archive. Then, with `plan.recheck_after`, the
    held posts due for a re-check that are not captured anyway. `unanswered`: the posts (by key)
    known by short links that met no answer, which their tasks carry. A task carries the post as
    its article cites it; the handler asks about a held one with what the index holds of it
    (`posts.with_held`)."""
    tasks: list[PostTask] = []
    seen = {} if seen is None else seen
    for post in posts:
        if post.key in seen:
            continue
        seen[post.key] = None
        if index.has_capture(post.key):
            if not plan.recapture:
                if wayback_left(index, post.key, post.platform):
                    # Gone, its Wayback look-up still to make (a run killed before it): made now,
                    # by a re-check, which makes nothing else of an unchanged status.
                    tasks.append(PostTask(recheck_key=post.key, offline=state.offline))
                    continue
                summary.skipped_posts += 1
                continue
            if before is not None:
                before[post.key] = index.post_status(post.key)
        elif before is not None and (held := index.post_status(post.key)) is not None:
            before[post.key] = held
        tasks.append(PostTask(post=post, offline=state.offline, unanswered=(unanswered or {}).get(post.key)))
    if plan.recheck_after is not None:
        captured = {t.key for t in tasks}
        tasks += [PostTask(recheck_key=k, offline=state.offline)
                  for k in index.posts_due_for_recheck(plan.recheck_after) if k not in captured]
    return tasks


def phase_articles(answers: Sequence[tuple[ArticleTask, Answer | None]], summary: ArchiveSummary,
                   state: RunState) -> None:
    """The articles' part of the summary, in the order of the specs."""
    for task, result in answers:
        spec = task.spec
        if result is None or isinstance(result, NotStarted):
            continue
        if isinstance(result, TaskFailed):
            msg = f"{spec}: not archived: {result.reason}"
            log.info("%s", msg)  # named among the run's failures
            summary.failures.append(msg)
            summary.articles.append(ArticleOutcome(spec, spec, error=msg))
            continue
        assert isinstance(result, ArticleResult)
        if result.outcome is not None:
            summary.articles.append(result.outcome)
        summary.failures.extend(result.failures)
        summary.sources_read += int(result.read)
        state.offline = state.offline or result.network_unreachable


def phase_posts(answers: Sequence[tuple[PostTask, Answer]], summary: ArchiveSummary, state: RunState) -> None:
    """The posts' part of the summary, in the order they were chosen; a task whose worker failed
    is a post with an error, tried again by the next run."""
    for task, result in answers:
        if isinstance(result, NotStarted):
            continue
        if isinstance(result, TaskFailed):
            platform = task.post.platform if task.post is not None else task.key.partition(":")[0]
            url = task.post.url if task.post is not None else None
            error = f"not captured: {result.reason}"
            log.info("%s: %s", task.key, error)  # named among the run's failures
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
                    limits: Limits | None = None, pages_in_flight: int | None = None,
                    index_url: str | None = None, timestamps: Authorities | None = None,
                    problems: Sequence[str] = (), wait: bool = False,
                    max_feed_articles: int = DEFAULT_MAX_FEED_ARTICLES) -> ArchiveSummary:
    """`archive`: every source under the run lock (`wait`: for it, while another run holds it), in
    this process; `max_bytes` caps every body;
    `index_url` names the index (None: the archive's own SQLite file); `timestamps` the
    authorities that timestamp each capture; `problems` are named among the run's failures; a feed
    adds at most `max_feed_articles` articles."""
    from ..runs import locked

    limits = replace(limits or Limits(), max_bytes=max_bytes)
    with locked(archive_dir, wait=wait, index_url=index_url):
        return execute("archive", specs, archive_dir, net, problems=problems,
                       plan=Plan(recapture=recapture, max_feed_articles=max_feed_articles),
                       timeout=timeout,
                       limits=limits, progress=progress, pages_in_flight=pages_in_flight, index_url=index_url,
                       timestamps=timestamps)
