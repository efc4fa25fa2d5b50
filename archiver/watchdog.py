"""A watchdog per browser: when the archiver process dies, even by SIGKILL, its browser dies too.

How Playwright's processes hang together (its Python transport and the driver's process
launcher): `async_playwright().start()` spawns the Node.js driver (`node cli.js run-driver`) with
asyncio's subprocess, talking over its stdin/stdout. The driver spawns Chromium with `detached:
true`, which makes Chromium the leader of a new session; its zygotes, renderers, GPU and network
processes inherit that session (its crashpad handlers start sessions of their own and exit when
Chromium does). When we die, the driver sees EOF on its stdin and closes Chromium, gracefully
first (for up to 30 s); if the driver is stuck then (busy, stopped, starved of CPU), the driver,
Chromium and its helpers all live on. A test freezes the driver before a kill -9 to make sure.

Why not PR_SET_PDEATHSIG on the browser: it can only be set by the child itself, and Playwright
offers no pre-exec hook for the driver, nor the driver for Chromium. Why not kill by name: other
archivers (and other people's Chromiums) run on the same machine.

So `Watchdog` starts a small Python process (`python -m archiver.watchdog`), in a session of its
own so that a Ctrl-C or a group kill meant for us does not reach it, which:
  * records, every WATCH_INTERVAL and whenever asked, the driver's PID and all its descendants,
    each with its start time (so a PID reused later is never mistaken for ours), and the sessions
    those descendants lead (Chromium's);
  * reads a pipe whose only writer is the archiver process: EOF means the archiver exited, cleanly
    or not (the kernel closes the pipe of a killed process);
  * then SIGKILLs what it recorded that is still alive with the same start time, their current
    descendants, and every process in a recorded session, and exits.
It kills only processes that descend from the driver our own Playwright started. After a clean
close there is nothing left for it to kill. Each worker process of a parallel run has its own
Browser, hence its own watchdog; the workers themselves die with their parent (PR_SET_PDEATHSIG).

The driver also gets a session of its own (`driver_in_own_session`): in ours, a Ctrl-C at the
terminal reaches it as well as us, and it answers by closing Chromium under the capture we were
about to finish. Playwright runs the driver with the Node.js named by $PLAYWRIGHT_NODEJS_PATH when
set; for the duration of the start we point it at a two-line Python script that calls setsid() and
execs the real Node.js, so the driver keeps its PID and nothing else changes.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .modes import make_dirs
from .resource import Closing

WATCH_INTERVAL = 0.2  # seconds between two looks at the browser's processes
KILL_PATIENCE = 3.0  # seconds spent making sure what was killed is gone
_PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, int, int, str] | None:
    """(ppid, session id, start time, state) of a live process, None if gone or a zombie."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2:].split()
    state = fields[0]
    if state in ("Z", "X"):
        return None
    return int(fields[1]), int(fields[3]), int(fields[19]), state


def _table() -> dict[int, tuple[int, int, int, str]]:
    out: dict[int, tuple[int, int, int, str]] = {}
    for entry in os.scandir(_PROC):
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None:
                out[int(entry.name)] = st
    return out


def descendants(root: int, table: dict[int, tuple[int, int, int, str]] | None = None) -> set[int]:
    """PIDs of the live descendants of `root` (not `root` itself), from /proc."""
    table = _table() if table is None else table
    children: dict[int, list[int]] = {}
    for pid, (ppid, *_rest) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class _Watch:
    """Inside the watchdog process: what belongs to the driver, and killing it."""

    def __init__(self, driver: int) -> None:
        self.known: dict[int, int] = {}  # pid -> start time
        self.sessions: set[int] = set()  # sessions led by one of ours (Chromium's)
        self.driver = driver
        self.look()

    def look(self) -> None:
        table = _table()
        # Forget the dead (a long run goes through thousands of renderers), but not session leaders.
        self.known = {p: start for p, start in self.known.items()
                      if p in self.sessions or (p in table and table[p][2] == start)}
        roots = {self.driver} | {p for p, start in self.known.items() if p in table and table[p][2] == start}
        for root in list(roots):
            if root not in table:
                continue
            for pid in {root} | descendants(root, table):
                _ppid, sid, start, _state = table[pid]
                self.known.setdefault(pid, start)
                if sid == pid:
                    self.sessions.add(pid)

    def targets(self) -> set[int]:
        table = _table()
        ours = {p for p, start in self.known.items() if p in table and table[p][2] == start}
        for pid in list(ours):
            ours |= descendants(pid, table)
        # A session whose leader's PID now belongs to a process started later is someone else's.
        sessions = {s for s in self.sessions if s not in table or table[s][2] == self.known.get(s)}
        ours |= {p for p, (_pp, sid, _st, _s) in table.items() if sid in sessions}
        ours.discard(os.getpid())
        return ours

    def kill_all(self) -> None:
        deadline = time.monotonic() + KILL_PATIENCE
        while True:
            targets = self.targets()
            if not targets or time.monotonic() > deadline:
                return
            for pid in targets:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)


def _serve(driver: int) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)  # only EOF on stdin ends it
    watch = _Watch(driver)
    fd = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], WATCH_INTERVAL)
        if ready:
            data = os.read(fd, 4096)
            if not data:
                break  # the archiver process is gone, or done with its browser
        watch.look()  # a line on the pipe asks for a look now (after a launch)
    watch.kill_all()


class Watchdog(Closing):
    """Starts the watchdog for the Playwright driver with PID `driver`; `close()` ends it."""

    def __init__(self, driver: int) -> None:
        self.driver = driver
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "archiver.watchdog", str(driver)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
            cwd=str(Path(__file__).resolve().parents[1]))

    @property
    def pid(self) -> int:
        return self._proc.pid

    def look(self) -> None:
        """Ask for a look at the driver's processes now (say, right after a browser launch)."""
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(b"look\n")
            self._proc.stdin.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        """End the watchdog: it kills what is left of the driver's processes, then exits."""
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(KILL_PATIENCE + 5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


_NODE_ENV = "PLAYWRIGHT_NODEJS_PATH"


@contextmanager
def driver_in_own_session(workdir: Path) -> Iterator[None]:
    """Within this block, a Playwright driver started leads a session of its own (see above).

    Left as it is where that cannot work: off Linux, without Playwright's bundled Node.js, or when
    `workdir` sits on a file system mounted noexec (the script must be executed).
    """
    node = os.environ.get(_NODE_ENV) or _bundled_node()
    if node is None or not _PROC.is_dir() or " " in sys.executable:  # a #! line cannot hold a space
        yield
        return
    try:
        make_dirs(workdir)
        if os.statvfs(workdir).f_flag & os.ST_NOEXEC:
            raise OSError("noexec")
        script = workdir / "node-own-session"
        text = (f"#!{sys.executable}\nimport os, sys\nos.setsid()\n"
                f"os.execv({node!r}, [{node!r}, *sys.argv[1:]])\n")
        if not script.is_file() or script.read_text() != text:
            tmp = workdir / f".node-own-session.{os.getpid()}"
            tmp.write_text(text)
            tmp.chmod(0o750)
            os.replace(tmp, script)  # workers of a parallel run may write it at the same moment
    except OSError:
        yield
        return
    saved = os.environ.get(_NODE_ENV)
    os.environ[_NODE_ENV] = str(script)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(_NODE_ENV, None)
        else:
            os.environ[_NODE_ENV] = saved


def _bundled_node() -> str | None:
    try:
        from playwright._impl._driver import compute_driver_executable
    except ImportError:
        return None
    try:
        found = compute_driver_executable()
    except Exception:
        return None
    node = found[0] if isinstance(found, tuple) else None  # (node, cli.js) since Playwright 1.39
    return str(node) if node is not None and os.path.isfile(node) else None


def driver_pid(before: set[int]) -> int | None:
    """The Playwright driver among our children that were not there `before` it started."""
    me = os.getpid()
    table = _table()
    for pid in sorted(p for p, st in table.items() if st[0] == me and p not in before):
        try:
            cmdline = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"run-driver" in cmdline:
            return pid
    return None


def children(of: int | None = None) -> set[int]:
    """PIDs of the live children of the process `of` (this process when None)."""
    parent = os.getpid() if of is None else of
    return {p for p, st in _table().items() if st[0] == parent}


def guard(before: set[int]) -> Watchdog | None:
    """A watchdog for the driver started since `before = children()`; None off Linux or if not found."""
    if not _PROC.is_dir():
        return None
    pid = driver_pid(before)
    return Watchdog(pid) if pid is not None else None


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
