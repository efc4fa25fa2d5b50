"""Scheduled runs end to end: locking, kill -9 and resume, re-checks, lookup, export, verify.

Real Chromium against the local fake web; one base archive per module, copied for tests that damage it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.e2e import ROOT, cli, lookup, warc_files, warcio_check
from tests.fakeweb import FakeWeb, pages, site

pytestmark = pytest.mark.browser

ARTICLES = [site.ARTICLE_FLOOD.url, site.ARTICLE_PROTECTED.url, site.ARTICLE_WITHHELD.url,
            site.ARTICLE_REVIEW.url, f"https://news.example{site.WIRE_TEXT_PATH}"]

# Every post those five articles cite, and the status the fake web gives it (tests/fakeweb/site.py):
# the flood story embeds the photo, video and deleted tweets and the YouTube video; the review embeds
# the photo and deleted tweets again; the Elm Row and fact-check stories embed the protected and the
# withheld tweet; the wire text carries the flattened tweet, whose short link leads to its ID.
FIRST_RUN = {
    f"twitter:{site.TWEET_PHOTO.id}": "live",
    f"twitter:{site.TWEET_VIDEO.id}": "live",
    f"twitter:{site.TWEET_FLAT.id}": "live",
    f"twitter:{site.TWEET_DELETED.id}": "deleted",
    f"twitter:{site.TWEET_PROTECTED.id}": "protected",
    f"twitter:{site.TWEET_WITHHELD.id}": "withheld",
    f"youtube:{site.YOUTUBE.id}": "live",
}


def _seeds(tmp: Path, urls: list[str], name: str = "seeds") -> Path:
    d = tmp / name
    d.mkdir(exist_ok=True)
    (d / "news.urls").write_text("# test seeds\n" + "\n".join(urls) + "\n")
    return d


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("runs")
    with FakeWeb(tmp / "web") as web:
        archive = tmp / "archive"
        seeds = _seeds(tmp, ARTICLES)
        r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)
        yield web, archive, seeds, r, tmp


def _copy(archive: Path, dest: Path) -> Path:
    shutil.copytree(archive, dest)
    return dest


def test_first_run_summary(base: Any) -> None:
    _web, _archive, _s, r, _tmp = base
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["articles"] == len(ARTICLES) and s["articles_failed"] == 0 and s["failures"] == []
    assert {p["key"]: p["status"] for p in s["results"]} == FIRST_RUN
    assert s["statuses"] == {"live": 4, "deleted": 1, "protected": 1, "withheld": 1}
    # Two articles cite the photo and the deleted tweet: still one result (one capture) each.
    assert s["posts"] == s["posts_new"] == len(s["results"]) == len(FIRST_RUN)
    assert s["posts_rechecked"] == s["posts_changed"] == s["posts_skipped_already_captured"] == 0
    # One capture of each post's embed; the deleted post also gets its Wayback copy.
    assert {p["key"]: (p["source"], p["captures"]) for p in s["results"]} == {
        key: ("wayback", 2) if status == "deleted" else ("live", 1) for key, status in FIRST_RUN.items()}


def _recheck_with_deleted(web: Any, seeds: Path, copy: Path, tweet_id: str) -> Any:
    """A run re-checking every held post while the fake web says the tweet was deleted."""
    web.set_state(("tweet", tweet_id), "deleted")
    try:
        return cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=copy)
    finally:
        web.set_state(("tweet", tweet_id), None)


def test_live_to_deleted_between_runs_records_both(base: Any) -> None:
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "recheck")
    key = f"twitter:{site.TWEET_VIDEO.id}"
    r = _recheck_with_deleted(web, seeds, copy, site.TWEET_VIDEO.id)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    # --recheck-after 0s: every held post is asked again; only the video tweet changed.
    assert s["posts_new"] == 0
    assert s["posts_rechecked"] == s["posts_skipped_already_captured"] == len(FIRST_RUN)
    assert s["posts_changed"] == 1
    assert {p["key"]: p["status"] for p in s["results"]} == {**FIRST_RUN, key: "deleted"}
    # Each result says what it was before this run, and which one changed: what a cron job looks for.
    assert {p["key"]: (p["previous_status"], p["changed"]) for p in s["results"]} == {
        k: (before, k == key) for k, before in FIRST_RUN.items()}
    assert s["statuses"] == {"live": 3, "deleted": 2, "protected": 1, "withheld": 1}
    # The changed post was rendered again (one new capture), and so was each tweet whose data no
    # longer comes back (deleted, protected, withheld: only the render can tell those apart, or from
    # a suspended account); the others were checked by their data endpoints alone. (The changed one
    # has no Wayback snapshot, so no Wayback capture either.)
    rendered = {f"twitter:{t.id}": 1 for t in (site.TWEET_DELETED, site.TWEET_PROTECTED, site.TWEET_WITHHELD)}
    assert {p["key"]: p["captures"] for p in s["results"] if p["captures"]} == {key: 1, **rendered}
    show = cli(web, "show", key, "--format", "json", archive=copy)
    assert show.returncode == 0, show.stderr
    history = [h["status"] for h in json.loads(show.stdout)["history"]]
    assert history == ["live", "deleted"], history
    # An unchanged post was re-checked (a second observation) without a second capture.
    (photo,) = [p for p in lookup(web, copy, "--handle", "RivertonDesk") if p["post_id"] == site.TWEET_PHOTO.id]
    assert [h["status"] for h in photo["history"]] == ["live", "live"]
    assert len(photo["captures"]) == 1
    # The changed one got a new capture showing its new state.
    changed = json.loads(show.stdout)
    assert len([c for c in changed["captures"] if c["source"] == "live"]) == 2
    # The Wayback Machine was asked for it and had no copy: said, with when it was asked.
    assert changed["wayback_no_copy_at"] and not [c for c in changed["captures"] if c["source"] == "wayback"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", changed["wayback_no_copy_at"])  # as every time shown
    table = cli(web, "show", key, archive=copy).stdout
    assert f"the Wayback Machine, asked {changed['wayback_no_copy_at']}, held no copy of it" in table
    # The already-deleted post was re-checked and rendered too, but its Wayback copy is not captured again.
    (gone,) = lookup(web, copy, "--status", "deleted", "--handle", "cllr_hartwell")
    assert [h["status"] for h in gone["history"]] == ["deleted", "deleted"]
    assert json.loads(cli(web, "show", gone["key"], "--format", "json", archive=copy).stdout)["wayback_no_copy_at"] is None
    assert sorted(c["source"] for c in gone["captures"]) == ["live", "live", "wayback"]


def test_a_recheck_renders_a_tweet_whose_data_is_gone_and_its_embed_decides(base: Any) -> None:
    """The deleted tweet's data endpoints answer as before (404s); its embed now shows the account
    suspended. Only the render can tell: a re-check renders it, and the status follows the embed."""
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "suspended")
    key = f"twitter:{site.TWEET_DELETED.id}"
    web.set_state(("embed", site.TWEET_DELETED.id), "This Post is from a suspended account. Learn more")
    try:
        r = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=copy)
    finally:
        web.set_state(("embed", site.TWEET_DELETED.id), None)
    assert r.returncode == 0, r.stderr
    (post,) = [p for p in json.loads(r.stdout)["results"] if p["key"] == key]
    assert (post["status"], post["previous_status"], post["changed"], post["captures"]) == ("suspended", "deleted", True, 1)
    assert "suspended account" in post["reason"], post


def test_a_recheck_finding_a_live_post_s_words_changed_captures_the_new_words(base: Any) -> None:
    """A post edited since its capture is still live: the re-check captures it again and the index
    holds its new words; a re-check finding the words unchanged captures nothing."""
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "edited")
    key = f"twitter:{site.TWEET_VIDEO.id}"
    edited = site.TWEET_VIDEO.text.replace("this morning", "this afternoon (corrected)")
    assert edited != site.TWEET_VIDEO.text
    web.set_state(("text", site.TWEET_VIDEO.id), edited)
    try:
        r = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=copy)
    finally:
        web.set_state(("text", site.TWEET_VIDEO.id), None)
    assert r.returncode == 0, r.stderr
    results = {p["key"]: p for p in json.loads(r.stdout)["results"]}
    post = results[key]
    assert (post["status"], post["changed"], post["captures"]) == ("live", False, 1), post
    assert "edited since?" in post["reason"], post
    # The other live posts said the same words: checked, not captured again.
    assert [p["captures"] for k, p in results.items() if k != key and p["status"] == "live"] == [0, 0, 0]
    (after,) = [p for p in lookup(web, copy, "--handle", site.TWEET_VIDEO.user.screen_name)
                if p["post_id"] == site.TWEET_VIDEO.id]
    assert "this afternoon (corrected)" in after["text"] and len(after["captures"]) == 2, after


def _runs_with_author_renamed(base: Any, name: str, *, runs: int) -> tuple[Path, str, str, list[Any]]:
    """A copy of the base archive (`name`), and `runs` scheduled runs over it re-checking every post
    while the platform names the held video tweet's author `mei_hydrology`: (copy, the tweet's key,
    its author's handle as held, each run's result)."""
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / name)
    web.set_state(("screen_name", site.TWEET_VIDEO.id), "mei_hydrology")
    try:
        done = [cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=copy)
                for _ in range(runs)]
    finally:
        web.set_state(("screen_name", site.TWEET_VIDEO.id), None)
    return copy, f"twitter:{site.TWEET_VIDEO.id}", site.TWEET_VIDEO.user.screen_name, done


def test_a_recheck_finding_the_author_renamed_records_the_new_handle_and_captures_again(base: Any) -> None:
    """The author of a held tweet took another handle since its capture: the re-check stores the
    handle the platform now gives (lookup finds the post under it), captures the post again, and says
    why; the next re-check, finding the handle held, captures nothing."""
    web = base[0]
    copy, key, old, (r, again) = _runs_with_author_renamed(base, "renamed", runs=2)
    assert r.returncode == 0, r.stderr
    results = {p["key"]: p for p in json.loads(r.stdout)["results"]}
    post = results[key]
    assert (post["status"], post["changed"], post["captures"]) == ("live", False, 1), post
    assert f"its author's handle is now mei_hydrology (was {old})" in post["reason"], post
    assert [p["captures"] for k, p in results.items() if k != key and p["status"] == "live"] == [0, 0, 0]
    (after,) = lookup(web, copy, "--handle", "@MEI_HYDROLOGY")
    assert (after["key"], after["handle"], len(after["captures"])) == (key, "mei_hydrology", 2), after
    later = {p["key"]: p for p in json.loads(again.stdout)["results"]}
    assert (later[key]["captures"], "handle is now" in str(later[key]["reason"])) == (0, False), later[key]


def test_a_post_whose_author_was_renamed_is_still_found_by_the_handle_its_articles_print(base: Any) -> None:
    """After a re-check stored the author's new handle, `lookup --handle OLD` (the handle the citing
    article prints) still finds the post, shown under its handle now with the old one among its
    former handles; `show` lists it, an export by the old handle holds the post, and a reindex from
    the WARCs gives the former handle back."""
    web, tmp = base[0], base[4]
    copy, key, old, (r,) = _runs_with_author_renamed(base, "renamed-old", runs=1)
    assert r.returncode == 0, r.stderr

    def by_old_handle() -> dict[str, Any]:
        found = [p for p in lookup(web, copy, "--handle", f"@{old.upper()}") if p["key"] == key]
        assert len(found) == 1, found
        return found[0]

    post = by_old_handle()
    assert post["handle"] == "mei_hydrology" and [f["handle"] for f in post["former_handles"]] == [old], post
    assert post["former_handles"][0]["until"] and post["articles"], post
    shown = cli(web, "show", key, "--format", "json", archive=copy)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["former_handles"] == post["former_handles"]
    text = cli(web, "show", key, archive=copy).stdout.splitlines()
    assert f"formerly   {old} (until {post['former_handles'][0]['until']})" in text, text
    out = tmp / "renamed-old.wacz"
    exported = cli(web, "export", "--handle", old, "-o", str(out), archive=copy)
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as z:
        findings = [json.loads(x) for x in z.read("evidence/posts.jsonl").decode().splitlines()]
    assert [(p["key"], p["former_handles"]) for p in findings if p["key"] == key] == [(key, post["former_handles"])]
    rebuilt = cli(web, "reindex", "--force", archive=copy)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert by_old_handle()["former_handles"] == post["former_handles"]


def test_a_recapture_of_a_held_post_found_gone_says_what_it_was(base: Any) -> None:
    """`archive --recapture` of a held post is a check of it, as a scheduled re-check is: a post the
    archive held live and now finds deleted is told as changed, not as new."""
    web, archive, _seeds, _r, tmp = base
    copy = _copy(archive, tmp / "recaptured")
    key = f"twitter:{site.TWEET_VIDEO.id}"
    web.set_state(("tweet", site.TWEET_VIDEO.id), "deleted")
    try:
        r = cli(web, "archive", "--recapture", f"https://twitter.com/mei_hydro/status/{site.TWEET_VIDEO.id}",
                "--format", "json", archive=copy)
    finally:
        web.set_state(("tweet", site.TWEET_VIDEO.id), None)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert [(p["key"], p["status"], p["previous_status"], p["changed"]) for p in s["results"]] == [
        (key, "deleted", "live", True)]
    assert (s["posts_new"], s["posts_rechecked"], s["posts_changed"]) == (0, 1, 1)


@pytest.fixture(scope="module")
def gone_photo(base: Any) -> Any:
    """A copy of the base archive re-checked while the photo tweet (captured live by the first run)
    is deleted, and what lookup said of it before."""
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "gone-photo")
    (before,) = [p for p in lookup(web, copy, "--handle", "RivertonDesk") if p["post_id"] == site.TWEET_PHOTO.id]
    r = _recheck_with_deleted(web, seeds, copy, site.TWEET_PHOTO.id)
    return copy, before, r


def test_a_wayback_copy_never_rewrites_what_the_platforms_data_said(base: Any, gone_photo: Any) -> None:
    # The photo tweet, captured live (syndication's JSON), is deleted; the re-check finds the
    # Wayback Machine's copy and captures it, whose page prints the text its own way (with the
    # t.co link): the held text, author and time stay syndication's.
    web, *_ = base
    copy, before, r = gone_photo
    assert r.returncode == 0, r.stderr
    (after,) = [p for p in lookup(web, copy, "--handle", "RivertonDesk") if p["post_id"] == site.TWEET_PHOTO.id]
    assert after["status"] == "deleted" and "wayback" in {c["source"] for c in after["captures"]}, after
    assert {k: after[k] for k in ("text", "author", "handle", "posted_at")} == {
        k: before[k] for k in ("text", "author", "handle", "posted_at")}


def test_a_gone_posts_own_live_capture_is_its_first_page_in_a_wacz(base: Any, gone_photo: Any) -> None:
    # The deleted photo tweet was captured live by this archive, then as a tombstone, and its
    # Wayback copy was captured: each is a page of the bundle, the archive's own live capture first
    # (two pages of one embed URL, told apart by their times).
    web, _archive, _s, _r, tmp = base
    copy, _before, _run = gone_photo
    (post,) = [p for p in lookup(web, copy, "--handle", "RivertonDesk") if p["post_id"] == site.TWEET_PHOTO.id]
    captures = {(c["source"], c["status"]): c["captured_at"] for c in post["captures"]}
    assert set(captures) == {("live", "live"), ("live", "deleted"), ("wayback", "recovered")}, captures
    out = tmp / "gone-photo.wacz"
    r = cli(web, "export", "--handle", "RivertonDesk", "--status", "deleted", "-o", str(out), archive=copy)
    assert r.returncode == 0, r.stderr
    v = subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(out)],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
        package = json.loads(z.read("datapackage.json"))
        findings = [json.loads(x) for x in z.read("evidence/posts.jsonl").decode().splitlines()]
    # Whoever receives the bundle reads when the archive saw the post live and when it found it gone.
    (found,) = [p for p in findings if p["post_id"] == site.TWEET_PHOTO.id]
    assert [h["status"] for h in found["history"]] == ["live", "deleted"] and found["status"] == "deleted"
    assert found["history"] == post["history"]  # dates included, as lookup gives them
    embed = f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_PHOTO.id}"
    posts = [p for p in pages if site.TWEET_PHOTO.id in p["url"]]
    assert [p["url"] for p in posts[::2]] == [embed, embed] and "web.archive.org" in posts[1]["url"], posts
    assert len(posts) == 3 and len({p["id"] for p in pages}) == len(pages)
    # Its pages' times are its captures' page records' WARC-Dates, to the letter (what replay opens
    # at a page's time is the record at or after it): the live one first, then the newest first.
    with sqlite3.connect(copy / "archive.db") as db:
        dated = {(source, status): date for source, status, date in db.execute(
            "SELECT c.source, c.status, r.date FROM captures c JOIN posts p ON p.id = c.post "
            "JOIN records r ON r.record_id = c.page_record_id WHERE p.post_id = ? ORDER BY c.captured_at",
            [site.TWEET_PHOTO.id])}
    assert [p["ts"] for p in posts] == [dated[k] for k in (
        ("live", "live"), ("wayback", "recovered"), ("live", "deleted"))]
    assert posts[0]["title"].endswith(f"live, captured {captures[('live', 'live')][:19]}Z"), posts[0]
    assert "the Wayback Machine's copy of " in posts[1]["title"] and "deleted, captured " in posts[2]["title"]
    # The bundle opens on a citing article's page (web pages, both).
    assert package["mainPageUrl"] in {p["url"] for p in pages} and package["mainPageUrl"].startswith("https://news.example/")


def _wayback_asked(web: Any, since: int) -> int:
    """How many requests went to the Wayback Machine's hosts since the fake web's log had `since` entries."""
    return sum(1 for e in web.log[since:] if e["host"] in ("archive.org", "web.archive.org"))


def _run_while_archive_org_fails(web: Any, seeds: Path, archive: Path) -> Any:
    """A re-checking run while the Wayback Machine's hosts answer 503 to everything."""
    for host in ("archive.org", "web.archive.org"):
        web.set_state(("fail", host), {"status": 503, "times": 1000, "retry_after": 0})
    try:
        return cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=archive)
    finally:
        for host in ("archive.org", "web.archive.org"):
            web.set_state(("fail", host), None)


def test_a_wayback_lookup_archive_org_could_not_answer_is_named_and_made_on_the_next_recheck(base: Any) -> None:
    # The photo tweet is seen gone while archive.org answers 503 to everything: the look-up was not
    # made, which is not "no copy". The run names it (exit 1) and records it; the next re-check,
    # the post still deleted (no status change), looks again and gets the copy; the one after that
    # asks nothing more of the Wayback Machine.
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "wayback-503")
    key = f"twitter:{site.TWEET_PHOTO.id}"
    web.set_state(("tweet", site.TWEET_PHOTO.id), "deleted")
    try:
        r = _run_while_archive_org_fails(web, seeds, copy)
        assert r.returncode == 1, r.stderr
        s = json.loads(r.stdout)
        (named,) = [f for f in s["failures"] if f.startswith(f"{key}: wayback: ")]
        assert named.startswith(f"{key}: wayback: lookup not made: GET https://archive.org/wayback/available?")
        assert named.endswith(": HTTP 503 (will be looked up again)"), named
        assert s["failures"] == [named] and s["posts_changed"] == 1
        # The post's own result names it too (a log reader looks there for what became of it).
        assert [r["failures"] for r in s["results"] if r["key"] == key] == [[named]]
        assert all(r["failures"] == [] for r in s["results"] if r["key"] != key)
        (gone,) = [p for p in lookup(web, copy, "--handle", "RivertonDesk") if p["post_id"] == site.TWEET_PHOTO.id]
        assert gone["status"] == "deleted"
        (wb,) = [c for c in gone["captures"] if c["source"] == "wayback"]
        assert wb["status"] == "error" and wb["error"].startswith("Wayback lookup not made: "), wb
        assert wb["error"].count("lookup not made") == 1, wb  # said once

        # Re-checked while archive.org still fails: rendered (its data is gone: the render decides),
        # looked up again, named again; the failed look-up is a capture written, not the post's source.
        still = _run_while_archive_org_fails(web, seeds, copy)
        assert still.returncode == 1, still.stderr
        s = json.loads(still.stdout)
        result = {p["key"]: p for p in s["results"]}[key]
        assert (result["status"], result["changed"], result["source"], result["captures"]) == (
            "deleted", False, "live", 2), result
        assert [f for f in s["failures"] if f.startswith(f"{key}: wayback: lookup not made: ")], s["failures"]

        mark = len(web.log)
        again = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=copy)
        assert again.returncode == 0, again.stderr
        s = json.loads(again.stdout)
        result = {p["key"]: p for p in s["results"]}[key]
        assert (result["status"], result["changed"], result["source"], result["captures"]) == (
            "deleted", False, "wayback", 2), result
        assert s["failures"] == [] and _wayback_asked(web, mark) > 0
        (gone,) = [p for p in lookup(web, copy, "--handle", "RivertonDesk") if p["post_id"] == site.TWEET_PHOTO.id]
        assert sorted(c["status"] for c in gone["captures"] if c["source"] == "wayback") == ["error", "error", "recovered"]

        mark = len(web.log)
        third = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--format", "json", archive=copy)
        assert third.returncode == 0, third.stderr
        assert _wayback_asked(web, mark) == 0  # a copy is held: not looked up again
    finally:
        web.set_state(("tweet", site.TWEET_PHOTO.id), None)


def test_a_gone_post_s_lookup_left_to_make_is_made_by_the_next_run_not_the_next_recheck(base: Any) -> None:
    # A run that could not make the look-up (archive.org down; or one killed between the post's
    # capture and its look-up): the next run makes it, though the post is not due for a re-check.
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "wayback-left")
    web.set_state(("tweet", site.TWEET_PHOTO.id), "deleted")
    try:
        assert _run_while_archive_org_fails(web, seeds, copy).returncode == 1
        mark = len(web.log)
        nxt = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=copy)  # nothing due for a re-check
        assert nxt.returncode == 0, nxt.stderr
        assert _wayback_asked(web, mark) > 0
        (gone,) = [p for p in lookup(web, copy, "--handle", "RivertonDesk") if p["post_id"] == site.TWEET_PHOTO.id]
        assert "recovered" in [c["status"] for c in gone["captures"] if c["source"] == "wayback"], gone
        mark = len(web.log)
        assert cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=copy).returncode == 0
        assert _wayback_asked(web, mark) == 0  # a copy is held: nothing more to make
    finally:
        web.set_state(("tweet", site.TWEET_PHOTO.id), None)


def test_a_wayback_lookup_that_found_no_copy_is_not_repeated(base: Any) -> None:
    # The video tweet has no copy in the Wayback Machine: once a look-up said so, an unchanged
    # re-check asks nothing more of it.
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "wayback-none")
    r = _recheck_with_deleted(web, seeds, copy, site.TWEET_VIDEO.id)
    assert r.returncode == 0, r.stderr
    mark = len(web.log)
    again = _recheck_with_deleted(web, seeds, copy, site.TWEET_VIDEO.id)
    assert again.returncode == 0, again.stderr
    assert _wayback_asked(web, mark) == 0


def test_a_syndication_outage_changes_no_held_post(base: Any) -> None:
    # Syndication answers 503 for the whole re-check (retry at once, it says; it stays down): oEmbed
    # still answers 200 for the withheld post and x.com still shows its login wall, and neither
    # may decide a status alone. Syndication, which decides, said nothing of the posts: each keeps
    # the status it had (a deleted one stays deleted), and the run names each check as not made.
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "outage")
    web.set_state(("fail", "cdn.syndication.twimg.com"), {"status": 503, "times": 1000, "retry_after": 0})
    try:
        r = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--fetch-deadline", "5",
                "--format", "json", archive=copy)
    finally:
        web.set_state(("fail", "cdn.syndication.twimg.com"), None)
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    results = {p["key"]: p for p in summary["results"]}
    tweets = [key for key in FIRST_RUN if key.startswith("twitter:")]
    for key in tweets:
        assert (results[key]["status"], results[key]["checked"]) == (FIRST_RUN[key], False), results[key]
        assert results[key]["reason"].startswith("no usable answer: syndication gave no usable answer (HTTP 503)"), \
            results[key]
    # What exit 1 stands for: each check not made, named with what was seen.
    assert sorted(f for f in summary["failures"] if f.startswith("twitter:")) == sorted(
        f"{key}: not checked: {results[key]['reason']}" for key in tweets), summary["failures"]
    assert summary["posts_changed"] == 0 and summary["network_unreachable"] is False
    withheld = results[f"twitter:{site.TWEET_WITHHELD.id}"]
    assert "not enough alone: oEmbed returned the post" in withheld["reason"], withheld
    deleted = lookup(web, copy, "--status", "deleted")
    assert f"twitter:{site.TWEET_DELETED.id}" in {p["key"] for p in deleted}
    assert all(len(p["history"]) == 1 for p in deleted)  # no observation added by the outage


def test_syndication_out_of_reach_of_our_network_changes_no_held_post(base: Any) -> None:
    # Our network reaches oEmbed but not syndication (a firewall rule, a host's DNS entry gone: a
    # closed loopback port stands in for it). What decides was not asked: a deleted post stays
    # deleted, none is counted as changed, each check is named as not made.
    import socket

    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "syndication-unreachable")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    r = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--fetch-deadline", "5", "--format", "json",
            "--map-host", f"cdn.syndication.twimg.com=127.0.0.1:{closed}", archive=copy)
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    results = {p["key"]: p for p in summary["results"]}
    for key in (k for k in FIRST_RUN if k.startswith("twitter:")):
        assert (results[key]["status"], results[key]["checked"]) == (FIRST_RUN[key], False), results[key]
        assert "could not connect" in results[key]["reason"], results[key]
    assert summary["posts_changed"] == 0
    assert f"twitter:{site.TWEET_DELETED.id}" in {p["key"] for p in lookup(web, copy, "--status", "deleted")}


def test_a_new_post_whose_syndication_answer_was_unusable_is_captured_and_checked_again_next_run(base: Any) -> None:
    # New to the archive during a syndication outage: captured as any new post (evidence while it can
    # be had), `unavailable` for now, and not held as checked: the next run checks it again without
    # waiting for --recheck-after (a week by default), and finds it as it is, its words no "edit".
    web, _archive, _seeds, _r, tmp = base
    archive, seeds = tmp / "new-in-outage", tmp / "new-in-outage-seeds"
    seeds.mkdir()
    path = "/2024/outage-new.html"
    (seeds / "news.urls").write_text(f"https://news.example{path}\n", encoding="utf-8")
    key = f"twitter:{site.TWEET_VIDEO.id}"
    web.set_state(("article", path), "<!doctype html><html><head><meta charset='utf-8'><title>Outage</title></head>"
                  f"<body><h1>Outage</h1>{pages.blockquote_html(site.TWEET_VIDEO)}</body></html>")
    web.set_state(("fail", "cdn.syndication.twimg.com"), {"status": 503, "times": 1000, "retry_after": 0})
    try:
        first = cli(web, "run", "--seeds", str(seeds), "--fetch-deadline", "5", "--format", "json", archive=archive)
    finally:
        web.set_state(("fail", "cdn.syndication.twimg.com"), None)
    assert first.returncode == 1, first.stderr
    result = {p["key"]: p for p in json.loads(first.stdout)["results"]}[key]
    assert (result["status"], result["checked"]) == ("unavailable", False) and result["captures"] >= 1, result
    second = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)  # --recheck-after: 7 days
    web.set_state(("article", path), None)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    result = {p["key"]: p for p in summary["results"]}[key]
    # Its first check settled nothing: no status to have changed from, and no edit of words held.
    assert (result["status"], result["checked"], result["previous_status"]) == ("live", True, None), result
    assert summary["posts_changed"] == 0 and "edited since" not in (result["reason"] or ""), result


def test_a_platform_outage_changes_no_held_post(base: Any) -> None:
    """Every signal of the check refused (503 from syndication and oEmbed alike): the platform said
    nothing of the posts, so a deleted post stays deleted (and found by `--status deleted`), nothing
    is counted as changed, and each check is named as not made."""
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "platform-outage")
    hosts = ("cdn.syndication.twimg.com", "publish.twitter.com")
    for host in hosts:
        web.set_state(("fail", host), {"status": 503, "times": 1000, "retry_after": 0})  # no wait between tries
    try:
        r = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", "--fetch-deadline", "5",
                "--format", "json", archive=copy)
    finally:
        for host in hosts:
            web.set_state(("fail", host), None)
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    results = {p["key"]: p for p in summary["results"]}
    for key, status in FIRST_RUN.items():
        if key.startswith("twitter:"):
            assert (results[key]["status"], results[key]["checked"]) == (status, False), results[key]
            assert results[key]["reason"].startswith("no usable answer: "), results[key]
    assert summary["posts_changed"] == 0 and summary["network_unreachable"] is False
    deleted = lookup(web, copy, "--status", "deleted")
    assert f"twitter:{site.TWEET_DELETED.id}" in {p["key"] for p in deleted}
    assert all(len(p["history"]) == 1 for p in deleted)  # no observation added by the outage


def _no_names(host: str, port: int) -> list[str]:
    """The system resolver on a machine without a network: no name resolves (and no query is sent)."""
    import httpcore

    raise httpcore.ConnectError(f"[Errno -2] Name or service not known: {host}")


def test_an_offline_recheck_changes_no_post_and_names_each_check_it_could_not_make(
        base: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "240")  # the table below is read by its columns: none cut short
    # The scheduled run of a machine that lost its network: every held post is due, and no name
    # resolves (in-process, with a resolver that resolves nothing: no lookup goes out for real).
    # Nothing was learnt about any post: each keeps the status and the history it had, no change
    # is counted, and each check that could not be made is named.
    from datetime import timedelta

    from archiver.cli import _print_summary
    from archiver.cli_options import OutFormat
    from archiver.net import NetOptions
    from archiver.runs import run as run_job

    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "offline-recheck")
    before = {p["key"]: (p["status"], p["reason"], p["history"]) for p in lookup(web, copy)}
    assert {k: v[0] for k, v in before.items()} == FIRST_RUN
    summary = run_job(seeds, copy, NetOptions(resolver=_no_names), recheck_after=timedelta(0))
    # The index holds what the platforms said, and nothing of this run's checks.
    assert {p["key"]: (p["status"], p["reason"], p["history"]) for p in lookup(web, copy)} == before
    assert {r["post_id"] for r in lookup(web, copy, "--status", "live")} == {
        key.partition(":")[2] for key, status in FIRST_RUN.items() if status == "live"}
    capsys.readouterr()
    assert _print_summary(summary, OutFormat.json) == 1
    s = json.loads(capsys.readouterr().out)
    assert s["network_unreachable"] is True
    # No check was made: none counts as re-checked (nor as new), each as not checked.
    named = _none_checked(s)
    assert all("host name not resolved" in f for f in named.values()), named
    # The table and the closing lines say the same.
    assert _print_summary(summary, OutFormat.table) == 1
    out, err = capsys.readouterr()
    shown = {line.split()[0]: " ".join(line.split()[1:3]) for line in out.splitlines()[1:]}
    assert shown == {key: f"{status} (not" for key, status in FIRST_RUN.items()}, out
    assert "(was" not in out and "changed since" not in err
    assert f"; {len(FIRST_RUN)} could not be checked" in err
    assert (f"archiver: the network was unreachable: {len(FIRST_RUN)} post(s) could not be checked, each keeps "
            "the status it had ('unavailable' if new to the archive); run again when online; or check the addresses "
            "named above, if mistyped") in err.splitlines()


def _none_checked(s: dict[str, Any]) -> dict[str, str]:
    """A run's summary in which no held post was checked: none counts as re-checked, new or changed,
    each keeps its status; returns the failure line naming each, by key."""
    assert s["posts_not_checked"] == len(FIRST_RUN) and s["posts_rechecked"] == s["posts_new"] == 0
    assert s["posts_changed"] == 0 and s["statuses"] == {}
    assert {p["key"]: (p["status"], p["previous_status"], p["changed"], p["checked"]) for p in s["results"]} == {
        key: (status, status, False, False) for key, status in FIRST_RUN.items()}
    named = {f.partition(": not checked: ")[0]: f for f in s["failures"] if ": not checked: " in f}
    assert set(named) == set(FIRST_RUN), s["failures"]
    return named


def _loopback_names(host: str, port: int) -> list[str]:
    """A resolver whose every answer is a loopback address, which the network policy refuses before
    any connection (the articles' host is mapped onto the fake web, so it is never asked)."""
    return ["127.0.0.1"]


def test_a_recheck_our_network_policy_refused_changes_no_post_and_names_each_refusal(
        base: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # Every platform endpoint resolves to a loopback address: the policy refuses each request
    # before it is made. That says nothing of the posts: each keeps the status and history it had,
    # no change is counted, and each check that was refused is named, with where and why. A
    # refusal is not the network being down.
    from datetime import timedelta

    from archiver.cli import _print_summary
    from archiver.cli_options import OutFormat
    from archiver.net import HostMap, NetOptions
    from archiver.runs import run as run_job

    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "refused-recheck")
    before = {p["key"]: (p["status"], p["reason"], p["history"]) for p in lookup(web, copy)}
    net = NetOptions(map_hosts=(HostMap.parse(f"news.example=127.0.0.1:{web.port}"),), ca_bundle=web.ca_pem,
                     resolver=_loopback_names)
    summary = run_job(seeds, copy, net, recheck_after=timedelta(0))
    assert {p["key"]: (p["status"], p["reason"], p["history"]) for p in lookup(web, copy)} == before
    capsys.readouterr()
    assert _print_summary(summary, OutFormat.json) == 1
    s = json.loads(capsys.readouterr().out)
    assert s["network_unreachable"] is False
    named = _none_checked(s)
    assert all("refused: " in f and "resolves to a loopback address (127.0.0.1)" in f for f in named.values()), named


@pytest.fixture
def closed_port() -> Any:
    """A loopback port held bound but never listening: every connection to it is refused at once."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _run_without_answers(web: Any, archive: Path, seeds: Path, *net: str) -> Any:
    """A re-check of every held post with the network options `net` only (not the fake web's own)."""
    return subprocess.run([sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir",
                           str(archive), "--recheck-after", "0s", "--fetch-deadline", "1", "--format", "json", *net],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _nothing_learnt(web: Any, copy: Path, before: Any, r: Any, why: str) -> dict[str, Any]:
    """What every re-check that met no answer must show: each post keeps its status, reason and
    history, none counts as re-checked or changed, each is named as not checked, with `why`."""
    assert r.returncode == 1, r.stderr
    assert {p["key"]: (p["status"], p["reason"], p["history"]) for p in lookup(web, copy)} == before
    s = json.loads(r.stdout)
    named = _none_checked(s)
    assert all(": not checked: no server answered: " in f and why in f for f in named.values()), named
    assert "unavailable" not in {p["status"] for p in s["results"]}
    return s


def test_a_recheck_where_no_platform_answers_changes_no_post(base: Any, closed_port: int) -> None:
    # The articles are read (the fake web answers for news.example), but every platform's host
    # leads to a loopback port where nothing listens: a firewall, one dead route. No check got an
    # answer, so none was made: the deleted, protected and withheld posts stay so. The articles did
    # come over the network: the network is not called unreachable.
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "no-answer-recheck")
    before = {p["key"]: (p["status"], p["reason"], p["history"]) for p in lookup(web, copy)}
    r = _run_without_answers(web, copy, seeds, "--map-host", f"news.example=127.0.0.1:{web.port}",
                             "--map-host", f"*=127.0.0.1:{closed_port}", "--ca-bundle", str(web.ca_pem))
    s = _nothing_learnt(web, copy, before, r, "could not connect")
    assert s["articles"] == len(ARTICLES) and s["network_unreachable"] is False
    assert "the network was unreachable" not in r.stderr


def test_a_recheck_behind_a_proxy_that_is_down_changes_no_post(base: Any, closed_port: int) -> None:
    # Every request goes to a proxy that is not running: nothing answers, not even an article.
    # Every check met no answer: the run says the network was unreachable.
    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "proxy-down-recheck")
    before = {p["key"]: (p["status"], p["reason"], p["history"]) for p in lookup(web, copy)}
    seeds = _seeds(tmp, [], name="no-seeds")  # the held posts are due whatever the seeds cite
    r = _run_without_answers(web, copy, seeds, "--proxy", f"http://127.0.0.1:{closed_port}",
                             "--ca-bundle", str(web.ca_pem))
    s = _nothing_learnt(web, copy, before, r, "GET https://")
    assert s["network_unreachable"] is True
    assert r.stderr.splitlines()[-1] == (
        f"archiver: the network was unreachable: {len(FIRST_RUN)} post(s) could not be checked, each keeps the "
        "status it had ('unavailable' if new to the archive); run again when online"), r.stderr


def test_a_run_of_articles_alone_behind_a_proxy_that_is_down_says_the_network_was_unreachable(
        tmp_path: Path, closed_port: int) -> None:
    # A fresh archive, seeds listing only article addresses (a cron job's usual setup): no post to
    # check, and no article's server answered. The run completed and says why (exit 1, as any run
    # offline: a scheduled unit takes it as done); 2 is for input that can never be read.
    seeds = _seeds(tmp_path, ["https://news.example/a.html", "https://other.example/b.html"])
    r = subprocess.run([sys.executable, "-m", "archiver", "run", "--seeds", str(seeds), "--archive-dir",
                        str(tmp_path / "archive"), "--proxy", f"http://127.0.0.1:{closed_port}", "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    s = json.loads(r.stdout)
    assert s["network_unreachable"] is True and s["articles_failed"] == 2, s
    assert r.stderr.splitlines()[-1] == "archiver: the network was unreachable; run again when online", r.stderr
    # Each failure says whose connection failed: the proxy's, not the article's server.
    assert all(f"(the proxy http://127.0.0.1:{closed_port})" in f for f in s["failures"]), s["failures"]


def test_a_post_new_to_the_archive_whose_check_no_server_answered_is_not_checked(
        tmp_path: Path, closed_port: int) -> None:
    # Every host refuses at once: nothing was learnt of the post, so nothing is rendered on the
    # strength of that check, and the run names it as a check not made (as for a held post).
    url = "https://twitter.com/RivertonDesk/status/1764718078373491923"
    r = subprocess.run([sys.executable, "-m", "archiver", "archive", url, "--archive-dir", str(tmp_path / "archive"),
                        "--map-host", f"*=127.0.0.1:{closed_port}", "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    s = json.loads(r.stdout)
    (post,) = s["results"]
    assert post["checked"] is False and post["status"] == "unavailable" and post["captures"] == 0, post
    assert s["posts_not_checked"] == 1 and s["statuses"] == {}, s
    (failure,) = s["failures"]
    assert failure.startswith("twitter:1764718078373491923: not checked: no server answered: "), failure


def test_a_recheck_behind_a_captive_portal_changes_no_post(base: Any) -> None:
    # Every host answers TLS with a certificate no trusted authority issued (a hotel's portal):
    # no request gets as far as an HTTP answer, so no check was made.
    import trustme

    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "portal-recheck")
    before = {p["key"]: (p["status"], p["reason"], p["history"]) for p in lookup(web, copy)}
    other = tmp / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    seeds = _seeds(tmp, [], name="no-seeds-portal")
    r = _run_without_answers(web, copy, seeds, "--map-host", web.map_host, "--ca-bundle", str(other))
    s = _nothing_learnt(web, copy, before, r, "TLS error")
    assert s["network_unreachable"] is True


def test_second_run_is_refused_with_exit_3_or_waits(base: Any) -> None:
    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "locked")
    slow = _seeds(tmp, [web.drip("/2024/slow-lock.html", 600_000, 100_000)], "slow-seeds")
    args = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(slow), "--archive-dir", str(copy),
            "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
    first = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: web.active_streams > 0, 60)
        second = cli(web, "run", "--seeds", str(slow), archive=copy)
        assert second.returncode == 3, second.stderr
        assert "holds the lock" in second.stderr and f"pid {first.pid}" in second.stderr
        web.drip("/2024/slow-lock.html", 600_000, 10_000_000)  # the loads from now on are quick
        waiter = cli(web, "run", "--seeds", str(slow), "--wait", archive=copy, timeout=300)
        assert waiter.returncode == 0, waiter.stderr
        assert first.poll() is not None, "the waiting run finished before the holder"
    finally:
        first.kill()
        first.wait()


def _wait_for(cond: Any, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_kill_9_mid_body_then_resume(base: Any) -> None:
    web, _archive, _s, _r, tmp = base
    archive = tmp / "killed"
    url = web.drip("/2024/slow-kill.html", 4_000_000, 200_000)
    seeds = _seeds(tmp, [site.ARTICLE_FLOOD.url, url], "kill-seeds")
    args = [sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir", str(archive),
            "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Killed mid-body: 100 kB of the 4 MB page have been sent (writes of 20 kB).
        _wait_for(lambda: sum(web.streamed("/2024/slow-kill.html")) >= 100_000, 120)
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait()
    web.drip("/2024/slow-kill.html", 200_000, 10_000_000)  # the next run gets it quickly
    r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=archive)
    assert r.returncode == 0, r.stderr
    v = cli(web, "verify", archive=archive)
    assert v.returncode == 0, v.stdout + v.stderr
    for f in warc_files(archive):
        assert warcio_check(f).returncode == 0, f
    assert not list((archive / "warcs").glob("*.open"))
    import sqlite3

    with sqlite3.connect(archive / "archive.db") as db:
        captured = db.execute(
            "SELECT count(*) FROM captures c JOIN articles a ON a.id = c.article_id "
            "WHERE a.url = ? AND c.post IS NULL AND c.error IS NULL", [url]).fetchone()[0]
    assert captured == 1, "the resumed run did not capture the article the killed run was reading"
    # The flood story's four posts (the slow page embeds one of them again), each captured once
    # across the killed run and the resumed one; the deleted post has its Wayback copy as well.
    rows = lookup(web, archive)
    assert {row["key"]: sorted(c["source"] for c in row["captures"]) for row in rows} == {
        f"twitter:{site.TWEET_PHOTO.id}": ["live"],
        f"twitter:{site.TWEET_VIDEO.id}": ["live"],
        f"twitter:{site.TWEET_DELETED.id}": ["live", "wayback"],
        f"youtube:{site.YOUTUBE.id}": ["live"],
    }


def test_lookup_during_a_run_names_a_found_post_pending(base: Any) -> None:
    # A run indexes the posts an article cites before it captures them. While the tweet's data
    # endpoint keeps the capture waiting, lookup and show, run beside it, say what is true of the
    # post: found, no check made yet.
    import sqlite3

    from archiver.platforms.twitter.syndication import syndication_url
    from tests.fakeweb import pages

    web, _archive, _s, _r, tmp = base
    archive = tmp / "in-progress"
    path = "/2024/pending.html"
    web.set_state(("article", path), "<!doctype html><html><head><meta charset='utf-8'><title>Pending</title>"
                                     f"</head><body>{pages.blockquote_html(site.TWEET_PHOTO)}</body></html>")
    synd = syndication_url(site.TWEET_PHOTO.id).removeprefix("https://cdn.syndication.twimg.com")
    web.set_state(("fault", "cdn.syndication.twimg.com", synd), "hang")
    key = f"twitter:{site.TWEET_PHOTO.id}"

    def indexed() -> bool:
        try:
            with sqlite3.connect(f"file:{archive / 'archive.db'}?mode=ro", uri=True) as db:
                return db.execute("SELECT count(*) FROM posts").fetchone()[0] > 0
        except sqlite3.Error:  # not created yet
            return False

    seeds = _seeds(tmp, [f"https://news.example{path}"], "pending-seeds")
    p = subprocess.Popen([sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir",
                          str(archive), "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem), "--format", "json",
                          "--fetch-deadline", "10", "--timeout", "5"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(indexed, 120)
        table = cli(web, "lookup", archive=archive)
        rows = lookup(web, archive)
        pending = lookup(web, archive, "--status", "pending")
        shown = cli(web, "show", key, archive=archive)
        assert p.poll() is None, "the run ended before lookup read it: the test saw nothing in progress"
        out, err = p.communicate(timeout=300)
    finally:
        web.set_state(("fault", "cdn.syndication.twimg.com", synd), None)
        if p.poll() is None:
            p.kill()
            p.wait()
    assert table.returncode == 0, table.stderr
    header, line = table.stdout.splitlines()
    assert line.split()[header.split().index("STATUS")] == "pending", table.stdout
    assert [(r["key"], r["status"], r["captures"], r["history"]) for r in rows] == [(key, "pending", [], [])]
    assert [r["key"] for r in pending] == [key]
    assert shown.returncode == 0 and "status     pending" in shown.stdout.splitlines(), shown.stdout
    # Once the run has checked it, the status is the check's.
    assert p.returncode in (0, 1), err
    after = {r["key"]: r["status"] for r in lookup(web, archive)}
    assert after == {key: json.loads(out)["results"][0]["status"]} and after[key] != "pending"
    assert lookup(web, archive, "--status", "pending") == []


def test_verify_names_a_flipped_warc_byte_and_a_flipped_screenshot_byte(base: Any) -> None:
    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "flipped")
    import sqlite3

    # Inside an indexed record's compressed bytes (a gzip header byte such as XFL is covered by no
    # checksum, so "the middle of the file" could land where nothing can notice it).
    with sqlite3.connect(copy / "archive.db") as db:
        filename, offset, length = db.execute(
            "SELECT filename, \"offset\", length FROM records WHERE warc_type = 'response' "
            "ORDER BY length DESC LIMIT 1").fetchone()
    warc = copy / "warcs" / filename
    data = bytearray(warc.read_bytes())
    data[offset + length // 2] ^= 0xFF
    warc.write_bytes(bytes(data))
    indexed = [c["screenshot"] for row in lookup(web, copy) for c in row["captures"] if c["screenshot"]]
    shot = copy / indexed[0]
    sdata = bytearray(shot.read_bytes())
    sdata[len(sdata) // 2] ^= 0x01
    shot.write_bytes(bytes(sdata))
    r = cli(web, "verify", archive=copy)
    assert r.returncode == 1
    assert warc.name in r.stdout
    assert shot.name in r.stdout


def _unnamed_pictures(web: Any, archive: Path) -> list[Path]:
    """The pictures the captures keep beside the one the index names for each (same stamp)."""
    indexed = {archive / c["screenshot"] for row in lookup(web, archive) for c in row["captures"] if c["screenshot"]}
    others = sorted(p for shot in indexed for p in shot.parent.glob(shot.name.split("-")[0] + "*.png")
                    if p not in indexed)
    assert others, "no capture kept a second screenshot"
    return others


def test_verify_names_a_changed_screenshot_the_index_holds_no_hash_of(base: Any) -> None:
    """A capture keeps more pictures than the one the index names (the full page behind the embed's
    picture, a page rendered beside it): each is checked against its capture's screenshot records."""
    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "other-shots")
    others = _unnamed_pictures(web, copy)
    intact = cli(web, "verify", archive=copy)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    data = bytearray(others[0].read_bytes())
    data[len(data) // 2] ^= 0x01
    others[0].write_bytes(bytes(data))
    r = cli(web, "verify", archive=copy)
    assert r.returncode == 1
    (line,) = [x for x in r.stdout.splitlines() if others[0].name in x]
    assert line.startswith("digest") and "screenshot records" in line


def test_verify_reads_each_screenshot_once(base: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The picture the index names is hashed against the index, then held to its capture's screenshot
    records: the digests taken in the one read serve both (pictures are large). Counted at the file
    opens (`read_bytes` opens too)."""
    from typer.testing import CliRunner

    from archiver.cli import app

    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "read-once")
    opened: list[Path] = []
    real_open = Path.open

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.suffix == ".png":
            opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    r = CliRunner().invoke(app, ["verify", "--archive-dir", str(copy)])
    assert r.exit_code == 0, r.output
    assert opened and len(opened) == len(set(opened)), sorted(opened)  # each picture read once
    named = {copy / c["screenshot"] for row in lookup(web, copy) for c in row["captures"] if c["screenshot"]}
    assert named <= set(opened)


def test_the_pages_one_capture_renders_share_its_time_stamp_and_verify_checks_each(base: Any) -> None:
    """x.com's page, rendered beside a tweet's embed in the same capture, is named by the embed's
    stamp: verify knows it for one of that capture's pictures (it was left unchecked when the two
    renders took stamps a millisecond apart)."""
    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "beside-shots")
    beside = sorted(copy.glob("screenshots/twitter/*/*-x.png"))
    assert beside, "no capture rendered x.com's page beside the embed"
    for shot in beside:
        stamp = shot.name.split("-", 1)[0]
        assert list(shot.parent.glob(f"{stamp}*-embed*.png")), (shot.name, sorted(p.name for p in shot.parent.iterdir()))
    data = bytearray(beside[0].read_bytes())
    data.append(0)
    beside[0].write_bytes(bytes(data))
    r = cli(web, "verify", archive=copy)
    assert r.returncode == 1, r.stdout + r.stderr
    (line,) = [x for x in r.stdout.splitlines() if beside[0].name in x]
    assert line.startswith("digest") and "screenshot records" in line


def test_verify_names_a_picture_its_capture_records_that_is_gone_from_disk(base: Any) -> None:
    """A picture the index does not name (x.com's page beside the embed, an element shot) deleted:
    its bytes are in its capture's screenshot records, so its absence is named."""
    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "gone-shot")
    others = _unnamed_pictures(web, copy)
    gone = others[0]
    gone.unlink()
    r = cli(web, "verify", "--format", "json", archive=copy)
    assert r.returncode == 1, r.stdout + r.stderr
    (problem,) = json.loads(r.stdout)["problems"]
    stamp = gone.name.split("-")[0]
    assert problem["kind"] == "missing" and problem["path"] == str(gone.parent.relative_to(copy)), problem
    assert problem["detail"].startswith(f"1 picture(s) of the capture at {stamp} are in its screenshot records"), problem
    # As an archiver before one stamp named all of a capture's renders left it: the picture under a
    # stamp of its own, a millisecond on. It is found there, nothing is missing.
    older = _copy(archive, tmp / "own-stamp-shot")
    moved = older / gone.relative_to(copy)
    later = f"{stamp[:-4]}{(int(stamp[-4:-1]) + 1) % 1000:03d}Z"
    moved.rename(moved.with_name(moved.name.replace(stamp, later, 1)))
    intact = cli(web, "verify", archive=older)
    assert intact.returncode == 0, intact.stdout + intact.stderr


def test_verify_notes_a_picture_no_capture_records(base: Any) -> None:
    """A picture under a capture time no indexed capture has, and whose bytes no screenshot record
    holds (made up, or left by a capture a killed run never indexed): noted, not an error."""
    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "made-up-shot")
    named = _unnamed_pictures(web, copy)[0]
    planted = named.with_name("20000101T000000.000Z-embed.png")
    planted.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not a capture's picture" * 10)
    r = cli(web, "verify", archive=copy)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (f"archiver: note: {planted.relative_to(copy)}: a picture that no capture's screenshot records hold "
            "(left by a capture cut short, or put there since); not an error") in r.stderr.splitlines(), r.stderr


def test_verify_names_a_screenshot_replaced_with_its_hash_in_the_index(base: Any) -> None:
    """The picture the index names, swapped for another and its hash in archive.db with it: it
    matches the index, but none of its capture's screenshot records in the WARCs."""
    import hashlib
    import sqlite3

    web, archive, _s, _r, tmp = base
    copy = _copy(archive, tmp / "swapped")
    shots = sorted({c["screenshot"] for row in lookup(web, copy) for c in row["captures"] if c["screenshot"]})
    target, other = copy / shots[0], copy / shots[1]
    target.write_bytes(other.read_bytes())
    with sqlite3.connect(copy / "archive.db") as db:
        db.execute("UPDATE captures SET screenshot_sha256 = ? WHERE screenshot = ?",
                   [hashlib.sha256(other.read_bytes()).hexdigest(), shots[0]])
    r = cli(web, "verify", archive=copy)
    assert r.returncode == 1, r.stdout + r.stderr
    (line,) = [x for x in r.stdout.splitlines() if target.name in x]
    assert line.startswith("digest") and "matches none of its capture's screenshot records in the WARCs" in line


@pytest.mark.parametrize(("args", "expected"), [
    (["--handle", "@RIVERTONDESK"], {site.TWEET_PHOTO.id, site.TWEET_FLAT.id}),
    (["--handle", "mei_hydro"], {site.TWEET_VIDEO.id}),
    (["--date", "2024-03-04", "--platform", "twitter"], {site.TWEET_PHOTO.id, site.TWEET_FLAT.id, site.TWEET_WITHHELD.id}),
    (["--since", "2024-03-05", "--platform", "twitter"], {site.TWEET_VIDEO.id, site.TWEET_PROTECTED.id}),
    (["--until", "2024-03-03", "--platform", "twitter"], {site.TWEET_DELETED.id}),
    # Bounds are inclusive to the millisecond: the photo tweet's ID says 18:22:31.417.
    (["--since", "2024-03-04T14:05:17Z", "--until", "2024-03-04T18:22:31.417Z"], {site.TWEET_PHOTO.id, site.TWEET_FLAT.id}),
    (["--since", "2024-03-04T14:05:17Z", "--until", "2024-03-04T18:22:31.416Z"], {site.TWEET_FLAT.id}),
    (["--status", "protected"], {site.TWEET_PROTECTED.id}),
    (["--status", "withheld"], {site.TWEET_WITHHELD.id}),
    (["--text", "sandbags"], {site.TWEET_PHOTO.id, site.TWEET_PROTECTED.id}),
    (["--text", "levee", "--status", "live"], {site.TWEET_VIDEO.id}),
    (["--platform", "youtube"], {site.YOUTUBE.id}),
    (["--article", site.ARTICLE_REVIEW.url], {site.TWEET_PHOTO.id, site.TWEET_DELETED.id}),
    (["--captured-since", "2000-01-01", "--handle", "quietgardener"], {site.TWEET_PROTECTED.id}),
    (["--captured-since", "2999-01-01"], set()),
])
def test_lookup_filters(base: Any, args: list[str], expected: set[str]) -> None:
    web, archive, *_ = base
    assert {r["post_id"] for r in lookup(web, archive, *args)} == expected


def test_lookup_formats(base: Any) -> None:
    web, archive, *_ = base
    j = json.loads(cli(web, "lookup", "--handle", "mei_hydro", "--format", "json", archive=archive).stdout)
    jl = [json.loads(x) for x in cli(web, "lookup", "--handle", "mei_hydro", "--format", "jsonl", archive=archive).stdout.splitlines()]
    c = list(csv.DictReader(io.StringIO(cli(web, "lookup", "--handle", "mei_hydro", "--format", "csv", archive=archive).stdout)))
    t = cli(web, "lookup", "--handle", "mei_hydro", archive=archive).stdout
    assert j == jl and len(j) == 1
    assert c[0]["key"] == j[0]["key"] and c[0]["author"] == "林美 Mei Lin 🌧️"
    assert set(j[0]) == {"key", "platform", "post_id", "url", "handle", "author", "posted_at", "text", "links",
                         "media", "status", "reason", "articles", "captures", "history", "former_handles"}
    assert j[0]["former_handles"] == [] and "former_handles" in c[0]
    assert "mei_hydro" in t and t.splitlines()[0].startswith("HANDLE")


def test_bad_filter_is_a_usage_error(base: Any) -> None:
    web, archive, *_ = base
    r = cli(web, "lookup", "--since", "last tuesday", archive=archive)
    assert r.returncode == 2 and "--since" in r.stderr and "Traceback" not in r.stderr


def test_export_one_handle_as_wacz(base: Any) -> None:
    web, archive, _s, _r, tmp = base
    out = tmp / "desk.wacz"
    r = cli(web, "export", "--handle", "RivertonDesk", "-o", str(out), archive=archive)
    assert r.returncode == 0, r.stderr
    v = subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(out)],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr
    with zipfile.ZipFile(out) as z:
        assert set(z.namelist()) == {"archive/data.warc.gz", "indexes/index.cdx", "pages/pages.jsonl",
                                     "datapackage.json", "datapackage-digest.json", "evidence/posts.jsonl"}
        # What the archive found about each post travels with its captures, as lookup gives it, and
        # is listed with its hash like every file (a signature or timestamp covers it).
        found = [json.loads(line) for line in z.read("evidence/posts.jsonl").decode().splitlines()]
        assert found == lookup(web, archive, "--handle", "RivertonDesk")
        listed = {r["path"]: r["hash"] for r in json.loads(z.read("datapackage.json"))["resources"]}
        assert listed["evidence/posts.jsonl"] == "sha256:" + hashlib.sha256(z.read("evidence/posts.jsonl")).hexdigest()
        warcs = [i for i in z.infolist() if i.filename.startswith("archive/")]
        assert warcs and all(i.compress_type == zipfile.ZIP_STORED for i in warcs)
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
        uris: set[str] = set()
        ids: set[str] = set()
        originals: set[str] = set()  # the records the bundle's revisits stand for
        for w in warcs:
            with z.open(w) as fh:
                for rec in ArchiveIterator(io.BytesIO(fh.read())):
                    uris.add(rec.rec_headers.get_header("WARC-Target-URI") or "")
                    ids.add(rec.rec_headers.get_header("WARC-Record-ID") or "")
                    if rec.rec_headers.get_header("WARC-Type") == "revisit":
                        originals.add(rec.rec_headers.get_header("WARC-Refers-To") or "")
    import sqlite3

    # No record filed under another handle's post (its own captures: embed page, syndication, media),
    # but the original of a revisit the bundle holds: a citing article that showed the other post's
    # embed after that post's capture recorded the same payload as a revisit, which needs its original
    # to replay.
    with sqlite3.connect(archive / "archive.db") as db:
        others = {row[0] for row in db.execute(
            "SELECT r.record_id FROM records r JOIN posts p ON p.id = r.post "
            "WHERE lower(coalesce(p.handle, '')) != 'rivertondesk'")}
        own = {row[0] for row in db.execute(
            "SELECT r.record_id FROM records r JOIN posts p ON p.id = r.post WHERE lower(p.handle) = 'rivertondesk'")}
    assert others and not (ids & others) - originals
    assert (ids & others) <= originals <= ids  # every revisit's original travels with it
    assert own <= ids  # and every record of the selected posts is there
    # One page per citing article, one per post (its rendered embed): the photo tweet is cited by the
    # flood story and the review, the flattened tweet by the wire text.
    assert {p["url"] for p in pages} == {
        site.ARTICLE_FLOOD.url, site.ARTICLE_REVIEW.url, f"https://news.example{site.WIRE_TEXT_PATH}",
        f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_PHOTO.id}",
        f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_FLAT.id}"}
    # None of another handle's post captures: mei_hydro's video post was captured on its own embed page.
    other = f"Tweet.html?id={site.TWEET_VIDEO.id}"
    assert not any(u.startswith("https://platform.twitter.com/embed/") and u.endswith(other) for u in uris)
    assert any(site.TWEET_PHOTO.id in u for u in uris)


def test_a_gone_posts_only_page_in_a_wacz_says_what_it_shows(base: Any) -> None:
    """A withheld post captured once (its tombstone): the page's title says so, as a replay tool lists it."""
    web, archive, _s, _r, tmp = base
    out = tmp / "withheld.wacz"
    r = cli(web, "export", "--status", "withheld", "-o", str(out), archive=archive)
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
    (page,) = [p for p in pages if site.TWEET_WITHHELD.id in p["url"]]
    assert ": withheld, captured " in page["title"], page
    # The article's embed gave the post's words, but the page is the tombstone: a search of the
    # bundle for them must not lead there.
    (post,) = json.loads(cli(web, "lookup", "--status", "withheld", "--format", "json", archive=archive).stdout)
    assert post["text"] and "text" not in page, page


def test_export_warc_gz_passes_warcio_check(base: Any) -> None:
    web, archive, _s, _r, tmp = base
    out = tmp / "deleted.warc.gz"
    r = cli(web, "export", "--status", "deleted", "-o", str(out), archive=archive)
    assert r.returncode == 0, r.stderr
    assert warcio_check(out).returncode == 0


def test_empty_export_is_exit_2(base: Any) -> None:
    web, archive, _s, _r, tmp = base
    out = tmp / "none.wacz"
    r = cli(web, "export", "--handle", "nobody_here", "-o", str(out), archive=archive)
    assert r.returncode == 2 and "nothing matched" in r.stderr
    assert not out.exists()


def test_report_of_the_archive_in_chromium(base: Any) -> None:
    from playwright.sync_api import sync_playwright

    from archiver.capture.browser import find_chromium

    web, archive, _s, _r, tmp = base
    out = tmp / "report" / "index.html"
    out.parent.mkdir(exist_ok=True)
    r = cli(web, "report", "-o", str(out), archive=archive)
    assert r.returncode == 0, r.stderr
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium())
        page = browser.new_page()
        page.goto(out.as_uri())
        assert page.locator("section.article h2").count() == len(ARTICLES)
        recovered = page.locator(f"article.card[data-key='twitter:{site.TWEET_DELETED.id}']").first
        assert "recovered" in (recovered.get_attribute("class") or "")
        assert "levee is perfectly safe" in recovered.inner_text()
        mei = page.locator(f"article.card[data-key='twitter:{site.TWEET_VIDEO.id}']").first.inner_text()
        assert "林美 Mei Lin 🌧️" in mei and "live" in mei
        widths = page.evaluate("[...document.querySelectorAll('img.thumb')].map(i => i.naturalWidth)")
        assert widths and all(w > 0 for w in widths)
        browser.close()


def test_show_prints_history_captures_and_citing_articles(base: Any) -> None:
    web, archive, *_ = base
    r = cli(web, "show", f"https://twitter.com/RivertonDesk/status/{site.TWEET_PHOTO.id}?s=20", archive=archive)
    assert r.returncode == 0, r.stderr
    assert "history:" in r.stdout and "live" in r.stdout
    assert "reason     syndication returned the post" in r.stdout
    assert site.ARTICLE_FLOOD.url in r.stdout and site.ARTICLE_REVIEW.url in r.stdout
    missing = cli(web, "show", "twitter:1", archive=archive)
    assert missing.returncode == 2 and "not in the archive" in missing.stderr


@pytest.mark.pywb
def test_exported_wacz_replays_in_pywb(base: Any) -> None:
    import httpx

    from tests.pywb_harness import pywb_collection, require_pywb, serve

    require_pywb()
    web, archive, _s, _r, tmp = base
    out = tmp / "replay.wacz"
    r = cli(web, "export", "--handle", "mei_hydro", "-o", str(out), archive=archive)
    assert r.returncode == 0, r.stderr
    embed = f"https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_VIDEO.id}"
    with pywb_collection(tmp / "pywb", "c", [out]) as wb, serve(wb) as base_url:
        article = httpx.get(f"{base_url}/c/2030id_/{site.ARTICLE_FLOOD.url}", timeout=30)
        assert article.status_code == 200
        assert site.ARTICLE_FLOOD.title in article.text
        page = httpx.get(f"{base_url}/c/2030id_/{embed}", timeout=30)
        assert page.status_code == 200 and "<div id=\"app\"" in page.text
        other = httpx.get(f"{base_url}/c/2030id_/https://platform.twitter.com/embed/Tweet.html?id={site.TWEET_PROTECTED.id}",
                          timeout=30)
        assert site.TWEET_PROTECTED.id not in other.text  # another handle's post capture is not in the bundle


@pytest.fixture(scope="module")
def rerun(base: Any) -> Any:
    """A copy of the base archive after a second run with nothing due: the WARC records and journal
    entries that run added, and the files it found."""
    web, archive, seeds, _r, tmp = base
    copy = _copy(archive, tmp / "rerun")
    before = set(warc_files(copy))
    r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=copy)
    assert r.returncode == 0, r.stderr
    held: dict[str, str] = {}  # record ID -> target URI, of every record the first run wrote
    for path in before:
        for rec in ArchiveIterator(path.open("rb")):
            held[rec.rec_headers.get_header("WARC-Record-ID")] = rec.rec_headers.get_header("WARC-Target-URI") or ""
    added = [rec for path in sorted(set(warc_files(copy)) - before) for rec in _records(path)]
    return web, copy, held, added, tmp


def _records(path: Path) -> list[tuple[str, str, dict[str, str]]]:
    """(WARC-Type, WARC-Target-URI, headers) of every record of one WARC file."""
    out = []
    for rec in ArchiveIterator(path.open("rb")):
        headers = dict(rec.rec_headers.headers)
        out.append((rec.rec_type, headers.get("WARC-Target-URI", ""), headers))
    return out


def test_a_run_with_nothing_new_stores_each_unchanged_article_as_a_revisit_of_the_held_one(rerun: Any) -> None:
    _web, copy, held, added, _tmp = rerun
    # Each article was read again, its unchanged page written as a revisit of the first run's
    # record, not as a copy of it. (The wire text is under the 1,024 bytes a revisit starts at: its
    # headers would weigh about as much as the body.)
    pages = [a for a in ARTICLES if not a.endswith(site.WIRE_TEXT_PATH)]
    assert not [uri for kind, uri, _h in added if kind == "response" and uri in pages]
    revisits = {uri: h for kind, uri, h in added if kind == "revisit"}
    assert set(pages) <= set(revisits)
    for page in pages:
        h = revisits[page]
        assert h["WARC-Profile"] == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        assert held.get(h["WARC-Refers-To"]) == h["WARC-Refers-To-Target-URI"] == page
    # Nothing that was held changed, so the index's journal says nothing new of posts, articles,
    # citations or merges: only which records the run wrote belong to whom.
    journal = {uri.split(":")[1] for kind, uri, _h in added if kind == "metadata" and uri.startswith("urn:")}
    assert journal == {"records"}, journal
    v = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", "--archive-dir", str(copy)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert v.returncode == 0, v.stderr


def test_verify_names_revisits_whose_originals_no_warc_file_holds(rerun: Any) -> None:
    """A later run's revisits need the earlier run's records: a WARC file taken away, and the index
    rebuilt without it, leaves revisits that will not replay, and verify says so."""
    web, copy, _held, added, tmp = rerun
    pruned = _copy(copy, tmp / "pruned")
    ref = next(h["WARC-Refers-To"] for kind, _uri, h in added if kind == "revisit")
    (holder,) = [p for p in warc_files(pruned) if any(h.get("WARC-Record-ID") == ref for *_, h in _records(p))]
    holder.rename(tmp / f"taken-away-{holder.name}")
    rebuilt = cli(web, "reindex", "--force", archive=pruned)
    assert rebuilt.returncode in (0, 1), rebuilt.stderr
    v = cli(web, "verify", archive=pruned)
    assert v.returncode == 1, v.stdout + v.stderr
    assert "revisit record(s) refer to records no WARC file of the archive holds" in v.stdout, v.stdout


def test_an_export_missing_a_warc_file_names_it_once_and_counts_the_revisits_left_without_original(
        rerun: Any) -> None:
    web, copy, _held, added, tmp = rerun
    gone = _copy(copy, tmp / "file-gone")
    ref = next(h["WARC-Refers-To"] for kind, uri, h in added if kind == "revisit" and uri == site.ARTICLE_FLOOD.url)
    (holder,) = [p for p in warc_files(gone) if any(h.get("WARC-Record-ID") == ref for *_, h in _records(p))]
    holder.rename(tmp / f"gone-{holder.name}")
    out = tmp / "file-gone.wacz"
    r = cli(web, "export", "--handle", "RivertonDesk", "-o", str(out), archive=gone)
    assert r.returncode == 1, r.stderr
    lines = [line for line in r.stderr.splitlines() if holder.name in line]
    # Named once: the originals the revisits point at are records of the selection too, counted once
    # as such (not again as originals), and the revisits left without them are counted apart.
    assert len(lines) == 1 and "WARC file is missing" in lines[0] and "selected record(s)" in lines[0], r.stderr
    assert "revisits without their original (will not replay)" in r.stderr, r.stderr
    assert "record(s) left out" in r.stderr and out.exists()


@pytest.mark.pywb
def test_an_article_stored_as_a_revisit_replays_in_pywb_from_a_bundle(rerun: Any) -> None:
    import httpx

    from tests.pywb_harness import pywb_collection, require_pywb, serve

    require_pywb()
    web, copy, _held, added, tmp = rerun
    (when,) = [h["WARC-Date"] for kind, uri, h in added if kind == "revisit" and uri == site.ARTICLE_FLOOD.url]
    out = tmp / "rerun.wacz"
    r = cli(web, "export", "--handle", "RivertonDesk", "-o", str(out), archive=copy)
    assert r.returncode == 0, r.stderr
    stamp = "".join(c for c in when if c.isdigit())[:14]
    with pywb_collection(tmp / "pywb-rerun", "c", [out]) as wb, serve(wb) as base_url:
        article = httpx.get(f"{base_url}/c/{stamp}id_/{site.ARTICLE_FLOOD.url}", timeout=30)
    assert article.status_code == 200 and site.ARTICLE_FLOOD.title in article.text
    assert article.headers.get("memento-datetime")  # pywb answered from the capture nearest that time


def test_max_bytes_refuses_a_large_article_before_reading_it(base: Any) -> None:
    web, _archive, _s, _r, tmp = base
    url = web.drip("/2024/huge.html", 5_000_000, 50_000)  # its Content-Length says 5 MB
    r = cli(web, "archive", url, "--max-bytes", "100000", archive=tmp / "maxbytes")
    assert r.returncode == 2, r.stderr
    assert "5000000 bytes is over --max-bytes 100000" in r.stderr
    # Refused before the body was read: nothing of it was recorded.
    for path in warc_files(tmp / "maxbytes"):
        with path.open("rb") as fh:
            assert not any(rec.rec_headers.get_header("WARC-Target-URI") == url for rec in ArchiveIterator(fh))
