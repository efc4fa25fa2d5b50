"""Reads for `lookup`, `show` and `export`: posts selected by `Filters`, with their articles,
captures and status history, as typed rows (`archiver.index.rows`)."""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from archiver.index import fields, urls
from archiver.index.filters import LOOKUP_FIELDS, Filters
from archiver.index.rows import (
    ArticleRow,
    CaptureDetail,
    CaptureRow,
    CitationDetail,
    CitationRow,
    FormerHandle,
    KeyAlias,
    MediaRow,
    ObservationDetail,
    ObservationRow,
    PostDetail,
    PostRow,
    RecordRow,
)
from archiver.index.sql import search
from archiver.index.sql.dialect import SQLITE, Dialect
from archiver.index.sql.store import RECORD_SELECT, record_row
from archiver.index.sql.store import Store as Index
from archiver.models import PENDING
from archiver.times import format_utc

if TYPE_CHECKING:
    from archiver.platforms.base import Platform

log = logging.getLogger(__name__)

_CHUNK = 500  # stay far below SQLite's limit on bound parameters
_SQLITE_MAX = 2**63 - 1  # the largest integer SQLite holds
# The lookup order, as the indexes of schema version 5 end (`sqlite.schema.LOOKUP_ORDER`); the key is unique,
# so pages of any size follow each other without gaps or repeats.
ORDER = "(posts.posted_start IS NULL), posts.posted_start, posts.key"
ORDER_DATED = "posts.posted_start, posts.key"


# The longest a post's [posted_start, posted_end] can span (`times.posted_bounds`: a bare date stands
# for its whole UTC day). A post ending at or after a bound started at most this long before it.
POSTED_SPAN = timedelta(days=1)


def _earliest_start(posted_from: str) -> str | None:
    """The earliest posted_start of a post whose posted_end reaches `posted_from` (None: no bound)."""
    try:
        return format_utc(datetime.fromisoformat(posted_from) - POSTED_SPAN)
    except (ValueError, OverflowError):
        return None


# The posts that had the handle before the one held (`former_handles`), read off its index by handle.
_FORMER = "posts.id IN (SELECT f.post FROM former_handles f WHERE f.handle_lc = ?)"


def _matching(filters: Filters, match: str, dialect: Dialect) -> tuple[str, list[Any]]:
    """`match` (SQL with one `?`, a handle) of each form the handle filter matches
    (`Filters.handle_forms`), a form on one platform tested on that platform alone: one rule for
    current and former handles. The platform is tested on the few posts of the form's handle: in
    SQLite `+` keeps it from being read off the platform's index (every post of the platform)."""
    plus = "+" if dialect is SQLITE else ""
    parts: list[str] = []
    params: list[Any] = []
    for handle, platform in filters.handle_forms():
        if platform is None:
            parts.append(match)
            params.append(handle)
        else:
            parts.append(f"({match} AND {plus}posts.platform = ?)")
            params += [handle, platform]
    return " OR ".join(parts), params


def _handle_condition(filters: Filters, dialect: Dialect, former: bool) -> tuple[str, list[Any]]:
    """The handle filter: the posts held under the handle, and with `former` those that had it
    before (their author's handle replaced since: the articles citing them still print it)."""
    condition, params = _matching(filters, "posts.handle_lc = ?", dialect)
    if former:
        more, more_params = _matching(filters, _FORMER, dialect)
        condition, params = f"{condition} OR {more}", params + more_params
    return f"({condition})", params


def has_former_handle(index: Index, filters: Filters) -> bool:
    """Whether some post had the handle `filters` names before the one held (one probe of the
    former handles' index): only then does the handle filter look among former handles, whose
    matches are sorted; otherwise the posts of the handle come off its ordering index in order."""
    names = [handle for handle, _platform in filters.handle_forms()]
    if not names:
        return False
    marks = ", ".join("?" for _ in names)
    return index.db.execute(f"SELECT 1 FROM former_handles WHERE handle_lc IN ({marks}) LIMIT 1",
                            names).fetchone() is not None


def _where(filters: Filters, dialect: Dialect, probe_text: bool = False,
           former: bool = False) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if filters.handle is not None:
        condition, handle_params = _handle_condition(filters, dialect, former)
        conditions.append(condition)
        params += handle_params
    # Overlap of [posted_start, posted_end] with the bounds: exact for datetimes, whole-day for dates.
    if filters.posted_from is not None or filters.posted_to is not None:
        # Known times only, stated the way the ordering index holds it: a date range then reads a
        # stretch of that index, already in lookup order.
        conditions.append(dialect.known_time)
    if filters.posted_from is not None:
        conditions.append("posts.posted_end >= ?")
        params.append(filters.posted_from)
        # Redundant with the line above, but on the indexed column: without it a lower bound reads
        # every post from the start of time.
        earliest = _earliest_start(filters.posted_from)
        if earliest is not None:
            conditions.append("posts.posted_start >= ?")
            params.append(earliest)
    if filters.posted_to is not None:
        conditions.append("posts.posted_start <= ?")
        params.append(filters.posted_to)
    if filters.platform is not None:
        conditions.append("posts.platform = ?")
        params.append(filters.platform)
    if filters.status == PENDING:
        conditions.append("posts.status IS NULL")  # no check made yet
    elif filters.status is not None:
        conditions.append("posts.status = ?")
        params.append(filters.status)
    if filters.article is not None:
        marks = ", ".join("?" * len(filters.article_keys))
        # Held at the address, or captured at it (a held article whose address redirected to its new one).
        at = urls.as_captured(filters.article_keys)
        conditions.append(
            f"posts.id IN (SELECT c.post FROM citations c JOIN articles a ON a.id = c.article_id WHERE a.url_key IN ({marks})"
            f" OR a.id IN (SELECT k.article_id FROM {dialect.article_captures} WHERE k.post IS NULL"
            f" AND k.url IN ({', '.join('?' * len(at))})))"
        )
        params.extend([*filters.article_keys, *at])
    if filters.captured_from is not None:
        conditions.append("posts.id IN (SELECT post FROM captures WHERE captured_at >= ?)")
        params.append(filters.captured_from)
    if filters.text is not None:
        condition, text_params = search.text_condition(filters.text, dialect=dialect, probe=probe_text)
        conditions.append(condition)
        params.extend(text_params)
    return (" WHERE " + " AND ".join(conditions)) if conditions else "", params


T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _grouped(index: Index, sql: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Rows of `sql` (which selects post_key and has one `{marks}` placeholder) grouped by post_key."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(keys):
        marks = ", ".join("?" for _ in chunk)
        for row in index.db.query(sql.format(marks=marks), list(chunk)):
            grouped[row.pop("post_key")].append(row)
    return grouped


def _attach(index: Index, rows: list[dict[str, Any]], *, detailed: bool, check_captures: bool = False) -> list[PostRow]:
    """The posts of `rows` with their articles, captures and history. Its reads check one another
    (`_check_read_whole`): the caller runs them, and the read of `rows`, in one snapshot
    (`index.db.reading()`), else a capture and its records committed between two of them would
    read as damage."""
    keys = [row["key"] for row in rows]
    article_cols = "a.url, c.kind, c.evidence, c.dropped_at" + (", a.title, c.first_seen" if detailed else "")
    # The article a citation names is looked up by its row id, which SQLite answers from a damaged
    # page of the articles table as "no such row": a left join shows that, where a join would drop
    # the citation and the post would read as cited by no article. A citation's article is never
    # removed while it stands (the schema's reference), so a citation without one is damage.
    articles = _grouped(
        index,
        f"SELECT p.key AS post_key, c.article_id AS article_named, a.id AS article_held, {article_cols} "
        "FROM posts p JOIN citations c ON c.post = p.id LEFT JOIN articles a ON a.id = c.article_id "
        "WHERE p.key IN ({marks}) ORDER BY a.url",
        keys,
    )
    for key, cited in articles.items():
        for a in cited:
            if a.pop("article_held") is None:
                raise _damaged(index, f"post {key} is cited by article {a['article_named']}, which the index "
                                      "does not hold (a damaged page of its articles table reads as no row)")
            a.pop("article_named")
    capture_cols = "c.id, c.captured_at, c.source, c.screenshot, c.status, c.warc, c.url, c.error" + (
        ", c.screenshot_sha256, c.page_record_id" if detailed else ""
    )
    captures = _grouped(
        index,
        f"SELECT p.key AS post_key, {capture_cols} FROM captures c JOIN posts p ON p.id = c.post "
        "WHERE p.key IN ({marks}) ORDER BY c.captured_at, c.id",
        keys,
    )
    # The detail is read for lookup too: the latest observation's is the post's `reason`.
    history = _grouped(
        index,
        "SELECT p.key AS post_key, o.checked_at, o.status, o.detail FROM observations o "
        "JOIN posts p ON p.id = o.post WHERE p.key IN ({marks}) ORDER BY o.checked_at, o.id",
        keys,
    )
    _check_read_whole(index, rows, captures, history, check_captures=check_captures)
    former = _grouped(
        index,
        "SELECT p.key AS post_key, f.handle, f.until FROM former_handles f JOIN posts p ON p.id = f.post "
        "WHERE p.key IN ({marks}) ORDER BY f.until IS NULL, f.until, f.handle_lc",
        keys,
    )
    media = (
        _grouped(index, "SELECT p.key AS post_key, m.url, m.path, m.sha256, m.mime FROM media m "
                 "JOIN posts p ON p.id = m.post WHERE p.key IN ({marks}) ORDER BY m.id", keys)
        if detailed else {}
    )
    citation, capture, observation = (
        (CitationDetail, CaptureDetail, ObservationDetail) if detailed else (CitationRow, CaptureRow, ObservationRow))
    result: list[PostRow] = []
    for row in rows:
        post: dict[str, Any] = {name: row[name] for name in LOOKUP_FIELDS[:11]}
        seen = history.get(row["key"], [])
        post.update(
            status=row["status"] or PENDING,  # found, no check made yet: not a blank
            links=fields.load_list(row["links"]),
            media=fields.load_list(row["media"]),
            reason=seen[-1]["detail"] if seen else None,
            articles=[citation(**a) for a in articles.get(row["key"], [])],
            captures=[capture(**_copied(c if detailed else _without_id(c), keep_url=detailed))
                      for c in captures.get(row["key"], [])],
            history=[observation(**(h if detailed else {k: v for k, v in h.items() if k != "detail"})) for h in seen],
            former_handles=[FormerHandle(**f) for f in former.get(row["key"], [])],
        )
        if detailed:
            result.append(PostDetail(
                **post, data=fields.load_dict(row["data"]), first_seen=row["first_seen"],
                last_checked=row["last_checked"], media_files=[MediaRow(**m) for m in media.get(row["key"], [])]))
        else:
            result.append(PostRow(**post))
    return result


def _without_id(capture: dict[str, Any]) -> dict[str, Any]:
    capture.pop("id")
    return capture


# For each post, a capture one of its records names (the lowest id): read off the records' partial
# index by post (schema version 11) alone, no record's row.
CAPTURE_PROBE = ("SELECT p.id, (SELECT r.capture_id FROM records r WHERE r.post = p.id AND r.capture_id IS NOT NULL "
                 "ORDER BY r.capture_id LIMIT 1) AS named FROM posts p WHERE p.id IN ({marks})")


def _check_read_whole(index: Index, rows: list[dict[str, Any]], captures: dict[str, list[dict[str, Any]]],
                      history: dict[str, list[dict[str, Any]]], *, check_captures: bool) -> None:
    """IndexDamaged when the posts' captures or checks, read through the indexes of those tables by
    post, leave out rows the index holds by other paths. SQLite reads a damaged page of such an index
    as holding no rows (where a damaged page of a table fails the read), so that a post would show
    no captures, or a history without its latest check, with nothing said.

    Facts read by other paths, at a cost that follows the posts read, not the archive:
    - a post's `last_checked` is the time of an observation of it (`observe` writes both in one
      transaction; a merge moves the observations with the later time): its history, read here,
      holds a check at that time;
    - a WARC record of a post that names a capture names one of that post's captures
      (`add_capture` and `add_records` in one transaction; a merge moves both; a reindex sets
      both from the same journal entry), and captures are never removed: for each post the lowest
      capture id its records name is read (`CAPTURE_PROBE`: one probe a post of the records'
      partial index by post, no record's row) and that capture must be among those read, its row
      read by id otherwise.

    Only with `check_captures` (`lookup` and `show` ask for it): an export or a report runs the
    quick check of the tables it reads first, and `verify` compares the index with its journal
    (reading every post a page at a time, where a check of each page would warn on each).

    Neither sees every loss: a post captured with no record written (a capture that failed before
    any request) or never checked holds no such fact, and a damaged page holding only some of a
    post's captures or checks goes unseen when it holds neither its latest check nor the capture of
    the lowest-numbered capture its records name. On a contradiction the quick check of that table names the damaged page.
    """
    if not check_captures:
        return
    ids = {int(row["id"]): str(row["key"]) for row in rows}
    unseen = [(row["key"], row["last_checked"]) for row in rows if row["last_checked"] is not None
              and not any(h["checked_at"] == row["last_checked"] for h in history.get(row["key"], ()))]
    if unseen:
        key, when = unseen[0]
        more = f" (and {len(unseen) - 1} other post(s) likewise)" if len(unseen) > 1 else ""
        _contradiction(index, "observations", f"post {key} was last checked at {when}, and the index reads no check "
                       f"of it at that time{more}", "a damaged page of its checks' index reads as no rows", certain=False)
    named: dict[int, str] = {}
    for chunk in chunks(list(ids)):
        marks = ", ".join("?" for _ in chunk)
        for probe in index.db.query(CAPTURE_PROBE.format(marks=marks), list(chunk)):
            key = ids[int(probe["id"])]
            if probe["named"] is not None and all(c["id"] != probe["named"] for c in captures.get(key, ())):
                named[int(probe["named"])] = key
    if not named:
        return
    held: dict[int, Any] = {}
    for chunk in chunks(list(named)):
        marks = ", ".join("?" for _ in chunk)
        held.update((int(c["id"]), c["post"]) for c in
                    index.db.query(f"SELECT id, post FROM captures WHERE id IN ({marks})", list(chunk)))
    keys = {key: post for post, key in ids.items()}
    for capture_id, key in named.items():
        if capture_id not in held:
            _contradiction(index, "captures", f"post {key}'s WARC records name its capture {capture_id}, which the "
                           "index does not hold", "a damaged page of its captures table reads as no row")
        elif held[capture_id] == keys[key]:
            _contradiction(index, "captures", f"post {key} reads as without its capture {capture_id}, which the index "
                           "holds", "a damaged page of its captures' index reads as no rows")
        # A capture of another post named by this post's record: no damage this check can name.


# How long a table's quick check found sound answers for it, for a contradiction that is not
# certain damage: a long-lived process (a cluster worker) checks again after that.
_SOUND_FOR_S = 600.0


def _contradiction(index: Index, table: str, what: str, why: str, *, certain: bool = True) -> None:
    """Raise the damage `what` (`why`: how damage leads to it) found in what a query read, naming the
    damaged page when the quick check of `table` finds it (run only here, on a contradiction: its
    cost follows the table). When the check finds none and the contradiction is not `certain` (an
    index rebuilt from a journal missing some of its entries can hold it), say so and go on; such a
    contradiction runs the quick check of a table of that index at most once in `_SOUND_FOR_S`."""
    import time

    check = getattr(index, "quick_check", None)
    sound: dict[str, float] = index.__dict__.setdefault("_tables_found_sound", {})  # (this index object's)
    now = time.monotonic()
    if not certain and now - sound.get(table, -_SOUND_FOR_S) < _SOUND_FOR_S:
        found: list[str] = []  # checked a moment ago: a table's check costs as much as the table
    else:
        found = check((table,)) if check is not None else []
        if not found:
            sound[table] = now
    if found:
        shown = "; ".join(found[:3]) + ("; …" if len(found) > 3 else "")
        raise _damaged(index, f"the database's own check fails: {shown} ({what}: {why})")
    if certain:
        raise _damaged(index, f"{what} ({why})")
    log.warning("%s; the database's own check of its %s finds no damage: `archiver verify` compares the index "
                "with the journal its WARCs hold", what, table)


def _damaged(index: Index, reason: str) -> Exception:
    """The error naming damage found in what a query read: the archive's file, or the database."""
    from archiver.index.sqlite.damage import damaged

    return damaged(getattr(index, "path", None) or getattr(index, "name", None), reason)


def lookup_sql(filters: Filters, *, limit: int | None = None, offset: int = 0,
               dialect: Dialect = SQLITE, plan: str = "sort", former: bool = False) -> tuple[str, list[Any]]:
    """The SELECT of `lookup` and its parameters (what EXPLAIN QUERY PLAN is checked on);
    `plan`: how the text filter is applied, SORT, WALK or ORDERED (see `text_plan()`); `former`:
    whether the handle filter also matches former handles (`has_former_handle`)."""
    if plan == ORDERED:
        return _ordered_text_sql(filters, limit=limit, offset=offset)
    where, params = _where(filters, dialect, plan == WALK, former)
    # With a time bound every match has a known time: the same order without its constant first
    # term, which SQLite needs dropped to take a range of the index as already sorted.
    dated = filters.posted_from is not None or filters.posted_to is not None
    sql = f"SELECT posts.* FROM posts{where} ORDER BY {ORDER_DATED if dated else ORDER}"
    if limit is not None or offset:
        sql += " LIMIT ? OFFSET ?"
        params += [dialect.no_limit if limit is None else limit, offset]
    return sql, params


def _ordered_text_sql(filters: Filters, *, limit: int | None, offset: int) -> tuple[str, list[Any]]:
    """SQLite, a page of a text search and nothing else: the first offset + limit matches off the
    full-text index in its own order (by hour, `search.fts5_rowid`), every match of the last of
    their hours besides, and those sorted exactly. Every match of an earlier hour is among the
    first ones; every later hour follows the page; so the page is the one the full sort gives."""
    whole = search.fts5_query(filters.text or "")
    if whole is None or limit is None or not replace(filters, text=None).selects_all:
        raise ValueError("ORDERED takes a page of a text search the full-text index answers alone, without other filters")
    bits, mask = search.FTS_ID_BITS, search.FTS_ID_MASK
    sql = (
        f"WITH first (n) AS (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid LIMIT ?), "
        f"edge (hour) AS (SELECT (max(n) >> {bits}) << {bits} FROM first) "
        f"SELECT posts.* FROM posts WHERE posts.id IN ("
        f"SELECT n & {mask} FROM first WHERE n < (SELECT hour FROM edge) UNION ALL "
        f"SELECT rowid & {mask} FROM posts_fts WHERE posts_fts MATCH ? "
        f"AND rowid >= (SELECT hour FROM edge) AND rowid <= (SELECT hour | {mask} FROM edge)) "
        f"ORDER BY {ORDER} LIMIT ? OFFSET ?"
    )
    # A page reaching past SQLite's largest integer reads every match.
    return sql, [whole[0], min(offset + limit, _SQLITE_MAX), whole[0], limit, offset]


def lookup(index: Index, filters: Filters, *, limit: int | None = None, offset: int = 0,
           check_captures: bool = False) -> list[PostRow]:
    """Posts matching every filter, ordered by posted_at (unknown last), then key; at most `limit` of
    them (None: all) after skipping the first `offset`. A handle matches the posts held under it and
    those whose author had it before (`former_handles`), each with the handle it has now. With `check_captures`, each post's captures
    and checks are checked against what the index holds by other paths (`_check_read_whole`)."""
    if limit is not None and limit < 0 or offset < 0:
        raise ValueError(f"limit and offset must not be negative, got {limit}, {offset}")
    with index.db.reading():  # the posts and all `_attach` reads of them: one snapshot
        sql, params = lookup_sql(filters, limit=limit, offset=offset, dialect=index.dialect,
                                 plan=text_plan(index, filters, limit=limit, offset=offset),
                                 former=has_former_handle(index, filters))
        rows = list(index.db.query(sql, params))
        return _attach(index, rows, detailed=False, check_captures=check_captures)


def posts_after(index: Index, key: str | None, limit: int) -> list[PostRow]:
    """At most `limit` posts whose key sorts after `key` (None: from the first), in key order: a
    page read off the unique index of keys from where the last one ended."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    after, params = ("", [limit]) if key is None else (" WHERE key > ?", [key, limit])
    with index.db.reading():
        rows = list(index.db.query(f"SELECT posts.* FROM posts{after} ORDER BY key LIMIT ?", params))
        return _attach(index, rows, detailed=False)


def post_media(index: Index, post_keys: Sequence[str]) -> dict[str, list[MediaRow]]:
    """The media files of the posts, by post key, each post's in the order they were recorded."""
    grouped = _grouped(index, "SELECT p.key AS post_key, m.url, m.path, m.sha256, m.mime FROM media m "
                       "JOIN posts p ON p.id = m.post WHERE p.key IN ({marks}) ORDER BY m.id", post_keys)
    return {key: [MediaRow(**m) for m in rows] for key, rows in grouped.items()}


def post_captures_of(index: Index, post_keys: Sequence[str]) -> dict[str, list[CaptureDetail]]:
    """The captures of the posts, by post key, each post's oldest first, with every field."""
    grouped = _grouped(index, "SELECT p.key AS post_key, c.captured_at, c.source, c.screenshot, c.status, c.warc, "
                       "c.id, c.url, c.error, c.screenshot_sha256, c.page_record_id FROM captures c "
                       "JOIN posts p ON p.id = c.post WHERE p.key IN ({marks}) ORDER BY c.captured_at, c.id", post_keys)
    return {key: [CaptureDetail(**_copied(c, keep_url=True)) for c in rows] for key, rows in grouped.items()}


def articles_after(index: Index, url: str | None, limit: int) -> list[ArticleRow]:
    """At most `limit` articles whose URL sorts after `url` (None: from the first), in URL order."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    after, params = ("", [limit]) if url is None else (" WHERE url > ?", [url, limit])
    return [ArticleRow(**row) for row in index.db.query(
        f"SELECT url, source, title, first_seen, last_captured, status FROM articles{after} ORDER BY url LIMIT ?",
        params)]


def article_captures_after(index: Index, url: str | None, limit: int) -> list[tuple[str, list[CaptureDetail]]]:
    """At most `limit` articles captured at least once, whose URL sorts after `url` (None: from the
    first), in URL order, each with its own captures (not its posts'), oldest first."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    after, params = ("", [limit]) if url is None else ("a.url > ? AND ", [url, limit])
    articles = [(int(row["id"]), str(row["url"])) for row in index.db.query(
        f"SELECT a.id, a.url FROM articles a WHERE {after}"
        "EXISTS (SELECT 1 FROM captures c WHERE c.article_id = a.id AND c.post IS NULL) ORDER BY a.url LIMIT ?",
        params)]
    captures = _own_captures(index, [article_id for article_id, _url in articles])
    return [(article_url, captures[article_id]) for article_id, article_url in articles]


def articles_keyed(index: Index, url_keys: Sequence[str]) -> list[tuple[ArticleRow, list[CaptureDetail]]]:
    """The articles whose `url_key` is one of `url_keys` (`urls.article_keys`: the spellings an
    `--article` stands for), in URL order, each with its own captures (not its posts'), oldest
    first; read through the index of url_key, not a walk of every article."""
    found: list[tuple[int, ArticleRow]] = []
    for chunk in chunks(list(dict.fromkeys(url_keys))):
        marks = ", ".join("?" for _ in chunk)
        for row in index.db.query("SELECT id, url, source, title, first_seen, last_captured, status FROM articles "
                                  f"WHERE url_key IN ({marks})", list(chunk)):
            found.append((int(row.pop("id")), ArticleRow(**row)))
    captures = _own_captures(index, [article_id for article_id, _row in found])
    return [(row, captures[article_id]) for article_id, row in sorted(found, key=lambda f: f[1].url)]


def _own_captures(index: Index, article_ids: Sequence[int]) -> dict[int, list[CaptureDetail]]:
    """The articles' own captures (not their posts'), by article id, oldest first."""
    captures: dict[int, list[CaptureDetail]] = defaultdict(list)
    for chunk in chunks(article_ids):
        marks = ", ".join("?" for _ in chunk)
        for row in index.db.query(_ARTICLE_CAPTURES.format(where=f"c.article_id IN ({marks})"), list(chunk)):
            captures[row.pop("article_id")].append(CaptureDetail(**row))
    return captures


_ARTICLE_CAPTURES = (
    "SELECT c.article_id, c.captured_at, c.source, c.screenshot, c.status, c.warc, c.id, c.url, c.error, "
    "c.screenshot_sha256, c.page_record_id FROM captures c WHERE c.post IS NULL AND {where} ORDER BY c.captured_at, c.id")


def article_captures(index: Index, url: str) -> list[CaptureDetail]:
    """The article's own captures (not its posts'), oldest first; none when it is not held."""
    rows = index.db.query(_ARTICLE_CAPTURES.format(where="c.article_id = (SELECT id FROM articles WHERE url = ?)"),
                          [url])
    return [CaptureDetail(**{name: value for name, value in row.items() if name != "article_id"}) for row in rows]


def aliases_after(index: Index, key: str | None, limit: int) -> list[KeyAlias]:
    """At most `limit` key aliases whose old key sorts after `key` (None: from the first), in that order."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    after, params = ("", [limit]) if key is None else (" WHERE old_key > ?", [key, limit])
    return [KeyAlias(**row) for row in index.db.query(
        f"SELECT old_key, new_key, merged_at FROM key_aliases{after} ORDER BY old_key LIMIT ?", params)]


# Asking SQLite's full-text index whether one post matches costs some 20 times what fetching one
# match for the sort does (at a million posts: 15 us against 0.7 us a post).
_PROBE_COST = 20
SORT, WALK, ORDERED = "sort", "walk", "ordered"


# How many posts, the first in lookup order, a query's matches among estimate its share of them.
_SAMPLE = 20_000


def _estimate(index: Index, expression: str, posts: int) -> int:
    """About how many posts match `expression`, from its matches among the first `_SAMPLE` posts in
    lookup order (the full-text rows up to the `_SAMPLE`th post's): counting them all costs as much
    as listing them (some 25 ms at a million posts for three common words together), and the
    estimate only chooses a plan, never what is found."""
    count = "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?"
    if posts <= _SAMPLE:
        return int(index.db.execute(count, [expression]).fetchone()[0])
    edge = index.db.execute(f"SELECT {search.fts5_rowid('posts')} FROM posts INDEXED BY posts_order "
                            f"ORDER BY {ORDER} LIMIT 1 OFFSET ?", [_SAMPLE - 1]).fetchone()
    if edge is None:
        return 0
    found = int(index.db.execute(count + " AND rowid <= ?", [expression, edge[0]]).fetchone()[0])
    return found * posts // _SAMPLE


def text_plan(index: Index, filters: Filters, *, limit: int | None, offset: int = 0) -> str:
    """How a page of a `--text` lookup is found soonest: ORDERED (read the matches off the full-text
    index in its own order, which is the lookup order by the hour, and stop after the page), SORT
    (fetch every match and sort them) or WALK (walk the posts in lookup order, asking the full-text
    index about each).

    ORDERED whenever the text is the only filter: its page costs about offset + limit entries of
    the index's lists and the rest of the last hour's, however many posts match (three common
    words together, 3% of a million posts: about 1 ms, against some 60 ms sorted); a page that
    reaches the posts of unknown time, which share one hour, reads all of their matches, about
    what sorting them costs. With other filters as well, the matches in order
    may fail them for long, so SORT or WALK: fetching costs one read per match, a walk about
    (offset + limit) x posts / matches steps of `_PROBE_COST` reads a term. A word most posts hold
    is walked; a rare word is sorted. SQLite only (PostgreSQL tests a post's text without a
    subquery, and plans by itself), only for a page (without a limit every match is read anyway).
    """
    if filters.text is None or limit is None or index.dialect is not SQLITE:
        return SORT
    whole = search.fts5_query(filters.text)
    if whole is None:
        return SORT  # some term is matched as a substring: every post is read either way
    if replace(filters, text=None).selects_all:
        return ORDERED
    expression, groups = whole
    terms = [term for group in groups for term in group]
    if any(term.prefix for term in terms):
        # A prefix stands for every word it starts: asking about one post searches each of their
        # lists (`w1*` at a million posts: some 10 ms a post).
        return SORT
    posts = index.db.execute("SELECT max(id) FROM posts").fetchone()[0] or 0
    # A walk wins once matches^2 > (offset + limit) x posts x its step's cost: count the matches
    # up to there by each term's own list (an upper bound, and cheap to read), then, when several
    # terms combine, estimate the whole query's.
    page = offset + limit
    enough = math.isqrt(page * posts * _PROBE_COST * len(terms)) + 1

    def count(fts: str) -> int:
        return int(index.db.execute("SELECT count(*) FROM (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? LIMIT ?)",
                                    [fts, enough]).fetchone()[0])

    bound = 0
    for group in groups:
        bound += min(count(search.fts_expression(term)) for term in group)
        if bound >= enough:
            break
    if bound < enough:
        return SORT
    matches = bound if len(terms) == 1 else _estimate(index, expression, posts)
    return WALK if matches >= enough else SORT


# A host name with a dot, then a path: a URL without its scheme (a key such as `twitter:1` has none).
_SCHEMELESS_URL = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/\S*")


def _copied(capture: dict[str, Any], *, keep_url: bool) -> dict[str, Any]:
    """A capture row with `copied_at`: the Wayback snapshot's time its URL names, for a Wayback capture."""
    url = capture["url"] if keep_url else capture.pop("url")
    if capture["source"] == "wayback" and url:
        from archiver.capture.wayback import copy_time

        capture["copied_at"] = copy_time(url)
    return capture


_OTHER_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _candidate_keys(index: Index, ident: str) -> list[str]:
    """Keys the identifier may name, best guess first."""
    ident = ident.strip()
    if len(ident) > 2 and ident[0] + ident[-1] in ("<>", "‹›", "«»"):
        ident = ident[1:-1].strip()  # an address as mail and Markdown wrap it: `<https://x.com/…>`
    if not ident:
        return []
    exact = index.db.query("SELECT key FROM posts WHERE key = ? OR url = ? ORDER BY key", [ident, ident])
    keys = [row["key"] for row in exact]
    if keys:
        return keys
    if "web.archive.org/web/" in ident.lower():
        # A Wayback Machine copy of a post's page (as `show` lists a copy the archive holds): the post
        # of the address it copied.
        from archiver.capture.wayback import WEB_URL_RE

        copied = WEB_URL_RE.match(ident if ident[:6].lower().startswith(("http:", "https:", "//")) else f"//{ident}")
        if copied is not None:
            return _candidate_keys(index, copied.group(2))
    aliased = index.alias_of(ident)  # a key a post had before it was merged into another (`twitter:h:...`)
    if aliased is not None:
        return [aliased]
    name, colon, rest = ident.partition(":")
    hashed = rest[:2].lower() == "h:"
    if colon and (name != name.lower() or (hashed and rest != rest.lower())) and name.lower() in _platform_names():
        # `TWITTER:1764…`, `twitter:H:1BA7…` as typed: platform names are lower case, and so are a
        # hash key's hex digits.
        return _candidate_keys(index, f"{name.lower()}:{rest.lower() if hashed else rest}")
    if colon and rest != rest.lower() and name in _case_free_platforms():
        # `telegram:HarbourNews/101` as a page spelt it: such platforms' keys are lower-case.
        folded = f"{name}:{rest.lower()}"
        if index.db.execute("SELECT 1 FROM posts WHERE key = ?", [folded]).fetchone():
            return [folded]
    if colon and "/" in rest and name in _hosted_platforms():
        # `mastodon:Mastodon.Social/1120...`: a server's name is read in any case.
        server, _, number = rest.partition("/")
        if server != server.lower():
            folded = f"{name}:{server.lower()}/{number}"
            if index.db.execute("SELECT 1 FROM posts WHERE key = ?", [folded]).fetchone():
                return [folded]
    if "/" in ident:
        # An ID with a slash, as lookup prints it (`mastodon.social/1120...`, `harbournews/102`):
        # itself before anything read into it (it also looks like a URL without its scheme).
        keys = _keys_with_post_id(index, [ident])
        if keys:
            return keys
    if _SCHEMELESS_URL.fullmatch(ident):
        ident = f"https://{ident}"  # as copied from a browser's address bar: x.com/user/status/1
    if re.fullmatch(r"(?i:https?)://\S+", ident):
        # Imported here: the registry is heavy, and only URLs need its knowledge of post URLs.
        from archiver.platforms import match_embed_src, match_url, shortener_for
        from archiver.platforms.base import host_lowered

        ident = host_lowered(ident)  # `HTTPS://VM.TIKTOK.COM/...`: hosts are read in lower case

        shortener = shortener_for(ident)
        if shortener is not None:  # a short link (t.co/CODE): its code is no post's ID
            return _short_link_keys(index, shortener, ident)
        matched = match_url(ident) or match_embed_src(ident)
        if matched is not None:
            key = f"{matched[0].name}:{matched[1].post_id}"
            if index.db.execute("SELECT 1 FROM posts WHERE key = ?", [key]).fetchone():
                return [key]
        # Otherwise the ID is one of the URL's path segments (shortcode, numeric ID, rkey), of a post
        # of the platform whose host it is: a page of no platform's (`news.example/2024/102`) names
        # no post by a number in its path, nor does one platform's address another's post.
        from archiver.platforms import platform_for_host
        from archiver.platforms.base import host_of

        owner = platform_for_host(host_of(ident))
        if owner is None:
            return []
        segments = [s for s in urlsplit(ident).path.split("/") if s]
        return _keys_with_post_id(index, list(reversed(segments)), platform=owner.name)
    if _OTHER_SCHEME.match(ident):
        # A post's address in a platform's own scheme (Bluesky's `at://DID/app.bsky.feed.post/RKEY`,
        # which its embeds carry).
        from archiver.platforms import REGISTRY

        for platform in REGISTRY:
            named = platform.parse_url(ident)
            if named is not None:
                key = f"{platform.name}:{named.post_id}"
                return [key] if index.db.execute("SELECT 1 FROM posts WHERE key = ?", [key]).fetchone() else []
        return []
    if ":h:" in ident and len(ident.partition(":h:")[2]) >= 8:
        # An abbreviated hash key, as people copy them from tables.
        pattern = ident.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = index.db.query(f"SELECT key FROM posts WHERE key {index.dialect.like} ? ESCAPE '\\' ORDER BY key LIMIT 2",
                              [pattern])
        found = [row["key"] for row in rows]
        if not found:
            # The key, abbreviated, of a post known by its text before a run learnt its ID (as
            # `scan` printed it): the post it became.
            rows = index.db.query(f"SELECT DISTINCT new_key FROM key_aliases WHERE old_key {index.dialect.like} ? "
                                  "ESCAPE '\\' ORDER BY new_key LIMIT 2", [pattern])
            found = [row["new_key"] for row in rows]
        return found if len(found) == 1 else []
    keys = _keys_with_post_id(index, [ident.lstrip("@")])
    return keys or (_on_one_server(index, ident) if ident.isdigit() else [])


def _on_one_server(index: Index, number: str) -> list[str]:
    """The post whose ID is `number` on the one server that holds it, for platforms whose IDs are
    their server's (Mastodon's `mastodon.social/1120...`, a bare ID as a post's page shows it);
    nothing when no server, or several, hold such an ID (which server's, only its address says)."""
    from archiver.platforms import REGISTRY

    scoped = [p.name for p in REGISTRY if p.any_host is not None]
    if not scoped:
        return []
    marks = ", ".join("?" for _ in scoped)
    rows = index.db.query(f"SELECT key FROM posts WHERE platform IN ({marks}) AND post_id {index.dialect.like} ? "
                          "ORDER BY key LIMIT 2", [*scoped, f"%/{number}"])
    found = [row["key"] for row in rows]
    return found if len(found) == 1 else []


def _short_link_keys(index: Index, platform: Platform, link: str) -> list[str]:
    """Keys of the post a platform's short link stands for, as a run left them: the post it was
    followed to (the alias recorded when its key became the post's ID key), else the post known by
    that link alone (not followed yet). Nothing is fetched."""
    assert platform.shortlinks is not None
    shortlinks = platform.shortlinks
    code = shortlinks.code(link)
    if code is None:
        return []
    key = shortlinks.post(link, link, "address").key
    aliased = [row["new_key"] for row in index.db.query("SELECT new_key FROM key_aliases WHERE old_key = ?", [key])]
    if aliased or index.db.execute("SELECT 1 FROM posts WHERE key = ?", [key]).fetchone():
        return [*aliased, key]
    # Not followed, and no post known by the link alone: a post that carries it (a flattened
    # tweet's photo link, its text read by the text index), not yet resolved to the post it names.
    from archiver.index.filters import Filters

    return [row.key for row in lookup(index, Filters(text=f'"{code}"'))
            if any(shortlinks.code(other) == code and shortlinks.post(other, other, "address").key == key
                   for other in (*row.media, *row.links))]


def article_led_to(index: Index, link: str) -> str | None:
    """The URL of the article a platform's short link (`https://t.co/CODE`) led to when a run was
    given that link as its source, in any spelling of the link's code; the latest article when
    several; None when no run followed it to an article. Nothing is fetched.

    Found by the article's `source` (the link, while it is the latest source naming the article),
    else by the link's own exchange, recorded with the article's capture (a later run given the
    article's own address names the article by that instead)."""
    from archiver.platforms import shortener_for

    platform = shortener_for(link)
    if platform is None or platform.shortlinks is None or (code := platform.shortlinks.code(link)) is None:
        return None
    shortlinks = platform.shortlinks
    key = shortlinks.post(link, link, "address").key
    pattern = "%" + code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def same_link(other: str) -> bool:
        return (shortener_for(other) is platform and shortlinks.code(other) is not None
                and shortlinks.post(other, other, "address").key == key)

    rows = index.db.query(f"SELECT url, source FROM articles WHERE source {index.dialect.like} ? ESCAPE '\\' "
                          "ORDER BY first_seen DESC, id DESC", [pattern])
    for row in rows:
        if same_link(row["source"]):
            return str(row["url"])
    if index.destination_of(key) is not None:
        return None  # followed from an article's text to a page that is no post: not a source given
    # The link's own exchange, recorded with the article it led to: a redirect (a link read in an
    # article and not followed is recorded under that article too, answered otherwise).
    rows = index.db.query("SELECT a.url, r.target_uri FROM records r JOIN articles a ON a.id = r.article_id "
                          f"WHERE r.target_uri {index.dialect.like} ? ESCAPE '\\' AND r.warc_type = 'response' "
                          "AND r.status BETWEEN 300 AND 399 ORDER BY r.date DESC", [pattern])
    for row in rows:
        if same_link(row["target_uri"]):
            return str(row["url"])
    return None


def link_led_to(index: Index, link: str) -> tuple[str, str] | None:
    """(where it led, when it was followed) for a platform's short link, in any spelling of its
    code, that a run followed to a page that is no post (`ArchiveIndex.note_destination`); None
    otherwise. Nothing is fetched."""
    from archiver.platforms import shortener_for

    platform = shortener_for(link)
    if platform is None or platform.shortlinks is None or platform.shortlinks.code(link) is None:
        return None
    return index.destination_of(platform.shortlinks.post(link, link, "address").key)


def _first_platform() -> str:
    from archiver.platforms import REGISTRY

    return REGISTRY[0].name


def _platform_names() -> list[str]:
    from archiver.platforms import REGISTRY

    return [p.name for p in REGISTRY]


def _hosted_platforms() -> list[str]:
    """The platforms whose posts' IDs start with their server's name (posts on any host: Mastodon)."""
    from archiver.platforms import REGISTRY

    return [p.name for p in REGISTRY if p.any_host is not None]


def _case_free_platforms() -> list[str]:
    from archiver.platforms import REGISTRY

    return [p.name for p in REGISTRY if p.case_free_ids]


def _keys_with_post_id(index: Index, candidates: list[str], *, platform: str | None = None) -> list[str]:
    """The keys of the posts whose ID is the first of `candidates` any post has (of `platform`'s
    posts only, when it is given)."""
    for candidate in candidates:
        rows = index.db.query(
            # A bare ID that several platforms hold names the first platform's post (the registry's order).
            "SELECT key FROM posts WHERE post_id = ? ORDER BY platform != ?, key", [candidate, _first_platform()]
        ) if platform is None else index.db.query(
            "SELECT key FROM posts WHERE post_id = ? AND platform = ? ORDER BY key", [candidate, platform])
        keys = [row["key"] for row in rows]
        if platform is not None and platform not in _case_free_platforms():
            free: list[str] = []
        else:
            free = [p for p in _case_free_platforms() if platform is None or p == platform]
        if not keys and candidate != candidate.lower() and free:
            # `Durov/43` as a page wrote it: the platforms that read IDs in any case keep them lower-case.
            marks = ", ".join("?" for _ in free)
            rows = index.db.query(f"SELECT key FROM posts WHERE post_id = ? AND platform IN ({marks}) ORDER BY key",
                                  [candidate.lower(), *free])
            keys = [row["key"] for row in rows]
        if keys:
            return keys
    return []


def show(index: Index, ident: str) -> PostDetail | None:
    """One post by key, URL (any Twitter/X variant finds the ID; a short link, the post a run
    followed it to) or bare ID, with everything known."""
    for key in _candidate_keys(index, ident):
        with index.db.reading():
            rows = list(index.db.query("SELECT * FROM posts WHERE key = ?", [key]))
            if rows:
                found = _attach(index, rows, detailed=True, check_captures=True)[0]
                assert isinstance(found, PostDetail)
                return found
    return None


def handles_with_server(index: Index, name: str) -> list[str]:
    """Handles held that are `name@server`, at most five, in order: a user name on Mastodon or Truth
    Social is one person per server, so a bare name is never matched to them, only pointed at."""
    name = name.lower()
    pattern = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "@%"
    condition, params = f"handle_lc {index.dialect.like} ? ESCAPE '\\'", [pattern]
    if index.dialect is SQLITE:
        # The same posts as a stretch of the handle index ('@' sorts just before 'A'), read as such.
        condition += " AND handle_lc >= ? AND handle_lc < ?"
        params += [name + "@", name + "A"]
    rows = index.db.query(f"SELECT DISTINCT handle_lc FROM posts WHERE {condition} ORDER BY handle_lc LIMIT 5", params)
    return [row["handle_lc"] for row in rows]


def records_for(index: Index, post_keys: Sequence[str], include_articles: bool = True) -> list[RecordRow]:
    """WARC records of the posts (and of the articles citing them), plus the originals their revisit
    records refer to; ordered by file and offset."""
    keys = list(dict.fromkeys(post_keys))
    found: dict[str, RecordRow] = {}
    for chunk in chunks(keys):
        marks = ", ".join("?" for _ in chunk)
        ids = f"SELECT id FROM posts WHERE key IN ({marks})"
        _collect(index, found,
                 f"{RECORD_SELECT} WHERE r.post IN ({ids}) "
                 f"OR r.capture_id IN (SELECT id FROM captures WHERE post IN ({ids}))",
                 [*chunk, *chunk])
        if include_articles:
            _collect_articles(index, found, f"SELECT article_id FROM citations WHERE post IN ({ids})", chunk)
    return _with_originals(index, found)


def article_records(index: Index, urls: Sequence[str]) -> list[RecordRow]:
    """WARC records of the articles at `urls` themselves (not of their posts), plus the originals
    their revisit records refer to; ordered by file and offset. The same records `records_for`
    takes for the articles citing its posts."""
    found: dict[str, RecordRow] = {}
    for chunk in chunks(list(dict.fromkeys(urls))):
        marks = ", ".join("?" for _ in chunk)
        _collect_articles(index, found, f"SELECT id FROM articles WHERE url IN ({marks})", chunk)
    return _with_originals(index, found)


def _collect(index: Index, found: dict[str, RecordRow], sql: str, params: Sequence[Any]) -> None:
    for row in index.db.query(sql, list(params)):
        if row["record_id"] not in found:
            found[row["record_id"]] = record_row(row)


def _collect_articles(index: Index, found: dict[str, RecordRow], articles: str, params: Sequence[Any]) -> None:
    """Add to `found` the records of the articles `articles` (a SELECT of their ids) selects."""
    # Only the articles' own records: records of other posts captured from the same article
    # belong to those posts (an export by handle holds no other handle's posts).
    _collect(index, found,
             f"{RECORD_SELECT} WHERE r.post IS NULL AND (r.article_id IN ({articles}) "
             f"OR r.capture_id IN (SELECT id FROM captures WHERE post IS NULL AND article_id IN ({articles})))",
             [*params, *params])


def _with_originals(index: Index, found: dict[str, RecordRow]) -> list[RecordRow]:
    """The records of `found` with the originals their revisit records refer to, by file and offset."""
    for record in list(found.values()):
        if record.warc_type != "revisit":
            continue
        original = _revisit_original(index, record)
        if original is not None:
            found.setdefault(original.record_id, original)
    return sorted(found.values(), key=lambda r: (r.filename, r.offset))


def _revisit_original(index: Index, revisit: RecordRow) -> RecordRow | None:
    refers_to = revisit.extra.get("WARC-Refers-To")
    if refers_to:
        rows = list(index.db.query(f"{RECORD_SELECT} WHERE r.record_id = ?", [refers_to]))
        if rows:
            return record_row(rows[0])
    if revisit.payload_digest:
        target = revisit.extra.get("WARC-Refers-To-Target-URI", revisit.target_uri)
        rows = list(
            index.db.query(
                f"{RECORD_SELECT} WHERE r.payload_digest = ? AND r.warc_type IN ('response', 'resource') "
                "ORDER BY r.target_uri != ?, r.date LIMIT 1",
                [revisit.payload_digest, target],
            )
        )
        if rows:
            return record_row(rows[0])
    return None
