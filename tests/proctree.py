"""Process trees from /proc, for checking that nothing an `archiver` process started outlives it."""

from __future__ import annotations

import time
from pathlib import Path

from archiver.watchdog import descendants


def _start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot), None if it is gone or a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
    except OSError:
        return "?"


def snapshot(root: int) -> dict[int, tuple[int, str]]:
    """Every live descendant of `root`: pid -> (start time, command line)."""
    out: dict[int, tuple[int, str]] = {}
    for pid in descendants(root):
        start = _start_time(pid)
        if start is not None:
            out[pid] = (start, _name(pid))
    return out


def survivors(tree: dict[int, tuple[int, str]], wait: float = 10.0) -> dict[int, str]:
    """The processes of `tree` still alive (same PID and start time) after up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        alive = {pid: name for pid, (start, name) in tree.items() if _start_time(pid) == start}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)
