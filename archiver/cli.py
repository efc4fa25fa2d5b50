"""The command line: parse, call one core function, print, map errors to exit codes.

Exit codes, the same for every command:
  0  everything done
  1  partly failed: each failure is named on stderr, the rest was still done
  2  usage error, or nothing could be read at all
  3  another run holds the archive's lock (or the PostgreSQL index's, with --index)
  130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM (128 + the signal's number); `archive` and `run`
            first finish the capture at hand, write their summary and close their run row
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from . import __version__, cli_evidence, cli_index
from .cli_options import (
    DEFAULT_CAPTURE_DEADLINE,
    DEFAULT_EXPORT_STAMP_DEADLINE,
    DEFAULT_FETCH_DEADLINE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CAPTURE_BYTES,
    DEFAULT_MAX_FEED_ARTICLES,
    DEFAULT_MAX_POSTS,
    DEFAULT_STAMP_DEADLINE,
    DEFAULT_TIMEOUT,
    AllowPrivateOpt,
    ArchiveDirOpt,
    ArticleOpt,
    BundleFormat,
    CaBundleOpt,
    CaptureDeadlineOpt,
    CapturedSinceOpt,
    CaptureTimestampOpt,
    DateOpt,
    FetchDeadlineOpt,
    FolderPath,
    HandleOpt,
    IndexOpt,
    KindChoice,
    MapHostOpt,
    MaxBytesOpt,
    MaxCaptureBytesOpt,
    MaxFeedArticlesOpt,
    MaxPostsOpt,
    OutFormat,
    PagesInFlightOpt,
    PlatformOpt,
    ProxyOpt,
    ReportFormat,
    ScanFormat,
    SinceOpt,
    StatusOpt,
    TextOpt,
    TimeoutOpt,
    TimestampDeadlineOpt,
    UntilOpt,
    take_selection_once,
)
from .cli_style import STATE as _STATE
from .cli_style import ArchiverGroup, say, set_verbosity
from .errors import ArchiverError
from .interrupt import STOP, Interrupted
from .progress import Progress


class _Archiver(ArchiverGroup):
    """The root command: ArchiverGroup's conventions, and the selection options of lookup, export
    and report each taken once (`take_selection_once`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        take_selection_once(self)


app = typer.Typer(
    name="archiver",
    help="Find the social posts articles embed, capture them with Chromium into WARC, index and export them.",
    no_args_is_help=True,
    cls=_Archiver,  # Click-style help, one-line usage errors, -q/-v after the command too
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

T = TypeVar("T")
_SECRETS: list[str] = []  # the --index URL's password: never printed, in messages or log lines
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3
MAX_SHOWN_KEY = 8192  # longer than any address a browser takes (Chromium's limit is 2 MB; servers stop at 8-16 kB)


def _fail(message: str, code: int) -> NoReturn:
    from .output import one_line
    from .redact import redact_text, scrub

    typer.echo(f"archiver: {one_line(redact_text(scrub(message, _SECRETS)))}", err=True)
    raise typer.Exit(code)


def _index_url(value: str | None) -> str | None:
    """The --index URL (None: the archive's own SQLite file); its password kept out of every line printed.

    `value` is what the shared --index option (IndexOpt) let through: its callback refuses a URL that
    is not PostgreSQL's, naming where it came from. Whether it names a host, port and database is
    checked here, before the command does anything with it (open_index checks both again, for callers
    that do not come through the command line).
    """
    if not value:
        return None
    from .index.postgres.url import check
    from .redact import dsn_secrets

    _keep_secret(dsn_secrets(value))
    _call(lambda: check(value))  # a host, port and database it can name, before any command uses it
    return value


def _broker_url(value: str | None) -> str | None:
    """The --broker URL, its password kept out of every line printed (a library's message may
    quote it, one typed with an unescaped `/` above all)."""
    if value:
        from .redact import endpoint_secrets

        # (A word as short as `index` would be blanked out of every message: such a password is
        # kept out of the URLs shown, which `redact_endpoint` and kombu's own `**` mask.)
        _keep_secret([s for s in endpoint_secrets(value) if len(s) >= 6])
    return value


def _keep_secret(secrets: list[str]) -> None:
    """Add `secrets` to what no message or log line prints."""
    from .redact import ScrubFilter

    _SECRETS[:] = sorted({*_SECRETS, *secrets}, key=len, reverse=True)
    for handler in logging.getLogger().handlers:
        if _SECRETS and not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter(_SECRETS))


def _safe_log_lines() -> None:
    """Log messages quote pages: no escape sequence or bidi override from them reaches the terminal."""
    from .output import TerminalSafeFormatter

    for handler in logging.getLogger().handlers:
        handler.setFormatter(TerminalSafeFormatter(handler.formatter))


def _call(fn: Callable[[], T]) -> T:
    """Run one core call; an ArchiverError becomes its one-line message and exit code."""
    try:
        done = fn()
        STOP.check()  # a signal Python dropped where it was raised: the command still stops on it
        return done
    except ArchiverError as e:
        _fail(str(e), e.exit_code)
    except Interrupted as e:
        _fail(str(e), e.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as e:
        from .space import named_error

        _fail_if_interrupted(e)
        named = named_error(e)
        if named is not None:  # a damaged index or a full disk: named, with what to do
            _fail(str(named), named.exit_code)
        logging.getLogger("archiver").debug("internal error", exc_info=True)
        first = str(e).splitlines()[0] if str(e) else ""
        _fail(f"internal error: {type(e).__name__}: {first} (run with -vv for the traceback, and report it)", EXIT_PARTIAL)


def _fail_if_interrupted(error: BaseException) -> None:
    """Exit as a signal does when `error` was raised from one (`interrupt.interruption_in`)."""
    from .interrupt import interruption_in

    signal_error = interruption_in(error)
    if isinstance(signal_error, Interrupted):
        _fail(str(signal_error), signal_error.exit_code)
    if signal_error is not None:
        _fail("interrupted", 130)


_ROW_MAX = 2**63 - 1  # the largest row count or offset an index (SQLite's, PostgreSQL's) takes


def _in_place(path: Path) -> bool:
    from .output import written_in_place

    return written_in_place(path)


def _wrote(path: Path) -> None:
    """Name on stdout the file a command wrote, for scripts; not when that file is a device, a pipe
    or one of the process's descriptors (`-o /dev/stdout`), which may be stdout itself, where the
    name would join the data."""
    if not _in_place(path):
        _write(f"{path}\n")


def _is_terminal(stream: object) -> bool:
    try:
        return bool(getattr(stream, "isatty", lambda: False)())
    except (OSError, ValueError):
        return False


def _write(text: str) -> None:
    """Data to stdout, flushed; stdout closed or unwritable (a full disk) ends the command in one line.
    Written as bytes through stdout's binary layer, every byte accounted for (`output.write_all`)."""
    try:
        out = sys.stdout
        if out is None:  # descriptor 1 was closed when the program started (see launch.py)
            import errno

            raise OSError(errno.EBADF, "it was closed")
        binary = getattr(out, "buffer", None)
        if binary is None:  # a stream with no bytes under it (a test's capture)
            out.write(text)
            out.flush()
            return
        from .output import terminal_safe, write_all

        if _is_terminal(out):
            # Data read off pages reaches a person, not a program: nothing in it may act on the
            # terminal (csv and a report's HTML hold it as it was; table and JSON are clean already).
            text = terminal_safe(text)
        out.flush()
        write_all(binary, text.encode(out.encoding or "utf-8", out.errors or "strict"))
        binary.flush()
    except OSError as e:
        _stdout_failed(e)


def _stdout_failed(e: OSError) -> NoReturn:
    from .cli_export import silence_stdout

    silence_stdout()
    why = "it was closed" if isinstance(e, BrokenPipeError) else (e.strerror or type(e).__name__)
    _fail(f"could not write to stdout ({why}): the output is incomplete", EXIT_USAGE)


def _version(value: bool) -> None:
    if value:
        _write(f"archiver {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log detail on stderr (-vv for debug).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr; no progress bars.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Find, capture, index and export the social posts that articles embed."""
    # Only our own loggers follow -v: libraries such as hpack log every HTTP/2 header (cookies
    # included) at DEBUG, and secrets never reach the logs unless asked for.
    logging.basicConfig(level=logging.WARNING, format="archiver: %(message)s", stream=sys.stderr, force=True)
    _safe_log_lines()
    set_verbosity(verbose, quiet)


def _limits(fetch_deadline: float, capture_deadline: float, max_bytes: int, max_capture_bytes: int,  # type: ignore[no-untyped-def]
            max_posts: int = DEFAULT_MAX_POSTS):
    from .limits import Limits

    return Limits(fetch_deadline=fetch_deadline, capture_deadline=capture_deadline, max_bytes=max_bytes,
                  max_capture_bytes=max_capture_bytes, max_posts=max_posts)


def _net(map_host: list[str] | None, ca_bundle: Path | None, proxy: str | None,  # type: ignore[no-untyped-def]
         allow_private: bool = False, trusted: list[str] | None = None):
    """Network options; `trusted` are the URLs the operator typed, fetched as given whatever their address."""
    from .net import NetOptions

    net = _call(lambda: NetOptions.from_options(map_host, ca_bundle, proxy, allow_private=allow_private))
    return net.trusting(trusted or [])


@app.command()
def scan(
    sources: Annotated[list[str], typer.Argument(help="HTML or text files, directories, *.urls lists of URLs, '-' for stdin, or http(s) URLs; a post's own URL (a tweet's) is that post, not fetched.", show_default=False)],
    format: Annotated[ScanFormat, typer.Option("--format", "-f", help="Output format.")] = ScanFormat.table,
    kind: Annotated[KindChoice, typer.Option("--kind", help="Which posts to report.")] = KindChoice.all,
    max_bytes: Annotated[int, typer.Option("--max-bytes", min=1, help="Skip sources larger than this many bytes.")] = 50 * 1024 * 1024,
    map_host: MapHostOpt = None,
    ca_bundle: CaBundleOpt = None,
    proxy: ProxyOpt = None,
    allow_private: AllowPrivateOpt = False,
    max_feed_articles: MaxFeedArticlesOpt = DEFAULT_MAX_FEED_ARTICLES,
    fetch_deadline: FetchDeadlineOpt = DEFAULT_FETCH_DEADLINE,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, show_default=False,
        help="Processes reading and scanning files at once. Default: as many as the CPUs this process may use "
             "(at most 8), when there are 16 files or more for each; 1: one at a time. The output is the same.")] = None,
) -> None:
    """Find every social post that articles embed or cite.

    Example:

        archiver scan article.html --format jsonl

        curl -s https://example.com/story | archiver scan - --kind embedded
    """
    from .models import POST_FIELDS
    from .output import keyed_when_unidentified, one_line, render
    from .redact import redact_text
    from .scan import scan as run_scan
    from .seeds import with_url_lists
    from .sources import is_url

    listed = with_url_lists(sources, max_bytes)  # a `*.urls` file stands for the URLs it lists
    urls = [s for s in listed.sources if is_url(s)]  # (a scheme in any case: `HTTPS://...`)
    net = _net(map_host, ca_bundle, proxy, allow_private, trusted=urls) if urls else None
    result = _call(lambda: run_scan(listed.sources, kind=kind.value, max_bytes=max_bytes, net=net,
                                    problems=listed.problems, max_feed_articles=max_feed_articles, jobs=jobs,
                                    fetch_deadline=fetch_deadline))
    rows = [p.to_dict() for p in result.posts]
    if format is ScanFormat.table:
        # A post known by a short link alone has no ID and no text: the table shows the link instead.
        rows = [{**r, "text": r["links"][0]} if r["kind"] == "shortlink" and not r["text"] and r["links"] else r
                for r in keyed_when_unidentified(rows)]
    _write(render(rows, format.value, fields=POST_FIELDS,
                  table_columns=("platform", "post_id", "handle", "posted_at", "kind", "evidence", "source", "text")))
    for failure in result.failures:  # each one named, even under --quiet
        typer.echo(f"archiver: {one_line(redact_text(failure.message))}", err=True)
    if result.sources_read == 0:
        _nothing_read(sources, len(result.failures))
    if result.failures:
        typer.echo(f"archiver: {len(rows)} post(s) in {result.sources_read} source(s); {len(result.failures)} of "
                   f"{len(result.failures) + result.sources_read} sources failed", err=True)
        raise typer.Exit(EXIT_PARTIAL)
    say(f"{len(rows)} post(s) in {result.sources_read} source(s)")



def _nothing_read(sources: list[str], failures: int) -> NoReturn:
    """Exit 2 for sources of which none could be read, each failure already named on its line."""
    if failures == 1:
        raise typer.Exit(EXIT_USAGE)  # its one line says it all
    if not failures:  # a folder with nothing in it to read
        _fail(f"nothing to read in {', '.join(sources)}: give article files (HTML, text), folders of them, "
              "URLs or *.urls lists", EXIT_USAGE)
    _fail(f"nothing could be read ({failures} source(s) failed)", EXIT_USAGE)


def _refuse_unreadable_files(sources: list[str], articles: list[str], max_bytes: int) -> None:
    """Exit 2, as `scan` would, when none of `articles` can be read and that is known before any
    URL is fetched: none at all (an empty folder, a folder of pictures), or local files and
    standard input each refused as `scan` refuses them (not there, no regular file, empty, binary,
    over --max-bytes). Nothing is created then (no archive folder). The files are looked at in
    turn until one can be read: the run goes ahead then, each bad one named in its summary (exit 1).
    A URL is read later, over the network: with one among them, the run goes ahead."""
    from .errors import SourceError
    from .output import one_line
    from .redact import redact_text
    from .sources import is_url, read_file, unreadable_file

    failures: list[str] = []
    for spec in articles:
        if spec == "" or is_url(spec):
            return
        try:
            if spec == "-":
                _stdin_read(max_bytes)
                return
            why = unreadable_file(spec)
            if why is not None:
                raise SourceError(why)
            read_file(Path(spec), max_bytes, given=spec)  # (its content: empty, binary, too large)
        except SourceError as e:
            failures.append(str(e))
            continue
        return
    for failure in failures:
        typer.echo(f"archiver: {one_line(redact_text(failure))}", err=True)
    _nothing_read(sources, len(failures))


def _stdin_read(max_bytes: int) -> None:
    """Standard input read before the run: SourceError when what it holds is refused as a source,
    as the run would refuse it. What is read is given back: the run reads the same bytes from
    `sys.stdin`. (With no standard input at all, closed when the program started, it is refused.)"""
    import io

    from .sources import read_stdin, stdin_bytes

    data = stdin_bytes(max_bytes)  # (refused when there is none, or it cannot be read)
    encoding, errors = sys.stdin.encoding, sys.stdin.errors

    def held() -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors)

    sys.stdin = held()
    try:
        read_stdin(max_bytes)
    finally:
        sys.stdin = held()


def _archive_dir(value: Path | None) -> Path:
    import os

    from .cli_options import web_address_for_folder
    from .layout import default_archive_dir

    if value is None and (why := web_address_for_folder(
            "ARCHIVER_HOME", os.environ.get("ARCHIVER_HOME") or "", "set it to a folder on this machine")):
        from .errors import UsageError

        raise UsageError(why)
    return value or default_archive_dir()


def _progress(total: int | None = None) -> Progress:
    return Progress(total, quiet=_STATE["quiet"])


def _cites_posts(db: Any, address: str) -> bool:
    """Whether `address` names an article the index holds that cites a post."""
    from .errors import UsageError
    from .index.filters import Filters

    try:
        filters = Filters(article=address)
    except UsageError:
        return False
    return bool(db.lookup(filters, limit=1))


def _stopped_run(fn: Callable[[], Any]) -> Any:
    """`fn()`, a run of `archive` or `run`, whose summary counts what it did before a full disk
    stopped it (the disk named among its failures); a full disk before the run could capture
    anything (its index or WARC files could not be opened or repaired) still gives a summary,
    empty, the disk its failure (exit 1: what was captured before is kept), so that a run always
    ends with its summary (its one JSON line with --format json)."""
    from .pipeline.summary import ArchiveSummary
    from .space import as_disk_full
    from .times import iso_seconds

    started = iso_seconds()
    try:
        return fn()
    except Exception as e:
        if (full := as_disk_full(e)) is None:
            raise
        return ArchiveSummary(started_at=started, finished_at=iso_seconds(), failures=[str(full)],
                              stopped_by=str(full))


def _print_summary(summary: Any, fmt: OutFormat) -> int:
    from .output import dumps, one_line, render

    data = summary.to_dict()  # (its messages already without credentials or tokens)
    stopped = summary.stopped_by is not None
    if stopped:
        # A full disk: named first, on stderr, as stdout (a log file on the same disk, say) may no
        # longer take the summary; the run's exit stays 1 (what it captured before is kept) either
        # way. The summary that follows counts what the run did and kept before the disk filled.
        for failure in data["failures"]:
            typer.echo(f"archiver: failed: {one_line(str(failure))}", err=True)
    with contextlib.suppress(typer.Exit, SystemExit) if stopped else contextlib.nullcontext():
        if fmt is OutFormat.json:
            # One line: a cron job can append each run's summary to a JSONL log.
            _write(dumps(data) + "\n")
        else:
            # A re-checked post whose status changed shows what it was: what a scheduled run is for.
            # One whose check could not be made shows the status it keeps, and says so.
            rows = [{**r, "status": f"{r['status']} (not checked)" if not r["checked"] else
                     f"{r['status']} (was {r['previous_status'] or 'none'})" if r["changed"] else r["status"]}
                    for r in data["results"]]
            if rows:
                _write(render(rows, "table", fields=("key", "status", "captures", "source", "reason"),
                              table_columns=("key", "status", "captures", "source", "reason")))
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(data["statuses"].items())) or "no posts"
    unchecked = data["posts_not_checked"]
    if not _STATE["quiet"]:
        changed = f"; {data['posts_changed']} changed since their last check" if data["posts_changed"] else ""
        if data["articles_changed"]:
            changed += (f"; {data['articles_changed']} article(s) changed the posts they cite (captured again)")
        if not data["posts"] and data["posts_skipped_already_captured"]:  # nothing done: say how to check them
            changed += (" (`archiver run` re-checks held posts when due; `archiver archive --recapture` "
                        "captures them again now)")
        if unchecked:
            changed = f"; {unchecked} could not be checked" + changed
        before = " before the disk filled" if stopped else ""
        typer.echo(f"archiver: {data['articles']} article(s), {data['posts'] - unchecked} post(s) captured or "
                   f"checked{before} ({statuses}); {data['posts_skipped_already_captured']} already held{changed}",
                   err=True)
    if summary.no_seeds:
        say("the seeds folder holds no seed (article files, *.urls lists, feeds): only held posts due for a re-check "
            "were looked at")
    for failure in data["failures"] if not stopped else ():  # (a full disk's: said first)
        typer.echo(f"archiver: failed: {one_line(str(failure))}", err=True)
    if data["network_unreachable"]:
        kept = (f": {unchecked} post(s) could not be checked, each keeps the status it had ('unavailable' "
                "if new to the archive)") if unchecked else ""
        if summary.anything_answered:
            line = (f"some servers could not be reached (named above; check any address mistyped){kept}; run again "
                    "when online if the network went down during the run")
        else:
            line = f"the network was unreachable{kept}; run again when online"
            if any("host name not resolved" in str(f) for f in data["failures"]):
                line += "; or check the addresses named above, if mistyped"
        typer.echo(f"archiver: {line}", err=True)
    if summary.interrupted:
        typer.echo(f"archiver: {summary.interruption()}", err=True)
    return int(summary.exit_code)


@app.command()
def archive(
    sources: Annotated[list[str], typer.Argument(help="Articles: HTML or text files, directories, *.urls lists of URLs, '-' or URLs; a post's own URL (a tweet's) is that post.", show_default=False)],
    archive_dir: ArchiveDirOpt = None,
    index: IndexOpt = None,
    map_host: MapHostOpt = None,
    ca_bundle: CaBundleOpt = None,
    proxy: ProxyOpt = None,
    allow_private: AllowPrivateOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    recapture: Annotated[bool, typer.Option("--recapture", help="Capture posts and articles again even if already held.")] = False,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    fetch_deadline: FetchDeadlineOpt = DEFAULT_FETCH_DEADLINE,
    capture_deadline: CaptureDeadlineOpt = DEFAULT_CAPTURE_DEADLINE,
    max_capture_bytes: MaxCaptureBytesOpt = DEFAULT_MAX_CAPTURE_BYTES,
    max_posts: MaxPostsOpt = DEFAULT_MAX_POSTS,
    format: Annotated[OutFormat, typer.Option("--format", "-f", help="Output format.")] = OutFormat.table,
    pages_in_flight: PagesInFlightOpt = None,
    timestamp: CaptureTimestampOpt = None,
    timestamp_deadline: TimestampDeadlineOpt = DEFAULT_STAMP_DEADLINE,
    wait: Annotated[bool, typer.Option("--wait", help="If another run holds the archive (or the PostgreSQL index), wait for it instead of exiting with code 3.")] = False,
    max_feed_articles: MaxFeedArticlesOpt = DEFAULT_MAX_FEED_ARTICLES,
) -> None:
    """Capture articles and every post they embed or link, with Chromium, into WARC + screenshots + index.

    Example:

        archiver archive https://news.example/story.html --archive-dir archives
    """
    from .archive import archive as run_archive
    from .evidence.stamps import Authorities
    from .seeds import with_url_lists

    index_url = _index_url(index)
    timestamps = _call(lambda: Authorities.of(timestamp, timestamp_deadline))
    # Each article once, in the order first given (a file named twice, or inside a folder given
    # too); a `*.urls` file stands for the URLs it lists, trusted as typed ones are.
    listed = with_url_lists(sources, max_bytes)
    net = _net(map_host, ca_bundle, proxy, allow_private, trusted=[*sources, *listed.trusted])
    limits = _limits(fetch_deadline, capture_deadline, max_bytes, max_capture_bytes, max_posts)
    STOP.install(announce=True)  # a signal: finish the capture at hand, then stop with a summary
    articles = listed.sources
    if not articles and listed.problems:
        _fail("; ".join(listed.problems), EXIT_USAGE)
    if not listed.problems:
        _refuse_unreadable_files(sources, articles, max_bytes)
    with _progress(total=len(articles)) as progress:
        summary = _call(lambda: _stopped_run(lambda: run_archive(articles, _archive_dir(archive_dir), net, timeout=timeout,
                                            recapture=recapture, max_bytes=max_bytes, progress=progress,
                                            limits=limits, pages_in_flight=pages_in_flight, index_url=index_url,
                                            timestamps=timestamps, problems=listed.problems, wait=wait,
                                            max_feed_articles=max_feed_articles)))
    raise typer.Exit(_print_summary(summary, format))


@app.command()
def run(
    seeds: Annotated[Path, typer.Option("--seeds", click_type=FolderPath(), help="Folder (or file) of seeds: *.urls lists, RSS/Atom feeds, sitemaps, articles.")] = Path("seeds"),
    archive_dir: ArchiveDirOpt = None,
    index: IndexOpt = None,
    recheck_after: Annotated[str, typer.Option("--recheck-after", help="Re-check held posts last checked longer ago than this (30m, 12h, 7d).")] = "7d",
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=16, help="Worker processes, each with its own Chromium (plan on a few hundred MB each): articles, then the posts they cite, are shared among them, each post captured once. Politeness is per process, so a host may see up to N requests at once. 1 runs everything in this process.")] = 1,
    wait: Annotated[bool, typer.Option("--wait", help="If another run holds the archive (or the PostgreSQL index), wait for it instead of exiting with code 3.")] = False,
    map_host: MapHostOpt = None,
    ca_bundle: CaBundleOpt = None,
    proxy: ProxyOpt = None,
    allow_private: AllowPrivateOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    fetch_deadline: FetchDeadlineOpt = DEFAULT_FETCH_DEADLINE,
    capture_deadline: CaptureDeadlineOpt = DEFAULT_CAPTURE_DEADLINE,
    max_capture_bytes: MaxCaptureBytesOpt = DEFAULT_MAX_CAPTURE_BYTES,
    max_posts: MaxPostsOpt = DEFAULT_MAX_POSTS,
    format: Annotated[OutFormat, typer.Option("--format", "-f", help="Output format of the summary.")] = OutFormat.table,
    pages_in_flight: PagesInFlightOpt = None,
    broker: Annotated[str | None, typer.Option("--broker", envvar="ARCHIVER_BROKER", metavar="URL", help="Hand the captures to the workers of a cluster (`archiver worker`) behind this Redis broker, e.g. redis://HOST:6379/0; this process keeps the run's row and summary. Env: ARCHIVER_BROKER.")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="With --broker: send the run's tasks, print its run id and exit; `archiver runs status RUN_ID` reports on it later.")] = False,
    timestamp: CaptureTimestampOpt = None,
    timestamp_deadline: TimestampDeadlineOpt = DEFAULT_STAMP_DEADLINE,
    max_feed_articles: MaxFeedArticlesOpt = DEFAULT_MAX_FEED_ARTICLES,
) -> None:
    """A scheduled pass: archive new articles from the seeds, re-check held posts, record what changed.

    Example:

        archiver run --seeds seeds --archive-dir archives --recheck-after 12h
    """
    from .evidence.stamps import Authorities
    from .runs import run as run_job
    from .seeds import parse_duration, read_seeds

    index_url = _index_url(index)
    broker = _broker_url(broker)
    timestamps = _call(lambda: Authorities.of(timestamp, timestamp_deadline))
    if broker is not None:  # before anything starts: a cluster's index is PostgreSQL
        from .cluster import require_shared_index

        _call(lambda: require_shared_index(index_url))
        if timestamps:
            say("note: --timestamp (ARCHIVER_TSA) is the workers' own in a cluster: this run's captures are "
                "timestamped by the workers started with it (`archiver worker --timestamp URL`), whatever is given here")
    net = _net(map_host, ca_bundle, proxy, allow_private)
    limits = _limits(fetch_deadline, capture_deadline, max_bytes, max_capture_bytes, max_posts)
    if broker is not None:
        from dataclasses import fields as _fields

        from .limits import Limits

        given = [f"--{f.name.replace('_', '-')}" for f in _fields(Limits)
                 if f.name != "max_bytes" and getattr(limits, f.name) != getattr(Limits(), f.name)]
        if given:
            say(f"note: {', '.join(given)} {'is' if len(given) == 1 else 'are'} the workers' own in a cluster: "
                "this run's captures keep to the limits the workers were started with (`archiver worker "
                f"{given[0]} ...`), whatever is given here")
    after = _call(lambda: parse_duration(recheck_after))
    try:  # read once: the bar's total, and the run's sources
        seed_list = read_seeds(seeds, limits.max_bytes, max_feed_articles=max_feed_articles,
                               archive_dir=_archive_dir(archive_dir))
    except ArchiverError:
        seed_list = None  # the run itself reports the problem
    if seed_list is not None and not seed_list.sources and not seed_list.feeds and seed_list.problems:
        _refuse_run_of_nothing(seeds, _archive_dir(archive_dir), index_url, seed_list.problems)
    if no_wait:
        from .cli_cluster import run_no_wait

        run_no_wait(sys.modules[__name__], seeds, _archive_dir(archive_dir), broker, after, wait, index_url,
                    max_feed_articles, limits.max_bytes)
    total = len(seed_list.sources) if seed_list is not None else None
    STOP.install(announce=True)  # a signal: finish the capture at hand, then stop with a summary
    with _progress(total=total) as progress:
        summary = _call(lambda: _stopped_run(lambda: run_job(seeds, _archive_dir(archive_dir), net, recheck_after=after, wait=wait,
                                        timeout=timeout, concurrency=concurrency, progress=progress,
                                        limits=limits, pages_in_flight=pages_in_flight, index_url=index_url,
                                        broker=broker, timestamps=timestamps, max_feed_articles=max_feed_articles,
                                        seed_list=seed_list)))
    raise typer.Exit(_print_summary(summary, format))


def _refuse_run_of_nothing(seeds: Path, archive_dir: Path, index_url: str | None, problems: list[str]) -> None:
    """Exit 2 before anything is made when no seed could be read (each named in `problems`) and no
    archive is there whose held posts a run would re-check: an empty archive and a run's row are no
    answer to a typo. (A seeds folder not yet filled is no error: a scheduled run starts before it
    is, and says the folder holds no seed.)"""
    from .index import index_exists

    if not _call(lambda: index_exists(archive_dir, index_url)):
        _fail(f"{'; '.join(problems)}: nothing in --seeds {seeds} could be read, and {archive_dir} holds no "
              "archive to re-check", EXIT_USAGE)


def _filters(**kw: Any):  # type: ignore[no-untyped-def]
    from .index.filters import Filters

    return _call(lambda: Filters(**kw))


def _open_index(archive_dir: Path, url: str | None = None):  # type: ignore[no-untyped-def]
    from .errors import UsageError
    from .index import index_exists, index_name, index_unusable, open_index, require_own_index

    if url is not None:  # an unreachable server is the index's own one line (IndexError_)
        if (reason := _call(lambda: index_unusable(archive_dir, url))) is not None:
            _fail(f"{reason}: archive something with this --index first, `archiver index copy` an archive.db "
                  "into it, or check the URL", EXIT_USAGE)
        return _call(lambda: open_index(archive_dir, create=False, url=url))

    _call(lambda: require_own_index(archive_dir))  # a folder indexed in PostgreSQL names that index
    if index_unusable(archive_dir) is not None:  # verify (and the WARC reader) only then: lookup starts fast
        from .verify import REINDEX_HINT, index_absent

        if reason := index_absent(archive_dir):  # WARC files, but no usable index beside them
            _fail(f"{archive_dir}: {reason} beside the WARC files: {REINDEX_HINT}", EXIT_USAGE)
    if not index_exists(archive_dir):
        if archive_dir.is_file():
            _fail(f"{archive_dir} is a file, not an archive folder: pass the folder the archive is in "
                  "as --archive-dir", EXIT_USAGE)
        _fail(str(UsageError(f"no archive at {archive_dir} (no {index_name(archive_dir)}); run `archiver archive` or `archiver run` first, or pass --archive-dir")), EXIT_USAGE)
    return _call(lambda: open_index(archive_dir, create=False))



@app.command()
def lookup(
    archive_dir: ArchiveDirOpt = None,
    index: IndexOpt = None,
    handle: HandleOpt = None, date: DateOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    platform: PlatformOpt = None, text: TextOpt = None, status: StatusOpt = None, article: ArticleOpt = None,
    captured_since: CapturedSinceOpt = None,
    format: Annotated[ScanFormat, typer.Option("--format", "-f", help="Output format.")] = ScanFormat.table,
    limit: Annotated[int | None, typer.Option("--limit", min=0, max=_ROW_MAX, metavar="N",
                                              help="Print at most N posts (default: all).")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, max=_ROW_MAX, metavar="M",
                                        help="Skip the first M posts (pages follow the same order).")] = 0,
) -> None:
    """Find archived posts by handle, date, text, status, platform or citing article, oldest first.

    Example:

        archiver lookup --handle @RivertonDesk --since 2024-03-01 --format json
        archiver lookup --platform twitter --limit 50 --offset 50
    """
    from .index.filters import LOOKUP_FIELDS
    from .index.textquery import lower_case_operators
    from .output import keyed_when_unidentified, render

    d = _archive_dir(archive_dir)
    filters = _filters(handle=handle, date=date, since=since, until=until, platform=platform, text=text,
                       status=status, article=article, captured_since=captured_since)
    with _open_index(d, _index_url(index)) as db:
        rows = [row.to_dict() for row in _call(lambda: db.lookup(filters, limit=limit, offset=offset,
                                                                 check_captures=True))]
        # A bare user name where Mastodon's handles are name@server: say what is held, match nothing.
        near = (db.handles_with_server(filters.handle)
                if not rows and not offset and filters.handle and "@" not in filters.handle else [])
        # An article address that names nothing held (a typo, another site's copy): said, as the
        # other filters' empty answers are not.
        unknown_article = bool(not rows and not offset and article and not _cites_posts(db, article))
        # An article held in an index rebuilt from partial history: its citations may be what was lost.
        lost = _call(lambda: _lost_citations(db, filters.article_keys)) if article and not offset else None
    # `or`/`and` in lower case are words to search for: said when nothing holds them.
    lowered = lower_case_operators(filters.text) if not rows and not offset and filters.text else []
    _write(render(keyed_when_unidentified(rows) if format is ScanFormat.table else rows, format.value,
                  fields=LOOKUP_FIELDS,
                  table_columns=("handle", "posted_at", "status", "platform", "post_id", "text", "reason")))
    say(f"{len(rows)} post(s)")
    if lowered:
        say(f"--text searched for the word {lowered[0]!r}; write {lowered[0].upper()} (upper case) "
            "between terms to combine them")
    if near:
        say(f"no handle {filters.handle!r}, but {', '.join(near)} (a handle on a server is "
            f"one account per server): give it whole, e.g. --handle {near[0]}")
    if lost is not None:
        from .output import printable
        from .redact import redact_url

        url, own, files = lost
        why = ("its citations were lost with a WARC file" if own
               else "the records of which posts it cites may have been lost with a WARC file")
        where = f" ({printable(_few(files))} lost or damaged)" if files else ""
        say(f"the article {printable(redact_url(url))!r} is held, but {why}: the index was rebuilt from partial "
            f"history{where}; " + (f"it may cite others besides these {len(rows)}" if rows
                                   else "no post is known to cite it now")
            + "; archiving it again restores what it cites now")
    elif unknown_article:
        from .sources import SHOWN_CHARACTERS, shown

        say(f"no article {shown(str(article), SHOWN_CHARACTERS)!r} citing a post is held (the address is "
            "matched with http or https, with or without #fragment and tracking parameters): check it")


def _lost_citations(db: Any, article_keys: Sequence[str]) -> tuple[str, bool, list[str]] | None:
    """For `lookup --article`: the article held under these keys, whether a rebuild made it from
    partial history (its own first journal entry lost), and the WARC files named lost or damaged,
    when the index was rebuilt from partial history; None for an intact index or no article held."""
    held = [row.url for row, _captures in db.articles_keyed(article_keys)] if article_keys else []
    if not held:
        return None
    files = db.partial_history()
    if files is None:
        return None
    own = db.articles_history_lost(held)
    return (own or held)[0], bool(own), files


@app.command()
def show(
    post: Annotated[str, typer.Argument(help="A post URL, key (twitter:123), ID, or a short link a run followed to it (t.co/CODE).", show_default=False)],
    archive_dir: ArchiveDirOpt = None,
    index: IndexOpt = None,
    format: Annotated[OutFormat, typer.Option("--format", "-f", help="Output format.")] = OutFormat.table,
) -> None:
    """Print one post with its whole status history, captures and the articles citing it.

    Example:

        archiver show https://x.com/RivertonDesk/status/1764718078373491923
    """
    from .output import dumps, printable
    from .redact import redact_text, redact_url

    if not post.strip():
        _fail("show: give a post's URL, key (twitter:123) or ID; `archiver lookup` lists them", EXIT_USAGE)
    if len(post) > MAX_SHOWN_KEY:  # no post's address is this long; and every message below would quote it
        _fail(f"show: {len(post)} characters is no post's URL, key or ID; `archiver lookup` lists them", EXIT_USAGE)
    from .sources import not_utf8, text_safe

    if not_utf8(post):  # bytes a shell passed as they were typed in another encoding: no key holds them
        _fail(f"show: '{text_safe(post)}' holds bytes that are not UTF-8; give the post's URL, key or ID in UTF-8",
              EXIT_USAGE)
    d = _archive_dir(archive_dir)
    link = _short_link(post)
    with _open_index(d, _index_url(index)) as db:
        found = _call(lambda: db.show(post))
        article = found is None and _call(lambda: _cites_posts(db, post))
        led_to = _call(lambda: db.article_led_to(link)) if found is None and link else None
        went = _call(lambda: db.link_led_to(link)) if found is None and link and led_to is None else None
        # A page archived from its own address that cites no post (a profile page given by mistake).
        page = (found is None and not article and led_to is None
                and _call(lambda: db.held_article(post)) is not None)
        no_copy = _call(lambda: _wayback_no_copy(db, found)) if found is not None else None
        # The citing articles whose latest capture failed (their site took them down, say).
        failing = ({a.url: a for a in _call(lambda: db.citing_articles([found.key])) if a.failing_since}
                   if found is not None else {})
        # Rebuilt from partial history: the entries naming its citing articles may be what was lost.
        history_lost = found is not None and _call(lambda: db.history_lost(found.key))
        # The whole index rebuilt from partial history: any post's citations may be among what was lost.
        partial = _call(db.partial_history) if found is not None and not history_lost else None
    import shlex

    from .cli_style import index_words, with_notes

    # The commands suggested name the archive asked about, unless it is the default one, and the
    # index given (one whose URL holds a password is named by ARCHIVER_INDEX: it is never printed).
    indexes, index_note = index_words(_index_url(index))
    here = (f" --archive-dir {shlex.quote(str(archive_dir))}" if archive_dir is not None else "") + indexes
    noted = with_notes(index_note)
    def listed_by(url: str) -> str:
        """The command listing an article's posts; an address holding a secret (the messages print it
        without) is named ADDRESS rather than given in a form the command would not find."""
        if redact_url(url) != url:
            return (f"`archiver lookup{here} --article ADDRESS`{noted}, ADDRESS the article's address with its "
                    "credentials, lists the posts it cites")
        return f"`archiver lookup{here} --article {shlex.quote(url)}`{noted} lists the posts it cites"

    if article:
        _fail(f"{post}: an article in the archive, not a post; {listed_by(post)}", EXIT_USAGE)
    if led_to is not None:
        # What the link stands for is held, and is an article: named, as the article's own address
        # is, with the command that lists its posts (show prints posts only).
        shown = printable(redact_url(led_to))
        _fail(f"{post}: a short link a run followed to the article {shown}, an article in the archive, not a post; "
              f"{listed_by(led_to)}", EXIT_USAGE)
    if page:
        _fail(f"{post}: a page in the archive that cites no post, not a post; `archiver show` shows posts", EXIT_USAGE)
    if went is not None:
        # Followed from an article that cites it; where it led is no post (its hops are in the WARC).
        shown = printable(redact_url(went[0]))
        _fail(f"{post}: a short link a run followed on {went[1][:10]} to {shown}, which is no post; "
              f"`archiver archive{here} {shlex.quote(shown)}`{noted} archives that page", EXIT_USAGE)
    if found is None and link:
        # Where it leads is only known by following it: show asks no server.
        _fail(f"{post}: short link not in the archive at {d} (no run here followed it to a post); "
              f"`archiver archive{here} {shlex.quote(link)}`{noted} follows it and archives what it leads to",
              EXIT_USAGE)
    if found is None:
        _fail(f"{post}: not in the archive at {d}; try `archiver lookup{here}`{noted} to list what is held", EXIT_USAGE)
    if format is OutFormat.json:
        _write(dumps({**found.to_dict(), "wayback_no_copy_at": no_copy,
                      "history_lost": history_lost or partial is not None}, indent=2)
               + "\n")
        return
    # Text from pages: no escape sequence, control or bidi override reaches the terminal.
    p = printable
    # A reason may name a request's URL, a text may hold a link: shown without their secrets.
    lines = [f"{k:<10} {_plain(p(redact_text(v) if isinstance(v := getattr(found, k), str) else v))}"
             for k in ("key", "url", "platform", "handle", "author", "posted_at", "status", "reason", "text")]
    former = getattr(found, "former_handles", None) or []
    if former:
        # The handles the articles may still cite the post under (`lookup --handle` finds it by them).
        lines.insert(4, f"{'formerly':<10} " + ", ".join(
            p(f.handle) + (f" (until {p(f.until)})" if f.until else "") for f in former))
    lines.append("history:")
    lines += [f"  {p(h.checked_at)}  {p(h.status)}" for h in found.history]
    lines.append("captures:")
    # Named columns: the source word `live` (the platform's own page, not a Wayback copy) sits
    # next to the post's status then, which may well be `deleted`.
    # The screenshot column as wide as its longest path, so that WARC sits over its column.
    shot = max((len(p(c.screenshot) or "-") for c in found.captures), default=0)
    if found.captures:
        lines.append(f"  {'CAPTURED_AT':<24}  {'FROM':<8} {'STATUS THEN':<14} {'SCREENSHOT':<{shot}}  WARC")
    # A capture's `error` is what went wrong, or why a Wayback copy recovered nothing.
    lines += [f"  {p(c.captured_at)}  {p(c.source):<8} {p(c.status) or '':<14} {p(c.screenshot) or '-':<{shot}}  "
              f"{p(c.warc) or ''}"
              + (f"  (the copy of {p(c.copied_at)})" if c.copied_at else "")
              + (f"  — {p(redact_text(c.error))}" if c.error else "") for c in found.captures]
    if no_copy:
        lines.append(f"  the Wayback Machine, asked {p(no_copy)}, held no copy of it")
    lines.append("cited by:")
    # Shown to people, as in the report: an article URL's credentials and tokens are not printed
    # (--format json gives the URLs as held, the keys `lookup --article` takes).
    lines += [f"  {p(redact_url(a.url))}  ({p(a.kind)}, {p(a.evidence)})"
              + (f"  — no longer cited since {p(a.dropped_at)}" if a.dropped_at else "")
              + (f"  — could not be captured since {p(f.failing_since)}: {p(redact_text(f.failure or ''))}"
                 if (f := failing.get(a.url)) is not None else "")
              for a in found.articles]
    lost_why = ("its first journal entries were in a WARC file that is lost or damaged (the index was rebuilt "
                "from the others)")
    if partial is not None:
        lost_why = ("the index was rebuilt from partial history"
                    + (f" (WARC file(s) lost or damaged: {p(_few(partial))})" if partial else ""))
    if not found.articles and history_lost:
        lines.append(f"  unknown: the records of which articles cite it were lost: {lost_why}")
    elif not found.articles and partial is not None:
        lines.append(f"  unknown: none the index knows of, but the records of which articles cite which posts "
                     f"may have been lost: {lost_why}")
    elif not found.articles:
        lines.append("  no article: archived from its own address or a short link given as a source")
    elif history_lost or partial is not None:
        lines.append(f"  (maybe others as well: {lost_why})")
    _write("\n".join(lines) + "\n")


def _few(names: list[str], shown: int = 3) -> str:
    """`names`, the first `shown` of them, and how many more."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _wayback_no_copy(db: Any, found: Any) -> str | None:
    """For a post that is not live and holds no Wayback copy: when the Wayback Machine last answered
    a look-up for it (it had no copy then); None otherwise, and for a post never looked up."""
    if found.status == "live" or any(c.source == "wayback" for c in found.captures):
        return None
    from .capture.wayback import last_lookups

    return last_lookups(db, found.key)[0]


def _short_link(given: str) -> str | None:
    """`given` as a URL when it is a platform's short link (`https://t.co/CODE`, or as copied
    without its scheme); None for anything else."""
    from .platforms import shortener_for

    url = given.strip()
    url = url if "://" in url else f"https://{url}"
    platform = shortener_for(url)
    return url if platform is not None and platform.shortlinks and platform.shortlinks.code(url) else None


def _plain(v: Any) -> str:
    """A `printable` value on one line of `show`."""
    if v is None:
        return "-"
    if isinstance(v, list):
        return " ".join(map(str, v))
    return str(v)


@app.command()
def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--output", "-o", metavar="OUT", show_default=False,
                                      help="OUT.wacz for a WACZ bundle, OUT.warc.gz for one WARC, '-' for stdout (WACZ unless --format warc.gz).")],
    archive_dir: ArchiveDirOpt = None,
    index: IndexOpt = None,
    handle: HandleOpt = None, date: DateOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    platform: PlatformOpt = None, text: TextOpt = None, status: StatusOpt = None, article: ArticleOpt = None,
    captured_since: CapturedSinceOpt = None,
    include_credentials: Annotated[bool, typer.Option("--include-credentials", help="Keep credential headers: cookies, Authorization, tokens, API keys, sessions (left out by default).")] = False,
    allow_damaged: Annotated[bool, typer.Option("--allow-damaged", help="Leave out records that fail their CRC/digest check (named on stderr) instead of refusing the export.")] = False,
    sign: cli_evidence.SignOpt = False,
    domain_cert: cli_evidence.DomainCertOpt = None,
    domain_key: cli_evidence.DomainKeyOpt = None,
    timestamp: cli_evidence.TimestampOpt = None,
    timestamp_ca: cli_evidence.TimestampCaOpt = None,
    timestamp_deadline: TimestampDeadlineOpt = DEFAULT_EXPORT_STAMP_DEADLINE,
    bundle: Annotated[BundleFormat | None, typer.Option("--format", "-f", show_default=False, help="The bundle written to stdout by `-o -` or into a device or pipe (default: wacz); with a file name, its ending decides.")] = None,
) -> None:
    """Export the selected posts, and the articles citing them, as WACZ or a single WARC. With no
    filter, the whole archive is exported (stderr says so, with the number of posts).

    Example:

        archiver export --handle RivertonDesk -o riverton.wacz --sign --timestamp http://tsa.example/tsr

        archiver export --since 2024-03-01 -o - | ssh host 'cat > march.wacz'
    """
    from .bundle import export_selection
    from .cli_export import STDOUT, output_format, outside_archive, staged_output, stream_to_stdout
    from .sources import is_file

    d = _archive_dir(archive_dir)
    _call(lambda: outside_archive(d, out))
    filters = _filters(handle=handle, date=date, since=since, until=until, platform=platform, text=text,
                       status=status, article=article, captured_since=captured_since)
    staging = _call(lambda: staged_output(out, bundle))  # a bad name or format: said before any work
    if timestamp and not sign and getattr(ctx.get_parameter_source("timestamp"), "name", "") == "ENVIRONMENT" \
            and _call(lambda: output_format(out, bundle)) != "wacz":
        # ARCHIVER_TSA, set for runs' captures, is no request to seal a WARC (which cannot hold a seal).
        say("note: ARCHIVER_TSA not applied: a single WARC holds no timestamp over it (export *.wacz to stamp one)")
        timestamp = None
    evidence = cli_evidence.evidence_options(d, sign, domain_cert, domain_key, timestamp, timestamp_ca,
                                             timestamp_deadline)
    # Said, so that a mistyped -o is noticed (a file behind /dev/stdout is written into, not replaced).
    replacing = out != STDOUT and is_file(out) and not _in_place(out)
    with _open_index(d, _index_url(index)) as db, staging as target:
        summary = _call(lambda: export_selection(db, d, filters, target, include_credentials=include_credentials,
                                                 allow_damaged=allow_damaged, evidence=evidence,
                                                 fmt=bundle.value if bundle is not None else None))
        if target != out:
            _call(lambda: stream_to_stdout(target))
    if target == out:
        _wrote(out)
    from .output import one_line

    for line in [*summary.left_out, *summary.unsealed]:
        typer.echo(f"archiver: {one_line(line)}", err=True)
    where = f"{out} (replacing the file that was there)" if replacing else str(out)
    say(f"wrote {where if target == out else 'the bundle to stdout'}: {summary}")
    if summary.left_out or summary.unsealed or summary.missing_originals:
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def verify(
    ctx: typer.Context,
    bundle: Annotated[Path | None, typer.Argument(metavar="[BUNDLE]", help="Check this export (a .wacz, or a .warc.gz) instead of the archive: its files and records, signature and timestamps.", show_default=False)] = None,
    archive_dir: ArchiveDirOpt = None, index: IndexOpt = None,
    ca_bundle: cli_evidence.VerifyCaOpt = None,
    format: Annotated[OutFormat, typer.Option("--format", "-f", help="Output format.")] = OutFormat.table,
) -> None:
    """Check that every indexed WARC record and screenshot is present and intact, that every WARC
    record is indexed (with --index, the archive folder's WARCs against that index), and that the index
    holds what the journal in the WARCs says; records marked WARC-Truncated (partial responses) are
    noted, not failed. Given a WACZ,
    check it offline instead: every file's hash, its signature, its timestamps, and say what is proven.
    Given a .warc.gz export, check its records: each whole and matching its digest, each revisit's
    original in the file or named as left out by the export.

    Example:

        archiver verify --archive-dir archives

        archiver verify riverton.wacz --ca-bundle tsa-roots.pem
    """
    if bundle is not None:
        if archive_dir is not None:
            _fail("a WACZ is checked on its own: leave out --archive-dir", EXIT_USAGE)
        if index is not None and getattr(ctx.get_parameter_source("index"), "name", "") == "COMMANDLINE":
            # (ARCHIVER_INDEX in the environment is not the user asking for it here)
            _fail("a WACZ is checked on its own: leave out --index", EXIT_USAGE)
        cli_evidence.verify_bundle(bundle, ca_bundle, format)
        return
    if ca_bundle:
        _fail("--ca-bundle checks a WACZ's certificates: give the WACZ to check", EXIT_USAGE)
    from .bundle import beside_damaged_index, index_damage, verify_selection
    from .index import index_exists, index_name
    from .verify import LostEvidence, TruncatedRecord, index_absent, verify_without_index

    d = _archive_dir(archive_dir)
    url = _index_url(index)
    truncated: list[TruncatedRecord] = []  # sound, but partial: noted on stderr as they are found
    lost = LostEvidence()  # the captures the damage cost: named on stderr (the first ten), all of them in JSON
    if url is None:
        from .index import require_own_index

        _call(lambda: require_own_index(d))
    if url is None and index_absent(d):  # WARCs without a usable archive.db: say so, do not call them intact
        problems, checked = _call(lambda: verify_without_index(d, truncated=truncated))
    elif url is None and index_exists(d) and (damage := _call(lambda: index_damage(d))) is not None:
        # cut short, its header lost: it cannot even be opened
        problems, checked = _call(lambda: beside_damaged_index(d, damage, truncated=truncated,
                                                               where=index_name(d, url)))
    else:
        with _open_index(d, url) as db:
            problems, checked = _call(lambda: verify_selection(db, d, truncated=truncated, where=index_name(d, url),
                                                               lost=lost))
    from .output import dumps, one_line

    if format is OutFormat.json:
        from dataclasses import asdict

        from .redact import redact_url

        # Notes for people, like a run's failures: a target URI is named without its credentials or
        # tokens (the path, offset and record ID say which record it is).
        _write(dumps({"archive": str(d), "intact": not problems, "checked": checked,
                      "problems": [{"kind": p.kind, "path": p.path, "detail": p.detail} for p in problems],
                      "truncated": [{**asdict(t), "target_uri": redact_url(t.target_uri)} for t in truncated],
                      # Every capture the damage cost, and what it was evidence of (stderr names ten).
                      "evidence_lost": [_lost_capture(c) for c in lost.captures],
                      "evidence_unplaced": [asdict(u) for u in lost.unlinked]}) + "\n")
    else:
        for p in problems:
            _write(f"{p.kind}\t{one_line(p.path)}\t{one_line(p.detail)}\n")
    if problems:
        typer.echo(f"archiver: {len(problems)} problem(s) in {d}", err=True)
        raise typer.Exit(EXIT_PARTIAL)
    say(f"{d} is intact ({checked})")


def _lost_capture(c: Any) -> dict[str, Any]:
    """A capture that lost evidence (`verify.LostCapture`) as `verify --format json` gives it."""
    from .redact import redact_url

    return {"capture": c.capture_id, "post": c.post, "post_url": c.post_url and redact_url(c.post_url),
            "article": c.article and redact_url(c.article), "source": c.source, "url": c.url and redact_url(c.url),
            "captured_at": c.captured_at, "warc": c.warc, "files": list(c.files), "records": c.records,
            "known_by": c.known_by}


@app.command()
def reindex(
    archive_dir: ArchiveDirOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an index that is healthy and not empty.")] = False,
    index: IndexOpt = None,
    wait: Annotated[bool, typer.Option("--wait", help="If a run holds the archive, wait for it instead of exiting with code 3.")] = False,
) -> None:
    """Rebuild archive.db from the archive's WARC files (after it was lost or damaged).

    Example:

        archiver reindex --archive-dir archives
    """
    from .index import index_name
    from .reindex import reindex as run_reindex

    d = _archive_dir(archive_dir)
    if _index_url(index) is not None:
        _fail("reindex rebuilds the archive's own SQLite index only: run it without --index (and without "
              "ARCHIVER_INDEX), then `archiver index copy` the rebuilt archive.db into PostgreSQL", EXIT_USAGE)
    summary = _call(lambda: run_reindex(d, force=force, wait=wait))
    from .output import one_line

    for gap in summary.gaps:
        typer.echo(f"archiver: left out of the rebuilt index: {one_line(gap)}", err=True)
    say(f"rebuilt {d / index_name(d)}: {summary}")
    raise typer.Exit(summary.exit_code)


@app.command()
def report(
    out: Annotated[Path | None, typer.Option("--output", "-o", show_default=False,
                                             help="The file to write, - for standard output (default: report.html; "
                                                  "with --format json, standard output).")] = None,
    archive_dir: ArchiveDirOpt = None,
    index: IndexOpt = None,
    handle: HandleOpt = None, date: DateOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    platform: PlatformOpt = None, text: TextOpt = None, status: StatusOpt = None, article: ArticleOpt = None,
    captured_since: CapturedSinceOpt = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="html: one page for people; json: the "
                                                 "same report as data.")] = ReportFormat.html,
) -> None:
    """Draw one HTML page: each article under its title with its posts as cards (the post as shown,
    author, time, text, status timeline), filterable by status, handle and platform without scripts.

    Example:

        archiver report --status deleted -o deleted.html

    The same report as data: `archiver report --handle @RivertonDesk --format json`.
    """
    from .cli_export import STDOUT, outside_archive
    from .output import dumps
    from .report import report_from_index, write_text
    from .report.page import render_html
    from .sources import is_file

    d = _archive_dir(archive_dir)
    if out is not None:
        given = out
        _call(lambda: outside_archive(d, given))
    filters = _filters(handle=handle, date=date, since=since, until=until, platform=platform, text=text,
                       status=status, article=article, captured_since=captured_since)
    with _open_index(d, _index_url(index)) as db:
        built = _call(lambda: report_from_index(db, filters, d))
    to_stdout = out == STDOUT or (out is None and format is ReportFormat.json)
    if format is ReportFormat.json:
        data = dumps(built.to_dict(), indent=2) + "\n"
    else:
        # Picture links are relative to the page's folder; a page on stdout may be saved anywhere,
        # so its links name the files by absolute file: URI.
        out = out or Path("report.html")
        data = render_html(built, d, None if to_stdout else out)
    replacing = False
    if to_stdout:
        _write(data)
    else:
        target = out
        assert target is not None
        replacing = is_file(target) and not _in_place(target)
        _call(lambda: write_text(data, target))
        _wrote(target)
    say(f"report of {len(built.posts)} post(s)" + ("" if to_stdout else f" written to {out}")
        + (" (replacing the file that was there)" if replacing else ""))


app.add_typer(cli_index.app, name="index")
app.add_typer(cli_evidence.app, name="keys")

from .cli_cluster import register as _register_cluster  # noqa: E402

_register_cluster(app, sys.modules[__name__])  # archiver worker
from .cli_datasette import register as _register_datasette  # noqa: E402

_register_datasette(app, sys.modules[__name__])  # archiver datasette-metadata


def _for_command_line(args: list[str]) -> typer.Typer:
    """The command line `app`, holding only the command `args` name when they name one.

    Typer builds every command's Click parameters from its signature each time the program starts,
    some 20 ms for all of them, while a run uses one. The options before a command are flags
    (-v, -q, --version), so the first argument not starting with "-" is the command's name; with no
    name, or one that no command has, the whole app answers (the list of commands, "No such command").
    """
    from copy import copy

    from typer.main import get_command_name

    name = next((a for a in args if not a.startswith("-")), None)
    if name is None:
        return app
    commands = [c for c in app.registered_commands
                if (c.name or (c.callback is not None and get_command_name(c.callback.__name__))) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(commands) + len(groups) != 1:
        return app
    lean = copy(app)
    lean.registered_commands, lean.registered_groups = commands, groups
    return lean


def main() -> None:
    """Console-script entry point."""
    # SIGINT/SIGTERM: one line and exit 130/143, output files never half written; `archive` and
    # `run` switch to finishing the capture at hand first (archiver/interrupt.py).
    from .output import note_inherited

    note_inherited()  # before anything is opened: which /dev/fd/N a shell passed (`-o /dev/fd/3 3> x`)
    STOP.install(raising=True)
    try:
        _for_command_line(sys.argv[1:])()
    except Interrupted as e:  # outside any core call: between parsing and the call
        typer.echo(f"archiver: {e}", err=True)
        sys.exit(e.exit_code)
    except OSError as e:
        # Only the command line's own output gets here (help, usage): every command's work runs
        # through `_call`, and its data through `_write`.
        from .cli_export import silence_stdout

        silence_stdout()
        typer.echo(f"archiver: could not write the output ({e.strerror or type(e).__name__})", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as e:  # a fault of ours outside any core call (reading the options): one line, as in one
        from .interrupt import interruption_in
        from .output import one_line

        if (signal_error := interruption_in(e)) is not None:  # a signal, wrapped where it landed
            typer.echo(f"archiver: {signal_error if isinstance(signal_error, Interrupted) else 'interrupted'}", err=True)
            sys.exit(signal_error.exit_code if isinstance(signal_error, Interrupted) else 130)
        logging.getLogger("archiver").debug("internal error", exc_info=True)
        first = str(e).splitlines()[0] if str(e) else ""
        typer.echo(f"archiver: internal error: {type(e).__name__}: {one_line(first)} (run with -vv for the "
                   "traceback, and report it)", err=True)
        sys.exit(EXIT_PARTIAL)


if __name__ == "__main__":
    main()
