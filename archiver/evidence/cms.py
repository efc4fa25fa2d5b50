"""The one signature of a timestamp token, checked with the signing certificate's own key.

A token is a CMS `SignedData` (RFC 5652) whose content is the `TSTInfo` (the stamped digest and the
authority's time). Its single `SignerInfo` signs a set of attributes, one of which
(`messageDigest`) is the digest of that content. Checking both — the attributes' digest against
the content and the signature over the attributes with the signer's public key — proves that
whoever holds the key behind the embedded certificate signed this time over this digest. It does
not prove who that is: that is the chain to a trusted CA's job (`tsa._verify`). It is what can be
checked when no CA certificate is at hand, so that a token whose signature is broken is refused
when it arrives instead of being kept as evidence.

The DER is read just far enough for that, by a small reader of tag-length-value triples: the parser
of RFC 3161 replies in use exposes neither the signed attributes nor the signature.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

_SEQUENCE, _SET, _OCTETS, _OID, _CTX0 = 0x30, 0x31, 0x04, 0x06, 0xA0

_HASHES: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    "1.3.14.3.2.26": ("sha1", hashes.SHA1),
    "2.16.840.1.101.3.4.2.1": ("sha256", hashes.SHA256),
    "2.16.840.1.101.3.4.2.2": ("sha384", hashes.SHA384),
    "2.16.840.1.101.3.4.2.3": ("sha512", hashes.SHA512),
    "2.16.840.1.101.3.4.2.4": ("sha224", hashes.SHA224),
}
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_RSA = {"1.2.840.113549.1.1.1", "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12",
        "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.14"}
_ECDSA = {"1.2.840.10045.2.1", "1.2.840.10045.4.1", "1.2.840.10045.4.3.1", "1.2.840.10045.4.3.2",
          "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"}
_EDDSA = {"1.3.101.112", "1.3.101.113"}


class Malformed(ValueError):
    """The DER does not have the shape of a CMS SignedData with one signer."""


class Unsupported(Exception):
    """A digest or signature algorithm this check does not know (RSASSA-PSS among them)."""


@dataclass(frozen=True)
class _TLV:
    tag: int
    start: int  # where the tag is
    body: int  # where the value starts
    end: int  # one past the value

    def raw(self, der: bytes) -> bytes:
        return der[self.start:self.end]

    def value(self, der: bytes) -> bytes:
        return der[self.body:self.end]


def _read(der: bytes, at: int, end: int) -> _TLV:
    if at + 2 > end:
        raise Malformed("cut short")
    start = at
    tag, first = der[at], der[at + 1]
    if tag & 0x1F == 0x1F:
        raise Malformed("a multi-byte tag")
    at += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or at + count > end:
            raise Malformed("a bad length")
        length = int.from_bytes(der[at:at + count], "big")
        at += count
    if at + length > end:
        raise Malformed("a value past its container's end")
    return _TLV(tag, start, at, at + length)


def _children(der: bytes, tlv: _TLV) -> list[_TLV]:
    out, at = [], tlv.body
    while at < tlv.end:
        child = _read(der, at, tlv.end)
        out.append(child)
        at = child.end
    return out


def _expect(tlv: _TLV, tag: int, what: str) -> _TLV:
    if tlv.tag != tag:
        raise Malformed(f"{what}: tag {tlv.tag:#x}, not {tag:#x}")
    return tlv


def _oid(der: bytes, tlv: _TLV) -> str:
    _expect(tlv, _OID, "an object identifier")
    body = tlv.value(der)
    if not body:
        raise Malformed("an empty object identifier")
    parts, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in (first, parts[0] - 40 * first, *parts[1:]))


def _algorithm(der: bytes, tlv: _TLV) -> str:
    return _oid(der, _children(der, _expect(tlv, _SEQUENCE, "an algorithm identifier"))[0])


def check_signature(token: bytes, signer: x509.Certificate) -> None:
    """Check the token's one signature with `signer`'s public key (see the module's docstring).

    `token` is the DER of the CMS ContentInfo (the `timeStampToken` of a reply). Raises
    InvalidSignature when the content's digest or the signature does not check, Malformed when
    the token has not the expected shape, Unsupported for an algorithm not known here.
    """
    top = _read(token, 0, len(token))
    content_info = _children(token, _expect(top, _SEQUENCE, "ContentInfo"))
    if len(content_info) < 2:
        raise Malformed("ContentInfo without content")
    explicit = _children(token, _expect(content_info[1], _CTX0, "ContentInfo's content"))
    signed_data = _children(token, _expect(explicit[0], _SEQUENCE, "SignedData"))
    # version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos
    encap = _children(token, _expect(signed_data[2], _SEQUENCE, "encapContentInfo"))
    if len(encap) < 2:
        raise Malformed("no content in encapContentInfo")
    e_content = _children(token, _expect(encap[1], _CTX0, "eContent"))[0]
    content = _expect(e_content, _OCTETS, "eContent").value(token)
    signer_infos = _children(token, _expect(signed_data[-1], _SET, "signerInfos"))
    if len(signer_infos) != 1:
        raise Malformed(f"{len(signer_infos)} signers instead of one")
    # version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature, [1] unsignedAttrs
    fields = _children(token, _expect(signer_infos[0], _SEQUENCE, "SignerInfo"))
    if len(fields) < 6 or fields[3].tag != _CTX0:
        raise Malformed("a SignerInfo without signed attributes")
    digest_oid = _algorithm(token, fields[2])
    if digest_oid not in _HASHES:
        raise Unsupported(f"digest algorithm {digest_oid}")
    name, hash_class = _HASHES[digest_oid]
    attributes = fields[3]
    said = None
    for attribute in _children(token, attributes):
        kind, values = _children(token, _expect(attribute, _SEQUENCE, "an attribute"))[:2]
        if _oid(token, kind) == _MESSAGE_DIGEST:
            said = _expect(_children(token, values)[0], _OCTETS, "messageDigest").value(token)
    if said is None:
        raise Malformed("no messageDigest among the signed attributes")
    if said != hashlib.new(name, content).digest():
        raise InvalidSignature("the signed digest is not the content's")
    # What is signed is the attributes' DER with the SET tag the IMPLICIT [0] stands for.
    signed = bytes([_SET]) + attributes.raw(token)[1:]
    signature = _expect(fields[5], _OCTETS, "signature").value(token)
    algorithm = _algorithm(token, fields[4])
    key = signer.public_key()
    if not (algorithm in _RSA or algorithm in _ECDSA or algorithm in _EDDSA):
        raise Unsupported(f"signature algorithm {algorithm}")
    try:
        if algorithm in _RSA and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hash_class())
        elif algorithm in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(hash_class()))
        elif algorithm in _EDDSA and isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, signed)
        else:  # a key of another kind than the signature's cannot have made it
            raise InvalidSignature(f"a {algorithm} signature and a {type(key).__name__}")
    except UnsupportedAlgorithm as e:
        raise Unsupported(str(e)) from None
