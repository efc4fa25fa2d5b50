"""The syndication token: known vectors, then a cross-check against real V8 in Chromium."""

from __future__ import annotations

import math
import os
import random
import struct
from pathlib import Path

import pytest

from archiver.platforms.twitter.token import syndication_token, v8_radix_string

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.parametrize(
    ("post_id", "token"),
    [
        (20, "6dq1a2xwd93"),
        ("20", "6dq1a2xwd93"),
        (1629307668568633344, "3y6mctgwzxo"),
        ("1629307668568633344", "3y6mctgwzxo"),
    ],
)
def test_known_vectors(post_id: str | int, token: str) -> None:
    assert syndication_token(post_id) == token


@pytest.mark.parametrize(
    ("value", "radix", "expected"),
    [
        # Values whose JavaScript output is fixed by the language and easy to check by hand.
        (255.0, 16, "ff"),
        (-255.0, 2, "-11111111"),
        (0.5, 2, "0.1"),
        (0.5, 36, "0.i"),
        (35.0, 36, "z"),
        (36.0, 36, "10"),
        (0.0, 36, "0"),
        (-0.0, 36, "0"),
        (math.nan, 36, "NaN"),
        (math.inf, 36, "Infinity"),
        (-math.inf, 16, "-Infinity"),
        # 2**60 in base 16: exact, and above 2**53 so the zero-padding branch runs.
        (float(2**60), 16, "1" + "0" * 15),
        (float(2**53 + 2), 2, "1" + "0" * 51 + "10"),
    ],
)
def test_radix_string_fixed_cases(value: float, radix: int, expected: str) -> None:
    assert v8_radix_string(value, radix) == expected


def test_token_intermediate_strings() -> None:
    # The radix-36 strings before zeros and the point are stripped (values printed by node 20).
    assert v8_radix_string((20 / 1e15) * math.pi, 36) == "0.000000006dq1a2xwd93"
    assert v8_radix_string((1629307668568633344 / 1e15) * math.pi, 36) == "3y6.mctgwzxo"


def test_radix_10_and_out_of_range_rejected() -> None:
    for radix in (1, 10, 37):
        with pytest.raises(ValueError):
            v8_radix_string(1.5, radix)


def _cases() -> tuple[list[tuple[float, int]], list[str]]:
    rnd = random.Random(20240304)
    values: list[tuple[float, int]] = []
    while len(values) < 400:
        kind = rnd.random()
        if kind < 0.3:  # any bit pattern: denormals, huge, tiny
            v = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
            if not math.isfinite(v):
                continue
        elif kind < 0.6:
            v = rnd.uniform(-1e6, 1e6)
        elif kind < 0.8:
            v = rnd.random() * 10 ** rnd.randint(-30, 30)
        else:
            v = float(rnd.randint(0, 2**64))
        values.append((v, rnd.choice([2, 3, 7, 8, 16, 32, 35, 36])))
    ids = [str(rnd.randint(1, 2**63)) for _ in range(300)]
    ids += [str(i) for i in range(1, 40)]
    ids += [str(2**53 + i) for i in range(-3, 4)]
    ids += ["20", "1629307668568633344", "1146359923158089728", "29700859247", "9223372036854775807"]
    return values, ids


def _launch(p):  # type: ignore[no-untyped-def]
    if Path(CHROMIUM).exists():
        return p.chromium.launch(executable_path=CHROMIUM)
    return p.chromium.launch()


@pytest.mark.browser
def test_matches_real_v8_in_chromium() -> None:
    """The honest test: the same inputs through Chromium's own V8, in one evaluate call."""
    from playwright.sync_api import Error, sync_playwright

    values, ids = _cases()
    with sync_playwright() as p:
        try:
            browser = _launch(p)
        except Error as e:  # pragma: no cover - depends on the machine
            if os.environ.get("CI"):
                raise
            pytest.skip(f"no Chromium to compare with: {e}")
        try:
            page = browser.new_page()
            got = page.evaluate(
                """([values, ids]) => ({
                    radix: values.map(([v, r]) => v.toString(r)),
                    tokens: ids.map(id => ((Number(id) / 1e15) * Math.PI)
                        .toString(36).replace(/(0+|\\.)/g, '')),
                })""",
                [values, ids],
            )
        finally:
            browser.close()
    mismatches = [
        (v, r, js) for (v, r), js in zip(values, got["radix"]) if v8_radix_string(v, r) != js
    ]
    assert mismatches == []
    token_mismatches = [(i, js) for i, js in zip(ids, got["tokens"]) if syndication_token(i) != js]
    assert token_mismatches == []
    assert len(got["tokens"]) == len(ids) and len(got["radix"]) == len(values)
