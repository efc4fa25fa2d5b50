"""Archives built fast, without a browser: posts written through the real index and WARC store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archiver.index.rows import Capture
from archiver.models import Post
from archiver.warcstore import Exchange, WarcStore


def add_captured_tweet(index: Any, store: WarcStore, article_id: int, post: Post, body: bytes, *,
                       checks: int = 1, request_headers: list[tuple[str, str]] | None = None,
                       reason: str | None = None) -> str:
    """Cite `post` from the article, record its embed page (`body`) as one capture and observe it
    live `checks` times, as a run would; returns the post's key."""
    key = index.upsert_post(post)
    index.cite(article_id, key, "embedded", "blockquote")
    ex = Exchange(url=f"https://platform.twitter.com/embed/Tweet.html?id={post.post_id}", method="GET",
                  status=200, reason=reason, request_headers=request_headers or [],
                  response_headers=[("Content-Type", "text/html")], body=body)
    req, resp = store.write_exchange(ex)
    with index.transaction():
        cid = index.add_capture(Capture(post_key=key, article_id=None, source="live", url=ex.url, status="live",
                                        screenshot=None, screenshot_sha256=None, error=None, warc=resp.filename,
                                        page_record_id=resp.record_id))
        index.add_records(cid, [req, resp], post_key=key)
    for _ in range(checks):
        index.observe(key, "live")
    return key


def synthetic_archive(archive: Path, posts: int, *, journal: bool = True) -> None:
    """A new archive of `posts` tweets cited by one article, each captured with one exchange of
    20 kB and observed twice, written (and journaled, with `journal`) as a run writes them."""
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.layout import WARC_DIR

    archive.mkdir(parents=True)
    with SQLiteIndex(archive) as index, WarcStore(archive / WARC_DIR) as store:
        if journal:
            index.journal.writer = store.write_metadata_batch
        article = index.upsert_article("https://news.example/bench.html", source="bench.html")
        for n in range(posts):
            post = Post(platform="twitter", kind="embedded", source="bench.html", evidence="blockquote",
                        post_id=f"18{n:017d}", handle="Bench", posted_at="2024-03-04T12:00:00Z",
                        text=f"post {n} " + "x" * 200)
            add_captured_tweet(index, store, article, post, (f"<p>{n}</p>" * 2000).encode()[:20_000], checks=2)
