"""Platforms from outside the package: an entry-point group and an environment variable.

A plugin is a module with a module-level `PLATFORM` (a `Platform`, see `base.py`). It is found either
through the `archiver.platforms` entry-point group of an installed distribution:

    [project.entry-points."archiver.platforms"]
    example = "example_archiver_plugin.platform"

or by naming its import path in `ARCHIVER_PLATFORM_MODULES` (comma-separated), which is how a module
that is not installed — a test's toy platform, a newsroom's in-house platform — is loaded. Plugins come
after the built-in platforms, so a built-in keeps every host it owns.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import logging
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archiver.platforms.base import Platform

log = logging.getLogger(__name__)

GROUP = "archiver.platforms"
ENV = "ARCHIVER_PLATFORM_MODULES"


def _platform_of(module_name: str, where: str) -> Platform | None:
    """The plugin's platform; a plugin that cannot be loaded is named on stderr and left out."""
    from archiver.platforms.base import Platform

    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # a broken plugin must not stop the built-in platforms from working
        log.warning("platform plugin %r (%s) cannot be imported (%s: %s); left out",
                    module_name, where, type(e).__name__, e)
        return None
    platform = getattr(module, "PLATFORM", None)
    if not isinstance(platform, Platform):
        log.warning("platform plugin %r (%s) has no module-level PLATFORM; left out", module_name, where)
        return None
    return platform


def _may_have_entry_points() -> bool:
    """False when no installed distribution can declare an entry point in `GROUP`.

    Importing importlib.metadata costs a tenth of the tool's start-up, and nearly always finds
    nothing in the group. Every distribution it would read lies in a `*.dist-info` or `*.egg-info`
    folder of a folder on `sys.path`, whose `entry_points.txt` then names the group; an egg or a
    zip file on `sys.path`, or an import hook that finds distributions of its own, may hold more,
    and then the answer is True without looking.
    """
    if any(getattr(finder, "find_distributions", None) is not None and finder is not importlib.machinery.PathFinder
           for finder in sys.meta_path):
        return True
    for entry in sys.path:
        folder = entry or "."
        if str(folder).lower().endswith(".egg"):
            return True  # an egg on the path: its own EGG-INFO, read by importlib.metadata
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True  # a zip file: only importlib.metadata reads it
        except OSError:
            continue  # missing or unreadable: importlib.metadata finds nothing there either
        for name in names:
            if not name.lower().endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8", errors="replace") as f:
                    if GROUP in f.read():
                        return True
            except OSError:
                continue  # no entry points (or an egg-info file, not a folder)
    return False


def discover() -> list[Platform]:
    """Every plugin platform, entry points first, then `ARCHIVER_PLATFORM_MODULES`, each once."""
    wanted: list[tuple[str, str]] = []
    if _may_have_entry_points():
        from importlib.metadata import entry_points

        wanted = [(ep.value.partition(":")[0], f"entry point {ep.name}") for ep in entry_points(group=GROUP)]
    wanted += [(name, ENV) for name in filter(None, (n.strip() for n in os.environ.get(ENV, "").split(",")))]
    found: dict[str, Platform] = {}
    for module_name, where in wanted:
        if module_name not in found and (platform := _platform_of(module_name, where)) is not None:
            found[module_name] = platform
    return list(found.values())
