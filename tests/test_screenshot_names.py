"""Screenshot file names: one per capture, so that no capture's picture is written over another's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archiver import times
from archiver.layout import screenshot_path


def test_a_name_is_stamped_to_the_millisecond(tmp_path: Path) -> None:
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{3}Z-embed\.png", screenshot_path(tmp_path, "embed").name)
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{3}Z\.png", screenshot_path(tmp_path).name)


def test_captures_of_one_page_in_one_instant_get_names_of_their_own(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Two captures started at once (pages in flight) never share a file, nor take one already on
    disk (another process's, an earlier run's), nor a name whose element shots are there."""
    monkeypatch.setattr(times, "stamp", lambda moment=None: "20261205T080956.354Z")
    article, post, other = tmp_path / "article", tmp_path / "post", tmp_path / "other"
    for folder in (article, post, other):
        folder.mkdir()
    first, second = screenshot_path(article), screenshot_path(article)
    assert (first.name, second.name) == ("20261205T080956.354Z.png", "20261205T080956.354Z-2.png")
    (post / "20261205T080956.354Z-embed.png").write_bytes(b"an earlier capture's")
    assert screenshot_path(post, "embed").name == "20261205T080956.354Z-2-embed.png"
    assert screenshot_path(post, "wayback").name == "20261205T080956.354Z-wayback.png"
    (other / "20261205T080956.354Z-x-element-00.png").write_bytes(b"an element shot")
    assert screenshot_path(other, "x").name == "20261205T080956.354Z-2-x.png"


def test_names_of_moments_past_are_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the current millisecond's names are remembered: a long-running worker holds a handful."""
    from archiver import layout

    for n in range(50):
        monkeypatch.setattr(times, "stamp", lambda moment=None, n=n: f"20261205T080956.{n:03d}Z")
        screenshot_path(tmp_path)
        screenshot_path(tmp_path)  # the same instant: -2
    assert {p.name for p in layout._SHOTS_NAMED} == {"20261205T080956.049Z.png", "20261205T080956.049Z-2.png"}
