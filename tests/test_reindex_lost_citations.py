"""`reindex --force` of an archive whose WARC file holding the first run's articles and citations
is lost: the posts keep their own rows (a later entry of each survives) but no longer any citing
article, and the index itself was rebuilt from partial history. `show`, `lookup --article` and
`report` then say the citing articles are unknown, never that no article cites a post; an intact
archive reads as it always has.

Real Chromium against the local fake web: two scheduled runs over three stories, then copies of the
archive with some of the first run's WARC files removed, rebuilt with the real reindex.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from archiver.warcstore import iter_records
from tests.e2e import cli, warc_files
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

STORIES = (site.ARTICLE_FLOOD, site.ARTICLE_PROTECTED, site.ARTICLE_REVIEW)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("lost-citations")
    with FakeWeb(tmp / "web") as web:
        archive, seeds = tmp / "archive", tmp / "seeds"
        seeds.mkdir()
        (seeds / "news.urls").write_text("".join(f"{story.url}\n" for story in STORIES))
        first = cli(web, "run", "--seeds", str(seeds), archive=archive)
        assert first.returncode == 0, first.stderr
        first_files = [path.name for path in warc_files(archive)]
        second = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", archive=archive)
        assert second.returncode == 0, second.stderr
        yield web, archive, first_files, tmp


def _copy(two_runs: Any, name: str, lose: Any) -> tuple[Any, Path, Path, list[str]]:
    """A copy of the archive without the first run's files `lose` picks, rebuilt (exit 1)."""
    web, archive, first_files, tmp = two_runs
    copy = tmp / name
    shutil.copytree(archive, copy)
    lost = [name for name in first_files if lose(copy / "warcs" / name)]
    assert lost
    for name in lost:
        (copy / "warcs" / name).unlink()
    r = cli(web, "reindex", "--force", archive=copy)
    assert r.returncode == 1, r.stderr
    return web, archive, copy, lost


def _holds_citations(path: Path) -> bool:
    return any(rec.target_uri.startswith("urn:citation:") for rec in iter_records(path))


def _keys(archive: Path) -> list[str]:
    with sqlite3.connect(archive / "archive.db") as conn:
        return [key for (key,) in conn.execute("SELECT key FROM posts ORDER BY key")]


def _cited_by(web: Any, archive: Path, key: str) -> str:
    r = cli(web, "show", key, archive=archive)
    assert r.returncode == 0, r.stderr
    return r.stdout.split("cited by:\n", 1)[1]


def _json(web: Any, archive: Path, *args: str) -> Any:
    r = cli(web, *args, "--format", "json", archive=archive)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_posts_whose_citations_were_lost_are_not_said_to_be_cited_by_no_article(two_runs: Any) -> None:
    web, archive, copy, lost = _copy(two_runs, "citations-lost", _holds_citations)
    with sqlite3.connect(copy / "archive.db") as conn:
        marked = conn.execute("SELECT kind, name FROM history_lost WHERE kind = 'index'").fetchall()
        own = {name for (name,) in conn.execute("SELECT name FROM history_lost WHERE kind = 'post'")}
    keys = _keys(copy)
    # Posts whose own entries survived (a later one of each) lost their citing articles all the same.
    survived = [key for key in keys if key not in own]
    assert survived and all(not _json(web, copy, "show", key)["articles"] for key in survived)
    for key in keys:
        cited = _cited_by(web, copy, key)
        assert "no article" not in cited, (key, cited)
        assert cited.startswith("  unknown: "), (key, cited)
        assert _json(web, copy, "show", key)["history_lost"] is True
    assert lost[0] in _cited_by(web, copy, survived[0])
    # The index itself is marked as rebuilt from partial history, naming the lost file.
    assert marked == [("index", name) for name in lost]
    report = _json(web, copy, "report")
    groups = [(a["url"], a.get("citations_unknown")) for a in report["articles"]]
    # None filed as given by its own address: one group, saying their citing articles are unknown.
    assert groups == [(None, True)], groups
    assert sorted(report["articles"][0]["posts"]) == keys
    # The intact archive reads as before: its posts cited, nothing said unknown, no new key.
    for key in _keys(archive):
        whole = _cited_by(web, archive, key)
        assert "unknown" not in whole and "maybe others" not in whole and "no article" not in whole
        assert _json(web, archive, "show", key)["history_lost"] is False
    intact = _json(web, archive, "report")
    assert intact["articles"] and all(a["url"] and "citations_unknown" not in a for a in intact["articles"])


def test_an_index_rebuilt_again_from_the_same_files_stays_marked(two_runs: Any) -> None:
    """The old index names the lost file; rebuilt once more from the same files, the new one still
    does (the lost file is named by the first rebuild's mark, no longer by any record)."""
    web, _archive, copy, lost = _copy(two_runs, "rebuilt-twice", _holds_citations)
    assert cli(web, "reindex", "--force", archive=copy).returncode == 1
    with sqlite3.connect(copy / "archive.db") as conn:
        assert conn.execute("SELECT name FROM history_lost WHERE kind = 'index'").fetchall() == [(n,) for n in lost]
    key = _keys(copy)[0]
    assert _cited_by(web, copy, key).startswith("  unknown: ")


def _lookup_article(web: Any, archive: Path, url: str) -> tuple[list[Any], str]:
    r = cli(web, "lookup", "--article", url, "--format", "json", archive=archive)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def test_lookup_of_an_article_whose_citations_were_lost_says_so(two_runs: Any) -> None:
    """Every file of the first run lost: the articles are rebuilt from the second run's entries
    alone (in `history_lost`), without the citations the first run wrote. `lookup --article` says
    they were lost, not that no such article is held."""
    web, archive, copy, lost = _copy(two_runs, "articles-lost", lambda path: True)
    with sqlite3.connect(copy / "archive.db") as conn:
        rebuilt = {name for (name,) in conn.execute("SELECT name FROM history_lost WHERE kind = 'article'")}
    url = site.ARTICLE_FLOOD.url
    assert url in rebuilt
    rows, said = _lookup_article(web, copy, url)
    assert rows == []
    assert "check it" not in said and "no article" not in said, said
    assert (f"archiver: the article '{url}' is held, but its citations were lost with a WARC file: the index was "
            "rebuilt from partial history") in said, said
    assert "no post is known to cite it now" in said and lost[0] in said, said
    # The intact archive: the posts it cites, and nothing more said.
    rows, said = _lookup_article(web, archive, url)
    assert rows and said == f"archiver: {len(rows)} post(s)\n", said


def test_lookup_of_an_article_in_an_index_rebuilt_from_partial_history(two_runs: Any) -> None:
    """The article's own entries survived, its citations did not: held, citing no post known."""
    web, _archive, copy, _lost = _copy(two_runs, "article-kept", _holds_citations)
    url = site.ARTICLE_REVIEW.url
    rows, said = _lookup_article(web, copy, url)
    assert rows == [] and "check it" not in said, said
    assert "the records of which posts it cites may have been lost with a WARC file" in said, said


def test_first_seen_of_an_article_rebuilt_from_later_entries(two_runs: Any) -> None:
    """Every file of the first run lost. `verify` of the index as it stands does not call its
    articles' true, earlier first sighting a damage `reindex --force` would repair; rebuilt, an
    article's first sighting is the later entry's time in the index's own format (milliseconds)."""
    web, archive, first_files, tmp = two_runs
    copy = tmp / "first-seen"
    shutil.copytree(archive, copy)
    for name in first_files:
        (copy / "warcs" / name).unlink()
    r = cli(web, "verify", archive=copy)
    assert "first_seen" not in r.stdout + r.stderr, r.stdout + r.stderr
    journal = [line for line in r.stdout.splitlines() if line.startswith("journal\t")]
    assert journal == [], journal
    assert cli(web, "reindex", "--force", archive=copy).returncode == 1
    with sqlite3.connect(copy / "archive.db") as conn:
        seen = dict(conn.execute("SELECT url, first_seen FROM articles").fetchall())
        rebuilt = {name for (name,) in conn.execute("SELECT name FROM history_lost WHERE kind = 'article'")}
    with sqlite3.connect(archive / "archive.db") as conn:
        before = dict(conn.execute("SELECT url, first_seen FROM articles").fetchall())
    assert rebuilt and set(seen) == set(before)
    for url in rebuilt:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", seen[url]), seen[url]
        assert seen[url] > before[url]


def test_an_intact_archive_rebuilt_is_not_marked_partial(two_runs: Any) -> None:
    """Every WARC file there, `reindex --force` rebuilds the whole history: no `history_lost` row,
    and `show` and `report` read as in the archive it was copied from."""
    web, archive, _first_files, tmp = two_runs
    copy = tmp / "intact"
    shutil.copytree(archive, copy)
    r = cli(web, "reindex", "--force", archive=copy)
    assert r.returncode == 0, r.stderr
    assert "partial history" not in r.stderr, r.stderr
    with sqlite3.connect(copy / "archive.db") as conn:
        assert conn.execute("SELECT kind, name FROM history_lost").fetchall() == []
    assert _keys(copy) == _keys(archive)
    for key in _keys(copy):
        assert _cited_by(web, copy, key) == _cited_by(web, archive, key)
        assert _json(web, copy, "show", key)["history_lost"] is False
    rebuilt, intact = _json(web, copy, "report"), _json(web, archive, "report")
    assert [(a["url"], a["posts"]) for a in rebuilt["articles"]] == [(a["url"], a["posts"]) for a in intact["articles"]]
