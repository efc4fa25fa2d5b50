"""URLs that carry credentials or tokens (a seed typed with them, an article behind a signed link)
are named without them wherever they are shown to people: stderr lines, the progress log, a run's
failures (its JSON too), the records `verify` notes as truncated (its JSON too), `show`. The keys a command takes (`--format json` of `show`, the index)
keep them as held."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.models import Post
from tests.fakeweb import FakeWeb

ROOT = Path(__file__).resolve().parents[1]
PASSWORD, TOKEN = "hunter2pw", "SECRETTOKEN123"
SIGNED = f"https://user:{PASSWORD}@news.example/2024/nope.html?token={TOKEN}"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


def _clean(text: str) -> None:
    assert PASSWORD not in text and TOKEN not in text, text


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_failing_seed_is_named_without_its_secrets(fmt: str, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(f"{SIGNED}\nftp://user:{PASSWORD}@ftp.example/x\n")
    with FakeWeb(tmp_path / "web") as web:
        r = _cli("run", "--seeds", str(seeds), "--archive-dir", str(tmp_path / "archive"), "-v",
                 "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem), "--format", fmt)
    assert r.returncode == 2, r.stderr  # nothing could be read
    _clean(r.stdout + r.stderr)
    failed = [line for line in r.stderr.splitlines() if line.startswith("archiver: failed: ")]
    assert any("https://REDACTED@news.example/2024/nope.html?token=REDACTED: HTTP 404" in f for f in failed), failed
    assert any("'ftp://user:REDACTED@ftp.example/x'" in f for f in failed), failed
    if fmt == "json":
        assert len(json.loads(r.stdout)["failures"]) == len(failed)


def _cited_by_signed(archive: Path) -> str:
    """An archive where the article at the signed address cites one post; that post's key."""
    with Index(archive) as index:
        article = index.upsert_article(SIGNED, source="news.urls")
        key = index.upsert_post(Post(platform="twitter", kind="embedded", source="news.urls", evidence="test",
                                     post_id="1764640000000000201", handle="alice", text="The levee is holding"))
        index.cite(article, key, "embedded", "blockquote.twitter-tweet")
    return key


def test_show_names_a_citing_article_without_its_secrets(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    key = _cited_by_signed(archive)
    shown = _cli("show", key, "--archive-dir", str(archive))
    assert shown.returncode == 0, shown.stderr
    _clean(shown.stdout + shown.stderr)
    assert "https://REDACTED@news.example/2024/nope.html?token=REDACTED  (embedded" in shown.stdout
    held = _cli("show", key, "--archive-dir", str(archive), "--format", "json")
    assert SIGNED in held.stdout  # the data as held: the key `lookup --article` takes


def test_show_of_an_article_with_secrets_suggests_a_command_that_works(tmp_path: Path) -> None:
    """The suggested `lookup --article` names no secret, and no redacted address it would not find."""
    archive = tmp_path / "archive"
    key = _cited_by_signed(archive)
    r = _cli("show", SIGNED, "--archive-dir", str(archive))
    assert r.returncode == 2, r.stderr
    _clean(r.stderr)
    assert "REDACTED@news.example/2024/nope.html?token=REDACTED: an article in the archive, not a post" in r.stderr
    assert (f"`archiver lookup --archive-dir {archive} --article ADDRESS`, ADDRESS the article's address with its "
            "credentials, lists the posts it cites") in r.stderr
    listed = _cli("lookup", "--archive-dir", str(archive), "--article", SIGNED, "--format", "json")
    assert [row["key"] for row in json.loads(listed.stdout)] == [key]


def test_scan_names_a_source_it_could_not_use_without_its_secrets() -> None:
    r = _cli("scan", f"http://user:{PASSWORD}@exa mple.com/x?token={TOKEN}")
    assert r.returncode == 2
    _clean(r.stdout + r.stderr)
    assert r.stderr.startswith("archiver: http://user:REDACTED@exa mple.com/x?token=REDACTED")


def test_an_endpoint_named_with_its_user_keeps_the_user_when_the_line_is_redacted_again() -> None:
    from archiver.redact import redact_endpoint, redact_text

    named = redact_endpoint(f"http://tsuser:{PASSWORD}@127.0.0.1:9/tsr?access_token={TOKEN}")
    line = f"timestamp authority {named} could not be reached"
    assert redact_text(line) == line == ("timestamp authority http://tsuser:REDACTED@127.0.0.1:9/tsr"
                                         "?access_token=REDACTED could not be reached")


def test_verify_names_a_truncated_record_without_the_secrets_of_its_target(tmp_path: Path) -> None:
    # A response cut short, written by the real WARC store and indexed by the real index as a
    # capture would, fetched from a signed URL: verify notes it, on stderr and in its JSON.
    from archiver.index.rows import Capture
    from archiver.layout import WARC_DIR
    from archiver.warcstore import Exchange, WarcStore

    archive = tmp_path / "archive"
    archive.mkdir()
    url = f"https://cdn.example/media/cut.jpg?access_token={TOKEN}&size=large"
    with Index(archive) as index, WarcStore(archive / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        article = index.upsert_article("https://news.example/2024/river.html", source="river.html")
        req, resp = store.write_exchange(Exchange(
            url=url, method="GET", request_headers=[("Host", "cdn.example")], status=200,
            response_headers=[("Content-Type", "image/jpeg"), ("Content-Length", "4096")],
            body=b"\xff\xd8" + b"x" * 100, truncated="disconnect"))
        with index.transaction():
            cid = index.add_capture(Capture(source="live", url=url, status="live", article_id=article,
                                            warc=resp.filename, page_record_id=resp.record_id))
            index.add_records(cid, [req, resp], article_id=article)
    shown = "https://cdn.example/media/cut.jpg?access_token=REDACTED&size=large"
    for fmt in ("table", "json"):
        r = _cli("verify", "--archive-dir", str(archive), "--format", fmt)
        assert r.returncode == 0, r.stderr
        _clean(r.stdout + r.stderr)
        assert f"is marked WARC-Truncated: disconnect: {shown}" in r.stderr, r.stderr
    (marked,) = json.loads(r.stdout)["truncated"]
    assert marked["target_uri"] == shown
    assert (marked["path"], marked["offset"], marked["record_id"]) == (f"{WARC_DIR}/{resp.filename}", resp.offset,
                                                                      resp.record_id)


def test_the_capture_info_record_names_failed_requests_without_their_secrets() -> None:
    """A capture's errors are our words, kept in its capture-info record: a URL in them goes
    without its password and secret parameters (the request itself is recorded as made)."""
    from archiver.capture.pagewrite import Provenance, capture_info
    from archiver.capture.renderer import PageCapture

    result = PageCapture(url="https://news.example/a", final_url="https://news.example/a", status=200, title=None,
                         page_record_id=None)
    result.errors.append(f"request failed: GET https://user:{PASSWORD}@news.example/img.png?token=SEKRET&x=1: origin")
    errors = json.loads(capture_info(result, Provenance("131.0", "Mozilla/5.0", True))["errors"])
    assert errors == ["request failed: GET https://REDACTED@news.example/img.png?token=REDACTED&x=1: origin"]


def test_a_run_summary_names_each_post_s_failures_without_their_secrets() -> None:
    # The run's failures were redacted where printed; a result's own (error, reason, failures) and
    # the summary kept in the runs table were not.
    from archiver.pipeline.postcapture import PostOutcome
    from archiver.pipeline.summary import ArchiveSummary

    asked = "https://api.example/status?id=1&access_token=s3cr3t"
    post = PostOutcome("twitter:1", "twitter", None, "unavailable", reason=f"GET {asked}: HTTP 503",
                       error=f"GET {asked}: timed out", wayback_failure=f"lookup not made: GET {asked}: HTTP 503")
    summary = ArchiveSummary(failures=[f"a.html: GET {asked}: refused"])
    summary.posts.append(post)
    data = summary.to_dict()
    assert "s3cr3t" not in json.dumps(data)
    (row,) = data["results"]
    assert row["error"] == "GET https://api.example/status?id=1&access_token=REDACTED: timed out"
    assert len(row["failures"]) == 2 and all("access_token=REDACTED" in f for f in row["failures"])
