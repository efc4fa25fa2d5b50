"""Bodies a byte cap left out inside the browser are named among the run's failures (exit 1), and
an export lists no page whose document was left out. Real Chromium against the fake web."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import cli
from tests.fakeweb import FakeWeb, site

pytestmark = pytest.mark.browser

ARTICLE = site.ARTICLE_PROTECTED.url  # cites one tweet, whose embed page is 5,594 bytes


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with FakeWeb(tmp_path_factory.mktemp("caps-web")) as server:
        yield server


def _failures(result: Any) -> list[str]:
    assert result.stdout.strip(), result.stderr
    return list(json.loads(result.stdout)["failures"])


def test_a_post_whose_embed_page_is_over_max_bytes_fails_and_is_no_page_of_an_export(web: FakeWeb,
                                                                                     tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    run = cli(web, "archive", ARTICLE, "--max-bytes", "4000", "--format", "json", archive=archive)
    assert run.returncode == 1, run.stderr
    (failure,) = _failures(run)  # the embed's own document; the article's scripts over the cap: a warning
    assert "/embed/Tweet.html?id=" in failure and "is over --max-bytes 4000" in failure
    assert any(line.startswith(f"archiver: {ARTICLE}: ") and "over --max-bytes 4000" in line
               for line in run.stderr.splitlines()), run.stderr
    assert "archiver: failed:" in run.stderr
    out = tmp_path / "all.wacz"
    exported = cli(web, "export", "-o", str(out), archive=archive)
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").splitlines()[1:]]
    assert [p["url"] for p in pages] == [ARTICLE]  # the embed, never recorded, is no page


def test_bodies_left_out_for_max_capture_bytes_are_counted_with_the_cap(web: FakeWeb, tmp_path: Path) -> None:
    """Images and scripts a cap kept out are named on stderr, counted with the cap, under the post
    or the article whose capture left them out; the captures stand (a long video under the default
    caps is no failure of the post's evidence)."""
    run = cli(web, "archive", ARTICLE, "--max-capture-bytes", "6000", "--format", "json",
              archive=tmp_path / "archive")
    lines = run.stderr.splitlines()
    named = [line for line in lines if "the embed page" in line and "over --max-capture-bytes 6000" in line]
    assert named and "left out, not recorded" in named[0], run.stderr
    article = [line for line in lines if line.startswith(f"archiver: {ARTICLE}: ")]
    assert article and "over --max-capture-bytes 6000" in article[0], run.stderr
    assert not [f for f in _failures(run) if "over --max-capture-bytes" in f], _failures(run)  # (warnings only)
    assert run.returncode == 0, run.stderr
