"""Instagram, Facebook, Threads, LinkedIn and Telegram read from their embed pages, end to end: one
`archiver archive` of an article embedding a live, a gone and a not-public post of each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import cli
from tests.fakeweb import archived, embedpages
from tests.fakeweb.server import FakeWeb
from tests.platform_run import PlatformRun, archive_run, requests_missing_from_warc

STORY = "/2024/harbour-posts.html"
_IG = ("CLiveIG0001", "CGoneIG0001", "CPrivIG0001")
_FB = ("1000000001", "1000000002", "1000000003")
_TH = (("harbourcouncil", "CLiveTH001"), ("harbourcouncil", "CGoneTH001"), ("quietresident", "CPrivTH001"))
_LI = ("7150000000000000001", "7150000000000000002", "7150000000000000003")
_TG = ("harbournews/101", "harbournews/102", "closedharbour/7")
ARTICLE = ("<!doctype html><html><head><title>Harbour posts</title></head><body><h1>What they posted</h1>"
           + "".join(f'<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/{c}/" '
                     f'data-instgrm-version="14"><a href="https://www.instagram.com/p/{c}/">View this post on Instagram</a>'
                     "</blockquote>" for c in _IG)
           + "".join(f'<div class="fb-post" data-href="https://www.facebook.com/harbourcouncil/posts/{p}/" '
                     'data-width="500"></div>' for p in _FB)
           + "".join(f'<blockquote class="text-post-media" data-text-post-permalink="https://www.threads.net/@{h}/post/{c}">'
                     f'<a href="https://www.threads.net/@{h}/post/{c}">Post by @{h}</a></blockquote>' for h, c in _TH)
           + "".join(f'<iframe src="https://www.linkedin.com/embed/feed/update/urn:li:activity:{i}" height="500" '
                     'width="504" title="Embedded post"></iframe>' for i in _LI)
           + "".join(f'<script async src="https://telegram.org/js/telegram-widget.js?22" data-telegram-post="{p}" '
                     'data-width="100%"></script>' for p in _TG)
           + "</body></html>")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformRun]:
    tmp = tmp_path_factory.mktemp("embedpages")
    with FakeWeb(tmp / "web", handlers={**embedpages.HANDLERS, **archived.HANDLERS}) as web:
        yield archive_run(web, tmp / "archive", STORY, ARTICLE)


def test_each_post_gets_the_status_its_embed_page_gives_with_its_words(run: PlatformRun) -> None:
    # Facebook and LinkedIn do not say why a post is gone, nor Instagram of a post never seen: "unavailable",
    # named as failures (exit 1).
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stderr
    fb_login = ("https://www.facebook.com/login/?next=%2Fplugins%2Fpost.php%3Fhref%3Dhttps%253A%252F%252F"
                "www.facebook.com%252Fharbourcouncil%252Fposts%252F1000000003%252F%26show_text%3Dtrue")
    li_login = ("https://www.linkedin.com/authwall?trk=embed&sessionRedirect=%2Fembed%2Ffeed%2Fupdate%2F"
                "urn%3Ali%3Aactivity%3A7150000000000000003")
    assert run.statuses() == {
        "instagram:CLiveIG0001": ("live", "the embed page shows the post"),
        "instagram:CGoneIG0001": ("unavailable", "The link you followed may be broken, or the page may have been removed: Instagram shows this page for an address that never named a post as well (a shortcode mistyped or cut short): gone only once a check found it there"),
        "instagram:CPrivIG0001": ("protected", "This Account is Private"),
        "facebook:1000000001": ("live", "the embed page shows the post"),
        "facebook:1000000002": ("unavailable", "This Facebook post is no longer available."),
        "facebook:1000000003": ("login_required", f"the embed page sent an anonymous reader to log in ({fb_login})"),
        "threads:CLiveTH001": ("live", "the embed page shows the post"),
        "threads:CGoneTH001": ("deleted", "Sorry, this post has been deleted."),
        "threads:CPrivTH001": ("protected", "This profile is private."),
        "linkedin:7150000000000000001": ("live", "the embed page shows the post"),
        "linkedin:7150000000000000002": ("unavailable", "This post cannot be displayed."),
        "linkedin:7150000000000000003": ("login_required", f"the embed page sent an anonymous reader to log in ({li_login})"),
        "telegram:harbournews/101": ("live", "the embed page shows the post"),
        "telegram:harbournews/102": ("deleted", "Post not found"),
        "telegram:closedharbour/7": ("protected", "Channel is private"),
    }
    # Each of them named, with the platform's words: what exit 1 stands for.
    named = ["instagram:CGoneIG0001: unavailable: The link you followed may be broken, or the page may have been "
             "removed: Instagram shows this page for an address that never named a post as well (a shortcode mistyped "
             "or cut short): gone only once a check found it there",
             "facebook:1000000002: unavailable: This Facebook post is no longer available.",
             "linkedin:7150000000000000002: unavailable: This post cannot be displayed."]
    assert run.failures == named
    assert [line.removeprefix("archiver: failed: ") for line in run.stderr.splitlines()
            if line.startswith("archiver: failed: ")] == named


@pytest.mark.parametrize(("platform", "expected"), [
    ("instagram", {
        "instagram:CLiveIG0001": ("harbourphotos", "Harbour Photos", "2024-04-25T00:26:40.000Z",
                                  "Low tide at the old pier.\nShot at dawn."),
        # Recovered from the Wayback copy of its embed page.
        "instagram:CGoneIG0001": ("harbourphotos", "Harbour Photos", "2024-03-01T12:00:00.000Z",
                                  "The pier before the storm."),
        "instagram:CPrivIG0001": (None, None, None, None),
    }),
    ("facebook", {
        "facebook:1000000001": ("harbourcouncil", "Harbour Council", "2024-04-02T08:00:00.000Z",
                                "The east wall reopens on Monday.\nThank you for your patience."),
        "facebook:1000000002": ("harbourcouncil", None, None, None),
        "facebook:1000000003": ("harbourcouncil", None, None, None),
    }),
    ("threads", {
        "threads:CLiveTH001": ("harbourcouncil", "Harbour Council", "2024-04-20T10:00:00.000Z",
                               "Ferry timetable changes from May 1."),
        "threads:CGoneTH001": ("harbourcouncil", None, None, None),
        "threads:CPrivTH001": ("quietresident", None, None, None),
    }),
    ("linkedin", {
        # LinkedIn's time is in its IDs.
        "linkedin:7150000000000000001": (None, "Harbour Council", "2024-01-08T05:47:20.576Z",
                                         "We are hiring two harbour pilots."),
        "linkedin:7150000000000000002": (None, None, "2024-01-08T05:47:20.576Z", None),
        "linkedin:7150000000000000003": (None, None, "2024-01-08T05:47:20.576Z", None),
    }),
    ("telegram", {
        "telegram:harbournews/101": ("harbournews", "Harbour News", "2024-04-01T09:30:00.000Z",
                                     "Storm warning lifted.\nFerries run again from noon."),
        "telegram:harbournews/102": ("harbournews", None, None, None),
        "telegram:closedharbour/7": ("closedharbour", None, None, None),
    }),
])
def test_lookup_shows_what_each_embed_page_said(run: PlatformRun, platform: str, expected: dict[str, Any]) -> None:
    assert run.lookup(platform) == expected


@pytest.mark.parametrize(("key", "url"), [
    ("instagram:CLiveIG0001", "https://scontent.cdninstagram.com/ig/CLiveIG0001/640x800/photo.jpg"),
    ("facebook:1000000001", "https://scontent.xx.fbcdn.net/fb/1000000001/640x800/photo.jpg"),
    ("threads:CLiveTH001", "https://scontent.cdninstagram.com/th/CLiveTH001/640x800/photo.jpg"),
    ("linkedin:7150000000000000001", "https://media.licdn.com/li/7150000000000000001/640x800/photo.jpg"),
    ("telegram:harbournews/101", "https://cdn4.telesco.pe/tg/harbournews-101/640x800/photo.jpg"),
])
def test_the_largest_image_candidate_is_saved_and_in_the_warc(run: PlatformRun, key: str, url: str) -> None:
    assert run.media(key) == [(url, embedpages.LARGE)]
    assert run.warc_status(url) == 200


def test_gone_and_hidden_posts_keep_no_media(run: PlatformRun) -> None:
    for key in ("instagram:CPrivIG0001", "facebook:1000000002", "threads:CGoneTH001", "linkedin:7150000000000000003",
                "telegram:harbournews/102"):
        assert run.media(key) == [], key


def test_a_wayback_copy_counts_only_when_it_shows_the_post(run: PlatformRun) -> None:
    instagram = run.show("instagram:CGoneIG0001")
    assert [(c["source"], c["status"]) for c in instagram["captures"]] == [("live", "unavailable"),
                                                                          ("wayback", "recovered")]
    assert instagram["captures"][1]["url"] == (
        f"https://web.archive.org/web/{archived.STAMP}/https://www.instagram.com/p/CGoneIG0001/embed/captioned/")
    # The copy of Telegram's own "Post not found" page is kept: it recovers nothing, and it is no
    # error either (it shows the post already gone when the copy was made).
    telegram = run.show("telegram:harbournews/102")
    assert [(c["source"], c["status"], c["error"]) for c in telegram["captures"]] == [
        ("live", "deleted", None), ("wayback", "not_recovered", "the Wayback copy does not show the post")]
    # Every capture written is counted; the post's source stays the live capture, which shows it best.
    assert {r["key"]: (r["captures"], r["source"]) for r in run.results if "Gone" in r["key"] or "102" in r["key"]} == {
        "instagram:CGoneIG0001": (2, "wayback"), "threads:CGoneTH001": (1, "live"), "telegram:harbournews/102": (2, "live")}


def test_show_and_the_report_say_why_a_wayback_copy_recovered_nothing(run: PlatformRun, tmp_path: Path) -> None:
    shown = cli(run.web, "show", "telegram:harbournews/102", archive=run.archive)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    header = lines[lines.index("captures:") + 1].split()
    assert header == ["CAPTURED_AT", "FROM", "STATUS", "THEN", "SCREENSHOT", "WARC"], header
    copy = next(line for line in lines if " wayback " in line)
    assert " not_recovered " in copy and copy.endswith("— the Wayback copy does not show the post"), copy
    made = cli(run.web, "report", "--platform", "telegram", "--format", "json", archive=run.archive)
    assert made.returncode == 0, made.stderr
    post = next(p for p in json.loads(made.stdout)["posts"] if p["key"] == "telegram:harbournews/102")
    assert [(c["source"], c["status"], c["reason"]) for c in post["crops"]] == [
        ("live", "deleted", None), ("wayback", "not_recovered", "the Wayback copy does not show the post")]
    page = tmp_path / "report.html"
    made = cli(run.web, "report", "--platform", "telegram", "-o", str(page), archive=run.archive)
    assert made.returncode == 0, made.stderr
    assert "showed it (not recovered: the Wayback copy does not show the post), captured " in page.read_text()


def test_every_request_the_web_saw_is_in_the_warc(run: PlatformRun) -> None:
    assert requests_missing_from_warc(run) == []
    asked = {e["host"] + e["path"].split("?")[0] for e in run.web_log}
    assert {"www.instagram.com/p/CLiveIG0001/embed/captioned/", "www.facebook.com/plugins/post.php",
            "www.threads.net/@harbourcouncil/post/CLiveTH001/embed", "t.me/harbournews/101",
            "www.linkedin.com/embed/feed/update/urn:li:activity:7150000000000000001", "archive.org/wayback/available",
            "web.archive.org/cdx/search/cdx"} <= asked


def test_a_wayback_copy_that_recovered_nothing_is_not_fetched_again(run: PlatformRun, tmp_path: Path) -> None:
    """The copy does not change: captured again, the post's live page is, its Wayback copy is not."""
    import shutil

    archive = tmp_path / "archive"
    shutil.copytree(run.archive, archive)
    start = len(run.web.log)
    again = cli(run.web, "archive", "https://t.me/harbournews/102", "--recapture", "--format", "json", archive=archive)
    assert again.returncode == 0, again.stderr
    asked = [e["host"] + e["path"] for e in run.web.log[start:]]
    assert any(a.startswith("t.me/harbournews/102") for a in asked), asked  # captured again, live
    assert not [a for a in asked if "archive.org" in a.split("/")[0]], asked  # nor its look-up
    shown = json.loads(cli(run.web, "show", "telegram:harbournews/102", "--format", "json", archive=archive).stdout)
    assert [c["source"] for c in shown["captures"]].count("wayback") == 1, shown["captures"]


def test_a_recheck_renders_no_post_whose_fetched_embed_page_settled_its_status(run: PlatformRun, tmp_path: Path) -> None:
    """Each embed page's words (deleted, private...) settle the status without a render: a re-check
    that finds them unchanged writes no capture, as for any post whose status did not change (only a
    page that said nothing at all leaves the status to the render: tests/test_postcapture_decisions.py)."""
    import shutil

    archive = tmp_path / "archive"
    shutil.copytree(run.archive, archive)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "story.urls").write_text(STORY + "\n")
    again = cli(run.web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=archive)
    results = json.loads(again.stdout)["results"]
    assert results and not [r for r in results if r["changed"]], results
    assert {r["key"]: r["captures"] for r in results if r["captures"]} == {}, results
    assert {r["status"] for r in results} >= {"unavailable", "login_required"}  # Facebook's, LinkedIn's words too


def test_a_threads_short_address_asks_for_no_embed_page_of_an_unknown_author(run: PlatformRun, tmp_path: Path) -> None:
    """`/t/CODE` names no author, and the embed page's path needs one: it is taken from what is
    known of the post (the article's "Post by @user"), never spelled `@None`."""
    web = run.web
    start = len(web.log)
    alone = cli(web, "archive", "https://www.threads.net/t/CLiveTH001", "--format", "json", archive=tmp_path / "a")
    assert "Traceback" not in alone.stderr
    asked = [e["host"] + e["path"] for e in web.log[start:]]
    assert not [a for a in asked if "None" in a], asked
    assert not [a for a in asked if a.endswith("/embed")], asked
    shown = json.loads(cli(web, "show", "threads:CLiveTH001", "--format", "json", archive=tmp_path / "a").stdout)
    assert shown["status"] == "unknown", shown
    assert "no embed page is known" in (shown["reason"] or ""), shown

    web.set_state(("article", "/2024/threads-short.html"),
                  '<!doctype html><title>T</title><blockquote class="text-post-media" '
                  'data-text-post-permalink="https://www.threads.net/t/CLiveTH001">'
                  '<a href="https://www.threads.net/t/CLiveTH001">Post by @harbourcouncil</a></blockquote>')
    start = len(web.log)
    cited = cli(web, "archive", "https://news.example/2024/threads-short.html", "--format", "json", archive=tmp_path / "b")
    assert "Traceback" not in cited.stderr
    asked = [e["host"] + e["path"] for e in web.log[start:]]
    assert not [a for a in asked if "None" in a], asked
    assert "www.threads.net/@harbourcouncil/post/CLiveTH001/embed" in asked, asked
    shown = json.loads(cli(web, "show", "threads:CLiveTH001", "--format", "json", archive=tmp_path / "b").stdout)
    assert shown["status"] == "live", shown
