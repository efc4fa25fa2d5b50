"""Evidence a bundle carries about itself: signatures over its digest and RFC 3161 timestamp tokens
(docs/evidence.md says what each proves).

    keys.py          the archive's anonymous signing key (ECDSA P-384, keys/signing-key.pem)
    sign.py          signedData of the WACZ signing spec: anonymous, or domain with its timestamp
    tsa.py           ask a timestamp authority for a token over some bytes; check a token offline
    sidecar.py       where tokens are kept: the digest file's `timestamps`, evidence/timestamps.json
    seal.py          the export's hook: sidecar before datapackage.json, signature and tokens after
    verify_wacz.py   `archiver verify X.wacz`: every hash, the signature, every token, offline
"""
