"""What the shared SQL asks of a backend's connection, and the savepoint logic every backend shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import count
from typing import Any

Params = Sequence[Any] | dict[str, Any]
_savepoints = count(1)


class Connection(ABC):
    """One database connection: statements with `?` / `:name` placeholders, rows as dicts.

    A write outside any transaction is committed at once; inside one it joins that transaction."""

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """True while a transaction is open on the connection."""

    @abstractmethod
    def execute(self, sql: str, params: Params | None = None) -> Any:
        """Run one statement; the cursor (`fetchone`, `fetchall`)."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once for each row of parameters."""

    @abstractmethod
    def query(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """The rows of a SELECT as dicts keyed by column name."""

    @abstractmethod
    def batches(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a SELECT in lists of at most `size`, read from the database as they are consumed
        (a whole table need not fit in memory)."""

    @abstractmethod
    def insert_id(self, sql: str, params: Params | None = None) -> int:
        """Run an INSERT into a table with an `id` column; the id of the new row."""

    @abstractmethod
    def close(self) -> None: ...

    # What opens a read transaction: every read in it sees the database as it was at its first read,
    # whatever other connections commit meanwhile, and it takes no write lock.
    BEGIN_READ = "BEGIN"

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One snapshot for several reads: a read-only transaction (joined when one is already open,
        whose reads are already one view). Reads that check one another (a post's captures against
        the capture its records name) must not see a write committed between them."""
        if self.in_transaction:
            yield
            return
        self.execute(self.BEGIN_READ)
        try:
            yield
        finally:
            try:
                if self.in_transaction:
                    self.execute("ROLLBACK")
            except Exception:  # closed under it (a signal ending the command): nothing to end
                pass

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction, or a savepoint of the one already open."""
        if self.in_transaction:
            name = f"archiver_{next(_savepoints)}"
            self.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                if self.in_transaction:  # an error may have ended the whole transaction already
                    self.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self.execute(f"RELEASE SAVEPOINT {name}")
            return
        self.execute("BEGIN")
        try:
            yield
        except BaseException:
            if self.in_transaction:
                self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")
