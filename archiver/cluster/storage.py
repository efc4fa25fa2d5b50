"""WARC files on storage every worker mounts: each worker process writes files of its own, named
after its host and process ID, so no two writers ever share a file, and a leftover `.open` file
says who left it.

    archiver-<host>-p<pid>-<UTC timestamp>-<n>.warc.gz.open

A writer holds an flock on its `.open` file, but locks on network file systems are not to be
trusted across machines. So a worker finishing leftovers (`recover_own`) takes only the files
named after its own host whose writer process is gone; the scheduler (`recover_local_runs`) only
files no worker wrote (a run on one machine left them; it holds the run's lock, so no such run is
going on). Screenshots and media are stored by content, so two writers of one file write the same
bytes.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from pathlib import Path

from ..layout import WARC_DIR
from ..modes import make_dirs

log = logging.getLogger(__name__)

_NAME = re.compile(r"^archiver-(?P<host>[A-Za-z0-9._]+)-p(?P<pid>\d+)-\d{14}")


def host_name() -> str:
    """This machine's name, as WARC file names carry it (letters, digits and dots; anything else as `_`)."""
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"


def warc_prefix(pid: int | None = None) -> str:
    """The WARC prefix of a worker process on this host."""
    return f"archiver-{host_name()}-p{os.getpid() if pid is None else pid}"


def writer_of(name: str) -> tuple[str, int] | None:
    """(host, pid) a cluster worker's WARC file name says wrote it; None for other files."""
    m = _NAME.match(name)
    return (m["host"], int(m["pid"])) if m else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_own(archive_dir: Path) -> list[str]:
    """Finish the `.open` WARCs that dead worker processes of this host left."""
    from ..warcstore import recover

    me = host_name()

    def mine_and_dead(name: str) -> bool:
        writer = writer_of(name)
        return writer is not None and writer[0] == me and not _alive(writer[1])

    messages = recover(make_dirs(archive_dir / WARC_DIR), select=mine_and_dead)
    for msg in messages:
        log.warning("%s", msg)
    return messages


def recover_local_runs(archive_dir: Path) -> list[str]:
    """Finish the `.open` WARCs that runs on one machine left (never a cluster worker's file)."""
    from ..warcstore import recover

    messages = recover(make_dirs(archive_dir / WARC_DIR), select=lambda name: writer_of(name) is None)
    for msg in messages:
        log.warning("%s", msg)
    return messages
