"""A detached run's record in Redis is named by the index it runs on: two indexes in two schemas of one
PostgreSQL database (two desks sharing a server) number their runs from 1 each, and their records must
not meet, or one desk's workers answer into the other's run and its posts are never sent."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from archiver.cluster.detached import former_scope, run_key, scope_of

pytestmark = pytest.mark.cluster


def test_two_schemas_of_one_database_are_two_scopes(postgres_url: str, tmp_path: Path) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA desk2")
    desk1, desk2 = postgres_url, f"{postgres_url}?options=-csearch_path%3Ddesk2"
    one, two = scope_of(tmp_path / "a", desk1), scope_of(tmp_path / "b", desk2)
    assert one != two and run_key(one, 1) != run_key(two, 1)
    assert one.endswith("/public") and two.endswith("/desk2"), (one, two)
    # The same index however its URL is spelt: the scheme's other name, the folder it is given with.
    assert scope_of(tmp_path / "c", desk1.replace("postgresql://", "postgres://", 1)) == one
    # What an earlier archiver named both by (a run it sent is still looked for there).
    assert former_scope(desk1) == former_scope(desk2)
