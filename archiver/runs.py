"""`run`: a scheduled pass over a seeds folder — new articles captured, held posts re-checked.

Safe under cron (issue 4, point 2): one run at a time (the archive lock, exit 3 or --wait), WARC
files recovered to their last complete record before anything is written, and every capture's
index rows committed only after its WARC records are on disk, so a killed run is resumed by the
next one without duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .archive import Archiver, ArchiveSummary, Session
from .lock import ArchiveLock
from .seeds import read_seeds

if TYPE_CHECKING:
    from .net import NetOptions

log = logging.getLogger(__name__)


def run(seeds: Path, archive_dir: Path, net: NetOptions, *, recheck_after: timedelta = timedelta(days=7),
        wait: bool = False, timeout: float = 30.0,
        progress: Callable[[str], None] | None = None) -> ArchiveSummary:
    """Archive what the seeds list, then re-check held posts whose last check is older than recheck_after."""
    seed_list = read_seeds(seeds)
    with ArchiveLock(archive_dir, wait=wait), Session(archive_dir, net, timeout=timeout) as session:
        run_id = session.index.start_run()
        archiver = Archiver(session, progress=progress)
        for problem in seed_list.problems:
            archiver.summary.failures.append(problem)
        summary = archiver.archive_specs(seed_list.sources)
        due = [k for k in session.index.posts_due_for_recheck(recheck_after)
               if k not in {p.key for p in summary.posts}]
        if due:
            log.info("re-checking %d post(s) last checked before %s ago", len(due), recheck_after)
        before = {k: session.index.post_status(k) for k in due}
        archiver.recheck(due)
        summary.rechecked = len(due)
        summary.changed = sum(
            1 for p in summary.posts if p.key in before and before[p.key] != p.status)
        session.index.finish_run(run_id, summary.to_dict())
    return summary
