"""Bluesky captured in depth: one `archiver archive` of an article citing four posts (live, deleted,
not public, of a taken-down account), against the public AppView on the fake web."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeweb import bluesky as bsky
from tests.platform_e2e import Run, archive_article, media_sizes, start_web, unrecorded, warc_exchanges, warc_payload

pytestmark = pytest.mark.browser

STORY = "/2024/bluesky-levee.html"
DESK, LIVE = bsky.DESK, bsky.LIVE
ARTICLE = f"""<!doctype html><html><head><title>Levee watch</title></head><body>
<p>The desk posted an update <a href="https://bsky.app/profile/{DESK.handle}/post/{LIVE.rkey}">on Bluesky</a>.</p>
<blockquote class="bluesky-embed" data-bluesky-uri="at://{DESK.did}/app.bsky.feed.post/{bsky.DELETED_RKEY}"
 data-bluesky-cid="bafyreigone"><p lang="en">Levee at Ashford Road is holding, no need to leave tonight.</p>&mdash; Riverton News Desk
 (<a href="https://bsky.app/profile/{DESK.did}?ref_src=embed">@{DESK.handle}</a>)
 <a href="https://bsky.app/profile/{DESK.did}/post/{bsky.DELETED_RKEY}?ref_src=embed">March 3, 2024 at 9:00 PM</a></blockquote>
<p>A neighbour <a href="https://bsky.app/profile/{bsky.QUIET.handle}/post/{bsky.NOT_PUBLIC.rkey}">wrote</a> too.</p>
<iframe src="https://embed.bsky.app/embed/{bsky.GONE.did}/app.bsky.feed.post/{bsky.TAKENDOWN_RKEY}" width=500 height=300></iframe>
</body></html>
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("bluesky")
    web = start_web(tmp, bsky.HANDLERS)
    try:
        yield archive_article(web, tmp, STORY, ARTICLE)
    finally:
        web.stop()


def test_archive_succeeds(run: Run) -> None:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr


def test_each_post_has_its_status_and_reason(run: Run) -> None:
    rows = run.lookup("bluesky")
    got = {key: (row["status"], row["reason"]) for key, row in rows.items()}
    assert got == {
        f"bluesky:{LIVE.rkey}": ("live", "getPostThread returned the post"),
        f"bluesky:{bsky.DELETED_RKEY}": (
            "deleted", "getPostThread answered NotFound while the author's profile answers: the post was deleted by "
                       "its author or taken down (Bluesky answers both alike)"),
        f"bluesky:{bsky.NOT_PUBLIC.rkey}": (
            "login_required", 'the author carries the label "!no-unauthenticated": Bluesky shows their posts to '
                              "signed-in readers only"),
        f"bluesky:{bsky.TAKENDOWN_RKEY}": (
            "suspended", 'getPostThread answered NotFound; getProfile answered AccountTakedown ("Account has been '
                         'taken down")'),
    }


def test_live_post_fields_come_from_the_api(run: Run) -> None:
    row = run.lookup("bluesky")[f"bluesky:{LIVE.rkey}"]
    assert (row["handle"], row["author"], row["text"], row["posted_at"]) == (
        DESK.handle, DESK.name, LIVE.text, "2024-03-04T10:15:00.000Z")
    full = bsky.photo_url(DESK.did, LIVE.photos[0], "feed_fullsize")
    assert row["media"] == [full]
    assert "https://news.example/live" in row["links"]


def test_not_public_post_keeps_nothing_the_author_hid(run: Run) -> None:
    row = run.lookup("bluesky")[f"bluesky:{bsky.NOT_PUBLIC.rkey}"]
    assert (row["text"], row["author"], row["media"]) == (None, None, [])


def test_full_size_photo_in_media_dir_and_warc(run: Run) -> None:
    full = bsky.photo_url(DESK.did, LIVE.photos[0], "feed_fullsize")
    assert media_sizes(run, f"bluesky:{LIVE.rkey}") == [(full, (1000, 750))]
    assert warc_payload(run.archive, full) == bsky.PHOTO_FULL


def test_every_api_exchange_is_in_the_warc(run: Run) -> None:
    exchanges = warc_exchanges(run.archive)
    api = "https://public.api.bsky.app/xrpc/"
    resolve = f"{api}com.atproto.identity.resolveHandle?handle={DESK.handle}"
    assert ("response", 200) in exchanges[resolve]
    profile = f"{api}app.bsky.actor.getProfile?actor={bsky.GONE.did.replace(':', '%3A')}"
    assert ("response", 400) in exchanges[profile]
    assert unrecorded(run.web, run.archive) == []


def test_gone_post_recovered_from_the_wayback_machine(run: Run) -> None:
    gone = run.json("show", f"bluesky:{bsky.DELETED_RKEY}")
    copy = f"https://web.archive.org/web/{bsky.WAYBACK_TS}/https://bsky.app/profile/{DESK.did}/post/{bsky.DELETED_RKEY}"
    assert [(c["source"], c["status"], c["url"], c["error"]) for c in gone["captures"]] == [
        ("live", "deleted", f"https://embed.bsky.app/embed/{DESK.did}/app.bsky.feed.post/{bsky.DELETED_RKEY}", None),
        ("wayback", "recovered", copy, None)]
    assert (gone["author"], gone["text"]) == (DESK.name, "Levee at Ashford Road is holding, no need to leave tonight.")
    # the post's at:// URI, as its embed carries it, names it too
    assert run.json("show", f"at://{DESK.did}/app.bsky.feed.post/{bsky.DELETED_RKEY}")["key"] == gone["key"]


def test_a_wayback_copy_without_the_post_does_not_count(run: Run) -> None:
    hidden = run.json("show", f"bluesky:{bsky.NOT_PUBLIC.rkey}")
    assert [(c["source"], c["status"], c["error"]) for c in hidden["captures"]] == [
        ("live", "login_required", None), ("wayback", "not_recovered", "the Wayback copy does not show the post")]
    # A post of which no copy exists gets none (the look-ups are recorded all the same).
    suspended = run.json("show", f"bluesky:{bsky.TAKENDOWN_RKEY}")
    assert [c["source"] for c in suspended["captures"]] == ["live"]
