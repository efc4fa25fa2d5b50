"""The CLI contract: help for every command, exit codes, stdout data vs stderr messages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
# Groups of commands (`archiver index migrate`, `archiver runs status`) count as one command each.
GROUPS = {g.name: g.typer_instance for g in app.registered_groups}
COMMANDS = sorted([c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]
                  + [name for name in GROUPS if name])


def test_every_command_has_help_with_an_example() -> None:
    assert set(COMMANDS) >= {"scan", "archive", "run", "lookup", "show", "export", "verify", "report"}
    for name in COMMANDS:
        group = GROUPS.get(name)
        invocations = [[name]] if group is None else [
            [name, c.name or c.callback.__name__] for c in group.registered_commands]  # type: ignore[union-attr]
        assert invocations, name
        for words in invocations:
            result = runner.invoke(app, [*words, "--help"])
            assert result.exit_code == 0, words
            assert "Example:" in result.output, f"{' '.join(words)} --help has no example"
            # Each example is printed as written, to be copied: no line break lost mid-command
            # (click re-wraps a paragraph unless it is marked not to be).
            examples = [line.strip() for line in result.output.splitlines() if line.strip().startswith("archiver ")]
            assert examples, words
            for line in examples:
                assert "\\ " not in line, f"{' '.join(words)} --help joins the lines of an example: {line!r}"
            lines = result.output.splitlines()
            for line, after in zip(lines, lines[1:], strict=False):
                # An example line is followed by a blank line or the next example, unless it ends in a
                # backslash (the shell's own line break).
                if line.strip().startswith("archiver ") and not line.rstrip().endswith("\\"):
                    assert not after.strip() or after.strip().startswith("archiver "), (
                        f"{' '.join(words)} --help wraps an example: {line!r} / {after!r}")


def test_readme_lists_exactly_the_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^\| `archiver ([\w-]+)", readme, flags=re.M))
    assert listed == set(COMMANDS)


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=120)


def test_usage_error_exits_2_without_traceback() -> None:
    r = _cli("scan", "--format", "yaml", "x.html")
    assert r.returncode == 2
    assert b"Traceback" not in r.stderr


def test_an_option_without_its_value_names_the_commands_help() -> None:
    r = _cli("lookup", "--handle")
    assert (r.returncode, r.stdout) == (2, b"")
    assert r.stderr.decode() == "archiver: --handle needs a value (see `archiver lookup --help`)\n"


def test_nothing_readable_exits_2_with_one_line_per_source(tmp_path: Path) -> None:
    binary = tmp_path / "image.html"
    binary.write_bytes(bytes(range(256)) * 10)
    r = _cli("scan", str(tmp_path / "missing.html"), str(binary))
    assert r.returncode == 2, r.stderr
    err = r.stderr.decode()
    assert "missing.html: no such file" in err and "image.html: binary content" in err
    assert "Traceback" not in err
    assert r.stdout == b""


def test_partial_failure_exits_1_and_still_prints_data(tmp_path: Path) -> None:
    good = tmp_path / "story.txt"
    good.write_text("See https://twitter.com/jack/status/20 for the first tweet.\n")
    r = _cli("scan", "--format", "json", str(tmp_path / "gone.html"), str(good))
    assert r.returncode == 1
    rows = json.loads(r.stdout)
    assert [(p["platform"], p["post_id"], p["kind"]) for p in rows] == [("twitter", "20", "linked")]
    assert "gone.html" in r.stderr.decode()


def test_stdin_source_and_jsonl() -> None:
    html = b'<blockquote class="twitter-tweet"><p>Hi</p>&mdash; Jack (@jack) <a href="https://twitter.com/jack/status/20">March 21, 2006</a></blockquote>'
    r = _cli("scan", "-", "--format", "jsonl", stdin=html)
    assert r.returncode == 0, r.stderr
    (row,) = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert row["key"] == "twitter:20" and row["source"] == "-" and row["kind"] == "embedded"


@pytest.mark.parametrize("cmd", ["lookup", "verify", "report"])
def test_commands_on_a_missing_archive_exit_2(tmp_path: Path, cmd: str) -> None:
    r = _cli(cmd, "--archive-dir", str(tmp_path / "none"))
    assert r.returncode == 2
    assert "no archive at" in r.stderr.decode() and "Traceback" not in r.stderr.decode()


def test_quiet_scan_still_names_each_failure(tmp_path: Path) -> None:
    good = tmp_path / "ok.txt"
    good.write_text("nothing here")
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "--quiet", "scan", str(tmp_path / "nope.html"), str(good)],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1
    assert "nope.html: no such file" in r.stderr
    assert r.stderr.count("nope.html") == 1


def test_verbose_logs_do_not_include_library_debug(tmp_path: Path) -> None:
    # -vv turns on archiver's own debug logs only; libraries (hpack logs HTTP/2 headers, cookies
    # included) stay at WARNING.
    import logging

    runner.invoke(app, ["-vv", "scan", str(tmp_path / "missing.html")])
    assert logging.getLogger("archiver").level == logging.DEBUG
    assert logging.getLogger("hpack").getEffectiveLevel() >= logging.WARNING


def test_report_to_an_unwritable_path_is_one_line(tmp_path: Path) -> None:
    from archiver.errors import UsageError
    from archiver.report import write_report

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot write the report"):
        write_report([], tmp_path, blocker / "r.html")


def test_a_run_summary_names_what_changed_since_the_last_check(capsys: pytest.CaptureFixture[str]) -> None:
    from archiver.cli import OutFormat, _print_summary
    from archiver.pipeline.postcapture import PostOutcome
    from archiver.pipeline.summary import ArchiveSummary

    summary = ArchiveSummary(posts=[PostOutcome("twitter:1", "twitter", None, "deleted"),
                                    PostOutcome("twitter:2", "twitter", None, "live"),
                                    PostOutcome("twitter:3", "twitter", None, "live")],
                             previous={"twitter:1": "live", "twitter:2": "live"}, rechecked=2, changed=1)
    assert _print_summary(summary, OutFormat.table) == 0
    out, err = capsys.readouterr()
    statuses = [line.split()[1:4] for line in out.splitlines()[1:]]
    assert statuses == [["deleted", "(was", "live)"], ["live", "0"], ["live", "0"]]
    assert "; 1 changed since their last check" in err
    assert _print_summary(summary, OutFormat.json) == 0
    rows = json.loads(capsys.readouterr()[0])["results"]
    assert [(r["previous_status"], r["changed"]) for r in rows] == [("live", True), ("live", False), (None, False)]


def test_a_check_that_could_not_be_made_claims_no_status_and_no_change(capsys: pytest.CaptureFixture[str]) -> None:
    from archiver.cli import OutFormat, _print_summary
    from archiver.pipeline.postcapture import PostOutcome
    from archiver.pipeline.summary import ArchiveSummary

    unchecked = PostOutcome("twitter:1", "twitter", None, "live", reason="network failure: host name not resolved",
                            network_failed=True, checked=False)
    summary = ArchiveSummary(posts=[unchecked, PostOutcome("twitter:2", "twitter", None, "deleted")],
                             failures=[str(unchecked.failure())], network_unreachable=True)
    summary.rechecks({"twitter:1": "live", "twitter:2": "live"})
    # twitter:1's check was not made: it counts as not checked, neither re-checked nor new.
    assert (summary.rechecked, summary.changed) == (1, 1)
    assert _print_summary(summary, OutFormat.table) == 1
    out, err = capsys.readouterr()
    assert [line.split()[1:3] for line in out.splitlines()[1:]] == [["live", "(not"], ["deleted", "(was"]]
    assert err.splitlines() == [
        "archiver: 0 article(s), 1 post(s) captured or checked (1 deleted); 0 already held; 1 could not be "
        "checked; 1 changed since their last check",
        "archiver: failed: twitter:1: not checked: network failure: host name not resolved",
        "archiver: some servers could not be reached (named above; check any address mistyped): 1 post(s) could "
        "not be checked, each keeps the status it had ('unavailable' if new to the archive); run again when online "
        "if the network went down during the run"]
    _print_summary(summary, OutFormat.json)
    data = json.loads(capsys.readouterr()[0])
    assert (data["statuses"], data["posts_not_checked"], data["posts_changed"]) == ({"deleted": 1}, 1, 1)
    assert (data["posts"], data["posts_new"], data["posts_rechecked"]) == (2, 0, 1)
    assert [(r["status"], r["checked"], r["changed"]) for r in data["results"]] == [
        ("live", False, False), ("deleted", True, True)]


def test_an_unreachable_network_says_nothing_of_posts_when_none_was_checked(capsys: pytest.CaptureFixture[str]) -> None:
    from archiver.cli import OutFormat, _print_summary
    from archiver.pipeline.summary import ArchiveSummary, ArticleOutcome

    failure = "GET https://news.example/: host name not resolved"
    summary = ArchiveSummary(articles=[ArticleOutcome("https://news.example/", "https://news.example/", error=failure,
                                                      unanswered=True)],
                             failures=[failure], network_unreachable=True)
    assert _print_summary(summary, OutFormat.table) == 1  # a run that completed offline, not unreadable input
    assert capsys.readouterr().err.splitlines()[-1] == (
        "archiver: the network was unreachable; run again when online; or check the addresses named above, if mistyped")


def test_each_post_the_platform_did_not_show_is_named() -> None:
    from archiver.pipeline.postcapture import PostOutcome

    gone = PostOutcome("facebook:1000000002", "facebook", None, "unavailable",
                       reason="This Facebook post is no longer available.")
    assert gone.failure() == "facebook:1000000002: unavailable: This Facebook post is no longer available."
    assert PostOutcome("twitter:1", "twitter", None, "live").failure() is None
    assert PostOutcome("twitter:1", "twitter", None, "unknown", error="boom").failure() == "twitter:1: boom"


def test_a_run_that_found_everything_held_says_how_to_check_it_again(capsys: pytest.CaptureFixture[str]) -> None:
    from archiver.cli import OutFormat, _print_summary
    from archiver.pipeline.summary import ArchiveSummary

    assert _print_summary(ArchiveSummary(skipped_posts=1), OutFormat.table) == 0
    assert capsys.readouterr().err == (
        "archiver: 0 article(s), 0 post(s) captured or checked (no posts); 1 already held (`archiver run` "
        "re-checks held posts when due; `archiver archive --recapture` captures them again now)\n")


@pytest.mark.parametrize("cmd", [["lookup"], ["verify"], ["report"], ["export", "-o", "x.wacz"]], ids=" ".join)
def test_an_archive_dir_that_is_a_file_is_named_as_one(tmp_path: Path, cmd: list[str]) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("not an archive\n")
    r = _cli(*cmd, "--archive-dir", str(afile))
    assert r.returncode == 2
    assert r.stderr.decode() == (f"archiver: {afile} is a file, not an archive folder: pass the folder the archive "
                                 "is in as --archive-dir\n")


def test_export_into_a_folder_asks_for_the_bundle_s_name(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert _cli("index", "migrate", "--archive-dir", str(archive)).returncode == 0  # an empty archive
    r = _cli("export", "-o", str(tmp_path), "--archive-dir", str(archive))
    assert r.returncode == 2
    assert r.stderr.decode() == f"archiver: {tmp_path} is a folder: name the bundle to write in it, e.g. {tmp_path / 'archive.wacz'}\n"


def test_a_pending_post_checked_at_last_has_not_changed_since_a_check_it_never_had() -> None:
    # Known by a short link never followed (`pending`: no check, no history), its re-check finds a
    # status: it is re-checked, not changed, and says it had none before.
    from archiver.pipeline.postcapture import PostOutcome
    from archiver.pipeline.summary import ArchiveSummary

    summary = ArchiveSummary(posts=[PostOutcome("twitter:h:abc", "twitter", None, "unknown")])
    summary.rechecks({"twitter:h:abc": None})
    assert (summary.rechecked, summary.changed) == (1, 0)
    (row,) = summary.to_dict()["results"]
    assert (row["previous_status"], row["changed"]) == (None, False)
