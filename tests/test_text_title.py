"""A plain-text article's title: its first non-empty line when that reads as a headline.

HTML pages get theirs from Chromium's capture; a text (a .txt file, a text/plain page) has none to
read, and its first line is usually its headline. `headline` decides, and `archive` indexes it,
so that `show` and an export's pages.jsonl name the text as they name an HTML page.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from archiver.detect.text import HEADLINE_MAX, headline
from tests.e2e import cli
from tests.fakeweb import FakeWeb, site

TITLE = "Flood update: evacuation advice extended"
STORY = f"{TITLE}\n\nRIVERTON (Wire) — Authorities extended evacuation advice.\n\n{site.FLAT_TEXT}\n"


@pytest.mark.parametrize(("text", "title"), [
    (STORY, TITLE),
    (f"\ufeff\n\n   {TITLE}  \r\nMore.\r\n", TITLE),  # a byte-order mark and blank lines before it
    (f"# {TITLE}\n\nMore.\n", TITLE),  # a Markdown heading
    ("x" * HEADLINE_MAX + "\nMore.\n", "x" * HEADLINE_MAX),
])
def test_the_first_line_that_reads_as_a_headline_is_the_title(text: str, title: str) -> None:
    assert headline(text, "story.txt") == title


@pytest.mark.parametrize("text", [
    "", "\n \n\t\n",
    "x" * (HEADLINE_MAX + 1) + "\nMore.\n",  # a paragraph
    f"{site.FLAT_TEXT}\n\nMore.\n",  # a flattened tweet's first line
    "Water levels are rising fast\n— Riverton News Desk (@RivertonDesk) March 4, 2024\n",  # a short one's
    f"{site.ARTICLE_FLOOD.url}\n\n{TITLE}\n",  # an address
    "See https://t.co/N3wsRvtn01\n",  # a short link
    "Read it at twitter.com/RivertonDesk/status/1764718078373491923\n",  # a post's address without scheme
    f"[{TITLE}](https://news.example/story)\n",  # a Markdown link
    f"> {TITLE}\n\nMore.\n",  # a quote
])
def test_no_title_from_a_first_line_that_is_no_headline(text: str) -> None:
    assert headline(text, "story.txt") is None


@pytest.mark.browser
def test_an_archived_text_is_shown_and_exported_with_its_headline(tmp_path: Path) -> None:
    story = tmp_path / "wire.txt"
    story.write_text(STORY, encoding="utf-8")
    archive, out = tmp_path / "archive", tmp_path / "desk.wacz"
    key = f"twitter:{site.TWEET_FLAT.id}"
    with FakeWeb(tmp_path / "web") as web:
        r = cli(web, "archive", str(story), "--format", "json", archive=archive)
        assert r.returncode == 0, r.stderr
        shown = cli(web, "show", key, "--format", "json", archive=archive)
        assert shown.returncode == 0, shown.stderr
        assert [(a["url"], a["title"]) for a in json.loads(shown.stdout)["articles"]] == [(story.as_uri(), TITLE)]
        exported = cli(web, "export", "--handle", site.TWEET_FLAT.user.screen_name, "-o", str(out), archive=archive)
        assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert [p["title"] for p in pages if p["url"] == story.as_uri()] == [TITLE]
