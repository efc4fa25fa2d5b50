"""Per-host politeness across every worker: at most one request in flight per host in the cluster.

On one machine, `RecordingClient` lets one request per host be in flight at a time (a lock per
host). Here the lock is in Redis (`host:<name>`), so ten workers on ten machines ask a host no
harder than one machine does. Threads of one process first take a lock of their own per host,
so that only one of them waits on Redis. If Redis stays unreachable for `grace` seconds, the
request goes ahead under the process's own lock alone (said once in the log): politeness
degrades to one machine's, work goes on.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .redislock import RedisLock, redis_errors

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

HOST_TTL = 30.0  # seconds: a dead holder's host lock frees itself this soon (held ones are renewed)


def host_ttl() -> float:
    """`HOST_TTL`, or the seconds `ARCHIVER_HOST_TTL` gives (at least one)."""
    try:
        return max(1.0, float(os.environ.get("ARCHIVER_HOST_TTL", "") or HOST_TTL))
    except ValueError:
        return HOST_TTL


class RedisHostGate:
    """A `RecordingClient` gate: `with gate(host): ...` holds the host's cluster-wide lock."""

    def __init__(self, client: Redis, *, prefix: str = "archiver", ttl: float | None = None,
                 grace: float = 60.0) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = host_ttl() if ttl is None else ttl
        self.grace = grace
        self._local: dict[str, threading.Lock] = {}
        self._local_lock = threading.Lock()
        self._warned = False

    @contextmanager
    def __call__(self, host: str) -> Iterator[None]:
        host = host.lower()
        with self._local_lock:
            local = self._local.setdefault(host, threading.Lock())
        with local:
            lock = RedisLock(self.client, f"{self.prefix}:host:{host}", ttl=self.ttl, grace=self.grace)
            try:
                lock.acquire()
            except redis_errors() as e:
                if not self._warned:
                    self._warned = True
                    log.warning("Redis unreachable (%s): requests to each host are limited by this "
                                "process alone until it answers", e)
            try:
                yield
            finally:
                lock.release()
