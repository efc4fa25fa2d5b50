"""`archiver keys create|show`, and the evidence options of `export` and `verify` (signing,
timestamps, checking a WACZ). Registered on the main app by cli.py; the shared helpers of cli.py
are imported when a command runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .cli_options import ArchiveDirOpt, OutFormat, timestamp_urls
from .cli_style import say

if TYPE_CHECKING:
    from cryptography import x509

    from .evidence.seal import EvidenceOptions

app = typer.Typer(name="keys", help="The archive's signing key: create it, show its public half.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None)

SignOpt = Annotated[bool, typer.Option(
    "--sign", help="Sign the WACZ's digest: with the archive's key (`archiver keys create`), or with --domain-cert.")]
DomainCertOpt = Annotated[Path | None, typer.Option(
    "--domain-cert", metavar="PEM", help="Sign as a domain: its certificate chain, leaf first (needs --domain-key and --timestamp).")]
DomainKeyOpt = Annotated[Path | None, typer.Option(
    "--domain-key", metavar="PEM", help="The domain certificate's private key (ECDSA P-256, unencrypted PEM).")]
TimestampOpt = Annotated[list[str] | None, typer.Option(
    "--timestamp", metavar="URL", envvar="ARCHIVER_TSA", callback=timestamp_urls,
    help="An RFC 3161 timestamp authority to stamp the WACZ's digest (repeatable). Env: ARCHIVER_TSA (URLs separated by spaces).")]
TimestampCaOpt = Annotated[list[Path] | None, typer.Option(
    "--timestamp-ca", metavar="PEM",
    help="The timestamp authorities' CA certificates: each token's chain must end at one; stored with the tokens "
         "(repeat it for several files).")]
VerifyCaOpt = Annotated[list[Path] | None, typer.Option(
    "--ca-bundle", metavar="PEM",
    help="Check certificates (domain, timestamp authorities) against the CA certificates in this PEM file "
         "(repeat it for several files: a domain's CA and a timestamp authority's).")]


@app.command()
def create(archive_dir: ArchiveDirOpt = None) -> None:
    """Make the archive's signing key (ECDSA P-384, kept in keys/signing-key.pem, mode 0600) and print its public key.

    Example:

        archiver keys create --archive-dir archives
    """
    from .cli import _archive_dir, _call, _write
    from .evidence.keys import create_key
    from .layout import DB_NAME, WARC_DIR

    d = _archive_dir(archive_dir)
    key = _call(lambda: create_key(d))
    empty = not (d / DB_NAME).exists() and not (d / WARC_DIR).is_dir()
    _write(f"{key.public.fingerprint}\t{key.public.spki_b64}\n")
    say(f"signing key written to {key.path}: keep it private, publish its fingerprint")
    if empty:  # a mistyped --archive-dir would otherwise go unnoticed until `export --sign` finds no key
        say(f"{d} holds no archive yet: the key signs what is archived there")


@app.command()
def show(
    archive_dir: ArchiveDirOpt = None,
    format: Annotated[OutFormat, typer.Option("--format", "-f", help="Output format.")] = OutFormat.table,
) -> None:
    """Print the archive's public key (base64 SubjectPublicKeyInfo) and its fingerprint (SHA-256).

    Example:

        archiver keys show --format json
    """
    from .cli import _archive_dir, _call, _write
    from .evidence.keys import load_key

    key = _call(lambda: load_key(_archive_dir(archive_dir)))
    if format is OutFormat.json:
        _write(json.dumps({"fingerprint": key.public.fingerprint, "public_key": key.public.spki_b64,
                           "algorithm": "ECDSA P-384", "path": str(key.path)}) + "\n")
    else:
        _write(f"{key.public.fingerprint}\t{key.public.spki_b64}\n")


def evidence_options(archive_dir: Path, sign: bool, domain_cert: Path | None, domain_key: Path | None,
                     timestamp: list[str] | None, timestamp_ca: list[Path] | None,
                     timestamp_deadline: float | None = None) -> EvidenceOptions | None:
    """The export's signing and timestamping, from its options (usage errors exit 2 before any work);
    `timestamp_deadline`: seconds for one request to an authority (None: the default)."""
    from .cli import EXIT_USAGE, _call, _fail
    from .evidence import tsa, usable_tsa_url
    from .evidence.keys import load_key
    from .evidence.seal import EvidenceOptions
    from .evidence.sign import DomainIdentity
    from .redact import redact_endpoint

    urls = [u.strip() for u in (timestamp or []) if u.strip()]  # as --timestamp checked them
    if (domain_cert is None) != (domain_key is None):
        _fail("--domain-cert and --domain-key go together: give both", EXIT_USAGE)
    if domain_cert is not None and not sign:
        _fail("--domain-cert signs the bundle: add --sign", EXIT_USAGE)
    if domain_cert is not None and not urls:
        _fail("a domain signature needs a timestamp: add --timestamp URL (or set ARCHIVER_TSA)", EXIT_USAGE)
    if not sign and not urls:
        if timestamp_ca:
            _fail("--timestamp-ca goes with --timestamp URL", EXIT_USAGE)
        return None
    for url in urls:
        if not usable_tsa_url(url):
            _fail(f"--timestamp {redact_endpoint(url)!r}: give the authority's http:// or https:// URL", EXIT_USAGE)
    options = EvidenceOptions(authorities=urls)
    if timestamp_deadline is not None:
        options.deadline = timestamp_deadline
    # Every file given (one per authority, say), each possibly holding several certificates.
    def load(pem: Path) -> list[x509.Certificate]:
        return _call(lambda: tsa.load_certificates(
            pem, option="--timestamp-ca", expected="the timestamp authorities' CA certificates in PEM form"))

    options.tsa_certificates = [cert for pem in timestamp_ca or () for cert in load(pem)]
    if sign and domain_cert is not None and domain_key is not None:
        options.domain = _call(lambda: DomainIdentity.load(domain_cert, domain_key, cert_option="--domain-cert",
                                                           key_option="--domain-key"))
    elif sign:
        options.key = _call(lambda: load_key(archive_dir))
    return options


def verify_bundle(bundle: Path, ca_bundle: list[Path] | None, format: OutFormat) -> None:
    """`archiver verify X.wacz`: the findings on stdout (or one JSON document), the verdict on stderr."""
    from .cli import EXIT_PARTIAL, EXIT_USAGE, _call, _fail, _write
    from .evidence.verify_wacz import verify_path
    from .output import one_line
    from .sources import special_file

    if why := special_file(bundle):  # a FIFO: opened to read it as a zip, it would wait for a writer for ever
        _fail(f"{one_line(str(bundle))} {why}", EXIT_USAGE)
    if bundle.is_dir():  # an archive's folder given where a bundle goes: the slip is said with its mend
        _fail(f"{one_line(str(bundle))} is a folder, not a bundle (X.wacz, X.warc.gz); to check an archive, "
              f"give its folder as --archive-dir {one_line(str(bundle))}", EXIT_USAGE)
    result = _call(lambda: verify_path(bundle, ca_bundle))
    if format is OutFormat.json:
        _write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    else:
        for f in result.findings:
            _write(f"{f.kind}\t{one_line(f.path)}\t{one_line(f.detail)}\n")
    for note in result.notes:
        say(f"note: {one_line(note)}")
    if result.ok:
        say(one_line(result.sentence()))
    else:  # what is wrong with the bundle: said under -q too
        typer.echo(f"archiver: {one_line(result.sentence())}", err=True)
    if not result.ok:
        raise typer.Exit(EXIT_PARTIAL)
