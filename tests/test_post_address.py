"""A post's own address given as a source: the post itself, not an article that cites nothing.

`archive` with tweets' status URLs and t.co short links in real Chromium against the local fake
web: the posts are captured as every post is, once even when an article given beside them cites
one too, no article is made of their addresses, and a short link to an article archives that
article. `scan` lists a post by its address without fetching anything, and follows short links.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from archiver.detect import post_at_address
from tests.e2e import ROOT, cli
from tests.fakeweb import FakeWeb, site


@pytest.mark.parametrize(("url", "key"), [
    (site.TWEET_WITHHELD.status_url, f"twitter:{site.TWEET_WITHHELD.id}"),
    (f"{site.TWEET_PROTECTED.x_url}?s=20", f"twitter:{site.TWEET_PROTECTED.id}"),
    (f"https://youtu.be/{site.YOUTUBE.id}", f"youtube:{site.YOUTUBE.id}"),
    (f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_PHOTO.id}", f"twitter:{site.TWEET_PHOTO.id}"),
    (f"https://mastodon.social/@someone/{site.TWEET_PHOTO.id}", f"mastodon:mastodon.social/{site.TWEET_PHOTO.id}"),
])
def test_a_posts_address_is_that_post(url: str, key: str) -> None:
    post = post_at_address(url)
    assert post is not None and post.key == key
    assert (post.kind, post.evidence, post.source) == ("linked", "address", url)


@pytest.mark.parametrize("url", [
    site.ARTICLE_FLOOD.url,
    f"https://twitter.com/{site.TRUTH.screen_name}",  # a profile
    "https://blog.example/@someone/1764718078373491923",  # a post's shape on a host no platform owns
    "https://t.co/Qm4Lp2XvBn",  # a short link: where it leads is learnt by following it
])
def test_other_addresses_are_not_posts(url: str) -> None:
    assert post_at_address(url) is None


def test_scan_lists_the_post_without_fetching_it() -> None:
    # Every name is sent to a closed loopback port: a fetch would fail the source.
    closed = ["--map-host", "*=127.0.0.1:9"]
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", site.TWEET_WITHHELD.status_url, *closed,
                        "--format", "jsonl"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    (row,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert (row["key"], row["handle"], row["source"]) == (
        f"twitter:{site.TWEET_WITHHELD.id}", site.TRUTH.screen_name, site.TWEET_WITHHELD.status_url)
    assert r.stderr.strip().endswith("1 post(s) in 1 source(s)")


def test_scan_follows_a_short_link_to_the_article_or_post_it_stands_for(tmp_path: Any) -> None:
    # t.co shows browsers a page that forwards them: the article is the address past it.
    with FakeWeb(tmp_path / "web") as web:
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", "https://t.co/N3wsRvtn01",
                            "https://t.co/Qm4Lp2XvBn", "https://t.co/NoSuchCode", "--map-host", web.map_host,
                            "--ca-bundle", str(web.ca_pem), "--format", "jsonl"],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1, r.stderr  # one source of three failed
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(row["key"], row["source"]) for row in rows] == [
        *((key, "https://t.co/N3wsRvtn01") for key in FLOOD_KEYS),
        (f"twitter:{site.TWEET_PHOTO.id}", "https://t.co/Qm4Lp2XvBn"),
    ]
    assert "archiver: https://t.co/NoSuchCode: could not be followed (https://t.co/NoSuchCode: HTTP 404)" in r.stderr


FLOOD_KEYS = [f"twitter:{site.TWEET_PHOTO.id}", f"twitter:{site.TWEET_VIDEO.id}", f"twitter:{site.TWEET_DELETED.id}",
              f"youtube:{site.YOUTUBE.id}"]  # the flood story's embeds, in its order


@pytest.mark.browser
def test_archive_captures_a_posts_address_as_that_post(tmp_path: Any) -> None:
    archive = tmp_path / "archive"
    withheld, protected = f"twitter:{site.TWEET_WITHHELD.id}", f"twitter:{site.TWEET_PROTECTED.id}"
    with FakeWeb(tmp_path / "web") as web:
        # A post's address; an article; a post it cites, by its address; short links to a post (the
        # photo tweet) and to an article (the flood story, which embeds the photo tweet too).
        r = cli(web, "archive", site.TWEET_WITHHELD.status_url, site.ARTICLE_PROTECTED.url,
                f"{site.TWEET_PROTECTED.x_url}?s=20", "https://t.co/Qm4Lp2XvBn", "https://t.co/N3wsRvtn01",
                "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert (summary["articles"], summary["post_addresses"]) == (2, 3)
        # Each post once, however many sources named it.
        assert {row["key"]: row["status"] for row in summary["results"]} == {
            withheld: "withheld", protected: "protected", FLOOD_KEYS[0]: "live", FLOOD_KEYS[1]: "live",
            FLOOD_KEYS[2]: "deleted", FLOOD_KEYS[3]: "live"}
        assert "0 already held" in r.stderr and "2 article(s), 6 post(s)" in r.stderr
        shown = {}
        for key in (withheld, protected):
            out = cli(web, "show", key, "--format", "json", archive=archive)
            assert out.returncode == 0, out.stderr
            shown[key] = json.loads(out.stdout)
        assert shown[withheld]["articles"] == []  # nothing cites it: no article was made of its address
        table = cli(web, "show", withheld, archive=archive)
        assert table.stdout.endswith("cited by:\n  no article: archived from its own address or a short link "
                                     "given as a source\n"), table.stdout
        assert [a["url"] for a in shown[protected]["articles"]] == [site.ARTICLE_PROTECTED.url]
        assert all(shown[k]["captures"] for k in shown)
        # An article's address given to show: said to be an article, with the command that lists its posts.
        article = cli(web, "show", site.ARTICLE_PROTECTED.url, archive=archive)
        assert article.returncode == 2 and article.stderr == (
            f"archiver: {site.ARTICLE_PROTECTED.url}: an article in the archive, not a post; "
            f"`archiver lookup --archive-dir {archive} --article {site.ARTICLE_PROTECTED.url}` lists the posts it "
            "cites\n")
        # The article behind the short link is held under its own address, with its posts.
        cited = cli(web, "lookup", "--format", "json", "--article", site.ARTICLE_FLOOD.url, archive=archive)
        assert cited.returncode == 0 and sorted(p["key"] for p in json.loads(cited.stdout)) == sorted(FLOOD_KEYS)
        for address in (site.TWEET_WITHHELD.status_url, "https://t.co/Qm4Lp2XvBn", "https://t.co/N3wsRvtn01"):
            held = cli(web, "lookup", "--format", "json", "--article", address, archive=archive)
            assert held.returncode == 0 and json.loads(held.stdout) == [], address
        # The short link given as a source names the post it led to, as the user copied it.
        for link in ("https://t.co/Qm4Lp2XvBn", "t.co/Qm4Lp2XvBn"):
            out = cli(web, "show", link, "--format", "json", archive=archive)
            assert out.returncode == 0, out.stderr
            assert json.loads(out.stdout)["key"] == FLOOD_KEYS[0]
        again = cli(web, "archive", site.TWEET_WITHHELD.status_url, "--format", "json", archive=archive)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["posts_skipped_already_captured"] == 1


@pytest.mark.browser
def test_a_short_link_in_text_that_leads_to_an_article_is_no_post(tmp_path: Any) -> None:
    # Two bare t.co links in a text source: one leads to a tweet (a post), one to an article (none).
    text = tmp_path / "notes.txt"
    text.write_text("Full report: https://t.co/N3wsRvtn01 and the photo https://t.co/Qm4Lp2XvBn\n")
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", str(text), "--format", "json", archive=tmp_path / "archive")
        assert r.returncode == 0, r.stderr
        assert [row["key"] for row in json.loads(r.stdout)["results"]] == [FLOOD_KEYS[0]]
        held = cli(web, "lookup", "--format", "json", archive=tmp_path / "archive")
        assert [p["key"] for p in json.loads(held.stdout)] == [FLOOD_KEYS[0]]  # no blank post for the article's link

        # Read again (a scheduled run over the same seeds): the link is not followed again, since a
        # short link does not change where it leads; `--recapture` follows it once more.
        def asked() -> int:
            return sum(1 for e in web.log if e["host"] == "t.co" and e["path"] == "/N3wsRvtn01")

        assert asked() == 1
        again = cli(web, "archive", str(text), "-v", "--format", "json", archive=tmp_path / "archive")
        assert again.returncode == 0, again.stderr
        assert asked() == 1
        assert "https://t.co/N3wsRvtn01 led to https://news.example/" in again.stderr
        assert "no post; not followed again" in again.stderr, again.stderr
        forced = cli(web, "archive", str(text), "--recapture", "--format", "json", archive=tmp_path / "archive")
        assert forced.returncode == 0, forced.stderr
        assert asked() == 2


@pytest.mark.browser
def test_a_page_of_a_platform_that_is_no_post_is_archived_as_a_page_and_said_so(tmp_path: Any) -> None:
    """A status URL with a mistyped ID is no post's address: archived as the page it is, and whoever
    meant a post is told; an article elsewhere gets no such line."""
    mistyped = "https://twitter.com/RivertonDesk/status/abc"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", mistyped, site.ARTICLE_FLOOD.url, archive=tmp_path / "archive")
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if "no post's address" in line]
    assert notes == [f"archiver: {mistyped}: a page of twitter that is no post's address: archived as a page "
                     "(check the address if you meant a post)"], r.stderr
    # `show` of that address says what the archive holds there, as for an article's own address.
    shown = subprocess.run([sys.executable, "-m", "archiver.cli", "show", mistyped, "--archive-dir",
                            str(tmp_path / "archive")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert (shown.returncode, shown.stdout) == (2, "")
    assert shown.stderr == f"archiver: {mistyped}: a page in the archive that cites no post, not a post; `archiver show` shows posts\n"


@pytest.mark.browser
def test_show_finds_the_post_a_short_link_in_an_article_led_to(tmp_path: Any) -> None:
    # The run followed the article's bare t.co link to the photo tweet; `show` is given that link as
    # a reader copies it from the article (any spelling of its code), and asks no server.
    page = tmp_path / "story.html"
    page.write_text('<html><body><p>The photo: <a href="https://t.co/Qm4Lp2XvBn">https://t.co/Qm4Lp2XvBn</a>'
                    "</p></body></html>\n")
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", str(page), "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        assert [row["key"] for row in json.loads(r.stdout)["results"]] == [FLOOD_KEYS[0]]
    for link in ("https://t.co/Qm4Lp2XvBn", "t.co/Qm4Lp2XvBn", "https://pic.twitter.com/Qm4Lp2XvBn"):
        shown = subprocess.run([sys.executable, "-m", "archiver.cli", "show", link, "--format", "json",
                                "--archive-dir", str(archive)], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert shown.returncode == 0, shown.stderr
        detail = json.loads(shown.stdout)
        assert detail["key"] == FLOOD_KEYS[0] and detail["captures"], link
        assert [a["url"] for a in detail["articles"]] == [page.as_uri()]


@pytest.mark.browser
def test_show_finds_a_flattened_post_by_the_key_scan_gave_it_and_by_the_short_link_followed(tmp_path: Any) -> None:
    # A flattened tweet (text and signature, its ID only behind pic.twitter.com/CODE): `scan`
    # offline names it by a hash key; the run follows its short link to its ID. Both the old key
    # (whole or abbreviated) and the link, in any spelling of its code, still find the post.
    text = tmp_path / "quote.txt"
    text.write_text(site.FLAT_TEXT + "\n")
    closed = ["--map-host", "*=127.0.0.1:9"]
    scanned = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", str(text), *closed, "--format", "jsonl"],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert scanned.returncode == 0, scanned.stderr
    (row,) = [json.loads(line) for line in scanned.stdout.splitlines()]
    old_key = row["key"]
    assert old_key.startswith("twitter:h:"), row
    archive = tmp_path / "archive"
    key = f"twitter:{site.TWEET_FLAT.id}"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", str(text), "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        assert [row["key"] for row in json.loads(r.stdout)["results"]] == [key]
    code = site.TWEET_FLAT.media_tco
    for ident in (old_key, old_key[:20], f"pic.twitter.com/{code}", f"https://t.co/{code}", f"t.co/{code}"):
        shown = subprocess.run([sys.executable, "-m", "archiver.cli", "show", ident, "--format", "json",
                                "--archive-dir", str(archive)], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert shown.returncode == 0, (ident, shown.stderr)
        detail = json.loads(shown.stdout)
        assert detail["key"] == key and detail["captures"], ident
        assert [a["url"] for a in detail["articles"]] == [text.as_uri()]


@pytest.mark.browser
@pytest.mark.parametrize("order", ["own address first", "short link first"])
def test_show_of_a_short_link_that_led_to_an_article_names_that_article(tmp_path: Any, order: str) -> None:
    # The flood story, archived by its own address and through a t.co link to it, in either order
    # (the article's latest source is then either): the link given to `show` (as the user copied
    # it) names the article, and how to list what it cites.
    archive = tmp_path / "archive"
    sources = [site.ARTICLE_FLOOD.url, "https://t.co/N3wsRvtn01"]
    with FakeWeb(tmp_path / "web") as web:
        for source in (sources if order == "own address first" else sources[::-1]):
            r = cli(web, "archive", source, "--format", "json", archive=archive)
            assert r.returncode == 0, r.stderr
    for link in ("https://t.co/N3wsRvtn01", "t.co/N3wsRvtn01", "http://t.co/N3wsRvtn01?amp=1"):
        shown = subprocess.run([sys.executable, "-m", "archiver.cli", "show", link, "--archive-dir", str(archive)],
                               capture_output=True, text=True, cwd=ROOT, timeout=60)
        # Exit 2, as for the article's own address: `show` shows posts.
        assert (shown.returncode, shown.stdout) == (2, ""), shown.stderr
        assert shown.stderr == (f"archiver: {link}: a short link a run followed to the article {site.ARTICLE_FLOOD.url}, "
                                f"an article in the archive, not a post; `archiver lookup --archive-dir {archive} "
                                f"--article {site.ARTICLE_FLOOD.url}` lists the posts it cites\n")
    # Another code of the same shortener is still unknown.
    other = subprocess.run([sys.executable, "-m", "archiver.cli", "show", "https://t.co/N3wsRvtn02", "--archive-dir",
                            str(archive)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert other.returncode == 2 and "short link not in the archive" in other.stderr, other.stderr


def test_show_names_a_short_link_the_archive_does_not_know(tmp_path: Any) -> None:
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.platforms.twitter.detect import shortlink_post

    archive = tmp_path / "archive"
    with SQLiteIndex(archive) as index:
        # A short link an offline run found in an article and could not follow: known by its code alone.
        index.upsert_post(shortlink_post("https://t.co/Qm4Lp2XvBn", "story.html", "text"))
        index.upsert_post(post_at_address(f"https://youtu.be/{site.YOUTUBE.id}"))

    def show(link: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "archiver.cli", "show", link, "--format", "json",
                               "--archive-dir", str(archive)], capture_output=True, text=True, cwd=ROOT, timeout=60)

    held = show("https://t.co/Qm4Lp2XvBn")
    assert held.returncode == 0, held.stderr
    assert json.loads(held.stdout)["links"] == ["https://t.co/Qm4Lp2XvBn"]
    for link, url in (("https://t.co/NoSuchCode", "https://t.co/NoSuchCode"),
                      ("t.co/NoSuchCode", "https://t.co/NoSuchCode")):
        r = show(link)
        assert (r.returncode, r.stdout) == (2, ""), r.stderr
        assert r.stderr == (f"archiver: {link}: short link not in the archive at {archive} (no run here followed it "
                            f"to a post); `archiver archive --archive-dir {archive} {url}` follows it and archives "
                            "what it leads to\n")
    # Its code is no post's ID, whatever post of another platform has one like it.
    other = show(f"https://t.co/{site.YOUTUBE.id}")
    assert other.returncode == 2 and "short link not in the archive" in other.stderr, other.stderr


def test_a_short_link_to_no_web_address_and_a_feed_of_nothing_are_named(tmp_path: Any) -> None:
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("short", "MailTo1234"), "ftp://files.news.example/story.txt")
        web.set_state(("article", "/empty.xml"), '<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>')
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", "https://t.co/MailTo1234",
                            "https://news.example/empty.xml", "--map-host", web.map_host, "--ca-bundle",
                            str(web.ca_pem)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2, r.stderr  # nothing readable
    lines = r.stderr.splitlines()
    assert "archiver: https://t.co/MailTo1234: leads to 'ftp://files.news.example/story.txt', not a web address" in lines
    assert "archiver: https://news.example/empty.xml: a feed that lists no article to scan" in lines


@pytest.mark.browser
@pytest.mark.parametrize("order", ["own address first", "short link first"])
def test_an_article_given_by_its_address_and_a_short_link_in_one_run_is_captured_once(tmp_path: Any,
                                                                                       order: str) -> None:
    import sqlite3

    archive = tmp_path / "archive"
    sources = [site.ARTICLE_FLOOD.url, "https://t.co/N3wsRvtn01"]
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", *(sources if order == "own address first" else sources[::-1]),
                "--pages-in-flight", "3", "--format", "json", archive=archive)
    assert r.returncode == 0, r.stderr
    assert sorted(row["key"] for row in json.loads(r.stdout)["results"]) == sorted(FLOOD_KEYS)
    with sqlite3.connect(archive / "archive.db") as db:
        pages = db.execute("SELECT a.url, count(*) FROM captures c JOIN articles a ON a.id = c.article_id "
                           "WHERE c.post IS NULL GROUP BY a.url").fetchall()
    assert pages == [(site.ARTICLE_FLOOD.url, 1)]


@pytest.mark.browser
def test_show_of_a_short_link_no_run_could_follow_names_the_post_that_carries_it(tmp_path: Any) -> None:
    # Beside a flattened tweet whose photo link leads to its post, one whose link the platform
    # does not know (the fake web answers 404): `show` of that link names the post known by it,
    # never the article it was read in as if the link had led there.
    text = tmp_path / "quotes.txt"
    unknown = "pic.twitter.com/Qq99Qq99Qq"
    text.write_text(site.FLAT_TEXT + "\n\nThe levee held overnight " + unknown +
                    "\n— Someone (@someone_x) March 4, 2024\n")
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", str(text), "--format", "json", archive=archive)
    assert r.returncode in (0, 1), r.stderr
    for ident in (unknown, "https://t.co/Qq99Qq99Qq", "t.co/Qq99Qq99Qq"):
        shown = subprocess.run([sys.executable, "-m", "archiver.cli", "show", ident, "--format", "json",
                                "--archive-dir", str(archive)], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert shown.returncode == 0, (ident, shown.stderr)
        detail = json.loads(shown.stdout)
        assert detail["key"].startswith("twitter:h:") and detail["handle"] == "someone_x", detail
        assert unknown in detail["media"], detail
