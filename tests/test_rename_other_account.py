"""An answer for a held post whose author is another account than the one that wrote it (the
platform's `same_account` hook says no: another DID, another account ID) is no word on the held
post, as an answer about another post is not: the held post keeps its handle, words, data and
status, nothing of the answer is stored (no former handle either), nothing is rendered, and the
post is not checked, the reason saying why. So whether a re-check finds new words or a status
changed, and whether the post is captured again through an article (`archive --recapture`).

No Chromium: the rig of test_rename_same_account.py (a FakeRenderer behind the real `Browser`, the
real SQLite index and WarcStore, the platforms' answers from a table).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from archiver.index.filters import Filters
from tests.test_postcapture_decisions import GONE, OEMBED_OK, TWEET, Answer, Rig, twitter
from tests.test_rename_same_account import CASES, TRUTH, Case, _held, _renamed, _row, make_rig

OTHER = {"bluesky": "did:plc:newcomer"}


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = make_rig(tmp_path)
    yield r
    r.close()


def _other(name: str) -> str:
    """The account ID (Bluesky: DID) of another account than the held author's."""
    return OTHER.get(name, "999")


def _unchanged(rig: Rig, case: Case, key: str, history: list[str]) -> None:
    """The held post as it was: its handle, no former handle, its words, its data's author, its
    observations and its one capture."""
    d = rig.detail(key)
    assert (d.handle, d.former_handles) == (case.handle, []), d
    assert d.text == "The bridge reopens today.", d
    assert [h.status for h in d.history] == history, d.history
    assert len(d.captures) == 1, d.captures
    row = rig.index.get_post(key)
    assert row is not None
    data = row.data or {}
    author = (data.get("author") or data.get("account") or data.get("user") or {})
    assert str(author.get("did") or author.get("id") or author.get("id_str")) == case.account, data


def _not_checked(outcome: object, rig: Rig, rendered: int) -> None:
    """Not checked, the held status kept, nothing captured or rendered, and the reason says why."""
    assert (outcome.status, outcome.checked, outcome.captures) == ("live", False, 0), outcome  # type: ignore[attr-defined]
    reason = outcome.reason or ""  # type: ignore[attr-defined]
    assert reason.startswith("no usable answer: ") and "about another account's post" in reason, outcome
    assert "handle is now" not in reason, outcome
    assert f": not checked: {reason}" in (outcome.failure() or ""), outcome  # type: ignore[attr-defined]
    assert len(rig.renderer.rendered) == rendered, rig.renderer.rendered


@pytest.mark.parametrize("name", ["twitter", "mastodon", "truthsocial", "bluesky"])
def test_another_account_answering_a_recapture_leaves_the_held_post_as_it_was(rig: Rig, name: str) -> None:
    """`archive ARTICLE --recapture`: the platform answers for the held post with another account
    under another handle. The held post is not rewritten as that account's (it was: its handle,
    words and data stored, the held handle filed as a former one, so `lookup --handle OLD` showed
    the other account's post)."""
    case = CASES[name]
    post = _held(rig, case)
    rendered = len(rig.renderer.rendered)
    rig.client.route = case.answer(_other(name), _renamed(case))
    again = rig.capturer.capture(post)
    _not_checked(again, rig, rendered)
    _unchanged(rig, case, post.key, ["live"])
    new = _renamed(case) + ("@mastodon.social" if name == "mastodon" else "")
    assert rig.index.lookup(Filters(handle=new)) == []


@pytest.mark.parametrize("name", ["twitter", "mastodon", "truthsocial", "bluesky"])
def test_another_account_under_the_held_handle_is_no_word_on_the_held_post(rig: Rig, name: str) -> None:
    """A new account that took the held handle answers for the post: the handle is the same, the
    account is not. Its answer is not stored as the held post's."""
    case = CASES[name]
    post = _held(rig, case)
    rendered = len(rig.renderer.rendered)
    rig.client.route = case.answer(_other(name), case.handle.split("@")[0] if name == "mastodon" else case.handle)
    again = rig.capturer.capture(_row(rig, post), recheck=True)
    _not_checked(again, rig, rendered)
    _unchanged(rig, case, post.key, ["live"])


def _truth_other_words(account: str) -> Callable[[str], Answer]:
    host = "truthsocial.com"
    status = {"id": TRUTH, "content": "<p>Someone else's words entirely.</p>", "created_at": "2024-05-06T10:00:00.000Z",
              "url": f"https://{host}/@newcomer/{TRUTH}",
              "account": {"id": account, "acct": "newcomer", "username": "newcomer", "display_name": "Newcomer",
                          "url": f"https://{host}/@newcomer"}}
    return lambda url: (200, status) if url == f"https://{host}/api/v1/statuses/{TRUTH}" else (404, "")


def test_a_re_check_whose_words_changed_under_another_account_stores_nothing(rig: Rig) -> None:
    """A re-check finds other words, by another account ("999"): no edit of the held post, no
    rename; nothing stored, nothing captured, not checked."""
    case = CASES["truthsocial"]
    post = _held(rig, case)
    rendered = len(rig.renderer.rendered)
    rig.client.route = _truth_other_words("999")
    again = rig.capturer.capture(_row(rig, post), recheck=True)
    _not_checked(again, rig, rendered)
    assert "edited" not in (again.reason or ""), again
    _unchanged(rig, case, post.key, ["live"])


def test_a_re_check_whose_words_changed_under_the_same_account_is_an_edit(rig: Rig) -> None:
    """The same answer from the held account ("7") is the held post edited: its words stored and
    captured again (the check above refuses another account's answer only)."""
    case = CASES["truthsocial"]
    post = _held(rig, case)
    rig.client.route = _truth_other_words(case.account)
    again = rig.capturer.capture(_row(rig, post), recheck=True)
    assert (again.status, again.checked, again.captures) == ("live", True, 1), again
    assert "edited since?" in (again.reason or "") and "handle is now newcomer (was alice)" in (again.reason or ""), again
    assert rig.detail(post.key).text == "Someone else's words entirely."


def test_a_re_check_whose_status_changed_under_another_account_keeps_the_held_status(rig: Rig) -> None:
    """Twitter answers for the held tweet with another user's data and its oEmbed gone: whatever
    status that answer would give, it is not the held post's: it stays `live`, not checked."""
    case = CASES["twitter"]
    post = _held(rig, case)
    rendered = len(rig.renderer.rendered)
    tweet = {**TWEET, "text": "Another user's tweet.", "user": {"id_str": "999", "screen_name": "newcomer", "name": "N"}}
    rig.client.route = twitter((200, tweet), GONE)
    again = rig.capturer.capture(_row(rig, post), recheck=True)
    _not_checked(again, rig, rendered)
    _unchanged(rig, case, post.key, ["live"])


def test_the_oembed_answer_without_an_account_id_still_tells_a_rename(rig: Rig) -> None:
    """An answer that names no account ID (the post's ID vouches for the account) is no other
    account's: a new handle is a rename, as before."""
    case = CASES["twitter"]
    post = _held(rig, case)
    rig.client.route = twitter((200, {**TWEET, "user": {"screen_name": "alice_news", "name": "Alice"}}), OEMBED_OK)
    again = rig.capturer.capture(_row(rig, post), recheck=True)
    assert again.checked and "its author's handle is now alice_news (was alice)" in (again.reason or ""), again
