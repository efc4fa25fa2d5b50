"""Which Chromium to drive, and the launch flags every capture browser gets.

Debian's /usr/bin/chromium on these machines (`playwright install` cannot download here); Playwright's
own download elsewhere; `$ARCHIVER_CHROMIUM` to name another.
"""

from __future__ import annotations

import os

from playwright.async_api import Playwright as AsyncPlaywright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Playwright, sync_playwright

NO_CHROMIUM = ("no Chromium found: install Debian's chromium (apt-get install chromium) "
               "or run `playwright install chromium`")
_SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# Hosts Chromium itself talks to, outside any page: not page traffic, never recorded. Debian's
# Chromium 156 asks update.googleapis.com for a component (X-Goog-Update-AppId
# ceofaddefefcbblgcgnibnonglccbfja, the on-device model manifest) a few seconds after start even
# with Playwright's --disable-component-update; switching it off would take a --disable-features
# flag, which would replace Playwright's own list. Tests that compare a server log with a WARC
# leave these hosts out.
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
