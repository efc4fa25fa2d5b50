"""One `archiver archive` of an article against the fake web, and what the archive then says.

Shared by the end-to-end tests of the video and embed-page platforms, and of all twelve platforms in
one run: statuses and reasons from the run's JSON, the posts' fields from `lookup`, saved media (with
their pixel sizes) from `show`, and the WARC's records, each read once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e import cli
from tests.fakeweb import archived, bluesky, embedpages, mastodon, reddit, video
from tests.fakeweb.app import Handler
from tests.fakeweb.images import png_size
from tests.fakeweb.server import FakeWeb
from tests.platform_e2e import unrecorded_requests, warc_exchanges


@dataclass
class PlatformRun:
    web: FakeWeb
    archive: Path
    exit_code: int
    stderr: str
    results: list[dict[str, Any]]
    web_log: list[dict[str, Any]]
    failures: list[str] = field(default_factory=list)  # the summary's
    _shown: dict[str, Any] = field(default_factory=dict)
    _records: dict[str, list[tuple[str, int | None]]] | None = None

    def statuses(self) -> dict[str, tuple[str, str | None]]:
        """key -> (status, reason) as the run reported them."""
        return {r["key"]: (r["status"], r["reason"]) for r in self.results}

    def lookup(self, platform: str) -> dict[str, tuple[Any, ...]]:
        """key -> (handle, author, posted_at, text) from `lookup --platform P --format json`."""
        return {key: (p["handle"], p["author"], p["posted_at"], p["text"]) for key, p in self.rows(platform).items()}

    def rows(self, platform: str) -> dict[str, dict[str, Any]]:
        """key -> the whole row `lookup --platform P --format json` prints."""
        r = cli(self.web, "lookup", "--platform", platform, "--format", "json", archive=self.archive)
        assert r.returncode == 0, r.stderr
        return {p["key"]: p for p in json.loads(r.stdout)}

    def show(self, key: str) -> Any:
        if key not in self._shown:
            r = cli(self.web, "show", key, "--format", "json", archive=self.archive)
            assert r.returncode == 0, r.stderr
            self._shown[key] = json.loads(r.stdout)
        return self._shown[key]

    def media(self, key: str) -> list[tuple[str, tuple[int, int] | None]]:
        """(URL, pixel size of the saved file) of each media file kept for a post."""
        return [(m["url"], png_size((self.archive / m["path"]).read_bytes())) for m in self.show(key)["media_files"]]

    def records(self) -> dict[str, list[tuple[str, int | None]]]:
        """WARC-Target-URI -> [(record type, HTTP status of a response or revisit)] over every WARC."""
        if self._records is None:
            self._records = warc_exchanges(self.archive, revisits=True)
        return self._records

    def warc_status(self, url: str) -> int | None:
        """The HTTP status of the first response recorded for `url` (a revisit record stands for a
        response whose payload the WARC already holds); None: none recorded."""
        return next((s for t, s in self.records().get(url, []) if t in ("response", "revisit")), None)


def every_platform() -> dict[str, Handler]:
    """The fakes of the twelve platforms besides Twitter on one web, Wayback copies of each included
    (Bluesky's copies answered first, the video and embed-page platforms' next, then the tweets')."""
    handlers: dict[str, Handler] = {**bluesky.HANDLERS, **mastodon.HANDLERS, **reddit.HANDLERS, **video.HANDLERS,
                                    **embedpages.HANDLERS}
    handlers.update({host: bluesky.wayback_over(h) for host, h in archived.HANDLERS.items()})
    return handlers


def archive_run(web: FakeWeb, archive: Path, story: str, article: str) -> PlatformRun:
    """Serve `article` at https://news.example{story} and archive it once."""
    web.set_state(("article", story), article)
    r = cli(web, "archive", f"https://news.example{story}", "--format", "json", archive=archive)
    summary = json.loads(r.stdout) if r.stdout.strip() else {}
    return PlatformRun(web, archive, r.returncode, r.stderr, summary.get("results", []), list(web.log),
                       summary.get("failures", []))


def requests_missing_from_warc(run: PlatformRun) -> list[str]:
    """URLs the fake web answered that no WARC request record holds (Chromium's favicon aside)."""
    return unrecorded_requests(run.web_log, run.records())
