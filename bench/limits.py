"""How closely the recording HTTP client keeps its fetch deadline and its body cap against faults.

Usage: .venv/bin/python bench/limits.py [--deadline SECONDS]

Runs against the local fault server (tests/fakeweb/faults.py). For each fault that only a deadline
ends (a server that never answers, one that drips a byte a second, one that stalls after its first
bytes), prints how long the fetch took and the ratio to the deadline; the stall is measured with
and without the watchdog that shuts a blocked read's socket. Then the peak resident memory of this
process (ru_maxrss) after a 200 MB body without Content-Length was cut off at the default
--max-bytes.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archiver.capture.http as http_mod  # noqa: E402
from archiver.capture.http import RecordingClient  # noqa: E402
from archiver.errors import ArchiverError  # noqa: E402
from archiver.limits import DEFAULT_MAX_BYTES  # noqa: E402
from archiver.net import NetOptions  # noqa: E402
from tests.fakeweb import FakeWeb  # noqa: E402


class _NoWatchdog:
    def __init__(self, *_args: object) -> None:
        pass

    def cancel(self) -> None:
        pass


def _timed(client: RecordingClient, url: str) -> tuple[float, str]:
    start = time.monotonic()
    try:
        client.get(url)
        outcome = "answered"
    except ArchiverError as e:
        outcome = str(e)
    return time.monotonic() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=4.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeWeb(Path(tmp) / "web") as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None)
        with RecordingClient(net, timeout=30, deadline=args.deadline, max_body=DEFAULT_MAX_BYTES) as client:
            for name in ("hang", "drip", "stall?for=2"):
                took, outcome = _timed(client, web.url("faults.example", name))
                print(f"{name:14} {took:6.2f} s  {took / args.deadline:5.2f} x deadline  {outcome[:70]}")
            watchdog = http_mod._Watchdog
            http_mod._Watchdog = _NoWatchdog  # type: ignore[misc, assignment]
            try:
                took, _ = _timed(client, web.url("faults.example", "stall?for=2&watchdog=off"))
            finally:
                http_mod._Watchdog = watchdog  # type: ignore[misc]
            print(f"{'stall, no dog':14} {took:6.2f} s  {took / args.deadline:5.2f} x deadline")
            took, outcome = _timed(client, web.url("faults.example", "big"))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'big (200 MB)':14} {took:6.2f} s  peak RSS {peak_mb:.0f} MB  {outcome[:60]}")


if __name__ == "__main__":
    main()
