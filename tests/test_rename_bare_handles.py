"""A handle filter matches former handles by the very rule it matches current ones: the handle as
given on any platform, and a handle given whole on a server whose platform keeps its handles bare
(`name@truthsocial.com`) as the bare name on that platform alone. Real indexes, both backends.

Each post below has a twin that held the same handle before its author's current one: whatever a
filter finds among the posts held under a handle, it finds among their twins by the former handle,
and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archiver.index.filters import Filters
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

