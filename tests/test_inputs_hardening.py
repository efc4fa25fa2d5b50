"""Untrusted input: special files, endless files, empty and malformed sources, malformed URLs in content.

Every bad input ends as one named line and an exit code, never a hang, a MemoryError or a traceback.
Subprocess timeouts below are generous safety nets, not measurements (bench/ holds the timings).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archiver.detect import detect, platform_for_url
from archiver.errors import SourceError, UsageError
from archiver.models import Document
from archiver.platforms.twitter.shortlinks import Hop, Resolution, page_redirect, resolved_post_id, unwrap_unsafe_link
from archiver.seeds import feed_links, read_seeds
from archiver.sources import SourceFailure, check_specs, expand, read_capped, read_sources, shown, url_problem

ROOT = Path(__file__).resolve().parents[1]
MALFORMED = ["http://[::1", "https://exa mple.com/", "http://:80/", "http://a.example:99999999999/",
             "http://a.example:0/", "http://a.example:80x/", "http://user@/", "http:///path", "https://xn--zz.example/",
             "https://\u2603\u2603.example/", "http://a.example/\n", "http://a\x00b.example/", "https://[::1]:xx/"]


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], input=stdin.decode() if stdin else None,
                          capture_output=True, text=True, cwd=ROOT, timeout=20)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.html"
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket() -> Iterator[Path]:
    # AF_UNIX paths are limited to ~100 bytes: pytest's tmp_path can be longer.
    folder = Path(tempfile.mkdtemp(prefix="sock", dir="/tmp"))
    path = folder / "s.html"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    try:
        yield path
    finally:
        sock.close()
        path.unlink()
        folder.rmdir()


# -- reading files ------------------------------------------------------------------------------------


def test_a_fifo_is_refused_before_it_is_opened(fifo: Path) -> None:
    with pytest.raises(SourceError, match=r"pipe\.html: is a named pipe \(FIFO\), not a file"):
        read_capped(fifo, 1000)


def test_devices_are_refused_whatever_their_size_says() -> None:
    with pytest.raises(SourceError, match="/dev/zero: is a character device"):
        read_capped(Path("/dev/zero"), 1000)
    with pytest.raises(SourceError, match="/dev/null: is a character device"):
        read_capped(Path("/dev/null"), 1000)


def test_a_socket_is_refused(unix_socket: Path) -> None:
    with pytest.raises(SourceError, match="is a socket, not a file"):
        read_capped(unix_socket, 1000)


def test_the_cap_is_enforced_while_reading_not_from_st_size() -> None:
    status = Path("/proc/self/status")  # a regular file whose st_size is 0
    if not status.exists():
        pytest.skip("no /proc")
    assert status.stat().st_size == 0
    with pytest.raises(SourceError, match="more than --max-bytes 10 bytes"):
        read_capped(status, 10)
    assert b"Name:" in read_capped(status, 1_000_000)


def test_a_file_of_exactly_the_cap_is_read_one_more_byte_is_not(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_bytes(b"x" * 100)
    assert read_capped(p, 100) == b"x" * 100
    with pytest.raises(SourceError, match="over --max-bytes 99"):
        read_capped(p, 99)


def test_a_path_swapped_for_a_fifo_after_the_check_is_caught_on_the_descriptor(
        fifo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The path looked like a regular file when checked; what was opened is a FIFO. Opened without
    # blocking, its descriptor's type refuses it.
    real_stat = os.stat
    regular = real_stat(__file__)
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: regular if Path(p) == fifo else real_stat(p, *a, **k))
    with pytest.raises(SourceError, match="is a named pipe"):
        read_capped(fifo, 1000)


def test_special_files_inside_a_directory_are_each_named(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "good.txt").write_text("See https://twitter.com/jack/status/20 for the first tweet.")
    (tmp_path / "zero.html").symlink_to("/dev/zero")
    (tmp_path / "loop.html").symlink_to(tmp_path / "loop.html")
    items = list(read_sources([str(tmp_path)]))
    failures = {Path(i.source).name: i.message for i in items if isinstance(i, SourceFailure)}
    docs = [i for i in items if not isinstance(i, SourceFailure)]
    assert [Path(d.source).name for d in docs] == ["good.txt"]
    assert "is a named pipe" in failures["pipe.html"]
    assert "is a character device" in failures["zero.html"]
    assert "cannot read" in failures["loop.html"]


def test_a_nul_byte_in_a_file_name_is_a_named_failure() -> None:
    with pytest.raises(SourceError, match=r"'a\\x00b\.html': cannot read"):
        read_capped(Path("a\x00b.html"), 1000)


def test_an_empty_source_name_is_not_the_current_directory() -> None:
    assert list(expand([""])) == [""]
    (item,) = list(read_sources([""]))
    assert isinstance(item, SourceFailure) and "empty source name" in item.message
    with pytest.raises(UsageError, match="empty source name"):
        check_specs(["article.html", ""])


# -- the command line ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["/dev/zero", "FIFO", ""])
def test_scan_of_an_unreadable_source_is_one_line_and_exit_2(source: str, fifo: Path) -> None:
    r = _cli("scan", str(fifo) if source == "FIFO" else source)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith("archiver: ") and "Traceback" not in r.stderr and r.stdout == ""


def test_scan_names_the_bad_sources_and_exits_1_when_others_were_read(tmp_path: Path, fifo: Path) -> None:
    good = tmp_path / "story.txt"
    good.write_text("See https://twitter.com/jack/status/20 for the first tweet.\n")
    r = _cli("scan", "--format", "jsonl", str(fifo), "/dev/zero", str(good))
    assert r.returncode == 1, r.stderr
    assert "pipe.html: is a named pipe" in r.stderr and "/dev/zero: is a character device" in r.stderr
    assert '"post_id": "20"' in r.stdout


@pytest.mark.parametrize("url", ["http://[::1", "https://exa mple.com/", "http://:80/", "http://a.example:99999999999/"])
def test_a_malformed_url_on_the_command_line_is_a_usage_error(url: str, tmp_path: Path) -> None:
    r = _cli("scan", str(tmp_path / "other.html"), url)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [r.stderr.strip()]
    assert url.split("/")[2][:4] in r.stderr and "check the address" in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


def test_archive_refuses_an_empty_source_before_starting_anything(tmp_path: Path) -> None:
    r = _cli("archive", "--archive-dir", str(tmp_path / "a"), "")
    assert r.returncode == 2, r.stderr
    assert "empty source name" in r.stderr and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "a" / "warcs").exists()


def test_max_bytes_applies_to_proc_files_from_the_command_line() -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc")
    r = _cli("scan", "--max-bytes", "10", "/proc/self/status")
    assert r.returncode == 2 and "more than --max-bytes 10 bytes" in r.stderr


# -- seeds ----------------------------------------------------------------------------------------------


def test_seed_folders_name_special_files_and_malformed_urls(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "feed.xml")
    (tmp_path / "list.urls").write_text("https://news.example/ok.html\nhttp://[::1\nhttps://exa mple.com/x\n")
    (tmp_path / "sitemap.xml").write_bytes(
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://news.example/a.html</loc></url><url><loc>http://:80/</loc></url></urlset>")
    seeds = read_seeds(tmp_path)
    assert seeds.sources == ["https://news.example/ok.html", "https://news.example/a.html"]
    problems = "\n".join(seeds.problems)
    assert "feed.xml: is a named pipe" in problems
    assert "list.urls:2: 'http://[::1'" in problems and "list.urls:3:" in problems
    assert "sitemap.xml: article link 'http://:80/' has no host name" in problems


# -- fuzzing: malformed URLs anywhere never raise ---------------------------------------------------------

_HOSTS = st.sampled_from(["twitter.com", "x.com", "t.co", "pic.twitter.com", "youtube.com", "youtu.be", "instagram.com",
                          "tiktok.com", "facebook.com", "bsky.app", "mastodon.social", "reddit.com", "t.me", "vimeo.com",
                          "threads.net", "linkedin.com", "truthsocial.com", "[::1", "[::1]", "", ":80", "exa mple.com",
                          "xn--zz.com", "\u2603.com"])
_URLS = st.one_of(
    st.sampled_from(MALFORMED),
    st.builds(lambda s, h, p, rest: f"{s}{h}{p}/{rest}", st.sampled_from(["http://", "https://", "//", "", "HTTP://"]),
              _HOSTS, st.sampled_from(["", ":80", ":", ":99999999999", ":-1", ":x"]), st.text(max_size=40)),
    st.text(max_size=60),
)
_MARKUP = st.sampled_from([
    '<a href="{u}">x</a>', '<iframe src="{u}"></iframe>', '<iframe data-src="{u}"></iframe>',
    '<blockquote class="twitter-tweet"><p>t</p>&mdash; A (@a) <a href="{u}">March 1, 2020</a></blockquote>',
    '<blockquote class="instagram-media" data-instgrm-permalink="{u}"></blockquote>',
    '<div class="fb-post" data-href="{u}"></div>', '<blockquote class="tiktok-embed" cite="{u}"></blockquote>',
    '<textarea>&lt;iframe src="{u}"&gt;&lt;/iframe&gt;</textarea>',
    '<div data-html="&lt;iframe src=&quot;{u}&quot;&gt;&lt;/iframe&gt;"></div>',
    '<blockquote class="bluesky-embed" data-bluesky-uri="{u}"></blockquote>', '<lite-youtube videoid="{u}"></lite-youtube>',
    '<script async src="https://telegram.org/js/telegram-widget.js" data-telegram-post="{u}"></script>',
    "<p>{u} and t.co/abcd1</p>",
])
_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@_FUZZ
@given(st.lists(st.tuples(_MARKUP, _URLS), min_size=1, max_size=4), st.booleans())
def test_detection_survives_malformed_urls_in_content(parts: list[tuple[str, str]], is_html: bool) -> None:
    import html

    body = "".join(t.format(u=html.escape(u) if is_html else u) for t, u in parts)
    posts = detect(Document(source="fuzz", text=f"<html><body>{body}</body></html>", is_html=is_html))
    assert all(p.source == "fuzz" for p in posts)
    for _, u in parts:
        platform_for_url(u)


@_FUZZ
@given(_URLS)
def test_short_link_resolution_steps_survive_malformed_targets(url: str) -> None:
    base = "https://t.co/abcd1"
    for page in (f'<meta http-equiv="refresh" content="0;url={url}">', f'<script>location.replace("{url}")</script>'):
        target = page_redirect(page, base)
        assert target is None or isinstance(target, str)
    unwrap_unsafe_link("https://twitter.com/safety/unsafe_link_warning?unsafe_link=" + url)
    resolved_post_id(Resolution(url=url, final_url=url, hops=[Hop(url, 301, url)]))


@_FUZZ
@given(_URLS)
def test_url_checks_answer_and_never_raise(url: str) -> None:
    why = url_problem(url)
    assert why is None or (why and "\n" not in why)
    try:
        check_specs([url])
    except UsageError as e:
        assert str(e).count("\n") == 0
    else:
        assert not url.startswith(("http://", "https://", "HTTP://")) or why is None


@_FUZZ
@given(_URLS)
def test_malformed_url_sources_fail_by_name_without_a_request(url: str) -> None:
    spec = url if url.lower().startswith(("http://", "https://")) else "http://" + url
    assume(url_problem(spec) is not None)  # a well-formed URL would go to the network
    (item,) = list(read_sources([spec]))
    assert isinstance(item, SourceFailure) and item.message.startswith(shown(spec)) and "\n" not in item.message


@_FUZZ
@given(st.lists(_URLS, min_size=1, max_size=5))
def test_feeds_with_malformed_links_still_parse(links: list[str]) -> None:
    from xml.sax.saxutils import escape

    items = "".join(f"<item><link>{escape(u)}</link></item>" for u in links)
    data = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode("utf-8", "replace")
    found = feed_links(data)
    assert found is None or all(isinstance(u, str) for u in found)


def test_file_names_that_are_no_utf8_are_named_escaped_and_stored(tmp_path: Path) -> None:
    """A name's bytes that are no UTF-8 (Python keeps them as lone surrogates) stopped a run at its
    first write of the name (index, JSON): they are written `\\xNN`, and the run goes on."""
    folder = tmp_path / "pile"
    folder.mkdir()
    good = os.fsdecode(bytes(folder) + b"/note\xff.txt")
    Path(good).write_text("No posts cited here.\n")
    Path(os.fsdecode(bytes(folder) + b"/list\xfe.urls")).write_text("nonsense\n" + "x" * 5000 + "\n")
    archive = tmp_path / "archive"
    r = _cli("archive", str(folder), "--archive-dir", str(archive), "--format", "json")
    assert r.returncode == 1, r.stderr  # the list's two lines named
    assert "internal error" not in r.stderr and "\\udc" not in r.stderr, r.stderr
    summary = json.loads(r.stdout)
    assert summary["articles"] == 1 and len(summary["failures"]) == 2, summary
    assert f"{folder}/list\\xfe.urls:1: not an http(s) URL: 'nonsense'" in summary["failures"]
    assert any(f.startswith(f"{folder}/list\\xfe.urls:2: not an http(s) URL: 'xxx") and f.endswith(
        "(cut at 200 of 5000 characters)") for f in summary["failures"]), summary["failures"]
    shown = _cli("lookup", "--archive-dir", str(archive), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    with sqlite3.connect(archive / "archive.db") as db:
        (source, url), = db.execute("SELECT source, url FROM articles").fetchall()
    assert source == f"{folder}/note\\xff.txt" and url == Path(good).as_uri() and url.endswith("/note%FF.txt")
    scanned = _cli("scan", str(folder), "--format", "jsonl")
    assert scanned.returncode == 1 and "\\udc" not in scanned.stderr and f"{folder}/list\\xfe.urls:1" in scanned.stderr


def test_links_to_folders_are_followed_and_a_folder_reached_again_is_named_once(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "story.html").write_text('<p><a href="https://twitter.com/jack/status/20">the first tweet</a></p>')
    pile = tmp_path / "pile"
    pile.mkdir()
    (pile / "shared").symlink_to(shared)  # a seeds folder kept elsewhere: read as the docs say
    (pile / "again").symlink_to(shared)  # the same folder twice
    (pile / "loop").symlink_to(".")  # the folder itself
    r = _cli("scan", str(pile), "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    (post,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert post["post_id"] == "20" and post["source"] == f"{pile}/again/story.html"  # (sorted: again, loop, shared)
    assert f"archiver: {pile}/loop: a link to a folder read already ({pile}); skipped" in r.stderr.splitlines()
    assert f"archiver: {pile}/shared: a link to a folder read already ({shared}); skipped" in r.stderr.splitlines()


def test_an_archive_folder_whose_name_is_no_utf8_is_an_archive_like_any(tmp_path: Path) -> None:
    page = tmp_path / "note.txt"
    page.write_text("No posts cited here.\n")
    archive = os.fsdecode(bytes(tmp_path) + b"/arch\xffive")  # was called "archive.db is damaged: not UTF-8"
    for words in (["archive", str(page)], ["lookup"], ["verify"]):
        r = _cli(*words, "--archive-dir", archive)
        assert r.returncode == 0, (words, r.stderr)
        assert "damaged" not in r.stderr and "internal error" not in r.stderr, r.stderr


@pytest.mark.parametrize("where", ["inside", "same"])
def test_an_archive_kept_in_its_seeds_folder_is_not_read_as_seeds(tmp_path: Path, where: str) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "note.txt").write_text("No posts cited here.\n")
    archive = seeds / "archive" if where == "inside" else seeds
    for _ in range(2):  # the second run finds the first one's index, WARCs and screenshots there
        r = _cli("run", "--seeds", str(seeds), "--archive-dir", str(archive), "--format", "json")
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert summary["failures"] == [] and summary["articles"] == 1, summary
    note = f"archiver: the archive folder {archive} lies in the seeds folder: its files are not read as seeds"
    assert r.stderr.splitlines().count(note) == 1, r.stderr


def test_a_seed_list_given_as_the_seeds_that_lists_nothing_is_named(tmp_path: Path) -> None:
    seeds = tmp_path / "news.urls"
    seeds.write_text("# nothing yet\n\n")
    r = _cli("run", "--seeds", str(seeds), "--archive-dir", str(tmp_path / "archive"))
    assert r.returncode == 2, r.stderr  # nothing to read, as `scan news.urls` says
    assert r.stderr.splitlines() == [f"archiver: {seeds}: lists no URL (one a line; `#` starts a comment): nothing in "
                                     f"--seeds {seeds} could be read, and {tmp_path / 'archive'} holds no archive to "
                                     "re-check"]
    assert not (tmp_path / "archive").exists()


def test_an_archive_dir_that_is_a_link_to_nothing_is_named_as_one(tmp_path: Path) -> None:
    page = tmp_path / "note.txt"
    page.write_text("No posts cited here.\n")
    archive = tmp_path / "archive"
    archive.symlink_to(tmp_path / "elsewhere")
    r = _cli("archive", str(page), "--archive-dir", str(archive))
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [f"archiver: {archive} is a symbolic link to {tmp_path / 'elsewhere'}, which does "
                                     "not exist: create that folder, remove the link, or pass another --archive-dir"]


def test_show_of_a_key_longer_than_any_address_is_one_short_line(tmp_path: Path) -> None:
    r = _cli("show", "x" * 100_000, "--archive-dir", str(tmp_path / "archive"))
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["archiver: show: 100000 characters is no post's URL, key or ID; "
                                     "`archiver lookup` lists them"]


def test_a_short_link_source_that_cannot_be_followed_is_named_and_the_run_goes_on(tmp_path: Path) -> None:
    import socket

    page = tmp_path / "note.txt"
    page.write_text("No posts cited here.\n")
    with socket.socket() as closed:  # bound, never listening: t.co refuses at once, on loopback
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        r = _cli("archive", "https://t.co/Qm4Lp2XvBn", str(page), "--archive-dir", str(tmp_path / "archive"),
                 "--map-host", f"t.co=127.0.0.1:{port}", "--format", "json")
    assert r.returncode == 1, r.stderr  # was "internal error: UnboundLocalError", nothing else done
    summary = json.loads(r.stdout)
    assert summary["articles"] == 1 and summary["articles_failed"] == 1, summary
    (failure,) = summary["failures"]
    assert failure.startswith("https://t.co/Qm4Lp2XvBn: could not be followed ("), failure


def test_run_reads_its_seed_files_within_its_own_max_bytes(tmp_path: Path) -> None:
    # The seeds folder is read with the run's --max-bytes, not the default (it was read up to 50 MiB
    # whatever was given, and named against that figure when the user had raised it).
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("".join(f"https://news.example/2024/story-{n}.html\n" for n in range(10)))
    r = _cli("run", "--seeds", str(seeds), "--archive-dir", str(tmp_path / "a"), "--max-bytes", "200",
             "--map-host", "*=127.0.0.1:9")  # (nothing is fetched: a loopback stand-in all the same)
    assert r.returncode == 2 and "news.urls: 390 bytes is over --max-bytes 200" in r.stderr, r.stderr
