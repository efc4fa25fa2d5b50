"""Where things live inside an archive directory."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

DB_NAME = "archive.db"
WARC_DIR = "warcs"
SHOT_DIR = "screenshots"
MEDIA_DIR = "media"


def default_archive_dir() -> Path:
    """`$ARCHIVER_HOME`, else ./archives."""
    return Path(os.environ.get("ARCHIVER_HOME") or "archives")


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", part)[:80] or "_"


def post_dir(archive_dir: Path, key: str) -> Path:
    """screenshots/<platform>/<id or hash>/ for one post."""
    platform, _, rest = key.partition(":")
    return archive_dir / SHOT_DIR / _safe(platform) / _safe(rest.replace("h:", "h-"))


def article_dir(archive_dir: Path, url: str) -> Path:
    digest = hashlib.sha1(url.encode()).hexdigest()[:16]
    return archive_dir / SHOT_DIR / "articles" / digest


def relative(archive_dir: Path, path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return str(path.resolve().relative_to(archive_dir.resolve()))
    except ValueError:
        return str(path)
