"""`reindex` of an archive whose first WARC files are lost or cut short: a post or an article whose
own first journal entry went with them keeps its later checks, captures and records, rebuilt from
what those later entries say, and the gap names it.

Real Chromium against the local fake web: two scheduled runs (the second finds a post deleted), then
the first run's WARC files are removed or cut, and the index is rebuilt from what is left.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from archiver.warcstore import iter_records
from tests.e2e import cli, video_deleted_between_runs, warc_files
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

VIDEO = f"twitter:{site.TWEET_VIDEO.id}"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("partial")
    with FakeWeb(tmp / "web") as web:
        archive, first_files = video_deleted_between_runs(web, tmp)
        yield web, archive, first_files, tmp


def _owners(archive: Path, files: list[str]) -> dict[str, tuple[Any, ...]]:
    """Each record of `files`: the key of its post, and its capture's time and status."""
    with sqlite3.connect(archive / "archive.db") as conn:
        marks = ", ".join("?" for _ in files)
        rows = conn.execute(
            f"SELECT r.record_id, p.key, c.captured_at, c.status FROM records r LEFT JOIN posts p ON p.id = r.post "
            f"LEFT JOIN captures c ON c.id = r.capture_id WHERE r.filename IN ({marks})", files).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def _show(web: Any, archive: Path, key: str) -> dict[str, Any]:
    r = cli(web, "show", key, "--format", "json", archive=archive)
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


def _copy(two_runs: Any, name: str) -> tuple[Any, Path, list[str], list[str], Path]:
    web, archive, first_files, tmp = two_runs
    copy = tmp / name
    shutil.copytree(archive, copy)
    later = [path.name for path in warc_files(copy) if path.name not in first_files]
    return web, copy, first_files, later, archive


def test_a_post_whose_first_run_s_files_are_lost_keeps_its_later_checks_and_captures(two_runs: Any) -> None:
    web, copy, first_files, later, archive = _copy(two_runs, "lost")
    for name in first_files:
        (copy / "warcs" / name).unlink()
    r = cli(web, "reindex", "--force", archive=copy)
    assert r.returncode == 1, r.stderr
    partial = [line for line in r.stderr.splitlines() if "post(s) rebuilt from partial history" in line]
    assert len(partial) == 1 and VIDEO in partial[0], r.stderr
    # Kept, not left out: said under a heading that says so.
    assert partial[0].startswith("archiver: kept in the rebuilt index, incomplete: "), partial[0]
    shown = _show(web, copy, VIDEO)
    assert shown["platform"] == "twitter" and shown["post_id"] == site.TWEET_VIDEO.id
    assert shown["status"] == "deleted"
    original = _show(web, archive, VIDEO)
    # The second run's check and capture are kept, as the intact index holds them.
    assert [h for h in shown["history"]] == [h for h in original["history"] if h in shown["history"]]
    assert [h["status"] for h in shown["history"]] == ["deleted"]
    later_captures = [c["captured_at"] for c in original["captures"] if c["warc"] in later]
    assert later_captures and [c["captured_at"] for c in shown["captures"]] == later_captures
    # Every record of the later files belongs to the post and capture it belonged to.
    assert _owners(copy, later) == _owners(archive, later)



def test_show_does_not_say_no_article_cites_a_post_whose_citations_were_lost(two_runs: Any) -> None:
    """The first run's files held the citing article's citation of the post: rebuilt without them,
    the post is cited by no article the index knows of, which `show` says is unknown, not "no
    article" (the reading it gives a post archived from its own address)."""
    web, copy, first_files, _later, archive = _copy(two_runs, "lost-citations")
    assert _show(web, archive, VIDEO)["articles"]
    for name in first_files:
        (copy / "warcs" / name).unlink()
    assert cli(web, "reindex", "--force", archive=copy).returncode == 1
    r = cli(web, "show", VIDEO, archive=copy)
    assert r.returncode == 0, r.stderr
    cited = r.stdout.split("cited by:\n", 1)[1]
    assert "no article" not in cited
    assert cited.startswith("  unknown: the records of which articles cite it were lost: its first journal entries "
                            "were in a WARC file that is lost or damaged"), cited
    # A post whose history is whole still reads as before.
    whole = cli(web, "show", VIDEO, archive=archive).stdout.split("cited by:\n", 1)[1]
    assert "unknown" not in whole and "maybe others" not in whole
    shown = _show(web, copy, VIDEO)
    assert shown["articles"] == [] and shown["history_lost"] is True
    assert _show(web, archive, VIDEO)["history_lost"] is False

def test_a_post_whose_first_entries_were_cut_off_keeps_its_captures_and_history(two_runs: Any) -> None:
    """The first file cut inside the first post's entry: that run's captures (in its second file)
    and the next run's checks survive."""
    web, copy, first_files, later, archive = _copy(two_runs, "cut")
    first = copy / "warcs" / first_files[0]
    cut = min(rec.offset for rec in iter_records(first) if rec.target_uri.startswith("urn:post:"))
    with first.open("r+b") as fh:
        fh.truncate(cut + 40)
    r = cli(web, "reindex", "--force", archive=copy)
    assert r.returncode == 1, r.stderr
    assert "truncated" in r.stderr and "rebuilt from partial history" in r.stderr
    shown, original = _show(web, copy, VIDEO), _show(web, archive, VIDEO)
    assert shown["history"] == original["history"]
    assert [c["captured_at"] for c in shown["captures"]] == [c["captured_at"] for c in original["captures"]]
    kept = [name for name in first_files[1:]] + later
    assert _owners(copy, kept) == _owners(archive, kept)


YOUTUBE = f"youtube:{site.YOUTUBE.id}"


def test_a_rebuilt_post_gets_its_canonical_url_and_is_re_checked_by_it(two_runs: Any) -> None:
    """A post rebuilt from its later entries alone gets the URL its platform builds from its ID,
    so the next run's re-check asks about the post itself, not about an empty address."""
    web, copy, first_files, _later, _archive = _copy(two_runs, "recheck")
    for name in first_files:
        (copy / "warcs" / name).unlink()
    r = cli(web, "reindex", "--force", archive=copy)
    assert r.returncode == 1 and YOUTUBE in r.stderr, r.stderr
    assert _show(web, copy, YOUTUBE)["url"] == f"https://www.youtube.com/watch?v={site.YOUTUBE.id}"
    seeds = copy.parent / "seeds"
    again = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", archive=copy)
    assert again.returncode == 0, again.stderr
    history = _show(web, copy, YOUTUBE)["history"]
    assert history and history[-1]["status"] == "live", history


def test_a_re_check_of_a_post_with_no_url_records_nothing(two_runs: Any) -> None:
    """A rebuilt post whose URL is still unknown (its platform builds none from the key) is not
    asked about with an empty address: the re-check names it not checked and records no change."""
    web, copy, first_files, _later, _archive = _copy(two_runs, "nourl")
    for name in first_files:
        (copy / "warcs" / name).unlink()
    r = cli(web, "reindex", "--force", archive=copy)
    assert r.returncode == 1, r.stderr
    with sqlite3.connect(copy / "archive.db") as conn:
        conn.execute("UPDATE posts SET url = '' WHERE key = ?", [YOUTUBE])
    before = _show(web, copy, YOUTUBE)["history"]
    # No seeds: the article, whose embed would give the URL back, is not read again.
    seeds = copy.parent / "no-seeds"
    seeds.mkdir()
    (seeds / "none.urls").write_text("")
    again = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", archive=copy)
    assert f"{YOUTUBE}: not checked" in again.stderr and "no URL" in again.stderr, again.stderr
    assert _show(web, copy, YOUTUBE)["history"] == before
