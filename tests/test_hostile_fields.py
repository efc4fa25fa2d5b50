"""Numbers a page or an API gives are content: whatever they say, reading a post never raises."""

from __future__ import annotations

import json

import pytest

from archiver.platforms.base import iso_from_given_seconds
from archiver.platforms.facebook.check import parse_embed
from archiver.platforms.reddit.postcheck import thing_fields
from archiver.platforms.youtube.check import read_watch_page


@pytest.mark.parametrize(("given", "expected"), [
    ("1700000000", "2023-11-14T22:13:20Z"),
    (1700000000, "2023-11-14T22:13:20Z"),
    (1700000000.9, "2023-11-14T22:13:20Z"),
    (" 1700000000 ", "2023-11-14T22:13:20Z"),
    ("²", None),                # a digit to str.isdigit, not a number
    ("9" * 40, None),           # no calendar holds it
    (1e300, None),
    (float("nan"), None),
    ("-5", None),
    ("", None),
    (None, None),
    (True, None),
    ([1700000000], None),
])
def test_given_seconds_become_a_time_or_nothing(given: object, expected: str | None) -> None:
    assert iso_from_given_seconds(given) == expected


@pytest.mark.parametrize("utime", ["²", "9" * 40, "1700000000"])
def test_a_facebook_plugin_with_any_time_reads_without_raising(utime: str) -> None:
    page = f'<div class="userContent"><p>Harbour closed</p></div><abbr data-utime="{utime}">x</abbr>'
    data = parse_embed(page)
    assert data is not None and data.text == "Harbour closed"
    assert data.posted_at == ("2023-11-14T22:13:20Z" if utime == "1700000000" else None)


@pytest.mark.parametrize("created", [1e300, float("inf"), "1700000000", 1700000000])
def test_a_reddit_thing_with_any_creation_time_reads_without_raising(created: object) -> None:
    fields = thing_fields({"title": "Levee", "author": "a", "created_utc": created})
    assert fields["text"] == "Levee"
    assert fields.get("posted_at") == ("2023-11-14T22:13:20Z" if created in (1700000000, "1700000000") else None)


def test_youtube_thumbnails_with_sizes_that_are_not_numbers_are_read() -> None:
    player = {"playabilityStatus": {"status": "OK"},
              "videoDetails": {"title": "Harbour wall", "author": "Harbour Channel",
                               "thumbnail": {"thumbnails": [
                                   {"url": "https://i.ytimg.com/a.jpg", "width": "wide", "height": 90},
                                   {"url": "https://i.ytimg.com/b.jpg", "width": 480, "height": 360},
                                   {"url": "https://i.ytimg.com/c.jpg", "width": "²", "height": "9"}]}}}
    page = f"<script>var ytInitialPlayerResponse = {json.dumps(player)};</script>"
    data, _said = read_watch_page(page)
    assert data is not None and data.media == ["https://i.ytimg.com/b.jpg"]
