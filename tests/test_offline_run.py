"""`make run` on a machine without internet: the run completes, posts new to the archive end
`unavailable`, each check that could not be made is named, exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpcore
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.browser


def _no_names(host: str, port: int) -> list[str]:
    """The system resolver on a machine without a network: no name resolves (and no query is sent)."""
    raise httpcore.ConnectError(f"[Errno -2] Name or service not known: {host}")


def test_offline_run_over_the_shipped_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `archiver run` as the command line runs it, with a resolver that resolves nothing, as on a
    # machine without a network: no connection is opened and no name is looked up for real. (A port
    # where nothing listens would not do: a refused connection is one server's answer, not a dead
    # network.)
    from archiver.cli import _print_summary
    from archiver.cli_options import OutFormat
    from archiver.net import NetOptions
    from archiver.runs import run as run_job

    result = run_job(ROOT / "seeds", tmp_path / "a", NetOptions(resolver=_no_names))
    capsys.readouterr()
    assert _print_summary(result, OutFormat.json) == 1
    printed = capsys.readouterr()
    r = subprocess.CompletedProcess([], 1, printed.out, printed.err)
    summary = json.loads(r.stdout)
    assert summary["network_unreachable"] is True
    # seeds/famous-posts.html embeds three tweets and a YouTube video; seeds/wire-story.txt holds a
    # flattened tweet whose short link cannot be resolved offline, so it stays keyed by its hash.
    keys = {p["key"]: p["status"] for p in summary["results"]}
    hashed = {k for k in keys if k.startswith("twitter:h:")}
    assert len(hashed) == 1 and set(keys) - hashed == {
        "twitter:266031293945503744", "twitter:440322224407314432", "twitter:20", "youtube:dQw4w9WgXcQ"}
    # No post could be checked: each new to the archive is `unavailable` for want of better, and
    # none counts among the statuses the run found.
    assert set(keys.values()) == {"unavailable"} and {p["checked"] for p in summary["results"]} == {False}
    assert summary["statuses"] == {} and summary["posts_not_checked"] == 5
    # Each failure named: the article URL of seeds/articles.urls (not read: not counted among the
    # articles captured or checked), the short link, and each post that could not be checked.
    assert summary["articles"] == 2 and summary["articles_failed"] == 1
    first, second, *posts = summary["failures"]
    assert first.startswith("GET https://blog.python.org/: host name not resolved"), first
    assert second.startswith("pic.twitter.com/Hy3LSwqyLP: could not be resolved"), second
    assert [f.partition(": not checked: ")[0] for f in posts] == list(keys), posts
    assert r.stderr.splitlines()[-1] == (
        "archiver: the network was unreachable: 5 post(s) could not be checked, each keeps the status it had "
        "('unavailable' if new to the archive); run again when online; or check the addresses named above, if mistyped")
    assert "Traceback" not in r.stderr
    # The local seed articles themselves were still kept: rendered and stored as resource records.
    lookup = subprocess.run([sys.executable, "-m", "archiver.cli", "lookup", "--archive-dir", str(tmp_path / "a"),
                             "--format", "json", "--handle", "BarackObama"], capture_output=True, text=True, cwd=ROOT)
    (post,) = json.loads(lookup.stdout)
    assert post["status"] == "unavailable" and [h["status"] for h in post["history"]] == ["unavailable"]
    assert post["posted_at"] == "2012-11-07T04:16:17.756Z"  # from the ID: the network was not needed
    # Run again, still offline: the posts are held now (checked, never captured), so none is new to
    # the archive; each says the status it had, none could be checked, none changed.
    again = run_job(ROOT / "seeds", tmp_path / "a", NetOptions(resolver=_no_names)).to_dict()
    assert again["posts_new"] == 0 and again["posts_rechecked"] == 0 and again["posts_changed"] == 0
    assert again["posts_not_checked"] == 5
    assert {(p["key"], p["previous_status"], p["changed"]) for p in again["results"]} == {
        (key, "unavailable", False) for key in keys}


def test_an_offline_run_of_article_addresses_alone_completes_with_exit_1(tmp_path: Path) -> None:
    # Seeds that are all web addresses: nothing is read, because the network did not answer. The
    # run completed and says so (a scheduled unit and `make run` take 1 as done); 2 is for input
    # that can never be read.
    from archiver.net import NetOptions
    from archiver.runs import run as run_job

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("https://news.example/a.html\nhttps://news.example/b.html\n")
    result = run_job(seeds, tmp_path / "a", NetOptions(resolver=_no_names))
    assert result.sources_read == 0 and len(result.failures) == 2 and result.nothing_answered
    assert result.exit_code == 1
    # Beside a file that does not exist, input that can never be read: nothing readable (2).
    (seeds / "gone.html").symlink_to(tmp_path / "nowhere.html")
    beside = run_job(seeds, tmp_path / "b", NetOptions(resolver=_no_names))
    assert beside.sources_read == 0 and beside.exit_code == 2, beside.failures


@pytest.fixture
def closed_port() -> Any:
    """A loopback port held bound but never listening: every connection to it is refused at once."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _run(seeds: Path, archive: Path, port: int, *more: str) -> subprocess.CompletedProcess[str]:
    """`archiver run` with every host led to `port` on loopback, where nothing answers."""
    return subprocess.run([sys.executable, "-m", "archiver.cli", "run", "--seeds", str(seeds), "--archive-dir",
                           str(archive), "--map-host", f"*=127.0.0.1:{port}", "--fetch-deadline", "1",
                           "--format", "json", *more], capture_output=True, text=True, cwd=ROOT, timeout=300)


def _history(archive: Path, key: str) -> list[str]:
    shown = subprocess.run([sys.executable, "-m", "archiver.cli", "show", key, "--archive-dir", str(archive),
                            "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert shown.returncode == 0, shown.stderr
    return [h["status"] for h in json.loads(shown.stdout)["history"]]


def test_a_flattened_post_whose_short_links_no_server_answered_is_not_checked(tmp_path: Path,
                                                                               closed_port: int) -> None:
    # The shipped seeds' files (no article address) with every host refusing connections (a proxy
    # or a firewall down, a port where nothing listens): the flattened tweet's pic.twitter.com link
    # got no HTTP answer, so its status ID, and the post's status, were not learnt, as for the
    # posts with IDs, whose checks met no answer either.
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("wire-story.txt", "famous-posts.html"):
        (seeds / name).write_bytes((ROOT / "seeds" / name).read_bytes())
    archive = tmp_path / "a"
    r = _run(seeds, archive, closed_port)
    assert r.returncode == 1, r.stderr
    s = json.loads(r.stdout)
    (flat,) = [p for p in s["results"] if p["key"].startswith("twitter:h:")]
    key = flat["key"]
    link = "https://pic.twitter.com/Hy3LSwqyLP: could not connect"
    assert (flat["status"], flat["checked"], flat["captures"]) == ("unavailable", False, 0), flat
    assert flat["reason"].startswith(f"status ID unknown: no server answered its short links: {link}"), flat
    assert flat["failures"] == [f"{key}: not checked: {flat['reason']}"], flat
    assert f"{key}: not checked: status ID unknown: no server answered its short links: {link}" in r.stderr
    # The link is named once, with the post it leaves unchecked (not also as the article's failure).
    assert [f for f in s["failures"] if "Hy3LSwqyLP" in f] == flat["failures"], s["failures"]
    # No post check met an answer, nor did any article come over the network: the run says the
    # network was unreachable, counting the flattened post among those not checked.
    assert s["posts_not_checked"] == 5 and s["statuses"] == {} and s["network_unreachable"] is True, s
    assert r.stderr.splitlines()[-1] == (
        "archiver: the network was unreachable: 5 post(s) could not be checked, each keeps the status it had "
        "('unavailable' if new to the archive); run again when online"), r.stderr
    assert _history(archive, key) == ["unavailable"]

    # Run again, still without answers: the post keeps the status it had, and its history gains
    # nothing (no check was made); so does a re-check of it alone, which follows its links again.
    again = _run(seeds, archive, closed_port)
    assert again.returncode == 1, again.stderr
    (flat,) = [p for p in json.loads(again.stdout)["results"] if p["key"] == key]
    assert (flat["status"], flat["checked"], flat["previous_status"], flat["changed"]) == (
        "unavailable", False, "unavailable", False), flat
    assert flat["reason"].startswith(f"status ID unknown: no server answered its short links: {link}"), flat
    empty = tmp_path / "no-seeds"
    empty.mkdir()
    recheck = _run(empty, archive, closed_port, "--recheck-after", "0s")
    assert recheck.returncode == 1, recheck.stderr
    (flat,) = [p for p in json.loads(recheck.stdout)["results"] if p["key"] == key]
    assert (flat["status"], flat["checked"]) == ("unavailable", False), flat
    (failure,) = flat["failures"]
    assert failure.startswith(f"{key}: not checked: status ID unknown: no server answered its short links: {link}"), flat
    assert _history(archive, key) == ["unavailable"]


def _run_with_stderr_on_a_terminal(args: list[str]) -> str:
    from tests.e2e import stderr_on_a_terminal

    return stderr_on_a_terminal(args)


def test_progress_bar_on_a_terminal_and_plain_logs_under_cron(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text("A quiet day: no posts cited here.\n")
    args = ["archive", str(story), "--archive-dir", str(tmp_path / "a"), "--map-host", "*=127.0.0.1:9"]
    terminal = _run_with_stderr_on_a_terminal(args)
    assert "0/1" in terminal and "━" in terminal  # a bar counting articles
    cron = subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert "━" not in cron.stderr and "0/1" not in cron.stderr  # no terminal: no bar, only log lines
    quiet = _run_with_stderr_on_a_terminal(["--quiet", *args])
    assert "━" not in quiet
