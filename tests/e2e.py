"""Helpers for end-to-end tests: run the real `archiver` CLI against the impersonating server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def cli(web: Any, *args: str, archive: Path | None = None, timeout: float = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`archiver ARGS` in a subprocess, its network sealed onto the fake web by --map-host/--ca-bundle."""
    net = ["--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
    full = [sys.executable, "-m", "archiver.cli", *args]
    if args and args[0] in ("archive", "run"):
        full += net
    if archive is not None:
        full += ["--archive-dir", str(archive)]
    e = {**os.environ, **(env or {})}
    return subprocess.run(full, capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=e)


def lookup(web: Any, archive: Path, *args: str) -> list[dict[str, Any]]:
    r = cli(web, "lookup", "--format", "json", *args, archive=archive)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def warc_files(archive: Path) -> list[Path]:
    return sorted((archive / "warcs").glob("*.warc.gz"))


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", "-v", str(path)],
                          capture_output=True, text=True, timeout=120)


def gzip_members(data: bytes) -> list[bytes]:
    """The records of a per-record gzipped WARC, each decompressed."""
    import zlib

    out, pos = [], 0
    while pos < len(data):
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(member.decompress(data[pos:]))
        pos = len(data) - len(member.unused_data)
    return out


def video_deleted_between_runs(web: Any, tmp: Path, articles: Sequence[str] = ()) -> tuple[Path, list[str]]:
    """Two scheduled runs over `articles` (the flood article by default) into `tmp`/archive, the
    second finding the video tweet deleted (put back afterwards): the archive, and the WARC files of
    the first run."""
    from tests.fakeweb import site

    archive = tmp / "archive"
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("\n".join(articles or [site.ARTICLE_FLOOD.url]) + "\n")
    first = cli(web, "run", "--seeds", str(seeds), archive=archive)
    assert first.returncode == 0, first.stderr
    first_files = [path.name for path in warc_files(archive)]
    web.set_state(("tweet", site.TWEET_VIDEO.id), "deleted")
    try:
        second = cli(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", archive=archive)
    finally:
        web.set_state(("tweet", site.TWEET_VIDEO.id), None)
    assert second.returncode == 0, second.stderr
    assert len(warc_files(archive)) > len(first_files)
    return archive, first_files


def stderr_on_a_terminal(args: list[str], stdin: bytes | None = None) -> str:
    """What `archiver ARGS` wrote to stderr, a pseudo-terminal of the caller's own, as the terminal
    received it; `stdin` fed to it (None: no standard input)."""
    import pty
    import select

    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "archiver.cli", *args], cwd=ROOT,
                         stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=slave, env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(slave)
    if stdin is not None:
        assert p.stdin is not None
        p.stdin.write(stdin)
        p.stdin.close()
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=120)
    os.close(master)
    return out.decode("utf-8", "replace")

