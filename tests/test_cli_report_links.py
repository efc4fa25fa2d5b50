"""Where `archiver report` points its picture links when the page goes into a pipe, a FIFO or a
device: as for `-o -`, by absolute `file:` address (the page's own place is not known), since the
name given resolves to no folder the page will be in. A regular file named through /dev/stdout
keeps links relative to where that file is. The real command line, in a process of its own."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver.index.rows import Capture
from archiver.index.sqlite.index import SQLiteIndex
from archiver.layout import WARC_DIR
from archiver.models import Post
from archiver.warcstore import Exchange, WarcStore
from tests.export_fixtures import png_bytes

ROOT = Path(__file__).resolve().parents[1]
SHOT = "screenshots/twitter/1764640000000000201/20240304T100000.000Z-embed-element-00.png"


def _archive(root: Path) -> Path:
    """One post with a capture and its screenshot, written by the capture's WARC writer and indexed."""
    shot = png_bytes(6, 4)
    (root / SHOT).parent.mkdir(parents=True)
    (root / SHOT).write_bytes(shot)
    with SQLiteIndex(root) as index, WarcStore(root / WARC_DIR, prefix="test") as store:
        key = index.upsert_post(Post(platform="twitter", kind="embedded", source="a.html", evidence="test",
                                     post_id="1764640000000000201", url="https://x.com/alice/status/1764640000000000201",
                                     handle="alice", author="Alice", text="The levee is holding",
                                     posted_at="2024-03-04T10:00:00Z"))
        index.observe(key, "live")
        embed = "https://platform.twitter.com/embed/Tweet.html?id=1764640000000000201"
        records = list(store.write_exchange(Exchange(
            url=embed, method="GET", status=200, body=b"<article>The levee is holding</article>",
            date=datetime.now(UTC), protocol="h2", request_headers=[("Accept", "*/*")],
            response_headers=[("Content-Type", "text/html; charset=utf-8")])))
        cid = index.add_capture(Capture(post_key=key, article_id=None, source="live", url=embed, status="live",
                                        screenshot=SHOT, screenshot_sha256=hashlib.sha256(shot).hexdigest(),
                                        error=None, warc=records[0].filename, page_record_id=None))
        index.add_records(cid, records, post_key=key)
    return root


def _report(archive: Path, out: str, cwd: Path, stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", "report", "--archive-dir", str(archive), "-o", out],
                          stdout=stdout, stderr=subprocess.PIPE, cwd=cwd, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _links(page: bytes) -> set[str]:
    return set(re.findall(r'href="([^"]*\.png)"', page.decode()))


def test_a_page_written_into_dev_stdout_and_a_pipe_links_its_pictures_by_absolute_address(tmp_path: Path) -> None:
    # `report -o /dev/stdout | cat > r.html` linked pictures relative to /proc/PID/fd, where the
    # name resolved: "../../../<archive>/screenshots/...", dead wherever the page was saved.
    archive = _archive(tmp_path / "archive")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    absolute = {(archive / SHOT).as_uri()}
    r = _report(archive, "/dev/stdout", elsewhere)  # stdout is a pipe here
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith(b"</html>")
    assert _links(r.stdout) == absolute, _links(r.stdout)

    fifo = elsewhere / "page.fifo"  # a named pipe: read by whoever, saved wherever
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    try:
        r = _report(archive, str(fifo), elsewhere)
    finally:
        if reader.is_alive():
            with open(fifo, "wb"):
                pass
        reader.join(30)
    assert r.returncode == 0, r.stderr
    assert _links(got[0]) == absolute, _links(got[0])


def test_a_regular_file_behind_dev_stdout_keeps_links_relative_to_the_file(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    page = tmp_path / "cases" / "page.html"
    page.parent.mkdir()
    with page.open("wb") as fh:
        r = _report(archive, "/dev/stdout", tmp_path, stdout=fh)
    assert r.returncode == 0, r.stderr
    assert _links(page.read_bytes()) == {f"../archive/{SHOT}"}
