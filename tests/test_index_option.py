"""`--index URL` on the command line: which commands take it, what a bad or unreachable URL gives,
and that the URL's password is never printed (messages, log lines)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.redact import ScrubFilter, dsn_secrets
from tests.e2e import ROOT
from tests.services import free_port

COMMANDS = ("run", "archive", "lookup", "show", "export", "report", "verify")
SECRET = "s3cr%40t"  # percent-encoded in the URL: "s3cr@t" once decoded


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, **(env or {})})


def _no_secret(text: str) -> None:
    assert "s3cr" not in text, text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_reading_and_writing_command_takes_index(command: str) -> None:
    r = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert r.exit_code == 0
    assert "--index" in r.output and "ARCHIVER_INDEX" in r.output


def test_log_lines_never_show_the_password() -> None:
    record = logging.LogRecord("archiver", logging.WARNING, __file__, 1, "index %s failed: %s", (
        "postgresql://u:s3cr%40t@h/db", "password s3cr@t refused"), None)
    assert ScrubFilter(dsn_secrets("postgresql://u:s3cr%40t@h/db")).filter(record)
    assert record.getMessage() == "index postgresql://u:REDACTED@h/db failed: password REDACTED refused"
    try:
        raise ValueError("bad conninfo: password=s3cr@t")
    except ValueError:
        traced = logging.LogRecord("archiver", logging.DEBUG, __file__, 1, "internal error", (), sys.exc_info())
    ScrubFilter(["s3cr@t"]).filter(traced)
    shown = logging.Formatter().format(traced)
    assert "password=REDACTED" in shown and "Traceback" in shown
    _no_secret(shown)


@pytest.mark.parametrize("command", ["lookup", "show", "report", "verify", "run", "archive", "export"])
def test_a_url_that_is_not_postgresql_is_a_usage_error(command: str, tmp_path: Path) -> None:
    extra = {"show": ["twitter:1"], "archive": [str(tmp_path / "a.html")], "export": ["-o", str(tmp_path / "x.wacz")],
             "run": ["--seeds", str(tmp_path)]}.get(command, [])
    r = _cli(command, *extra, "--archive-dir", str(tmp_path / "archive"), "--index", f"mysql://u:{SECRET}@h/db")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("archiver: --index mysql://u@h/db: not a PostgreSQL URL")
    assert len(r.stderr.strip().splitlines()) == 1
    _no_secret(r.stderr + r.stdout)
    assert not (tmp_path / "archive").exists()


def test_a_libpq_key_value_string_is_refused_without_its_password(tmp_path: Path) -> None:
    given = f"host=127.0.0.1 port=5432 dbname=archive user=archiver password={SECRET}"
    r = _cli("index", "migrate", "--index", given)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("archiver: --index host=127.0.0.1 port=5432 dbname=archive user=archiver: not a "
                               "PostgreSQL URL"), r.stderr
    _no_secret(r.stderr + r.stdout)


@pytest.mark.parametrize("given", [f"host=db password={SECRET} application_name=http://x",
                                   f"  host=db user=archiver password='{SECRET}'"])
def test_a_key_value_string_loses_its_password_whatever_its_values_hold(given: str) -> None:
    from archiver.index.postgres.url import redact

    _no_secret(redact(given))
    assert "host=db" in redact(given)


def test_reindex_refuses_an_index_url(tmp_path: Path) -> None:
    r = _cli("reindex", "--archive-dir", str(tmp_path), env={"ARCHIVER_INDEX": f"postgresql://u:{SECRET}@h/db"})
    assert r.returncode == 2
    assert "archiver index copy" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    _no_secret(r.stderr)


def test_an_empty_environment_value_is_the_sqlite_index(tmp_path: Path) -> None:
    r = _cli("lookup", "--archive-dir", str(tmp_path / "none"), env={"ARCHIVER_INDEX": ""})
    assert r.returncode == 2 and "no archive at" in r.stderr


def test_run_against_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    (tmp_path / "none.urls").write_text("")
    url = f"postgresql://archiver:{SECRET}@127.0.0.1:{free_port()}/archive"
    r = _cli("-vv", "run", "--seeds", str(tmp_path), "--archive-dir", str(tmp_path / "archive"), "--index", url)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("archiver: cannot use the PostgreSQL index at 127.0.0.1:")
    _no_secret(r.stderr + r.stdout)


READERS = {"lookup": [], "show": ["twitter:1"], "report": ["-o", "OUT/r.html"], "verify": [],
           "export": ["-o", "OUT/x.wacz"]}


@pytest.mark.parametrize("command", sorted(READERS))
def test_reading_an_unreachable_server_is_one_line_without_the_password(command: str, tmp_path: Path) -> None:
    url = f"postgresql://archiver:{SECRET}@127.0.0.1:{free_port()}/archive"
    args = [a.replace("OUT", str(tmp_path)) for a in READERS[command]]
    r = _cli("-vv", command, *args, "--archive-dir", str(tmp_path), "--index", url)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("archiver: cannot use the PostgreSQL index at 127.0.0.1:")
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    _no_secret(r.stderr)


@pytest.mark.parametrize("command", sorted(READERS))
def test_reading_an_empty_database_says_it_holds_no_index(command: str, tmp_path: Path, postgres_url: str) -> None:
    url = postgres_url.replace("postgres@", f"postgres:{SECRET}@")  # trust auth: the password is not asked
    args = [a.replace("OUT", str(tmp_path)) for a in READERS[command]]
    r = _cli(command, *args, "--archive-dir", str(tmp_path), "--index", url)
    assert r.returncode == 2, r.stderr
    assert "holds no index" in r.stderr and "archive something with this --index first" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    _no_secret(r.stderr)
    import psycopg

    with psycopg.connect(postgres_url) as conn:  # reading created nothing
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


def test_the_folder_note_names_the_index_without_its_password(tmp_path: Path) -> None:
    from archiver.errors import UsageError
    from archiver.index import indexed_elsewhere, note_index, require_own_index
    from archiver.layout import INDEX_NOTE

    note_index(tmp_path, f"postgresql://archiver:{SECRET}@db:5432/archive?password={SECRET}")
    _no_secret((tmp_path / INDEX_NOTE).read_text())
    assert indexed_elsewhere(tmp_path) == "postgresql://archiver@db:5432/archive"
    with pytest.raises(UsageError, match="is indexed in PostgreSQL at postgresql://archiver@db:5432/archive"):
        require_own_index(tmp_path)
