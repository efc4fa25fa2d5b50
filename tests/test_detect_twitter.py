"""Twitter/X helpers the capture code relies on: status URLs, canonical URLs, snowflakes, short links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.platforms.twitter.detect import (
    SHORTLINK_RE,
    canonical_url,
    find_shortlinks,
    parse_status_url,
    shortlink_code,
    shortlink_key,
    snowflake_time,
)

ID = "1146359923158089728"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://twitter.com/schukin/status/{ID}", ("schukin", ID)),
        (f"https://twitter.com/schukin/status/{ID}?ref_src=twsrc%5Etfw", ("schukin", ID)),
        (f"http://www.twitter.com/schukin/status/{ID}", ("schukin", ID)),
        (f"https://mobile.twitter.com/schukin/status/{ID}?s=20&t=xyz", ("schukin", ID)),
        (f"https://m.twitter.com/schukin/status/{ID}", ("schukin", ID)),
        (f"https://x.com/schukin/status/{ID}", ("schukin", ID)),
        (f"https://fxtwitter.com/schukin/status/{ID}", ("schukin", ID)),
        (f"https://vxtwitter.com/schukin/status/{ID}/photo/1", ("schukin", ID)),
        (f"https://fixupx.com/schukin/status/{ID}/video/1", ("schukin", ID)),
        (f"https://nitter.net/schukin/status/{ID}#m", ("schukin", ID)),
        (f"https://nitter.example.org/schukin/status/{ID}", ("schukin", ID)),
        (f"https://xcancel.com/schukin/status/{ID}", ("schukin", ID)),
        (f"https://twitter.com/#!/schukin/status/{ID}", ("schukin", ID)),
        (f"https://twitter.com/schukin/statuses/{ID}", ("schukin", ID)),
        (f"https://twitter.com/i/web/status/{ID}", (None, ID)),
        (f"https://x.com/i/status/{ID}", (None, ID)),
        (f"//twitter.com/schukin/status/{ID}", ("schukin", ID)),
        (f"twitter.com/schukin/status/{ID}", ("schukin", ID)),
        ("https://twitter.com/jack/status/20", ("jack", "20")),
        (f"https://TWITTER.com/Schukin/Status/{ID}", ("Schukin", ID)),
    ],
)
def test_parse_status_url_variants(url: str, expected: tuple[str | None, str]) -> None:
    assert parse_status_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://twitter.com/schukin",
        "https://twitter.com/intent/tweet?url=https://twitter.com/a/status/123",
        "https://twitter.com/hashtag/status",
        "https://example.com/user/status/123",
        "https://fox.com/user/status/123",
        "https://twitter.com/search?q=status",
        "https://twitter.com/u/status/123abc",
        "https://t.co/AbCdEf1234",
        "",
    ],
)
def test_parse_status_url_rejects(url: str) -> None:
    assert parse_status_url(url) is None


def test_canonical_url() -> None:
    assert canonical_url(ID, "schukin") == f"https://x.com/schukin/status/{ID}"
    assert canonical_url(ID, "@schukin") == f"https://x.com/schukin/status/{ID}"
    assert canonical_url(ID) == f"https://x.com/i/web/status/{ID}"


def test_snowflake_time_known_values() -> None:
    assert snowflake_time(1703436713362870723) == "2023-09-17T15:52:15.446Z"
    assert snowflake_time("1146359923158089728") == "2019-07-03T10:07:58.675Z"
    assert snowflake_time(29700859247) == "2010-11-04T01:43:01.738Z"  # the first snowflake-era ID
    assert snowflake_time(29700859246) is None
    assert snowflake_time(20) is None
    assert snowflake_time("not-an-id") is None
    # No time from an ID past tomorrow: a mistyped or made-up ID, not a post from the future.
    assert snowflake_time(9223372036854775807) is None
    import time as _time

    ten_days = ((int((_time.time() + 10 * 86400) * 1000) - 1288834974657) << 22)
    assert snowflake_time(ten_days) is None
    today = ((int(_time.time() * 1000) - 1288834974657) << 22)
    assert snowflake_time(today) is not None


@given(
    ms=st.integers(min_value=1288834974657 + 7082, max_value=1767225600000),  # 2010-11-04 .. 2026-01-01
    low=st.integers(min_value=0, max_value=(1 << 22) - 1),
)
def test_snowflake_round_trip(ms: int, low: int) -> None:
    post_id = ((ms - 1288834974657) << 22) | low
    expected = datetime.fromtimestamp(ms / 1000, tz=UTC)
    got = snowflake_time(post_id)
    assert got is not None and got.endswith("Z")
    assert got == expected.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


_HANDLES = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True).filter(
    lambda h: h.lower() not in {"i", "intent", "share", "search", "hashtag", "home", "web"}
)
_IDS = st.integers(min_value=1, max_value=(1 << 63) - 1).map(str)


@given(handle=_HANDLES, post_id=_IDS)
def test_canonical_url_parses_back(handle: str, post_id: str) -> None:
    assert parse_status_url(canonical_url(post_id, handle)) == (handle, post_id)
    assert parse_status_url(canonical_url(post_id)) == (None, post_id)


@given(
    handle=_HANDLES,
    post_id=_IDS,
    host=st.sampled_from(["twitter.com", "www.twitter.com", "mobile.twitter.com", "x.com", "fxtwitter.com",
                          "vxtwitter.com", "fixupx.com", "nitter.net", "xcancel.com"]),
    scheme=st.sampled_from(["https://", "http://", "//", ""]),
    bang=st.booleans(),
    statuses=st.booleans(),
    tail=st.sampled_from(["", "/", "/photo/1", "/video/1", "?s=20", "?ref_src=twsrc%5Etfw", "#anchor"]),
)
def test_every_variant_collapses_to_one_key(
    handle: str, post_id: str, host: str, scheme: str, bang: bool, statuses: bool, tail: str
) -> None:
    url = f"{scheme}{host}/{'#!/' if bang else ''}{handle}/{'statuses' if statuses else 'status'}/{post_id}{tail}"
    parsed = parse_status_url(url)
    assert parsed == (handle, post_id)
    assert canonical_url(parsed[1], parsed[0]) == f"https://x.com/{handle}/status/{post_id}"


def test_find_shortlinks_as_written() -> None:
    text = (
        "Photos: pic.twitter.com/AbCdEf1234 and https://t.co/XyZ9876543, new style pic.x.com/NeWsTyLe01. "
        "Not these: bit.co/abcdef, mt.co/abcdefgh, someone@t.co/abcdefgh, https://example.com/t.co/abcdefg. "
        "Again pic.twitter.com/AbCdEf1234."
    )
    assert find_shortlinks(text) == [
        "pic.twitter.com/AbCdEf1234",
        "https://t.co/XyZ9876543",
        "pic.x.com/NeWsTyLe01",
    ]
    assert find_shortlinks("nothing here") == []


def test_shortlink_code_and_key_shared_by_both_spellings() -> None:
    assert shortlink_code("https://t.co/AbCdEf1234") == "AbCdEf1234"
    assert shortlink_code("pic.twitter.com/AbCdEf1234") == "AbCdEf1234"
    assert shortlink_key("AbCdEf1234").startswith("twitter:h:")
    assert shortlink_key("AbCdEf1234") != shortlink_key("abcdef1234")  # codes are case-sensitive
    assert SHORTLINK_RE.pattern  # exported for the capture code


@given(code=st.from_regex(r"[A-Za-z0-9]{10}", fullmatch=True), before=st.sampled_from([" ", "\n", "(", ""]))
def test_find_shortlinks_property(code: str, before: str) -> None:
    text = f"text{before}pic.twitter.com/{code} more"
    found = find_shortlinks(text)
    if before:
        assert found == [f"pic.twitter.com/{code}"]
    else:  # glued to a word: "textpic.twitter.com/..." is still found by its host, the code is intact
        assert all(shortlink_code(f) == code for f in found)
