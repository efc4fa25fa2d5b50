"""Where a run's tasks are handled: in this process (`InlineExecutor`, up to `pages_in_flight` tasks
at once) or over worker processes (`ProcessPoolExecutor`). Both run the same `Handlers`, so a task
gives the same result either way.

An executor is a context manager: `submit(task)` queues a task, `answers()` yields `(task, answer)`
as tasks end, until none is left (a task submitted meanwhile, a post found by an article that just
ended, is among them). The answer is the task's result, `NotStarted` when the run was asked to stop
before it began, or `TaskFailed` when the process handling it died or raised; an article task may
first yield `ArticlePosts`, its posts known before its page is captured. `close()` ends the
work (the run calls it once every task is answered; leaving the context closes too).
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..interrupt import STOP
from ..limits import Limits
from ..modes import make_dirs
from ..workers import NotStarted, TaskFailed
from .articles import ArticleHandler, Found
from .posts import PostHandler
from .session import Session, recover_warcs
from .tasks import ArticlePosts, ArticleTask, PostTask, Result, Task

if TYPE_CHECKING:
    from ..evidence.stamps import Authorities
    from ..models import Post
    from ..net import NetOptions
    from ..workers import WorkerPool
    from .postcapture import LinksUnanswered

Answer = Result | NotStarted | TaskFailed
# Inside InlineExecutor: a task's end, or an article's posts announced before it.
Event = Future[Result] | tuple[Task, ArticlePosts]

__all__ = ["Answer", "ArticlePosts", "Executor", "Handlers", "InlineExecutor", "NotStarted", "ProcessPoolExecutor", "TaskFailed",
           "Waves"]


class Executor(Protocol):
    """Runs the tasks submitted to it and answers each once."""

    def submit(self, task: Task) -> None: ...

    def answers(self) -> Iterator[tuple[Task, Answer | ArticlePosts]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class Handlers:
    """The one place a task is handled, whichever process or thread it runs in."""

    def __init__(self, session: Session, *, recapture: bool = False,
                 progress: Callable[[str], None] | None = None) -> None:
        self.articles = ArticleHandler(session, recapture=recapture, max_bytes=session.limits.max_bytes,
                                       progress=progress)
        self.posts = PostHandler(session, progress=progress)

    def handle(self, task: Task, found: Found | None = None) -> Result:
        """`found` (article tasks): told the article's posts before its page is captured."""
        if isinstance(task, ArticleTask):
            return self.articles.handle(task, found)
        if isinstance(task, PostTask):
            return self.posts.handle(task)
        raise TypeError(f"unknown task {task!r}")


class Waves(ABC):
    """`submit`/`answers` over a `map(tasks)` that answers a list of tasks in order: what is
    submitted while one wave's answers are read runs in the next wave (for a run: every article,
    then every post)."""

    def __init__(self) -> None:
        self._queued: list[Task] = []

    @abstractmethod
    def map(self, tasks: Sequence[Task]) -> list[Answer]:
        """Each task's answer, in the tasks' order."""

    def submit(self, task: Task) -> None:
        self._queued.append(task)

    def answers(self) -> Iterator[tuple[Task, Answer]]:
        while self._queued:
            tasks, self._queued = self._queued, []
            yield from zip(tasks, self.map(tasks), strict=True)


def _rank(task: Task) -> int:
    # A post waiting is taken before an article not started: its article has been read, and the
    # run finishes what it found before reading more.
    return 0 if isinstance(task, PostTask) else 1


class InlineExecutor:
    """Tasks in this process with one session, up to `pages_in_flight` at once.

    With one page in flight every task runs in the calling thread, one after the other. With more,
    each runs in a thread of a small pool; their captures overlap in the one browser (each page in a
    context of its own, writing into its own batch) and the session's index must be one that
    threads may share (`Session(pages_in_flight=N)` opens it so). Posts submitted go before
    articles not started yet; among each, first submitted, first started. An article task then
    answers twice: `ArticlePosts` once its citations are indexed, so that its posts can be
    submitted while its page is still being captured, and its result at the end.

    A handler's exception is not a task's failure here: it ends the run (a full disk, a broken
    index, no Chromium), as it always has without workers; tasks already running finish first.
    """

    def __init__(self, handlers: Handlers | Callable[[], Handlers], *, pages_in_flight: int = 1) -> None:
        if isinstance(handlers, Handlers) and pages_in_flight > 1:
            raise ValueError("several pages in flight need a factory of handlers (one set per thread)")
        self._shared = handlers if isinstance(handlers, Handlers) else None
        self._make = None if isinstance(handlers, Handlers) else handlers
        self.pages_in_flight = max(1, pages_in_flight)
        self._queue: list[tuple[int, int, Task]] = []
        self._order = itertools.count()
        self._local = threading.local()
        self._pool: ThreadPoolExecutor | None = None
        self._running: dict[Future[Result], Task] = {}
        # The run stopped on an error: what the tasks then still running gave, those that ended whole
        # (`close` waits for them).
        self.ended: list[tuple[Task, Result]] = []

    @property
    def handlers(self) -> Handlers:
        """This thread's handlers (handlers keep per-task state: one set per thread)."""
        if self._shared is not None:
            return self._shared
        made: Handlers | None = getattr(self._local, "handlers", None)
        if made is None:
            assert self._make is not None
            made = self._local.handlers = self._make()
        return made

    def _handle(self, task: Task) -> Result:
        return self.handlers.handle(task)

    def _handle_in_pool(self, task: Task, events: queue.SimpleQueue[Event]) -> Result:
        handlers = self.handlers
        if isinstance(task, ArticleTask) and isinstance(handlers, Handlers):
            def found(posts: tuple[Post, ...], unreachable: bool,
                      unanswered: dict[str, LinksUnanswered] | None = None) -> None:
                events.put((task, ArticlePosts(posts, unreachable, unanswered or {})))
            return handlers.handle(task, found)
        return handlers.handle(task)

    def submit(self, task: Task) -> None:
        heapq.heappush(self._queue, (_rank(task), next(self._order), task))

    def answers(self) -> Iterator[tuple[Task, Answer | ArticlePosts]]:
        if self.pages_in_flight == 1:
            while self._queue:
                task = heapq.heappop(self._queue)[2]
                yield task, NotStarted() if STOP.requested else self._handle(task)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.pages_in_flight, thread_name_prefix="archiver-page")
        # What the pool's threads tell, in the order they told it: an article's posts (before its
        # result, from the same thread) and each task's end.
        events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        while self._queue or self._running:
            while self._queue and len(self._running) < self.pages_in_flight:
                task = heapq.heappop(self._queue)[2]
                if STOP.requested:
                    yield task, NotStarted()
                    continue
                future = self._pool.submit(self._handle_in_pool, task, events)
                self._running[future] = task
                future.add_done_callback(events.put)
            if not self._running:
                continue
            event = events.get()
            if isinstance(event, Future):
                yield self._running.pop(event), event.result()
            else:
                yield event

    def close(self) -> None:
        # Tasks still running (the run ended with an error) finish before the session closes.
        self._queue.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self.ended += [(task, f.result()) for f, task in self._running.items()
                       if f.done() and not f.cancelled() and f.exception() is None]
        self._running.clear()

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PipelineJob:
    """What each worker process runs: its own session and handlers.

    Pickled into the worker before `open`, so it carries settings only until then.
    """

    def __init__(self, archive_dir: Path, net: NetOptions, timeout: float, limits: Limits | None = None,
                 recapture: bool = False, index_url: str | None = None,
                 timestamps: Authorities | None = None) -> None:
        self.archive_dir = archive_dir
        self.index_url = index_url
        self.timestamps = timestamps
        self.net = net
        self.timeout = timeout
        self.limits = limits
        self.recapture = recapture
        self._session: Session | None = None
        self._handlers: Handlers | None = None
        self._progress: Callable[[str], None] | None = None

    def open(self, worker: int) -> None:
        # A WARC prefix of its own: two workers never race for the same file name. The browser
        # starts with the worker, so a Chromium that cannot start is the pool's start-up error.
        session = Session(self.archive_dir, self.net, timeout=self.timeout,
                          warc_prefix=f"archiver-w{worker}", limits=self.limits, lazy_browser=False,
                          index_url=self.index_url, timestamps=self.timestamps)
        self._session = session.__enter__()
        self._handlers = Handlers(self._session, recapture=self.recapture, progress=self._say)

    def _say(self, message: str) -> None:
        if self._progress is not None:
            self._progress(message)

    def handle(self, task: Task, progress: Callable[[str], None]) -> Result:
        assert self._handlers is not None, "open() first"
        self._progress = progress
        return self._handlers.handle(task)

    def close(self) -> None:
        if self._session is not None:
            self._session.__exit__(None, None, None)
            self._session = None


class ProcessPoolExecutor(Waves):
    """Tasks shared among `workers` spawned processes (archiver/workers.py), one task at a time each,
    in waves: the posts the articles cite start once every article is answered.

    `close()` waits for the workers, then repairs the `.open` WARC a dead worker left.
    """

    def __init__(self, archive_dir: Path, net: NetOptions, workers: int, *, timeout: float = 30.0,
                 limits: Limits | None = None, recapture: bool = False,
                 progress: Callable[[str], None] | None = None, index_url: str | None = None,
                 timestamps: Authorities | None = None) -> None:
        from ..workers import WorkerPool

        super().__init__()
        self.archive_dir = archive_dir
        self.net = net
        self._pool: WorkerPool = WorkerPool(PipelineJob(archive_dir, net, timeout, limits, recapture, index_url,
                                                        timestamps),
                                            workers,
                                            progress=progress, should_stop=lambda: STOP.signum)
        self._closed = False

    def __enter__(self) -> ProcessPoolExecutor:
        if self.net.ca_bundle is not None:
            # Build Chromium's NSS database (for --ca-bundle) once, here: workers starting together
            # would otherwise rebuild it under each other's feet. They find it ready and reuse it.
            self.net.chromium_launch(make_dirs(self.archive_dir / ".browser"))
        self._pool.__enter__()
        return self

    def map(self, tasks: Sequence[Task]) -> list[Answer]:
        return self._pool.map(tasks)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pool.close()
        # Every worker has stopped now: what a dead one left `.open` is finished here rather than
        # by the next run (its committed records stay where they are).
        recover_warcs(self.archive_dir)

    def __exit__(self, *exc: object) -> None:
        # Left early (an error): the workers are stopped; the next run repairs what they left.
        self._pool.__exit__(*exc)
