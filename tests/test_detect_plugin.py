"""A plugin platform is detected in HTML, links and plain text without any change to the detector.

The toy platform in `tests/toyplatform.py` is loaded the way a newsroom's own platform would be,
through `ARCHIVER_PLATFORM_MODULES`, by a real `archiver scan` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

PAGE = """<!doctype html><html><head><title>Story</title></head><body>
<p>The mayor answered on Pebble:</p>
<blockquote class="pebble-post" data-pebble-id="101">We will rebuild the bridge.
<a href="https://pebble.example/p/101">link</a></blockquote>
<p>Earlier, <a href="https://pebble.example/p/202">her first post</a> said otherwise.</p>
<textarea class="consent-blocked">&lt;blockquote class="pebble-post" data-pebble-id="303"&gt;Held back&lt;/blockquote&gt;</textarea>
<p>Not a post: <a href="https://pebble.example/about">about</a>.</p>
</body></html>
"""

TEXT = """The council's reply is at pebble.example/p/404 and the mayor's at https://pebble.example/p/505.
Nothing at https://pebble.example/users/mayor either.
"""


def _scan(path: Path, plugin: bool) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_PLATFORM_MODULES"}
    if plugin:
        env["ARCHIVER_PLATFORM_MODULES"] = "tests.toyplatform"
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", str(path), "--format", "json"],
                       capture_output=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert b"Traceback" not in r.stderr
    rows: list[dict[str, Any]] = json.loads(r.stdout)
    return rows


def _pebbles(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(r["post_id"], r["kind"], r["evidence"], r["url"]) for r in rows if r["platform"] == "pebble"]


def test_plugin_embeds_and_links_in_html(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(PAGE)
    rows = _scan(page, plugin=True)
    assert _pebbles(rows) == [
        ("101", "embedded", "blockquote.pebble-post", "https://pebble.example/p/101"),
        ("202", "linked", "a[href]", "https://pebble.example/p/202"),
        ("303", "embedded", "textarea>blockquote.pebble-post", "https://pebble.example/p/303"),
    ]
    assert next(r for r in rows if r["post_id"] == "101")["text"].startswith("We will rebuild the bridge.")


def test_plugin_urls_in_plain_text_with_and_without_scheme(tmp_path: Path) -> None:
    text = tmp_path / "wire.txt"
    text.write_text(TEXT)
    assert _pebbles(_scan(text, plugin=True)) == [
        ("404", "linked", "text-url", "https://pebble.example/p/404"),
        ("505", "linked", "text-url", "https://pebble.example/p/505"),
    ]


def test_without_the_plugin_nothing_is_a_pebble_post(tmp_path: Path) -> None:
    page, text = tmp_path / "story.html", tmp_path / "wire.txt"
    page.write_text(PAGE)
    text.write_text(TEXT)
    assert _scan(page, plugin=False) == []
    assert _scan(text, plugin=False) == []
