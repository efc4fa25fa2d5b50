"""Per-capture timestamps: the manifest a token covers, rebuilt from the WARC records' own headers,
and the stamps kept in the index (both backends), failures included."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.evidence.stamps import ManifestEntry, digest_of, manifest, manifest_of, parse_manifest, unstamped_failures
from archiver.index import open_index
from archiver.index.protocol import Index
from archiver.index.rows import Capture, CaptureStamp
from archiver.models import Post
from archiver.warcstore import Batch, WarcStore
from tests.index_backends import BACKENDS, open_test_index


def _written(tmp_path: Path) -> tuple[Batch, Path]:
    """A capture's records as the WARC store writes them: two resources, one of them met twice."""
    with WarcStore(tmp_path / "warcs", prefix="t") as store:
        batch = Batch(store)
        batch.write_resource("urn:screenshot:https://news.example/a", "image/png", b"\x89PNG one")
        batch.write_resource("https://news.example/a\tb", "text/html", b"<p>tab in the URL</p>")
        batch.write_metadata("https://news.example/a", {"why": "provenance"})
    return batch, next((tmp_path / "warcs").glob("*.warc.gz"))


def test_the_manifest_is_rebuilt_from_the_records_headers_alone(tmp_path: Path) -> None:
    batch, warc = _written(tmp_path)
    at_capture = manifest_of(batch.records)
    with warc.open("rb") as f:
        read_back = [ManifestEntry(r.rec_headers.get_header("WARC-Record-ID"), r.rec_type,
                                   r.rec_headers.get_header("WARC-Target-URI") or "", r.rec_headers.get_header("WARC-Date"),
                                   r.rec_headers.get_header("WARC-Block-Digest"), r.rec_headers.get_header("WARC-Payload-Digest"))
                     for r in ArchiveIterator(f) if r.rec_type != "warcinfo"]
    assert manifest(reversed(read_back)) == at_capture  # order does not matter: lines are sorted
    lines = at_capture.split("\n")
    assert lines[0] == "archiver-capture-records/2" and lines[-1] == "" and len(lines) == 5
    assert all(line.count("\t") == 5 for line in lines[1:-1])
    assert "https://news.example/a%09b" in at_capture and all(r.block_digest for r in batch.records)
    assert digest_of(at_capture) == "sha256:" + hashlib.sha256(at_capture.encode()).hexdigest()
    assert len(parse_manifest(at_capture)) == 3 and manifest(parse_manifest(at_capture)) == at_capture
    # One changed byte of one block gives another manifest, and another digest.
    changed = [ManifestEntry(e.record_id, e.warc_type, e.target_uri, e.date, "sha1:" + "A" * 32)
               if i == 0 else e for i, e in enumerate(read_back)]
    assert digest_of(manifest(changed)) != digest_of(at_capture)
    with pytest.raises(ValueError, match="not a capture manifest"):
        parse_manifest("something else\n")
    # A first-version manifest (five fields, no payload digest) is still read.
    first = "archiver-capture-records/1\n" + "".join(line.rsplit("\t", 1)[0] + "\n" for line in lines[1:-1])
    assert [(e.record_id, e.block_digest, e.payload_digest) for e in parse_manifest(first)] == [
        (e.record_id, e.block_digest, None) for e in parse_manifest(at_capture)]


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Index]:
    with open_test_index(request, request.param, tmp_path) as idx:
        yield idx


def test_stamps_are_kept_per_capture_and_authority_and_failures_are_named(index: Index) -> None:
    article = index.upsert_article("https://news.example/a", title="A")
    key = index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="e", post_id="20"))
    post_capture = index.add_capture(Capture(source="live", url="https://platform.twitter.com/embed/20",
                                             status="live", post_key=key))
    article_capture = index.add_capture(Capture(source="live", url="https://news.example/a", status="ok",
                                                article_id=article))
    text = manifest([ManifestEntry("<urn:uuid:1>", "resource", "https://x.example/", "2026-12-04T15:00:00Z",
                                   "sha256:" + "0" * 64)])
    index.add_stamp(CaptureStamp(capture_id=post_capture, digest=digest_of(text), manifest=text,
                                 tsa="http://tsa.one/", token="AAEC", stamped_at="2026-12-04T15:00:01Z",
                                 requested_at="2026-12-04T15:00:00Z"))
    index.add_stamp(CaptureStamp(capture_id=post_capture, digest=digest_of(text), manifest=text,
                                 tsa="http://tsa.two/", error="connection refused",
                                 requested_at="2026-12-04T15:00:00Z"))
    index.add_stamp(CaptureStamp(capture_id=article_capture, digest=digest_of(text), manifest=text,
                                 tsa="http://tsa.two/", error="timed out", requested_at="2026-12-03T10:00:00Z"))
    stamps = index.capture_stamps([post_capture, article_capture])
    assert [(s.capture_id, s.tsa, s.token, s.error) for s in stamps] == [
        (post_capture, "http://tsa.one/", "AAEC", None), (post_capture, "http://tsa.two/", None, "connection refused"),
        (article_capture, "http://tsa.two/", None, "timed out")]
    first = stamps[0]
    assert (first.post_key, first.article_url, first.stamped_at, first.manifest) == (
        key, None, "2026-12-04T15:00:01.000Z", text)
    assert stamps[2].article_url == "https://news.example/a" and stamps[2].post_key is None

    # A failure since the run began is named with its post and authority; an older one is not.
    assert unstamped_failures(index, "2026-12-04T14:00:00Z") == [
        f"{key}: capture {post_capture} ({first.captured_at}) not timestamped by http://tsa.two/: connection refused"]
    # The same authority answering later replaces its failure.
    index.add_stamp(CaptureStamp(capture_id=post_capture, digest=digest_of(text), manifest=text,
                                 tsa="http://tsa.two/", token="AQID", stamped_at="2026-12-04T16:00:00Z"))
    assert unstamped_failures(index, "2026-12-04T14:00:00Z") == []
    assert len(index.capture_stamps([post_capture])) == 2
    assert index.capture_stamps([]) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_version_5_index_gains_the_stamps_table(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        from sqlite_utils import Database

        from archiver.index.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, migrate

        (tmp_path / "a").mkdir()
        db = Database(tmp_path / "a" / "archive.db")
        assert migrate(db, MIGRATIONS[:5]) == 5
        db.close()
        with open_index(tmp_path / "a", create=False) as index:
            assert index.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # type: ignore[attr-defined]
            assert index.capture_stamps([1]) == []
        return
    from archiver.index.postgres.connection import Database as PgDatabase
    from archiver.index.postgres.schema import MIGRATIONS as PG_MIGRATIONS
    from archiver.index.postgres.schema import migrate as pg_migrate
    from tests.index_backends import postgres_database

    url = postgres_database(request, migrated=False)
    db = PgDatabase(url)
    assert pg_migrate(db, {5: PG_MIGRATIONS[5]}) == 5
    db.close()
    with open_index(Path("."), url=url) as index:
        versions = index.db.execute("SELECT version FROM archiver_schema ORDER BY version").fetchall()  # type: ignore[attr-defined]
        assert [row[0] for row in versions] == list(range(5, max(PG_MIGRATIONS) + 1))  # 6 among them
        assert index.capture_stamps([1]) == []


def test_the_stamper_keeps_each_answer_and_names_each_failure(tmp_path: Path, tsa_authority: Any) -> None:
    import base64

    from archiver.evidence import tsa
    from archiver.evidence.stamps import Authorities, Stamper

    batch, _warc = _written(tmp_path)
    with open_index(tmp_path / "archive") as index:
        article = index.upsert_article("https://news.example/a")
        captures = [index.add_capture(Capture(source="live", url="https://news.example/a", status="ok",
                                              article_id=article)) for _ in range(6)]
        stamper = Stamper(Authorities((tsa_authority.url,), deadline=30))
        assert stamper.stamp(index, captures[0], batch.records) == []
        reasons = {}
        for capture, fail in zip(captures[1:4], ("http", "garbage", "other"), strict=True):
            tsa_authority.fail = fail
            [reasons[fail]] = stamper.stamp(index, capture, batch.records)
        asked = tsa_authority.queries
        # Three failures in a row: the authority is not asked again in this run, and each capture says so.
        tsa_authority.fail = None
        [later] = stamper.stamp(index, captures[4], batch.records)
        assert tsa_authority.queries == asked and "not asked" in later and tsa_authority.url in later
        stamps = {s.capture_id: s for s in index.capture_stamps(captures)}
        # A stamper of a new run asks again.
        assert Stamper(Authorities((tsa_authority.url,), deadline=30)).stamp(index, captures[5], batch.records) == []
    assert "HTTP 503" in reasons["http"] and "not an RFC 3161 reply" in reasons["garbage"]
    assert "another request" in reasons["other"]
    assert all(f"capture {c} " in reasons[f] for c, f in zip(captures[1:4], ("http", "garbage", "other"), strict=True))
    good = stamps[captures[0]]
    assert good.token and good.error is None and good.manifest == manifest_of(batch.records)
    tsa.check_token(base64.b64decode(good.token), message=good.manifest.encode(),
                    roots=tsa.load_certificates(tsa_authority.root_pem))
    assert all(stamps[c].token is None and stamps[c].error for c in captures[1:5])


def test_a_token_dated_before_its_records_names_this_machine_s_clock_once(tmp_path: Path, tsa_authority: Any) -> None:
    """A machine whose clock runs ahead of the authority's dates its records after the tokens that
    stamp them: `verify` takes none of them for timestamped when made, so the run says so at once
    (once per authority), the token kept all the same."""
    import datetime

    from archiver.evidence import tsa
    from archiver.evidence.stamps import Authorities, Stamper

    batch, _warc = _written(tmp_path)
    hour_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)

    def an_hour_behind(url: str, message: bytes, deadline: float) -> tsa.Token:
        return tsa.parse_token(tsa_authority.token_at(message, hour_ago))

    from archiver.evidence.stamps import unstamped_failures
    from archiver.times import utc_now

    since = utc_now()
    with open_index(tmp_path / "archive") as index:
        article = index.upsert_article("https://news.example/a")
        captures = [index.add_capture(Capture(source="live", url="https://news.example/a", status="ok",
                                              article_id=article)) for _ in range(2)]
        stamper = Stamper(Authorities((tsa_authority.url,), deadline=30), request=an_hour_behind)
        [said] = stamper.stamp(index, captures[0], batch.records)
        assert f"capture {captures[0]}: timestamp authority {tsa_authority.url} dated its token 1 h" in said, said
        assert "this machine's clock is ahead of the authority's" in said and "set this machine's clock right" in said
        assert stamper.stamp(index, captures[1], batch.records) == []  # said once
        assert all(s.token for s in index.capture_stamps(captures))  # kept: the records existed by then
        # The run's summary names it once, for every capture so stamped (a run of several processes too).
        [line] = unstamped_failures(index, since)
        assert line.startswith(f"https://news.example/a: capture {captures[0]} and 1 other(s): timestamp authority"), line
        # A clock that agrees (the authority's own time): nothing to say.
        assert Stamper(Authorities((tsa_authority.url,), deadline=30)).stamp(index, captures[1], batch.records) == []
