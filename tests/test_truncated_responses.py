"""A response cut short is recorded as what it is: WARC-Truncated on its response record.

WARC 1.1 (IIPC, "WARC-Truncated", and "'response' ... for 'http' and 'https' schemes"): "When a
'response' is known to have been truncated, this shall be noted using the WARC-Truncated field",
its reason one of `length`, `time`, `disconnect`, `unspecified`. The real `archiver archive` CLI
runs once (module-scoped: Chromium starts once) over a local HTML file that shows images whose
server announces a Content-Length and stops half-way
(tests/fakeweb/faults.py, `truncated`): one over HTTP/1.1 (faults.example: the connection drops,
Chromium fails the load), one over h2 (pbs.twimg.com with the fault injected: the stream ends early,
Chromium calls the load finished), beside a photo served whole. The WARCs are read back with
warcio. The WARC writer is also driven directly, for the records it must never make of a cut body.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.warcstore import Batch, Exchange, WarcStore
from tests.e2e import cli, warc_files, warcio_check
from tests.fakeweb import FakeWeb, site

CUT_H1 = "https://faults.example/truncated?type=png"  # HTTP/1.1: Content-Length 8221, 4110 bytes sent
CUT_PATH = "/media/" + site.TWEET_PHOTO.photos[0].key
CUT_H2 = f"https://pbs.twimg.com{CUT_PATH}"  # the same fault over h2
WHOLE = "https://pbs.twimg.com/media/GH2aZ8LXoAA0nqT"  # another photo, served whole
HOSTILE = f"""<!doctype html><html><head><meta charset="utf-8"><title>Hostile</title></head>
<body><h1>Images cut short</h1>
<img src="{CUT_H1}" width="16" height="16">
<img src="{CUT_H2}" width="16" height="16">
<img src="{WHOLE}" width="16" height="16">
</body></html>"""


@dataclass
class Rec:
    type: str
    uri: str
    headers: dict[str, str]
    http: dict[str, str]  # lower-cased names
    status: int | None
    payload: bytes


def read_all(archive: Path) -> list[Rec]:
    out: list[Rec] = []
    for path in warc_files(archive):
        with open(path, "rb") as fh:
            for r in ArchiveIterator(fh):
                http = {k.lower(): v for k, v in r.http_headers.headers} if r.http_headers is not None else {}
                status = (int(r.http_headers.get_statuscode())
                          if r.http_headers is not None and r.rec_type in ("response", "revisit") else None)
                out.append(Rec(r.rec_type, r.rec_headers.get_header("WARC-Target-URI") or "",
                               dict(r.rec_headers.headers), http, status, r.content_stream().read()))
    return out


def response(records: list[Rec], url: str) -> Rec:
    found = [r for r in records if r.type == "response" and r.uri == url]
    assert len(found) == 1, f"{len(found)} response records for {url}"
    return found[0]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("truncated")
    with FakeWeb(tmp / "web") as web:
        web.set_state(("fault", "pbs.twimg.com", CUT_PATH), "truncated")
        page = tmp / "H" / "hostile.html"
        page.parent.mkdir()
        page.write_text(HOSTILE, encoding="utf-8")
        archive = tmp / "X"
        result = cli(web, "archive", str(page), "--timeout", "5", archive=archive)
        web.set_state(("fault", "pbs.twimg.com", CUT_PATH), None)
    assert result.returncode == 0, result.stderr
    records = read_all(archive)
    info = next(json.loads(r.payload) for r in records
                if r.type == "metadata" and r.uri.startswith("urn:capture-info:"))
    yield {"archive": archive, "records": records, "errors": json.loads(info["errors"]), "stderr": result.stderr}


@pytest.mark.browser
def test_an_image_cut_short_over_http1_is_marked_truncated_disconnect(run: dict[str, Any]) -> None:
    cut = response(run["records"], CUT_H1)
    assert cut.status == 200
    assert cut.headers.get("WARC-Truncated") == "disconnect", cut.headers
    # The server's announced length is kept; the stored Content-Length states the stored block,
    # which is less than announced (Chromium hands over nothing of a failed load's body).
    assert cut.http["x-archive-orig-content-length"] == "8221"
    assert cut.http["content-length"] == str(len(cut.payload))
    assert len(cut.payload) < 8221
    assert any(CUT_H1 in e and "WARC-Truncated: disconnect" in e for e in run["errors"]), run["errors"]


@pytest.mark.browser
def test_an_image_cut_short_over_h2_is_marked_truncated(run: dict[str, Any]) -> None:
    # Over h2 the server ends the stream early and Chromium calls the load finished: no failure is
    # reported, but the body is shorter than its Content-Length, so the cut is known all the same.
    cut = response(run["records"], CUT_H2)
    assert cut.headers.get("WARC-Protocol") == "h2"
    assert cut.headers.get("WARC-Truncated") == "unspecified", cut.headers
    assert cut.http["content-length"] == str(len(cut.payload))
    assert 0 < len(cut.payload) < int(cut.http["x-archive-orig-content-length"])
    assert any(CUT_H2 in e and "WARC-Truncated: unspecified" in e for e in run["errors"]), run["errors"]


@pytest.mark.browser
def test_only_the_cut_responses_are_marked(run: dict[str, Any]) -> None:
    records: list[Rec] = run["records"]
    whole = response(records, WHOLE)
    assert whole.status == 200 and whole.payload[:2] == b"\xff\xd8"  # the JPEG, whole
    assert whole.http["content-length"] == str(len(whole.payload))
    marked = {r.uri for r in records if "WARC-Truncated" in r.headers}
    assert marked == {CUT_H1, CUT_H2}
    # Only the response records: the requests were sent whole.
    assert all(r.type == "response" for r in records if "WARC-Truncated" in r.headers)
    for path in warc_files(run["archive"]):
        check = warcio_check(path)
        assert check.returncode == 0, check.stdout + check.stderr


# -- the writer ------------------------------------------------------------------------------------


def _exchange(body: bytes, truncated: str | None) -> Exchange:
    return Exchange(url="https://pbs.twimg.com/media/x.jpg", method="GET",
                    request_headers=[("Host", "pbs.twimg.com")], status=200,
                    response_headers=[("Content-Type", "image/jpeg"), ("Content-Length", "4096")],
                    body=body, truncated=truncated)


def test_a_truncated_body_is_never_a_revisit_nor_the_original_of_one(tmp_path: Path) -> None:
    body = b"\xff\xd8" + b"x" * 2048  # over the 1,024 bytes dedup starts at
    with WarcStore(tmp_path / "w") as store:
        batch = Batch(store)
        batch.write_exchange(_exchange(body, "disconnect"))
        batch.write_exchange(_exchange(body, None))  # the same bytes, whole this time
        batch.write_exchange(_exchange(body, "disconnect"))
    types = []
    for path in sorted((tmp_path / "w").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            types += [(r.rec_type, r.rec_headers.get_header("WARC-Truncated"))
                      for r in ArchiveIterator(fh) if r.rec_type in ("response", "revisit")]
    assert types == [("response", "disconnect"), ("response", None), ("response", "disconnect")]


def test_the_writer_refuses_a_reason_warc_does_not_define(tmp_path: Path) -> None:
    with WarcStore(tmp_path / "w") as store, pytest.raises(ValueError, match="WARC-Truncated"):
        store.write_exchange(_exchange(b"", "cut"))
    # Nothing half-written: the file holds its warcinfo only.
    with open(next((tmp_path / "w").glob("*.warc.gz")), "rb") as fh:
        assert [r.rec_type for r in ArchiveIterator(io.BytesIO(fh.read()))] == ["warcinfo"]
