"""A plugin platform is captured end to end (detect, capture, status, index, lookup) with no change to `archiver`.

The toy platform in `tests/toyplatform.py` brings its own probe (an API answering 200/404/403), its
embed page and the selectors of its embeds; `tests/toyweb.py` serves its hosts on the fake web. A
real `archiver archive` process, with Chromium, captures an article embedding three of its posts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests import toyweb
from tests.e2e import cli, warc_files
from tests.fakeweb.server import FakeWeb

PLUGIN = {"ARCHIVER_PLATFORM_MODULES": "tests.toyplatform"}
STORY = "/2024/pebble-bridge.html"
ARTICLE = """<!doctype html><html><head><title>The bridge</title></head><body>
<p>The mayor answered on Pebble:</p>
<blockquote class="pebble-post" data-pebble-id="101">We will rebuild the bridge.</blockquote>
<p>Her deputy had said otherwise, in a post since removed:</p>
<iframe src="https://pebble.example/embed/202" width="400" height="200"></iframe>
<p>And <a href="https://pebble.example/p/303">the council's account</a> is private.</p>
</body></html>
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeWeb, Path, Any]]:
    tmp = tmp_path_factory.mktemp("plugin")
    with FakeWeb(tmp / "web", handlers=toyweb.HANDLERS) as web:
        web.set_state(("article", STORY), ARTICLE)
        archive = tmp / "archive"
        r = cli(web, "archive", f"https://news.example{STORY}", archive=archive, env=PLUGIN)
        yield web, archive, r


def _json(web: FakeWeb, archive: Path, *args: str) -> Any:
    r = cli(web, *args, "--format", "json", archive=archive, env=PLUGIN)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout)


def test_archive_captures_every_pebble_post(run: tuple[FakeWeb, Path, Any]) -> None:
    _, _, r = run
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr


def test_lookup_lists_statuses_and_fields(run: tuple[FakeWeb, Path, Any]) -> None:
    web, archive, _ = run
    rows = _json(web, archive, "lookup", "--platform", "pebble")
    got = {r["key"]: (r["status"], r["author"], r["handle"], r["text"], r["posted_at"], r["url"]) for r in rows}
    assert got == {
        "pebble:101": ("live", "Mayor Ada", "ada", "We will rebuild the bridge.", "2024-03-04T10:00:00.000Z",
                       "https://pebble.example/p/101"),
        "pebble:202": ("deleted", None, None, None, None, "https://pebble.example/p/202"),
        "pebble:303": ("protected", None, None, None, None, "https://pebble.example/p/303"),
    }
    assert all(r["platform"] == "pebble" for r in rows)


def test_show_names_the_capture_of_the_embed(run: tuple[FakeWeb, Path, Any]) -> None:
    web, archive, _ = run
    live = _json(web, archive, "show", "pebble:101")
    assert (live["status"], live["data"]["id"], live["media"]) == ("live", "101", ["https://pebble.example/media/101.png"])
    assert [(a["url"], a["kind"], a["evidence"]) for a in live["articles"]] == [
        (f"https://news.example{STORY}", "embedded", "blockquote.pebble-post")]
    [capture] = live["captures"]
    assert (capture["source"], capture["status"], capture["url"], capture["error"]) == (
        "live", "live", "https://pebble.example/embed/101", None)
    # The rendered card (the platform's element selector) is the capture's picture.
    assert capture["screenshot"].endswith("-embed-element-00.png")
    assert (archive / capture["screenshot"]).is_file()
    assert [h["detail"] for h in live["history"]] == ["the API returned the post"]
    [photo] = live["media_files"]
    assert (photo["mime"], (archive / photo["path"]).read_bytes()) == ("image/png", toyweb.PHOTO)

    gone = _json(web, archive, "show", "https://pebble.example/p/202")
    assert (gone["key"], gone["status"], [h["detail"] for h in gone["history"]]) == (
        "pebble:202", "deleted", ["the API answered 404"])
    assert [(a["kind"], a["evidence"]) for a in gone["articles"]] == [("embedded", "iframe[src]")]
    [capture] = gone["captures"]
    # The gone post's embed page is kept as it showed; no Wayback copy is looked for (the toy has none).
    assert (capture["source"], capture["status"], capture["url"]) == ("live", "deleted", "https://pebble.example/embed/202")
    assert gone["media_files"] == []


def _records(archive: Path) -> list[tuple[str, str, int | None]]:
    out = []
    for path in warc_files(archive):
        with path.open("rb") as f:
            for rec in ArchiveIterator(f):
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                if "pebble.example" in uri:
                    status = rec.http_headers.get_statuscode() if rec.rec_type == "response" and rec.http_headers else None
                    out.append((rec.rec_type, uri, int(status) if status else None))
    return out


def test_warc_holds_every_pebble_exchange(run: tuple[FakeWeb, Path, Any]) -> None:
    _, archive, _ = run
    records = Counter(r for r in _records(archive) if not r[1].endswith("/favicon.ico"))  # Chromium's own ask
    api, embed, photo = "https://api.pebble.example/v1/posts/", "https://pebble.example/embed/", toyweb.POSTS["101"]["media"][0]
    assert records == Counter({
        # The probe's answers, one per post.
        ("request", f"{api}101.json", None): 1, ("response", f"{api}101.json", 200): 1,
        ("request", f"{api}202.json", None): 1, ("response", f"{api}202.json", 404): 1,
        ("request", f"{api}303.json", None): 1, ("response", f"{api}303.json", 403): 1,
        # Each post's embed page; 202's also inside the article, as its iframe.
        ("request", f"{embed}101", None): 1, ("response", f"{embed}101", 200): 1,
        ("request", f"{embed}202", None): 2, ("response", f"{embed}202", 404): 2,
        ("request", f"{embed}303", None): 1, ("response", f"{embed}303", 404): 1,
        # The photo: once as the embed showed it, once downloaded as the post's media.
        ("request", photo, None): 2, ("response", photo, 200): 2,
        ("metadata", f"urn:media:pebble:101#{photo}", None): 1,
        ("resource", f"urn:screenshot:{embed}101", None): 1,
        ("resource", f"urn:screenshot:element-0:{embed}101", None): 1,
        ("resource", f"urn:screenshot:{embed}202", None): 2,
        ("resource", f"urn:screenshot:{embed}303", None): 1,
        ("metadata", f"urn:capture-info:{embed}101", None): 1,
        ("metadata", f"urn:capture-info:{embed}202", None): 1,
        ("metadata", f"urn:capture-info:{embed}303", None): 1,
    })


def test_platform_names_come_from_the_registry(run: tuple[FakeWeb, Path, Any]) -> None:
    web, archive, _ = run
    without = cli(web, "lookup", "--platform", "pebble", archive=archive,
                  env={"ARCHIVER_PLATFORM_MODULES": ""})
    assert without.returncode == 2
    assert "--platform: expected one of twitter, " in without.stderr and "Traceback" not in without.stderr
    assert "pebble" not in without.stderr.partition("expected one of")[2].partition(", got")[0]
