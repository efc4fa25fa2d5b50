"""The clock a captured page sees: UTC and en-US whatever the machine's zone, and the WARC says so.

Real embeds print local times without a zone ("9:05 AM · Mar 4, 2024"). The archiver runs here
with TZ set to New York; the page's own script writes the zone it sees and the hour of a fixed
moment into its title, which the capture-info record keeps as the page showed it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.e2e import cli, warc_files
from tests.fakeweb import FakeWeb

pytestmark = pytest.mark.browser

PATH = "/2024/clock.html"
URL = f"https://news.example{PATH}"
# 14:05 UTC on 4 March 2024 is 09:05 in New York.
CLOCK_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Clock</title></head><body>"
    "<p id='clock'></p><script>"
    "const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;"
    "const hour = new Date(Date.UTC(2024, 2, 4, 14, 5)).getHours();"
    "const locale = Intl.DateTimeFormat().resolvedOptions().locale;"
    "document.title = `zone=${zone} hour=${hour} locale=${locale}`;"
    "document.getElementById('clock').textContent = document.title;"
    "</script></body></html>"
)


def _capture_info(archive: Path, url: str) -> dict[str, Any]:
    for path in warc_files(archive):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                if (rec.rec_type == "metadata"
                        and rec.rec_headers.get_header("WARC-Target-URI") == f"urn:capture-info:{url}"):
                    return json.loads(rec.content_stream().read())
    raise AssertionError(f"no capture-info record for {url}")


def test_a_page_captured_on_a_machine_in_new_york_sees_utc_and_the_warc_names_it(tmp_path: Path) -> None:
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), CLOCK_PAGE)
        archive = tmp_path / "archive"
        r = cli(web, "archive", URL, archive=archive, env={"TZ": "America/New_York"})
    assert r.returncode == 0, r.stderr
    info = _capture_info(archive, URL)
    # What the page's script saw, as the capture recorded the rendered page.
    assert info["title"] == "zone=UTC hour=14 locale=en-US"
    assert info["timezone"] == "UTC" and info["locale"] == "en-US"
