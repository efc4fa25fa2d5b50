"""A `*.urls` file given to `archive` or `scan` stands for the URLs it lists, as in a seeds folder:
each line a source, `#` comments, each bad line a named failure that stops nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import ROOT, cli
from tests.fakeweb import FakeWeb, site


def _list(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "cited.urls"
    path.write_text("# what the story cites\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_scan_reads_each_url_a_list_names(tmp_path: Path) -> None:
    # An address without its scheme, as copied from an address bar, is an https URL.
    listed = _list(tmp_path, site.ARTICLE_PROTECTED.url.removeprefix("https://"), "not a url",
                   f"{site.TWEET_WITHHELD.status_url}  # a post")
    with FakeWeb(tmp_path / "web") as web:
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", str(listed), "--map-host", web.map_host,
                            "--ca-bundle", str(web.ca_pem), "--format", "jsonl"],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1, r.stderr  # one line of three is no URL
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(row["key"], row["source"]) for row in rows] == [
        (f"twitter:{site.TWEET_PROTECTED.id}", site.ARTICLE_PROTECTED.url),
        (f"twitter:{site.TWEET_WITHHELD.id}", site.TWEET_WITHHELD.status_url),
    ]
    assert f"archiver: {listed}:3: not an http(s) URL: 'not a url'" in r.stderr.splitlines()


def test_a_list_with_no_usable_line_is_a_usage_error(tmp_path: Path) -> None:
    listed = _list(tmp_path, "ftp://files.example/a", "no address at all")
    for command in ("scan", "archive"):
        where = ["--archive-dir", str(tmp_path / "archive")] if command == "archive" else []
        r = subprocess.run([sys.executable, "-m", "archiver.cli", command, str(listed), *where],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert r.returncode == 2, (command, r.stderr)
        assert r.stdout == ""
        assert "not an http(s) URL: 'ftp://files.example/a'" in r.stderr, command
    assert not (tmp_path / "archive").exists()  # nothing to archive: no archive made


def test_a_list_of_many_bad_lines_names_ten_and_counts_the_rest(tmp_path: Path) -> None:
    # A CSV export saved as *.urls: 200,000 lines made as many lines on stderr, and a summary of
    # 12 MB appended to a cron job's log at every run.
    listed = _list(tmp_path, *(f"not a url {i}" for i in range(5000)))
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", str(listed)],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert [line for line in lines if "not an http(s) URL" in line] == [
        f"archiver: {listed}:{n + 2}: not an http(s) URL: 'not a url {n}'" for n in range(10)]
    assert f"archiver: {listed}: 4990 more line(s) skipped, not named here (is it a list of URLs, one a line?)" in lines
    assert len(lines) < 20


def test_a_list_that_lists_nothing_is_said_so(tmp_path: Path) -> None:
    listed = _list(tmp_path)  # a comment, no URL
    for command in ("scan", "archive"):
        where = ["--archive-dir", str(tmp_path / "archive")] if command == "archive" else []
        r = subprocess.run([sys.executable, "-m", "archiver.cli", command, str(listed), *where],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert r.returncode == 2, (command, r.stderr)
        assert f"{listed}: lists no URL (one a line; `#` starts a comment)" in r.stderr, command


@pytest.mark.browser
def test_archive_captures_what_a_list_names(tmp_path: Path) -> None:
    listed = _list(tmp_path, site.TWEET_WITHHELD.status_url, "", "# a line of its own", "ftp://files.example/a")
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", str(listed), "--format", "json", archive=archive)
    assert r.returncode == 1, r.stderr  # the ftp: line is named, the post captured
    summary = json.loads(r.stdout)
    assert [row["key"] for row in summary["results"]] == [f"twitter:{site.TWEET_WITHHELD.id}"]
    assert summary["failures"] == [f"{listed}:5: not an http(s) URL: 'ftp://files.example/a'"]


FEED = "https://news.example/feed.xml"  # the fake news site's RSS: every article of site.ARTICLES


def test_scan_reads_the_articles_a_feed_url_lists(tmp_path: Path) -> None:
    with FakeWeb(tmp_path / "web") as web:
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", FEED, "--map-host", web.map_host,
                            "--ca-bundle", str(web.ca_pem), "--format", "jsonl"],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    sources = {json.loads(line)["source"] for line in r.stdout.splitlines()}
    assert sources == {a.url for a in site.ARTICLES.values()}  # the feed's articles, read (each cites a post)
    assert r.stderr.strip().endswith(f"in {len(site.ARTICLES)} source(s)")


def test_a_post_a_feed_lists_by_its_address_is_that_post(tmp_path: Path) -> None:
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Picks</title>'
           f"<item><title>A post</title><link>{site.TWEET_WITHHELD.status_url}</link></item>"
           f"<item><title>A story</title><link>{site.ARTICLE_PROTECTED.url}</link></item></channel></rss>")
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", "/picks.xml"), rss)
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", "https://news.example/picks.xml",
                            "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem), "--format", "jsonl"],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    assert [(row["key"], row["evidence"]) for row in map(json.loads, r.stdout.splitlines())] == [
        (f"twitter:{site.TWEET_WITHHELD.id}", "address"), (f"twitter:{site.TWEET_PROTECTED.id}", "blockquote.twitter-tweet")]


@pytest.mark.browser
def test_a_feed_url_in_a_list_archives_its_articles_once(tmp_path: Path) -> None:
    # The flood story is listed by the feed and given on its own: archived once.
    listed = _list(tmp_path, FEED, site.ARTICLE_FLOOD.url)
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", str(listed), "--format", "json", archive=tmp_path / "archive")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["feeds"], summary["articles"], summary["articles_failed"]) == (1, len(site.ARTICLES), 0)
    assert len(summary["results"]) == 7  # every post the five articles cite, each once
    held = cli(web, "lookup", "--format", "json", "--article", FEED, archive=tmp_path / "archive")
    assert held.returncode == 0 and json.loads(held.stdout) == []  # the feed is no article


def test_a_hash_inside_an_address_is_part_of_it_and_two_addresses_on_a_line_are_named(tmp_path: Path) -> None:
    from archiver.seeds import SeedList, _read_url_list

    path = tmp_path / "news.urls"
    path.write_text("https://twitter.com/#!/jack/status/20   # the first tweet, an old address\n"
                    "https://news.example/a.html https://news.example/b.html\n"
                    "https://news.example/c.html#section\n# a comment\n   # an indented one\n", encoding="utf-8")
    out = SeedList()
    _read_url_list(path, path.read_bytes(), out)
    assert out.sources == ["https://twitter.com/#!/jack/status/20", "https://news.example/c.html#section"]
    assert out.problems == [f"{path}:2: more than one word on the line (one URL a line): "
                            "'https://news.example/a.html https://news.example/b.html'; skipped"]


def test_a_list_is_known_by_its_name_in_any_case_or_as_notepad_saves_it(tmp_path: Path) -> None:
    from archiver.seeds import is_url_list

    assert all(is_url_list(Path(n)) for n in ("news.urls", "NEWS.URLS", "news.urls.txt", "News.Urls.TXT"))
    assert not any(is_url_list(Path(n)) for n in ("news.txt", "urls", "news.urls~", "news.urlsx"))


def test_editors_backups_in_a_folder_are_no_sources(tmp_path: Path) -> None:
    from archiver.sources import expand

    for name in ("news.urls", "news.urls~", "#news.urls#", "story.html", "story.html~"):
        (tmp_path / name).write_text("x")
    assert list(expand([str(tmp_path)])) == [str(tmp_path / "news.urls"), str(tmp_path / "story.html")]
