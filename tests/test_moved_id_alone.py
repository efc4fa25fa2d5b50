"""An article held at an address naming it by date and name (`/2024/05/03/river-flood`) whose
address now redirects to a page of its site named by an ID alone (`/article/8812345`), or to one
whose name keeps its words with words added (`/2024/05/03/river-flood-live`): the addresses cannot
tell the article moved or renamed there from another page it was sent to (a live blog on its
story), so the page is not read as the article; the run names the redirect as one whose page is not
known to be the article, and the capture recorded for the article says why, never that the page is
not the article."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archiver.index.urls import ID_ALONE, WORDS_KEPT
from tests.e2e import cli
from tests.fakeweb import FakeWeb, pages, site

pytestmark = pytest.mark.browser

PATH = "/2024/05/03/river-flood"
URL = f"https://news.example{PATH}"


@pytest.mark.parametrize(("to_path", "why"), [
    ("/article/8812345", ID_ALONE),
    ("/2024/05/03/river-flood-live", WORDS_KEPT),  # the article renamed, or its story's live blog
])
def test_a_redirect_the_addresses_cannot_tell_is_recorded_as_untold(tmp_path: Path, to_path: str, why: str) -> None:
    to = f"https://news.example{to_path}"
    archive = tmp_path / "archive"
    with FakeWeb(tmp_path / "web") as web:
        web.set_state(("article", PATH), pages.tweets_page("River flood", site.TWEET_PHOTO))
        assert cli(web, "archive", URL, archive=archive).returncode == 0
        web.set_state(("article", PATH), None)
        web.set_state(("article", to_path), pages.tweets_page("Some page", site.TWEET_VIDEO))
        web.set_state(("redirect", PATH), to)
        again = cli(web, "archive", URL, "--format", "json", archive=archive)
    assert again.returncode == 1, again.stderr
    summary = json.loads(again.stdout)
    assert summary["failures"] == [
        f"{URL}: now redirects to {to} ({why}), not known to be the article; the archive holds its earlier "
        f"captures (`archiver lookup --article {URL}` lists the posts it cites)"], again.stdout
    assert summary["posts"] == 0  # the page reached is not read as the article
    with sqlite3.connect(archive / "archive.db") as db:
        rows = db.execute("SELECT c.status, c.error FROM captures c WHERE c.post IS NULL ORDER BY c.captured_at, c.id").fetchall()
        cited = {k for (k,) in db.execute("SELECT p.key FROM citations c JOIN posts p ON p.id = c.post")}
    assert rows == [("ok", None),
                    ("error", f"redirected to {to} ({why}): the article is no longer at its address (captured before)")]
    assert cited == {f"twitter:{site.TWEET_PHOTO.id}"}
