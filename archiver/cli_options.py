"""The command line's shared option types and choices (Typer annotations), kept apart from the commands."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .limits import DEFAULT_CAPTURE_DEADLINE as DEFAULT_CAPTURE_DEADLINE
from .limits import DEFAULT_FETCH_DEADLINE as DEFAULT_FETCH_DEADLINE
from .limits import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES
from .limits import DEFAULT_MAX_CAPTURE_BYTES as DEFAULT_MAX_CAPTURE_BYTES


class ScanFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class KindChoice(str, Enum):
    embedded = "embedded"
    linked = "linked"
    shortlink = "shortlink"
    all = "all"


ArchiveDirOpt = Annotated[
    Path | None,
    typer.Option("--archive-dir", "-d", metavar="DIR", help="The archive (default: $ARCHIVER_HOME, else ./archives)."),
]

IndexOpt = Annotated[
    str | None,
    typer.Option("--index", envvar="ARCHIVER_INDEX", metavar="URL", show_default=False,
                 help="The index: postgresql://USER@HOST:PORT/DB, shared by runs on several machines "
                      "(default: the archive's own SQLite file, archive.db). Env: ARCHIVER_INDEX."),
]


class OutFormat(str, Enum):
    table = "table"
    json = "json"


class BundleFormat(str, Enum):
    """What `export` writes: chosen by the output's name, or by --format for `-o -` (stdout)."""

    wacz = "wacz"
    warc_gz = "warc.gz"


# Network options shared by every command that fetches (the browser and the HTTP client obey them alike).
MapHostOpt = Annotated[
    list[str] | None,
    typer.Option("--map-host", metavar="HOSTGLOB[:PORT]=ADDR:PORT",
                 help="Connect to ADDR:PORT for matching hosts, keeping the name for TLS and Host (like curl --connect-to). Repeatable. Env: ARCHIVER_MAP_HOST."),
]
CaBundleOpt = Annotated[
    str | None,
    typer.Option("--ca-bundle", metavar="PEM", help="Also trust the CA certificates in this PEM file (verification stays on). Env: ARCHIVER_CA_BUNDLE."),
]
ProxyOpt = Annotated[str | None, typer.Option("--proxy", metavar="URL", help="Send traffic through this proxy. Env: ARCHIVER_PROXY.")]
AllowPrivateOpt = Annotated[bool, typer.Option(
    "--allow-private",
    help="Let pages lead the tool to loopback, private and link-local addresses (an intranet). Off by default: content "
         "that names such an address is refused. Env: ARCHIVER_ALLOW_PRIVATE=1.")]


# Limits that hold however a server behaves (docs/safety.md, "Limits"), taken alike by archive, run and
# worker: each writes `timeout: TimeoutOpt = DEFAULT_TIMEOUT`, and so on, with the defaults above and here.
DEFAULT_TIMEOUT = 30.0
TimeoutOpt = Annotated[float, typer.Option(
    "--timeout", min=1, metavar="SECONDS", help="Seconds allowed for each page load and request.")]
FetchDeadlineOpt = Annotated[float, typer.Option(
    "--fetch-deadline", min=1, envvar="ARCHIVER_FETCH_DEADLINE", metavar="SECONDS",
    help="Give up on one HTTP fetch (hops, body, retries and waits included) after this long.")]
CaptureDeadlineOpt = Annotated[float, typer.Option(
    "--capture-deadline", min=1, envvar="ARCHIVER_CAPTURE_DEADLINE", metavar="SECONDS",
    help="Stop one browser capture (load, settle, screenshots) after this long, keeping what was complete.")]
MaxCaptureBytesOpt = Annotated[int, typer.Option(
    "--max-capture-bytes", min=1, envvar="ARCHIVER_MAX_CAPTURE_BYTES", metavar="BYTES",
    help="Record at most this many bytes of bodies in one browser capture; later bodies are skipped and named.")]
MaxBytesOpt = Annotated[int, typer.Option(
    "--max-bytes", min=1, help="Skip sources, and any body fetched or recorded, larger than this many bytes (cut off while reading).")]


# Selection filters shared by lookup, export and report.
HandleOpt = Annotated[str | None, typer.Option("--handle", help="Author handle, with or without @, any case.")]
DateOpt = Annotated[str | None, typer.Option("--date", help="Posted on this UTC day (YYYY-MM-DD).")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Posted at or after (YYYY-MM-DD or UTC datetime).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Posted at or before (a date includes the whole day).")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help="twitter, youtube, instagram, ...")]
TextOpt = Annotated[str | None, typer.Option("--text", help="Full-text search over post text and author.")]
StatusOpt = Annotated[str | None, typer.Option("--status", help="live, deleted, unavailable, login_required, ...")]
ArticleOpt = Annotated[str | None, typer.Option("--article", help="Only posts cited by this article URL.")]
CapturedSinceOpt = Annotated[str | None, typer.Option("--captured-since", help="Captured at or after this date/datetime.")]


# How many pages one process captures at once in its browser (archive, run).
PagesInFlightOpt = Annotated[int | None, typer.Option(
    "--pages-in-flight", min=1, max=16, metavar="N",
    help="Pages captured at once in the one browser (each in a context of its own, recorded apart); the posts "
         "an article cites start as soon as it is read. Default: 3 in one process; with --concurrency above 1, "
         "each worker captures one page at a time.")]


class ReportFormat(str, Enum):
    """`report --format`: the page for people, or the same report as data."""

    html = "html"
    json = "json"


# The authorities that timestamp each capture's records as it is committed (archive, run).
CaptureTimestampOpt = Annotated[list[str] | None, typer.Option(
    "--timestamp", envvar="ARCHIVER_TSA", metavar="URL", show_default=False,
    help="Timestamp each capture's records with this RFC 3161 authority (repeatable; env ARCHIVER_TSA, URLs "
         "separated by spaces). A capture it does not timestamp is kept, and named in the summary (exit 1).")]
