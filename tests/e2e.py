"""Helpers for end-to-end tests: run the real `archiver` CLI against the impersonating server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
