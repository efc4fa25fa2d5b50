"""`Database`: one psycopg connection to a PostgreSQL index, speaking the shared SQL's placeholders.

The shared statements are written with `?` and `:name`; psycopg takes `%s` and `%(name)s`, and a
literal `%` doubled. `translate` rewrites a statement once (cached), leaving quoted strings and
identifiers as they are. The connection is in autocommit mode, as the SQLite connection behaves: a
write outside a transaction is committed at once; `BEGIN` opens one. A server that cannot be
reached, or goes away mid-run, is an `IndexError_` naming host:port/database, never the password.
A connection the server dropped is opened again by the next statement outside a transaction (a
long-lived worker outlives a server restart); a transaction it cut short stays failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import pq

from archiver.errors import ArchiverError, IndexError_, UsageError
from archiver.index.postgres.url import check, place, scrub
from archiver.index.sql.connection import Connection, Params
from archiver.wellformed import well_formed

_TOKEN_RE = re.compile(r"""('(?:[^']|'')*')|("(?:[^"]|"")*")|(\?)|(?<![:\w]):([A-Za-z_]\w*)|(%)""")
_OPEN = (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR, pq.TransactionStatus.ACTIVE)
CONNECT_TIMEOUT_S = 10
_SAFE_AGAIN = ("BEGIN", "SELECT", "WITH", "EXPLAIN")


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """The statement with psycopg's placeholders (`?` → `%s`, `:name` → `%(name)s`, `%` → `%%`)."""

    def replace(match: re.Match[str]) -> str:
        if match[1] is not None or match[2] is not None:
            return match[0].replace("%", "%%")
        if match[3] is not None:
            return "%s"
        if match[4] is not None:
            return f"%({match[4]})s"
        return "%%"

    return _TOKEN_RE.sub(replace, sql)


def _no_nul(params: Params | None) -> Params:
    """The parameters with NUL, which PostgreSQL text cannot hold, as U+FFFD, and each lone
    surrogate too (`well_formed`)."""
    if params is None:
        return []
    if isinstance(params, dict):
        return {k: well_formed(v.replace("\x00", "\ufffd")) if isinstance(v, str) else v for k, v in params.items()}
    return [well_formed(v.replace("\x00", "\ufffd")) if isinstance(v, str) else v for v in params]


def unreachable(url: str, exc: BaseException) -> ArchiverError:
    """The error for a server that refused, dropped or never answered the connection; a UsageError
    instead when the URL itself cannot name a server (a port that is not a number...)."""
    try:
        check(url)
    except UsageError as bad:
        return bad
    return IndexError_(f"cannot use the PostgreSQL index at {place(url)}: {scrub(str(exc), url)} "
                       "(check that the server runs and the --index URL)")


class Database(Connection):
    """A psycopg connection to the index's database: `execute`, `query`, `atomic`..."""

    # READ COMMITTED, PostgreSQL's default, takes a new snapshot for each statement.
    BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = self._connect()
        self._begun = False  # a BEGIN was sent and no COMMIT or ROLLBACK yet

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                   application_name="archiver")
        except psycopg.Error as exc:
            raise unreachable(self.url, exc) from None

    def close(self) -> None:
        self.conn.close()

    @property
    def in_transaction(self) -> bool:
        if self.conn.broken:
            self._begun = False  # the server ended it: nothing left to roll back
            return False
        return self.conn.info.transaction_status in _OPEN

    def _reconnect(self, sql: str) -> None:
        """A new connection when the server dropped the old one, unless a transaction was cut short."""
        starts = sql.lstrip()[:5].upper() == "BEGIN"
        if self._begun and not starts:
            raise IndexError_(f"the PostgreSQL index at {place(self.url)} closed the connection in the middle "
                              "of a transaction; it was rolled back")
        self.conn.close()
        self.conn = self._connect()
        self._begun = False

    def execute(self, sql: str, params: Params | None = None) -> psycopg.Cursor[Any]:
        if self.conn.broken:
            self._reconnect(sql)
        word = sql.lstrip()[:8].upper()
        try:
            cursor = self._run(sql, params)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # A read or a BEGIN outside a transaction may meet a connection the server dropped
            # since the last statement (a restart): it is sent once more on a new connection.
            if not (self.conn.broken and not self._begun and word.startswith(_SAFE_AGAIN)):
                raise self._named(exc) from None
            self._reconnect(sql)
            try:
                cursor = self._run(sql, params)
            except (psycopg.OperationalError, psycopg.InterfaceError) as again:
                raise self._named(again) from None
        if word.startswith("BEGIN"):
            self._begun = True
        elif word.startswith(("COMMIT", "ROLLBACK")) and not word.startswith("ROLLBACK T"):
            self._begun = False
        return cursor

    def _run(self, sql: str, params: Params | None) -> psycopg.Cursor[Any]:
        return self.conn.execute(translate(sql), _no_nul(params))  # type: ignore[arg-type]

    def _named(self, exc: BaseException) -> ArchiverError:
        if isinstance(exc, psycopg.errors.LockNotAvailable):
            return IndexError_(f"cannot write to the PostgreSQL index at {place(self.url)}: another process "
                               "held its write lock too long, try again")
        return unreachable(self.url, exc)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(translate(sql), [_no_nul(row) for row in rows])  # type: ignore[arg-type]
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise unreachable(self.url, exc) from None

    def query(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        cursor = self.execute(sql, params)
        names = [column.name for column in cursor.description or ()]
        return (dict(zip(names, row, strict=True)) for row in cursor.fetchall())

    def batches(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        # A server-side cursor lives in a transaction: a read-only one of its own, or the one open.
        try:
            with self.conn.transaction(), self.conn.cursor(name="archiver_batches") as cursor:
                cursor.execute(translate(sql))
                while batch := cursor.fetchmany(size):
                    yield batch
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise self._named(exc) from None

    def insert_id(self, sql: str, params: Params | None = None) -> int:
        row = self.execute(f"{sql.rstrip()} RETURNING id", params).fetchone()
        assert row is not None
        return int(row[0])
