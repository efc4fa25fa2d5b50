"""What a report shows, as data: articles by title, each post's crops, its status timeline.

The same values feed the HTML page and `report --format json`. Paths are relative to the archive
directory; times stay in the index's canonical UTC form (the page turns them into words).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..capture.crops import png_dimensions
from ..models import PENDING, best_capture
from ..redact import redact_text, redact_url
from ..times import utc_now

if TYPE_CHECKING:
    from ..index.rows import ArticlePage, CaptureRow, PostRow

NO_ARTICLE = "(no article)"
# The posts no article is known to cite in an index rebuilt from partial history: the records of
# their citing articles may have been lost with a WARC file, so they are not filed as given by their own address.
UNKNOWN_ARTICLES = "(citing articles unknown)"
_GROUPS = (NO_ARTICLE, UNKNOWN_ARTICLES)
# Pictures per post: the best one, then the newest of each other (source, status) it went through,
# at most this many (the others, oldest first, are left out, and the report says how many).
MAX_CROPS = 8
# An element screenshot is named after its page's screenshot: `<stamp>-<label>-element-NN.png`.
_ELEMENT_RE = re.compile(r"-element-\d+\.png$")


@dataclass
class Crop:
    """A picture of a post as a capture showed it: `element` when it is the post's own element
    (the image's pixel size is then the element's box at the capture's device scale), else the
    whole page. `width`/`height` are the PNG's pixels (None: the file is missing or unreadable)."""

    path: str
    element: bool
    width: int | None
    height: int | None
    source: str
    status: str
    captured_at: str
    copied_at: str | None = None  # the Wayback Machine's copy: when it was made
    # What went wrong with the capture, or why a Wayback copy recovered nothing (URLs redacted).
    reason: str | None = None


@dataclass
class Span:
    """A stretch of consecutive checks that found the same status."""

    status: str
    first: str
    last: str
    checks: int


@dataclass
class ReportPost:
    key: str
    platform: str
    url: str | None
    handle: str | None
    author: str | None
    posted_at: str | None
    text: str | None
    status: str
    reason: str | None
    recovered: bool
    articles: list[str]
    crops: list[Crop] = field(default_factory=list)
    timeline: list[Span] = field(default_factory=list)
    # Pictures of other sources and statuses past MAX_CROPS, not in `crops` (`show` lists them all).
    crops_left_out: int = 0


@dataclass
class ReportArticle:
    # None: the posts no article cites (given by their own address), or, `citations_unknown`, the
    # posts no article is known to cite in an index rebuilt from partial history
    url: str | None
    title: str | None
    first_captured: str | None
    posts: list[str]
    dropped: dict[str, str] = field(default_factory=dict)  # post key -> when a read no longer found it
    # Since when its captures fail (its site took it down, say), and the latest one's error;
    # None while its latest capture completed.
    failing_since: str | None = None
    failure: str | None = None
    # The group of posts whose citing articles are unknown (in JSON only when true: an intact
    # archive's report reads as it always has)
    citations_unknown: bool = False


@dataclass
class Report:
    title: str
    made_at: str
    archiver: str
    counts: dict[str, int]
    articles: list[ReportArticle]
    posts: list[ReportPost]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for article in out["articles"]:
            if not article["citations_unknown"]:
                del article["citations_unknown"]
        return out


def png_size(path: Path) -> tuple[int, int] | None:
    """The pixel size a PNG file declares in its header, or None when it is not a readable PNG."""
    try:
        with path.open("rb") as fh:
            return png_dimensions(fh.read(24))
    except OSError:
        return None


def timeline(history: Sequence[Any]) -> list[Span]:
    """The status checks of a post, oldest first, folded into spans of the same status."""
    spans: list[Span] = []
    for h in sorted(history, key=lambda h: h.checked_at or ""):
        if spans and spans[-1].status == h.status:
            spans[-1].last = h.checked_at
            spans[-1].checks += 1
        else:
            spans.append(Span(h.status, h.checked_at, h.checked_at, 1))
    return spans


def crops(post: PostRow, archive_dir: Path) -> list[Crop]:
    """The pictures a reader sees of a post: the capture that best shows it first, then the newest
    capture of each other source and status (a live tweet before it was withheld, say), at most
    MAX_CROPS of them (`ReportPost.crops_left_out` counts the others). Within a source and status, a picture
    of the post alone beats a newer picture of the whole page."""
    return _crops(post, archive_dir)[0]


def _crops(post: PostRow, archive_dir: Path) -> tuple[list[Crop], int]:
    shots = sorted((c for c in post.captures if c.screenshot), key=lambda c: c.captured_at or "")
    groups: dict[tuple[str, str], list[CaptureRow]] = defaultdict(list)
    for c in shots:
        groups[(c.source, c.status)].append(c)

    def pick(group: list[CaptureRow]) -> CaptureRow:
        elements = [c for c in group if _ELEMENT_RE.search(c.screenshot or "")]
        return (elements or group)[-1]

    best = best_capture(shots, post.status)
    first = (best.source, best.status) if best is not None else None
    ordered = [pick(groups[first])] if first is not None else []
    ordered += sorted((pick(g) for k, g in groups.items() if k != first),
                      key=lambda c: c.captured_at or "", reverse=True)
    # A copy the Wayback Machine held of a post gone since is kept in view whatever the captures
    # after it (statuses that came and went push the oldest pictures out).
    copy = next((c for c in ordered if c.source == "wayback" and c.status == "recovered"), None)
    if copy is not None and copy not in ordered[:MAX_CROPS]:
        ordered.remove(copy)
        ordered.insert(1, copy)
    out = []
    for c in ordered[:MAX_CROPS]:
        path = c.screenshot or ""
        size = png_size(archive_dir / path)
        out.append(Crop(path=path, element=bool(_ELEMENT_RE.search(path)),
                        width=size[0] if size else None, height=size[1] if size else None,
                        source=c.source, status=c.status, captured_at=c.captured_at, copied_at=c.copied_at,
                        reason=redact_text(c.error) if c.error else None))
    return out, max(0, len(ordered) - MAX_CROPS)


def build_report(posts: Sequence[PostRow], archive_dir: Path, *, articles: Sequence[ArticlePage] = (),
                 title: str = "Archived posts", citations_unknown: bool = False) -> Report:
    """The report of these posts (as `lookup` returns them); `articles` gives titles and first
    capture times of the citing articles (as `citing_articles` returns them). `citations_unknown`:
    the index was rebuilt from partial history, so a post no article is known to cite is filed
    under its citing articles being unknown, not under no article."""
    nowhere = UNKNOWN_ARTICLES if citations_unknown else NO_ARTICLE
    known: Mapping[str, ArticlePage] = {a.url: a for a in articles}
    by_article: dict[str, list[str]] = defaultdict(list)
    dropped: dict[str, dict[str, str]] = defaultdict(dict)  # article URL -> post key -> when no longer cited
    out_posts = []
    counts: dict[str, int] = defaultdict(int)
    for p in posts:
        status = p.status or PENDING  # (lookup's rows already say so; a row built elsewhere may not)
        counts[status] += 1
        urls = [a.url for a in p.articles if a.url] or [nowhere]
        for url in dict.fromkeys(urls):
            by_article[url].append(p.key)
        for a in p.articles:
            if a.url and a.dropped_at:
                dropped[a.url][p.key] = a.dropped_at
        # Credit to the Wayback Machine only for a post this archive never captured live itself.
        shown, left_out = _crops(p, archive_dir)
        recovered = (status != "live" and any(c.source == "wayback" and c.status == "recovered" for c in p.captures)
                     and not any(c.source == "live" and c.status == "live" for c in p.captures))
        out_posts.append(ReportPost(
            key=p.key, platform=p.platform, url=redact_url(p.url) if p.url else None, handle=p.handle,
            # Post text and titles quote the web: URLs in them are named without their secrets.
            author=p.author, posted_at=p.posted_at, text=redact_text(p.text) if p.text else p.text, status=status,
            reason=redact_text(p.reason) if p.reason else None,
            recovered=recovered, articles=[redact_url(u) for u in dict.fromkeys(urls) if u not in _GROUPS],
            crops=shown, timeline=timeline(p.history), crops_left_out=left_out))
    out_articles = []
    for url in sorted(by_article, key=lambda u: (u in _GROUPS, _sort_title(known.get(u), u))):
        page = known.get(url)
        out_articles.append(ReportArticle(
            url=redact_url(url) if url not in _GROUPS else None, title=redact_text(page.title) if page and page.title else None,
            first_captured=page.first_captured if page else None, posts=by_article[url],
            dropped=dropped.get(url, {}), failing_since=page.failing_since if page else None,
            failure=redact_text(page.failure) if page and page.failure else None,
            citations_unknown=url == UNKNOWN_ARTICLES))
    return Report(title=title, made_at=utc_now(), archiver=__version__, counts=dict(sorted(counts.items())),
                  articles=out_articles, posts=out_posts)


def _sort_title(page: ArticlePage | None, url: str) -> str:
    return ((page.title if page and page.title else "") or url).casefold()
