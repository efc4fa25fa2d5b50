"""Sources: files, directories, stdin and URLs, read into `Document`s; HTML or text sniffed from content."""

from __future__ import annotations

import codecs
import logging
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .errors import DeadlineExceeded, HttpStatusError, LimitExceeded, NetworkError, SourceError, UsageError
from .limits import DEFAULT_FETCH_DEADLINE
from .models import Document

if TYPE_CHECKING:
    from .capture.http import RecordingClient
    from .net import NetOptions
    from .warcstore.batch import Batch

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
URL_RE = re.compile(r"^https?://", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_READ_CHUNK = 1 << 20
# What a path is when it is not a regular file: opening a FIFO blocks until a writer comes, and
# devices such as /dev/zero or /dev/urandom never end (their size says 0).
_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
EMPTY_SOURCE = "'': an empty source name; give a file, a directory, '-' for standard input or an http(s) URL"


@dataclass
class SourceFailure:
    """A source that could not be read; `message` is one line naming it and saying why."""

    source: str
    message: str


@dataclass(frozen=True)
class LocalFile:
    """A file among the sources, not read yet: whoever takes it reads it (`read_file`), in another
    process if it likes."""

    spec: str


def is_url(spec: str) -> bool:
    return bool(URL_RE.match(spec))


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def not_utf8(text: str) -> bool:
    """Whether `text` (a command-line argument, a file's name) holds bytes that are no UTF-8, which
    Python keeps as lone surrogates: such text can be neither stored nor matched against any held."""
    return _SURROGATE_RE.search(text) is not None


def text_safe(name: str) -> str:
    """A file's name as text that can be stored, printed and written as JSON: the bytes of it that
    are no UTF-8 (which Python keeps as lone surrogates) written as `\\xNN`. Most names are returned
    as they are."""
    if not _SURROGATE_RE.search(name):
        return name
    try:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte of a name
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def shown(spec: str, limit: int | None = None) -> str:
    """A source as named in a one-line message: a URL's credentials and secret parameters replaced
    (whether or not it parses), quoted when it holds a line break or another control character,
    bytes that are no UTF-8 written as `\\xNN` (`text_safe`); past `limit` characters (None: no
    limit), cut there and said so, as a line of a URL list is."""
    spec = text_safe(spec)
    if "://" in spec:
        from .redact import redact_endpoint

        spec = redact_endpoint(spec)
    cut = ""
    if limit is not None and len(spec) > limit:
        spec, cut = spec[:limit], f" (cut at {limit} of {len(spec)} characters)"
    return (repr(spec) if _CONTROL_RE.search(spec) else spec) + cut


# Characters of a source a message quotes: a URL can be up to 65,536 (`MAX_URL`) and a
# malformed one longer.
SHOWN_CHARACTERS = 200
# The longest URL httpx takes (its `URL too long`), and so the longest this tool fetches.
MAX_URL = 65536


def url_problem(url: str) -> str | None:
    """Why `url` is not a usable http(s) URL (a short phrase), or None when it is one.

    Catches what the standard parser or httpx would raise on (`http://[::1`, `http://a:99999/`,
    an IDNA-invalid host), plus what they let through but no server can answer (no host, a space
    in the host, port 0).
    """
    if _CONTROL_RE.search(url):
        return "contains a control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        return f"is not a valid URL ({e})"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http(s) URL"
    host = parts.netloc.rpartition("@")[2]
    if not parts.hostname:
        return "has no host name"
    if any(c.isspace() for c in host):
        return "has a space in its host name"
    if port == 0:
        return "has port 0"
    import httpx

    if len(url) > MAX_URL:
        return f"is longer than {MAX_URL:,} characters ({len(url):,}), more than any fetch takes"
    try:
        httpx.URL(url).host  # noqa: B018 (the host is decoded, and checked, only when asked for)
    except (httpx.InvalidURL, ValueError) as e:  # idna's errors are ValueErrors
        return f"is not a valid URL ({e})"
    return None


def check_specs(specs: list[str]) -> None:
    """Command-line sources that can never be read are usage errors: `''`, a malformed URL."""
    for spec in specs:
        if spec == "":
            raise UsageError(EMPTY_SOURCE)
        if is_url(spec):
            why = url_problem(spec)
            if why:
                raise UsageError(f"{shown(spec, SHOWN_CHARACTERS)}: {why}; check the address")


# Control bytes that text does not carry (tab, LF, form feed, CR and ESC are allowed).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def looks_binary(data: bytes) -> bool:
    """True for content that is not text in any encoding we accept (NULs, many control bytes)."""
    head = data[:8192]
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NULs by nature
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))  # counted in C, not byte by byte
    return control / len(head) > 0.05


def decode(data: bytes, declared: str | None = None) -> str:
    """Decode bytes: BOM, then a declared charset, then UTF-8, then a <meta charset>, then cp1252."""
    return _decode(data, declared)[0]


def _decode(data: bytes, declared: str | None) -> tuple[str, bool]:
    """`decode`, and whether the text is exactly `data` read as UTF-8 (no BOM, nothing replaced)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), False
    for enc in _candidates(data, declared):
        try:
            text = _decoded(data, enc)
        except (UnicodeDecodeError, LookupError):
            continue
        return text, enc == "utf-8" or codecs.lookup(enc).name == "utf-8"
    # A page that says what it is (the HTTP header, else its <meta charset>) is read as it says,
    # as a browser reads it: a stray byte becomes U+FFFD, not the whole page another encoding.
    for enc in _declared(data, declared):
        try:
            text = _decoded(data, enc, errors="replace")
        except LookupError:
            continue
        log.info("bytes that are not %s replaced (U+FFFD) as the page declares %s", enc, enc)
        return text, False
    # Legacy pages without a usable declaration: windows-1252 is the web's de-facto default (WHATWG).
    log.info("no declared encoding fits; decoding as windows-1252")
    return _decoded(data, "cp1252"), False


def _declared(data: bytes, declared: str | None) -> Iterator[str]:
    """The encodings the page declares: the HTTP header's, then its <meta charset>, each label
    read as a browser reads it (`codec_for_label`)."""
    if declared:
        yield codec_for_label(declared)
    m = _META_CHARSET.search(data[:4096])
    if m:
        codec = codec_for_label(m.group(1).decode("ascii", "ignore"))
        # A <meta> is read in bytes that are ASCII where it stands: one naming UTF-16 is wrong about
        # them, and a browser reads such a page as UTF-8.
        yield "utf-8" if codec.replace("_", "-").startswith("utf-16") else codec


# WHATWG's x-user-defined: ASCII, and each byte 0x80-0xFF as U+F780-U+F7FF (a private-use code
# point per byte, so a page's bytes survive as they are). Python has no codec of it.
X_USER_DEFINED = "x_user_defined"
_X_USER_DEFINED_TABLE = "".join(chr(b) if b < 0x80 else chr(0xF700 + b) for b in range(256))


def _x_user_defined(name: str) -> codecs.CodecInfo | None:
    if name != X_USER_DEFINED:
        return None
    return codecs.CodecInfo(
        name=X_USER_DEFINED,
        encode=lambda text, errors="strict": codecs.charmap_encode(
            text, errors, codecs.charmap_build(_X_USER_DEFINED_TABLE)),
        decode=lambda data, errors="strict": codecs.charmap_decode(data, errors, _X_USER_DEFINED_TABLE))


codecs.register(_x_user_defined)


# The labels a browser reads as another encoding than Python's codec of that name does (the
# WHATWG Encoding Standard, "Names and labels"): a page saying iso-8859-1 or us-ascii is read as
# windows-1252 (its curly quotes and dashes are not C1 controls), gb2312 as GBK (its decoder is
# gb18030's), shift_jis as Microsoft's superset, euc-kr as windows-949, big5 with HKSCS. Other
# labels Python knows by the same name, and the labels after those it does not know so.
_WHATWG_LABELS: dict[str, str] = {
    **dict.fromkeys(("ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
                     "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1",
                     "us-ascii", "windows-1252", "x-cp1252"), "cp1252"),
    **dict.fromkeys(("cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599", "iso_8859-9",
                     "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"), "cp1254"),
    **dict.fromkeys(("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"), "cp874"),
    **dict.fromkeys(("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
                     "iso-ir-58", "x-gbk", "gb18030"), "gb18030"),
    **dict.fromkeys(("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
                     "x-sjis"), "cp932"),
    **dict.fromkeys(("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
                     "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949"), "cp949"),
    **dict.fromkeys(("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"), "big5hkscs"),
    **dict.fromkeys(("csmacintosh", "mac", "macintosh", "x-mac-roman"), "mac_roman"),
    **dict.fromkeys(("x-mac-cyrillic", "x-mac-ukrainian"), "mac_cyrillic"),
    **dict.fromkeys(("koi8-ru", "koi8-u"), "koi8_u"),
    **dict.fromkeys(("csiso88598i", "iso-8859-8-i", "logical"), "iso8859_8"),
    **dict.fromkeys(("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf8", "x-unicode20utf8"), "utf-8"),
    # Labels Python does not know under these names.
    **{f"x-cp125{n}": f"cp125{n}" for n in range(9)},
    **{f"iso8859{n}": f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15)},
    **dict.fromkeys(("koi", "koi8", "cskoi8r"), "koi8_r"),
    **dict.fromkeys(("x-euc-jp", "cseucpkdfmtjapanese"), "euc_jp"),
    **dict.fromkeys(("visual", "iso-8859-8-e", "csiso88598e"), "iso8859_8"),
    **dict.fromkeys(("iso-8859-6-e", "iso-8859-6-i", "csiso88596e", "csiso88596i"), "iso8859_6"),
    "csisolatin9": "iso8859_15", "sun_eu_greek": "iso8859_7",
    **dict.fromkeys(("ucs-2", "unicode", "csunicode", "iso-10646-ucs-2", "unicodefeff", "utf-16"), "utf-16-le"),
    "unicodefffe": "utf-16-be",
    "x-user-defined": X_USER_DEFINED,
    # The "replacement" encoding: a browser shows such a page as one U+FFFD; here the label is not used.
    **dict.fromkeys(("csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr", "replacement"),
                    "-"),
}


# Python's names of the encodings a browser decodes (the WHATWG Encoding Standard's): a label
# naming any other codec Python has (utf-7, EBCDIC's cp037, unicode_escape) is no encoding to a
# browser, which reads such a page as if it declared none. Honoured, it would let a page show the
# scanner links no reader sees (`+ADw-a href=...` in UTF-7), or hide the ones they do.
_BROWSER_CODECS = frozenset({
    "utf-8", "cp866", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874", "gb18030", "gbk", "big5hkscs",
    "euc_jp", "iso2022_jp", "cp932", "cp949", "utf-16-le", "utf-16-be",
    *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)), *(f"cp125{n}" for n in range(9))})


def codec_for_label(label: str) -> str:
    """Python's codec for an encoding label as a browser reads the label (`_WHATWG_LABELS`); a
    label not listed there is passed on as it is when it names an encoding browsers decode (an
    unknown one is then skipped by the caller), and as "-" (no codec: skipped alike) when it names
    one they do not (`_BROWSER_CODECS`). Windows code pages are decoded as browsers decode them
    (`WINDOWS_ERRORS`)."""
    key = label.strip().lower()
    name = _WHATWG_LABELS.get(key, key)
    if name in ("-", X_USER_DEFINED):
        return name
    try:
        known = codecs.lookup(name).name
    except LookupError:
        return name
    return name if known in _BROWSER_CODECS else "-"


# Bytes past 0x9F that a WHATWG decoder reads and Python's code page leaves undefined.
_WHATWG_ONLY = {("cp1255", 0xCA): "\u05ba"}  # windows-1255: HEBREW POINT HOLAM HASER FOR VAV


def _c1_controls(page: str) -> Callable[[UnicodeError], tuple[str, int]]:
    """The error handler that reads the bytes 0x80-0x9F Python's Windows code page `page` leaves
    undefined (cp1252's 0x81, 0x8D, 0x8F, 0x90, 0x9D; cp1251's 0x98...) as the C1 controls of the
    same number, as the WHATWG decoders of those encodings read them; and the few bytes past them
    the WHATWG decoders read (`_WHATWG_ONLY`; the error names no code page, only "charmap")."""
    def handler(e: UnicodeError) -> tuple[str, int]:
        if isinstance(e, UnicodeDecodeError):
            bad = e.object[e.start:e.end]
            if all(0x80 <= b <= 0x9F or (page, b) in _WHATWG_ONLY for b in bad):
                return "".join(_WHATWG_ONLY.get((page, b), chr(b)) for b in bad), e.end
        raise e
    return handler


# The single-byte Windows code pages a browser reads whole (no byte undecodable).
_WINDOWS_PAGES = frozenset({*(f"cp125{n}" for n in range(9)), "cp874"})


WINDOWS_ERRORS = "archiver-c1"  # "archiver-c1-<page>": the error handler of each page
for _page in _WINDOWS_PAGES:
    codecs.register_error(f"{WINDOWS_ERRORS}-{_page}", _c1_controls(_page))


def _decoded(data: bytes, enc: str, errors: str = "strict") -> str:
    """`data` in the codec `enc`; a Windows code page as a browser reads it (`_c1_controls`)."""
    name = codecs.lookup(enc).name
    if name in _WINDOWS_PAGES:
        try:
            return data.decode(name, errors=f"{WINDOWS_ERRORS}-{name}")
        except UnicodeDecodeError:  # a byte past 0x9F the page leaves undefined (cp1255's 0xCA...)
            return data.decode(name, errors=errors)
    return data.decode(enc, errors=errors)


def _candidates(data: bytes, declared: str | None) -> Iterator[str]:
    """The HTTP header's encoding, UTF-8, then the <meta charset> (only read when UTF-8 did not fit)."""
    said = _declared(data, declared)
    if declared:
        yield next(said)
    yield "utf-8"
    yield from said


def _sniff_html(text: str) -> bool:
    from .detect import looks_like_html

    return looks_like_html(text)


def document_from_bytes(source: str, data: bytes, *, url: str | None = None,
                        content_type: str | None = None, charset: str | None = None,
                        path: str | None = None) -> Document:
    if looks_binary(data):
        raise SourceError(f"{shown(source)}: binary content, not HTML or text; give an article page or a text file")
    text, utf8 = _decode(data, charset)
    if not text or text.isspace():  # `strip()` would copy the whole text
        raise SourceError(f"{shown(source)}: empty; nothing to scan")
    return Document(source=source, text=text, is_html=_sniff_html(text), url=url, raw=data,
                    content_type=content_type, utf8=utf8, path=path)


def _not_a_file(mode: int, *, pipe_in: bool = True) -> str | None:
    """Why a file of this mode is not read (a phrase), or None for a regular file; `pipe_in`: the
    command reads standard input too (`-`), and the phrase says so."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory"
    for test, what in _SPECIAL:
        if test(mode):
            return f"is {what}, not a file; give a regular file" + (" (or pipe it in with '-')" if pipe_in else "")
    return "is not a regular file"


def special_file(path: Path) -> str | None:
    """Why `path` is no file to open (a phrase: `is a named pipe (FIFO), not a file; give a regular
    file`) when it is a FIFO, a device or a socket, known from its `stat` (a FIFO's open would
    block); None for anything else, a regular file, a folder, or a name not there (whose reader names
    it)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return _not_a_file(mode, pipe_in=False)


def _read_error(source: str, e: OSError | ValueError) -> SourceError:
    """The one line that says why the file `source` (as shown) could not be read."""
    if isinstance(e, PermissionError):
        return SourceError(f"{source}: permission denied; check the file's permissions")
    if isinstance(e, FileNotFoundError):
        hint = f"; for a web address, give https://{source}" if _ADDRESS_RE.fullmatch(str(source)) else ""
        return SourceError(f"{source}: no such file or directory{hint}")
    if isinstance(e, IsADirectoryError):
        return SourceError(f"{source}: is a directory")
    if isinstance(e, OSError):
        return SourceError(f"{source}: cannot read ({e.strerror or e})")
    return SourceError(f"{source}: cannot read ({e})")  # a NUL byte in the name


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file, refused once it holds more than `max_bytes`.

    FIFOs, devices, sockets and directories are refused from their `stat`, before any `open` (a
    FIFO's open blocks). The size is enforced while reading, at most `max_bytes + 1` bytes, since
    `st_size` says 0 for /proc files and devices; the file's type is checked again on the opened
    descriptor in case the path was swapped in between.
    """
    source = shown(str(path))
    try:
        why = _not_a_file(os.stat(path).st_mode)
        if why:
            raise SourceError(f"{source}: {why}")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            why = _not_a_file(st.st_mode)
            if why:
                raise SourceError(f"{source}: {why}")
            if st.st_size > max_bytes:  # a large size is believed; a small one never is
                raise SourceError(f"{source}: {st.st_size} bytes is over --max-bytes {max_bytes}; skipped "
                                  "(raise --max-bytes to read it)")
            chunks: list[bytes] = []
            total = 0
            while total <= max_bytes:
                chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        finally:
            os.close(fd)
    except (OSError, ValueError) as e:
        raise _read_error(source, e) from None
    if total > max_bytes:
        raise SourceError(f"{source}: more than --max-bytes {max_bytes} bytes; skipped (raise --max-bytes to read it)")
    return b"".join(chunks)


# A web address typed without its scheme (`vm.tiktok.com/ZMx`, `news.example/a.html`): a host name
# with a dot and a known-looking top level, then a path.
_ADDRESS_RE = re.compile(r"(?:www\.)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}/\S*")
# A URL of another scheme (file:, ftp:, javascript:, data:...) given as a source: not a file name.
_OTHER_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def read_file(path: Path, max_bytes: int, *, given: str | None = None) -> Document:
    """The file at `path` as a Document; `given` is the source as typed (a `file://` or `ftp://` URL
    that names no file is refused as what it is, named without its credentials)."""
    try:
        data = read_capped(path, max_bytes)
    except SourceError:
        typed = given if given is not None else str(path)
        if _OTHER_SCHEME_RE.match(typed) and not os.path.lexists(path):
            from .redact import redact_endpoint

            raise SourceError(f"{redact_endpoint(typed)}: not an http(s) URL, nor a file; "
                              "give an http(s) URL, or the path of a saved page") from None
        raise
    name = text_safe(str(path))
    return document_from_bytes(name, data, path=str(path) if name != str(path) else None)


def unreadable_file(spec: str) -> str | None:
    """Why the local source `spec` cannot be read, known from its name and `stat` alone, before
    anything is read (the line `read_file` would fail with: no such file, not a regular file, no
    permission); None when it may be read (its content may still be refused when it is)."""
    try:
        read_file_checks(Path(spec), given=spec)
    except SourceError as e:
        return str(e)
    return None


def read_file_checks(path: Path, given: str | None = None) -> None:
    """SourceError, as `read_file` words it, for a file that cannot be opened for reading; reads
    nothing (a FIFO is refused from its `stat`, never opened)."""
    source = shown(str(path))
    try:
        why = _not_a_file(os.stat(path).st_mode)
        if why:
            raise SourceError(f"{source}: {why}")
        if not os.access(path, os.R_OK):
            raise PermissionError
    except (OSError, ValueError) as e:
        error = _read_error(source, e)
        typed = given if given is not None else str(path)
        if _OTHER_SCHEME_RE.match(typed) and not os.path.lexists(path):
            from .redact import redact_endpoint

            error = SourceError(f"{redact_endpoint(typed)}: not an http(s) URL, nor a file; "
                                "give an http(s) URL, or the path of a saved page")
        raise error from None


def stdin_bytes(max_bytes: int) -> bytes:
    """Up to `max_bytes` + 1 bytes of standard input; SourceError when there is none to read."""
    # Python sets sys.stdin to None when the program started with its standard input closed (`<&-`).
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:
        raise SourceError("-: there is no standard input (it was closed); pipe the page into it, or give a file")
    try:
        return bytes(binary.read(max_bytes + 1))
    except OSError as e:  # a socket reset by its peer, a terminal gone
        raise SourceError(f"-: standard input cannot be read ({e.strerror or e})") from None


def read_stdin(max_bytes: int) -> Document:
    data = stdin_bytes(max_bytes)
    if len(data) > max_bytes:
        raise SourceError(f"-: standard input is over --max-bytes {max_bytes}; skipped")
    return document_from_bytes("-", data)


def fetch_document(client: RecordingClient, url: str, max_bytes: int, *, batch: Batch | None = None) -> Document:
    """GET an article with a browser's user agent, following redirects, its body streamed and cut
    off past `max_bytes`; the exchanges are recorded into `batch` (None: not recorded).

    Raises SourceError for an HTTP error status, and the client's NetworkError (LimitExceeded for
    a body over `max_bytes`) when the fetch failed.
    """
    from .capture.http import BROWSER_UA

    resp = client.get(url, headers={"User-Agent": BROWSER_UA}, follow_redirects=True, batch=batch,
                      max_body=max_bytes)
    if resp.status_code >= 400:
        raise HttpStatusError(f"{url}: HTTP {resp.status_code}; check the address", resp.status_code)
    if len(resp.content) > max_bytes:
        raise SourceError(f"{url}: body is over --max-bytes {max_bytes}; skipped")
    data = resp.content
    if data[:2] == GZIP_MAGIC:
        data = gunzipped_feed(url, data, max_bytes) or data
    return document_from_bytes(url, data, url=str(resp.url), content_type=resp.headers.get("content-type"),
                               charset=resp.charset_encoding)


GZIP_MAGIC = b"\x1f\x8b"
# An RSS, RSS 1.0 (RDF), Atom or sitemap document: its first element, after what may come before it
# (a byte-order mark, the XML declaration, comments, processing instructions, a doctype).
# Each part of the prolog is matched once and never given back (atomic, possessive): a text that
# is no feed (a run of spaces, of comments) is turned down in linear time.
_FEED_START = re.compile(
    rb"(?:\xef\xbb\xbf)?(?>\s++|<\?.*?\?>|<!--.*?-->"
    rb"|<!DOCTYPE[^>\[]*+(?:\[(?:[^\]\"'<]|\"[^\"]*\"|'[^']*'|<!--.*?-->|<)*+\])?\s*>)*+"
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|urlset|sitemapindex|RDF)[\s>/]",
    re.DOTALL | re.IGNORECASE,
)


def looks_like_feed(data: bytes) -> bool:
    """Whether `data` opens as a feed or sitemap document does (`_FEED_START`), in UTF-8 or, with
    its byte-order mark, UTF-16."""
    head = data[:16384]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    return _FEED_START.match(head) is not None


def gunzipped_feed(url: str, data: bytes, max_bytes: int) -> bytes | None:
    """The XML of a feed served as a gzip file (`sitemap.xml.gz`, as sites list their sitemaps; a
    file, not a transfer encoding, so it arrives compressed); None when `data` is not a whole gzip
    file holding XML. Decompressed at most `max_bytes` (SourceError past it: a small file can
    inflate a thousandfold)."""
    import zlib

    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error:
        return None
    if len(out) > max_bytes:
        raise SourceError(f"{url}: over --max-bytes {max_bytes} once decompressed; skipped")
    if not inflater.eof or not looks_like_feed(out):
        return None
    return out


def fetch_url(url: str, max_bytes: int, net: NetOptions | None = None, timeout: float = 30.0,
              deadline: float | None = DEFAULT_FETCH_DEADLINE) -> Document:
    """Fetch an article for `scan`: fetch_document without recording, one attempt, ending by its
    `deadline` (seconds, everything included; None: none) as `archive`'s fetches do."""
    import httpx

    from .capture.http import RecordingClient, describe_error
    from .net import NetOptions

    net = net or NetOptions()
    why = url_problem(url)
    if why:
        raise SourceError(f"{shown(url)}: {why}; check the address")
    try:
        with RecordingClient(net, timeout=timeout, max_retries=0, deadline=deadline, max_body=max_bytes) as client:
            return fetch_document(client, url, max_bytes)
    except DeadlineExceeded:
        raise  # `GET URL: gave up after N s (deadline; ...)`
    except LimitExceeded:
        raise SourceError(f"{url}: body is over --max-bytes {max_bytes}; skipped") from None
    except NetworkError as e:
        cause = e.__cause__
        if isinstance(cause, (httpx.InvalidURL, ValueError)):
            raise SourceError(f"{url}: invalid URL on the way ({cause}); check the address") from None
        what = describe_error(cause, net.proxy)[0] if isinstance(cause, Exception) else str(e)
        raise NetworkError(f"{url}: {what}") from None
    except (httpx.InvalidURL, ValueError) as e:  # e.g. a redirect to a URL that cannot be parsed
        raise SourceError(f"{url}: invalid URL on the way ({e}); check the address") from None


# What a browser saves beside a page ("Save page, complete": `page_files/`), by the name's ending:
# pictures, media, fonts, scripts and styles are no article, and a folder's are not read as sources.
_PAGE_ASSETS = frozenset({
    "jpg", "jpeg", "png", "gif", "webp", "avif", "bmp", "ico", "svg", "tif", "tiff", "heic",
    "mp4", "webm", "m4v", "mov", "mp3", "m4a", "ogg", "oga", "opus", "wav", "flac",
    "woff", "woff2", "ttf", "otf", "eot", "js", "mjs", "css", "map", "wasm",
})


def expand(specs: list[str]) -> Iterator[str]:
    """Directories become their files (recursively, sorted; hidden files, editors' backups and page
    assets skipped: `_PAGE_ASSETS`, counted in the log).

    Every other entry is yielded as it is, to be read or refused (and named) by whoever reads it:
    a FIFO or a socket in a directory, a malformed URL, `''` (which is not the current directory),
    a picture named on the command line.
    """
    for spec in specs:
        if spec in ("-", "") or is_url(spec):
            yield spec
            continue
        p = Path(spec)
        if _is_dir(p):
            # Links to folders are followed, as links to files are; a folder reached again (a link
            # to a folder above it, two links to one folder) is named and not read twice.
            read = {_identity(p)}
            assets = 0
            for root, dirs, files in os.walk(p, onerror=_walk_error, followlinks=True):
                dirs[:] = [d for d in sorted(dirs) if not d.startswith(".") and _first_visit(root, d, read)]
                # Named as `str(Path(root) / name)` would name them (no leading "./"), without the cost.
                at = "" if root == "." else root[2:] + "/" if root.startswith("./") else os.path.join(root, "")
                for name in sorted(files):
                    if name.startswith(".") or name.endswith("~") or name.startswith("#") and name.endswith("#"):
                        continue  # hidden, and editors' backups and autosaves (`story.html~`, `#story.html#`)
                    _, dot, ending = name.rpartition(".")
                    if dot and ending.lower() in _PAGE_ASSETS:
                        assets += 1
                        continue
                    yield at + name
            if assets:
                log.info("%s: %d file(s) left out as page assets (pictures, media, fonts, scripts, styles)",
                         shown(spec), assets)
        else:
            yield spec


def source_key(spec: str) -> str:
    """What makes two sources one source of a run: a URL without its `#fragment` and the query
    parameters that only track the reader (`without_tracking`: the address its article is fetched
    at), its scheme and host in any case, its scheme's default port or none (`same_server`);
    anything else as given."""
    if not is_url(spec):
        return spec
    from .index.urls import same_server, without_tracking

    return same_server(without_tracking(spec))


def unique_sources(specs: Iterable[str]) -> list[str]:
    """`specs` each once by its `source_key`, in their order, under the first spelling given."""
    first: dict[str, str] = {}
    for spec in specs:
        first.setdefault(source_key(spec), spec)
    return list(first.values())


def is_file(p: Path) -> bool:
    """Whether `p` is a regular file; a name that cannot even be looked at (too long, a NUL, no
    permission) is not one: reading or writing it then fails and says why."""
    try:
        return p.is_file()
    except (OSError, ValueError):
        return False


def _is_dir(p: Path) -> bool:
    """Whether `p` is a directory; a name that cannot even be looked at (too long, say) is not one,
    and is named as unreadable when it is read."""
    try:
        return stat.S_ISDIR(p.stat().st_mode)
    except (OSError, ValueError):
        return False


def _identity(path: Path | str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _first_visit(root: str, name: str, read: set[tuple[int, int]]) -> bool:
    """Whether the folder `name` in `root` is one not read yet (`read`: those read), now counted."""
    path = os.path.join(root, name)
    try:
        key = _identity(path)
    except OSError as e:
        _walk_error(e)
        return False
    if key in read:
        log.warning("%s: a link to a folder read already (%s); skipped", text_safe(path),
                    text_safe(os.path.realpath(path)))
        return False
    read.add(key)
    return True


def _walk_error(e: OSError) -> None:
    log.warning("%s: cannot list the directory (%s); skipped", e.filename, e.strerror or e)


def read_sources(specs: list[str], *, max_bytes: int = DEFAULT_MAX_BYTES, net: NetOptions | None = None,
                 deadline: float | None = DEFAULT_FETCH_DEADLINE) -> Iterator[Document | SourceFailure]:
    """Each source as a Document, or a SourceFailure naming it; one bad source never stops the rest.
    A URL's fetch ends by its `deadline` (`fetch_url`)."""
    for spec in expand(specs):
        try:
            if spec == "":
                raise SourceError(EMPTY_SOURCE)
            if spec == "-":
                yield read_stdin(max_bytes)
            elif is_url(spec):
                yield fetch_url(spec, max_bytes, net, deadline=deadline)
            else:
                yield read_file(Path(spec), max_bytes, given=spec)
        except (SourceError, NetworkError) as e:
            yield SourceFailure(spec, str(e))


def pending_sources(specs: list[str], *, max_bytes: int = DEFAULT_MAX_BYTES, net: NetOptions | None = None,
                    deadline: float | None = DEFAULT_FETCH_DEADLINE) -> Iterator[Document | SourceFailure | LocalFile]:
    """`read_sources`, but each file (a folder's, or one given) comes as a LocalFile, unread."""
    for spec in expand(specs):
        if spec in ("", "-") or is_url(spec):
            yield from read_sources([spec], max_bytes=max_bytes, net=net, deadline=deadline)
        else:
            yield LocalFile(spec)
