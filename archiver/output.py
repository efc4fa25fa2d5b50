"""Render rows (dicts) as table, json, jsonl or csv for stdout."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable, Sequence
from typing import Any

FORMATS = ("table", "json", "jsonl", "csv")


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
    return json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n"


def to_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def to_csv(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(fields)
    for r in rows:
        w.writerow([_cell(r.get(f)) for f in fields])
    return buf.getvalue()


def _clip(s: str, width: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: max(width - 1, 0)] + "…"


def to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, max_width: int | None = None) -> str:
    """A plain aligned table for people; long cells are clipped to fit the terminal."""
    if not rows:
        return ""
    total = max_width or shutil.get_terminal_size((160, 24)).columns
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(" ".join(row[i].split())) for row in cells)) for i, c in enumerate(columns)]
    # Shrink the widest columns until the table fits (never below 8 characters).
    budget = total - 2 * (len(columns) - 1)
    while sum(widths) > budget and max(widths) > 8:
        i = widths.index(max(widths))
        widths[i] -= 1
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(_clip(v, w).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
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
