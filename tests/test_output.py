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


def test_a_table_is_measured_in_terminal_columns() -> None:
    """CJK and emoji take two columns, zero-width characters none: a row of Japanese clipped by
    characters ran past the terminal and wrapped; a zero-width joiner shifted the next column."""
    from archiver.output import cell_width, to_table

    assert cell_width("地震 🌊a") == 8 and cell_width("a\u200bb\u200d\ufeff") == 2
    rows = [{"text": "地震速報：東京で震度５強 🌊 " + "長" * 500, "n": "1"},
            {"text": "plain\u200b\u200b\u200b text", "n": "2"},
            {"text": "https://例え.example/" + "パス/" * 40 + "end", "n": "3"}]
    for width in (150, 80, 31):
        lines = to_table(rows, ("text", "n"), max_width=width).splitlines()
        assert all(cell_width(line) <= width for line in lines), width
        # the second column starts at one place on every line
        starts = {cell_width(line[:line.rindex(" ") + 1]) for line in lines}
        assert len(starts) == 1, (width, lines)
    assert lines[3].endswith("end  3") or "…" in lines[3]


def test_a_cell_of_zero_width_characters_or_stacked_accents_is_clipped_too() -> None:
    """A text of 100,000 U+200B takes no column and printed whole as a 300 KB line; accents stacked
    on one letter drew over the rows around it. A cell holds a few code points a column at most."""
    from archiver.output import to_table

    rows = [{"text": "\u200b" * 100_000, "n": "1"}, {"text": "e" + "\u0301" * 50_000, "n": "2"},
            {"text": "ok", "n": "3"}]
    lines = to_table(rows, ("text", "n"), max_width=80).splitlines()
    assert len(lines) == 4 and all(len(line) <= 80 * 4 for line in lines), [len(line) for line in lines]
    assert "…" in lines[1] and lines[1].endswith(" 1") and "…" in lines[2] and lines[2].endswith(" 2")


def test_emoji_sequences_take_the_columns_terminals_draw() -> None:
    from archiver.output import cell_width, to_table

    family, bangs = "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u203c\ufe0f"
    toned = "\U0001f468\U0001f3fd\u200d\U0001f469\U0001f3fd\u200d\U0001f467\U0001f3fd"
    assert (cell_width(family), cell_width(toned), cell_width(bangs), cell_width(f"a{bangs}b")) == (2, 2, 2, 4)
    # A joiner between letters of other scripts changes no width (Sinhala's "shri", a Malayalam chillu).
    assert cell_width("\u0dc1\u0dca\u200d\u0dbb\u0dd3") == cell_width("\u0dc1\u0dca\u0dbb\u0dd3")
    assert cell_width("\u0d28\u0d4d\u200d ") == 2
    lines = to_table([{"author": f"River Truth Now {bangs}", "n": "1"}, {"author": family, "n": "2"},
                      {"author": "plain", "n": "3"}], ("author", "n"), max_width=80).splitlines()
    assert len({cell_width(line[:line.rindex(" ") + 1]) for line in lines}) == 1, lines


def test_a_narrow_table_keeps_each_address_s_host_and_last_part() -> None:
    """Addresses that share their start (one site's articles) stay told apart when the table is
    narrow: text columns give up their width first, and an address loses the middle of its path."""
    rows = [{"source": f"https://news.example/2024/03/04/{name}.html", "text": "Sandbags going up on Quay Street " * 3}
            for name in ("riverton-flood-levels-rise", "levee-rumours-denied-by-council")]
    lines = render(rows, "table", fields=("source", "text"), table_columns=("source", "text")).splitlines()
    assert "SOURCE" in lines[0]
    from archiver.output import to_table

    wide = to_table(rows, ("source", "text"), max_width=200)
    assert "https://news.example/2024/03/04/levee-rumours-denied-by-council.html" in wide

    narrow = to_table(rows, ("source", "text"), max_width=80).splitlines()
    assert all(len(line) <= 80 for line in narrow)
    assert narrow[1].startswith("https://news.example…") and "rise.html" in narrow[1]
    assert narrow[2].startswith("https://news.example…") and "council.html" in narrow[2]
    assert narrow[1].split()[0] != narrow[2].split()[0]
    tiny = to_table(rows, ("source", "text"), max_width=30).splitlines()
    assert all(len(line) <= 30 for line in tiny[1:])


def test_a_post_known_without_an_id_shows_its_whole_key_where_the_id_would_be() -> None:
    from archiver.output import keyed_when_unidentified, to_table

    key = "twitter:h:" + "2e3abd731f583c2c7ce778618c183f751a920b560c04e1b0a6a507eae929fa89"
    rows = [{"key": key, "post_id": None, "text": "Water levels are rising fast near the old bridge " * 3},
            {"key": "twitter:20", "post_id": "20", "text": "just setting up my twttr"}]
    shown = keyed_when_unidentified(rows)
    assert [r["post_id"] for r in shown] == [key, "20"] and rows[0]["post_id"] is None
    for width in (60, 100):
        lines = to_table(shown, ("post_id", "text"), max_width=width).splitlines()
        assert lines[1].split()[0] == key  # whole, however narrow the terminal: what `show` is given
    # The KEY column of a run's table, likewise.
    assert to_table(rows, ("key", "text"), max_width=60).splitlines()[1].split()[0] == key
