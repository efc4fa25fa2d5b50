"""`archiver worker`: Celery worker processes that handle a run's tasks with the run's handlers.

The main process finishes the `.open` WARC files dead workers of this host left, migrates the
index once, then forks `concurrency` pool processes. Each pool process opens one `Session` (its own
WARC files named after host and PID, its own index connection, one Chromium started on its first
capture, an HTTP client whose per-host gate is the cluster's, in Redis) when it starts, and closes
it when it stops. Each task goes through `Claims` (claims.py), so that a task delivered twice
captures once.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..limits import Limits
from ..modes import make_dirs
from ..pipeline.tasks import ArticleResult, ArticleTask, PostResult, PostTask
from ..progress import DONE
from .claims import MAX_DELIVERIES, Claims, DeliveryCapReached
from .config import DEFAULT_VISIBILITY_TIMEOUT, TASK_NAME, index_identity, make_app, queue_for
from .storage import host_name, recover_own, warc_prefix

if TYPE_CHECKING:
    from celery import Celery  # type: ignore[import-untyped]

    from ..evidence.stamps import Authorities
    from ..net import NetOptions
    from ..pipeline.executors import Handlers
    from ..pipeline.session import Session
    from ..pipeline.tasks import Result, Task

log = logging.getLogger(__name__)


@dataclass
class WorkerSettings:
    """What `archiver worker` was started with."""

    broker: str
    archive_dir: Path
    net: NetOptions
    timeout: float = 30.0
    limits: Limits = field(default_factory=Limits)
    index_url: str | None = None
    concurrency: int = 1
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
    timestamps: Authorities | None = None  # the authorities that timestamp each capture (None: none)
    # The identity of its index (`config.index_identity`), found by `prepare`: the queue it takes
    # tasks from, and what each task must name.
    identity: str | None = None


class OtherIndex(Exception):
    """A task sent for another index than the worker's: refused, nothing captured."""


def task_from_dict(d: dict[str, Any]) -> Task:
    if d.get("type") == "article":
        return ArticleTask.from_dict(d)
    if d.get("type") == "post":
        return PostTask.from_dict(d)
    raise ValueError(f"not a task: {d.get('type')!r}")


def claim_name(task: Task) -> str:
    """What a task's claim is on: the post it captures, or the article it reads."""
    return f"article:{task.spec}" if isinstance(task, ArticleTask) else f"post:{task.key}"


class WorkerProcess:
    """One pool process's session and handlers (made when the process starts)."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self._session: Session | None = None
        self._handlers: dict[bool, Handlers] = {}
        self.claims: Claims | None = None
        self.app: Any = None  # the Celery app, for the tasks a worker sends itself
        self.refused = False  # its clock was found behind the index's: it asked its worker to stop

    def open(self) -> None:
        from ..pipeline.session import Session
        from .gate import RedisHostGate

        s = self.settings
        client = _broker_client(s.broker)
        self.claims = Claims(client)
        recover_own(s.archive_dir)  # a pool process that died before this one left its file
        session = Session(s.archive_dir, s.net, timeout=s.timeout, warc_prefix=warc_prefix(), limits=s.limits,
                          index_url=s.index_url, host_gate=RedisHostGate(client), timestamps=s.timestamps)
        self._session = session.__enter__()
        log.info("worker process %d ready", os.getpid())

    def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            session.__exit__(None, None, None)

    def handlers(self, recapture: bool) -> Handlers:
        from ..pipeline.executors import Handlers

        assert self._session is not None, "open() first"
        made = self._handlers.get(recapture)
        if made is None:
            made = self._handlers[recapture] = Handlers(self._session, recapture=recapture, progress=_say)
        return made

    def handle(self, task_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """One delivery of a task: its answer, the stored one if an earlier delivery answered. An
        article task of a run that does not wait is counted handled in the run however it ends for
        good: answered, failed (its handler raised), given up (`DeliveryCapReached`), refused
        (`OtherIndex`), or not started, its process's session not opened (`unopened`); not when it
        goes back to the queue (`Reject`) or its process dies."""
        task = task_from_dict(message["task"])
        try:
            return self._handle(task_id, message, task)
        except Exception as e:
            from celery.exceptions import Reject  # type: ignore[import-untyped]

            if not isinstance(e, Reject):
                self._ended(task_id, message, task)
            raise

    def unopened(self, task_id: str, message: dict[str, Any]) -> None:
        """A task this process could not start, its session not opened (the index away as the
        process started): an ending for good (its answer is that failure), so an article task of a
        run that does not wait is counted handled, as one whose handler raised is. Counting needs
        only the broker; one that does not answer either leaves it uncounted, said in the log. The
        broker client it makes for that is closed once it is counted: a process whose index stays
        away takes task after task, and would leave a connection open for each."""
        made = None
        try:
            if self.claims is None:
                if not message.get("follow") or message.get("task", {}).get("type") != "article":
                    return  # (nothing to count)
                made = _broker_client(self.settings.broker)
                self.claims = Claims(made)
            self._ended(task_id, message, task_from_dict(message["task"]))
        except Exception as e:
            log.warning("%s: its run could not count it as handled (%s)", task_id, e)
        finally:
            if made is not None:
                self.claims = None
                try:
                    made.close()
                except Exception as e:  # (its connection goes with the client)
                    log.debug("%s: the broker client could not be closed (%s)", task_id, e)

    def _ended(self, task_id: str, message: dict[str, Any], task: Task) -> None:
        """An article task of a detached run has ended: counted (`detached.articles_handled`), before
        its answer is stored (its run is not told complete before the re-checks it leads to are listed)."""
        if not message.get("follow") or not isinstance(task, ArticleTask) or self.claims is None:
            return
        from .detached import articles_handled

        articles_handled(self.claims.client, self.app, str(message["follow"]), task_id,
                         since=str(message.get("since") or ""), recapture=bool(message.get("recapture")),
                         identity=str(message.get("index") or self.settings.identity))

    def _handle(self, task_id: str, message: dict[str, Any], task: Task) -> dict[str, Any]:
        assert self.claims is not None, "open() first"
        started = time.monotonic()
        what = claim_name(task)
        fields: dict[str, Any] = {"task_id": task_id, "task": what}

        def said(outcome: str, delivery: int | None = None) -> None:
            log.info("%s: %s", what, outcome, extra={**fields, "outcome": outcome, "delivery": delivery,
                                                      "seconds": round(time.monotonic() - started, 3)})

        expected = self.settings.identity
        if expected is not None and message.get("index") != expected:
            # Its captures would be filed in this worker's archive, not the one the run reports on.
            said("refused: sent for another index")
            raise OtherIndex(f"refused by a worker of another index (the task was sent for "
                             f"{message.get('index') or 'no index named'}, the worker's is {expected}): nothing "
                             "captured")
        stored = self.claims.answer(task_id)
        if stored is not None:
            said("answered by an earlier delivery")
            return stored
        self._clock_not_behind()
        if self.claims.run_stopped(message.get("run")):
            said("skipped: its run was stopped")
            self._ended(task_id, message, task)
            return {"type": "not_started"}
        claim = self.claims.lock(what)
        claim.acquire()  # another delivery of the same work holds it: wait for its answer
        try:
            stored = self.claims.answer(task_id)
            if stored is not None:
                said("answered by an earlier delivery")
                return stored
            n = self.claims.count_delivery(task_id)
            if n > MAX_DELIVERIES:
                said("given up", n)
                raise DeliveryCapReached(f"given up: its worker died on each of {n - 1} deliveries")
            result = self._done_since(task, message) or self.handlers(bool(message.get("recapture"))).handle(task)
            if message.get("follow") and isinstance(result, ArticleResult) and self._session is not None:
                # A run that does not wait: a feed's articles and an article's posts are sent from here.
                from .detached import follow_feed, follow_up

                identity = str(message.get("index") or self.settings.identity)
                if result.sources and isinstance(task, ArticleTask):
                    follow_feed(self.claims.client, self.app, str(message["follow"]), task, result.outcome,
                                result.sources, result.notes, since=str(message.get("since") or ""),
                                recapture=bool(message.get("recapture")), root=str(message.get("root") or task.spec),
                                identity=identity)
                follow_up(self.claims.client, self.app, str(message["follow"]), result.posts,
                          since=str(message.get("since") or ""), recapture=bool(message.get("recapture")),
                          index=self._session.index, identity=identity, unanswered=result.unanswered,
                          owner=task_id)
            self._ended(task_id, message, task)
            answer = result.to_dict()
            self.claims.store(task_id, answer)
            said(_outcome(answer), n)
            return answer
        finally:
            claim.release()

    def _clock_not_behind(self) -> None:
        """Refuse the task when this machine's clock reads before the index's latest run or check
        (another machine's clock ahead, or this one stepped back since the worker started): the
        checks it would make would be dated before those, and reorder the posts' histories. The
        task goes back to the queue for another worker, and this worker stops (its main process
        says why, once, and exits 1: `run_worker`)."""
        from ..errors import ClockBehind
        from ..runs import clock_behind_ok, clock_not_behind

        if clock_behind_ok() or self._session is None:
            return
        try:
            clock_not_behind(self._session.index, who="this worker", how="start it")
        except ClockBehind as e:
            from celery.exceptions import Reject  # type: ignore[import-untyped]

            if not self.refused:
                self.refused = True
                import signal

                # What the main process says as it exits (1), whatever its clock reads by then: a
                # warm shutdown may wait minutes for another task in hand.
                _refusal_note(os.getppid()).write_text(str(e), encoding="utf-8")
                os.kill(os.getppid(), signal.SIGTERM)  # the main process: a warm shutdown, then exit 1
            # (Celery logs the reason on the task's line: short, the whole of it is said once by the main process)
            raise Reject("this machine's clock is behind the index's latest time: back to the queue, this worker "
                         "stops", requeue=True) from None

    def _done_since(self, task: Task, message: dict[str, Any]) -> Result | None:
        """The answer to a post task whose post was checked since the run began: an earlier delivery
        captured it, then died before answering. None when the task is still to do. The post's status
        and reason are its latest observation's, so that a post the platform did not show is named
        among the failures, with what was seen, as that delivery named it."""
        from ..pipeline.postcapture import PostOutcome

        since = message.get("since")
        if not isinstance(task, PostTask) or not since or self._session is None:
            return None
        index = self._session.index
        row = index.get_post(task.key)
        if row is None or not row.last_checked or row.last_checked < since:
            return None
        captures = [c for c in index.post_captures(task.key) if c.captured_at >= since]
        log.info("%s: captured since the run began; not captured again", task.key)
        shown = index.show(task.key)
        outcome = PostOutcome(task.key, row.platform, row.url, row.status or "unknown",
                              reason=shown.reason if shown is not None else None, captures=len(captures),
                              source=captures[-1].source if captures else None)
        return PostResult(outcome, tuple(outcome.failures()))


def _outcome(answer: dict[str, Any]) -> str:
    """A task's outcome in a word or two, for its log line."""
    outcome = answer.get("outcome") or {}
    if answer.get("type") == "post_result":
        return str(outcome.get("status") or "no longer held") + (" (error)" if outcome.get("error") else "")
    return "failed" if outcome.get("error") or answer.get("failures") else "done"


_PROCESS: dict[str, WorkerProcess] = {}
BROKER_RETRIES = 40  # with the backoff below (0.1 s doubling, at most 2 s): a minute or so


def _broker_client(broker: str) -> Any:
    """A worker process's Redis client. A command that meets the broker restarting (its claims,
    answers, the hosts' turns of a fetch in hand) is tried again for up to a minute instead of
    failing the task in hand."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(broker, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30,
                                retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), BROKER_RETRIES),
                                retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError])


def worker_app(settings: WorkerSettings) -> Celery:
    """The Celery app of a worker: the one task, and a session opened in each pool process."""
    from celery import signals  # type: ignore[import-untyped]

    app = make_app(settings.broker, visibility_timeout=settings.visibility_timeout)

    # DeliveryCapReached is a designed outcome (the run names the task given up): logged as expected.
    @app.task(name=TASK_NAME, bind=True, throws=(DeliveryCapReached, OtherIndex))  # type: ignore[untyped-decorator]
    def handle(self: Any, message: dict[str, Any]) -> dict[str, Any]:
        proc = _PROCESS.get("current")
        if proc is None:
            # The pool process could not open its session when it started (PostgreSQL down while
            # it was restarted): opened now, once what it needs is back, rather than failing every
            # task it takes for good.
            try:
                proc = _opened()
            except Exception as e:
                # An ending for good (its answer is this failure): counted as one, as any other.
                unopened = WorkerProcess(settings)
                unopened.app = app
                unopened.unopened(self.request.id, message)
                raise RuntimeError(f"this worker process could not open its session: {e}") from None
        return proc.handle(self.request.id, message)

    def _opened() -> WorkerProcess:
        proc = WorkerProcess(settings)
        proc.app = app
        try:
            proc.open()
        except Exception:
            proc.close()
            raise
        _PROCESS["current"] = proc
        return proc

    @signals.worker_process_init.connect(weak=False)  # type: ignore[untyped-decorator]
    def _open(**_: Any) -> None:
        try:
            _opened()
        except Exception as e:
            log.error("worker process %d could not open its session (tried again with its next task): %s",
                      os.getpid(), e)

    @signals.worker_ready.connect(weak=False)  # type: ignore[untyped-decorator]
    def _ready(**_: Any) -> None:
        log.info("worker %d: taking tasks (%d process(es))", os.getpid(), settings.concurrency)

    @signals.worker_process_shutdown.connect(weak=False)  # type: ignore[untyped-decorator]
    def _close(**_: Any) -> None:
        proc = _PROCESS.pop("current", None)
        if proc is not None:
            proc.close()

    return app


def _refusal_note(main_pid: int) -> Path:
    """Where a pool process leaves, for the worker's main process (`main_pid`), why it refused a
    task for this machine's clock (a local temporary file: the archive may be shared by machines)."""
    import tempfile

    return Path(tempfile.gettempdir()) / f"archiver-worker-{main_pid}.clock-behind"


def prepare(settings: WorkerSettings) -> None:
    """What the main process does before its pool starts: leftovers of dead workers of this host
    finished, the index opened (and so migrated) once, Chromium's certificate database built."""
    from ..index import open_index, require_noted_index
    from ..runs import clock_not_behind
    from . import require_shared_index

    require_shared_index(settings.index_url)
    _broker_lets_in(settings.broker)
    if settings.index_url is not None:
        # A folder indexed in another database: refused here, before any task is taken (each one
        # taken would fail).
        require_noted_index(settings.archive_dir, settings.index_url)
    recover_own(settings.archive_dir)
    with open_index(settings.archive_dir, url=settings.index_url) as index:
        # A clock behind the index's latest time would date this worker's checks before earlier
        # ones: refused before any task is taken, as a run on one machine is (exit 1, override).
        clock_not_behind(index, who="this worker", how="start it")
        # Its queue: the tasks of this index only, whatever other archives the broker serves.
        settings.identity = index_identity(index)
    say_identity_fallback(settings.identity)
    if settings.net.ca_bundle is not None:
        import fcntl

        # Built once, under a lock: workers starting together would rebuild it under each other's feet.
        workdir = make_dirs(settings.archive_dir / ".browser")
        with open(workdir / "nss.lock", "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            settings.net.chromium_launch(workdir)


def say_identity_fallback(identity: str) -> None:
    """One line, when the index's server did not tell this worker's role its system identifier
    (`archiver.index.postgres.identity`: the identity then names the URL's host and port, not
    `system N`): its queue is then named after the URL's spelling, which schedulers must share."""
    server = identity.removeprefix("pg:").split("/", 1)[0]
    if server.startswith("system "):
        return
    log.warning("the index's server does not let this worker's role call pg_control_system(): its queue is "
                "named after the host and port %s as the --index URL spells them; a scheduler that spells them "
                "otherwise (or whose role may call it) sends to another queue. Spell the URL alike on every "
                "machine, or let the role call it (GRANT EXECUTE ON FUNCTION pg_control_system() TO ROLE)", server)


def _broker_lets_in(broker: str) -> None:
    """BrokerUnavailable (one line, exit 1, as `--check` fails for it) when the broker answers and
    refuses this client (a password missing or wrong): Celery would try again for ever. A broker
    that does not answer (down, restarting) is left for Celery to wait for."""
    import redis

    from ..errors import BrokerUnavailable
    from .executor import _shown
    from .redislock import refused_auth

    client = redis.Redis.from_url(broker, socket_timeout=10, socket_connect_timeout=10)
    try:
        client.ping()
    except Exception as e:
        if refused_auth(e):
            raise BrokerUnavailable(f"the broker {_shown(broker)} refused this worker ({e}): give the password it "
                                    "asks for in --broker (redis://:PASSWORD@HOST:6379/0, or ARCHIVER_BROKER)") from None
        log.info("the broker %s does not answer yet (%s): waiting for it", _shown(broker), e)
    finally:
        client.close()


def root_warning() -> None:
    """A worker running as root says so, in its own words: Celery's warning (filtered out) asks for
    a --uid option this command does not have."""
    if os.geteuid() != 0:
        return
    warnings.filterwarnings("ignore", message="You're running the worker with superuser privileges")
    log.warning("the worker runs as root, which is not recommended: start it as an unprivileged user that can "
                "write the archive folder (the systemd units in docs/systemd do)")


def run_worker(settings: WorkerSettings) -> int:
    """Start the worker and serve until SIGTERM or SIGINT (a warm shutdown: tasks in hand finish)."""
    prepare(settings)
    assert settings.identity is not None  # (found by `prepare`)
    root_warning()
    # A worker writes no data: Celery's own messages (its shutdown, written to the process's
    # original stdout) go where its logs go.
    if sys.stdout is not None:
        sys.stdout.flush()
    os.dup2(2, 1)
    app = worker_app(settings)
    worker = app.Worker(  # type: ignore[attr-defined]
        concurrency=settings.concurrency, pool="prefork", hostname=f"archiver@{host_name()}-{os.getpid()}",
        queues=[queue_for(settings.identity)], quiet=True, without_mingle=True, without_gossip=True, optimization="fair",
        loglevel="WARNING")
    note = _refusal_note(os.getpid())
    note.unlink(missing_ok=True)
    try:
        worker.start()
    finally:
        # A pool process that found this machine's clock behind the index's stopped the worker: said
        # here, once, with the exit code of a run refused for it.
        said = note.read_text(encoding="utf-8") if note.is_file() else None
        note.unlink(missing_ok=True)
    if said is not None:
        from ..errors import ClockBehind

        raise ClockBehind(said)
    return int(worker.exitcode or 0)


def _say(message: str) -> None:
    """A step's start on the worker's log (its end is the answer sent, said apart)."""
    if not message.startswith(DONE):
        log.info("%s", message)
