"""`archiver datasette-metadata`, judged by Datasette itself: a `datasette` process on a loopback port
serves the demo archive with the metadata, and its JSON API answers the facets and canned queries
row by row; the links of the database's description lead to the views and queries.

The demo archive is made as `make demo` makes it (every article of the invented news site, one
run), then run again after the drone-video tweet was deleted, so that one post disappeared, while
syndication and oEmbed fail for the flattened tweet (its page's login wall is all that is left of
it, which settles nothing without them: `unavailable`, which is not a disappearance).
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import yaml

from archiver.datasette_meta import metadata, render
from archiver.index.sqlite.canned import GONE_STATUSES
from archiver.index.sqlite.schema import open_memory
from archiver.platforms.twitter.syndication import oembed_url, syndication_url
from archiver.times import format_utc
from tests.datasette_harness import datasette
from tests.demo import write_seeds
from tests.e2e import ROOT, cli
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

VIDEO = site.TWEET_VIDEO  # live in the first run, deleted before the second
WALLED = site.TWEET_FLAT  # live in the first run, behind x.com's login wall alone in the second
PHOTO = site.TWEET_PHOTO  # its first check is moved ten days back
HANDLES = {"RivertonDesk": 2, "mei_hydro": 1, "cllr_hartwell": 1, "quietgardener": 1, "rivertruthnow": 1,
           "rivertonweather": 1}


def _key(tweet: Any) -> str:
    return f"twitter:{tweet.id}"


def _host_and_target(url: str) -> tuple[str, str]:
    """The host and path?query the fake web's fault switch takes for one request."""
    parts = urlsplit(url)
    return str(parts.hostname), f"{parts.path}?{parts.query}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    tmp = tmp_path_factory.mktemp("datasette")
    seeds = write_seeds(tmp / "seeds")
    archive = tmp / "archive"
    with FakeWeb(tmp / "web") as web:
        first = cli(web, "run", "--seeds", str(seeds), archive=archive)
        assert first.returncode == 0, first.stderr[-3000:]
        # Syndication says nothing of it (`{}`), oEmbed fails (500): x.com's login wall alone remains.
        faults = [(*_host_and_target(syndication_url(WALLED.id)), "empty-json"),
                  (*_host_and_target(oembed_url(WALLED.x_url)), "500")]
        web.set_state(("tweet", VIDEO.id), "deleted")
        for host, path, fault in faults:
            web.set_state(("fault", host, path), fault)
        try:
            second = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", archive=archive)
        finally:
            web.set_state(("tweet", VIDEO.id), None)
            for host, path, _fault in faults:
                web.set_state(("fault", host, path), None)
        # The check that settled nothing is named: a run that partly failed.
        assert second.returncode == 1 and "syndication gave no usable answer" in second.stderr, second.stderr[-3000:]
    # A check made ten days ago: no run can be made in the past, so the first check of the photo
    # tweet (live, checked again since) is moved back.
    with sqlite3.connect(archive / "archive.db") as conn:
        conn.execute("UPDATE observations SET checked_at = ? WHERE id = (SELECT min(o.id) FROM observations o "
                     "JOIN posts p ON p.id = o.post WHERE p.key = ?)",
                     [format_utc(datetime.now(UTC) - timedelta(days=10)), _key(PHOTO)])
    meta = tmp / "metadata.yml"
    made = subprocess.run([sys.executable, "-m", "archiver.cli", "datasette-metadata", "--archive-dir", str(archive),
                           "-o", str(meta)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert made.returncode == 0, made.stderr
    assert made.stdout == f"{meta}\n"
    with datasette(archive / "archive.db", meta) as base:
        yield archive, base


def _get(base: str, path: str, **params: str) -> Any:
    r = httpx.get(f"{base}{path}", params=params, timeout=30, trust_env=False)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return r.json()


def _rows(archive: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    with sqlite3.connect(archive / "archive.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]


def _facets(answer: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {name: {str(r["value"]): r["count"] for r in facet["results"]}
            for name, facet in answer["facet_results"].items()}


def test_posts_open_faceted_by_platform_status_and_handle(served: tuple[Path, str]) -> None:
    _archive, base = served
    facets = _facets(_get(base, "/archive/posts.json"))
    assert facets == {
        "platform": {"twitter": 6, "youtube": 1},
        # after the second run: the drone video deleted, the councillor's post deleted all along,
        # the flattened tweet with nothing but a login wall to go by
        "status": {"live": 2, "deleted": 2, "protected": 1, "withheld": 1, "unavailable": 1},
        "handle": HANDLES,
    }
    # The views carry their facets too: fourteen checks, seven per run.
    history = _facets(_get(base, "/archive/post_history.json"))
    assert history["status"] == {"live": 6, "deleted": 3, "protected": 2, "withheld": 2, "unavailable": 1}
    assert history["handle"] == {h: 2 * n for h, n in HANDLES.items()}


def test_disappeared_lists_the_post_once_live_and_now_gone(served: tuple[Path, str]) -> None:
    archive, base = served
    rows = _get(base, "/archive/disappeared.json", _shape="array")
    checks = _rows(archive, "SELECT o.status, o.checked_at, o.detail FROM observations o JOIN posts p ON p.id = o.post "
                            "WHERE p.key = ? ORDER BY o.id", _key(VIDEO))
    assert [c["status"] for c in checks] == ["live", "deleted"]
    walled = _rows(archive, "SELECT o.status FROM observations o JOIN posts p ON p.id = o.post WHERE p.key = ? "
                            "ORDER BY o.id", _key(WALLED))
    assert [c["status"] for c in walled] == ["live", "unavailable"]
    # The councillor's post is deleted but was never seen live; the withheld and protected posts
    # never were either; the walled post says nothing of itself: only the video is listed.
    assert [(r["post_key"], r["handle"], r["platform"], r["status"], r["status_since"], r["last_seen_live"],
             r["reason"], r["url"]) for r in rows] == [
        (_key(VIDEO), "mei_hydro", "twitter", "deleted", checks[1]["checked_at"], checks[0]["checked_at"],
         checks[1]["detail"], VIDEO.x_url)]


def test_citing_handle_lists_each_article_and_post(served: tuple[Path, str]) -> None:
    archive, base = served
    expected = sorted((a.url, a.title, _key(site.TWEETS[tid])) for a in site.ARTICLES.values()
                      for tid in a.tweet_ids if site.TWEETS[tid].user.screen_name == "RivertonDesk")
    # The wire story quotes its tweet as flattened text: cited, though not embedded as a tweet block.
    expected = sorted([*expected, (site.ARTICLE_WIRE.url, site.ARTICLE_WIRE.title, _key(site.TWEET_FLAT))])
    assert len(expected) == 3
    for spelling in ("RivertonDesk", "@rivertondesk", " @RIVERTONDESK "):
        rows = _get(base, "/archive/citing_handle.json", handle=spelling, _shape="array")
        assert [(r["article_url"], r["post_key"], r["handle"]) for r in rows] == [
            (url, key, "RivertonDesk") for url, _title, key in expected], spelling
        # the article's own title, as the page gave it (the site appends its name)
        assert [r["article_title"].split(" | ")[0] for r in rows] == [title for _u, title, _k in expected]
    deleted = _get(base, "/archive/citing_handle.json", handle="cllr_hartwell", _shape="array")
    assert [(r["article_url"], r["post_status"]) for r in deleted] == [
        (site.ARTICLE_REVIEW.url, "deleted"), (site.ARTICLE_FLOOD.url, "deleted")]
    assert _get(base, "/archive/citing_handle.json", handle="nobody_here", _shape="array") == []


def test_recent_checks_covers_the_last_n_days(served: tuple[Path, str]) -> None:
    archive, base = served
    every = _rows(archive, "SELECT o.checked_at, p.key AS post_key, o.status, o.detail FROM observations o "
                           "JOIN posts p ON p.id = o.post ORDER BY o.checked_at DESC, o.id DESC")
    assert len(every) == 14

    def answer(**params: str) -> list[tuple[str, str, str, str]]:
        rows = _get(base, "/archive/recent_checks.json", _shape="array", **params)
        return [(r["checked_at"], r["post_key"], r["status"], r["detail"]) for r in rows]

    as_tuples = [(r["checked_at"], r["post_key"], r["status"], r["detail"]) for r in every]
    old = as_tuples[-1]
    assert old[1] == _key(PHOTO) and old[2] == "live"  # the check moved ten days back
    assert answer(days="30") == as_tuples
    assert answer(days="7") == as_tuples[:-1]
    assert answer(days="") == as_tuples[:-1]  # seven days when left empty
    assert answer() == as_tuples[:-1]


def test_posts_with_words_finds_what_lookup_text_finds(served: tuple[Path, str]) -> None:
    """The query reads the full-text index, whose rows are not numbered by post id: the posts it
    lists, and their order, are `lookup --text`'s for the same words."""
    archive, base = served
    from archiver.index.filters import Filters
    from archiver.index.sqlite.index import SQLiteIndex

    words = re.findall(r"[a-z]{5,}", VIDEO.text.lower())[:2]
    assert words
    queries = [words[0], " ".join(words), f"  {words[0].upper()}  ", "mei_hydro", '"river', "#RivertonFlood",
               f"{words[1]}\t{words[0]}\n",  # words in another order, apart by a tab: words, not a phrase
               "🚁"]  # no letter: looked for as text, as lookup does
    with SQLiteIndex(archive, create=False) as index:
        expected = {query: [row.key for row in index.lookup(Filters(text=query.replace('"', " ")))]
                    for query in queries}
    assert _key(VIDEO) in expected[words[0]] and expected["mei_hydro"]
    for query in queries:
        rows = _get(base, "/archive/posts_with_words.json", words=query, _shape="array")
        assert [row["post_key"] for row in rows] == expected[query], query
    assert _get(base, "/archive/posts_with_words.json", words="", _shape="array") == []
    assert _get(base, "/archive/posts_with_words.json", words="zzzqqq", _shape="array") == []


def test_posts_with_words_looks_for_what_the_full_text_index_cannot_split_as_text(tmp_path: Path) -> None:
    """Runs, words of scripts written without spaces and emoji are found as lookup finds them
    (as text), `%` and `_` stand for themselves, and other words still go to the full-text index."""
    from archiver.index.filters import Filters
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.models import Post

    texts = ["河水上涨，洪水来了", "洪水警报", "水位 🌊 上升", "flood 50% done", "flood 50 done", "snake_case flood",
             "snakeXcase", "Straße gesperrt", "waterfront closed", "flood 🌊 here"]
    sql = metadata()["databases"]["archive"]["queries"]["posts_with_words"]["sql"]
    with SQLiteIndex(tmp_path) as index:
        for n, text in enumerate(texts):
            index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="e", post_id=str(n + 1),
                                   url=f"https://twitter.com/u/status/{n + 1}", handle="u", text=text))
        for words in ("洪水", "河水上涨", "🌊", "50%", "snake_case", "flood", "Straße", "water", "flood 🌊"):
            expected = [row.key for row in index.lookup(Filters(text=words))]
            found = [row["post_key"] for row in index.db.query(sql, {"words": words})]
            assert found == expected, words
            assert found or words == "water", words  # each finds something (a whole word only)
        assert [row["post_key"] for row in index.db.query(sql, {"words": "洪水"})] == ["twitter:1", "twitter:2"]
        # An emoji with words makes them one piece of text: not every post saying "flood".
        assert [row["post_key"] for row in index.db.query(sql, {"words": "flood 🌊"})] == ["twitter:10"]


def test_description_links_the_views_and_queries_first(served: tuple[Path, str]) -> None:
    _archive, base = served
    expected = ["post_history", "citations_expanded", "disappeared", "citing_handle", "recent_checks",
                "posts_with_words"]
    for page in (f"{base}/", f"{base}/archive"):
        html = httpx.get(page, timeout=30, trust_env=False).text
        description = html.split('<div class="metadata-description">', 1)[1].split("</div>", 1)[0]
        links = [urljoin(page, href) for href in re.findall(r'href="([^"]+)"', description)]
        assert links == [f"{base}/archive/{name}" for name in expected], page
        for link in links:
            target = httpx.get(link, timeout=30, trust_env=False)
            assert target.status_code == 200, link
    # Datasette lists views after every table: the description is where they come first.
    database = httpx.get(f"{base}/archive", timeout=30, trust_env=False).text
    assert database.index('href="archive/post_history"') < database.index('href="/archive/articles"')
    assert "(view)" in httpx.get(f"{base}/archive/post_history", timeout=30, trust_env=False).text


def test_yaml_and_json_are_the_same_document(tmp_path: Path) -> None:
    document = metadata()
    assert yaml.safe_load(render(document, "yaml")) == document == json.loads(render(document, "json"))
    assert set(document["databases"]) == {"archive"}
    assert metadata("other")["databases"]["other"]["description_html"].count('href="other/') == 6


@pytest.mark.parametrize("length", [1000, 1001, 1023, 1025, 5000])
def test_a_database_name_over_a_thousand_characters_is_still_yaml_that_reads_back(length: int) -> None:
    # YAML reads a `key: value` key of 1024 characters at most (PyYAML: "could not find expected ':'").
    for name in ("a" * length, "evidence-" + "a" * length, "2024" + "a" * length):
        document = metadata(name)
        assert yaml.safe_load(render(document, "yaml")) == document
    nested = {"x" * 2000: {"y" * 1500: ["a", "b"], "z" * 1200: "v", "q" * 1100: "two\nlines", "k": {"w" * 1300: "d"}}}
    assert yaml.safe_load(render(nested, "yaml")) == nested


def test_each_canned_query_runs_on_a_new_index() -> None:
    db = open_memory()
    try:
        for name, query in metadata()["databases"]["archive"]["queries"].items():
            params = {"handle": "x", "days": "7", "words": "x"}
            rows = db.conn.execute(query["sql"], {k: v for k, v in params.items() if f":{k}" in query["sql"]})
            assert rows.fetchall() == [], name
    finally:
        db.close()
    sql = metadata()["databases"]["archive"]["queries"]["disappeared"]["sql"]
    listed = re.search(r"latest\.status IN \(([^)]*)\)", sql)
    assert listed is not None
    assert re.findall(r"'(\w+)'", listed.group(1)) == list(GONE_STATUSES)
    assert not {"live", "login_required", "unavailable", "unknown"} & set(GONE_STATUSES)


def _metadata_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", "datasette-metadata", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_command_prints_yaml_writes_json_and_names_a_missing_archive(tmp_path: Path) -> None:
    archive = tmp_path / "archive"  # an empty archive: an index file at the current schema
    made = subprocess.run([sys.executable, "-m", "archiver.cli", "index", "migrate", "--archive-dir", str(archive)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert made.returncode == 0, made.stderr
    printed = _metadata_cli("--archive-dir", str(archive))
    assert printed.returncode == 0, printed.stderr
    assert yaml.safe_load(printed.stdout) == metadata() and printed.stdout.startswith("title:")
    as_json = _metadata_cli("--archive-dir", str(archive), "--format", "json")
    assert json.loads(as_json.stdout) == metadata()
    out = tmp_path / "meta.json"
    written = _metadata_cli("--archive-dir", str(archive), "-o", str(out))
    assert written.returncode == 0 and written.stdout == f"{out}\n"
    assert json.loads(out.read_text()) == metadata()  # the suffix chose JSON
    assert f"datasette {archive / 'archive.db'} --metadata {out}" in written.stderr
    missing = _metadata_cli("--archive-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.startswith("archiver: no archive at") and "Traceback" not in missing.stderr
    bad = _metadata_cli("--archive-dir", str(archive), "--format", "xml")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    renamed = _metadata_cli("--archive-dir", str(archive), "--database", "evidence-2024")
    assert yaml.safe_load(renamed.stdout) == metadata("evidence-2024")
    unsafe = _metadata_cli("--archive-dir", str(archive), "--database", "a/b")
    assert unsafe.returncode == 2 and unsafe.stdout == "" and "--database 'a/b'" in unsafe.stderr


def test_a_folder_indexed_in_postgresql_is_told_to_serve_a_copy(tmp_path: Path) -> None:
    """The command has no --index: what it says to do must be what Datasette can read, a copy."""
    from archiver.index import note_index

    archive = tmp_path / "archive"
    archive.mkdir()
    note_index(archive, "postgresql://archiver@db:5432/archive")
    r = _metadata_cli("--archive-dir", str(archive))
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert ("Datasette reads an archive.db: copy the index into one in another folder (`archiver index copy "
            "--from postgresql://archiver@db:5432/archive --to DIR`) and make the metadata there") in r.stderr
    assert "--index" not in r.stderr.replace("archiver index copy", "")


def test_every_table_of_an_index_is_described() -> None:
    """Datasette lists every table: each says what its rows are (a new table without a description
    would be a bare name on the database's page)."""
    db = open_memory()
    try:
        held = {str(name) for (name,) in db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' "
            "AND name NOT LIKE 'posts_fts_%' AND name NOT LIKE 'sqlite_%'").fetchall()}
    finally:
        db.close()
    tables = metadata()["databases"]["archive"]["tables"]
    assert held and not {name for name in held if not tables.get(name, {}).get("description")}
