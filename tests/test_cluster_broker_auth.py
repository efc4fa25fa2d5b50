"""`archiver worker` against a Redis that refuses it (a wrong password, or none where one is asked
for) says so in one line and exits 1, as `worker --check` fails for it, instead of trying again for
ever; a broker that does not answer at all is still waited for."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e import ROOT
from tests.services import free_port, stop_process, unavailable

pytestmark = pytest.mark.cluster
PASSWORD = "Right-Pass-7"


@pytest.fixture
def guarded_redis(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A redis-server of this test's own that asks for a password."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--requirepass", PASSWORD,
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        deadline = time.monotonic() + 30
        while True:
            try:
                redis.Redis(port=port, password=PASSWORD).ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        stop_process(proc)


def _worker(broker: str, index: str, archive: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "archiver.cli", "worker", "--broker", broker, "--index", index,
                             "--archive-dir", str(archive)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "ARCHIVER_BROKER": ""})


@pytest.mark.parametrize("credentials", [":WRONG-pass@", ""])
def test_a_worker_refused_by_its_broker_says_so_and_exits(credentials: str, guarded_redis: int, tmp_path: Path,
                                                          postgres_url: str) -> None:
    broker = f"redis://{credentials}127.0.0.1:{guarded_redis}/0"
    proc = _worker(broker, postgres_url, tmp_path / "archive")
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stop_process(proc)
        raise AssertionError("the worker refused by its broker kept trying") from None
    assert proc.returncode == 1, err
    lines = [line for line in err.splitlines() if line.startswith("archiver: ")]
    assert lines[-1].startswith(f"archiver: the broker redis://{'REDACTED@' if credentials else ''}127.0.0.1:"
                                f"{guarded_redis}/0 refused this worker"), err
    assert "give the password it asks for in --broker" in lines[-1] and "WRONG-pass" not in err
    assert out == ""
    # As `worker --check` says of the same broker.
    check = subprocess.run([sys.executable, "-m", "archiver.cli", "worker", "--broker", broker, "--index",
                            postgres_url, "--archive-dir", str(tmp_path / "archive"), "--check"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 1 and "broker: failed" in check.stdout


def test_a_worker_waits_for_a_broker_that_is_down(tmp_path: Path, postgres_url: str) -> None:
    proc = _worker(f"redis://127.0.0.1:{free_port()}/0", postgres_url, tmp_path / "archive")
    try:
        time.sleep(8)  # (nothing listens there: it must still be waiting, not gone)
        assert proc.poll() is None, proc.communicate()[1][-2000:]
    finally:
        stop_process(proc)
