"""The decisions of a post capture, made on what the data endpoints and the renderer returned.

No Chromium: `tests/fakerender.FakeRenderer` behind the real `Browser` facade, the real SQLite index
and a real WarcStore; the HTTP side is a small fake client (a table of answers), so that each test
says exactly what the platform answered. The capture itself is tested end to end elsewhere
(test_archive_e2e.py, test_runs_e2e.py, test_plugin_capture.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from archiver.capture.browser import Browser
from archiver.errors import NetworkError, NetworkUnreachable
from archiver.index import memory_index
from archiver.index.protocol import ArchiveIndex
from archiver.models import Post
from archiver.pipeline.postcapture import PostCapturer
from archiver.warcstore import WarcStore
from tests.fakerender import FakePage, FakeRenderer

PID = "1790000000000000001"
STATUS_URL = f"https://x.com/alice/status/{PID}"
EMBED = f"https://platform.twitter.com/embed/Tweet.html?id={PID}"
TWEET = {"__typename": "Tweet", "id_str": PID, "text": "The bridge reopens today.",
         "created_at": "2024-03-04T10:00:00.000Z", "user": {"screen_name": "alice", "name": "Alice"}}
SNAPSHOT = f"https://web.archive.org/web/20240305000000/{STATUS_URL}"
Answer = tuple[int, Any] | Exception  # (status, JSON or text), or what the transport raises


class FakeClient:
    """`get()` answers from `route(url)`; `asked` lists every URL, in order."""

    def __init__(self, route: Callable[[str], Answer]) -> None:
        self.route = route
        self.asked: list[str] = []
        self.statuses: list[int] = []  # of the answers given whole
        # As a bound RecordingClient keeps them: every answer that came, and what each request that
        # met none failed with (what the route raised).
        self.answered: list[int] = []
        self.unanswered: list[str] = []

    @property
    def no_answer(self) -> str | None:
        """As a bound RecordingClient says it: requests made, and none of them answered."""
        return None if self.answered or not self.unanswered else "; ".join(self.unanswered)

    @property
    def none_usable(self) -> bool:
        """As a bound RecordingClient says it: requests made, and none answered but with 429 or a 5xx."""
        return bool(self.asked) and not any(s != 429 and s < 500 for s in self.statuses)

    def bind(self, batch: Any) -> FakeClient:
        return self

    def get(self, url: str, *, headers: dict[str, str] | None = None,
            follow_redirects: bool = False) -> httpx.Response:
        self.asked.append(url)
        answer = self.route(url)
        if isinstance(answer, Exception):
            self.unanswered.append(str(answer))
            raise answer
        status, body = answer
        self.statuses.append(status)
        self.answered.append(status)
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        ctype = "text/html" if isinstance(body, str) else "application/json"
        return httpx.Response(status, content=content, headers={"content-type": ctype},
                              request=httpx.Request("GET", url))


def twitter(synd: Answer, oembed: Answer, wayback: Answer = (200, {"archived_snapshots": {}})) -> Callable[[str], Answer]:
    def route(url: str) -> Answer:
        if url.startswith("https://cdn.syndication.twimg.com/"):
            return synd
        if url.startswith("https://publish.twitter.com/oembed"):
            return oembed
        if url.startswith(("https://archive.org/wayback/available", "https://web.archive.org/cdx/")):
            return wayback
        if url.startswith("https://web.archive.org/web/"):
            return 200, f"<html><title>Alice on X: \"Old words\"</title><p>{PID}</p></html>"
        return 404, "not found"
    return route


OEMBED_OK = (200, {"author_name": "Alice", "author_url": "https://twitter.com/alice", "html": "<blockquote/>"})
GONE = (404, "")
OFFLINE = NetworkUnreachable("GET: host name not resolved")
SNAPSHOT_FOUND = (200, {"archived_snapshots": {"closest": {
    "available": True, "status": "200", "timestamp": "20240305000000",
    "url": f"http://web.archive.org/web/20240305000000/{STATUS_URL}"}}})


class Rig:
    """A PostCapturer over a FakeRenderer, an in-memory index and a WarcStore in a tmp dir."""

    def __init__(self, tmp: Path, pages: dict[str, FakePage]) -> None:
        self.renderer = FakeRenderer(pages)
        self.browser = Browser.wrapping(self.renderer)
        self.index: ArchiveIndex = memory_index()
        self.store = WarcStore(tmp / "warcs")
        self.client = FakeClient(lambda url: (404, ""))
        self.capturer = PostCapturer(tmp, self.index, self.store, self.client, self.browser)  # type: ignore[arg-type]

    def post(self, platform: str = "twitter", post_id: str | None = PID, url: str | None = STATUS_URL,
             handle: str | None = "alice", **kw: Any) -> Post:
        post = Post(platform=platform, kind="embedded", source="s", evidence="e", post_id=post_id, url=url,
                    handle=handle, **kw)
        self.index.upsert_post(post)
        return post

    def detail(self, key: str) -> Any:
        found = self.index.show(key)  # type: ignore[attr-defined]
        assert found is not None
        return found

    def close(self) -> None:
        self.browser.close()
        self.store.close()
        self.index.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    pages = {EMBED: FakePage(text="Alice: The bridge reopens today.", elements={"article": ["The bridge reopens today."]}),
             STATUS_URL: FakePage(text="Log in  Sign up", login_wall=True),
             SNAPSHOT: FakePage(title="Alice on X", text="Old words")}
    r = Rig(tmp_path, pages)
    yield r
    r.close()


def test_recheck_of_an_unchanged_post_observes_without_a_new_capture(rig: Rig) -> None:
    post = rig.post()
    rig.client.route = twitter((200, TWEET), OEMBED_OK)
    first = rig.capturer.capture(post)
    assert (first.status, first.captures, first.source) == ("live", 1, "live")
    assert rig.renderer.rendered == [EMBED]  # live: x.com's own page is not needed

    again = rig.capturer.capture(post, recheck=True)
    assert (again.status, again.captures, again.source) == ("live", 0, None)
    assert rig.renderer.rendered == [EMBED]  # nothing rendered the second time
    detail = rig.detail(post.key)
    assert [c.status for c in detail.captures] == ["live"]
    assert [h.status for h in detail.history] == ["live", "live"]
    assert (detail.author, detail.text) == ("Alice", "The bridge reopens today.")


def test_a_failure_of_our_own_during_a_recheck_leaves_the_held_status_alone(rig: Rig) -> None:
    # Our own index busy (another process holding its write lock) said nothing of the post: a
    # deleted post stays deleted, with no observation added; the failure is named.
    from archiver.errors import IndexError_

    busy = IndexError_("cannot write to the index: database is locked")

    def route(url: str) -> Answer:
        raise busy

    post = rig.post()
    rig.client.route = twitter(GONE, GONE)
    assert rig.capturer.capture(post).status == "deleted"
    rig.client.route = route
    again = rig.capturer.capture(post, recheck=True)
    assert (again.status, again.checked, again.error) == ("deleted", False, str(busy)), again
    assert [h.status for h in rig.detail(post.key).history] == ["deleted"]
    # One new to the archive is recorded with the failure: it had no status to keep.
    new = rig.post(post_id="1790000000000000002", url="https://x.com/alice/status/1790000000000000002")
    out = rig.capturer.capture(new)
    assert (out.status, out.error) == ("unknown", str(busy))


def test_a_change_recorded_before_its_capture_failed_is_reported_as_found(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    # The check observed the post deleted, then writing its capture failed (our index busy): the
    # index holds the change, and so does the outcome (not "not checked").
    from archiver.errors import IndexError_

    post = rig.post()
    rig.client.route = twitter((200, TWEET), OEMBED_OK)
    assert rig.capturer.capture(post).status == "live"
    busy = IndexError_("cannot write to the index: database is locked")

    def add_capture(*_args: Any, **_kw: Any) -> int:
        raise busy
    monkeypatch.setattr(rig.index, "add_capture", add_capture)
    rig.client.route = twitter(GONE, GONE)
    again = rig.capturer.capture(post, recheck=True)
    assert (again.status, again.checked, again.error) == ("deleted", True, str(busy)), again
    assert rig.index.post_status(post.key) == "deleted"


def test_recheck_of_a_changed_post_captures_it_again(rig: Rig) -> None:
    post = rig.post()
    rig.client.route = twitter((200, TWEET), OEMBED_OK)
    rig.capturer.capture(post)
    rig.client.route = twitter(GONE, GONE)
    again = rig.capturer.capture(post, recheck=True)
    assert (again.status, again.captures) == ("deleted", 1)
    assert again.reason == "syndication HTTP 404 and oEmbed HTTP 404 agree; the post page also showed a login wall"
    assert rig.renderer.rendered == [EMBED, EMBED, STATUS_URL]  # embed again, then x.com's page
    assert [c.status for c in rig.detail(post.key).captures] == ["live", "deleted"]


def test_recheck_finding_other_words_captures_them_but_fewer_of_the_same_is_no_edit(rig: Rig) -> None:
    post = rig.post()
    rig.client.route = twitter((200, TWEET), OEMBED_OK)
    rig.capturer.capture(post)
    # The data gives part of the words held (a source that says less this time): no edit.
    rig.client.route = twitter((200, {**TWEET, "text": "The bridge reopens"}), OEMBED_OK)
    same = rig.capturer.capture(post, recheck=True)
    assert (same.status, same.captures) == ("live", 0) and "edited" not in (same.reason or "")
    # Other words: edited since, captured again, and held.
    rig.client.route = twitter((200, {**TWEET, "text": "The bridge stays closed."}), OEMBED_OK)
    edited = rig.capturer.capture(post, recheck=True)
    assert (edited.status, edited.captures) == ("live", 1) and "(edited since?)" in (edited.reason or "")
    assert rig.detail(post.key).text == "The bridge stays closed."


def test_syndication_s_data_of_another_tweet_says_nothing_of_this_one(rig: Rig) -> None:
    post = rig.post()
    rig.client.route = twitter((200, TWEET), OEMBED_OK)
    rig.capturer.capture(post)
    other = {**TWEET, "id_str": "1790000000000000999", "text": "Someone else's words."}
    rig.client.route = twitter((200, other), OEMBED_OK)
    again = rig.capturer.capture(post, recheck=True)
    assert "edited" not in (again.reason or "")
    assert rig.detail(post.key).text == "The bridge reopens today."  # nothing of the other post is held


def test_the_wayback_copy_is_fetched_once(rig: Rig) -> None:
    post = rig.post()
    rig.client.route = twitter(GONE, GONE, SNAPSHOT_FOUND)
    first = rig.capturer.capture(post)
    assert (first.status, first.captures, first.source) == ("deleted", 2, "wayback")
    assert rig.renderer.rendered == [EMBED, STATUS_URL, SNAPSHOT]
    asked = len(rig.client.asked)

    second = rig.capturer.capture(post)
    assert (second.status, second.captures, second.source) == ("deleted", 1, "live")
    assert rig.renderer.rendered == [EMBED, STATUS_URL, SNAPSHOT, EMBED, STATUS_URL]  # no second copy
    assert not [u for u in rig.client.asked[asked:] if "archive.org" in u]  # not even looked up
    sources = [(c.source, c.status) for c in rig.detail(post.key).captures]
    assert sorted(sources) == [("live", "deleted"), ("live", "deleted"), ("wayback", "recovered")]


def test_offline_is_carried_forward_without_a_render(rig: Rig) -> None:
    post = rig.post()
    rig.client.route = lambda url: OFFLINE
    out = rig.capturer.capture(post)
    assert (out.status, out.network_failed, out.captures, out.source) == ("unavailable", True, 0, None)
    assert out.reason is not None and out.reason.startswith("network failure")
    assert rig.renderer.rendered == []
    assert not [u for u in rig.client.asked if "archive.org" in u]
    assert [h.status for h in rig.detail(post.key).history] == ["unavailable"]


def test_a_login_wall_alone_is_never_deleted(rig: Rig) -> None:
    post = rig.post()
    # Syndication says nothing ({}: a wrong token gives the same), oEmbed refuses: no two signals
    # agree, and without a usable answer from syndication the wall decides nothing either.
    rig.client.route = twitter((200, {}), (403, ""))
    out = rig.capturer.capture(post)
    assert out.status == "unavailable"
    assert out.reason == ("syndication gave no usable answer (it answered {}): not enough alone: oEmbed HTTP 403; "
                          "the post page showed a login wall")
    assert rig.renderer.rendered[:2] == [EMBED, STATUS_URL]


def test_two_signals_make_deleted_even_without_a_login_wall(tmp_path: Path) -> None:
    r = Rig(tmp_path, {EMBED: FakePage(text="This post is unavailable."), STATUS_URL: FakePage(text="Nothing here")})
    try:
        post = r.post()
        r.client.route = twitter(GONE, GONE)
        out = r.capturer.capture(post)
        assert (out.status, out.reason) == ("deleted", "syndication HTTP 404 and oEmbed HTTP 404 agree")
    finally:
        r.close()


def test_an_unidentified_post_is_not_fetched(rig: Rig) -> None:
    post = rig.post(post_id=None, url=None, handle="alice", text="A flattened tweet https://t.co/abc")
    out = rig.capturer.capture(post, offline=True)
    assert (out.status, out.network_failed) == ("unavailable", True)
    assert rig.client.asked == [] and rig.renderer.rendered == []


def _flattened(rig: Rig, *links: str, words: str = "A flattened tweet") -> Post:
    """A tweet known by its short links alone, held (`pending`: found, never checked)."""
    return rig.post(post_id=None, url=None, handle="alice", text=" ".join([words, *links]), media=list(links))


def refused(url: str) -> NetworkError:
    """What the transport raises for a connection refused before any answer (a proxy that is down)."""
    return NetworkError(f"GET {url}: could not connect ([Errno 111] Connection refused)")


def test_a_recheck_whose_short_links_no_server_answered_is_not_checked(rig: Rig) -> None:
    # Every hop refused before any answer (a proxy down): where the link leads is not known, so
    # nothing was learnt of the post. It is no dead end: not checked, and no observation recorded.
    post = _flattened(rig, "pic.twitter.com/abc")
    rig.client.route = refused
    out = rig.capturer.capture(post, recheck=True)
    assert (out.status, out.checked, out.answered, out.network_failed) == ("unavailable", False, False, False), out
    assert out.reason == ("status ID unknown: no server answered its short links: https://pic.twitter.com/abc: "
                          "could not connect ([Errno 111] Connection refused)")
    assert out.failures() == [f"{post.key}: not checked: {out.reason}"]
    assert [h.status for h in rig.detail(post.key).history] == ["unavailable"]  # new: held as offline ones are
    # Held now: the same again keeps its status and adds nothing to its history.
    again = rig.capturer.capture(post, recheck=True)
    assert (again.status, again.checked) == ("unavailable", False)
    assert [h.status for h in rig.detail(post.key).history] == ["unavailable"]


def test_a_short_link_that_answered_no_post_is_a_dead_end_but_one_unanswered_beside_it_is_not(rig: Rig) -> None:
    # A 404 is the link's server's answer: the link leads nowhere, which the check learnt.
    post = _flattened(rig, "pic.twitter.com/abc")
    rig.client.route = lambda url: (404, "not found")
    out = rig.capturer.capture(post, recheck=True)
    assert (out.status, out.checked) == ("unknown", True), out
    assert out.reason == "status ID unknown: pic.twitter.com/abc: could not be followed (https://pic.twitter.com/abc: HTTP 404)"
    # Beside it, a second link whose server did not answer may still lead to the post: not checked,
    # though a server answered (so the run does not count it among checks that met no answer).
    other = _flattened(rig, "pic.twitter.com/abc", "https://t.co/xyz", words="Another flattened tweet")
    rig.client.route = lambda url: refused(url) if "t.co" in url else (404, "not found")
    out = rig.capturer.capture(other, recheck=True)
    assert (out.status, out.checked, out.answered) == ("unavailable", False, True), out
    assert out.reason == ("status ID unknown: no server answered its short links: https://t.co/xyz: "
                          "could not connect ([Errno 111] Connection refused)")


CUT = ("capture stopped at its 5 s deadline while settling (the page did not answer); kept what was complete "
       "(raise --capture-deadline to wait longer)")


def _busy(pages: dict[str, FakePage], *urls: str) -> dict[str, FakePage]:
    """`pages` with those at `urls` cut short: they stopped answering (a busy loop)."""
    return {url: (FakePage(text=page.text, elements=page.elements, login_wall=page.login_wall, cut_short=CUT)
                  if url in urls else page) for url, page in pages.items()}


PAGES = {EMBED: FakePage(text="Alice: The bridge reopens today.", elements={"article": ["The bridge reopens today."]}),
         STATUS_URL: FakePage(text="Log in  Sign up", login_wall=True),
         SNAPSHOT: FakePage(title="Alice on X", text="Old words")}


def test_an_embed_cut_short_with_nothing_else_to_show_the_post_fails_it(tmp_path: Path) -> None:
    r = Rig(tmp_path, _busy(PAGES, EMBED))
    try:
        post = r.post()
        r.client.route = twitter(GONE, GONE)  # no data, and no Wayback copy
        out = r.capturer.capture(post)
        assert out.status == "deleted" and out.error == f"the embed page {EMBED} stopped answering: {CUT}", out
        assert out.failures() == [f"{post.key}: {out.error}"]
        assert [c.error for c in r.detail(post.key).captures] == [out.error]  # the capture says it, too
    finally:
        r.close()


def test_an_embed_cut_short_beside_the_post_s_data_or_a_recovered_copy_is_named_not_failed(tmp_path: Path) -> None:
    r = Rig(tmp_path, _busy(PAGES, EMBED))
    try:
        post = r.post()
        r.client.route = twitter((200, TWEET), OEMBED_OK)  # the post's data came
        out = r.capturer.capture(post)
        cut = f"the embed page {EMBED} stopped answering: {CUT}"
        assert (out.status, out.error, out.page_failures) == ("live", None, [cut]), out
        assert out.failures() == [f"{post.key}: {cut}"]
        assert [c.error for c in r.detail(post.key).captures] == [cut]
        gone = r.post(post_id="1790000000000000002", url="https://x.com/alice/status/1790000000000000002")
        r.renderer.pages[f"https://platform.twitter.com/embed/Tweet.html?id={gone.post_id}"] = FakePage(cut_short=CUT)
        r.renderer.pages[gone.url] = FakePage(text="Log in", login_wall=True)
        copy = f"https://web.archive.org/web/20240305000000/{gone.url}"
        r.renderer.pages[copy] = FakePage(title="Alice on X", text="Old words")
        r.client.route = twitter(GONE, GONE, (200, {"archived_snapshots": {"closest": {
            "available": True, "status": "200", "timestamp": "20240305000000", "url": copy}}}))
        out = r.capturer.capture(gone)  # no data, but a Wayback copy recovered the post
        assert (out.status, out.source, out.error) == ("deleted", "wayback", None), out
        assert len(out.page_failures) == 1 and "stopped answering" in out.page_failures[0], out
    finally:
        r.close()


def test_a_page_beside_the_embed_cut_short_is_named_but_does_not_fail_the_post(tmp_path: Path) -> None:
    # x.com's page, asked for beside a good embed (the tweet's data did not come back), hung.
    r = Rig(tmp_path, _busy(PAGES, STATUS_URL))
    try:
        post = r.post()
        r.client.route = twitter(GONE, GONE, SNAPSHOT_FOUND)
        out = r.capturer.capture(post)
        cut = f"the x page {STATUS_URL} stopped answering: {CUT}"
        assert (out.status, out.error, out.page_failures) == ("deleted", None, [cut]), out
        assert out.failures() == [f"{post.key}: {cut}"]
        assert [c.error for c in r.detail(post.key).captures if c.source == "live"] == [None]  # the embed is whole
    finally:
        r.close()


def test_a_wayback_copy_that_stopped_answering_recovered_nothing(tmp_path: Path) -> None:
    r = Rig(tmp_path, _busy(PAGES, SNAPSHOT))
    try:
        post = r.post()
        r.client.route = twitter(GONE, GONE, SNAPSHOT_FOUND)
        out = r.capturer.capture(post)
        assert (out.status, out.source, out.error) == ("deleted", "live", None), out
        (copy,) = [c for c in r.detail(post.key).captures if c.source == "wayback"]
        assert (copy.status, copy.error) == ("error", f"the wayback page {SNAPSHOT} stopped answering: {CUT}")
    finally:
        r.close()


def test_a_lone_oembed_404_is_unavailable_not_deleted(tmp_path: Path) -> None:
    vid = "kX3f9TqLm2A"
    r = Rig(tmp_path, {f"https://www.youtube.com/embed/{vid}": FakePage(text="Video unavailable")})
    try:
        post = r.post(platform="youtube", post_id=vid, url=f"https://www.youtube.com/watch?v={vid}", handle=None)
        r.client.route = lambda url: GONE
        out = r.capturer.capture(post)
        # 404s from oEmbed and the watch page, without YouTube's words: not enough for "deleted".
        assert (out.status, out.reason, out.captures) == (
            "unavailable", "oEmbed answered 404: no such video, or one that was removed; the video page answered HTTP 404", 1)
        assert r.renderer.rendered == [f"https://www.youtube.com/embed/{vid}"]
        watch, embed = (f"https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D{vid}",
                        f"https%3A%2F%2Fwww.youtube.com%2Fembed%2F{vid}")
        assert r.client.asked == [
            f"https://www.youtube.com/oembed?format=json&url={watch}", f"https://www.youtube.com/watch?v={vid}",
            # Not live: the Wayback Machine is asked for the watch page and the embed player (nothing found).
            f"https://archive.org/wayback/available?url={watch}", f"https://archive.org/wayback/available?url={embed}",
            f"https://web.archive.org/cdx/search/cdx?url={watch}&output=json&filter=statuscode:200&limit=-5",
            f"https://web.archive.org/cdx/search/cdx?url={embed}&output=json&filter=statuscode:200&limit=-5"]
    finally:
        r.close()


def test_a_status_change_whose_capture_a_killed_run_never_made_is_captured_at_the_next_check(tmp_path: Path) -> None:
    # A run killed between the observation of a change and the capture of it (kill -9, a second
    # Ctrl-C) left the new status with no capture of the post so: the next check that finds the
    # same status makes that capture, instead of taking the post as unchanged.
    vid = "kX3f9TqLm2A"
    embed = f"https://www.youtube.com/embed/{vid}"
    r = Rig(tmp_path, {embed: FakePage(text="Video unavailable")})
    try:
        post = r.post(platform="youtube", post_id=vid, url=f"https://www.youtube.com/watch?v={vid}", handle=None)
        r.client.route = lambda url: (200, {"title": "Flood", "author_name": "Weather", "html": "<iframe></iframe>"}) \
            if "/oembed" in url else (200, "<html><title>Flood - YouTube</title></html>")
        assert r.capturer.capture(post).status == "live"
        r.index.observe(post.key, "unavailable", detail="oEmbed answered 404")  # the killed run's last write
        r.client.route = lambda url: GONE
        again = r.capturer.capture(post, recheck=True)
        assert (again.status, again.captures) == ("unavailable", 1), again
        assert sorted(c.status for c in r.detail(post.key).captures if c.source == "live") == ["live", "unavailable"]
        third = r.capturer.capture(post, recheck=True)  # now held as it is: nothing rendered again
        assert (third.status, third.captures) == ("unavailable", 0), third
    finally:
        r.close()


# -- an outage of the answer that decides: nothing learnt, whatever else answered -------------------


def _probe(platform: str, post: Post, route: Callable[[str], Answer]) -> Any:
    from archiver.capture.oembed import check_for

    check, _ = check_for(platform)
    return check.probe(post, FakeClient(route))


def test_a_bluesky_thread_that_failed_is_no_word_on_the_post_though_its_handle_resolved() -> None:
    post = Post(platform="bluesky", kind="linked", source="s", evidence="e", post_id="3kmgone1riv9z",
                url="https://bsky.app/profile/rivertondesk.bsky.social/post/3kmgone1riv9z", handle="rivertondesk.bsky.social")

    def route(url: str) -> Answer:
        if "resolveHandle" in url:
            return 200, {"did": "did:plc:riverton"}
        return (503, {"error": "InternalServerError"}) if "getPostThread" in url else (404, "nope")

    probe = _probe("bluesky", post, route)
    assert probe.status == "unavailable" and probe.unusable, probe
    assert not _probe("bluesky", post, lambda url: (200, {"did": "did:plc:riverton"}) if "resolveHandle" in url
                      else (400, {"error": "InvalidRequest", "message": "bad"})).unusable


def test_a_video_whose_oembed_failed_and_whose_page_said_nothing_is_not_checked() -> None:
    post = Post(platform="tiktok", kind="linked", source="s", evidence="e", post_id="7350000000000000001",
                url="https://www.tiktok.com/@harbourcam/video/7350000000000000001", handle="harbourcam")
    probe = _probe("tiktok", post, lambda url: (503, "busy") if "oembed" in url else (200, "<html><body><main>"
                                                                                         "a player</main></body></html>"))
    assert probe.status == "unavailable" and probe.unusable, probe


def test_a_player_page_that_failed_does_not_speak_for_vimeo() -> None:
    post = Post(platform="vimeo", kind="linked", source="s", evidence="e", post_id="100000001",
                url="https://vimeo.com/100000001")

    def route(url: str) -> Answer:
        if "oembed" in url:
            return 200, {"type": "video", "title": "Levee at dusk", "author_name": "Harbour"}
        return 503, "<html><body><h1>Service Unavailable</h1></body></html>"

    probe = _probe("vimeo", post, route)
    assert (probe.status, probe.reason) == ("live", "oEmbed answered 200"), probe


def test_a_player_page_vimeo_did_not_write_is_no_word_of_vimeo_s() -> None:
    post = Post(platform="vimeo", kind="linked", source="s", evidence="e", post_id="100000001",
                url="https://vimeo.com/100000001")
    for page in ("{}", "<html><body><main>Tide tables explained</main><footer>Vimeo · Terms · Privacy</footer>"
                       "</body></html>"):
        probe = _probe("vimeo", post, lambda url, page=page: (503, "busy") if "oembed" in url else (200, page))
        # Nothing settled it: no reason made of a page's stray text, no status read off it.
        assert "Tide tables" not in (probe.reason or "") and probe.reason != "{}", probe
    said = _probe("vimeo", post, lambda url: (503, "busy") if "oembed" in url else (
        200, '<html><body><div class="exception-message">Sorry, because of its privacy settings, this video cannot be '
             'played here.</div></body></html>'))
    assert "privacy settings" in (said.reason or ""), said


def test_an_embed_page_whose_words_settled_it_leaves_nothing_to_the_render() -> None:
    from archiver.capture.oembed import check_for

    check, _ = check_for("instagram")
    post = Post(platform="instagram", kind="embedded", source="s", evidence="e", post_id="CGoneIG0001",
                url="https://www.instagram.com/p/CGoneIG0001/")
    worded = check.probe(post, FakeClient(lambda url: (404, "<html><body><h2>Sorry, this page isn't available."
                                                             "</h2></body></html>")))
    silent = check.probe(post, FakeClient(lambda url: (404, "<html><body></body></html>")))
    assert worded.status == silent.status == "unavailable", (worded, silent)
    assert check.render_decides is not None
    assert (check.render_decides(worded), check.render_decides(silent)) == (False, True)


def test_a_held_post_whose_deciding_answer_was_an_outage_is_not_checked(rig: Rig) -> None:
    # Bluesky: the handle resolves (a usable answer), the thread fails (503): nothing was learnt of
    # the post, which keeps the status it had.
    url = "https://bsky.app/profile/rivertondesk.bsky.social/post/3kmgone1riv9z"
    post = rig.post("bluesky", "3kmgone1riv9z", url, "rivertondesk.bsky.social")
    rig.index.observe(post.key, "deleted", detail="getPostThread answered NotFound")

    def route(url: str) -> Answer:
        if "resolveHandle" in url:
            return 200, {"did": "did:plc:riverton"}
        return (503, {"error": "InternalServerError"}) if "getPostThread" in url else (404, "nope")

    rig.client.route = route
    again = rig.capturer.capture(post, recheck=True)
    assert (again.status, again.checked, again.captures) == ("deleted", False, 0), again
    assert again.reason is not None and again.reason.startswith("no usable answer: getPostThread answered"), again
    assert rig.renderer.rendered == []
    assert [h.status for h in rig.detail(post.key).history] == ["deleted"]


def test_an_answer_about_another_post_is_no_word_on_this_one() -> None:
    """A cache or a proxy that mixes answers up: the data names another post than the one asked
    about. Nothing is learnt (a held post is not checked), and nothing of it is stored."""
    masto = Post(platform="mastodon", kind="linked", source="s", evidence="e",
                 post_id="mastodon.social/112036911513600000",
                 url="https://mastodon.social/@alice/112036911513600000", handle="alice@mastodon.social")
    other_toot = {"id": "112036911513600999", "content": "<p>Someone else</p>", "created_at": "2024-03-09T10:00:00.000Z",
                  "account": {"acct": "someoneelse", "display_name": "Someone", "url": "https://mastodon.social/@someoneelse"}}
    reddit = Post(platform="reddit", kind="linked", source="s", evidence="e", post_id="1b6riv1",
                  url="https://www.reddit.com/comments/1b6riv1/")
    listing = [{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {
        "id": "1b6gone", "name": "t3_1b6gone", "title": "Other", "removed_by_category": "moderator"}}]}}]
    bsky = Post(platform="bluesky", kind="linked", source="s", evidence="e", post_id="3kmlive2riv1a",
                url="https://bsky.app/profile/rivertondesk.bsky.social/post/3kmlive2riv1a", handle="rivertondesk.bsky.social")
    thread = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": {
        "uri": "at://did:plc:riverton/app.bsky.feed.post/3kmother9zz9z", "record": {"text": "Other words"},
        "author": {"did": "did:plc:riverton", "handle": "rivertondesk.bsky.social"}}}}
    cases = [("mastodon", masto, lambda url: (200, other_toot) if "/api/v1/statuses/" in url else (404, "")),
             ("reddit", reddit, lambda url: (200, listing)),
             ("bluesky", bsky, lambda url: (200, {"did": "did:plc:riverton"}) if "resolveHandle" in url
              else (200, thread) if "getPostThread" in url else (404, ""))]
    for platform, post, route in cases:
        probe = _probe(platform, post, route)
        assert probe.status == "unavailable" and probe.unusable and not probe.fields, (platform, probe)
        assert "another" in (probe.reason or ""), (platform, probe.reason)


def test_a_reason_says_when_the_answer_came_from_a_sign_in_page_or_was_no_json() -> None:
    from archiver.platforms.capture import Answer

    led = Answer("https://mastodon.social/api/v1/statuses/1", 200, None, "<html>",
                 final_url="https://mastodon.social/auth/sign_in")
    assert led.how() == " (after a redirect to https://mastodon.social/auth/sign_in, its body not JSON)"
    assert Answer("https://x.example/a", 200, {"ok": 1}, final_url="https://x.example/a").how() == ""
    masto = Post(platform="mastodon", kind="linked", source="s", evidence="e",
                 post_id="mastodon.social/112036911513600000", url="https://mastodon.social/@alice/112036911513600000")
    probe = _probe("mastodon", masto, lambda url: (200, "<html>sign in</html>"))
    assert "its body not JSON" in (probe.reason or ""), probe
