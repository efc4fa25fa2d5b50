"""What the tool prints cannot be steered by the pages it read: CSV cells never start a formula,
tables and `show` carry no escape sequence, control or bidi override, JSON stays exact yet inert.

The end-to-end tests run the real CLI against a real SQLite index written through `Index`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.index.sqlite.index import SQLiteIndex as Index
from archiver.models import Post
from archiver.output import FORMULA_STARTS, csv_safe, dumps, one_line, render, terminal_safe

ROOT = Path(__file__).resolve().parents[1]

FORMULA = "=cmd|' /C calc'!A0"
OSC_TITLE = "\x1b]0;owned\x07"
RLO = "\u202e"
HOSTILE = f"{OSC_TITLE}Flood warning {RLO}txt.exe\x1b[31m red\x1b[0m\rFAKE LINE\x9b2J end"
BIDI_CONTROLS = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def _forbidden(text: str) -> set[str]:
    """Characters a terminal would act on: C0 but tab/newline, DEL, C1, bidi controls."""
    return {ch for ch in text if (ord(ch) < 0x20 and ch not in "\t\n") or 0x7F <= ord(ch) <= 0x9F
            or ch in BIDI_CONTROLS}


# -- csv_safe --------------------------------------------------------------------------------------

@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_is_prefixed(start: str) -> None:
    assert csv_safe(start + "1+1") == "'" + start + "1+1"


def test_owasp_payloads() -> None:
    assert csv_safe(FORMULA) == "'" + FORMULA
    assert csv_safe('@SUM(1+1)*cmd|" /C calc"!A0') == '\'@SUM(1+1)*cmd|" /C calc"!A0'
    assert csv_safe("+HYPERLINK(\"http://evil.example\")").startswith("'+")
    assert csv_safe(["=a", "b"]) == "'=a b"  # a list is one cell: its joined text is checked


def test_a_carriage_return_cannot_start_a_row_of_its_own() -> None:
    out = render([{"a": "note\r=cmd|' /C calc'!A0", "b": "x"}], "csv", fields=("a", "b"))
    assert out.endswith("\n") and not out.endswith("\r\n")
    assert list(csv.reader(io.StringIO(out, newline=""))) == [["a", "b"], ["note\r=cmd|' /C calc'!A0", "x"]]


def test_numbers_stay_numbers_and_numeric_looking_text_does_not() -> None:
    assert csv_safe(-3) == "-3" and csv_safe(-2.5) == "-2.5" and csv_safe(0) == "0"
    assert csv_safe("-3") == "'-3"  # text from a page, even when it looks like a number
    assert csv_safe(None) == "" and csv_safe(True) == "True"
    assert csv_safe(float("-inf")) == "'-inf" and csv_safe(-1e-7) == "-1e-07"
    assert csv_safe("plain text") == "plain text" and csv_safe("x=1") == "x=1"


@given(st.text())
def test_csv_safe_never_starts_a_formula_and_keeps_the_text(text: str) -> None:
    cell = csv_safe(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (text, "'" + text)


@given(st.lists(st.dictionaries(st.sampled_from(["a", "b"]), st.text() | st.integers() | st.none())))
def test_csv_output_round_trips_apart_from_the_prefix(rows: list[dict[str, object]]) -> None:
    parsed = list(csv.reader(io.StringIO(render(rows, "csv", fields=("a", "b")), newline="")))
    assert parsed[0] == ["a", "b"]
    for row, cells in zip(rows, parsed[1:], strict=True):
        for field, cell in zip(("a", "b"), cells, strict=True):
            value = row.get(field)
            assert isinstance(value, int) or not cell.startswith(FORMULA_STARTS)
            assert cell == csv_safe(value) == (str(value) if isinstance(value, int) else cell)


# -- terminal_safe / one_line ---------------------------------------------------------------------

def test_escape_sequences_go_whole() -> None:
    assert terminal_safe(f"a{OSC_TITLE}b") == "ab"
    assert terminal_safe("\x1b[1;31mred\x1b[0m") == "red"
    assert terminal_safe("\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\") == "click"
    assert terminal_safe("\x9b2Jx\x9d0;title\x9cy") == "xy"  # the 8-bit (C1) forms
    assert terminal_safe("\x1bPq#0;data\x1b\\z") == "z"  # DCS (sixel)
    assert terminal_safe("keep \x1b]unterminated tail") == "keep unterminated tail"


def test_controls_and_bidi_overrides_go_marks_stay() -> None:
    assert terminal_safe(f"a{RLO}b\u2066c\u2069d\u202ae") == "abcde"
    assert terminal_safe("a\x00b\x07c\x7fd\x85e") == "abc" + "d\ne"
    assert terminal_safe("שלום\u200f!") == "שלום\u200f!"  # RLM is ordinary right-to-left writing
    assert terminal_safe("one\rtwo\r\nthree\ttab") == "one\ntwo\nthree\ttab"


def test_one_line_folds_every_break() -> None:
    assert one_line("fake\rstatus  deleted\u2028x\ny") == "fake status deleted x y"


@given(st.text())
def test_terminal_safe_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    clean = terminal_safe(text)
    assert not _forbidden(clean) and "\x1b" not in clean and "\r" not in clean
    assert terminal_safe(clean) == clean
    assert not _forbidden(one_line(text)) and "\n" not in one_line(text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs"))))
def test_ordinary_text_is_untouched(text: str) -> None:
    assert terminal_safe(text) == text


# -- JSON -----------------------------------------------------------------------------------------

@given(st.recursive(st.none() | st.text() | st.integers(),
                    lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids), max_leaves=8))
def test_json_is_exact_and_inert(value: object) -> None:
    text = dumps(value)
    assert json.loads(text) == value
    assert not _forbidden(text.replace("\n", "")) and not {"\u2028", "\u2029"} & set(text)


def test_tables_are_clean() -> None:
    table = render([{"text": HOSTILE, "n": 1}], "table", fields=("text", "n"))
    assert not _forbidden(table.replace("\n", "")) and table.count("\n") == 2


# -- through the CLI, on a real index ----------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, cwd=ROOT,
                          timeout=120)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    with Index(root) as index:
        article = index.upsert_article("https://news.example/story.html", title=f"Story{OSC_TITLE}")
        for pid, text in (("1764640000000000101", FORMULA), ("1764640000000000102", HOSTILE)):
            key = index.upsert_post(Post(platform="twitter", kind="embedded", source="test", evidence="test",
                                         post_id=pid, handle="evil", author=f"Evil{RLO}", text=text,
                                         posted_at="2024-03-04T10:00:00Z"))
            index.cite(article, key, "embedded", "blockquote.twitter-tweet")
            index.observe(key, "live")
    return root


def test_lookup_csv_neutralises_formulas(archive: Path) -> None:
    r = _cli("lookup", "--archive-dir", str(archive), "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode("utf-8"), newline="")))
    by_id = {row["post_id"]: row for row in rows}
    assert by_id["1764640000000000101"]["text"] == "'" + FORMULA
    assert all(not cell.startswith(FORMULA_STARTS) for row in rows for cell in row.values())


def test_scan_csv_neutralises_formulas(tmp_path: Path) -> None:
    page = tmp_path / "article.html"
    page.write_text(f'<html><body><blockquote class="twitter-tweet"><p lang="en">{FORMULA}</p>&mdash; Evil '
                    '(@evil) <a href="https://twitter.com/evil/status/1764640000000000101">March 4, 2024</a>'
                    "</blockquote></body></html>", encoding="utf-8")
    r = _cli("scan", str(page), "--format", "csv")
    assert r.returncode == 0, r.stderr
    (row,) = csv.DictReader(io.StringIO(r.stdout.decode("utf-8"), newline=""))
    assert row["text"] == "'" + FORMULA


@pytest.mark.parametrize("args", [("show", "twitter:1764640000000000102"), ("lookup",)])
def test_terminal_output_prints_no_escape_or_override(archive: Path, args: tuple[str, ...]) -> None:
    r = _cli(*args, "--archive-dir", str(archive))
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode("utf-8")
    assert "\x1b" not in out and "\x07" not in out and RLO not in out and "\r" not in out
    assert not _forbidden(out.replace("\n", ""))
    assert "Flood warning" in out and "owned" not in out
    if args[0] == "show":
        # the CR in the text could not forge a line of its own
        assert not any(line.startswith("FAKE LINE") for line in out.splitlines())
        assert "Evil" in out and "Story" not in out  # (titles are not shown; the article URL is)


def test_show_json_is_the_exact_data(archive: Path) -> None:
    r = _cli("show", "twitter:1764640000000000102", "--archive-dir", str(archive), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["text"] == HOSTILE
    assert not _forbidden(r.stdout.decode("utf-8").replace("\n", ""))


def test_unicode_categories_used_are_what_the_docstring_says() -> None:
    # the bidi controls stripped are exactly the embeddings, overrides and isolates (class Cf)
    assert {unicodedata.bidirectional(ch) for ch in BIDI_CONTROLS} == {"LRE", "RLE", "PDF", "LRO", "RLO",
                                                                        "LRI", "RLI", "FSI", "PDI"}


def test_stderr_messages_carry_no_escape(tmp_path: Path) -> None:
    missing = tmp_path / f"gone{OSC_TITLE}{RLO}.html"
    r = _cli("scan", str(missing))
    assert r.returncode == 2
    err = r.stderr.decode("utf-8")
    assert "gone" in err and "\x1b" not in err and "\x07" not in err and RLO not in err


def test_log_lines_are_terminal_safe() -> None:
    import logging

    from archiver.output import TerminalSafeFormatter

    record = logging.LogRecord("archiver", logging.WARNING, __file__, 1, "page %s: %s", (f"t{OSC_TITLE}", "x\ry"),
                               None)
    line = TerminalSafeFormatter(logging.Formatter("archiver: %(message)s")).format(record)
    assert line == "archiver: page t: x\ny"


def test_a_hint_quoting_a_held_handle_reaches_the_terminal_as_text(tmp_path: Path) -> None:
    # A Mastodon handle is what the instance's API said it is: `lookup --handle alice` names the
    # held `alice@server` handles on stderr, where its escapes and bidi overrides must not act.
    root = tmp_path / "archive"
    with Index(root) as index:
        article = index.upsert_article("https://news.example/m.html", title="T")
        key = index.upsert_post(Post(platform="mastodon", kind="embedded", source="t", evidence="e", post_id="111",
                                     handle=f"alice@mastodon.example{OSC_TITLE}{RLO}", text="hi"))
        index.cite(article, key, "embedded", "iframe")
        index.observe(key, "live")
    r = _cli("lookup", "--archive-dir", str(root), "--handle", "alice")
    err = r.stderr.decode("utf-8")
    assert "alice@mastodon.example" in err and not _forbidden(err.replace("\n", "")), err


@pytest.mark.parametrize("args", [("lookup", "--format", "csv"), ("report", "-o", "-")], ids=" ".join)
def test_data_printed_on_a_terminal_cannot_steer_it(archive: Path, args: tuple[str, ...]) -> None:
    """csv holds the text as it was: on a terminal its escape sequences ran (an OSC title, colours,
    a carriage return overwriting a line). On a terminal they are printed inert; piped, the data
    stays exact (test_lookup_csv_neutralises_formulas). A report's HTML cleans its text itself."""
    import pty

    master, slave = pty.openpty()  # a terminal of the test's own
    try:
        proc = subprocess.Popen([sys.executable, "-m", "archiver.cli", *args, "--archive-dir", str(archive)],
                                stdout=slave, stderr=subprocess.PIPE, cwd=ROOT)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal's other end closed: all was read
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        os.close(master)
    text = out.decode("utf-8").replace("\r\n", "\n")  # (the terminal turns each \n into \r\n)
    assert "Flood warning" in text
    assert "\x1b" not in text and "\x07" not in text and RLO not in text and "\r" not in text
