"""The index's journal in the WARCs: written on commit only, and replayed by reindex to the same index.

Real index and WARC writer, no browser.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.index.journal import is_journal_uri
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import DB_NAME, WARC_DIR
from archiver.models import Post
from archiver.reindex import reindex
from archiver.warcstore import WarcStore, iter_records
from tests.index_rows import Filters, lookup, show


def _journal(archive: Path) -> list[tuple[str, dict]]:
    out = []
    for path in sorted((archive / WARC_DIR).glob("*.warc.gz")):
        for rec in iter_records(path):
            if rec.warc_type == "metadata" and is_journal_uri(rec.target_uri):
                out.append((rec.target_uri, json.loads(rec.payload)))
    return out


def _tweet(text: str, **kw: str) -> Post:
    return Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote", handle="Desk",
                posted_at="2024-03-04", text=text, **kw)


def test_rolled_back_writes_leave_no_journal_and_merges_replay(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with Index(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article("https://news.example/a.html", source="a.html")
        hashed = index.upsert_post(_tweet("flattened, no ID yet"))
        index.cite(article, hashed, "linked", "text")
        index.observe(hashed, "unknown", detail="status ID unknown")
        with pytest.raises(RuntimeError), index.transaction():
            index.upsert_post(_tweet("never committed", post_id="999"))
            raise RuntimeError("rolled back")
        index.merge_post_key(hashed, "twitter:1764640000000000001")
        index.observe("twitter:1764640000000000001", "live")
        index.add_media("twitter:1764640000000000001", "https://pbs.twimg.com/media/x.jpg", "media/x.jpg",
                        "ab" * 32, "image/jpeg")
        expected = lookup(index, Filters())
        expected_show = show(index, "twitter:1764640000000000001")
    uris = [uri for uri, _ in _journal(archive)]
    assert "urn:post:twitter:999" not in uris
    assert f"urn:post-merge:{hashed}#twitter:1764640000000000001" in uris
    assert any(uri.startswith("urn:observation:twitter:1764640000000000001#") for uri in uris)
    assert f"urn:citation:https://news.example/a.html#{hashed}" in uris
    (archive / DB_NAME).unlink()
    summary = reindex(archive)
    assert summary.gaps == [] and summary.posts == 1
    with Index(archive, create=False) as index:
        assert lookup(index, Filters()) == expected
        assert show(index, "twitter:1764640000000000001") == expected_show
        assert index.alias_of(hashed) == "twitter:1764640000000000001"


def test_writes_that_change_nothing_add_no_journal_entry_and_the_journal_still_replays(tmp_path: Path) -> None:
    """A scheduled run reads the same articles and sees the same posts again: the journal grows with
    what changed, not with what is held (every entry it leaves out equals one already written)."""
    archive = tmp_path / "archive"
    photo = "https://pbs.twimg.com/media/x.jpg"

    def sightings(index: Index, text: str = "the same post") -> None:
        """What one run writes for an article citing a flattened tweet it resolves to its ID."""
        article = index.upsert_article("https://news.example/a.html", source="a.html", title="A")
        hashed = index.upsert_post(_tweet(text))
        index.merge_post_key(hashed, "twitter:1764640000000000001")
        key = index.upsert_post(_tweet(text, post_id="1764640000000000001"))
        index.cite(article, key, "linked", "text")
        index.add_media(key, photo, "media/x.jpg", "ab" * 32, "image/jpeg")

    with Index(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        sightings(index)
    first = _journal(archive)
    assert {uri.split(":")[1] for uri, _ in first} >= {"article", "post", "post-merge", "citation", "media"}
    with Index(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        sightings(index)  # the same run again: nothing changed
    assert _journal(archive) == first
    with Index(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        index.upsert_article("https://news.example/a.html", title="A, updated")  # a title corrected
        index.update_post_data("twitter:1764640000000000001", text="the text as the platform gives it")
        index.add_media("twitter:1764640000000000001", photo, None, None, "image/png")
        expected = lookup(index, Filters())
    added = [uri for uri, _ in _journal(archive)[len(first):]]
    assert sorted(added) == ["urn:article:https://news.example/a.html",
                             f"urn:media:twitter:1764640000000000001#{photo}",
                             "urn:post:twitter:1764640000000000001"]
    (archive / DB_NAME).unlink()
    assert reindex(archive).gaps == []
    with Index(archive, create=False) as index:
        assert lookup(index, Filters()) == expected
