"""Which Chromium to drive, and the launch flags every capture browser gets.

Debian's /usr/bin/chromium on these machines (`playwright install` cannot download here); Playwright's
own download elsewhere; `$ARCHIVER_CHROMIUM` to name another.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from playwright.async_api import Playwright as AsyncPlaywright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Playwright, sync_playwright

NO_CHROMIUM = ("no Chromium found: install Debian's chromium (apt-get install chromium) "
               "or run `playwright install chromium`")
_SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# Hosts Chromium itself talks to, outside any page: not page traffic, never recorded. Debian's
# Chromium 156 asks update.googleapis.com for a component (X-Goog-Update-AppId
# ceofaddefefcbblgcgnibnonglccbfja, the on-device model manifest) a few seconds after start even
# with Playwright's --disable-component-update; they resolve to nothing instead. Tests that compare
# a server log with a WARC leave these hosts out.
CHROMIUM_SERVICE_HOSTS: frozenset[str] = frozenset(
    {"update.googleapis.com", "clients2.google.com", "redirector.gvt1.com", "edgedl.me.gvt1.com"})


def without_service_hosts(args: list[str]) -> list[str]:
    """Resolve Chromium's own service hosts to nothing: its update pings (sent even with
    --disable-component-update by Debian's build) are not the page's traffic, would leak to the
    network during a capture and would land nowhere in the archive."""
    rules = ", ".join(f"MAP {h} ~NOTFOUND" for h in sorted(CHROMIUM_SERVICE_HOSTS))
    flag = "--host-resolver-rules="
    for i, arg in enumerate(args):
        if arg.startswith(flag):
            # Chromium keeps one rule list; the first matching rule wins, so ours go first.
            args[i] = f"{flag}{rules}, {arg[len(flag):]}"
            return args
    return [*args, flag + rules]


# Features every capture browser switches off besides Playwright's own. Chromium 15x builds the
# address bar's suggestion popups as WebUI pages (chrome://omnibox-popup.top-chrome, and its AI-mode
# twin: some 400 script modules each) for every window, and every context Playwright opens is a
# window: a renderer's CPU spent on each capture for popups nothing ever opens.
EXTRA_DISABLED_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")

_FEATURE_NAME = re.compile(r"""["']([A-Za-z][A-Za-z0-9_]*)["']""")


def disable_features_flag() -> str | None:
    """One `--disable-features=` flag naming Playwright's own list and EXTRA_DISABLED_FEATURES, or
    None when Playwright's list cannot be read (Chromium then runs with Playwright's alone).

    Chromium keeps only the last --disable-features of its command line, and Playwright passes its
    own (features that call Google's servers at start-up or break automation): a flag of ours that
    left them out would switch them back on. Playwright does not publish that list, so it is read
    from its driver's JavaScript, strictly (`parse_disabled_features`)."""
    names = playwright_disabled_features()
    if names is None:
        return None
    return "--disable-features=" + ",".join(dict.fromkeys([*names, *EXTRA_DISABLED_FEATURES]))


@functools.lru_cache(maxsize=1)
def playwright_disabled_features() -> tuple[str, ...] | None:
    """The features Playwright's driver disables in Chromium, as its own source lists them."""
    import playwright

    lib = Path(playwright.__file__).parent / "driver" / "package" / "lib"
    for source in (lib / "coreBundle.js", lib / "server" / "chromium" / "chromiumSwitches.js"):
        try:
            text = source.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        names = parse_disabled_features(text)
        if names is not None:
            return names
    return None


# Starts with its literal name, which the regex engine then looks for as a substring: a leading `\b`
# would make it test every position of a bundle megabytes long.
_ASSIGNMENT = re.compile(r"disabledFeatures\s*=\s*\[")


def _part_of_a_name(char: str) -> bool:
    """A character that would make the match the tail of a longer JavaScript name."""
    return bool(char) and (char.isalnum() or char in "_$")


def parse_disabled_features(js: str) -> tuple[str, ...] | None:
    """The names in the one `disabledFeatures = [...]` array of `js`, or None unless that array is
    there once and holds nothing but string literals (and `//` comments): a list read only in
    part would switch Playwright's other features back on."""
    starts = [m.end() for m in _ASSIGNMENT.finditer(js) if not _part_of_a_name(js[m.start() - 1:m.start()])]
    if len(starts) != 1:
        return None
    body: list[str] = []
    at = starts[0]
    while True:  # line by line from the array's start (the bundle is megabytes: no splitlines)
        newline = js.find("\n", at)
        code = js[at:newline if newline >= 0 else len(js)].split("//", 1)[0]
        end = code.find("]")
        body.append(code if end < 0 else code[:end])
        if end >= 0:
            break
        if newline < 0:
            return None  # the array never ends
        at = newline + 1
    names = []
    for item in " ".join(body).split(","):
        item = item.strip()
        if not item:
            continue
        found = _FEATURE_NAME.fullmatch(item)
        if found is None:
            return None  # an expression, not a name: the list cannot be known here
        names.append(found.group(1))
    return tuple(names) or None


def find_chromium(playwright: Playwright | AsyncPlaywright | None = None) -> str | None:
    """The Chromium to drive: $ARCHIVER_CHROMIUM, Debian's, then Playwright's own download.

    An ARCHIVER_CHROMIUM that is set but not executable finds nothing: silently falling back to
    another browser would hide the user's mistake.
    """
    explicit = os.environ.get("ARCHIVER_CHROMIUM")
    if explicit:
        return explicit if _is_executable(explicit) else None
    for candidate in _SYSTEM_CHROMIUMS:
        if _is_executable(candidate):
            return candidate
    if playwright is None:
        with sync_playwright() as p:
            return _playwright_chromium(p)
    return _playwright_chromium(playwright)


def _playwright_chromium(p: Playwright | AsyncPlaywright) -> str | None:
    try:
        path = p.chromium.executable_path
    except PlaywrightError:
        return None
    return path if path and _is_executable(path) else None


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)
