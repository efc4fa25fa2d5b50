"""Worker processes for `run --concurrency N`: a small pool that survives its workers dying.

Why processes and not threads: the browser is an async renderer on an event-loop thread of its own
behind a synchronous facade (archiver/capture/browser.py) whose `capture()` renders one page at a
time; sqlite3 connections are bound to the thread that opened them; and the WARC writing, hashing
and parsing around each capture are Python work that threads would take turns at under the GIL. So
each worker is a process with its own browser, WARC file, HTTP client and index connection. They are started with "spawn" (a fresh interpreter): nothing of the
parent — browser pipes, sockets, the archive lock's descriptor, threads — leaks into them.

Why one pipe per worker and not a shared task queue: a worker killed while it waits on a shared
multiprocessing.Queue dies holding the queue's lock, and every other worker then waits forever. Here
the parent hands out one task at a time to an idle worker, so a slow task never holds the others
up, and a worker that dies (crash, SIGKILL, out of memory) loses only the task it was on: that task
comes back as a `TaskFailed`, the rest go to the workers still alive.

Workers send their log records and progress messages back over the same pipe, so they appear on the
parent's stderr, filtered and formatted by the parent's own logging setup.

Stopping (SIGINT, SIGTERM): `should_stop` tells the pool the run was asked to stop. It then hands out
no more tasks (they come back as `NotStarted`), sends SIGTERM to every worker, and waits up to
CLOSE_GRACE_SECONDS for the tasks in hand. A worker treats the signal like the run without workers
does (archiver/interrupt.py): it finishes its task, replies, and exits; it never raises
KeyboardInterrupt inside Playwright. A Ctrl-C at a terminal reaches the workers directly too (one
process group); that is why the parent passes on SIGTERM and not the signal it got: a worker takes
a second signal of the same kind as "stop at once", and one Ctrl-C must not count twice.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # multiprocessing is imported by a run that starts workers, not by every run
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

log = logging.getLogger(__name__)

# How long close() lets a worker finish its current task and close its browser and WARC file
# before it is killed (its `.open` WARC is then repaired by recover()).
CLOSE_GRACE_SECONDS = 60.0


class Job(Protocol):
    """What every worker runs: `open` once at start, `handle` per task, `close` at the end.

    The job object is pickled into each worker before `open`, so it holds only settings until then.
    """

    def open(self, worker: int) -> None: ...

    def handle(self, task: Any, progress: Callable[[str], None]) -> Any: ...

    def close(self) -> None: ...


@dataclass
class TaskFailed:
    """A task that has no result: its worker raised, died while on it, or no worker was left."""

    reason: str


@dataclass
class NotStarted:
    """A task never handed to a worker: the run was asked to stop first."""


@dataclass
class _Worker:
    number: int
    process: BaseProcess
    conn: Connection
    ready: bool = False
    alive: bool = True
    task: int | None = None
    startup_error: BaseException | None = None
    buried_because: str = ""


@dataclass
class _Batch:
    """The state of one map() call."""

    tasks: Sequence[Any]
    results: list[Any] = field(default_factory=list)
    todo: deque[int] = field(default_factory=deque)
    pending: int = 0


class WorkerPool:
    """N spawned processes running `job`; `map()` may be called several times (one call per phase)."""

    def __init__(self, job: Job, workers: int, *, progress: Callable[[str], None] | None = None,
                 should_stop: Callable[[], int] | None = None) -> None:
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        self.job = job
        self.size = workers
        self.progress = progress or (lambda _msg: None)
        # Returns the number of the signal that asked the run to stop, 0 while none has.
        self.should_stop = should_stop or (lambda: 0)
        self._forwarded = 0
        self._workers: list[_Worker] = []
        self._batch: _Batch | None = None

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every worker and wait until each has opened its job or failed to.

        Raises the first worker's start-up error when none could start (e.g. no Chromium), so that
        the caller reports it exactly as a run without workers would.
        """
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        levels = _logger_levels()
        for number in range(1, self.size + 1):
            parent_end, child_end = ctx.Pipe(duplex=True)
            proc = ctx.Process(target=_serve, args=(self.job, number, child_end, os.getpid(), levels),
                               name=f"archiver-worker-{number}", daemon=True)
            proc.start()
            child_end.close()  # the parent keeps only its end, so EOF means the worker is gone
            self._workers.append(_Worker(number, proc, parent_end))
        while any(w.alive and not w.ready for w in self._workers):
            self._poll()
        if not self.alive:
            errors = [w.startup_error for w in self._workers if w.startup_error is not None]
            if errors:
                raise errors[0]
            raise RuntimeError("no worker process could start: " + "; ".join(
                w.buried_because for w in self._workers))
        for w in self._workers:
            if not w.alive:
                log.warning("%s; going on with %d worker(s)", w.buried_because, self.alive)

    @property
    def alive(self) -> int:
        return sum(1 for w in self._workers if w.alive)

    def close(self) -> None:
        """Ask every worker to finish; kill those still running after CLOSE_GRACE_SECONDS."""
        for w in self._workers:
            if w.alive:
                try:
                    w.conn.send(None)
                except OSError:
                    pass  # already gone: _poll() buries it
        deadline = time.monotonic() + CLOSE_GRACE_SECONDS
        while self.alive and time.monotonic() < deadline:
            self._poll(timeout=max(0.0, deadline - time.monotonic()))
        for w in self._workers:
            if w.alive:
                log.warning("worker %d did not finish in %.0f s; killing it", w.number, CLOSE_GRACE_SECONDS)
                w.process.kill()
                self._bury(w, "killed at the end of the run")

    def __enter__(self) -> WorkerPool:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- work ------------------------------------------------------------------------------------

    def map(self, tasks: Sequence[Any]) -> list[Any]:
        """Run every task on some worker; results in task order, a `TaskFailed` where there is none."""
        batch = _Batch(tasks, [None] * len(tasks), deque(range(len(tasks))), len(tasks))
        self._batch = batch
        deadline: float | None = None
        try:
            while batch.pending:
                if self._stopping():
                    while batch.todo:
                        self._finish(batch.todo.popleft(), NotStarted())
                    deadline = deadline or time.monotonic() + CLOSE_GRACE_SECONDS
                    if time.monotonic() > deadline:
                        for w in self._workers:  # close() kills them
                            if w.task is not None:
                                self._finish(w.task, TaskFailed("interrupted: its worker did not finish in time"))
                                w.task = None
                        break
                else:
                    self._dispatch(batch)
                if not self.alive:
                    reasons = "; ".join(sorted({w.buried_because for w in self._workers if w.buried_because}))
                    while batch.todo:
                        self._finish(batch.todo.popleft(), TaskFailed(f"no worker process left ({reasons})"))
                    break
                if batch.pending:
                    self._poll(timeout=0.5)  # wakes up to notice a stop asked for by a signal
        finally:
            self._batch = None
        return batch.results

    def _stopping(self) -> bool:
        """True once the run was asked to stop; the first time, pass the signal on to the workers."""
        signum = self.should_stop()
        if signum and not self._forwarded:
            self._forwarded = signum
            for w in self._workers:
                if w.alive and w.process.pid is not None:
                    try:
                        os.kill(w.process.pid, signal.SIGTERM)  # our own child, by the PID we started
                    except OSError:
                        pass  # already gone: _poll() buries it
        return bool(signum)

    def _dispatch(self, batch: _Batch) -> None:
        for w in self._workers:
            if not batch.todo:
                return
            if w.alive and w.ready and w.task is None:
                i = batch.todo.popleft()
                try:
                    w.conn.send(batch.tasks[i])
                except OSError:
                    batch.todo.appendleft(i)  # never reached the worker: someone else takes it
                    self._bury(w, "its pipe broke")
                    continue
                w.task = i

    def _finish(self, i: int, result: Any) -> None:
        batch = self._batch
        if batch is not None:
            batch.results[i] = result
            batch.pending -= 1

    # -- messages from the workers ---------------------------------------------------------------

    def _poll(self, timeout: float | None = None) -> None:
        """Wait for any worker to say something or die, and handle it."""
        live = [w for w in self._workers if w.alive]
        if not live:
            return
        by_conn = {id(w.conn): w for w in live}
        by_sentinel = {w.process.sentinel: w for w in live}
        from multiprocessing.connection import wait

        for obj in wait([w.conn for w in live] + list(by_sentinel), timeout):
            if isinstance(obj, int):
                w = by_sentinel[obj]
                # Whatever it sent before exiting is still in the pipe: read it before burying it.
                while w.alive and self._read(w, block=False):
                    pass
                if w.alive:
                    self._bury(w, _exit_reason(w.process))
            else:
                w = by_conn[id(obj)]
                if w.alive:
                    self._read(w, block=True)

    def _read(self, w: _Worker, *, block: bool) -> bool:
        """Handle one message from `w`; False when there is none (or the pipe is closed)."""
        try:
            if not block and not w.conn.poll():
                return False
            msg = w.conn.recv()
        except (EOFError, OSError):
            self._bury(w, _exit_reason(w.process))
            return False
        kind = msg[0]
        if kind == "log":
            _, level, name, text = msg
            logging.getLogger(name).log(level, "%s", text)
        elif kind == "progress":
            self.progress(msg[1])
        elif kind == "ready":
            w.ready = True
        elif kind == "fatal":
            w.startup_error = msg[1]
            self._bury(w, f"could not start: {msg[1]}")
        elif kind in ("result", "error"):
            if w.task is not None:
                self._finish(w.task, msg[1] if kind == "result" else TaskFailed(msg[1]))
                w.task = None
        return True

    def _bury(self, w: _Worker, why: str) -> None:
        if not w.alive:
            return
        w.alive = False
        w.buried_because = f"worker {w.number} {why}"
        if w.task is not None:
            log.warning("worker %d stopped (%s) during a task; it is reported as failed", w.number, why)
            self._finish(w.task, TaskFailed(f"worker {w.number} {why}"))
            w.task = None
        try:
            w.conn.close()
        except OSError:
            pass
        w.process.join(5)
        if w.process.exitcode is None:  # given up on: it must not go on writing to the archive
            w.process.kill()
            w.process.join(5)


def _logger_levels() -> dict[str, int]:
    """The levels set on the parent's loggers (root as ""), for the workers to filter alike.

    Copied logger by logger, not just the root's: the CLI keeps the root at WARNING and raises only
    archiver's own loggers with -v, so that libraries' DEBUG output (HTTP/2 headers with cookies)
    never reaches the logs; a worker must not send more than the parent would print.
    """
    levels = {"": logging.getLogger().level}
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            levels[name] = logger.level
    return levels


def _exit_reason(proc: BaseProcess, wait_seconds: float = 5.0) -> str:
    # A dying process closes its pipes (and its sentinel) a moment before the kernel lets it be
    # reaped, and join() returns at once once the sentinel is ready: poll for the exit status.
    deadline = time.monotonic() + wait_seconds
    while proc.exitcode is None and time.monotonic() < deadline:
        time.sleep(0.01)
    code = proc.exitcode
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


# -- inside a worker ---------------------------------------------------------------------------------


class _PipeLogHandler(logging.Handler):
    """Sends each log record to the parent, which logs it with its own handlers."""

    def __init__(self, send: Callable[[tuple[Any, ...]], None]) -> None:
        super().__init__()
        self._send = send
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send(("log", record.levelno, record.name, self.format(record)))
        except Exception:
            pass  # the parent is gone: nobody is left to tell


def _die_with_parent(parent_pid: int) -> None:
    """Be killed with the parent: once it is gone, so is the archive lock, and a new run may start.

    A worker must not go on writing then; it dies as the run did, and its `.open` WARC is repaired
    by the next run's recover(). (Linux only; elsewhere the closed pipe stops the worker after its
    current task.)
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _serve(job: Job, number: int, conn: Connection, parent_pid: int, levels: dict[str, int]) -> None:
    """A worker's main function: open the job, run tasks until told to stop, always close the job."""
    from .interrupt import STOP

    _die_with_parent(parent_pid)
    STOP.install()  # a signal: finish the task in hand, reply, exit (never a KeyboardInterrupt mid-capture)
    lock = threading.Lock()  # Playwright and httpx may log from their own threads

    def send(msg: tuple[Any, ...]) -> None:
        with lock:
            conn.send(msg)

    logging.getLogger().handlers = [_PipeLogHandler(send)]
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    try:
        job.open(number)
    except BaseException as e:
        log.debug("worker %d could not start", number, exc_info=True)
        try:
            send(("fatal", _picklable(e)))
        except OSError:
            pass
        return
    try:
        send(("ready",))
        while not STOP.requested:
            try:
                task = conn.recv()
            except EOFError:
                break  # the parent is gone
            if task is None:
                break
            try:
                result = job.handle(task, lambda m: send(("progress", m)))
                reply: tuple[Any, ...] = ("result", result)
            except Exception as e:
                # Whatever went wrong is this task's failure; the worker goes on with the next one.
                log.debug("worker %d: task failed", number, exc_info=True)
                reply = ("error", f"{type(e).__name__}: {e}")
            try:
                send(reply)
            except OSError:
                break
            except Exception as e:  # the result could not be pickled; nothing was written yet
                send(("error", f"result not sendable: {type(e).__name__}: {e}"))
            if STOP.requested:
                break  # the parent was told too (or forwarded it): no more tasks
    except (KeyboardInterrupt, OSError):
        pass  # Ctrl-C reaches the whole process group; the parent reports it
    finally:
        job.close()
        conn.close()
