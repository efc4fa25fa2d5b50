"""What only the PostgreSQL index has: its schema versions and their advisory lock, its query plans,
and the errors of a server that cannot be reached or goes away (never showing the password)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.errors import IndexError_, UsageError
from archiver.index import index_exists, index_name, index_unusable, open_index, translate_error
from archiver.index.filters import Filters
from archiver.index.postgres.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from archiver.index.postgres.url import place, redact
from archiver.index.sql.query import lookup_sql
from archiver.index.sqlite.schema import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from archiver.models import Post
from archiver.pipeline.sharedindex import SharedIndex
from tests.index_backends import postgres_database
from tests.test_lookup_plans import ARTICLE, FILTERS

SECRET_URL = "postgresql://archiver:s3cret-pw@127.0.0.1:{port}/archive?sslmode=disable&password=s3cret-pw"


def tweet(n: int, **kw: Any) -> Post:
    return Post(platform="twitter", kind="embedded", source="a.html", evidence="e", post_id=str(n), **kw)


# -- schema versions --------------------------------------------------------------------------------

def test_same_version_numbers_as_sqlite_and_a_fresh_database_goes_straight_to_the_current_one(
        request: pytest.FixtureRequest) -> None:
    assert SCHEMA_VERSION == SQLITE_SCHEMA_VERSION
    url = postgres_database(request, migrated=False)
    assert not index_exists(Path("."), url)
    assert index_unusable(Path("."), url) == f"the PostgreSQL database {place(url)} holds no index"
    with open_index(Path("."), url=url) as index:
        assert schema_version(index.db) == SCHEMA_VERSION  # type: ignore[attr-defined]
        assert [row[0] for row in index.db.execute("SELECT version FROM archiver_schema").fetchall()] == [  # type: ignore[attr-defined]
            SCHEMA_VERSION]
    assert index_exists(Path("."), url) and index_unusable(Path("."), url) is None


def test_an_empty_database_is_not_an_index_when_create_is_false(request: pytest.FixtureRequest) -> None:
    url = postgres_database(request, migrated=False)
    with pytest.raises(IndexError_, match=r"no index in the PostgreSQL database 127\.0\.0\.1:\d+/archiver_"):
        open_index(Path("."), create=False, url=url)
    with open_index(Path("."), url=url):
        pass
    with open_index(Path("."), create=False, url=url) as index:
        assert index.lookup(Filters()) == []


def test_concurrent_migrators_migrate_once(request: pytest.FixtureRequest) -> None:
    url = postgres_database(request, migrated=False)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            open_index(Path("."), url=url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_index(Path("."), url=url) as index:
        assert index.db.execute("SELECT count(*) FROM archiver_schema").fetchone()[0] == 1  # type: ignore[attr-defined]


def test_a_newer_schema_is_refused_and_left_alone(request: pytest.FixtureRequest) -> None:
    url = postgres_database(request)
    with open_index(Path("."), url=url) as index:
        index.db.execute("INSERT INTO archiver_schema VALUES (?, 'x')", [SCHEMA_VERSION + 1])  # type: ignore[attr-defined]
    with pytest.raises(IndexError_, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this archiver knows") as caught:
        open_index(Path("."), url=url)
    assert caught.value.exit_code == 2  # nothing of it could be read


def test_a_later_version_adds_its_own_ddl_in_one_transaction(request: pytest.FixtureRequest) -> None:
    url = postgres_database(request)
    with open_index(Path("."), url=url) as index:
        db = index.db  # type: ignore[attr-defined]
        broken = {**MIGRATIONS, SCHEMA_VERSION + 1: ("CREATE TABLE later (x INTEGER)", "SELECT no_such_function()")}
        with pytest.raises(Exception, match="no_such_function"):
            migrate(db, broken)
        assert schema_version(db) == SCHEMA_VERSION
        assert db.execute("SELECT to_regclass('later')").fetchone()[0] is None  # the failed version left nothing
        assert migrate(db, {**MIGRATIONS, SCHEMA_VERSION + 1: ("CREATE TABLE later (x INTEGER)",)}) == SCHEMA_VERSION + 1
        assert schema_version(db) == SCHEMA_VERSION + 1


def test_indexes_in_several_schemas_of_one_database_each_search_text(request: pytest.FixtureRequest) -> None:
    """The unaccent extension lives in the first index's schema; the next ones find its dictionary,
    and a schema that does not exist is named with the index and what to check."""
    import psycopg

    url = postgres_database(request, migrated=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA news")
        conn.execute("CREATE SCHEMA sports")
    for schema in ("news", "sports", "public"):
        with open_index(Path("."), url=f"{url}?options=-csearch_path%3D{schema}") as index:
            index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="blockquote",
                                   post_id="20", text=f"Café crème at the {schema} desk"))
            assert [row.key for row in index.lookup(Filters(text="creme"))] == ["twitter:20"], schema
    with pytest.raises(IndexError_) as caught:
        open_index(Path("."), url=f"{url}?options=-csearch_path%3Dnowhere")
    assert str(caught.value).startswith(f"cannot create the index in the PostgreSQL database {place(url)}: ")
    assert "search_path" in str(caught.value)


# -- naming and errors -------------------------------------------------------------------------------

def test_urls_are_named_without_their_password() -> None:
    url = SECRET_URL.format(port=5499)
    assert "s3cret" not in redact(url) and "s3cret" not in index_name(Path("."), url)
    assert redact(url) == "postgresql://archiver@127.0.0.1:5499/archive?sslmode=disable"
    assert place(url) == "127.0.0.1:5499/archive"
    assert index_name(Path("archive")) == "archive.db"


def test_an_unreachable_server_is_an_index_error_naming_host_port_and_database() -> None:
    from tests.services import free_port

    url = SECRET_URL.format(port=free_port())
    with pytest.raises(IndexError_) as caught:
        open_index(Path("."), url=url)
    message = str(caught.value)
    assert f"127.0.0.1:{url.split(':')[3].split('/')[0]}/archive" in message
    assert "s3cret" not in message and "\n" not in message
    assert caught.value.exit_code == 1


def test_other_urls_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="not an index URL"):
        open_index(Path("."), url="mysql://u:pw@h/db")


def test_a_server_stopped_mid_run_is_an_index_error_and_a_restart_is_survived(request: pytest.FixtureRequest) -> None:
    url = postgres_database(request)
    server = request.getfixturevalue("postgres_server")
    with open_index(Path("."), url=url) as index:
        key = index.upsert_post(tweet(1, text="kept"))
        server.stop()
        try:
            with pytest.raises(IndexError_, match=r"cannot use the PostgreSQL index at 127\.0\.0\.1:\d+/archiver_"):
                index.observe(key, "live")
            with pytest.raises(IndexError_):
                index.lookup(Filters())
        finally:
            server.start()
        # The same index object goes on once the server is back (a worker outlives a restart).
        index.observe(key, "live")
        assert [(row.key, row.status) for row in index.lookup(Filters())] == [("twitter:1", "live")]
        server.stop()
        server.start()
        assert [row.key for row in index.lookup(Filters())] == ["twitter:1"]  # a read meets the dropped connection
        with index.transaction():
            index.observe(key, "deleted")
    with open_index(Path("."), url=url) as again:  # nothing committed was lost
        assert [(row.key, row.status) for row in again.lookup(Filters())] == [("twitter:1", "deleted")]


def test_translate_error_names_a_driver_error() -> None:
    import psycopg

    named = translate_error(psycopg.OperationalError("boom s3cret-pw\nmore"), url=SECRET_URL.format(port=1))
    assert isinstance(named, IndexError_) and str(named) == "cannot use the PostgreSQL index at 127.0.0.1:1/archive: boom ***"


def test_the_shared_index_runs_several_threads_on_one_connection(request: pytest.FixtureRequest) -> None:
    url = postgres_database(request)
    shared = SharedIndex(lambda: open_index(Path("."), url=url))
    try:
        def capture(n: int) -> None:
            with shared.transaction():
                key = shared.upsert_post(tweet(n, text=f"post {n}"))
                shared.observe(key, "live")

        threads = [threading.Thread(target=capture, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(shared.lookup(Filters(status="live"))) == 8
    finally:
        shared.close()


def test_two_writers_on_the_same_post_do_not_collide(request: pytest.FixtureRequest) -> None:
    """The write lock serialises transactions as SQLite's single writer does: both upserts land on one row."""
    url = postgres_database(request)
    first, second = open_index(Path("."), url=url), open_index(Path("."), url=url)
    try:
        with first.transaction():
            first.upsert_post(tweet(7, text="one"))
            done = threading.Event()

            def other() -> None:
                second.upsert_post(tweet(7, handle="h"))
                done.set()

            thread = threading.Thread(target=other)
            thread.start()
            assert not done.wait(0.3)  # waits for the first transaction
        thread.join(30)
        assert done.is_set()
        post = first.get_post("twitter:7")
        assert post is not None and post.text == "one" and post.handle == "h"
    finally:
        first.close()
        second.close()


# -- plans --------------------------------------------------------------------------------------------

def _bulk(index: Any, count: int) -> None:
    """`count` posts written straight into the tables (the writes are tested elsewhere; this is for the planner)."""
    from tests.test_lookup_plans import WORDS

    platforms = ("twitter", "twitter", "youtube", "instagram")
    db = index.db
    rows = []
    for n in range(count):
        day = f"{2020 + n % 5}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        start = None if n % 23 == 0 else f"{day}T{n % 24:02d}:{n % 60:02d}:00.000Z"
        rows.append((f"{platforms[n % 4]}:{n}", platforms[n % 4], str(n), f"River{n % 9}", f"river{n % 9}", start,
                     start, start, f"{WORDS[n % 8]} {WORDS[(n // 8) % 8]} number {n}", "2024-01-01T00:00:00.000Z",
                     "deleted" if n % 50 == 0 else "live"))
    with index.transaction():
        db.executemany("INSERT INTO posts (key, platform, post_id, handle, handle_lc, posted_at, posted_start, posted_end, "
                       "text, first_seen, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        article = index.upsert_article(ARTICLE)
        db.execute("INSERT INTO citations (article_id, post, kind, first_seen) SELECT ?, id, 'embedded', first_seen "
                   "FROM posts WHERE id % 200 = 0", [article])  # an article cites a handful of posts
        db.execute("INSERT INTO captures (post, captured_at, source, url, status) SELECT id, "
                   "'2023-01-01T00:00:00.000Z', 'live', 'u', 'live' FROM posts WHERE id % 40 = 0")
    db.execute("ANALYZE")


@pytest.fixture(scope="module")
def planned(request: pytest.FixtureRequest) -> Iterator[Any]:
    with open_index(Path("."), url=postgres_database(request)) as index:
        _bulk(index, 4000)
        yield index


def _scans(index: Any, filters: Filters, limit: int | None) -> list[str]:
    sql, params = lookup_sql(filters, limit=limit, dialect=index.dialect)
    plan = index.db.execute("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        found.append(f"{node['Node Type']} {node.get('Relation Name', '')} {node.get('Index Name', '')}".strip())
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


# Filters matching most of the archive: read without a limit, the whole table is what they ask for, and
# PostgreSQL rightly reads it in one sequential pass; with a page size they must come off an index.
MOST = ("platform", "status", "since", "until", "range", "platform and range", "status and since")


@pytest.mark.parametrize(("name", "limit"),
                         [(name, limit) for name in FILTERS for limit in (None, 50) if limit or name not in MOST])
def test_no_lookup_reads_the_whole_posts_table(planned: Any, name: str, limit: int | None) -> None:
    steps = _scans(planned, Filters(**FILTERS[name]), limit)
    assert not [step for step in steps if step.startswith("Seq Scan posts")], f"{name}: {steps}"


def test_the_plan_check_catches_a_full_scan(planned: Any) -> None:
    steps = [row[0] for row in planned.db.execute("EXPLAIN SELECT * FROM posts WHERE author = ?", ["x"]).fetchall()]
    assert any("Seq Scan on posts" in step for step in steps)


# -- full-text search: the same rows as SQLite's FTS5, and the differences that remain -----------------

TEXTS = ["see https://x.com/a-b/status now", "well-known fact", "don't stop", "naïve CAFÉ Straße",
         "email bob@example.com here", "running runners ran", "the end", "v1.2.3 release", "東京の洪水",
         "C++ and C#", "under_score word", "ÅNGSTRÖM", "İstanbul", "foo\u00a0bar", "word🌊 more", "МОСКВА",
         "日本語text", "l’amour", "tab\there", "pic.twitter.com/Zx81QmPa0c #Riverton @desk"]
QUERIES = ["x com", "x.com", "com", "a-b", "well", "known", "well known", "well-known", "dont", "don't", "naive",
           "cafe", "straße", "bob", "example.com", "bob@example.com", "run", "runn*", "the", "v1", "1.2.3", "v1.2.3",
           "東京", "洪水", "C", "under", "score", "under_score", "angstrom", "istanbul", "foo bar", '"foo bar"', "we*",
           "wel*", '"well kn"*', "stop don't", "release v1*", "amour", "l’amour", "here", "🌊", "text", "twitter",
           "riverton", "#Riverton", "@desk", "zx81*", "x OR amour", "well OR nothing", "known fact"]
# What the two still answer differently (docs/postgresql.md): query -> (SQLite's rows, PostgreSQL's rows).
DIFFERENCES = {
    "strasse": ([], [3]),  # unaccent spells ß "ss"; FTS5 keeps ß
    "word": ([10, 14], [10]),  # in the C locale, an emoji glued to a word is part of it
    "москва": ([15], []),  # the C locale lower-cases ASCII only (a UTF-8 database locale folds it)
}


def test_text_search_answers_as_fts5_does(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    with open_index(tmp_path) as lite, open_index(tmp_path, url=postgres_database(request)) as pg:
        for index in (lite, pg):
            with index.transaction():
                for n, text in enumerate(TEXTS):
                    index.upsert_post(tweet(n, text=text))

        def found(index: Any, query: str) -> list[int]:
            return [int(row.post_id) for row in index.lookup(Filters(text=query))]

        answers = {query: found(lite, query) for query in QUERIES}
        assert {query: found(pg, query) for query in QUERIES} == answers
        assert len([query for query, rows in answers.items() if rows]) > 40  # most of them find something
        for query, (on_sqlite, on_postgres) in DIFFERENCES.items():
            assert (found(lite, query), found(pg, query)) == (on_sqlite, on_postgres), query


def test_the_journal_says_the_same_from_either_backend(request: pytest.FixtureRequest, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`reindex` rebuilds from the journal in the WARCs: a PostgreSQL index must write the same one."""
    import itertools
    import uuid

    from tests.test_index_copy import populate

    monkeypatch.setattr("archiver.index.sql.store.utc_now", lambda: "2024-06-01T00:00:00.000Z")
    written: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    with open_index(tmp_path) as lite, open_index(tmp_path, url=postgres_database(request)) as pg:
        for name, index in (("sqlite", lite), ("postgresql", pg)):
            entries = written.setdefault(name, [])
            index.journal.writer = entries.extend
            refs = itertools.count(1)  # a capture's reference is a fresh UUID: the same ones for both
            monkeypatch.setattr(uuid, "uuid4", lambda refs=refs: uuid.UUID(int=next(refs)))
            populate(index)
    assert written["postgresql"] == written["sqlite"]
    assert {payload["kind"] for _, payload in written["sqlite"]} >= {
        "post", "article", "citation", "capture", "observation", "media", "post-merge", "records", "post-status"}


def test_nul_which_postgresql_text_cannot_hold_is_written_as_the_replacement_character(
        request: pytest.FixtureRequest) -> None:
    with open_index(Path("."), url=postgres_database(request)) as index:
        key = index.upsert_post(tweet(5, text="before\x00after", handle="h\x00"))
        post = index.get_post(key)
        assert post is not None and (post.text, post.handle) == ("before\ufffdafter", "h\ufffd")
