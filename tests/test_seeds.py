"""Seeds: .urls lists, feeds and sitemaps recognised by content, durations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from archiver.errors import UsageError
from archiver.seeds import Feed, expand_feed, feed_date, feed_links, newest, parse_duration, read_feed, read_seeds

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


def test_a_report_saved_in_the_seeds_folder_is_no_seed(tmp_path: Path) -> None:
    from archiver.index.rows import CitationRow, PostRow
    from archiver.report import render_report

    post = PostRow(key="twitter:20", platform="twitter", post_id="20", url="https://x.com/jack/status/20", handle="jack",
                   author=None, posted_at=None, text="just setting up", links=[], media=[], status="live",
                   articles=[CitationRow(url="https://news.example/a.html", kind="embedded", evidence=None)],
                   captures=[], history=[])
    (tmp_path / "report.html").write_text(render_report([post], tmp_path, tmp_path / "report.html"))
    (tmp_path / "story.html").write_text("<html><p>article</p></html>")
    seeds = read_seeds(tmp_path)
    assert [Path(s).name for s in seeds.sources] == ["story.html"] and not seeds.problems
    assert seeds.notes == [f"{tmp_path / 'report.html'}: a report of archiver's own, not an article: not read as a seed"]


def test_one_article_spelt_two_ways_in_the_seeds_is_one_source_under_the_first_spelling(tmp_path: Path) -> None:
    """A newsletter link (`?utm_source=`...) in a `.urls` list and the feed's clean address: one source."""
    (tmp_path / "a-desk.urls").write_text("https://news.example/a.html?utm_source=newsletter\n"
                                          "https://news.example/b.html?fbclid=x\nhttps://news.example/b.html?page=2\n")
    (tmp_path / "feed.xml").write_bytes(RSS)
    assert read_seeds(tmp_path).sources == ["https://news.example/a.html?utm_source=newsletter",
                                            "https://news.example/b.html?fbclid=x",
                                            "https://news.example/b.html?page=2"]


def test_a_gzipped_sitemap_in_the_seeds_folder_is_read(tmp_path: Path) -> None:
    """A sitemap saved as its site serves it (`sitemap.xml.gz`) gives its articles, decompressed
    within --max-bytes (past it: named, skipped); a gzip file of anything else is a source as before."""
    import gzip

    (tmp_path / "sitemap.xml.gz").write_bytes(gzip.compress(SITEMAP))
    (tmp_path / "big.xml.gz").write_bytes(gzip.compress(SITEMAP + b"<!-- " + b"x" * 5000 + b" -->"))
    (tmp_path / "photo.gz").write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(range(256))))
    seeds = read_seeds(tmp_path, max_bytes=4096)
    # In the folder's order; the photo stays a source, refused as binary when it is read, as before.
    assert seeds.sources == [str(tmp_path / "photo.gz"), "https://news.example/d.html"]
    assert len(seeds.problems) == 1 and "big.xml.gz" in seeds.problems[0] and "once decompressed" in seeds.problems[0]


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


def _sitemap(urls: list[tuple[str, str | None]], *, news: bool = False) -> bytes:
    """A sitemap listing (url, date) pairs: `<lastmod>`, or a news sitemap's publication date."""
    def entry(url: str, date: str | None) -> str:
        if date is None:
            return f"<url><loc>{url}</loc></url>"
        if news:
            return (f"<url><loc>{url}</loc><news:news><news:publication_date>{date}</news:publication_date>"
                    "</news:news></url>")
        return f"<url><loc>{url}</loc><lastmod>{date}</lastmod></url>"

    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            + "".join(entry(u, d) for u, d in urls) + "</urlset>").encode()


def test_a_whole_site_sitemap_gives_a_run_its_newest_articles_up_to_the_bound(tmp_path: Path) -> None:
    # 1,500 articles, one a day, listed oldest first: the 1,000 newest are taken, in the sitemap's order.
    from datetime import date

    days = [date.fromordinal(date(2020, 1, 1).toordinal() + i).isoformat() for i in range(1500)]
    (tmp_path / "site.xml").write_bytes(_sitemap([(f"https://news.example/{i}.html", d) for i, d in enumerate(days)]))
    seeds = read_seeds(tmp_path)
    assert seeds.sources == [f"https://news.example/{i}.html" for i in range(500, 1500)]
    assert seeds.left_out == 500
    assert seeds.notes == [f"{tmp_path / 'site.xml'}: 500 of its 1500 articles left out, 1000 taken (the newest "
                           "where dated; --max-feed-articles 1000 is the bound, raise it for more)"]
    assert len(read_seeds(tmp_path, max_feed_articles=2000).sources) == 1500


def test_the_bound_never_cuts_a_news_sitemap(tmp_path: Path) -> None:
    # Google's rule: at most 1,000 URLs in a news sitemap.
    urls = [(f"https://news.example/{i}.html", f"2024-03-05T{i // 60 % 24:02d}:{i % 60:02d}:00Z") for i in range(1000)]
    (tmp_path / "news.xml").write_bytes(_sitemap(urls, news=True))
    seeds = read_seeds(tmp_path)
    assert len(seeds.sources) == 1000 and seeds.notes == [] and seeds.left_out == 0


def test_the_newest_are_taken_by_the_dates_each_kind_of_feed_gives() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><link>https://news.example/old.html</link><pubDate>Mon, 04 Mar 2024 15:10:00 GMT</pubDate></item>
    <item><link>https://news.example/new.html</link><pubDate>Tue, 05 Mar 2024 09:30:00 +0100</pubDate></item>
    <item><link>https://news.example/undated.html</link></item></channel></rss>"""
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
    <entry><link href="https://news.example/a.html"/><updated>2024-03-06T08:00:00Z</updated></entry>
    <entry><link href="https://news.example/b.html"/><updated>2024-03-09T10:00:00+02:00</updated></entry></feed>"""
    news = _sitemap([("https://news.example/x.html", "2024-03-09"), ("https://news.example/y.html", "2024-03-10")],
                    news=True)
    for data, first, second in ((rss, "new", "old"), (atom, "b", "a"), (news, "y", "x")):
        feed = read_feed(data)
        assert feed is not None
        assert [e.url for e in newest(feed.articles, 1)[0]] == [f"https://news.example/{first}.html"]
        # the two newest, in the feed's order
        assert [e.url for e in newest(feed.articles, 2)[0]] == [f"https://news.example/{n}.html" for n in (second, first)]
    listed = read_feed(rss)
    assert listed is not None and newest(listed.articles, 3) == (listed.articles, 0)


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-05", "2024-03-05T00:00:00+00:00"), ("2024-03", "2024-03-01T00:00:00+00:00"),
    ("2024-03-05T09:30:00+01:00", "2024-03-05T08:30:00+00:00"), ("2024-03-05T09:30Z", "2024-03-05T09:30:00+00:00"),
    ("Tue, 05 Mar 2024 09:30:00 GMT", "2024-03-05T09:30:00+00:00"), ("05 Mar 2024 09:30:00 -0500", "2024-03-05T14:30:00+00:00"),
    ("yesterday", None), ("", None), ("2024-13-45", None), ("0001-01-01T00:00:00+05:00", None)])
def test_feed_dates(text: str, expected: str | None) -> None:
    moment = feed_date(text)
    assert (moment.isoformat() if moment else None) == expected


def _index(*locs: str) -> bytes:
    return ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs) + "</sitemapindex>").encode()


def test_a_sitemap_index_is_read_one_level_deep_and_loops_end() -> None:
    # A lists itself, B and C; B lists A back (an index); C lists two articles. Each is read once at most.
    web = {"https://news.example/a.xml": _index("https://news.example/a.xml", "https://news.example/b.xml",
                                                "https://news.example/c.xml"),
           "https://news.example/b.xml": _index("https://news.example/a.xml"),
           "https://news.example/c.xml": _sitemap([("https://news.example/1.html", None),
                                                   ("https://news.example/2.html", None)])}
    fetched: list[str] = []

    def fetch(url: str) -> Feed | None:
        fetched.append(url)
        return read_feed(web[url])

    root = read_feed(web["https://news.example/a.xml"])
    assert root is not None and root.articles == []
    got = expand_feed("https://news.example/a.xml", root, room=10, fetch=fetch)
    assert fetched == ["https://news.example/b.xml", "https://news.example/c.xml"]
    assert got.articles == ["https://news.example/1.html", "https://news.example/2.html"]
    assert got.notes == ["https://news.example/b.xml: a sitemap index within the sitemap index "
                         "https://news.example/a.xml: the 1 sitemap(s) it lists are not read (one level of sitemaps)"]
    # Listed by a feed, an index gives nothing of its sitemaps: no second level.
    fetched.clear()
    nested = expand_feed("https://news.example/a.xml", root, room=10, fetch=None)
    assert (fetched, nested.articles, len(nested.notes)) == ([], [], 1)


def test_a_sitemap_index_in_the_seeds_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "sitemaps.xml").write_bytes(_index("https://news.example/s1.xml"))
    seeds = read_seeds(tmp_path)
    assert seeds.sources == []
    assert seeds.problems == [f"{tmp_path / 'sitemaps.xml'}: a sitemap index (it lists sitemaps, not articles); put "
                              "its address in a *.urls file, and each run reads the sitemaps it lists"]


def test_a_sitemap_index_of_dead_sitemaps_is_read_no_further_than_the_bound() -> None:
    from archiver.errors import SourceError

    fetched: list[str] = []

    def fetch(url: str) -> Feed | None:
        fetched.append(url)
        raise SourceError(f"{url}: HTTP 404; check the address")

    root = read_feed(_index(*(f"https://news.example/s{n}.xml" for n in range(50))))
    assert root is not None
    got = expand_feed("https://news.example/index.xml", root, room=3, fetch=fetch)
    assert fetched == [f"https://news.example/s{n}.xml" for n in range(3)]
    assert (got.articles, got.unread, len(got.problems)) == ([], 47, 3)


def test_a_feed_file_in_the_seeds_is_counted_as_a_feed(tmp_path: Path) -> None:
    (tmp_path / "list.urls").write_text("https://news.example/x.html\n")
    (tmp_path / "feed.xml").write_bytes(RSS)
    (tmp_path / "atom.xml").write_bytes(ATOM)
    (tmp_path / "story.html").write_text("<html><p>article</p></html>")
    assert read_seeds(tmp_path).feeds == 2


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_a_urls_file_saved_with_a_byte_order_mark_is_read_whole(tmp_path: Path, encoding: str) -> None:
    """Notepad and Excel's exports start a file with a byte-order mark, or save it as UTF-16."""
    text = "https://news.example/a.html\r\nhttps://news.example/ü.html\r\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (tmp_path / "desk.urls").write_bytes(data)
    seeds = read_seeds(tmp_path)
    assert (seeds.sources, seeds.problems) == (["https://news.example/a.html", "https://news.example/ü.html"], [])
