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

from tests.fakeweb import FakeWeb, site

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "archives" / "demo"


def _say(text: str) -> None:
    print(f"\n== {text}", file=sys.stderr, flush=True)


def _archiver(web: FakeWeb, *args: str) -> int:
    cmd = [sys.executable, "-m", "archiver.cli", *args]
    if args[0] in ("archive", "run"):
        cmd += ["--map-host", web.map_host, "--ca-bundle", str(web.ca_pem)]
    print("$ archiver " + " ".join(args), file=sys.stderr, flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    seeds = OUT / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("".join(a.url + "\n" for a in site.ARTICLES.values()))
    with tempfile.TemporaryDirectory() as tmp, FakeWeb(Path(tmp)) as web:
        _say("DEMO: invented posts served by the local impersonating test server on 127.0.0.1 "
             f"(port {web.port}); nothing here comes from the real internet")
        codes = [_archiver(web, "run", "--seeds", str(seeds), "--archive-dir", str(OUT / "archive")) > 1]
        _say("lookup by handle")
        codes.append(_archiver(web, "lookup", "--archive-dir", str(OUT / "archive"), "--handle", "@RivertonDesk") != 0)
        _say("lookup by date")
        codes.append(_archiver(web, "lookup", "--archive-dir", str(OUT / "archive"), "--date", "2024-03-05") != 0)
        _say("export and report")
        codes.append(_archiver(web, "export", "--archive-dir", str(OUT / "archive"), "--handle", "RivertonDesk",
                               "-o", str(OUT / "rivertondesk.wacz")) != 0)
        codes.append(_archiver(web, "report", "--archive-dir", str(OUT / "archive"), "-o", str(OUT / "report.html")) != 0)
        codes.append(_archiver(web, "verify", "--archive-dir", str(OUT / "archive")) != 0)
    if any(codes):
        _say("the demo FAILED: a step above exited with an error")
        return 1
    _say(f"done: open {OUT / 'report.html'} in a browser; the archive is in {OUT / 'archive'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
