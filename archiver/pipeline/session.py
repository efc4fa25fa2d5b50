"""The resources one process captures with: index, WARC store, HTTP client, one browser."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..layout import WARC_DIR
from ..limits import Limits
from ..modes import make_dirs
from .postcapture import PostCapturer

if TYPE_CHECKING:
    from ..capture.http import RecordingClient
    from ..evidence.stamps import Authorities, Stamper
    from ..index.protocol import Index
    from ..net import NetOptions
    from ..warcstore import RecordInfo

log = logging.getLogger(__name__)


def recover_warcs(archive_dir: Path) -> None:
    """Finish every `.open` WARC of the archive's runs at its last complete record; never a cluster
    worker's (`cluster.storage`), whose host finishes it: the run lock does not keep workers out of a
    folder a PostgreSQL index shares, and another machine's live worker may be writing it.

    Called holding the archive's lock, when no process of this run writes: before a run (a run that
    was killed left its file open) and after a pool of workers has stopped (one that died did).
    """
    from ..cluster.storage import recover_local_runs

    recover_local_runs(archive_dir)


def stored_original(index: Index, digest: str, warcs: Path) -> RecordInfo | None:
    """The stored `200` response whose payload has this digest, to be the original of a revisit
    (identical-payload-digest), or None when the index holds none or its WARC file is not in
    `warcs` (a revisit of a record no one can read would not replay)."""
    from ..warcstore import RecordInfo
    from ..warcstore.files import warc_path

    row = index.find_record_by_digest(digest)
    if row is None or row.warc_type != "response" or row.status != 200:
        return None
    if not warc_path(warcs, row.filename).exists():
        return None
    return RecordInfo(record_id=row.record_id, warc_type=row.warc_type, target_uri=row.target_uri,
                      date=row.date, filename=row.filename, offset=row.offset, length=row.length,
                      status=row.status, mime=row.mime, payload_digest=row.payload_digest)


def fold_id_case(index: Index) -> None:
    """Fold the keys an earlier archiver wrote with IDs in the case the page used into the lower-case
    keys of the platforms that read IDs whatever their case (see `Platform.case_free_ids`), so a post
    held under `telegram:Durov/1` and now found as `telegram:durov/1` stays one post. Called once the
    journal is written, so that reindex and verify replay the folds; a no-op once done."""
    from ..platforms import REGISTRY

    for old_key, new_key in index.fold_id_case([p.name for p in REGISTRY if p.case_free_ids]):
        log.info("post %s is now %s (its platform reads IDs in any case)", old_key, new_key)


class Session:
    """Opens (and always closes) the index, WARC store, HTTP client and one browser.

    The browser starts on the first capture (a run with every page held starts none); from then
    on the WARC files name its version and user agent in their warcinfo (a file begun before is
    finished then: see `WarcStore.describe`). With `pages_in_flight` > 1 captures run in several
    threads at once: the index is then a `SharedIndex`, which serialises its calls and keeps each
    capture's transaction whole.

    It never repairs WARC files (`recover_warcs` does, before the run): in a run over worker
    processes another worker's `.open` file is alive, not a leftover. Each process of a run passes
    its own `warc_prefix`, so that no two ever pick the same WARC file name.
    """

    def __init__(self, archive_dir: Path, net: NetOptions, *, timeout: float = 30.0,
                 warc_prefix: str = "archiver", limits: Limits | None = None, pages_in_flight: int = 1,
                 lazy_browser: bool = True, index_url: str | None = None,
                 host_gate: Callable[[str], AbstractContextManager[object]] | None = None,
                 timestamps: Authorities | None = None) -> None:
        self.archive_dir = archive_dir
        self.index_url = index_url  # None: the archive's own SQLite index
        self.net = net
        self.timeout = timeout
        self.limits = limits or Limits()
        self.warc_prefix = warc_prefix
        self.pages_in_flight = pages_in_flight
        self.lazy_browser = lazy_browser
        self.host_gate = host_gate  # None: one request per host in flight in this process
        self.timestamps = timestamps  # the authorities that timestamp each capture (None: none)
        # A capture found the network unreachable: later ones go offline, in every page in flight.
        self.network_unreachable = False
        self._stack = ExitStack()
        self._turns: dict[str, threading.Event] = {}  # articles being read and captured, by source_key
        self._turns_lock = threading.Lock()

    @contextmanager
    def article_turn(self, url: str) -> Iterator[None]:
        """The turn of the article at `url` in this session: a page in flight that reaches an
        article another one is deciding on or capturing waits until that one is done, then finds
        it held (an article given in one run by its address and by a short link to it is captured
        once). Not across processes: workers of a run may still both capture it."""
        from ..sources import source_key

        key = source_key(url)
        while True:
            with self._turns_lock:
                busy = self._turns.get(key)
                if busy is None:
                    mine = self._turns[key] = threading.Event()
                    break
            busy.wait()  # the other page's capture ends (or fails) and sets it
        try:
            yield
        finally:
            with self._turns_lock:
                del self._turns[key]
            mine.set()

    def __enter__(self) -> Session:
        from ..capture.browser import Browser
        from ..capture.http import RecordingClient
        from ..index import open_index
        from ..warcstore import WarcStore

        warcs = make_dirs(self.archive_dir / WARC_DIR)
        try:
            if self.index_url is not None:
                from ..index import note_index

                note_index(self.archive_dir, self.index_url)  # a run without --index here is told of it
            from .sharedindex import SharedIndex

            # Shared even with one page in flight: the WARC writer asks the index for stored
            # payloads (revisits) from the browser's thread, whatever the number of pages.
            shared = self._stack.enter_context(SharedIndex(lambda: open_index(self.archive_dir, url=self.index_url)))
            self.index: Index = cast("Index", shared)  # answers every call of the index it wraps
            self.store = self._stack.enter_context(WarcStore(warcs, prefix=self.warc_prefix))

            def launched(browser: Browser) -> None:
                self.store.describe({"browser-version": browser.browser_version or "",
                                     "http-header-user-agent": browser.user_agent or ""})

            self.browser = self._stack.enter_context(
                Browser(self.net, workdir=self.archive_dir / ".browser", timeout=self.timeout,
                        capture_deadline=self.limits.capture_deadline, max_body=self.limits.max_bytes,
                        max_capture_bytes=self.limits.max_capture_bytes, lazy=self.lazy_browser,
                        on_launch=launched, pages_in_flight=self.pages_in_flight))
            # Every index write is also kept in the WARCs, so that `archiver reindex` can rebuild it.
            self.index.journal.writer = self.store.write_metadata_batch
            fold_id_case(self.index)
            # A payload an earlier run stored (an article's page unchanged since, widgets.js) is
            # written as a revisit of that record, not as a copy of it.
            self.store.find_original = lambda digest: stored_original(self.index, digest, warcs)
            self.client: RecordingClient = self._stack.enter_context(
                RecordingClient(self.net, timeout=self.timeout, max_body=self.limits.max_bytes,
                                deadline=self.limits.fetch_deadline, gate=self.host_gate))
        except BaseException:
            self._stack.close()
            raise
        self.stamper: Stamper | None = None
        if self.timestamps:
            from ..evidence.stamps import Stamper

            self.stamper = Stamper(self.timestamps)
        self.posts = PostCapturer(self.archive_dir, self.index, self.store, self.client, self.browser,
                                  stamper=self.stamper)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
