"""A local RFC 3161 timestamp authority for tests: `openssl ts -reply` behind a loopback HTTP handler.

The authority has its own CA (a root certifying the signing certificate, which carries the
critical timeStamping extended key usage RFC 3161 requires). Each POSTed query is answered by
`openssl ts -reply` run on it, one at a time (openssl keeps the serial number in a file).
`fail` makes it misbehave for the tests of failing authorities:

    None        answer every query with a granted token
    "http"      answer HTTP 503
    "garbage"   answer 200 with bytes that are not a timestamp reply
    "other"     answer with a granted token over other content (a valid reply to another query)
    "corrupt"   answer with a granted token whose signature has one byte changed
    "down"      close the connection without answering

`timestamp_authority(..., embed_root=True)` makes an authority that embeds its CA's certificates (its
root; an intermediate and the root, with `ca=root.intermediate(...)`) in each token beside its
signing certificate (`certs =` in openssl's configuration), as some do. openssl
writes the SignedData's certificates in the order it adds them, which is not the sorted order DER
requires of a SET OF (rfc3161-client refuses such a token); the reply is re-encoded in DER, the
certificates sorted, as a conforming authority sends it (the signature covers the signed
attributes, not the certificates, so it still checks).

Use the `tsa_authority` fixture (registered in tests/conftest.py), or `with timestamp_authority(folder) as tsa:`.
`make_ca()` also serves tests that need a CA of their own (a domain certificate for signing);
`CA.intermediate()` makes a CA certified by another, for an authority whose signing certificate is
issued by an intermediate (`timestamp_authority(folder, ca=make_ca(...).intermediate(...))`).

`Authority.token_at(message, when)` makes a token as the authority would have at another time (its
reply, the time in it changed and signed again with its key): for records captured long ago (the
export fixtures' are from 2021), give the authority certificates valid then (`since`).
"""

from __future__ import annotations

import datetime
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl")
REPLY_TIMEOUT = 30.0
_PEM = serialization.Encoding.PEM
_CA_USAGE = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False)


@dataclass
class CA:
    """A test certificate authority: its root certificate and key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    root_pem: Path  # the root's certificate: the CA bundle that checks what this CA issues
    issuers: tuple[x509.Certificate, ...] = ()  # an intermediate's: the certificates above it, the root last

    def intermediate(self, name: str, *, since: datetime.datetime | None = None) -> CA:
        """An intermediate CA certified by this one (cA true, keyCertSign), EC P-256; what it issues
        chains through it to this CA's root (`root_pem`)."""
        key = ec.generate_private_key(ec.SECP256R1())
        start = since or datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(self.cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start)
                .not_valid_after(self.cert.not_valid_after_utc)
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_CA_USAGE, critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(self.key, hashes.SHA256()))
        return CA(cert=cert, key=key, root_pem=self.root_pem, issuers=(self.cert, *self.issuers))

    def issue(self, common_name: str, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, *,
              eku: x509.ObjectIdentifier | None = None, san: str | None = None,
              not_before: datetime.datetime | None = None, days: int = 30) -> x509.Certificate:
        """A leaf certificate for `key`, signed by this CA."""
        start = not_before or datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
             .issuer_name(self.cert.subject)
             .public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(start)
             .not_valid_after(start + datetime.timedelta(days=days))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
        if eku is not None:
            b = b.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
        if san is not None:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        return b.sign(self.key, hashes.SHA256())


def make_ca(folder: Path, name: str = "Archiver Test Root CA", *, since: datetime.datetime | None = None) -> CA:
    """A self-signed root CA (EC P-256), its certificate written to folder/root.pem; valid from a day
    ago, or from `since`."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(since or now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_CA_USAGE, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    root_pem = folder / "root.pem"
    root_pem.write_bytes(cert.public_bytes(_PEM))
    return CA(cert=cert, key=key, root_pem=root_pem)


def write_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, path: Path) -> Path:
    path.write_bytes(key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    path.chmod(0o600)
    return path


_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class Authority:
    """A running test authority: its URL, CA and files; `fail` switches its misbehaviour."""

    url: str
    folder: Path
    ca: CA
    cert: x509.Certificate
    fail: str | None = None
    embeds_root: bool = False  # each token carries the root certificate too (re-encoded in DER)
    queries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def root_pem(self) -> Path:
        """The CA certificate to check its tokens against (a CA bundle of one)."""
        return self.ca.root_pem

    @property
    def chain_pem(self) -> Path:
        """The signing certificate then its issuers up to the root, PEM."""
        return self.folder / "chain.pem"

    def reply(self, query: bytes) -> bytes:
        """`openssl ts -reply` to a DER query."""
        with self._lock:
            self.queries += 1
            q = self.folder / "query.tsq"
            out = self.folder / "reply.tsr"
            q.write_bytes(query)
            out.unlink(missing_ok=True)
            proc = subprocess.run([str(OPENSSL), "ts", "-reply", "-config", str(self.folder / "tsa.cnf"),
                                   "-queryfile", str(q), "-out", str(out)],
                                  capture_output=True, timeout=REPLY_TIMEOUT)
            if proc.returncode != 0 or not out.exists():
                raise RuntimeError(f"openssl ts -reply failed: {proc.stderr.decode(errors='replace').strip()}")
            return _der(out.read_bytes()) if self.embeds_root else out.read_bytes()

    def token_at(self, message: bytes, when: datetime.datetime) -> bytes:
        """A granted reply over SHA-256(`message`) that says `when`: the authority's own reply, the
        time of its TSTInfo (and its signing time) changed and signed again with the authority's key,
        as the authority would have signed it then. Its certificate must be valid at `when` for the
        token to check (`timestamp_authority(since=...)`)."""
        from cryptography.hazmat.primitives.asymmetric import padding
        from pyasn1.codec.der import decoder, encoder
        from pyasn1.type import univ, useful
        from pyasn1_modules import rfc3161, rfc5652
        from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

        query = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build()
        resp, _ = decoder.decode(self.reply(query.as_bytes()), asn1Spec=rfc3161.TimeStampResp())
        token = resp["timeStampToken"]
        signed, _ = decoder.decode(token["content"], asn1Spec=rfc5652.SignedData())
        info, _ = decoder.decode(bytes(signed["encapContentInfo"]["eContent"]), asn1Spec=rfc3161.TSTInfo())
        when = when.astimezone(datetime.UTC)
        info["genTime"] = useful.GeneralizedTime(when.strftime("%Y%m%d%H%M%SZ"))
        info_der = encoder.encode(info)
        signed["encapContentInfo"]["eContent"] = signed["encapContentInfo"]["eContent"].clone(info_der)
        signer = signed["signerInfos"][0]
        for attr in signer["signedAttrs"]:
            if attr["attrType"] == rfc5652.id_messageDigest:
                attr["attrValues"][0] = encoder.encode(univ.OctetString(_sha256(info_der)))
            elif attr["attrType"] == rfc5652.id_signingTime:
                attr["attrValues"][0] = encoder.encode(rfc5652.SigningTime().setComponentByName(
                    "utcTime", useful.UTCTime(when.strftime("%y%m%d%H%M%SZ"))))
        attrs = bytearray(encoder.encode(signer["signedAttrs"]))
        attrs[0] = 0x31  # signed as a SET OF, not with the [0] tag it is stored under
        key = serialization.load_pem_private_key((self.folder / "tsa.key").read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        signer["signature"] = signer["signature"].clone(key.sign(bytes(attrs), padding.PKCS1v15(), hashes.SHA256()))
        token["content"] = encoder.encode(signed)
        return bytes(encoder.encode(resp))

    def other_reply(self) -> bytes:
        """A granted reply to a query over other content."""
        q = self.folder / "other.tsq"
        subprocess.run([str(OPENSSL), "ts", "-query", "-digest", "00" * 32, "-sha256", "-cert", "-out", str(q)],
                       check=True, capture_output=True, timeout=REPLY_TIMEOUT)
        return self.reply(q.read_bytes())


class _Handler(http.server.BaseHTTPRequestHandler):
    authority: Authority

    def log_message(self, format: str, *args: object) -> None:  # quiet: pytest shows failures
        pass

    def do_POST(self) -> None:
        a = self.authority
        query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if a.fail == "down":
            a.queries += 1
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if a.fail == "http":
            a.queries += 1
            self._send(503, b"busy", "text/plain")
            return
        if a.fail == "garbage":
            a.queries += 1
            self._send(200, b"this is not a timestamp reply", "application/timestamp-reply")
            return
        try:
            body = a.other_reply() if a.fail == "other" else a.reply(query)
            if a.fail == "corrupt":  # the signature is the reply's last bytes
                body = body[:-3] + bytes([body[-3] ^ 0x01]) + body[-2:]
        except RuntimeError as e:
            self._send(500, str(e).encode(), "text/plain")
            return
        self._send(200, body, "application/timestamp-reply")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _der(reply: bytes) -> bytes:
    """`reply` re-encoded in DER: its token's certificates (a SET OF) in the sorted order DER
    requires, which openssl does not keep when it embeds more than the signing certificate."""
    from pyasn1.codec.der import decoder, encoder
    from pyasn1_modules import rfc3161, rfc5652

    resp, _ = decoder.decode(reply, asn1Spec=rfc3161.TimeStampResp())
    token = resp["timeStampToken"]
    signed, _ = decoder.decode(token["content"], asn1Spec=rfc5652.SignedData())
    token["content"] = encoder.encode(signed)
    return bytes(encoder.encode(resp))


def _sha256(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


@contextmanager
def timestamp_authority(folder: Path, *, name: str = "Archiver Test TSA", ca: CA | None = None,
                        since: datetime.datetime | None = None, days: int = 3650,
                        embed_root: bool = False) -> Iterator[Authority]:
    """Start an authority on a free 127.0.0.1 port, with a CA of its own unless one is given; its
    certificates valid from `since` (else from now, a few minutes back) for `days`; with
    `embed_root`, its tokens carry its root certificate beside its signing certificate."""
    if OPENSSL is None:
        raise RuntimeError("openssl is not installed: the test timestamp authority needs `openssl ts`")
    folder.mkdir(parents=True, exist_ok=True)
    ca = ca or make_ca(folder / "ca", name=f"{name} Root", since=since)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = ca.issue(name, key, eku=ExtendedKeyUsageOID.TIME_STAMPING, not_before=since, days=days)
    write_key(key, folder / "tsa.key")
    (folder / "tsa.pem").write_bytes(cert.public_bytes(_PEM))
    (folder / "chain.pem").write_bytes(b"".join(c.public_bytes(_PEM) for c in (cert, ca.cert, *ca.issuers)))
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(_CONFIG.format(dir=folder) + ("certs = $dir/ca.pem\n" if embed_root else ""))
    (folder / "ca.pem").write_bytes(b"".join(c.public_bytes(_PEM) for c in (ca.cert, *ca.issuers)))
    handler = type("Handler", (_Handler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    authority = Authority(url=f"http://127.0.0.1:{server.server_address[1]}/tsa", folder=folder, ca=ca, cert=cert,
                          embeds_root=embed_root)
    handler.authority = authority
    thread = threading.Thread(target=server.serve_forever, name="test-tsa", daemon=True)
    thread.start()
    try:
        yield authority
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def tsa_authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    """A running local timestamp authority (see the module's docstring)."""
    with timestamp_authority(tmp_path_factory.mktemp("tsa")) as authority:
        yield authority
