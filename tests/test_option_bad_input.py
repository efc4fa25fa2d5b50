"""Bad option values, typed or read from the environment, as a user meets them: the real CLI in a
subprocess. Each is refused with one line on stderr that names the option (or the environment
variable the value came from) and what it takes, with the right exit code; a password or token in
a URL given to the tool is never printed, nor written into a bundle."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.evidence_fixtures import indexed_archive, make_domain
from tests.services import free_port
from tests.tsa_authority import Authority, write_key

ROOT = Path(__file__).resolve().parents[1]
PASSWORD, TOKEN = "S3CRETPW", "TOK3N"
SECRETS = (PASSWORD, TOKEN)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**os.environ, **(env or {})})


def refused(r: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The one line a refusal prints (asserting there is one, and nothing else)."""
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: "), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    no_secret(r)
    return lines[0]


def no_secret(r: subprocess.CompletedProcess[str]) -> None:
    for secret in SECRETS:
        assert secret not in r.stdout + r.stderr, (r.stdout, r.stderr)


def secret_url(scheme: str, port: int, path: str = "/tsr?access_token=" + TOKEN) -> str:
    return f"{scheme}://tsuser:{PASSWORD}@127.0.0.1:{port}{path}"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return indexed_archive(tmp_path / "archive")


# -- timestamp authorities: named without their secrets, once per failure -------------------------------


@pytest.mark.parametrize("given", ["option", "env"])
def test_an_unreachable_timestamp_authority_is_named_once_and_without_its_secrets(
        given: str, archive: Path, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    url = secret_url("http", port)
    args = ["--timestamp", url] if given == "option" else []
    r = run("export", "--handle", "alice", "-o", str(tmp_path / "a.wacz"), "--archive-dir", str(archive), *args,
            env={"ARCHIVER_TSA": url} if given == "env" else None)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    named = [line for line in r.stderr.splitlines() if "not timestamped" in line]
    assert len(named) == 1, r.stderr  # one line per failure
    assert named[0].startswith(f"archiver: bundle not timestamped: timestamp authority "
                               f"http://tsuser:REDACTED@127.0.0.1:{port}/tsr?access_token=REDACTED could not be reached")
    no_secret(r)


@pytest.mark.parametrize("fail", [None, "http"])
def test_an_answering_timestamp_authority_keeps_its_secrets_out_of_messages_and_bundle(
        fail: str | None, archive: Path, tmp_path: Path, tsa_authority: Authority) -> None:
    tsa_authority.fail = fail
    port = int(tsa_authority.url.rsplit(":", 1)[1].split("/")[0])
    out = tmp_path / "a.wacz"
    r = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive),
            "--timestamp", secret_url("http", port, f"/tsa?access_token={TOKEN}"))
    assert r.returncode == (0 if fail is None else 1), r.stderr
    no_secret(r)
    if fail:
        named = [line for line in r.stderr.splitlines() if "not timestamped" in line]
        assert len(named) == 1 and "answered HTTP 503" in named[0], r.stderr
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            assert not any(s.encode() in data for s in SECRETS), name
    if fail is None:
        assert b"tsuser:REDACTED@127.0.0.1" in zipfile.ZipFile(out).read("datapackage-digest.json")


@pytest.mark.parametrize(("command", "given"), [("export", "option"), ("export", "env"), ("archive", "option"),
                                                ("archive", "env"), ("run", "option")])
def test_a_timestamp_url_that_is_not_http_is_refused_without_its_password(
        command: str, given: str, archive: Path, tmp_path: Path) -> None:
    url = secret_url("ftp", 9, "/")
    extra = {"export": ["-o", str(tmp_path / "a.wacz"), "--archive-dir", str(archive)],
             "archive": [str(tmp_path / "missing.html"), "--archive-dir", str(tmp_path / "new")],
             "run": ["--seeds", str(tmp_path), "--archive-dir", str(tmp_path / "new")]}[command]
    args = ["--timestamp", url] if given == "option" else []
    line = refused(run(command, *extra, *args, env={"ARCHIVER_TSA": url} if given == "env" else None))
    name = "--timestamp" if given == "option" else "ARCHIVER_TSA"
    assert line.startswith(f"archiver: {name} 'ftp://tsuser:REDACTED@127.0.0.1:9/': give the timestamp authority's "
                           "http:// or https:// URL"), line


def test_a_failing_authority_during_a_run_is_kept_and_named_without_its_secrets(caplog: Any) -> None:
    """A run's capture stamps: the failure kept in the index and named by the summary carry no
    secret, and it is not also logged as a warning of its own (the summary names it, once)."""
    from archiver.evidence.stamps import Authorities, Stamper, unstamped_failures

    url = secret_url("http", free_port())

    class Index:
        def __init__(self) -> None:
            self.stamps: list[Any] = []

        def add_stamp(self, stamp: Any) -> None:
            self.stamps.append(stamp)

        def unstamped_since(self, since: str) -> list[Any]:
            return [type("Row", (), {"post_key": "twitter:1", "article_url": None, "capture_url": None,
                                     "capture_id": s.capture_id, "captured_at": "2026-01-01T00:00:00Z",
                                     "tsa": s.tsa, "error": s.error})() for s in self.stamps]

        def stamp_times_since(self, since: str) -> list[Any]:
            return [(s.capture_id, s.tsa, s.stamped_at, s.requested_at) for s in self.stamps if s.token]

    authorities = Authorities.of([url])
    assert authorities is not None
    record = type("Record", (), {"record_id": "<urn:uuid:1>", "warc_type": "response", "target_uri": "https://a.example/",
                                 "date": "2026-01-01T00:00:00Z", "block_digest": "sha256:00", "payload_digest": None})()
    index = Index()
    with caplog.at_level(logging.INFO, logger="archiver"):
        failures = Stamper(authorities).stamp(index, 7, [record])  # type: ignore[arg-type]
    named = failures + unstamped_failures(index, "2026-01-01T00:00:00Z")  # type: ignore[arg-type]
    stored = [s.error for s in index.stamps]
    assert len(failures) == 1 and "tsuser:REDACTED@127.0.0.1" in failures[0], failures
    for text in [*named, *stored, caplog.text]:
        assert not any(s in text for s in SECRETS), text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


# -- proxies ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "given"), [("archive", "option"), ("scan", "option"), ("archive", "env"),
                                                ("scan", "env")])
def test_a_bad_proxy_url_is_refused_without_its_password(command: str, given: str, tmp_path: Path) -> None:
    proxy = f"ftp://u:{PASSWORD}@127.0.0.1:1"
    sources = ["http://127.0.0.1:9/"] if command == "scan" else [str(tmp_path / "missing.html")]
    args = ["--proxy", proxy] if given == "option" else []
    extra = ["--archive-dir", str(tmp_path / "archive")] if command == "archive" else []
    line = refused(run(command, *extra, *args, *sources, env={"ARCHIVER_PROXY": proxy} if given == "env" else None))
    name = "--proxy" if given == "option" else "ARCHIVER_PROXY"
    assert line.startswith(f"archiver: {name}: bad proxy URL 'ftp://u:REDACTED@127.0.0.1:1'"), line


# -- numbers of seconds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["archive", "run", "worker"])
@pytest.mark.parametrize(("option", "value"), [("--timeout", "nan"), ("--capture-deadline", "nan"),
                                               ("--fetch-deadline", "inf"), ("--timeout", "-nan")])
def test_seconds_that_are_not_finite_are_a_usage_error(command: str, option: str, value: str, tmp_path: Path) -> None:
    extra = {"archive": [str(tmp_path / "missing.html"), "--archive-dir", str(tmp_path / "archive")],
             "run": ["--seeds", str(tmp_path), "--archive-dir", str(tmp_path / "archive")],
             "worker": ["--broker", f"redis://127.0.0.1:{free_port()}/0", "--archive-dir", str(tmp_path / "archive")]}
    line = refused(run(command, *extra[command], option, value))
    assert line.startswith(f"archiver: {option} '{value}': expected a finite number, 1 or more"), line
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_worker_s_visibility_timeout_must_be_finite(value: str, tmp_path: Path) -> None:
    line = refused(run("worker", "--broker", f"redis://127.0.0.1:{free_port()}/0", "--archive-dir",
                       str(tmp_path / "archive"), "--visibility-timeout", value))
    assert line.startswith(f"archiver: --visibility-timeout '{value}': expected a finite number, 1 or more"), line


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("ARCHIVER_CAPTURE_DEADLINE", "nan", "ARCHIVER_CAPTURE_DEADLINE 'nan': expected a finite number, 1 or more"),
    ("ARCHIVER_FETCH_DEADLINE", "inf", "ARCHIVER_FETCH_DEADLINE 'inf': expected a finite number, 1 or more"),
    ("ARCHIVER_FETCH_DEADLINE", "abc", "ARCHIVER_FETCH_DEADLINE 'abc': expected a number"),
    ("ARCHIVER_CAPTURE_DEADLINE", "0.5", "ARCHIVER_CAPTURE_DEADLINE '0.5': expected a number, 1 or more"),
    ("ARCHIVER_MAX_CAPTURE_BYTES", "lots", "ARCHIVER_MAX_CAPTURE_BYTES 'lots': expected an integer"),
])
def test_a_bad_number_from_the_environment_is_named_by_its_variable(
        variable: str, value: str, message: str, tmp_path: Path) -> None:
    line = refused(run("archive", str(tmp_path / "missing.html"), "--archive-dir", str(tmp_path / "archive"),
                       env={variable: value}))
    assert line.startswith(f"archiver: {message}"), line
    assert "--" not in line.split("(see")[0], line  # the option is not blamed for the variable's value


@pytest.mark.parametrize("command", ["lookup", "archive"])
def test_a_bad_index_url_from_the_environment_is_named_by_its_variable(command: str, tmp_path: Path) -> None:
    extra = [str(tmp_path / "missing.html")] if command == "archive" else []
    line = refused(run(command, *extra, "--archive-dir", str(tmp_path / "archive"),
                       env={"ARCHIVER_INDEX": f"mysql://u:{PASSWORD}@127.0.0.1/db"}))
    assert line.startswith("archiver: ARCHIVER_INDEX mysql://u@127.0.0.1/db: not a PostgreSQL URL"), line


# -- scan checks the network options even when it reads only local files ----------------------------------


@pytest.mark.parametrize(("args", "env", "start"), [
    (["--map-host", "garbage"], {}, "archiver: --map-host 'garbage': expected HOSTGLOB[:PORT]=ADDR:PORT"),
    (["--ca-bundle", "MISSING"], {}, "archiver: --ca-bundle: no such file:"),
    (["--proxy", "not a url"], {}, "archiver: --proxy: bad proxy URL 'not a url'"),
    ([], {"ARCHIVER_MAP_HOST": "garbage"}, "archiver: ARCHIVER_MAP_HOST 'garbage'"),
    ([], {"ARCHIVER_CA_BUNDLE": "MISSING"}, "archiver: ARCHIVER_CA_BUNDLE: no such file:"),
    ([], {"ARCHIVER_PROXY": "not a url"}, "archiver: ARCHIVER_PROXY: bad proxy URL 'not a url'"),
])
def test_scan_of_local_files_refuses_bad_network_options(
        args: list[str], env: dict[str, str], start: str, tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text("<p>no embeds</p>")
    missing = str(tmp_path / "nope.pem")
    args = [a.replace("MISSING", missing) for a in args]
    env = {k: v.replace("MISSING", missing) for k, v in env.items()}
    r = run("scan", *args, str(page), env=env)
    assert refused(r).startswith(start), r.stderr
    assert r.stdout == ""


# -- keys create -----------------------------------------------------------------------------------------


def test_keys_create_where_keys_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "keys").write_text("not a folder")
    line = refused(run("keys", "create", "--archive-dir", str(tmp_path)))
    assert f"{tmp_path / 'keys'} is a file, not a folder" in line, line
    assert (tmp_path / "keys").read_text() == "not a folder"


def test_keys_create_in_a_regular_file(tmp_path: Path) -> None:
    target = tmp_path / "archive.txt"
    target.write_text("")
    line = refused(run("keys", "create", "--archive-dir", str(target)))
    assert f"archive folder {target} is a file, not a folder" in line, line


def test_keys_create_with_a_name_too_long(tmp_path: Path) -> None:
    line = refused(run("keys", "create", "--archive-dir", str(tmp_path / ("a" * 300))))
    assert line.startswith("archiver: archive folder ") and "File name too long" in line, line
    assert "give --archive-dir" in line and len(line) < 300, line


# -- domain signing files --------------------------------------------------------------------------------


@pytest.fixture
def domain_key(tmp_path: Path) -> Path:
    return write_key(ec.generate_private_key(ec.SECP256R1()), tmp_path / "domain.key")


@pytest.mark.parametrize("kind", ["key", "binary", "folder", "missing"])
def test_domain_cert_that_is_not_a_certificate_chain_names_the_option(
        kind: str, archive: Path, tmp_path: Path, domain_key: Path) -> None:
    cert = tmp_path / f"cert-{kind}"
    if kind == "key":
        cert.write_bytes(domain_key.read_bytes())
    elif kind == "binary":
        cert.write_bytes(bytes(range(256)) * 4)
    elif kind == "folder":
        cert.mkdir()
    line = refused(run("export", "-o", str(tmp_path / "a.wacz"), "--archive-dir", str(archive), "--sign",
                       "--domain-cert", str(cert), "--domain-key", str(domain_key),
                       "--timestamp", f"http://127.0.0.1:{free_port()}/"))
    assert line.startswith(f"archiver: --domain-cert {cert}: "), line
    assert "certificate chain in PEM form" in line and "CA bundle" not in line, line
    assert not (tmp_path / "a.wacz").exists()


def test_domain_key_and_timestamp_ca_that_are_not_what_they_take_name_the_option(
        archive: Path, tmp_path: Path) -> None:
    domain = make_domain(tmp_path / "domain")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01junk")
    line = refused(run("export", "-o", str(tmp_path / "a.wacz"), "--archive-dir", str(archive), "--sign",
                       "--domain-cert", str(domain.cert_pem), "--domain-key", str(junk),
                       "--timestamp", f"http://127.0.0.1:{free_port()}/"))
    assert line.startswith(f"archiver: --domain-key {junk}: not an unencrypted PEM private key"), line
    line = refused(run("export", "-o", str(tmp_path / "a.wacz"), "--archive-dir", str(archive),
                       "--timestamp", f"http://127.0.0.1:{free_port()}/", "--timestamp-ca", str(tmp_path)))
    assert line.startswith(f"archiver: --timestamp-ca {tmp_path}: is a folder"), line


@pytest.mark.parametrize("broker", ["redis://:S3CRETPW@[::1", "redis://u:S3CRETPW@127.0.0.1:99999/0"])
def test_a_malformed_broker_url_is_refused_without_its_password(broker: str) -> None:
    line = refused(run("runs", "status", "1", "--broker", broker, "--index", "postgresql://u@127.0.0.1:1/db"))
    assert line.startswith("archiver: --broker redis://") and "malformed URL" in line, line


@pytest.mark.parametrize("ident", ["", "   "])
def test_show_of_nothing_asks_for_a_post(ident: str, archive: Path) -> None:
    line = refused(run("show", ident, "--archive-dir", str(archive)))
    assert line == "archiver: show: give a post's URL, key (twitter:123) or ID; `archiver lookup` lists them"
