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
    failures = _failures(run)
    (failure,) = [f for f in failures if "/embed/Tweet.html?id=" in f]
    assert "is over --max-bytes 4000" in failure
    # Besides it, only the article's own bodies over the cap (its scripts), named under the article.
    assert all(f.startswith(f"{ARTICLE}: ") and "over --max-bytes 4000" in f for f in failures if f != failure), failures
    assert "archiver: failed:" in run.stderr
    out = tmp_path / "all.wacz"
    exported = cli(web, "export", "-o", str(out), archive=archive)
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").splitlines()[1:]]
    assert [p["url"] for p in pages] == [ARTICLE]  # the embed, never recorded, is no page


def test_bodies_left_out_for_max_capture_bytes_are_counted_with_the_cap(web: FakeWeb, tmp_path: Path) -> None:
    run = cli(web, "archive", ARTICLE, "--max-capture-bytes", "6000", "--format", "json",
              archive=tmp_path / "archive")
    assert run.returncode == 1, run.stderr
    named = [f for f in _failures(run) if "the embed page" in f]
    assert named and "over --max-capture-bytes 6000" in named[0] and "left out, not recorded" in named[0], named
    # The article's own images and scripts left out are named too, under the article.
    article = [f for f in _failures(run) if f.startswith(f"{ARTICLE}: ")]
    assert article and "over --max-capture-bytes 6000" in article[0], _failures(run)
