"""Shared steps of the per-platform end-to-end tests: one `archiver archive` of one article on the
fake web (with the platform's hosts added), then what the archive and the WARC files hold."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from tests.e2e import cli, warc_files
from tests.fakeweb.app import Handler
from tests.fakeweb.images import png_size
from tests.fakeweb.server import FakeWeb


@dataclass
class Run:
    web: FakeWeb
    archive: Path
    returncode: int
    stderr: str

    def json(self, *args: str) -> Any:
        r = cli(self.web, *args, "--format", "json", archive=self.archive)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        return json.loads(r.stdout)

    def lookup(self, platform: str) -> dict[str, dict[str, Any]]:
        return {row["key"]: row for row in self.json("lookup", "--platform", platform)}


def archive_article(web: FakeWeb, tmp: Path, path: str, html: str) -> Run:
    """Serve `html` at https://news.example{path} and archive it into tmp/archive."""
    web.set_state(("article", path), html)
    archive = tmp / "archive"
    r = cli(web, "archive", f"https://news.example{path}", archive=archive)
    return Run(web, archive, r.returncode, r.stderr)


def start_web(tmp: Path, *handlers: dict[str, Handler]) -> FakeWeb:
    merged: dict[str, Handler] = {}
    for h in handlers:
        merged.update(h)
    return FakeWeb(tmp / "web", handlers=merged).start()


def warc_exchanges(archive: Path, *, revisits: bool = False) -> dict[str, list[tuple[str, int | None]]]:
    """Target URI -> [(record type, HTTP status of a response, or with `revisits` of a revisit
    too)] over every WARC file."""
    with_status = ("response", "revisit") if revisits else ("response",)
    out: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
    for path in warc_files(archive):
        with path.open("rb") as f:
            for rec in ArchiveIterator(f):
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                status = None
                if rec.rec_type in with_status and rec.http_headers is not None:
                    status = int(rec.http_headers.get_statuscode())
                out[uri].append((rec.rec_type, status))
    return dict(out)


def warc_payload(archive: Path, uri: str) -> bytes | None:
    """The body of the first 200 response recorded for `uri`."""
    for path in warc_files(archive):
        with path.open("rb") as f:
            for rec in ArchiveIterator(f):
                if (rec.rec_type == "response" and rec.rec_headers.get_header("WARC-Target-URI") == uri
                        and rec.http_headers is not None and rec.http_headers.get_statuscode() == "200"):
                    return bytes(rec.content_stream().read())
    return None


def unrecorded(web: FakeWeb, archive: Path) -> list[str]:
    """Every request the fake web answered that has no request record in the WARC files."""
    return unrecorded_requests(web.log, warc_exchanges(archive))


def unrecorded_requests(web_log: list[dict[str, Any]], records: dict[str, list[tuple[str, int | None]]]) -> list[str]:
    """The URLs of a fake web's log that no request record holds (Chromium's own favicon requests aside)."""
    recorded = {uri for uri, recs in records.items() if any(t == "request" for t, _ in recs)}
    seen = [f"{'https' if e['tls'] else 'http'}://{e['host']}{e['path']}" for e in web_log if e["path"] != "/favicon.ico"]
    return sorted({u for u in seen if u not in recorded})


def media_sizes(run: Run, key: str) -> list[tuple[str, tuple[int, int]]]:
    """(URL, pixel size) of every media file saved for a post under media/."""
    shown = run.json("show", key)
    return [(m["url"], png_size((run.archive / m["path"]).read_bytes())) for m in shown["media_files"]]
