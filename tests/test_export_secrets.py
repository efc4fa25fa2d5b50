"""Exports hold no credential: headers by rule in requests, responses and revisits, unless
--include-credentials; URLs with secrets are redacted only where people read them (page titles,
the report), never in WARC or CDXJ, where replay needs them as fetched.

The archive is written with the capture's own WARC writer and indexed in a real SQLite index, and
the export is made by the real CLI; the tests read the bytes of what it wrote.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.export.credentials import REDACTED_FIELD, is_credential
from archiver.index.rows import Capture
from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.layout import WARC_DIR
from archiver.redact import redact_text, redact_url
from archiver.warcstore import Exchange, RecordInfo, WarcStore
from tests.evidence_fixtures import POST_URL, cite_alices_post

ROOT = Path(__file__).resolve().parents[1]

API_KEY, AUTH_TOKEN = "SECRET-API-KEY-1", "SECRET-AUTH-TOKEN-2"
COOKIE, BEARER = "SECRET-COOKIE-3", "SECRET-BEARER-4"
SET_COOKIE, CSRF = "SECRET-SET-COOKIE-5", "SECRET-CSRF-6"
RESP_TOKEN, REVISIT_COOKIE = "SECRET-RESPONSE-TOKEN-7", "SECRET-REVISIT-COOKIE-8"
RENAMED = "SECRET-RENAMED-9"
FEED_COOKIE, HOP_BEARER = "SECRET-FEED-COOKIE-10", "SECRET-HOP-BEARER-11"
HEADER_SECRETS = (API_KEY, AUTH_TOKEN, COOKIE, BEARER, SET_COOKIE, CSRF, RESP_TOKEN, REVISIT_COOKIE, RENAMED,
                  FEED_COOKIE, HOP_BEARER)
URL_TOKEN, URL_PASSWORD = "SECRETURLTOKEN", "SECRETURLPASS"

ARTICLE = f"https://reader:{URL_PASSWORD}@news.example/story.html?access_token={URL_TOKEN}&page=2"
EMBED = "https://platform.twitter.com/embed/Tweet.html?id=1764640000000000201"
API = "https://api.example/1.1/statuses/show.json?id=1764640000000000201"
AVATAR = "https://pbs.twimg.com/profile_images/alice.jpg"
FEED = "https://news.example/feed.xml"  # fetched by a run, held by no post or article
HOP = "https://t.co/abc123"  # a short link's hop, likewise


# -- the rule -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "Cookie", "Set-Cookie", "Set-Cookie2", "Authorization", "Proxy-Authorization", "X-Api-Key", "x-api-key",
    "X-Auth-Token", "X-Csrf-Token", "X-Guest-Token", "X-Amz-Security-Token", "X-Session-Id", "Signature",
    "Signature-Input", "X-Client-Secret", "Ocp-Apim-Subscription-Key", "Authentication-Info",
    "X-Archive-Orig-Set-Cookie", "x-archive-orig-authorization", "X-Archive-Orig-X-Api-Key",
    # the words the redaction of URLs takes for secrets
    "X-Password", "X-Passwd", "Cookie2", "X-Cookie", "X-Jwt-Assertion", "DPoP", "X-Credentials",
    "X-Amz-Credential", "X-Archive-Orig-X-Password",
])
def test_credentials_by_name_and_by_pattern(name: str) -> None:
    assert is_credential(name)


# Every standard header a capture commonly records; the few the pattern would catch are excepted.
@pytest.mark.parametrize("name", [
    "Accept", "Accept-Encoding", "Accept-Language", "Cache-Control", "Connection", "Content-Encoding",
    "Content-Length", "Content-Security-Policy", "Content-Type", "Date", "ETag", "Expires", "Host",
    "If-None-Match", "Keep-Alive", "Last-Modified", "Location", "Origin", "Pragma", "Referer",
    "Referrer-Policy", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "Sec-Fetch-Dest",
    "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User", "Server", "Strict-Transport-Security",
    "Transfer-Encoding", "Upgrade-Insecure-Requests", "User-Agent", "Vary", "X-Content-Type-Options",
    "X-Frame-Options", "Access-Control-Allow-Origin", "Access-Control-Allow-Headers", "Sec-WebSocket-Key",
    "Sec-WebSocket-Accept", "Sec-WebSocket-Version", "WWW-Authenticate", "Proxy-Authenticate",
    "Public-Key-Pins", "Public-Key-Pins-Report-Only", "X-Archive-Orig-Content-Encoding",
    "X-Archive-Orig-Keep-Alive", "Report-To", "NEL", "Alt-Svc", "Timing-Allow-Origin",
])
def test_standard_headers_are_kept(name: str) -> None:
    assert not is_credential(name)


def test_url_redaction() -> None:
    assert redact_url(ARTICLE) == "https://REDACTED@news.example/story.html?access_token=REDACTED&page=2"
    assert redact_url("https://h.example/a?API-Key=k;sig=s#id_token=t&state=1") == \
        "https://h.example/a?API-Key=REDACTED;sig=REDACTED#id_token=REDACTED&state=1"
    for plain in (POST_URL, EMBED, "https://h.example/?q=key", "https://h.example/p?", "not a url", ""):
        assert redact_url(plain) == plain
    assert redact_text(f"Story ({ARTICLE})") == f"Story ({redact_url(ARTICLE)})"
    # A scheme in capitals is a URL's too (a page's text may write one so).
    assert redact_text("see HTTPS://u:pw@h.example/?Token=t and Http://h.example/?session=s") == \
        "see https://REDACTED@h.example/?Token=REDACTED and http://h.example/?session=REDACTED"


# -- an archive written by the capture's WARC writer -------------------------------------------------

Headers = tuple[tuple[str, str], ...]


def _exchange(url: str, body: bytes, *, req: Headers = (), resp: Headers = (),
              mime: str = "text/html; charset=utf-8") -> Exchange:
    return Exchange(url=url, method="GET", status=200, body=body, date=datetime.now(UTC), protocol="h2",
                    request_headers=[("User-Agent", "Mozilla/5.0 (test)"), ("Accept", "*/*"), *req],
                    response_headers=[("Content-Type", mime), ("Keep-Alive", "timeout=5"), *resp])


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    avatar = b"\xff\xd8\xff" + b"J" * 4000  # big enough to be stored once, then as a revisit
    with Index(root) as index, WarcStore(root / WARC_DIR, prefix="test") as store:
        article_id, key = cite_alices_post(index, ARTICLE)

        article: list[RecordInfo] = list(store.write_exchange(_exchange(
            ARTICLE, b"<html><title>River</title><p>Rising water.</p></html>",
            req=(("Cookie", f"sid={COOKIE}"), ("Authorization", f"Bearer {BEARER}")),
            resp=(("Set-Cookie", f"sid={SET_COOKIE}; HttpOnly"), ("Content-Encoding", "gzip")))))
        article += store.write_exchange(_exchange(AVATAR, avatar, mime="image/jpeg"))
        cid = index.add_capture(Capture(post_key=None, article_id=article_id, source="live", url=ARTICLE, status="ok",
                                screenshot=None, screenshot_sha256=None, error=None,
                                warc=article[0].filename, page_record_id=None))
        index.add_records(cid, article, article_id=article_id)

        post: list[RecordInfo] = list(store.write_exchange(_exchange(
            EMBED, b"<html><article>Alice: the river is up</article></html>", req=(("Cookie", f"a={COOKIE}"),))))
        post += store.write_exchange(_exchange(
            API, b'{"id_str": "1764640000000000201"}', mime="application/json",
            req=(("X-Api-Key", API_KEY), ("X-Auth-Token", AUTH_TOKEN), ("X-Csrf-Token", CSRF),
                 ("Authorization", f"Bearer {BEARER}"), ("X-Archive-Orig-X-Guest-Token", RENAMED)),
            resp=(("X-Refresh-Token", RESP_TOKEN),)))
        # the same avatar again: a revisit record, with its own response headers
        post += store.write_exchange(_exchange(AVATAR, avatar, mime="image/jpeg",
                                               resp=(("Set-Cookie", f"t={REVISIT_COOKIE}"),)))
        assert post[-1].warc_type == "revisit"
        cid = index.add_capture(Capture(post_key=key, article_id=None, source="live", url=EMBED, status="live",
                                screenshot=None, screenshot_sha256=None, error=None,
                                warc=post[0].filename, page_record_id=None))
        index.add_records(cid, post, post_key=key)
        # What a whole export carries besides: records of no post or article.
        index.add_records(None, [*store.write_exchange(_exchange(FEED, b"<rss/>", mime="application/rss+xml",
                                                                 req=(("Cookie", f"s={FEED_COOKIE}"),))),
                                 *store.write_exchange(_exchange(HOP, b"", req=(("Authorization", f"Bearer {HOP_BEARER}"),)))])
    raw = b"".join(gzip.decompress(p.read_bytes()) for p in (root / WARC_DIR).glob("*.warc.gz"))
    assert all(s.encode() in raw for s in HEADER_SECRETS)  # the archive itself keeps everything
    return root


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def _export(archive: Path, out: Path, *flags: str) -> str:
    r = _cli("export", "--archive-dir", str(archive), "-o", str(out), *flags)
    assert r.returncode == 0, r.stderr
    return r.stderr


def _headers_by_record(warc: bytes) -> list[tuple[str, str, list[tuple[str, str]], str | None]]:
    out = []
    for rec in ArchiveIterator(io.BytesIO(warc)):
        http = rec.http_headers.headers if rec.http_headers else []
        out.append((rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI") or "", list(http),
                    rec.rec_headers.get_header(REDACTED_FIELD)))
    return out


@pytest.mark.parametrize("name", ["alice.wacz", "alice.warc.gz"])
def test_export_holds_no_credential(archive: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    said = _export(archive, out)
    # The whole archive holds the records no page leads to, and says how many.
    assert ("exporting the whole archive (1 post, 4 records of no post or article: feeds, failed fetches, "
            "short links' hops)") in said, said
    if name.endswith(".wacz"):
        with zipfile.ZipFile(out) as zf:
            warc = zf.read("archive/data.warc.gz")
            others = b"".join(zf.read(n) for n in zf.namelist() if n != "archive/data.warc.gz")
    else:
        warc, others = out.read_bytes(), b""
    plain = gzip.decompress(warc)
    for secret in HEADER_SECRETS:
        assert secret.encode() not in plain and secret.encode() not in others, secret
    records = _headers_by_record(warc)
    kinds = {(t, u) for t, u, _, removed in records if removed}
    assert {("request", ARTICLE), ("response", ARTICLE), ("request", EMBED), ("request", API),
            ("response", API), ("revisit", AVATAR), ("request", FEED), ("request", HOP)} <= kinds
    kept = {k.lower() for _, _, headers, _ in records for k, _ in headers}
    assert {"user-agent", "accept", "keep-alive", "content-type", "x-archive-orig-content-encoding"} <= kept
    # URLs stay as fetched: replay looks them up exactly
    assert ARTICLE.encode() in plain
    assert records[0][0] == "warcinfo" and b"export-credentials: removed: headers Cookie" in plain


def test_include_credentials_keeps_everything(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "alice.warc.gz"
    _export(archive, out, "--include-credentials")
    plain = gzip.decompress(out.read_bytes())
    for secret in HEADER_SECRETS:
        assert secret.encode() in plain, secret
    assert REDACTED_FIELD.encode() not in plain


def test_page_titles_hide_url_secrets_but_page_urls_replay(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "alice.wacz"
    _export(archive, out)
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()[1:]]
        index = zf.read("indexes/index.cdx")
    article = next(p for p in pages if p["url"] == ARTICLE)  # the page key stays as fetched
    assert article["title"] == redact_url(ARTICLE)
    assert URL_TOKEN not in article["title"] and URL_PASSWORD not in article["title"]
    assert URL_TOKEN.encode() in index  # the CDXJ key too


def test_report_hides_url_secrets(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    r = _cli("report", "--archive-dir", str(archive), "-o", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "news.example/story.html" in html and "access_token=REDACTED" in html
    assert URL_TOKEN not in html and URL_PASSWORD not in html
