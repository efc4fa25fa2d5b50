"""Operating a worker: `archiver worker --check` (do the broker, the index and Chromium answer?)
and `--log-format json` (one JSON object a line, one line per task handled)."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import TYPE_CHECKING

from ..modes import make_dirs

if TYPE_CHECKING:
    from .worker import WorkerSettings


def check(settings: WorkerSettings) -> list[tuple[str, str | None]]:
    """(part, None when it answered, else what failed) for the broker, the index and Chromium."""
    out: list[tuple[str, str | None]] = []
    try:
        import redis

        client = redis.Redis.from_url(settings.broker, socket_timeout=10, socket_connect_timeout=10)
        try:
            client.ping()
        finally:
            client.close()
        out.append(("broker", None))
    except Exception as e:
        out.append(("broker", f"{type(e).__name__}: {e}"))
    try:
        from ..index import open_index

        with open_index(settings.archive_dir, url=settings.index_url) as index:
            index.unfinished_runs()
        out.append(("index", None))
    except Exception as e:
        out.append(("index", str(e) or type(e).__name__))
    try:
        from ..capture.browser import Browser

        with Browser(settings.net, workdir=make_dirs(settings.archive_dir / ".browser"), timeout=settings.timeout):
            pass
        out.append(("chromium", None))
    except Exception as e:
        out.append(("chromium", str(e) or type(e).__name__))
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, pid, message, and the fields a task's line adds."""

    FIELDS = ("task_id", "task", "outcome", "seconds", "delivery")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "pid": os.getpid(),
            "message": record.getMessage()}
        for name in self.FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["error"] = _exception_named(self, record)
        return json.dumps(line, ensure_ascii=False, default=str)


def _exception_named(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    """`Type: message` of the exception a log record carries. The exception itself: the traceback's
    last line may be anything (Celery's for a lost pool process is a closing quote)."""
    assert record.exc_info
    exc = record.exc_info[1]
    # billiard hands a pool's exception over wrapped, the traceback's text in the wrapper's message
    inner = getattr(exc, "exc", None)
    if isinstance(inner, BaseException):
        exc = inner
    message = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else ""
    shown = f"{type(exc).__name__}: {message}".removesuffix(": ") if exc is not None else ""
    return shown or formatter.formatException(record.exc_info).splitlines()[-1]


class OneLineErrors(logging.Formatter):
    """Text log lines as `inner` writes them, an exception named on its record's line (`Type:
    message`) instead of its traceback below: a worker's stderr is read line by line (journald,
    a terminal), and Celery logs a lost pool process or a task's failure with a traceback."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.stack_info:
            copy = logging.makeLogRecord(record.__dict__)
            if record.exc_info:
                copy.msg, copy.args = f"{record.getMessage()} ({_exception_named(self, record)})", None
            copy.exc_info = copy.exc_text = copy.stack_info = None
            record = copy
        return self.inner.format(record)


def use_one_line_logs() -> None:
    """Every handler of the root logger names exceptions on one line (`OneLineErrors`)."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(OneLineErrors(handler.formatter or logging.Formatter()))


def use_json_logs() -> None:
    """Every handler of the root logger writes JSON lines; each task's line (INFO) is shown."""
    logging.captureWarnings(True)  # Celery's warnings too, as lines of the log
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonFormatter())
    tasks = logging.getLogger("archiver.cluster.worker")
    if tasks.getEffectiveLevel() > logging.INFO:
        tasks.setLevel(logging.INFO)
