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


def loaded(*args: str) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120,
                          check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], {m.split(".")[0] for m in out["modules"]}


def test_scan_of_a_page_with_embeds_loads_no_network_or_browser_library(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text('<blockquote class="twitter-tweet"><a href="https://twitter.com/jack/status/20">x</a>'
                    '</blockquote><blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc/'
                    'app.bsky.feed.post/3k2yihcrp6f2c"></blockquote>')
    code, modules = loaded("scan", str(page), "--format", "jsonl")
    assert code == 0
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_lookup_loads_no_network_browser_or_warc_library(tmp_path: Path) -> None:
    with open_index(tmp_path / "archive"):
        pass  # an empty archive, its schema current
    code, modules = loaded("lookup", "--archive-dir", str(tmp_path / "archive"), "--handle", "nobody")
    assert code == 0
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
