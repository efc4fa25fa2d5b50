"""Signing a bundle's digest as the WACZ signing spec describes (webrecorder specs, wacz-auth 0.1.0).

`datapackage-digest.json` gains `signedData`, whose `hash` is the digest file's own
"sha256:<hex>" string and whose `signature` is over that string's ASCII:

    anonymous   {hash, created, software, version, signature, publicKey}
                ECDSA P-384 with SHA-256, the signature raw r||s in base64 (what ReplayWeb.page checks)
    domain      {hash, created, software, version, signature, domain, domainCert, timeSignature,
                 timestampCert}
                ECDSA P-256 with SHA-256, the signature DER in base64 (what authsign's Verifier, behind
                `wacz validate --verify-auth`, checks); `domainCert` is the PEM chain leaf..root
                whose leaf names `domain`; `timeSignature` an RFC 3161 response over the
                `signature` string's ASCII, `timestampCert` the authority's PEM chain leaf..root.

No other property may appear in `signedData`. A domain signature is only as good as its
timestamp: verifiers accept it when `created` is no later than the authority's time and at most
STAMP_WINDOW before it, and within CERT_WINDOW of the certificate's start.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from archiver import __version__
from archiver.errors import EvidenceError, TimestampError
from archiver.evidence import tsa
from archiver.evidence.keys import SigningKey
from archiver.redact import redact_endpoint
from archiver.times import in_utc

log = logging.getLogger(__name__)

SPEC_VERSION = "0.1.0"
SOFTWARE = f"archiver {__version__}"
ANONYMOUS_FIELDS = ("hash", "created", "software", "version", "signature", "publicKey")
DOMAIN_FIELDS = ("hash", "created", "software", "version", "signature", "domain", "domainCert",
                 "timeSignature", "timestampCert", "crossSignedCert")
# the windows authsign's Verifier applies (authsign.utils CERT_DURATION, STAMP_DURATION)
CERT_WINDOW = timedelta(days=7)
STAMP_WINDOW = timedelta(minutes=10)
# What --domain-cert and --domain-key take, as their messages ask for it.
CHAIN_EXPECTED = "the domain's certificate chain in PEM form, its own certificate first"
KEY_EXPECTED = "the domain certificate's private key (ECDSA P-256, unencrypted PEM)"


def created_now() -> str:
    """Seconds precision: an authority's time has no fraction, and `created` may not come after it."""
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(delta: timedelta) -> str:
    """How long, as people read it: `3 day(s) 4 h`, `2 h 5 min`, `12 min 30 s`."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day(s) {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s"


def parse_created(value: object) -> datetime:
    if not isinstance(value, str):
        raise EvidenceError("signedData.created is missing")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise EvidenceError(f"signedData.created {value!r} is not an ISO 8601 time") from None
    utc = in_utc(when)
    if utc is None:
        raise EvidenceError(f"signedData.created {value!r} falls outside the years 1 to 9999 in UTC")
    return utc


def sign_anonymous(key: SigningKey, hash_: str, *, created: str | None = None) -> dict[str, Any]:
    """The `signedData` of an anonymous signature over `hash_` ("sha256:<hex>")."""
    return {"hash": hash_, "created": created or created_now(), "software": SOFTWARE, "version": SPEC_VERSION,
            "signature": key.sign(hash_), "publicKey": key.public.spki_b64}


@dataclass(frozen=True)
class DomainIdentity:
    """A domain certificate chain (leaf first) and its private key (ECDSA P-256)."""

    chain: tuple[x509.Certificate, ...]
    key: ec.EllipticCurvePrivateKey

    @property
    def domain(self) -> str:
        return subject_domain(self.chain[0])

    @classmethod
    def load(cls, cert_path: Path, key_path: Path, *, cert_option: str | None = None,
             key_option: str | None = None) -> DomainIdentity:
        """The chain and key in these files; `cert_option` and `key_option` are the options that named
        them on the command line (`--domain-cert`, `--domain-key`): the messages then name them."""
        chain = tuple(tsa.load_certificates(cert_path, option=cert_option, expected=CHAIN_EXPECTED))
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except OSError as e:
            if key_option is not None:
                raise EvidenceError(f"{key_option} {key_path}: cannot be read ({e.strerror or e}): give "
                                    f"{KEY_EXPECTED}") from None
            raise EvidenceError(f"cannot read {key_path}: {e.strerror or e}") from None
        except (ValueError, TypeError):
            if key_option is not None:
                raise EvidenceError(f"{key_option} {key_path}: not an unencrypted PEM private key: give "
                                    f"{KEY_EXPECTED}") from None
            raise EvidenceError(f"{key_path} is not an unencrypted PEM private key") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise EvidenceError(f"{key_path} is not an ECDSA P-256 key: domain signatures are P-256 (WACZ signing spec)")
        if chain[0].public_key() != key.public_key():
            raise EvidenceError(f"the first certificate of {cert_path} is not the certificate of {key_path}'s key: "
                                "put the domain's own certificate first, then its issuers")
        check_chain(chain, what=str(cert_path), at=datetime.now(UTC))
        if not subject_domain(chain[0]):
            raise EvidenceError(f"the certificate in {cert_path} names no domain (no CN, no DNS name)")
        return cls(chain=chain, key=key)

    def sign(self, hash_: str) -> str:
        return base64.b64encode(self.key.sign(hash_.encode("ascii"), ec.ECDSA(hashes.SHA256()))).decode("ascii")


def subject_domain(cert: x509.Certificate) -> str:
    """The domain a certificate names: its CN, else its first DNS name (as authsign reads it)."""
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if cns:
        value = cns[0].value
        return value.decode("utf-8") if isinstance(value, bytes) else value
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ""
    dns = names.get_values_for_type(x509.DNSName)
    return dns[0] if dns else ""


def check_chain(chain: Sequence[x509.Certificate], *, what: str, at: datetime | None = None) -> None:
    """Each certificate signed by the next one (the last one may be a root or not), and each one that
    signs another a CA's certificate (`tsa.issuer_problem`), valid at `at` (the signing time) when given."""
    for cert, issuer in zip(chain, chain[1:]):
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise EvidenceError(f"{what}: {cert.subject.rfc4514_string()} is not issued by the next certificate, "
                                f"{issuer.subject.rfc4514_string()}") from None
        refused = tsa.issuer_refused(cert, issuer, at)
        if refused is not None:
            raise EvidenceError(f"{what}: {refused}")


def verify_domain_signature(cert: x509.Certificate, signature_b64: str, hash_: str) -> None:
    key = cert.public_key()
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        raise EvidenceError("the signature is not base64") from None
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, hash_.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        else:
            raise EvidenceError("the domain certificate's key is not an ECDSA key")
    except InvalidSignature:
        raise EvidenceError("the signature does not match the domain certificate and the digest") from None


def chain_for(signer: x509.Certificate, pool: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """`signer` then its issuers found in `pool`, up to a self-signed one or the first missing.

    An issuer is the certificate whose key signed the one before it, not merely one of the name it
    names: a pool may hold two generations of a root (one name, two keys)."""
    chain = [signer]
    while not tsa.self_signed(chain[-1]):
        issuer = next((c for c in pool if c.subject == chain[-1].issuer and c not in chain
                       and tsa.issued_by(chain[-1], c)), None)
        if issuer is None:
            break
        chain.append(issuer)
    return chain


class DomainUnstamped(EvidenceError):
    """No authority timestamped a domain signature because of the authorities: unreachable, refused,
    an error, a reply that is no usable token, or no reply by the deadline. The export writes nothing
    (a domain signature without its timestamp is not one); a run's failure, not a usage error, that
    the same command may get past later."""

    exit_code = 1


def sign_domain(identity: DomainIdentity, hash_: str, authorities: Sequence[str], *, created: str | None = None,
                tsa_certificates: Sequence[x509.Certificate] = (), deadline: float = tsa.DEFAULT_DEADLINE,
                failures: list[str] | None = None) -> dict[str, Any]:
    """The `signedData` of a domain signature, timestamped by the first authority that answers with
    a time at most STAMP_WINDOW after `created` (what verifiers accept).

    Raises EvidenceError when none does (a domain signature without its timestamp is not one), naming
    how far this machine's clock is from an authority's when that is why: DomainUnstamped (exit 1)
    when an authority failed as a network endpoint does (unreachable, refused, an error, a reply that
    is no usable token, its deadline), EvidenceError itself (exit 2) when each failure is the
    operator's to set right first (its CA not given, this machine's clock).
    """
    if not authorities:
        raise EvidenceError("domain signing needs a timestamp authority: give --timestamp URL (or ARCHIVER_TSA)")
    leaf = identity.chain[0]
    created = created or created_now()
    when = parse_created(created)
    if not leaf.not_valid_before_utc <= when <= leaf.not_valid_after_utc:
        raise EvidenceError(f"the domain certificate is not valid now (valid {leaf.not_valid_before_utc:%Y-%m-%d} "
                            f"to {leaf.not_valid_after_utc:%Y-%m-%d})")
    if when > leaf.not_valid_before_utc + CERT_WINDOW:
        log.warning("the domain certificate was issued on %s: verifiers following the WACZ signing spec accept "
                    "signatures made within %d days of a certificate's start only", f"{leaf.not_valid_before_utc:%Y-%m-%d}",
                    CERT_WINDOW.days)
    signature = identity.sign(hash_)
    errors: list[str] = []
    authority_failed = False  # an authority's own failure (not the operator's to set right first)
    for url in authorities:
        try:
            token = tsa.request_token(url, signature.encode("ascii"), deadline=deadline, certificates=tsa_certificates)
        except TimestampError as e:
            errors.append(str(e))
            authority_failed = True
            continue
        if token.signer is None:
            errors.append(f"timestamp authority {url} sent a token without its certificate")
            authority_failed = True
            continue
        chain = chain_for(token.signer, [*tsa_certificates, *token.certificates])
        if len(chain) < 2 and chain[0].issuer != chain[0].subject:
            errors.append(f"timestamp authority {url}: its CA certificate is unknown: give it with --timestamp-ca PEM")
            continue
        if not when <= token.time <= when + STAMP_WINDOW:
            # Verifiers refuse it (`created` must come at most STAMP_WINDOW before the timestamp):
            # this machine's clock and the authority's disagree.
            ahead = "behind" if token.time > when else "ahead of"
            errors.append(f"timestamp authority {redact_endpoint(url)} says {token.time:%Y-%m-%dT%H:%M:%SZ}, "
                          f"this machine's clock said {created} (created): it is {duration(token.time - when)} "
                          f"{ahead} the authority's, and a domain signature's timestamp must come within "
                          f"{int(STAMP_WINDOW.total_seconds() // 60)} minutes after created: set this machine's clock right")
            continue
        if failures is not None:
            failures.extend(errors)
        return {"hash": hash_, "created": created, "software": SOFTWARE, "version": SPEC_VERSION,
                "signature": signature, "domain": identity.domain,
                "domainCert": tsa.certificates_pem(identity.chain),
                "timeSignature": base64.b64encode(token.der).decode("ascii"),
                "timestampCert": tsa.certificates_pem(chain)}
    message = "no timestamp for the domain signature: " + "; ".join(errors)
    raise DomainUnstamped(message) if authority_failed else EvidenceError(message)

