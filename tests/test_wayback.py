"""Wayback Machine lookups and archived-page parsing; then the same against the local fake web."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from archiver.platforms.twitter.wayback import (
    Snapshot,
    fetch_snapshot,
    find_snapshot,
    https_wayback_url,
    lookup_forms,
    parse_archived_tweet,
    raw_url,
)

FIXTURES = Path(__file__).parent / "fixtures" / "twitter"
STATUS = "https://x.com/cllr_hartwell/status/1764377001294643971"


def page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# --- pure helpers ------------------------------------------------------------------------------


def test_snapshot_urls_are_https() -> None:
    snap = Snapshot(original="https://twitter.com/a/status/1", timestamp="20240304083011")
    assert snap.url == "https://web.archive.org/web/20240304083011/https://twitter.com/a/status/1"
    assert raw_url(snap) == snap.raw_url == "https://web.archive.org/web/20240304083011id_/https://twitter.com/a/status/1"
    assert snap.captured_at == "2024-03-04T08:30:11Z"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://web.archive.org/web/20240304083011/https://twitter.com/a/status/1", "https://web.archive.org/web/20240304083011/https://twitter.com/a/status/1"),
        ("https://web.archive.org/web/2024im_/https://pbs.twimg.com/media/X.jpg", "https://web.archive.org/web/2024/https://pbs.twimg.com/media/X.jpg"),
        ("//web.archive.org/web/1/http://a.example/", "https://web.archive.org/web/1/http://a.example/"),
        ("https://example.org/x", "https://example.org/x"),
    ],
)
def test_https_wayback_url(given: str, expected: str) -> None:
    assert https_wayback_url(given) == expected


def test_lookup_forms() -> None:
    assert lookup_forms(STATUS) == [
        "https://twitter.com/cllr_hartwell/status/1764377001294643971",
        "https://x.com/cllr_hartwell/status/1764377001294643971",
    ]
    assert lookup_forms("https://x.com/i/web/status/5") == ["https://twitter.com/i/web/status/5", "https://x.com/i/web/status/5"]
    assert lookup_forms("https://news.example/a") == ["https://news.example/a"]


# --- parsing archived pages --------------------------------------------------------------------


def test_parse_old_twitter_markup() -> None:
    t = parse_archived_tweet(page("wayback_old_twitter.html"), post_id="1100000000000000001")
    assert t.source == "wayback"
    assert (t.handle, t.author) == ("greta_muster", "Greta Muster")
    assert t.text == "Der Bus fährt heute nicht. Bitte weitersagen! #Stau"
    assert t.posted_at == "2019-02-25T03:12:00.000Z"
    assert t.photos == ["https://pbs.twimg.com/media/D0aBcDeWsAAxYz1?format=jpg&name=orig"]


def test_parse_json_ld() -> None:
    t = parse_archived_tweet(page("wayback_json_ld.html"), post_id="1657697283401539584")
    assert (t.handle, t.author, t.text) == ("harbour_ann", "Ann Harbour ⚓", "Boats & lights are ready")
    assert t.posted_at == "2023-05-14T09:12:45.000Z"


def test_parse_meta_only() -> None:
    t = parse_archived_tweet(page("wayback_meta_only.html"), post_id="1200000000000000002")
    assert (t.handle, t.author) == ("pat_ex", "Pat Example")
    assert t.text == "Bridge closed both ways until further notice"
    assert t.posted_at is None  # the page does not show it: no guess


def test_parse_page_without_a_post_degrades_to_nones() -> None:
    t = parse_archived_tweet(page("wayback_nothing.html"), post_id="1")
    assert (t.handle, t.author, t.text, t.posted_at) == (None, None, None, None)
    t = parse_archived_tweet("", post_id=None)
    assert (t.handle, t.author, t.text, t.posted_at) == (None, None, None, None)


def test_og_url_of_another_post_is_not_taken_for_this_one() -> None:
    t = parse_archived_tweet(page("wayback_meta_only.html"), post_id="999")
    assert t.handle == "pat_ex"  # from the title, which names the author of the page's post
    t = parse_archived_tweet('<meta property="og:url" content="https://twitter.com/other/status/5">', post_id="999")
    assert t.handle is None


# --- lookups (a real httpx client; its transport answers in-process) ---------------------------


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def available(closest: dict[str, object] | None) -> httpx.Response:
    return httpx.Response(200, json={"url": "x", "archived_snapshots": {"closest": closest} if closest else {}})


def test_available_answer_normalised_to_https() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return available({"status": "200", "available": True, "timestamp": "20240304083011",
                          "url": "http://web.archive.org/web/20240304083011/https://twitter.com/cllr_hartwell/status/1764377001294643971"})

    with client_for(handler) as c:
        snap = find_snapshot(c, STATUS).snapshot
    assert snap is not None and snap.via == "available"
    assert snap.url.startswith("https://web.archive.org/web/20240304083011/https://twitter.com/")
    assert asked == ["https://archive.org/wayback/available?url=https%3A%2F%2Ftwitter.com%2Fcllr_hartwell%2Fstatus%2F1764377001294643971"]


def test_x_form_then_cdx_fallback_skipping_non_200() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.host == "archive.org":
            # A capture of the login redirect is no capture of the post.
            return available({"status": "302", "available": True, "timestamp": "20240101000000",
                              "url": "http://web.archive.org/web/20240101000000/https://x.com/a"})
        if "x.com" in request.url.params["url"]:
            header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
            rows = [header, ["k", "20240303201512", "https://x.com/cllr_hartwell/status/1764377001294643971", "text/html", "200", "D", "1"],
                    ["k", "20240304083011", "https://x.com/cllr_hartwell/status/1764377001294643971", "text/html", "200", "D", "1"]]
            return httpx.Response(200, text=json.dumps(rows))
        return httpx.Response(200, text="[]")

    with client_for(handler) as c:
        snap = find_snapshot(c, STATUS).snapshot
        near = find_snapshot(c, STATUS, timestamp="20240303").snapshot
    assert snap is not None and snap.via == "cdx" and snap.timestamp == "20240304083011"
    assert snap.original.startswith("https://x.com/")
    assert near is not None and near.timestamp == "20240303201512"
    cdx = [u for u in asked if "/cdx/" in u]
    assert "filter=statuscode%3A200" in cdx[0] or "filter=statuscode:200" in cdx[0]
    assert "output=json" in cdx[0] and "limit=-5" in cdx[0]
    assert len([u for u in asked[:4] if "archive.org/wayback" in u]) == 2  # both spellings asked first


def test_nothing_archived_is_none_and_unreachable_is_a_named_failure() -> None:
    with client_for(lambda r: available(None) if r.url.host == "archive.org" else httpx.Response(200, text="")) as c:
        nothing = find_snapshot(c, STATUS)
    assert nothing.snapshot is None and nothing.error is None and not nothing.network_failed

    def down(request: httpx.Request) -> httpx.Response:
        # as a connect with no route out fails: the OSError's errno says the network is down
        raise httpx.ConnectError("no route: [Errno 101] Network is unreachable", request=request) from OSError(
            errno.ENETUNREACH, "Network is unreachable")

    with client_for(down) as c:
        unreachable = find_snapshot(c, STATUS)
    assert unreachable.snapshot is None and unreachable.network_failed and not unreachable.refused
    assert unreachable.error is not None and unreachable.error.startswith("lookup not made: ")
    assert "no route" in unreachable.error


@pytest.mark.parametrize("status", [503, 500, 429])
def test_an_overloaded_wayback_machine_is_a_lookup_not_made_not_no_copy(status: int) -> None:
    # archive.org answers 503 (or 429) when overloaded: that says nothing of what it holds.
    with client_for(lambda r: httpx.Response(status, text="busy")) as c:
        busy = find_snapshot(c, STATUS)
    assert busy.snapshot is None and not busy.network_failed and not busy.refused
    assert busy.error == ("lookup not made: GET https://archive.org/wayback/available?url=https%3A%2F%2Ftwitter.com"
                          f"%2Fcllr_hartwell%2Fstatus%2F1764377001294643971: HTTP {status}"), busy.error

    # One spelling answered "nothing archived", the other only 503s: not all was asked.
    def half(request: httpx.Request) -> httpx.Response:
        if "x.com" in str(request.url):
            return httpx.Response(503)
        return available(None) if request.url.host == "archive.org" else httpx.Response(200, text="")

    with client_for(half) as c:
        partly = find_snapshot(c, STATUS)
    assert partly.snapshot is None and partly.error is not None and "HTTP 503" in partly.error

    # The availability API overloaded, the CDX API answering "nothing": a look-up made, no copy.
    with client_for(lambda r: httpx.Response(503) if r.url.host == "archive.org" else httpx.Response(200, text="")) as c:
        cdx_only = find_snapshot(c, STATUS)
    assert cdx_only.snapshot is None and cdx_only.error is None


def test_fetch_snapshot_non_html_and_errors() -> None:
    snap = Snapshot(original="https://twitter.com/a/status/1", timestamp="20240304083011")
    with client_for(lambda r: httpx.Response(200, content=b"\x89PNG", headers={"content-type": "image/png"})) as c:
        resp, data = fetch_snapshot(c, snap)
    assert resp.status_code == 200 and data is None
    with client_for(lambda r: httpx.Response(404, text="gone")) as c:
        resp, data = fetch_snapshot(c, snap)
    assert resp.status_code == 404 and data is None


# --- against the local fake web (real TLS server, real client) ---------------------------------


@pytest.fixture(scope="module")
def fake_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, httpx.Client]]:
    from archiver.net import NetOptions
    from tests.fakeweb.server import FakeWeb

    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        with net.httpx_client() as client:
            yield web, client


def test_fakeweb_deleted_tweet_recovered(fake_client: tuple[object, httpx.Client]) -> None:
    from tests.fakeweb import site

    web, client = fake_client
    t = site.TWEET_DELETED
    snap = find_snapshot(client, t.x_url).snapshot
    assert snap is not None
    # The fake availability API answers with http:// like the real one; we hand out https.
    assert snap.url == f"https://web.archive.org/web/{max(t.wayback)}/{t.status_url}"
    resp, data = fetch_snapshot(client, snap)
    assert resp.status_code == 200 and str(resp.url).startswith("https://web.archive.org/web/") and "id_/" in str(resp.url)
    assert data is not None
    assert (data.post_id, data.handle, data.author) == (t.id, t.user.screen_name, t.user.name)
    assert data.text == t.text and data.posted_at == t.created_at


def test_fakeweb_no_snapshot(fake_client: tuple[object, httpx.Client]) -> None:
    from tests.fakeweb import site

    _, client = fake_client
    nothing = find_snapshot(client, site.TWEET_PROTECTED.x_url)
    assert nothing.snapshot is None and nothing.error is None
