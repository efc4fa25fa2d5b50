"""A post's former handles: a check that found its author under a new handle replaced the one held,
and `lookup --handle OLD` (the handle the articles citing it print) still finds it, on both backends;
merges carry them over and a rebuild from the journal gives them back.

Real indexes (SQLite and PostgreSQL) and a real WARC writer for the journal; no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archiver.index.filters import Filters
from archiver.index.sqlite.index import SQLiteIndex
from archiver.layout import DB_NAME, WARC_DIR
from archiver.models import Post
from archiver.reindex import reindex
from archiver.warcstore import WarcStore
from tests.index_backends import BACKENDS, open_test_index

ID = "1764640000000000001"


def _tweet(handle: str, post_id: str | None = ID, text: str = "Water rising near the old bridge") -> Post:
    return Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote", handle=handle,
                post_id=post_id, url=f"https://x.com/{handle}/status/{post_id}" if post_id else None,
                posted_at="2024-03-04T10:00:00Z", text=text)


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    with open_test_index(request, request.param, tmp_path / "archive") as idx:
        yield idx


def _found(index: Any, handle: str, **more: str) -> list[tuple[str, str | None, list[str]]]:
    return [(row.key, row.handle, [f.handle for f in row.former_handles])
            for row in index.lookup(Filters(handle=handle, **more))]


def test_a_renamed_author_s_post_is_found_by_the_old_handle_and_says_the_new_one(index: Any) -> None:
    key = index.upsert_post(_tweet("RivertonDesk"))
    other = index.upsert_post(_tweet("RivertonDesk", post_id="1764640000000000002", text="another one"))
    index.update_post_data(key, handle="@RivertonNews")  # what a re-check found
    assert _found(index, "@rivertondesk") == [(key, "RivertonNews", ["RivertonDesk"]),
                                              (other, "RivertonDesk", [])]
    assert _found(index, "RivertonNews") == [(key, "RivertonNews", ["RivertonDesk"])]
    assert _found(index, "RivertonDesk", platform="twitter", since="2024-03-01") == _found(index, "RivertonDesk")
    assert _found(index, "RivertonDesk", platform="youtube") == []
    detail = index.show(key)
    assert detail.handle == "RivertonNews"
    [former] = detail.to_dict()["former_handles"]
    assert former["handle"] == "RivertonDesk" and former["until"] >= "2026"
    # The post's address keeps the handle it was found under (the platform finds it by its ID).
    assert detail.url == f"https://x.com/RivertonDesk/status/{ID}"
    # Renamed again: both former handles find it, once each, oldest first.
    index.update_post_data(key, handle="RivertonToday")
    assert _found(index, "RivertonDesk")[0] == (key, "RivertonToday", ["RivertonDesk", "RivertonNews"])
    assert _found(index, "rivertonnews") == [(key, "RivertonToday", ["RivertonDesk", "RivertonNews"])]


def test_a_change_of_case_or_the_same_handle_again_is_no_former_handle(index: Any) -> None:
    key = index.upsert_post(_tweet("RivertonDesk"))
    index.update_post_data(key, handle="rivertondesk")
    index.update_post_data(key, handle="rivertondesk", text="the text as the platform gives it")
    assert index.show(key).former_handles == []
    assert index.db.execute("SELECT count(*) FROM former_handles").fetchone()[0] == 0
    assert index.get_post(key).handle == "rivertondesk"


def test_a_former_handle_on_a_server_whose_platform_keeps_them_bare(index: Any) -> None:
    """`name@truthsocial.com` finds the Truth Social post whose author was `name`, not another
    platform's post whose author was."""
    truth = index.upsert_post(Post(platform="truthsocial", kind="embedded", source="a.html", evidence="iframe",
                                   post_id="112233", handle="harbourdesk", text="tide"))
    tweet = index.upsert_post(_tweet("harbourdesk"))
    index.update_post_data(truth, handle="harbournews")
    index.update_post_data(tweet, handle="harbourtweets")
    assert [row.key for row in index.lookup(Filters(handle="harbourdesk@truthsocial.com"))] == [truth]


def test_a_merge_carries_former_handles_and_keeps_the_other_handle_as_one(index: Any) -> None:
    # A flattened tweet an article printed as @RivertonDesk (no ID yet), its author renamed since...
    hashed = index.upsert_post(_tweet("RivertonDesk", post_id=None))
    # ...and the post by its ID, whose author was renamed twice since the first sighting.
    key = index.upsert_post(_tweet("RivertonNews"))
    index.update_post_data(key, handle="RivertonToday")
    old_flat = index.upsert_post(_tweet("HarbourDesk", post_id=None, text="an older flattened post"))
    index.update_post_data(old_flat, handle="HarbourNews")
    index.merge_post_key(hashed, key)
    assert _found(index, "RivertonDesk") == [(key, "RivertonToday", ["RivertonNews", "RivertonDesk"])]
    until = {f.handle: f.until for f in index.show(key).former_handles}
    assert until["RivertonDesk"] is None and until["RivertonNews"] is not None  # when it was replaced is unknown
    # A post merged into a new key keeps its former handles there.
    index.merge_post_key(old_flat, "twitter:1764640000000000009")
    assert _found(index, "HarbourDesk") == [("twitter:1764640000000000009", "HarbourNews", ["HarbourDesk"])]
    assert index.db.execute("SELECT count(*) FROM former_handles").fetchone()[0] == 3


def test_a_rebuild_from_the_journal_gives_the_former_handles_back(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with SQLiteIndex(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        key = index.upsert_post(_tweet("RivertonDesk"))
        hashed = index.upsert_post(_tweet("HarbourDesk", post_id=None))
        index.observe(key, "live", checked_at="2024-03-05T10:00:00Z")
        index.update_post_data(key, handle="RivertonNews")
        index.observe(key, "live", checked_at="2024-04-05T10:00:00Z")
        index.merge_post_key(hashed, key)
        expected = index.show(key)
        rows = index.db.execute("SELECT handle, handle_lc, until FROM former_handles ORDER BY handle_lc").fetchall()
    assert [row[0] for row in rows] == ["HarbourDesk", "RivertonDesk"]
    (archive / DB_NAME).unlink()
    assert reindex(archive).gaps == []
    with SQLiteIndex(archive, create=False) as index:
        assert index.db.execute("SELECT handle, handle_lc, until FROM former_handles "
                                "ORDER BY handle_lc").fetchall() == rows
        assert index.show(key) == expected
        assert [row.key for row in index.lookup(Filters(handle="rivertondesk"))] == [key]
