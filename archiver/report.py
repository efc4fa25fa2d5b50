"""`report`: one self-contained HTML page a person can open — articles with their posts as cards.

Post text, names and URLs are untrusted: everything is escaped, URLs are only linked when they
are http(s), and the page carries a Content-Security-Policy that forbids scripts. A report is made
to be passed around: URLs show and link with their credentials and secret parameters redacted.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import UsageError
from .models import best_capture
from .redact import redact_url
from .times import report_minute

if TYPE_CHECKING:
    from .index.rows import CaptureRow, PostRow

MAX_INLINE_BYTES = 400_000  # thumbnails bigger than this are linked, not inlined
STATUS_MARK = {
    "live": ("●", "live"),
    "deleted": ("✖", "deleted"),
    "removed": ("✖", "removed"),
    "recovered": ("↺", "recovered"),
    "withheld": ("⊘", "withheld"),
    "protected": ("🔒", "protected"),
    "suspended": ("⊘", "suspended"),
    "age_restricted": ("⚠", "age restricted"),
    "login_required": ("🔑", "login required"),
    "unavailable": ("?", "unavailable"),
    "unknown": ("?", "unknown"),
}

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP","Noto Color Emoji",sans-serif;margin:0;background:#f5f6f8;color:#1d2125}
header{background:#1d2125;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c8ccd0}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
section.article{margin:24px 0}section.article h2{font-size:17px;margin:0 0 8px;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:14px}
.card{background:#fff;border:1px solid #d9dde1;border-radius:10px;padding:12px 14px;display:flex;flex-direction:column;gap:6px}
.card.deleted{border-color:#c62828;box-shadow:0 0 0 2px #ffcdd2}.card.recovered{border-color:#ef6c00}
.who{font-weight:600}.handle{color:#5b6570;font-weight:400}.when{color:#5b6570;font-size:13px}
.text{white-space:pre-wrap;word-wrap:break-word}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;background:#e8f5e9;color:#1b5e20;align-self:flex-start}
.status.deleted,.status.removed{background:#ffebee;color:#b71c1c}.status.recovered,.status.withheld,.status.suspended,.status.protected,.status.age_restricted{background:#fff3e0;color:#e65100}
.status.unavailable,.status.unknown,.status.login_required{background:#eceff1;color:#37474f}
img.thumb{max-width:100%;max-height:260px;object-fit:contain;object-position:top left;border:1px solid #eee;border-radius:6px}
ol.history{margin:0;padding-left:18px;font-size:13px;color:#37474f}.links{font-size:13px}.links a{margin-right:10px}
.none{color:#5b6570}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _safe_href(url: str | None) -> str | None:
    if url and url.lower().startswith(("http://", "https://")):
        return _e(redact_url(url))
    return None


def _rel(report_dir: Path, archive_dir: Path, rel_path: str) -> str:
    return _e(os.path.relpath(archive_dir / rel_path, report_dir))


def _thumb(archive_dir: Path, rel_path: str | None) -> str | None:
    if not rel_path:
        return None
    path = archive_dir / rel_path
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) > MAX_INLINE_BYTES:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _best_capture(post: PostRow) -> CaptureRow | None:
    return best_capture([c for c in post.captures if c.screenshot], post.status)


def _card(post: PostRow, archive_dir: Path, report_dir: Path) -> str:
    status = post.status or "unknown"
    recovered = status != "live" and any(c.source == "wayback" and c.status == "recovered" for c in post.captures)
    mark, label = STATUS_MARK.get(status, ("?", status))
    cls = "recovered" if recovered else status
    parts = [f'<article class="card {_e(cls)}" data-key="{_e(post.key)}">']
    who = _e(post.author or post.handle or post.platform)
    handle = f' <span class="handle">@{_e(post.handle)}</span>' if post.handle else ""
    parts.append(f'<div class="who">{who}{handle}</div>')
    parts.append(f'<div class="when">{_e(post.platform)} · {_e(post.posted_at or "date unknown")}</div>')
    status_text = f"{mark} {label}" + (" — recovered from the Wayback Machine" if recovered else "")
    parts.append(f'<span class="status {_e(status)}">{_e(status_text)}</span>')
    cap = _best_capture(post)
    if cap and cap.screenshot:
        src = _thumb(archive_dir, cap.screenshot) or _rel(report_dir, archive_dir, cap.screenshot)
        parts.append(f'<a href="{_rel(report_dir, archive_dir, cap.screenshot)}">'
                     f'<img class="thumb" alt="screenshot of the post" src="{src}"></a>')
    if post.text:
        parts.append(f'<div class="text">{_e(post.text)}</div>')
    if post.history:
        items = "".join(f"<li>{_e(h.status)} on {_e(h.checked_at)}</li>" for h in post.history)
        parts.append(f'<ol class="history" aria-label="status history">{items}</ol>')
    links = []
    href = _safe_href(post.url)
    if href:
        links.append(f'<a href="{href}" rel="noreferrer noopener">original</a>')
    for c in post.captures:
        if c.screenshot:
            links.append(f'<a href="{_rel(report_dir, archive_dir, c.screenshot)}">screenshot ({_e(c.source)}, {_e(c.captured_at)})</a>')
        if c.warc:
            links.append(f'<a href="{_rel(report_dir, archive_dir, "warcs/" + c.warc)}">WARC</a>')
    if links:
        parts.append(f'<div class="links">{"".join(dict.fromkeys(links))}</div>')
    parts.append("</article>")
    return "".join(parts)


def render_report(posts: Sequence[PostRow], archive_dir: Path, out: Path, *, title: str = "Archived posts") -> str:
    """The report's HTML for these posts (as returned by lookup), grouped by citing article."""
    report_dir = out.resolve().parent
    archive_dir = archive_dir.resolve()
    by_article: dict[str, list[PostRow]] = defaultdict(list)
    for p in posts:
        for url in [a.url for a in p.articles] or ["(no article)"]:
            by_article[url or "(no article)"].append(p)
    now = report_minute()
    counts: dict[str, int] = defaultdict(int)
    for p in posts:
        counts[p.status or "unknown"] += 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    body = []
    for url in sorted(by_article):
        href = _safe_href(url)
        head = f'<a href="{href}" rel="noreferrer noopener">{_e(redact_url(url))}</a>' if href else _e(redact_url(url))
        cards = "".join(_card(p, archive_dir, report_dir) for p in by_article[url])
        body.append(f'<section class="article"><h2>{head}</h2><div class="cards">{cards}</div></section>')
    if not body:
        body.append('<p class="none">No posts match.</p>')
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data: file: *; style-src 'unsafe-inline'\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{len(posts)} post(s) in {len(by_article)} article(s): {_e(summary)} · "
        f"made {now} by archiver {__version__}</p></header><main>{''.join(body)}</main></body></html>\n"
    )


def write_report(posts: Sequence[PostRow], archive_dir: Path, out: Path, *, title: str = "Archived posts") -> Path:
    """Write the report atomically (temp file, then rename)."""
    text = render_report(posts, archive_dir, out, title=title)
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UsageError(f"-o {out}: cannot write the report ({e.strerror or e}); choose a writable path") from None
    return out
