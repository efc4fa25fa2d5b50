"""A whole-archive WACZ carries the findings (evidence/posts.jsonl) and still passes `wacz validate`,
whatever the posts' IDs look like."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from archiver.models import Post
from archiver.warcstore import WarcStore
from tests.e2e import ROOT
from tests.synthetic import add_captured_tweet

BIN = Path(sys.executable).parent


def _archive(root: Path, tweets: int) -> None:
    """`tweets` tweets with numeric IDs, then one YouTube video whose ID is letters and digits."""
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.layout import WARC_DIR

    root.mkdir(parents=True)
    with SQLiteIndex(root) as index, WarcStore(root / WARC_DIR) as store:
        index.journal.writer = store.write_metadata_batch
        art = index.upsert_article("https://news.example/a.html", source="a.html")
        for n in range(tweets):
            add_captured_tweet(index, store, art, Post(
                platform="twitter", kind="embedded", source="a.html", evidence="blockquote", post_id=f"18{n:017d}",
                handle="Desk", posted_at="2024-03-04T12:00:00Z", text=f"post {n}"), b"<p>x</p>")
        add_captured_tweet(index, store, art, Post(
            platform="youtube", kind="embedded", source="a.html", evidence="iframe[src]", post_id="kX3f9TqLm2A",
            handle="w", text="v"), b"<p>v</p>")


def test_a_bundle_whose_findings_mix_numeric_and_other_post_ids_validates(tmp_path: Path) -> None:
    root, out = tmp_path / "archive", tmp_path / "all.wacz"
    _archive(root, 101)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    exported = subprocess.run([sys.executable, "-m", "archiver.cli", "export", "-d", str(root), "-o", str(out)],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as z:
        findings = [json.loads(line) for line in z.read("evidence/posts.jsonl").splitlines()]
        package = json.loads(z.read("datapackage.json"))
    assert findings[-1]["post_id"] == "kX3f9TqLm2A"
    validated = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(out)], capture_output=True, text=True,
                               timeout=300)
    assert validated.returncode == 0 and "Validation succeeded" in validated.stdout, validated.stdout[-2000:]
    (listed,) = [r for r in package["resources"] if r["path"] == "evidence/posts.jsonl"]
    assert listed["type"] == "file"
    verified = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", str(out)], capture_output=True,
                              text=True, cwd=ROOT, env=env, timeout=300)
    assert verified.returncode == 0, verified.stderr
