"""Where things live inside an archive directory."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from pathlib import Path

DB_NAME = "archive.db"
# In an archive folder whose index is in PostgreSQL: that index's URL, without its password, so that
# a command given the folder without --index is told where its index is rather than making another.
INDEX_NOTE = "index-url.txt"
WARC_DIR = "warcs"
SHOT_DIR = "screenshots"
MEDIA_DIR = "media"


# What an archive folder holds of its own: its folders, and its index's and lock's files.
_OWN_FOLDERS = (WARC_DIR, SHOT_DIR, MEDIA_DIR, "keys")
_OWN_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", INDEX_NOTE)


def archive_own(archive_dir: Path, path: Path) -> str | None:
    """What `path` is of the archive in `archive_dir` (`its WARC folder`, `its index`...) when it is
    one of the files or folders the archive keeps, which an output written there would destroy;
    None for any other path (a file beside them in the archive folder is the user's)."""
    try:
        root = Path(archive_dir).resolve()
        target = Path(path).resolve()
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(root) or target == root:
        return "the archive folder itself" if target == root else None
    first = target.relative_to(root).parts[0]
    if first in _OWN_FOLDERS:
        return f"inside the archive's {first}/ folder"
    from archiver.lock import LOCK_NAME

    if first in (*_OWN_FILES, LOCK_NAME) and len(target.relative_to(root).parts) == 1:
        return "the archive's index" if first.startswith(DB_NAME) else f"the archive's {first}"
    return None


def default_archive_dir() -> Path:
    """`$ARCHIVER_HOME`, else ./archives."""
    return Path(os.environ.get("ARCHIVER_HOME") or "archives")


# What a key's part may hold and still name its folder as it is, apart from ":" and "/" (which
# become "_": a Mastodon key's server and ID, a Bluesky key's DID).
_PLAIN_PART = re.compile(r"[A-Za-z0-9_.:/-]{1,80}")


def _safe(part: str) -> str:
    """A folder name for one part of a post's key: the part itself, its ":" and "/" as "_"; a part
    with anything else in it (look-alike digits, spaces), over 80 characters, or nothing but dots
    ("..": the folder above) gets a digest of the whole part after what is kept of it, so two keys
    never share a folder and none leaves its platform's."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", part)
    if _PLAIN_PART.fullmatch(part) and cleaned.strip("."):
        return cleaned
    kept = cleaned.strip(".")[:60] or "_"
    return f"{kept}-{hashlib.sha256(part.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def post_dir(archive_dir: Path, key: str) -> Path:
    """screenshots/<platform>/<id or hash>/ for one post."""
    platform, _, rest = key.partition(":")
    return archive_dir / SHOT_DIR / _safe(platform) / _safe(rest.replace("h:", "h-"))


def article_dir(archive_dir: Path, url: str) -> Path:
    digest = hashlib.sha1(url.encode()).hexdigest()[:16]
    return archive_dir / SHOT_DIR / "articles" / digest


# Screenshot names handed out by this process in the current millisecond: a capture's file is
# written only once its page is rendered, and captures in flight at once must not pick the same name
# meanwhile. A name stamped earlier cannot be handed out again (stamps move on), so only the current
# millisecond's are kept: a worker that runs for months holds a handful, not one per capture.
_SHOTS_NAMED: set[Path] = set()
_SHOTS_LOCK = threading.Lock()


def screenshot_path(folder: Path, label: str = "", *, moment: str | None = None) -> Path:
    """The file a capture's screenshot goes to in `folder`: `<stamp>[-<label>].png` (`times.stamp`,
    to the millisecond, or `moment`: the one stamp of all the pages one capture renders; its element
    shots are `<stamp>[-<label>]-element-NN.png`), never a name a file in `folder` or another capture
    of this process has: `-2`, `-3`... follow the stamp then. Two captures of one page in one instant
    keep both pictures."""
    from glob import escape

    from .times import stamp

    moment, suffix = moment or stamp(), f"-{label}" if label else ""
    with _SHOTS_LOCK:
        _SHOTS_NAMED.difference_update([p for p in _SHOTS_NAMED if not p.name.startswith(moment)])
        for n in itertools.count(1):
            path = folder / f"{moment}{'' if n == 1 else f'-{n}'}{suffix}.png"
            taken = path in _SHOTS_NAMED or path.exists() or any(folder.glob(f"{escape(path.stem)}-element-*"))
            if not taken:
                break
        _SHOTS_NAMED.add(path)
    return path


def relative(archive_dir: Path, path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return str(path.resolve().relative_to(archive_dir.resolve()))
    except ValueError:
        return str(path)
