"""`--broker` with the archive's SQLite index is refused before anything starts: `run` (waiting or
not), `runs status` and `archiver worker` each say why on one line and exit 2, and create nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import ROOT
from tests.services import free_port

pytestmark = pytest.mark.cluster

BROKER = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens: a command that went on would say so instead


def _archiver(tmp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if k not in ("ARCHIVER_INDEX", "ARCHIVER_BROKER")}
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args, "--archive-dir", str(tmp / "archive")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env={**e, **(env or {})})


def _seeds(tmp: Path) -> str:
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text("https://news.example/a.html\n")
    return str(seeds)


@pytest.mark.parametrize("command", [
    pytest.param(["run", "--broker", BROKER], id="run"),
    pytest.param(["run", "--broker", BROKER, "--no-wait"], id="run --no-wait"),
    pytest.param(["runs", "status", "1", "--broker", BROKER], id="runs status"),
    pytest.param(["worker", "--broker", BROKER], id="worker"),
    pytest.param(["worker", "--broker", BROKER, "--check"], id="worker --check"),
])
def test_broker_with_the_sqlite_index_is_refused(tmp_path: Path, command: list[str]) -> None:
    extra = ["--seeds", _seeds(tmp_path)] if command[0] == "run" else []
    r = _archiver(tmp_path, *command, *extra)
    assert r.returncode == 2, r.stderr
    assert r.stdout == "" and len(r.stderr.splitlines()) == 1, r.stderr
    line = r.stderr
    assert line.startswith("archiver: --broker needs --index postgresql://"), line
    assert "write-ahead log needs shared memory, which network file systems do not give" in line
    assert "`archiver index copy --from DIR --to postgresql://…`" in line
    assert not (tmp_path / "archive").exists()  # nothing started: no folder, no lock, no archive.db


def test_the_broker_from_the_environment_is_refused_too(tmp_path: Path) -> None:
    r = _archiver(tmp_path, "worker", env={"ARCHIVER_BROKER": BROKER})
    assert r.returncode == 2 and r.stderr.startswith("archiver: --broker needs --index postgresql://"), r.stderr
    assert not (tmp_path / "archive").exists()


def test_a_postgresql_index_is_not_refused(tmp_path: Path) -> None:
    """With --index (here from the environment) the run goes on, and stops at the broker it cannot reach."""
    url = f"postgresql://archiver@127.0.0.1:{free_port()}/archive"  # nothing listens there either
    r = _archiver(tmp_path, "run", "--broker", "amqp://127.0.0.1/", "--seeds", _seeds(tmp_path),
                  env={"ARCHIVER_INDEX": url})
    assert r.returncode == 2 and r.stderr.startswith("archiver: --broker amqp://127.0.0.1/: not a Redis URL"), r.stderr


@pytest.mark.parametrize("broker", ["http://127.0.0.1:6379/0", "redis://127.0.0.1:notaport/0"])
@pytest.mark.parametrize("check", [[], ["--check"]], ids=["worker", "worker --check"])
def test_a_worker_given_a_malformed_broker_url_says_so(tmp_path: Path, broker: str, check: list[str]) -> None:
    url = f"postgresql://archiver@127.0.0.1:{free_port()}/archive"  # never reached
    r = _archiver(tmp_path, "worker", "--broker", broker, *check, env={"ARCHIVER_INDEX": url})
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(f"archiver: --broker {broker}: "), r.stderr
    assert "internal error" not in r.stderr



@pytest.mark.parametrize("command", [["run", "--seeds", "SEEDS"], ["run", "--no-wait", "--seeds", "SEEDS"],
                                     ["runs", "status", "1"], ["worker"], ["worker", "--check"]],
                         ids=["run", "run --no-wait", "runs status", "worker", "worker --check"])
@pytest.mark.parametrize(("broker", "said"), [
    # a password from a base64 generator, its '/' unescaped: the parser read part of it as the port
    # (refused before any connection: the port is never asked)
    ("redis://:Ab3/xY+9s3cret@127.0.0.1:9/0", "its password holds '/', '?' or '#'"),
    ("redis://:Ab3#xY+9s3cret@127.0.0.1:9/0", "its password holds '/', '?' or '#'"),
    # a database that is no number: every check passed, then the run failed as an internal error
    ("redis://127.0.0.1:9/abc", "its database must be a number"),
    ("redis://127.0.0.1:9/0?db=x", "its database must be a number"),
    # an `@` in the query after it as well: the password still found, and kept out
    ("redis://:Ab3/xY+9s3cret@127.0.0.1:9/0?client_name=a@b", "its password holds '/', '?' or '#'"),
    # one that starts with '/' (one base64 password in 64): nothing before it to tell it from a port
    ("redis://:/xY+9s3cret@127.0.0.1:9/0", "its password holds '/', '?' or '#'"),
    ("redis://user:/xY+9s3cret@127.0.0.1:9/0", "its password holds '/', '?' or '#'"),
])
def test_a_broker_url_that_cannot_work_is_refused_at_once_and_never_printed_whole(
        tmp_path: Path, command: list[str], broker: str, said: str) -> None:
    url = f"postgresql://archiver@127.0.0.1:{free_port()}/archive"  # never reached
    args = [_seeds(tmp_path) if a == "SEEDS" else a for a in command]
    r = _archiver(tmp_path, *args, "--broker", broker, env={"ARCHIVER_INDEX": url})
    assert r.returncode == 2 and said in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "xY+9" not in r.stderr and "s3cret" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("broker", [
    "redis://127.0.0.1:6379/0", "redis://:pw@127.0.0.1:6379/0?client_name=ops@desk",
    "redis://[::1]:6379/0?client_name=ops@desk", "rediss://127.0.0.1:6380/2?ssl_cert_reqs=required",
    "unix:///run/redis.sock?db=3", "redis://user:p%2Fw@127.0.0.1:6379/0",
])
def test_broker_urls_that_can_work_pass_the_check(broker: str) -> None:
    from archiver.cluster.executor import check_broker_url

    check_broker_url(broker)


def test_runs_status_makes_no_index_where_there_is_none(tmp_path: Path, postgres_url: str) -> None:
    """Asking about a run names the index it is asked of: a mistyped database is not given one."""
    import psycopg

    r = _archiver(tmp_path, "runs", "status", "5", "--broker", BROKER, "--index", postgres_url)
    assert r.returncode in (1, 2) and "Traceback" not in r.stderr, r.stderr
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


def test_an_index_url_whose_password_holds_a_slash_is_refused_and_never_printed(tmp_path: Path) -> None:
    url = f"postgresql://archiver:Pg/s3cret?x#y@127.0.0.1:{free_port()}/archive"
    for args in (["lookup"], ["run", "--seeds", _seeds(tmp_path)]):
        r = _archiver(tmp_path, *args, "--index", url)
        assert r.returncode == 2 and "its user name or password holds '/', '?' or '#'" in r.stderr, r.stderr
        assert "s3cret" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.parametrize("wait", [[], ["--no-wait"]], ids=["run", "run --no-wait"])
def test_a_cluster_run_whose_seeds_read_nothing_is_refused_before_anything_is_made(
        tmp_path: Path, postgres_url: str, wait: list[str]) -> None:
    import psycopg

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.urls").write_text("not a url\n")
    r = _archiver(tmp_path, "run", "--broker", BROKER, *wait, "--seeds", str(seeds), "--index", postgres_url)
    assert r.returncode == 2 and "nothing in --seeds" in r.stderr and r.stdout == "", (r.stdout, r.stderr)
    assert not (tmp_path / "archive").exists()
    with psycopg.connect(postgres_url) as conn:  # no index made in the database, no run recorded
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


def test_a_timestamp_given_to_a_cluster_run_is_said_to_be_the_workers(tmp_path: Path) -> None:
    """The workers make the captures, so they timestamp them: the scheduler's --timestamp is said to
    do nothing, before the run stops at the broker it cannot reach."""
    url = f"postgresql://archiver@127.0.0.1:{free_port()}/archive"  # nothing listens there either
    r = _archiver(tmp_path, "run", "--broker", "amqp://127.0.0.1/", "--seeds", _seeds(tmp_path),
                  "--timestamp", "https://tsa.example/tsr", env={"ARCHIVER_INDEX": url})
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[0] == (
        "archiver: note: --timestamp (ARCHIVER_TSA) is the workers' own in a cluster: this run's captures are "
        "timestamped by the workers started with it (`archiver worker --timestamp URL`), whatever is given here")


def test_a_worker_given_another_index_than_the_folder_s_stops_at_once(tmp_path: Path) -> None:
    # It started, took tasks, and failed each one ("no session") for as long as it ran.
    port = free_port()  # nothing listens: the refusal comes before anything is reached
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "index-url.txt").write_text(f"postgresql://archiver@127.0.0.1:{port}/one\n")
    r = _archiver(tmp_path, "worker", "--broker", BROKER, "--index", f"postgresql://archiver@127.0.0.1:{port}/two")
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.splitlines()
    assert f"is indexed in PostgreSQL at postgresql://archiver@127.0.0.1:{port}/one" in line, line


def test_capture_limits_given_to_a_cluster_run_are_said_to_be_the_workers(tmp_path: Path) -> None:
    # Accepted and silently ignored, they were: the workers' own limits are the ones that hold.
    url = f"postgresql://archiver@127.0.0.1:{free_port()}/archive"  # nothing listens there either
    r = _archiver(tmp_path, "run", "--broker", "amqp://127.0.0.1/", "--seeds", _seeds(tmp_path),
                  "--max-posts", "1", "--capture-deadline", "60", env={"ARCHIVER_INDEX": url})
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[0] == (
        "archiver: note: --capture-deadline, --max-posts are the workers' own in a cluster: this run's captures keep "
        "to the limits the workers were started with (`archiver worker --capture-deadline ...`), whatever is given here")
