"""Running pywb (in its own virtualenv, `.venv-pywb` at the repo root) for replay tests.

pywb pins old dependencies (redis, Werkzeug, an older cryptography), so it never shares
`.venv`: everything here drives its command-line tools as subprocesses.

    with pywb_collection(tmp_path, "c", [out_wacz]) as wb:        # wb-manager init + add
        with serve(wb) as base:                                   # wayback on a free loopback port
            body = httpx.get(f"{base}/c/{ts}id_/{url}").content

`require_pywb()` skips the test when the virtualenv is missing, except under CI=true, where a
missing pywb is a failure (the Makefile's `pywb` target must have built it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.requires import missing
from tests.services import free_port, stop_process

ROOT = Path(__file__).resolve().parents[1]
PYWB_VENV = Path(os.environ.get("ARCHIVER_PYWB_VENV", ROOT / ".venv-pywb"))


@dataclass
class PywbDir:
    """A pywb working directory (it holds `collections/`) and the collection made in it."""

    root: Path
    collection: str
    bin_dir: Path


def pywb_bin() -> Path:
    return PYWB_VENV / "bin"


def pywb_available() -> bool:
    return all((pywb_bin() / tool).exists() for tool in ("wb-manager", "wayback"))


def require_pywb() -> Path:
    """pywb's bin directory; skip when it is not installed (fail instead under CI=true)."""
    if not pywb_available():
        missing(f"pywb not installed in {PYWB_VENV}", "make pywb builds it")
    return pywb_bin()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # pywb must not inherit this venv's packages, nor any proxy that could send it off the machine
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "http_proxy", "https_proxy", "all_proxy"):
        env.pop(name, None)
    env["PATH"] = f"{pywb_bin()}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(bin_dir: Path, args: Sequence[str], cwd: Path, timeout: float = 120) -> None:
    proc = subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=cwd, env=_env(), capture_output=True, check=False,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")


@contextmanager
def pywb_collection(workdir: Path, name: str, archives: Sequence[Path]) -> Iterator[PywbDir]:
    """`wb-manager init NAME` in `workdir`, then add each WARC (or WACZ, unpacked) to it."""
    bin_dir = require_pywb()
    workdir.mkdir(parents=True, exist_ok=True)
    _run(bin_dir, ["wb-manager", "init", name], workdir)
    for archive in archives:
        archive = Path(archive).resolve()
        extra = ["--unpack-wacz"] if archive.name.endswith(".wacz") else []
        _run(bin_dir, ["wb-manager", "add", *extra, name, str(archive)], workdir)
    try:
        yield PywbDir(workdir, name, bin_dir)
    finally:
        shutil.rmtree(workdir / "collections" / name, ignore_errors=True)


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    """Block until something accepts connections on 127.0.0.1:port (or the process dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"pywb exited with {proc.returncode} before listening on port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@contextmanager
def serve(wb: PywbDir, port: int | None = None) -> Iterator[str]:
    """Run `wayback` for the collections in `wb.root`; yield its base URL, stop it afterwards."""
    port = port or free_port()
    log_path = wb.root / f"wayback-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(wb.bin_dir / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
                                cwd=wb.root, env=_env(), stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_for_port(port, proc)
            except AssertionError as e:
                raise AssertionError(f"{e}\n{log_path.read_text(errors='replace')}") from None
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_process(proc, timeout=10)
