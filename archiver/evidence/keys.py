"""The archive's anonymous signing key: an ECDSA P-384 key kept in the archive folder.

    <archive>/keys/signing-key.pem     PKCS#8 PEM, unencrypted, mode 0600 (folder 0700)

It signs exported bundles when no domain certificate is given (`archiver export --sign`). A
signature made with it proves that whoever holds this key signed the bundle and that nothing
changed since; it says nothing of who that is until the public key (or its fingerprint, which
`archiver keys show` prints) is published somewhere readers trust.

P-384 and the raw r||s signature form are what ReplayWeb.page's check of an anonymous signature
uses (WebCrypto's ECDSA with SHA-256); the public key travels as base64 SubjectPublicKeyInfo DER.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from archiver.errors import EvidenceError, UsageError

KEY_DIR = "keys"
KEY_NAME = "signing-key.pem"
KEY_MODE = 0o600
KEY_DIR_MODE = 0o700
CURVE = ec.SECP384R1
_SIZE = 48  # bytes of r and of s on P-384


def key_path(archive_dir: Path) -> Path:
    return Path(archive_dir) / KEY_DIR / KEY_NAME


@dataclass(frozen=True)
class PublicKey:
    """A public key as bundles carry it: base64 SubjectPublicKeyInfo DER."""

    spki_b64: str

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the SubjectPublicKeyInfo DER, "sha256:<hex>": what a reader compares."""
        return "sha256:" + hashlib.sha256(base64.b64decode(self.spki_b64)).hexdigest()

    def verify(self, signature_b64: str, data: str) -> None:
        """Check a raw r||s signature over `data`'s ASCII; raises EvidenceError saying what is wrong."""
        try:
            key = serialization.load_der_public_key(base64.b64decode(self.spki_b64, validate=True))
        except ValueError:
            raise EvidenceError("the public key is not a base64 SubjectPublicKeyInfo") from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, CURVE):
            raise EvidenceError("the public key is not an ECDSA P-384 key")
        try:
            raw = base64.b64decode(signature_b64, validate=True)
        except ValueError:
            raise EvidenceError("the signature is not base64") from None
        if len(raw) != 2 * _SIZE:
            raise EvidenceError(f"the signature is {len(raw)} bytes, not the {2 * _SIZE} of a P-384 r||s signature")
        der = encode_dss_signature(int.from_bytes(raw[:_SIZE], "big"), int.from_bytes(raw[_SIZE:], "big"))
        try:
            key.verify(der, data.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise EvidenceError("the signature does not match the public key and the digest") from None


@dataclass(frozen=True)
class SigningKey:
    """The archive's private key and where it is kept."""

    key: ec.EllipticCurvePrivateKey
    path: Path

    @property
    def public(self) -> PublicKey:
        spki = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        return PublicKey(base64.b64encode(spki).decode("ascii"))

    def sign(self, data: str) -> str:
        """base64 of the raw r||s ECDSA-SHA256 signature over `data`'s ASCII."""
        r, s = decode_dss_signature(self.key.sign(data.encode("ascii"), ec.ECDSA(hashes.SHA256())))
        return base64.b64encode(r.to_bytes(_SIZE, "big") + s.to_bytes(_SIZE, "big")).decode("ascii")


def create_key(archive_dir: Path) -> SigningKey:
    """Make the archive's key; refuses to replace one (bundles already signed name it)."""
    folder = Path(archive_dir)
    path = key_path(folder)
    _check_folder(folder, "archive folder", "give --archive-dir an existing archive folder")
    _check_folder(path.parent, "the keys folder", "move it away, or give --archive-dir another archive",
                  missing_ok=True)
    try:
        exists = path.exists() or path.is_symlink()
    except OSError as e:
        raise UsageError(f"cannot use {path}: {e.strerror or e}") from None
    if exists:
        raise EvidenceError(f"{path} already exists: the bundles it signed are checked against it; "
                            "`archiver keys show` prints it")
    key = ec.generate_private_key(CURVE())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = path.with_name(f".{KEY_NAME}.part")
    try:
        path.parent.mkdir(mode=KEY_DIR_MODE, exist_ok=True)
        os.chmod(path.parent, KEY_DIR_MODE)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_MODE)
        try:
            os.fchmod(fd, KEY_MODE)
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key made meanwhile
        finally:
            tmp.unlink(missing_ok=True)
    except FileExistsError:
        raise EvidenceError(f"{path} already exists: the bundles it signed are checked against it") from None
    except OSError as e:
        raise EvidenceError(f"cannot write {path}: {e.strerror or e}") from None
    return SigningKey(key=key, path=path)


def _check_folder(folder: Path, what: str, fix: str, *, missing_ok: bool = False) -> None:
    """UsageError, saying what is wrong and `fix`, unless `folder` is a folder (or, `missing_ok`, absent)."""
    try:
        mode = folder.stat().st_mode
    except FileNotFoundError:
        if missing_ok:
            return
        raise UsageError(f"{what} {folder} does not exist: {fix}") from None
    except OSError as e:  # a name too long, a path through a file, a folder that cannot be searched
        raise UsageError(f"{what} {_shortened(folder)} cannot be used ({e.strerror or e}): {fix}") from None
    if not stat.S_ISDIR(mode):
        raise UsageError(f"{what} {folder} is a file, not a folder: {fix}")


def _shortened(path: Path, keep: int = 80) -> str:
    """A path short enough for a one-line message (a name too long for the system is long for people too)."""
    text = str(path)
    return text if len(text) <= keep else f"{text[:keep // 2]}...{text[-keep // 2:]}"


def load_key(archive_dir: Path) -> SigningKey:
    """The archive's key; a missing, unreadable, foreign or world-readable key is named with the fix."""
    path = key_path(archive_dir)
    _check_folder(Path(archive_dir), "archive folder", "give --archive-dir an archive folder", missing_ok=True)
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise EvidenceError(f"no signing key in {archive_dir}: create one with `archiver keys create`") from None
    except OSError as e:
        raise EvidenceError(f"cannot read {path}: {e.strerror or e}") from None
    if stat.S_IMODE(mode) & 0o077:
        raise EvidenceError(f"{path} is readable by others (mode {stat.S_IMODE(mode):04o}): "
                            f"run `chmod 600 {path}`; if others may have read it, move it away (bundles it "
                            "signed still name its public key) and `archiver keys create` a new one")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise EvidenceError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, CURVE):
        raise EvidenceError(f"{path} is not an ECDSA P-384 key (replay tools check anonymous signatures with P-384)")
    return SigningKey(key=key, path=path)
