"""Telegram channel names and Reddit IDs are read whatever their case: a post held under the key an
earlier archiver made from the page's spelling (`telegram:HarbourNews/101`) is folded into the
lower-case key detection now gives, once, when a run opens its session. Each fold is a journaled
merge: `verify` finds the index as the journal says and `reindex` rebuilds it the same. Real index,
WARC writer and CLI; no browser starts (the session's browser is launched on a first capture)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import DB_NAME, WARC_DIR
from archiver.models import Post
from archiver.net import NetOptions
from archiver.pipeline.session import Session
from archiver.reindex import reindex
from archiver.warcstore import WarcStore
from tests.e2e import ROOT
from tests.index_rows import Filters, lookup, show

WIDGET = "script[data-telegram-post]"


def _telegram(post_id: str) -> Post:
    return Post(platform="telegram", kind="embedded", source="a.html", evidence=WIDGET, post_id=post_id,
                url=f"https://t.me/{post_id}", handle=post_id.partition("/")[0])


def _as_an_earlier_archiver_wrote_it(archive: Path) -> None:
    """One channel post under two spellings (two articles' widgets), a Reddit ID in capitals."""
    with Index(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        a = index.upsert_article("https://news.example/a.html", source="a.html")
        b = index.upsert_article("https://news.example/b.html", source="b.html")
        for article, post_id in ((a, "HarbourNews/101"), (b, "harbournews/101")):
            index.cite(article, index.upsert_post(_telegram(post_id)), "embedded", WIDGET)
        index.observe("telegram:HarbourNews/101", "live", checked_at="2024-04-01T10:00:00Z")
        thread = index.upsert_post(Post(platform="reddit", kind="linked", source="a.html", evidence="a[href]",
                                        post_id="Abc123", url="https://www.reddit.com/comments/Abc123/"))
        index.cite(a, thread, "linked", "a[href]")
        assert sorted(r["key"] for r in lookup(index, Filters())) == [
            "reddit:Abc123", "telegram:HarbourNews/101", "telegram:harbournews/101"]


def test_a_run_folds_keys_spelt_in_another_case_into_one_post(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    _as_an_earlier_archiver_wrote_it(archive)
    with Session(archive, NetOptions()):
        pass  # what every run does first
    with Index(archive, create=False) as index:
        rows = lookup(index, Filters())
        assert sorted(r["key"] for r in rows) == ["reddit:abc123", "telegram:harbournews/101"]
        post = show(index, "telegram:HarbourNews/101")  # the old key still leads to the post
        assert post is not None and post["key"] == "telegram:harbournews/101"
        assert post["status"] == "live" and post["handle"] in ("HarbourNews", "harbournews")
        assert sorted(a["url"] for a in post["articles"]) == ["https://news.example/a.html", "https://news.example/b.html"]
        assert show(index, "Abc123")["key"] == "reddit:abc123"  # type: ignore[index]  # a bare ID as a page wrote it
        # A key in a spelling no page used (as typed, or printed by an older scan): the same post.
        assert show(index, "telegram:HARBOURnews/101")["key"] == "telegram:harbournews/101"  # type: ignore[index]
        assert show(index, "reddit:ABC123")["key"] == "reddit:abc123"  # type: ignore[index]
        assert index.fold_id_case(["telegram", "reddit"]) == []  # done once
        expected, expected_post = rows, post
    verify = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", "--archive-dir", str(archive)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert verify.returncode == 0 and "note:" not in verify.stderr, verify.stderr
    (archive / DB_NAME).unlink()
    assert reindex(archive).gaps == []
    with Index(archive, create=False) as index:
        assert lookup(index, Filters()) == expected
        assert show(index, "telegram:HarbourNews/101") == expected_post
