"""Lookups that do not grow with the archive: SQLite's own query plan for every filter reads an index
(never the whole posts table), broad filters hand their first page over without sorting, the
redundant bound on dates keeps the same rows, and --limit/--offset pages follow the full order."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archiver.index.filters import Filters
from archiver.index.sql.query import lookup_sql
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.models import Post
from archiver.times import posted_bounds
from tests.index_backends import BACKENDS, open_test_index

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "https://news.example/floods.html"

# One filter of each kind lookup offers (the selective and the broad ones alike).
FILTERS: dict[str, dict[str, str]] = {
    "handle": {"handle": "@River2"},
    "handle on a server": {"handle": "river2@truthsocial.com"},  # also the bare name on Truth Social
    "date": {"date": "2023-05-06"},
    "since": {"since": "2024-11-30"},
    "until": {"until": "2021-01-02T10:00Z"},
    "range": {"since": "2022-02-01", "until": "2022-02-03T12:00:00Z"},
    "text": {"text": "sandbags"},
    "text prefix or": {"text": 'sand* OR "old bridge"'},
    "status": {"status": "deleted"},
    "status pending": {"status": "pending"},  # no check made yet: `status IS NULL`
    "platform": {"platform": "twitter"},
    "article": {"article": ARTICLE},
    "captured since": {"captured_since": "2024-01-01"},
    "handle and platform": {"handle": "river3", "platform": "twitter"},
    "platform and range": {"platform": "youtube", "since": "2022-01-01", "until": "2022-12-31"},
    "status and since": {"status": "live", "since": "2024-01-01"},
}
# Filters that can match most of an archive: their first page must come off an index in order.
BROAD = ("handle", "date", "since", "until", "range", "status", "status pending", "platform", "handle and platform",
         "platform and range", "status and since")

WORDS = ("river", "bridge", "sandbags", "flood", "old", "quay", "rain", "road")


def _posts() -> Iterator[Post]:
    """Posts over four years, several platforms and handles, some known only to the day or not at all."""
    platforms = ("twitter", "twitter", "youtube", "instagram")
    for n in range(400):
        if n % 23 == 0:
            posted = None
        elif n % 7 == 0:
            posted = f"{2020 + n % 5}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        else:
            posted = f"{2020 + n % 5}-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"
        platform = platforms[n % 4]
        yield Post(platform=platform, kind="embedded", source="a.html", evidence="e", post_id=f"{1000 + n}",
                   url=f"https://example.com/{platform}/{n}", handle=f"River{n % 9}", posted_at=posted,
                   text=f"{WORDS[n % 8]} {WORDS[(n // 8) % 8]} number {n}")


def _fill(idx: Any) -> None:
    article = idx.upsert_article(ARTICLE)
    with idx.transaction():
        for n, post in enumerate(_posts()):
            key = idx.upsert_post(post)
            if n % 10 == 0:
                idx.cite(article, key, "embedded", "blockquote")
            idx.observe(key, "deleted" if n % 50 == 0 else "live", checked_at=f"2024-0{1 + n % 9}-01T00:00:00Z")


@pytest.fixture(scope="module")
def sqlite_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """The archive in SQLite: what EXPLAIN QUERY PLAN and the CLI are checked on."""
    with Index(tmp_path_factory.mktemp("archive")) as idx:
        _fill(idx)
        yield idx


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The same archive in each backend: the lookup semantics both must share."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_index")
        return
    with open_test_index(request, request.param, tmp_path_factory.mktemp("archive")) as idx:
        _fill(idx)
        yield idx


def _plan(index: Index, sql: str, params: list[Any]) -> list[str]:
    return [row[3] for row in index.db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


@pytest.mark.parametrize("limit", [None, 50])
@pytest.mark.parametrize("name", list(FILTERS))
def test_no_filter_reads_the_whole_posts_table(sqlite_index: Index, name: str, limit: int | None) -> None:
    sql, params = lookup_sql(Filters(**FILTERS[name]), limit=limit)
    plan = _plan(sqlite_index, sql, params)
    # "SCAN posts" (with or without an index) reads every post; "SCAN posts_fts VIRTUAL TABLE" is a
    # full-text index search, and "SEARCH posts USING ..." reads only the matching entries.
    scans = [step for step in plan if re.match(r"SCAN (posts|p)\b(?!_)", step)]
    assert not scans, f"{name}: {plan}"
    assert any(step.startswith("SEARCH posts USING") for step in plan), f"{name}: {plan}"


@pytest.mark.parametrize("limit", [None, 50])
@pytest.mark.parametrize("name", [name for name, given in FILTERS.items() if "handle" in given])
def test_a_handle_filter_reads_former_handles_off_their_index(sqlite_index: Index, name: str,
                                                              limit: int | None) -> None:
    """Once some post had the handle before its author's current one (`has_former_handle`), the
    handle filter also reads the former handles' index: still no read of every post (the matches,
    one account's posts, are sorted then)."""
    sql, params = lookup_sql(Filters(**FILTERS[name]), limit=limit, former=True)
    plan = _plan(sqlite_index, sql, params)
    assert not [step for step in plan if re.match(r"SCAN (posts|p|f)\b(?!_)", step)], f"{name}: {plan}"
    assert any(step.startswith("SEARCH posts USING") for step in plan), f"{name}: {plan}"
    assert any("former_handles_handle (handle_lc=?)" in step for step in plan), f"{name}: {plan}"


@pytest.mark.parametrize("name", BROAD)
def test_broad_filters_page_off_an_index_without_sorting(sqlite_index: Index, name: str) -> None:
    sql, params = lookup_sql(Filters(**FILTERS[name]), limit=50)
    plan = _plan(sqlite_index, sql, params)
    assert not [step for step in plan if "TEMP B-TREE" in step], f"{name}: {plan}"


def test_an_article_is_found_by_the_addresses_of_its_captures_through_their_index(sqlite_index: Index) -> None:
    """An article whose address redirected to its own new one is found by the addresses of its
    captures too: read off their index, never off every article capture (`post IS NULL` alone)."""
    sql, params = lookup_sql(Filters(**FILTERS["article"]), limit=None)
    plan = _plan(sqlite_index, sql, params)
    reads = [step for step in plan if " k " in f" {step} " or step.startswith(("SCAN k", "SEARCH k"))]
    assert reads and all("captures_article_url (url=?)" in step for step in reads), plan


def test_the_plan_check_catches_a_full_scan(sqlite_index: Index) -> None:
    """The same check on a condition no index serves (the author column) does see the scan."""
    plan = _plan(sqlite_index, "SELECT * FROM posts WHERE author = ? ORDER BY key", ["x"])
    assert [step for step in plan if re.match(r"SCAN (posts|p)\b(?!_)", step)]


def _all_rows(index: Index) -> list[dict[str, Any]]:
    return [dict(row) for row in index.db.query("SELECT key, posted_start, posted_end FROM posts")]


def _expected(rows: list[dict[str, Any]], filters: Filters) -> list[str]:
    """The posts whose [posted_start, posted_end] overlaps the filter's bounds, in lookup order."""
    chosen = [
        r for r in rows
        if r["posted_start"] is not None
        and (filters.posted_from is None or r["posted_end"] >= filters.posted_from)
        and (filters.posted_to is None or r["posted_start"] <= filters.posted_to)
    ]
    return [r["key"] for r in sorted(chosen, key=lambda r: (r["posted_start"], r["key"]))]


_days = st.dates(min_value=date(2019, 12, 25), max_value=date(2025, 1, 5))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(since=st.none() | _days, until=st.none() | _days, hour=st.none() | st.integers(0, 23))
def test_bounded_dates_keep_exactly_the_overlapping_posts(index: Index, since: Any, until: Any,
                                                          hour: int | None) -> None:
    assume(since is not None or until is not None)
    since_text = None if since is None else since.isoformat() + ("" if hour is None else f"T{hour:02d}:30Z")
    until_text = None if until is None else until.isoformat()
    try:
        filters = Filters(since=since_text, until=until_text)
    except Exception:  # an empty range is a usage error, tested elsewhere
        return
    found = [row.key for row in index.lookup(filters)]
    assert found == _expected(_all_rows(index), filters)


def test_a_bare_date_spans_less_than_the_redundant_bound() -> None:
    """The lower bound on posted_start assumes no post spans more than one day."""
    from archiver.index.sql.query import POSTED_SPAN, _earliest_start

    start, end = posted_bounds("2024-02-29")
    assert start is not None and end is not None
    assert _earliest_start(start) is not None and _earliest_start(end) <= start  # type: ignore[operator]
    assert POSTED_SPAN.days == 1
    assert _earliest_start("0001-01-01T00:00:00.000Z") is None  # no bound rather than an error


@pytest.mark.parametrize("name", ["platform", "status", "range", "handle", "text prefix or"])
def test_pages_follow_the_full_order(index: Index, name: str) -> None:
    filters = Filters(**FILTERS[name])
    everything = [row.key for row in index.lookup(filters)]
    assert everything, name
    pages: list[str] = []
    for offset in range(0, len(everything) + 7, 7):
        pages += [row.key for row in index.lookup(filters, limit=7, offset=offset)]
    assert pages == everything
    assert [row.key for row in index.lookup(filters, offset=3)] == everything[3:]
    assert index.lookup(filters, limit=0) == []


def test_no_limit_is_everything_in_the_order_of_before(index: Index) -> None:
    keys = [row.key for row in index.lookup(Filters())]
    rows = list(index.db.query("SELECT key, posted_start FROM posts"))
    assert keys == [r["key"] for r in sorted(rows, key=lambda r: (r["posted_start"] is None, r["posted_start"] or "",
                                                                   r["key"]))]
    with pytest.raises(ValueError):
        index.lookup(Filters(), limit=-1)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_cli_limit_and_offset(sqlite_index: Index) -> None:
    archive = str(sqlite_index.archive_dir)
    full = _cli("lookup", "-d", archive, "--platform", "twitter", "--format", "json")
    page = _cli("lookup", "-d", archive, "--platform", "twitter", "--limit", "5", "--offset", "10", "--format", "json")
    assert full.returncode == 0 and page.returncode == 0, page.stderr
    assert json.loads(page.stdout) == json.loads(full.stdout)[10:15]
    assert page.stderr.strip().endswith("5 post(s)")
    bad = _cli("lookup", "-d", archive, "--limit", "-3")
    assert bad.returncode == 2 and "--limit" in bad.stderr and "Traceback" not in bad.stderr


def test_a_post_known_to_the_day_matches_a_bound_inside_that_day(index: Index) -> None:
    bare = [r for r in _all_rows(index) if r["posted_start"] and r["posted_start"] != r["posted_end"]]
    assert len(bare) > 10
    for row in bare[:15]:
        day = row["posted_start"][:10]
        for filters in (Filters(since=f"{day}T23:59:59Z"), Filters(since=f"{day}T12:00Z", until=f"{day}T12:05Z"),
                        Filters(until=f"{day}T00:00Z")):
            keys = [r.key for r in index.lookup(filters)]
            assert row["key"] in keys
            assert keys == _expected(_all_rows(index), filters)


# Queries the full-text index answers alone: a word a quarter of the posts hold, two of them, an
# alternative, a phrase, a prefix, a rare word, and a word every post holds; each tested post by
# post along the lookup order, read off the full-text index in its order, and as the set of its
# matches, sorted.
TEXT_QUERIES = ("river", "river bridge", "quay OR sandbags", '"old bridge"', "river number", "7", "sand*", "number")


@pytest.mark.parametrize("query", TEXT_QUERIES)
@pytest.mark.parametrize(("limit", "offset"), [(1, 0), (5, 3), (50, 0), (7, 90), (9, 385), (0, 0)])
def test_a_text_page_is_the_same_walked_read_in_order_or_sorted(sqlite_index: Index, query: str, limit: int,
                                                                offset: int) -> None:
    pages = []
    for plan in ("sort", "walk", "ordered"):
        sql, params = lookup_sql(Filters(text=query), limit=limit, offset=offset, plan=plan)
        pages.append([row["key"] for row in sqlite_index.db.query(sql, params)])
    assert pages[0] == pages[1] == pages[2]
    assert pages[0] == [row.key for row in sqlite_index.lookup(Filters(text=query))][offset:offset + limit]


def test_the_page_at_the_end_holds_the_posts_of_unknown_time(sqlite_index: Index) -> None:
    """The last rows of a word every post holds are the posts without a time, by key, as sorted
    (they share the full-text index's last hour, whose rows are numbered past every known one)."""
    undated = sorted(row["key"] for row in sqlite_index.db.query("SELECT key FROM posts WHERE posted_start IS NULL"))
    assert len(undated) > 10
    page = [row.key for row in sqlite_index.lookup(Filters(text="number"), limit=len(undated) + 1, offset=399 - len(undated))]
    assert page[1:] == undated and page[0] not in undated


def test_a_word_most_posts_hold_is_walked_a_rare_one_sorted(sqlite_index: Index) -> None:
    """With a filter besides the text (here a platform), a page of a word a quarter of the posts
    hold comes off that filter's ordering index, stopping at the page's end, as a broad filter's
    does; a rare word's few matches are fetched and sorted; a prefix (each probe would search every
    word it starts) and a whole lookup are never walked."""
    from archiver.index.sql.query import WALK, text_plan

    def probe_text(filters: Filters, limit: int | None) -> bool:
        return text_plan(sqlite_index, filters, limit=limit) == WALK

    common, rare = Filters(text="river", platform="twitter"), Filters(text="7", platform="twitter")
    assert probe_text(common, limit=1)
    assert not probe_text(rare, limit=1)
    assert not probe_text(common, limit=None)
    assert not probe_text(Filters(text="riv*", platform="twitter"), limit=1)
    assert not probe_text(common, limit=400)  # the page is the whole archive: sorting is cheaper
    assert not probe_text(Filters(text="river 7", platform="twitter"), limit=1)  # the rare word bounds the matches
    sql, params = lookup_sql(common, limit=1, plan=WALK)
    plan = _plan(sqlite_index, sql, params)
    assert any("INDEX posts_platform_order" in s for s in plan) and not [s for s in plan if "TEMP B-TREE" in s], plan
    sql, params = lookup_sql(rare, limit=1)
    assert "LIST SUBQUERY 1" in _plan(sqlite_index, sql, params)  # its matches listed once, not asked post by post
    assert [r.key for r in sqlite_index.lookup(common, limit=5)] == [r.key for r in sqlite_index.lookup(common)][:5]


def _steps(index: Index, sql: str, params: list[Any]) -> int:
    """How many SQLite virtual machine instructions the query runs: work done, whatever the clock says."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    index.db.conn.set_progress_handler(count, 1)
    try:
        index.db.execute(sql, params).fetchall()
    finally:
        index.db.conn.set_progress_handler(None, 1)
    return steps


def test_a_text_search_alone_reads_its_page_off_the_full_text_index_in_order(sqlite_index: Index) -> None:
    """Text as the only filter: the full-text index numbers its rows in lookup order by the hour,
    so a page of any query it answers alone (however many posts match) is read off its lists in
    order and stops after the page and the rest of its last hour, the posts table read by id."""
    from archiver.index.sql.query import ORDERED, SORT, text_plan

    for query in ("river", "river number", "number", "sand*", "quay OR sandbags", "7"):
        assert [text_plan(sqlite_index, Filters(text=query), limit=n) for n in (1, 5, 50)] == [ORDERED] * 3, query
    assert text_plan(sqlite_index, Filters(text="number"), limit=None) == SORT  # every match is read anyway
    assert text_plan(sqlite_index, Filters(text="river", platform="twitter"), limit=5) != ORDERED
    assert text_plan(sqlite_index, Filters(text="🌊"), limit=5) == SORT  # a substring: not in the full-text index
    every = Filters(text="number")  # all 400 posts
    sql, params = lookup_sql(every, limit=1, plan=ORDERED)
    plan = _plan(sqlite_index, sql, params)
    assert not [s for s in plan if re.match(r"SCAN (posts|p)\b(?!_)", s)], plan
    assert any(s.startswith("SEARCH posts USING INTEGER PRIMARY KEY") for s in plan), plan
    sorted_sql, sorted_params = lookup_sql(every, limit=1)
    assert _steps(sqlite_index, sql, params) * 10 < _steps(sqlite_index, sorted_sql, sorted_params)
    # A page reaching past SQLite's largest integer is every match after the offset.
    whole = [row.key for row in sqlite_index.lookup(every)]
    assert [row.key for row in sqlite_index.lookup(every, limit=2**63 - 1, offset=395)] == whole[395:]
