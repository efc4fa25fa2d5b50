"""Crash recovery: finishing the `.open` WARC files a killed writer left behind.

recover() cuts a leftover `<name>.warc.gz.open` back to its last complete gzip member (each record is
one member, written whole and fsync'ed by WarcStore) and renames it to `<name>.warc.gz`. The writer
holds an flock on its `.open` file, so recover() never touches a file still being written.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from archiver.warcstore.files import OPEN_SUFFIX, fsync_dir, try_lock
from archiver.warcstore.members import MemberError, walk_members

logger = logging.getLogger(__name__)


def complete_members(path: Path) -> int:
    """Byte length of the leading run of complete, decompressible gzip members that each hold a WARC record."""
    good = 0
    with open(path, "rb") as fh:
        try:
            for member in walk_members(fh, spool=False):
                if not member.head.startswith(b"WARC/"):
                    break
                good = member.offset + member.length
        except MemberError:
            pass  # the unfinished record: everything before it is kept
    return good


def recover(directory: Path, select: Callable[[str], bool] | None = None) -> list[str]:
    """Finish every `.open` WARC left by a killed run: cut it to its last complete record, rename it.

    Files still locked by a live writer are left alone; with `select`, so are those whose name it
    refuses (files that writers on other machines may hold). Returns one message per file handled.
    """
    messages: list[str] = []
    directory = Path(directory)
    if not directory.is_dir():
        return messages
    for temp in sorted(directory.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        if select is not None and not select(temp.name):
            continue
        final = temp.with_name(temp.name[: -len(OPEN_SUFFIX)])
        try:
            fh = open(temp, "r+b")
        except FileNotFoundError:
            continue  # another process finished it meanwhile
        with fh:
            if not try_lock(fh.fileno()):
                messages.append(f"{temp.name}: still being written by another process, left alone")
                continue
            size = os.fstat(fh.fileno()).st_size
            good = complete_members(temp)
            if good == 0:
                os.unlink(temp)
                messages.append(f"{temp.name}: no complete record, removed")
                continue
            if good < size:
                fh.truncate(good)
                messages.append(f"{final.name}: cut {size - good} bytes of an unfinished record")
            else:
                messages.append(f"{final.name}: complete, renamed")
            fh.flush()
            os.fsync(fh.fileno())
            if final.exists():
                final = final.with_name(final.name.replace(".warc.gz", "-recovered.warc.gz"))
            os.replace(temp, final)
        fsync_dir(directory)
        logger.info("recovered %s", final)
    return messages
