"""The CPU time of a process tree, read from /proc, for the bench scripts (Linux; nothing elsewhere).

- `tree_cpu(root)`: CPU-seconds of a process and every process under it at this moment: each one's
  user and system time and its reaped children's (utime, stime, cutime, cstime), so a process that
  ended and was reaped still counts, through its parent. A zombie counts with its own time.
- `CpuByKind`: samples a tree from outside it (a process of its own, so the sampling's CPU is not in
  the tree) and keeps each process's own user and system time as last seen, grouped by what the
  process is: Python (archiver's watchdog included), Playwright's driver, Chromium's browser
  process, renderers, GPU, network service, the rest of Chromium, other (a shell, a process seen
  only once it had ended). What a process did after its last sample is missed, and a process that
  lived less than one interval may be missed whole (the groups sum under `tree_cpu`); a last
  sample is taken at `stop()`, so stop it while the root has exited but is not yet reaped.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

_PROC = Path("/proc")
KINDS = ("Python", "driver", "browser process", "renderers", "GPU", "network service", "other Chromium", "other")


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(parent PID, own CPU-seconds, reaped children's CPU-seconds) of `pid`; None if gone."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2:].split()
    if fields[0] == "X":
        return None  # being reaped: its time is its parent's already
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def _tree(root: int) -> dict[int, tuple[int, float, float]]:
    """`root` and every process under it, zombies included: PID -> `_stat`."""
    try:
        entries = [int(e) for e in os.listdir(_PROC) if e.isdigit()]
    except OSError:
        return {}
    table = {pid: st for pid in entries if (st := _stat(pid)) is not None}
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _own, _reaped) in table.items():
        children[parent].append(pid)
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in table and pid not in tree:
            tree[pid] = table[pid]
            todo += children.get(pid, [])
    return tree


def tree_cpu(root: int | None) -> float:
    """CPU-seconds of `root` and its descendants, reaped children included; 0.0 for no process
    (None) and where there is no /proc."""
    if root is None:
        return 0.0
    return sum(own + reaped for _parent, own, reaped in _tree(root).values())


def kind(pid: int, root: int) -> str | None:
    """What the process is, from its command line (Chromium rewrites its own into one string); None
    when it has none to read (it ended: a zombie's is empty)."""
    if pid == root:
        return "Python"
    try:
        words = (_PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split()
    except OSError:
        return None
    if not words:
        return None
    program = Path(words[0]).name
    if program.startswith("python"):
        return "Python"
    if program == "node" or "run-driver" in words:
        return "driver"
    if "chrom" not in program and "headless_shell" not in program:
        return "other"
    role = next((w.split("=", 1)[1] for w in words if w.startswith("--type=")), None)
    if role is None:
        return "browser process"
    if role == "renderer":
        return "renderers"
    if role == "gpu-process":
        return "GPU"
    if role == "utility" and any(w.startswith("--utility-sub-type=") and w.endswith("NetworkService") for w in words):
        return "network service"
    return "other Chromium"


class CpuByKind:
    """Samples the tree under `root` every `interval` seconds until `stop()`, in a process of its own
    (this module run as a script: its reading of /proc takes no turn from this process's threads,
    such as a web server the sides load pages from): each process's own CPU time as last seen,
    summed by `kind`."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        self._sampler = subprocess.Popen([sys.executable, __file__, str(root), str(interval)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def stop(self) -> dict[str, float]:
        """Takes a last sample and stops; the CPU-seconds seen per kind."""
        out, _ = self._sampler.communicate(timeout=60)  # (its input closed: its cue to stop)
        return {str(k): float(v) for k, v in json.loads(out).items()}


def _sample(root: int, interval: float) -> None:
    """The sampler's loop, until its standard input closes; prints the CPU-seconds per kind."""
    seen: dict[int, tuple[str, float]] = {}  # pid -> (kind, own CPU-seconds)
    while True:
        for pid, (_parent, own, _reaped) in _tree(root).items():
            # Asked every time: a process forked from another shows that one's command line until
            # it runs its own (Chromium's zygote children, a driver started by a shim); once it has
            # ended (a zombie's is empty), what it was last seen as.
            known = seen.get(pid)
            seen[pid] = (kind(pid, root) or (known[0] if known else "other"), own)
        if select.select([sys.stdin], [], [], interval)[0]:
            break  # end of input: stop, the sample just taken the last
    seconds: dict[str, float] = defaultdict(float)
    for what, own in seen.values():
        seconds[what] += own
    print(json.dumps(seconds))


if __name__ == "__main__":
    _sample(int(sys.argv[1]), float(sys.argv[2]))
