"""Reads for `lookup`, `show` and `export`: posts selected by filters, with their articles, captures
and status history.

Time filters work on `posted_at` in UTC with inclusive bounds. A post known only
to the day (`posted_at` = `YYYY-MM-DD`) stands for that whole UTC day and matches any bound that
overlaps it: `--date 2024-03-04` finds it, and so does `--since 2024-03-04T12:00Z`, because it may
have been posted that afternoon.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from archiver.errors import UsageError
from archiver.index import fields, search, urls
from archiver.index.store import RECORD_SELECT, Index
from archiver.index.times import parse_bound
from archiver.models import PLATFORMS, POST_STATUSES

# Output fields of lookup, in order.
LOOKUP_FIELDS: tuple[str, ...] = (
    "key", "platform", "post_id", "url", "handle", "author", "posted_at", "text", "links", "media", "status",
    "articles", "captures", "history",
)
_PLATFORM_ALIASES = {"x": "twitter"}
_BOUND_HELP = "expected YYYY-MM-DD or a UTC datetime YYYY-MM-DDTHH:MM[:SS[.fff]][Z]"

_YOUTUBE_RE = re.compile(r"(?:[?&]v=|youtu\.be/|/embed/|/shorts/|/live/)([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")
_CHUNK = 500  # stay far below SQLite's limit on bound parameters


def _bound(option: str, value: str, *, end: bool) -> str:
    try:
        return parse_bound(value, end=end)
    except ValueError:
        raise UsageError(f"{option}: {_BOUND_HELP}, got {value!r}") from None


@dataclass
class Filters:
    """What `lookup`/`export`/`report` select; validated on construction (UsageError names the option)."""

    handle: str | None = None
    date: str | None = None
    since: str | None = None
    until: str | None = None
    platform: str | None = None
    text: str | None = None
    status: str | None = None
    article: str | None = None
    captured_since: str | None = None
    # Canonical UTC bounds on posted_at / captured_at, derived from the options above.
    posted_from: str | None = field(default=None, init=False, repr=False)
    posted_to: str | None = field(default=None, init=False, repr=False)
    captured_from: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        lows: list[str] = []
        highs: list[str] = []
        if self.date is not None:
            if not re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", self.date):
                raise UsageError(f"--date: expected YYYY-MM-DD, got {self.date!r}")
            lows.append(_bound("--date", self.date, end=False))
            highs.append(_bound("--date", self.date, end=True))
        if self.since is not None:
            lows.append(_bound("--since", self.since, end=False))
        if self.until is not None:
            highs.append(_bound("--until", self.until, end=True))
        self.posted_from = max(lows) if lows else None
        self.posted_to = min(highs) if highs else None
        if self.posted_from and self.posted_to and self.posted_from > self.posted_to:
            raise UsageError(f"the time range is empty: {self.posted_from} is after {self.posted_to}")
        if self.captured_since is not None:
            self.captured_from = _bound("--captured-since", self.captured_since, end=False)
        if self.handle is not None:
            handle = fields.clean_handle(self.handle)
            if handle is None:
                raise UsageError("--handle: expected a handle such as @name")
            self.handle = handle.lower()
        if self.platform is not None:
            platform = self.platform.strip().lower()
            platform = _PLATFORM_ALIASES.get(platform, platform)
            if platform not in PLATFORMS:
                raise UsageError(f"--platform: expected one of {', '.join(PLATFORMS)}, got {self.platform!r}")
            self.platform = platform
        if self.text is not None and not search.parse(self.text):
            raise UsageError(f"--text: nothing to search for in {self.text!r}")
        if self.status is not None:
            self.status = self.status.strip().lower()
            if self.status not in POST_STATUSES:
                raise UsageError(f"--status: expected one of {', '.join(POST_STATUSES)}, got {self.status!r}")


def _where(filters: Filters) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if filters.handle is not None:
        conditions.append("posts.handle_lc = ?")
        params.append(filters.handle)
    # Overlap of [posted_start, posted_end] with the bounds: exact for datetimes, whole-day for dates.
    if filters.posted_from is not None:
        conditions.append("posts.posted_end >= ?")
        params.append(filters.posted_from)
    if filters.posted_to is not None:
        conditions.append("posts.posted_start <= ?")
        params.append(filters.posted_to)
    if filters.platform is not None:
        conditions.append("posts.platform = ?")
        params.append(filters.platform)
    if filters.status is not None:
        conditions.append("posts.status = ?")
        params.append(filters.status)
    if filters.article is not None:
        conditions.append(
            "posts.id IN (SELECT c.post FROM citations c JOIN articles a ON a.id = c.article_id WHERE a.url_key = ?)"
        )
        params.append(urls.url_key(filters.article))
    if filters.captured_from is not None:
        conditions.append("posts.id IN (SELECT post FROM captures WHERE captured_at >= ?)")
        params.append(filters.captured_from)
    if filters.text is not None:
        condition, text_params = search.text_condition(filters.text)
        conditions.append(condition)
        params.extend(text_params)
    return (" WHERE " + " AND ".join(conditions)) if conditions else "", params


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _grouped(index: Index, sql: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Rows of `sql` (which selects post_key and has one `{marks}` placeholder) grouped by post_key."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(keys):
        marks = ", ".join("?" for _ in chunk)
        for row in index.db.query(sql.format(marks=marks), list(chunk)):
            grouped[row.pop("post_key")].append(row)
    return grouped


def _attach(index: Index, rows: list[dict[str, Any]], *, detailed: bool) -> list[dict[str, Any]]:
    keys = [row["key"] for row in rows]
    article_cols = "a.url, c.kind, c.evidence" + (", a.title, c.first_seen" if detailed else "")
    articles = _grouped(
        index,
        f"SELECT p.key AS post_key, {article_cols} FROM citations c JOIN articles a ON a.id = c.article_id "
        "JOIN posts p ON p.id = c.post WHERE p.key IN ({marks}) ORDER BY a.url",
        keys,
    )
    capture_cols = "c.captured_at, c.source, c.screenshot, c.status, c.warc" + (
        ", c.id, c.url, c.error, c.screenshot_sha256, c.page_record_id" if detailed else ""
    )
    captures = _grouped(
        index,
        f"SELECT p.key AS post_key, {capture_cols} FROM captures c JOIN posts p ON p.id = c.post "
        "WHERE p.key IN ({marks}) ORDER BY c.captured_at, c.id",
        keys,
    )
    history = _grouped(
        index,
        f"SELECT p.key AS post_key, o.checked_at, o.status{', o.detail' if detailed else ''} FROM observations o "
        "JOIN posts p ON p.id = o.post WHERE p.key IN ({marks}) ORDER BY o.checked_at, o.id",
        keys,
    )
    media = (
        _grouped(index, "SELECT p.key AS post_key, m.url, m.path, m.sha256, m.mime FROM media m "
                 "JOIN posts p ON p.id = m.post WHERE p.key IN ({marks}) ORDER BY m.id", keys)
        if detailed else {}
    )
    result = []
    for row in rows:
        post = {name: row[name] for name in LOOKUP_FIELDS[:11]}
        post["links"] = fields.load_list(row["links"])
        post["media"] = fields.load_list(row["media"])
        post["articles"] = articles.get(row["key"], [])
        post["captures"] = captures.get(row["key"], [])
        post["history"] = history.get(row["key"], [])
        if detailed:
            post.update(
                data=fields.load_dict(row["data"]),
                first_seen=row["first_seen"],
                last_checked=row["last_checked"],
                media_files=media.get(row["key"], []),
            )
        result.append(post)
    return result


def lookup(index: Index, filters: Filters) -> list[dict[str, Any]]:
    """Posts matching every filter, ordered by posted_at (unknown last), then key."""
    where, params = _where(filters)
    rows = list(
        index.db.query(
            f"SELECT posts.* FROM posts{where} ORDER BY posts.posted_start IS NULL, posts.posted_start, posts.key",
            params,
        )
    )
    return _attach(index, rows, detailed=False)


def _candidate_keys(index: Index, ident: str) -> list[str]:
    """Keys the identifier may name, best guess first."""
    ident = ident.strip()
    if not ident:
        return []
    exact = index.db.query("SELECT key FROM posts WHERE key = ? OR url = ? ORDER BY key", [ident, ident])
    keys = [row["key"] for row in exact]
    if keys:
        return keys
    if re.fullmatch(r"https?://\S+", ident):
        # Imported here: detect is heavy, and only URLs need its knowledge of Twitter's mirrors.
        from archiver.detect.platforms.twitter import parse_status_url

        status = parse_status_url(ident)
        if status is not None:
            return [f"twitter:{status[1]}"]
        youtube = _YOUTUBE_RE.search(ident)
        if youtube and ("youtu" in urlsplit(ident).netloc):
            return [f"youtube:{youtube.group(1)}"]
        # Other platforms: the ID is one of the URL's path segments (shortcode, numeric ID, rkey).
        segments = [s for s in urlsplit(ident).path.split("/") if s]
        return _keys_with_post_id(index, list(reversed(segments)))
    if ":h:" in ident and len(ident.partition(":h:")[2]) >= 8:
        # An abbreviated hash key, as people copy them from tables.
        pattern = ident.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = index.db.query("SELECT key FROM posts WHERE key LIKE ? ESCAPE '\\' ORDER BY key LIMIT 2", [pattern])
        found = [row["key"] for row in rows]
        return found if len(found) == 1 else []
    return _keys_with_post_id(index, [ident.lstrip("@")])


def _keys_with_post_id(index: Index, candidates: list[str]) -> list[str]:
    for candidate in candidates:
        rows = index.db.query(
            "SELECT key FROM posts WHERE post_id = ? ORDER BY platform != 'twitter', key", [candidate]
        )
        keys = [row["key"] for row in rows]
        if keys:
            return keys
    return []


def show(index: Index, ident: str) -> dict[str, Any] | None:
    """One post by key, URL (any Twitter/X variant finds the ID) or bare ID, with everything known."""
    for key in _candidate_keys(index, ident):
        rows = list(index.db.query("SELECT * FROM posts WHERE key = ?", [key]))
        if rows:
            return _attach(index, rows, detailed=True)[0]
    return None


def records_for(index: Index, post_keys: list[str], include_articles: bool = True) -> list[dict[str, Any]]:
    """WARC records of the posts (and of the articles citing them), plus the originals their revisit
    records refer to; ordered by file and offset, `extra` decoded."""
    keys = list(dict.fromkeys(post_keys))
    found: dict[str, dict[str, Any]] = {}

    def collect(sql: str, params: Sequence[Any]) -> None:
        for row in index.db.query(sql, list(params)):
            found.setdefault(row["record_id"], row)

    for chunk in _chunks(keys):
        marks = ", ".join("?" for _ in chunk)
        ids = f"SELECT id FROM posts WHERE key IN ({marks})"
        collect(
            f"{RECORD_SELECT} WHERE r.post IN ({ids}) "
            f"OR r.capture_id IN (SELECT id FROM captures WHERE post IN ({ids}))",
            [*chunk, *chunk],
        )
        if include_articles:
            citing = f"SELECT article_id FROM citations WHERE post IN ({ids})"
            # Only the articles' own records: records of other posts captured from the same article
            # belong to those posts (an export by handle holds no other handle's posts).
            collect(
                f"{RECORD_SELECT} WHERE r.post IS NULL AND (r.article_id IN ({citing}) "
                f"OR r.capture_id IN (SELECT id FROM captures WHERE post IS NULL AND article_id IN ({citing})))",
                [*chunk, *chunk],
            )
    for record in list(found.values()):
        if record["warc_type"] != "revisit":
            continue
        original = _revisit_original(index, record)
        if original is not None:
            found.setdefault(original["record_id"], original)
    records = sorted(found.values(), key=lambda r: (r["filename"], r["offset"]))
    for record in records:
        record["extra"] = fields.load_dict(record["extra"]) or {}
    return records


def _revisit_original(index: Index, revisit: dict[str, Any]) -> dict[str, Any] | None:
    extra = fields.load_dict(revisit["extra"]) or {}
    refers_to = extra.get("WARC-Refers-To")
    if refers_to:
        rows = list(index.db.query(f"{RECORD_SELECT} WHERE r.record_id = ?", [refers_to]))
        if rows:
            return rows[0]
    if revisit["payload_digest"]:
        target = extra.get("WARC-Refers-To-Target-URI", revisit["target_uri"])
        rows = list(
            index.db.query(
                f"{RECORD_SELECT} WHERE r.payload_digest = ? AND r.warc_type IN ('response', 'resource') "
                "ORDER BY r.target_uri != ?, r.date LIMIT 1",
                [revisit["payload_digest"], target],
            )
        )
        if rows:
            return rows[0]
    return None
