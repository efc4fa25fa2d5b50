"""Throw-away certificates for the fake web, and the server-side TLS contexts.

One trustme CA, one leaf covering every impersonated host. The chain file holds leaf + CA:
Chromium's `--ignore-certificate-errors-spki-list` only matches the CA's key when the server
sends the CA itself (with only the leaf, the flag works for that one certificate); trustme's
chain omits the CA, so it is appended here.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# Every name the fake web answers for. Wildcards only cover one label, so bare names are listed too.
CERT_HOSTS: tuple[str, ...] = (
    "news.example",
    "*.news.example",
    "twitter.com",
    "*.twitter.com",
    "x.com",
    "*.x.com",
    "t.co",
    "*.twimg.com",
    "cdn.syndication.twimg.com",
    "archive.org",
    "*.archive.org",
    "youtube.com",
    "*.youtube.com",
    "youtube-nocookie.com",
    "*.youtube-nocookie.com",
    "*.ytimg.com",
    "faults.example",
    "localhost",
    "127.0.0.1",
)

# Hosts whose TLS handshake the server aborts (a handshake_failure alert after the ClientHello).
HANDSHAKE_FAIL_HOSTS: frozenset[str] = frozenset({"badtls.example"})

# Hosts that negotiate only HTTP/1.1, so the browser's traffic to them is chunked and gzip-encoded
# on the wire; every other host offers h2 first (ALPN), as the real ones do.
HTTP1_ONLY_HOSTS: frozenset[str] = frozenset(
    {"news.example", "www.news.example", "t.co", "pic.twitter.com", "pic.x.com", "archive.org", "web.archive.org",
     "faults.example"}
)


@dataclass(frozen=True)
class CertFiles:
    """Paths of the PEM files written for one server, and the CA's SPKI pin."""

    ca_pem: Path
    chain_pem: Path  # leaf + CA
    key_pem: Path
    ca_spki_sha256_b64: str


def spki_sha256_b64(cert_pem: bytes) -> str:
    """Base64 of sha256 over a certificate's SubjectPublicKeyInfo (DER), as Chromium pins keys."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def make_certs(directory: Path, extra_hosts: tuple[str, ...] = ()) -> CertFiles:
    """Create a CA and a leaf for CERT_HOSTS (and `extra_hosts`); write ca.pem, chain.pem and key.pem."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="archiver fakeweb test CA")
    leaf = ca.issue_cert(*CERT_HOSTS, *extra_hosts)
    ca_bytes = ca.cert_pem.bytes()
    files = CertFiles(
        ca_pem=directory / "ca.pem",
        chain_pem=directory / "chain.pem",
        key_pem=directory / "key.pem",
        ca_spki_sha256_b64=spki_sha256_b64(ca_bytes),
    )
    files.ca_pem.write_bytes(ca_bytes)
    files.chain_pem.write_bytes(b"".join(p.bytes() for p in leaf.cert_chain_pems) + ca_bytes)
    files.key_pem.write_bytes(leaf.private_key_pem.bytes())
    return files


def _context(files: CertFiles, alpn: list[str]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 9113 section 9.2
    ctx.options |= ssl.OP_NO_COMPRESSION
    ctx.load_cert_chain(certfile=str(files.chain_pem), keyfile=str(files.key_pem))
    ctx.set_alpn_protocols(alpn)
    return ctx


def server_context(files: CertFiles) -> ssl.SSLContext:
    """A context offering h2 + http/1.1, switching to http/1.1 only for HTTP1_ONLY_HOSTS by SNI."""
    h2_ctx = _context(files, ["h2", "http/1.1"])
    h1_ctx = _context(files, ["http/1.1"])

    def pick(sock: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _ctx: ssl.SSLContext) -> int | None:
        if server_name and server_name.lower() in HANDSHAKE_FAIL_HOSTS:
            return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE
        # OpenSSL runs ALPN selection after the servername callback, on the switched context.
        if server_name and server_name.lower() in HTTP1_ONLY_HOSTS:
            sock.context = h1_ctx
        return None

    h2_ctx.sni_callback = pick
    return h2_ctx
