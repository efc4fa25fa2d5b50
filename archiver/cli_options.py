"""The command line's shared option types and choices (Typer annotations), kept apart from the commands."""

from __future__ import annotations

import math
import os
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.core import Context, Parameter, ParameterSource
from typer._click.exceptions import BadParameter
from typer._click.exceptions import UsageError as ClickUsageError
from typer._click.types import FloatRange, IntRange, ParamType

from .cli_style import _ClickStyleOption
from .evidence import DEFAULT_EXPORT_STAMP_DEADLINE as DEFAULT_EXPORT_STAMP_DEADLINE
from .evidence import DEFAULT_STAMP_DEADLINE as DEFAULT_STAMP_DEADLINE
from .limits import DEFAULT_CAPTURE_DEADLINE as DEFAULT_CAPTURE_DEADLINE
from .limits import DEFAULT_FETCH_DEADLINE as DEFAULT_FETCH_DEADLINE
from .limits import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES
from .limits import DEFAULT_MAX_CAPTURE_BYTES as DEFAULT_MAX_CAPTURE_BYTES
from .limits import DEFAULT_MAX_FEED_ARTICLES as DEFAULT_MAX_FEED_ARTICLES
from .limits import DEFAULT_MAX_POSTS as DEFAULT_MAX_POSTS


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


# -- how a bad value is named: by the option typed, or by the environment variable it came from --------


def given_as(ctx: Context | None, param: Parameter | None) -> str:
    """What a message calls where `param`'s value came from: its environment variable when it was
    read from one (ARCHIVER_FETCH_DEADLINE), else the option (--fetch-deadline)."""
    if param is None:
        return "value"
    if ctx is not None and param.name and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT:
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or [])
        for name in names:
            if os.environ.get(name) is not None:
                return name
    return max(param.opts, key=len) if param.opts else (param.name or "value")


def _refuse(message: str) -> ClickUsageError:
    """A usage error with this message as its whole line (the command's --help is pointed at after it)."""
    return ClickUsageError(message.rstrip("."))


# The longest wait, in seconds, that reaches the browser as a timeout in milliseconds (--timeout,
# --capture-deadline): the timers of Playwright's driver (Node.js) hold at most 2**31 - 1 ms, some
# 24.8 days; a longer one fires at once, and a launch "timed out" before Chromium could start.
LONGEST_BROWSER_WAIT = (2**31 - 1) // 1000


class _Bounded:
    """A number option's type: at least its minimum and finite (`nan` and `inf` read as floats, and
    pass a `>= 1` check: nan compares false, inf is not a number of seconds anyone meant), and at
    most `most` when it has one (`why_most` says why). A value from an environment variable is
    named by that variable, not by the option."""

    noun = "a number"
    min: Any
    most: float | None = None
    why_most = ""

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        try:
            number = super().convert(value, param, ctx)  # type: ignore[misc]
        except BadParameter:
            source = given_as(ctx, param)
            if source.startswith("-"):
                raise  # the command line's own wording: "--timeout 'abc': expected a number"
            try:
                float(value)
                problem = f"expected {self.noun}, {self.min} or more"
            except (TypeError, ValueError):
                problem = f"expected {self.noun}"
            raise _refuse(f"{source} {str(value)!r}: {problem}") from None
        if isinstance(number, float) and not math.isfinite(number):
            raise _refuse(f"{given_as(ctx, param)} {str(value)!r}: expected a finite number, {self.min} or more")
        if self.most is not None and number > self.most:
            raise _refuse(f"{given_as(ctx, param)} {str(value)!r}: expected {self.noun} from {self.min} to "
                          f"{self.most}{self.why_most}")
        return number


_ADDRESS_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def web_address_for_folder(name: str, value: str, hint: str) -> str | None:
    """The message refusing `value`, given as `name` where a folder is asked, when it is a web
    address (as a path, `https://x` is the folder `https:/x`: named so, it would be made or looked
    for); else None."""
    if not _ADDRESS_RE.match(value):
        return None
    from .sources import shown

    return f"{name} {shown(value, 200)} is a web address, not a folder; {hint}"


class FolderPath(ParamType):
    """A path naming a folder (or file) to work in: never empty. (An empty name would otherwise be
    read as the current folder, and an archive made there by a slip of the shell.)"""

    name = "path"

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        if isinstance(value, Path):
            return value
        if not str(value).strip():
            raise _refuse(f"{given_as(ctx, param)} '': give a folder (. for the current one)")
        hint = ("list addresses in a *.urls file inside the seeds folder" if param is not None
                and param.name == "seeds" else "give a folder on this machine")
        if (why := web_address_for_folder(given_as(ctx, param), str(value), hint)) is not None:
            raise _refuse(why)
        return Path(value)


class AtLeastFloat(_Bounded, FloatRange):
    """A finite float of at least `min` (seconds: --timeout, the deadlines), and at most `most`
    when given (`why_most`: the words saying why, after the number)."""

    def __init__(self, min: float, most: float | None = None, why_most: str = "") -> None:
        super().__init__(min=min)
        self.most, self.why_most = most, why_most

    def _describe_range(self) -> str:
        """The range as help and Click's own refusals show it: `1<=x<=2147483` with a `most`."""
        return super()._describe_range() if self.most is None else f"{self.min}<=x<={self.most}"


def browser_seconds() -> AtLeastFloat:
    """Seconds that reach the browser as a timeout: 1 to LONGEST_BROWSER_WAIT."""
    return AtLeastFloat(1, LONGEST_BROWSER_WAIT,
                        " (seconds, about 24.8 days: the longest timeout the browser's driver keeps)")


def deadline_seconds() -> AtLeastFloat:
    """Seconds a deadline of the tool's own allows (an HTTP fetch, a timestamp request): 1 to the same
    bound as a browser's timeout (a deadline of 1e308 s overflowed the clocks it is added to)."""
    return AtLeastFloat(1, LONGEST_BROWSER_WAIT, " (seconds, about 24.8 days)")


class AtLeastInt(_Bounded, IntRange):
    """An integer of at least `min` (bytes, counts)."""

    noun = "an integer"

    def __init__(self, min: int) -> None:
        super().__init__(min=min)


def _index_url_given(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """--index (or ARCHIVER_INDEX): a PostgreSQL URL, named in a refusal without its password and by
    where it came from."""
    if not value or ctx.resilient_parsing:
        return value
    from .index.postgres.url import is_postgres, redact
    from .sources import not_utf8

    if not_utf8(value):  # bytes typed in another encoding: no driver takes them (psycopg encodes to UTF-8)
        raise _refuse(f"{given_as(ctx, param)} holds bytes that are not UTF-8: give the PostgreSQL URL in UTF-8 "
                      "(percent-encode what is not ASCII)")
    if not is_postgres(value):  # (neither raises on what was typed, well formed or not)
        raise _refuse(f"{given_as(ctx, param)} {redact(value)}: not a PostgreSQL URL; give "
                      "postgresql://USER@HOST:PORT/DB, or leave --index out for the archive's own SQLite index")
    return value


def _network_option(check: str, variable: str, *, keep: bool = False) -> Any:
    """A callback checking a network option (or, when it is not given, its environment variable) as
    the command line is read: a bad value is refused whether or not the command then uses the network
    (scan reads local files without it). The network module is loaded only when there is a value.
    With `keep`, the command gets what the check returned instead of the value given."""

    def callback(ctx: typer.Context, value: Any) -> Any:
        if ctx.resilient_parsing or not (value or os.environ.get(variable, "").strip()):
            return value
        from . import net
        from .errors import UsageError

        try:
            checked = getattr(net, check)(value or None)
        except UsageError as e:
            raise _refuse(str(e)) from None
        return checked if keep else value

    return callback


class CaBundleFile(ParamType):
    """--ca-bundle: the PEM file of CA certificates, checked (net.ca_bundle_from) as the command line
    is read, from the name as typed; the command gets the checked path, which is not read again
    before it is used."""

    name = "file"

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> Any:
        if value is None or isinstance(value, Path):
            return value
        if not value:
            return None  # --ca-bundle '': as if not given (ARCHIVER_CA_BUNDLE may still name one)
        from . import net
        from .errors import UsageError

        try:
            return net.ca_bundle_from(str(value))
        except UsageError as e:
            raise _refuse(str(e)) from None


def timestamp_urls(ctx: typer.Context, param: typer.CallbackParam, value: list[str] | None) -> list[str] | None:
    """--timestamp (or ARCHIVER_TSA): http:// or https:// URLs with a host, refused by the name they
    came from and never with their password or token."""
    if ctx.resilient_parsing:
        return value
    from .evidence import usable_tsa_url
    from .redact import redact_endpoint
    from .sources import not_utf8

    for url in (u.strip() for u in value or () if u.strip()):
        if not_utf8(url):  # bytes typed in another encoding: neither sent nor stored
            raise _refuse(f"{given_as(ctx, param)} holds bytes that are not UTF-8: give the timestamp authority's "
                          "URL in UTF-8 (percent-encode what is not ASCII)")
        if not usable_tsa_url(url):
            raise _refuse(f"{given_as(ctx, param)} {redact_endpoint(url)!r}: give the timestamp authority's "
                          "http:// or https:// URL")
    return value


ArchiveDirOpt = Annotated[
    Path | None,
    typer.Option("--archive-dir", "-d", metavar="DIR", click_type=FolderPath(),
                 help="The archive (default: $ARCHIVER_HOME, else ./archives)."),
]

IndexOpt = Annotated[
    str | None,
    typer.Option("--index", envvar="ARCHIVER_INDEX", metavar="URL", show_default=False, callback=_index_url_given,
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
    typer.Option("--map-host", metavar="HOSTGLOB[:PORT]=ADDR:PORT", callback=_network_option("map_hosts_from", "ARCHIVER_MAP_HOST"),
                 help="Connect to ADDR:PORT for matching hosts, keeping the name for TLS and Host (like curl --connect-to). Repeatable. Env: ARCHIVER_MAP_HOST."),
]
CaBundleOpt = Annotated[
    Path | None,
    typer.Option("--ca-bundle", metavar="PEM", click_type=CaBundleFile(),
                 callback=_network_option("ca_bundle_from", "ARCHIVER_CA_BUNDLE", keep=True), help="Also trust the CA certificates in this PEM file (verification stays on). Env: ARCHIVER_CA_BUNDLE."),
]
ProxyOpt = Annotated[str | None, typer.Option("--proxy", metavar="URL", callback=_network_option("proxy_from", "ARCHIVER_PROXY"),
                                              help="Send traffic through this proxy. Env: ARCHIVER_PROXY.")]
AllowPrivateOpt = Annotated[bool, typer.Option(
    "--allow-private",
    help="Let pages lead the tool to loopback, private and link-local addresses (an intranet). Off by default: content "
         "that names such an address is refused. Env: ARCHIVER_ALLOW_PRIVATE=1.")]


# Limits that hold however a server behaves (docs/safety.md, "Limits"), taken alike by archive, run and
# worker: each writes `timeout: TimeoutOpt = DEFAULT_TIMEOUT`, and so on, with the defaults above and here.
DEFAULT_TIMEOUT = 30.0
TimeoutOpt = Annotated[float, typer.Option(
    "--timeout", click_type=browser_seconds(), metavar="SECONDS",
    help="Seconds allowed for each page load and request.")]
FetchDeadlineOpt = Annotated[float, typer.Option(
    "--fetch-deadline", click_type=deadline_seconds(), envvar="ARCHIVER_FETCH_DEADLINE", metavar="SECONDS",
    help="Give up on one HTTP fetch (hops, body, retries and waits included) after this long.")]
CaptureDeadlineOpt = Annotated[float, typer.Option(
    "--capture-deadline", click_type=browser_seconds(), envvar="ARCHIVER_CAPTURE_DEADLINE", metavar="SECONDS",
    help="Stop one browser capture (load, settle, screenshots) after this long, keeping what was complete.")]
MaxCaptureBytesOpt = Annotated[int, typer.Option(
    "--max-capture-bytes", click_type=AtLeastInt(1), envvar="ARCHIVER_MAX_CAPTURE_BYTES", metavar="BYTES",
    help="Record at most this many bytes of bodies in one browser capture; later bodies are skipped and named.")]
MaxPostsOpt = Annotated[int, typer.Option(
    "--max-posts", click_type=AtLeastInt(1), envvar="ARCHIVER_MAX_POSTS", metavar="N",
    help="Archive at most N posts of one article, the first in the page's order; the rest are named as left out "
         "(exit 1). Env: ARCHIVER_MAX_POSTS.")]
MaxBytesOpt = Annotated[int, typer.Option(
    "--max-bytes", min=1, help="Skip sources, and any body fetched or recorded, larger than this many bytes (cut off while reading).")]
# How many articles one feed adds (scan, archive, run): a whole-site sitemap lists every article a site has.
MaxFeedArticlesOpt = Annotated[int, typer.Option(
    "--max-feed-articles", click_type=AtLeastInt(1), envvar="ARCHIVER_MAX_FEED_ARTICLES", metavar="N",
    help="Take at most N articles from each feed (RSS, Atom, a sitemap, with the sitemaps a sitemap index lists), "
         "the newest where it dates them; what is left out is named on stderr. Env: ARCHIVER_MAX_FEED_ARTICLES.")]


# -- options a selection takes once -------------------------------------------------------------------

# The options that say what a command works on, each given once: the options of lookup, export and
# report that say what is selected (the filters, lookup's page of rows), which archive and index
# any command uses, a run's seeds and the age of the checks it makes again. Given twice, Click keeps
# the last one given, and `--date 2024-03-07 --date 2024-03-05` answered for the 5th alone,
# `run --seeds A --seeds B` read B alone, without a word.
SELECTING_COMMANDS = frozenset({"lookup", "export", "report"})
SELECTION_OPTIONS = frozenset({"handle", "date", "since", "until", "platform", "text", "status", "article",
                               "captured_since", "limit", "offset", "archive_dir", "index"})
ONCE_EVERYWHERE = frozenset({"archive_dir", "index"})
ONCE_BY_COMMAND = {**{name: SELECTION_OPTIONS for name in SELECTING_COMMANDS},
                   "run": frozenset({"seeds", "recheck_after"})}


class _GivenOnce(_ClickStyleOption):
    """An option whose repeat is refused: the command line's parser keeps every value given (its
    `append` action, as for a repeatable option), and a second one is a usage error naming the
    option. Told by the parser itself, not by reading the arguments again: `--text --date` is
    `--text` searching for the word "--date", which no second look at the words could tell."""

    def add_to_parser(self, parser: Any, ctx: Context) -> None:
        parser.add_option(obj=self, opts=self.opts, dest=self.name, action="append", nargs=self.nargs)

    def consume_value(self, ctx: Context, opts: Any) -> Any:
        given = opts.get(self.name)
        if isinstance(given, list):
            if len(given) > 1 and not ctx.resilient_parsing:
                times = "twice" if len(given) == 2 else f"{len(given)} times"
                raise _refuse(f"{max(self.opts, key=len)} given {times}: give it once")
            opts = {**opts, self.name: given[-1]}
        return super().consume_value(ctx, opts)


def take_selection_once(group: Any) -> Any:
    """`group` (the root command) with the options that say what its commands work on taken once
    each (`_GivenOnce`: `ONCE_EVERYWHERE`, `ONCE_BY_COMMAND`)."""
    for name, command in getattr(group, "commands", {}).items():
        if getattr(command, "commands", None):
            take_selection_once(command)  # (`index migrate`, `keys create`, `runs status`...)
        once = ONCE_EVERYWHERE | ONCE_BY_COMMAND.get(name, frozenset())
        for param in command.params:
            if (param.name in once and isinstance(param, _ClickStyleOption) and param.nargs == 1
                    and not param.multiple and not param.is_flag and not param.count):
                param.__class__ = _GivenOnce
    return group


# Selection filters shared by lookup, export and report.
HandleOpt = Annotated[str | None, typer.Option("--handle", help="Author handle, with or without @, any case.")]
DateOpt = Annotated[str | None, typer.Option("--date", help="Posted on this UTC day (YYYY-MM-DD).")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Posted at or after (YYYY-MM-DD or UTC datetime).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Posted at or before (a date includes the whole day).")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help="twitter, youtube, instagram, ...")]
TextOpt = Annotated[str | None, typer.Option(
    "--text", help='Words every post found holds in its text, author or handle (any case, accents ignored); '
                   '"a phrase", a prefix*, A OR B (upper case): --text \'"old bridge" OR levee*\'.')]
StatusOpt = Annotated[str | None, typer.Option("--status", help="live, deleted, unavailable, login_required, ..., or pending (not checked yet).")]
ArticleOpt = Annotated[str | None, typer.Option(
    "--article", help="Only posts this article cites or once cited (each citation it dropped dated: dropped_at): its URL (https:// may be left out) or the path of a file archived.")]
CapturedSinceOpt = Annotated[str | None, typer.Option("--captured-since", help="Captured at or after this date/datetime.")]


# How many pages one process captures at once in its browser (archive, run).
PagesInFlightOpt = Annotated[int | None, typer.Option(
    "--pages-in-flight", min=1, max=16, metavar="N",
    help="Pages captured at once in the one browser (each in a context of its own, recorded apart); the posts "
         "an article cites start as soon as it is read. Default: 3 in one process (`run --concurrency` "
         "above 1: one page at a time in each worker).")]


class ReportFormat(str, Enum):
    """`report --format`: the page for people, or the same report as data."""

    html = "html"
    json = "json"


# How long one request to a timestamp authority may take (archive, run, worker: each capture's;
# export: the bundle's), from the look-up of its name to the token's last byte.
TimestampDeadlineOpt = Annotated[float, typer.Option(
    "--timestamp-deadline", click_type=deadline_seconds(), envvar="ARCHIVER_TIMESTAMP_DEADLINE", metavar="SECONDS",
    help="Give up on one request to a timestamp authority (name look-up, connect, TLS, redirects, the answer) "
         "after this long. Env: ARCHIVER_TIMESTAMP_DEADLINE.")]

# The authorities that timestamp each capture's records as it is committed (archive, run).
CaptureTimestampOpt = Annotated[list[str] | None, typer.Option(
    "--timestamp", envvar="ARCHIVER_TSA", metavar="URL", show_default=False, callback=timestamp_urls,
    help="Timestamp each capture's records with this RFC 3161 authority (repeatable; env ARCHIVER_TSA, URLs "
         "separated by spaces). A capture it does not timestamp is kept, and named in the summary (exit 1).")]
