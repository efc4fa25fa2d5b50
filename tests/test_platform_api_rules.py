"""How Bluesky, Mastodon/Truth Social and Reddit answers map to statuses, beyond the end-to-end runs:
each rule fed the answer it reads (an httpx transport answering as the platform documents)."""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from archiver.index.rows import StoredPost
from archiver.models import Post
from archiver.platforms.bluesky.postcheck import full_size_images
from archiver.platforms.bluesky.postcheck import probe as bluesky_probe
from archiver.platforms.mastodon.postcheck import CHECK as MASTODON
from archiver.platforms.mastodon.postcheck import content_links, html_text
from archiver.platforms.reddit.postcheck import classify, full_size_media
from archiver.platforms.reddit.postcheck import probe as reddit_probe

Route = Callable[[httpx.Request], httpx.Response]


def client(answers: dict[str, tuple[int, Any]]) -> httpx.Client:
    """Answers by URL path: (status, JSON body, or bytes for a non-JSON body); anything else 404."""

    def handle(request: httpx.Request) -> httpx.Response:
        status, body = answers.get(request.url.path, (404, {"error": "NotFound"}))
        if isinstance(body, Exception):
            raise body
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers={"content-type": "text/html"})
        return httpx.Response(status, content=json.dumps(body).encode(), headers={"content-type": "application/json"})

    return httpx.Client(transport=httpx.MockTransport(handle))


def post(platform: str, post_id: str, url: str, handle: str | None = None) -> Post:
    return Post(platform=platform, kind="linked", source="test", evidence="a[href]", post_id=post_id, url=url,
                handle=handle)


# --- Bluesky ------------------------------------------------------------------------------------

DID = "did:plc:abc123"
BSKY = post("bluesky", "3kx", f"https://bsky.app/profile/{DID}/post/3kx")
THREAD = "/xrpc/app.bsky.feed.getPostThread"
PROFILE = "/xrpc/app.bsky.actor.getProfile"


def _view(labels: list[str] = (), author_labels: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {"uri": f"at://{DID}/app.bsky.feed.post/3kx", "labels": [{"val": v} for v in labels],
            "author": {"did": DID, "handle": "a.bsky.social", "displayName": "A", "labels": [{"val": v} for v in author_labels]},
            "record": {"text": "hello", "createdAt": "2024-03-04T10:00:00.000Z"}}


def test_bluesky_adult_label_is_age_restricted_and_keeps_the_post() -> None:
    found = bluesky_probe(BSKY, client({THREAD: (200, {"thread": {"$type": "app.bsky.feed.defs#threadViewPost",
                                                                   "post": _view(labels=["porn"])}})}))
    assert (found.status, found.reason) == ("age_restricted", 'labelled "porn": Bluesky shows it to signed-in adults only')
    assert found.fields["text"] == "hello"


def test_bluesky_a_negated_label_does_not_count() -> None:
    view = _view()
    view["labels"] = [{"val": "porn", "neg": True}]
    found = bluesky_probe(BSKY, client({THREAD: (200, {"thread": {"post": view}})}))
    assert found.status == "live"


@pytest.mark.parametrize(("answers", "status", "reason"), [
    ({THREAD: (200, {"thread": {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://x", "blocked": True}})},
     "unavailable", "getPostThread answered blockedPost (an anonymous reader blocks no one)"),
    ({THREAD: (200, {"thread": {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://x", "notFound": True}}),
      PROFILE: (400, {"error": "AccountDeactivated", "message": "Account is deactivated"})},
     "unavailable", 'getPostThread answered notFoundPost; getProfile answered AccountDeactivated ("Account is '
                    'deactivated") (the author may come back)'),
    ({THREAD: (400, {"error": "NotFound", "message": "Post not found"}),
      PROFILE: (400, {"error": "InvalidRequest", "message": "Profile not found"})},
     "deleted", 'getPostThread answered NotFound; getProfile answered InvalidRequest ("Profile not found"): the post '
                "and its account are gone"),
    ({THREAD: (400, {"error": "NotFound", "message": "Post not found"}), PROFILE: (502, b"Bad gateway")},
     "unavailable", "getPostThread answered NotFound; getProfile answered HTTP 502"),
    ({THREAD: (400, {"error": "NotFound", "message": "Post not found"}), PROFILE: (200, {"did": DID, "handle": "a"})},
     "deleted", "getPostThread answered NotFound while the author's profile answers: the post was deleted by its "
                "author or taken down (Bluesky answers both alike)"),
    # A proxy's or CDN's page is no signal of Bluesky's: the post is not called gone on its word.
    ({THREAD: (400, {"error": "NotFound", "message": "Post not found"}),
      PROFILE: (400, b"<html><title>400 Bad Request</title>nginx</html>")},
     "unavailable", "getPostThread answered NotFound; getProfile answered HTTP 400 (not Bluesky's error)"),
    ({THREAD: (400, {"error": "NotFound", "message": "Post not found"}), PROFILE: (200, b"<title>Sign in</title>")},
     "unavailable", "getPostThread answered NotFound; getProfile answered HTTP 200 (its body not JSON)"),
    ({THREAD: (400, {"error": "NotFound", "message": "Post not found"}),
      PROFILE: (200, {"did": "did:plc:someoneelse", "handle": "b"})},
     "unavailable", "getPostThread answered NotFound; getProfile answered HTTP 200 (about another account)"),
    ({THREAD: (500, b"oops")}, "unavailable", "getPostThread answered HTTP 500"),
])
def test_bluesky_answers(answers: dict[str, tuple[int, Any]], status: str, reason: str) -> None:
    found = bluesky_probe(BSKY, client(answers))
    assert (found.status, found.reason) == (status, reason)


def test_bluesky_handle_that_does_not_resolve() -> None:
    by_handle = post("bluesky", "3kx", "https://bsky.app/profile/gone.bsky.social/post/3kx", "gone.bsky.social")
    found = bluesky_probe(by_handle, client({"/xrpc/com.atproto.identity.resolveHandle": (
        400, {"error": "InvalidRequest", "message": "Unable to resolve handle"})}))
    assert (found.status, found.reason) == (
        "unavailable", 'resolveHandle gone.bsky.social answered InvalidRequest ("Unable to resolve handle")')


def test_bluesky_held_post_is_asked_about_by_the_did_of_its_own_answer_only() -> None:
    """A held post named by a handle nobody holds any more is asked about by the DID the answer
    held for it gave; an answer about another record key (two posts taken for one) gives none."""
    gone = {"/xrpc/com.atproto.identity.resolveHandle": (400, {"error": "InvalidRequest",
                                                             "message": "Unable to resolve handle"}),
            THREAD: (200, {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": _view()}})}
    url = "https://bsky.app/profile/old.bsky.social/post/3kx"
    held = StoredPost(key="bluesky:3kx", platform="bluesky", post_id="3kx", url=url, handle="old.bsky.social",
                      data=_view())
    assert bluesky_probe(held, client(gone)).status == "live"
    other = StoredPost(key="bluesky:3kx", platform="bluesky", post_id="3kx", url=url, handle="old.bsky.social",
                       data={**_view(), "uri": f"at://{DID}/app.bsky.feed.post/3ky"})
    assert bluesky_probe(other, client(gone)).status == "unavailable"


def _no_route() -> httpx.ConnectError:
    """What a connect raises when no route leads out: the network itself is down."""
    e = httpx.ConnectError("[Errno 101] Network is unreachable")
    e.__cause__ = OSError(errno.ENETUNREACH, "Network is unreachable")
    return e


def test_bluesky_network_down_is_unavailable_and_says_so() -> None:
    found = bluesky_probe(BSKY, client({THREAD: (0, _no_route())}))
    assert (found.status, found.network_failed) == ("unavailable", True)
    assert found.reason is not None and found.reason.startswith("getPostThread: ")


def test_bluesky_full_size_images_beside_a_quote() -> None:
    embed = {"$type": "app.bsky.embed.recordWithMedia#view", "record": {},
             "media": {"$type": "app.bsky.embed.images#view",
                       "images": [{"thumb": "t1", "fullsize": "f1"}, {"thumb": "t2", "fullsize": "f2"}]}}
    assert full_size_images(embed) == ["f1", "f2"]


# --- Mastodon -----------------------------------------------------------------------------------

TOOT = post("mastodon", "mastodon.social/112036911513600000", "https://mastodon.social/@w/112036911513600000")
STATUS_API = "/api/v1/statuses/112036911513600000"


def test_mastodon_bot_wall_is_not_a_statement_about_the_post() -> None:
    found = MASTODON.probe(TOOT, client({STATUS_API: (403, b"<title>Just a moment...</title>")}))
    assert (found.status, found.reason) == (
        "unavailable", "mastodon.social turned an anonymous client away (HTTP 403): a bot wall or challenge says "
                       "nothing about the post")


def test_mastodon_instance_down_is_unavailable() -> None:
    found = MASTODON.probe(TOOT, client({STATUS_API: (0, httpx.ConnectError("connection refused"))}))
    # unavailable; and one instance refusing says nothing of the network
    assert (found.status, found.network_failed) == ("unavailable", False)
    found = MASTODON.probe(TOOT, client({STATUS_API: (0, _no_route())}))
    assert (found.status, found.network_failed) == ("unavailable", True)


def test_mastodon_one_404_and_an_unreachable_page_is_one_signal() -> None:
    found = MASTODON.probe(TOOT, client({STATUS_API: (404, {"error": "Record not found"}),
                                         "/@w/112036911513600000": (0, httpx.ConnectError("reset"))}))
    assert found.status == "unavailable"


def test_mastodon_a_404_that_is_no_mastodon_error_is_no_signal() -> None:
    # An instance shut down and its domain parked: every path 404s with a page of the registrar's.
    parked = (404, b"<!doctype html><title>Domain parked</title><h1>404</h1>")
    found = MASTODON.probe(TOOT, client({STATUS_API: parked, "/@w/112036911513600000": parked}))
    assert (found.status, found.reason) == (
        "unavailable", "the status API answered HTTP 404, not the error of a Mastodon server (is mastodon.social "
                       "one, still?)")
    found = MASTODON.probe(TOOT, client({STATUS_API: (404, {"error": "Record not found"}),
                                         "/@w/112036911513600000": parked}))
    assert found.status == "deleted"


def test_mastodon_another_servers_status_is_rendered_only_where_it_is_at_home() -> None:
    """A host shows another server's status at `/@user@server/ID` but embeds none of it (its
    `/@user/ID/embed` finds local accounts only): that page is what is known to render, and the
    status's own page on its server, when the host's API names it, is what the probe points at."""
    from archiver.platforms.mastodon.detect import embed_url
    from archiver.platforms.mastodon.postcheck import home_page, wayback_forms

    remote = "https://mastodon.social/@lib@fosstodon.org/112038000000000000"
    assert embed_url(None, remote) == remote
    assert wayback_forms(remote) == [remote]
    assert embed_url(None, "https://mastodon.social/@lib@mastodon.social/1") == "https://mastodon.social/@lib/1/embed"
    answer = {"id": "112038000000000000", "url": "https://fosstodon.org/@lib/112037999000000000",
              "account": {"acct": "lib@fosstodon.org"}, "content": "<p>hi</p>"}
    found = MASTODON.probe(post("mastodon", "mastodon.social/112038000000000000", remote),
                           client({"/api/v1/statuses/112038000000000000": (200, answer)}))
    assert (found.status, found.url) == ("live", "https://fosstodon.org/@lib/112037999000000000")
    assert embed_url(None, found.url) == "https://fosstodon.org/@lib/112037999000000000/embed"
    for acct, url in (("lib", "https://mastodon.social/@lib/1"),  # the host's own account
                      ("lib@misskey.example", "https://misskey.example/notes/9abcdef"),  # no Mastodon page
                      ("lib@fosstodon.org", "https://elsewhere.example/@lib/112037999000000000")):  # not its server
        assert home_page({"account": {"acct": acct}, "url": url}, "mastodon.social") is None


def test_mastodon_content_as_text_and_links() -> None:
    content = ('<p>Hi <span class="h-card"><a href="https://m.s/@x" class="u-url mention">@<span>x</span></a></span>'
               '<br/>see <a href="https://e.example/a?b=1&amp;c=2">e.example/a</a></p><p>bye &lt;3</p>')
    assert html_text(content) == "Hi @x\nsee e.example/a\n\nbye <3"
    assert content_links(content) == ["https://e.example/a?b=1&c=2"]


# --- Reddit -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("thing", "status", "reason"), [
    ({"title": "t", "removed_by_category": "automod_filtered"}, "removed",
     'removed_by_category "automod_filtered": removed by the community\'s AutoModerator'),
    ({"title": "t", "removed_by_category": "reddit"}, "removed", 'removed_by_category "reddit": removed by Reddit'),
    ({"title": "t", "removed_by_category": "something_new"}, "unavailable",
     'removed_by_category "something_new" is not one this tool knows'),
    ({"body": "[removed]", "author": "[deleted]"}, "removed",
     'the text reads "[removed]": removed by a moderator or Reddit'),
    ({"body": "[deleted]", "author": "[deleted]"}, "deleted", 'the text reads "[deleted]": deleted by its author'),
    ({"title": "t", "selftext": "", "author": "[deleted]"}, "live", "the listing returned the post"),
    ({"title": "t", "over_18": True}, "age_restricted", "over_18: Reddit shows it behind its 18+ wall"),
])
def test_reddit_classify(thing: dict[str, Any], status: str, reason: str) -> None:
    assert classify(thing) == (status, reason)


REDDIT = post("reddit", "abc12", "https://www.reddit.com/r/x/comments/abc12/")
LISTING = "/comments/abc12/.json"


@pytest.mark.parametrize(("answer", "status", "reason"), [
    ((429, b"Too Many Requests"), "unavailable",
     "Reddit turned an anonymous client away (HTTP 429): a bot wall says nothing about the post"),
    ((403, b"<h1>blocked by network security</h1>"), "unavailable",
     "Reddit turned an anonymous client away (HTTP 403): a bot wall says nothing about the post"),
    ((403, {"reason": "quarantined", "message": "Forbidden", "error": 403}), "login_required",
     'HTTP 403, reason "quarantined": the community is quarantined: only signed-in readers who opt in see it'),
    ((404, {"reason": "banned", "message": "Not Found", "error": 404}), "removed",
     'HTTP 404, reason "banned": the community was banned by Reddit'),
    ((404, {"message": "Not Found", "error": 404}), "unavailable", "the listing answered HTTP 404"),
])
def test_reddit_answers(answer: tuple[int, Any], status: str, reason: str) -> None:
    found = reddit_probe(REDDIT, client({LISTING: answer}))
    assert (found.status, found.reason) == (status, reason)


def test_reddit_gallery_in_its_order_unescaped() -> None:
    thing = {"gallery_data": {"items": [{"media_id": "b"}, {"media_id": "a"}]},
             "media_metadata": {"a": {"s": {"u": "https://preview.redd.it/a.jpg?width=2000&amp;s=1"}},
                                "b": {"s": {"gif": "https://i.redd.it/b.gif"}}},
             "preview": {"images": [{"source": {"url": "https://preview.redd.it/ignored.jpg"}}]}}
    assert full_size_media(thing) == ["https://i.redd.it/b.gif", "https://preview.redd.it/a.jpg?width=2000&s=1"]


def test_readme_status_table_lists_exactly_the_statuses() -> None:
    from pathlib import Path

    from archiver.models import POST_STATUSES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme.split("## Post statuses", 1)[1].split("\n\n", 2)[1]
    listed = [s for row in table.splitlines()[2:] for s in re.findall(r"`(\w+)`", row.split("|")[1])]
    assert sorted(listed) == sorted(POST_STATUSES)


def test_an_archived_page_shows_the_post_only_through_its_open_graph_text() -> None:
    from archiver.capture.embedpage import PostData
    from archiver.platforms.capture import read_open_graph

    page = ('<meta property="og:title" content="Riverton Water Board (@rivertonwater@mastodon.social)">'
            '<meta property="og:description" content="Boil-water notice lifted.">')
    assert read_open_graph(page) == PostData(text="Boil-water notice lifted.", author="Riverton Water Board",
                                             handle="rivertonwater@mastodon.social")
    assert read_open_graph('<meta property="og:title" content="Bluesky"><p>Sign in to see this post</p>') is None


# --- Video platforms: an answer about another video ----------------------------------------------

def _video_checks() -> list[Any]:
    from archiver.platforms.tiktok.check import CHECK as TIKTOK
    from archiver.platforms.vimeo.check import CHECK as VIMEO
    from archiver.platforms.youtube.check import CHECK as YOUTUBE

    other_watch = (b'<script>var ytInitialPlayerResponse = {"playabilityStatus": {"status": "OK"}, "videoDetails": '
                   b'{"videoId": "zzzzzzzzzzz", "title": "Other", "author": "O"}};</script>')
    other_config = b'<script>window.playerConfig = {"video": {"id": 100000001, "title": "Other"}};</script>'
    return [
        (VIMEO, post("vimeo", "100000009", "https://vimeo.com/100000009"),
         {"/api/oembed.json": (200, {"type": "video", "title": "Other", "video_id": 100000001})},
         "oEmbed (video 100000001) answered about another post"),
        (VIMEO, post("vimeo", "100000009", "https://vimeo.com/100000009"),
         {"/api/oembed.json": (404, b"Not Found"), "/video/100000009": (200, other_config)},
         "the video page (video 100000001) answered about another post"),
        (TIKTOK, post("tiktok", "7350000000000000009", "https://www.tiktok.com/@a/video/7350000000000000009"),
         {"/oembed": (200, {"type": "video", "title": "Other", "author_name": "O",
                            "html": '<blockquote class="tiktok-embed" data-video-id="7350000000000000001">'})},
         "oEmbed (video 7350000000000000001) answered about another post"),
        (YOUTUBE, post("youtube", "kX3f9TqLm2A", "https://www.youtube.com/watch?v=kX3f9TqLm2A"),
         {"/oembed": (200, {"type": "video", "title": "Other",
                            "html": '<iframe src="https://www.youtube.com/embed/zzzzzzzzzzz?feature=oembed">'})},
         "oEmbed (video zzzzzzzzzzz) answered about another post"),
        (YOUTUBE, post("youtube", "kX3f9TqLm2A", "https://www.youtube.com/watch?v=kX3f9TqLm2A"),
         {"/oembed": (404, b"Not Found"), "/watch": (200, other_watch)},
         "the video page (video zzzzzzzzzzz) answered about another post"),
    ]


@pytest.mark.parametrize("case", range(5))
def test_a_video_answer_about_another_video_is_no_answer(case: int) -> None:
    """A cache or proxy that mixed answers up: the other video's title and author are not stored
    under the key asked about, the post not called live, and a held one not checked."""
    check, video, answers, reason = _video_checks()[case]
    found = check.probe(video, client(answers))
    assert (found.status, found.reason, found.unusable, found.fields) == ("unavailable", reason, True, {})


def test_a_video_answer_about_the_video_asked_about_stands() -> None:
    check, video, _answers, _reason = _video_checks()[0]
    found = check.probe(video, client({"/api/oembed.json": (200, {"type": "video", "title": "Tide",
                                                                   "video_id": 100000009})}))
    assert (found.status, found.fields.get("text")) == ("live", "Tide")


def test_an_embed_page_showing_another_post_is_no_answer() -> None:
    """Telegram's widget says which message it shows (`data-post`), Instagram's embed page links
    its post: a page about another one is not taken for the post asked about."""
    from archiver.platforms.instagram.check import CHECK as INSTAGRAM
    from archiver.platforms.telegram.check import CHECK as TELEGRAM

    widget = ('<div class="tgme_widget_message" data-post="{}"><a class="tgme_widget_message_owner_name">'
              'Desk</a><div class="tgme_widget_message_text">levee holds</div></div>')
    tg = post("telegram", "rivertondesk/42", "https://t.me/RivertonDesk/42")
    found = TELEGRAM.probe(tg, client({"/RivertonDesk/42": (200, widget.format("RivertonDesk/41").encode())}))
    assert (found.status, found.reason, found.fields) == (
        "unavailable", "the embed page (post rivertondesk/41) answered about another post", {})
    found = TELEGRAM.probe(tg, client({"/RivertonDesk/42": (200, widget.format("RivertonDesk/42").encode())}))
    assert (found.status, found.fields.get("text")) == ("live", "levee holds")

    page = ('<div class="Embed"><a class="Username" href="https://www.instagram.com/desk/">desk</a>'
            '<div class="Caption">the levee</div><a href="https://www.instagram.com/p/{}/">View all</a></div>')
    ig = post("instagram", "C4AbCdEfGhI", "https://www.instagram.com/p/C4AbCdEfGhI/")
    path = "/p/C4AbCdEfGhI/embed/captioned/"
    found = INSTAGRAM.probe(ig, client({path: (200, page.format("C4ZzZzZzZzZ").encode())}))
    assert (found.status, found.reason) == ("unavailable", "the embed page (post C4ZzZzZzZzZ) answered about another post")
    assert INSTAGRAM.probe(ig, client({path: (200, page.format("C4AbCdEfGhI").encode())})).status == "live"
