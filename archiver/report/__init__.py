"""`report`: one self-contained HTML page a person can open, or the same report as JSON.

A report is made to be passed around: URLs show and link with their credentials and secret
parameters redacted (model.py), and nothing from the pages captured can run in it (page.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..output import write_file
from .model import Report, build_report
from .page import render_html

if TYPE_CHECKING:
    from ..index.filters import Filters
    from ..index.protocol import IndexQueries
    from ..index.rows import ArticlePage, PostRow

__all__ = ["Report", "build_report", "render_report", "report_from_index", "write_report", "write_text"]


def report_from_index(db: IndexQueries, filters: Filters, archive_dir: Path, *,
                      title: str | None = None) -> Report:
    """The report of the posts `filters` select, with the titles of the articles citing them. Its
    title (unless given) names the selection, as an exported bundle's does; `Archived posts` for
    the whole archive. ExportError when nothing is selected (the page would show nothing)."""
    from ..bundle import REPORT_READS, require_sound, selection_title, tables_read
    from ..errors import ExportError

    require_sound(db, tables_read(filters, REPORT_READS))  # a damaged page would leave out what it held, unsaid
    posts = db.lookup(filters)
    if not posts:
        raise ExportError("nothing matched the filters; try `archiver lookup` with the same filters first"
                          if not filters.selects_all else "the archive holds no posts yet: nothing to report")
    if title is None:
        title = selection_title(filters, len(posts), (p.handle for p in posts)) if not filters.selects_all \
            else "Archived posts"
    articles = db.citing_articles([p.key for p in posts])
    # Rebuilt from partial history: a post no article is known to cite may have lost its citations.
    return build_report(posts, archive_dir, articles=articles, title=title,
                        citations_unknown=db.partial_history() is not None)


def render_report(posts: Sequence[PostRow], archive_dir: Path, out: Path, *, title: str = "Archived posts",
                  articles: Sequence[ArticlePage] = ()) -> str:
    """The report's HTML for these posts (as returned by lookup), grouped by citing article."""
    return render_html(build_report(posts, archive_dir, articles=articles, title=title), archive_dir, out)


def write_text(text: str, out: Path) -> Path:
    """Write a report atomically."""
    return write_file(out, text, "the report")


def write_report(posts: Sequence[PostRow] | Report, archive_dir: Path, out: Path, *,
                 title: str = "Archived posts") -> Path:
    """Write the HTML report of these posts, or of a built report, atomically."""
    report = posts if isinstance(posts, Report) else build_report(posts, archive_dir, title=title)
    return write_text(render_html(report, archive_dir, out), out)
