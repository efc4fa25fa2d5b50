"""Errors of the index's own (both backends), beside the tool's tree in `archiver.errors`."""

from __future__ import annotations

from archiver.errors import IndexError_


class IndexUnreadable(IndexError_):
    """Nothing can be read from the index: there is none where it was looked for, or its file is a
    folder, may not be read, is empty, or is not an archiver index (exit 2, as for every input that
    leaves nothing to read)."""

    exit_code = 2


class IndexUnwritable(IndexError_):
    """No index can be created where it was asked for: a file stands where its folder should be, or
    the folder may not be written to (exit 2: another place must be given)."""

    exit_code = 2
