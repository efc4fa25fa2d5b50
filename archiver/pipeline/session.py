"""The resources one process captures with: index, WARC store, HTTP client, one browser."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from ..layout import WARC_DIR
from ..limits import Limits
from ..modes import make_dirs
from .postcapture import PostCapturer

if TYPE_CHECKING:
    from ..capture.http import RecordingClient
    from ..net import NetOptions

log = logging.getLogger(__name__)


def recover_warcs(archive_dir: Path) -> None:
    """Finish every `.open` WARC of the archive at its last complete record.

    Called holding the archive's lock, when no process of this run writes: before a run (a run that
    was killed left its file open) and after a pool of workers has stopped (one that died did).
    """
    from ..warcstore import recover

    for msg in recover(make_dirs(archive_dir / WARC_DIR)):
        log.warning("%s", msg)


class Session:
    """Opens (and always closes) the index, WARC store, HTTP client and one browser.

    It never repairs WARC files (`recover_warcs` does, before the run): in a run over worker
    processes another worker's `.open` file is alive, not a leftover. Each process of a run passes
    its own `warc_prefix`, so that no two ever pick the same WARC file name.
    """

    def __init__(self, archive_dir: Path, net: NetOptions, *, timeout: float = 30.0,
                 warc_prefix: str = "archiver", limits: Limits | None = None) -> None:
        self.archive_dir = archive_dir
        self.net = net
        self.timeout = timeout
        self.limits = limits or Limits()
        self.warc_prefix = warc_prefix
        self._stack = ExitStack()

    def __enter__(self) -> Session:
        from ..capture.browser import Browser
        from ..capture.http import RecordingClient
        from ..index import open_index
        from ..warcstore import WarcStore

        warcs = make_dirs(self.archive_dir / WARC_DIR)
        try:
            self.index = self._stack.enter_context(open_index(self.archive_dir))
            self.browser = self._stack.enter_context(
                Browser(self.net, workdir=self.archive_dir / ".browser", timeout=self.timeout,
                        capture_deadline=self.limits.capture_deadline, max_body=self.limits.max_bytes,
                        max_capture_bytes=self.limits.max_capture_bytes))
            self.store = self._stack.enter_context(WarcStore(warcs, prefix=self.warc_prefix, info={
                "browser-version": self.browser.browser_version or "", "http-header-user-agent": self.browser.user_agent or ""}))
            # Every index write is also kept in the WARCs, so that `archiver reindex` can rebuild it.
            self.index.journal.writer = self.store.write_metadata_batch
            self.client: RecordingClient = self._stack.enter_context(
                RecordingClient(self.net, timeout=self.timeout, max_body=self.limits.max_bytes,
                                deadline=self.limits.fetch_deadline))
        except BaseException:
            self._stack.close()
            raise
        self.posts = PostCapturer(self.archive_dir, self.index, self.store, self.client, self.browser)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
