"""Where the raw page hides text from its readers (script, style, template, textarea, noscript),
found in one pass: the same answer, at every position, as asking "is the last opening tag before
it still open?" there."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.detect.blocks import _UNSEEN_RAW, _Unseen

PIECES = [f"<{t}>" for t in _UNSEEN_RAW] + [f"</{t}>" for t in _UNSEEN_RAW] + ["(@a)", "text", "<p>", "</p>", "<"]


def last_opening_still_open(html: str, at: int) -> bool:
    for tag in _UNSEEN_RAW:
        opened = html.rfind("<" + tag, 0, at)
        if opened >= 0 and opened > html.rfind("</" + tag, 0, at):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_one_pass_agrees_with_asking_at_each_position(pieces: list[str]) -> None:
    html = "".join(pieces)
    unseen = _Unseen(html)
    assert [unseen.holds(at) for at in range(len(html) + 1)] == [
        last_opening_still_open(html, at) for at in range(len(html) + 1)]


def test_a_hint_in_a_script_or_after_it() -> None:
    html = "<p>a</p><script>var s = '(@x';</script><p>(@y) said</p><textarea>(@z"
    unseen = _Unseen(html)
    assert unseen.holds(html.index("(@x")) and not unseen.holds(html.index("(@y")) and unseen.holds(html.index("(@z"))
