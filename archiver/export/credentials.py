"""Which HTTP headers carry credentials, and how a record is re-serialized without them.

Browser captures record the session's cookies, Authorization and API tokens in request records,
and servers' Set-Cookie (and sometimes fresh tokens) in responses. An export is meant to be
shared, so by default every credential header is removed from request, response and revisit
records alike. The rule:

- by name: Cookie, Set-Cookie, Set-Cookie2, Authorization, Proxy-Authorization;
- by pattern: any header whose name contains `token`, `auth`, `key`, `secret`, `session`, `csrf`,
  `signature`, `cookie`, `password`, `passwd`, `credential`, `jwt` or `dpop`, in any case (X-Api-Key,
  X-Auth-Token, X-Csrf-Token, X-Guest-Token, X-Amz-Security-Token, X-Amz-Credential, X-Session-Id,
  Signature, Cookie2, X-Cookie, X-Password, X-Jwt-Assertion, DPoP, ...): the words the redaction of
  URLs takes for secrets, so a header is held to what its query parameter would be;
- both also under the `X-Archive-Orig-` prefix the capture gives renamed headers;
- except the standard headers the pattern catches that carry no secret: WWW-Authenticate and
  Proxy-Authenticate (a server's challenge: scheme and realm), Sec-WebSocket-Key (a public
  handshake nonce) and Public-Key-Pins(-Report-Only) (hashes of public keys). Keep-Alive does not
  match (no "key" in it), nor do Content-Security-Policy, Origin or Referer.

A record that lost headers is rewritten through warcio, which recomputes the block digest and
Content-Length (the payload, and so its digest, is unchanged), and names what went in
REDACTED_FIELD. URLs are not touched here: WARC and CDXJ keep them as fetched, replay needs them.
"""

from __future__ import annotations

import re
from typing import IO

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

CREDENTIAL_NAMES = ("cookie", "set-cookie", "set-cookie2", "authorization", "proxy-authorization")
CREDENTIAL_PATTERN = re.compile(r"token|auth|key|secret|session|csrf|signature|cookie|passw(?:or)?d|credential|jwt|dpop",
                                re.IGNORECASE)
NOT_CREDENTIALS = frozenset({"www-authenticate", "proxy-authenticate", "sec-websocket-key", "public-key-pins",
                             "public-key-pins-report-only"})
# Records whose HTTP headers warcio parses: the only ones that can hold a header.
HTTP_RECORD_TYPES = ("request", "response", "revisit")

# The rule in one line, for the export's warcinfo record.
RULE = ("headers Cookie, Set-Cookie, Set-Cookie2, Authorization, Proxy-Authorization, and any header whose name "
        "contains token, auth, key, secret, session, csrf, signature, cookie, password, passwd, credential, jwt or "
        "dpop (but WWW-Authenticate, Proxy-Authenticate, Sec-WebSocket-Key, Public-Key-Pins), also with the "
        "X-Archive-Orig- prefix, in requests and responses")

# The capture renames some headers with this prefix; a renamed credential is still a credential.
_ORIG_PREFIX = "x-archive-orig-"

# Marks a record that is not byte-identical to the one in the archive (same ID, headers removed).
REDACTED_FIELD = "WARC-Archiver-Removed-Headers"


def _bare(name: str) -> str:
    name = name.strip().lower()
    return name.removeprefix(_ORIG_PREFIX)


def is_credential(name: str) -> bool:
    """True when a header of this name may carry a credential (see the module docstring)."""
    bare = _bare(name)
    if bare in NOT_CREDENTIALS:
        return False
    return bare in CREDENTIAL_NAMES or CREDENTIAL_PATTERN.search(bare) is not None


def credential_headers(rec_type: str, http_headers: StatusAndHeaders | None) -> list[str]:
    """Names of the credential headers present in a record's HTTP headers, as spelled there."""
    if http_headers is None or rec_type not in HTTP_RECORD_TYPES:
        return []
    return [name for name, _ in http_headers.headers if is_credential(name)]


def reserialize(writer: WARCWriter, record: ArcWarcRecord, payload: IO[bytes], length: int,
                drop: list[str]) -> StatusAndHeaders:
    """Write `record` with `payload` through `writer`, minus the HTTP headers named in `drop`.

    The WARC-Record-ID is kept so request/response links still hold; a record that lost headers says
    which in REDACTED_FIELD. Returns the WARC headers as written (digests included).
    """
    rec_headers = record.rec_headers
    http = record.http_headers
    if drop and http is not None:
        gone = {n.lower() for n in drop}
        http = StatusAndHeaders(http.statusline, [(k, v) for k, v in http.headers if k.lower() not in gone],
                                protocol=http.protocol)
        rec_headers.replace_header(REDACTED_FIELD, ", ".join(sorted({n.title() for n in drop})))
    # the block changes (or may: headers are re-serialized), so warcio must recompute its digest
    rec_headers.remove_header("WARC-Block-Digest")
    new = writer.create_warc_record(
        rec_headers.get_header("WARC-Target-URI") or "",
        record.rec_type,
        payload=payload,
        length=length,
        warc_headers=rec_headers,
        http_headers=http,
    )
    writer.write_record(new)
    return new.rec_headers
