"""Twitter syndication/oEmbed parsing, the status decision, and media selection."""

from __future__ import annotations

import errno
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from archiver.capture.media import download_media
from archiver.platforms.twitter.classify import classify
from archiver.platforms.twitter.syndication import (
    STATUSES,
    OEmbedResult,
    SyndicationResult,
    best_mp4,
    fetch_oembed,
    fetch_syndication,
    iso_utc,
    oembed_url,
    original_photo_url,
    parse_tweet,
    syndication_url,
)

FIXTURES = Path(__file__).parent / "fixtures" / "twitter"


def load(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    """A real httpx client whose transport answers in-process (pure response-handling tests)."""
    return httpx.Client(transport=httpx.MockTransport(handler))


# --- parse_tweet -------------------------------------------------------------------------------


def test_parse_photo_tweet() -> None:
    t = parse_tweet(load("tweet_photo.json"))
    assert t.post_id == "1657697283401539584"
    assert t.handle == "harbour_ann"
    assert t.author == "Ann Harbour ⚓"
    assert t.posted_at == "2023-05-14T09:12:45.000Z"
    assert t.lang == "en"
    # Links expanded, the media t.co link dropped, HTML entities unescaped.
    assert t.text == (
        "Our @porttown boats & lights are ready > come down after 6pm! Tickets and times: "
        "#Harbourfest https://example.org/harbourfest?utm=tw"
    )
    assert t.links == ["https://example.org/harbourfest?utm=tw"]
    assert t.photos == [
        "https://pbs.twimg.com/media/FwAbCdEXsAAq1Zx?format=jpg&name=orig",
        "https://pbs.twimg.com/media/FwAbCeFXoAE2pQr?format=png&name=orig",
    ]
    assert t.videos == []
    assert t.media == t.photos
    assert t.quoted_id is None and t.reply_to_id is None
    assert t.is_edited is False


def test_parse_video_quote_reply_edited() -> None:
    t = parse_tweet(load("tweet_video_quote_reply.json"))
    assert t.handle == "lena_beispiel"
    assert t.text == "Hier das Video vom Hochwasser 🌊"
    # Highest bitrate mp4 even though it is not first, never the m3u8; the GIF's single mp4.
    assert t.videos == [
        "https://video.twimg.com/ext_tw_video/1587927200000000000/pu/vid/1280x720/best.mp4?tag=12",
        "https://video.twimg.com/tweet_video/FgGiF.mp4",
    ]
    assert t.photos == []  # video thumbnails are not photos
    assert t.quoted_id == "1587800000000000001"
    assert t.reply_to_id == "1587920000000000000"
    assert t.is_edited is True  # two IDs in edit_control


def test_parse_slim_shape_and_v11_date() -> None:
    t = parse_tweet(load("tweet_slim.json"))
    assert t.posted_at == "2022-03-06T14:32:11.000Z"
    assert t.reply_to_id == "1499999999999999999"
    assert t.photos == [
        "https://pbs.twimg.com/media/FNaaaaaXEAA1111?format=jpg&name=orig",
        "https://pbs.twimg.com/media/FNbbbbbXEAA2222?format=png&name=orig",
    ]
    assert t.videos == ["https://video.twimg.com/amplify_video/1/vid/1920x1080/big.mp4"]
    assert t.is_edited is None


def test_parse_empty_object_gives_nones() -> None:
    t = parse_tweet({})
    assert (t.post_id, t.handle, t.author, t.posted_at, t.text) == (None, None, None, None, None)
    assert t.links == [] and t.media == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-03-04T18:22:31.000Z", "2024-03-04T18:22:31.000Z"),
        ("2024-03-04T19:22:31.250+01:00", "2024-03-04T18:22:31.250Z"),
        ("Wed Oct 10 20:19:24 +0000 2018", "2018-10-10T20:19:24.000Z"),
        ("2024-03-04T18:22:31", None),  # no zone: not a guess
        ("March 4, 2024", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_utc(given: str | None, expected: str | None) -> None:
    assert iso_utc(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://pbs.twimg.com/media/AbC.jpg", "https://pbs.twimg.com/media/AbC?format=jpg&name=orig"),
        ("https://pbs.twimg.com/media/AbC.PNG", "https://pbs.twimg.com/media/AbC?format=png&name=orig"),
        ("https://pbs.twimg.com/media/AbC.jpg:large", "https://pbs.twimg.com/media/AbC?format=jpg&name=orig"),
        ("https://pbs.twimg.com/media/AbC?format=webp&name=small", "https://pbs.twimg.com/media/AbC?format=webp&name=orig"),
        ("https://pbs.twimg.com/media/AbC", "https://pbs.twimg.com/media/AbC?format=jpg&name=orig"),
        # Not a photo in /media/: left alone.
        ("https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/x.jpg", "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/x.jpg"),
        ("https://example.org/a.jpg", "https://example.org/a.jpg"),
    ],
)
def test_original_photo_url(given: str, expected: str) -> None:
    assert original_photo_url(given) == expected


def test_best_mp4_ignores_playlists_and_junk() -> None:
    assert best_mp4([]) is None
    assert best_mp4([{"content_type": "application/x-mpegURL", "url": "https://v/x.m3u8", "bitrate": 9}]) is None
    assert best_mp4(["junk", {"content_type": "video/mp4"}]) is None
    assert (
        best_mp4(
            [
                {"content_type": "video/mp4", "url": "https://v/a.mp4", "bitrate": 100},
                {"content_type": "video/mp4", "url": "https://v/b.mp4", "bitrate": 300},
                {"content_type": "video/mp4", "url": "https://v/c.mp4", "bitrate": 200},
            ]
        )
        == "https://v/b.mp4"
    )


# --- fetch_syndication / fetch_oembed (response handling) --------------------------------------


def test_syndication_url_carries_token() -> None:
    assert syndication_url(20) == "https://cdn.syndication.twimg.com/tweet-result?id=20&lang=en&token=6dq1a2xwd93"
    assert syndication_url("20", token="x").endswith("token=x")


@pytest.mark.parametrize(
    ("status", "body", "kind", "tombstone"),
    [
        (200, json.dumps(load("tweet_photo.json")), "tweet", None),
        (200, "{}", "empty", None),
        (200, "", "empty", None),
        (404, "", "not_found", None),
        (200, json.dumps(load("tombstone_deleted.json")), "tombstone", "This Post was deleted by the Post author. Learn more"),
        (200, '{"__typename": "TweetUnavailable"}', "error", None),
        (200, "<html>not json</html>", "error", None),
        (200, "[1, 2]", "error", None),
        (503, "busy", "error", None),
    ],
)
def test_fetch_syndication_sorts_answers(status: int, body: str, kind: str, tombstone: str | None) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(status, text=body)

    with client_for(handler) as client:
        r = fetch_syndication(client, "1657697283401539584")
    assert r.kind == kind and r.status == status and r.tombstone_text == tombstone
    assert seen == [syndication_url("1657697283401539584")]
    assert not r.network_failed


def test_fetch_syndication_network_failure_does_not_raise() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def no_route(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 101] Network is unreachable", request=request) from OSError(
            errno.ENETUNREACH, "Network is unreachable")

    with client_for(refused) as client:
        r = fetch_syndication(client, 20)
    # a refused connection is one server's answer, not a network that is down
    assert not r.network_failed and r.kind == "error" and "refused" in (r.error or "")
    with client_for(no_route) as client:
        r = fetch_syndication(client, 20)
    assert r.network_failed and r.kind == "error"


def test_fetch_oembed_ok_and_404() -> None:
    body = json.dumps(load("oembed_ok.json"))
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        if "1657697283401539584" in str(request.url):
            return httpx.Response(200, text=body)
        return httpx.Response(404, text="")

    with client_for(handler) as client:
        ok = fetch_oembed(client, "https://x.com/harbour_ann/status/1657697283401539584")
        gone = fetch_oembed(client, "https://twitter.com/someone/status/1")
    assert ok.ok and ok.status == 200
    assert ok.author_name == "Ann Harbour ⚓" and ok.handle == "harbour_ann"
    assert ok.text == "Our @porttown boats & lights are ready pic.twitter.com/Zz9Yy8Xx7W"
    assert not gone.ok and gone.status == 404 and gone.html is None
    # x.com is asked for as twitter.com, the target URL fully encoded.
    assert urls[0] == oembed_url("https://twitter.com/harbour_ann/status/1657697283401539584")
    assert "url=https%3A%2F%2Ftwitter.com%2Fharbour_ann%2Fstatus%2F1657697283401539584" in urls[0]


def test_download_media_keeps_bytes_hash_and_failures() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("ok.jpg"):
            return httpx.Response(200, content=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg"})
        if request.url.path.endswith("gone.jpg"):
            return httpx.Response(404, content=b"no")
        raise httpx.ReadTimeout("slow", request=request)

    with client_for(handler) as client:
        files = download_media(
            client, ["https://pbs.twimg.com/ok.jpg", "https://pbs.twimg.com/gone.jpg", "https://pbs.twimg.com/ok.jpg", "https://pbs.twimg.com/slow.jpg"]
        )
    assert [f.url.rsplit("/", 1)[1] for f in files] == ["ok.jpg", "gone.jpg", "slow.jpg"]
    ok, gone, slow = files
    assert ok.ok and ok.data == b"\xff\xd8jpeg" and ok.sha256 == hashlib.sha256(b"\xff\xd8jpeg").hexdigest()
    assert ok.mime == "image/jpeg" and ok.status == 200
    assert not gone.ok and gone.status == 404 and gone.data == b""
    assert not slow.ok and slow.status is None


# --- classify ----------------------------------------------------------------------------------

U = "https://x"


def synd(kind: str, status: int | None = 200, tomb: str | None = None, error: str | None = None) -> SyndicationResult:
    return SyndicationResult(U, status, kind, tombstone_text=tomb, error=error)  # type: ignore[arg-type]


def oe(status: int | None, html: str | None = None, error: str | None = None) -> OEmbedResult:
    return OEmbedResult(U, status, html=html, error=error)


OK = oe(200, "<blockquote><p>hi</p></blockquote>")
GONE = oe(404)
TWEET = synd("tweet")
NOT_FOUND = synd("not_found", 404)
EMPTY = synd("empty")
NET = synd("error", None, error="connect failed")
OE_NET = oe(None, error="timed out")


@pytest.mark.parametrize(
    ("s", "o", "wall", "net", "page", "status", "reason_has"),
    [
        # live: the post itself came back, whatever else happened
        (TWEET, GONE, True, True, None, "live", "syndication returned"),
        # `{}` is no usable answer (a wrong token gets it too): an oEmbed 200 beside it decides nothing.
        (EMPTY, OK, None, False, None, "unavailable", "syndication gave no usable answer (it answered {}): not enough alone: oEmbed returned the post"),
        # Without a usable answer from syndication, an oEmbed 200 (a withheld post has one) or a
        # login wall (most x.com posts show one to anonymous readers) decides nothing.
        (NET, OK, None, False, None, "unavailable", "network failure: syndication: connect failed; not enough alone: oEmbed returned"),
        (synd("error", 503, error="HTTP 503"), OK, None, False, None, "unavailable", "syndication gave no usable answer (HTTP 503): not enough alone: oEmbed returned the post"),
        (synd("error", 429, error="HTTP 429"), GONE, True, False, None, "unavailable", "(HTTP 429): not enough alone: oEmbed HTTP 404; the post page showed a login wall"),
        (synd("error", 503, error="HTTP 503"), OK, None, False, "Our marsh is protected by law", "unavailable", "oEmbed returned"),
        # stated in words
        (synd("tombstone", tomb="This Post from @x has been withheld in Germany in response to a legal demand."), OK, None, False, None, "withheld", "withheld in Germany"),
        (synd("tombstone", tomb="This Post is from a suspended account. Learn more"), GONE, None, False, None, "suspended", "suspended account"),
        (synd("tombstone", tomb="You're unable to view this Post because this account owner limits who can view their Posts."), oe(403), None, False, None, "protected", "limits who can view"),
        (EMPTY, oe(403), True, False, "These posts are protected. Only approved followers can see them.", "protected", "page says"),
        (None, None, None, False, "Account suspended", "suspended", "Account suspended"),
        # deleted: two signals agree
        (NOT_FOUND, GONE, None, False, None, "deleted", "syndication HTTP 404 and oEmbed HTTP 404"),
        (synd("tombstone", tomb="This Post was deleted by the Post author."), GONE, None, False, None, "deleted", "deleted by the Post author"),
        (NOT_FOUND, GONE, True, False, None, "deleted", "login wall"),
        # one signal alone
        (EMPTY, GONE, None, False, None, "unavailable", "{}"),
        (NOT_FOUND, OE_NET, None, False, None, "unavailable", "syndication HTTP 404"),
        (NOT_FOUND, None, None, False, None, "unavailable", "no two signals agree"),
        (NET, GONE, None, False, None, "unavailable", "oEmbed HTTP 404"),
        # ... and the source that gave no answer is named beside it: the reason it stands alone
        (NET, oe(403), None, False, None, "unavailable", "oEmbed HTTP 403; syndication gave no answer (connect failed)"),
        (NOT_FOUND, OE_NET, None, False, None, "unavailable", "syndication HTTP 404; oEmbed gave no answer (timed out)"),
        (synd("tombstone", tomb="This Post was deleted by the Post author."), oe(500), None, False, None, "unavailable", "tombstone"),
        # A tombstone AND an oEmbed 404 agree; the tombstone's words are the reason.
        (synd("tombstone", tomb="This Post violated the X Rules. Learn more"), GONE, None, False, None, "deleted", "violated the X Rules"),
        (synd("tombstone", tomb="This Post violated the X Rules. Learn more"), None, None, False, None, "unavailable", "violated the X Rules"),
        (synd("tombstone"), None, None, False, None, "unavailable", "without text"),
        (synd("error", 500, error="HTTP 500"), oe(403), None, False, None, "unavailable", "oEmbed HTTP 403"),
        # login wall: never deleted on its own
        (EMPTY, oe(403), True, False, None, "unavailable", "(it answered {}): not enough alone: oEmbed HTTP 403; the post page showed a login wall"),
        (TOMB := synd("tombstone"), oe(403), True, False, None, "login_required", "login wall"),
        # Nor with oEmbed down: a syndication 404 and the wall x.com shows everyone are no login wall.
        (NOT_FOUND, oe(503), True, False, None, "unavailable",
         "no two signals agree that it is gone: syndication HTTP 404; oEmbed gave no usable answer (HTTP 503)"),
        (NOT_FOUND, oe(429), None, False, None, "unavailable", "syndication HTTP 404; oEmbed gave no usable answer (HTTP 429)"),
        (NOT_FOUND, OE_NET, True, False, None, "unavailable", "syndication HTTP 404"),
        (None, None, True, False, None, "login_required", "login wall"),
        (NET, OE_NET, True, True, None, "unavailable", "network failure: syndication: connect failed; oEmbed: timed out; not enough alone: the post page showed a login wall"),
        # network failure
        (NET, OE_NET, None, False, None, "unavailable", "network failure: syndication: connect failed; oEmbed: timed out"),
        (None, None, False, True, None, "unavailable", "network failure"),
        (synd("error", 500, error="HTTP 500"), oe(500), None, True, None, "unavailable", "network failure"),
        # nothing settled it
        (synd("error", 500, error="HTTP 500"), oe(500), None, False, None, "unavailable", "syndication gave no usable answer (HTTP 500): not enough alone: oEmbed HTTP 500"),
        (None, None, None, False, None, "unknown", "no source settled it"),
        (None, None, False, False, "Something went wrong. Try reloading.", "unknown", "no source"),
    ],
)
def test_classify(
    s: SyndicationResult | None, o: OEmbedResult | None, wall: bool | None, net: bool, page: str | None, status: str, reason_has: str
) -> None:
    got, reason = classify(s, o, wall, net, page_text=page)
    assert (got, reason_has in reason) == (status, True), reason
    assert got in STATUSES


def test_classify_live_post_whose_text_says_protected_stays_live() -> None:
    # oEmbed returns the post: its own words must not decide.
    ok = OEmbedResult(url="https://publish.twitter.com/oembed", status=200, author_name="A", author_url=None,
                      html="<blockquote>the marsh is protected</blockquote>", error=None)
    assert classify(NOT_FOUND, ok, None, False, page_text="Our marsh is protected by law")[0] == "live"
    assert classify(EMPTY, ok, None, False, page_text="Our marsh is protected by law")[0] == "unavailable"


def test_classify_never_deleted_from_empty_answer_even_with_oembed_404() -> None:
    # `{}` is also what a wrong or missing token gets: not a deletion signal of its own.
    assert classify(EMPTY, GONE, None, False)[0] == "unavailable"


def test_classify_quotes_long_texts_shortly() -> None:
    status, reason = classify(synd("tombstone", tomb="withheld " + "x" * 500), None)
    assert status == "withheld" and len(reason) < 260 and reason.endswith('…"')


# --- against the local fake web (real TLS server, real httpx client) ---------------------------


@pytest.fixture(scope="module")
def fake_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, httpx.Client]]:
    from archiver.net import NetOptions
    from tests.fakeweb.server import FakeWeb

    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        with net.httpx_client() as client:
            yield web, client


def test_fakeweb_token_matters(fake_client: tuple[Any, httpx.Client]) -> None:
    from tests.fakeweb import site

    _, client = fake_client
    t = site.TWEET_PHOTO
    right = fetch_syndication(client, t.id)
    wrong = fetch_syndication(client, t.id, token="abc")
    assert right.kind == "tweet" and wrong.kind == "empty"
    data = parse_tweet(right.json or {})
    assert (data.post_id, data.handle, data.author, data.posted_at) == (t.id, t.user.screen_name, t.user.name, t.created_at)
    assert data.photos == [p.orig_url for p in t.photos]
    # The wrong token alone, with oEmbed still answering, never reads as gone, nor as live (a
    # withheld post has an oEmbed 200 too): syndication's `{}` settles nothing.
    assert classify(wrong, fetch_oembed(client, t.status_url))[0] == "unavailable"
    assert classify(wrong, oe(404))[0] == "unavailable"


@pytest.mark.parametrize(
    ("name", "status", "synd_kind", "oembed_status"),
    [
        ("TWEET_VIDEO", "live", "tweet", 200),
        ("TWEET_DELETED", "deleted", "not_found", 404),
        ("TWEET_PROTECTED", "protected", "tombstone", 403),
        ("TWEET_WITHHELD", "withheld", "tombstone", 200),
    ],
)
def test_fakeweb_states(fake_client: tuple[Any, httpx.Client], name: str, status: str, synd_kind: str, oembed_status: int) -> None:
    from tests.fakeweb import site

    _, client = fake_client
    t = getattr(site, name)
    s = fetch_syndication(client, t.id)
    o = fetch_oembed(client, t.x_url)
    assert (s.kind, o.status) == (synd_kind, oembed_status)
    got, reason = classify(s, o)
    assert got == status, reason
    if status == "withheld":
        assert "withheld in Germany" in reason


def test_fakeweb_state_change_and_suspension(fake_client: tuple[Any, httpx.Client]) -> None:
    from tests.fakeweb import site

    web, client = fake_client
    t = site.TWEET_FLAT
    try:
        web.set_state(("tweet", t.id), site.DELETED)
        assert classify(fetch_syndication(client, t.id), fetch_oembed(client, t.status_url))[0] == "deleted"
        web.set_state(("tweet", t.id), site.SUSPENDED)
        got, reason = classify(fetch_syndication(client, t.id), fetch_oembed(client, t.status_url))
        assert got == "suspended" and "suspended account" in reason
    finally:
        web.set_state(("tweet", t.id), None)
    assert fetch_syndication(client, t.id).kind == "tweet"


def test_fakeweb_media_originals_and_best_video(fake_client: tuple[Any, httpx.Client]) -> None:
    from tests.fakeweb import site

    web, client = fake_client
    photo = parse_tweet(fetch_syndication(client, site.TWEET_PHOTO.id).json or {})
    video = parse_tweet(fetch_syndication(client, site.TWEET_VIDEO.id).json or {})
    best = site.TWEET_VIDEO.video.best_mp4 if site.TWEET_VIDEO.video else None
    assert best is not None and video.videos == [best.url]
    files = download_media(client, photo.media + video.media)
    assert [f.ok for f in files] == [True, True]
    jpg, mp4 = files
    assert jpg.mime == "image/jpeg" and jpg.data[:2] == b"\xff\xd8"
    small = download_media(client, [photo.media[0].replace("name=orig", "name=small")])[0]
    assert small.ok and len(small.data) < len(jpg.data)  # the original really is the bigger one
    assert mp4.mime == "video/mp4" and len(mp4.data) == best.size
    assert not any(".m3u8" in e["path"] for e in web.log if "path" in e)


def test_fakeweb_through_recording_client_lands_in_warc(fake_client: tuple[Any, httpx.Client], tmp_path: Path) -> None:
    """The same calls through RecordingClient: every exchange, media included, is a WARC record."""
    from warcio.archiveiterator import ArchiveIterator

    from archiver.capture.http import RecordingClient
    from archiver.net import NetOptions
    from archiver.warcstore import Batch, WarcStore
    from tests.fakeweb import site

    web, _ = fake_client
    net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
    t = site.TWEET_PHOTO
    with WarcStore(tmp_path / "warc") as store, RecordingClient(net) as recording:
        client = recording.bind(Batch(store))
        s = fetch_syndication(client, t.id)
        o = fetch_oembed(client, t.status_url)
        files = download_media(client, parse_tweet(s.json or {}).media)
    paths = store.files
    assert s.kind == "tweet" and o.ok and [f.ok for f in files] == [True]
    responses: dict[str, bytes] = {}
    for path in paths:
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "response":
                    responses[rec.rec_headers.get_header("WARC-Target-URI")] = rec.content_stream().read()
    assert syndication_url(t.id) in responses
    assert oembed_url(t.status_url) in responses
    assert responses[files[0].url] == files[0].data
