"""Pure tests of the index's time handling and search-query parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.index import textquery
from archiver.index.sql import search
from archiver.times import (
    NoSuchMoment,
    format_utc,
    is_more_precise,
    normalise_posted_at,
    normalise_timestamp,
    parse_bound,
    posted_bounds,
)

moments = st.datetimes(
    min_value=datetime(2006, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def test_format_utc_is_canonical_milliseconds() -> None:
    assert format_utc(datetime(2023, 9, 17, 15, 52, 15, 446999, tzinfo=UTC)) == "2023-09-17T15:52:15.446Z"
    assert format_utc(datetime(2023, 9, 17, 15, 52, 15)) == "2023-09-17T15:52:15.000Z"  # naive = UTC
    # Four digits of year whatever the C library's %Y writes (glibc: "99"): the text sorts as time.
    assert format_utc(datetime(99, 5, 5, 10, tzinfo=UTC)) == "0099-05-05T10:00:00.000Z"
    assert normalise_posted_at("0099-05-05T10:00:00Z") == "0099-05-05T10:00:00.000Z"
    assert posted_bounds("0001-01-01") == ("0001-01-01T00:00:00.000Z", "0001-01-01T23:59:59.999Z")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-04", "2024-03-04"),
        (" 2024-03-04 ", "2024-03-04"),
        ("2024-03-04T10:00:00Z", "2024-03-04T10:00:00.000Z"),
        ("2024-03-04T10:00:00+02:00", "2024-03-04T08:00:00.000Z"),
        ("2024-03-04 23:30:00-01:00", "2024-03-05T00:30:00.000Z"),
        ("2024-03-04T10:00:00.5Z", "2024-03-04T10:00:00.500Z"),
        ("March 4, 2024", "March 4, 2024"),  # not ISO: kept as given, never guessed
        ("", None),
        (None, None),
    ],
)
def test_normalise_posted_at(value: str | None, expected: str | None) -> None:
    assert normalise_posted_at(value) == expected


def test_posted_bounds() -> None:
    assert posted_bounds("2024-03-04") == ("2024-03-04T00:00:00.000Z", "2024-03-04T23:59:59.999Z")
    assert posted_bounds("2024-03-04T10:00:00Z") == ("2024-03-04T10:00:00.000Z",) * 2
    assert posted_bounds("2024-02-30") == (None, None)
    assert posted_bounds("March 4, 2024") == (None, None)
    assert posted_bounds(None) == (None, None)


def test_precision() -> None:
    assert is_more_precise("2024-03-05T01:00:00Z", "2024-03-04")  # the ID's time wins over a printed date
    assert not is_more_precise("2024-03-04", "2024-03-04T10:00:00.000Z")
    assert not is_more_precise("not a date", "2024-03-04")
    # The ID's time to the millisecond over the same second as a page printed it; not over another second.
    assert is_more_precise("2024-03-03T19:47:12.305Z", "2024-03-03T19:47:12Z")
    assert not is_more_precise("2024-03-03T19:47:12Z", "2024-03-03T19:47:12.305Z")
    assert not is_more_precise("2024-03-03T19:47:13.305Z", "2024-03-03T19:47:12.000Z")


def test_normalise_timestamp_rejects_dates_and_garbage() -> None:
    with pytest.raises(ValueError):
        normalise_timestamp("2024-03-04")
    with pytest.raises(ValueError):
        normalise_timestamp("now")


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("2024-03-04", "2024-03-04T00:00:00.000Z", "2024-03-04T23:59:59.999Z"),
        ("2024-03-04T10:15", "2024-03-04T10:15:00.000Z", "2024-03-04T10:15:59.999Z"),
        ("2024-03-04T10:15:30Z", "2024-03-04T10:15:30.000Z", "2024-03-04T10:15:30.999Z"),
        # a fraction names its last digit's unit, as seconds name a second (to the millisecond at most)
        ("2024-03-04T10:15:30.25Z", "2024-03-04T10:15:30.250Z", "2024-03-04T10:15:30.259Z"),
        ("2024-03-04T23:59:59.9Z", "2024-03-04T23:59:59.900Z", "2024-03-04T23:59:59.999Z"),
        ("2024-03-04T10:15:30.125Z", "2024-03-04T10:15:30.125Z", "2024-03-04T10:15:30.125Z"),
        # finer than the millisecond times are held to: each bound keeps only what lies within it
        ("2024-03-04T10:15:30.6491Z", "2024-03-04T10:15:30.650Z", "2024-03-04T10:15:30.649Z"),
        ("2024-03-04T23:59:59.9999Z", "2024-03-05T00:00:00.000Z", "2024-03-04T23:59:59.999Z"),
        ("2024-03-04T00:30+01:00", "2024-03-03T23:30:00.000Z", "2024-03-03T23:30:59.999Z"),
        ("2024-12-31", "2024-12-31T00:00:00.000Z", "2024-12-31T23:59:59.999Z"),
    ],
)
def test_parse_bound(value: str, low: str, high: str) -> None:
    assert parse_bound(value, end=False) == low
    assert parse_bound(value, end=True) == high


@pytest.mark.parametrize("value", ["2024-3-4", "2024-03-04+01:00", "04/03/2024", "2024-03-04T10", "2024-02-30",
                                   "2024-03-04T10:00+25:00", "", "today"])
def test_parse_bound_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        parse_bound(value, end=False)


@pytest.mark.parametrize(("value", "message"), [
    ("2024-02-30", "no such date: 2024-02-30 (day is out of range for month)"),
    ("2024-13-01T10:00", "no such date: 2024-13-01 (month must be in 1..12)"),
    ("2024-03-04T10:61", "no such time: 2024-03-04T10:61 (minute must be in 0..59)"),
    ("0001-01-01T00:30+01:00", "0001-01-01T00:30+01:00 runs past the years 1 to 9999 this tool handles"),
])
def test_a_bound_written_right_that_names_no_moment_says_why(value: str, message: str) -> None:
    with pytest.raises(NoSuchMoment) as caught:
        parse_bound(value, end=False)
    assert str(caught.value) == message


def test_the_last_day_a_datetime_holds_is_a_bound_like_any_other() -> None:
    assert parse_bound("9999-12-31", end=True) == "9999-12-31T23:59:59.999Z"
    assert parse_bound("9999-12-31T23:59", end=True) == "9999-12-31T23:59:59.999Z"


@given(moments)
def test_a_moment_lies_within_its_own_day_and_bounds(moment: datetime) -> None:
    stamp = format_utc(moment)
    day = stamp[:10]
    assert parse_bound(day, end=False) <= stamp <= parse_bound(day, end=True)
    assert parse_bound(stamp, end=False) == stamp == parse_bound(stamp, end=True)
    start, end = posted_bounds(day)
    assert start is not None and end is not None and start <= stamp <= end


@given(moments, moments)
def test_text_order_is_time_order(first: datetime, second: datetime) -> None:
    # Truncated to the stored millisecond precision.
    a, b = format_utc(first), format_utc(second)
    ta = first.replace(microsecond=first.microsecond // 1000 * 1000)
    tb = second.replace(microsecond=second.microsecond // 1000 * 1000)
    assert (a < b) == (ta < tb) and (a == b) == (ta == tb)


@given(moments, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_offsets_are_converted(moment: datetime, minutes: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))
    written = local.strftime("%Y-%m-%dT%H:%M:%S") + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    assert parse_bound(written, end=False) == format_utc(moment.replace(microsecond=0))


def test_search_parse() -> None:
    T = textquery.Term
    assert textquery.parse('water "old bridge" sand* OR café') == [
        [T("water"), T("old bridge"), T("sand", prefix=True)], [T("café")]]
    assert textquery.parse('"OR" rising AND "or"') == [[T("OR"), T("rising"), T("or")]]  # quoted: words
    assert textquery.parse("  * \x00 ") == []
    assert search.fts_expression(T('a"b')) == '"a""b"'
    assert search.like_pattern(T("50%_off\\")) == "%50\\%\\_off\\\\%"
    assert not search.fts_searchable(T("東京")) and not search.fts_searchable(T("🌊"))
    assert search.fts_searchable(T("Zoë"))


@pytest.mark.parametrize("query", ['water -"old bridge"', "Drone -#RivertonFlood", "Drone -@mei_hydro",
                                   "Drone -_levee", "Drone -\U0001f681", "bridge -levee", "-\u6797"])
def test_a_word_behind_a_minus_is_refused_whatever_it_starts_with(query: str) -> None:
    # A web search's "without": the index would find the very posts meant to be left out.
    from archiver.errors import QuerySyntaxError

    with pytest.raises(QuerySyntaxError, match="not exclude it"):
        textquery.parse(query)
    assert textquery.parse("levee - bridge --") == [[textquery.Term("levee"), textquery.Term("bridge")]]


def test_text_condition_rejects_empty_queries() -> None:
    with pytest.raises(ValueError):
        search.text_condition("   ")


def test_named_formatters_write_one_moment_in_each_form() -> None:
    from archiver.times import digits14, from_epoch_ms, iso_precise, iso_seconds, report_minute, stamp

    moment = datetime(2024, 3, 4, 19, 22, 31, 250000, tzinfo=timezone(timedelta(hours=1)))
    assert iso_seconds(moment) == "2024-03-04T18:22:31Z"
    assert iso_precise(moment) == "2024-03-04T18:22:31.250000Z"
    assert iso_precise(moment.replace(microsecond=0)) == "2024-03-04T18:22:31Z"
    assert stamp(moment) == "20240304T182231.250Z"
    assert digits14(moment) == "20240304182231"
    assert report_minute(moment) == "2024-03-04 18:22 UTC"
    assert iso_seconds(datetime(2024, 3, 4, 18, 22, 31)) == "2024-03-04T18:22:31Z"  # naive: UTC already
    assert from_epoch_ms(1709576551250) == "2024-03-04T18:22:31.250Z"
    assert len(iso_seconds()) == 20 and iso_seconds().endswith("Z")


def test_a_warc_date_that_cannot_be_read_gives_no_cdxj_time() -> None:
    # WARC-Date written as a CDX timestamp (14 digits) overflows warcio's reading of it: no time,
    # never an error that would stop a check of the whole file.
    from archiver.times import cdxj_timestamp

    assert cdxj_timestamp("2021-11-08T10:00:04Z") == "20211108100004"
    assert cdxj_timestamp("20211108100004") == ""
