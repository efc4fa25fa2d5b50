"""libpq's secret parameters never reach what people read: `sslpassword` (the passphrase of the
client's TLS key) is cut like `password` from every name of an index (messages, `index-url.txt`,
`index copy`'s output, the hint that names the `runs status` command), and a message that quotes it
has it blanked. `passfile`, `sslkey` and `sslcert` are paths to files, not secrets: they are shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archiver.cli import app
from archiver.cli_style import index_words
from archiver.index.postgres.url import passwords, redact, scrub
from archiver.redact import dsn_secrets

SECRET = "Tls-Key-Phrase-9"
runner = CliRunner()


@pytest.mark.parametrize("url", [
    f"postgresql://archiver@db:5432/archive?sslmode=require&sslpassword={SECRET}",
    f"postgres://archiver:pw@db/archive?SSLPassword={SECRET}&sslkey=/etc/k.pem",
    f"postgresql://archiver@[db/archive?sslpassword={SECRET}",  # one urllib refuses
])
def test_sslpassword_is_cut_from_the_index_s_name(url: str) -> None:
    shown = redact(url)
    assert SECRET not in shown and "sslpassword" not in shown.lower()
    assert SECRET in passwords(url) and SECRET in dsn_secrets(url)
    assert SECRET not in scrub(f"connection failed: bad passphrase {SECRET}", url)
    # The hint naming `runs status` does not print it: the variable stands for the URL.
    words, note = index_words(url)
    assert SECRET not in words and words == "" and "ARCHIVER_INDEX" in note


def test_key_value_sslpassword_is_cut() -> None:
    assert redact(f"host=db user=archiver sslpassword={SECRET} dbname=a") == "host=db user=archiver dbname=a"


def test_paths_to_credential_files_are_shown() -> None:
    url = "postgresql://archiver@db/archive?passfile=/srv/pgpass&sslkey=/srv/key.pem"
    assert redact(url) == url and index_words(url)[1] == ""


def test_index_copy_and_the_folder_s_note_never_show_it(tmp_path: Path, postgres_url: str) -> None:
    from archiver.index import open_index
    from archiver.layout import INDEX_NOTE

    folder = tmp_path / "archive"
    with open_index(folder) as index:
        index.start_run()
    url = f"{postgres_url}?sslmode=disable&sslpassword={SECRET}"
    done = runner.invoke(app, ["index", "copy", "--from", str(folder), "--to", url])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["runs"] == 1
    assert SECRET not in done.output
    note = (folder / INDEX_NOTE).read_text()
    assert SECRET not in note and postgres_url.split("//", 1)[1] in note
    # A refusal naming the index (the folder is now indexed there) does not show it either.
    refused = runner.invoke(app, ["index", "copy", "--from", str(folder), "--to", str(tmp_path / "other")])
    assert refused.exit_code == 2 and SECRET not in refused.output
