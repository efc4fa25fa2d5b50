"""Shared fixtures. Tests never touch the internet: proxies and CA overrides from the environment are cleared."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.requires import missing

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

_NET_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
            "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "ARCHIVER_MAP_HOST",
            "ARCHIVER_CA_BUNDLE", "ARCHIVER_PROXY", "ARCHIVER_HOME", "ARCHIVER_INDEX")


@pytest.fixture(autouse=True)
def _clean_net_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _NET_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_logging_to_closed_streams() -> Iterator[None]:
    """The CLI run in-process (CliRunner) points the root logger at the runner's stderr, closed once
    the command returns: after the test, such handlers go, and archiver's logger gets back the level
    it had, so that a thread of a later test (a browser's network gate) logs nowhere closed."""
    ours = logging.getLogger("archiver")
    level = ours.level
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and getattr(handler.stream, "closed", False):
            root.removeHandler(handler)
    ours.setLevel(level)


def corpus_dir() -> Path:
    """The shared corpus; under CI=true its absence is a failure, elsewhere a skip."""
    if not CORPUS.is_dir():
        missing(f"corpus not found at {CORPUS}", "CI must provide ../shared/corpus")
    return CORPUS


# Throwaway Redis and PostgreSQL servers for the cluster tests (started on demand, per test process).
from tests.services import broker, postgres_server, postgres_url, redis_server  # noqa: E402, F401

# A local RFC 3161 timestamp authority (`openssl ts -reply` on loopback, its own CA).
from tests.tsa_authority import tsa_authority  # noqa: E402, F401
