"""`history_lost`: a post `reindex` rebuilt from partial history stays one whose citing articles are
unknown when its hash key is later merged into its ID key (the row names the key it was rebuilt
under), on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archiver.models import Post
from tests.index_backends import BACKENDS, open_test_index


def post(**kw: Any) -> Post:
    return Post(platform="twitter", kind="embedded", source="a.html", evidence="e", **kw)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_post_rebuilt_from_partial_history_stays_so_once_its_hash_key_is_merged(
        request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> None:
    index: Any = open_test_index(request, backend, tmp_path)
    with index:
        flat = index.upsert_post(post(handle="RivertonDesk", text="Water rising", posted_at="2024-03-04"))
        other = index.upsert_post(post(post_id="200", handle="RivertonDesk", text="Dry again"))
        # (written by `reindex` alone, of a post rebuilt from partial history)
        index.db.execute("INSERT INTO history_lost (kind, name, rebuilt_at) VALUES (?, ?, ?)",
                         ["post", flat, "2024-03-06T00:00:00.000Z"])
        assert index.history_lost(flat) and not index.history_lost(other)
        key = index.upsert_post(post(post_id="100", handle="RivertonDesk", text="Water rising",
                                     posted_at="2024-03-04T10:00:00Z"))
        index.merge_post_key(flat, key)
        assert index.show(key) is not None
        assert index.history_lost(key)
        assert not index.history_lost(other)
