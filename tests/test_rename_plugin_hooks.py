"""A plugin written for the hook a renamed author was once told by, `PostCheck(tells_renames=...)`,
still loads: the keyword is accepted and ignored, with a DeprecationWarning naming the plugin's line
(`same_account` is the one test now; such a check is as one without that hook). Its platform does
not drop out of the registry (it did: the keyword raised TypeError on import, and the plugin was
left out with a warning, its posts found by nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from archiver.platforms.capture import PostCheck

ROOT = Path(__file__).resolve().parents[1]

# A plugin in the style of tests/toyplatform.py, its check written for the old hook.
PLUGIN = '''\
from dataclasses import replace

from archiver.platforms.capture import PostCheck
from tests import toyplatform

PLATFORM = replace(toyplatform.PLATFORM, check=PostCheck(
    probe=toyplatform.probe, element_selectors=("article.pebble-card",), tells_renames=True))
'''


def test_a_plugin_passing_tells_renames_still_finds_its_posts(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "oldpebble.py").write_text(PLUGIN)
    page = tmp_path / "story.html"
    page.write_text('<!doctype html><p>The mayor on Pebble: <a href="https://pebble.example/p/101">link</a></p>')
    env = {**os.environ, "ARCHIVER_PLATFORM_MODULES": "oldpebble",
           "PYTHONPATH": os.pathsep.join(filter(None, (str(plugins), str(ROOT), os.environ.get("PYTHONPATH"))))}
    r = subprocess.run([sys.executable, "-W", "always::DeprecationWarning", "-m", "archiver.cli", "scan", str(page),
                        "--format", "json"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "left out" not in r.stderr, r.stderr
    assert [(p["platform"], p["post_id"]) for p in json.loads(r.stdout)] == [("pebble", "101")], r.stdout
    # The plugin's author is told, at the plugin's own line.
    assert "oldpebble.py:" in r.stderr and "DeprecationWarning: PostCheck(tells_renames=...) is ignored" in r.stderr, \
        r.stderr


def _probe(post: object, client: object) -> object:
    raise AssertionError("not asked")


@pytest.mark.parametrize("value", [True, False])
def test_tells_renames_is_accepted_ignored_and_warned_of(value: bool) -> None:
    with pytest.warns(DeprecationWarning, match=r"tells_renames=\.\.\.\) is ignored.*same_account") as said:
        check = PostCheck(probe=_probe, tells_renames=value)  # type: ignore[arg-type]
    assert [w.filename for w in said] == [__file__]  # the warning names the caller's line
    assert check == PostCheck(probe=_probe)  # type: ignore[arg-type]
    assert check.same_account is None  # as a check without the hook: the post's ID vouches


def test_tells_renames_given_by_position_does_not_stand_for_same_account() -> None:
    """The old order put `tells_renames` where `same_account` stands now: a bool there is that old
    keyword, not a hook (calling True would fail the capture)."""
    with pytest.warns(DeprecationWarning, match="tells_renames"):
        check = PostCheck(_probe, (), None, None, None, None, True)  # type: ignore[arg-type]
    assert check.same_account is None


def test_a_check_without_it_says_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PostCheck(probe=_probe, same_account=lambda held, fields: True)  # type: ignore[arg-type]


def test_a_same_account_that_is_no_function_is_refused_where_the_check_is_made() -> None:
    """`PostCheck(..., 1)` (a number where the old keyword's bool stood) was kept as the hook, and the
    first re-check failed calling it: the plugin's own line is told instead, when it loads."""
    with pytest.raises(TypeError, match="PostCheck.same_account must be a function of"):
        PostCheck(_probe, (), None, None, None, None, 1)  # type: ignore[arg-type]
