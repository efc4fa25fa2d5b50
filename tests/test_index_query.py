"""lookup / show / records_for over a real SQLite file and a real PostgreSQL database: every filter, its
boundaries, and the output shape, the same on both."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.errors import UsageError
from archiver.index.rows import Capture, MediaRow
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.models import Post
from archiver.warcstore import RecordInfo
from tests.index_backends import BACKENDS, open_test_index
from tests.index_rows import LOOKUP_FIELDS, Filters, lookup, records_for, show

A = "https://news.example/a"
B = "https://news.example/b"


def post(platform: str = "twitter", **kw: object) -> Post:
    return Post(platform=platform, kind="embedded", source="a.html", evidence="e", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """A small archive: posts with datetimes, bare dates and no date; two articles; captures; history."""
    with open_test_index(request, request.param, tmp_path_factory.mktemp("archive")) as idx:
        a = idx.upsert_article(A, title="Floods")
        b = idx.upsert_article(B + "/", title="Roads")
        posts = [
            post(post_id="100", handle="RivertonDesk", author="Riverton News Desk", posted_at="2024-03-04T00:00:00.000Z",
                 text="Water levels are rising fast near the old bridge, #Riverton pic.twitter.com/Zx81QmPa0c"),
            post(post_id="101", handle="rivertondesk", author="Riverton News Desk", posted_at="2024-03-04T23:59:59.999Z",
                 text="Café reopens after the flood: \"we're back\" (100%_ sure)"),
            post(post_id="102", handle="Other_One", author="Zoë", posted_at="2024-03-05T00:00:00.000Z",
                 text="Nothing to see here"),
            post(handle="RivertonDesk", posted_at="2024-03-04", text="Date-only flattened tweet about sandbags"),
            post(platform="youtube", post_id="dQw4w9WgXcQ", url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                 text="東京の洪水 live 🌊"),
            post(platform="instagram", post_id="C0dE_x1", url="https://www.instagram.com/p/C0dE_x1/", handle="insta"),
        ]
        keys = [idx.upsert_post(p) for p in posts]
        for key in keys[:4]:
            idx.cite(a, key, "embedded", "blockquote.twitter-tweet")
        idx.cite(b, keys[2], "linked", "a[href]")
        idx.cite(b, keys[4], "embedded", "iframe")
        idx.observe(keys[0], "live", checked_at="2024-03-05T10:00:00Z", detail="syndication returned the post")
        idx.observe(keys[0], "deleted", checked_at="2024-03-20T10:00:00Z", detail="both sources answered 404")
        idx.observe(keys[1], "live", checked_at="2024-03-05T10:00:00Z")
        idx.observe(keys[4], "unavailable", checked_at="2024-03-06T10:00:00Z")
        idx.add_capture(Capture(post_key=keys[0], article_id=None, source="live", url="https://platform.twitter.com/embed/Tweet.html?id=100",
                        status="live", screenshot="screenshots/twitter/100/embed.png", screenshot_sha256="00" * 32,
                        error=None, warc="a-00000.warc.gz", page_record_id="<urn:uuid:p1>",
                        captured_at="2024-03-05T10:00:00Z"))
        idx.add_capture(Capture(post_key=keys[0], article_id=None, source="wayback", url="https://web.archive.org/web/2024/x",
                        status="recovered", screenshot=None, screenshot_sha256=None, error=None, warc="a-00001.warc.gz",
                        page_record_id=None, captured_at="2024-03-21T10:00:00Z"))
        idx.add_capture(Capture(post_key=keys[1], article_id=None, source="live", url="u", status="live", screenshot=None,
                        screenshot_sha256=None, error=None, warc=None, page_record_id=None,
                        captured_at="2024-03-06T10:00:00Z"))
        yield idx


def keys_of(index: Index, **filters: str) -> list[str]:
    return [row["key"] for row in lookup(index, Filters(**filters))]


def hash_key_of(index: Index) -> str:
    return index.db.execute("SELECT key FROM posts WHERE key LIKE 'twitter:h:%'").fetchone()[0]


def test_order_is_posted_at_with_unknown_last_then_key(index: Index) -> None:
    assert keys_of(index) == [
        "twitter:100", hash_key_of(index), "twitter:101", "twitter:102", "instagram:C0dE_x1", "youtube:dQw4w9WgXcQ",
    ]  # the date-only post starts at midnight, like twitter:100: the key breaks the tie


def test_output_shape(index: Index) -> None:
    row = next(r for r in lookup(index, Filters()) if r["key"] == "twitter:100")
    assert tuple(row) == LOOKUP_FIELDS
    assert row["links"] == [] and isinstance(row["media"], list)
    assert row["articles"] == [{"url": A, "kind": "embedded", "evidence": "blockquote.twitter-tweet", "dropped_at": None}]
    assert row["captures"] == [
        {"captured_at": "2024-03-05T10:00:00.000Z", "source": "live", "screenshot": "screenshots/twitter/100/embed.png",
         "status": "live", "warc": "a-00000.warc.gz", "copied_at": None, "error": None},
        {"captured_at": "2024-03-21T10:00:00.000Z", "source": "wayback", "screenshot": None, "status": "recovered",
         "warc": "a-00001.warc.gz", "copied_at": None, "error": None},  # its URL names no snapshot time (web/2024/x)
    ]
    assert row["history"] == [
        {"checked_at": "2024-03-05T10:00:00.000Z", "status": "live"},
        {"checked_at": "2024-03-20T10:00:00.000Z", "status": "deleted"},
    ]
    assert (row["status"], row["reason"]) == ("deleted", "both sources answered 404")  # the latest observation's


def test_reason_is_none_without_an_observation_detail(index: Index) -> None:
    rows = {r["key"]: r for r in lookup(index, Filters())}
    assert rows["twitter:102"]["reason"] is None
    assert rows["twitter:101"]["reason"] is None and rows["twitter:101"]["status"] == "live"


def test_a_post_no_check_was_made_of_is_pending(index: Index) -> None:
    # Found (an article cites it) but not checked yet, as a run leaves a post until it captures it:
    # the index holds no status for it, and every reading names it `pending`, never a blank.
    rows = {r["key"]: r for r in lookup(index, Filters())}
    assert rows["twitter:102"]["status"] == "pending" and rows["twitter:102"]["history"] == []
    detail = show(index, "twitter:102")
    assert detail is not None and detail["status"] == "pending"
    assert index.post_status("twitter:102") is None  # not a check's result: nothing stored
    assert keys_of(index, status="pending") == [hash_key_of(index), "twitter:102", "instagram:C0dE_x1"]
    assert keys_of(index, status=" Pending ", handle="other_one") == ["twitter:102"]


@pytest.mark.parametrize("handle", ["RivertonDesk", "@rivertondesk", "  @RIVERTONDESK ", "rivertonDESK",
                                    # as copied from a page or a chat: characters that show nothing, full-width forms
                                    "\u200e@RivertonDesk", "@RivertonDesk\u200b", "\ufeff@Riverton\u2060Desk",
                                    "\uff20RivertonDesk", "\uff20\uff32\uff49\uff56\uff45\uff52\uff54\uff4f\uff4eDesk"])
def test_handle_is_case_insensitive_with_or_without_at(index: Index, handle: str) -> None:
    assert keys_of(index, handle=handle) == ["twitter:100", hash_key_of(index), "twitter:101"]


def test_handle_with_underscore_is_exact_not_a_pattern(index: Index) -> None:
    assert keys_of(index, handle="other_one") == ["twitter:102"]
    assert keys_of(index, handle="other1one") == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_truth_social_handle_given_whole_finds_its_posts(request: pytest.FixtureRequest, backend: str,
                                                          tmp_path: Path) -> None:
    # Truth Social stores its handles bare (its accounts are all its own); the README tells users to
    # give them whole, name@server, as Mastodon's. The same name elsewhere is another account.
    with open_test_index(request, backend, tmp_path) as idx:
        for p in (post("truthsocial", post_id="111", handle="RivertonMayor"),
                  post("mastodon", post_id="112", handle="rivertonmayor@truthsocial.com"),
                  post("mastodon", post_id="113", handle="rivertonmayor@mastodon.social"),
                  post(post_id="114", handle="rivertonmayor")):
            idx.upsert_post(p)
        assert sorted(keys_of(idx, handle="@RivertonMayor@TruthSocial.com")) == ["mastodon:112", "truthsocial:111"]
        assert keys_of(idx, handle="rivertonmayor@truthsocial.com", platform="truthsocial") == ["truthsocial:111"]
        assert keys_of(idx, handle="rivertonmayor@mastodon.social") == ["mastodon:113"]
        assert sorted(keys_of(idx, handle="rivertonmayor")) == ["truthsocial:111", "twitter:114"]


def test_date_is_the_whole_utc_day_including_date_only_posts(index: Index) -> None:
    assert keys_of(index, date="2024-03-04") == ["twitter:100", hash_key_of(index), "twitter:101"]
    assert keys_of(index, date="2024-03-05") == ["twitter:102"]
    assert keys_of(index, date="2024-03-03") == []


def test_since_and_until_are_inclusive(index: Index) -> None:
    assert keys_of(index, since="2024-03-05") == ["twitter:102"]
    assert keys_of(index, until="2024-03-04") == ["twitter:100", hash_key_of(index), "twitter:101"]
    assert keys_of(index, since="2024-03-04T23:59:59.999Z", until="2024-03-05T00:00:00Z") == [
        hash_key_of(index), "twitter:101", "twitter:102"]
    # An upper bound includes the whole unit written: seconds, minutes.
    assert keys_of(index, until="2024-03-04T23:59:59Z", since="2024-03-04T12:00Z") == [hash_key_of(index), "twitter:101"]
    assert keys_of(index, until="2024-03-04T00:00") == ["twitter:100", hash_key_of(index)]
    # Offsets are converted to UTC: 01:00+01:00 is midnight UTC.
    assert keys_of(index, since="2024-03-05T01:00:00+01:00", until="2024-03-05T01:00:00+01:00") == ["twitter:102"]
    # A datetime bound that excludes the whole day excludes the date-only post too.
    assert keys_of(index, since="2024-03-05T00:00:00Z") == ["twitter:102"]


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [("since", "yesterday", "YYYY-MM-DD"), ("date", "2024-03-04T10:00", "YYYY-MM-DD"),
     ("captured_since", "03/04/2024", "YYYY-MM-DD"),
     # Written right, but not on the calendar: the message names what does not exist.
     ("until", "2024-13-01", "no such date: 2024-13-01"), ("since", "2024-02-30", "no such date: 2024-02-30"),
     ("date", "2024-02-30", "no such date: 2024-02-30"), ("until", "2024-03-04T25:00", "no such time")],
)
def test_bad_dates_are_usage_errors_naming_the_option(option: str, value: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        Filters(**{option: value})
    assert f"--{option.replace('_', '-')}" in str(caught.value)
    assert says in str(caught.value)


def test_empty_range_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="empty"):
        Filters(since="2024-03-05", until="2024-03-04")


def test_platform(index: Index) -> None:
    assert keys_of(index, platform="YouTube") == ["youtube:dQw4w9WgXcQ"]
    assert len(keys_of(index, platform="x")) == 4
    with pytest.raises(UsageError, match="--platform"):
        Filters(platform="myspace")


def test_status(index: Index) -> None:
    assert keys_of(index, status="deleted") == ["twitter:100"]
    assert keys_of(index, status="LIVE") == ["twitter:101"]
    assert keys_of(index, status="withheld") == []


def test_article(index: Index) -> None:
    assert keys_of(index, article=B) == ["twitter:102", "youtube:dQw4w9WgXcQ"]  # stored with a trailing slash
    assert len(keys_of(index, article=A)) == 4
    assert keys_of(index, article="https://news.example/none") == []


def test_article_as_people_type_it(index: Index) -> None:
    # Without a scheme, with http for https, upper-case host: the same article.
    assert len(keys_of(index, article="news.example/a")) == 4
    # http and https name one article as people type it (sites answer http with a redirect to https).
    assert len(keys_of(index, article="http://NEWS.example/a/")) == 4
    assert len(keys_of(index, article="https://news.example/a?utm_source=x#top")) == 4
    assert keys_of(index, article="news.example/b/") == ["twitter:102", "youtube:dQw4w9WgXcQ"]
    assert keys_of(index, article="news.example/none") == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_article_as_a_local_file(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # An article archived from a file is held under its file: URL; its path, relative or not, finds it.
    page = tmp_path / "saved page.html"
    page.write_text("<p>saved</p>")
    with open_test_index(request, backend, tmp_path / "archive") as idx:
        key = idx.upsert_post(post(post_id="100", handle="RivertonDesk"))
        idx.cite(idx.upsert_article(page.resolve().as_uri(), title="Saved"), key, "linked", "a[href]")
        monkeypatch.chdir(tmp_path)
        assert keys_of(idx, article="saved page.html") == ["twitter:100"]
        assert keys_of(idx, article=str(page)) == ["twitter:100"]
        assert keys_of(idx, article=page.as_uri()) == ["twitter:100"]
        assert keys_of(idx, article="other.html") == []


@pytest.mark.parametrize(("given", "hint"), [
    ("https://twitter.com/RivertonDesk", ", such as @RivertonDesk"),
    ("x.com/RivertonDesk/", ", such as @RivertonDesk"),
    ("https://mastodon.social/@someone", ", such as @someone"),
    ("https://", ""),
    ("https://x.com/alice/status/123", ""),  # a post's address: its last segment is no handle
    ("https://www.youtube.com/@chan/videos", ""),
    ("https://www.youtube.com/channel/UCxyz", ""),
])
def test_a_profile_address_is_not_a_handle(given: str, hint: str) -> None:
    with pytest.raises(UsageError, match=f"--handle: .* is an address, not a handle; give the handle alone{hint}$"):
        Filters(handle=given)


@pytest.mark.parametrize("given", ["", "   "])
def test_article_that_names_nothing_is_a_usage_error(given: str) -> None:
    with pytest.raises(UsageError, match="--article"):
        Filters(article=given)


def test_captured_since(index: Index) -> None:
    assert keys_of(index, captured_since="2024-03-06") == ["twitter:100", "twitter:101"]
    assert keys_of(index, captured_since="2024-03-06T10:00:00.001Z") == ["twitter:100"]
    assert keys_of(index, captured_since="2024-03-22") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rising", ["twitter:100"]),
        ("RISING water", ["twitter:100"]),
        ('"old bridge"', ["twitter:100"]),
        ('"bridge old"', []),
        ("#Riverton", ["twitter:100", "twitter:101"]),  # 101's author is "Riverton News Desk"
        ("pic.twitter.com/Zx81QmPa0c", ["twitter:100"]),
        ("cafe", ["twitter:101"]),  # diacritics folded
        ("Zoe", ["twitter:102"]),  # author is searched too
        ("sandbag*", ["H"]),
        ("rising OR sandbags", ["twitter:100", "H"]),
        ("we're back", ["twitter:101"]),
        ("100%_", ["twitter:101"]),
        ("洪水", ["youtube:dQw4w9WgXcQ"]),  # CJK inside a run: substring match
        ("🌊", ["youtube:dQw4w9WgXcQ"]),
        # An emoji in a phrase is part of it (the tokenizer drops emoji: "live 🌊" found every
        # "live", "rising 🌊" posts with no 🌊 at all).
        ('"live 🌊"', ["youtube:dQw4w9WgXcQ"]),
        ('"rising 🌊"', []),
        ('"rising ▶️"', []),  # emoji outside the pictograph blocks too (▶, ↔, ™, a keycap)
        ("rising flood", []),
    ],
)
def test_text_search(index: Index, query: str, expected: list[str]) -> None:
    found = keys_of(index, text=query)
    assert found == [hash_key_of(index) if k == "H" else k for k in expected]


@pytest.mark.parametrize(
    "query",
    ['"', '""', 'water"', "AND", "OR", "NOT rising", "rising OR", "OR OR OR", "col:umn", "(rising", "rising)", "^start",
     "a -b", "NEAR(a b)", "*", "x*y", "'; DROP TABLE posts; --", "\\", "%", "rising AND NOT", "{text}: rising"],
)
def test_text_search_never_crashes_on_special_characters(index: Index, query: str) -> None:
    try:
        filters = Filters(text=query)
    except UsageError:
        return  # nothing searchable: said so, not crashed
    assert isinstance(lookup(index, filters), list)
    assert index.db.execute("SELECT count(*) FROM posts").fetchone()[0] == 6


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=40), st.text(alphabet="\"*():^-+{}[]ORNDTAE ab'%_\\\x00", max_size=30)))
def test_any_text_query_is_safe(index: Index, query: str) -> None:
    try:
        filters = Filters(text=query)
    except UsageError:
        return
    lookup(index, filters)


def test_filters_combine(index: Index) -> None:
    assert keys_of(index, handle="@rivertondesk", date="2024-03-04", status="live", text="café") == ["twitter:101"]
    assert keys_of(index, handle="rivertondesk", platform="youtube") == []


@pytest.mark.parametrize(
    "ident",
    [
        "twitter:100",
        "100",
        "https://twitter.com/RivertonDesk/status/100",
        "https://x.com/someone_else/status/100?s=20",
        "https://mobile.twitter.com/RivertonDesk/status/100/photo/1",
        "https://x.com/i/web/status/100",
        "https://fxtwitter.com/RivertonDesk/status/100",
        "https://twitter.com/#!/RivertonDesk/statuses/100",
        "x.com/RivertonDesk/status/100",  # without its scheme, as an address bar shows it
        "mobile.twitter.com/RivertonDesk/status/100/photo/1",
        "<https://twitter.com/RivertonDesk/status/100>",  # as mail and Markdown wrap an address
        # a Wayback Machine copy of its page, as `show` lists one the archive holds
        "https://web.archive.org/web/20240304083011/https://twitter.com/RivertonDesk/status/100",
        "web.archive.org/web/20240304083011id_/https://x.com/RivertonDesk/status/100",
    ],
)
def test_show_by_key_url_or_id(index: Index, ident: str) -> None:
    shown = show(index, ident)
    assert shown is not None and shown["key"] == "twitter:100"
    assert [h["status"] for h in shown["history"]] == ["live", "deleted"]
    assert shown["articles"][0]["title"] == "Floods"
    assert shown["captures"][1]["url"] == "https://web.archive.org/web/2024/x"


def test_show_other_platforms_and_hash_keys(index: Index) -> None:
    assert show(index, "https://youtu.be/dQw4w9WgXcQ")["key"] == "youtube:dQw4w9WgXcQ"  # type: ignore[index]
    assert show(index, "youtu.be/dQw4w9WgXcQ")["key"] == "youtube:dQw4w9WgXcQ"  # type: ignore[index]
    assert show(index, "https://www.instagram.com/p/C0dE_x1/?igsh=abc")["key"] == "instagram:C0dE_x1"  # type: ignore[index]
    full = hash_key_of(index)
    assert show(index, full)["key"] == full  # type: ignore[index]
    assert show(index, full[:20])["key"] == full  # type: ignore[index]
    # Keys typed in capitals: the platform's name and a hash key's hex digits are read in any case.
    for typed in ("TWITTER:100", "Twitter:100"):
        assert show(index, typed)["key"] == "twitter:100", typed  # type: ignore[index]
    for typed in (full.upper(), full[:20].upper(), "twitter:H:" + full.removeprefix("twitter:h:").upper()):
        assert show(index, typed)["key"] == full, typed  # type: ignore[index]
    assert show(index, "https://x.com/a/status/999") is None
    assert show(index, "nothing-like-this") is None
    assert show(index, "") is None
    # A number in the path of a page of no platform's, or of another platform's address, names no
    # post (it showed the tweet whose ID the number was).
    for other in ("https://news.example/2024/100", "https://mastodon.social/@someone/100",
                  "https://www.youtube.com/channel/100"):
        assert show(index, other) is None, other


def test_show_reads_a_mastodon_key_s_server_in_any_case(index: Index) -> None:
    key = index.upsert_post(Post(platform="mastodon", kind="embedded", source="a.html", evidence="iframe",
                                 post_id="mastodon.social/112036911513600000",
                                 url="https://mastodon.social/@w/112036911513600000"))
    for typed in ("mastodon:MASTODON.SOCIAL/112036911513600000", "MASTODON:Mastodon.Social/112036911513600000"):
        assert show(index, typed)["key"] == key, typed  # type: ignore[index]


def _rec(rid: str, offset: int, warc_type: str = "response", **kw: object) -> RecordInfo:
    base: dict[str, object] = {"record_id": f"<urn:uuid:{rid}>", "warc_type": warc_type, "target_uri": f"https://h/{rid}",
                                   "date": "2024-03-04T10:00:00Z", "filename": "f.warc.gz", "offset": offset, "length": 10,
                                   "payload_digest": f"sha1:{rid}"}
    base.update(kw)
    return RecordInfo(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_records_for_selects_posts_their_articles_and_revisit_originals(
        request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> None:
    with open_test_index(request, backend, tmp_path) as idx:
        a = idx.upsert_article(A)
        mine = idx.upsert_post(post(post_id="1", handle="me"))
        other = idx.upsert_post(post(post_id="2", handle="other"))
        idx.cite(a, mine, "embedded", "e")
        idx.cite(a, other, "embedded", "e")

        def cap(**kw: object) -> int:
            return idx.add_capture(Capture(source="live", url="u", status="ok", screenshot=None, screenshot_sha256=None,
                                   error=None, warc="f.warc.gz", page_record_id=None, **kw))  # type: ignore[arg-type]

        idx.add_records(cap(post_key=None, article_id=a), [_rec("article", 0)])
        idx.add_records(cap(post_key=other, article_id=None), [_rec("other", 100), _rec("shared", 150)])
        idx.add_records(cap(post_key=mine, article_id=None), [
            _rec("mine-b", 300),
            _rec("mine-a", 200),
            _rec("revisit", 400, warc_type="revisit", payload_digest="sha1:shared",
                 extra={"WARC-Refers-To-Target-URI": "https://h/shared"}),
        ])
        ids = [r.record_id for r in records_for(idx, [mine])]
        assert ids == ["<urn:uuid:article>", "<urn:uuid:shared>", "<urn:uuid:mine-a>", "<urn:uuid:mine-b>",
                       "<urn:uuid:revisit>"]
        assert "<urn:uuid:other>" not in ids
        no_articles = [r.record_id for r in records_for(idx, [mine], include_articles=False)]
        assert "<urn:uuid:article>" not in no_articles
        revisit = records_for(idx, [mine])[-1]
        assert revisit.extra == {"WARC-Refers-To-Target-URI": "https://h/shared"}
        assert records_for(idx, []) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_wayback_capture_says_when_its_copy_was_made(backend: str, request: pytest.FixtureRequest,
                                                      tmp_path: Path) -> None:
    with open_test_index(request, backend, tmp_path / "archive") as idx:
        key = idx.upsert_post(post(post_id="100", handle="RivertonDesk"))
        for source, url in (("live", "https://platform.twitter.com/embed/Tweet.html?id=100"),
                            ("wayback", "https://web.archive.org/web/20240305101010/https://twitter.com/a/status/100")):
            idx.add_capture(Capture(post_key=key, article_id=None, source=source, url=url, status="live",
                                    screenshot=None, screenshot_sha256=None, error=None, warc=None,
                                    page_record_id=None, captured_at="2026-12-05T03:49:54.056Z"))
        for row in (lookup(idx, Filters())[0], show(idx, key)):
            assert [(c["source"], c["copied_at"]) for c in row["captures"]] == [  # type: ignore[index]
                ("live", None), ("wayback", "2024-03-05T10:10:10Z")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_show_takes_an_id_with_a_slash_as_lookup_prints_it(request: pytest.FixtureRequest, backend: str,
                                                            tmp_path: Path) -> None:
    """A Mastodon post's ID names its instance (`mastodon.social/1120...`) and reads like an address
    without its scheme; a Telegram post's names its channel. Each is found as it is printed."""
    with open_test_index(request, backend, tmp_path) as idx:
        toot = idx.upsert_post(post("mastodon", post_id="mastodon.social/112037088460800000",
                                    url="https://mastodon.social/@rivertonwater/112037088460800000",
                                    handle="rivertonwater@mastodon.social"))
        channel = idx.upsert_post(post("telegram", post_id="harbournews/102", url="https://t.me/harbournews/102"))
        assert show(idx, "mastodon.social/112037088460800000")["key"] == toot  # type: ignore[index]
        assert show(idx, "https://mastodon.social/@rivertonwater/112037088460800000")["key"] == toot  # type: ignore[index]
        assert show(idx, "harbournews/102")["key"] == channel  # type: ignore[index]
        assert show(idx, "mastodon.social/999") is None
        # Its number alone, as the post's page shows it: the one server holding such an ID.
        assert show(idx, "112037088460800000")["key"] == toot  # type: ignore[index]
        idx.upsert_post(post("mastodon", post_id="floss.social/112037088460800000",
                             url="https://floss.social/@someone/112037088460800000", handle="someone@floss.social"))
        assert show(idx, "112037088460800000") is None  # two servers: which one, only an address says


@pytest.mark.parametrize("backend", BACKENDS)
def test_handles_with_server_are_those_of_the_name_on_any_server(request: pytest.FixtureRequest, backend: str,
                                                                 tmp_path: Path) -> None:
    with open_test_index(request, backend, tmp_path) as idx:
        for n, handle in enumerate(("RivertonWater@mastodon.social", "rivertonwater@floss.social",
                                    "rivertonwaters@mastodon.social", "riverton_water@x.y", "rivertonwater")):
            idx.upsert_post(post("mastodon", post_id=f"h/{n}", handle=handle))
        assert idx.handles_with_server("RivertonWater") == ["rivertonwater@floss.social", "rivertonwater@mastodon.social"]
        assert idx.handles_with_server("riverton%") == []  # a LIKE wildcard is a character like any other
        assert idx.handles_with_server("riverton") == []


def _lookup_cli(archive: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`archiver lookup` of the archive at `archive`, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "archiver.cli", "lookup", "-d", str(archive), *args],
                          capture_output=True, text=True, timeout=120)


def _nothing_found(archive: Path, *args: str) -> list[str]:
    """What `lookup` says on stderr when it finds nothing (exit 0, nothing on stdout)."""
    r = _lookup_cli(archive, *args)
    assert r.returncode == 0 and r.stdout == "", r.stderr
    return r.stderr.splitlines()


def test_lookup_of_a_bare_name_points_at_the_same_name_on_a_server(tmp_path: Path) -> None:
    """Nothing is matched across servers (one account per server); the hint says what is held."""

    from archiver.index.sqlite.index import SQLiteIndex

    with SQLiteIndex(tmp_path) as idx:
        idx.upsert_post(post("mastodon", post_id="mastodon.social/1", handle="rivertonwater@mastodon.social",
                             url="https://mastodon.social/@rivertonwater/1"))

    assert _nothing_found(tmp_path, "--handle", "@RivertonWater") == [
        "archiver: 0 post(s)",
        "archiver: no handle 'rivertonwater', but rivertonwater@mastodon.social (a handle on a server is one "
        "account per server): give it whole, e.g. --handle rivertonwater@mastodon.social"]
    whole = _lookup_cli(tmp_path, "--handle", "rivertonwater@mastodon.social", "--format", "jsonl")
    assert whole.returncode == 0 and whole.stdout.count("\n") == 1 and whole.stderr == "archiver: 1 post(s)\n"
    assert _lookup_cli(tmp_path, "--handle", "nobody").stderr == "archiver: 0 post(s)\n"


def test_lookup_of_an_article_not_held_says_so(tmp_path: Path) -> None:
    """An article address that names nothing held is said; one held whose posts other filters
    leave out is not (nothing is wrong with the address)."""
    from archiver.index.sqlite.index import SQLiteIndex

    with SQLiteIndex(tmp_path) as idx:
        key = idx.upsert_post(post("twitter", post_id="1764718078373491923", handle="RivertonDesk"))
        idx.cite(idx.upsert_article("https://news.example/2024/flood.html", source="seeds.urls"), key, "embedded",
                 "blockquote.twitter-tweet")

    assert _nothing_found(tmp_path, "--article", "https://news.example/2024/fload.html") == [
        "archiver: 0 post(s)",
        "archiver: no article 'https://news.example/2024/fload.html' citing a post is held (the address is matched "
        "with http or https, with or without #fragment and tracking parameters): check it"]
    held = _lookup_cli(tmp_path, "--article", "http://news.example/2024/flood.html?utm_source=x", "--format", "jsonl")
    assert held.returncode == 0 and held.stdout.count("\n") == 1, held.stderr
    assert _lookup_cli(tmp_path, "--article", "https://news.example/2024/flood.html", "--handle", "nobody").stderr == "archiver: 0 post(s)\n"


def test_posts_after_pages_through_every_post_once_in_key_order(index: Index) -> None:
    """Keyset pages: each starts after the last key of the one before, and together they hold
    every post once, each as `lookup` gives it."""
    whole = index.posts_after(None, 1000)
    pages: list[list[str]] = []
    last: str | None = None
    while True:
        page = index.posts_after(last, 2)
        pages.append([row.key for row in page])
        if len(page) < 2:
            break
        last = page[-1].key
    assert [key for page in pages for key in page] == [row.key for row in whole]
    assert all(len(page) <= 2 for page in pages) and len(pages) == len(whole) // 2 + 1
    assert sorted(whole, key=lambda r: r.key) == sorted(index.lookup(Filters()), key=lambda r: r.key)
    assert index.posts_after(whole[-1].key, 5) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_article_captures_aliases_and_media_page_through_in_key_order(request: pytest.FixtureRequest, backend: str,
                                                                     tmp_path: Path) -> None:
    """What `verify` compares with the journal beside the posts, read a page at a time: the captured
    articles in URL order, each with its own captures (never its posts'), and the key aliases in old
    key order; a post's media files by its key."""
    urls = [f"{A}/{n}" for n in (3, 1, 2, 0)]
    with open_test_index(request, backend, tmp_path) as idx:
        ids = {url: idx.upsert_article(url) for url in urls}
        for url, at in ((urls[0], "2024-03-06T10:00:00Z"), (urls[1], "2024-03-05T10:00:00Z"),
                        (urls[0], "2024-03-04T10:00:00Z")):
            idx.add_capture(Capture(article_id=ids[url], source="live", url=url, status="ok", captured_at=at))
        key = idx.upsert_post(post(post_id="100"))
        idx.add_capture(Capture(post_key=key, article_id=ids[urls[2]], source="live", url="u", status="live"))
        idx.add_media(key, "https://pbs.twimg.com/media/b.jpg", "media/b.jpg", "bb" * 32, "image/jpeg")
        idx.add_media(key, "https://pbs.twimg.com/media/a.jpg", None, None, None)
        for old, new in (("twitter:h:b", "twitter:h:c"), ("twitter:h:a", "twitter:100"), ("twitter:h:c", "twitter:100")):
            idx.merge_post_key(old, new)
        pages: list[list[tuple[str, list[tuple[str, str]]]]] = []
        last: str | None = None
        while page := idx.article_captures_after(last, 1):
            pages.append([(url, [(c.captured_at, c.url) for c in captures]) for url, captures in page])
            last = page[-1][0]
        assert pages == [[(urls[1], [("2024-03-05T10:00:00.000Z", urls[1])])],
                         [(urls[0], [("2024-03-04T10:00:00.000Z", urls[0]), ("2024-03-06T10:00:00.000Z", urls[0])])]]
        assert [c.captured_at for c in idx.article_captures(urls[0])] == ["2024-03-04T10:00:00.000Z",
                                                                          "2024-03-06T10:00:00.000Z"]
        assert idx.article_captures(urls[2]) == [] and idx.article_captures("https://news.example/none") == []
        assert [(url, len(c)) for url, c in idx.article_captures_after(None, 5)] == [(urls[1], 1), (urls[0], 2)]
        from archiver.index.urls import article_keys

        keyed = idx.articles_keyed([*article_keys(urls[0].replace("https://news.", "http://NEWS.")), *article_keys(urls[2])])
        assert [(row.url, [c.captured_at for c in captures]) for row, captures in keyed] == [
            (urls[2], []), (urls[0], ["2024-03-04T10:00:00.000Z", "2024-03-06T10:00:00.000Z"])]
        assert idx.articles_keyed(article_keys("https://news.example/none")) == []
        aliases = [idx.aliases_after(None, 2), idx.aliases_after("twitter:h:b", 2)]
        assert [[(a.old_key, a.new_key) for a in page] for page in aliases] == [
            [("twitter:h:a", "twitter:100"), ("twitter:h:b", "twitter:100")], [("twitter:h:c", "twitter:100")]]
        assert idx.post_media([key, "twitter:999"]) == {key: [
            MediaRow("https://pbs.twimg.com/media/b.jpg", "media/b.jpg", "bb" * 32, "image/jpeg"),
            MediaRow("https://pbs.twimg.com/media/a.jpg", None, None, None)]}


# -- words as a reader finds them, in every script ----------------------------------------------------------

FOLDED_POSTS = {
    "200": "جِسر النَّهر انهار",  # Arabic with its vowel marks: "the river's bridge collapsed"
    "201": "الفيـــضان في المدينة",  # a word stretched by tatweel: "the flood in the city"
    "202": "שָׁלוֹם לְכֻלָּם",  # Hebrew with its points
    "203": "Πλημμύρα στην Αθήνα",  # Greek accents
    "204": "बाढ़ से हिन्दी भाषी गाँव डूबे",  # Devanagari: vowel signs are marks inside words
    "205": "سر المدينة",  # "the secret of the city": no other word of these holds it
}


@pytest.fixture(scope="module", params=BACKENDS)
def scripts(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    with open_test_index(request, request.param, tmp_path_factory.mktemp("scripts")) as idx:
        for post_id, text in FOLDED_POSTS.items():
            idx.upsert_post(post(post_id=post_id, handle="desk", text=text))
        yield idx


@pytest.mark.parametrize(("query", "found"), [
    ("جسر", ["twitter:200"]), ("النهر", ["twitter:200"]), ("جِسر", ["twitter:200"]),
    ("سر", ["twitter:205"]),  # not the end of "جِسر", split at its kasra
    ("الفيضان", ["twitter:201"]), ("الفيـضان", ["twitter:201"]),
    ("שלום", ["twitter:202"]), ("לכלם", ["twitter:202"]),
    ("Αθηνα", ["twitter:203"]), ("Πλημμυρα", ["twitter:203"]),
    ("हिन्दी", ["twitter:204"]), ("गाँव", ["twitter:204"]),
    ("न", []),  # a letter of "हिन्दी", split at its virama before: no word of its own
    # a term of tatweel or marks alone is no word once folded: found as text, on both backends alike
    ("ـ", ["twitter:201"]), ("ـ*", ["twitter:201"]), ("ـ جسر", []), ("ـ OR جسر", ["twitter:200", "twitter:201"]),
])
def test_text_finds_words_written_with_or_without_their_marks(scripts: Index, query: str, found: list[str]) -> None:
    assert keys_of(scripts, text=query) == found


@pytest.mark.parametrize("query", ["αθήνα", "ΑΘΉΝΑ", "πλημμυρα"])
def test_greek_in_another_case_is_found_but_by_postgresql_in_the_c_locale(scripts: Index, query: str) -> None:
    """Case outside ASCII: folded by SQLite, and by PostgreSQL in a UTF-8 database locale only (the
    tests' clusters are in the C locale; docs/postgresql.md)."""
    postgres = type(scripts).__name__ != "SQLiteIndex"
    assert keys_of(scripts, text=query) == ([] if postgres else ["twitter:203"])


def test_marks_folded_in_the_index_follow_a_post_whose_text_changes(scripts: Index) -> None:
    key = scripts.upsert_post(post(post_id="206", handle="desk", text="بَحر"))
    assert keys_of(scripts, text="بحر") == [key]
    scripts.update_post_data(key, text="مَدّ")  # the platform's own text: the old words are forgotten
    assert keys_of(scripts, text="بحر") == [] and keys_of(scripts, text="مد") == [key]
