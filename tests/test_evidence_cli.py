"""`archiver keys`, `archiver export --sign/--domain-cert/--timestamp` and `archiver verify X.wacz`
as a user runs them: the real CLI in a subprocess, on an archive written by the capture's own WARC
writer and indexed in SQLite, timestamped by the local RFC 3161 authority."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from tests.evidence_fixtures import (
    ARTICLE_URL,
    DOMAIN,
    EMBED_URL,
    digest_doc,
    indexed_archive,
    make_domain,
    read,
    rewrite,
    roots_yaml,
)
from tests.tsa_authority import Authority

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archiver.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=180, env={**os.environ, **(env or {})})


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return indexed_archive(tmp_path / "archive")


def test_keys_create_then_show(archive: Path) -> None:
    made = run("keys", "create", "--archive-dir", str(archive))
    assert made.returncode == 0, made.stderr
    fingerprint, public = made.stdout.strip().split("\t")
    assert fingerprint.startswith("sha256:") and "keep it private" in made.stderr
    shown = run("keys", "show", "--archive-dir", str(archive), "--format", "json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["fingerprint"] == fingerprint
    assert json.loads(shown.stdout)["public_key"] == public
    again = run("keys", "create", "--archive-dir", str(archive))
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    missing = run("keys", "show", "--archive-dir", str(archive.parent / "nowhere"))
    assert missing.returncode == 2 and "archiver keys create" in missing.stderr
    assert "holds no archive" not in made.stderr
    # A folder that holds no archive (a mistyped --archive-dir): the key is made, and that is said.
    (archive.parent / "empty").mkdir()
    elsewhere = run("keys", "create", "--archive-dir", str(archive.parent / "empty"))
    assert elsewhere.returncode == 0 and elsewhere.stderr.splitlines()[-1] == (
        f"archiver: {archive.parent / 'empty'} holds no archive yet: the key signs what is archived there")


def test_export_sign_timestamp_then_verify(archive: Path, tmp_path: Path, tsa_authority: Authority) -> None:
    fingerprint = run("keys", "create", "--archive-dir", str(archive)).stdout.split("\t")[0]
    out = tmp_path / "alice.wacz"
    e = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive), "--sign",
            env={"ARCHIVER_TSA": tsa_authority.url})
    assert e.returncode == 0, e.stderr
    assert e.stdout == f"{out}\n"
    assert len(digest_doc(out)["timestamps"]) == 1

    v = run("verify", str(out), "--ca-bundle", str(tsa_authority.root_pem))
    assert v.returncode == 0, v.stdout + v.stderr
    assert v.stdout == ""  # no finding
    assert f"signed by key {fingerprint}" in v.stderr and "content unchanged since" in v.stderr
    j = run("verify", str(out), "--ca-bundle", str(tsa_authority.root_pem), "--format", "json")
    doc = json.loads(j.stdout)
    assert j.returncode == 0 and doc["verified"] is True and doc["signature"]["key"] == fingerprint
    assert [t["over"] for t in doc["timestamps"]] == ["bundle"] and doc["timestamps"][0]["anchored"] is True
    assert doc["problems"] == [] and doc["proven"].endswith("(checked against your CA bundle).")

    # one changed byte in the WARC: exit 1, the file and the reason on stdout
    name = "archive/data.warc.gz"
    data = bytearray(read(out, name))
    data[len(data) // 2] ^= 1
    bad = rewrite(out, tmp_path / "bad.wacz", {name: bytes(data)})
    b = run("verify", str(bad), "--ca-bundle", str(tsa_authority.root_pem))
    found = b.stdout.splitlines()
    assert b.returncode == 1 and found[0] == f"hash\t{name}\tits SHA-256 differs from datapackage.json's: the file changed"
    assert all(line.split("\t")[0] in ("damaged", "record", "index") for line in found[1:]), found
    assert "does NOT verify" in b.stderr
    bj = run("verify", str(bad), "--format", "json")
    assert bj.returncode == 1 and json.loads(bj.stdout)["problems"][0]["path"] == name


def test_export_with_a_domain_certificate(archive: Path, tmp_path: Path, tsa_authority: Authority) -> None:
    from authsign.verifier import Verifier

    domain = make_domain(tmp_path / "domain")
    out = tmp_path / "d.wacz"
    e = run("export", "-o", str(out), "--archive-dir", str(archive), "--sign", "--domain-cert", str(domain.cert_pem),
            "--domain-key", str(domain.key_pem), "--timestamp", tsa_authority.url,
            "--timestamp-ca", str(tsa_authority.root_pem))
    assert e.returncode == 0, e.stderr
    signed = digest_doc(out)["signedData"]
    roots = roots_yaml(tmp_path / "roots.yaml", [domain.ca.cert], [tsa_authority.ca.cert])
    assert Verifier(str(roots))(dict(signed)).observer == DOMAIN
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(domain.ca.root_pem.read_bytes() + tsa_authority.root_pem.read_bytes())
    v = run("verify", str(out), "--ca-bundle", str(bundle))
    assert v.returncode == 0, v.stdout + v.stderr
    assert f"signed by {DOMAIN} (its certificate chaining to your CA bundle)" in v.stderr
    # The two CAs as two files, each given: both trusted (the second does not replace the first).
    both = run("verify", str(out), "--ca-bundle", str(domain.ca.root_pem), "--ca-bundle", str(tsa_authority.root_pem))
    assert both.returncode == 0 and f"signed by {DOMAIN}" in both.stderr, both.stdout + both.stderr
    alone = run("verify", str(out), "--ca-bundle", str(tsa_authority.root_pem))
    assert alone.returncode == 1, alone.stdout + alone.stderr


def test_a_failing_authority_is_named_and_exits_1(archive: Path, tmp_path: Path, tsa_authority: Authority) -> None:
    tsa_authority.fail = "garbage"
    run("keys", "create", "--archive-dir", str(archive))
    out = tmp_path / "a.wacz"
    e = run("export", "-o", str(out), "--archive-dir", str(archive), "--sign", "--timestamp", tsa_authority.url)
    assert e.returncode == 1, e.stderr
    assert f"bundle not timestamped: timestamp authority {tsa_authority.url} answered something that is not an RFC 3161 reply" in e.stderr
    assert out.is_file() and run("verify", str(out)).returncode == 0


@pytest.mark.parametrize("domain", [False, True], ids=["anonymous", "domain"])
def test_a_timestamp_ca_that_is_not_the_authoritys_is_a_usage_error(archive: Path, tmp_path: Path,
                                                                   tsa_authority: Authority, domain: bool) -> None:
    """--timestamp-ca naming another CA than the one the authority's signer chains to: the operator's
    to set right (asking again gets the same token), so exit 2 naming the option, and no bundle."""
    from tests.tsa_authority import make_ca

    wrong = make_ca(tmp_path / "wrong", name="Some Other Root").root_pem
    if domain:
        identity = make_domain(tmp_path / "domain")
        signing = ["--domain-cert", str(identity.cert_pem), "--domain-key", str(identity.key_pem)]
    else:
        run("keys", "create", "--archive-dir", str(archive))
        signing = []
    out = tmp_path / "out" / "a.wacz"
    out.parent.mkdir()
    e = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive), "--sign", *signing,
            "--timestamp", tsa_authority.url, "--timestamp-ca", str(wrong))
    assert e.returncode == 2, e.stderr
    assert e.stderr.splitlines() == [
        f"archiver: timestamp authority {tsa_authority.url}: its token's signer (CN=Archiver Test TSA) does not "
        "chain to the CA certificates given with --timestamp-ca: give that authority's CA certificate (and any "
        "intermediate between them)"], e.stderr
    assert e.stdout == "" and list(out.parent.iterdir()) == []  # nothing written, not even a part
    # The authority's own CA: the same command exports.
    right = run("export", "-o", str(out), "--archive-dir", str(archive), "--sign", *signing,
                "--timestamp", tsa_authority.url, "--timestamp-ca", str(tsa_authority.root_pem))
    assert right.returncode == 0, right.stderr


def test_timestamp_ca_is_taken_from_every_file_given(archive: Path, tmp_path: Path, tsa_authority: Authority) -> None:
    """--timestamp-ca given twice (one file per authority, say): the certificates of both are the
    authorities' CAs, not only the last file's (which then asked for the CA the user gave)."""
    from tests.tsa_authority import make_ca

    other = make_ca(tmp_path / "other", name="Some Other Root").root_pem
    run("keys", "create", "--archive-dir", str(archive))
    out = tmp_path / "a.wacz"
    e = run("export", "-o", str(out), "--archive-dir", str(archive), "--sign", "--timestamp", tsa_authority.url,
            "--timestamp-ca", str(tsa_authority.root_pem), "--timestamp-ca", str(other))
    assert e.returncode == 0, e.stderr
    stored = json.loads(read(out, "datapackage-digest.json"))["timestamps"][0]["certificates"]
    assert "CN=Archiver Test TSA Root" in [c.subject.rfc4514_string() for c in
                                           x509.load_pem_x509_certificates(stored.encode())]


@pytest.mark.parametrize("domain", [False, True], ids=["anonymous", "domain"])
def test_an_authority_certified_by_an_intermediate_ca_exports_and_verifies(archive: Path, tmp_path: Path,
                                                                           domain: bool) -> None:
    """root R -> intermediate I (a CA) -> the authority's signing certificate, --timestamp-ca holding
    I then R (the chain an authority publishes): the export is timestamped (and domain-signed), and
    verifies against R alone, and against a CA bundle holding I and R."""
    from tests.tsa_authority import make_ca, timestamp_authority

    root = make_ca(tmp_path / "ca", name="Archiver Test Chain Root")
    middle = root.intermediate("Archiver Test Intermediate CA")
    with timestamp_authority(tmp_path / "tsa", name="Intermediate TSA", ca=middle) as authority:
        chain = tmp_path / "tsa-chain.pem"
        chain.write_bytes((authority.folder / "ca.pem").read_bytes())  # I then R
        if domain:
            identity = make_domain(tmp_path / "domain")
            signing = ["--domain-cert", str(identity.cert_pem), "--domain-key", str(identity.key_pem)]
            roots = tmp_path / "roots.pem"
            roots.write_bytes(identity.ca.root_pem.read_bytes() + root.root_pem.read_bytes())
        else:
            run("keys", "create", "--archive-dir", str(archive))
            signing, roots = [], root.root_pem
        out = tmp_path / "out" / "a.wacz"
        out.parent.mkdir()
        e = run("export", "-o", str(out), "--archive-dir", str(archive), "--sign", *signing,
                "--timestamp", authority.url, "--timestamp-ca", str(chain))
        assert e.returncode == 0, e.stderr
    v = run("verify", str(out), "--ca-bundle", str(roots))
    assert v.returncode == 0, v.stdout + v.stderr
    both = run("verify", str(out), "--ca-bundle", str(roots), "--ca-bundle", str(chain), "--format", "json")
    assert both.returncode == 0, both.stdout + both.stderr
    stamps = json.loads(both.stdout)["timestamps"]
    assert stamps and all(t["anchored"] and t["root"] == "CN=Archiver Test Chain Root" for t in stamps), stamps


@pytest.mark.parametrize("domain", [False, True], ids=["anonymous", "domain"])
def test_the_chain_stored_with_a_token_follows_signatures_not_names(archive: Path, tmp_path: Path,
                                                                     domain: bool) -> None:
    """--timestamp-ca holding two certificates of one name (a root's old generation, another key,
    then the root the authority's certificate is issued by), the authority embedding its root: the
    chain stored beside the token (a domain signature's timestampCert, a bundle token's
    certificates) is the one whose signatures check, and the bundle verifies against that root."""
    from tests.tsa_authority import make_ca, timestamp_authority

    with timestamp_authority(tmp_path / "tsa", name="Embedding TSA", embed_root=True) as authority:
        old = make_ca(tmp_path / "old", name="Embedding TSA Root")  # same subject, another key
        given = tmp_path / "old-then-new.pem"
        given.write_bytes(old.root_pem.read_bytes() + authority.root_pem.read_bytes())
        if domain:
            identity = make_domain(tmp_path / "domain")
            signing = ["--domain-cert", str(identity.cert_pem), "--domain-key", str(identity.key_pem)]
            roots = tmp_path / "roots.pem"
            roots.write_bytes(identity.ca.root_pem.read_bytes() + authority.root_pem.read_bytes())
        else:
            run("keys", "create", "--archive-dir", str(archive))
            signing, roots = [], authority.root_pem
        out = tmp_path / "a.wacz"
        e = run("export", "-o", str(out), "--archive-dir", str(archive), "--sign", *signing,
                "--timestamp", authority.url, "--timestamp-ca", str(given))
        assert e.returncode == 0, e.stderr
    doc = digest_doc(out)
    stored = [doc["signedData"]["timestampCert"]] if domain else [t["certificates"] for t in doc["timestamps"]]
    for pem in stored:
        assert x509.load_pem_x509_certificates(pem.encode())[-1] == authority.ca.cert
    v = run("verify", str(out), "--ca-bundle", str(roots))
    assert v.returncode == 0, v.stdout + v.stderr


def test_export_takes_a_timestamp_url_with_spaces_around_it_as_run_does(archive: Path, tmp_path: Path,
                                                                         tsa_authority: Authority) -> None:
    run("keys", "create", "--archive-dir", str(archive))
    out = tmp_path / "alice.wacz"
    e = run("export", "-o", str(out), "--archive-dir", str(archive), "--timestamp", f" {tsa_authority.url} ")
    assert e.returncode == 0, e.stderr
    assert [t["authority"] for t in digest_doc(out)["timestamps"]] == [tsa_authority.url]


@pytest.mark.parametrize(("args", "message"), [
    (["--sign"], "archiver keys create"),
    (["--domain-cert", "x.pem"], "--domain-cert and --domain-key go together"),
    (["--domain-cert", "x.pem", "--domain-key", "y.pem"], "add --sign"),
    (["--sign", "--domain-cert", "x.pem", "--domain-key", "y.pem"], "needs a timestamp"),
    (["--timestamp", "ftp://tsa.example/"], "http:// or https:// URL"),
    (["--timestamp-ca", "x.pem"], "--timestamp-ca goes with --timestamp"),
])
def test_export_option_errors_exit_2(archive: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "x.wacz"
    r = run("export", "-o", str(out), "--archive-dir", str(archive), *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()


def test_sealing_a_warc_gz_is_a_usage_error(archive: Path, tmp_path: Path) -> None:
    run("keys", "create", "--archive-dir", str(archive))
    r = run("export", "-o", str(tmp_path / "x.warc.gz"), "--archive-dir", str(archive), "--sign")
    assert r.returncode == 2 and "name the output *.wacz" in r.stderr


def test_verify_refuses_a_named_pipe_at_once(tmp_path: Path) -> None:
    # Opened as a zip, a FIFO with no writer would wait for ever; piped in (`verify <(cat b.wacz)`)
    # its bytes would be read as no zip. Either way: not a file, said at once.
    fifo = tmp_path / "p.wacz"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", str(fifo)], capture_output=True, text=True,
                       cwd=ROOT, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (
        2, "", f"archiver: {fifo} is a named pipe (FIFO), not a file; give a regular file\n")
    read_end, write_end = os.pipe()  # what a shell's process substitution hands over: /dev/fd/N
    try:
        os.write(write_end, b"PK\x03\x04")
        os.close(write_end)
        r = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", f"/dev/fd/{read_end}"], capture_output=True,
                           text=True, cwd=ROOT, timeout=60, pass_fds=(read_end,))
    finally:
        os.close(read_end)
    assert (r.returncode, r.stderr) == (2, f"archiver: /dev/fd/{read_end} is a named pipe (FIFO), not a file; "
                                           "give a regular file\n")


def test_verify_usage(archive: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.wacz"
    junk.write_bytes(b"nope")
    r = run("verify", str(junk))
    assert r.returncode == 2 and "not a readable WACZ" in r.stderr and "Traceback" not in r.stderr
    warc = tmp_path / "one.warc.gz"
    warc.write_bytes(b"\x1f\x8b not really")
    r = run("verify", str(warc))  # checked as the WARC its name says (tests/test_evidence_left_out.py)
    assert r.returncode == 2 and r.stderr.startswith(f"archiver: {warc} is not a readable WARC file (") \
        and "Traceback" not in r.stderr, r.stderr
    r = run("verify", str(junk), "--archive-dir", str(archive))
    assert r.returncode == 2 and "leave out --archive-dir" in r.stderr
    r = run("verify", "--archive-dir", str(archive), "--ca-bundle", str(junk))
    assert r.returncode == 2 and "give the WACZ" in r.stderr
    r = run("verify", str(archive))  # the archive's folder where a bundle goes: the mend is named
    assert r.returncode == 2 and f"give its folder as --archive-dir {archive}" in r.stderr, r.stderr


def test_verify_archive_as_json(archive: Path) -> None:
    r = run("verify", "--archive-dir", str(archive), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["intact"] is True and doc["problems"] == [] and doc["archive"] == str(archive)
    warc = next((archive / "warcs").glob("*.warc.gz"))
    warc.write_bytes(warc.read_bytes()[:-10])
    r = run("verify", "--archive-dir", str(archive), "--format", "json")
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["intact"] is False and doc["problems"]
    assert {"kind", "path", "detail"} == set(doc["problems"][0])


# -- an honest export of a damaged archive ------------------------------------------------------------------


def _embed_response(archive: Path) -> tuple[Path, str, int]:
    """The WARC file holding the post's capture, its response's WARC-Record-ID and offset."""
    from warcio.archiveiterator import ArchiveIterator

    for path in sorted((archive / "warcs").rglob("*.warc.gz")):
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                if rec.rec_type == "response" and rec.rec_headers.get_header("WARC-Target-URI") == EMBED_URL:
                    return path, rec.rec_headers.get_header("WARC-Record-ID"), it.get_record_offset()
    raise AssertionError("no response of the embed")


def _left_out(out: Path) -> list[dict[str, object]]:
    doc = json.loads(read(out, "evidence/left-out.json"))
    assert doc["format"] == "archiver-left-out/1"
    listed = [r["path"] for r in json.loads(read(out, "datapackage.json"))["resources"]]
    assert "evidence/left-out.json" in listed  # covered by the package's hashes, and its signature
    records: list[dict[str, object]] = doc["records"]
    return records


def test_an_export_that_left_out_a_damaged_stamped_record_verifies_naming_it(tmp_path: Path,
                                                                              tsa_authority: Authority) -> None:
    """`export --allow-damaged` of an archive with a byte of a stamped post capture's record
    changed: the export leaves it out (exit 1) and says so in the bundle, so verify names it as left
    out instead of calling the capture incomplete. Any other stamped record missing still fails."""
    archive = indexed_archive(tmp_path / "archive", stamp_with=tsa_authority)
    warc, rid, offset = _embed_response(archive)
    data = bytearray(warc.read_bytes())
    data[offset + 60] ^= 0x01  # inside the record's gzip member: its CRC no longer matches
    warc.write_bytes(bytes(data))
    out = tmp_path / "alice.wacz"
    e = run("export", "--handle", "alice", "--allow-damaged", "-o", str(out), "--archive-dir", str(archive))
    assert e.returncode == 1 and f"record {rid} at offset {offset} is damaged" in e.stderr, e.stderr
    assert [(r["record_id"], r["why"]) for r in _left_out(out)] == [(rid, "damaged")]
    v = run("verify", str(out), "--ca-bundle", str(tsa_authority.root_pem))
    assert v.returncode == 0, v.stdout + v.stderr
    assert (f"of the 2 records its token lists were left out by export (1 damaged; named in evidence/left-out.json): "
            f"{rid}") in v.stderr, v.stderr
    assert "1 record(s) of the archive left out by its export" in v.stderr, v.stderr
    # The same bundle with another stamped record of that capture taken out: still a problem.
    import gzip
    import hashlib
    import io

    from archiver.export.cdxj import cdxj_index
    from tests.e2e import gzip_members

    members = gzip_members(read(out, "archive/data.warc.gz"))
    request = next(m for m in members if b"WARC-Type: request" in m and EMBED_URL.encode() in m.split(b"\r\n\r\n")[0])
    kept = b"".join(gzip.compress(m) for m in members if m != request)
    package = json.loads(read(out, "datapackage.json"))
    files = {"archive/data.warc.gz": kept, "indexes/index.cdx": cdxj_index(io.BytesIO(kept), "data.warc.gz")}
    for res in package["resources"]:
        if res["path"] in files:
            res["hash"], res["bytes"] = "sha256:" + hashlib.sha256(files[res["path"]]).hexdigest(), len(files[res["path"]])
    files["datapackage.json"] = json.dumps(package).encode()
    files["datapackage-digest.json"] = json.dumps({"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(
        files["datapackage.json"]).hexdigest()}).encode()
    taken = rewrite(out, tmp_path / "taken.wacz", files)
    t = run("verify", str(taken), "--ca-bundle", str(tsa_authority.root_pem))
    assert t.returncode == 1, t.stdout + t.stderr
    assert "1 of the 2 records its token lists are not in it" in t.stdout and "(besides 1 export left out)" in t.stdout, \
        t.stdout


def test_an_export_missing_a_warc_file_verifies_and_lists_no_page_of_nothing(tmp_path: Path,
                                                                              tsa_authority: Authority) -> None:
    """The post's capture's WARC file gone from the archive: export leaves its records out (exit 1),
    lists them in the bundle, and leaves its page out of pages.jsonl (replay would show nothing);
    verify names them as left out, with why."""
    archive = indexed_archive(tmp_path / "archive", stamp_with=tsa_authority, post_warc_apart=True)
    warc, rid, _ = _embed_response(archive)
    assert warc.name.startswith("test-post")
    warc.unlink()
    out = tmp_path / "alice.wacz"
    e = run("export", "--handle", "alice", "-o", str(out), "--archive-dir", str(archive))
    assert e.returncode == 1 and "2 record(s) left out" in e.stderr, e.stderr
    assert f"page {EMBED_URL} has no record in this export: left out of pages/pages.jsonl" in e.stderr, e.stderr
    left = _left_out(out)
    assert rid in [r["record_id"] for r in left] and {r["why"] for r in left} == {"WARC file missing"}, left
    pages = [json.loads(line)["url"] for line in read(out, "pages/pages.jsonl").splitlines()[1:]]
    assert pages == [ARTICLE_URL]
    v = run("verify", str(out), "--ca-bundle", str(tsa_authority.root_pem))
    assert v.returncode == 0, v.stdout + v.stderr
    assert ("2 of the 2 records its token lists were left out by export (2 WARC file missing; named in "
            "evidence/left-out.json)") in v.stderr, v.stderr


@pytest.mark.browser
def test_a_revisit_whose_original_export_left_out_is_a_note(tmp_path: Path, tsa_authority: Authority) -> None:
    """A post captured, then captured again with a timestamp (what did not change stored as revisits
    of the first capture's records), the first capture's WARC file then lost: export leaves the
    originals out and names them in the bundle, and verify notes each stamped revisit whose original
    that is, naming it, instead of calling the bundle unverified."""
    from tests.e2e import cli, warc_files
    from tests.fakeweb import FakeWeb, site

    with FakeWeb(tmp_path / "web") as web:
        archive = tmp_path / "archive"
        url = f"https://twitter.com/{site.TWEET_PHOTO.user.screen_name}/status/{site.TWEET_PHOTO.id}"
        assert cli(web, "archive", url, archive=archive).returncode == 0
        again = cli(web, "archive", url, "--recapture", archive=archive, env={"ARCHIVER_TSA": tsa_authority.url})
        assert again.returncode == 0, again.stderr
    first = warc_files(archive)[0]
    first.unlink()
    run("keys", "create", "--archive-dir", str(archive))
    out = tmp_path / "post.wacz"
    e = run("export", "--sign", "-o", str(out), "--archive-dir", str(archive))
    assert e.returncode == 1 and f"warcs/{first.name}: WARC file is missing" in e.stderr, e.stderr
    left = {r["record_id"]: r["why"] for r in _left_out(out)}
    v = run("verify", str(out), "--ca-bundle", str(tsa_authority.root_pem))
    assert v.returncode == 0 and v.stdout == "", v.stdout + v.stderr
    assert (f"{len(left)} record(s) of the archive left out by its export (damaged, or their WARC file missing or "
            "unreadable; named in evidence/left-out.json)") in v.stderr, v.stderr
    notes = [line for line in v.stderr.splitlines() if "is a revisit of payload" in line]
    assert notes, v.stderr
    j = run("verify", str(out), "--ca-bundle", str(tsa_authority.root_pem), "--format", "json")
    assert j.returncode == 0 and json.loads(j.stdout)["left_out_records"] == len(left), j.stdout
    for note in notes:
        original = note.split("whose original ", 1)[1].split(" ", 1)[0]
        assert left[original] == "WARC file missing" and "(WARC file missing; named in evidence/left-out.json)" \
            in note, note
