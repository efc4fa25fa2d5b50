"""What a test needs from the machine (a program, a service, the shared corpus): skipped where it is
missing, except under CI=true, where `.ci/run` and `make test` must have provided it and its absence
is a failure."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(why: str, provided_by: str) -> NoReturn:
    """Skip the test because of `why`; under CI=true fail it, naming what should have provided it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} ({provided_by})")
    pytest.skip(why)
