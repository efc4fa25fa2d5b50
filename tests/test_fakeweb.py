"""The impersonating server: what HTTP clients and a real Chromium see when they talk to it."""

from __future__ import annotations

import gzip
import json
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from tests.fakeweb import FakeWeb, site

ROOT = Path(__file__).resolve().parent.parent
CURL_UA = "curl/8.5.0"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


class _Loopback(httpcore.SyncBackend):
    """Connects every host to the fake web's port, keeping the name for SNI and Host (curl --connect-to)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return super().connect_tcp("127.0.0.1", self.port, *args, **kwargs)


def make_client(web: FakeWeb, http2: bool = False, ua: str = CURL_UA) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(web.ca_pem))
    transport = httpx.HTTPTransport(verify=ctx, http2=http2)
    # httpx has no connect-to option; swap in a pool whose backend dials the fake web.
    transport._pool = httpcore.ConnectionPool(ssl_context=ctx, http1=True, http2=http2, network_backend=_Loopback(web.port))
    return httpx.Client(transport=transport, headers={"user-agent": ua}, timeout=10)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as server:
        yield server


@pytest.fixture
def client(web: FakeWeb) -> Iterator[httpx.Client]:
    with make_client(web) as c:
        yield c


def synd(client: httpx.Client, tweet_id: str, token: str | None = None) -> httpx.Response:
    token = site.TOKENS[tweet_id] if token is None else token
    return client.get(f"https://cdn.syndication.twimg.com/tweet-result?id={tweet_id}&lang=en&token={token}")


# --- transport: one port, TLS and plain, h1 and h2 ---------------------------------------------


def test_plain_http_on_the_same_port_redirects_to_https(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get("http://web.archive.org/web/20240303201512/https://twitter.com/x/status/1")
    assert r.status_code == 301
    assert r.headers["location"] == "https://web.archive.org/web/20240303201512/https://twitter.com/x/status/1"
    entry = web.log[-1]
    assert entry["tls"] is False and entry["host"] == "web.archive.org"


def test_alpn_offers_h2_except_on_http1_only_hosts(web: FakeWeb) -> None:
    with make_client(web, http2=True) as c:
        assert c.get(web.url("platform.twitter.com", "/widgets.js")).http_version == "HTTP/2"
        assert c.get(web.url("news.example", "/")).http_version == "HTTP/1.1"
    protocols = {(e["host"], e["protocol"]) for e in web.log}
    assert ("platform.twitter.com", "h2") in protocols
    assert ("news.example", "http/1.1") in protocols


def test_article_is_gzip_and_chunked_on_the_wire(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get(web.url("news.example", site.ARTICLE_FLOOD.path), headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in r.headers
    html = r.text
    for tweet_id in site.ARTICLE_FLOOD.tweet_ids:
        assert f"/status/{tweet_id}?ref_src" in html
    assert html.count('<blockquote class="twitter-') == 3
    assert "https://platform.twitter.com/widgets.js" in html
    assert "https://www.youtube.com/embed/kX3f9TqLm2A" in html
    # A client that does not ask for gzip gets identity, still chunked.
    raw = client.get(web.url("news.example", site.ARTICLE_FLOOD.path), headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.headers["transfer-encoding"] == "chunked"


def test_ca_is_appended_to_the_served_chain(web: FakeWeb) -> None:
    chain = (web.ca_pem.parent / "chain.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2
    assert chain.rstrip().endswith(web.ca_pem.read_text().strip())
    assert len(web.ca_spki_sha256_b64) == 44


def test_unknown_path_and_host_are_404(web: FakeWeb, client: httpx.Client) -> None:
    assert client.get(web.url("news.example", "/nope.html")).status_code == 404
    assert client.get(web.url("elsewhere.news.example", "/")).status_code == 404


# --- news site ----------------------------------------------------------------------------------


def test_feed_lists_every_article_and_added_pages(web: FakeWeb, client: httpx.Client) -> None:
    web.set_state(("article", "/2024/late-edition.html"), "<html><title>Late edition</title><p>new</p></html>")
    try:
        feed = client.get(web.url("news.example", "/feed.xml"))
        assert feed.headers["content-type"].startswith("application/rss+xml")
        for article in site.ARTICLES.values():
            assert f"<link>{article.url}</link>" in feed.text
        assert "https://news.example/2024/late-edition.html" in feed.text
        assert client.get(web.url("www.news.example", "/2024/late-edition.html")).text.endswith("new</p></html>")
    finally:
        web.set_state(("article", "/2024/late-edition.html"), None)
    assert client.get(web.url("news.example", "/2024/late-edition.html")).status_code == 404


def test_wire_story_carries_a_flattened_tweet(web: FakeWeb, client: httpx.Client) -> None:
    html = client.get(web.url("news.example", site.ARTICLE_WIRE.path)).text
    assert "pic.twitter.com/Zx81QmPa0c</p>" in html and "<blockquote" not in html
    assert "— Riverton News Desk (@RivertonDesk) March 4, 2024" in html
    txt = client.get(web.url("news.example", site.WIRE_TEXT_PATH))
    assert txt.headers["content-type"].startswith("text/plain")
    assert site.FLAT_TEXT in txt.text


def test_drip_sends_the_announced_length_slowly(web: FakeWeb, client: httpx.Client) -> None:
    url = web.drip("2024/live-blog.html", total_bytes=6_000, bytes_per_sec=20_000)
    r = client.get(url)
    assert r.status_code == 200 and int(r.headers["content-length"]) == 6_000 == len(r.content)
    # A tenth of the rate per write, one write every 0.1 s: three writes, not one.
    assert web.streamed("/2024/live-blog.html") == [2_000, 2_000, 2_000]
    assert r.text.startswith("<!DOCTYPE html>") and r.text.endswith("</html>\n")
    assert f"/status/{site.TWEET_PHOTO.id}" in r.text


def test_drip_stops_when_the_client_goes_away(web: FakeWeb) -> None:
    url = web.drip("2024/huge.html", total_bytes=50_000_000, bytes_per_sec=100_000)
    with make_client(web) as c, c.stream("GET", url) as r:
        next(r.iter_raw())
        assert web.active_streams == 1
    # Sending 50 MB at 100 kB/s would take minutes: the server notices the client left instead.
    deadline = time.monotonic() + 60
    while web.active_streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert web.active_streams == 0
    assert sum(web.streamed("/2024/huge.html")) < 50_000_000  # it stopped writing, not finished
    with make_client(web) as c:
        assert c.get(web.url("news.example", "/")).status_code == 200


# --- syndication, oEmbed, state -----------------------------------------------------------------


def test_syndication_needs_the_right_token(web: FakeWeb, client: httpx.Client) -> None:
    tweet_id = site.TWEET_PHOTO.id
    for bad in ("", "abc", site.TOKENS[site.TWEET_VIDEO.id]):
        r = synd(client, tweet_id, token=bad)
        assert (r.status_code, r.json()) == (200, {})
    no_token = client.get(f"https://cdn.syndication.twimg.com/tweet-result?id={tweet_id}&lang=en")
    assert no_token.json() == {}


def test_syndication_live_photo_tweet(web: FakeWeb, client: httpx.Client) -> None:
    r = synd(client, site.TWEET_PHOTO.id)
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["access-control-allow-origin"] == "*"
    data = r.json()
    assert data["__typename"] == "Tweet" and data["id_str"] == site.TWEET_PHOTO.id
    assert data["created_at"] == "2024-03-04T18:22:31.000Z"
    assert data["user"]["screen_name"] == "RivertonDesk"
    assert data["entities"]["hashtags"][0]["text"] == "RivertonFlood"
    (photo,) = data["mediaDetails"]
    assert photo["type"] == "photo" and photo["media_url_https"] == "https://pbs.twimg.com/media/GH3kQ1xWAAAu7Yd.jpg"
    start, end = data["entities"]["media"][0]["indices"]
    assert data["text"][start:end] == "https://t.co/Qm4Lp2XvBn"


def test_syndication_video_variants(web: FakeWeb, client: httpx.Client) -> None:
    data = synd(client, site.TWEET_VIDEO.id).json()
    assert "🌧️" in data["user"]["name"] and "林美" in data["user"]["name"]
    (video,) = data["mediaDetails"]
    variants = video["video_info"]["variants"]
    assert any(v["content_type"] == "application/x-mpegURL" for v in variants)
    mp4s = [v for v in variants if v["content_type"] == "video/mp4"]
    assert len(mp4s) == 3 and mp4s[-1]["bitrate"] != max(v["bitrate"] for v in mp4s)
    best = max(mp4s, key=lambda v: v["bitrate"])
    body = client.get(best["url"]).content
    assert len(body) == site.TWEET_VIDEO.video.best_mp4.size == 40_001  # type: ignore[union-attr]
    assert body[4:8] == b"ftyp"
    sizes = {len(client.get(v["url"]).content) for v in mp4s}
    assert len(sizes) == 3
    playlist = client.get(next(v["url"] for v in variants if v["content_type"] == "application/x-mpegURL"))
    assert playlist.headers["content-type"] == "application/x-mpegURL" and playlist.text.startswith("#EXTM3U")


@pytest.mark.parametrize(
    ("tweet", "words"),
    [
        (site.TWEET_PROTECTED, "account owner limits who can view"),
        (site.TWEET_WITHHELD, "has been withheld in Germany"),
    ],
)
def test_syndication_tombstones_say_why(web: FakeWeb, client: httpx.Client, tweet: site.Tweet, words: str) -> None:
    data = synd(client, tweet.id).json()
    assert data["__typename"] == "TweetTombstone"
    assert words in data["tombstone"]["text"]["text"]


def test_deleted_and_unknown_tweets(web: FakeWeb, client: httpx.Client) -> None:
    assert synd(client, site.TWEET_DELETED.id).status_code == 404
    assert synd(client, "20").status_code == 404  # right token, no such post here
    oembed = client.get("https://publish.twitter.com/oembed", params={"url": site.TWEET_DELETED.status_url})
    assert oembed.status_code == 404


def test_oembed(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get("https://publish.twitter.com/oembed", params={"url": site.TWEET_VIDEO.x_url})
    assert r.status_code == 200 and r.headers["transfer-encoding"] == "chunked"
    data = r.json()
    assert set(data) >= {"url", "author_name", "author_url", "html"}
    assert data["author_url"] == "https://twitter.com/mei_hydro"
    assert 'class="twitter-video"' in data["html"]
    protected = client.get("https://publish.twitter.com/oembed", params={"url": site.TWEET_PROTECTED.status_url})
    assert protected.status_code == 403


def test_set_state_flips_a_live_tweet_to_deleted_and_back(web: FakeWeb, client: httpx.Client) -> None:
    tweet = site.TWEET_PHOTO
    oembed_url = f"https://publish.twitter.com/oembed?url={tweet.status_url}"
    web.set_state(("tweet", tweet.id), site.DELETED)
    try:
        assert synd(client, tweet.id).status_code == 404
        assert client.get(oembed_url).status_code == 404
        web.set_state(("tweet", tweet.id), site.SUSPENDED)
        assert "suspended account" in synd(client, tweet.id).json()["tombstone"]["text"]["text"]
    finally:
        web.set_state(("tweet", tweet.id), None)
    assert synd(client, tweet.id).json()["__typename"] == "Tweet"
    assert client.get(oembed_url).status_code == 200
    with pytest.raises(ValueError):
        web.set_state(("tweet", tweet.id), "gone")


def test_injected_failures_carry_retry_after(web: FakeWeb, client: httpx.Client) -> None:
    web.set_state(("fail", "cdn.syndication.twimg.com"), {"status": 429, "times": 1, "retry_after": 2})
    first = synd(client, site.TWEET_PHOTO.id)
    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert synd(client, site.TWEET_PHOTO.id).status_code == 200


# --- short links, login wall, media -------------------------------------------------------------


def test_tco_answers_curl_with_a_redirect_and_browsers_with_a_page(web: FakeWeb, client: httpx.Client) -> None:
    target = f"{site.TWEET_FLAT.status_url}/photo/1"
    r = client.get("https://t.co/Zx81QmPa0c")
    assert r.status_code == 301 and r.headers["location"] == target
    page = client.get("https://t.co/Zx81QmPa0c", headers={"user-agent": BROWSER_UA})
    assert page.status_code == 200
    assert f'<meta http-equiv="refresh" content="0;URL={target}">' in page.text
    assert "location.replace(" in page.text
    pic = client.get("https://pic.twitter.com/Zx81QmPa0c")
    assert pic.status_code == 301 and pic.headers["location"] == "https://t.co/Zx81QmPa0c"
    assert client.get("https://t.co/NoSuchCode").status_code == 404


def test_twitter_redirects_to_an_x_login_wall(web: FakeWeb, client: httpx.Client) -> None:
    r = client.get(site.TWEET_PHOTO.status_url)
    assert r.status_code == 301 and r.headers["location"] == site.TWEET_PHOTO.x_url
    wall = client.get(site.TWEET_PHOTO.x_url)
    assert wall.status_code == 200 and "Log in to X" in wall.text
    assert "Sandbags" not in wall.text
    # A deleted post looks exactly the same there: the wall is no evidence either way.
    assert client.get(site.TWEET_DELETED.x_url).text == wall.text


def test_photos_original_and_small_differ(web: FakeWeb, client: httpx.Client) -> None:
    photo = site.TWEET_PHOTO.photos[0]
    orig = client.get(photo.orig_url)
    small = client.get(f"https://pbs.twimg.com/media/{photo.key}?format=jpg&name=small")
    legacy = client.get(f"https://pbs.twimg.com/media/{photo.key}.jpg:orig")
    assert orig.headers["content-type"] == "image/jpeg" and orig.content[:3] == b"\xff\xd8\xff"
    assert orig.content == legacy.content != small.content
    avatar = client.get(site.DESK.avatar_url)
    assert avatar.status_code == 200 and avatar.content[:3] == b"\xff\xd8\xff"


# --- Wayback Machine and YouTube ----------------------------------------------------------------


def test_wayback_availability_cdx_and_snapshot(web: FakeWeb, client: httpx.Client) -> None:
    tweet = site.TWEET_DELETED
    avail = client.get("https://archive.org/wayback/available", params={"url": tweet.x_url}).json()
    closest = avail["archived_snapshots"]["closest"]
    assert closest["url"].startswith("http://web.archive.org/web/20240304083011/")
    # The http:// URL the API hands out is redirected to https first, as the real site does.
    follow = client.get(closest["url"], follow_redirects=True)
    assert follow.status_code == 200 and "wm-ipp" in follow.text
    rows = client.get("https://web.archive.org/cdx/search/cdx", params={"url": tweet.status_url, "output": "json"}).json()
    assert rows[0][:3] == ["urlkey", "timestamp", "original"] and [r[1] for r in rows[1:]] == list(tweet.wayback)
    raw = client.get(f"https://web.archive.org/web/{rows[1][1]}id_/{rows[1][2]}")
    assert raw.status_code == 200 and "memento-datetime" in raw.headers
    assert tweet.text in raw.text and "@cllr_hartwell" in raw.text and tweet.created_at in raw.text
    near = client.get(f"https://web.archive.org/web/2024id_/{tweet.status_url}")
    assert near.status_code == 302 and "id_/https://twitter.com/" in near.headers["location"]
    replay = client.get(f"https://web.archive.org/web/{site.TWEET_PHOTO.wayback[0]}/{site.TWEET_PHOTO.status_url}")
    img = f"https://web.archive.org/web/{site.TWEET_PHOTO.wayback[0]}im_/https://pbs.twimg.com/media/GH3kQ1xWAAAu7Yd?format=jpg&amp;name=small"
    assert img in replay.text
    assert client.get(img.replace("&amp;", "&")).content[:3] == b"\xff\xd8\xff"
    none = client.get("https://archive.org/wayback/available", params={"url": site.TWEET_VIDEO.status_url}).json()
    assert none["archived_snapshots"] == {}


def test_youtube_embed_and_oembed(web: FakeWeb, client: httpx.Client) -> None:
    assert "Riverton flood" in client.get("https://www.youtube.com/embed/kX3f9TqLm2A").text
    data = client.get("https://www.youtube.com/oembed", params={"url": "https://youtu.be/kX3f9TqLm2A", "format": "json"}).json()
    assert data["author_name"] == "Riverton Weather Watch" and data["type"] == "video"
    assert client.get("https://www.youtube.com/oembed", params={"url": "https://youtu.be/AAAAAAAAAAA"}).status_code == 404


def test_every_request_is_logged(web: FakeWeb, client: httpx.Client) -> None:
    before = len(web.log)
    client.get("https://t.co/Qm4Lp2XvBn?amp=1")
    entry = web.log[before]
    assert entry["host"] == "t.co" and entry["path"] == "/Qm4Lp2XvBn?amp=1" and entry["method"] == "GET"
    assert entry["status"] == 301 and entry["protocol"] == "http/1.1" and entry["tls"] is True
    assert entry["headers"]["user-agent"] == CURL_UA


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_with_connect_to(web: FakeWeb) -> None:
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{http_version} %{redirect_url}",
         "--cacert", str(web.ca_pem), "--connect-to", f"::127.0.0.1:{web.port}", "https://t.co/Qm4Lp2XvBn"],
        capture_output=True, text=True, timeout=20, check=True,
    ).stdout
    assert out == f"301 1.1 {site.TWEET_PHOTO.status_url}/photo/1"


def test_standalone_prints_one_json_line(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeweb", "--dir", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["map_host"] == f"*=127.0.0.1:{info['port']}" and Path(info["ca"]).is_file()
        ctx = ssl.create_default_context(cafile=info["ca"])
        transport = httpx.HTTPTransport(verify=ctx)
        transport._pool = httpcore.ConnectionPool(ssl_context=ctx, network_backend=_Loopback(info["port"]))
        with httpx.Client(transport=transport) as c:
            assert c.get("https://news.example/feed.xml").status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_gzip_body_is_really_gzip_on_the_wire(web: FakeWeb) -> None:
    """Read the raw bytes, so the test sees what a recorder would have to undo."""
    with make_client(web) as c, c.stream("GET", web.url("news.example", "/"), headers={"accept-encoding": "gzip"}) as r:
        wire = b"".join(r.iter_raw())
    assert gzip.decompress(wire).startswith(b"<!DOCTYPE html>")


# --- real Chromium --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(web: FakeWeb) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=web.chromium_args)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # No ignore_https_errors: the certificate must be accepted through the SPKI pin alone.
    context = browser.new_context(service_workers="block")
    yield context.new_page()
    context.close()


def _tweet_frame(page: Any, tweet_id: str) -> Any:
    page.wait_for_selector(f'iframe[data-tweet-id="{tweet_id}"]', timeout=10_000)
    handle = page.query_selector(f'iframe[data-tweet-id="{tweet_id}"]')
    frame = handle.content_frame()
    frame.wait_for_selector("body[data-state]:not([data-state=loading])", timeout=10_000)
    return frame


@pytest.mark.browser
def test_chromium_renders_the_article_tweets(web: FakeWeb, page: Any, tmp_path: Path) -> None:
    before = len(web.log)
    page.goto(site.ARTICLE_FLOOD.url, wait_until="load")
    assert page.query_selector("blockquote.twitter-tweet") is None  # widgets.js replaced them
    photo = _tweet_frame(page, site.TWEET_PHOTO.id)
    assert photo.get_attribute("body", "data-state") == "rendered"
    assert "Sandbags going up along Mill Street" in photo.inner_text("[data-testid=tweetText]")
    assert "@RivertonDesk" in photo.inner_text("[data-testid=User-Name]")
    assert photo.get_attribute("time", "datetime") == site.TWEET_PHOTO.created_at
    assert photo.eval_on_selector("img.media", "i => i.naturalWidth") == 680  # the small rendition loaded
    video = _tweet_frame(page, site.TWEET_VIDEO.id)
    assert "林美 Mei Lin" in video.inner_text("[data-testid=User-Name]")
    assert "Drone footage" in video.inner_text("[data-testid=tweetText]")
    deleted = _tweet_frame(page, site.TWEET_DELETED.id)
    assert deleted.get_attribute("body", "data-state") == "unavailable"
    assert "This Post is unavailable" in deleted.inner_text("body")
    # The iframe grew to its content (resize message), so an element screenshot shows the whole post.
    box = page.query_selector(f'iframe[data-tweet-id="{site.TWEET_PHOTO.id}"]').bounding_box()
    assert box["height"] > 300
    shot = page.query_selector(f'iframe[data-tweet-id="{site.TWEET_PHOTO.id}"]').screenshot(path=str(tmp_path / "tweet.png"))
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"

    seen = web.log[before:]
    by_host = {(e["host"], e["protocol"]) for e in seen}
    assert ("platform.twitter.com", "h2") in by_host and ("cdn.syndication.twimg.com", "h2") in by_host
    article = next(e for e in seen if e["path"] == site.ARTICLE_FLOOD.path)
    assert article["protocol"] == "http/1.1" and article["tls"] is True
    assert article["response_headers"]["content-encoding"] == "gzip"
    assert "content-length" not in article["response_headers"]  # chunked on the wire
    token_calls = [e for e in seen if e["host"] == "cdn.syndication.twimg.com"]
    assert len(token_calls) == 3
    for call in token_calls:
        tweet_id = call["path"].split("id=")[1].split("&")[0]
        assert f"token={site.TOKENS[tweet_id]}" in call["path"]  # V8 computed the expected token
    assert any(e["host"] == "www.youtube.com" and e["path"] == "/embed/kX3f9TqLm2A" for e in seen)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("article", "tweet", "words"),
    [
        (site.ARTICLE_PROTECTED, site.TWEET_PROTECTED, "limits who can view their Posts"),
        (site.ARTICLE_WITHHELD, site.TWEET_WITHHELD, "withheld in Germany"),
    ],
)
def test_chromium_shows_tombstones(web: FakeWeb, page: Any, article: site.Article, tweet: site.Tweet, words: str) -> None:
    page.goto(article.url)
    frame = _tweet_frame(page, tweet.id)
    assert frame.get_attribute("body", "data-state") == "tombstone"
    assert words in frame.inner_text("[data-testid=tombstone]")


@pytest.mark.browser
def test_v8_tokens_match_the_table(page: Any) -> None:
    page.goto("https://platform.twitter.com/embed/Tweet.html?id=20")
    computed = page.evaluate(
        "ids => ids.map(id => ((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\\.)/g, ''))",
        list(site.TOKENS),
    )
    assert dict(zip(site.TOKENS, computed)) == site.TOKENS


@pytest.mark.browser
def test_chromium_follows_tco_to_the_login_wall(web: FakeWeb, page: Any) -> None:
    before = len(web.log)
    page.goto("https://pic.twitter.com/Zx81QmPa0c")
    page.wait_for_url("https://x.com/**", timeout=10_000)
    assert "Log in to X" in page.inner_text("body")
    # Only the hops of this chain: Chromium's own background requests may land in the log meanwhile.
    chain = [e for e in web.log[before:] if e["host"] in ("pic.twitter.com", "t.co", "twitter.com", "x.com")]
    hops = [(e["host"], e["status"]) for e in chain if e["host"] != "x.com" or e["status"] == 200][:4]
    assert hops == [("pic.twitter.com", 301), ("t.co", 200), ("twitter.com", 301), ("x.com", 200)]
    assert "Mozilla" in chain[1]["headers"]["user-agent"]
