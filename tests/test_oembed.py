"""Public metadata endpoints and embed URLs for every platform."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from archiver.capture.oembed import embed_url, fetch_metadata, metadata_url
from archiver.platforms import BUILT_IN


@pytest.mark.parametrize(
    ("platform", "post_id", "url", "expected"),
    [
        ("twitter", "1764718078373491923", None, "https://platform.twitter.com/embed/Tweet.html?id=1764718078373491923"),
        ("twitter", None, "https://x.com/a/status/42/photo/1", "https://platform.twitter.com/embed/Tweet.html?id=42"),
        ("twitter", None, "https://example.org/", None),
        ("youtube", "kX3f9TqLm2A", None, "https://www.youtube.com/embed/kX3f9TqLm2A"),
        ("youtube", None, "https://youtu.be/kX3f9TqLm2A?t=3", "https://www.youtube.com/embed/kX3f9TqLm2A"),
        ("youtube", None, "https://www.youtube.com/watch?feature=x&v=kX3f9TqLm2A", "https://www.youtube.com/embed/kX3f9TqLm2A"),
        ("youtube", None, "https://www.youtube.com/watch?v=short", None),
        ("instagram", "C4xYz12AbCd", None, "https://www.instagram.com/p/C4xYz12AbCd/embed/captioned/"),
        ("instagram", None, "https://www.instagram.com/reel/C4xYz12AbCd/?igsh=1", "https://www.instagram.com/p/C4xYz12AbCd/embed/captioned/"),
        ("tiktok", "7345678901234567890", None, "https://www.tiktok.com/embed/v2/7345678901234567890"),
        ("tiktok", None, "https://www.tiktok.com/@user/video/7345678901234567890?lang=en", "https://www.tiktok.com/embed/v2/7345678901234567890"),
        ("vimeo", None, "https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("vimeo", "76979871", None, "https://player.vimeo.com/video/76979871"),
        ("bluesky", "3kabc", "https://bsky.app/profile/did:plc:abc123/post/3kabc",
         "https://embed.bsky.app/embed/did:plc:abc123/app.bsky.feed.post/3kabc"),
        ("bluesky", "3kabc", "at://did:plc:abc123/app.bsky.feed.post/3kabc",
         "https://embed.bsky.app/embed/did:plc:abc123/app.bsky.feed.post/3kabc"),
        ("bluesky", "3kabc", "https://bsky.app/profile/someone.bsky.social/post/3kabc", "https://bsky.app/profile/someone.bsky.social/post/3kabc"),
        ("mastodon", "mastodon.social/111", "https://mastodon.social/@Gargron/111", "https://mastodon.social/@Gargron/111/embed"),
        ("mastodon", "m.example/5", "https://m.example/web/statuses/5", "https://m.example/web/statuses/5"),
        ("truthsocial", "1120", "https://truthsocial.com/@someone/1120", "https://truthsocial.com/@someone/1120/embed"),
        ("facebook", None, "https://www.facebook.com/page/posts/pfbid0abc",
         "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com%2Fpage%2Fposts%2Fpfbid0abc&show_text=true"),
        ("facebook", None, "https://www.facebook.com/page/videos/123/",
         "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2Fpage%2Fvideos%2F123%2F&show_text=true"),
        ("telegram", None, "https://t.me/somechannel/1234", "https://t.me/somechannel/1234?embed=1"),
        ("telegram", "somechannel/1234", None, "https://t.me/somechannel/1234?embed=1"),
        ("linkedin", None, "https://www.linkedin.com/feed/update/urn:li:activity:7100000000000000000/",
         "https://www.linkedin.com/embed/feed/update/urn:li:activity:7100000000000000000"),
        ("linkedin", "7100000000000000000", None, "https://www.linkedin.com/embed/feed/update/urn:li:activity:7100000000000000000"),
        ("threads", "C9abc", "https://www.threads.net/@u/post/C9abc", "https://www.threads.net/@u/post/C9abc/embed"),
        ("threads", "C9abc", "https://www.threads.com/@u/post/C9abc?x=1", "https://www.threads.net/@u/post/C9abc/embed"),
        ("reddit", "abc123", "https://www.reddit.com/r/sub/comments/abc123/", "https://www.reddit.com/r/sub/comments/abc123/"),
        ("unknownplatform", None, "https://e.example/p", "https://e.example/p"),
    ],
)
def test_embed_url(platform: str, post_id: str | None, url: str | None, expected: str | None) -> None:
    assert embed_url(platform, post_id, url) == expected


def test_every_platform_without_an_embed_page_renders_its_post_page() -> None:
    as_is = {p.name for p in BUILT_IN if p.embed_url is None}
    assert as_is == {"reddit"}
    assert embed_url("reddit", None, "https://www.reddit.com/r/a/comments/b/") == "https://www.reddit.com/r/a/comments/b/"


@pytest.mark.parametrize(
    ("platform", "url", "expected"),
    [
        ("youtube", "https://www.youtube.com/watch?v=kX3f9TqLm2A",
         "https://www.youtube.com/oembed?format=json&url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3DkX3f9TqLm2A"),
        ("vimeo", "https://vimeo.com/1", "https://vimeo.com/api/oembed.json?url=https%3A%2F%2Fvimeo.com%2F1"),
        ("tiktok", "https://www.tiktok.com/@u/video/1", "https://www.tiktok.com/oembed?url=https%3A%2F%2Fwww.tiktok.com%2F%40u%2Fvideo%2F1"),
        ("reddit", "https://www.reddit.com/comments/ab/", "https://www.reddit.com/oembed?url=https%3A%2F%2Fwww.reddit.com%2Fcomments%2Fab%2F"),
        ("bluesky", "https://bsky.app/profile/a.b/post/3k", "https://embed.bsky.app/oembed?url=https%3A%2F%2Fbsky.app%2Fprofile%2Fa.b%2Fpost%2F3k"),
        ("mastodon", "https://fosstodon.org/@x/1", "https://fosstodon.org/api/oembed?url=https%3A%2F%2Ffosstodon.org%2F%40x%2F1"),
        ("instagram", "https://www.instagram.com/p/X/", None),  # needs a token
        ("facebook", "https://www.facebook.com/x/posts/1", None),
        ("threads", "https://www.threads.net/@u/post/C", None),
        ("truthsocial", "https://truthsocial.com/@u/1", None),  # unverified: never read a 404 as "gone"
        ("youtube", "", None),
    ],
)
def test_metadata_url(platform: str, url: str, expected: str | None) -> None:
    assert metadata_url(platform, url) == expected


def test_unknown_platform_has_no_endpoint_and_renders_as_is() -> None:
    assert metadata_url("nosuch", "https://example.org/p/1") is None
    assert embed_url("nosuch", "1", "https://example.org/p/1") == "https://example.org/p/1"


def test_no_endpoint_means_no_request() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.url}")

    with httpx.Client(transport=httpx.MockTransport(handler)) as c:
        # No public endpoint: nothing is asked, and nothing is said about the post.
        assert fetch_metadata(c, "instagram", "https://www.instagram.com/p/X/") is None


def test_bad_answers_and_network_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "vimeo" in request.url.host:
            return httpx.Response(200, text="<html>")
        if "reddit" in request.url.host:
            return httpx.Response(200, text="[]")
        raise httpx.ConnectTimeout("slow", request=request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as c:
        vimeo = fetch_metadata(c, "vimeo", "https://vimeo.com/1")
        reddit = fetch_metadata(c, "reddit", "https://www.reddit.com/comments/ab/")
        # A network failure never raises: it comes back named, and says the network may be down.
        down = fetch_metadata(c, "youtube", "https://www.youtube.com/watch?v=kX3f9TqLm2A")
    assert vimeo is not None and (vimeo.status, vimeo.data) == (200, {"error": "answer is not JSON"})
    assert reddit is not None and (reddit.status, reddit.data) == (200, {"error": "answer is not a JSON object"})
    assert not vimeo.network_failed and not reddit.network_failed
    # Both callers (the oEmbed check, the video check) take this one reason for a 200 they cannot read.
    assert vimeo.unreadable == "oEmbed's answer could not be read: answer is not JSON"
    assert reddit.unreadable == "oEmbed's answer could not be read: answer is not a JSON object"
    # (a timeout says one server is slow, not that the network is down)
    assert down is not None and down.status is None and not down.network_failed and not down.refused
    assert down.error is not None and down.error.startswith("GET https://www.youtube.com/oembed") and "slow" in down.error
    assert down.unreadable is None  # no answer arrived: nothing to read


def test_an_answer_of_none_of_oembeds_fields_says_nothing_of_the_post() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={} if "youtube" in request.url.host else {"status": "ok"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as c:
        empty = fetch_metadata(c, "youtube", "https://www.youtube.com/watch?v=kX3f9TqLm2A")
        other = fetch_metadata(c, "vimeo", "https://vimeo.com/76979871")
    for meta in (empty, other):
        assert meta is not None and meta.status == 200
        assert meta.unreadable == "oEmbed's answer holds none of oEmbed's fields (no type, title, author or html)"


# --- against the local fake web ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    from archiver.net import NetOptions
    from tests.fakeweb.server import FakeWeb

    with FakeWeb(tmp_path_factory.mktemp("fakeweb")) as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        with net.httpx_client() as client:
            yield client


def test_fakeweb_youtube_oembed(fake_client: httpx.Client) -> None:
    from tests.fakeweb import site

    v = site.YOUTUBE
    found = fetch_metadata(fake_client, "youtube", f"https://www.youtube.com/watch?v={v.id}")
    assert found is not None and found.status == 200
    assert found.data["author_name"] == v.author_name and found.data["title"] == v.title
    gone = fetch_metadata(fake_client, "youtube", "https://www.youtube.com/watch?v=AAAAAAAAAAA")
    assert gone is not None and (gone.status, gone.data, gone.error) == (404, {}, None)
    assert found.unreadable is None and gone.unreadable is None


# --- the generic oEmbed check (a platform without a check of its own) ---------------------------


def _plugin(monkeypatch: pytest.MonkeyPatch, *, canonical: bool) -> str:
    """A plugin platform with an oEmbed endpoint and no check of its own, registered as "slate"
    (posts at https://slate.example/p/ID); `canonical`: whether it builds a post's URL from its ID."""
    from archiver.platforms import BY_NAME
    from archiver.platforms.base import Platform, UrlMatch

    def parse_url(url: str) -> UrlMatch | None:
        pid = url.rpartition("/p/")[2]
        return UrlMatch(pid, f"https://slate.example/p/{pid}") if "slate.example/p/" in url and pid.isdigit() else None

    monkeypatch.setitem(BY_NAME, "slate", Platform(
        name="slate", hosts=("slate.example",), parse_url=parse_url,
        canonical=(lambda pid, _handle: f"https://slate.example/p/{pid}") if canonical else None,
        oembed=lambda _url: "https://slate.example/oembed?url="))
    return "slate"


def _asked(post: object) -> tuple[list[str], object]:
    """The requests the generic check made about `post`, and its probe."""
    from archiver.capture.oembed import OEMBED_CHECK

    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, json={"type": "rich", "version": "1.0", "author_name": "Slate Desk",
                                         "html": "<blockquote></blockquote>"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as c:
        found = OEMBED_CHECK.probe(post, c)  # type: ignore[arg-type]
    return asked, found


def test_the_oembed_check_of_a_post_without_a_url_asks_by_its_canonical_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """A post known by its ID alone (rebuilt from partial history, say) is asked about by the URL its
    platform builds from the ID, never with an empty one: its status is oEmbed's word on it."""
    from archiver.models import Post

    name = _plugin(monkeypatch, canonical=True)
    post = Post(platform=name, kind="linked", source="s", evidence="e", post_id="42", url=None)
    asked, found = _asked(post)
    assert asked == ["https://slate.example/oembed?url=https%3A%2F%2Fslate.example%2Fp%2F42"]
    assert (found.status, found.url, found.fields["author"]) == ("live", "https://slate.example/p/42", "Slate Desk")  # type: ignore[attr-defined]


def test_the_oembed_check_of_a_post_with_no_url_known_asks_nothing_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform that builds no URL from an ID: nothing is asked, and the probe says why, as no
    usable answer (a held post keeps its status: not checked)."""
    from archiver.models import Post

    name = _plugin(monkeypatch, canonical=False)
    post = Post(platform=name, kind="linked", source="s", evidence="e", post_id="42", url=None)
    asked, found = _asked(post)
    assert asked == []
    assert (found.status, found.reason, found.unusable) == (  # type: ignore[attr-defined]
        "unknown", "not asked: no URL of the post is known", True)


def test_the_oembed_check_asks_by_no_canonical_url_that_names_another_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform whose post address needs the author (`https://quill.example/@NAME/p/ID`), asked
    about a post known by its ID alone, its handle not known: the URL its rule builds without one
    (`/@/p/42`) is no address of the post, and oEmbed, asked about it, would answer 404 about no
    post (a held live post turned `unavailable`). Nothing is asked, as with no rule at all; with
    the handle known, the post's address is asked about. A rule that fails builds nothing either."""
    import re

    from archiver.models import Post
    from archiver.platforms import BY_NAME
    from archiver.platforms.base import Platform, UrlMatch

    address = re.compile(r"^https://quill\.example/@(?P<name>[a-z0-9]+)/p/(?P<id>[0-9]+)$")

    def parse_url(url: str) -> UrlMatch | None:
        m = address.match(url)
        return UrlMatch(m.group("id"), url, m.group("name")) if m else None

    def canonical(pid: str, handle: str | None) -> str:
        return f"https://quill.example/@{(handle or '').lower()}/p/{int(pid)}"

    monkeypatch.setitem(BY_NAME, "quill", Platform(
        name="quill", hosts=("quill.example",), parse_url=parse_url, canonical=canonical,
        oembed=lambda _url: "https://quill.example/oembed?url="))
    nameless = Post(platform="quill", kind="linked", source="s", evidence="e", post_id="42", url=None)
    asked, found = _asked(nameless)
    assert asked == []
    assert (found.status, found.reason, found.unusable) == (  # type: ignore[attr-defined]
        "unknown", "not asked: no URL of the post is known", True)
    broken = Post(platform="quill", kind="linked", source="s", evidence="e", post_id="4x2", url=None, handle="ink")
    asked, found = _asked(broken)
    assert (asked, found.status, found.unusable) == ([], "unknown", True)  # type: ignore[attr-defined]
    named = Post(platform="quill", kind="linked", source="s", evidence="e", post_id="42", url=None, handle="Ink")
    asked, found = _asked(named)
    assert asked == ["https://quill.example/oembed?url=https%3A%2F%2Fquill.example%2F%40ink%2Fp%2F42"]
    assert (found.status, found.url) == ("live", "https://quill.example/@ink/p/42")  # type: ignore[attr-defined]
