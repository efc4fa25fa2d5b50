"""The demo's run, re-check and lookups answer as they did when the fixture was recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.parity import FIXTURE, observe

pytestmark = pytest.mark.browser


def test_run_and_lookup_match_the_recorded_behaviour(tmp_path: Path) -> None:
    expected = json.loads(FIXTURE.read_text())
    seen = json.loads(json.dumps(observe(tmp_path), ensure_ascii=False, sort_keys=True))
    for part in ("run", "rerun", "lookup", "lookup_handle", "lookup_date"):
        assert seen[part] == expected[part], part
