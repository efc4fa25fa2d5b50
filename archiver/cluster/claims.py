"""One capture per task across the cluster, whatever the broker delivers.

A task may reach a worker more than once: its worker died (the broker gives it again), the broker
restarted and the scheduler sent it again, or it outlived the visibility timeout. Each delivery:

  1. answers at once with the answer stored by an earlier delivery of the same task, if any;
  2. takes the claim of what it captures (`claim:<post key>` or `claim:article:<spec>`), a
     `RedisLock` renewed while the work goes on, waiting while another delivery holds it; a holder
     that died stops renewing, and its claim expires after `CLAIM_TTL` seconds;
  3. under the claim, looks for a stored answer again (the holder it waited for has just stored
     one), then counts itself: the delivery after `MAX_DELIVERIES` deliveries that never
     answered (their workers died) fails, named, rather than killing one more worker;
  4. handles the task; the handlers check the index again (a post captured since the run began is
     not captured twice), and the answer is stored before the claim is released.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from .redislock import RedisLock, patiently

if TYPE_CHECKING:
    from redis import Redis

PREFIX = "archiver"
CLAIM_TTL = 60.0  # seconds: how soon a dead holder's claim frees itself (env ARCHIVER_CLAIM_TTL)
MAX_DELIVERIES = 2  # the third delivery of a task whose workers died twice is failed, not tried
ANSWER_TTL = 7 * 24 * 3600
REDIS_GRACE = 120.0  # seconds Redis may be away (a restart) before a delivery gives up


def claim_ttl() -> float:
    try:
        return max(1.0, float(os.environ.get("ARCHIVER_CLAIM_TTL", "") or CLAIM_TTL))
    except ValueError:
        return CLAIM_TTL


class DeliveryCapReached(Exception):
    """A task whose earlier deliveries all died with their worker: it is failed, not tried again."""


class Claims:
    """The claims, delivery counts and stored answers of the tasks, in one Redis."""

    def __init__(self, client: Redis, *, prefix: str = PREFIX, ttl: float | None = None,
                 grace: float = REDIS_GRACE) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = claim_ttl() if ttl is None else ttl
        self.grace = grace

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def lock(self, what: str) -> RedisLock:
        return RedisLock(self.client, self._key("claim", what), ttl=self.ttl, grace=self.grace)

    def holder(self, what: str) -> str | None:
        """`<host>:<pid>:<random>` of the holder of `what`'s claim; None when nobody holds it."""
        raw = patiently("claim", lambda: self.client.get(self._key("claim", what)), self.grace)
        return raw.decode() if isinstance(raw, bytes) else raw

    def held(self, what: str) -> bool:
        """Someone holds the claim of `what` now."""
        return bool(patiently("claim", lambda: self.client.exists(self._key("claim", what)), self.grace))

    def answer(self, task_id: str) -> dict[str, Any] | None:
        raw = patiently("answer", lambda: self.client.get(self._key("answer", task_id)), self.grace)
        return json.loads(raw) if raw else None

    def store(self, task_id: str, answer: dict[str, Any]) -> None:
        patiently("answer", lambda: self.client.set(self._key("answer", task_id), json.dumps(answer), ex=ANSWER_TTL),
                  self.grace)

    def stop_run(self, run: str) -> None:
        self.client.set(self._key("stopped", run), "1", ex=ANSWER_TTL)

    def run_stopped(self, run: str | None) -> bool:
        return bool(run) and bool(patiently("run", lambda: self.client.exists(self._key("stopped", str(run))),
                                            self.grace))

    def count_delivery(self, task_id: str) -> int:
        """This delivery's number among those that started work on `task_id` without answering."""
        key = self._key("deliveries", task_id)

        def count() -> int:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, ANSWER_TTL)
            return int(pipe.execute()[0])

        return int(patiently("deliveries", count, self.grace))
