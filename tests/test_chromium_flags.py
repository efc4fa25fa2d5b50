"""The one --disable-features flag a capture browser gets: Playwright's own list kept whole, and the
address bar's WebUI popups, which Chromium would build for every context, switched off.

The parser is tested on text shaped like Playwright's driver; the flag against the installed
Playwright's driver and a real Chromium (its command line, and the targets it opens).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.chromium import (
    EXTRA_DISABLED_FEATURES,
    disable_features_flag,
    parse_disabled_features,
    playwright_disabled_features,
)
from archiver.net import NetOptions
from archiver.watchdog import children

DRIVER_SHAPED = """
    disabledFeatures = [
      // See https://github.com/microsoft/playwright/issues/14047 [closed]
      "AvoidUnnecessaryBeforeUnloadCheckSync",
      // Prevents "network" requests, ] in a comment
      'MediaRouter',
      "PaintHolding"
    ].filter(Boolean);
    enabledFeatures = () => [process.env.X ? "" : "CDPScreenshotNewSurface"];
"""


def test_the_list_is_read_whole_through_comments_that_hold_quotes_and_brackets() -> None:
    assert parse_disabled_features(DRIVER_SHAPED) == (
        "AvoidUnnecessaryBeforeUnloadCheckSync", "MediaRouter", "PaintHolding")


@pytest.mark.parametrize("prefix", ["my", "_", "$", "x2"])
def test_a_longer_name_that_ends_like_the_list_is_not_the_list(prefix: str) -> None:
    js = f'{prefix}disabledFeatures = ["Other"];\nconst disabledFeatures = ["Mine"];'
    assert parse_disabled_features(js) == ("Mine",)


@pytest.mark.parametrize("js", [
    "disabledFeatures = [\n  \"A\",\n  process.env.X ? \"B\" : \"\",\n];",  # an expression among the names
    "disabledFeatures = [\"A\"];\ndisabledFeatures = [\"B\"];",  # two lists: which one is Chromium's?
    "disabledFeatures = [\n  \"A\",\n",  # the array never ends
    "enabledFeatures = [\"A\"];",  # no list at all
    "disabledFeatures = [];",  # nothing to keep: no reason to pass a flag
])
def test_a_list_that_cannot_be_read_whole_gives_no_flag(js: str) -> None:
    assert parse_disabled_features(js) is None


def test_the_flag_keeps_every_feature_the_installed_playwright_disables() -> None:
    names = playwright_disabled_features()
    assert names is not None, "Playwright's disabled features were not found in its driver"
    # Features Playwright has disabled for years: a parser that read nothing useful fails here.
    assert {"MediaRouter", "PaintHolding"} <= set(names)
    flag = disable_features_flag()
    assert flag is not None and flag.startswith("--disable-features=")
    listed = flag.removeprefix("--disable-features=").split(",")
    assert listed == [*names, *EXTRA_DISABLED_FEATURES]


def _browser_command_lines(driver: int) -> list[list[str]]:
    """The command lines of the Chromium browser processes that the Playwright driver with PID
    `driver` started: its own children, so only this test's browser, whatever other browsers an
    earlier test's threads may still be starting or closing in this process; and not a process the
    browser has just forked, which shows the browser's command line until it runs its own."""
    lines = []
    for pid in children(of=driver):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "chrom" in Path(argv[0]).name and not any("--type=" in a for a in argv):
            lines.append(argv)
    return lines


async def _popup_targets(browser: Any) -> list[str]:
    """The address bar's popup pages a browser holds once a context with a page is open."""
    context = await browser.new_context()
    await context.new_page()
    session = await browser.new_browser_cdp_session()
    targets = (await session.send("Target.getTargets"))["targetInfos"]
    await context.close()
    return [t["url"] for t in targets if t["url"].startswith("chrome://omnibox-popup")]


@pytest.mark.browser
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads command lines from /proc (Linux)")
def test_a_capture_browser_opens_no_omnibox_popup_and_keeps_playwrights_features(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    from archiver.capture.chromium import find_chromium
    from archiver.capture.chromium_render import ChromiumRenderer

    async def capture_browser() -> tuple[list[list[str]], list[str]]:
        async with await ChromiumRenderer.launch(NetOptions.from_options([], None, None, env={}),
                                                 workdir=tmp_path / "b") as renderer:
            assert renderer._watchdog is not None  # Linux: the watchdog knows the driver's PID
            return _browser_command_lines(renderer._watchdog.driver), await _popup_targets(renderer._browser)

    async def plain_browser() -> list[str]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=find_chromium(p))
            try:
                return await _popup_targets(browser)
            finally:
                await browser.close()

    lines, popups = asyncio.run(capture_browser())
    assert len(lines) == 1, lines
    flags = [a for a in lines[0] if a.startswith("--disable-features=")]
    # Chromium keeps the last one: it must name Playwright's features and ours.
    kept = set(flags[-1].removeprefix("--disable-features=").split(","))
    assert set(playwright_disabled_features() or ()) | set(EXTRA_DISABLED_FEATURES) <= kept
    assert popups == []
    # The same Chromium launched by Playwright alone builds the popups for its context's window;
    # a headless shell (chromium-headless-shell, ARCHIVER_CHROMIUM) has no window to build them for.
    if not asyncio.run(plain_browser()):
        pytest.skip(f"{find_chromium()} builds no address-bar popups of its own (a headless shell): "
                    "the flags are checked, the popups cannot be")
