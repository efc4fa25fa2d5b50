"""Render rows (dicts) as table, json, jsonl or csv for stdout.

Everything printed comes from pages the tool read, so none of it is trusted:

- table (and `show`): `terminal_safe` removes what a terminal would act on instead of print —
  escape sequences (colours, OSC window titles, hyperlinks), other C0/C1 controls and DEL — and the
  bidi controls that reorder what a reader sees (U+202A–U+202E, U+2066–U+2069); URLs in cells are
  shown without credentials or secret parameters (`redact_text`), as on stderr.
- json / jsonl: the data exactly as held; JSON already escapes C0 controls and ESC, and `dumps`
  also escapes DEL, C1 controls, the bidi controls and U+2028/U+2029 as \\u escapes (\\u007f), so printed JSON
  cannot steer a terminal yet parses back to the same strings.
- csv: the data exactly as held, except that `csv_safe` defuses cells a spreadsheet would run as a
  formula. CSV has no escapes: on a terminal (stdout a tty) the CLI prints it `terminal_safe`, as it
  prints any data on a terminal; piped or written to a file it is exact.
- log lines and messages on stderr: `terminal_safe` too (`TerminalSafeFormatter`).

`write_file` writes a document the user asked for with `-o` (a report, Datasette metadata) whole or
not at all.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import logging
import math
import os
import re
import shutil
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from .redact import redact_text

FORMATS = ("table", "json", "jsonl", "csv")

# Escape sequences, 7-bit (ESC ...) and 8-bit (C1) forms, removed whole so their parameters do not
# show up as stray text: CSI (ESC [ ... final byte), OSC / DCS / SOS / PM / APC strings (up to BEL
# or ST), then any other ESC with the character after it. An unterminated string loses only its
# introducer: what follows is then plain text, and a post is not cut short by one stray ESC.
_ESCAPES_RE = re.compile(
    r"(?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[\x20-\x7e]?"
)
# Line breaks in all their forms become "\n"; a lone CR would let later text overwrite the line.
_BREAKS_RE = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
# What is left to drop: C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings,
# overrides and isolates. LRM/RLM (U+200E/U+200F) and ALM (U+061C) are kept: they are ordinary
# marks of right-to-left writing, open no scope, and cannot reorder text beyond their neighbours.
_CONTROLS_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Any of the above, to let text without them through untouched.
_ANY_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters printed as \u escapes (\u007f) in JSON output (JSON itself escapes U+0000–U+001F).
_JSON_UNSAFE_RE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets:
# the OWASP "CSV injection" list (= + - @ tab CR), plus LF and NUL (ASVS), and the full-width
# forms of = + - @ that some spreadsheet locales turn into their ASCII twins.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def terminal_safe(text: str) -> str:
    """`text` without anything a terminal would interpret rather than print.

    Escape sequences go whole; line breaks (CR, CRLF, VT, FF, NEL, U+2028/U+2029) become "\\n";
    other C0 controls but tab, DEL, C1 controls and the bidi embeddings/overrides/isolates are
    dropped. Tab and newline are kept for the caller to fold (a table cell folds all whitespace).
    """
    if not _ANY_CONTROL_RE.search(text):
        return text  # the common case: nothing to do
    text = _ESCAPES_RE.sub("", text)
    text = _BREAKS_RE.sub("\n", text)
    return _CONTROLS_RE.sub("", text)


def one_line(text: str) -> str:
    """`terminal_safe` text with every run of whitespace (newlines included) folded to one space."""
    return " ".join(terminal_safe(text).split())


class TerminalSafeFormatter(logging.Formatter):
    """Log lines quote pages (URLs, titles, error text): what `inner` formats is made `terminal_safe`
    (newlines are kept, so a traceback at -vv keeps its shape), and every URL in it is named without
    its credentials or secret parameters (`redact_text`)."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(redact_text(self.inner.format(record)))


def printable(value: Any) -> Any:
    """`value` with every string in it (through dicts, lists and tuples) made `one_line`."""
    from .wellformed import each_string

    return each_string(value, one_line)


def _json_safe(dumped: str) -> str:
    # Only ever inside JSON strings (never part of the syntax), so an escape keeps the value exact.
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON text (UTF-8, not ASCII-escaped) that is also safe to print on a terminal."""
    return _json_safe(json.dumps(value, ensure_ascii=False, indent=indent))


def csv_safe(value: Any) -> str:
    """One CSV cell that a spreadsheet shows as text: a cell starting like a formula gets a leading `'`.

    Finite numbers (ints and floats: the tool's own counts and sizes) are written as they are, a
    negative one too: `str()` of such a number holds only digits, a sign, a point and an exponent,
    which a spreadsheet reads as a number, never as a formula, and a column of counts stays
    numeric. Every string is checked, a string holding "-5" included: text taken from a page
    cannot be told apart from a formula by its look, so the OWASP rule applies to it whole (as it
    does to "-inf", which a spreadsheet would take for a formula naming "inf").
    """
    if (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    cell = _cell(value)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _cell(value: Any) -> str:
    """A value as one CSV/table cell: lists joined by a single space, None empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(_cell(v) if not isinstance(v, dict) else json.dumps(v, ensure_ascii=False) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    return dumps(list(rows), indent=2) + "\n"


def to_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(dumps(r) + "\n" for r in rows)


def _crlf_quoted_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()[:-2] + "\n"


def to_csv(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    """A header line, then one line per row; every cell `csv_safe`, lines ended by "\n"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for r in rows:
        cells = [csv_safe(r.get(f)) for f in fields]
        if any("\r" in c for c in cells):
            # Python's writer quotes a cell only for the characters of its line terminator: with "\n"
            # a bare CR would go out unquoted and a reader would start a new row there (a row, and a
            # formula, of the page's choosing). Such a row is written with CRLF, then ended "\n".
            out.write(_crlf_quoted_line(cells))
        else:
            writer.writerow(cells)
    return out.getvalue()


# A cell holds at most this many code points a column it takes: a text of zero-width characters
# (100,000 U+200B) or of accents stacked on one letter takes a few columns and would print whole, a
# line of hundreds of kilobytes drawn over the rows around it.
_POINTS_PER_COLUMN = 4


def _clip(s: str, width: int) -> str:
    """`s` cut to `width` terminal columns (and `_POINTS_PER_COLUMN` code points a column), an
    ellipsis where the cut is: an address loses the middle of its path (its host and its last part
    say which page it is), other text its end."""
    if len(s) <= width * _POINTS_PER_COLUMN and cell_width(s) <= width:
        return s
    if width >= 12 and _is_address(s):
        host_end = s.find("/", s.find("://") + 3 if "://" in s else 0)
        head = _head(s, min(host_end if host_end > 0 else width // 2, (width - 1) * 3 // 5))
        return head + "…" + _tail(s, width - 1 - cell_width(head))
    return _head(s, max(width - 1, 0)) + "…"


def cell_width(s: str) -> int:
    """The terminal columns `s` takes: two for a wide character (CJK, most emoji), none for a
    combining mark or a zero-width format character (U+200B, U+200D, U+FEFF), one for the rest;
    an emoji joined to the emoji before it by U+200D, or a skin tone after one, draws nothing more
    (👨‍👩‍👧 is one picture; a joiner between letters of other scripts, Sinhala's or Malayalam's,
    changes no width), and U+FE0F makes the character before it an emoji, two columns (‼️)."""
    if s.isascii():
        return len(s)
    if "\u200d" not in s and "\ufe0f" not in s and not _TONES_RE.search(s):
        return sum(map(_char_width, s))
    return sum(_widths(s))


_TONES_RE = re.compile("[\U0001f3fb-\U0001f3ff]")  # the skin tone modifiers


def _widths(s: str) -> list[int]:
    """The columns each character of `s` adds (`cell_width`)."""
    out: list[int] = []
    emoji = joined = False  # the last character drawn was an emoji; a U+200D follows it
    for c in s:
        w = _char_width(c)
        if emoji and w == 2 and (joined or "\U0001f3fb" <= c <= "\U0001f3ff"):
            w = 0  # drawn into the emoji before it
        elif c == "\ufe0f" and out and out[-1] == 1:
            out[-1] = 2
            emoji = True
        elif w == 2:
            emoji = True
        elif w:
            emoji = False
        joined = c == "\u200d"
        out.append(w)
    return out


@lru_cache(maxsize=4096)
def _char_width(c: str) -> int:
    if unicodedata.category(c) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def _head(s: str, width: int) -> str:
    """The longest start of `s` that takes at most `width` columns (and `_POINTS_PER_COLUMN` code
    points a column)."""
    used = 0
    most = max(width, 1) * _POINTS_PER_COLUMN
    for i, w in enumerate(_widths(s[: most + 1])):
        used += w
        if used > width or i >= most:
            return s[:i]
    return s[: most]


def _tail(s: str, width: int) -> str:
    """The longest end of `s` that takes at most `width` columns (and `_POINTS_PER_COLUMN` code
    points a column)."""
    most = max(width, 1) * _POINTS_PER_COLUMN
    end = s[-(most + 8):]  # (a few more, for a joiner or a selector just before the cut)
    widths = _widths(end)
    used = 0
    kept = end[-most:]
    for back, w in enumerate(reversed(widths)):
        used += w
        if used > width or back >= most:
            kept = end[len(end) - back:]
            break
    while cell_width(kept) > width:  # (an emoji's joiner cut off: what it joined counts alone)
        kept = kept[1:]
    # A selector or a joiner first would make the ellipsis before it an emoji, or join it.
    return kept.lstrip("\ufe0f\u200d") if kept[:1] in ("\ufe0f", "\u200d") else kept


def _pad(s: str, width: int) -> str:
    return s + " " * (width - cell_width(s))


def _is_address(s: str) -> bool:
    return s.startswith(("https://", "http://", "file:/"))


_KEY = re.compile(r"[a-z][a-z0-9]{1,20}:h:[0-9a-f]{64}")


def keyed_when_unidentified(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows whose post has no ID yet show its key in the ID's place: the one thing of it that
    `show` can be given."""
    return [{**r, "post_id": r.get("key")} if not r.get("post_id") and r.get("key") else dict(r) for r in rows]


# Columns of text are narrowed to this before columns of addresses are narrowed at all.
_TEXT_FLOOR = 24


def to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, max_width: int | None = None) -> str:
    """A plain aligned table for people: cells made `terminal_safe` and folded onto one line, long
    ones clipped to fit the terminal, widths counted in terminal columns (`cell_width`)."""
    if not rows:
        return ""
    total = max_width or shutil.get_terminal_size((160, 24)).columns
    cells = [[one_line(redact_text(_cell(r.get(c)))) for c in columns] for r in rows]
    widths = [max(len(c), *(cell_width(row[i]) for row in cells)) for i, c in enumerate(columns)]
    # Shrink the widest columns until the table fits (never below 8 characters), columns of
    # addresses (every cell one) only once the others are down to `_TEXT_FLOOR`: an address cut
    # short no longer says which page it is.
    budget = total - 2 * (len(columns) - 1)
    addresses = [bool(rows) and all(not v or _is_address(v) for v in (row[i] for row in cells)) and
                 any(row[i] for row in cells) for i in range(len(columns))]
    # A column holding a post's hash key is never cut: the key, whole, is what `show` is given (the
    # table is then wider than the terminal rather than useless).
    whole = [any(_KEY.fullmatch(row[i]) for row in cells) for i in range(len(columns))]
    shrinkable = [w if not whole[i] else 0 for i, w in enumerate(widths)]
    while sum(widths) > budget and max(shrinkable) > 8:
        others = [w if not addresses[i] and not whole[i] and w > _TEXT_FLOOR else 0 for i, w in enumerate(widths)]
        i = others.index(max(others)) if max(others) else shrinkable.index(max(shrinkable))
        widths[i] -= 1
        shrinkable[i] -= 1
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(_pad(_clip(v, w), w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def render(rows: Sequence[dict[str, Any]], fmt: str, *, fields: Sequence[str],
           table_columns: Sequence[str] | None = None) -> str:
    if fmt == "json":
        return to_json(rows)
    if fmt == "jsonl":
        return to_jsonl(rows)
    if fmt == "csv":
        return to_csv(rows, fields)
    return to_table(rows, table_columns or fields)


def written_in_place(path: Path) -> bool:
    """Whether an output named `path` is written into as it is (`open_in_place`), never replaced by
    a file: a `special_file`, or a name of a descriptor (`/dev/stdout`, `/dev/fd/3`) whatever the
    descriptor was opened on (a shell's `>> log`: the log is appended to). A name of a descriptor
    the command was not started with is one too: it is refused when written (`open_in_place`),
    never followed to the file the process itself has open under that number (its index)."""
    return named_descriptor(path) is not None or special_file(path)


def special_file(path: Path) -> bool:
    """Whether `path`, its links followed, is a device, a pipe or a socket (`/dev/stdout` on a
    pipe, a FIFO): a name that resolves to no folder of its own."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


_OWN_FD = re.compile(r"/(?:dev/fd|proc/(?:self|thread-self|(\d+))/fd)/(\d+)")
_STREAMS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
# The descriptors the command was started with (`note_inherited`): the only ones a name such as
# /dev/fd/3 may be written into. Without that note, the standard three.
_inherited: frozenset[int] = frozenset({0, 1, 2})


def note_inherited() -> None:
    """Note the descriptors open now, as the command starts, before it opens any of its own: what a
    shell passed it (`3> out`) and no file of the archive."""
    global _inherited
    listed: list[int] = []
    for folder in ("/proc/self/fd", "/dev/fd"):  # (/dev/fd where there is no /proc: macOS, the BSDs)
        try:
            listed = [int(name) for name in os.listdir(folder)]
            break
        except (OSError, ValueError):
            continue
    else:
        listed = list(range(3, 256))  # neither: each asked in turn
    # (The listing's own descriptor is among them, and closed once it is read: open ones only.)
    _inherited = frozenset(fd for fd in listed if _is_open(fd)) | {0, 1, 2}


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def named_descriptor(path: Path) -> int | None:
    """The descriptor number `path` names, or leads to by its links (`/dev/stdout` ->
    `/proc/self/fd/1`), or None. Such a path, opened, is the file the descriptor was opened on
    opened again, from its start: `-o /dev/stdout >> log` would empty the log a shell's `>>` set
    up for appending. The descriptor itself is written into instead (`open_in_place`)."""
    name = os.path.abspath(path)
    for _ in range(8):  # a few links deep: /dev/stdout -> /proc/self/fd/1 -> the file
        if name in _STREAMS:
            return _STREAMS[name]
        found = _OWN_FD.fullmatch(name)
        if found is not None and (found.group(1) is None or found.group(1) == str(os.getpid())):
            return int(found.group(2))
        try:
            link = os.readlink(name)
        except (OSError, ValueError):
            return None
        name = os.path.normpath(os.path.join(os.path.dirname(name), link))
    return None


def unopened_descriptor(path: Path) -> str | None:
    """Why `path` cannot be written into, when it names a descriptor the command was not started
    with (`open_in_place` refuses it): said before any work, not after it; else None."""
    fd = named_descriptor(path)
    return None if fd is None or fd in _inherited else f"descriptor {fd} was not open when the command started"


def open_in_place(path: Path) -> BinaryIO:
    """`path` (`written_in_place`) opened to write into: a descriptor it names is written into where
    it stands (appending, if the shell opened it so), never emptied first; one the command was not
    started with is refused (EBADF), whatever the process has open under its number now."""
    fd = named_descriptor(path)
    if fd is None:
        return open(path, "wb")
    if (why := unopened_descriptor(path)) is not None:
        raise OSError(errno.EBADF, why)
    return os.fdopen(os.dup(fd), "wb")


def landing_problem(target: Path) -> str | None:
    """Why a file cannot be renamed into place at `target` (its folder does not exist or is a file;
    the file there is read-only, which a rename would replace, mode and all; a folder is there), or None."""
    if not target.parent.is_dir():
        return f"{target.parent} {'is a file, not a folder' if target.parent.exists() else 'does not exist'}"
    try:
        mode = target.stat().st_mode
    except OSError:
        return None  # nothing there yet (or nothing that can be looked at: the write names it)
    if stat.S_ISREG(mode) and not mode & 0o222:
        return f"{target} is read-only (make it writable to replace it)"
    if stat.S_ISDIR(mode):
        return f"{target} is a folder"
    return None


def landing(path: Path) -> Path:
    """Where a file renamed into place at `path` must land: a symbolic link's target (the link
    stays a link), else `path` itself."""
    try:
        return Path(os.path.realpath(path)) if path.is_symlink() else path
    except (OSError, ValueError):  # a name too long, a loop: the write that follows names it
        return path


def write_file(out: Path, text: str, what: str) -> Path:
    """Write `text` to `out` atomically (a temporary file beside it, then a rename); a path that
    cannot be written is a usage error naming `what` was being written. A symbolic link's target
    is written (the link stays); a device or a pipe is written into, never replaced."""
    from .errors import UsageError

    if not out.name or out.name in (".", ".."):
        raise UsageError(f"-o {str(out)!r}: name a file to write {what} to")
    if written_in_place(out):
        try:
            with open_in_place(out) as fh:
                write_all(fh, text.encode("utf-8"))
        except OSError as e:
            raise UsageError(f"-o {out}: cannot write {what} ({e.strerror or e}); choose a writable path") from None
        return out
    target = landing(out)
    if (why := landing_problem(target)) is not None:
        # As `export -o`: a mistyped folder is not made, a read-only file not replaced; each is named.
        raise UsageError(f"-o {out}: cannot write {what}: {why}; choose another path")
    from .interrupt import STOP

    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        STOP.check()  # a signal before the file is in place stops it (raised here if not yet)
        STOP.hold()  # once in place, the command is done: a signal after this is no interruption
        tmp.replace(target)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UsageError(f"-o {out}: cannot write {what} ({e.strerror or e}); choose a writable path") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # interrupted: nothing half-written is left beside it
        raise
    return out


def write_all(out: BinaryIO, data: bytes) -> None:
    """Write all of `data` to `out`, raw or buffered, however many calls it takes: with
    PYTHONUNBUFFERED (common in containers) stdout's binary layer is the raw file, whose `write`
    may take only part of what it is given (a pipe's buffer, a disk filling up), and the text
    layer above it drops the rest without a word."""
    view = memoryview(data)
    while view:
        n = out.write(view)
        if n is None:  # a non-blocking stream that took nothing
            raise BlockingIOError(errno.EAGAIN, "stdout would block")
        view = view[n:]
