"""Glue between the index and the bundle writers: what `export` and `verify` select from the archive."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ExportError
from .models import best_capture

if TYPE_CHECKING:
    from .export import ExportSummary
    from .index.query import Filters
    from .index.store import Index
    from .verify import Problem


def _pages(index: Index, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One page per citing article (its URL) and one per post (its best rendered capture)."""
    pages: list[dict[str, Any]] = []
    seen: set[str] = set()
    keys = [p["key"] for p in posts]
    if not keys:
        return pages
    marks = ", ".join("?" for _ in keys)
    for row in index.db.query(
        f"SELECT a.url, a.title, MIN(c.captured_at) AS ts FROM articles a JOIN citations ci ON ci.article_id = a.id "
        f"LEFT JOIN captures c ON c.article_id = a.id AND c.post IS NULL "
        f"WHERE ci.post IN (SELECT id FROM posts WHERE key IN ({marks})) "
        f"GROUP BY a.id ORDER BY a.url", keys):
        if row["url"] in seen or not row["ts"]:
            continue
        seen.add(row["url"])
        pages.append({"url": row["url"], "ts": row["ts"], "title": row["title"] or row["url"]})
    for post in posts:
        caps = list(index.db.query(
            "SELECT c.url, c.source, c.captured_at, c.status, c.error FROM captures c JOIN posts p ON p.id = c.post "
            "WHERE p.key = ? AND c.url != ''",
            [post["key"]]))
        best = best_capture(caps, post.get("status"))
        if best is None or best["url"] in seen:
            continue
        seen.add(best["url"])
        who = post.get("author") or post.get("handle") or post.get("platform")
        handle = f" (@{post['handle']})" if post.get("handle") else ""
        date = post.get("posted_at") or "date unknown"
        pages.append({"url": best["url"], "ts": best["captured_at"], "title": f"{who}{handle}, {date}"})
    return pages


def export_selection(index: Index, archive_dir: Path, filters: Filters, out: Path, *,
                     include_credentials: bool = False, allow_damaged: bool = False) -> ExportSummary:
    """Export the posts matching `filters`, with the articles citing them."""
    from .export import bundle_format, export_bundle
    from .index.query import lookup, records_for

    bundle_format(out)  # a bad name is a usage error before any work
    posts = lookup(index, filters)
    if not posts:
        raise ExportError("nothing matched the filters; try `archiver lookup` with the same filters first")
    records = records_for(index, [p["key"] for p in posts])
    title = f"archiver export of {len(posts)} post(s)"
    return export_bundle(archive_dir, records, _pages(index, posts), out,
                         include_credentials=include_credentials, title=title, allow_damaged=allow_damaged)


def verify_selection(index: Index, archive_dir: Path) -> tuple[list[Problem], str]:
    """Verify every indexed record and screenshot; returns the problems and what was checked."""
    from .verify import verify_archive

    from .index.store import RECORD_SELECT

    records = list(index.db.query(f'{RECORD_SELECT} ORDER BY r.filename, r."offset"'))
    shots = list(index.db.query(
        "SELECT screenshot AS path, screenshot_sha256 AS sha256 FROM captures WHERE screenshot IS NOT NULL "
        "UNION SELECT path, sha256 FROM media WHERE path IS NOT NULL"))
    problems = verify_archive(archive_dir, records, shots, whole_index=True)
    return problems, f"{len(records)} records, {len(shots)} files checked"
