"""One index shared by the captures a process keeps in flight at once, each in its own thread.

A sqlite3 connection belongs to the thread that opened it, and a transaction is a state of the
connection, not of the caller: two captures writing through one connection at once would commit
each other's half-done rows. `SharedIndex` opens the index on a thread of its own and runs every
call there, one at a time; a caller inside `transaction()` holds the index for the whole of it, so
the rows of one capture are committed together and nothing of another capture lands in between.
There is one writer, as before, and one commit per capture.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from ..resource import Closing

if TYPE_CHECKING:
    from ..index.protocol import Index

T = TypeVar("T")


class SharedIndex(Closing):
    """Every call of the wrapped index, from any thread, run on the index's own thread."""

    def __init__(self, opener: Callable[[], Index]) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="archiver-index")
        self._lock = threading.RLock()
        try:
            self._index: Index = self._run(lambda: opener().__enter__())
        except BaseException:
            self._thread.shutdown()
            raise

    def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return self._thread.submit(fn, *args, **kwargs).result()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._index, name)
        if not callable(attr):
            return attr  # `journal`, `archive_dir`: plain objects, used as they are

        def call(*args: Any, **kwargs: Any) -> Any:
            result = self._run(attr, *args, **kwargs)
            if isinstance(result, Iterator):
                raise TypeError(f"{name}() answers lazily; it cannot be shared between threads")
            return result

        return call

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The index's transaction, held by the calling thread until it ends."""
        with self._lock:
            inner: AbstractContextManager[None] = self._run(self._index.transaction)
            self._run(inner.__enter__)
            try:
                yield
            except BaseException as e:
                if not self._run(inner.__exit__, type(e), e, e.__traceback__):
                    raise
            else:
                self._run(inner.__exit__, None, None, None)

    def close(self) -> None:
        try:
            self._run(self._index.__exit__, None, None, None)
        finally:
            self._thread.shutdown()
