"""The fetch deadline covers the wait for an answer's head, not only its body.

A server can keep a fetch from ever getting its final head while answering every read in time:
`HTTP/1.1 100 Continue` heads one after another, or `HTTP/1.1 200 OK` and then one header line
at a time. No per-read timeout trips on either, so only the fetch's deadline ends it: through the
recording HTTP client (every hop of it), `scan URL` and `archive`. The server here is a small
socket server on 127.0.0.1 that answers as long as the test lasts (tests/dripping.py); each fetch
is waited for well past its deadline, and a fetch still running then is the failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.capture.http import RecordingClient
from archiver.errors import LimitExceeded
from archiver.net import NetOptions
from tests.dripping import WAIT, DrippingServer, dripping_server, in_thread
from tests.e2e import ROOT

HOST = "slow.example"


@pytest.fixture
def heads() -> Iterator[DrippingServer]:
    with dripping_server() as server:
        yield server


@pytest.mark.parametrize("path", ["/continue", "/lines", "/hop"])
def test_the_client_gives_up_at_the_deadline_on_a_head_that_never_ends(heads: DrippingServer, path: str) -> None:
    url = heads.url(path)
    net = NetOptions().trusting([url])
    with RecordingClient(net, timeout=30, max_retries=2, deadline=1) as client:
        out, _ = in_thread(lambda: client.get(url, follow_redirects=True))
    assert out, f"GET {path} still waiting for its head {WAIT} s after its 1 s deadline"
    (got,) = out
    assert isinstance(got, LimitExceeded), repr(got)
    assert str(got) == f"GET {url}: gave up after 1 s (deadline; raise --fetch-deadline to wait longer)"


def _archiver(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=WAIT * 2, env={**os.environ, **(env or {})})


def test_scan_of_a_url_gives_up_at_its_fetch_deadline(heads: DrippingServer) -> None:
    r = _archiver("scan", heads.url("/continue", HOST), "--fetch-deadline", "2",
                  "--map-host", f"{HOST}=127.0.0.1:{heads.port}")
    assert r.returncode == 2, r.stderr  # its one source could not be read
    assert f"GET {heads.url('/continue', HOST)}: gave up after 2 s (deadline; raise --fetch-deadline" in r.stderr


def test_scan_takes_the_fetch_deadline_from_the_environment_and_reads_the_rest(heads: DrippingServer,
                                                                             tmp_path: Path) -> None:
    page = tmp_path / "article.html"
    page.write_text('<blockquote class="twitter-tweet"><a href="https://twitter.com/jack/status/20">x</a>'
                    "</blockquote>")
    r = _archiver("scan", heads.url("/lines", HOST), str(page), "--format", "jsonl",
                  "--map-host", f"{HOST}=127.0.0.1:{heads.port}", env={"ARCHIVER_FETCH_DEADLINE": "2"})
    assert r.returncode == 1, r.stderr
    assert f"GET {heads.url('/lines', HOST)}: gave up after 2 s (deadline" in r.stderr
    assert '"post_id": "20"' in r.stdout


def test_archive_names_the_fetch_and_goes_on(heads: DrippingServer, tmp_path: Path) -> None:
    """QA's command: a run whose article fetch never gets its head ends, naming it, exit 1, and the
    other article is captured."""
    slow, good = heads.url("/continue", HOST), heads.url("/good", HOST)
    r = _archiver("archive", slow, good, "--fetch-deadline", "3", "--capture-deadline", "30",
                  "--map-host", f"{HOST}=127.0.0.1:{heads.port}", "--archive-dir", str(tmp_path / "a"),
                  "--format", "json")
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    assert summary["failures"] == [f"GET {slow}: gave up after 3 s (deadline; raise --fetch-deadline to wait longer)"]
    assert (summary["articles"], summary["articles_failed"]) == (1, 1), summary  # the good one was captured
