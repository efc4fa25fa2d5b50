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
import logging
import os
from importlib.metadata import entry_points
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


def discover() -> list[Platform]:
    """Every plugin platform, entry points first, then `ARCHIVER_PLATFORM_MODULES`, each once."""
    wanted = [(ep.value.partition(":")[0], f"entry point {ep.name}") for ep in entry_points(group=GROUP)]
    wanted += [(name, ENV) for name in filter(None, (n.strip() for n in os.environ.get(ENV, "").split(",")))]
    found: dict[str, Platform] = {}
    for module_name, where in wanted:
        if module_name not in found and (platform := _platform_of(module_name, where)) is not None:
            found[module_name] = platform
    return list(found.values())
