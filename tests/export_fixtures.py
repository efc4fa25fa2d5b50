"""A small real archive for export/verify tests: WARC files written with warcio, index rows recorded
as the capture writes them (each record's gzip member offset and length), screenshot files on disk.

Two posts from two handles share an avatar image: bob's capture stored it first, alice's later capture
stored a revisit to it, in another file. Alice's article request carries a cookie and a bearer
token, its response a Set-Cookie.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.index.rows import PageRow, RecordRow, StoredFile

ARTICLE = "https://news.example/2021/11/08/river.html"
ALICE_EMBED = "https://platform.twitter.com/embed/Tweet.html?id=1111111111111111111"
BOB_EMBED = "https://platform.twitter.com/embed/Tweet.html?id=2222222222222222222"
ALICE_API = "https://api.example/graphql?op=TweetDetail"
AVATAR = "https://pbs.twimg.com/profile_images/shared/avatar_normal.jpg"
ALICE_PHOTO = "https://pbs.twimg.com/media/AliceRiver.jpg"
BOB_PHOTO = "https://pbs.twimg.com/media/BobBridge.jpg"
ALICE_KEY = "twitter:1111111111111111111"
BOB_KEY = "twitter:2222222222222222222"

COOKIE = "session=SECRETCOOKIE123"
BEARER = "Bearer SECRETTOKEN456"
SET_COOKIE = "sid=SECRETSETCOOKIE789; Path=/; HttpOnly"


def png_bytes(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid little PNG, made here so no binary fixture is needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@dataclass
class WarcFile:
    """One WARC file being written; each write records its row like the index does."""

    archive: Archive
    filename: str
    fh: io.BufferedWriter
    writer: WARCWriter

    def _write(self, record: Any, post_key: str | None, article_id: int | None) -> RecordRow:
        offset = self.fh.tell()
        self.writer.write_record(record)
        self.fh.flush()
        h = record.rec_headers
        http = record.http_headers
        status = http.get_statuscode() if http and record.rec_type in ("response", "revisit") else None
        mime = (http.get_header("Content-Type") if http else h.get_header("Content-Type"))
        row = RecordRow(
            record_id=h.get_header("WARC-Record-ID"),
            warc_type=record.rec_type,
            target_uri=h.get_header("WARC-Target-URI") or "",
            date=h.get_header("WARC-Date"),
            status=int(status) if status else None,
            mime=mime,
            payload_digest=h.get_header("WARC-Payload-Digest"),
            filename=self.filename,
            offset=offset,
            length=self.fh.tell() - offset,
            post_key=post_key,
            article_id=article_id,
        )
        self.archive.rows.append(row)
        return row

    def exchange(self, url: str, body: bytes, *, mime: str, date: str, post_key: str | None = None,
                 article_id: int | None = None, method: str = "GET", req_body: bytes = b"",
                 req_headers: list[tuple[str, str]] | None = None,
                 resp_headers: list[tuple[str, str]] | None = None, status: str = "200 OK",
                 req_mime: str | None = None) -> tuple[RecordRow, RecordRow]:
        """A response record and then its request, linked by WARC-Concurrent-To (as warcio pairs them)."""
        host = url.split("/")[2]
        path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
        rh = [("Content-Type", mime), ("Content-Length", str(len(body)))] + list(resp_headers or [])
        resp = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders(status, rh, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date, "WARC-IP-Address": "127.0.0.1"})
        qh = [("Host", host), ("User-Agent", "Mozilla/5.0 (test)")] + list(req_headers or [])
        if req_body:
            qh += [("Content-Type", req_mime or "application/octet-stream"), ("Content-Length", str(len(req_body)))]
        req = self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(req_body), length=len(req_body),
            http_headers=StatusAndHeaders(f"{method} {path} HTTP/1.1", qh, is_http_request=True),
            warc_headers_dict={"WARC-Date": date,
                               "WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")})
        return self._write(resp, post_key, article_id), self._write(req, post_key, article_id)

    def resource(self, uri: str, data: bytes, *, mime: str, date: str, post_key: str | None = None,
                 article_id: int | None = None) -> RecordRow:
        rec = self.writer.create_warc_record(uri, "resource", payload=io.BytesIO(data), length=len(data),
                                             warc_content_type=mime, warc_headers_dict={"WARC-Date": date})
        return self._write(rec, post_key, article_id)

    def metadata(self, uri: str, info: dict[str, Any], *, date: str, post_key: str | None = None) -> RecordRow:
        data = json.dumps(info).encode()
        rec = self.writer.create_warc_record(uri, "metadata", payload=io.BytesIO(data), length=len(data),
                                             warc_content_type="application/json",
                                             warc_headers_dict={"WARC-Date": date})
        return self._write(rec, post_key, None)

    def revisit(self, url: str, original: RecordRow, *, date: str, mime: str,
                post_key: str | None = None) -> RecordRow:
        http = StatusAndHeaders("200 OK", [("Content-Type", mime)], protocol="HTTP/1.1")
        rec = self.writer.create_revisit_record(
            url, original.payload_digest, original.target_uri, original.date, http_headers=http,
            warc_headers_dict={"WARC-Date": date})
        return self._write(rec, post_key, None)


@dataclass
class Archive:
    root: Path
    rows: list[RecordRow] = field(default_factory=list)
    screenshots: list[StoredFile] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)

    def warc(self, filename: str) -> WarcFile:
        path = self.root / "warcs" / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("wb")
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        wf = WarcFile(self, filename, fh, writer)
        info = writer.create_warcinfo_record(filename, {"software": "archiver tests", "format": "WARC File Format 1.1"})
        wf._write(info, None, None)
        return wf

    def screenshot(self, rel: str, data: bytes) -> StoredFile:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        row = StoredFile(path=rel, sha256=hashlib.sha256(data).hexdigest())
        self.screenshots.append(row)
        return row

    def rows_for(self, *keys: str | None, article_ids: tuple[int, ...] = ()) -> list[RecordRow]:
        return [r for r in self.rows if (r.post_key in keys and r.post_key) or r.article_id in article_ids]


def build_archive(root: Path) -> Archive:
    """The two-handle archive described in the module docstring."""
    arc = Archive(root)
    avatar = png_bytes(2, 2, (10, 120, 200))
    shot_a, shot_b = png_bytes(6, 4, (250, 250, 0)), png_bytes(5, 5, (0, 0, 0))
    arc.bodies = {
        ARTICLE: b"<html><head><title>River</title></head><body><p>Rising water.</p>"
                 b"<blockquote class=\"twitter-tweet\"><a href=\"https://twitter.com/alice/status/1111111111111111111\">"
                 b"</a></blockquote></body></html>",
        ALICE_EMBED: "<html><body><article>Alice: the river is up 🌊</article></body></html>".encode(),
        BOB_EMBED: b"<html><body><article>Bob: bridge closed</article></body></html>",
        ALICE_API: json.dumps({"data": {"tweet": {"id": "1111111111111111111", "text": "river"}}}).encode(),
        AVATAR: avatar,
        ALICE_PHOTO: png_bytes(3, 3, (0, 200, 0)),
        BOB_PHOTO: png_bytes(3, 2, (0, 0, 200)),
    }

    b = arc.warc("capture-20211107-000001.warc.gz")
    b.exchange(BOB_EMBED, arc.bodies[BOB_EMBED], mime="text/html; charset=utf-8", date="2021-11-07T09:00:00Z",
               post_key=BOB_KEY)
    avatar_row, _ = b.exchange(AVATAR, avatar, mime="image/jpeg", date="2021-11-07T09:00:01Z", post_key=BOB_KEY)
    b.exchange(BOB_PHOTO, arc.bodies[BOB_PHOTO], mime="image/png", date="2021-11-07T09:00:02Z", post_key=BOB_KEY)
    b.resource("urn:screenshot:https://x.com/bob/status/2222222222222222222", shot_b, mime="image/png",
               date="2021-11-07T09:00:03Z", post_key=BOB_KEY)
    b.fh.close()

    a = arc.warc("capture-20211108-000002.warc.gz")
    a.exchange(ARTICLE, arc.bodies[ARTICLE], mime="text/html; charset=utf-8", date="2021-11-08T10:00:00Z",
               article_id=1, req_headers=[("Cookie", COOKIE), ("Authorization", BEARER)],
               resp_headers=[("Set-Cookie", SET_COOKIE)])
    a.resource("urn:view:" + ARTICLE, png_bytes(8, 8, (255, 255, 255)), mime="image/png",
               date="2021-11-08T10:00:01Z", article_id=1)
    a.exchange(ALICE_EMBED, arc.bodies[ALICE_EMBED], mime="text/html; charset=utf-8",
               date="2021-11-08T10:00:02Z", post_key=ALICE_KEY, req_headers=[("Cookie", COOKIE)])
    a.exchange(ALICE_API, arc.bodies[ALICE_API], mime="application/json", date="2021-11-08T10:00:03Z",
               post_key=ALICE_KEY, method="POST", req_body=b'{"variables": {"id": "1111111111111111111"}}',
               req_mime="application/json")
    a.revisit(AVATAR, avatar_row, date="2021-11-08T10:00:04Z", mime="image/jpeg", post_key=ALICE_KEY)
    a.exchange(ALICE_PHOTO, arc.bodies[ALICE_PHOTO], mime="image/png", date="2021-11-08T10:00:05Z",
               post_key=ALICE_KEY)
    a.resource("urn:screenshot:https://x.com/alice/status/1111111111111111111", shot_a, mime="image/png",
               date="2021-11-08T10:00:06Z", post_key=ALICE_KEY)
    a.metadata("urn:capture:https://x.com/alice/status/1111111111111111111", {"browser": "Chromium", "ms": 700},
               date="2021-11-08T10:00:07Z", post_key=ALICE_KEY)
    a.fh.close()

    arc.screenshot("screenshots/twitter/1111111111111111111/embed.png", shot_a)
    arc.screenshot("screenshots/twitter/2222222222222222222/embed.png", shot_b)
    return arc


def alice_pages() -> list[PageRow]:
    return [
        PageRow(url=ARTICLE, ts="2021-11-08T10:00:00Z", title="River rising"),
        PageRow(url=ALICE_EMBED, ts="2021-11-08T10:00:02Z", title="@alice, 2021-11-08"),
    ]
