"""A request to a timestamp authority ends by its deadline however the authority answers.

An authority that accepts the connection and then sends its answer's head one line at a time, or
`HTTP/1.1 100 Continue` heads for ever, or its body a byte at a time, answers every read in time:
no per-read timeout trips, and without a deadline `export --timestamp` (and each capture's stamp)
waited for ever. The authority here is a small socket server on 127.0.0.1 that keeps answering so
as long as the test lasts (tests/dripping.py); each request is waited for well past its deadline,
and one still running then is the failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.errors import TimestampError
from archiver.evidence import tsa
from tests.dripping import WAIT, DrippingServer, dripping_server, in_thread
from tests.evidence_fixtures import indexed_archive, make_domain

ROOT = Path(__file__).resolve().parents[1]
MESSAGE = b"sha256:0123456789abcdef"


@pytest.fixture
def hostile() -> Iterator[DrippingServer]:
    with dripping_server() as server:
        yield server


def _gave_up(url: str, after: str) -> str:
    return f"timestamp authority {url}: gave up after {after} (deadline; raise --timestamp-deadline to wait longer)"


@pytest.mark.parametrize("path", ["/lines", "/continue", "/body", "/silent", "/hop"])
def test_a_request_ends_at_its_deadline_however_the_authority_drips(hostile: DrippingServer, path: str) -> None:
    url = hostile.url(path)
    out, took = in_thread(lambda: tsa.request_token(url, MESSAGE, deadline=2))
    assert out, f"POST {path} still waiting {WAIT} s after its 2 s deadline"
    (got,) = out
    assert isinstance(got, TimestampError), repr(got)
    assert str(got) == _gave_up(url, "2 s")
    assert took < 2 + 5, took  # the deadline, not some later timeout


def test_the_capture_stamper_names_the_deadline_and_gives_up_on_the_authority(hostile: DrippingServer,
                                                                             tmp_path: Path) -> None:
    """Each capture's stamp is bound by the authorities' deadline: the capture is kept, its stamp's
    failure names the deadline, and after GIVE_UP_AFTER such failures in a row the authority is not
    asked again in this process (nor waited for)."""
    from archiver.evidence.stamps import GIVE_UP_AFTER, Authorities, Stamper
    from archiver.index import open_index
    from archiver.index.rows import Capture
    from archiver.warcstore import Batch, WarcStore

    with WarcStore(tmp_path / "warcs", prefix="t") as store:
        batch = Batch(store)
        batch.write_resource("https://news.example/a", "text/html", b"<p>the river is up</p>")
    url = hostile.url("/lines")
    stamper = Stamper(Authorities((url,), deadline=1.5))
    with open_index(tmp_path / "archive") as index:
        article = index.upsert_article("https://news.example/a")
        captures = [index.add_capture(Capture(source="live", url="https://news.example/a", status="ok",
                                              article_id=article)) for _ in range(GIVE_UP_AFTER + 1)]

    def stamp(capture: int) -> list[str]:
        with open_index(tmp_path / "archive") as index:  # an index is used in the thread that opened it
            return stamper.stamp(index, capture, batch.records)

    said: list[str] = []
    for capture in captures[:GIVE_UP_AFTER]:
        out, took = in_thread(lambda c=capture: stamp(c))  # type: ignore[misc]
        assert out, f"the capture's stamp still waiting {WAIT} s after its 1.5 s deadline"
        assert isinstance(out[0], list), repr(out[0])
        said.extend(out[0])
        # The deadline ended it (not before it), and not some later timeout (the authority's
        # 10 s default, which the stamper waited before): a bound with room for a loaded machine.
        assert took >= 1.5, took
        assert took < 6.5, took
    out, took = in_thread(lambda: stamp(captures[-1]))
    assert out and isinstance(out[0], list), repr(out)
    said.extend(out[0])
    assert took < 1.5, took  # not asked: given up on
    with open_index(tmp_path / "archive") as index:
        stamps = {s.capture_id: s for s in index.capture_stamps(captures)}
    assert said[:GIVE_UP_AFTER] == [f"capture {c} not timestamped: {_gave_up(url, '1.5 s')}"
                                    for c in captures[:GIVE_UP_AFTER]]
    assert said[-1] == (f"capture {captures[-1]} not timestamped: not asked: the authority failed {GIVE_UP_AFTER} "
                        f"time(s) in a row in this run (last: {_gave_up(url, '1.5 s')})")
    assert all(stamps[c].token is None and stamps[c].error for c in captures)


def test_archive_takes_the_capture_stamps_deadline_from_the_environment(hostile: DrippingServer,
                                                                        tmp_path: Path) -> None:
    """`archive` with ARCHIVER_TSA and ARCHIVER_TIMESTAMP_DEADLINE: the capture's stamp gives up at
    that deadline (2 s, not the 10 s default), is named, and the capture is kept (exit 1)."""
    import json

    from tests.e2e import cli
    from tests.fakeweb import FakeWeb, site

    url = hostile.url("/continue")
    with FakeWeb(tmp_path / "web") as web:
        started = time.monotonic()
        r = cli(web, "archive", site.ARTICLE_WIRE.url, "--format", "json", archive=tmp_path / "a",
                env={"ARCHIVER_TSA": url, "ARCHIVER_TIMESTAMP_DEADLINE": "2"})
        took = time.monotonic() - started
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    named = [f for f in summary["failures"] if "not timestamped" in f]
    # Each capture named: the first ones by the deadline of 2 s, any after three such by "not asked".
    assert named and named[0].endswith(f"not timestamped: {_gave_up(url, '2 s')}"), summary["failures"]
    assert all(f.endswith(_gave_up(url, "2 s")) or "not asked" in f for f in named), named
    assert (summary["articles"], summary["articles_failed"]) == (1, 0), summary  # the capture is kept
    assert took < 3 * 10, took  # three requests at the 10 s default would take longer


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=WAIT * 2, env={**os.environ, **(env or {})})


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return indexed_archive(tmp_path / "archive")


def test_export_names_the_authority_that_ran_out_its_deadline_and_writes_the_bundle(
        hostile: DrippingServer, archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.wacz"
    url = hostile.url("/continue")
    r = _cli("export", "-o", str(out), "--archive-dir", str(archive), "--timestamp", url, "--timestamp-deadline", "2")
    assert r.returncode == 1, r.stderr
    assert f"archiver: bundle not timestamped: {_gave_up(url, '2 s')}\n" in r.stderr
    assert out.is_file()  # written, without that token


def test_export_takes_the_deadline_from_the_environment(hostile: DrippingServer, archive: Path,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "b.wacz"
    url = hostile.url("/lines")
    r = _cli("export", "-o", str(out), "--archive-dir", str(archive),
             env={"ARCHIVER_TSA": url, "ARCHIVER_TIMESTAMP_DEADLINE": "2"})
    assert r.returncode == 1, r.stderr
    assert f"archiver: bundle not timestamped: {_gave_up(url, '2 s')}\n" in r.stderr


def _refused_url() -> str:
    """The URL of a port of 127.0.0.1 nothing listens on: a connection there is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsr"


@pytest.mark.parametrize("failure", ["deadline", "refused"])
def test_a_domain_signature_whose_authority_failed_fails_the_export_as_a_failure_not_a_usage_error(
        hostile: DrippingServer, archive: Path, tmp_path: Path, failure: str) -> None:
    """A domain signature no authority timestamped is no signature: nothing is written. The authority's
    failure is named, and the exit code is 1 (a failure, which the same command may get past later),
    not 2, which says the command was wrong."""
    domain = make_domain(tmp_path / "domain")
    out = tmp_path / "d.wacz"
    url = hostile.url("/lines") if failure == "deadline" else _refused_url()
    r = _cli("export", "-o", str(out), "--archive-dir", str(archive), "--sign", "--domain-cert", str(domain.cert_pem),
             "--domain-key", str(domain.key_pem), "--timestamp", url, "--timestamp-deadline", "2")
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    if failure == "deadline":
        assert lines[-1] == f"archiver: no timestamp for the domain signature: {_gave_up(url, '2 s')}", lines
    else:
        assert lines[-1].startswith(f"archiver: no timestamp for the domain signature: timestamp authority {url}"), lines
    assert not out.exists()


def test_a_domain_signature_with_a_bad_key_file_is_still_a_usage_error(hostile: DrippingServer, archive: Path,
                                                                       tmp_path: Path) -> None:
    domain = make_domain(tmp_path / "domain")
    bad_key = tmp_path / "not-a-key.pem"
    bad_key.write_text("not a key\n")
    out = tmp_path / "d.wacz"
    r = _cli("export", "-o", str(out), "--archive-dir", str(archive), "--sign", "--domain-cert", str(domain.cert_pem),
             "--domain-key", str(bad_key), "--timestamp", hostile.url("/lines"))
    assert r.returncode == 2, r.stderr
    assert "not an unencrypted PEM private key" in r.stderr and not out.exists()


@pytest.mark.parametrize(("given", "env", "said"), [
    (["--timestamp-deadline", "0"], {}, "--timestamp-deadline: 0.0 is not in the range 1<=x<=2147483"),
    (["--timestamp-deadline", "nan"], {}, "--timestamp-deadline 'nan': expected a finite number, 1 or more"),
    ([], {"ARCHIVER_TIMESTAMP_DEADLINE": "soon"}, "ARCHIVER_TIMESTAMP_DEADLINE 'soon': expected a number"),
])
def test_a_bad_deadline_is_a_usage_error(archive: Path, tmp_path: Path, given: list[str], env: dict[str, Any],
                                         said: str) -> None:
    r = _cli("export", "-o", str(tmp_path / "b.wacz"), "--archive-dir", str(archive),
             "--timestamp", "http://127.0.0.1:9/tsr", *given, env=env)
    assert r.returncode == 2, r.stderr
    assert r.stderr == f"archiver: {said} (see `archiver export --help`)\n"
    assert not (tmp_path / "b.wacz").exists()


@pytest.mark.parametrize("command", ["archive", "run", "worker", "export"])
def test_every_command_that_timestamps_takes_the_deadline(command: str) -> None:
    from typer.testing import CliRunner

    from archiver.cli import app
    from archiver.evidence import DEFAULT_EXPORT_STAMP_DEADLINE, DEFAULT_STAMP_DEADLINE

    text = CliRunner().invoke(app, [command, "--help"], terminal_width=400).output
    (line,) = [line.strip() for line in text.splitlines() if line.strip().startswith("--timestamp-deadline ")]
    default = DEFAULT_EXPORT_STAMP_DEADLINE if command == "export" else DEFAULT_STAMP_DEADLINE
    assert f"default: {default}" in line and "ARCHIVER_TIMESTAMP_DEADLINE" in line, line
