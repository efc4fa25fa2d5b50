"""Progress for people on stderr: a bar on a terminal, plain log lines under cron or --quiet."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# What the run says when a feed's articles join it: more steps to come.
_FEED = re.compile(r"feed .*: \+(\d+) article\(s\)$", re.DOTALL)


# What a step's handler says when the step ends: the step's own message after it.
DONE = "done: "


@contextmanager
def step(progress: Callable[[str], None], message: str) -> Iterator[None]:
    """Say `message` as a step starts and that it is done when it ends, however it ends."""
    progress(message)
    try:
        yield
    finally:
        progress(f"{DONE}{message}")


def feed_message(spec: str, added: int) -> str:
    """The progress message for the articles a feed adds to the run."""
    return f"feed {spec}: +{added} article(s)"


def _shown(message: str) -> str:
    """A step as the bar shows it: a page's address or title is text, never markup (`[link=...]`
    in a feed's article URL) nor terminal control, and its secrets are not shown."""
    from .output import one_line
    from .redact import redact_text

    return one_line(redact_text(message))[:80]


class _AboveTheBar(logging.Handler):
    """Stands in for a handler writing to stderr while the bar is drawn there: each line goes
    through the bar's console, which prints it above the bar and draws the bar again under it.
    (Written to stderr directly, a warning joined the bar's own line: `⠸ ━━━━ 0/2 0:00:03 post
    twitter:...archiver: https://...`.) The line is the one the replaced handler writes: its
    level, filters (a password scrubbed) and formatter are asked each time."""

    def __init__(self, replaced: logging.Handler, console: Any) -> None:
        super().__init__(replaced.level)
        self.replaced, self.console = replaced, console

    def filter(self, record: logging.LogRecord) -> Any:
        return self.replaced.filter(record) and super().filter(record)

    def format(self, record: logging.LogRecord) -> str:
        return self.replaced.format(record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            # As text: no markup, emoji codes or highlighting read into it; and not re-wrapped.
            self.console.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)
        except Exception:
            self.handleError(record)


def _writes_to_stderr(handler: logging.Handler) -> bool:
    return type(handler) is logging.StreamHandler and getattr(handler, "stream", None) is sys.stderr


class Progress:
    """A progress bar on stderr for people, the current step beside it; plain log lines under cron
    (no TTY) or --quiet.

    The bar counts sources and posts alike: the `total` sources given to begin with (each one read
    is a step, whether it is an article, a feed, a post's own address or cannot be read), the
    articles each feed adds ("feed ...: +N article(s)", said as the feed is read), and each post as
    its capture starts (a post is known only once its article is read). The pipeline says
    "article ..." (or "post address ...") as it starts each source and "post ..." as it starts each
    post, so every step but the one in hand counts as done.
    """

    def __init__(self, total: int | None = None, *, quiet: bool = False) -> None:
        self.live = sys.stderr.isatty() and not quiet
        self.articles = total
        self.articles_started = 0
        self.posts_started = 0
        self.done = 0
        self._in_hand: dict[str, int] = {}  # steps started and not ended (how many of each), oldest first
        self._progress: Any = None
        self._task: Any = None
        self._replaced: list[tuple[int, logging.Handler, logging.Handler]] = []

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

            console = Console(stderr=True)
            self._progress = Progress(SpinnerColumn(), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                      TextColumn("{task.description}", markup=False), console=console, transient=True)
            self._route_logs(console)
            self._progress.__enter__()
            self._task = self._progress.add_task("starting", total=self.total)
        return self

    @property
    def total(self) -> int | None:
        """Steps known so far: the articles given, and the posts started (None: articles unknown)."""
        return None if self.articles is None else max(self.articles, self.articles_started) + self.posts_started

    @property
    def completed(self) -> int:
        """Steps ended."""
        return self.done

    def __call__(self, message: str) -> None:
        if message.startswith(DONE):
            # A step ended: the bar names the oldest still in hand, not the last one started
            # (which may have ended long since: an unreadable file fails at once).
            step = message[len(DONE):]
            if self._in_hand.get(step, 0) > 1:
                self._in_hand[step] -= 1
            else:
                self._in_hand.pop(step, None)
            self.done += 1
            if self._progress is not None and self._task is not None:
                shown = next(iter(self._in_hand), None)
                if shown is not None:
                    self._progress.update(self._task, description=_shown(shown), completed=self.completed)
                else:
                    self._progress.update(self._task, completed=self.completed)
            return
        if message.startswith(("article ", "post address ", "post ")):
            self._in_hand[message] = self._in_hand.get(message, 0) + 1
        if message.startswith(("article ", "post address ")):
            self.articles_started += 1
        elif message.startswith("post "):
            self.posts_started += 1
        elif (more := _FEED.match(message)) and self.articles is not None:
            self.articles += int(more.group(1))
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=_shown(message), total=self.total,
                                  completed=self.completed)
        else:
            logging.getLogger("archiver").info("%s", message)

    def _route_logs(self, console: Any) -> None:
        """While the bar is shown, log lines to stderr go through its console (`_AboveTheBar`)."""
        handlers = logging.getLogger().handlers
        for n, handler in enumerate(handlers):
            if _writes_to_stderr(handler):
                above = _AboveTheBar(handler, console)
                handlers[n] = above
                self._replaced.append((n, handler, above))

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
        handlers = logging.getLogger().handlers
        for n, handler, above in reversed(self._replaced):
            if n < len(handlers) and handlers[n] is above:
                handlers[n] = handler
        self._replaced = []
