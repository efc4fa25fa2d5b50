"""Seeds for scheduled runs: `*.urls` lists, RSS/Atom feeds and news sitemaps (by content), articles."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from .errors import SourceError, UsageError
from .models import Document
from .redact import redact_endpoint
from .sources import DEFAULT_MAX_BYTES, expand, looks_binary, read_capped, shown, url_problem

log = logging.getLogger(__name__)

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.I)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


_LONGEST = timedelta(days=366 * 1000)


def parse_duration(text: str) -> timedelta:
    """`30m`, `12h`, `7d`, `2w` -> timedelta; anything else is a usage error."""
    m = _DURATION.match(text or "")
    if not m:
        raise UsageError(f"--recheck-after: expected a duration like 30m, 12h or 7d, got {text!r}")
    try:
        after = timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})
    except OverflowError:
        after = _LONGEST + _LONGEST
    if after > _LONGEST:  # "checked before now minus that" must still be a date
        raise UsageError(f"--recheck-after: {text!r} is more than 1000 years; give a shorter duration")
    return after


@dataclass
class SeedList:
    """What a seeds folder asks for: sources to archive and the seed files that could not be read."""

    sources: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Lines of `*.urls` files: the operator's own choice, trusted by the network policy as given.
    trusted: list[str] = field(default_factory=list)


def feed_links(data: bytes) -> list[str] | None:
    """Article URLs from an RSS, Atom or sitemap document; None when it is not one."""
    head = data[:2048].lstrip().lower()
    if not (head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<urlset", b"<sitemapindex"))):
        return None
    if not any(tag in data[:4096] for tag in (b"<rss", b"<feed", b"<urlset", b"<sitemapindex", b"<rdf:RDF")):
        return None
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    urls: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = etree.QName(el).localname
        if tag == "link":
            href = el.get("href") if el.get("href") else (el.text or "").strip()
            rel = el.get("rel", "alternate")
            parent = el.getparent()
            ptag = etree.QName(parent).localname if parent is not None and isinstance(parent.tag, str) else ""
            if href and rel == "alternate" and ptag in ("item", "entry"):
                urls.append(href)
        elif tag == "loc":
            parent = el.getparent()
            if parent is not None and etree.QName(parent).localname == "url" and el.text:
                urls.append(el.text.strip())
    return list(dict.fromkeys(urls))


def document_feed_links(doc: Document) -> list[str] | None:
    """The article URLs of a source read that is a feed (RSS, Atom, a news sitemap), else None."""
    if doc.raw is None or doc.is_html and b"<html" in doc.raw[:4096].lower():
        return None  # an article page (the cheap test first: feeds are XML)
    return feed_links(doc.raw)


# A host name with a dot, then a path or nothing: a URL given without its scheme (`news.example/a`).
_SCHEMELESS = re.compile(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::\d+)?(?:/\S*)?")


def _read_url_list(p: Path, data: bytes, out: SeedList) -> None:
    """The URLs a `*.urls` file lists (one a line, `#` comments) into `out`, each bad line a problem."""
    if looks_binary(data):
        out.problems.append(f"{shown(str(p))}: binary content, not a list of URLs; skipped")
        return
    for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if _SCHEMELESS.fullmatch(line):
            line = f"https://{line}"  # as copied from an address bar, or printed: pic.twitter.com/CODE
        if not re.match(r"^https?://", line, re.I):
            out.problems.append(f"{p}:{n}: not an http(s) URL: {redact_endpoint(line)!r}")
            continue
        why = url_problem(line)
        if why:
            out.problems.append(f"{shown(str(p))}:{n}: {line!r} {why}; skipped")
            continue
        out.sources.append(line)
        out.trusted.append(line)


def _read(p: Path, max_bytes: int, out: SeedList) -> bytes | None:
    """A seed file's bytes, read as sources are; None, and the reason a problem in `out`, when it cannot be."""
    try:
        return read_capped(p, max_bytes)
    except SourceError as e:
        out.problems.append(str(e))
        return None


def _is_file(p: Path) -> bool:
    try:
        return p.is_file()
    except (OSError, ValueError):  # a name too long, a NUL: named when it is read as a source
        return False


def with_url_lists(specs: list[str], max_bytes: int = DEFAULT_MAX_BYTES) -> SeedList:
    """Sources as given to `archive` or `scan`, folders expanded, each `*.urls` file replaced by the
    URLs it lists (as `run` reads its seeds); every other source is left to be read as it is.
    A list that cannot be read, or a bad line in one, is a problem named in the result."""
    out = SeedList()
    for spec in expand(specs):
        p = Path(spec)
        if p.suffix != ".urls" or not _is_file(p):
            out.sources.append(spec)  # read, or refused and named, as every source is
            continue
        data = _read(p, max_bytes, out)
        if data is None:
            continue
        said = len(out.sources) + len(out.problems)
        _read_url_list(p, data, out)
        if len(out.sources) + len(out.problems) == said:  # given to be read, and it says nothing
            out.problems.append(f"{shown(str(p))}: lists no URL (one a line; `#` starts a comment)")
    out.sources = list(dict.fromkeys(out.sources))
    return out


def read_seeds(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> SeedList:
    """Expand a seeds folder (or one seed file) into article sources, in a stable order.

    Seed files are read like sources (regular files only, at most `max_bytes`); a file or a URL in
    one that cannot be used is a problem named in the result, never a reason to stop.
    """
    try:
        path.stat()
    except FileNotFoundError:
        raise UsageError(f"--seeds: {path} does not exist; create it or point --seeds at a folder of seeds") from None
    except (OSError, ValueError) as e:
        cause = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise UsageError(f"--seeds: {path} cannot be read ({cause}); point --seeds at a folder of seeds") from None
    out = SeedList()
    for spec in expand([str(path)]):
        p = Path(spec)
        if p.name.lower() == "readme.md":
            continue
        data = _read(p, max_bytes, out)
        if data is None:
            continue
        if p.suffix == ".urls":
            _read_url_list(p, data, out)
            continue
        links = feed_links(data)
        if links is not None:
            log.info("%s: feed with %d article(s)", p, len(links))
            for link in links:
                why = url_problem(link)
                if why:
                    out.problems.append(f"{shown(str(p))}: article link {link[:200]!r} {why}; skipped")
                else:
                    out.sources.append(link)
            continue
        out.sources.append(str(p))
    out.sources = list(dict.fromkeys(out.sources))
    return out
