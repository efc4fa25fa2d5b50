"""Reddit captured in depth: one `archiver archive` of an article citing four posts (live, deleted by
its author, removed by a moderator, in a private community), against `.json` listings on the fake web."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeweb import reddit
from tests.platform_e2e import Run, archive_article, media_sizes, start_web, unrecorded, warc_exchanges, warc_payload

pytestmark = pytest.mark.browser

STORY = "/2024/reddit-levee.html"
ARTICLE = f"""<!doctype html><html><head><title>What Reddit saw</title></head><body>
<blockquote class="reddit-embed-bq" style="height:316px" data-embed-height="316">
 <a href="https://www.reddit.com/r/riverton/comments/{reddit.LIVE_ID}/levee_at_night/">Levee at night</a><br>
 by<a href="https://www.reddit.com/user/flood_watcher/">u/flood_watcher</a> in<a href="https://www.reddit.com/r/riverton/">riverton</a>
</blockquote>
<p>Someone asked <a href="https://www.reddit.com/r/riverton/comments/{reddit.DELETED_ID}/sandbags/">where to get sandbags</a>;
 a <a href="https://www.reddit.com/r/riverton/comments/{reddit.REMOVED_ID}/levee_rumour/">rumour</a> was taken down;
 the council's <a href="https://www.reddit.com/r/{reddit.PRIVATE_SUB}/comments/{reddit.PRIVATE_ID}/closed_meeting/">own
 forum</a> is closed.</p>
</body></html>
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("reddit")
    web = start_web(tmp, reddit.HANDLERS)
    try:
        yield archive_article(web, tmp, STORY, ARTICLE)
    finally:
        web.stop()


def test_archive_succeeds(run: Run) -> None:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr


def test_each_post_has_its_status_and_reason(run: Run) -> None:
    got = {key: (row["status"], row["reason"]) for key, row in run.lookup("reddit").items()}
    assert got == {
        f"reddit:{reddit.LIVE_ID}": ("live", "the listing returned the post"),
        f"reddit:{reddit.DELETED_ID}": ("deleted", 'removed_by_category "deleted": deleted by its author'),
        f"reddit:{reddit.REMOVED_ID}": ("removed", 'removed_by_category "moderator": removed by a moderator of the '
                                                   "community"),
        f"reddit:{reddit.PRIVATE_ID}": ("protected", 'HTTP 403, reason "private": the community is private: only its '
                                                     "approved members see its posts"),
    }


def test_fields_come_from_the_listing(run: Run) -> None:
    rows = run.lookup("reddit")
    live = rows[f"reddit:{reddit.LIVE_ID}"]
    assert (live["handle"], live["author"], live["posted_at"]) == ("flood_watcher", "flood_watcher",
                                                                    "2024-03-04T11:30:00.000Z")
    assert live["text"] == ("Levee at night, from the Ashford Road bridge\n\n"
                            "Crews were still out at 2am. Stay off the embankment.")
    removed = rows[f"reddit:{reddit.REMOVED_ID}"]
    # What is left of a removed post is kept; the "[removed]" marker is not its text.
    assert (removed["handle"], removed["text"]) == ("rumour_mill", "The levee is going to fail tonight")
    deleted = rows[f"reddit:{reddit.DELETED_ID}"]
    assert (deleted["handle"], deleted["text"]) == (None, "Where to get sandbags today?")


def test_full_size_photo_is_the_unescaped_source(run: Run) -> None:
    assert media_sizes(run, f"reddit:{reddit.LIVE_ID}") == [(reddit.SOURCE_URL, (1600, 1200))]
    assert warc_payload(run.archive, reddit.SOURCE_URL) == reddit.PHOTO_SOURCE


def test_every_exchange_is_in_the_warc(run: Run) -> None:
    exchanges = warc_exchanges(run.archive)
    assert ("response", 200) in exchanges[f"https://www.reddit.com/comments/{reddit.LIVE_ID}/.json"]
    assert ("response", 403) in exchanges[f"https://www.reddit.com/comments/{reddit.PRIVATE_ID}/.json"]
    assert unrecorded(run.web, run.archive) == []
