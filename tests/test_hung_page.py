"""A page whose scripts never yield (a busy loop once it has loaded, an ad frame's) answers no
evaluation at all: the capture stops at its deadline all the same, keeps what was complete, names
it, and the run goes on to its end (it ran forever, whatever --capture-deadline said)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


VIDEO = "kX3f9TqLm2A"  # the fake web's one YouTube video
WATCH = f"https://www.youtube.com/watch?v={VIDEO}"
EMBED = f"https://www.youtube.com/embed/{VIDEO}"


def _archive_with_a_busy_embed(tmp_path: Path, name: str, *faults: tuple[str, str]) -> tuple[int, dict[str, Any]]:
    """`archive` of the video, its embed player a page that never yields; `faults`: (path, fault) on
    www.youtube.com besides."""
    with FakeWeb(tmp_path / f"web-{name}") as web:
        web.set_state(("fault", "www.youtube.com", f"/embed/{VIDEO}"), "busy")
        for path, fault in faults:
            web.set_state(("fault", "www.youtube.com", path), fault)
        r = cli(web, "archive", WATCH, "--capture-deadline", "3", "--format", "json", archive=tmp_path / name,
                timeout=150)
    (post,) = json.loads(r.stdout)["results"]
    assert f"failed: youtube:{VIDEO}: the embed page {EMBED} stopped answering: capture stopped at its 3 s " \
           "deadline while " in r.stderr, r.stderr
    return r.returncode, post


def test_a_post_whose_embed_never_yields_and_nothing_else_gave_it_fails(tmp_path: Path) -> None:
    # No data from YouTube (oEmbed and the watch page fail), no Wayback copy: the embed was the
    # only capture of the post, and it was cut short. The post failed, named so (exit 1).
    code, post = _archive_with_a_busy_embed(tmp_path, "alone", ("/oembed", "500"), ("/watch", "500"))
    assert code == 1
    assert post["error"].startswith(f"the embed page {EMBED} stopped answering: capture stopped at its 3 s deadline "
                                    "while "), post
    assert "(the page did not answer)" in post["error"]
    assert post["failures"] == [f"youtube:{VIDEO}: {post['error']}"], post


def test_a_post_whose_embed_never_yields_but_whose_data_came_stands_with_the_page_named(tmp_path: Path) -> None:
    # oEmbed and the watch page gave the video: the post is live, no failure of its own, but its
    # embed's capture was cut short, which the run names (a partial failure, as a media file's).
    code, post = _archive_with_a_busy_embed(tmp_path, "data")
    assert code == 1
    assert (post["status"], post["error"], post["captures"]) == ("live", None, 1), post
    (failure,) = post["failures"]
    assert failure.startswith(f"youtube:{VIDEO}: the embed page {EMBED} stopped answering: "), post
