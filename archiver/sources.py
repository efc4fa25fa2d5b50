"""Sources: files, directories, stdin and URLs, read into `Document`s; HTML or text sniffed from content."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import NetworkError, SourceError
from .models import Document

if TYPE_CHECKING:
    from .net import NetOptions

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
URL_RE = re.compile(r"^https?://", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


@dataclass
class SourceFailure:
    """A source that could not be read; `message` is one line naming it and saying why."""

    source: str
    message: str


def is_url(spec: str) -> bool:
    return bool(URL_RE.match(spec))


def looks_binary(data: bytes) -> bool:
    """True for content that is not text in any encoding we accept (NULs, many control bytes)."""
    head = data[:8192]
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NULs by nature
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control / len(head) > 0.05


def decode(data: bytes, declared: str | None = None) -> str:
    """Decode bytes: BOM, then a declared charset, then UTF-8, then a <meta charset>, then cp1252."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    candidates: list[str] = []
    if declared:
        candidates.append(declared)
    candidates.append("utf-8")
    m = _META_CHARSET.search(data[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore"))
    for enc in candidates:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    # Legacy pages without a usable declaration: cp1252 is the web's de-facto default (WHATWG).
    log.info("no declared encoding fits; decoding as windows-1252")
    return data.decode("cp1252", errors="replace")


def _sniff_html(text: str) -> bool:
    from .detect import looks_like_html

    return looks_like_html(text)


def document_from_bytes(source: str, data: bytes, *, url: str | None = None,
                        content_type: str | None = None, charset: str | None = None) -> Document:
    if looks_binary(data):
        raise SourceError(f"{source}: binary content, not HTML or text; give an article page or a text file")
    text = decode(data, charset)
    if not text.strip():
        raise SourceError(f"{source}: empty; nothing to scan")
    return Document(source=source, text=text, is_html=_sniff_html(text), url=url, raw=data,
                    content_type=content_type)


def read_file(path: Path, max_bytes: int) -> Document:
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{source}: {size} bytes is over --max-bytes {max_bytes}; skipped (raise --max-bytes to read it)")
        data = path.read_bytes()
    except PermissionError:
        raise SourceError(f"{source}: permission denied; check the file's permissions") from None
    except FileNotFoundError:
        raise SourceError(f"{source}: no such file or directory") from None
    except IsADirectoryError:
        raise SourceError(f"{source}: is a directory") from None
    except OSError as e:
        raise SourceError(f"{source}: cannot read ({e.strerror or e})") from None
    return document_from_bytes(source, data)


def read_stdin(max_bytes: int) -> Document:
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SourceError(f"-: standard input is over --max-bytes {max_bytes}; skipped")
    return document_from_bytes("-", data)


def fetch_url(url: str, max_bytes: int, net: NetOptions | None = None, timeout: float = 30.0) -> Document:
    """GET a URL with a normal browser user agent, following redirects, bounded by max_bytes."""
    import httpx

    from .capture.http import BROWSER_UA
    from .net import NetOptions

    net = net or NetOptions()
    try:
        with net.httpx_client(timeout=timeout, user_agent=BROWSER_UA) as client:
            with client.stream("GET", url, follow_redirects=True) as resp:
                if resp.status_code >= 400:
                    raise SourceError(f"{url}: HTTP {resp.status_code}; check the address")
                chunks: list[bytes] = []
                total = 0
                for chunk in resp.iter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        raise SourceError(f"{url}: body is over --max-bytes {max_bytes}; skipped")
                    chunks.append(chunk)
                ctype = resp.headers.get("content-type")
                return document_from_bytes(url, b"".join(chunks), url=str(resp.url), content_type=ctype,
                                           charset=resp.charset_encoding)
    except httpx.HTTPError as e:
        from .capture.http import describe_error

        raise NetworkError(f"{url}: {describe_error(e)[0]}") from None


def expand(specs: list[str]) -> Iterator[str]:
    """Directories become their files (recursively, sorted, hidden files skipped)."""
    for spec in specs:
        if spec == "-" or is_url(spec):
            yield spec
            continue
        p = Path(spec)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield str(Path(root) / name)
        else:
            yield spec


def read_sources(specs: list[str], *, max_bytes: int = DEFAULT_MAX_BYTES,
                 net: NetOptions | None = None) -> Iterator[Document | SourceFailure]:
    """Each source as a Document, or a SourceFailure naming it; one bad source never stops the rest."""
    for spec in expand(specs):
        try:
            if spec == "-":
                yield read_stdin(max_bytes)
            elif is_url(spec):
                yield fetch_url(spec, max_bytes, net)
            else:
                yield read_file(Path(spec), max_bytes)
        except (SourceError, NetworkError) as e:
            yield SourceFailure(spec, str(e))
