"""What a run says when parts of it fail: each failure named, the exit code, and nothing claimed
that is not true.

- a media file of a post that could not be downloaded (it hangs, it is cut short) is a failure of
  that post's capture: named, exit 1, and no file kept for it; the post's status stands;
- an oEmbed answer that cannot be read says nothing about a video: it never makes it `live`;
- "the network was unreachable" only when it was (no name resolution, no route): not after a
  server that answered badly or refused a connection; and it says nothing of posts none of which
  it checked;
- each failure is said once, in the closing `failed:` list;
- a source that could not be read is not counted among the articles captured or checked.

The real CLI (Chromium, WARC files, SQLite index) against the local fake web (tests/fakeweb), one
small article per run.
"""

from __future__ import annotations

import errno
import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.http import RecordingClient
from archiver.errors import LimitExceeded
from archiver.layout import MEDIA_DIR, post_dir
from archiver.net import NetOptions
from archiver.warcstore import Batch, WarcStore
from tests.e2e import cli, warc_files
from tests.fakeweb import FakeWeb, pages, site

UNREACHABLE_LINE = "the network was unreachable"
PHOTO = site.TWEET_PHOTO
VIDEO = site.TWEET_VIDEO
PHOTO_KEY, VIDEO_KEY, YOUTUBE_KEY = f"twitter:{PHOTO.id}", f"twitter:{VIDEO.id}", f"youtube:{site.YOUTUBE.id}"
PHOTO_PATH = "/media/" + PHOTO.photos[0].key  # pbs.twimg.com
PHOTO_URL = f"https://pbs.twimg.com{PHOTO_PATH}?format=jpg&name=orig"
assert VIDEO.video is not None and VIDEO.video.best_mp4 is not None
VIDEO_URL = VIDEO.video.best_mp4.url  # video.twimg.com, the 1280x720 MP4
VIDEO_PATH = httpx.URL(VIDEO_URL).path


def fault(name: str) -> str:
    return f"https://faults.example/{name}"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path_factory.mktemp("run-failures-web")) as server:
        yield server


def _article(web: FakeWeb, path: str, title: str, body: str) -> str:
    """A news.example page of our own; its URL."""
    web.set_state(("article", path), f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
                                     f"</head><body><h1>{title}</h1>{body}</body></html>")
    return f"https://news.example{path}"


def _archive(web: FakeWeb, archive: Path, *args: str) -> tuple[int, dict[str, Any], list[str]]:
    """`archiver archive ARGS --format json`: the exit code, the JSON summary, the stderr lines."""
    r = cli(web, "archive", *args, "--format", "json", archive=archive)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout), r.stderr.splitlines()


def _failed_lines(stderr: list[str]) -> list[str]:
    return [line.removeprefix("archiver: failed: ") for line in stderr if line.startswith("archiver: failed: ")]


def _each_said_once(failures: list[str], stderr: list[str]) -> None:
    """Each failure is one line of stderr, in the closing `failed:` list: a cron log reads it once
    (the lines logged as it happens show with -v)."""
    for failure in failures:
        assert sum(failure in line for line in stderr) == 1, (failure, stderr)


def _responses(archive: Path) -> set[str]:
    """The URLs of every response record in the archive's WARC files."""
    out = set()
    for path in warc_files(archive):
        with path.open("rb") as fh:
            out |= {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh) if r.rec_type == "response"}
    return out


def _truncated(archive: Path) -> dict[str, str]:
    """The URL and WARC-Truncated reason of every response record so marked in the archive's WARC files."""
    out = {}
    for path in warc_files(archive):
        with path.open("rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type == "response" and (reason := r.rec_headers.get_header("WARC-Truncated")):
                    out[r.rec_headers.get_header("WARC-Target-URI")] = reason
    return out


def _media_urls(archive: Path) -> set[str]:
    """The media the index holds a file of."""
    db = sqlite3.connect(archive / "archive.db")
    try:
        return {url for (url,) in db.execute("SELECT url FROM media")}
    finally:
        db.close()


def _media_files(archive: Path, key: str) -> list[str]:
    folder = archive / MEDIA_DIR / post_dir(archive, key).name
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# -- 1. media that could not be downloaded ---------------------------------------------------------


@pytest.mark.browser
def test_media_that_could_not_be_downloaded_are_named_failures_and_nothing_is_kept(web: FakeWeb,
                                                                                    tmp_path: Path) -> None:
    url = _article(web, "/run-failures/media.html", "Broken media",
                   pages.blockquote_html(PHOTO) + pages.blockquote_html(VIDEO))
    web.set_state(("fault", "pbs.twimg.com", PHOTO_PATH), "hang")
    web.set_state(("fault", "video.twimg.com", VIDEO_PATH), "truncated")
    try:
        code, summary, stderr = _archive(web, tmp_path / "a", url, "--timeout", "5", "--fetch-deadline", "4")
    finally:
        web.set_state(("fault", "pbs.twimg.com", PHOTO_PATH), None)
        web.set_state(("fault", "video.twimg.com", VIDEO_PATH), None)
    assert code == 1, stderr
    failures = summary["failures"]
    assert len(failures) == 2, failures
    photo, video = sorted(failures, key=lambda f: f.startswith(VIDEO_KEY))
    assert photo.startswith(f"{PHOTO_KEY}: media {PHOTO_URL} could not be downloaded: ") and "gave up after 4 s" in photo
    assert video.startswith(f"{VIDEO_KEY}: media {VIDEO_URL} could not be downloaded: ") and "connection broken" in video
    assert sorted(_failed_lines(stderr)) == sorted(failures)
    _each_said_once(failures, stderr)
    # The posts themselves were captured, and their status is what their data said.
    results = {r["key"]: r for r in summary["results"]}
    assert results[PHOTO_KEY]["status"] == results[VIDEO_KEY]["status"] == "live"
    assert results[PHOTO_KEY]["captures"] == results[VIDEO_KEY]["captures"] == 1
    # Neither download was kept as media: no file (nor a part of one), no index row. The WARC holds
    # what was exchanged: nothing of the photo its deadline cut off (a limit of the tool's own), the
    # video's answer as far as it came, marked cut short by the connection.
    assert _media_files(tmp_path / "a", PHOTO_KEY) == [] and _media_files(tmp_path / "a", VIDEO_KEY) == []
    assert _media_urls(tmp_path / "a") == set()
    kept = _responses(tmp_path / "a")
    assert PHOTO_URL not in kept
    assert _truncated(tmp_path / "a") == {VIDEO_URL: "disconnect"}
    assert not summary["network_unreachable"] and not any(UNREACHABLE_LINE in line for line in stderr)


class _CloseDelimited:
    """A server whose answer has no length (its end is the connection's close): it sends part of
    a body, then nothing, and never closes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n" + b"\x00" * 5000)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for conn in self.conns:
            conn.close()


def test_a_body_cut_off_at_the_deadline_is_never_kept_as_if_whole(tmp_path: Path) -> None:
    server = _CloseDelimited()
    net = NetOptions.from_options([f"*=127.0.0.1:{server.port}"], None, None, env={})
    try:
        with WarcStore(tmp_path / "warcs") as store, RecordingClient(net, max_retries=0, deadline=1) as client:
            batch = Batch(store)
            with pytest.raises(LimitExceeded, match=r"gave up after 1 s \(deadline"):
                client.get("http://media.example/clip.mp4", batch=batch)
            assert [r for r in batch.records if r.warc_type == "response"] == []
    finally:
        server.close()


# -- 2. an oEmbed answer that cannot be read ------------------------------------------------------


@pytest.mark.browser
def test_an_oembed_answer_that_cannot_be_read_does_not_make_a_video_live(web: FakeWeb, tmp_path: Path) -> None:
    url = _article(web, "/run-failures/video.html", "A video", pages.youtube_iframe(site.YOUTUBE.id))
    web.set_state(("fault", "www.youtube.com", "/oembed"), "bad-json")
    try:
        code, summary, stderr = _archive(web, tmp_path / "a", url)
    finally:
        web.set_state(("fault", "www.youtube.com", "/oembed"), None)
    (video,) = summary["results"]
    assert video["key"] == YOUTUBE_KEY
    # Neither source said anything about the video: the fake watch page shows no player, and
    # oEmbed's 200 came with JSON cut off in the middle.
    assert video["status"] == "unknown", video
    assert "oEmbed answered 200" not in (video["reason"] or "") and "not JSON" in (video["reason"] or ""), video
    assert video["captures"] == 1  # the embed was still rendered and kept
    assert code == 0 and summary["failures"] == [], stderr


# -- 3. "the network was unreachable" only when it was --------------------------------------------


def test_servers_that_answer_badly_or_refuse_do_not_make_the_network_unreachable(web: FakeWeb,
                                                                                 tmp_path: Path) -> None:
    refused = "https://refused.example/story.html"  # mapped to a port where nothing listens
    sources = {fault("reset"): "connection broken", fault("truncated"): "connection broken",
               fault("loop"): "more than 20 redirects", "https://badtls.example/": "TLS error",
               fault("bad-gzip"): "could not be decoded", refused: "Connection refused"}
    code, summary, stderr = _archive(web, tmp_path / "a", *sources, "--map-host", "refused.example=127.0.0.1:1")
    assert code == 2, stderr  # no source could be read
    failures = summary["failures"]
    assert len(failures) == len(sources), failures
    for source, words in sources.items():
        assert any(source in f and words in f for f in failures), (source, failures)
    assert sorted(_failed_lines(stderr)) == sorted(failures)
    _each_said_once(failures, stderr)
    assert summary["network_unreachable"] is False
    assert not any(UNREACHABLE_LINE in line for line in stderr), stderr


@pytest.mark.browser
def test_a_bad_source_before_a_good_article_is_not_an_unreachable_network(web: FakeWeb, tmp_path: Path) -> None:
    url = _article(web, "/run-failures/good.html", "A good article", pages.blockquote_html(PHOTO))
    code, summary, stderr = _archive(web, tmp_path / "a", fault("bad-gzip"), url, "--pages-in-flight", "1")
    assert code == 1, stderr
    (failure,) = summary["failures"]
    assert failure.startswith(f"GET {fault('bad-gzip')}: body could not be decoded"), failure
    assert _failed_lines(stderr) == [failure]
    (post,) = summary["results"]
    assert post["key"] == PHOTO_KEY and post["status"] == "live" and post["captures"] == 1, post
    assert len(_media_files(tmp_path / "a", PHOTO_KEY)) == 1  # its photo came whole, and was kept
    assert summary["network_unreachable"] is False
    assert not any(UNREACHABLE_LINE in line for line in stderr), stderr
    # 4. The source that could not be read is failed, not captured or checked.
    assert summary["articles"] == 1 and summary["articles_failed"] == 1
    assert "archiver: 1 article(s), 1 post(s) captured or checked (1 live); 0 already held" in stderr


def test_a_name_that_does_not_resolve_is_an_unreachable_network(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # In-process, with a resolver that resolves nothing (as on a machine without a network): no
    # name is looked up for real, no connection opened.
    import httpcore

    from archiver.archive import archive
    from archiver.cli import _print_summary
    from archiver.cli_options import OutFormat

    def no_names(host: str, port: int) -> list[str]:
        raise httpcore.ConnectError(f"[Errno -2] Name or service not known: {host}")

    source = "https://gone.example/story.html"
    result = archive([source], tmp_path / "a", NetOptions(resolver=no_names))
    capsys.readouterr()
    assert _print_summary(result, OutFormat.json) == 1  # completed, offline: not input that can never be read
    printed = capsys.readouterr()
    summary = json.loads(printed.out)
    assert summary["failures"] == [f"GET {source}: host name not resolved"]
    assert summary["network_unreachable"] is True
    # No post was checked: the line says nothing of posts.
    assert printed.err.splitlines()[-1] == (
        "archiver: the network was unreachable; run again when online; or check the addresses named above, "
        "if mistyped")


@pytest.mark.browser
def test_a_mistyped_host_beside_a_good_article_says_so_not_that_the_network_was_down(
        web: FakeWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The mistyped name "does not resolve": its map leads to a stand-in port whose dial fails as a
    # name lookup does on any machine; nothing is looked up for real.
    import dataclasses

    import httpcore

    from archiver.archive import archive
    from archiver.cli import _print_summary
    from archiver.cli_options import OutFormat

    def dial(addr: str, port: int) -> tuple[str, int]:
        if port == 1:
            raise httpcore.ConnectError("[Errno -2] Name or service not known: news.exmaple.com")
        return addr, port

    typo = "https://news.exmaple.com/2024/story.html"
    good = _article(web, "/run-failures/typo-neighbour.html", "Next door", "<p>Nothing embedded.</p>")
    net = NetOptions.from_options(["news.exmaple.com=127.0.0.1:1", web.map_host], web.ca_pem, None)
    result = archive([typo, good], tmp_path / "a", dataclasses.replace(net, dialer=dial))
    capsys.readouterr()
    assert _print_summary(result, OutFormat.json) == 1
    printed = capsys.readouterr()
    assert json.loads(printed.out)["failures"] == [f"GET {typo}: host name not resolved"]
    assert printed.err.splitlines()[-1] == (
        "archiver: some servers could not be reached (named above; check any address mistyped); run again when "
        "online if the network went down during the run")
    # Alone, it cannot be told from a machine offline: both are said, and the run completed (1).
    alone = archive([typo], tmp_path / "b", dataclasses.replace(net, dialer=dial))
    assert _print_summary(alone, OutFormat.json) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "archiver: the network was unreachable; run again when online; or check the addresses named above, "
        "if mistyped")


def test_only_no_name_and_no_route_say_the_network_is_unreachable() -> None:
    from archiver.capture.http import is_unreachable

    request = httpx.Request("GET", "https://news.example/")

    def connect_error(err: OSError) -> httpx.ConnectError:
        try:
            try:
                raise err
            except OSError as e:
                raise httpx.ConnectError(str(e), request=request) from e
        except httpx.ConnectError as wrapped:
            return wrapped

    for code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        assert is_unreachable(connect_error(OSError(code, "no route")))
    assert is_unreachable(connect_error(socket.gaierror(socket.EAI_NONAME, "Name or service not known")))
    assert not is_unreachable(connect_error(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")))
    assert not is_unreachable(httpx.ConnectTimeout("timed out", request=request))
    assert not is_unreachable(httpx.RemoteProtocolError("peer closed connection", request=request))


# -- 4. a source that could not be read -----------------------------------------------------------


def test_an_unreadable_source_is_failed_not_captured_or_checked(web: FakeWeb, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.html"
    page = tmp_path / "story.html"
    page.write_text("<html><head><title>Story</title></head><body><p>No post here.</p></body></html>")
    code, summary, stderr = _archive(web, tmp_path / "a", str(missing), str(page))
    assert code == 1, stderr
    assert summary["failures"] == [f"{missing}: no such file or directory"]
    assert _failed_lines(stderr) == summary["failures"]
    assert summary["articles"] == 1 and summary["articles_failed"] == 1


def test_a_missing_file_alone_is_refused_before_the_archive_is_made(web: FakeWeb, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.html"
    r = cli(web, "archive", str(missing), "--format", "json", archive=tmp_path / "a")
    assert (r.returncode, r.stdout, r.stderr) == (2, "", f"archiver: {missing}: no such file or directory\n")
    assert not (tmp_path / "a").exists()


def test_a_run_whose_seeds_read_nothing_is_refused_before_an_archive_is_made(web: FakeWeb, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.urls").write_text("not a url\n")
    r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=tmp_path / "a")
    assert (r.returncode, r.stdout) == (2, ""), r.stderr
    assert r.stderr.count("\n") == 1 and f"{seeds}/a.urls:1: not an http(s) URL" in r.stderr, r.stderr
    assert not (tmp_path / "a").exists()
    # A feed that lists no article today is a seed all the same (a cron job's first run): the run goes on.
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "news.rss").write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
                                    "</channel></rss>\n")
    r = cli(web, "run", "--seeds", str(feeds), archive=tmp_path / "f")
    assert r.returncode == 0 and (tmp_path / "f" / "archive.db").exists(), r.stderr
    # An archive already there: the run goes on, as its held posts are due for their re-checks.
    page = tmp_path / "story.html"
    page.write_text("<html><head><title>Story</title></head><body><p>No post here.</p></body></html>")
    assert cli(web, "archive", str(page), archive=tmp_path / "a").returncode == 0
    r = cli(web, "run", "--seeds", str(seeds), "--format", "json", archive=tmp_path / "a")
    assert r.returncode == 2 and json.loads(r.stdout)["failures"] == [f"{seeds}/a.urls:1: not an http(s) URL: "
                                                                      "'not a url'"], r.stderr


def test_what_a_failed_article_fetch_recorded_is_indexed(web: FakeWeb, tmp_path: Path) -> None:
    missing = "https://news.example/2024/no-such-story.html"
    code, summary, _stderr = _archive(web, tmp_path / "a", missing)
    assert code == 2 and summary["failures"] == [f"{missing}: HTTP 404; check the address"], summary
    conn = sqlite3.connect(tmp_path / "a" / "archive.db")
    indexed = conn.execute("SELECT warc_type FROM records WHERE target_uri = ?", [missing]).fetchall()
    conn.close()
    assert sorted(t for (t,) in indexed) == ["request", "response"]
    # so verify finds no record the index does not know
    checked = cli(web, "verify", archive=tmp_path / "a")
    assert checked.returncode == 0 and "not in the index" not in checked.stderr, checked.stderr


def test_a_file_where_the_media_folder_must_be_is_named_for_each_post(web: FakeWeb, tmp_path: Path) -> None:
    archive = tmp_path / "a"
    archive.mkdir()
    (archive / MEDIA_DIR).write_text("not a folder")
    code, summary, _stderr = _archive(web, archive, site.ARTICLE_FLOOD.url)
    assert code == 1
    named = [f for f in summary["failures"] if "media is a file where a folder must be" in f]
    assert named and not any("FileExistsError" in f for f in summary["failures"]), summary["failures"]


def test_a_host_name_that_is_no_valid_idna_is_named_never_a_crash(web: FakeWeb, tmp_path: Path) -> None:
    """`xn--a.example` looks like punycode and is none: given as a source (on the command line, in
    a `*.urls` list) it is a usage error naming it; met as a redirect's target, the article's
    failure, and the run goes on."""
    bad = "http://xn--a.example/story.html"
    r = cli(web, "scan", bad)
    assert r.returncode == 2 and r.stderr.startswith(f"archiver: {bad}: is not a valid URL") and "Traceback" not in r.stderr
    listed = tmp_path / "news.urls"
    good = _article(web, "/run-failures/idn-neighbour.html", "Next door", "<p>Nothing embedded.</p>")
    listed.write_text(f"{bad}\n{good}\n")
    scanned = cli(web, "scan", str(listed), "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem))
    assert scanned.returncode == 1 and "Traceback" not in scanned.stderr, scanned.stderr
    assert f"news.urls:1: '{bad}' is not a valid URL" in scanned.stderr
    web.set_state(("redirect", "/run-failures/moved-to-idn.html"), "http://xn--a.example/x")
    moved = "https://news.example/run-failures/moved-to-idn.html"
    code, summary, stderr = _archive(web, tmp_path / "a", moved, good)
    assert code == 1, stderr
    (failure,) = summary["failures"]
    assert failure.startswith(f"GET {moved}: led to an address whose host name is not valid"), failure
    assert summary["articles"] == 1 and not any("internal error" in line for line in stderr), stderr


def test_an_article_citing_more_posts_than_max_posts_gets_the_first_archived_and_the_rest_named(
        web: FakeWeb, tmp_path: Path) -> None:
    links = "".join(f'<p><a href="https://twitter.com/someone/status/{n}">post {n}</a></p>'
                    for n in (1764718078373491923, 1764919062983508363, 20, 21, 22))
    url = _article(web, "/many-posts.html", "Many posts", links)
    code, summary, stderr = _archive(web, tmp_path / "a", url, "--max-posts", "2")
    assert code == 1, stderr
    assert [p["key"] for p in summary["results"]] == ["twitter:1764718078373491923", "twitter:1764919062983508363"]
    named = f"{url}: cites 5 posts; the first 2 in the page's order are archived, 3 left out (raise --max-posts to take more)"
    assert _failed_lines(stderr) == [named], stderr


def test_posts_left_out_at_max_posts_are_not_dated_as_dropped(web: FakeWeb, tmp_path: Path) -> None:
    links = "".join(f'<p><a href="https://twitter.com/someone/status/{n}">post {n}</a></p>'
                    for n in (1764718078373491923, 1764919062983508363, 20))
    url = _article(web, "/capped.html", "Capped", links)
    archive = tmp_path / "a"
    code, _summary, stderr = _archive(web, archive, url)
    assert code == 0, stderr
    # Read again with a lower cap (a live blog that grew past it): the page still cites all three.
    code, summary, stderr = _archive(web, archive, url, "--recapture", "--max-posts", "2")
    assert code == 1 and summary["articles"] == 1, stderr
    db = sqlite3.connect(archive / "archive.db")
    try:
        dropped = db.execute("SELECT count(*) FROM citations WHERE dropped_at IS NOT NULL").fetchone()[0]
    finally:
        db.close()
    assert dropped == 0


def test_max_posts_holds_for_the_embeds_the_rendered_page_shows_too(web: FakeWeb, tmp_path: Path) -> None:
    # The rendered page shows every embed the markup holds: those past the cap were captured all
    # the same ("3 left out", and all four archived).
    from tests.fakeweb import pages, site

    embeds = "".join(pages.blockquote_html(t) for t in (site.TWEET_PHOTO, site.TWEET_VIDEO, site.TWEET_DELETED))
    url = _article(web, "/capped-embeds.html", "Capped embeds", embeds)
    code, summary, stderr = _archive(web, tmp_path / "a", url, "--max-posts", "1")
    assert code == 1, stderr
    assert [p["key"] for p in summary["results"]] == [f"twitter:{site.TWEET_PHOTO.id}"], summary["results"]
    assert _failed_lines(stderr) == [
        f"{url}: cites 3 posts; the first 1 in the page's order are archived, 2 left out (raise --max-posts to take more)"]
