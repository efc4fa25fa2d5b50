"""The Celery app the scheduler and the workers share, configured for captures that must not be lost.

- JSON only, both ways (`accept_content`): a message is plain data, never a pickle, so a worker
  never runs code a message smuggles in.
- Late acknowledgement: a task is acknowledged once handled, not when received, so a task held by
  a worker that dies is delivered again. A dead pool child is noticed at once
  (`reject_on_worker_lost`); a dead worker's main process only once the message has stayed
  unacknowledged for `visibility_timeout` seconds, which must outlast the longest capture (a longer
  task would be delivered a second time while it still runs; the claims keep that harmless).
- One task per worker process at a time (`worker_prefetch_multiplier=1`): a slow capture holds
  back no other task.
- Results go to the same Redis and expire after a week.

One broker may serve several archives: each index has a queue of its own (`queue_for`, named after
the index's identity as its server tells it: server, database, schema), and each task carries that
identity, which the worker checks against its own index's before it does anything. A worker only
ever receives the tasks of its index; one that still met another's would refuse it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery  # type: ignore[import-untyped]

TASK_NAME = "archiver.handle"
QUEUE_PREFIX = "archiver.index."
# Seconds an unacknowledged task waits before Redis gives it to another worker: far above the
# default capture deadline (300 s) and the fetches around a capture.
DEFAULT_VISIBILITY_TIMEOUT = 3600.0
RESULT_EXPIRES = 7 * 24 * 3600


def queue_for(identity: str) -> str:
    """The queue of the tasks of the index whose identity (`index_identity`) is `identity`."""
    from hashlib import sha256

    return QUEUE_PREFIX + sha256(identity.encode()).hexdigest()[:20]


def index_identity(index: Any) -> str:
    """The identity of a PostgreSQL index (`archiver.index.postgres.identity`): the same for every
    machine that reaches it, however its URL is spelt there."""
    from ..index.postgres.identity import identity

    return identity(index.db)


def celery_config(broker: str, *, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT) -> dict[str, Any]:
    """The settings of the app, as a dict (tests read them)."""
    # The restore sweep runs every few seconds when the timeout is short (tests set it so); with
    # the default, every ten seconds as kombu does.
    restore = max(1.0, min(10.0, visibility_timeout / 4))
    return {
        "broker_url": broker,
        "result_backend": broker,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "event_serializer": "json",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_track_started": True,
        "result_expires": RESULT_EXPIRES,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,  # a broker restarting is waited for, not given up on
        "broker_transport_options": {"visibility_timeout": visibility_timeout,
                                     "unacked_restore_interval": restore, "unacked_restore_throttle": 1},
        "result_backend_transport_options": {"retry_policy": {"timeout": 60.0}},
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "worker_enable_remote_control": True,
    }


def make_app(broker: str, *, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT) -> Celery:
    """A Celery app for `broker` (a redis:// URL)."""
    from celery import Celery

    app = Celery("archiver", set_as_current=False)
    app.conf.update(celery_config(broker, visibility_timeout=visibility_timeout))
    return app
