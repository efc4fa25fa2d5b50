"""Sealing an export: the signature and the timestamps of its digest, and the capture sidecar.

A `Sealer` gives the WACZ writer its sidecar (`files()`, written and listed before
datapackage.json) and, called with datapackage.json's bytes and digest once they are known, the
properties to add to datapackage-digest.json: `signedData` and `timestamps` (see sidecar.py).
An authority that fails is named in `failures` (the export then ends with exit 1); a domain
signature that no authority could timestamp fails the export.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cryptography import x509

from archiver.errors import ArchiverError, TimestampError
from archiver.evidence import tsa
from archiver.evidence.keys import SigningKey
from archiver.evidence.sidecar import DIGEST_TIMESTAMPS, SIDECAR_PATH, CaptureTimestamps, StoredToken, sidecar_bytes
from archiver.evidence.sign import DomainIdentity, chain_for, created_now, sign_anonymous, sign_domain
from archiver.redact import redact_endpoint

log = logging.getLogger(__name__)


@dataclass
class EvidenceOptions:
    """What `export --sign/--timestamp` asked for."""

    key: SigningKey | None = None  # anonymous signing with the archive's key
    domain: DomainIdentity | None = None  # domain signing (then `authorities` must not be empty)
    authorities: Sequence[str] = ()  # RFC 3161 authorities: the digest is stamped by each
    tsa_certificates: Sequence[x509.Certificate] = ()  # their CA certificates (stored with the tokens)
    captures: Sequence[CaptureTimestamps] = ()  # per-capture tokens exported with the bundle
    deadline: float = tsa.DEFAULT_DEADLINE  # seconds for one request to an authority (--timestamp-deadline)

    def __bool__(self) -> bool:
        return bool(self.key or self.domain or self.authorities or self.captures)


@dataclass
class Sealer:
    options: EvidenceOptions
    failures: list[str] = field(default_factory=list)
    signed: dict[str, Any] | None = None
    tokens: list[StoredToken] = field(default_factory=list)

    def files(self) -> dict[str, bytes]:
        """The sidecar, when captures are timestamped."""
        captures = [_with_chains(c, self.options.tsa_certificates) for c in self.options.captures]
        return {SIDECAR_PATH: sidecar_bytes(captures)} if captures else {}

    def __call__(self, package: bytes, hash_: str) -> dict[str, Any]:
        o = self.options
        # `wacz validate` wants the signature's `created` to be the package's own
        created = json.loads(package).get("created") or created_now()
        if o.domain is not None:
            self.signed = sign_domain(o.domain, hash_, o.authorities, created=created,
                                      tsa_certificates=o.tsa_certificates, deadline=o.deadline, failures=self.failures)
        elif o.key is not None:
            self.signed = sign_anonymous(o.key, hash_, created=created)
        for url in o.authorities:
            try:
                token = tsa.request_token(url, package, deadline=o.deadline, certificates=o.tsa_certificates)
            except TimestampError as e:
                self.failures.append(f"bundle not timestamped: {e}")  # named once, by the export's summary
                log.debug("%s", self.failures[-1])
                continue
            chain = chain_for(token.signer, [*o.tsa_certificates, *token.certificates]) if token.signer else []
            self.tokens.append(StoredToken(authority=redact_endpoint(url), time=token.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                           token=base64.b64encode(token.der).decode("ascii"),
                                           certificates=tsa.certificates_pem(chain)))
        fields: dict[str, Any] = {}
        if self.signed is not None:
            fields["signedData"] = self.signed
        if self.tokens:
            fields[DIGEST_TIMESTAMPS] = [asdict(t) for t in self.tokens]
        return fields


def _with_chains(capture: CaptureTimestamps, certificates: Sequence[x509.Certificate]) -> CaptureTimestamps:
    """The capture with its tokens' certificate chains, signer first, to the CA certificates given
    for the authorities (`--timestamp-ca`), as the bundle's own tokens carry theirs: a bundle checked
    without a CA bundle then names the root each token chains to. A token over the capture's
    manifest that does not check against them keeps none (`verify` says what it lacks)."""
    if not certificates or all(t.certificates for t in capture.tokens):
        return capture
    tokens = []
    for stored in capture.tokens:
        if not stored.certificates:
            try:
                check = tsa.check_token(stored.der, message=capture.manifest.encode("utf-8"), roots=certificates)
            except (ArchiverError, ValueError):
                check = None  # another authority's, or a token that does not check: no chain to give it
            signer = check.token.signer if check is not None else None
            if signer is not None:
                chain = chain_for(signer, [*certificates, *check.token.certificates])  # type: ignore[union-attr]
                stored = replace(stored, certificates=tsa.certificates_pem(chain))
        tokens.append(stored)
    return replace(capture, tokens=tokens)

