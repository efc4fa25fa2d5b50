"""Pure rules shared across the pipeline: keys and the best capture of a post."""

from __future__ import annotations

from dataclasses import asdict

from archiver.index.rows import CaptureDetail
from archiver.models import POST_FIELDS, Post, best_capture, distinct_captures, hash_key


def _capture(source: str, status: str, captured_at: str, url: str, error: str | None = None) -> CaptureDetail:
    return CaptureDetail(captured_at=captured_at, source=source, screenshot=None, status=status, warc=None, url=url,
                         error=error)


LIVE_OLD = _capture("live", "live", "2024-01-01T00:00:00.000Z", "a")
LIVE_NEW = _capture("live", "deleted", "2024-02-01T00:00:00.000Z", "b")
WAYBACK = _capture("wayback", "recovered", "2024-02-01T00:00:01.000Z", "c")
WAYBACK_FAILED = _capture("wayback", "error", "2024-03-01T00:00:00.000Z", "d", error="HTTP 503")


def test_best_capture_of_a_live_post_is_its_newest_live_capture() -> None:
    assert best_capture([LIVE_NEW, WAYBACK, LIVE_OLD], "live") == LIVE_NEW


def test_best_capture_of_a_gone_post_is_the_archives_own_capture_of_it_live() -> None:
    # Seen live by this archive: its own first-hand capture beats the Wayback Machine's copy.
    assert best_capture([LIVE_OLD, LIVE_NEW, WAYBACK, WAYBACK_FAILED], "deleted") == LIVE_OLD
    newer_live = _capture("live", "live", "2024-01-15T00:00:00.000Z", "a2")
    assert best_capture([newer_live, LIVE_OLD, LIVE_NEW, WAYBACK], "deleted") == newer_live
    failed_live = _capture("live", "live", "2024-01-20T00:00:00.000Z", "a3", error="timeout")
    assert best_capture([LIVE_OLD, failed_live, LIVE_NEW], "deleted") == LIVE_OLD


def test_best_capture_of_a_post_never_seen_live_is_a_real_wayback_recovery() -> None:
    assert best_capture([LIVE_NEW, WAYBACK, WAYBACK_FAILED], "deleted") == WAYBACK
    # A Wayback attempt that failed recovers nothing: the live capture stands.
    assert best_capture([LIVE_NEW, WAYBACK_FAILED], "deleted") == LIVE_NEW
    assert best_capture([], "deleted") is None


def test_distinct_captures_are_the_best_then_the_newest_of_each_other_kind() -> None:
    older_tombstone = _capture("live", "deleted", "2024-01-20T00:00:00.000Z", "b0")
    assert distinct_captures([LIVE_OLD, older_tombstone, LIVE_NEW, WAYBACK, WAYBACK_FAILED], "deleted") == [
        LIVE_OLD, WAYBACK, LIVE_NEW]
    assert distinct_captures([LIVE_NEW, WAYBACK_FAILED], "deleted") == [LIVE_NEW]
    # The one capture there is shows the post, failed or not.
    assert distinct_captures([WAYBACK_FAILED], "deleted") == [WAYBACK_FAILED]
    assert distinct_captures([], "live") == []


def test_hash_keys_ignore_short_links_case_and_spacing_but_not_words() -> None:
    a = hash_key("twitter", "@Desk", "2024-03-04T10:00:00Z", "Water  rising pic.twitter.com/AbC")
    b = hash_key("twitter", "desk", "2024-03-04", "water rising https://t.co/xyz")
    assert a == b and a.startswith("twitter:h:")
    assert hash_key("twitter", "desk", "2024-03-04", "water falling") != a


def test_post_key_prefers_the_id() -> None:
    p = Post(platform="twitter", kind="embedded", source="s", evidence="e", post_id="20", handle="jack")
    assert p.key == "twitter:20"
    assert set(p.to_dict()) == {"key", "platform", "post_id", "url", "handle", "author", "posted_at", "text",
                                "links", "media", "kind", "source", "evidence"}


def test_post_to_dict_is_every_field_in_output_order() -> None:
    p = Post(platform="twitter", kind="linked", source="s", evidence="a[href]", post_id="20", handle="jack",
             links=["https://t.co/a"], media=["https://pbs.twimg.com/media/x.jpg"], text="hi")
    d = p.to_dict()
    assert list(d) == list(POST_FIELDS)
    assert d == {k: v for k, v in asdict(p).items() if k in POST_FIELDS}
    d["links"].append("changed")
    assert p.links == ["https://t.co/a"]  # a copy, as asdict gave
