"""The run lock: one writer at a time, so scheduled runs never overlap.

With the archive's own SQLite index, an advisory `flock` on `<archive>/.lock`: the kernel drops it
when the holder dies, even by SIGKILL, so a stale lock never needs cleaning up by hand. The file
names the holder for the message.

With a PostgreSQL index (`IndexLock`), runs on several machines share one index: the lock is a
session-level advisory lock in the index's database, held on a connection of its own for the whole
run. The server drops it when that connection ends, so a holder that dies frees it: at once when
its process is killed (the kernel closes the socket), and for a machine that vanished once the
server finds the connection dead (its `tcp_keepalives_idle`, or `client_connection_check_interval`,
bound how long that takes). A server that ends idle sessions (`idle_session_timeout`) would end the
lock with them: leave it off for the role that runs archiver. While the run goes on, a thread
checks the lock's connection (every `keep_every` seconds): one the server dropped (a restart) is
opened again and the lock taken again, or, should another run have taken it meanwhile, that run is
named in an error line (this run still finishes its work: captures and index writes are safe to
overlap, only wasteful).

Its key is the pair (a fixed namespace of its own, the schema the URL's connection works in), so
unrelated applications sharing the database, the index's own advisory locks (migrations, writes:
another namespace), and other archives in other schemas never collide with it. The
holder names itself in its connection's `application_name` (`archiver:PID:SINCE:HOST`), which any
session of the same role reads back from `pg_stat_activity` to name it: no table to create, and
nothing left behind by a holder that died. (Another role sees the server's session number only,
unless it is a member of `pg_read_all_stats`.)
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import socket
import threading
import time
import zlib
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .errors import IndexError_, LockHeld
from .modes import make_dirs, open_or_create
from .times import iso_seconds

if TYPE_CHECKING:
    from psycopg import Connection

LOCK_NAME = ".lock"
log = logging.getLogger(__name__)


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
            info = None
        if not isinstance(info, dict) or not info.get("pid"):
            # Held by a process that has not written who it is yet, or by another tool (flock(1)).
            return "a process that did not say which"
        return f"pid {info.get('pid')} on {info.get('host') or 'an unnamed host'} since {info.get('since') or 'an unknown time'}"

    def acquire(self) -> None:
        make_dirs(self.path.parent)
        fd = self._open()
        start = time.monotonic()
        said = False
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
                if not said:
                    said = _waiting(str(self.path.parent), self.holder())
                time.sleep(self.poll)
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "since": iso_seconds()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def _open(self) -> int:
        """The lock file's descriptor (0640 whatever the umask); a usage error, naming it, when what
        is at its path is no file the lock can be kept in (a folder, a FIFO, a dangling link)."""
        import stat

        from .errors import UsageError

        fix = "remove it (the archive keeps its lock file there), or pass another --archive-dir"
        try:
            fd = open_or_create(self.path)
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC):
                raise  # said as the archive folder's own trouble (archiver.space)
            why = e.strerror.lower() if e.strerror and e.errno != errno.ENOENT else (e.strerror or "not found")
            raise UsageError(f"cannot use {self.path} as the archive's lock file ({why}): {fix}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UsageError(f"cannot use {self.path} as the archive's lock file (it is not a regular file): {fix}")
        return fd

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


# The first key of the advisory lock: the same for every archiver, unlikely for anything else.
LOCK_NAMESPACE = zlib.crc32(b"archiver run lock") & 0x7FFFFFFF
KEEP_EVERY = 30.0  # seconds between checks that the lock's connection is still there


def _compact(stamp: str) -> str:
    return stamp.replace("-", "").replace(":", "")  # 2026-12-04T12:29:33Z -> 20261204T122933Z


def _expand(stamp: str) -> str:
    if len(stamp) == 16 and stamp[8] == "T":
        return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:]}"
    return stamp


class IndexLock:
    """One scheduler at a time per PostgreSQL index; `wait=True` polls until the lock is free.

    Connecting fails with a one-line IndexError_ naming the index's server and database, never the
    password."""

    def __init__(self, url: str, *, wait: bool = False, poll: float = 0.5, timeout: float | None = None,
                 keep_every: float = KEEP_EVERY) -> None:
        self.url = url
        self.wait = wait
        self.poll = poll
        self.timeout = timeout
        self.keep_every = keep_every
        self._conn: Connection[Any] | None = None
        self._key = 0
        self._me = ""
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    @property
    def label(self) -> str:
        from .index.postgres.url import place

        return f"PostgreSQL index at {place(self.url)}"

    def _connect(self) -> Connection[Any]:
        import psycopg

        from .index.postgres.connection import CONNECT_TIMEOUT_S, unreachable

        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                   application_name="archiver:waiting")
        except (psycopg.Error, ValueError) as e:
            raise unreachable(self.url, e) from None

    def holder(self, conn: Connection[Any] | None = None) -> str:
        """Who holds the lock, as the holder's connection names itself."""
        conn = conn or self._conn
        assert conn is not None
        row = conn.execute(
            "SELECT a.application_name, l.pid, a.client_addr FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid::bigint = %s AND l.objid::bigint = %s",
            (LOCK_NAMESPACE, self._key)).fetchone()
        if row is None:
            return "a run that just ended"
        name, backend, addr = row
        parts = (name or "").split(":", 3)
        if len(parts) == 4 and parts[0] == "archiver":
            return f"pid {parts[1]} on {parts[3]} since {_expand(parts[2])}"
        where = f" from {addr}" if addr else ""
        return f"PostgreSQL session {backend}{where}"

    def _try(self, conn: Connection[Any]) -> bool:
        got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, self._key)).fetchone()
        if got and got[0]:
            conn.execute("SELECT set_config('application_name', %s, false)", (self._me[:63],))
            return True
        return False

    def acquire(self) -> None:
        import psycopg

        conn = self._conn = self._connect()
        try:
            schema = conn.execute("SELECT current_schema()").fetchone()
            self._key = zlib.crc32(str(schema[0] if schema else "").encode()) & 0x7FFFFFFF
            start = time.monotonic()
            said = False
            while True:
                self._me = f"archiver:{os.getpid()}:{_compact(iso_seconds())}:{socket.gethostname()}"
                if self._try(conn):
                    break
                if not self.wait or (self.timeout is not None and time.monotonic() - start > self.timeout):
                    raise LockHeld(f"another run holds the lock on the {self.label} ({self.holder()}); "
                                   "wait for it to finish or pass --wait")
                if not said:
                    said = _waiting(f"the {self.label}", self.holder())
                time.sleep(self.poll)
        except psycopg.Error as e:
            from .index.postgres.url import scrub

            self.release()
            raise IndexError_(f"the {self.label} failed while taking the run lock: {scrub(str(e), self.url)}") from None
        except BaseException:
            self.release()
            raise
        self._stop.clear()
        self._keeper = threading.Thread(target=self._keep, name="archiver-run-lock", daemon=True)
        self._keeper.start()

    def _keep(self) -> None:
        """Check the lock's connection now and then (see `check`)."""
        lost = False
        while not self._stop.wait(self.keep_every):
            lost = self.check(lost)

    def check(self, lost: bool = False) -> bool:
        """Whether the lock is lost now: its connection answers, or a new one took the lock again
        (said once); `lost` says whether it was lost at the last check, so each change is said once."""
        import psycopg

        try:
            assert self._conn is not None
            self._conn.execute("SELECT 1")
            return False
        except psycopg.Error:
            pass
        try:
            conn = self._connect()
        except IndexError_:
            if not lost:
                log.warning("the run lock on the %s was lost with its connection; taking it again once the "
                            "server answers", self.label)
            return True
        try:
            if self._try(conn):
                old, self._conn = self._conn, conn
                if old is not None:
                    old.close()
                log.warning("the run lock on the %s was lost with its connection (a server restart?) and is "
                            "held again", self.label)
                return False
            if not lost:
                log.error("the run lock on the %s was lost with its connection, and another run holds it now "
                          "(%s): the two runs overlap until this one ends", self.label, self.holder(conn))
        except psycopg.Error:
            pass
        conn.close()
        return True

    def release(self) -> None:
        self._stop.set()
        if self._keeper is not None and self._keeper is not threading.current_thread():
            self._keeper.join()
            self._keeper = None
        # Unlocked first: the server ends a closed session a moment later, and a run starting at
        # once must find the lock free. Closing ends the session, and the lock with it, anyway.
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                if not conn.closed:
                    conn.execute("SELECT pg_advisory_unlock_all()")
            except Exception:  # a server already gone has dropped the lock too
                pass
            finally:
                conn.close()

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _waiting(place: str, holder: str) -> bool:
    """Say once, on stderr, that a run asked to `--wait` is waiting, and for whom (a run started by
    a timer otherwise sits silent in the journal); True, for the caller to remember it was said."""
    log.warning("waiting for the lock on %s (held by %s)", place, holder)
    return True


def run_lock(archive_dir: Path, index_url: str | None = None, *, wait: bool = False) -> ArchiveLock | IndexLock:
    """The lock a run takes: the PostgreSQL index's own when it has one, else the archive folder's."""
    from .index.postgres.url import is_postgres

    if index_url is not None and is_postgres(index_url):
        return IndexLock(index_url, wait=wait)
    return ArchiveLock(archive_dir, wait=wait)
