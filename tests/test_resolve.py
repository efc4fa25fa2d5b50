"""Short-link resolution: page forms of a redirect, normalisation, hop following."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from archiver.platforms.twitter.shortlinks import (
    CURL_UA,
    Hop,
    Resolution,
    is_shortlink,
    normalise_shortlink,
    page_redirect,
    resolve_shortlink,
    resolved_post_id,
    unwrap_unsafe_link,
)

TCO_BROWSER_PAGE = (
    '<head><meta name="referrer" content="always"><noscript><META http-equiv="refresh" '
    'content="0;URL=https://twitter.com/RivertonDesk/status/1764653344456642016/photo/1"></noscript>'
    "<title>https://twitter.com/RivertonDesk/status/1764653344456642016/photo/1</title></head>"
    '<script>window.opener = null; location.replace("https:\\/\\/twitter.com\\/RivertonDesk\\/status'
    '\\/1764653344456642016\\/photo\\/1")</script>'
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (TCO_BROWSER_PAGE, "https://twitter.com/RivertonDesk/status/1764653344456642016/photo/1"),
        ('<meta content="0; url=\'https://a.example/x?a=1&amp;b=2\'" http-equiv="Refresh">', "https://a.example/x?a=1&b=2"),
        ("<meta http-equiv=refresh content=5;URL=/relative/path>", "https://t.co/relative/path"),
        ('<meta http-equiv="refresh" content="0">', None),  # reload, not a redirect
        ('<meta http-equiv="content-type" content="text/html; url=https://no.example/">', None),
        # Script only (meta stripped), with JS escapes.
        ('<script>location.replace("https:\\/\\/x.com\\/a\\/status\\/2?x=1\\u0026y=2")</script>', "https://x.com/a/status/2?x=1&y=2"),
        ("<script>window.location.href = 'https://b.example/\\x41';</script>", "https://b.example/A"),
        ("<script>location = \"/next\"</script>", "https://t.co/next"),
        ("<p>No redirect here. The location is London.</p>", None),
        ("", None),
    ],
)
def test_page_redirect(body: str, expected: str | None) -> None:
    assert page_redirect(body, "https://t.co/AbC") == expected


def test_meta_refresh_wins_over_script() -> None:
    body = '<meta http-equiv="refresh" content="0;URL=https://one.example/"><script>location.replace("https://two.example/")</script>'
    assert page_redirect(body, "https://t.co/x") == "https://one.example/"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("pic.twitter.com/Zx81QmPa0c", "https://pic.twitter.com/Zx81QmPa0c"),
        ("pic.x.com/Zx81QmPa0c", "https://pic.x.com/Zx81QmPa0c"),
        ("t.co/Zx81QmPa0c", "https://t.co/Zx81QmPa0c"),
        ("http://t.co/Zx81QmPa0c", "https://t.co/Zx81QmPa0c"),
        ("https://T.CO/Zx81QmPa0c…", "https://t.co/Zx81QmPa0c"),  # code case kept, trailing junk cut
        (" pic.twitter.com/Zx81QmPa0c).", "https://pic.twitter.com/Zx81QmPa0c"),
        ("//t.co/abc", "https://t.co/abc"),
        ("https://example.org/a", "https://example.org/a"),
    ],
)
def test_normalise_shortlink(given: str, expected: str) -> None:
    assert normalise_shortlink(given) == expected


def test_is_shortlink() -> None:
    assert is_shortlink("pic.twitter.com/abc") and is_shortlink("https://t.co/abc")
    assert not is_shortlink("https://twitter.com/a/status/1") and not is_shortlink("https://t.com/x")


def test_unwrap_unsafe_link() -> None:
    wrapped = "https://twitter.com/safety/unsafe_link_warning?unsafe_link=https%3A%2F%2Fbad.example%2Fp%3Fq%3D1"
    assert unwrap_unsafe_link(wrapped) == "https://bad.example/p?q=1"
    assert unwrap_unsafe_link("https://x.com/safety/unsafe_link_warning?unsafe_link=https://b.example/") == "https://b.example/"
    assert unwrap_unsafe_link("https://twitter.com/safety/unsafe_link_warning") is None
    assert unwrap_unsafe_link("https://bad.example/safety/unsafe_link_warning?unsafe_link=x") is None


@pytest.mark.parametrize(
    ("final", "expected"),
    [
        ("https://twitter.com/RivertonDesk/status/1764653344456642016/photo/1", ("RivertonDesk", "1764653344456642016")),
        ("https://x.com/i/web/status/123", (None, "123")),
        ("https://mobile.twitter.com/#!/bob/statuses/7?s=20", ("bob", "7")),
        ("https://x.com/bob/statusx/1", None),
        ("https://example.org/bob/status/1", None),
    ],
)
def test_resolved_post_id_from_final_url(final: str, expected: tuple[str | None, str] | None) -> None:
    assert resolved_post_id(Resolution(url="https://t.co/x", final_url=final)) == expected


def test_resolved_post_id_from_a_hop_when_the_end_is_elsewhere() -> None:
    res = Resolution(url="https://t.co/x", final_url="https://x.com/i/flow/login",
                     hops=[Hop("https://t.co/x", 301, "https://twitter.com/a/status/5"), Hop("https://twitter.com/a/status/5", 302, "https://x.com/i/flow/login")])
    assert resolved_post_id(res) == ("a", "5")


# --- hop following (a real httpx client; its transport answers in-process) --------------------


def serve(routes: dict[str, httpx.Response], seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = str(request.url)
        if key in routes:
            return routes[key]
        if key.startswith("https://down.example/"):
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(404, text="nope")

    return httpx.Client(transport=httpx.MockTransport(handler))


STATUS = "https://twitter.com/RivertonDesk/status/1764653344456642016/photo/1"


def test_two_redirect_hops_to_status_without_fetching_it() -> None:
    seen: list[httpx.Request] = []
    routes = {
        "https://pic.twitter.com/Zx81QmPa0c": httpx.Response(301, headers={"location": "https://t.co/Zx81QmPa0c"}),
        "https://t.co/Zx81QmPa0c": httpx.Response(301, headers={"location": STATUS}),
    }
    with serve(routes, seen) as client:
        res = resolve_shortlink(client, "pic.twitter.com/Zx81QmPa0c")
    assert res.final_url == STATUS and res.error is None
    assert res.hops == [
        Hop("https://pic.twitter.com/Zx81QmPa0c", 301, "https://t.co/Zx81QmPa0c"),
        Hop("https://t.co/Zx81QmPa0c", 301, STATUS),
    ]
    assert [str(r.url) for r in seen] == ["https://pic.twitter.com/Zx81QmPa0c", "https://t.co/Zx81QmPa0c"]
    assert all(r.headers["user-agent"] == CURL_UA for r in seen)
    assert resolved_post_id(res) == ("RivertonDesk", "1764653344456642016")


def test_browser_page_fallback_and_unsafe_link_unwrapped() -> None:
    seen: list[httpx.Request] = []
    wrapped = "https://twitter.com/safety/unsafe_link_warning?unsafe_link=https%3A%2F%2Fx.com%2Fi%2Fweb%2Fstatus%2F99"
    routes = {
        "https://t.co/A": httpx.Response(200, text=TCO_BROWSER_PAGE.replace(
            "https://twitter.com/RivertonDesk/status/1764653344456642016/photo/1", "https://t.co/B").replace(
            "https:\\/\\/twitter.com\\/RivertonDesk\\/status\\/1764653344456642016\\/photo\\/1", "https:\\/\\/t.co\\/B"),
            headers={"content-type": "text/html; charset=utf-8"}),
        "https://t.co/B": httpx.Response(302, headers={"location": wrapped}),
    }
    with serve(routes, seen) as client:
        res = resolve_shortlink(client, "t.co/A")
    assert [h.status for h in res.hops] == [200, 302, None]
    assert res.hops[2] == Hop(wrapped, None, "https://x.com/i/web/status/99")
    assert res.final_url == "https://x.com/i/web/status/99"
    assert resolved_post_id(res) == (None, "99")
    assert len(seen) == 2  # the warning page itself was never requested


def test_ends_at_a_plain_page() -> None:
    seen: list[httpx.Request] = []
    routes = {
        "https://t.co/N": httpx.Response(301, headers={"location": "/relative"}),
        "https://t.co/relative": httpx.Response(301, headers={"location": "https://news.example/a.html"}),
        "https://news.example/a.html": httpx.Response(200, text="<p>article</p>", headers={"content-type": "text/html"}),
    }
    with serve(routes, seen) as client:
        res = resolve_shortlink(client, "https://t.co/N")
    assert res.final_url == "https://news.example/a.html" and res.error is None
    assert resolved_post_id(res) is None


def test_dead_link_network_failure_loop_and_hop_limit() -> None:
    seen: list[httpx.Request] = []
    routes = {
        "https://t.co/L1": httpx.Response(302, headers={"location": "https://t.co/L2"}),
        "https://t.co/L2": httpx.Response(302, headers={"location": "https://t.co/L1"}),
        "https://t.co/D": httpx.Response(301, headers={"location": "https://down.example/x"}),
    }
    with serve(routes, seen) as client:
        dead = resolve_shortlink(client, "https://t.co/missing")
        down = resolve_shortlink(client, "https://t.co/D")
        loop = resolve_shortlink(client, "https://t.co/L1")
        short = resolve_shortlink(client, "https://t.co/L1", max_hops=1)
    assert dead.final_url == "https://t.co/missing" and dead.error and "404" in dead.error
    assert resolved_post_id(dead) is None and not dead.network_failed
    # the last hop's server refused: one server's answer, not a network that is down
    assert not down.network_failed and down.final_url is None and "refused" in (down.error or "")
    assert loop.error and "loop" in loop.error and len(loop.hops) == 2
    assert short.error == "more than 1 hops"


def test_a_flattened_tweets_links_that_lead_nowhere_are_named_and_its_articles_not_asked() -> None:
    # Its links: one t.co code nobody minted (404), a loop, and one to the article it cites. The
    # article is no post and is not fetched; the 404 and the loop are failures the run names.
    from archiver.models import Post
    from archiver.platforms.twitter.aliases import resolve

    seen: list[httpx.Request] = []
    routes = {
        "https://t.co/L1": httpx.Response(302, headers={"location": "https://t.co/L2"}),
        "https://t.co/L2": httpx.Response(302, headers={"location": "https://t.co/L1"}),
        "https://t.co/N": httpx.Response(301, headers={"location": "https://news.example/a.html"}),
    }
    post = Post(platform="twitter", kind="embedded", source="s.txt", evidence="text-signature", handle="RivertonDesk",
                links=["https://t.co/missing", "https://t.co/L1", "https://t.co/N"])
    with serve(routes, seen) as client:
        alias = resolve(post, client)
    assert alias.found is None and alias.elsewhere is None
    assert [(m.split(":", 2)[0] + ":" + m.split(":", 2)[1], net) for m, net in alias.failures] == [
        ("https://t.co/missing", False), ("https://t.co/L1", False)]
    assert all(": could not be followed (" in m for m, _ in alias.failures)
    assert "https://news.example/a.html" not in [str(r.url) for r in seen]


# --- against the local fake web (real TLS server, real client) ---------------------------------


@pytest.fixture(scope="module")
def fake_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, httpx.Client]]:
    from archiver.net import NetOptions
    from tests.fakeweb.server import FakeWeb

    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        with net.httpx_client() as client:
            yield web, client


def test_fakeweb_pic_link_to_status_id(fake_client: tuple[Any, httpx.Client]) -> None:
    from tests.fakeweb import site

    web, client = fake_client
    t = site.TWEET_FLAT
    before = len(web.log)
    res = resolve_shortlink(client, f"pic.twitter.com/{t.media_tco}")
    assert res.error is None
    assert [h.url for h in res.hops] == [f"https://pic.twitter.com/{t.media_tco}", f"https://t.co/{t.media_tco}"]
    assert all(h.status is not None and 300 <= h.status < 400 for h in res.hops)
    assert resolved_post_id(res) == (t.user.screen_name, t.id)
    # Exactly the two hops went over the wire; the status page itself was left to the capture.
    assert len(web.log) - before == 2


def test_fakeweb_browser_agent_gets_page_and_it_is_followed(fake_client: tuple[Any, httpx.Client]) -> None:
    from archiver.capture.http import BROWSER_UA
    from tests.fakeweb import site

    _, client = fake_client
    t = site.TWEET_PHOTO
    res = resolve_shortlink(client, f"https://t.co/{t.media_tco}", user_agent=BROWSER_UA)
    assert res.hops[0].status == 200  # the meta-refresh page, not a 3xx
    assert resolved_post_id(res) == (t.user.screen_name, t.id)


def test_fakeweb_external_link(fake_client: tuple[Any, httpx.Client]) -> None:
    from tests.fakeweb import site

    _, client = fake_client
    code, expanded = site.TWEET_VIDEO.urls[0]
    res = resolve_shortlink(client, f"t.co/{code}")
    assert res.final_url == expanded and resolved_post_id(res) is None
