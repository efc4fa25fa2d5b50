"""Which index a PostgreSQL connection reaches, as the server says it, whatever the URL's spelling
(a host name on one machine, an address on another, a port written or left out).

The index is the pair (database, schema) on one server. The server is named by its system
identifier (`pg_control_system()`, the same for as long as the cluster's data lives, and given to
every role); a server that does not tell it (a hosted one that restricts the function) is named by
the URL's host and port instead, so that every machine must then spell them alike.
"""

from __future__ import annotations

from typing import Any

import psycopg

from archiver.index.postgres.url import place


def identity(db: Any) -> str:
    """`pg:<server>/<database>/<schema>` of the index `db` (a `Database`) is connected to."""
    try:
        row = db.execute("SELECT system_identifier::text FROM pg_control_system()").fetchone()
        server = f"system {row[0]}" if row and row[0] else None
    except psycopg.Error:  # (autocommit: a refused statement leaves the connection usable)
        server = None
    if server is None:
        server = place(db.url).rsplit("/", 1)[0]
    row = db.execute("SELECT current_database(), current_schema()").fetchone()
    database, schema = (row[0], row[1]) if row else ("", "")
    return f"pg:{server}/{database}/{schema or ''}"
