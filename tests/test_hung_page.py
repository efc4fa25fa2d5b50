"""A page whose scripts never yield (a busy loop once it has loaded, an ad frame's) answers no
evaluation at all: the capture stops at its deadline all the same, keeps what was complete, names
it, and the run goes on to its end (it ran forever, whatever --capture-deadline said)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e import cli
from tests.fakeweb import FakeWeb

pytestmark = pytest.mark.browser

PAGE = ("<!doctype html><title>Busy</title><h1>Busy</h1>"
        "<script>addEventListener('load', () => setTimeout(() => { while (true) {} }, 0));</script>")


def test_a_page_that_never_yields_is_stopped_at_the_capture_deadline(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    url = "https://news.example/2024/busy.html"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", "/2024/busy.html"), PAGE)
        r = cli(web, "archive", url, "--capture-deadline", "5", "--format", "json", archive=archive, timeout=150)
    assert r.returncode == 1, r.stderr
    (failure,) = json.loads(r.stdout)["failures"]
    assert failure.startswith(f"{url}: the page could not be captured: capture stopped at its 5 s deadline while "), failure
    assert "(the page did not answer)" in failure
    assert not list((archive / "warcs").glob("*.open"))  # its WARC closed whole
