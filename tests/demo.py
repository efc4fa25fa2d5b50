"""`make demo`: the whole pipeline, offline, against the local server that impersonates the real hosts.

Everything it captures is INVENTED test data served by tests/fakeweb on 127.0.0.1 — not the real
Twitter/X. It leaves a real archive in archives/demo, lookup output and a report to look at.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from archiver.evidence.keys import KEY_DIR
from archiver.modes import make_dirs
from tests.fakeweb import FakeWeb, site

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "archives" / "demo"
# What the commands are given and print: paths relative to the repository, where they run.
REL = OUT.relative_to(ROOT)


def _say(text: str) -> None:
    print(f"\n== {text}", file=sys.stderr, flush=True)


def _archiver(web: FakeWeb, *args: str) -> int:
    cmd = [sys.executable, "-m", "archiver.cli", *args]
    if args[0] in ("archive", "run"):
        cmd += ["--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
    print("$ archiver " + " ".join(args), file=sys.stderr, flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


def write_seeds(seeds: Path) -> Path:
    """The demo's seeds folder: every article of the invented news site, one URL a line."""
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / "news.urls").write_text("".join(a.url + "\n" for a in site.ARTICLES.values()))
    return seeds


def main() -> int:
    # Each demo starts from an empty archive, but a signing key made for it (`archiver keys create
    # --archive-dir archives/demo/archive`) is kept: its fingerprint may have been published.
    keys = OUT / "archive" / KEY_DIR
    with tempfile.TemporaryDirectory(dir=OUT.parent if OUT.parent.exists() else None) as kept:
        if keys.is_dir():
            shutil.move(keys, Path(kept) / KEY_DIR)
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        if (Path(kept) / KEY_DIR).is_dir():
            make_dirs(OUT / "archive")  # the folder an archive run would make, with its mode
            shutil.move(Path(kept) / KEY_DIR, keys)
            _say(f"kept the signing key in {keys.relative_to(ROOT)}; everything else in {REL} is made again")
    write_seeds(OUT / "seeds")
    with tempfile.TemporaryDirectory() as tmp, FakeWeb(Path(tmp)) as web:
        _say("DEMO: invented posts served by the local impersonating test server on 127.0.0.1 "
             f"(port {web.port}); nothing here comes from the real internet")
        archive = str(REL / "archive")
        codes = [_archiver(web, "run", "--seeds", str(REL / "seeds"), "--archive-dir", archive) > 1]
        _say("lookup by handle")
        codes.append(_archiver(web, "lookup", "--archive-dir", archive, "--handle", "@RivertonDesk") != 0)
        _say("lookup by date")
        codes.append(_archiver(web, "lookup", "--archive-dir", archive, "--date", "2024-03-05") != 0)
        _say("export and report")
        codes.append(_archiver(web, "export", "--archive-dir", archive, "--handle", "RivertonDesk",
                               "-o", str(REL / "rivertondesk.wacz")) != 0)
        codes.append(_archiver(web, "report", "--archive-dir", archive, "-o", str(REL / "report.html")) != 0)
        codes.append(_archiver(web, "verify", "--archive-dir", archive) != 0)
    if any(codes):
        _say("the demo FAILED: a step above exited with an error")
        return 1
    _say(f"done: open {REL / 'report.html'} in a browser; the archive is in {REL / 'archive'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
