"""Signed and timestamped WACZ: what `export --sign/--timestamp` writes, and `verify X.wacz` on it.

Bundles are made from the small export archive (no browser), timestamped by the local RFC 3161
authority; domain signatures are judged by authsign's Verifier (what `wacz validate --verify-auth`
runs) with a test roots file, anonymous ones by `archiver verify` and an independent check of the
form ReplayWeb.page verifies (P-384 SPKI public key, raw r||s signature over the hash's ASCII).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from archiver.errors import EvidenceError, UsageError
from archiver.evidence.keys import create_key, key_path, load_key
from archiver.evidence.seal import EvidenceOptions
from archiver.evidence.sign import ANONYMOUS_FIELDS, DOMAIN_FIELDS
from archiver.evidence.verify_wacz import verify_wacz
from tests.evidence_fixtures import (
    DOMAIN,
    digest_doc,
    export,
    flip,
    make_domain,
    read,
    rewrite,
    roots_yaml,
    tsa_roots,
)
from tests.export_fixtures import Archive, build_archive
from tests.tsa_authority import Authority, make_ca, timestamp_authority

ROOT = Path(__file__).resolve().parents[1]
WACZ = ROOT / ".venv" / "bin" / "wacz"
RESOURCES = ("archive/data.warc.gz", "indexes/index.cdx", "pages/pages.jsonl")


@pytest.fixture
def arc(tmp_path: Path) -> Archive:
    return build_archive(tmp_path / "archive")


# The export fixtures' records were captured in November 2021: the authority's certificates are valid
# since before, so that a capture can be stamped when it was made (`Authority.token_at`).
AUTHORITY_SINCE = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def tsa_authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    with timestamp_authority(tmp_path_factory.mktemp("tsa"), since=AUTHORITY_SINCE) as authority:
        yield authority


def wacz_validate(path: Path) -> None:
    proc = subprocess.run([str(WACZ), "validate", "-f", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Validation succeeded" in proc.stdout, proc.stdout + proc.stderr


# -- the archive's key ---------------------------------------------------------------------------------


def test_key_is_created_private_and_never_replaced(arc: Archive) -> None:
    key = create_key(arc.root)
    path = key_path(arc.root)
    assert key.path == path and path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert isinstance(key.key.curve, ec.SECP384R1)
    assert load_key(arc.root).public == key.public
    assert key.public.fingerprint == "sha256:" + hashlib.sha256(base64.b64decode(key.public.spki_b64)).hexdigest()
    before = path.read_bytes()
    with pytest.raises(EvidenceError, match="already exists"):
        create_key(arc.root)
    assert path.read_bytes() == before


def test_missing_or_exposed_key_is_named(arc: Archive) -> None:
    with pytest.raises(EvidenceError, match="archiver keys create"):
        load_key(arc.root)
    create_key(arc.root)
    key_path(arc.root).chmod(0o644)
    with pytest.raises(EvidenceError, match="chmod 600"):
        load_key(arc.root)


# -- anonymous signature ---------------------------------------------------------------------------------


def test_anonymous_signature_verifies_and_has_the_replay_form(arc: Archive, tmp_path: Path) -> None:
    key = create_key(arc.root)
    wacz, _ = export(arc, tmp_path / "a.wacz", EvidenceOptions(key=key))
    digest = digest_doc(wacz)
    signed = digest["signedData"]
    assert set(signed) == set(ANONYMOUS_FIELDS)
    assert signed["hash"] == digest["hash"] == "sha256:" + hashlib.sha256(read(wacz, "datapackage.json")).hexdigest()
    assert signed["created"] == json.loads(read(wacz, "datapackage.json"))["created"]
    # what ReplayWeb.page does with WebCrypto: P-384 SPKI, raw r||s, ECDSA SHA-256 over the hash's ASCII
    public = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
    assert isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP384R1)
    raw = base64.b64decode(signed["signature"])
    assert len(raw) == 96
    der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    public.verify(der, signed["hash"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public.verify(der, signed["hash"].replace("a", "b").encode("ascii"), ec.ECDSA(hashes.SHA256()))

    result = verify_wacz(wacz)
    assert result.ok, result.findings
    assert result.signature == {"kind": "anonymous", "key": key.public.fingerprint, "created": signed["created"],
                                "anchored": False}
    assert f"signed by key {key.public.fingerprint}" in result.sentence() and f"the time it states, {signed['created']}, is its signer's word)" in result.sentence()
    assert "no timestamp" in result.sentence()
    wacz_validate(wacz)


def test_timestamps_of_the_digest_check_against_the_authority_ca(arc: Archive, tmp_path: Path,
                                                                 tsa_authority: Authority) -> None:
    key = create_key(arc.root)
    wacz, sealer = export(arc, tmp_path / "t.wacz", EvidenceOptions(key=key, authorities=[tsa_authority.url]))
    assert sealer.failures == []
    (token,) = digest_doc(wacz)["timestamps"]
    assert token["authority"] == tsa_authority.url and token["certificates"].count("BEGIN CERTIFICATE") == 1
    anchored = verify_wacz(wacz, roots=tsa_roots(tsa_authority))
    assert anchored.ok, anchored.findings
    (stamp,) = anchored.stamps
    assert stamp.over == "bundle" and stamp.anchored and stamp.time == token["time"]
    assert f"content unchanged since {token['time'][:16]}Z per TSA CN=Archiver Test TSA (checked against your CA bundle)" \
        in anchored.sentence()
    # without the authority's CA the token cannot be checked: said, not passed off as proof
    alone = verify_wacz(wacz)
    assert alone.ok and alone.stamps == [] and alone.unchecked == 1
    assert "1 timestamp(s) not checked" in alone.sentence()
    wacz_validate(wacz)


def test_timestamp_ca_is_carried_in_the_bundle(arc: Archive, tmp_path: Path, tsa_authority: Authority) -> None:
    wacz, _ = export(arc, tmp_path / "t.wacz", EvidenceOptions(authorities=[tsa_authority.url],
                                                               tsa_certificates=tsa_roots(tsa_authority)))
    result = verify_wacz(wacz)
    assert result.ok and result.signature is None
    (stamp,) = result.stamps
    assert not stamp.anchored and stamp.root == "CN=Archiver Test TSA Root"
    assert "unsigned" in result.sentence() and "carried in the bundle, not checked against a CA you trust" in result.sentence()
    stranger = make_ca(tmp_path / "stranger", name="Someone Else")
    refused = verify_wacz(wacz, roots=[stranger.cert])
    assert [(f.kind, f.path) for f in refused.findings] == [("timestamp", "datapackage-digest.json")]
    assert "does not chain to the given CA" in refused.findings[0].detail


def test_failing_authority_is_named_and_the_bundle_still_written(arc: Archive, tmp_path: Path,
                                                                 tsa_authority: Authority) -> None:
    tsa_authority.fail = "http"
    key = create_key(arc.root)
    wacz, sealer = export(arc, tmp_path / "f.wacz", EvidenceOptions(key=key, authorities=[tsa_authority.url]))
    assert len(sealer.failures) == 1 and tsa_authority.url in sealer.failures[0] and "HTTP 503" in sealer.failures[0]
    assert "timestamps" not in digest_doc(wacz)
    assert verify_wacz(wacz).ok


# -- domain signature ------------------------------------------------------------------------------------


def test_domain_signature_passes_authsign_and_archiver_verify(arc: Archive, tmp_path: Path,
                                                              tsa_authority: Authority) -> None:
    from authsign.verifier import Verifier

    domain = make_domain(tmp_path / "domain")
    wacz, sealer = export(arc, tmp_path / "d.wacz", EvidenceOptions(
        domain=domain.identity(), authorities=[tsa_authority.url], tsa_certificates=tsa_roots(tsa_authority)))
    assert sealer.failures == []
    signed = digest_doc(wacz)["signedData"]
    assert set(signed) <= set(DOMAIN_FIELDS) and signed["domain"] == DOMAIN
    roots = roots_yaml(tmp_path / "roots.yaml", [domain.ca.cert], [tsa_authority.ca.cert])
    verified = Verifier(str(roots))(dict(signed))
    assert verified.observer == DOMAIN

    result = verify_wacz(wacz, roots=[domain.ca.cert, tsa_authority.ca.cert])
    assert result.ok, result.findings
    assert result.signature is not None and result.signature["anchored"] and result.signature["domain"] == DOMAIN
    assert [s.over for s in result.stamps] == ["signature", "bundle"]
    assert verified.timestamp == result.stamps[0].time
    assert f"signed by {DOMAIN} (its certificate chaining to your CA bundle)" in result.sentence()
    unanchored = verify_wacz(wacz)
    assert unanchored.ok and "not checked against a CA you trust" in unanchored.sentence()
    wacz_validate(wacz)


def test_authsign_refuses_a_domain_signature_from_untrusted_roots(arc: Archive, tmp_path: Path,
                                                                  tsa_authority: Authority) -> None:
    from authsign.verifier import Verifier

    domain = make_domain(tmp_path / "domain")
    wacz, _ = export(arc, tmp_path / "d.wacz", EvidenceOptions(
        domain=domain.identity(), authorities=[tsa_authority.url], tsa_certificates=tsa_roots(tsa_authority)))
    signed = digest_doc(wacz)["signedData"]
    other = make_ca(tmp_path / "other", name="Other Root")
    for domain_roots, tsa_roots_ in (([other.cert], [tsa_authority.ca.cert]), ([domain.ca.cert], [other.cert])):
        roots = roots_yaml(tmp_path / "roots.yaml", domain_roots, tsa_roots_)
        with pytest.raises(AssertionError):
            Verifier(str(roots))(dict(signed))
    refused = verify_wacz(wacz, roots=[other.cert, tsa_authority.ca.cert])
    assert [f.kind for f in refused.findings] == ["signature"]
    assert "does not chain to the given CA bundle" in refused.findings[0].detail


def test_domain_signing_needs_a_timestamp(arc: Archive, tmp_path: Path, tsa_authority: Authority) -> None:
    domain = make_domain(tmp_path / "domain")
    with pytest.raises(EvidenceError, match="needs a timestamp authority"):
        export(arc, tmp_path / "d.wacz", EvidenceOptions(domain=domain.identity()))
    tsa_authority.fail = "down"
    with pytest.raises(EvidenceError, match="no timestamp for the domain signature"):
        export(arc, tmp_path / "d.wacz", EvidenceOptions(domain=domain.identity(), authorities=[tsa_authority.url]))
    assert not (tmp_path / "d.wacz").exists()


def test_domain_key_must_match_its_certificate(tmp_path: Path) -> None:
    from archiver.evidence.sign import DomainIdentity
    from tests.tsa_authority import write_key

    domain = make_domain(tmp_path / "domain")
    other = write_key(ec.generate_private_key(ec.SECP256R1()), tmp_path / "other.key")
    with pytest.raises(EvidenceError, match="is not the certificate of"):
        DomainIdentity.load(domain.cert_pem, other)
    rsa_like = write_key(ec.generate_private_key(ec.SECP384R1()), tmp_path / "p384.key")
    with pytest.raises(EvidenceError, match="not an ECDSA P-256 key"):
        DomainIdentity.load(domain.cert_pem, rsa_like)
    with pytest.raises(UsageError, match="cannot read CA certificates"):
        DomainIdentity.load(tmp_path / "missing.pem", domain.key_pem)


# -- tampering: each change is named -----------------------------------------------------------------------


@pytest.fixture
def sealed(arc: Archive, tmp_path: Path, tsa_authority: Authority) -> tuple[Path, list]:  # type: ignore[type-arg]
    domain = make_domain(tmp_path / "domain")
    wacz, _ = export(arc, tmp_path / "d.wacz", EvidenceOptions(
        domain=domain.identity(), authorities=[tsa_authority.url], tsa_certificates=tsa_roots(tsa_authority)))
    roots = [domain.ca.cert, tsa_authority.ca.cert]
    assert verify_wacz(wacz, roots=roots).ok
    return wacz, roots


def _kinds(wacz: Path, roots: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    result = verify_wacz(wacz, roots=roots)
    assert not result.ok and "does NOT verify" in result.sentence()
    return [(f.kind, f.path) for f in result.findings]


@pytest.mark.parametrize("name", RESOURCES)
def test_a_flipped_byte_in_any_file_is_named(sealed: tuple[Path, list], tmp_path: Path, name: str) -> None:  # type: ignore[type-arg]
    wacz, roots = sealed
    data = read(wacz, name)
    for at in (0, len(data) // 2, len(data) - 1):
        bad = rewrite(wacz, tmp_path / "bad.wacz", {name: flip(data, at)})
        kinds = _kinds(bad, roots)
        # Named by its hash first; what the change does to the records and the index besides.
        assert kinds[0] == ("hash", name) and all(kind in ("damaged", "record", "index", "pages") for kind, _ in kinds[1:]), kinds


def test_a_changed_datapackage_is_named(sealed: tuple[Path, list], tmp_path: Path) -> None:  # type: ignore[type-arg]
    wacz, roots = sealed
    package = read(wacz, "datapackage.json")
    # a resource's hash changed to hide a changed file: the digest no longer matches
    text = package.decode()
    at = text.index('"sha256:') + 10
    bad = rewrite(wacz, tmp_path / "bad.wacz", {"datapackage.json": flip(package, at)})
    kinds = _kinds(bad, roots)
    assert kinds[0] == ("digest", "datapackage.json") and ("hash", "archive/data.warc.gz") in kinds
    # and the token over datapackage.json stamps other content
    result = verify_wacz(bad, roots=roots)
    assert any(f.kind == "timestamp" and "stamps other content" in f.detail for f in result.findings)


def test_a_rehashed_digest_breaks_the_signature(sealed: tuple[Path, list], tmp_path: Path) -> None:  # type: ignore[type-arg]
    wacz, roots = sealed
    package = flip(read(wacz, "datapackage.json"), 5)
    doc = digest_doc(wacz)
    doc["hash"] = "sha256:" + hashlib.sha256(package).hexdigest()  # the digest recomputed after a change
    bad = rewrite(wacz, tmp_path / "bad.wacz", {"datapackage.json": package,
                                                "datapackage-digest.json": json.dumps(doc).encode()})
    result = verify_wacz(bad, roots=roots)
    assert ("signature", "datapackage-digest.json") in [(f.kind, f.path) for f in result.findings]
    assert any("signature is over other content" in f.detail for f in result.findings)
    signed_too = dict(doc, signedData=dict(doc["signedData"], hash=doc["hash"]))
    bad = rewrite(wacz, tmp_path / "bad2.wacz", {"datapackage.json": package,
                                                 "datapackage-digest.json": json.dumps(signed_too).encode()})
    result = verify_wacz(bad, roots=roots)
    assert any(f.kind == "signature" and "does not match the domain certificate" in f.detail for f in result.findings)


@pytest.mark.parametrize("field", ["signature", "timeSignature"])
def test_a_flipped_byte_in_the_signature_is_named(sealed: tuple[Path, list], tmp_path: Path, field: str) -> None:  # type: ignore[type-arg]
    wacz, roots = sealed
    doc = digest_doc(wacz)
    raw = base64.b64decode(doc["signedData"][field])
    doc["signedData"][field] = base64.b64encode(flip(raw, len(raw) - 5)).decode()
    bad = rewrite(wacz, tmp_path / "bad.wacz", {"datapackage-digest.json": json.dumps(doc).encode()})
    kind = "signature" if field == "signature" else "timestamp"
    findings = verify_wacz(bad, roots=roots).findings
    assert [(f.kind, f.path) for f in findings] == [(kind, "datapackage-digest.json")]


def test_anonymous_signature_flipped_is_named(arc: Archive, tmp_path: Path) -> None:
    wacz, _ = export(arc, tmp_path / "a.wacz", EvidenceOptions(key=create_key(arc.root)))
    doc = digest_doc(wacz)
    raw = base64.b64decode(doc["signedData"]["signature"])
    for at in (0, 47, 48, 95):
        doc2 = json.loads(json.dumps(doc))
        doc2["signedData"]["signature"] = base64.b64encode(flip(raw, at)).decode()
        bad = rewrite(wacz, tmp_path / "bad.wacz", {"datapackage-digest.json": json.dumps(doc2).encode()})
        (finding,) = verify_wacz(bad).findings
        assert finding.kind == "signature" and "does not match the public key" in finding.detail
    # another key's signature over the same digest: the public key must be swapped too, and it then
    # names another signer, which the reader compares with the fingerprint published
    other = make_ca(tmp_path / "x")  # noqa: F841 (a second archive's key below)
    second = build_archive(tmp_path / "second")
    key2 = create_key(second.root)
    doc["signedData"]["signature"] = key2.sign(doc["hash"])
    bad = rewrite(wacz, tmp_path / "bad.wacz", {"datapackage-digest.json": json.dumps(doc).encode()})
    assert verify_wacz(bad).findings[0].detail.startswith("the signature does not match the public key")


def _created_forged(wacz: Path, out: Path, created: str) -> Path:
    doc = digest_doc(wacz)
    doc["signedData"]["created"] = created
    return rewrite(wacz, out, {"datapackage-digest.json": json.dumps(doc).encode()})


def test_a_signature_stating_another_time_than_the_package_is_named(arc: Archive, tmp_path: Path,
                                                                    sealed: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    """signedData.created made to differ from datapackage.json's `created` (which the signed hash
    covers): the signature itself still checks, the time it states is nobody's. `wacz validate`
    refuses it too."""
    wacz, _ = export(arc, tmp_path / "a.wacz", EvidenceOptions(key=create_key(arc.root)))
    created = json.loads(read(wacz, "datapackage.json"))["created"]
    bad = _created_forged(wacz, tmp_path / "bad.wacz", "2020-01-01T00:00:00Z")
    result = verify_wacz(bad)
    assert [(f.kind, f.path, f.detail) for f in result.findings] == [
        ("signature", "datapackage-digest.json",
         f"signedData.created (2020-01-01T00:00:00Z) is not the created of datapackage.json ({created}), which the "
         "signature covers: the time it states is not the package's")]
    proc = subprocess.run([str(WACZ), "validate", "-f", str(bad)], capture_output=True, text=True, timeout=120)
    assert "signed timestamp != created timestamp" in proc.stdout, proc.stdout + proc.stderr
    # A domain signature's, a second earlier (still within its certificate's and its timestamp's windows).
    signed, roots = sealed
    stated = digest_doc(signed)["signedData"]["created"]
    earlier = (datetime.datetime.fromisoformat(stated.replace("Z", "+00:00")) - datetime.timedelta(seconds=1))
    forged = _created_forged(signed, tmp_path / "bad-domain.wacz", earlier.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert [(f.kind, f.path) for f in verify_wacz(forged, roots=roots).findings] == [
        ("signature", "datapackage-digest.json")]


def test_swapped_timestamps_are_named(arc: Archive, tmp_path: Path, tsa_authority: Authority) -> None:
    key = create_key(arc.root)
    options = EvidenceOptions(key=key, authorities=[tsa_authority.url])
    first, _ = export(arc, tmp_path / "1.wacz", options)
    second, _ = export(arc, tmp_path / "2.wacz", options)
    assert digest_doc(first)["hash"] != digest_doc(second)["hash"]  # `created` differs, or the zip times
    doc = digest_doc(first)
    doc["timestamps"] = digest_doc(second)["timestamps"]
    bad = rewrite(first, tmp_path / "bad.wacz", {"datapackage-digest.json": json.dumps(doc).encode()})
    (finding,) = verify_wacz(bad, roots=tsa_roots(tsa_authority)).findings
    assert finding.kind == "timestamp" and "stamps other content" in finding.detail
    # the time written beside a token is the token's own
    doc = digest_doc(first)
    doc["timestamps"][0]["time"] = "2020-01-01T00:00:00Z"
    bad = rewrite(first, tmp_path / "bad.wacz", {"datapackage-digest.json": json.dumps(doc).encode()})
    (finding,) = verify_wacz(bad, roots=tsa_roots(tsa_authority)).findings
    assert "is not the token's own" in finding.detail


def test_swapped_time_signature_is_named(arc: Archive, tmp_path: Path, tsa_authority: Authority) -> None:
    domain = make_domain(tmp_path / "domain")
    options = EvidenceOptions(domain=domain.identity(), authorities=[tsa_authority.url],
                              tsa_certificates=tsa_roots(tsa_authority))
    first, _ = export(arc, tmp_path / "1.wacz", options)
    second, _ = export(arc, tmp_path / "2.wacz", options)
    doc = digest_doc(first)
    doc["signedData"]["timeSignature"] = digest_doc(second)["signedData"]["timeSignature"]
    bad = rewrite(first, tmp_path / "bad.wacz", {"datapackage-digest.json": json.dumps(doc).encode()})
    (finding,) = verify_wacz(bad, roots=[domain.ca.cert, tsa_authority.ca.cert]).findings
    assert finding.kind == "timestamp" and "stamps other content" in finding.detail


def test_added_and_removed_files_are_named(sealed: tuple[Path, list], tmp_path: Path) -> None:  # type: ignore[type-arg]
    wacz, roots = sealed
    bad = rewrite(wacz, tmp_path / "bad.wacz", {}, add={"archive/extra.warc.gz": b"not vouched for"})
    assert _kinds(bad, roots) == [("unlisted", "archive/extra.warc.gz")]  # named, and never read into
    bad = rewrite(wacz, tmp_path / "bad2.wacz", {"pages/pages.jsonl": None})
    assert _kinds(bad, roots) == [("missing", "pages/pages.jsonl")]


def test_a_forged_file_under_a_vouched_name_is_named(sealed: tuple[Path, list], tmp_path: Path) -> None:  # type: ignore[type-arg]
    """A second entry of the same name put first in the zip: `unzip` reads it, Python's zipfile the
    vouched one after it. The bundle does not check: the name is held twice."""
    import warnings
    import zipfile

    wacz, roots = sealed
    forged = tmp_path / "forged.wacz"
    with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(forged, "w") as dst, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it is asked to write
        dst.writestr("pages/pages.jsonl", b'{"forged": true}\n')
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
    assert _kinds(forged, roots) == [("duplicate", "pages/pages.jsonl")]


def test_not_a_wacz_is_a_usage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wacz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(UsageError, match="not a readable WACZ"):
        verify_wacz(junk)
    with pytest.raises(UsageError, match="does not exist"):
        verify_wacz(tmp_path / "missing.wacz")


# -- per-capture timestamps in the sidecar -------------------------------------------------------------------


def _manifest(records: list[tuple[str, str, str, str, str]]) -> str:
    """A capture's record manifest, as captures are stamped (sidecar.py names its format)."""
    lines = sorted("\t".join(r) for r in records)
    return "".join(f"{line}\n" for line in ["archiver-capture-records/1", *lines])


def _bundle_records(wacz: Path) -> list[tuple[str, str, str, str, str]]:
    import io

    from warcio.archiveiterator import ArchiveIterator

    out = []
    for rec in ArchiveIterator(io.BytesIO(read(wacz, "archive/data.warc.gz"))):
        h = rec.rec_headers
        if rec.rec_type != "warcinfo" and not h.get_header("WARC-Archiver-Removed-Headers"):
            out.append((h.get_header("WARC-Record-ID"), rec.rec_type, h.get_header("WARC-Target-URI") or "",
                        h.get_header("WARC-Date"), h.get_header("WARC-Block-Digest")))
    return out


def _capture(authority: Authority, records: list[tuple[str, str, str, str, str]], capture: int = 7):  # type: ignore[no-untyped-def]
    """The capture of these records, stamped as a capture is: seconds after its last record was written."""
    from archiver.evidence import tsa
    from archiver.evidence.sidecar import CaptureTimestamps, StoredToken

    manifest = _manifest(records)
    latest = max(datetime.datetime.fromisoformat(r[3].replace("Z", "+00:00")) for r in records)
    token = tsa.parse_token(authority.token_at(manifest.encode(), latest + datetime.timedelta(seconds=2)))
    return CaptureTimestamps(capture=capture, manifest=manifest,
                             digest="sha256:" + hashlib.sha256(manifest.encode()).hexdigest(),
                             tokens=[StoredToken(authority=authority.url, time=token.time.isoformat(),
                                                 token=base64.b64encode(token.der).decode())],
                             post_key="twitter:1111111111111111111", url="https://platform.twitter.com/embed")


def test_capture_tokens_travel_in_the_sidecar_and_are_checked(arc: Archive, tmp_path: Path,
                                                              tsa_authority: Authority) -> None:
    from archiver.evidence.sidecar import SIDECAR_PATH

    plain, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    records = _bundle_records(plain)
    assert len(records) > 3
    capture = _capture(tsa_authority, records[:3])
    wacz, _ = export(arc, tmp_path / "c.wacz", EvidenceOptions(captures=[capture]))
    package = json.loads(read(wacz, "datapackage.json"))
    assert SIDECAR_PATH in [r["path"] for r in package["resources"]]  # covered by the digest
    sidecar = json.loads(read(wacz, SIDECAR_PATH))
    assert sidecar["format"] == "archiver-timestamps/1" and sidecar["captures"][0]["capture"] == 7
    result = verify_wacz(wacz, roots=tsa_roots(tsa_authority))
    assert result.ok, result.findings
    assert result.captures == 1 and [s.over for s in result.stamps] == ["capture 7"]
    assert "1 capture(s) timestamped when made" in result.sentence()
    wacz_validate(wacz)


def test_capture_manifest_not_matching_the_records_is_named(arc: Archive, tmp_path: Path,
                                                            tsa_authority: Authority) -> None:
    plain, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    records = _bundle_records(plain)
    # stamped over a block digest the bundle's record does not have (a record changed after capture)
    changed = [(*records[0][:4], "sha256:" + "0" * 64), *records[1:3]]
    wacz, _ = export(arc, tmp_path / "c.wacz", EvidenceOptions(captures=[_capture(tsa_authority, changed)]))
    (finding,) = verify_wacz(wacz, roots=tsa_roots(tsa_authority)).findings
    assert finding.kind == "capture" and records[0][0] in finding.detail and "not the one stamped" in finding.detail

    # a token of another capture put beside this manifest
    first, second = _capture(tsa_authority, records[:2]), _capture(tsa_authority, records[2:4], capture=8)
    first.tokens = second.tokens
    wacz, _ = export(arc, tmp_path / "s.wacz", EvidenceOptions(captures=[first]))
    (finding,) = verify_wacz(wacz, roots=tsa_roots(tsa_authority)).findings
    assert finding.kind == "capture" and "stamps other content" in finding.detail


@pytest.mark.parametrize("field", [1, 2, 3], ids=["type", "target-uri", "date"])
def test_a_record_header_not_the_one_stamped_is_named(arc: Archive, tmp_path: Path, tsa_authority: Authority,
                                                      field: int) -> None:
    """The block untouched, a header the manifest lists differs (as if edited after capture)."""
    plain, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    records = _bundle_records(plain)
    edited = list(records[0])
    edited[field] = {1: "resource", 2: "https://elsewhere.example/", 3: "2001-01-01T00:00:00Z"}[field]
    stamped = [tuple(edited), *records[1:3]]
    wacz, _ = export(arc, tmp_path / "c.wacz", EvidenceOptions(captures=[_capture(tsa_authority, stamped)]))  # type: ignore[list-item]
    (finding,) = verify_wacz(wacz, roots=tsa_roots(tsa_authority)).findings
    assert finding.kind == "capture" and records[0][0] in finding.detail
    assert "WARC-Type, WARC-Target-URI or WARC-Date is not the one stamped" in finding.detail


def test_captures_partly_in_the_bundle_are_noted(arc: Archive, tmp_path: Path, tsa_authority: Authority) -> None:
    plain, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    records = _bundle_records(plain)
    elsewhere = ("<urn:uuid:00000000-0000-0000-0000-000000000000>", "response", "https://elsewhere.example/",
                 "2021-11-08T10:00:00Z", "sha256:" + "1" * 64)
    wacz, _ = export(arc, tmp_path / "c.wacz", EvidenceOptions(captures=[_capture(tsa_authority, [*records[:2], elsewhere])]))
    result = verify_wacz(wacz, roots=tsa_roots(tsa_authority))
    assert result.ok and any("2 of its 3 records are in this bundle" in n for n in result.notes)


def test_openssl_checks_a_digest_timestamp_over_datapackage_json(arc: Archive, tmp_path: Path,
                                                                 tsa_authority: Authority) -> None:
    """An independent tool agrees: the token over the digest is a plain RFC 3161 token over datapackage.json."""
    wacz, _ = export(arc, tmp_path / "t.wacz", EvidenceOptions(authorities=[tsa_authority.url]))
    package = tmp_path / "datapackage.json"
    package.write_bytes(read(wacz, "datapackage.json"))
    token = tmp_path / "token.tsr"
    token.write_bytes(base64.b64decode(digest_doc(wacz)["timestamps"][0]["token"]))

    def openssl_verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["openssl", "ts", "-verify", "-data", str(package), "-in", str(token),
                               "-CAfile", str(tsa_authority.root_pem)], capture_output=True, text=True, timeout=60)

    ok = openssl_verify()
    assert ok.returncode == 0 and "Verification: OK" in ok.stdout, ok.stdout + ok.stderr
    package.write_bytes(flip(package.read_bytes(), 10))
    bad = openssl_verify()
    assert bad.returncode != 0 and "imprint mismatch" in bad.stderr


@pytest.mark.parametrize("digest", [
    {"path": "datapackage.json", "hash": None, "signedData": "nope"},
    {"path": "datapackage.json", "signedData": {"hash": 3, "signature": None, "publicKey": ["x"]}},
    {"path": "datapackage.json", "timestamps": {"token": 1}},
    {"path": "datapackage.json", "timestamps": [{"token": "!!notbase64"}, {"token": "AAAA"}, 5]},
    {"path": "datapackage.json", "signedData": {"domainCert": "junk", "domain": 1, "created": "yesterday"}},
    [1, 2, 3],
])
def test_hostile_digest_files_are_named_not_crashed_on(arc: Archive, tmp_path: Path, digest: object) -> None:
    wacz, _ = export(arc, tmp_path / "p.wacz", EvidenceOptions())
    doc = digest_doc(wacz)
    if isinstance(digest, dict):
        digest = {**digest, **({"hash": doc["hash"]} if "hash" not in digest else {})}
    bad = rewrite(wacz, tmp_path / "bad.wacz", {"datapackage-digest.json": json.dumps(digest).encode()})
    result = verify_wacz(bad)
    assert not result.ok and all(f.kind in ("digest", "signature", "timestamp") for f in result.findings)
    json.dumps(result.to_dict())


def test_a_key_others_can_read_is_refused_with_the_way_to_a_new_one(tmp_path: Path) -> None:
    from archiver.errors import EvidenceError
    from archiver.evidence.keys import create_key, key_path, load_key

    create_key(tmp_path)
    path = key_path(tmp_path)
    path.chmod(0o644)
    with pytest.raises(EvidenceError) as refused:
        load_key(tmp_path)
    said = str(refused.value)
    assert f"run `chmod 600 {path}`; if others may have read it, move it away" in said
    path.rename(tmp_path / "old-key.pem")  # what it says to do: moved away, a new key can be made
    create_key(tmp_path)
    assert load_key(tmp_path) is not None


def _rehashed(wacz: Path, out: Path, changes: dict[str, bytes]) -> Path:
    """`wacz` with files changed and datapackage.json (and its digest) made again over them, as a
    tool repackaging the bundle would: every file then matches the hashes."""
    package = json.loads(read(wacz, "datapackage.json"))
    for res in package["resources"]:
        if res["path"] in changes:
            res["hash"] = "sha256:" + hashlib.sha256(changes[res["path"]]).hexdigest()
            res["bytes"] = len(changes[res["path"]])
    text = json.dumps(package).encode()
    digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(text).hexdigest()}
    return rewrite(wacz, out, {**changes, "datapackage.json": text,
                               "datapackage-digest.json": json.dumps(digest).encode()})


def test_damage_under_hashes_made_again_is_still_named(arc: Archive, tmp_path: Path) -> None:
    import gzip

    wacz, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    assert verify_wacz(wacz).ok
    warc, index = read(wacz, "archive/data.warc.gz"), read(wacz, "indexes/index.cdx")
    lines = index.splitlines(keepends=True)
    # A byte flipped inside a record (its gzip member decompressed, changed, compressed again).
    target = max(range(len(lines)), key=lambda i: json.loads(lines[i].split(b" ", 2)[2])["length"])
    entry = json.loads(lines[target].split(b" ", 2)[2])
    start, length = int(entry["offset"]), int(entry["length"])
    member = bytearray(gzip.decompress(warc[start:start + length]))
    member[-10] ^= 0x01
    changed = warc[:start] + gzip.compress(bytes(member)) + warc[start + length:]
    cases = {
        "flipped": {"archive/data.warc.gz": changed},
        "cut short": {"archive/data.warc.gz": warc[:-3000]},
        "line deleted": {"indexes/index.cdx": b"".join(lines[:target] + lines[target + 1:])},
        "offset moved": {"indexes/index.cdx": b"".join(
            lines[:target] + [lines[target].replace(f'"offset": "{start}"'.encode(), f'"offset": "{start + 1}"'.encode())
                              .replace(f'"offset": {start}'.encode(), f'"offset": {start + 1}'.encode())]
            + lines[target + 1:])},
    }
    for case, changes in cases.items():
        result = verify_wacz(_rehashed(wacz, tmp_path / "bad.wacz", changes))
        kinds = {f.kind for f in result.findings}
        assert not result.ok and not kinds & {"hash", "digest"}, (case, result.findings)
        # (a file cut short reads as fewer records: the index names where they were)
        expected = {"flipped": {"record"}, "cut short": {"index"}, "line deleted": {"index"}, "offset moved": {"index"}}
        assert expected[case] <= kinds, (case, result.findings)


@pytest.mark.parametrize("signed", [False, True])
def test_bytes_before_or_after_the_zip_are_named(arc: Archive, tmp_path: Path, signed: bool) -> None:
    """What no hash covers and unzip shows: bytes put before the zip (zipfile reads on, past them)
    or after its end, as the zip's comment is named; exit 1 from the command too."""
    import os
    import sys

    options = EvidenceOptions(key=create_key(arc.root)) if signed else EvidenceOptions()
    wacz, _ = export(arc, tmp_path / "plain.wacz", options)
    assert verify_wacz(wacz).ok
    data = wacz.read_bytes()
    for case, bytes_, where in (("before", b"JUNK" * 100 + data, "(before the zip)"),
                                ("after", data + b"JUNK" * 100, "(after the zip)"),
                                ("a few after", data + b"J", "(after the zip)")):
        bad = tmp_path / f"{case}.wacz"
        bad.write_bytes(bytes_)
        result = verify_wacz(bad)
        assert [(f.kind, f.path) for f in result.findings] == [("unlisted", where)], (case, result.findings)
        assert str(len(bytes_) - len(data)) in result.findings[0].detail
        if signed:
            assert result.signature is not None  # the signature itself still checks: it is what it covers
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", str(tmp_path / "before.wacz")],
                       capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert r.returncode == 1 and "unlisted\t(before the zip)\t400 bytes" in r.stdout, (r.stdout, r.stderr)


def test_an_index_and_pages_edited_under_hashes_made_again_are_named(arc: Archive, tmp_path: Path) -> None:
    """A bundle edited and its hashes made again (unsigned: nothing else vouches for it): CDXJ lines
    saying another time, status or type than their record, lines out of order (replay tools' binary
    search then misses lines), a pages.jsonl that is not JSON, the WARC compressed in the zip (replay
    reads records by offset). Each is named; nothing else is."""
    import zipfile

    wacz, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    assert verify_wacz(wacz).ok
    index, pages = read(wacz, "indexes/index.cdx"), read(wacz, "pages/pages.jsonl")
    lines = index.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if b'"status": "200"' in line and b'"mime": "text/html"' in line)
    key, stamp, fields = lines[at].split(b" ", 2)

    def line_with(new: bytes) -> dict[str, bytes]:
        return {"indexes/index.cdx": b"".join(lines[:at] + [new] + lines[at + 1:])}

    cases: dict[str, tuple[dict[str, bytes], str, str]] = {
        "timestamp": (line_with(b" ".join([key, b"%014d" % (int(stamp) + 1), fields])), "index", "timestamp"),
        "status": (line_with(lines[at].replace(b'"status": "200"', b'"status": "404"')), "index", "status 404"),
        "mime": (line_with(lines[at].replace(b'"mime": "text/html"', b'"mime": "image/png"')), "index", "mime image/png"),
        "order": ({"indexes/index.cdx": b"".join(reversed(lines))}, "index", "out of order"),
        "pages": ({"pages/pages.jsonl": pages.replace(b'{"id"', b'{id', 1)}, "pages", "not JSON"),
    }
    assert len(lines) > 2 and pages.count(b'{"id"') >= 1
    for case, (changes, kind, said) in cases.items():
        result = verify_wacz(_rehashed(wacz, tmp_path / "bad.wacz", changes))
        found = [f for f in result.findings if f.kind == kind and said in f.detail]
        assert found and not {f.kind for f in result.findings} - {kind}, (case, result.findings)
    # The WARC entry DEFLATED instead of STORED: every byte of it the same, every hash still true.
    deflated = tmp_path / "deflated.wacz"
    with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(deflated, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "archive/data.warc.gz":
                info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    result = verify_wacz(deflated)
    assert [(f.kind, f.path) for f in result.findings] == [("entry", "archive/data.warc.gz")], result.findings
    assert "STORED" in result.findings[0].detail


def test_a_bundle_without_its_list_of_pages_is_named(arc: Archive, tmp_path: Path) -> None:
    """pages/pages.jsonl taken out, and datapackage.json made again without it: every file left
    matches its hash, and replay tools have no page to list, search or open first."""
    wacz, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    package = json.loads(read(wacz, "datapackage.json"))
    package["resources"] = [r for r in package["resources"] if r["path"] != "pages/pages.jsonl"]
    text = json.dumps(package).encode()
    digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(text).hexdigest()}
    bare = rewrite(wacz, tmp_path / "bare.wacz", {"pages/pages.jsonl": None, "datapackage.json": text,
                                                  "datapackage-digest.json": json.dumps(digest).encode()})
    result = verify_wacz(bare)
    assert [(f.kind, f.path) for f in result.findings] == [("pages", "pages/pages.jsonl")], result.findings
    assert "no list of its pages" in result.findings[0].detail
    # Its header alone: a bundle may hold no page to open (its export left out what it would show,
    # and says so), which is noted.
    header = read(wacz, "pages/pages.jsonl").splitlines(keepends=True)[0]
    result = verify_wacz(_rehashed(wacz, tmp_path / "header.wacz", {"pages/pages.jsonl": header}))
    assert result.ok and any("lists no page" in note for note in result.notes), (result.findings, result.notes)


def test_a_revisit_whose_original_was_taken_out_is_named(arc: Archive, tmp_path: Path) -> None:
    """The record a revisit stands for taken out of the bundle's WARC, its index made again over what
    is left and its hashes too: every line points at a record, every file matches, and the revisit
    cannot be shown (pywb answers it with an error), as `verify X.warc.gz` says of the same WARC."""
    import io

    from warcio.archiveiterator import ArchiveIterator

    from archiver.evidence.verify_warc import verify_warc
    from archiver.export.cdxj import cdxj_index

    wacz, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    warc = read(wacz, "archive/data.warc.gz")
    where: dict[str, tuple[int, int]] = {}  # payload digest of each response -> its record's bytes
    revisits: list[tuple[str, str]] = []  # (record ID, payload digest)
    it = ArchiveIterator(io.BytesIO(warc))
    for record in it:
        kind, payload = record.rec_type, record.rec_headers.get_header("WARC-Payload-Digest")
        if kind == "revisit":
            revisits.append((record.rec_headers.get_header("WARC-Record-ID"), payload))
        it.read_to_end(record)
        if kind == "response":
            where[payload] = (it.get_record_offset(), it.get_record_length())
    (rid, payload), *_ = revisits
    start, length = where[payload]
    cut = warc[:start] + warc[start + length:]
    bad = _rehashed(wacz, tmp_path / "orphan.wacz",
                    {"archive/data.warc.gz": cut, "indexes/index.cdx": cdxj_index(io.BytesIO(cut), "data.warc.gz")})
    result = verify_wacz(bad)
    assert [(f.kind, f.path) for f in result.findings] == [("record", "archive/data.warc.gz")], result.findings
    assert "stand for content that no intact record" in result.findings[0].detail and rid in result.findings[0].detail
    alone = tmp_path / "orphan.warc.gz"
    alone.write_bytes(cut)
    assert [f.kind for f in verify_warc(alone).findings] == ["record"]


def _revisit_warc(path: Path, how: str) -> Path:
    """A WARC of an original response and a revisit naming it `how`: by its URI and time alone (a
    server-not-modified revisit, no payload digest), by its record ID beside a payload digest over
    the de-chunked body of a chunked original (WARC/1.1's reading, which the payload as stored here
    does not give), or by neither, its original absent (or `itself`: by its own record ID, alone)."""
    import base64
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    body = b"<html>hello world</html>"
    chunked = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
                                protocol="HTTP/1.1")
        # (`record-offset`: by record ID, an original whose WARC-Date gives an offset, which no CDXJ time reads)
        date = "2024-03-04T09:30:11+01:00" if how == "record-offset" else "2024-03-04T08:30:11Z"
        original = w.create_warc_record("https://a.example/", "response", payload=io.BytesIO(chunked),
                                        http_headers=http, warc_headers_dict={"WARC-Payload-Digest": digest,
                                                                              "WARC-Date": date})
        headers = {"WARC-Date": "2024-03-05T08:30:11Z"}
        if how == "address":
            headers.update({"WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
                            "WARC-Refers-To-Target-URI": "https://a.example/",
                            "WARC-Refers-To-Date": "2024-03-04T08:30:11Z"})
        elif how in ("record", "record-offset"):
            headers.update({"WARC-Payload-Digest": digest,
                            "WARC-Refers-To": original.rec_headers.get_header("WARC-Record-ID")})
        elif how == "itself":  # a revisit naming itself, the original absent
            headers.update({"WARC-Payload-Digest": "sha1:" + "A" * 32, "WARC-Record-ID": "<urn:uuid:itself>",
                            "WARC-Refers-To": "<urn:uuid:itself>"})
        else:
            headers.update({"WARC-Payload-Digest": "sha1:" + "A" * 32, "WARC-Refers-To": "<urn:uuid:absent>"})
        revisit = w.create_warc_record("https://a.example/", "revisit", payload=io.BytesIO(b""),
                                       http_headers=StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1"),
                                       warc_headers_dict=headers)
        if how != "itself":
            w.write_record(original)
        w.write_record(revisit)
    return path


@pytest.mark.parametrize("how", ["address", "record", "neither", "itself"])
def test_a_revisit_finds_its_original_by_any_name_replay_tools_take(how: str, tmp_path: Path) -> None:
    from archiver.evidence.verify_warc import verify_warc
    from bench.verify_memory import build_wacz

    warc = _revisit_warc(tmp_path / "r.warc.gz", how)
    wacz = build_wacz(warc, tmp_path / "r.wacz")
    for result in (verify_warc(warc), verify_wacz(wacz)):
        if how in ("neither", "itself"):
            assert [f.kind for f in result.findings] == ["record"], result.findings
            assert "will not replay" in result.findings[0].detail
        else:
            assert result.ok, result.findings


def test_a_revisit_finds_by_record_id_an_original_whose_time_gives_an_offset(tmp_path: Path) -> None:
    # (A WARC only: cdxj-indexer itself cannot index a WARC-Date with an offset, so no WACZ is made.)
    from archiver.evidence.verify_warc import verify_warc

    result = verify_warc(_revisit_warc(tmp_path / "r.warc.gz", "record-offset"))
    assert result.ok, result.findings


def _as_zipnum(wacz: Path, out: Path, idx: Any = None) -> Path:
    """`wacz` with its CDXJ index as a ZipNum index of two lines a block (`idx`, given the block
    index's bytes, may change them), datapackage.json made again over the files."""
    from archiver.export.zipnum import zipnum

    zn = zipnum(read(wacz, "indexes/index.cdx"), "index.cdx.gz", block_lines=2)
    files = {"indexes/index.idx": zn.idx if idx is None else idx(zn.idx), "indexes/index.cdx.gz": zn.cdx_gz}
    package = json.loads(read(wacz, "datapackage.json"))
    package["resources"] = [r for r in package["resources"] if r["path"] != "indexes/index.cdx"] + [
        {"name": name.rsplit("/", 1)[1], "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
         "bytes": len(data)} for name, data in files.items()]
    text = json.dumps(package).encode()
    digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(text).hexdigest()}
    return rewrite(wacz, out, {"indexes/index.cdx": None, "datapackage.json": text,
                               "datapackage-digest.json": json.dumps(digest).encode()}, add=files)


def test_a_zipnum_block_index_that_leads_replay_astray_is_named(arc: Archive, tmp_path: Path) -> None:
    """ReplayWeb.page loads the block index (`.idx`) up front and reads only the block it names for
    a URL: a block index that names no block, a block at another offset, of another digest, or
    starting with another line than it says, loses URLs to replay though every index line is right."""
    wacz, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    assert verify_wacz(_as_zipnum(wacz, tmp_path / "zipnum.wacz")).ok
    idx = read(tmp_path / "zipnum.wacz", "indexes/index.idx").splitlines(keepends=True)
    assert len(idx) >= 4  # the !meta line and three blocks at least

    def entry(line: bytes) -> dict[str, Any]:
        return json.loads(line.split(b" ", 2)[2])

    def with_entry(n: int, **changes: Any) -> Any:
        key_ts = b" ".join(idx[n].split(b" ", 2)[:2])
        return lambda _: b"".join(idx[:n] + [key_ts + b" " + json.dumps({**entry(idx[n]), **changes}).encode() + b"\n"]
                                  + idx[n + 1:])

    second = entry(idx[2])
    cases = {
        "meta alone": (lambda _: idx[0], "names no block"),
        "no meta": (lambda _: b"".join(idx[1:]), "names no file its block is in"),
        "meta second": (lambda _: b"".join([idx[1], idx[0], *idx[2:]]), "a `!meta` line that is not the first"),
        "float offset": (lambda _: b"".join(idx[:2] + [idx[2].replace(b'"offset": ', b'"offset": 1e999, "x": ')]
                                            + idx[3:]), "not a block index line"),
        "a million lines": (lambda _: b"".join([idx[0], *[idx[1]] * 1_000_000]), "more lines than its blocks' files"),
        "offset moved": (with_entry(2, offset=second["offset"] + 13), "back to back"),
        "digest": (with_entry(2, digest="sha256:" + "0" * 64), "are not of the digest"),
        "first line": (lambda _: b"".join(idx[:2] + [b"com,zzz)/ 20211108100004 " + idx[2].split(b" ", 2)[2]]
                                          + idx[3:]), "replay looks for URLs in the wrong block"),
        "a block lost": (lambda _: b"".join(idx[:-1]), "are in no block"),
    }
    for case, (edit, said) in cases.items():
        result = verify_wacz(_as_zipnum(wacz, tmp_path / "bad.wacz", edit))
        assert not result.ok and {f.kind for f in result.findings} == {"index"}, (case, result.findings)
        assert any(said in f.detail and f.path.startswith("indexes/index.idx") for f in result.findings), \
            (case, result.findings)
        assert len(result.findings) <= 11, (case, len(result.findings))  # the first ten named, the rest counted
    # pywb's tab-separated form (prefix, file, offset, length, and a block number) is read as wabac.js reads it.
    tabbed = [idx[0]] + [b"\t".join([line.split(b" {", 1)[0], b"index.cdx.gz", str(entry(line)["offset"]).encode(),
                                     str(entry(line)["length"]).encode(), b"%d" % n]) + b"\n"
                        for n, line in enumerate(idx[1:], 1)]
    assert verify_wacz(_as_zipnum(wacz, tmp_path / "tabbed.wacz", lambda _: b"".join(tabbed))).ok


def test_a_zipnum_block_that_inflates_without_end_is_named_and_read_once(arc: Archive, tmp_path: Path) -> None:
    """A block of a hostile bundle that inflates to gigabytes, and a block index naming it a thousand
    times: inflated no further than a block of index lines can be, read once, each line named."""
    import gzip

    wacz, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    bomb = gzip.compress(b"\0" * (128 << 20), compresslevel=9)  # some 130 KB, 128 MiB inflated
    line = (b"com,example)/ 20211108100004 " + json.dumps({"offset": 0, "length": len(bomb)}).encode() + b"\n")
    idx = b'!meta 0 {"format": "cdxj-gzip-1.0", "filename": "index.cdx.gz"}\n' + line * 1000
    bad = _as_zipnum(wacz, tmp_path / "bomb.wacz", lambda _: idx)
    files = {"indexes/index.cdx.gz": bomb}
    bad = _rehashed(bad, tmp_path / "bomb2.wacz", files)
    result = verify_wacz(bad)
    assert not result.ok and any("inflates past" in f.detail for f in result.findings), result.findings
    # Every line after the first names a block already read: named, not inflated again.
    assert any("more problem(s) of its blocks" in f.detail for f in result.findings), result.findings
    assert sum("inflates past" in f.detail for f in result.findings) == 1, result.findings
    # A member of nothing but line ends (80 million of them) read as index lines: no further than
    # the WARCs have records, and some lines besides.
    lines = gzip.compress(b"\n" * (80 << 20), compresslevel=9)
    bad = _rehashed(bad, tmp_path / "lines.wacz", {"indexes/index.cdx.gz": lines})
    result = verify_wacz(bad)
    assert any("more lines than the WARCs have records" in f.detail for f in result.findings), result.findings


def test_a_bundle_made_by_wacz_create_is_read_by_its_own_index(tmp_path: Path) -> None:
    from archiver.warcstore import Exchange, WarcStore

    with WarcStore(tmp_path / "w") as store:
        # The first URL of the block holds a `{` (as a GraphQL query's does): cdxj-indexer cuts its
        # block index line there, before the timestamp.
        for i, url in enumerate(["https://a.example/!{x}", "https://a.example/1", "https://a.example/2"]):
            store.write_exchange(Exchange(url=url, method="GET", request_headers=[], status=200,
                                          response_headers=[("Content-Type", "text/html")], body=b"<p>%d</p>" % i))
    warcs = [str(p) for p in (tmp_path / "w").glob("*.warc.gz")]
    pages = tmp_path / "pages.jsonl"
    pages.write_text('{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}\n'
                     '{"url": "https://a.example/0", "ts": "2024-03-04T08:30:11Z"}\n')
    made = tmp_path / "made.wacz"
    subprocess.run([str(WACZ), "create", "--copy-pages", "-p", str(pages), "-o", str(made), *warcs],
                   check=True, capture_output=True, timeout=120)
    assert read(made, "indexes/index.idx").decode().splitlines()[1].startswith("example,a)/! {")
    result = verify_wacz(made)
    assert result.ok, result.findings  # its ZipNum index (index.cdx.gz + index.idx) points at every answer
    # Given no pages, `wacz create` writes no list of them, which replay tools list and search.
    bare = tmp_path / "bare.wacz"
    subprocess.run([str(WACZ), "create", "-o", str(bare), *warcs], check=True, capture_output=True, timeout=120)
    assert [(f.kind, f.path) for f in verify_wacz(bare).findings] == [("pages", "pages/pages.jsonl")]


def _patched(wacz: Path, out: Path, name: str, *, flags: int = 0, method: int | None = None) -> Path:
    """A copy of `wacz` whose entry `name` has header bits set (`flags`) or another compression
    method, in both its local and its central header: what a hostile zip says of an entry."""
    import struct
    import zipfile

    data = bytearray(wacz.read_bytes())
    with zipfile.ZipFile(wacz) as zf:
        info = zf.getinfo(name)
    local = info.header_offset
    central = next(i for i in range(len(data)) if data.startswith(b"PK\x01\x02", i)
                   and struct.unpack_from("<I", data, i + 42)[0] == local)
    for at, flag_at, method_at in ((local, 6, 8), (central, 8, 10)):
        struct.pack_into("<H", data, at + flag_at, struct.unpack_from("<H", data, at + flag_at)[0] | flags)
        if method is not None:
            struct.pack_into("<H", data, at + method_at, method)
    out.write_bytes(bytes(data))
    return out


def test_a_hostile_zip_is_named_never_a_crash_nor_read_into(arc: Archive, tmp_path: Path) -> None:
    import time
    import zipfile

    wacz, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    for case, bad in (("an unknown compression method", _patched(wacz, tmp_path / "m.wacz", "pages/pages.jsonl", method=99)),
                      ("an encrypted entry", _patched(wacz, tmp_path / "e.wacz", "archive/data.warc.gz", flags=1))):
        result = verify_wacz(bad)
        assert not result.ok and {f.kind for f in result.findings} & {"damaged", "hash"}, (case, result.findings)
    # What no hash covers and unzip shows or makes: a comment, a symbolic link, a folder holding data.
    odd = tmp_path / "odd.wacz"
    odd.write_bytes(wacz.read_bytes())
    with zipfile.ZipFile(odd, "a") as zf:
        zf.comment = b"forged by mallory"
        link = zipfile.ZipInfo("pages/extra")
        link.create_system, link.external_attr = 3, 0o120777 << 16
        zf.writestr(link, b"/etc/passwd")
        zf.writestr(zipfile.ZipInfo("hidden/"), b"fourteen bytes")
    kinds = {(f.kind, f.path) for f in verify_wacz(odd).findings}
    assert {("unlisted", "(zip comment)"), ("entry", "pages/extra"), ("unlisted", "hidden/")} <= kinds, kinds
    # An unlisted entry of gigabytes' worth of nothing is named, not read: quick whatever its size.
    bomb = tmp_path / "bomb.wacz"
    bomb.write_bytes(wacz.read_bytes())
    with zipfile.ZipFile(bomb, "a") as zf, zf.open(zipfile.ZipInfo("archive/zzz.warc.gz"), "w", force_zip64=True) as fh:
        for _ in range(256):
            fh.write(b"\0" * (1 << 20))
    started = time.monotonic()
    result = verify_wacz(bomb)
    assert [(f.kind, f.path) for f in result.findings] == [("unlisted", "archive/zzz.warc.gz")]
    assert time.monotonic() - started < 30  # a bound against hours, not a timing of the check


def test_a_sidecar_that_is_not_what_it_says_is_named() -> None:
    from archiver.evidence.sidecar import FORMAT, read_sidecar

    for doc, said in ((json.dumps({"format": FORMAT, "captures": {}}), "its captures are not a list"),
                      (json.dumps({"format": FORMAT, "captures": [{"capture": 1, "manifest": "\ud800", "digest": "x",
                                                                    "tokens": []}]}), "not text")):
        with pytest.raises(EvidenceError, match=said):
            read_sidecar(doc.encode())


def test_the_sentence_counts_what_it_did_not_check_and_what_no_capture_token_covers() -> None:
    from archiver.evidence.verify_wacz import Stamp, WaczVerification

    bundle = Stamp(over="bundle", authority="CN=TSA", time="2026-12-06T10:00:00Z", root="CN=Root", anchored=True)
    capture = Stamp(over="capture 1", authority="CN=TSA", time="2026-12-06T09:00:00Z", root="CN=Root", anchored=True)
    said = WaczVerification(path="x.wacz", files=5, stamps=[bundle, capture], captures=1, unchecked=7,
                            unstamped=3).sentence()
    assert "content unchanged since 2026-12-06T10:00Z" in said
    assert "7 timestamp(s) not checked: give their authority's CA certificate with --ca-bundle" in said
    assert "3 record(s) of the bundle are in no capture's timestamp, which proves nothing of them" in said
