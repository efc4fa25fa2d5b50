"""One exception tree for the whole tool.

    ArchiverError                 base: the CLI catches only this, prints str(e) on one line
    ├── UsageError                bad arguments or options (exit 2)
    │   ├── QuerySyntaxError      a --text query that cannot be parsed (exit 2)
    │   └── TimestampCaMismatch   a token's signer does not chain to the --timestamp-ca given (exit 2)
    ├── SourceError               a source could not be read (unreadable, binary, too big, fetch failed)
    ├── NetworkError              a request failed (connect, TLS, timeout, a broken or bad answer)
    │   ├── NetworkUnreachable    no name resolution or no route: the network itself may be down
    │   ├── RefusedError          the network policy refused the address (not a network failure)
    │   ├── LimitExceeded         a response went over a limit (--max-bytes, a deadline)
    │   │   └── DeadlineExceeded  a fetch ran past its --fetch-deadline
    │   └── TimestampError        a timestamp authority did not answer with a granted, checked token
    ├── BrowserError              no usable Chromium, or the browser crashed
    │   └── BrowserUnavailable    Chromium could not be started: no capture can be made (ends a run)
    ├── IndexError_               the SQLite index is unreadable or from a newer version
    │   └── IndexDamaged          archive.db is corrupt: nothing can be read from it (exit 2)
    ├── DiskFull                  no space left on the device while writing a named file
    ├── LockHeld                  another run holds the archive's lock (exit 3)
    ├── ExportError               nothing selected, or the bundle could not be written
    │   └── DamagedRecord         a selected record fails its checks: no bundle (exit 1)
    └── EvidenceError             signing keys, certificates or tokens unusable
        └── TokenInvalid          a stored timestamp token does not check (the reason is the message)
            └── TokenUnanchored   no CA certificate at hand to check a token's signer against

Messages are one line and say what to do next.
"""

from __future__ import annotations


class ArchiverError(Exception):
    """Base class of every error the tool reports to the user."""

    exit_code = 1


class UsageError(ArchiverError):
    """Bad arguments or options."""

    exit_code = 2


class TimestampCaMismatch(UsageError):
    """A timestamp authority's token does not chain to the CA certificates the operator gave for
    the authorities (`export --timestamp-ca`): the operator's to set right; asking again would get
    the same answer."""


class QuerySyntaxError(UsageError):
    """A --text query that cannot be parsed: an unclosed quote, a bracket, NOT, a dangling AND/OR."""


class SourceError(ArchiverError):
    """A source could not be read."""


class HttpStatusError(SourceError):
    """A source's server answered with an error status (`status`: 404, 410, 500...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NetworkError(ArchiverError):
    """A network request failed."""

    # Whether the failure says the network itself may be down (a run then treats later fetches as
    # offline, and says so). Only NetworkUnreachable does: a server that refused one connection,
    # answered badly (a reset, a truncated or undecodable body, a redirect loop, a TLS failure) or
    # too slowly says something about that server only.
    unreachable = False


class NetworkUnreachable(NetworkError):
    """No name could be resolved, or no route led to the address: the network itself may be down."""

    unreachable = True


class RefusedError(NetworkError):
    """The network policy refused to connect: content named a loopback, private or reserved address."""

    unreachable = False


class LimitExceeded(NetworkError):
    """A response went over a limit (--max-bytes, --fetch-deadline); nothing of it was recorded."""

    unreachable = False


class DeadlineExceeded(LimitExceeded):
    """A fetch ran past its --fetch-deadline (`GET URL: gave up after N s (deadline; ...)`)."""


class TimestampError(NetworkError):
    """A timestamp authority could not be reached, refused, or sent a token that does not check."""

    unreachable = False


class BrowserError(ArchiverError):
    """No usable Chromium, or the browser failed."""


class BrowserUnavailable(BrowserError):
    """Chromium could not be started (it starts on a run's first capture): no capture can be made."""



class IndexError_(ArchiverError):
    """The index is unreadable, unreachable (PostgreSQL) or was written by a newer version."""


class IndexDamaged(IndexError_):
    """archive.db is corrupt (not a database, malformed pages, text that is not UTF-8)."""

    exit_code = 2


class DiskFull(ArchiverError):
    """No space left on the device while writing a named file; what was written stays readable."""


class BrokerUnavailable(ArchiverError):
    """The queue of a cluster run (its Redis broker) did not answer in time."""


class ClockBehind(ArchiverError):
    """The machine's clock reads earlier than what the archive already holds: what this run
    checked or captured would be dated before earlier checks (and lost to them)."""


class LockHeld(ArchiverError):
    """Another run holds the archive's lock."""

    exit_code = 3


class ExportError(ArchiverError):
    """Nothing matched the selection, or the bundle could not be written."""

    exit_code = 2



class DamagedRecord(ExportError):
    """A selected record fails its CRC or digest check; export it with --allow-damaged to leave it out."""

    exit_code = 1


class EvidenceError(ArchiverError):
    """A signing key, certificate or timestamp token cannot be used."""

    exit_code = 2


class TokenInvalid(EvidenceError):
    """A timestamp token does not check: the message says why."""

    exit_code = 1


class TokenUnanchored(TokenInvalid):
    """No CA certificate at hand to check a timestamp token's signer against (give a CA bundle)."""
