"""`archiver datasette-metadata`: the metadata that makes Datasette open an archive on its views,
facets and canned queries. Registered on the main app by `register(app, cli)`; `cli` is the main
command-line module, whose helpers (error mapping, output) the command shares."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from .cli_options import ArchiveDirOpt
from .cli_style import say


class MetadataFormat(str, Enum):
    yaml = "yaml"
    json = "json"


def register(app: typer.Typer, cli: ModuleType) -> None:
    """Add `datasette-metadata` to `app`."""

    @app.command("datasette-metadata")
    def datasette_metadata(
        archive_dir: ArchiveDirOpt = None,
        out: Annotated[Path | None, typer.Option(
            "--output", "-o", metavar="FILE",
            help="Write the metadata to FILE (e.g. metadata.yml) instead of printing it (- prints it).")] = None,
        database: Annotated[str | None, typer.Option(
            "--database", metavar="NAME",
            help="The name Datasette gives the index: its file name without .db (default: archive, for "
                 "archive.db; give it when serving a renamed copy).", show_default=False)] = None,
        format: Annotated[MetadataFormat | None, typer.Option(
            "--format", "-f", help="yaml or json (default: json for a FILE ending in .json, else yaml).",
            show_default=False)] = None,
    ) -> None:
        """Print Datasette metadata for the archive's index: titles, descriptions, facets (platform,
        status, handle) and the canned queries disappeared, citing_handle, recent_checks and
        posts_with_words, with the views and queries linked first on the database's page.

        Example:

            archiver datasette-metadata --archive-dir archives -o metadata.yml

            datasette archives/archive.db --metadata metadata.yml
        """
        from .cli_export import outside_archive
        from .datasette_meta import format_for, metadata, render
        from .layout import DB_NAME
        from .output import write_file

        d = cli._archive_dir(archive_dir)
        if out == Path("-"):
            out = None  # standard output, as without -o
        if out is not None:
            written = out
            cli._call(lambda: outside_archive(d, written))
        fmt = cli._call(lambda: format_for(out, format.value if format else None))
        from .index import require_own_index

        # Datasette reads SQLite alone: an index in PostgreSQL is served from a copy.
        cli._call(lambda: require_own_index(d, give="Datasette reads an archive.db: copy the index into one in "
                                                    "another folder (`archiver index copy --from {url} --to DIR`) "
                                                    "and make the metadata there"))
        with cli._open_index(d):  # it exists, at the current schema: the views the metadata links are there
            pass
        text = render(cli._call(lambda: metadata(database)), fmt)
        if out is None:
            cli._write(text)
            return
        cli._call(lambda: write_file(out, text, "the metadata"))
        cli._wrote(out)
        say(f"wrote {out}; serve the archive with: datasette {d / DB_NAME} --metadata {out}")
