"""RFC 3161 timestamps: ask an authority for a token over some bytes, and check a token offline.

A token is the authority's whole `TimeStampResp`, DER-encoded, as the authority sent it: its
message imprint is the SHA-256 of the bytes that were stamped, its `genTime` the authority's
clock, and (because every request sets `certReq`) it embeds the authority's signing certificate.
Keeping the response rather than the bare token is what the WACZ signing spec does for its
`timeSignature`, so one format serves the bundle signature, the bundle sidecar and captures.

Checking a token proves that the authority's key signed "these bytes existed at that time". With
CA certificates (`roots`), it also proves the signing certificate chains to one of them; without,
the chain is anchored at a self-signed certificate carried with the token, which proves the
signature but not who the authority is — `TokenCheck.anchored` says which one was done. With
neither, the signature is still checked with the signing certificate's own key (`cms`), when a
token arrives and when it is checked: a token whose signature is broken is refused, one that
checks is called unanchored.

Tokens must be DER: a token whose embedded certificates are not in DER's SET OF order (some
authorities send them in chain order) cannot be read by the parser and is refused as such.

The authority's URL is an operator endpoint, not content: the network policy does not apply to it.
One request, from the look-up of the authority's name to the last byte of its answer, redirects
included, ends by its deadline (`net.fetch_bound`): an authority that drips its answer's head a line
at a time, sends `100 Continue` for ever or never answers fails the request when the time is up.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from archiver.errors import TimestampCaMismatch, TimestampError, TokenInvalid, TokenUnanchored, UsageError
from archiver.evidence import DEFAULT_EXPORT_STAMP_DEADLINE, cms, usable_tsa_url
from archiver.limits import seconds
from archiver.net import endpoint_client, fetch_bound
from archiver.redact import endpoint_secrets, redact_endpoint, redact_text, scrub

log = logging.getLogger(__name__)

CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"
DEFAULT_DEADLINE = DEFAULT_EXPORT_STAMP_DEADLINE  # seconds for one request, everything included
_SLACK = 0.05  # seconds: a socket's timeout may end a hair before the clock reads the deadline
MAX_REPLY_BYTES = 1 << 20  # a reply is a few kilobytes; anything larger is not one
_SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")


@dataclass(frozen=True)
class Token:
    """A parsed timestamp token (the authority's DER `TimeStampResp`) and what it says."""

    der: bytes
    time: datetime  # genTime, aware UTC
    digest: bytes  # the SHA-256 imprint: what was stamped
    serial: int
    authority: str  # the signing certificate's subject, RFC 4514
    certificates: tuple[x509.Certificate, ...]  # embedded, signing certificate first

    @property
    def signer(self) -> x509.Certificate | None:
        """The certificate that signed the token, when the token embeds it."""
        return self.certificates[0] if self.certificates else None


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of checking a token: the time it proves, and against what it was checked."""

    token: Token
    anchored: bool  # True: the chain ends at a CA certificate the caller gave (trusted); False: one carried with it
    root: str  # subject of the certificate the chain ended at (a given root, or a self-signed one)

    @property
    def time(self) -> datetime:
        return self.token.time


def sha256(message: bytes) -> bytes:
    return hashlib.sha256(message).digest()


def request_token(url: str, message: bytes, *, deadline: float = DEFAULT_DEADLINE,
                  roots: Sequence[x509.Certificate] | None = None, certificates: Sequence[x509.Certificate] = (),
                  verify: bool | str = True, client: httpx.Client | None = None) -> Token:
    """Ask the authority at `url` for a token over SHA-256(`message`) and return it.

    The answer must be granted and carry the request's nonce and imprint, and its signature must
    check with the signing certificate's key. When `roots` (or a self-signed certificate among the
    embedded ones) is at hand, the chain is checked too; when `certificates` are given (and no
    `roots`), the chain must end at one of them, whatever root the token carries (a given certificate
    that is not self-signed is an intermediate on the way to a given root, or the end of the chain
    when no given root lies above it: see `_verify`). Raises TimestampError naming the authority and what
    went wrong; TimestampCaMismatch (a usage error) when `certificates`, the CA certificates the
    operator gave, are not ones the signer chains to. `verify` is httpx's TLS setting for an https authority. The request, from the
    name's look-up to the answer's last byte, ends by `deadline` seconds (a `client` given must be
    `net.endpoint_client`'s for that to hold).
    """
    if not message:
        raise UsageError("nothing to timestamp: the message is empty")
    shown = redact_endpoint(url)  # messages and log lines never show the URL's password or token
    request = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build()
    body = _post(url, request.as_bytes(), deadline=deadline, verify=verify, client=client)
    try:
        response = decode_timestamp_response(body)
    except ValueError as e:
        log.debug("unreadable reply from %s: %s", shown, e)
        raise TimestampError(f"timestamp authority {shown} answered something that is not an RFC 3161 reply") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        why = "; ".join(response.status_string) or f"status {response.status}"
        raise TimestampError(f"timestamp authority {shown} refused the request: {why}")
    try:
        if response.tst_info.nonce != request.nonce:
            raise TimestampError(f"timestamp authority {shown} answered another request (nonce differs)")
        token = _token(response.as_bytes(), response)
        if token.digest != sha256(message):
            raise TokenInvalid("it stamps other content (its digest differs)")
        chain = list(token.certificates) + list(certificates)
        if roots is None and certificates:
            # The CA certificates the operator gave for the authority are where its chain must end:
            # a self-signed root the token carries itself proves nothing of who the authority is.
            if token.signer is None:
                raise TokenInvalid("it does not embed the certificate that signed it")
            if _anchored_path(token.signer, token.certificates, list(certificates)) is None:
                raise TokenUnanchored("its signer does not chain to the given CA certificates")
            _verify(token, response, token.digest, roots=certificates, certificates=token.certificates)
        elif roots is not None or any(self_signed(c) for c in chain):
            _verify(token, response, token.digest, roots=roots, certificates=certificates)
        else:
            _signature_alone(token, response)  # no CA at hand: the signature is the signer's, at least
    except TokenUnanchored as e:
        if certificates:
            # The CA certificates given for the authorities are not the ones its signer chains to:
            # the operator's to set right, which asking the authority again cannot mend.
            raise TimestampCaMismatch(
                f"timestamp authority {shown}: its token's signer ({token.authority}) does not chain to the CA "
                "certificates given with --timestamp-ca: give that authority's CA certificate (and any "
                "intermediate between them)") from None
        raise TimestampError(f"timestamp authority {shown} sent a token that does not check: {e}") from None
    except TokenInvalid as e:
        raise TimestampError(f"timestamp authority {shown} sent a token that does not check: {e}") from None
    except ValueError:  # the parser reads the token's parts on access
        raise TimestampError(f"timestamp authority {shown} sent a token that cannot be read") from None
    log.info("timestamp from %s: %s (serial %s)", shown, token.time.isoformat(), token.serial)
    return token


def _post(url: str, query: bytes, *, deadline: float, verify: bool | str, client: httpx.Client | None) -> bytes:
    shown = redact_endpoint(url)
    if not usable_tsa_url(url):
        raise UsageError(f"timestamp authority {shown!r} is not an http:// or https:// URL")
    headers = {"Content-Type": CONTENT_TYPE_QUERY, "Accept": CONTENT_TYPE_REPLY}
    end = time.monotonic() + deadline

    def left() -> float:
        return end - time.monotonic()

    own = client is None
    http = client or endpoint_client(timeout=deadline, verify=verify)
    try:
        # Every step, from the name's look-up to the last byte, on every redirect hop, ends by the
        # deadline: per-read timeouts never trip on a head sent one line a second.
        with fetch_bound(left), http.stream("POST", url, content=query, headers=headers, timeout=deadline) as r:
            if r.status_code != 200:
                raise TimestampError(f"timestamp authority {shown} answered HTTP {r.status_code}")
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > MAX_REPLY_BYTES:
                    raise TimestampError(f"timestamp authority {shown} answered more than {MAX_REPLY_BYTES} bytes")
            return bytes(body)
    except (httpx.HTTPError, httpx.InvalidURL) as e:
        if left() <= _SLACK:  # whatever it met, the deadline ended it (a read, a look-up cut short)
            raise TimestampError(f"timestamp authority {shown}: gave up after {seconds(deadline)} (deadline; "
                                 "raise --timestamp-deadline to wait longer)") from None
        from archiver.capture.http import describe_error

        # In the words every fetch of the tool uses ("host name not resolved", "timed out ...").
        said = describe_error(e)[0] if isinstance(e, httpx.HTTPError) else str(e) or type(e).__name__
        why = redact_text(scrub(said, endpoint_secrets(url)))
        where = _asked(e)
        if where is not None and where != str(httpx.URL(url)):
            # A redirect led elsewhere (http:// to https://, another host): the address that failed is named.
            why = f"it redirected to {redact_text(scrub(where, endpoint_secrets(url)))}, which failed: {why}"
        raise TimestampError(f"timestamp authority {shown} could not be reached: {why}") from None
    finally:
        if own:
            http.close()


def _asked(e: Exception) -> str | None:
    """The URL of the request an HTTP error happened on (after any redirect), when it says."""
    try:
        return str(e.request.url) if isinstance(e, httpx.RequestError) else None
    except RuntimeError:  # an error raised before any request was made
        return None


def parse_token(der: bytes) -> Token:
    """Read a stored token; raises TokenInvalid if it is not a granted RFC 3161 response over SHA-256."""
    response = _decode(der)
    return _token(der, response)


def _decode(der: bytes) -> TimeStampResponse:
    try:
        response = decode_timestamp_response(der)
    except ValueError:
        raise TokenInvalid("not an RFC 3161 timestamp response") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TokenInvalid(f"the authority did not grant it (status {response.status})")
    return response


def _token(der: bytes, response: TimeStampResponse) -> Token:
    # the parser reads the token's parts on access: a damaged part raises only then
    try:
        return _read_token(der, response)
    except ValueError:
        raise TokenInvalid("not a readable RFC 3161 timestamp token") from None


def _read_token(der: bytes, response: TimeStampResponse) -> Token:
    info = response.tst_info
    if info.message_imprint.hash_algorithm != _SHA256_OID:
        raise TokenInvalid(f"it stamps a digest other than SHA-256 ({info.message_imprint.hash_algorithm.dotted_string})")
    certs = [x509.load_der_x509_certificate(c) for c in response.signed_data.certificates]
    signers = list(response.signed_data.signer_infos)
    if len(signers) != 1:
        raise TokenInvalid(f"it has {len(signers)} signers instead of one")
    signer = next((c for c in certs if c.issuer == signers[0].issuer and c.serial_number == signers[0].serial_number), None)
    ordered = ([signer] if signer else []) + sorted((c for c in certs if c is not signer), key=lambda c: c.subject.rfc4514_string())
    authority = signer.subject.rfc4514_string() if signer else signers[0].issuer.rfc4514_string()
    when = info.gen_time
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return Token(der=der, time=when, digest=info.message_imprint.message, serial=info.serial_number,
                 authority=authority, certificates=tuple(ordered))


def check_token(der: bytes, *, message: bytes | None = None, digest: bytes | None = None,
                roots: Sequence[x509.Certificate] | None = None,
                certificates: Sequence[x509.Certificate] = ()) -> TokenCheck:
    """Check a stored token over `message` (or its SHA-256 `digest`); return the time it proves.

    `roots`: CA certificates the signer must chain to (a CA bundle the reader trusts). Without
    them the chain is anchored at a self-signed certificate among those the token embeds and
    `certificates` (the chain stored beside it): that proves the signature, not who the
    authority is (`TokenCheck.anchored` is False). Raises TokenInvalid with the reason.
    """
    if (message is None) == (digest is None):
        raise ValueError("check_token needs exactly one of message or digest")
    expected = sha256(message) if message is not None else digest
    assert expected is not None
    response = _decode(der)
    token = _token(der, response)
    if token.digest != expected:
        raise TokenInvalid("it stamps other content (its digest differs)")
    root = _verify(token, response, expected, roots=roots, certificates=certificates)
    return TokenCheck(token=token, anchored=roots is not None, root=root)


def _verify(token: Token, response: TimeStampResponse, digest: bytes, *, roots: Sequence[x509.Certificate] | None,
            certificates: Sequence[x509.Certificate] = ()) -> str:
    """Verify the token's signature and chain; return the subject of the anchor it ends at.

    rfc3161-client trusts every certificate it is given alike (roots and intermediates go into
    one set), so the path from the signer to an anchor is built and checked here first, and only
    that path is handed to it. Among `roots`, a self-signed certificate is an anchor and one that
    is not (an intermediate CA the reader gave with its root) a step on the way to it; a path ends
    at such a certificate only when no root given lies above it (the reader trusts that CA itself).
    Such a path is checked whole by rfc3161-client with a self-signed root above it carried with the
    token or given (it takes no other kind of root); with none, the token is not checked
    (TokenUnanchored): the root is asked for.
    """
    signer = token.signer
    if signer is None:
        raise TokenInvalid("it does not embed the certificate that signed it")
    pool = list(token.certificates) + [c for c in certificates if c not in token.certificates]
    if roots is None:
        anchors = [c for c in pool if self_signed(c)]
        if not anchors:
            _signature_alone(token, response)  # a broken signature is named as such, CA or not
            raise TokenUnanchored("no CA certificate to check it against: give the authority's CA certificate")
    else:
        anchors = list(roots)
        if not anchors:
            raise TokenUnanchored("no CA certificate to check it against")
    path = _anchored_path(signer, pool, anchors)
    if path is None:
        if roots is None:
            raise TokenUnanchored("its signer's certificate does not chain to a CA certificate carried with it")
        raise TokenInvalid("its signer does not chain to the given CA certificates")
    for cert in path:  # named as such (the verifier below would only say the signature does not check)
        if not cert.not_valid_before_utc <= token.time <= cert.not_valid_after_utc:
            raise TokenInvalid(f"{cert.subject.rfc4514_string()}'s certificate was not valid at the token's time "
                               f"{token.time:%Y-%m-%dT%H:%M:%SZ} (valid {cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} "
                               f"to {cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ})")
    full = path
    if not self_signed(path[-1]):
        # The anchor is a CA that is no root: rfc3161-client (OpenSSL) takes only a self-signed
        # root, so it checks the path with one carried above the anchor, when there is one.
        # Without one the path is not checked at all: a check by hand here would leave out what
        # OpenSSL holds a chain to (path length limits, the signer's key usage and its only
        # purpose, critical extensions it does not know), and a bundle's maker chooses whether
        # a root is carried.
        above = _path(path[-1], pool, [c for c in pool if self_signed(c)])
        if above is None:
            raise TokenUnanchored(f"it chains to {path[-1].subject.rfc4514_string()}, a CA certificate given that is "
                                  "no root, and to no root certificate above it: give that CA's root certificate too")
        full = path + above[1:]
    verifier = VerifierBuilder(roots=[full[-1]], intermediates=full[:-1]).build()
    try:
        verifier.verify(response, digest)
    except VerificationError as e:
        log.debug("token check failed: %s", e)
        raise TokenInvalid("its signature does not check") from None
    return path[-1].subject.rfc4514_string()


def _anchored_path(signer: x509.Certificate, pool: Sequence[x509.Certificate],
                   anchors: Sequence[x509.Certificate]) -> list[x509.Certificate] | None:
    """The signer's path to one of `anchors`: to a self-signed one if it can, the anchors that are
    not self-signed taken as intermediates on the way; else to the first anchor it meets."""
    roots = [c for c in anchors if self_signed(c)]
    middle = [c for c in anchors if c not in roots and c not in pool]
    if roots:
        path = _path(signer, [*pool, *middle], roots)
        if path is not None:
            return path
    return _path(signer, pool, anchors) if len(roots) < len(anchors) else None


def _signature_alone(token: Token, response: TimeStampResponse) -> None:
    """Check the token's signature with its signer's own key (`cms.check_signature`); TokenInvalid
    if it does not check. A signer or algorithm this cannot check passes: the check with a CA
    certificate still can."""
    signer = token.signer
    if signer is None:
        raise TokenInvalid("it does not embed the certificate that signed it")
    try:
        cms.check_signature(response.time_stamp_token(), signer)
    except InvalidSignature:
        raise TokenInvalid("its signature does not check") from None
    except cms.Malformed as e:
        raise TokenInvalid(f"not a readable RFC 3161 timestamp token ({e})") from None
    except cms.Unsupported as e:
        log.debug("token signature not checked without its CA: %s", e)


def _path(cert: x509.Certificate, pool: Sequence[x509.Certificate],
          anchors: Sequence[x509.Certificate]) -> list[x509.Certificate] | None:
    """cert, its issuers from `pool`, ending at one of `anchors` (each link's signature checked), or
    None; TokenInvalid when a certificate on the way is issued by one that is no CA's."""
    path = [cert]
    while path[-1] not in anchors:
        current = path[-1]
        issuer = next((c for c in [*anchors, *pool] if c.subject == current.issuer and c not in path
                       and issued_by(current, c)), None)
        if issuer is None:
            return None
        refused = issuer_refused(current, issuer)
        if refused is not None:
            raise TokenInvalid(f"its certificate chain does not hold: {refused}")
        path.append(issuer)
    return path


def issuer_problem(issuer: x509.Certificate, at: datetime | None = None) -> str | None:
    """Why `issuer` cannot have issued another certificate (at the time `at`, when given), or None.

    Only a CA's certificate issues others (RFC 5280 4.2.1.9, 4.2.1.3): basicConstraints with cA
    true, and keyCertSign among its key usages when it lists them. Anyone holding an ordinary
    certificate (a leaf, cA false) could otherwise issue one for any name.
    """
    try:
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    except ValueError:  # an extension that does not parse
        return "its extensions cannot be read"
    if constraints is None or not constraints.ca:
        return "it is not a CA (its basicConstraints do not say cA)"
    try:
        usage: x509.KeyUsage | None = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.key_cert_sign:
        return "keyCertSign is not among its key usages"
    if at is not None and not issuer.not_valid_before_utc <= at <= issuer.not_valid_after_utc:
        return (f"it was not valid at {at:%Y-%m-%dT%H:%M:%SZ} (valid {issuer.not_valid_before_utc:%Y-%m-%d} "
                f"to {issuer.not_valid_after_utc:%Y-%m-%d})")
    return None


def issuer_refused(cert: x509.Certificate, issuer: x509.Certificate, at: datetime | None = None) -> str | None:
    """`issuer_problem` as a sentence naming both certificates, or None."""
    why = issuer_problem(issuer, at)
    if why is None:
        return None
    return (f"{cert.subject.rfc4514_string()} is issued by {issuer.subject.rfc4514_string()}, which cannot issue "
            f"certificates: {why}")


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer`'s key signed `cert` (and names match): the link a name alone does not prove."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def self_signed(cert: x509.Certificate) -> bool:
    """Whether `cert` names itself as issuer and its own key signed it (a root)."""
    return cert.issuer == cert.subject and issued_by(cert, cert)


def load_certificates(path: Path, *, option: str | None = None,
                      expected: str = "a CA bundle in PEM form") -> list[x509.Certificate]:
    """Every PEM certificate in a file (a CA bundle); raises UsageError naming the file otherwise.

    With `option` (the command line's name for the file, e.g. `--domain-cert`), the message names
    that option and asks for `expected`, what the option takes.
    """
    if option is None:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read CA certificates from {path}: {e.strerror or e}") from None
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise UsageError(f"{path} holds no PEM certificate: give {expected}") from None
        return certs
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise UsageError(f"{option} {path}: is a folder: give {expected}") from None
    except FileNotFoundError:
        raise UsageError(f"{option} {path}: no such file: give {expected}") from None
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot be read ({e.strerror or e}): give {expected}") from None
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        found = "a private key, not a certificate" if b"PRIVATE KEY-----" in data else "no PEM certificate"
        raise UsageError(f"{option} {path}: holds {found}: give {expected}")
    return certs


def certificates_pem(certs: Sequence[x509.Certificate]) -> str:
    """A PEM chain, in the given order."""
    return "".join(c.public_bytes(Encoding.PEM).decode("ascii") for c in certs)
