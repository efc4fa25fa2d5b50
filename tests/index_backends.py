"""The index test-suite runs on both backends: `open_test_index` gives an index of either kind.

PostgreSQL comes from the session's throwaway server (tests/services.py): a fresh database each time,
made from a template that is already migrated, so that a PostgreSQL index costs a test milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.index import open_index
from archiver.index.protocol import Index

BACKENDS = ("sqlite", "postgresql")
_TEMPLATE = "archiver_migrated"


def postgres_database(request: pytest.FixtureRequest, *, migrated: bool = True) -> str:
    """A fresh database's URL on the session's PostgreSQL (migrated to the current schema, or empty)."""
    server = request.getfixturevalue("postgres_server")
    if server.proc is None:
        server.start()  # a test that stopped it left it so
    if not migrated:
        return str(server.database())
    import psycopg

    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_TEMPLATE]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{_TEMPLATE}"')
            template_url = server.admin_url.rsplit("/", 1)[0] + f"/{_TEMPLATE}"
            open_index(Path("."), url=template_url).close()
        url = str(server.database())
        name = url.rsplit("/", 1)[1]
        conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_TEMPLATE}"')
    return url


def open_test_index(request: pytest.FixtureRequest, backend: str, folder: Path) -> Index:
    """An empty, migrated index of the given backend for the archive folder `folder`."""
    if backend == "sqlite":
        return open_index(folder)
    return open_index(folder, url=postgres_database(request))
