"""The readers the video and embed-page platforms share: largest image, the platform's words, status."""

from __future__ import annotations

import json

import pytest

from archiver.capture.embedpage import Fetched, PostData, largest_candidate, page_status, words_status
from archiver.platforms.telegram.check import parse_embed as telegram_page
from archiver.platforms.youtube.check import WORDS as YOUTUBE_WORDS
from archiver.platforms.youtube.check import read_watch_page


@pytest.mark.parametrize(("srcset", "src", "expected"), [
    ("a.jpg 320w, b.jpg 1080w, c.jpg 640w", "a.jpg", "b.jpg"),
    ("a.jpg 1x, b.jpg 2x", None, "b.jpg"),
    ("a.jpg, b.jpg 2x", None, "b.jpg"),
    ("", "only.jpg", "only.jpg"),
    (None, None, None),
    ("https://cdn/x.jpg?a=1&amp;b=2 640w", None, "https://cdn/x.jpg?a=1&b=2"),
])
def test_largest_candidate(srcset: str | None, src: str | None, expected: str | None) -> None:
    assert largest_candidate(srcset, src) == expected


def test_a_bot_wall_is_never_a_statement_about_the_post() -> None:
    said = "Sign in to confirm you’re not a bot. This video is private."
    assert words_status(said, YOUTUBE_WORDS) == ("unavailable", "Sign in to confirm you’re not a bot.")


def test_the_first_matching_words_decide_and_their_sentence_is_the_reason() -> None:
    said = "Video unavailable. This video has been removed by the uploader. Learn more"
    assert words_status(said, YOUTUBE_WORDS) == ("deleted", "This video has been removed by the uploader.")
    assert words_status("Nothing to see", YOUTUBE_WORDS) is None


@pytest.mark.parametrize(("fetched", "expected"), [
    (Fetched("u", 302, "", "https://www.linkedin.com/authwall?x=1"), "login_required"),
    (Fetched("u", 404, "<p>gone</p>", "u"), "unavailable"),
    (Fetched("u", 200, "<p>Post not found</p>", "u"), "deleted"),
    (Fetched("u", None, error="GET u: timed out", network_failed=True), "unavailable"),
    (Fetched("u", None, error="refused", refused=True), "unknown"),
    (Fetched("u", 200, "<p>hello</p>", "u"), "unknown"),
])
def test_page_status(fetched: Fetched, expected: str) -> None:
    status, _, settled = page_status(fetched, None, (("post not found", "deleted"),), ("/authwall",), "the embed page")
    assert status == expected
    # Settled by the page itself (a login page, the platform's words), or left to the render.
    assert settled == (expected in ("login_required", "deleted"))


def test_a_page_showing_the_post_is_live() -> None:
    shown = PostData(text="hello")
    assert page_status(Fetched("u", 200, "x", "u"), shown, (), (), "the embed page")[0] == "live"
    assert not PostData(handle="h", posted_at="2024-01-01").recovered


def test_youtube_error_screen_words_are_joined() -> None:
    player = {"playabilityStatus": {"status": "ERROR", "errorScreen": {"playerErrorMessageRenderer": {
        "reason": {"simpleText": "Video unavailable"}, "subreason": {"runs": [{"text": "This video is "},
                                                                             {"text": "private."}]}}}}}
    page = f"<script>var ytInitialPlayerResponse = {json.dumps(player)};var x = 1;</script>"
    assert read_watch_page(page) == (None, "Video unavailable. This video is private")


def test_youtube_private_wording_of_today_is_protected_and_a_stream_to_come_is_there() -> None:
    from archiver.platforms.youtube.check import WORDS

    player = {"playabilityStatus": {"status": "LOGIN_REQUIRED", "errorScreen": {"playerErrorMessageRenderer": {
        "reason": {"simpleText": "Private video"},
        "subreason": {"simpleText": "Sign in if you've been granted access to this video"}}}}}
    page = f"<script>var ytInitialPlayerResponse = {json.dumps(player)};var x = 1;</script>"
    data, said = read_watch_page(page)
    assert said is not None and words_status(said, WORDS) == ("protected", "Private video."), said
    # A premiere or stream still to come: nothing to play yet, but the video is there with its details.
    upcoming = {"playabilityStatus": {"status": "LIVE_STREAM_OFFLINE", "reason": "This live event will begin in 3 hours."},
                "videoDetails": {"videoId": "yUpcoming01", "title": "Harbour regatta, live", "author": "Harbour TV",
                                 "thumbnail": {"thumbnails": [{"url": "https://i.ytimg.com/vi/x/hq.jpg",
                                                               "width": 480, "height": 360}]}}}
    page = f"<script>var ytInitialPlayerResponse = {json.dumps(upcoming)};var x = 1;</script>"
    data, said = read_watch_page(page)
    assert said is None and data is not None and data.text == "Harbour regatta, live", (data, said)


def test_telegram_error_page_shows_no_post() -> None:
    assert telegram_page('<div class="tgme_widget_message_error">Post not found</div>') is None


def test_a_heading_without_a_full_stop_is_a_sentence_of_its_own() -> None:
    # Instagram's private account: a heading-like paragraph, then what to do; the reason is the first.
    from archiver.capture.embedpage import visible_text
    from archiver.platforms.instagram.check import WORDS

    page = ('<div class="EmbedIsPrivate"><p>This Account is Private</p>'
            "<p>Follow to see their photos and videos.</p></div>")
    assert visible_text(page) == "This Account is Private Follow to see their photos and videos."
    assert words_status(visible_text(page, blocks=True), WORDS) == ("protected", "This Account is Private")
    gone = Fetched("https://www.instagram.com/p/CPrivIG0001/embed/captioned/", 200, page)
    assert page_status(gone, None, WORDS, (), "the embed page") == ("protected", "This Account is Private", True)
    # Sentences of one paragraph still end at their full stop.
    assert words_status("Oops. This Account is Private. Follow them.", WORDS) == ("protected", "This Account is Private.")
