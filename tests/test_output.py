"""Output formats: csv joins lists with one space, json/jsonl are parseable, tables fit."""

from __future__ import annotations

import csv
import io
import json

from archiver.output import render

ROWS = [
    {"key": "twitter:1", "links": ["https://t.co/a", "pic.twitter.com/b"], "text": "Hello,\nworld", "n": None},
    {"key": "youtube:abc", "links": [], "text": "x" * 500, "n": 3},
]
FIELDS = ("key", "links", "text", "n")


def test_csv_has_header_and_space_joined_lists() -> None:
    out = list(csv.reader(io.StringIO(render(ROWS, "csv", fields=FIELDS))))
    assert out[0] == list(FIELDS)
    assert out[1] == ["twitter:1", "https://t.co/a pic.twitter.com/b", "Hello,\nworld", ""]
    assert out[2][3] == "3"


def test_json_and_jsonl_round_trip() -> None:
    assert json.loads(render(ROWS, "json", fields=FIELDS)) == ROWS
    lines = render(ROWS, "jsonl", fields=FIELDS).splitlines()
    assert [json.loads(line) for line in lines] == ROWS


def test_table_clips_long_cells_to_the_width() -> None:
    table = render(ROWS, "table", fields=FIELDS)
    lines = table.splitlines()
    assert lines[0].startswith("KEY")
    assert all(len(line) <= 160 for line in lines)
    assert "…" in lines[2]
