"""`Database`: the index's one sqlite3 connection, with the few conveniences the index uses.

It behaves as sqlite-utils' `Database` does for those calls (recursive triggers on; a write made
outside a transaction is committed at once; nested `atomic()` blocks are savepoints), without
importing sqlite-utils, which costs a short command such as `lookup` more than its query does.
The rarely needed helpers (a migration creating the full-text index, tests reading a table's
columns) still come from sqlite-utils, on the same connection, through `utils()`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.index.fold import FOLD_FUNCTION, fold_or_none
from archiver.index.sql.connection import Connection, Params
from archiver.wellformed import well_formed_values

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils.db import Table

__all__ = ["Database", "Params"]

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE")


def give_functions(conn: sqlite3.Connection) -> None:
    """The functions the schema's triggers call, on a connection that may write the index: what
    the full-text index folds its words with (a write of `posts` fails without it: "no such function")."""
    conn.create_function(FOLD_FUNCTION, 1, fold_or_none, deterministic=True)


class Database(Connection):
    """A sqlite3 connection to the index file (or to memory): `execute`, `query`, `atomic`..."""

    def __init__(self, path: Path | str | None = None, *, memory: bool = False, read_only: str | None = None) -> None:
        """`read_only`: open the file for reading only, with these URI parameters (`mode=ro`, say)."""
        self.memory = memory or path is None
        self.read_only = read_only is not None and not self.memory
        if self.read_only:
            from urllib.parse import quote

            self.conn = sqlite3.connect(f"file:{quote(str(Path(str(path)).resolve()))}?{read_only}", uri=True)
        else:
            self.conn = sqlite3.connect(":memory:" if self.memory else str(path))
        # As sqlite-utils sets it: a REPLACE's implicit delete fires the delete triggers too.
        self.conn.execute("PRAGMA recursive_triggers = on")
        give_functions(self.conn)
        self._utils: sqlite_utils.Database | None = None

    def close(self) -> None:
        self.conn.close()

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def execute(self, sql: str, params: Params | None = None) -> sqlite3.Cursor:
        """Run one statement. A write outside any transaction is committed at once; inside one it
        joins that transaction. A failed write outside a transaction leaves none open."""
        was_in_transaction = self.conn.in_transaction
        try:
            try:
                cursor = self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)
            except UnicodeEncodeError:
                # Text holding a lone surrogate (`well_formed`), refused as the statement's values
                # are bound, before anything runs: it is stored with U+FFFD in its place.
                if params is None:
                    raise
                cursor = self.conn.execute(sql, well_formed_values(params))
        except Exception:
            if not was_in_transaction and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        if (not was_in_transaction and self.conn.in_transaction and cursor.description is None
                and not sql.lstrip().upper().startswith(_TRANSACTION_CONTROL)):
            self.conn.execute("COMMIT")
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # (Each row's values as `execute` stores them: a row refused halfway would leave the rows
        # before it written, so they are made storable first.)
        self.conn.executemany(sql, [well_formed_values(row) for row in rows])

    def batches(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        cursor = self.conn.execute(sql)
        while batch := cursor.fetchmany(size):
            yield batch

    def insert_id(self, sql: str, params: Params | None = None) -> int:
        rowid = self.execute(sql, params).lastrowid
        assert rowid is not None  # an INSERT into a rowid table
        return int(rowid)

    def executescript(self, sql: str) -> None:
        """Run several statements; inside a transaction they join it (sqlite3's own executescript
        would commit it first)."""
        if not self.conn.in_transaction:
            self.conn.executescript(sql)
            return
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self.conn.execute(statement)
                statement = ""
        if statement.strip():
            self.conn.execute(statement)

    def query(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """The rows of a SELECT as dicts keyed by column name (read as they are iterated)."""
        cursor = self.conn.execute(sql, well_formed_values(params)) if params is not None else self.conn.execute(sql)
        names = [column[0] for column in cursor.description or ()]
        return (dict(zip(names, row, strict=True)) for row in cursor)

    def enable_wal(self) -> None:
        """Switch the file to write-ahead logging (kept in the file; a no-op when it already is)."""
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.conn.execute("PRAGMA journal_mode = wal")

    def table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def utils(self) -> sqlite_utils.Database:
        """sqlite-utils on this same connection, for its schema helpers (imported only when asked)."""
        if self._utils is None:
            import sqlite_utils

            self._utils = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._utils

    def __getitem__(self, table: str) -> Table:
        return self.utils().table(table)
