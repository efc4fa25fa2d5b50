"""Share links (TikTok's `vm.tiktok.com/CODE`, `vt.tiktok.com/CODE`, `www.tiktok.com/t/CODE`; Reddit's
`reddit.com/r/SUB/s/CODE`): found in articles as links and as bare text, followed hop by hop to the
post they stand for, which is then captured like any other; a link that leads to no post is no post.
Real CLI, browser and fake web."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.detect import detect
from archiver.models import Document
from tests.e2e import ROOT, cli
from tests.e2e import lookup as run_lookup
from tests.fakeweb import reddit, video
from tests.fakeweb.server import FakeWeb
from tests.platform_run import PlatformRun, archive_run, requests_missing_from_warc

STORY = "/2024/harbour-shared.html"
VIDEO = "tiktok:7350000000000000004"
THREAD = f"reddit:{reddit.LIVE_ID}"
ARTICLE = ("<!doctype html><html><head><title>Shared from the app</title></head><body><h1>What readers sent</h1>"
           '<p>A reader filmed <a href="https://vm.tiktok.com/ZMshare01/">the pier at dawn</a> '
           '(<a href="HTTPS://VM.TIKTOK.COM/ZMshare01/">again</a>: hosts are read in any case).</p>'
           "<p>Another sent the same clip as www.tiktok.com/t/ZTshare02/ in a message.</p>"
           '<p>A third link <a href="https://vt.tiktok.com/ZSnovideo/">no longer shows a video</a>.</p>'
           f'<p>The <a href="https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1">thread</a> where it was posted, '
           f"and another now gone: reddit.com/r/{reddit.SUB}/s/Rv8gone00</p>"
           "</body></html>")


def test_share_links_are_found_as_links_and_as_text() -> None:
    posts = detect(Document(source="a.html", text=ARTICLE, is_html=True))
    assert [(p.platform, p.kind, p.links, p.key.startswith(p.platform + ":h:")) for p in posts] == [
        ("tiktok", "shortlink", ["https://vm.tiktok.com/ZMshare01"], True),  # both spellings, one link
        ("tiktok", "shortlink", ["www.tiktok.com/t/ZTshare02"], True),
        ("tiktok", "shortlink", ["https://vt.tiktok.com/ZSnovideo"], True),
        ("reddit", "shortlink", [f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1"], True),
        ("reddit", "shortlink", [f"reddit.com/r/{reddit.SUB}/s/Rv8gone00"], True),
    ]
    # A host in capitals is the same host.
    upper = detect(Document(source="c.html", text='<a href="HTTPS://VM.TIKTOK.COM/ZMshare01/">x</a>', is_html=True))
    assert [p.key for p in upper] == [posts[0].key]
    # One link however it is spelt: with or without its scheme, with or without "www.".
    again = detect(Document(source="b.txt", text="vm.tiktok.com/ZMshare01 and tiktok.com/t/ZTshare02", is_html=False))
    assert [p.key for p in again] == [posts[0].key, posts[1].key]


def test_scan_shows_a_share_link_post_by_its_link(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(ARTICLE)
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", str(page)], capture_output=True, text=True,
                       cwd=ROOT, timeout=60, env={**os.environ, "COLUMNS": "300"})
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if " shortlink " in line]
    assert [row.split()[-1] for row in rows] == [
        "https://vm.tiktok.com/ZMshare01", "www.tiktok.com/t/ZTshare02", "https://vt.tiktok.com/ZSnovideo",
        f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1", f"reddit.com/r/{reddit.SUB}/s/Rv8gone00"]


@pytest.mark.parametrize(("url", "platform"), [
    ("https://vm.tiktok.com/ZMshare01/", "tiktok"), ("HTTPS://WWW.TIKTOK.COM/t/ZTshare02/", "tiktok"),
    (f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1", "reddit"), ("https://t.co/AbCdEf1234", "twitter"),
    # A post's own address that names a share link in its query is that post, not a share link.
    ("https://www.tiktok.com/@u/video/7350000000000000001?x=vm.tiktok.com/ZMabcde", None),
    ("https://www.tiktok.com/@harbourcam", None)])
def test_a_short_link_is_known_by_its_own_address(url: str, platform: str | None) -> None:
    from archiver.platforms import shortener_for

    found = shortener_for(url)
    assert (found.name if found is not None else None) == platform


@pytest.mark.parametrize(("url", "lowered"), [
    ("HTTPS://VM.TikTok.COM/ZMx?V=AbC", "https://vm.tiktok.com/ZMx?V=AbC"),
    ("HTTPS://Example.COM?v=AbC", "https://example.com?v=AbC"), ("Example.COM#Top", "example.com#Top"),
    ("VM.TIKTOK.COM/ZMx", "vm.tiktok.com/ZMx"), ("https://x.com", "https://x.com")])
def test_only_scheme_and_host_are_lowered(url: str, lowered: str) -> None:
    from archiver.platforms.base import host_lowered

    assert host_lowered(url) == lowered


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformRun]:
    tmp = tmp_path_factory.mktemp("shares")
    with FakeWeb(tmp / "web", handlers={**video.HANDLERS, **reddit.HANDLERS}) as web:
        yield archive_run(web, tmp / "archive", STORY, ARTICLE)


@pytest.mark.browser
def test_both_links_to_the_video_are_one_captured_post(run: PlatformRun) -> None:
    assert run.exit_code == 0, run.stderr
    assert run.statuses() == {VIDEO: ("live", "oEmbed answered 200"), THREAD: ("live", "the listing returned the post")}
    assert run.lookup("tiktok") == {VIDEO: ("harbourcam", "Harbour Cam", "2024-03-24T18:33:50.000Z",
                                            "The pier at dawn, shared from the app")}
    post = run.show(VIDEO)
    assert [(a["url"], a["kind"]) for a in post["articles"]] == [(f"https://news.example{STORY}", "linked")]
    assert [c["status"] for c in post["captures"]] == ["live"]


@pytest.mark.browser
def test_each_hop_is_in_the_warc_and_the_link_finds_the_post(run: PlatformRun) -> None:
    assert requests_missing_from_warc(run) == []
    for hop in ("https://vm.tiktok.com/ZMshare01/", "https://www.tiktok.com/t/ZTshare02/",
                "https://vt.tiktok.com/ZSnovideo/", f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1",
                f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8gone00"):
        assert run.warc_status(hop) == 301, hop
    assert run.show("https://vm.tiktok.com/ZMshare01/")["key"] == VIDEO
    assert run.show("www.tiktok.com/t/ZTshare02")["key"] == VIDEO
    assert run.show(f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1")["key"] == THREAD


@pytest.mark.browser
def test_a_link_that_led_to_no_post_names_no_article(run: PlatformRun) -> None:
    # It led to TikTok's front page: not a post, and not the article that cited it either.
    r = cli(run.web, "show", "https://vt.tiktok.com/ZSnovideo/", archive=run.archive)
    assert r.returncode == 2 and STORY not in r.stderr, r.stderr
    # Where it led is said, as the run found it: show asks no server.
    assert r.stderr.startswith("archiver: https://vt.tiktok.com/ZSnovideo/: a short link a run followed on "), r.stderr
    assert r.stderr.endswith(f" to https://www.tiktok.com/, which is no post; `archiver archive --archive-dir "
                             f"{run.archive} https://www.tiktok.com/` archives that page\n"), r.stderr
    assert run.warc_status("https://vt.tiktok.com/ZSnovideo/") == 301  # the hop is kept all the same


@pytest.mark.browser
def test_a_link_held_unfollowed_is_followed_by_the_next_runs_recheck(tmp_path: Path) -> None:
    """A share link that could not be followed when its article was read (here: unknown to the
    platform then) is followed by the next run's re-check, and the post it names takes it over."""
    later, broken, garbled = "vm.tiktok.com/ZMlater01/", "vm.tiktok.com/ZMnoloc01/", "vm.tiktok.com/ZMgarble1/"
    scripted = "vm.tiktok.com/ZMscript1/"
    story = "/2024/harbour-later.html"
    article = (f'<!doctype html><title>Later</title><p><a href="https://{later}">a clip</a> and '
               f'<a href="https://{broken}">another</a> and <a href="https://{garbled}">a third</a> and '
               f'<a href="https://{scripted}">a fourth</a></p>')
    with FakeWeb(tmp_path / "web", handlers=video.HANDLERS) as web:
        web.set_state(("share", broken), "")  # a 301 without a Location
        web.set_state(("share", garbled), "location:http://[::1")  # a Location that is no address
        web.set_state(("share", scripted), "location:javascript:alert(1)")  # nor a web address
        first = archive_run(web, tmp_path / "a", story, article)
        assert first.exit_code == 1
        assert sorted(first.failures) == [
            f"https://{garbled.rstrip('/')}: could not be followed (https://{garbled}: answered a redirect to an "
            "address that cannot be read (Invalid URL in location header: Invalid port: ':1'.))",
            f"https://{later.rstrip('/')}: could not be followed (https://{later}: HTTP 404)",
            f"https://{broken.rstrip('/')}: could not be followed (https://{broken}: HTTP 301 without an address to "
            "go on to)",
            f"https://{scripted.rstrip('/')}: could not be followed (https://{scripted}: answered a redirect to an "
            "address that cannot be read (For absolute URLs, path must be empty or begin with '/'))"]
        # The server's answer, asked once: no retry of what was no broken connection.
        assert [sum(1 for e in first.web_log if e["host"] + e["path"] == link) for link in (garbled, scripted)] == [1, 1]
        rows = run_lookup(web, tmp_path / "a")
        assert sorted((r["platform"], r["status"], r["key"].startswith("tiktok:h:")) for r in rows) == [
            ("tiktok", "pending", True)] * 4
        web.set_state(("share", later), "7350000000000000004")  # the platform knows it now
        (tmp_path / "seeds").mkdir()
        r = cli(web, "run", "--seeds", str(tmp_path / "seeds"), "--format", "json", archive=tmp_path / "a")
        summary = json.loads(r.stdout)
        assert [(p["key"], p["status"]) for p in summary["results"] if not p["key"].startswith("tiktok:h:")] == [
            (VIDEO, "live")]
        assert summary["posts_rechecked"] == 4, summary
        shown = cli(web, "show", f"https://{later}", "--format", "json", archive=tmp_path / "a")
        assert shown.returncode == 0 and json.loads(shown.stdout)["key"] == VIDEO, shown.stderr
        keys = {row["key"]: row["status"] for row in run_lookup(web, tmp_path / "a")}
        assert keys[VIDEO] == "live" and len(keys) == 4  # the other links still name no post
        assert [status for key, status in keys.items() if key != VIDEO] == ["unknown"] * 3
        assert r.returncode == 0, r.stderr  # what their servers answered is the check's result, no failure


@pytest.mark.browser
def test_a_link_that_now_names_a_post_held_already_adds_no_second_copy(tmp_path: Path) -> None:
    link, archive = "vm.tiktok.com/ZMheld001/", tmp_path / "a"
    with FakeWeb(tmp_path / "web", handlers=video.HANDLERS) as web:
        held = cli(web, "archive", "https://www.tiktok.com/@harbourcam/video/7350000000000000004", archive=archive)
        assert held.returncode == 0, held.stderr
        first = archive_run(web, archive, "/2024/harbour-held.html", f'<p><a href="https://{link}">the clip</a></p>')
        assert first.exit_code == 1  # its share link answered 404 then
        web.set_state(("share", link), "7350000000000000004")
        (tmp_path / "seeds").mkdir()
        r = cli(web, "run", "--seeds", str(tmp_path / "seeds"), "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        post = json.loads(cli(web, "show", f"https://{link}", "--format", "json", archive=archive).stdout)
        assert post["key"] == VIDEO and [c["status"] for c in post["captures"]] == ["live"]  # no second copy
        assert [a["url"] for a in post["articles"]] == ["https://news.example/2024/harbour-held.html"]


@pytest.mark.browser
@pytest.mark.parametrize(("link", "key"), [("https://vm.tiktok.com/ZMshare01/", VIDEO),
                                           (f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8share1", THREAD)])
def test_a_share_link_given_as_a_source_is_its_post(run: PlatformRun, tmp_path: Path, link: str, key: str) -> None:
    r = cli(run.web, "archive", link, "--format", "json", archive=tmp_path / "a")
    assert r.returncode == 0, r.stderr
    assert [(p["key"], p["status"]) for p in json.loads(r.stdout)["results"]] == [(key, "live")]


@pytest.mark.browser
def test_a_held_link_found_to_lead_to_no_post_is_not_followed_again(tmp_path: Path) -> None:
    """A share link held unfollowed, which the next re-check follows to an article (no post): that
    is noted, and later re-checks say so without asking its server again (a link does not move)."""
    link, archive = "vm.tiktok.com/ZMelse001/", tmp_path / "a"
    with FakeWeb(tmp_path / "web", handlers=video.HANDLERS) as web:
        web.set_state(("share", link), "")  # a 301 without a Location: held, not followed
        first = archive_run(web, archive, "/2024/harbour-else.html", f'<p><a href="https://{link}">a clip</a></p>')
        assert first.exit_code == 1
        web.set_state(("share", link), "location:https://news.example/2024/harbour-story.html")
        (tmp_path / "seeds").mkdir()

        def recheck() -> dict[str, Any]:
            r = cli(web, "run", "--seeds", str(tmp_path / "seeds"), "--recheck-after", "0s", "--format", "json",
                    archive=archive)
            assert r.returncode == 0, r.stderr
            (post,) = json.loads(r.stdout)["results"]
            return dict(post)

        def asked() -> int:
            return sum(1 for e in web.log if e["host"] + e["path"] == link)

        followed = recheck()
        assert followed["status"] == "unknown" and followed["reason"] == (
            "status ID unknown: its short link leads to https://news.example/2024/harbour-story.html, not to a post")
        before = asked()
        again = recheck()
        assert asked() == before  # not asked again
        assert again["status"] == "unknown" and again["reason"].startswith(
            "status ID unknown: its short link led to https://news.example/2024/harbour-story.html (followed on ")


@pytest.mark.browser
def test_a_share_link_given_whose_destination_fails_is_named_as_given(tmp_path: Path) -> None:
    """A share link given as a source leads to the community's front page, which answers 404: the
    failure names the link as it was given, and where it led."""
    gone = f"https://www.reddit.com/r/{reddit.SUB}/s/Rv8gone00"
    with FakeWeb(tmp_path / "web", handlers=reddit.HANDLERS) as web:
        r = cli(web, "archive", gone, "--format", "json", archive=tmp_path / "a")
        scanned = cli(web, "scan", gone, "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem))
    assert r.returncode == 2, r.stderr  # the only source could not be read
    (failure,) = json.loads(r.stdout)["failures"]
    assert failure.startswith(f"{gone} led to https://www.reddit.com/r/{reddit.SUB}/: "), failure
    assert scanned.returncode == 2 and f"{gone} led to https://www.reddit.com/r/{reddit.SUB}/: " in scanned.stderr


# -- Facebook: share links (`facebook.com/share/p/CODE/`) and fb.watch links to videos ----------------

FB_STORY = "/2024/harbour-facebook.html"
FB_POST, FB_VIDEO = "facebook:1000000001", "facebook:1000000004"
FB_ARTICLE = ("<!doctype html><html><head><title>From the council's page</title></head><body>"
              '<p>The council <a href="https://www.facebook.com/share/p/1HbrShare1/">announced it</a>; '
              "its video of the ferry went round as fb.watch/hbrClip01/ and as "
              '<a href="HTTPS://FB.WATCH/hbrClip01">this link</a>.</p>'
              '<p>An <a href="https://www.facebook.com/share/p/1GoneShar1/">earlier post</a> is gone.</p>'
              "</body></html>")


def test_facebook_share_links_are_found_as_links_and_as_text() -> None:
    posts = detect(Document(source="a.html", text=FB_ARTICLE, is_html=True))
    assert [(p.platform, p.kind, p.links, p.key.startswith("facebook:h:")) for p in posts] == [
        ("facebook", "shortlink", ["https://www.facebook.com/share/p/1HbrShare1"], True),
        # Spelt twice, once as text: one post (the text is not walked for a code a link holds).
        ("facebook", "shortlink", ["https://fb.watch/hbrClip01"], True),
        ("facebook", "shortlink", ["https://www.facebook.com/share/p/1GoneShar1"], True),
    ]
    text = detect(Document(source="a.txt", text="facebook.com/share/p/1HbrShare1 and https://fb.watch/hbrClip01/",
                           is_html=False))
    assert [p.key for p in text] == [posts[0].key, posts[1].key]


@pytest.fixture(scope="module")
def fb_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformRun]:
    from tests.fakeweb import embedpages

    tmp = tmp_path_factory.mktemp("fbshares")
    with FakeWeb(tmp / "web", handlers=embedpages.HANDLERS) as web:
        yield archive_run(web, tmp / "archive", FB_STORY, FB_ARTICLE)


@pytest.mark.browser
def test_facebook_share_links_lead_to_their_posts_which_are_captured(fb_run: PlatformRun) -> None:
    assert fb_run.exit_code == 0, fb_run.stderr
    assert fb_run.statuses() == {FB_POST: ("live", "the embed page shows the post"),
                                 FB_VIDEO: ("live", "the embed page shows the post")}
    # The video keeps the address its link led to: a Facebook address is not rebuilt from an ID.
    assert fb_run.show(FB_VIDEO)["url"] == "https://www.facebook.com/watch/?v=1000000004"
    assert fb_run.show(FB_POST)["url"] == "https://www.facebook.com/harbourcouncil/posts/1000000001/"
    assert fb_run.lookup("facebook")[FB_VIDEO][1:3] == ("Harbour Council", "2024-04-03T18:30:00.000Z")
    for hop in ("https://www.facebook.com/share/p/1HbrShare1/", "https://fb.watch/hbrClip01/",
                "https://www.facebook.com/share/p/1GoneShar1/"):
        assert fb_run.warc_status(hop) == 302, hop
    assert fb_run.show("https://fb.watch/hbrClip01/")["key"] == FB_VIDEO
    assert fb_run.show("facebook.com/share/p/1HbrShare1")["key"] == FB_POST
    r = cli(fb_run.web, "show", "https://www.facebook.com/share/p/1GoneShar1/", archive=fb_run.archive)
    assert r.returncode == 2 and "which is no post" in r.stderr, r.stderr


def test_a_share_link_that_leads_to_a_login_form_is_followed_again_not_taken_for_a_page(tmp_path: Path) -> None:
    """Facebook may send a signed-out reader of a share link to its login form: where the link leads
    is not learnt (a failure, the post kept by its link and followed again), never "no post"."""
    from archiver.net import NetOptions
    from archiver.platforms import BY_NAME
    from archiver.platforms.sharelinks import login_form
    from tests.fakeweb import embedpages

    link = "https://www.facebook.com/share/p/1WallShar1/"
    post = detect(Document(source="a.html", text=f'<a href="{link}">a post</a>', is_html=True))[0]
    aliases = BY_NAME["facebook"].aliases
    assert aliases is not None
    with FakeWeb(tmp_path / "web", handlers=embedpages.HANDLERS) as web, \
            NetOptions.from_options([web.map_host], web.ca_pem, None).httpx_client() as client:
        out = aliases.resolve(post, client)
    assert out.found is None and out.elsewhere is None, out
    assert [(m.split(" (")[0], network) for m, network in out.failures] == [
        ("https://www.facebook.com/share/p/1WallShar1: led to a login form", False)], out.failures
    for url in ("https://www.facebook.com/login/?next=x", "https://www.instagram.com/accounts/login/",
                "https://www.facebook.com/checkpoint/block/", "https://www.reddit.com/en-gb/login"):
        assert login_form(url), url
    for url in ("https://www.facebook.com/harbourcouncil/posts/1", "https://www.facebook.com/",
                "https://news.example/2024/login-troubles.html", "https://www.facebook.com/loginhelp",
                "https://www.facebook.com/auth.ng/", "https://www.facebook.com/login.gov/",
                "https://www.facebook.com/checkpoint.systems/"):  # pages named so are pages of their own
        assert not login_form(url), url


@pytest.mark.browser
def test_a_facebook_share_link_given_as_a_source_is_its_post(fb_run: PlatformRun, tmp_path: Path) -> None:
    r = cli(fb_run.web, "archive", "https://fb.watch/hbrClip01/", "--format", "json", archive=tmp_path / "a")
    assert r.returncode == 0, r.stderr
    assert [(p["key"], p["status"]) for p in json.loads(r.stdout)["results"]] == [(FB_VIDEO, "live")]
