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

BROKER_ENV = "ARCHIVER_BROKER"
