"""RFC 3161 timestamps against the local test authority (`openssl ts -reply` on loopback, its own CA)."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.errors import TimestampCaMismatch, TimestampError, TokenInvalid, TokenUnanchored, UsageError
from archiver.evidence import tsa
from tests.tsa_authority import Authority, make_ca, timestamp_authority

MESSAGE = b"sha256:0123456789abcdef"


def test_token_stamps_the_message_at_the_authority_time(tsa_authority: Authority) -> None:
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(seconds=1)
    token = tsa.request_token(tsa_authority.url, MESSAGE)
    after = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)
    assert token.digest == hashlib.sha256(MESSAGE).digest()
    assert before <= token.time <= after and token.time.tzinfo is not None
    assert token.authority == "CN=Archiver Test TSA"
    assert token.signer == tsa_authority.cert
    assert tsa_authority.queries == 1
    # what is stored is what parses back
    assert tsa.parse_token(token.der) == token


def test_check_against_the_ca_bundle_is_anchored(tsa_authority: Authority) -> None:
    token = tsa.request_token(tsa_authority.url, MESSAGE)
    roots = tsa.load_certificates(tsa_authority.root_pem)
    check = tsa.check_token(token.der, message=MESSAGE, roots=roots)
    assert check.anchored and check.root == "CN=Archiver Test TSA Root"
    assert check.time == token.time
    by_digest = tsa.check_token(token.der, digest=hashlib.sha256(MESSAGE).digest(), roots=roots)
    assert by_digest.time == token.time


def test_check_with_the_carried_chain_is_not_anchored(tsa_authority: Authority) -> None:
    token = tsa.request_token(tsa_authority.url, MESSAGE)
    chain = tsa.load_certificates(tsa_authority.chain_pem)
    check = tsa.check_token(token.der, message=MESSAGE, certificates=chain)
    assert not check.anchored and check.root == "CN=Archiver Test TSA Root"
    with pytest.raises(TokenInvalid, match="give the authority's CA certificate"):
        tsa.check_token(token.der, message=MESSAGE)  # only the leaf is embedded


def test_other_content_is_refused(tsa_authority: Authority) -> None:
    token = tsa.request_token(tsa_authority.url, MESSAGE)
    roots = tsa.load_certificates(tsa_authority.root_pem)
    with pytest.raises(TokenInvalid, match="stamps other content"):
        tsa.check_token(token.der, message=MESSAGE + b"!", roots=roots)


def test_another_ca_is_refused(tsa_authority: Authority, tmp_path: Path) -> None:
    token = tsa.request_token(tsa_authority.url, MESSAGE)
    stranger = make_ca(tmp_path / "other", name="Someone Else")
    with pytest.raises(TokenInvalid, match="does not chain to the given CA"):
        tsa.check_token(token.der, message=MESSAGE, roots=[stranger.cert])


def test_a_carried_chain_does_not_stand_in_for_the_given_ca(tsa_authority: Authority, tmp_path: Path) -> None:
    # rfc3161-client trusts every certificate handed to it alike: the chain carried beside a token
    # must not make it pass against a CA bundle it does not chain to
    token = tsa.request_token(tsa_authority.url, MESSAGE)
    chain = tsa.load_certificates(tsa_authority.chain_pem)
    stranger = make_ca(tmp_path / "other", name="Someone Else")
    with pytest.raises(TokenInvalid, match="does not chain to the given CA"):
        tsa.check_token(token.der, message=MESSAGE, roots=[stranger.cert], certificates=chain)
    # a look-alike root (same name, another key) is not the root either
    twin = make_ca(tmp_path / "twin", name="Archiver Test TSA Root")
    with pytest.raises(TokenInvalid, match="does not chain to the given CA"):
        tsa.check_token(token.der, message=MESSAGE, roots=[twin.cert])
    with pytest.raises(TokenInvalid, match="does not chain to a CA certificate carried"):
        tsa.check_token(token.der, message=MESSAGE, certificates=[twin.cert])


def test_a_flipped_byte_in_what_is_signed_is_refused(tsa_authority: Authority) -> None:
    token = tsa.request_token(tsa_authority.url, MESSAGE)
    roots = tsa.load_certificates(tsa_authority.root_pem)
    der = token.der
    imprint = der.index(hashlib.sha256(MESSAGE).digest())
    gen_time = der.index(token.time.strftime("%Y%m%d%H%M%S").encode())
    # the stamped digest, the authority's time, and the signature (RSA-2048: the last 256 bytes)
    positions = [*range(imprint, imprint + 32), *range(gen_time, gen_time + 14), *range(len(der) - 256, len(der))]
    for i in positions:
        bad = bytearray(der)
        bad[i] ^= 0x01
        with pytest.raises(TokenInvalid):
            tsa.check_token(bytes(bad), message=MESSAGE, roots=roots)


def test_swapped_tokens_are_refused(tsa_authority: Authority) -> None:
    first = tsa.request_token(tsa_authority.url, MESSAGE)
    second = tsa.request_token(tsa_authority.url, b"other bytes")
    roots = tsa.load_certificates(tsa_authority.root_pem)
    assert second.serial != first.serial
    with pytest.raises(TokenInvalid, match="stamps other content"):
        tsa.check_token(second.der, message=MESSAGE, roots=roots)


@pytest.mark.parametrize(("fail", "reason"), [
    ("http", "answered HTTP 503"),
    ("garbage", "not an RFC 3161 reply"),
    ("other", "answered another request"),
    ("down", "could not be reached"),
])
def test_failing_authority_is_named(tsa_authority: Authority, fail: str, reason: str) -> None:
    tsa_authority.fail = fail
    with pytest.raises(TimestampError, match=reason) as e:
        tsa.request_token(tsa_authority.url, MESSAGE, deadline=30)
    assert tsa_authority.url in str(e.value) and "\n" not in str(e.value)


def test_a_corrupt_token_is_refused_with_or_without_its_ca(tsa_authority: Authority) -> None:
    tsa_authority.fail = "corrupt"
    roots = tsa.load_certificates(tsa_authority.root_pem)
    with pytest.raises(TimestampError, match="sent a token that does not check: its signature does not check"):
        tsa.request_token(tsa_authority.url, MESSAGE, roots=roots)
    # Without the CA, the signature is checked with the signing certificate's own key.
    with pytest.raises(TimestampError, match="sent a token that does not check: its signature does not check"):
        tsa.request_token(tsa_authority.url, MESSAGE)


def test_without_a_ca_a_broken_signature_is_invalid_and_a_sound_one_unanchored(tsa_authority: Authority) -> None:
    token = tsa.request_token(tsa_authority.url, MESSAGE)
    with pytest.raises(TokenUnanchored):
        tsa.check_token(token.der, message=MESSAGE)
    der = token.der
    gen_time = der.index(token.time.strftime("%Y%m%d%H%M%S").encode())
    # the authority's time (signed through the content's digest) and the signature itself
    for i in [*range(gen_time, gen_time + 14), *range(len(der) - 256, len(der))]:
        bad = bytearray(der)
        bad[i] ^= 0x01
        with pytest.raises(TokenInvalid) as e:
            tsa.check_token(bytes(bad), message=MESSAGE)
        assert not isinstance(e.value, TokenUnanchored), (i, e.value)


def test_unreachable_authority(tmp_path: Path) -> None:
    from tests.services import free_port
    url = f"http://127.0.0.1:{free_port()}/tsa"
    # In the words every fetch of the tool says it with, not the socket's errno text.
    with pytest.raises(TimestampError, match="could not be reached: could not connect"):
        tsa.request_token(url, MESSAGE, deadline=30)


@pytest.mark.parametrize("url", ["ftp://tsa.example/", "http:///tsa", " http://tsa.example/"])
def test_not_an_http_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError, match="not an http"):
        tsa.request_token(url, MESSAGE)


@pytest.mark.parametrize(("url", "usable"), [
    ("http://tsa.example/tsr", True), ("HTTPS://tsa.example:8443/", True), ("http://user:pw@127.0.0.1/", True),
    ("ftp://tsa.example/", False), ("tsa.example/tsr", False), ("http://", False), ("https:///tsr", False),
    ("http:tsa.example", False), (" http://tsa.example/", False), ("http://[::1/", False),
])
def test_one_rule_says_what_can_name_a_timestamp_authority(url: str, usable: bool) -> None:
    from archiver.evidence import usable_tsa_url

    assert usable_tsa_url(url) is usable


def test_not_a_token_is_refused() -> None:
    with pytest.raises(TokenInvalid, match="not an RFC 3161"):
        tsa.parse_token(b"\x30\x03\x02\x01\x00")


def test_ca_bundle_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read CA certificates"):
        tsa.load_certificates(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(UsageError, match="holds no PEM certificate"):
        tsa.load_certificates(junk)


def test_authority_serves_concurrent_queries(tsa_authority: Authority) -> None:
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda i: tsa.request_token(tsa_authority.url, b"m%d" % i), range(8)))
    assert len({t.serial for t in tokens}) == 8
    roots = tsa.load_certificates(tsa_authority.root_pem)
    for i, t in enumerate(tokens):
        tsa.check_token(t.der, message=b"m%d" % i, roots=roots)


def test_an_authority_that_redirects_to_a_dead_address_names_it() -> None:
    """A timestamp URL that answers with a redirect (http:// to https://, another port) whose target
    fails: the message names both, not the first as if it were the one that refused."""
    import http.server
    import socket
    import threading

    with socket.socket() as probe:  # a loopback port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(301)
            self.send_header("Location", f"http://127.0.0.1:{dead}/tsr")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
        with pytest.raises(TimestampError) as e:
            tsa.request_token(url, MESSAGE, deadline=10)
    finally:
        server.shutdown()
        server.server_close()
    assert str(e.value).startswith(f"timestamp authority {url} could not be reached: it redirected to "
                                   f"http://127.0.0.1:{dead}/tsr, which failed: could not connect"), str(e.value)


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_a_cms_signature_checks_with_the_signers_key_and_fails_on_a_changed_byte(kind: str, tmp_path: Path) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs7

    from archiver.evidence import cms

    ca = make_ca(tmp_path / "ca")
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
    cert = ca.issue("A Signer", key)
    content = b"what the authority signs: " + MESSAGE
    der = (pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cert, key, hashes.SHA256())
           .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
    cms.check_signature(der, cert)
    with pytest.raises(InvalidSignature):
        cms.check_signature(der, ca.cert)  # another key
    changed = bytearray(der)
    changed[der.index(content)] ^= 0x01
    with pytest.raises(InvalidSignature):
        cms.check_signature(bytes(changed), cert)
    with pytest.raises(cms.Malformed):
        cms.check_signature(der[: len(der) // 2], cert)


@pytest.fixture
def embedding_authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    """An authority whose tokens carry its root certificate beside its signing certificate."""
    with timestamp_authority(tmp_path_factory.mktemp("tsa-root"), embed_root=True) as authority:
        yield authority


def test_the_ca_given_for_an_authority_that_embeds_its_own_root_must_be_its_root(
        embedding_authority: Authority, tmp_path: Path) -> None:
    """A token carrying the authority's self-signed root: the chain ends there on its own. CA
    certificates given for the authority (`export --timestamp-ca`) must be where it ends, or the
    token is the operator's mistake to set right (a usage error), not taken on the root it carries."""
    token = tsa.request_token(embedding_authority.url, MESSAGE)  # no CA given: its signature checked alone
    assert embedding_authority.ca.cert in token.certificates  # the authority does embed its root
    wrong = tsa.load_certificates(make_ca(tmp_path / "other", name="Some Other Root").root_pem)
    with pytest.raises(TimestampCaMismatch, match="does not chain to the CA certificates given with --timestamp-ca"):
        tsa.request_token(embedding_authority.url, MESSAGE, certificates=wrong)
    right = tsa.load_certificates(embedding_authority.root_pem)
    assert tsa.request_token(embedding_authority.url, MESSAGE, certificates=[*wrong, *right]).signer == \
        embedding_authority.cert


@pytest.mark.parametrize("embed", [False, True], ids=["signer-only", "embeds-its-chain"])
def test_an_authority_certified_by_an_intermediate_chains_through_it_to_the_root_given(
        tmp_path: Path, embed: bool) -> None:
    """root R -> intermediate I (a CA) -> the authority's certificate. Given I and R (export
    --timestamp-ca chain.pem), the chain ends at R through I; I alone (or R alone, I embedded) is
    where the operator's trust ends: a given certificate that is not self-signed is an intermediate
    on the way, or the end of the chain when nothing given lies above it."""
    root = make_ca(tmp_path / "ca", name="Archiver Test Chain Root")
    middle = root.intermediate("Archiver Test Intermediate CA")
    with timestamp_authority(tmp_path / "tsa", name="Intermediate TSA", ca=middle, embed_root=embed) as authority:
        assert authority.cert.issuer == middle.cert.subject
        token = tsa.request_token(authority.url, MESSAGE, certificates=[middle.cert, root.cert])
        assert token.signer == authority.cert
        tsa.request_token(authority.url, MESSAGE, certificates=[root.cert, middle.cert])  # in either order
        if embed:  # the intermediate alone: the root it carries lets the whole chain be checked
            tsa.request_token(authority.url, MESSAGE, certificates=[middle.cert])
        else:  # no root at hand: the chain (path lengths, the signer's purposes) cannot be checked whole
            with pytest.raises(TimestampCaMismatch):
                tsa.request_token(authority.url, MESSAGE, certificates=[middle.cert])
        if embed:  # the token carries I: the root alone is enough
            tsa.request_token(authority.url, MESSAGE, certificates=[root.cert])
        else:  # without I, nothing leads from the signer to R
            with pytest.raises(TimestampCaMismatch):
                tsa.request_token(authority.url, MESSAGE, certificates=[root.cert])
        stranger = make_ca(tmp_path / "other", name="Archiver Test Chain Root")  # R's name, another key
        with pytest.raises(TimestampCaMismatch):
            tsa.request_token(authority.url, MESSAGE, certificates=[stranger.cert])
        # A reader's CA bundle holding I and R: anchored at R, I taken as the intermediate it is.
        stored = [authority.cert, middle.cert]
        for bundle in ([middle.cert, root.cert], [root.cert, middle.cert], [root.cert]):
            check = tsa.check_token(token.der, message=MESSAGE, roots=bundle, certificates=stored)
            assert check.anchored and check.root == "CN=Archiver Test Chain Root", bundle
        # I alone as the bundle: the reader trusts I; the chain ends there, checked whole through the
        # root carried with it; with no root carried it is not checked at all.
        check = tsa.check_token(token.der, message=MESSAGE, roots=[middle.cert], certificates=[*stored, root.cert])
        assert check.anchored and check.root == "CN=Archiver Test Intermediate CA"
        if not embed:
            with pytest.raises(TokenUnanchored, match="no root certificate above it"):
                tsa.check_token(token.der, message=MESSAGE, roots=[middle.cert], certificates=stored)
        with pytest.raises(TokenInvalid, match="does not chain to the given CA"):
            tsa.check_token(token.der, message=MESSAGE, roots=[stranger.cert], certificates=stored)
        authority.fail = "corrupt"
        with pytest.raises(TimestampError, match="its signature does not check"):
            tsa.request_token(authority.url, MESSAGE, certificates=[middle.cert, root.cert])
