"""Datasette itself, serving an archive's index with `archiver datasette-metadata`'s metadata, on a free
loopback port; and the screenshots of it in docs/.

    with datasette(archive_dir / "archive.db", metadata_file) as base:
        httpx.get(f"{base}/archive/disappeared.json?_shape=array")

`python -m tests.datasette_harness [ARCHIVE_DIR]` serves the demo archive (`make demo` builds it in
archives/demo/archive) and writes docs/datasette.png, the instance's first page in Chromium at 1280 px,
and docs/datasette-posts.png, the posts table (a few of its columns) with its facets.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

from tests.e2e import ROOT
from tests.services import free_port, stop_process

DATASETTE = Path(sys.executable).parent / "datasette"
SCREENSHOT = ROOT / "docs" / "datasette.png"  # the first page
SCREENSHOT_POSTS = ROOT / "docs" / "datasette-posts.png"  # the posts table and its facets


@contextlib.contextmanager
def datasette(db: Path, metadata: Path, *, start_timeout: float = 60.0) -> Iterator[str]:
    """`datasette serve DB --metadata METADATA` on 127.0.0.1; yields its base URL, stops it after."""
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([str(DATASETTE), "serve", str(db), "--metadata", str(metadata),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc, log, start_timeout)
        yield base
    finally:
        stop_process(proc, timeout=15)
        log.close()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: IO[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise AssertionError(f"datasette exited with {proc.returncode}: {log.read().decode(errors='replace')[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/-/versions.json", timeout=2, trust_env=False).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"datasette did not answer on {base} within {timeout:.0f}s")


def screenshot(url: str, out: Path, *, width: int = 1280, height: int | None = None) -> Path:
    """The page at `url` as Chromium shows it at `width` CSS pixels, as PNG: its full height, or
    the first `height` pixels."""
    from playwright.sync_api import sync_playwright

    from archiver.capture.chromium import find_chromium

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(p))
        try:
            page = browser.new_page(viewport={"width": width, "height": height or 720})
            page.goto(url, wait_until="load")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=height is None)
        finally:
            browser.close()
    return out


def main(argv: list[str]) -> int:
    archive = Path(argv[0]) if argv else ROOT / "archives" / "demo" / "archive"
    if not (archive / "archive.db").exists():
        print(f"no archive at {archive}: run `make demo` first, or name an archive folder", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        meta = Path(tmp) / "metadata.yml"
        made = subprocess.run([sys.executable, "-m", "archiver.cli", "datasette-metadata", "--archive-dir",
                               str(archive), "-o", str(meta)], cwd=ROOT, timeout=120)
        if made.returncode != 0:
            return made.returncode
        with datasette(archive / "archive.db", meta) as base:
            screenshot(f"{base}/", SCREENSHOT)
            columns = "&".join(f"_col={c}" for c in ("title", "platform", "handle", "status", "posted_at", "last_checked"))
            screenshot(f"{base}/archive/posts?{columns}", SCREENSHOT_POSTS, height=900)
    print(f"wrote {SCREENSHOT.relative_to(ROOT)} and {SCREENSHOT_POSTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
