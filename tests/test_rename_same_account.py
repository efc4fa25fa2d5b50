"""A renamed author is told by one test, the re-check's: the platform answers for the held post under
another handle than the one held, and its `same_account` hook says that author is the account that
wrote the post (Bluesky: the same DID; Twitter, Mastodon, Truth Social: the same account ID, when the
held answer has one). Another account under another handle (a new account that took a handle, an
answer mixed up with another post's) is no rename of the held author: nothing is recorded of it, no
former handle, no new capture.

No Chromium: `tests/fakerender.FakeRenderer` behind the real `Browser` facade, the real SQLite index
and a real WarcStore; the platforms' answers from a table (`FakeClient`), as in
test_postcapture_decisions.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.oembed import embed_url
from archiver.models import Post
from tests.fakerender import FakePage
from tests.test_postcapture_decisions import OEMBED_OK, PID, STATUS_URL, TWEET, Answer, Rig, twitter

TOOT = "112036911513600000"
TRUTH = "112233445566778899"
RKEY = "3kmlive2riv1a"
RIVERTON = "did:plc:riverton"


@dataclass(frozen=True)
class Case:
    """A held post of one platform, and the platform's answer about it by (account ID, handle)."""

    platform: str
    post_id: str
    url: str
    handle: str  # as held: the platform's first answer gives the same
    account: str  # the held answer's account ID (Bluesky: DID)
    answer: Callable[[str, str], Callable[[str], Answer]]  # (account ID, handle) -> the platform's routes


def _twitter(account: str, handle: str) -> Callable[[str], Answer]:
    tweet = {**TWEET, "user": {"id_str": account, "screen_name": handle, "name": "Alice"}}
    return twitter((200, tweet), OEMBED_OK)


def _status(host: str, sid: str) -> Callable[[str, str], Callable[[str], Answer]]:
    def answer(account: str, handle: str) -> Callable[[str], Answer]:
        status = {"id": sid, "content": "<p>The bridge reopens today.</p>", "created_at": "2024-03-04T10:00:00.000Z",
                  "url": f"https://{host}/@{handle}/{sid}",
                  "account": {"id": account, "acct": handle, "username": handle, "display_name": "Alice",
                              "url": f"https://{host}/@{handle}"}}
        return lambda url: (200, status) if url == f"https://{host}/api/v1/statuses/{sid}" else (404, "")
    return answer


def _bluesky(did: str, handle: str) -> Callable[[str], Answer]:
    view = {"uri": f"at://{RIVERTON}/app.bsky.feed.post/{RKEY}", "author": {"did": did, "handle": handle},
            "record": {"text": "The bridge reopens today.", "createdAt": "2024-03-04T10:00:00.000Z"}}
    thread = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": view}}

    def route(url: str) -> Answer:
        if "resolveHandle" in url:
            return 200, {"did": RIVERTON}
        return (200, thread) if "getPostThread" in url else (404, "")
    return route


CASES = {
    "twitter": Case("twitter", PID, STATUS_URL, "alice", "111", _twitter),
    "mastodon": Case("mastodon", f"mastodon.social/{TOOT}", f"https://mastodon.social/@alice/{TOOT}",
                     "alice@mastodon.social", "7", lambda a, h: _status("mastodon.social", TOOT)(a, h.split("@")[0])),
    "truthsocial": Case("truthsocial", TRUTH, f"https://truthsocial.com/@alice/{TRUTH}", "alice", "7",
                        _status("truthsocial.com", TRUTH)),
    "bluesky": Case("bluesky", RKEY, f"https://bsky.app/profile/alice.bsky.social/post/{RKEY}", "alice.bsky.social",
                    RIVERTON, _bluesky),
}


def _renamed(case: Case) -> str:
    """The handle the author takes (Mastodon's as the API's `acct` of a local account: no server)."""
    return "alice_news.bsky.social" if case.platform == "bluesky" else "alice_news"


def make_rig(tmp_path: Path) -> Rig:
    """The rig, each case's embed page rendering the post."""
    pages = {STATUS_URL: FakePage(text="Log in  Sign up", login_wall=True)}
    # (Bluesky's probe names the post by its author's DID, and its embed is rendered so.)
    for case in (*CASES.values(), Case("bluesky", RKEY, f"https://bsky.app/profile/{RIVERTON}/post/{RKEY}", "", "",
                                       _bluesky)):
        target = embed_url(case.platform, case.post_id, case.url) or case.url
        pages[target] = FakePage(text="Alice: The bridge reopens today.",
                                 elements={"article": ["The bridge reopens today."]})
    return Rig(tmp_path, pages)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = make_rig(tmp_path)
    yield r
    r.close()


def _held(rig: Rig, case: Case) -> Post:
    """The post, captured once: the archive holds the platform's answer (the author's account ID)."""
    post = rig.post(case.platform, case.post_id, case.url, case.handle)
    rig.client.route = case.answer(case.account, case.handle.split("@")[0] if case.platform == "mastodon"
                                   else case.handle)
    first = rig.capturer.capture(post)
    assert (first.status, first.captures, first.error) == ("live", 1, None), first
    assert "handle is now" not in (first.reason or ""), first
    assert rig.detail(post.key).handle == case.handle
    return post


def _row(rig: Rig, post: Post) -> Any:
    """The post as a re-check gets it: the index's row, its `data` the answer last stored."""
    row = rig.index.get_post(post.key)
    assert row is not None
    return row


@pytest.mark.parametrize("name", list(CASES))
def test_another_account_under_another_handle_is_no_rename_of_the_held_author(rig: Rig, name: str) -> None:
    """The platform answers for the held post with another account (a new account that took a handle;
    an answer mixed up with another post's) under another handle: the re-check records no rename, no
    former handle, and captures nothing (the status is what it was)."""
    case = CASES[name]
    post = _held(rig, case)
    other = "did:plc:newcomer" if name == "bluesky" else "999"
    rig.client.route = case.answer(other, _renamed(case))
    again = rig.capturer.capture(_row(rig, post), recheck=True)
    assert (again.status, again.captures) == ("live", 0), again
    assert "handle is now" not in (again.reason or ""), again
    detail = rig.detail(post.key)
    assert (detail.handle, detail.former_handles) == (case.handle, []), detail


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_account_under_another_handle_is_a_rename(rig: Rig, name: str) -> None:
    """The same account (its ID, DID) under another handle: the re-check records the new handle, the
    old one among the post's former handles, says so in one wording whatever the platform, and
    captures the post again."""
    case = CASES[name]
    post = _held(rig, case)
    rig.client.route = case.answer(case.account, _renamed(case))
    again = rig.capturer.capture(_row(rig, post), recheck=True)
    new = _renamed(case) + ("@mastodon.social" if name == "mastodon" else "")
    assert (again.status, again.captures) == ("live", 1), again
    assert (again.reason or "").endswith(f"; its author's handle is now {new} (was {case.handle}): captured again"), again
    detail = rig.detail(post.key)
    assert (detail.handle, [f.handle for f in detail.former_handles]) == (new, [case.handle]), detail


def test_an_answer_without_the_account_id_leaves_the_handle_to_decide(rig: Rig) -> None:
    """A held answer that names no account ID (stored before the ID was read, or an endpoint that
    gives none): the post's ID vouches for the account, and another handle is a rename."""
    case = CASES["twitter"]
    post = rig.post(case.platform, case.post_id, case.url, case.handle)
    rig.client.route = twitter((200, TWEET), OEMBED_OK)  # TWEET's user has no id_str
    rig.capturer.capture(post)
    rig.client.route = case.answer("222", "alice_news")
    again = rig.capturer.capture(_row(rig, post), recheck=True)
    assert "its author's handle is now alice_news (was alice)" in (again.reason or ""), again


def test_a_held_post_captured_again_through_its_article_tells_a_rename_as_a_re_check_does(rig: Rig) -> None:
    """`archive ARTICLE --recapture` of a post the archive checked before: the author's new handle is
    told as a re-check tells it, on every platform (Bluesky alone said so before), and only for the
    same account; a post new to the archive has no held author to be renamed."""
    case = CASES["mastodon"]
    post = _held(rig, case)
    rig.client.route = case.answer(case.account, "alice_news")
    again = rig.capturer.capture(post)
    assert "its author's handle is now alice_news@mastodon.social (was alice@mastodon.social)" in (again.reason or ""), \
        again
    other = CASES["truthsocial"]
    held = _held(rig, other)
    rig.client.route = other.answer("999", "alice_news")
    elsewhere = rig.capturer.capture(held)
    assert "handle is now" not in (elsewhere.reason or ""), elsewhere


def test_a_bluesky_answer_without_the_authors_did_leaves_the_handle_to_decide(rig: Rig) -> None:
    """As on every platform, an ID missing on either side is no other account: a Bluesky answer
    whose author names no DID (the held one does) lets the post's ID vouch, and another handle is a
    rename. (It was taken for another account's answer.)"""
    from archiver.platforms.bluesky.postcheck import same_account

    case = CASES["bluesky"]
    post = _held(rig, case)
    held = _row(rig, post)
    assert same_account(held, {"handle": "x", "data": {"author": {"handle": "x"}}})
    assert same_account(held, {"handle": "x"})  # no data at all
    assert same_account(held, {"data": {"author": {"did": RIVERTON}}})
    assert not same_account(held, {"data": {"author": {"did": "did:plc:newcomer"}}})

    plain = case.answer(RIVERTON, _renamed(case))

    def route(url: str) -> Answer:
        answer = plain(url)
        if "getPostThread" in url and isinstance(answer, tuple):
            thread = answer[1]["thread"]
            view = {**thread["post"], "author": {"handle": _renamed(case)}}
            return 200, {"thread": {**thread, "post": view}}
        return answer

    rig.client.route = route
    again = rig.capturer.capture(held, recheck=True)
    assert (again.status, again.checked, again.captures) == ("live", True, 1), again
    assert (again.reason or "").endswith(f"its author's handle is now {_renamed(case)} (was {case.handle}): captured again"), again
