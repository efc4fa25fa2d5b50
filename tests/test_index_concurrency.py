"""Two processes on one index, and a process killed in the middle of a capture's transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from archiver.index.store import Index

ROOT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from archiver.warcstore import RecordInfo
    from archiver.index.store import Index
    from archiver.models import Post

    archive, tag = Path(sys.argv[1]), sys.argv[2]
    with Index(archive) as index:
        article = index.upsert_article("https://news.example/shared")
        for n in range(60):
            with index.transaction():
                # Both processes cite the same posts: they must end up once each.
                key = index.upsert_post(Post(platform="twitter", kind="embedded", source=tag, evidence="e",
                                             post_id=str(1000 + n % 30)))
                index.cite(article, key, "embedded", "e")
                cid = index.add_capture(post_key=key, article_id=None, source="live", url="u", status="live",
                                        screenshot=None, screenshot_sha256=None, error=None, warc="w",
                                        page_record_id=None)
                index.add_records(cid, [RecordInfo(record_id=f"<urn:uuid:{tag}-{n}>", warc_type="response",
                                                   target_uri="u", date="2024-01-01T00:00:00Z", filename="w",
                                                   offset=n, length=1)])
                index.observe(key, "live")
    """
)

KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from archiver.warcstore import RecordInfo
    from archiver.index.store import Index

    with Index(Path(sys.argv[1])) as index:
        key = sys.argv[2]
        with index.transaction():
            cid = index.add_capture(post_key=key, article_id=None, source="live", url="u", status="live",
                                    screenshot=None, screenshot_sha256=None, error=None, warc="w", page_record_id=None)
            index.add_records(cid, [RecordInfo(record_id="<urn:uuid:lost>", warc_type="response", target_uri="u",
                                               date="2024-01-01T00:00:00Z", filename="w", offset=0, length=1)])
            index.observe(key, "live")
            os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _python(script: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", script, *args], env=env, stderr=subprocess.PIPE)


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    with Index(tmp_path):
        pass  # created and migrated once, as the first run would
    procs = [_python(WRITER, str(tmp_path), tag) for tag in ("one", "two")]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    with Index(tmp_path) as index:
        count = {t: index.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("posts", "citations", "captures", "records", "observations", "articles")}
    assert count == {"posts": 30, "citations": 30, "captures": 120, "records": 120, "observations": 120,
                     "articles": 1}


def test_two_processes_creating_a_fresh_archive(tmp_path: Path) -> None:
    procs = [_python(WRITER, str(tmp_path), tag) for tag in ("one", "two")]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    with Index(tmp_path) as index:
        assert index.db.execute("SELECT count(*) FROM posts").fetchone()[0] == 30


def test_killed_mid_transaction_leaves_nothing(tmp_path: Path) -> None:
    with Index(tmp_path) as index:
        from archiver.models import Post

        key = index.upsert_post(Post(platform="twitter", kind="embedded", source="s", evidence="e", post_id="7"))
    proc = _python(KILLED, str(tmp_path), key)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with Index(tmp_path) as index:
        assert index.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [index.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("captures", "records", "observations")] == [0, 0, 0]
        assert index.post_status(key) is None
        assert not index.has_capture(key)
        # And the index is writable again straight away: the killed writer's lock died with it.
        index.observe(key, "live")
