"""Writes to the index, on real SQLite files and real PostgreSQL databases: idempotence, merging,
captures, records, history, runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archiver.errors import IndexError_
from archiver.index.rows import Capture
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.models import Post, hash_key
from archiver.warcstore import RecordInfo
from tests.index_backends import BACKENDS, open_test_index
from tests.index_rows import Filters, lookup

ID = "1146359923158089728"


def tweet(**kw: object) -> Post:
    base: dict[str, object] = {"platform": "twitter", "kind": "embedded", "source": "a.html", "evidence": "blockquote.twitter-tweet"}
    base.update(kw)
    return Post(**base)  # type: ignore[arg-type]


def record(rid: str, offset: int, **kw: object) -> RecordInfo:
    base: dict[str, object] = {
        "record_id": f"<urn:uuid:{rid}>", "warc_type": "response", "target_uri": f"https://example.com/{rid}",
        "date": "2024-03-04T10:00:00Z", "filename": "a-00000.warc.gz", "offset": offset, "length": 100, "status": 200,
        "mime": "text/html", "payload_digest": f"sha1:{rid.upper()}",
    }
    base.update(kw)
    return RecordInfo(**base)  # type: ignore[arg-type]


def capture(index: Index, **kw: object) -> int:
    base: dict[str, object] = {
        "post_key": None, "article_id": None, "source": "live", "url": "https://platform.twitter.com/embed/Tweet.html",
        "status": "live", "screenshot": None, "screenshot_sha256": None, "error": None, "warc": "a-00000.warc.gz",
        "page_record_id": None,
    }
    base.update(kw)
    return index.add_capture(Capture(**base))  # type: ignore[arg-type]


def count(index: Index, table: str) -> int:
    return int(index.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Index]:
    with open_test_index(request, request.param, tmp_path) as idx:
        yield idx  # type: ignore[misc]


def test_same_post_in_two_articles_is_one_post_with_two_citations_and_reindexing_adds_nothing(index: Index) -> None:
    for _ in range(2):
        a = index.upsert_article("https://news.example/a", source="a.html", title="A")
        b = index.upsert_article("https://news.example/b")
        for article in (a, b):
            key = index.upsert_post(tweet(post_id=ID, handle="RivertonDesk", text="Water rising"))
            index.cite(article, key, "embedded", "blockquote.twitter-tweet")
    assert (count(index, "articles"), count(index, "posts"), count(index, "citations")) == (2, 1, 2)
    assert index.upsert_article("https://news.example/a") == a
    assert index.posts_for_article("https://news.example/b") == [f"twitter:{ID}"]


def test_upsert_fills_gaps_and_never_erases(index: Index) -> None:
    key = index.upsert_post(tweet(post_id=ID, handle="@RivertonDesk", text="first text", links=["https://t.co/a"],
                                  posted_at="2019-07-03"))
    index.upsert_post(tweet(post_id=ID, handle=None, author="Riverton Desk", text="other text",
                            links=["https://t.co/b", "https://t.co/a"], posted_at="2019-07-03T18:13:49Z"))
    post = index.get_post(key)
    assert post is not None
    assert post.handle == "RivertonDesk"  # stored without @, not erased by None
    assert post.author == "Riverton Desk"  # gap filled
    assert post.text == "first text"  # known value kept: update_post_data is the overwriting path
    assert post.links == ["https://t.co/a", "https://t.co/b"]
    assert post.posted_at == "2019-07-03T18:13:49.000Z"  # a full time replaces a bare date
    index.upsert_post(tweet(post_id=ID, posted_at="2019-07-04"))
    assert index.get_post(key).posted_at == "2019-07-03T18:13:49.000Z"  # type: ignore[union-attr]


def test_a_held_post_takes_a_spelling_of_its_address_that_holds_more_of_what_reaching_it_needs(index: Index) -> None:
    """An unlisted Vimeo video held under its bare address takes the address with its privacy hash
    (Vimeo answers only with it) when a later article cites that; never another video's address,
    nor another hash, nor the bare address back."""
    def video(url: str, post_id: str = "76979871") -> Post:
        return Post(platform="vimeo", kind="linked", source="b.html", evidence="a[href]", post_id=post_id, url=url)

    bare, unlisted = "https://vimeo.com/76979871", "https://vimeo.com/76979871/8272103f6e"
    key = index.upsert_post(video(bare))
    assert index.upsert_post(video(unlisted)) == key
    assert index.get_post(key).url == unlisted  # type: ignore[union-attr]
    for other in (bare, "https://vimeo.com/76979871/0000aaaa11"):
        index.upsert_post(video(other))
        assert index.get_post(key).url == unlisted  # type: ignore[union-attr]
    tweet_key = index.upsert_post(tweet(post_id=ID, url=f"https://x.com/a/status/{ID}"))
    index.upsert_post(tweet(post_id=ID, url=f"https://x.com/b/status/{ID}?s=20"))
    assert index.get_post(tweet_key).url == f"https://x.com/a/status/{ID}"  # type: ignore[union-attr]


@pytest.mark.parametrize("unplaceable", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_utc_cannot_hold_is_written_as_no_time(index: Index, unplaceable: str) -> None:
    # Year 0 or 10000 once in UTC: no date, and the write goes through with the rest of the post.
    key = index.upsert_post(tweet(post_id=ID, text="kept", posted_at=unplaceable))
    post = index.get_post(key)
    assert post is not None and (post.text, post.posted_at) == ("kept", None)
    index.update_post_data(key, posted_at="2019-07-03T18:13:49.446Z")
    index.update_post_data(key, posted_at=unplaceable, text="from the platform")
    post = index.get_post(key)
    assert post is not None and (post.text, post.posted_at) == ("from the platform", "2019-07-03T18:13:49.446Z")


def test_update_post_data_overwrites_with_structured_data(index: Index) -> None:
    key = index.upsert_post(tweet(post_id=ID, handle="old", text="scraped", posted_at="2019-07-03T18:13:49.446Z",
                                  media=["pic.twitter.com/x"]))
    index.update_post_data(key, text="from syndication", handle="@New", author=None, data={"lang": "en"},
                           media=["https://pbs.twimg.com/media/A.jpg"], posted_at="2019-07-03")
    index.update_post_data(key, data={"isEdited": False})
    post = index.get_post(key)
    assert post is not None
    assert (post.text, post.handle, post.author) == ("from syndication", "New", None)
    assert post.media == ["pic.twitter.com/x", "https://pbs.twimg.com/media/A.jpg"]
    assert post.data == {"lang": "en", "isEdited": False}
    assert post.posted_at == "2019-07-03T18:13:49.446Z"  # a bare date never replaces the ID's time
    assert [p["key"] for p in lookup(index, Filters(handle="new"))] == [key]
    with pytest.raises(TypeError, match="colour"):
        index.update_post_data(key, colour="red")
    with pytest.raises(ValueError, match="upsert_post"):
        index.update_post_data("twitter:1", text="x")


def test_unreadable_dates_never_replace_readable_ones(index: Index) -> None:
    key = index.upsert_post(tweet(post_id=ID, posted_at="4. März 2024"))  # kept as given, never guessed
    assert index.get_post(key).posted_at == "4. März 2024"  # type: ignore[union-attr]
    index.upsert_post(tweet(post_id=ID, posted_at="2024-03-04"))
    assert index.get_post(key).posted_at == "2024-03-04"  # type: ignore[union-attr]
    index.update_post_data(key, posted_at="yesterday")
    assert index.get_post(key).posted_at == "2024-03-04"  # type: ignore[union-attr]
    index.update_post_data(key, posted_at="2024-03-03")  # the platform's own date wins over ours
    assert index.get_post(key).posted_at == "2024-03-03"  # type: ignore[union-attr]


def test_cite_keeps_the_strongest_kind(index: Index) -> None:
    a = index.upsert_article("https://news.example/a")
    b = index.upsert_article("https://news.example/b")
    key = index.upsert_post(tweet(post_id=ID))
    index.cite(a, key, "linked", "a[href]")
    index.cite(a, key, "embedded", "blockquote.twitter-tweet")
    index.cite(b, key, "embedded", "blockquote.twitter-tweet")
    index.cite(b, key, "linked", "a[href]")
    rows = index.db.execute("SELECT article_id, kind, evidence FROM citations ORDER BY article_id").fetchall()
    assert rows == [(a, "embedded", "blockquote.twitter-tweet"), (b, "embedded", "blockquote.twitter-tweet")]


def test_merge_post_key_moves_everything_to_the_id_keyed_post(index: Index) -> None:
    a = index.upsert_article("https://news.example/a")
    b = index.upsert_article("https://news.example/b")
    flat = tweet(handle="RivertonDesk", author="Riverton News Desk", posted_at="2024-03-04",
                 text="Water levels are rising fast pic.twitter.com/Zx81QmPa0c", media=["pic.twitter.com/Zx81QmPa0c"],
                 evidence="text-signature")
    old = index.upsert_post(flat)
    assert old == hash_key("twitter", "RivertonDesk", "2024-03-04", flat.text)
    index.cite(a, old, "embedded", "text-signature")
    index.observe(old, "unknown", checked_at="2024-03-05T00:00:00Z")
    cid = capture(index, post_key=old)
    index.add_records(cid, [record("r1", 0)])
    index.add_media(old, "https://pbs.twimg.com/media/A.jpg", "media/x/00.jpg", "ab" * 32, "image/jpeg")

    new = index.upsert_post(tweet(post_id=ID, handle="rivertondesk", posted_at="2019-07-03T18:13:49.446Z"))
    index.cite(b, new, "embedded", "blockquote.twitter-tweet")
    index.cite(a, new, "linked", "a[href]")  # article a also links the status URL
    index.merge_post_key(old, new)

    assert index.get_post(old) is None
    post = index.get_post(new)
    assert post is not None
    assert post.handle == "rivertondesk"  # the ID-keyed post's known value wins
    assert post.author == "Riverton News Desk"  # gaps filled from the absorbed post
    assert post.text == flat.text and post.media == flat.media
    assert post.posted_at == "2019-07-03T18:13:49.446Z"
    assert (post.status, post.last_checked) == ("unknown", "2024-03-05T00:00:00.000Z")
    citations = index.db.execute("SELECT c.article_id, p.key, c.kind FROM citations c JOIN posts p ON p.id = c.post "
                                 "ORDER BY c.article_id").fetchall()
    assert citations == [(a, new, "embedded"), (b, new, "embedded")]
    for table in ("captures", "observations", "records", "media"):
        assert index.db.execute(f"SELECT DISTINCT p.key FROM {table} t JOIN posts p ON p.id = t.post").fetchall() == [
            (new,)], table
    assert index.has_capture(new)
    # The full-text index follows the rows: the old text is now found under the new key.
    assert [p["key"] for p in lookup(index, Filters(text="rising"))] == [new]


def test_a_short_links_unknown_does_not_replace_the_status_of_a_post_checked_on_its_own(index: Index) -> None:
    # A t.co link that could not be followed left an "unknown" about the link; once it leads to a
    # post held and checked by its ID, that post keeps its status and the time of its check.
    held = index.upsert_post(tweet(post_id=ID, handle="rivertondesk"))
    index.observe(held, "deleted", detail="syndication HTTP 404 and oEmbed HTTP 404 agree", checked_at="2024-03-05T00:00:00Z")
    link = index.upsert_post(Post(platform="twitter", kind="shortlink", source="b.html", evidence="a[href]",
                                  links=["https://t.co/DeAdBeEf01"]))
    index.observe(link, "unknown", detail="status ID unknown: https://t.co/DeAdBeEf01: could not be followed",
                  checked_at="2024-03-06T00:00:00Z")
    index.merge_post_key(link, held)
    post = index.get_post(held)
    assert post is not None and (post.status, post.last_checked) == ("deleted", "2024-03-05T00:00:00.000Z")
    assert [p["key"] for p in lookup(index, Filters(status="deleted"))] == [held]
    # Its history keeps the link's entry, saying what it was.
    details = index.db.execute("SELECT o.status, o.detail FROM observations o JOIN posts p ON p.id = o.post "
                               "ORDER BY o.checked_at").fetchall()
    assert [d[0] for d in details] == ["deleted", "unknown"] and "could not be followed" in details[1][1]


def test_a_post_whose_check_was_left_unsettled_stays_due_when_a_short_link_is_merged_into_it(index: Index) -> None:
    held = index.upsert_post(tweet(post_id=ID, handle="rivertondesk"))
    index.observe(held, "unavailable", detail="no usable answer: syndication HTTP 503", settled=False)
    link = index.upsert_post(Post(platform="twitter", kind="shortlink", source="b.html", evidence="a[href]",
                                  links=["https://t.co/DeAdBeEf01"]))
    index.observe(link, "unknown", detail="status ID unknown: https://t.co/DeAdBeEf01: could not be followed")
    index.merge_post_key(link, held)
    post = index.get_post(held)
    assert post is not None and (post.status, post.last_checked) == ("unavailable", None)
    assert held in index.posts_due_for_recheck(timedelta(days=7))


def test_merge_into_an_unknown_key_renames_and_learns_the_id(index: Index) -> None:
    a = index.upsert_article("https://news.example/a")
    old = index.upsert_post(tweet(handle="h", text="only text", posted_at="2024-03-04"))
    index.cite(a, old, "shortlink", "t.co")
    index.merge_post_key(old, f"twitter:{ID}")
    post = index.get_post(f"twitter:{ID}")
    assert post is not None and post.post_id == ID and post.text == "only text"
    assert index.posts_for_article("https://news.example/a") == [f"twitter:{ID}"]
    assert count(index, "posts") == 1
    index.merge_post_key("twitter:h:missing", f"twitter:{ID}")  # nothing to absorb: no-op
    index.merge_post_key(f"twitter:{ID}", f"twitter:{ID}")
    assert count(index, "posts") == 1


def test_ids_kept_in_another_case_fold_into_the_lower_case_key(index: Index) -> None:
    a = index.upsert_article("https://news.example/a")
    for post_id in ("HarbourNews/101", "harbournews/101", "HARBOURNEWS/101", "Closed/7"):
        key = index.upsert_post(Post(platform="telegram", kind="embedded", source="a.html",
                                     evidence="script[data-telegram-post]", post_id=post_id))
        index.cite(a, key, "embedded", "script[data-telegram-post]")
    capture(index, post_key="telegram:HarbourNews/101", status="live")
    index.upsert_post(tweet(post_id="AbC"))  # a platform whose IDs keep their case is left alone
    assert sorted(index.fold_id_case(["telegram"])) == [
        ("telegram:Closed/7", "telegram:closed/7"), ("telegram:HARBOURNEWS/101", "telegram:harbournews/101"),
        ("telegram:HarbourNews/101", "telegram:harbournews/101")]
    assert index.posts_for_article("https://news.example/a") == ["telegram:closed/7", "telegram:harbournews/101"]
    assert index.has_capture("telegram:harbournews/101") and index.get_post("twitter:AbC") is not None
    post = index.get_post("telegram:closed/7")
    assert post is not None and post.post_id == "closed/7"
    assert index.alias_of("telegram:HarbourNews/101") == "telegram:harbournews/101"
    assert index.fold_id_case(["telegram"]) == [] and index.fold_id_case([]) == []
    assert count(index, "posts") == 3


def test_captures_records_and_capture_state(index: Index) -> None:
    article = index.upsert_article("https://news.example/a")
    key = index.upsert_post(tweet(post_id=ID))
    assert not index.has_capture(key) and not index.article_captured("https://news.example/a")
    capture(index, post_key=key, status="unavailable", error="net::ERR_CONNECTION_REFUSED")
    assert not index.has_capture(key)  # a failed capture does not count: the next run retries
    cid = capture(index, post_key=key, captured_at="2024-03-04T10:00:00+01:00")
    index.add_records(cid, [record("r1", 0), record("r2", 100, warc_type="request", status=None)])
    index.add_records(cid, [record("r1", 0, length=120)])  # re-adding updates, never duplicates
    assert index.has_capture(key)
    rows = index.db.execute('SELECT r.record_id, p.key, r.capture_id, r."offset", r.length FROM records r '
                            'LEFT JOIN posts p ON p.id = r.post ORDER BY 1').fetchall()
    assert rows == [("<urn:uuid:r1>", key, cid, 0, 120), ("<urn:uuid:r2>", key, cid, 100, 100)]
    assert index.db.execute("SELECT captured_at FROM captures WHERE id = ?", [cid]).fetchone()[0] == (
        "2024-03-04T09:00:00.000Z"
    )
    acid = capture(index, article_id=article, url="https://news.example/a", status="ok", captured_at="2024-03-04T11:00:00Z")
    index.add_records(acid, [record("r3", 200)])
    assert index.article_captured("https://news.example/a")
    assert index.db.execute("SELECT article_id, post FROM records WHERE record_id = '<urn:uuid:r3>'").fetchone() == (
        article, None)
    assert index.db.execute("SELECT status, last_captured FROM articles").fetchone() == ("ok", "2024-03-04T11:00:00.000Z")
    found = index.find_record_by_digest("sha1:R1")
    assert found is not None and found.record_id == "<urn:uuid:r1>"
    with pytest.raises(ValueError, match="live"):
        capture(index, post_key=key, source="cache")
    with pytest.raises(ValueError, match="no capture"):
        index.add_records(9999, [record("r9", 900)])


def test_observations_keep_history_and_latest_status(index: Index) -> None:
    key = index.upsert_post(tweet(post_id=ID))
    index.observe(key, "live", checked_at="2021-11-08T12:00:00Z")
    index.observe(key, "deleted", checked_at="2021-11-20T12:00:00Z", detail="tombstone + oEmbed 404")
    index.observe(key, "live", checked_at="2021-11-10T12:00:00Z")  # recorded late: history only
    post = index.get_post(key)
    assert post is not None and (post.status, post.last_checked) == ("deleted", "2021-11-20T12:00:00.000Z")
    assert index.post_status(key) == "deleted" and index.post_status("twitter:1") is None
    [row] = lookup(index, Filters())
    assert row["history"] == [
        {"checked_at": "2021-11-08T12:00:00.000Z", "status": "live"},
        {"checked_at": "2021-11-10T12:00:00.000Z", "status": "live"},
        {"checked_at": "2021-11-20T12:00:00.000Z", "status": "deleted"},
    ]


def test_posts_due_for_recheck(index: Index) -> None:
    now = datetime(2024, 3, 10, tzinfo=UTC)
    stale = index.upsert_post(tweet(post_id="1"))
    fresh = index.upsert_post(tweet(post_id="2"))
    never = index.upsert_post(tweet(post_id="3"))
    index.observe(stale, "live", checked_at="2024-03-01T00:00:00Z")
    index.observe(fresh, "live", checked_at="2024-03-09T00:00:00Z")
    assert index.posts_due_for_recheck(timedelta(days=7), now=now) == [never, stale]
    assert index.posts_due_for_recheck(timedelta(hours=1), now=now) == [never, stale, fresh]


def _run_between(index: Index, started: str, finished: str) -> int:
    """A finished run, dated as given; its ID."""
    run = index.start_run()
    index.finish_run(run, {})
    index.db.execute("UPDATE runs SET started_at = ?, finished_at = ? WHERE id = ?",  # type: ignore[attr-defined]
                     [started, finished, run])
    return run


def test_a_post_checked_late_in_a_run_is_due_with_the_rest_of_that_run(index: Index) -> None:
    # Cron every 24 hours, --recheck-after 24h: the run of the 3rd started at 23:50 and checked this
    # post 40 minutes in; the run of the 4th starts at 23:55, 24 hours after 23:55 of the 3rd. The
    # post was checked by a run that started more than 24 hours ago: due, not left for the 5th.
    late = index.upsert_post(tweet(post_id="1"))
    _run_between(index, "2024-03-03T23:50:00.000Z", "2024-03-04T01:00:00.000Z")
    index.observe(late, "live", checked_at="2024-03-04T00:30:00.000Z")
    now = datetime(2024, 3, 4, 23, 55, tzinfo=UTC)
    assert index.posts_due_for_recheck(timedelta(hours=24), now=now) == [late]
    # Checked after that run, by hand or by a later run: not due yet.
    index.observe(late, "live", checked_at="2024-03-04T09:00:00.000Z")
    assert index.posts_due_for_recheck(timedelta(hours=24), now=now) == []


def test_a_run_started_a_little_early_still_rechecks_the_previous_run_s_posts(index: Index) -> None:
    # Cron every 6 hours, --recheck-after 6h: the earlier run's start was recorded 0.7 s into its
    # process, this run's `now` 0.3 s into its own. That run started 0.4 s "after" the cutoff, and
    # its checks must still be due: a timer or a process start a little early is no new period.
    post = index.upsert_post(tweet(post_id="1"))
    run = _run_between(index, "2024-03-04T00:00:00.700Z", "2024-03-04T00:03:00.000Z")
    index.observe(post, "live", checked_at="2024-03-04T00:01:00.000Z")
    now = datetime(2024, 3, 4, 6, 0, 0, 300_000, tzinfo=UTC)
    assert index.posts_due_for_recheck(timedelta(hours=6), now=now) == [post]
    # A run that started well into the period (20 minutes past the cutoff; the slack is 15 at
    # most) is this period's: what it checked is not due yet.
    index.db.execute("UPDATE runs SET started_at = ? WHERE id = ?",  # type: ignore[attr-defined]
                     ["2024-03-04T00:20:00.300Z", run])
    index.observe(post, "live", checked_at="2024-03-04T00:21:00.000Z")
    assert index.posts_due_for_recheck(timedelta(hours=6), now=now) == []


def test_a_killed_run_is_closed_at_its_last_check_and_its_checks_are_due_with_its_period(index: Index) -> None:
    # Cron every 6 hours: the run of 00:00 checked two posts, the latest at 00:05, and was killed.
    # The next run closes it at 00:05 (not at its own start), counting what it did; the run of
    # 06:01 finds both checks due, the one made at the very end of the dead run too.
    first, last = index.upsert_post(tweet(post_id="1")), index.upsert_post(tweet(post_id="2"))
    run = index.start_run()
    index.db.execute("UPDATE runs SET started_at = ? WHERE id = ?",  # type: ignore[attr-defined]
                     ["2024-03-04T00:00:00.000Z", run])
    index.observe(first, "live", checked_at="2024-03-04T00:01:00.000Z")
    index.observe(last, "live", checked_at="2024-03-04T00:05:00.000Z")
    (closed,) = index.close_unfinished_runs()
    assert (closed.id, closed.finished_at) == (run, "2024-03-04T00:05:00.000Z")
    assert closed.did is not None and (closed.did["checks"], closed.did["post_captures"]) == (2, 0)
    assert index.run_end(run) == ("2024-03-04T00:00:00.000Z", "2024-03-04T00:05:00.000Z", "killed", "run")
    now = datetime(2024, 3, 4, 6, 1, tzinfo=UTC)
    assert index.posts_due_for_recheck(timedelta(hours=6), now=now) == [first, last]
    # A run that indexed nothing is closed at its start.
    empty = index.start_run()
    index.db.execute("UPDATE runs SET started_at = ? WHERE id = ?",  # type: ignore[attr-defined]
                     ["2024-03-05T00:00:00.000Z", empty])
    (closed,) = index.close_unfinished_runs()
    assert closed.finished_at == "2024-03-05T00:00:00.000Z" and closed.did is not None and closed.did["checks"] == 0


def test_the_latest_moment_is_the_latest_run_start_or_check(index: Index) -> None:
    assert index.latest_moment() is None
    run = index.start_run()
    index.db.execute("UPDATE runs SET started_at = ? WHERE id = ?", ["2024-03-04T10:00:00.000Z", run])  # type: ignore[attr-defined]
    assert index.latest_moment() == "2024-03-04T10:00:00.000Z"
    key = index.upsert_post(tweet(post_id="1"))
    index.observe(key, "live", checked_at="2024-03-05T09:00:00.000Z")
    assert index.latest_moment() == "2024-03-05T09:00:00.000Z"


def test_runs(index: Index) -> None:
    first = index.start_run()
    second = index.start_run()
    index.finish_run(first, {"articles": 2, "failures": []})
    assert index.unfinished_runs() == [second]
    row = index.db.execute("SELECT finished_at IS NOT NULL, summary FROM runs WHERE id = ?", [first]).fetchone()
    assert row == (1, '{"articles": 2, "failures": []}')


def test_transaction_is_all_or_nothing_and_nests(index: Index) -> None:
    key = index.upsert_post(tweet(post_id=ID))
    with pytest.raises(RuntimeError), index.transaction():
        cid = capture(index, post_key=key)
        index.add_records(cid, [record("r1", 0)])
        raise RuntimeError("browser crashed")
    assert (count(index, "captures"), count(index, "records")) == (0, 0)
    with index.transaction():
        capture(index, post_key=key)
        with pytest.raises(RuntimeError), index.transaction():
            index.observe(key, "live")
            raise RuntimeError("inner")
    assert (count(index, "captures"), count(index, "observations")) == (1, 0)


def test_text_index_follows_updates(index: Index) -> None:
    key = index.upsert_post(tweet(post_id=ID, text="old words"))
    index.update_post_data(key, text="brand new words")
    assert lookup(index, Filters(text="old")) == []
    assert [p["key"] for p in lookup(index, Filters(text="brand"))] == [key]


def test_in_memory_index_works_like_a_file() -> None:
    with Index.in_memory() as idx:
        key = idx.upsert_post(tweet(post_id=ID, text="memory"))
        assert [p["key"] for p in lookup(idx, Filters(text="memory"))] == [key]


def test_busy_index_is_reported_as_index_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("archiver.index.sqlite.schema.BUSY_TIMEOUT_MS", 100)
    with Index(tmp_path) as holder, Index(tmp_path) as other, holder.transaction():
        holder.upsert_article("https://news.example/a")
        with pytest.raises(IndexError_, match="busy|locked"):
            other.upsert_article("https://news.example/b")
        # WAL: readers are not blocked by the writer.
        assert other.article_id("https://news.example/c") is None


def test_a_merged_hash_key_seen_again_lands_on_the_id_keyed_post(index: Index) -> None:
    # A flattened tweet, resolved once; later seen again offline, where its short link cannot be
    # resolved: it must not come back as a second post.
    flat = Post(platform="twitter", kind="embedded", source="wire.txt", evidence="text-signature",
                handle="RivertonDesk", posted_at="2024-03-04", text="Water levels are rising pic.twitter.com/Zx81")
    index.merge_post_key(flat.key, "twitter:1764653344456642016")  # learned before it was ever stored
    assert index.alias_of(flat.key) == "twitter:1764653344456642016"
    assert index.upsert_post(flat) == "twitter:1764653344456642016"
    again = Post(platform="twitter", kind="embedded", source="wire.txt", evidence="text-signature",
                 handle="RivertonDesk", posted_at="2024-03-04", text="Water levels are rising pic.twitter.com/Zx81")
    assert index.upsert_post(again) == "twitter:1764653344456642016"
    assert count(index, "posts") == 1
    row = index.get_post("twitter:1764653344456642016")
    assert row is not None and row.post_id == "1764653344456642016" and row.handle == "RivertonDesk"
    # A chain (hash -> id1, then id1 -> id2) still ends at the last key.
    index.merge_post_key("twitter:1764653344456642016", "twitter:1764653344456642017")
    assert index.alias_of(flat.key) == "twitter:1764653344456642017"


def _plans(idx: Index, call: object) -> list[tuple[str, list[str]]]:
    """Each SELECT `call()` runs on `idx` with SQLite's plan for it."""
    ran: list[str] = []
    idx.db.conn.set_trace_callback(ran.append)
    try:
        call()  # type: ignore[operator]
    finally:
        idx.db.conn.set_trace_callback(None)
    return [(sql, [row[3] for row in idx.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()])
            for sql in ran if sql.lstrip().upper().startswith("SELECT")]


def test_an_articles_captures_and_citations_are_read_by_its_id_not_among_all(tmp_path: Path) -> None:
    """Whether an article is captured, or cited something new since: looked up through the
    article's own rows (captures_article_id, the citations' article_id), never by walking every
    article capture (captures_post: every article capture has post NULL) or every citation."""
    from archiver.index import open_index

    with open_index(tmp_path) as idx:
        url = "https://news.example/2024/a.html"
        aid = idx.upsert_article(url, source=url)
        capture(idx, article_id=aid, url=url, status="ok")
        idx.cite(aid, idx.upsert_post(tweet(post_id=ID)), "embedded", "blockquote.twitter-tweet")
        checks = {
            "citations_changed_since_capture": lambda: idx.citations_changed_since_capture(aid),
            "article_captured": lambda: idx.article_captured(url),
        }
        for name, call in checks.items():
            for sql, plan in _plans(idx, call):
                assert not [s for s in plan if "captures_post" in s or s.startswith(("SCAN c", "SCAN captures",
                                                                                  "SCAN citations"))], (name, sql, plan)


def test_closing_a_killed_run_reads_its_checks_off_an_index(tmp_path: Path) -> None:
    """Its last check and their count come from posts_last_checked, not a scan of every observation."""
    from archiver.index import open_index

    with open_index(tmp_path) as idx:
        key = idx.upsert_post(tweet(post_id=ID))
        idx.start_run("run")
        idx.observe(key, "live")
        closed: list[object] = []
        plans = _plans(idx, lambda: closed.extend(idx.close_unfinished_runs("killed")))
    assert closed
    assert not [(sql, plan) for sql, plan in plans if "observations" in sql], plans
    assert not [(sql, plan) for sql, plan in plans for s in plan if s.startswith("SCAN posts")], plans
