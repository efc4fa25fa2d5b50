"""`archiver index migrate|copy`: bring an index's schema up to date, and move an index between
the archive's SQLite file and PostgreSQL (both ways). Registered on the main app by cli.py; the
shared helpers of cli.py are imported when a command runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .cli_options import ArchiveDirOpt, IndexOpt
from .cli_style import say

app = typer.Typer(name="index", help="Manage the index itself: migrate its schema, copy it to another database.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None)


@app.command()
def migrate(index: IndexOpt = None, archive_dir: ArchiveDirOpt = None) -> None:
    """Create the index or bring its schema to the current version (workers starting together migrate once).

    Example:

        archiver index migrate --index postgresql://archiver@db:5432/archiver
    """
    from .cli import EXIT_USAGE, _archive_dir, _call, _fail
    from .index.transfer import Location, migrate_index

    if index is not None and archive_dir is not None:
        _fail("give --index or --archive-dir, not both", EXIT_USAGE)
    where = Location(_archive_dir(archive_dir), index)
    name, before, version = _call(lambda: migrate_index(where))
    how = "already" if before == version else "created" if before == 0 else f"migrated from schema version {before}"
    say(f"index {name} at schema version {version} ({how})")


@app.command()
def copy(
    source: Annotated[str, typer.Option("--from", metavar="SRC",
                                        help="The index to copy: an archive folder, its archive.db, or a postgresql:// URL.")],
    destination: Annotated[str, typer.Option("--to", metavar="DST",
                                             help="Where to copy it: an archive folder, its archive.db, or a postgresql:// URL.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a destination that already holds an index.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="If a run holds the destination's lock, wait for it instead of exiting with code 3.")] = False,
) -> None:
    """Copy every row of an index (ids, keys, timestamps kept) into another, SQLite or PostgreSQL; the
    destination is written completely or not at all. Prints the rows copied per table (JSON).

    Example:

        archiver index copy --from archives --to postgresql://archiver@db:5432/archiver
    """
    from .cli import _call, _write
    from .index.transfer import copy_index, locate

    src, dst = _call(lambda: locate(source)), _call(lambda: locate(destination))
    counts = _call(lambda: copy_index(src, dst, force=force, wait=wait))
    _write(json.dumps(counts) + "\n")
    say(f"copied {sum(counts.values())} row(s) from {src.name} to {dst.name}")
    if src.url is None and dst.url is not None:
        from .layout import INDEX_NOTE

        say(f"{src.archive_dir} is now indexed there ({INDEX_NOTE}): give its commands --index with that URL; "
            f"`archiver index copy --from URL --to {src.archive_dir}` makes its own archive.db its index again")
