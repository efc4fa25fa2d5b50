"""A lock in Redis with a time to live: `SET key token NX PX ttl`, renewed while held, released by
compare-and-delete, so only its holder ever extends or frees it.

A holder that dies stops renewing: its lock expires after `ttl` seconds and the next one takes it.
A holder that lives renews every third of `ttl` (or every `renew_every` seconds) from a thread of
its own, however long its work.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import socket
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

# Only the holder (the same token) may extend or delete the key.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
          "else return 0 end")


def redis_errors() -> tuple[type[BaseException], ...]:
    """The errors that mean Redis did not answer (it restarts, the network broke)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, OSError)


def refused_auth(e: BaseException) -> bool:
    """Redis answered, and refused this client: a password it asks for and the URL lacks, or a
    wrong one (no point asking again)."""
    from redis.exceptions import AuthenticationError, AuthorizationError

    text = str(e)
    return isinstance(e, AuthenticationError | AuthorizationError) or any(
        word in text for word in ("NOAUTH", "WRONGPASS", "authenticated"))


def patiently(what: str, call, grace: float):  # type: ignore[no-untyped-def]
    """`call()`, tried again while Redis does not answer, for up to `grace` seconds."""
    errors = redis_errors()
    deadline = time.monotonic() + grace
    pause = 0.2
    while True:
        try:
            return call()
        except errors as e:
            if time.monotonic() >= deadline or refused_auth(e):
                raise
            log.info("%s: Redis did not answer (%s); trying again", what, e)
            time.sleep(pause)
            pause = min(2.0, pause * 2)


class RedisLock:
    """One lock: `acquire()` (waiting up to `wait` seconds, for ever by default) and `release()`.

    `grace`: seconds Redis may be unreachable before acquiring gives up with its error. The value
    held is `<host>:<pid>:<random>`, so an operator (or a test) can see who holds a lock.
    `renew_every`: seconds between two renewals (a third of `ttl` by default; never more).
    """

    def __init__(self, client: Redis, key: str, *, ttl: float = 60.0, grace: float = 60.0,
                 poll: float = 0.05, renew_every: float | None = None) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = max(1000, int(ttl * 1000))
        third = self.ttl_ms / 3000
        self.renew_every = third if renew_every is None else max(0.1, min(third, renew_every))
        self.grace = grace
        self.poll = poll
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self._held = False
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._held

    def try_once(self) -> bool:
        return bool(patiently(f"lock {self.key}",
                              lambda: self.client.set(self.key, self.token, nx=True, px=self.ttl_ms), self.grace))

    def acquire(self, wait: float = math.inf) -> bool:
        """True once held; False when another holder kept it for `wait` seconds (0: asked once)."""
        deadline = time.monotonic() + wait
        pause = self.poll
        while not self.try_once():
            if time.monotonic() >= deadline:
                return False
            # A little randomness so that waiters do not knock in step.
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())) * (0.5 + secrets.randbelow(100) / 100))
            pause = min(0.5, pause * 1.5)
        self._held = True
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name=f"renew {self.key}", daemon=True)
        self._renewer.start()
        return True

    def _renew(self) -> None:
        errors = redis_errors()
        while not self._stop.wait(self.renew_every):
            try:
                if not self.client.eval(_RENEW, 1, self.key, self.token, self.ttl_ms):
                    log.warning("lock %s expired while held (Redis restarted without its data?)", self.key)
                    # Taken back if free: the holder is still at work, unless it let go meanwhile
                    # (`release`, which may have stopped waiting for this call): then never taken
                    # back, or given up again at once, lest it outlive its holder by its lifetime.
                    if not self._stop.is_set() and self.client.set(self.key, self.token, nx=True, px=self.ttl_ms) \
                            and self._stop.is_set():
                        self.client.eval(_RELEASE, 1, self.key, self.token)
            except errors as e:
                log.info("lock %s: not renewed (%s); trying again", self.key, e)

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(5)
            self._renewer = None
        try:
            patiently(f"lock {self.key}", lambda: self.client.eval(_RELEASE, 1, self.key, self.token), self.grace)
        except redis_errors() as e:  # it expires on its own
            log.warning("lock %s not released (%s); it expires in %.0f s", self.key, e, self.ttl_ms / 1000)
