"""Mastodon and Truth Social captured in depth: one `archiver archive` of an article citing seven
statuses (live, deleted, one 404 alone, an instance requiring login; Truth Social's live, deleted
and login-only), against the status API and status pages on the fake web."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakeweb import mastodon as masto
from tests.platform_e2e import Run, archive_article, media_sizes, start_web, unrecorded, warc_exchanges, warc_payload

pytestmark = pytest.mark.browser

STORY = "/2024/mastodon-water.html"
LIVE, TS = masto.LIVE, masto.TS_LIVE
ARTICLE = f"""<!doctype html><html><head><title>Water notice</title></head><body>
<p>The water board announced it on Mastodon:</p>
<iframe src="{LIVE.url}/embed" class="mastodon-embed" style="max-width: 100%; border: 0" width="400"></iframe>
<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/@rivertonwater/{masto.DELETED_ID}/embed">
 <a href="https://mastodon.social/@rivertonwater/{masto.DELETED_ID}">Post by @rivertonwater@mastodon.social</a></blockquote>
<p>An <a href="https://mastodon.social/@rivertonwater/{masto.ONE_SIGNAL_ID}">older notice</a> and
 <a href="https://{masto.LOGIN_HOST}/@clerk/{masto.LOGIN_ID}">the clerk's reply</a>.</p>
<p>The mayor <a href="{TS.url}">wrote on Truth Social</a>,
 <a href="https://truthsocial.com/@rivertonmayor/{masto.TS_DELETED_ID}">then deleted a post</a>;
 <a href="https://truthsocial.com/@rivertonmayor/{masto.TS_LOGIN_ID}">another</a> asks for a login.</p>
</body></html>
"""
UNAUTHENTICATED = 'requires login for its whole API (HTTP 401 ("This API requires an authenticated user"))'


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("mastodon")
    web = start_web(tmp, masto.HANDLERS)
    try:
        yield archive_article(web, tmp, STORY, ARTICLE)
    finally:
        web.stop()


def test_archive_names_the_one_unavailable_status(run: Run) -> None:
    # One status is unavailable (one signal alone): a run that partly failed, exit code 1.
    assert run.returncode == 1, run.stderr
    assert "(2 deleted, 2 live, 2 login_required, 1 unavailable)" in run.stderr
    assert "Traceback" not in run.stderr


def test_each_mastodon_status_has_its_status_and_reason(run: Run) -> None:
    got = {key: (row["status"], row["reason"]) for key, row in run.lookup("mastodon").items()}
    gone = 'the status API answered HTTP 404 ("Record not found")'
    assert got == {
        f"mastodon:mastodon.social/{LIVE.id}": ("live", "the status API returned the post"),
        f"mastodon:mastodon.social/{masto.DELETED_ID}": (
            "deleted", f"{gone} and the post page HTTP 404: deleted, or made private (Mastodon answers both alike)"),
        f"mastodon:mastodon.social/{masto.ONE_SIGNAL_ID}": (
            "unavailable", f"{gone} but the post page HTTP 200: one signal alone"),
        f"mastodon:{masto.LOGIN_HOST}/{masto.LOGIN_ID}": ("login_required", f"{masto.LOGIN_HOST} {UNAUTHENTICATED}"),
    }


def test_each_truth_social_post_has_its_status_and_reason(run: Run) -> None:
    got = {key: (row["status"], row["reason"]) for key, row in run.lookup("truthsocial").items()}
    assert got == {
        f"truthsocial:{TS.id}": ("live", "the status API returned the post"),
        f"truthsocial:{masto.TS_DELETED_ID}": (
            "deleted", 'the status API answered HTTP 404 ("Record not found") and the post page HTTP 404: deleted, '
                       "or made private (Mastodon answers both alike)"),
        f"truthsocial:{masto.TS_LOGIN_ID}": ("login_required", f"truthsocial.com {UNAUTHENTICATED}"),
    }


def test_live_status_fields_come_from_the_api(run: Run) -> None:
    row = run.lookup("mastodon")[f"mastodon:mastodon.social/{LIVE.id}"]
    assert (row["handle"], row["author"], row["posted_at"]) == (
        "rivertonwater@mastodon.social", "Riverton Water Board", "2024-03-04T10:20:00.000Z")
    assert row["text"] == "Boil-water notice lifted for #Riverton east. Details: water.example/notice\n\nThank you & stay safe."
    assert row["links"] == ["https://water.example/notice"]  # the hashtag is not a link of the post
    ts = run.lookup("truthsocial")[f"truthsocial:{TS.id}"]
    assert (ts["handle"], ts["author"], ts["text"], ts["posted_at"]) == (
        "rivertonmayor", "Mayor of Riverton", "The bridge reopens Monday.\nThank you to every crew.",
        "2024-03-04T15:30:00.000Z")


def test_original_size_media_not_the_preview(run: Run) -> None:
    for key, status in ((f"mastodon:mastodon.social/{LIVE.id}", LIVE), (f"truthsocial:{TS.id}", TS)):
        original = status.media_url("original")
        assert media_sizes(run, key) == [(original, (1200, 900))]
        assert warc_payload(run.archive, original) == status.photo("original")


def test_every_exchange_is_in_the_warc(run: Run) -> None:
    exchanges = warc_exchanges(run.archive)
    assert ("response", 404) in exchanges[f"https://mastodon.social/api/v1/statuses/{masto.DELETED_ID}"]
    assert ("response", 404) in exchanges[f"https://mastodon.social/@rivertonwater/{masto.DELETED_ID}"]
    assert ("response", 401) in exchanges[f"https://{masto.LOGIN_HOST}/api/v1/statuses/{masto.LOGIN_ID}"]
    assert unrecorded(run.web, run.archive) == []


def test_another_servers_status_is_rendered_from_its_home_server(tmp_path: Path) -> None:
    """`mastodon.social/@harbourlib@fosstodon.org/ID`: mastodon.social has no embed of another
    server's status (its `/@user/ID/embed` finds local accounts only: 404; `/@user@server/ID/embed`
    sends an anonymous reader on to the home server). The status API names the status's own page on
    fosstodon.org, whose `/embed` is rendered."""
    home = masto.HOME
    cited = f"https://mastodon.social/@{home.user}@{home.host}/{masto.REMOTE_ID}"
    web = start_web(tmp_path, masto.HANDLERS)
    try:
        run = archive_article(web, tmp_path, "/2024/library.html",
                              f'<!doctype html><title>Library</title><p><a href="{cited}">The library</a> said so.</p>')
        key = f"mastodon:mastodon.social/{masto.REMOTE_ID}"
        row = run.lookup("mastodon")[key]
        shown = run.json("show", key)
        asked = [e["host"] + e["path"] for e in web.log]
    finally:
        web.stop()
    assert run.returncode == 0, run.stderr
    assert (row["status"], row["handle"], row["text"]) == ("live", f"{home.user}@{home.host}",
                                                           "The reading room reopens on Monday.")
    assert [(c["source"], c["status"], c["url"], c["error"]) for c in shown["captures"]] == [
        ("live", "live", f"{home.url}/embed", None)]
    assert f"fosstodon.org/@{home.user}/{home.id}/embed" in asked, asked
    assert not [a for a in asked if a.startswith("mastodon.social/@") and a.endswith("/embed")], asked
