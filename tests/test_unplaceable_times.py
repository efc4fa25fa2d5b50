"""A time written with a zone that carries it out of the years 1 to 9999 once in UTC
(`0001-01-01T00:00:00+05:00` falls in year 0, `9999-12-31T23:59:59-05:00` in year 10000) is no date:
wherever a page, an embed or a platform's data gives one, it is read as None and the rest is kept."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from archiver.detect import detect
from archiver.errors import EvidenceError
from archiver.evidence.sign import parse_created
from archiver.models import Document
from archiver.platforms.base import iso_from_datetime_attr
from archiver.platforms.bluesky.postcheck import post_fields
from archiver.platforms.mastodon.postcheck import mastodon_handle, status_fields
from archiver.platforms.twitter.syndication import iso_utc
from archiver.times import (
    NoSuchMoment,
    format_utc,
    is_more_precise,
    iso_seconds,
    normalise_posted_at,
    parse_timestamp,
    posted_bounds,
    stamp,
)

UNPLACEABLE = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00.250+00:01"]


@pytest.mark.parametrize("value", UNPLACEABLE)
def test_the_index_time_functions_read_no_date(value: str) -> None:
    assert parse_timestamp(value) is None
    assert normalise_posted_at(value) is None
    assert posted_bounds(value) == (None, None)
    assert not is_more_precise(value, "2024-03-04")


def test_the_edges_utc_can_hold_are_still_read() -> None:
    assert normalise_posted_at("0001-01-01T05:00:00+05:00") == "0001-01-01T00:00:00.000Z"
    assert normalise_posted_at("9999-12-31T18:59:59-05:00") == "9999-12-31T23:59:59.000Z"
    assert posted_bounds("9999-12-31T23:59:59Z") == ("9999-12-31T23:59:59.000Z",) * 2


def test_formatting_a_moment_utc_cannot_hold_is_a_value_error_that_says_so() -> None:
    from archiver.times import in_utc

    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    assert in_utc(early) is None
    for form in (format_utc, iso_seconds, stamp):
        with pytest.raises(NoSuchMoment, match="outside the years 1 to 9999"):
            form(early)
    assert in_utc(datetime(1, 1, 1)) == datetime(1, 1, 1, tzinfo=UTC)  # naive = UTC already


@pytest.mark.parametrize("value", UNPLACEABLE)
def test_a_datetime_attribute_utc_cannot_hold_is_no_date(value: str) -> None:
    assert iso_from_datetime_attr(value) is None
    assert iso_from_datetime_attr("0001-01-01T00:00:00") == "0001-01-01"  # no zone: the day, four digits of year


@pytest.mark.parametrize("value", UNPLACEABLE[:2])
def test_an_instagram_embed_with_such_a_time_is_read_without_it(value: str, caplog: pytest.LogCaptureFixture) -> None:
    html = ('<article><p>Story.</p><blockquote class="instagram-media" '
            'data-instgrm-permalink="https://www.instagram.com/p/ABCdef123/"><div>'
            '<p><a href="https://www.instagram.com/p/ABCdef123/">A post shared by Jane Doe (@janedoe)</a></p>'
            f'<p><time datetime="{value}">Jan 1</time></p></div></blockquote></article>')
    with caplog.at_level(logging.WARNING):
        posts = detect(Document(source="a.html", text=html, is_html=True))
    assert "rule failed" not in caplog.text
    (post,) = posts
    assert (post.post_id, post.evidence, post.handle, post.posted_at) == (
        "ABCdef123", "blockquote.instagram-media", "janedoe", None)


@pytest.mark.parametrize("value", UNPLACEABLE)
def test_platform_data_with_such_a_time_gives_no_time(value: str) -> None:
    from archiver.platforms.base import posted_from_data

    view = {"uri": "at://did:plc:abc/app.bsky.feed.post/3kx", "author": {"handle": "a.bsky.social"},
            "record": {"text": "hello", "createdAt": value}}
    fields = post_fields(view)
    assert "posted_at" not in fields and fields["text"] == "hello"
    status = {"id": "1", "content": "<p>hi</p>", "created_at": value, "account": {"acct": "a"}}
    assert "posted_at" not in status_fields(status, "mastodon.social", mastodon_handle)
    assert iso_utc(value) is None
    assert posted_from_data(value) is None


def test_platform_data_that_is_no_text_gives_no_time() -> None:
    from archiver.platforms.base import posted_from_data

    assert posted_from_data(1709546400) is None
    assert posted_from_data({"$date": "2024-03-04"}) is None
    assert posted_from_data("2024-03-04T10:00:00+02:00") == "2024-03-04T08:00:00.000Z"


def test_a_signature_created_at_such_a_time_is_refused_as_evidence() -> None:
    with pytest.raises(EvidenceError, match="outside the years 1 to 9999"):
        parse_created("0001-01-01T00:00:00+05:00")
    assert parse_created("2024-03-04T10:00:00+02:00") == datetime(2024, 3, 4, 8, tzinfo=UTC)
