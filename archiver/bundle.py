"""Glue between the index and the bundle writers: what `export` and `verify` select from the archive."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ExportError
from .index.rows import PageRow
from .models import best_capture

if TYPE_CHECKING:
    from .evidence.seal import EvidenceOptions
    from .export import ExportSummary
    from .index.filters import Filters
    from .index.protocol import IndexQueries
    from .index.rows import PostRow, RecordRow
    from .verify import Problem


def _pages(index: IndexQueries, posts: list[PostRow]) -> list[PageRow]:
    """One page per citing article (its URL) and one per post (its best rendered capture)."""
    pages: list[PageRow] = []
    seen: set[str] = set()
    if not posts:
        return pages
    for article in index.citing_articles([p.key for p in posts]):
        if article.url in seen or not article.first_captured:
            continue
        seen.add(article.url)
        pages.append(PageRow(url=article.url, ts=article.first_captured, title=article.title or article.url))
    for post in posts:
        best = best_capture(index.post_captures(post.key), post.status)
        if best is None or best.url in seen:
            continue
        seen.add(best.url)
        who = post.author or post.handle or post.platform
        handle = f" (@{post.handle})" if post.handle else ""
        date = post.posted_at or "date unknown"
        pages.append(PageRow(url=best.url, ts=best.captured_at, title=f"{who}{handle}, {date}"))
    return pages


def export_selection(index: IndexQueries, archive_dir: Path, filters: Filters, out: Path, *,
                     include_credentials: bool = False, allow_damaged: bool = False,
                     evidence: EvidenceOptions | None = None) -> ExportSummary:
    """Export the posts matching `filters`, with the articles citing them; `evidence` signs and
    timestamps the bundle (an authority that failed is named in the summary's `left_out`)."""
    from .export import bundle_format, export_bundle

    bundle_format(out)  # a bad name is a usage error before any work
    posts = index.lookup(filters)
    if not posts:
        raise ExportError("nothing matched the filters; try `archiver lookup` with the same filters first")
    records = index.records_for([p.key for p in posts])
    title = f"archiver export of {len(posts)} post(s)"
    if bundle_format(out) == "wacz":
        evidence = _with_capture_stamps(index, records, evidence)
    sealer = None
    if evidence:
        from .evidence.seal import Sealer

        sealer = Sealer(evidence)
    summary = export_bundle(archive_dir, records, _pages(index, posts), out,
                            include_credentials=include_credentials, title=title, allow_damaged=allow_damaged,
                            extra_files=sealer.files() if sealer is not None else None, seal=sealer)
    if sealer is not None:
        summary.left_out.extend(sealer.failures)
    return summary


def _with_capture_stamps(index: IndexQueries, records: Sequence[RecordRow],
                         evidence: EvidenceOptions | None) -> EvidenceOptions | None:
    """`evidence` with the RFC 3161 tokens of the exported captures (taken at capture time), which
    travel with every WACZ export, signed or not."""
    captures = sorted({r.capture_id for r in records if r.capture_id is not None})
    stamps = index.capture_stamps(captures) if captures else []
    if not any(s.token for s in stamps):
        return evidence
    from .evidence.seal import EvidenceOptions
    from .evidence.sidecar import captures_from_stamps

    evidence = evidence or EvidenceOptions()
    evidence.captures = captures_from_stamps(stamps)
    return evidence


def verify_selection(index: IndexQueries, archive_dir: Path) -> tuple[list[Problem], str]:
    """Verify every indexed record and screenshot; returns the problems and what was checked."""
    from .verify import verify_archive

    records = list(index.all_records())
    shots = index.stored_files()
    problems = verify_archive(archive_dir, records, shots, whole_index=True)
    return problems, f"{len(records)} records, {len(shots)} files checked"
