"""A plugin platform is detected in HTML, links and plain text without any change to the detector.

The toy platform in `tests/toyplatform.py` is loaded the way a newsroom's own platform would be,
through `ARCHIVER_PLATFORM_MODULES` or an installed distribution's entry point, by a real
`archiver scan` process.
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


def _scan(path: Path, plugin: bool, *, installed: Path | None = None) -> list[dict[str, Any]]:
    """`archiver scan` of `path`; `plugin`: the toy platform named in ARCHIVER_PLATFORM_MODULES;
    `installed`: a folder put on PYTHONPATH (a distribution that declares the plugin, say)."""
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_PLATFORM_MODULES"}
    if plugin:
        env["ARCHIVER_PLATFORM_MODULES"] = "tests.toyplatform"
    if installed is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(installed), env.get("PYTHONPATH"))))
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


def test_plugin_declared_by_an_installed_distribution_is_found(tmp_path: Path) -> None:
    # A distribution's entry point in the "archiver.platforms" group, as pip installs one: its
    # dist-info folder on the path is all that makes the toy platform a plugin here.
    site = tmp_path / "site"
    info = site / "pebble_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pebble-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[archiver.platforms]\npebble = tests.toyplatform\n")
    page = tmp_path / "story.html"
    page.write_text(PAGE)
    assert [post_id for post_id, *_ in _pebbles(_scan(page, plugin=False, installed=site))] == ["101", "202", "303"]
    (info / "entry_points.txt").write_text("[console_scripts]\npebble = tests.toyplatform:main\n")
    assert _pebbles(_scan(page, plugin=False, installed=site)) == []
