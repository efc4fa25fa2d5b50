"""Evidence a bundle carries about itself: signatures over its digest and RFC 3161 timestamp tokens
(docs/evidence.md says what each proves).

    keys.py          the archive's anonymous signing key (ECDSA P-384, keys/signing-key.pem)
    sign.py          signedData of the WACZ signing spec: anonymous, or domain with its timestamp
    tsa.py           ask a timestamp authority for a token over some bytes; check a token offline
    sidecar.py       where tokens are kept: the digest file's `timestamps`, evidence/timestamps.json
    seal.py          the export's hook: sidecar before datapackage.json, signature and tokens after
    verify_wacz.py   `archiver verify X.wacz`: every hash, the signature, every token, offline

`usable_tsa_url` decides, for every command and layer that takes one, what can name a timestamp
authority; it is here so that option parsing can ask without loading the RFC 3161 libraries.
"""

from __future__ import annotations

# How long one request to a timestamp authority may take, everything included (--timestamp-deadline):
# each capture's, made as a run goes (an authority that stopped answering holds up each capture by
# that much, three times, before it is not asked again in the run), and the bundle's at export.
DEFAULT_STAMP_DEADLINE = 10.0
DEFAULT_EXPORT_STAMP_DEADLINE = 30.0


def usable_tsa_url(url: str) -> bool:
    """Whether `url`, as given, can name a timestamp authority: an http:// or https:// URL with a host.

    Spaces around it are the caller's to strip; a URL that starts with anything else (a space, a
    control character) is refused here, not passed on to the HTTP client.
    """
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:  # a bracketed (IPv6) host that does not parse
        return False
    return url.lower().startswith(("http://", "https://")) and bool(host)
