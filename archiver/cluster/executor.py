"""`QueueExecutor`: the run's tasks sent to the cluster's queue, their answers read back as they end.

It implements the `Executor` of pipeline/executors.py, so `run_phases` drives it as it drives the
executors of one machine: `submit` sends a task (JSON, with the run's start time, under a task ID
made from the run's token), `answers` yields each task's answer as its result appears in Redis.

A broker that lost its queue (restarted without its data) cannot lose the run's work: when no
answer has come for `requeue_after` seconds, every task still unanswered whose claim nobody holds is
sent again under the same ID. A task that was in fact still queued is then delivered twice; the
second delivery finds the first one's stored answer (claims.py) and captures nothing.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BrokerUnavailable, UsageError
from ..interrupt import STOP
from ..progress import DONE
from ..times import utc_now
from ..workers import NotStarted, TaskFailed
from .claims import Claims
from .config import TASK_NAME, make_app, queue_for
from .redislock import patiently, redis_errors, refused_auth
from .worker import claim_name

if TYPE_CHECKING:
    from ..pipeline.executors import Answer
    from ..pipeline.tasks import Task

log = logging.getLogger(__name__)

REQUEUE_ENV = "ARCHIVER_REQUEUE_AFTER"
DEFAULT_REQUEUE_AFTER = 900.0  # seconds without any answer before unanswered tasks are sent again
BROKER_GRACE = 300.0  # seconds the broker may be away before the run gives up, naming it
START_GRACE = 10.0  # seconds the broker may take to answer when the run starts
STOP_GRACE = 5.0  # seconds the broker may take to say what is done when the run is stopped
POLL = 0.5
# A run whose tasks no worker takes says so after this long without an answer, and again as long
# as it lasts (a scheduled run waiting on no worker would otherwise wait in silence).
IDLE_NOTICE = 120.0
_CLAIMS_LOOKED_AT = 200  # the first tasks sent are the first taken: whether any is held tells


def requeue_after_default() -> float:
    try:
        return float(os.environ.get(REQUEUE_ENV, "") or DEFAULT_REQUEUE_AFTER)
    except ValueError:
        return DEFAULT_REQUEUE_AFTER


def check_broker_url(broker: str) -> None:
    """UsageError unless `broker` is a Redis URL."""
    from ..redact import unescaped_userinfo, without_userinfo

    if not broker.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--broker {_shown(broker)}: not a Redis URL (redis://HOST:6379/0, rediss://…, unix://…)")
    if unescaped_userinfo(broker) is not None:
        # (the parser's own message would quote part of the password as the port or the host)
        raise UsageError(f"--broker {without_userinfo(broker)}: its password holds '/', '?' or '#', which a URL "
                         "writes %2F, %3F and %23; give redis://:PASSWORD@HOST:6379/0 so written")
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(broker)
        parts.port  # noqa: B018 (parses the host and port: a bad one raises here)
    except ValueError as e:
        raise UsageError(f"--broker {_shown(broker)}: malformed URL ({e}); give redis://HOST:6379/0") from None
    # The database: a number in the path (`/0`) or a `db=` parameter, as redis-py reads them; anything
    # else passes the checks above and fails only once the run has started, as an internal error.
    database = parts.path.strip("/") if parts.scheme != "unix" else ""
    dbs = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "db"]
    if any(not (d.isascii() and d.isdigit()) for d in ([database] if database else []) + dbs):
        raise UsageError(f"--broker {_shown(broker)}: its database must be a number (redis://HOST:6379/0)")


class QueueExecutor:
    """The tasks of one run over the cluster behind `broker`."""

    def __init__(self, broker: str, *, index: str | None = None, index_name: str = "",
                 recapture: bool = False, progress: Callable[[str], None] | None = None,
                 requeue_after: float | None = None, grace: float = BROKER_GRACE,
                 idle_notice: float = IDLE_NOTICE) -> None:
        """`index`: the identity of the index the tasks are for (`config.index_identity`; None: this
        executor only reads answers), `index_name` how messages name it."""
        import redis

        check_broker_url(broker)
        self.broker = broker
        self.index = index
        self.index_name = index_name
        self.queue = queue_for(index) if index is not None else None
        self.app = make_app(broker)
        self.client = redis.Redis.from_url(broker, socket_timeout=30, socket_connect_timeout=10)
        self.claims = Claims(self.client, grace=grace)
        self.token = secrets.token_hex(6)
        self.since = utc_now()  # a post checked after this was checked by this run
        self.recapture = recapture
        self.progress = progress or (lambda _m: None)
        self.requeue_after = requeue_after_default() if requeue_after is None else requeue_after
        self.grace = grace
        self.idle_notice = idle_notice
        self._count = 0
        self._pending: dict[str, Task] = {}
        self._messages: dict[str, dict[str, Any]] = {}
        self.sent_again = 0
        # When the run was stopped: what a worker still held (it finishes), and what was still
        # queued (skipped); each as `claim_name` names it.
        self.left_running: list[str] = []
        self.left_pending: list[str] = []
        self.extra: dict[str, Any] = {}  # more fields for the messages sent (a detached run's record)

    def _call(self, what: str, call):  # type: ignore[no-untyped-def]
        """`call()`, tried again while the broker does not answer, for up to `grace` seconds."""
        from kombu.exceptions import OperationalError

        errors: tuple[type[BaseException], ...] = (*redis_errors(), OperationalError)
        deadline = time.monotonic() + self.grace
        while True:
            try:
                return call()
            except errors as e:
                if time.monotonic() >= deadline:
                    raise BrokerUnavailable(
                        f"the broker {_shown(self.broker)} did not answer for {self.grace:.0f} s ({e}); the tasks "
                        "sent stay queued: start the broker and run again") from e
                log.info("%s: the broker did not answer (%s); trying again", what, e)
                time.sleep(1.0)

    # -- Executor --------------------------------------------------------------------------------

    def submit(self, task: Task) -> None:
        self.send(task)

    def send(self, task: Task, *, later: bool = False) -> str:
        """Send `task` (`later`: only give it its ID and message, `dispatch` sends it); returns its task ID."""
        self._count += 1
        task_id = f"archiver-{self.token}-{self._count}"
        assert self.index is not None, "an executor that sends tasks is given its index"
        message = {"task": task.to_dict(), "since": self.since, "recapture": self.recapture, "run": self.token,
                   "index": self.index, **self.extra}
        self._pending[task_id] = task
        self._messages[task_id] = message
        if not later:
            self._send(task_id)
        return task_id

    def dispatch(self, task_id: str) -> None:
        """Send the task `send(..., later=True)` gave the ID `task_id`."""
        self._send(task_id)

    def _send(self, task_id: str) -> None:
        message = self._messages[task_id]
        self._call("send", lambda: self.app.send_task(TASK_NAME, args=[message], task_id=task_id,
                                                      queue=self.queue))

    def answers(self) -> Iterator[tuple[Task, Answer]]:
        quiet_since = noticed = time.monotonic()
        while self._pending:
            if STOP.requested:
                yield from self._stop()
                return
            ready = self._ready()
            if not ready:
                now = time.monotonic()
                if now - noticed >= self.idle_notice:
                    noticed = now
                    if (notice := self.waiting_notice(now - quiet_since)) is not None:
                        log.warning("%s", notice)
                if now - quiet_since >= self.requeue_after:
                    self._send_again()
                    quiet_since = time.monotonic()
                time.sleep(POLL)
                continue
            quiet_since = noticed = time.monotonic()
            for task_id, answer in ready:
                task = self._pending.pop(task_id, None)
                self._messages.pop(task_id, None)
                if task is None:
                    continue
                # Answered: a step begun and ended, as far as this machine can tell.
                said = claim_name(task).replace(":", " ", 1)
                self.progress(said)
                self.progress(f"{DONE}{said}")
                yield task, answer

    def waiting_notice(self, quiet_for: float) -> str | None:
        """The line that says the run's tasks wait for a worker, when no worker holds any of them
        (None while one is on a task: a long capture is no reason to worry)."""
        waiting = list(self._pending.values())
        if not waiting or any(self.claims.held(claim_name(t)) for t in waiting[:_CLAIMS_LOOKED_AT]):
            return None
        return (f"no worker has taken any of the {len(waiting)} task(s) waiting, nor answered, for "
                f"{quiet_for / 60:.0f} min: is a worker running for the broker {_shown(self.broker)} and the "
                f"index {self.index_name or 'of this run'}? (a worker takes only the tasks of its own --index; "
                "`archiver worker --check` on a worker's machine tells)")

    def _ready(self) -> list[tuple[str, Answer]]:
        ids = list(self._pending)
        found = self._call("results", lambda: read_answers(self.app, self.client, ids)) if ids else {}
        return [(i, found[i]) for i in ids if i in found]

    def _send_again(self) -> None:
        again = [i for i, t in self._pending.items() if not self.claims.held(claim_name(t))]
        if again:
            log.warning("no answer for %.0f s: sending %d unanswered task(s) again (the broker may have lost them)",
                        self.requeue_after, len(again))
        for task_id in again:
            self._send(task_id)
        self.sent_again += len(again)

    def _stop(self) -> Iterator[tuple[Task, Answer]]:
        """Asked to stop: tasks not answered are revoked (a worker holding one finishes it).

        What is known then is said as it is: the tasks answered by now (read once more after the
        stop, so that an answer that came since the last look is counted, not taken for work not
        done), those a worker holds (`left_running`: it finishes them, and indexes what it
        captures, whatever this process does), and those still queued (`left_pending`: the
        workers skip them; the next run does their work)."""
        ids = list(self._pending)
        try:
            # Workers skip what is still queued of a stopped run, including workers started later
            # (a revoke reaches only the workers running now).
            self.claims.stop_run(self.token)
            self.app.control.revoke(ids)
        except Exception as e:  # the broker is away: they stay queued, and a later run takes them up
            log.warning("could not revoke %d task(s): %s", len(ids), e)
        try:
            # (briefly: a broker that is away now is named, the run does not wait minutes on it)
            claims = Claims(self.client, grace=STOP_GRACE)
            found = self.answered(ids, claims)
            held = {i for i in ids if i not in found and claims.held(claim_name(self._pending[i]))}
        except redis_errors() as e:
            log.warning("the broker did not answer (%s): whether the %d task(s) not answered are done, held by a "
                        "worker or still queued is not known", e, len(ids))
            found, held, known = {}, set(), False
        else:
            known = True
        for task_id in ids:
            task = self._pending.pop(task_id)
            answer = found.get(task_id)
            if answer is not None and not isinstance(answer, NotStarted):
                said = claim_name(task).replace(":", " ", 1)
                self.progress(said)
                self.progress(f"{DONE}{said}")
                yield task, answer
                continue
            if known:  # (not known: neither said to be running nor to be skipped)
                (self.left_running if task_id in held else self.left_pending).append(claim_name(task))
            yield task, NotStarted()
        self._messages.clear()

    def answered(self, ids: Sequence[str], claims: Claims | None = None) -> dict[str, Answer]:
        """The answers of `ids` there are: Celery's results, and the answers workers store before
        their results are written (claims.py), read once each."""
        from ..pipeline.tasks import ArticleResult, PostResult

        found = read_answers(self.app, self.client, ids)
        for task_id in ids:
            if task_id not in found and (stored := (claims or self.claims).answer(task_id)) is not None:
                if stored.get("type") == "article_result":
                    found[task_id] = ArticleResult.from_dict(stored)
                elif stored.get("type") == "post_result":
                    found[task_id] = PostResult.from_dict(stored)
        return found

    def close(self) -> None:
        self._pending.clear()
        self._messages.clear()

    def __enter__(self) -> QueueExecutor:
        # A broker that does not answer at all is named now, before anything is sent.
        try:
            patiently("broker", self.client.ping, START_GRACE)
        except redis_errors() as e:
            self.client.close()
            if refused_auth(e):
                raise BrokerUnavailable(f"the broker {_shown(self.broker)} refused this client ({e}): give the "
                                        "password it asks for in --broker (redis://:PASSWORD@HOST:6379/0)") from e
            raise BrokerUnavailable(f"the broker {_shown(self.broker)} does not answer ({e}); start it, or check "
                                    "--broker") from e
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        try:
            self.client.close()
        except Exception:
            pass


def read_answers(app: Any, client: Any, ids: Sequence[str], ended: list[str] | None = None) -> dict[str, Answer]:
    """The answers in Redis of the tasks `ids` (one MGET); those still running are left out.
    `ended`, when given, gets the time each answer was written (by its worker, ISO 8601)."""
    if not ids:
        return {}
    backend = app.backend
    values = client.mget([backend.get_key_for_task(i) for i in ids])
    out: dict[str, Answer] = {}
    for task_id, raw in zip(ids, values, strict=True):
        if raw is not None:
            meta = backend.decode_result(raw)
            answer = _answer(meta)
            if answer is not None:
                out[task_id] = answer
                if ended is not None and meta.get("date_done"):
                    ended.append(str(meta["date_done"]))
    return out


def _answer(meta: dict[str, Any]) -> Answer | None:
    """A task's answer from its Celery result; None while it has none."""
    from ..pipeline.tasks import ArticleResult, PostResult

    status = meta.get("status")
    if status == "SUCCESS":
        result = meta.get("result") or {}
        if result.get("type") == "article_result":
            return ArticleResult.from_dict(result)
        if result.get("type") == "post_result":
            return PostResult.from_dict(result)
        if result.get("type") == "not_started":  # its run was stopped before a worker took it
            return NotStarted()
        return TaskFailed(f"the worker answered something else: {str(result)[:80]}")
    if status == "FAILURE":
        exc = meta.get("result")
        message: Any
        if isinstance(exc, BaseException):  # Celery rebuilds the worker's exception
            kind, message = type(exc).__name__, str(exc)
        elif isinstance(exc, dict):
            kind, message = str(exc.get("exc_type") or "error"), exc.get("exc_message")
            if isinstance(message, (list, tuple)):
                message = " ".join(str(m) for m in message)
        else:
            kind, message = "error", exc
        return TaskFailed(str(message) if kind in ("DeliveryCapReached", "OtherIndex") else f"{kind}: {message}")
    if status == "REVOKED":
        return NotStarted()
    return None


def _shown(url: str) -> str:
    """A broker URL without its password (whether or not it parses)."""
    from ..redact import redact_endpoint

    return redact_endpoint(url)
