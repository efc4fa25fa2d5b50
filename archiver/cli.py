"""The command line: parse, call one core function, print, map errors to exit codes.

Exit codes, the same for every command:
  0  everything done
  1  partly failed: each failure is named on stderr, the rest was still done
  2  usage error, or nothing could be read at all
  3  another run holds the archive's lock
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from . import __version__
from .errors import ArchiverError

app = typer.Typer(
    name="archiver",
    help="Find the social posts articles embed, capture them with Chromium into WARC, index and export them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

T = TypeVar("T")
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


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


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"archiver: {message}", err=True)
    raise typer.Exit(code)


def _call(fn: Callable[[], T]) -> T:
    """Run one core call; an ArchiverError becomes its one-line message and exit code."""
    try:
        return fn()
    except ArchiverError as e:
        _fail(str(e), e.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"archiver {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log detail on stderr (-vv for debug).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr; no progress bars.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Find, capture, index and export the social posts that articles embed."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="archiver: %(message)s", stream=sys.stderr, force=True)
    os.environ.setdefault("ARCHIVER_QUIET", "1" if quiet else "")


# Network options shared by every command that fetches (issue 3, point 7).
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


def _net(map_host: list[str] | None, ca_bundle: str | None, proxy: str | None):  # type: ignore[no-untyped-def]
    from .net import NetOptions

    return _call(lambda: NetOptions.from_options(map_host, ca_bundle, proxy))


@app.command()
def scan(
    sources: Annotated[list[str], typer.Argument(help="HTML or text files, directories, '-' for stdin, or http(s) URLs.", show_default=False)],
    format: Annotated[ScanFormat, typer.Option("--format", "-f", help="Output format.")] = ScanFormat.table,
    kind: Annotated[KindChoice, typer.Option("--kind", help="Which posts to report.")] = KindChoice.all,
    max_bytes: Annotated[int, typer.Option("--max-bytes", min=1, help="Skip sources larger than this many bytes.")] = 50 * 1024 * 1024,
    map_host: MapHostOpt = None,
    ca_bundle: CaBundleOpt = None,
    proxy: ProxyOpt = None,
) -> None:
    """Find every social post that articles embed or cite.

    Example:

        archiver scan article.html --format jsonl

        curl -s https://example.com/story | archiver scan - --kind embedded
    """
    from .models import POST_FIELDS
    from .output import render
    from .scan import scan as run_scan

    net = _net(map_host, ca_bundle, proxy) if any(s.startswith(("http://", "https://")) for s in sources) else None
    result = _call(lambda: run_scan(sources, kind=kind.value, max_bytes=max_bytes, net=net))
    rows = [p.to_dict() for p in result.posts]
    _write(render(rows, format.value, fields=POST_FIELDS,
                  table_columns=("platform", "post_id", "handle", "posted_at", "kind", "evidence", "source", "text")))
    if result.sources_read == 0:
        _fail("nothing could be read" + (f" ({len(result.failures)} source(s) failed)" if result.failures else ""), EXIT_USAGE)
    if result.failures:
        typer.echo(f"archiver: {len(result.failures)} of {len(result.failures) + result.sources_read} sources failed", err=True)
        raise typer.Exit(EXIT_PARTIAL)
    typer.echo(f"archiver: {len(rows)} post(s) in {result.sources_read} source(s)", err=True)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
