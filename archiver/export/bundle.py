"""`export_bundle`: the selected records as a WACZ or a single .warc.gz."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.errors import ExportError, UsageError
from archiver.export.leftovers import hold_open, part_pattern, part_prefix, remove_stale
from archiver.export.wacz import Seal, write_wacz
from archiver.export.warcfile import (
    CountingWriter,
    WarcResult,
    plan_records,
    write_export_warc,
)
from archiver.index.rows import PageRow, RecordRow
from archiver.interrupt import STOP
from archiver.modes import user_file_mode
from archiver.output import landing, landing_problem, open_in_place, written_in_place

log = logging.getLogger(__name__)

BUF = 1 << 20

DEFAULT_TITLE = "archiver export"


@dataclass
class ExportSummary:
    """What an export wrote."""

    path: Path
    format: str  # "wacz" or "warc.gz"
    records: int  # records copied from the archive (the export's own warcinfo not counted)
    originals_added: int  # revisit originals pulled in beyond the selection
    redacted: int  # records rewritten without credential headers
    pages: int
    bytes: int  # size of the file written
    missing_originals: list[str] = field(default_factory=list)  # revisit URLs whose original was not found
    left_out: list[str] = field(default_factory=list)  # missing WARC files, damaged records: one line each
    records_left_out: int = 0  # the records those lines stand for
    unsealed: list[str] = field(default_factory=list)  # authorities that did not timestamp the bundle

    def __str__(self) -> str:
        parts = [f"{self.records} records"]
        if self.originals_added:
            parts.append(f"{self.originals_added} revisit originals added")
        if self.redacted:
            parts.append(f"{self.redacted} rewritten without credentials")
        if self.format == "wacz":
            parts.append(f"{self.pages} pages")
        parts.append(f"{self.bytes} bytes")
        text = ", ".join(parts)
        if self.missing_originals:
            text += f"; {len(self.missing_originals)} revisits without their original (will not replay)"
        if self.records_left_out:
            text += f"; {self.records_left_out} record(s) left out (named above)"
        if self.unsealed:
            text += f"; {len(self.unsealed)} timestamp(s) not had (named above)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "format": self.format, "records": self.records,
            "originals_added": self.originals_added, "redacted": self.redacted, "pages": self.pages,
            "bytes": self.bytes, "missing_originals": self.missing_originals, "left_out": self.left_out,
            "records_left_out": self.records_left_out, "unsealed": self.unsealed,
        }


def bundle_format(out: Path, fmt: str | None = None) -> str:
    """'wacz' or 'warc.gz': from the output's name; for a name that tells nothing (`/dev/stdout`, a
    pipe, a link to a file named otherwise), from `fmt` (`--format`), a device or pipe defaulting to
    'wacz' as `-o -` does. A regular file named otherwise is a usage error."""
    # The name given decides; through a link or a device's name (`/dev/stdout` redirected to a
    # file), the target's name, unless --format says what to write there.
    for name in (out.name,) if fmt is not None else (out.name, landing(out).name):
        lowered = name.lower()
        if lowered.endswith(".wacz"):
            return "wacz"
        if lowered.endswith(".warc.gz"):
            return "warc.gz"
    if out.is_dir():
        raise UsageError(f"{out} is a folder: name the bundle to write in it, e.g. {out / 'archive.wacz'}")
    if written_in_place(out) or out.is_symlink():
        if fmt is not None:
            return fmt
        if written_in_place(out):
            return "wacz"
    raise UsageError(f"cannot tell the bundle format from {out.name!r}: name the output *.wacz or *.warc.gz")


def export_bundle(archive_dir: Path, records: Sequence[RecordRow], pages: Sequence[PageRow],
                  out: Path, *, include_credentials: bool = False, title: str | None = None,
                  allow_damaged: bool = False, extra_files: dict[str, bytes] | None = None,
                  seal: Seal | None = None, fmt: str | None = None) -> ExportSummary:
    """Write `records` (plus the originals their revisits need) to `out`, atomically.

    `out` ending in .wacz gives WACZ 1.1.1, ending in .warc.gz one WARC file. Nothing appears at
    `out` unless the whole bundle was written. A WACZ also holds `extra_files` (path: bytes, listed in
    its datapackage.json), and `seal` adds its signature and timestamps to its digest.
    """
    fmt = bundle_format(out, fmt)
    if (seal is not None or extra_files) and fmt != "wacz":
        raise UsageError("--sign and --timestamp seal a WACZ's digest: name the output *.wacz")
    if not records:
        raise ExportError("nothing matched: no archived record fits the selection; try `archiver lookup` "
                          "with the same filters")
    out = Path(out)
    in_place = written_in_place(out)  # a device, a pipe, stdout: the bundle is made aside, then written into it
    target = out if in_place else landing(out)  # a symbolic link's target is replaced, the link kept
    if not in_place and (why := landing_problem(target)) is not None:
        raise ExportError(f"cannot write {out}: {why}; choose another path")
    plan = plan_records(Path(archive_dir), list(records), allow_damaged=allow_damaged)
    if not plan.locations:
        raise ExportError("nothing left to export: " + "; ".join(plan.left_out))
    title = title or DEFAULT_TITLE
    folder = Path(tempfile.gettempdir()) if in_place else target.parent
    # What an export to the same place left when it was killed (a full-size hidden file), unless
    # a live export is writing it.
    remove_stale(folder, part_pattern(out.name))
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=part_prefix(out.name), suffix=".part")
    except OSError as e:  # a folder that takes no files, a name too long with the temporary suffix
        raise ExportError(f"cannot write {out}: {e.strerror or e}; choose a writable path for -o") from None
    tmp = Path(tmp_name)
    try:
        held = hold_open(fd)  # tells a later export that this file is being written
    except OSError:
        held = None  # a file system without locks: the PID in its name still says so
    try:
        result: WarcResult
        if fmt == "wacz":
            os.close(fd)
            result = write_wacz(tmp, Path(archive_dir), plan, pages, title=title,
                                include_credentials=include_credentials, extra_files=extra_files, seal=seal)
        else:
            with os.fdopen(fd, "wb") as fh:
                result = write_export_warc(CountingWriter(fh), Path(archive_dir), plan, filename=out.name,
                                           title=title, include_credentials=include_credentials,
                                           name_left_out=True)
        size = tmp.stat().st_size
        if in_place:
            with tmp.open("rb") as src, open_in_place(out) as dst:
                shutil.copyfileobj(src, dst, BUF)
        else:
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
                # mkstemp made it 0600; the export is the user's file like any other: 0666 & ~umask
                os.fchmod(fh.fileno(), user_file_mode())
            STOP.check()  # a signal before the bundle is in place stops it (raised here if not yet)
            STOP.hold()  # once in place, the export is done: a signal after this is no interruption
            os.replace(tmp, target)
    except OSError as e:
        raise ExportError(f"cannot write {out}: {e.strerror or e}") from e
    finally:
        tmp.unlink(missing_ok=True)
        if held is not None:
            os.close(held)
    log.info("exported %d records (%d revisit originals added, %d redacted) to %s", result.records,
             plan.originals_added, result.redacted, out)
    return ExportSummary(path=out, format=fmt, records=result.records, originals_added=plan.originals_added,
                         redacted=result.redacted, pages=result.pages if fmt == "wacz" else 0,
                         bytes=size, missing_originals=plan.missing_originals, left_out=plan.left_out,
                         records_left_out=plan.records_left_out)
