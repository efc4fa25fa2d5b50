"""Capture workers on several machines: a Celery queue over a Redis broker.

`archiver worker` starts worker processes that take a run's tasks from the queue and handle them
with the same `Handlers` as a run on one machine (one session, so one Chromium, per worker process);
`archiver run --broker` is the scheduler: it keeps the run's row, chooses the posts, and sends the
tasks through `QueueExecutor`. Celery, kombu and redis are imported only by the modules of this
package that need them, and only when a cluster command runs.

    config.py    the Celery app and its settings (JSON only, late acknowledgement, visibility timeout)
    redislock.py a lock in Redis with a time to live, renewed while held: claims and host gates
    claims.py    one capture per task across the cluster, the delivery cap, stored answers
    worker.py    what each worker process opens, the task, `archiver worker` and its check
    executor.py  `QueueExecutor`: the `Executor` of pipeline/executors.py over the queue
    storage.py   WARC file names that say which host and process write them; their recovery
"""

from __future__ import annotations

from ..errors import UsageError

BROKER_ENV = "ARCHIVER_BROKER"


def require_shared_index(index_url: str | None) -> None:
    """UsageError unless the cluster's index is a server every worker reaches (PostgreSQL).

    The archive's own SQLite file runs in write-ahead-log mode, whose index of the log lives in
    shared memory (a file mapped by every writer); network file systems do not give shared memory,
    so workers on several machines writing one SQLite file would corrupt it."""
    if index_url is None:
        raise UsageError(
            "--broker needs --index postgresql://USER@HOST:PORT/DB (or ARCHIVER_INDEX): the archive's SQLite "
            "index cannot be shared by workers, its write-ahead log needs shared memory, which network file "
            "systems do not give; `archiver index copy --from DIR --to postgresql://…` moves an existing "
            "archive's index there")
