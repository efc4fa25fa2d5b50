"""The archive's lock: one writer at a time, so scheduled runs never overlap.

An advisory `flock` on `<archive>/.lock`: the kernel drops it when the holder dies, even by SIGKILL,
so a stale lock never needs cleaning up by hand. The file names the holder for the message.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from .errors import LockHeld
from .modes import make_dirs, open_or_create
from .times import iso_seconds

LOCK_NAME = ".lock"


class ArchiveLock:
    """Exclusive lock on an archive directory; `wait=True` blocks until it is free."""

    def __init__(self, archive_dir: Path, *, wait: bool = False, poll: float = 0.5,
                 timeout: float | None = None) -> None:
        self.path = archive_dir / LOCK_NAME
        self.wait = wait
        self.poll = poll
        self.timeout = timeout
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return "an unknown process"
        return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}"

    def acquire(self) -> None:
        make_dirs(self.path.parent)
        fd = open_or_create(self.path)  # 0640 whatever the umask
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not self.wait or (self.timeout is not None and time.monotonic() - start > self.timeout):
                    holder = self.holder()
                    os.close(fd)
                    raise LockHeld(
                        f"another run holds the lock on {self.path.parent} ({holder}); "
                        "wait for it to finish or pass --wait"
                    ) from None
                time.sleep(self.poll)
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "since": iso_seconds()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
