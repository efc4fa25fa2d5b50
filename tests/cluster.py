"""Helpers for the cluster tests: `archiver worker` processes against a test Redis, a test PostgreSQL
index and the fake web, and `archiver run --broker … --index …` as the scheduler.

Workers run as subprocesses in sessions of their own; `Workers.stop()` sends SIGTERM to each main
process (a warm shutdown), then SIGKILL to any process of their trees still alive, by PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archiver.watchdog import descendants
from tests.e2e import ROOT
from tests.proctree import snapshot, survivors


def worker_argv(web: Any, broker: str, archive: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "archiver.cli", "-v", "worker", "--broker", broker, "--archive-dir", str(archive),
            "--concurrency", "1", "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem), *extra]


def run_argv(web: Any, broker: str, index: str, seeds: Path, archive: Path, *extra: str) -> list[str]:
    """`archiver run --broker … --index …`: the cluster's scheduler, from the command line."""
    return [sys.executable, "-m", "archiver.cli", "run", "--broker", broker, "--index", index, "--seeds", str(seeds),
            "--format", "json", "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem),
            "--archive-dir", str(archive), *extra]


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120.0) -> Any:
    """`check()`'s first true answer, asked every 0.1 s; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Workers:
    """`n` worker processes; `logs` holds each one's stderr file."""

    def __init__(self, web: Any, broker: str, archive: Path, n: int = 2, *extra: str,
                 env: dict[str, str] | None = None, index: str | None = None) -> None:
        if index is not None:
            extra = ("--index", index, *extra)
        self.procs: list[subprocess.Popen[bytes]] = []
        self._trees: dict[int, tuple[int, str]] = {}  # every process seen under a worker
        self.logs: list[Path] = []
        archive.mkdir(parents=True, exist_ok=True)
        self.stdouts: list[Path] = []  # a worker writes no data: each stays empty
        for i in range(n):
            log = archive.parent / f"worker{i}-{time.monotonic_ns()}.log"
            self.logs.append(log)
            self.stdouts.append(log.with_suffix(".stdout"))
            with open(log, "wb") as fh, open(self.stdouts[-1], "wb") as out:
                self.procs.append(subprocess.Popen(
                    worker_argv(web, broker, archive, *extra), cwd=ROOT, stdout=out, stderr=fh,
                    env={**os.environ, **(env or {})}, start_new_session=True))

    def pool_children(self, i: int) -> list[int]:
        """The pool processes of worker `i` (Python children; Chromium runs under them)."""
        main = self.procs[i].pid
        out = []
        for pid in sorted(descendants(main)):
            try:
                ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == main:
                out.append(pid)
        return out

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until every worker takes tasks and its pool process has opened its session."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = [log.read_text(errors="replace") if log.exists() else "" for log in self.logs]
            if all("taking tasks" in t and "worker process" in t and "ready" in t for t in texts):
                return
            if any(p.poll() is not None for p in self.procs):
                raise AssertionError(f"a worker exited: {self.output()}")
            time.sleep(0.2)
        raise AssertionError(f"worker pools did not start: {self.output()}")

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in self.logs
                         if log.exists())

    def kill(self, i: int) -> None:
        """SIGKILL worker `i`'s main process (its pool and browsers are left to `stop`)."""
        self._trees.update(snapshot(self.procs[i].pid))
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait(30)

    def kill_tree(self, i: int) -> None:
        """SIGKILL worker `i` and every process under it (a machine lost), by PID."""
        tree = snapshot(self.procs[i].pid)
        self._trees.update(tree)
        self.procs[i].send_signal(signal.SIGKILL)
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.procs[i].wait(30)

    def stop(self) -> None:
        for p in self.procs:
            self._trees.update(snapshot(p.pid))
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 60
        for p in self.procs:
            try:
                p.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        for pid in survivors(self._trees, wait=5.0):  # orphans of a killed main process: same PID, same start
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
