"""Seeds: .urls lists, feeds and sitemaps recognised by content, durations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from archiver.errors import UsageError
from archiver.seeds import feed_links, parse_duration, read_seeds

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://news.example/</link>
<item><title>A</title><link>https://news.example/a.html</link></item>
<item><title>B</title><link>https://news.example/b.html</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<link href="https://news.example/"/><entry><title>C</title><link rel="alternate" href="https://news.example/c.html"/></entry></feed>"""
SITEMAP = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://news.example/d.html</loc></url></urlset>"""


@pytest.mark.parametrize(("text", "expected"), [("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)),
                                                ("7d", timedelta(days=7)), (" 2W ", timedelta(weeks=2))])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "7", "d7", "1.5h", "7 days"])
def test_bad_durations_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError, match="--recheck-after"):
        parse_duration(bad)


def test_feeds_and_sitemaps_give_article_links_only() -> None:
    assert feed_links(RSS) == ["https://news.example/a.html", "https://news.example/b.html"]
    assert feed_links(ATOM) == ["https://news.example/c.html"]
    assert feed_links(SITEMAP) == ["https://news.example/d.html"]
    assert feed_links(b"<html><body>not a feed</body></html>") is None


def test_seed_folder(tmp_path: Path) -> None:
    (tmp_path / "list.urls").write_text("# comment\nhttps://news.example/x.html  # inline\n\nnot-a-url\n")
    (tmp_path / "feed.xml").write_bytes(RSS)
    (tmp_path / "story.html").write_text("<html><p>article</p></html>")
    seeds = read_seeds(tmp_path)
    assert seeds.sources[:3] == ["https://news.example/a.html", "https://news.example/b.html",
                                 "https://news.example/x.html"]
    assert seeds.sources[3].endswith("story.html")
    assert len(seeds.problems) == 1 and "not-a-url" in seeds.problems[0]


def test_missing_seeds_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        read_seeds(tmp_path / "nope")


def test_a_binary_urls_file_is_one_problem_not_one_per_line(tmp_path: Path) -> None:
    import random

    noise = random.Random(7).randbytes(200_000)
    (tmp_path / "big.urls").write_bytes(noise)
    (tmp_path / "good.urls").write_text("https://news.example/a.html\n")
    seeds = read_seeds(tmp_path)
    assert seeds.problems == [f"{tmp_path / 'big.urls'}: binary content, not a list of URLs; skipped"]
    assert seeds.sources == ["https://news.example/a.html"]
