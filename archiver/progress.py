"""Progress for people on stderr: a bar on a terminal, plain log lines under cron or --quiet."""

from __future__ import annotations

import logging
import sys
from typing import Any


class Progress:
    """A progress bar on stderr for people (articles done out of `total`, the current step beside it);
    plain log lines under cron (no TTY) or --quiet."""

    def __init__(self, total: int | None = None, *, quiet: bool = False) -> None:
        self.live = sys.stderr.isatty() and not quiet
        self.total = total
        self._started = 0
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.live:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(SpinnerColumn(), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                      TextColumn("{task.description}"), console=Console(stderr=True), transient=True)
            self._progress.__enter__()
            self._task = self._progress.add_task("starting", total=self.total)
        return self

    def __call__(self, message: str) -> None:
        if self._progress is not None and self._task is not None:
            # The pipeline says "article ..." as it starts each source: the ones before it are done.
            if message.startswith("article "):
                self._started += 1
            self._progress.update(self._task, description=message[:80], completed=max(self._started - 1, 0))
        else:
            logging.getLogger("archiver").info("%s", message)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
