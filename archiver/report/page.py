"""The report as one self-contained HTML page: articles by title, their posts as cards.

Post text, names and URLs are untrusted: everything is escaped, URLs are only linked when they
are http(s), and the page carries a Content-Security-Policy that forbids scripts. The filters
(status, handle, platform) are radio buttons and CSS rules, so they work with scripts off.
Each post shows its element crops at their natural size: the picture's pixels are the post's box
as the capture drew it, never shrunk, so a tombstone's words read as the platform wrote them.
"""

from __future__ import annotations

import base64
import html
import os
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..output import special_file, terminal_safe
from ..times import is_bare_date, parse_timestamp
from .model import Crop, Report, ReportArticle, ReportPost, Span

# Said at the top of every report page: a run whose seeds folder holds a report saved there reads it
# as no article (it would cite every post in it).
GENERATOR = '<meta name="generator" content="archiver report">'
MAX_INLINE_BYTES = 400_000  # pictures bigger than this are linked, not inlined
# Pictures inlined into one page, at most (their bytes before base64): past it they are linked, so
# that a report of a whole archive stays a page a browser opens and a machine can write (tens of
# thousands of posts inlined made pages of gigabytes).
INLINE_BUDGET = 30_000_000
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
    "pending": ("…", "pending"),
    "not_recovered": ("∅", "not recovered"),  # a Wayback copy that shows the post already gone
    "error": ("!", "error"),
}
SOURCE_WORDS = {"live": "its embed", "wayback": "the Wayback Machine's copy"}
# The most of a post's text a card shows: more than any platform lets a post hold (Facebook's
# 63,206 characters), far less than a text that would keep a browser laying it out for minutes.
CARD_TEXT_CHARS = 64_000

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP","Noto Color Emoji",sans-serif;margin:0;background:#f5f6f8;color:#1d2125;overflow-wrap:anywhere}
header{background:#1d2125;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c8ccd0}
main{max-width:1240px;margin:0 auto;padding:8px 24px 24px}
time[title]{text-decoration:underline dotted;text-underline-offset:2px;cursor:help}
nav.filters{display:flex;flex-wrap:wrap;gap:6px 18px;margin:12px 0;padding:10px 12px;background:#fff;border:1px solid #d9dde1;border-radius:10px}
nav.filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px;align-items:center}
nav.filters legend{float:left;font-weight:600;font-size:13px;margin-right:6px}
nav.filters input{position:absolute;opacity:0;width:1px;height:1px}
nav.filters label{font-size:13px;padding:2px 9px;border:1px solid #c5cbd1;border-radius:12px;cursor:pointer;background:#fff}
nav.filters input:checked+label{background:#1d2125;color:#fff;border-color:#1d2125}
nav.filters input:focus-visible+label{outline:2px solid #1565c0;outline-offset:1px}
section.article{margin:22px 0}section.article h2{font-size:18px;margin:0}section.article h2 a{color:#0d47a1;text-decoration:none}
section.article .src{margin:2px 0 10px;font-size:13px;color:#5b6570;word-break:break-all}
.cards{display:grid;align-items:start;grid-template-columns:repeat(auto-fill,minmax(min(580px,100%),1fr));gap:14px}
.card{background:#fff;border:1px solid #d9dde1;border-radius:10px;padding:12px 14px;display:flex;flex-direction:column;gap:6px;min-width:0}
.card.deleted{border-color:#c62828;box-shadow:0 0 0 2px #ffcdd2}.card.recovered{border-color:#ef6c00}
.who{font-weight:600}.handle{color:#5b6570;font-weight:400}.when{color:#5b6570;font-size:13px}
.text{white-space:pre-wrap;word-wrap:break-word}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;background:#e8f5e9;color:#1b5e20;align-self:flex-start}
.status.deleted,.status.removed{background:#ffebee;color:#b71c1c}.status.recovered,.status.withheld,.status.suspended,.status.protected,.status.age_restricted{background:#fff3e0;color:#e65100}
.status.unavailable,.status.unknown,.status.pending,.status.login_required,.status.error{background:#eceff1;color:#37474f}
.reason{font-size:13px;color:#37474f;margin:0}
.dropped{font-size:13px;color:#8a4b00;margin:0}
.cut{font-size:13px;color:#5b6570;margin:0}
figure.shot{margin:4px 0}figure.shot .frame{overflow-x:auto}figure.shot figcaption{font-size:12px;color:#5b6570;margin-top:2px}
img.crop{display:block;max-width:none;border:1px dashed #c5cbd1}
img.page{display:block;max-width:100%;max-height:260px;object-fit:contain;object-position:top left;border:1px solid #eee;border-radius:6px}
ol.timeline{list-style:none;margin:0;padding:0 0 0 4px;font-size:13px;color:#37474f}
ol.timeline li{position:relative;padding:0 0 4px 16px;border-left:2px solid #d9dde1}ol.timeline li:last-child{border-left-color:transparent}
ol.timeline li::before{content:"";position:absolute;left:-6px;top:4px;width:10px;height:10px;border-radius:50%;background:#2e7d32}
ol.timeline li.gone::before{background:#c62828}ol.timeline li.other::before{background:#ef6c00}
.links{font-size:13px}.links a{margin-right:10px}
.none{color:#5b6570}
"""


def _e(value: Any) -> str:
    """A value as HTML text or attribute: escaped, and without what captured content may carry to
    steer how it shows (control characters, escape sequences, bidi overrides and isolates that would
    reverse the text after them), as the terminal's tables show it (`output.terminal_safe`)."""
    return html.escape(terminal_safe("" if value is None else str(value)), quote=True)


def _safe_href(url: str | None) -> str | None:
    if url and url.lower().startswith(("http://", "https://")):
        return _e(url)
    return None


def human_time(value: str | None, *, unknown: str = "date unknown") -> str:
    """A time as words (`4 Mar 2024, 18:22`), its exact UTC instant on hover; a bare date as a day."""
    if not value:
        return _e(unknown)
    text = value.strip()
    if is_bare_date(text):
        day = datetime.fromisoformat(text)
        return f'<time datetime="{_e(text)}" title="{_e(text)} (a day, UTC)">{day.day} {day:%b} {day.year}</time>'
    moment = parse_timestamp(text)
    if moment is None:
        return _e(value)
    utc = moment.astimezone(UTC)
    year = f"{utc.year:04d}"  # (glibc's %Y writes year 99 as "99")
    return (f'<time datetime="{year}-{utc:%m-%dT%H:%M:%SZ}" title="{year}-{utc:%m-%d %H:%M:%S} UTC">'
            f"{utc.day} {utc:%b} {utc.year}, {utc:%H:%M}</time>")


def _rel(report_dir: Path | None, archive_dir: Path, rel_path: str) -> str:
    """A file's address relative to the report, as a URL: a folder named `case #12` or `a?b` is a
    path, not a fragment or a query. With no `report_dir` (a page written to standard output, which
    may be saved anywhere) the file's absolute `file:` URI."""
    if report_dir is None:
        return _e((archive_dir / rel_path).as_uri())
    return _e(quote(os.path.relpath(archive_dir / rel_path, report_dir)))


class _Pictures:
    """Where a page's pictures come from: inlined (`data:` URIs; each file read once, each showing
    counted against the budget) while they fit MAX_INLINE_BYTES and what is left of the page's
    INLINE_BUDGET, else linked relative to the page (`linked` counts the files linked)."""

    def __init__(self, archive_dir: Path, report_dir: Path | None, budget: int | None = None) -> None:
        self.archive_dir, self.report_dir = archive_dir, report_dir
        self.left = INLINE_BUDGET if budget is None else budget
        self._inlined: dict[str, str] = {}
        self._linked: set[str] = set()

    @property
    def linked(self) -> int:
        return len(self._linked)

    def href(self, rel_path: str) -> str:
        return _rel(self.report_dir, self.archive_dir, rel_path)

    def src(self, rel_path: str) -> str:
        """The picture's `src`: its data, or its address when it does not fit (or cannot be read)."""
        found = self._inlined.get(rel_path)
        if found is None:
            try:
                data = (self.archive_dir / rel_path).read_bytes()
            except OSError:
                return self.href(rel_path)
            if len(data) > MAX_INLINE_BYTES:
                self._linked.add(rel_path)
                return self.href(rel_path)
            found = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        if len(found) > self.left:  # (a picture on many cards is in the page as many times)
            self._linked.add(rel_path)
            return self.href(rel_path)
        self.left -= len(found)
        self._inlined[rel_path] = found
        return found


# What the page may load: its own pictures, inlined (`data:`) or beside it (`file:` when opened from
# disk, `'self'` when served), and nothing else: no script, no picture from elsewhere (which would
# tell a server the report was opened, and by whom), no `<base>` moving its links, no form sending.
CSP = ("default-src 'none'; img-src data: file: 'self'; style-src 'unsafe-inline'; "
       "base-uri 'none'; form-action 'none'")


def _crop(crop: Crop, post: ReportPost, pictures: _Pictures) -> str:
    href = pictures.href(crop.path)
    src = pictures.src(crop.path)
    label = STATUS_MARK.get(crop.status, ("", crop.status))[1]
    if crop.reason:  # why the copy recovered nothing, or what went wrong
        label = f"{label}: {crop.reason}"
    where = SOURCE_WORDS.get(crop.source, crop.source)
    caption = f"as {_e(where)} showed it ({_e(label)}), {human_time(crop.captured_at)}"
    if crop.copied_at:  # a copy made long before archiver captured it: both dates, the copy's first
        caption = (f"as {_e(where)} of {human_time(crop.copied_at)} showed it ({_e(label)}), "
                   f"captured {human_time(crop.captured_at)}")
    who = f"@{post.handle}" if post.handle else post.platform
    if crop.width is None:
        # Named, not linked: a link to a file that is not there leads nowhere.
        return (f'<figure class="shot"><p class="none">picture missing or unreadable: '
                f'<code>{_e(crop.path)}</code></p><figcaption>{caption}</figcaption></figure>')
    if crop.element:
        # Natural size: one image pixel per CSS pixel, never scaled down (the frame scrolls instead).
        img = (f'<img class="thumb crop" width="{crop.width}" height="{crop.height}" '
               f'alt="{_e(who)}\u2019s post as {_e(where)} showed it" src="{src}">')
    else:
        img = f'<img class="thumb page" alt="{_e(who)}\u2019s post: the whole page {_e(where)} showed" src="{src}">'
        caption = f"the whole page (no picture of the post alone) {caption}"
    return (f'<figure class="shot"><div class="frame"><a href="{href}">{img}</a></div>'
            f"<figcaption>{caption}</figcaption></figure>")


def _span(span: Span) -> str:
    label = STATUS_MARK.get(span.status, ("", span.status))[1]
    tone = "" if span.status in ("live", "recovered") else ("gone" if span.status in ("deleted", "removed") else "other")
    if span.checks == 1:
        when = f"on {human_time(span.first)}"
    else:
        when = f"from {human_time(span.first)} to {human_time(span.last)} ({span.checks} checks)"
    return f'<li class="{tone}"><b>{_e(label)}</b> {when}</li>'


def _text(post: ReportPost) -> str:
    """The post's text; past CARD_TEXT_CHARS characters cut, saying its whole length and where the
    whole text is: a browser lays out a text of a megabyte without a place to wrap in minutes."""
    text = post.text or ""
    if len(text) <= CARD_TEXT_CHARS:
        return f'<div class="text">{_e(text)}</div>'
    return (f'<div class="text">{_e(text[:CARD_TEXT_CHARS])}…</div>'
            f'<p class="cut">the text is cut here: it is {len(text):,} characters long, the first {CARD_TEXT_CHARS:,} '
            f'shown; the whole text: <code>archiver show {_e(post.key)}</code> (or this report as JSON)</p>')


def _card(post: ReportPost, classes: str, pictures: _Pictures, dropped: str | None = None) -> str:
    """One post's card; `dropped`: when a read found the article it sits under no longer citing it."""
    mark, label = STATUS_MARK.get(post.status, ("?", post.status))
    cls = "recovered" if post.recovered else post.status
    parts = [f'<article class="card {_e(cls)} {classes}" data-key="{_e(post.key)}" data-status="{_e(post.status)}">']
    who = _e(post.author or post.handle or post.platform)
    handle = f' <span class="handle">@{_e(post.handle)}</span>' if post.handle else ""
    parts.append(f'<div class="who">{who}{handle}</div>')
    parts.append(f'<div class="when">{_e(post.platform)} · posted {human_time(post.posted_at)}</div>')
    status_text = f"{mark} {label}" + (" — recovered from the Wayback Machine" if post.recovered else "")
    parts.append(f'<span class="status {_e(post.status)}">{_e(status_text)}</span>')
    if post.reason and post.status != "live":
        parts.append(f'<p class="reason">{_e(post.reason)}</p>')
    if dropped:
        parts.append(f'<p class="dropped">no longer in this article since {human_time(dropped)}</p>')
    parts += [_crop(c, post, pictures) for c in post.crops]
    if post.crops_left_out:
        parts.append(f'<p class="reason left-out">{post.crops_left_out} older picture(s) of other sources and statuses '
                     f'left out here: <code>archiver show {_e(post.key)}</code> lists every capture</p>')
    if post.text:
        parts.append(_text(post))
    if post.timeline:
        items = "".join(_span(s) for s in post.timeline)
        parts.append(f'<ol class="timeline" aria-label="status over time">{items}</ol>')
    href = _safe_href(post.url)
    if href:
        parts.append(f'<div class="links"><a href="{href}" rel="noreferrer noopener">original</a></div>')
    parts.append("</article>")
    return "".join(parts)


class _Filters:
    """One radio group per facet; a CSS rule per value hides the cards (and articles) without it."""

    FACETS = (("s", "Status"), ("h", "Handle"), ("p", "Platform"))

    def __init__(self, posts: list[ReportPost]) -> None:
        # Handles are one account whatever their case (@HarbourNews, @harbournews): one value each,
        # shown in its most frequent spelling.
        spellings: dict[str, Counter[str]] = {}
        for p in posts:
            if p.handle:
                spellings.setdefault(p.handle.casefold(), Counter())[p.handle] += 1
        self.shown = {"h": {key: f"@{c.most_common(1)[0][0]}" for key, c in spellings.items()}}
        self.values: dict[str, Counter[str]] = {
            "s": Counter(p.status for p in posts),
            "h": Counter(p.handle.casefold() for p in posts if p.handle),
            "p": Counter(p.platform for p in posts),
        }
        self.total = len(posts)  # "all" of every facet: posts without a handle too
        # Classes are numbered, never made from the values: no page text reaches a CSS selector.
        self.ids = {f: {v: f"{f}{i}" for i, v in enumerate(sorted(c, key=self._label(f)))} for f, c in self.values.items()}

    def _label(self, facet: str) -> Callable[[str], str]:
        shown = self.shown.get(facet, {})
        return lambda value: shown.get(value, value).casefold()

    def classes(self, post: ReportPost) -> str:
        out = [self.ids["s"][post.status], self.ids["p"][post.platform]]
        if post.handle:
            out.append(self.ids["h"][post.handle.casefold()])
        return " ".join(out)

    def css(self) -> str:
        rules = []
        for ids in self.ids.values():
            for cls in ids.values():
                rules.append(f"body:has(#f-{cls}:checked) .card:not(.{cls}),"
                             f"body:has(#f-{cls}:checked) section.article:not(:has(.card.{cls})){{display:none}}")
        return "\n".join(rules)

    def nav(self) -> str:
        groups = []
        for facet, legend in self.FACETS:
            counts = self.values[facet]
            if len(counts) < 2 and facet != "s":
                continue
            items = [f'<input type="radio" name="f-{facet}" id="f-{facet}-all" checked>'
                     f'<label for="f-{facet}-all">all ({self.total})</label>']
            shown = self.shown.get(facet, {})
            for value in sorted(counts, key=self._label(facet)):
                cls = self.ids[facet][value]
                items.append(f'<input type="radio" name="f-{facet}" id="f-{cls}">'
                             f'<label for="f-{cls}">{_e(shown.get(value, value))} ({counts[value]})</label>')
            groups.append(f"<fieldset><legend>{legend}</legend>{''.join(items)}</fieldset>")
        return f'<nav class="filters" aria-label="filters">{"".join(groups)}</nav>'


def _article(article: ReportArticle, cards: str) -> str:
    if article.url is None and article.citations_unknown:
        return ('<section class="article"><h2>Posts whose citing articles are unknown</h2><p class="src">the index '
                'was rebuilt from partial history: the records of which articles cite them may have been lost with a '
                f'WARC file</p><div class="cards">{cards}</div></section>')
    if article.url is None:
        return f'<section class="article"><h2>Posts cited by no article</h2><div class="cards">{cards}</div></section>'
    href = _safe_href(article.url)
    name = _e(article.title or article.url)
    head = f'<a href="{href}" rel="noreferrer noopener">{name}</a>' if href else name
    first = f" · first captured {human_time(article.first_captured)}" if article.first_captured else ""
    failing = (f'<p class="dropped">could not be captured since {human_time(article.failing_since)}: '
               f'{_e(article.failure or "")}</p>' if article.failing_since else "")
    return (f'<section class="article"><h2>{head}</h2><p class="src">{_e(article.url)}{first}</p>{failing}'
            f'<div class="cards">{cards}</div></section>')


def render_html(report: Report, archive_dir: Path, out: Path | None) -> str:
    """The page of a built report; picture links are relative to where `out` is written, or (with
    `out` None: a page on standard output, whose place is not known) absolute `file:` URIs. So are
    they for an `out` that is a pipe, a FIFO or a device (`-o /dev/stdout | cat > page.html`): its
    name resolves to no folder the page will be in (`/proc/PID/fd/pipe:[N]`)."""
    report_dir = out.resolve().parent if out is not None and not special_file(out) else None
    archive_dir = archive_dir.resolve()
    by_key = {p.key: p for p in report.posts}
    filters = _Filters(report.posts)
    pictures = _Pictures(archive_dir, report_dir)
    body = []
    for article in report.articles:
        cards = "".join(_card(by_key[k], filters.classes(by_key[k]), pictures, article.dropped.get(k))
                        for k in article.posts)
        body.append(_article(article, cards))
    if not body:
        body.append('<p class="none">No posts match.</p>')
    summary = ", ".join(f"{n} {s}" for s, n in report.counts.items())
    n_articles = sum(1 for a in report.articles if a.url is not None)
    return (
        f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">{GENERATOR}"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>{_e(report.title)}</title>"
        f"<style>{CSS}{filters.css()}</style></head><body>"
        f"<header><h1>{_e(report.title)}</h1><p>{len(report.posts)} post(s) in {n_articles} article(s): {_e(summary)} · "
        f"made {human_time(report.made_at)} by archiver {_e(report.archiver)} · times are UTC "
        "(hover over one for the exact second)</p>"
        + (f"<p>{pictures.linked} picture(s) are linked, not held in this page (each over "
           f"{MAX_INLINE_BYTES // 1000} kB, or past the {INLINE_BUDGET // 1_000_000} MB of pictures one page holds): "
           + ("they show while the page stays where it was written, beside the archive</p>" if report_dir is not None
              else "they show while the archive stays where it is</p>") if pictures.linked else "")
        + "</header>"
        f"<main>{filters.nav() if report.posts else ''}{''.join(body)}</main></body></html>\n"
    )
