"""What `scan` and `lookup` load: neither needs an HTTP client, a browser driver or a WARC library.

Start-up is most of a short command's time, and those libraries take longer to import than the
scan of a page. Each command runs in a fresh interpreter, which then lists the modules it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archiver.index import open_index

HEAVY = ("httpx", "playwright", "warcio", "sqlite_utils", "psycopg")

PROBE = """
import json, sys
from typer.testing import CliRunner
from archiver.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
print(json.dumps({"code": result.exit_code, "modules": sorted(sys.modules)}))
"""


def loaded(*args: str, whole: bool = False) -> tuple[int, set[str]]:
    """The exit code of `archiver ARGS` and the packages it loaded (`whole`: every module's name)."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120,
                          check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], set(out["modules"]) if whole else {m.split(".")[0] for m in out["modules"]}


def test_scan_of_a_page_with_embeds_loads_no_network_or_browser_library(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text('<blockquote class="twitter-tweet"><a href="https://twitter.com/jack/status/20">x</a>'
                    '</blockquote><blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc/'
                    'app.bsky.feed.post/3k2yihcrp6f2c"></blockquote>')
    code, modules = loaded("scan", str(page), "--format", "jsonl")
    assert code == 0
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_scan_loads_no_platforms_post_check_nor_the_capture_code_they_use(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text('<blockquote class="twitter-tweet"><a href="https://twitter.com/jack/status/20">x</a></blockquote>'
                    '<a href="https://truthsocial.com/@a/110000000000000001">t</a>'
                    '<a href="https://www.threads.net/@a/post/C0dEfGhIjKl">th</a>')
    code, modules = loaded("scan", str(page), "--format", "jsonl", whole=True)
    assert code == 0
    asking = {m for m in modules if m.rpartition(".")[2] in ("check", "postcheck")
              or m in ("archiver.capture.embedpage", "archiver.capture.wayback", "archiver.platforms.twitter.syndication")}
    assert not asking, sorted(asking)


def test_a_platforms_post_check_is_there_when_asked_for() -> None:
    from archiver.capture.oembed import OEMBED_CHECK, check_for
    from archiver.platforms import REGISTRY

    for platform in REGISTRY:
        own = platform.post_check()
        assert own is not None and own is not OEMBED_CHECK, platform.name
        assert check_for(platform.name)[0] is own


def test_the_command_line_holds_only_the_command_named() -> None:
    from typer.main import get_command

    from archiver.cli import _for_command_line

    def names(args: list[str]) -> list[str]:
        return sorted(get_command(_for_command_line(args)).commands)  # type: ignore[attr-defined]

    every = names([])
    assert {"scan", "archive", "lookup", "index", "runs", "datasette-metadata"} <= set(every)
    assert names(["-q", "-vv", "scan", "a.html", "--format", "jsonl"]) == ["scan"]
    assert names(["datasette-metadata", "--help"]) == ["datasette-metadata"]
    assert names(["index", "migrate"]) == ["index"]
    assert names(["--help"]) == names(["scna", "x"]) == names(["--version"]) == every  # help, "No such command"


def test_lookup_loads_no_network_browser_or_warc_library(tmp_path: Path) -> None:
    with open_index(tmp_path / "archive"):
        pass  # an empty archive, its schema current
    code, modules = loaded("lookup", "--archive-dir", str(tmp_path / "archive"), "--handle", "nobody")
    assert code == 0
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
