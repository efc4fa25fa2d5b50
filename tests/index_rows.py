"""The index's typed answers as the dicts `lookup --format json` and `show --format json` print; records as
the typed rows export and verify read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archiver.index.filters import LOOKUP_FIELDS, Filters
from archiver.index.rows import RecordRow
from archiver.index.sqlite.index import SQLiteIndex

__all__ = ["LOOKUP_FIELDS", "Filters", "lookup", "records_for", "show"]


def lookup(index: SQLiteIndex, filters: Filters) -> list[dict[str, Any]]:
    return [row.to_dict() for row in index.lookup(filters)]


def show(index: SQLiteIndex, ident: str) -> dict[str, Any] | None:
    row = index.show(ident)
    return row.to_dict() if row is not None else None


def records_for(index: SQLiteIndex, post_keys: Sequence[str], include_articles: bool = True) -> list[RecordRow]:
    return index.records_for(post_keys, include_articles)
