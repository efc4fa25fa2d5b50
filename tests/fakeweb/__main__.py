"""Run the fake web in the foreground: `python -m tests.fakeweb --dir DIR [--port N]`.

Prints one JSON line {"port", "ca", "map_host", "spki"} on stdout, then serves until killed.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from types import FrameType

from .server import FakeWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeweb", description=__doc__)
    parser.add_argument("--dir", required=True, help="where to write ca.pem and the server's certificate")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request on stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.verbose:  # our request lines only, not hpack's frame-by-frame debug output
        logging.getLogger("tests.fakeweb").setLevel(logging.DEBUG)

    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with FakeWeb(args.dir, port=args.port) as web:
        line = {"port": web.port, "ca": str(web.ca_pem.resolve()), "map_host": web.map_host, "spki": web.ca_spki_sha256_b64}
        print(json.dumps(line), flush=True)
        stopped.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
