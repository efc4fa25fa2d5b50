"""A handle filter matches former handles by the very rule it matches current ones: the handle as
given on any platform, and a handle given whole on a server whose platform keeps its handles bare
(`name@truthsocial.com`) as the bare name on that platform alone. Real indexes, both backends.

Each post below has a twin that held the same handle before its author's current one: whatever a
filter finds among the posts held under a handle, it finds among their twins by the former handle,
and nothing else; on SQLite, neither side reads the posts of the whole platform to test the bare name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from archiver.index.filters import Filters
from archiver.index.sql.query import lookup_sql
from archiver.models import Post
from tests.index_backends import BACKENDS, open_test_index

# (platform, handle as held): the bare name and its whole form, on Truth Social and elsewhere.
HELD = (("truthsocial", "harbourdesk"), ("truthsocial", "HarbourDesk@truthsocial.com"), ("mastodon", "harbourdesk"),
        ("mastodon", "harbourdesk@truthsocial.com"), ("twitter", "HarbourDesk"), ("truthsocial", "otherdesk"))
ASKED = ("harbourdesk@truthsocial.com", "@HarbourDesk", "harbourdesk", "HARBOURDESK@TRUTHSOCIAL.COM",
         "otherdesk@truthsocial.com", "harbourdesk@mastodon.social")


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    with open_test_index(request, request.param, tmp_path / "archive") as idx:
        yield idx


def _post(platform: str, handle: str, n: int) -> Post:
    return Post(platform=platform, kind="embedded", source="a.html", evidence="e", post_id=f"11223{n:03d}",
                handle=handle, text=f"tide {n}", posted_at=f"2024-03-{1 + n:02d}T10:00:00Z")


def test_former_handles_are_matched_by_the_rule_current_ones_are(index: Any) -> None:
    now: dict[str, tuple[str, str]] = {}
    before: dict[str, tuple[str, str]] = {}
    for n, (platform, handle) in enumerate(HELD):
        now[index.upsert_post(_post(platform, handle, 2 * n))] = (platform, handle)
        twin = index.upsert_post(_post(platform, handle, 2 * n + 1))
        index.update_post_data(twin, handle=f"renamed{n}")  # the author's handle since
        before[twin] = (platform, handle)
    for asked in ASKED:
        found = [row.key for row in index.lookup(Filters(handle=asked))]
        held_under = sorted(now[k] for k in found if k in now)
        held_before = sorted(before[k] for k in found if k in before)
        assert held_under == held_before, (asked, found)
    # The rule itself, once: a whole Truth Social handle is its bare name there, and nowhere else.
    found = {(now | before)[row.key] for row in index.lookup(Filters(handle="harbourdesk@truthsocial.com"))}
    assert found == {("truthsocial", "harbourdesk"), ("truthsocial", "HarbourDesk@truthsocial.com"),
                     ("mastodon", "harbourdesk@truthsocial.com")}, found


def test_a_bare_name_is_tested_on_its_platform_without_reading_the_platform_s_posts(tmp_path: Path) -> None:
    """SQLite: both the current and the former handles' branch of `name@truthsocial.com` read the
    name off the handles' indexes and test the platform on those few posts, never reading every
    Truth Social post off the platform's index (`+posts.platform`)."""
    from archiver.index.sqlite.index import SQLiteIndex

    with SQLiteIndex(tmp_path / "archive") as index:
        with index.transaction():
            for n in range(60):
                index.upsert_post(_post("truthsocial", f"desk{n % 7}", n))
        for former in (False, True):
            sql, params = lookup_sql(Filters(handle="desk3@truthsocial.com"), limit=50, former=former)
            plan = [row[3] for row in index.db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
            assert not [step for step in plan if re.search(r"\(platform=\?\)", step)], (former, plan)
            assert sum("posts_handle_order (handle_lc=?)" in step for step in plan) == 2, (former, plan)
