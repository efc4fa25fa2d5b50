"""The cluster's commands: `archiver worker` (and its `--check`); `run --broker` lives with `run`.

Registered on the main app by `register(app, cli)`; `cli` is the main command-line module, whose
helpers (error mapping, network options, limits) these commands share.
"""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from .cli_options import (
    DEFAULT_CAPTURE_DEADLINE,
    DEFAULT_FETCH_DEADLINE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CAPTURE_BYTES,
    DEFAULT_MAX_FEED_ARTICLES,
    DEFAULT_MAX_POSTS,
    DEFAULT_STAMP_DEADLINE,
    DEFAULT_TIMEOUT,
    AllowPrivateOpt,
    ArchiveDirOpt,
    AtLeastFloat,
    CaBundleOpt,
    CaptureDeadlineOpt,
    CaptureTimestampOpt,
    FetchDeadlineOpt,
    IndexOpt,
    MapHostOpt,
    MaxBytesOpt,
    MaxCaptureBytesOpt,
    MaxPostsOpt,
    OutFormat,
    ProxyOpt,
    TimeoutOpt,
    TimestampDeadlineOpt,
)
from .cli_style import say


class LogFormat(str, Enum):
    text = "text"
    json = "json"


BrokerOpt = Annotated[str, typer.Option(
    "--broker", envvar="ARCHIVER_BROKER", metavar="URL",
    help="The cluster's Redis broker, e.g. redis://HOST:6379/0. Env: ARCHIVER_BROKER.")]


def run_no_wait(cli: ModuleType, seeds: Path, archive_dir: Path, broker: str | None, after: object,
                wait: bool, index_url: str | None = None, max_feed_articles: int = DEFAULT_MAX_FEED_ARTICLES,
                max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """`run --broker --no-wait`: send the tasks, print the run's ID, exit."""
    from .cluster.detached import enqueue_run

    if broker is None:
        cli._fail("--no-wait needs --broker: without a cluster, the run is this process", 2)
        return
    url = broker
    run_id = cli._call(lambda: enqueue_run(seeds, archive_dir, url, recheck_after=after, wait=wait,
                                           index_url=index_url, max_feed_articles=max_feed_articles,
                                           max_bytes=max_bytes))
    cli._write(f"{run_id}\n")
    import shlex

    from .cli_style import index_words, url_words, with_notes
    from .redact import endpoint_secrets

    # The command as it can be run: this run's broker, index and folder (a URL holding a password
    # is left to the variable that stands for it: messages never print one).
    brokers, broker_note = url_words("--broker", url, "ARCHIVER_BROKER", secrets=endpoint_secrets(url))
    indexes, index_note = index_words(index_url)
    say(f"run {run_id} sent to the workers; `archiver runs status {run_id}{brokers}{indexes} --archive-dir "
        f"{shlex.quote(str(archive_dir))}`{with_notes(broker_note, index_note)} reports on it")
    raise typer.Exit(0)


def register(app: typer.Typer, cli: ModuleType) -> None:
    """Add the cluster's commands to `app`."""
    runs = typer.Typer(name="runs", help="Runs sent to a cluster without waiting.", no_args_is_help=True)
    app.add_typer(runs, name="runs")

    @runs.command("status")
    def runs_status(
        run_id: Annotated[int, typer.Argument(help="The id `run --no-wait` printed.")],
        broker: BrokerOpt,
        archive_dir: ArchiveDirOpt = None,
        index: IndexOpt = None,
        format: Annotated[OutFormat, typer.Option("--format", "-f", help="Output format.")] = OutFormat.table,
        abandon: Annotated[bool, typer.Option("--abandon", help="Close the run's row as abandoned if it is still "
                                              "open: one whose record the broker lost, or whose answers will not "
                                              "all come (what its workers captured stays in the index).")] = False,
    ) -> None:
        """Where a run sent with `run --broker --no-wait` stands: its progress, or its summary once done
        (written to its row then). Exit 0 while it runs; once done, the run's own exit code; 1 for a
        run closed as abandoned or failed.

        Example:

            archiver runs status 12 --broker redis://queue:6379/0 --index postgresql://archiver@db/archive \\
                --archive-dir /mnt/archive
        """
        from .cluster import require_shared_index
        from .cluster.detached import status
        from .output import dumps

        index_url = cli._index_url(index)
        broker = cli._broker_url(broker) or broker
        from .cluster.executor import check_broker_url

        cli._call(lambda: check_broker_url(broker))
        cli._call(lambda: require_shared_index(index_url))
        found = cli._call(lambda: status(run_id, cli._archive_dir(archive_dir), broker, index_url=index_url,
                                         abandon=abandon))
        if found.summary is not None:
            raise typer.Exit(cli._print_summary(found.summary, format))
        p = found.progress()
        if format is OutFormat.json:
            cli._write(dumps(p) + "\n")
        if found.state != "running":  # closed without a summary (abandoned, its sending failed): said, exit 1
            typer.echo(f"archiver: run {run_id} (sent {found.started_at}): {found.note}", err=True)
            raise typer.Exit(0 if found.state == "done" else 1)
        say(f"run {run_id}: running: {p['articles_answered']} of {p['articles']} article(s) and "
            f"{p['posts_answered']} of {p['posts']} post(s) answered" + (f" ({found.note})" if found.note else ""))
        raise typer.Exit(0)

    @app.command()
    def worker(
        broker: BrokerOpt,
        archive_dir: ArchiveDirOpt = None,
        index: IndexOpt = None,
        concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help="Worker processes, each with its own Chromium (plan on a few hundred MB each), one task at a time each.")] = 1,
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
        visibility_timeout: Annotated[float, typer.Option(
            "--visibility-timeout", click_type=AtLeastFloat(1), envvar="ARCHIVER_VISIBILITY_TIMEOUT", metavar="SECONDS",
            help="A task held by a worker that died is given to another after this long; must outlast "
                 "--capture-deadline.")] = 3600.0,
        check: Annotated[bool, typer.Option("--check", help="Check that the broker, the index and Chromium answer, print one line each, and exit (0: all answer, 1: not all).")] = False,
        log_format: Annotated[LogFormat, typer.Option("--log-format", help="text, or json: one JSON object a line on stderr, with one line per task handled (its id, outcome, seconds).")] = LogFormat.text,
        timestamp: CaptureTimestampOpt = None,
        timestamp_deadline: TimestampDeadlineOpt = DEFAULT_STAMP_DEADLINE,
    ) -> None:
        """Take capture tasks from the cluster's queue until stopped (SIGTERM: finish the tasks in hand).

        Example:

            archiver worker --broker redis://queue:6379/0 --index postgresql://archiver@db/archive \\
                --archive-dir /mnt/archive --concurrency 2

        Health check (for a probe or a systemd ExecStartPre):

            archiver worker --broker redis://queue:6379/0 --index postgresql://archiver@db/archive \\
                --archive-dir /mnt/archive --check
        """
        from .cluster import require_shared_index
        from .cluster.worker import WorkerSettings, run_worker
        from .errors import UsageError
        from .evidence.stamps import Authorities

        index_url = cli._index_url(index)
        broker = cli._broker_url(broker) or broker
        cli._call(lambda: require_shared_index(index_url))
        from .cluster.executor import check_broker_url

        cli._call(lambda: check_broker_url(broker))  # a typo is a usage error here as for `run --broker`
        if log_format is LogFormat.json:
            from .cluster.ops import use_json_logs

            use_json_logs()
        elif logging.getLogger("archiver").getEffectiveLevel() > logging.DEBUG:  # -vv keeps tracebacks
            from .cluster.ops import use_one_line_logs

            use_one_line_logs()
        if visibility_timeout <= capture_deadline:
            cli._fail(str(UsageError(
                f"--visibility-timeout {visibility_timeout:g} must be longer than --capture-deadline "
                f"{capture_deadline:g}: a task still being captured would be given to a second worker")), 2)
        settings = WorkerSettings(
            broker=broker, archive_dir=cli._archive_dir(archive_dir),
            net=cli._net(map_host, ca_bundle, proxy, allow_private), timeout=timeout,
            limits=cli._limits(fetch_deadline, capture_deadline, max_bytes, max_capture_bytes, max_posts),
            index_url=index_url, concurrency=concurrency, visibility_timeout=visibility_timeout,
            timestamps=cli._call(lambda: Authorities.of(timestamp, timestamp_deadline)))
        if check:
            from .cluster.ops import check as check_parts
            from .output import one_line

            parts = check_parts(settings)
            for part, problem in parts:
                cli._write(f"{part}: {'ok' if problem is None else 'failed'}\n")
                if problem is not None:
                    typer.echo(f"archiver: {part}: {one_line(problem)}", err=True)
            raise typer.Exit(0 if all(p is None for _, p in parts) else 1)
        raise typer.Exit(cli._call(lambda: run_worker(settings)))


__all__ = ["BrokerOpt", "Path", "register"]
