"""Re-checks, and captures of a held post through an article, that must ask about the post the
archive holds, whatever became of the address an article wrote: a Bluesky author who changed
handle since (the DID the platform answered with names them still), an unlisted Vimeo video an
article names without the privacy hash the archive holds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpcore
import pytest

from tests.e2e import cli
from tests.fakeweb import bluesky as bsky
from tests.fakeweb import video
from tests.fakeweb.server import FakeWeb
from tests.platform_run import archive_run, every_platform

pytestmark = pytest.mark.browser

DESK, LIVE = bsky.DESK, bsky.LIVE
NEW_HANDLE = "desk.riverton.example"  # the desk's handle once renamed (`_archived_then_renamed`)
RENAMED = f"getPostThread returned the post; its author's handle is now {NEW_HANDLE} (was {DESK.handle}): captured again"


def _recheck(web: FakeWeb, archive: Path, story: str, tmp: Path) -> list[dict[str, object]]:
    seeds = tmp / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / "story.urls").write_text(f"https://news.example{story}\n")
    again = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=archive)
    assert "Traceback" not in again.stderr, again.stderr
    results: list[dict[str, object]] = json.loads(again.stdout)["results"]
    return results


def _archived_then_renamed(web: FakeWeb, archive: Path, story: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Archive an article citing the desk's live post by the handle of the day, then rename the
    author: resolveHandle no longer knows the old handle (InvalidRequest). The post's key."""
    key = f"bluesky:{LIVE.rkey}"
    article = (f'<!doctype html><title>Levee</title><p>The desk posted '
               f'<a href="https://bsky.app/profile/{DESK.handle}/post/{LIVE.rkey}">an update</a>.</p>')
    first = archive_run(web, archive, story, article)
    assert first.statuses()[key] == ("live", "getPostThread returned the post"), first.stderr
    renamed = replace(DESK, handle=NEW_HANDLE)
    monkeypatch.setitem(bsky.ACCOUNTS, DESK.did, renamed)
    monkeypatch.setitem(bsky.POSTS, (DESK.did, LIVE.rkey), replace(LIVE, account=renamed))
    return key


def test_a_bluesky_post_stays_live_when_its_author_changed_handle(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The article names the author by the handle of the day; once the author takes another one,
    resolveHandle no longer knows the old one (InvalidRequest). The re-check asks by the DID the
    first answer gave, and the post is what it was: live (the new handle named)."""
    story = "/2024/bluesky-renamed.html"
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        key = _archived_then_renamed(web, tmp_path / "archive", story, monkeypatch)
        start = len(web.log)
        results = _recheck(web, tmp_path / "archive", story, tmp_path)
        asked = [e["host"] + e["path"] for e in web.log[start:]]

    assert {r["key"]: (r["status"], r["reason"]) for r in results if r["key"] == key} == {
        key: ("live", RENAMED)}, results
    assert not [a for a in asked if "resolveHandle" in a], asked  # the DID is known: no handle to resolve


def test_a_bluesky_post_captured_again_through_its_article_is_asked_about_by_its_did(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`archive ARTICLE --recapture` after the author changed handle: the article still writes the
    old handle, but the capture asks by the DID the archive holds, as a re-check does: live, as
    before (it was `unavailable`: resolveHandle answered InvalidRequest)."""
    story = "/2024/bluesky-renamed.html"
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        key = _archived_then_renamed(web, tmp_path / "archive", story, monkeypatch)
        start = len(web.log)
        again = cli(web, "archive", f"https://news.example{story}", "--recapture", "--format", "json",
                    archive=tmp_path / "archive")
        asked = [e["host"] + e["path"] for e in web.log[start:]]

    assert "Traceback" not in again.stderr, again.stderr
    results = {r["key"]: r for r in json.loads(again.stdout)["results"]}
    assert (results[key]["status"], results[key]["reason"], results[key]["previous_status"]) == (
        "live", RENAMED, "live"), results
    assert results[key]["captures"] == 1  # captured again, as --recapture asks
    assert not [a for a in asked if "resolveHandle" in a], asked
    # The citation is the article's: the post is still cited by it, once.
    shown = json.loads(cli(web, "show", key, "--format", "json", archive=tmp_path / "archive").stdout)
    assert [c["url"] for c in shown["articles"]] == [f"https://news.example{story}"], shown["articles"]


def test_an_unlisted_vimeo_video_held_without_its_hash_is_rechecked_with_it(tmp_path: Path) -> None:
    """A first article links the video bare (Vimeo then knows no such video: "does not exist", which
    it says of an unlisted video asked without its hash: `unavailable`, never `deleted`); a later one
    embeds its player with the privacy hash. The index takes the address with the hash, and the
    re-check asks oEmbed and the player with it: the video is live."""
    vid, secret = "100000004", video.VIMEO["100000004"].secret
    key = f"vimeo:{vid}"
    bare = f'<!doctype html><title>Dredging</title><p><a href="https://vimeo.com/{vid}">The film</a>.</p>'
    embedded = (f'<!doctype html><title>Dredging, again</title><p><a href="https://vimeo.com/{vid}">The film</a>:</p>'
                f'<iframe src="https://player.vimeo.com/video/{vid}?h={secret}" width=640 height=360></iframe>')
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        first = archive_run(web, tmp_path / "archive", "/2024/dredging.html", bare)
        assert first.statuses()[key][0] == "unavailable", first.statuses()  # what Vimeo says without the hash
        later = archive_run(web, tmp_path / "archive", "/2024/dredging-again.html", embedded)
        assert later.exit_code in (0, 1), later.stderr
        assert later.rows("vimeo")[key]["url"] == f"https://vimeo.com/{vid}/{secret}"
        start = len(web.log)
        results = _recheck(web, tmp_path / "archive", "/2024/dredging-again.html", tmp_path)
        asked = [e["host"] + e["path"] for e in web.log[start:]]

    assert {r["key"]: r["status"] for r in results if r["key"] == key} == {key: "live"}, results
    oembed = [a for a in asked if a.startswith("vimeo.com/api/oembed.json")]
    assert oembed and all(secret in a for a in oembed), asked
    assert f"player.vimeo.com/video/{vid}?h={secret}" in asked, asked


def test_a_public_vimeo_video_seen_live_then_said_not_to_exist_is_deleted(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Played when asked without a privacy hash, the video is public: Vimeo's "does not exist" of it
    later (oEmbed 404 too) says it is gone, as it cannot of a video never seen so."""
    vid = "100000001"
    key = f"vimeo:{vid}"
    page = f'<!doctype html><title>Tides</title><p><a href="https://vimeo.com/{vid}">The film</a>.</p>'
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        first = archive_run(web, tmp_path / "archive", "/2024/tides.html", page)
        assert first.statuses()[key][0] == "live", first.statuses()
        monkeypatch.setitem(video.VIMEO, vid, replace(video.VIMEO[vid], state="deleted", oembed=404,
                                                      said=("Sorry, this video does not exist.", "")))
        results = _recheck(web, tmp_path / "archive", "/2024/tides.html", tmp_path)
        again = _recheck(web, tmp_path / "archive", "/2024/tides.html", tmp_path)  # held deleted: stays so
    gone = ("deleted", "Sorry, this video does not exist. (oEmbed answered 404)")
    assert {r["key"]: (r["status"], r["reason"]) for r in results if r["key"] == key} == {key: gone}, results
    assert {r["key"]: (r["status"], r["reason"], r["changed"]) for r in again if r["key"] == key} == {
        key: (*gone, False)}, again


def _vimeo_oembed_asked(asked: list[str], secret: str) -> None:
    oembed = [a for a in asked if a.startswith("vimeo.com/api/oembed.json")]
    assert oembed and all(secret in a for a in oembed), asked


def test_an_unlisted_vimeo_video_captured_again_through_a_bare_link_keeps_its_hash(tmp_path: Path) -> None:
    """A first article embeds the player with the privacy hash (the index holds the address with
    it); a second one only links the video bare. `archive SECOND --recapture` asks with the hash
    the archive holds: live (oEmbed answers 404 to the bare address)."""
    vid, secret = "100000004", video.VIMEO["100000004"].secret
    key = f"vimeo:{vid}"
    embedded = (f'<!doctype html><title>Dredging</title>'
                f'<iframe src="https://player.vimeo.com/video/{vid}?h={secret}" width=640 height=360></iframe>')
    bare = f'<!doctype html><title>Dredging, again</title><p><a href="https://vimeo.com/{vid}">The film</a>.</p>'
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        first = archive_run(web, tmp_path / "archive", "/2024/dredging.html", embedded)
        assert first.statuses()[key][0] == "live", first.statuses()
        web.set_state(("article", "/2024/dredging-bare.html"), bare)
        start = len(web.log)
        again = cli(web, "archive", "https://news.example/2024/dredging-bare.html", "--recapture", "--format", "json",
                    archive=tmp_path / "archive")
        asked = [e["host"] + e["path"] for e in web.log[start:]]
        rows = {p["key"]: p for p in json.loads(cli(web, "lookup", "--platform", "vimeo", "--format", "json",
                                                    archive=tmp_path / "archive").stdout)}

    assert "Traceback" not in again.stderr, again.stderr
    results = {r["key"]: r for r in json.loads(again.stdout)["results"]}
    assert (results[key]["status"], results[key]["previous_status"], results[key]["captures"]) == ("live", "live", 1), \
        results
    _vimeo_oembed_asked(asked, secret)
    assert f"player.vimeo.com/video/{vid}?h={secret}" in asked, asked
    assert rows[key]["url"] == f"https://vimeo.com/{vid}/{secret}"
    # Both articles cite it, each as it writes it.
    assert sorted((c["url"], c["kind"]) for c in rows[key]["articles"]) == [
        ("https://news.example/2024/dredging-bare.html", "linked"),
        ("https://news.example/2024/dredging.html", "embedded")], rows[key]["articles"]


def _no_names(host: str, port: int) -> list[str]:
    """The system resolver on a machine without a network: no name resolves (no query is sent)."""
    raise httpcore.ConnectError(f"[Errno -2] Name or service not known: {host}")


def test_an_unlisted_vimeo_video_held_but_never_captured_is_captured_with_its_hash(tmp_path: Path) -> None:
    """A page embedding the player with the privacy hash is archived while the network is down:
    the video is held (with the hash), not captured. A later article, read online, links it bare:
    the video, held but never captured, is captured now, asked about with the hash: live (it was
    `deleted`)."""
    from archiver.limits import DEFAULT_MAX_BYTES
    from archiver.net import NetOptions
    from archiver.pipeline.run import archive_sources

    vid, secret = "100000004", video.VIMEO["100000004"].secret
    key = f"vimeo:{vid}"
    page = tmp_path / "dredging.html"
    page.write_text(f'<!doctype html><title>Dredging</title>'
                    f'<iframe src="https://player.vimeo.com/video/{vid}?h={secret}" width=640 height=360></iframe>')
    offline = archive_sources([str(page)], tmp_path / "archive", NetOptions(resolver=_no_names),
                              max_bytes=DEFAULT_MAX_BYTES)
    assert [(p.key, p.status, p.checked, p.captures) for p in offline.posts] == [(key, "unavailable", False, 0)]
    bare = f'<!doctype html><title>Dredging, again</title><p><a href="https://vimeo.com/{vid}">The film</a>.</p>'
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        start = len(web.log)
        later = archive_run(web, tmp_path / "archive", "/2024/dredging-bare.html", bare)
        asked = [e["host"] + e["path"] for e in web.log[start:]]

    assert later.statuses()[key][0] == "live", later.statuses()
    _vimeo_oembed_asked(asked, secret)


def test_a_bluesky_post_of_another_author_sharing_a_held_record_key_is_asked_about_by_its_handle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two authors' posts can share a record key (the index keys Bluesky posts by it alone). An
    article citing Quiet Harbour's post whose key is that of the desk's held post is captured with
    `--recapture`: the handle the article names, not the held answer's, is resolved, and Quiet
    Harbour's post is the one asked about (signed-in readers only: `login_required`). It was the
    desk's post, asked about by the DID held for the key: `live`."""
    key = f"bluesky:{LIVE.rkey}"
    quiet = bsky.QUIET
    monkeypatch.setitem(bsky.POSTS, (quiet.did, LIVE.rkey),
                        bsky.Post(LIVE.rkey, quiet, "High water at the harbour wall.", "2024-03-05T10:00:00.000Z"))
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        first = archive_run(web, tmp_path / "archive", "/2024/bluesky-desk.html",
                            f'<!doctype html><title>Levee</title><p>The desk posted '
                            f'<a href="https://bsky.app/profile/{DESK.handle}/post/{LIVE.rkey}">an update</a>.</p>')
        assert first.statuses()[key] == ("live", "getPostThread returned the post"), first.stderr
        story = "/2024/bluesky-harbour.html"
        web.set_state(("article", story), f'<!doctype html><title>Harbour</title><p>The harbour posted '
                                          f'<a href="https://bsky.app/profile/{quiet.handle}/post/{LIVE.rkey}">this</a>.</p>')
        start = len(web.log)
        again = cli(web, "archive", f"https://news.example{story}", "--recapture", "--format", "json",
                    archive=tmp_path / "archive")
        asked = [e["host"] + e["path"] for e in web.log[start:]]

    assert "Traceback" not in again.stderr, again.stderr
    results = {r["key"]: r for r in json.loads(again.stdout)["results"]}
    assert results[key]["status"] == "login_required", results
    assert [a for a in asked if "resolveHandle" in a], asked  # the handle the article names was resolved


def test_another_authors_live_post_sharing_a_held_record_key_leaves_the_held_post_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As above, Quiet Harbour's post public this time (live): its answer names another DID than the
    one held for the key, so it is no word on the desk's post, which stays as it was (its handle,
    words and status; no former handle, no new capture), not checked, the run naming why (exit 1).
    It was rewritten as Quiet Harbour's: its handle, words and data stored, the desk's handle filed
    as a former handle, so `lookup --handle` of the desk showed Quiet Harbour's post."""
    key = f"bluesky:{LIVE.rkey}"
    quiet = replace(bsky.QUIET, labels=())
    monkeypatch.setitem(bsky.ACCOUNTS, quiet.did, quiet)
    monkeypatch.setitem(bsky.POSTS, (quiet.did, LIVE.rkey),
                        bsky.Post(LIVE.rkey, quiet, "High water at the harbour wall.", "2024-03-05T10:00:00.000Z"))
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        first = archive_run(web, archive, "/2024/bluesky-desk.html",
                            f'<!doctype html><title>Levee</title><p>The desk posted '
                            f'<a href="https://bsky.app/profile/{DESK.handle}/post/{LIVE.rkey}">an update</a>.</p>')
        assert first.statuses()[key] == ("live", "getPostThread returned the post"), first.stderr
        before = json.loads(cli(web, "show", key, "--format", "json", archive=archive).stdout)
        story = "/2024/bluesky-harbour.html"
        web.set_state(("article", story), f'<!doctype html><title>Harbour</title><p>The harbour posted '
                                          f'<a href="https://bsky.app/profile/{quiet.handle}/post/{LIVE.rkey}">this</a>.</p>')
        again = cli(web, "archive", f"https://news.example{story}", "--recapture", "--format", "json",
                    archive=archive)
        shown = json.loads(cli(web, "show", key, "--format", "json", archive=archive).stdout)
        by_desk = json.loads(cli(web, "lookup", "--handle", DESK.handle, "--format", "json", archive=archive).stdout)

    assert "Traceback" not in again.stderr, again.stderr
    assert again.returncode == 1, again.stderr
    result = {r["key"]: r for r in json.loads(again.stdout)["results"]}[key]
    why = (f"no usable answer: getPostThread returned the post, but about another account's post "
           f"(by {quiet.handle}, not by {DESK.handle}, who wrote the held post)")
    assert (result["status"], result["checked"], result["captures"], result["reason"]) == ("live", False, 0, why), result
    assert f"{key}: not checked: {why}" in again.stderr, again.stderr
    assert (shown["handle"], shown["former_handles"], shown["text"]) == (DESK.handle, [], before["text"]), shown
    assert (shown["status"], len(shown["captures"])) == ("live", len(before["captures"])), shown
    assert [(p["key"], p["handle"], p["former_handles"]) for p in by_desk] == [(key, DESK.handle, [])], by_desk


def test_a_re_check_that_finds_the_author_under_a_new_handle_records_it(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The author of a held post took another handle (the same DID): the re-check finds the post
    live, as it was, and records the new handle, as it records what any answer it stores says.
    `show` and `lookup --handle` then name the author as Bluesky does today; the re-check's reason
    says what changed, and the post's embed (which shows the new handle) is captured again."""
    story = "/2024/bluesky-renamed.html"
    new = NEW_HANDLE
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web", handlers=every_platform()) as web:
        key = _archived_then_renamed(web, archive, story, monkeypatch)
        results = {r["key"]: r for r in _recheck(web, archive, story, tmp_path)}
        shown = json.loads(cli(web, "show", key, "--format", "json", archive=archive).stdout)
        by_new = cli(web, "lookup", "--handle", f"@{new}", "--format", "json", archive=archive)
        # Once recorded, the new handle is the held one: the next re-check has nothing new to say.
        later = {r["key"]: r for r in _recheck(web, archive, story, tmp_path)}

    assert results[key]["status"] == "live", results[key]
    assert results[key]["reason"] == RENAMED, results[key]
    assert results[key]["captures"] == 1, results[key]
    assert shown["handle"] == new, shown
    assert (shown["status"], shown["reason"]) == ("live", results[key]["reason"]), shown
    assert by_new.returncode == 0, by_new.stderr
    assert [p["key"] for p in json.loads(by_new.stdout)] == [key]
    assert (later[key]["status"], later[key]["reason"], later[key]["captures"]) == (
        "live", "getPostThread returned the post", 0), later[key]
