"""Behaviour parity: the demo's run, re-check and lookups, reduced to what must not change by accident.

`python -m tests.parity --record` writes `tests/fixtures/parity.json` from the current code; the test
`test_parity.py` makes the same run and compares. Timestamps, row ids and WARC file names differ from run
to run and are left out; everything else (statuses, reasons, sources, capture counts, citations, post
fields, history length) must match. Re-record only when behaviour changes on purpose, and say so in the
commit.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e import cli
from tests.fakeweb import FakeWeb, site

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "parity.json"

_TIME_KEYS = {"started_at", "finished_at", "captured_at", "checked_at"}
_STAMP = re.compile(r"\d{8}T\d{6}(?:\.\d{3})?Z(?:-\d+)?")


def _strip(value: Any) -> Any:
    """Drop what differs between two identical runs: clock readings, WARC names, screenshot stamps."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _TIME_KEYS and k != "warc" and k != "id"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, str):
        return _STAMP.sub("<stamp>", value)
    return value


def _json(web: FakeWeb, *args: str, archive: Path) -> Any:
    r = cli(web, *args, "--format", "json", archive=archive)
    if r.returncode != 0:
        raise RuntimeError(f"archiver {' '.join(args)} exited {r.returncode}: {r.stderr[-2000:]}")
    return json.loads(r.stdout)


def observe(tmp: Path) -> dict[str, Any]:
    """The demo's seeds run twice (the second re-checks every post), then the demo's lookups."""
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("".join(a.url + "\n" for a in site.ARTICLES.values()))
    archive = tmp / "archive"
    with FakeWeb(tmp / "web") as web:
        first = _json(web, "run", "--seeds", str(seeds), archive=archive)
        second = _json(web, "run", "--seeds", str(seeds), "--recheck-after", "0s", archive=archive)
        everything = _json(web, "lookup", archive=archive)
        by_handle = _json(web, "lookup", "--handle", "@RivertonDesk", archive=archive)
        by_date = _json(web, "lookup", "--date", "2024-03-05", archive=archive)
    return _strip({"run": first, "rerun": second, "lookup": everything,
                   "lookup_handle": [p["key"] for p in by_handle], "lookup_date": [p["key"] for p in by_date]})


def main() -> int:
    if sys.argv[1:] != ["--record"]:
        print("usage: python -m tests.parity --record", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        seen = observe(Path(tmp))
    FIXTURE.write_text(json.dumps(seen, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"recorded {FIXTURE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
