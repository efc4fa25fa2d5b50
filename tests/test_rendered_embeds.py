"""Embeds that only the article's own scripts put on the page (a page built in the browser) are
found in the DOM Chromium rendered, cited as such, and captured like the others: real Chromium,
WARC and SQLite against the local fake web."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import ROOT, cli
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

PATH = "/2024/live-updates.html"
URL = f"https://news.example{PATH}"
TWEET = site.TWEET_VIDEO
# The status ID is assembled by the script: the markup as served holds no trace of the post, so
# the static scan cannot find it (the test shows that too).
HALF = len(TWEET.id) // 2
PAGE = f"""<!doctype html><html><head><meta charset="utf-8"><title>Live: Riverton flood</title></head>
<body><main id="app">Loading the live blog…</main>
<script>
  var id = ["{TWEET.id[:HALF]}", "{TWEET.id[HALF:]}"].join("");
  document.getElementById("app").innerHTML =
    '<article><h1>Live: Riverton flood</h1><p>Drone pictures this morning:</p>' +
    '<blockquote class="twitter-tweet"><p lang="en">Drone footage of the Cole River</p>&mdash; ' +
    '<a href="https://twitter.com/{TWEET.user.screen_name}/status/' + id + '">March 5, 2024</a></blockquote>' +
    '<p>More soon.</p></article>';
</script></body></html>"""


def test_an_embed_only_the_pages_scripts_add_is_found_cited_and_captured(tmp_path: Path) -> None:
    key = f"twitter:{TWEET.id}"
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), PAGE)
        scanned = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", URL, "--map-host", web.map_host,
                                  "--ca-bundle", str(web.ca_pem), "--format", "jsonl"],
                                 capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert scanned.returncode == 0 and scanned.stdout == "", scanned.stderr  # nothing in the markup

        r = cli(web, "archive", URL, "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert [(row["key"], row["status"]) for row in summary["results"]] == [(key, "live")]
        shown = cli(web, "show", key, "--format", "json", archive=archive)
        assert shown.returncode == 0, shown.stderr
        (cited,) = json.loads(shown.stdout)["articles"]
        assert (cited["url"], cited["kind"], cited["evidence"]) == (URL, "embedded", "rendered:blockquote.twitter-tweet")
        assert json.loads(shown.stdout)["captures"]

        # Held now: a second archive of the article finds it held and captures nothing again.
        again = cli(web, "archive", URL, "--format", "json", archive=archive)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["results"] == []
