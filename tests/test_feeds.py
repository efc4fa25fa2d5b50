"""Feeds given as sources or seeds (RSS, Atom, sitemaps): what one feed adds to a run is bounded
(`--max-feed-articles`, the newest where the feed dates them), and what is left out is said."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import ROOT, cli
from tests.fakeweb import FakeWeb, site

FEED = "https://news.example/feed.xml"  # the fake news site's RSS: its five articles, each with its <pubDate>
# The two newest of them, in the feed's order.
NEWEST = [site.ARTICLE_WITHHELD, site.ARTICLE_REVIEW]


def _scan(web: FakeWeb, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "archiver.cli", "scan", *args, "--map-host", web.map_host,
                           "--ca-bundle", str(web.ca_pem), "--format", "jsonl"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, **(env or {})})


def _note(feed: str, taken: int, left_out: int, bound: int) -> str:
    return (f"archiver: {feed}: {left_out} of its {taken + left_out} articles left out, {taken} taken (the newest "
            f"where dated; --max-feed-articles {bound} is the bound, raise it for more)")


def test_scan_takes_the_newest_articles_of_a_feed_up_to_the_bound(tmp_path: Path) -> None:
    with FakeWeb(tmp_path / "web") as web:
        bounded = _scan(web, FEED, "--max-feed-articles", "2")
        from_env = _scan(web, FEED, env={"ARCHIVER_MAX_FEED_ARTICLES": "2"})
        whole = _scan(web, FEED)
    for r in (bounded, from_env):
        assert r.returncode == 0, r.stderr
        assert {json.loads(line)["source"] for line in r.stdout.splitlines()} == {a.url for a in NEWEST}
        assert _note(FEED, 2, 3, 2) in r.stderr.splitlines()
    assert whole.returncode == 0, whole.stderr
    assert {json.loads(line)["source"] for line in whole.stdout.splitlines()} == {a.url for a in site.ARTICLES.values()}
    assert "left out" not in whole.stderr  # the default bound cuts no news feed


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_a_bound_that_is_no_positive_count_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", FEED, f"--max-feed-articles={bad}"],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("archiver: --max-feed-articles") and ("x>=1" in r.stderr or "expected an integer" in r.stderr)


@pytest.mark.browser
def test_archive_takes_the_newest_articles_of_a_feed_up_to_the_bound(tmp_path: Path) -> None:
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", FEED, "--format", "json", "--max-feed-articles", "2", archive=tmp_path / "archive")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["feeds"], summary["articles"], summary["feed_articles_left_out"]) == (1, 2, 3)
    assert [row["key"] for row in summary["results"]] == [
        f"twitter:{t}" for t in (site.TWEET_WITHHELD.id, site.TWEET_PHOTO.id, site.TWEET_DELETED.id)]
    assert _note(FEED, 2, 3, 2) in r.stderr.splitlines()


@pytest.mark.browser
def test_run_takes_the_newest_articles_of_a_feed_file_up_to_the_bound(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    listed = [site.ARTICLE_FLOOD, site.ARTICLE_PROTECTED, site.ARTICLE_WIRE]
    (seeds / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{a.url}</loc><lastmod>{a.published}</lastmod></url>" for a in listed) + "</urlset>")
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=tmp_path / "archive",
                env={"ARCHIVER_MAX_FEED_ARTICLES": "1"})
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["articles"], summary["feed_articles_left_out"]) == (1, 2)
    assert [row["key"] for row in summary["results"]] == [f"twitter:{site.TWEET_PROTECTED.id}"]  # the newest's
    assert _note(str(seeds / "sitemap.xml"), 1, 2, 1) in r.stderr.splitlines()


# -- feeds that list feeds: one level deep, the bound over the whole --------------------------------------

INDEX = "https://news.example/sitemaps.xml"  # a sitemap index: two sitemaps, itself, and an index listing it
FEEDS = "https://news.example/feeds.xml"  # an RSS feed whose entries are an article, a sitemap and the index


def _urlset(*articles: site.Article) -> str:
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{a.url}</loc><lastmod>{a.published}</lastmod></url>" for a in articles) + "</urlset>")


def _index(*sitemaps: tuple[str, str | None]) -> str:
    return ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<sitemap><loc>https://news.example{path}</loc>" + (f"<lastmod>{d}</lastmod>" if d else "")
                      + "</sitemap>" for path, d in sitemaps) + "</sitemapindex>")


def _nested(web: FakeWeb) -> None:
    web.set_state(("article", "/sitemaps.xml"), _index(("/loop.xml", None), ("/sm-old.xml", "2024-03-05"),
                                                       ("/sitemaps.xml", None), ("/sm-new.xml", "2024-03-09")))
    web.set_state(("article", "/loop.xml"), _index(("/sitemaps.xml", None)))  # the two list each other
    web.set_state(("article", "/sm-new.xml"), _urlset(site.ARTICLE_REVIEW, site.ARTICLE_WITHHELD))
    web.set_state(("article", "/sm-old.xml"), _urlset(site.ARTICLE_WIRE, site.ARTICLE_FLOOD))
    web.set_state(("article", "/feeds.xml"), (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Feeds</title>'
        f"<item><link>{site.ARTICLE_PROTECTED.url}</link></item><item><link>https://news.example/sm-old.xml</link></item>"
        f"<item><link>{INDEX}</link></item></channel></rss>"))


def _sources(r: subprocess.CompletedProcess[str]) -> set[str]:
    """The articles a scan read (those citing a post)."""
    return {json.loads(line)["source"] for line in r.stdout.splitlines()}


def _posts(*articles: site.Article) -> set[str]:
    """The keys of the posts these articles cite, as `archive` captures them (its tweets, its YouTube
    video; the wire story's flattened tweet, found by its short link)."""
    keys = {f"twitter:{t}" for a in articles for t in a.tweet_ids}
    keys |= {f"twitter:{site.TWEET_FLAT.id}" for a in articles if a is site.ARTICLE_WIRE}
    return keys | {f"youtube:{site.YOUTUBE.id}" for a in articles if any(k == "youtube" for k, _ in a.blocks)}


NOT_FOLLOWED_IN_INDEX = (f"archiver: https://news.example/loop.xml: a sitemap index within the sitemap index {INDEX}: "
                         "the 1 sitemap(s) it lists are not read (one level of sitemaps)")
NOT_FOLLOWED_IN_FEED = (f"archiver: {INDEX}: a sitemap index listed by a feed: the 4 sitemap(s) it lists are not read "
                        "(one level of feeds within a feed)")


def test_scan_reads_the_articles_of_the_sitemaps_a_sitemap_index_lists_one_level_deep(tmp_path: Path) -> None:
    with FakeWeb(tmp_path / "web") as web:
        _nested(web)
        whole = _scan(web, INDEX)
        bounded = _scan(web, INDEX, "--max-feed-articles", "2")
        feeds = _scan(web, FEEDS)
    assert whole.returncode == 0, whole.stderr
    assert _sources(whole) == {a.url for a in (site.ARTICLE_REVIEW, site.ARTICLE_WITHHELD, site.ARTICLE_WIRE,
                                               site.ARTICLE_FLOOD)}
    assert NOT_FOLLOWED_IN_INDEX in whole.stderr.splitlines()
    # The newest sitemap first (its <lastmod>): its two articles fill the bound, the others are not read.
    assert bounded.returncode == 0, bounded.stderr
    assert _sources(bounded) == {site.ARTICLE_REVIEW.url, site.ARTICLE_WITHHELD.url}
    assert (f"archiver: {INDEX}: 0 of the 2 articles of the sitemaps read left out and 2 of its sitemaps not read, "
            "2 taken (the newest where dated; --max-feed-articles 2 is the bound, raise it for more)"
            ) in bounded.stderr.splitlines()
    # A feed whose entries are feeds: the sitemap's articles are read, the index's sitemaps are not.
    assert feeds.returncode == 0, feeds.stderr
    assert _sources(feeds) == {site.ARTICLE_PROTECTED.url, site.ARTICLE_WIRE.url, site.ARTICLE_FLOOD.url}
    assert NOT_FOLLOWED_IN_FEED in feeds.stderr.splitlines()


@pytest.mark.browser
def test_archive_takes_the_articles_scan_reads_from_feeds_that_list_feeds(tmp_path: Path) -> None:
    cases = {  # (source, bound): the articles taken, what the summary counts
        (INDEX, "3"): ([site.ARTICLE_REVIEW, site.ARTICLE_WITHHELD, site.ARTICLE_FLOOD], (1, 3, 1)),
        (FEEDS, "1000"): ([site.ARTICLE_PROTECTED, site.ARTICLE_WIRE, site.ARTICLE_FLOOD], (3, 3, 0)),
        (FEEDS, "2"): ([site.ARTICLE_PROTECTED], (2, 1, 3)),
    }
    with FakeWeb(tmp_path / "web") as web:
        _nested(web)
        runs = {(source, bound): (cli(web, "archive", source, "--format", "json", "--max-feed-articles", bound,
                                      archive=tmp_path / f"archive-{n}"),
                                  _scan(web, source, "--max-feed-articles", bound))
                for n, (source, bound) in enumerate(cases)}
    for case, (articles, counts) in cases.items():
        archived, scanned = runs[case]
        assert archived.returncode == 0, (case, archived.stderr)
        assert scanned.returncode == 0, (case, scanned.stderr)
        summary = json.loads(archived.stdout)
        assert (summary["feeds"], summary["articles"], summary["feed_articles_left_out"]) == counts, case
        assert {row["key"] for row in summary["results"]} == _posts(*articles), case
        assert _sources(scanned) == {a.url for a in articles}, case
        said = [[line for line in r.stderr.splitlines() if "left out" in line or "not read" in line]
                for r in (archived, scanned)]
        assert said[0] == said[1], case  # the same lines, in the same order
    # The bound over the index and its sitemaps together: the three newest of the four read (the
    # newest sitemap first); the index that lists the index back is not read once the bound is met.
    assert (f"archiver: {INDEX}: 1 of the 4 articles of the sitemaps read left out and 1 of its sitemaps not read, "
            "3 taken (the newest where dated; --max-feed-articles 3 is the bound, raise it for more)"
            ) in runs[(INDEX, "3")][0].stderr.splitlines()
    # A feed whose entries are feeds: the sitemap it lists gives its articles, the index it lists none.
    assert NOT_FOLLOWED_IN_FEED in runs[(FEEDS, "1000")][0].stderr.splitlines()


# -- the progress bar ---------------------------------------------------------------------------------------

@pytest.mark.browser
def test_the_progress_bar_counts_the_articles_a_feed_adds_and_ends_full(tmp_path: Path) -> None:
    # A feed of five articles, a post's own address and a page that is not there: three sources given.
    from archiver.archive import archive
    from archiver.net import NetOptions
    from archiver.progress import Progress

    specs = [FEED, site.TWEET_WITHHELD.status_url, "https://news.example/missing.html"]
    progress = Progress(total=len(specs), quiet=True)
    steps: list[tuple[str, int, int | None]] = []

    def told(message: str) -> None:
        progress(message)
        steps.append((message, progress.articles_started, progress.articles))

    with FakeWeb(tmp_path / "web") as web:
        net = NetOptions.from_options([web.map_host], web.ca_pem, None).trusting(specs)
        summary = archive(specs, tmp_path / "archive", net, progress=told).to_dict()
    assert (summary["articles"], summary["feeds"], summary["post_addresses"], summary["articles_failed"],
            summary["posts"]) == (5, 1, 1, 1, 7)
    # Each source given and each article of the feed is one step, started once; the total knows the
    # feed's articles from when it is read, and never counts fewer than have started.
    assert (progress.articles, progress.articles_started, progress.posts_started) == (8, 8, 7)
    assert all(started <= (articles or 0) for _, started, articles in steps), steps
    assert [articles for m, _, articles in steps if m.startswith("feed ")] == [8]
    assert (progress.completed, progress.total) == (15, 15)  # every step done


def test_a_sitemap_served_gzipped_is_read(tmp_path: Path) -> None:
    """Sites list their sitemaps as `.xml.gz` files (compressed as files, not in transit): read as
    the sitemaps they are, given or listed by an index; a gzip file of anything else stays refused."""
    import gzip

    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("file", "/sm-1.xml.gz"), (gzip.compress(_urlset(site.ARTICLE_REVIEW).encode()), "application/x-gzip"))
        web.set_state(("file", "/photo.gz"), (gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(range(256))), "application/gzip"))
        web.set_state(("article", "/gz-index.xml"), _index(("/sm-1.xml.gz", None)))
        given = _scan(web, "https://news.example/sm-1.xml.gz")
        listed = _scan(web, "https://news.example/gz-index.xml")
        other = _scan(web, "https://news.example/photo.gz")
        big = ('<?xml version="1.0"?><urlset>' + "<url><loc>https://news.example/a</loc></url>" * 40_000 + "</urlset>")
        web.set_state(("file", "/big.xml.gz"), (gzip.compress(big.encode()), "application/x-gzip"))
        bomb = _scan(web, "https://news.example/big.xml.gz", "--max-bytes", "1000000")
    assert bomb.returncode == 2 and "over --max-bytes 1000000 once decompressed" in bomb.stderr, bomb.stderr
    for r in (given, listed):
        assert r.returncode == 0, r.stderr
        assert _sources(r) == {site.ARTICLE_REVIEW.url}
    assert other.returncode == 2 and "binary content" in other.stderr


@pytest.mark.browser
def test_an_article_a_list_spells_with_tracking_parameters_and_a_feed_lists_clean_is_captured_once(
        tmp_path: Path) -> None:
    """A newsletter link (`?utm_source=`) in a `.urls` list, the same article in a feed file of the
    seeds and in a feed read from the web: one article, captured once, named as the list spells it.
    The counts add up: the feed file is a feed, the seeds are read once (their notes said once),
    and a post's own address is said to be one."""
    import sqlite3

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shared = f"{site.ARTICLE_FLOOD.url}?utm_source=newsletter&utm_medium=email"
    post = site.TWEET_WITHHELD.status_url
    (seeds / "desk.urls").write_text(f"{shared}\n{FEED}\n{post}\n")
    (seeds / "sitemap.xml").write_text(_urlset(site.ARTICLE_FLOOD, site.ARTICLE_REVIEW))
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "-v", "run", "--seeds", str(seeds), "--format", "json", "--map-host", web.map_host,
                "--ca-bundle", str(web.ca_pem), archive=archive)
        verified = cli(web, "verify", archive=archive)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["articles"], summary["articles_failed"], summary["feeds"], summary["post_addresses"]) == (
        5, 0, 2, 1), summary
    with sqlite3.connect(archive / "archive.db") as db:
        rows = db.execute("SELECT a.url, a.source, count(c.id) FROM articles a JOIN captures c ON c.article_id = a.id "
                          "GROUP BY a.id").fetchall()
    assert len(rows) == 5 and (site.ARTICLE_FLOOD.url, shared, 1) in rows, rows
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lines = r.stderr.splitlines()
    assert lines.count(f"archiver: {seeds / 'sitemap.xml'}: feed with 2 article(s)") == 1, r.stderr
    assert f"archiver: post address {post}" in lines and f"archiver: article {post}" not in lines, r.stderr
    assert f"archiver: article {shared}" in lines and f"archiver: article {site.ARTICLE_FLOOD.url}" not in lines


def test_scan_of_a_saved_feed_file_says_its_articles_are_not_fetched(tmp_path: Path) -> None:
    """A feed file is read as it is (what its entries hold); the articles it lists are fetched only
    for the feed's URL, or by `run` from a seeds folder: said, rather than a silent nothing."""
    saved = tmp_path / "feed.xml"
    saved.write_text(_urlset(site.ARTICLE_REVIEW, site.ARTICLE_WITHHELD))
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", str(saved)], capture_output=True, text=True,
                       cwd=ROOT, timeout=60)
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert (f"archiver: {saved}: a feed file listing 2 article(s) or sitemap(s), read as it is; give the feed's URL "
            "to scan its articles, or put the file in a seeds folder for `archiver run`") in r.stderr.splitlines()


@pytest.mark.parametrize("start", [
    b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n",  # a byte-order mark first
    b"<!-- generated by the CMS -->\n",
    b"<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"rss.xsl\"?>\n<!DOCTYPE rss>\n",
])
def test_a_feed_is_known_by_its_first_element_whatever_comes_before_it(start: bytes) -> None:
    from archiver.seeds import read_feed

    feed = read_feed(start + b'<rss version="2.0"><channel><item><link>https://news.example/a.html</link>'
                             b"</item></channel></rss>\n")
    assert feed is not None and [e.url for e in feed.articles] == ["https://news.example/a.html"]
    rdf = read_feed(start + b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                            b'xmlns="http://purl.org/rss/1.0/"><item><link>https://news.example/b.html</link></item>'
                            b"</rdf:RDF>")
    assert rdf is not None and [e.url for e in rdf.articles] == ["https://news.example/b.html"]
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
             '<link href="https://news.example/c.html"/></entry></feed>').encode("utf-16")
    assert [e.url for e in read_feed(utf16).articles] == ["https://news.example/c.html"]  # type: ignore[union-attr]
    assert read_feed(start + b"<html><body><p>an article</p></body></html>") is None


def test_links_a_loose_feed_writes_as_html_would_are_read_whole(caplog: pytest.LogCaptureFixture) -> None:
    # A bare & in a link and an HTML entity break XML's rules; read by them, each link lost what
    # follows the &. A feed past repair is read as far as it goes, and that is said.
    from archiver.seeds import read_feed

    feed = read_feed(b'<rss version="2.0"><channel>'
                     b"<item><link>https://a.example/x?id=5&utm=1&page=2</link></item>"
                     b"<item><link>https://a.example/caf&eacute;&nbsp;x</link></item>"
                     b"<item><link>https://a.example/y?a=1&amp;b=2&#38;c=3</link></item>"
                     b"</channel></rss>")
    assert feed is not None and [e.url for e in feed.articles] == [
        "https://a.example/x?id=5&utm=1&page=2", "https://a.example/caf\xe9\xa0x", "https://a.example/y?a=1&b=2&c=3"]
    assert not caplog.records
    broken = read_feed(b'<rss version="2.0"><channel><item><link>https://a.example/z</link></item><item><link>'
                       b"https://a.example/w</link></channel></rss>", "feeds/news.xml")
    assert broken is not None and "https://a.example/z" in [e.url for e in broken.articles]
    assert any("feeds/news.xml: not well-formed XML" in r.getMessage() for r in caplog.records)


def test_a_relative_link_in_a_feed_is_read_against_its_base() -> None:
    from archiver.seeds import read_feed

    rss = b'<rss version="2.0"><channel><item><link>/2024/riverton-flood.html</link></item></channel></rss>'
    fetched = read_feed(rss, base_url="https://news.example/feeds/rss.xml")
    assert fetched is not None and [e.url for e in fetched.articles] == ["https://news.example/2024/riverton-flood.html"]
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/"><entry>'
            b'<link href="2024/wire-story.html"/></entry><entry><link href="https://other.example/x.html"/></entry></feed>')
    based = read_feed(atom)  # a saved file: its xml:base alone
    assert based is not None and [e.url for e in based.articles] == [
        "https://news.example/2024/wire-story.html", "https://other.example/x.html"]
    alone = read_feed(rss)  # no base at all: left as written, for the caller to name
    assert alone is not None and [e.url for e in alone.articles] == ["/2024/riverton-flood.html"]


def test_an_address_with_spaces_around_it_or_given_as_a_permalink_guid_is_read() -> None:
    """`<link href=" https://..."/>` is that address (kept whole, it read as the name of a local
    file); an RSS item with no `<link>` is at its `<guid>` unless the guid says it is no permalink."""
    from archiver.seeds import read_feed

    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href=" https://news.example/a.html "/></entry>'
            b"<entry><link href='\n\thttps://news.example/b.html'/></entry></feed>")
    feed = read_feed(atom)
    assert feed is not None and [e.url for e in feed.articles] == ["https://news.example/a.html", "https://news.example/b.html"]
    rss = (b'<rss version="2.0"><channel><item><guid isPermaLink="true"> https://news.example/c.html </guid></item>'
           b"<item><guid>https://news.example/d.html</guid></item>"
           b'<item><guid isPermaLink="false">https://news.example/e.html</guid></item>'
           b"<item><guid>tag:news.example,2024:42</guid></item>"
           b"<item><link>https://news.example/f.html</link><guid>https://news.example/other.html</guid></item>"
           b"</channel></rss>")
    feed = read_feed(rss)
    assert feed is not None and [e.url for e in feed.articles] == [
        "https://news.example/c.html", "https://news.example/d.html", "https://news.example/f.html"]


def test_a_feed_whose_items_hold_whole_pages_is_a_feed() -> None:
    """Full-text feeds put each article's page in `<content:encoded>` (or a JSON Feed's
    `content_html`): an `<html>` near the top does not make the feed an article."""
    import json as _json

    from archiver.models import Document
    from archiver.seeds import document_feed

    rss = ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
           "<channel><title>F</title><item><link>https://news.example/a.html</link><content:encoded><![CDATA["
           "<!DOCTYPE html><html><body><p>full text</p></body></html>]]></content:encoded></item>"
           "<item><link>https://news.example/b.html</link></item></channel></rss>")
    jf = _json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "https://news.example/a.html", "content_html": "<html><body>x</body></html>"}]})
    for text, expected in ((rss, ["https://news.example/a.html", "https://news.example/b.html"]),
                           (jf, ["https://news.example/a.html"])):
        doc = Document(source="https://news.example/feed", text=text, is_html=True, raw=text.encode())
        feed = document_feed(doc)
        assert feed is not None and [e.url for e in feed.articles] == expected
    page = "<!doctype html><html><body><p>an article</p></body></html>"
    assert document_feed(Document(source="a.html", text=page, is_html=True, raw=page.encode())) is None


def test_a_json_feed_lists_its_items_pages() -> None:
    import json as _json

    from archiver.seeds import read_feed

    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "News", "items": [
        {"id": "1", "url": "https://news.example/2024/riverton-flood.html", "date_published": "2024-03-04T10:00:00Z"},
        {"id": "2", "external_url": "https://other.example/b.html"},
        {"id": "3", "url": "/2024/wire-story.html", "date_modified": "2024-03-05"},
        {"id": "4", "content_text": "no page"}, "not an item"]}
    feed = read_feed(b"\xef\xbb\xbf" + _json.dumps(doc).encode(), base_url="https://news.example/feed.json")
    assert feed is not None and [(e.url, e.date.isoformat() if e.date else None) for e in feed.articles] == [
        ("https://news.example/2024/riverton-flood.html", "2024-03-04T10:00:00+00:00"),
        ("https://other.example/b.html", None),
        ("https://news.example/2024/wire-story.html", "2024-03-05T00:00:00+00:00")]
    assert read_feed(b'{"version": "1.0", "items": []}') is None  # other JSON is no feed
    assert read_feed(b"{not json") is None


def test_a_text_that_is_no_feed_is_turned_down_whatever_its_opening() -> None:
    # Runs of spaces, processing instructions or comments before anything else: each is matched once,
    # never tried again in every other split (which took twice as long for each further space).
    # The child must end at all: a bound of a minute, not a measure of speed.
    code = ("from archiver.sources import looks_like_feed; from archiver.detect.sniff import looks_like_html\n"
            "for opening in (' ' * 400, '<?a?>' * 200, '<!---->' * 200, '<!--' * 200):\n"
            "    assert not looks_like_feed(opening.encode() + b'x') and not looks_like_html(opening + 'x')\n"
            # a loose feed's repair: each comment or CDATA section left open is searched once
            "from archiver.seeds import _repaired\n"
            "assert _repaired(b'<!--' * 100000).count(b'<!--') == 100000 and _repaired(b'<![CDATA[' * 50000)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_loose_feed_is_repaired_around_cdata_in_utf_16_and_under_a_doctype() -> None:
    from archiver.seeds import read_feed

    cdata = read_feed(b'<rss version="2.0"><channel><title>A & B news</title><item>'
                      b"<link><![CDATA[https://a.example/x?id=5&utm=1]]></link></item></channel></rss>")
    assert cdata is not None and [e.url for e in cdata.articles] == ["https://a.example/x?id=5&utm=1"]
    utf16 = read_feed('<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"><channel><item>'
                      "<link>https://a.example/z?a=1&b=2</link></item></channel></rss>".encode("utf-16"))
    assert utf16 is not None and [e.url for e in utf16.articles] == ["https://a.example/z?a=1&b=2"]
    doctype = read_feed(b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
                        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel><item>'
                        b"<link>https://a.example/caf&eacute;-x?a=1</link></item></channel></rss>")
    assert doctype is not None and [e.url for e in doctype.articles] == ["https://a.example/caf\xe9-x?a=1"]


def test_a_feed_s_own_entities_are_read_and_no_other(tmp_path: Path) -> None:
    """An entity the feed declares in its doctype ended every link at it (`&site;/a.html` read as
    nothing); one naming a file or a URL must never be read, nor one that expands a billion times."""
    import time

    from archiver.seeds import read_feed

    secret = tmp_path / "secret.txt"
    secret.write_text("do-not-read")
    feed = read_feed(b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY site "https://news.example">]>'
                     b'<rss version="2.0"><channel><item><link>&site;/2024/a.html</link></item></channel></rss>')
    assert feed is not None and [e.url for e in feed.articles] == ["https://news.example/2024/a.html"]
    outside = read_feed(f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
                        '<rss version="2.0"><channel><item><link>https://news.example/b.html</link><title>&x;</title>'
                        '</item></channel></rss>'.encode())
    assert outside is None or all("do-not-read" not in e.url for e in outside.articles)
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    started = time.monotonic()
    bomb = read_feed(f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{lol}]><rss version="2.0"><channel>'
                     '<item><link>https://news.example/c.html</link><title>&l9;</title></item></channel></rss>'.encode())
    assert time.monotonic() - started < 5
    assert bomb is None or all(len(e.url) < 100 for e in bomb.articles)
