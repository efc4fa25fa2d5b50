"""Where a run's tasks are handled: in this process (`InlineExecutor`) or over worker processes
(`ProcessPoolExecutor`). Both run the same `Handlers`, so a task gives the same result either way.

An executor is a context manager whose `map(tasks)` returns one answer per task, in order: the
task's result, `NotStarted` when the run was asked to stop before it began, or `TaskFailed` when
the process handling it died or raised. `close()` ends the work (the run calls it once both phases
are done; leaving the context closes too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..interrupt import STOP
from ..limits import Limits
from ..modes import make_dirs
from ..workers import NotStarted, TaskFailed
from .articles import ArticleHandler
from .posts import PostHandler
from .session import Session, recover_warcs
from .tasks import ArticleTask, PostTask, Result, Task

if TYPE_CHECKING:
    from ..net import NetOptions
    from ..workers import WorkerPool

Answer = Result | NotStarted | TaskFailed

__all__ = ["Answer", "Executor", "Handlers", "InlineExecutor", "NotStarted", "ProcessPoolExecutor", "TaskFailed"]


class Executor(Protocol):
    """Runs tasks and answers each, in order."""

    def map(self, tasks: Sequence[Task]) -> list[Answer]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class Handlers:
    """The one place a task is handled, whichever process it runs in."""

    def __init__(self, session: Session, *, recapture: bool = False,
                 progress: Callable[[str], None] | None = None) -> None:
        self.articles = ArticleHandler(session, recapture=recapture, max_bytes=session.limits.max_bytes,
                                       progress=progress)
        self.posts = PostHandler(session, progress=progress)

    def handle(self, task: Task) -> Result:
        if isinstance(task, ArticleTask):
            return self.articles.handle(task)
        if isinstance(task, PostTask):
            return self.posts.handle(task)
        raise TypeError(f"unknown task {task!r}")


class InlineExecutor:
    """Every task in this process, one after the other, with one session.

    A handler's exception is not a task's failure here: it ends the run (a full disk, a broken
    index), as it always has without workers.
    """

    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers

    def map(self, tasks: Sequence[Task]) -> list[Answer]:
        out: list[Answer] = []
        for task in tasks:
            out.append(NotStarted() if STOP.requested else self.handlers.handle(task))
        return out

    def close(self) -> None:
        pass

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PipelineJob:
    """What each worker process runs: its own session and handlers.

    Pickled into the worker before `open`, so it carries settings only until then.
    """

    def __init__(self, archive_dir: Path, net: NetOptions, timeout: float, limits: Limits | None = None,
                 recapture: bool = False) -> None:
        self.archive_dir = archive_dir
        self.net = net
        self.timeout = timeout
        self.limits = limits
        self.recapture = recapture
        self._session: Session | None = None
        self._handlers: Handlers | None = None
        self._progress: Callable[[str], None] | None = None

    def open(self, worker: int) -> None:
        # A WARC prefix of its own: two workers never race for the same file name.
        session = Session(self.archive_dir, self.net, timeout=self.timeout,
                          warc_prefix=f"archiver-w{worker}", limits=self.limits)
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


class ProcessPoolExecutor:
    """Tasks shared among `workers` spawned processes (archiver/workers.py), one task at a time each.

    `close()` waits for the workers, then repairs the `.open` WARC a dead worker left.
    """

    def __init__(self, archive_dir: Path, net: NetOptions, workers: int, *, timeout: float = 30.0,
                 limits: Limits | None = None, recapture: bool = False,
                 progress: Callable[[str], None] | None = None) -> None:
        from ..workers import WorkerPool

        self.archive_dir = archive_dir
        self.net = net
        self._pool: WorkerPool = WorkerPool(PipelineJob(archive_dir, net, timeout, limits, recapture), workers,
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
