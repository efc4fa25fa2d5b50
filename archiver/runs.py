"""`run`: a scheduled pass over a seeds folder — new articles captured, held posts re-checked.

Safe under cron: one run at a time (the run lock: the archive folder's, or the PostgreSQL index's
when the run writes to one; exit 3 or --wait), WARC
files recovered to their last complete record before anything is written, and every capture's
index rows committed only after its WARC records are on disk, so a killed run is resumed by the
next one without duplicates.

The run itself is `archiver.pipeline.run`: two phases (articles, then the unique posts that need a
capture), in this process or, with `concurrency` > 1, over worker processes (archiver/workers.py)
that never take the lock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ClockBehind
from .index import require_noted_index, require_own_index
from .interrupt import STOP
from .limits import DEFAULT_MAX_FEED_ARTICLES, Limits, seconds
from .lock import ArchiveLock, IndexLock, run_lock
from .pipeline.summary import ArchiveSummary
from .seeds import SeedList, read_seeds
from .times import format_utc, iso_seconds, parse_timestamp

if TYPE_CHECKING:
    from .evidence.stamps import Authorities
    from .index.protocol import ArchiveIndex
    from .index.rows import RunRow
    from .net import NetOptions

log = logging.getLogger(__name__)


def run(seeds: Path, archive_dir: Path, net: NetOptions, *, recheck_after: timedelta = timedelta(days=7),
        wait: bool = False, timeout: float = 30.0, concurrency: int = 1,
        progress: Callable[[str], None] | None = None, limits: Limits | None = None,
        pages_in_flight: int | None = None, index_url: str | None = None,
        broker: str | None = None, timestamps: Authorities | None = None,
        max_feed_articles: int = DEFAULT_MAX_FEED_ARTICLES, seed_list: SeedList | None = None) -> ArchiveSummary:
    """Archive what the seeds list, then re-check held posts whose last check is older than recheck_after;
    `pages_in_flight` pages at once in this process (None: the default), or over the cluster
    behind `broker`. `index_url` names the index (None: the archive's own SQLite file; a cluster
    needs a PostgreSQL one); `timestamps` the authorities that timestamp each capture; each feed
    (a file of the seeds, or read from the web) adds at most `max_feed_articles` articles.
    `seed_list`: the seeds as the caller already read them (None: read here), read once per run."""
    if seed_list is None:
        seed_list = read_seeds(seeds, (limits or Limits()).max_bytes, max_feed_articles=max_feed_articles,
                               archive_dir=archive_dir)
    for note in seed_list.notes:
        log.warning("%s", note)
    # The operator's own URL lists are trusted as given; links read from feeds are content.
    net = net.trusting(seed_list.trusted)
    from .pipeline.run import Plan, execute, pages_in_flight_for

    pages_in_flight_for(concurrency, pages_in_flight)  # a usage error before the lock is taken
    if broker is not None:
        from .cluster import require_shared_index
        from .cluster.executor import check_broker_url

        check_broker_url(broker)
        require_shared_index(index_url)

    with locked(archive_dir, wait=wait, index_url=index_url):
        summary = execute("run", seed_list.sources, archive_dir, net,
                          plan=Plan(recheck_after=recheck_after, max_feed_articles=max_feed_articles),
                          problems=seed_list.problems, seed_articles_left_out=seed_list.left_out,
                          seed_feeds=seed_list.feeds, workers=concurrency, timeout=timeout, limits=limits,
                          progress=progress, pages_in_flight=pages_in_flight, index_url=index_url,
                          broker=broker, timestamps=timestamps)
    # Not an error (a run re-checks the held posts whatever the seeds), but seldom what was meant.
    summary.no_seeds = not seed_list.sources and not seed_list.problems
    return summary


@contextmanager
def locked(archive_dir: Path, *, wait: bool = False,
           index_url: str | None = None) -> Iterator[ArchiveLock | IndexLock]:
    """The run lock (the PostgreSQL index's when `index_url` names one, else the archive folder's);
    SIGINT/SIGTERM while waiting for it (`wait`) stop the wait at once."""
    if index_url is None:
        # A folder the cluster indexes in PostgreSQL: its lock is the index's, and its `.open` WARC
        # files may be live workers'; a run here without --index would fork the index.
        require_own_index(archive_dir)
        refuse_lost_index(archive_dir)
    else:
        require_noted_index(archive_dir, index_url)  # nor one with another index
    lock = run_lock(archive_dir, index_url, wait=wait)
    with STOP.raising():
        lock.acquire()
    try:
        if index_url is None:
            refuse_lost_index(archive_dir)  # as it stands once the lock is held (a reindex waited for)
        yield lock
    finally:
        lock.release()


def refuse_lost_index(archive_dir: Path) -> None:
    """UsageError (exit 2) when the folder holds WARC files but its archive.db is missing or empty:
    a run would start a new empty index there, capture everything again and judge every status
    against no earlier check, and the index the WARCs hold would be rebuilt only with --force."""
    from .index import index_unusable

    if index_unusable(archive_dir) is None:  # the WARC files are looked for only then: a run starts fast
        return
    from .errors import UsageError
    from .layout import WARC_DIR
    from .verify import REINDEX_HINT, index_absent

    if reason := index_absent(archive_dir):
        raise UsageError(f"{archive_dir}: {reason} beside the WARC files: {REINDEX_HINT} before archiving "
                         f"into it (should it read nothing from them, move them out of {archive_dir / WARC_DIR} "
                         "and keep them: the folder then takes a new archive)")


# How far the clock may read before the archive's latest run or check (another machine's clock, a
# step of NTP) before a run is refused.
CLOCK_SLACK = timedelta(minutes=5)


# Set (to anything but "" or "0"), a run starts whatever the archive's latest time: for an archive
# that holds a time from a clock that was ahead then, which a clock set right now reads before.
CLOCK_OVERRIDE = "ARCHIVER_CLOCK_BEHIND_OK"


def clock_not_behind(index: ArchiveIndex, *, who: str = "this run", how: str = "run") -> None:
    """Refuse a run whose clock reads before what the archive already holds (ClockBehind): its
    checks would be dated before earlier ones, and an earlier check dated later would outrank them
    (the post's status would stay what it was), its captures' WARC dates out of order. `who` does
    the work (a cluster's worker), started as `how` says when the override is set."""
    if clock_behind_ok():
        return
    latest = index.latest_moment()
    if latest is None:
        return
    clock_not_before(latest, "the archive's latest run or check", who=who, how=how)


def clock_behind_ok() -> bool:
    """The operator said the clock is right whatever the archive holds (`CLOCK_OVERRIDE`)."""
    return os.environ.get(CLOCK_OVERRIDE, "") not in ("", "0")


def clock_not_before(latest: str, what: str, *, who: str = "this run", how: str = "run") -> None:
    """ClockBehind when this machine's clock reads more than `CLOCK_SLACK` before `latest` (an ISO
    8601 time: `what` it is)."""
    held = parse_timestamp(latest)
    if held is None:
        return
    now = datetime.now(UTC)
    if held - now > CLOCK_SLACK:
        raise ClockBehind(f"this machine's clock reads {format_utc(now)}, {seconds(round((held - now).total_seconds()))} "
                          f"before {what} ({latest}): what {who} found would be dated "
                          "before what is held; set the clock right (NTP), or, if it is right and the archive holds "
                          f"a time from a clock that was ahead then, {how} with {CLOCK_OVERRIDE}=1")


def _life(row: RunRow) -> str:
    """What a run that died did, as the index tells: `; last sign of life ..., N capture(s) ...`."""
    did = row.did or {}
    if row.finished_at is None or row.finished_at == row.started_at:
        return "; it indexed nothing"
    captures = int(did.get("post_captures", 0)) + int(did.get("article_captures", 0))
    return (f"; last sign of life {row.finished_at}: {captures} capture(s), {did.get('checks', 0)} check(s) "
            "indexed")


class RunRecord:
    """The run row being written; `summary` is what `recorded_run` stores when the run ends."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.summary: ArchiveSummary | None = None


@contextmanager
def recorded_run(index: ArchiveIndex, command: str) -> Iterator[RunRecord]:
    """A row in `runs` for this run, opened after closing the rows of runs that died unfinished.

    Call it holding the archive's lock: a run still going holds the lock, so an unfinished row seen
    under it belongs to a process that was killed (kill -9, out of memory, power cut). The row is
    closed as 'done', as 'interrupted' when a signal stopped the run early, or as 'failed' when the
    run ended with an error or a full disk stopped it (its summary, what it did before, kept when
    the disk leaves room to close the row; else the next run closes it as killed).
    """
    clock_not_behind(index)
    for row in index.close_unfinished_runs("killed"):
        what = "run" if row.command in (None, "run") else f"{row.command} run"
        log.warning("%s %s (started %s%s) did not finish, and could not record why (killed, stopped by a full "
                    "disk, or its index unreachable as it ended): closed as killed", what, row.id, row.started_at,
                    _life(row))
    record = RunRecord(index.start_run(command))
    try:
        yield record
    except BaseException as e:
        summary = record.summary.to_dict() if record.summary is not None else {}
        summary["error"] = f"{type(e).__name__}: {e}"
        index.finish_run(record.run_id, summary, "failed")
        raise
    summary_obj = record.summary or ArchiveSummary()
    summary_obj.run_id = record.run_id
    if STOP.requested and not summary_obj.interrupted:
        summary_obj.interrupted = STOP.signum  # arrived during the last item: still said and closed so
    if not summary_obj.finished_at:
        summary_obj.finished_at = iso_seconds()
    kept = summary_obj.to_dict()
    if summary_obj.stopped_by is not None:  # a full disk: what was done before it, and the disk
        kept["error"] = f"DiskFull: {summary_obj.stopped_by}"
    status = "interrupted" if summary_obj.interrupted else "failed" if summary_obj.stopped_by is not None else "done"
    try:
        index.finish_run(record.run_id, kept, status)
    except Exception as e:
        from .space import as_disk_full

        if summary_obj.stopped_by is None or as_disk_full(e) is None:
            raise
        # No room left to close the row either: the next run closes it as killed, and names this
        # one's last sign of life; the summary still says what this run did.
        log.debug("run %s could not be closed: %s", record.run_id, e)
