"""Seeds for scheduled runs: `*.urls` lists, RSS/Atom feeds and news sitemaps (by content), articles."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import NetworkError, SourceError, UsageError
from .limits import DEFAULT_MAX_FEED_ARTICLES
from .models import Document
from .redact import redact_endpoint
from .sources import (
    DEFAULT_MAX_BYTES,
    GZIP_MAGIC,
    decode,
    expand,
    gunzipped_feed,
    is_file,
    looks_binary,
    read_capped,
    shown,
    unique_sources,
    url_problem,
)

if TYPE_CHECKING:
    from .pipeline.summary import ArticleOutcome

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
    """What a seeds folder asks for: sources to archive, the seed files that could not be read, and
    what a feed file left out (`notes`)."""

    sources: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Lines of `*.urls` files: the operator's own choice, trusted by the network policy as given.
    trusted: list[str] = field(default_factory=list)
    # Feed files that list more articles than a run takes from one feed: a line each, and how many
    # articles they left out in all.
    notes: list[str] = field(default_factory=list)
    left_out: int = 0
    feeds: int = 0  # feed files read (their articles are among `sources`)


@dataclass(frozen=True)
class Entry:
    """One thing a feed lists: its URL, and its date when the feed gives one (UTC)."""

    url: str
    date: datetime | None = None


@dataclass
class Feed:
    """What an RSS, Atom or sitemap document lists: its articles, and the sitemaps a sitemap index
    lists (`sitemaps`), each once, in the document's order."""

    articles: list[Entry] = field(default_factory=list)
    sitemaps: list[Entry] = field(default_factory=list)


# An entry's date: when it was published (a news sitemap's, RSS's, Atom's, Dublin Core's), else when
# it last changed (a sitemap's `<lastmod>`, Atom's `<updated>`).
_DATES = ("publication_date", "pubDate", "published", "date", "issued", "lastmod", "updated", "modified")


def read_feed(data: bytes, name: str = "a feed", base_url: str | None = None) -> Feed | None:
    """What an RSS, Atom, JSON Feed or sitemap document lists; None when it is not one.

    Feeds in the wild break XML's rules as HTML allows: a bare `&` in a link (`?id=5&utm=1`), an
    HTML entity (`&eacute;`). Read by the rules, such a link loses what follows the `&`; so a feed
    that is not well-formed is read again with those repaired (`_repaired`), and only if that fails
    too, as far as the parser can recover it, which is said (a warning naming `name`). A relative
    link is read against the feed's `xml:base`, else `base_url` (where the feed was fetched from)."""
    from .sources import looks_like_feed

    if _JSON_START.match(data):
        return _json_feed(data, base_url)
    if not looks_like_feed(data):
        return None
    from lxml import etree

    def parse(text: bytes, recover: bool) -> Any:
        # Entities the feed declares itself (`<!ENTITY site "https://...">`) are read, as every XML
        # reader does; none from outside it (a file, a URL: never fetched nor opened), and none
        # that expands past libxml2's amplification bound (a "billion laughs" feed is refused).
        parser = etree.XMLParser(resolve_entities="internal", no_network=True, recover=recover, huge_tree=False)
        return etree.fromstring(text, parser, base_url=base_url)

    try:
        root = parse(data, False)
        if root is not None and next(root.iter(etree.Entity), None) is not None:
            # An HTML entity where a doctype names an outside DTD (RSS 0.91's) is kept as an entity
            # node, which no text holds: the link would end at it.
            root = parse(_repaired(data), False)
    except etree.XMLSyntaxError as first:
        try:
            root = parse(_repaired(data), False)
        except etree.XMLSyntaxError:
            log.warning("%s: not well-formed XML (%s); its links are read as far as the parser recovers them",
                        name, str(first).splitlines()[0][:200])
            try:
                root = parse(data, True)
            except etree.XMLSyntaxError:
                return None
    if root is None:
        return None
    feed = Feed()
    for el in root.iter():
        tag = _localname(el)
        if tag in ("item", "entry"):
            urls = [url for link in el if (url := _alternate(link))] or _permalink(el)
        elif tag == "url" or tag == "sitemap" and _localname(el.getparent()) == "sitemapindex":
            urls = [loc.text.strip() for loc in el if _localname(loc) == "loc" and loc.text and loc.text.strip()]
        else:
            continue
        if urls:
            date = _entry_date(el)
            (feed.sitemaps if tag == "sitemap" else feed.articles).extend(Entry(url, date) for url in urls)
    feed.articles, feed.sitemaps = _once(feed.articles), _once(feed.sitemaps)
    return feed


_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*+\{")  # (looked at in place: a page is never copied)


def _json_feed(data: bytes, base_url: str | None) -> Feed | None:
    """What a JSON Feed (jsonfeed.org, versions 1 and 1.1) lists: each item's `url` (its page), else
    its `external_url`, dated by `date_published`, else `date_modified`; None for other JSON."""
    import json

    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not (isinstance(doc, dict) and str(doc.get("version", "")).startswith("https://jsonfeed.org/version/")
            and isinstance(doc.get("items"), list)):
        return None
    from urllib.parse import urljoin

    feed = Feed()
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        url = item.get("url") or item.get("external_url")
        if not isinstance(url, str) or not url.strip():
            continue
        url = urljoin(base_url, url.strip()) if base_url else url.strip()
        dates = [item.get(k) for k in ("date_published", "date_modified")]
        date = next((d for d in (feed_date(v) for v in dates if isinstance(v, str)) if d is not None), None)
        feed.articles.append(Entry(url, date))
    feed.articles = _once(feed.articles)
    return feed


# `&` that starts no reference XML knows (a bare one, or an HTML entity such as `&eacute;`).
# (CDATA sections and comments are matched to be left as they are: an `&` there is text. One left
# open runs to the end, so that the next opening is never searched from again: linear time.)
_LOOSE_AMP = re.compile(rb"(<!\[CDATA\[(?:.*?\]\]>|.*)|<!--(?:.*?-->|.*))"
                        rb"|&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});)(?:([A-Za-z][A-Za-z0-9]{1,31});)?",
                        re.DOTALL)
_ENCODING_DECLARED = re.compile(rb"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*)(["'])[^"']*\2""")


def _repaired(data: bytes) -> bytes:
    """`data` with each `&` XML would refuse written as the character it stands for: an HTML
    entity as its character reference, a bare `&` as `&amp;` (in CDATA sections and comments an
    `&` is text, left as it is). A UTF-16 document is repaired as UTF-8, which it then declares."""
    import html.entities

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = _ENCODING_DECLARED.sub(rb"\1\2UTF-8\2", data.decode("utf-16", errors="replace").encode("utf-8"))

    def fix(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            return m.group(1)
        entity = m.group(2)
        if entity is not None and (char := html.entities.html5.get(entity.decode("ascii") + ";")) is not None:
            return "".join(f"&#{ord(c)};" for c in char).encode("ascii")
        return b"&amp;" + (m.group(0)[1:])

    return _LOOSE_AMP.sub(fix, data)


def _once(entries: list[Entry]) -> list[Entry]:
    """Each URL once, where it is first listed."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.url, entry)
    return list(seen.values())


def _localname(el: Any) -> str:
    """An element's name without its namespace (`{http://www.sitemaps.org/...}url` -> `url`); "" for
    a comment or a processing instruction."""
    tag = getattr(el, "tag", None)
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _alternate(link: Any) -> str | None:
    """The URL of an item's or entry's `<link>` to its page (RSS: the text; Atom: `href`, rel alternate)."""
    if _localname(link) != "link":
        return None
    # Spaces around an address are no part of it (a browser strips them too): kept, `" https://..."`
    # would be no URL, and read as the name of a local file.
    href = (link.get("href") or link.text or "").strip()
    if not href or link.get("rel", "alternate") != "alternate":
        return None
    if link.base and not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", href):  # relative: against xml:base or the feed's URL
        from urllib.parse import urljoin

        return urljoin(str(link.base), str(href))
    return str(href)


def _permalink(item: Any) -> list[str]:
    """An RSS item's `<guid>`, when it gives no `<link>`: a guid is its page's address unless it
    says `isPermaLink="false"` (RSS 2.0), when it reads as a web address."""
    for guid in item:
        if _localname(guid) == "guid" and (guid.get("isPermaLink") or "true").strip().lower() != "false":
            text = (guid.text or "").strip()
            if re.match(r"https?://", text, re.IGNORECASE):
                return [text]
    return []


def _entry_date(el: Any) -> datetime | None:
    """An entry's date (`_DATES`, the first it gives that reads as one), None when it gives none."""
    found: dict[str, str] = {}
    for child in el.iterdescendants():
        name = _localname(child)
        if name in _DATES and name not in found and child.text:
            found[name] = child.text
    for name in _DATES:
        if name in found and (moment := feed_date(found[name])) is not None:
            return moment
    return None


def feed_date(text: str) -> datetime | None:
    """A date as feeds write it: W3C/ISO 8601 (sitemaps, Atom: `2024-03-05`, `2024-03-05T09:30:00+01:00`,
    `2024-03`) or RFC 822 (RSS: `Tue, 05 Mar 2024 09:30:00 GMT`), in UTC; None for anything else."""
    text = text.strip()
    if not text:
        return None
    try:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            if m := re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text):
                moment = datetime(int(m.group(1)), int(m.group(2) or 1), 1)
            else:
                from email.utils import parsedate_to_datetime

                moment = parsedate_to_datetime(text)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def newest(entries: list[Entry], room: int) -> tuple[list[Entry], int]:
    """At most `room` of `entries`, in their own order: the newest where they are dated (undated
    ones after every dated one, in the feed's order, which is newest first in most feeds); and how
    many were left out."""
    if len(entries) <= room:
        return entries, 0
    kept = set(_ranked(entries)[:max(room, 0)])
    return [e for i, e in enumerate(entries) if i in kept], len(entries) - len(kept)


def _ranked(entries: list[Entry]) -> list[int]:
    """The positions of `entries`, newest first (the dated ones), then the undated ones in order."""
    return sorted(range(len(entries)), key=lambda i: (entries[i].date is None, _age(entries[i]), i))


def _age(entry: Entry) -> float:
    return -entry.date.timestamp() if entry.date is not None else 0.0


def too_deep_note(spec: str, feed: Feed) -> str:
    """The line that names a feed listed by a feed that a feed lists: not read (one level of feeds
    within a feed, so that no listing can lead a run on)."""
    return (f"{spec}: a feed listed by a feed that a feed lists: its {len(feed.articles) + len(feed.sitemaps)} "
            "entries are not read (one level of feeds within a feed)")


def left_out_note(spec: str, taken: int, left_out: int, bound: int, unread: int = 0) -> str:
    """The one line that says a feed gave a run fewer articles than it lists (`unread`: sitemaps
    a sitemap index lists that were not read, the bound being reached first)."""
    what = (f"{left_out} of the {taken + left_out} articles of the sitemaps read left out and {unread} of its "
            f"sitemaps not read" if unread else f"{left_out} of its {taken + left_out} articles left out")
    return (f"{shown(spec)}: {what}, {taken} taken (the newest where dated; --max-feed-articles {bound} is "
            "the bound, raise it for more)")


def say_feed_read(spec: str, outcome: ArticleOutcome, notes: Sequence[str], *, cut: int, bound: int) -> None:
    """What a run says once the feed `spec` is read: `cut` more of its articles left out by the
    run's bound (counted into `outcome`), then its notes and what the bound left out in all."""
    if cut:
        outcome.left_out += cut
        outcome.feed = (outcome.feed or 0) - cut
    for note in notes:
        log.warning("%s", note)
    if outcome.left_out or outcome.sitemaps_unread:
        log.warning("%s", left_out_note(spec, outcome.feed or 0, outcome.left_out, bound, outcome.sitemaps_unread))


# Reads a feed a feed lists (a sitemap of a sitemap index): what it lists, None when it is no feed;
# SourceError or NetworkError when it cannot be read.
FetchFeed = Callable[[str], "Feed | None"]


@dataclass
class Expansion:
    """The articles a feed stands for in a run (`articles`, in the feeds' order), what the bound left
    out (`left_out` articles; `unread` sitemaps of a sitemap index), the sitemaps or links that
    could not be used (`problems`) and what was not followed (`notes`)."""

    articles: list[str] = field(default_factory=list)
    left_out: int = 0
    unread: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """The feed lists nothing at all: no article, no sitemap, not even one that could not be used."""
        return not (self.articles or self.left_out or self.unread or self.problems or self.notes)


def expand_feed(spec: str, feed: Feed, *, room: int, fetch: FetchFeed | None, also: tuple[str, ...] = ()) -> Expansion:
    """The articles `feed` (read from `spec`; `also`: other addresses of it, where it was redirected)
    stands for: those it lists, and those of the sitemaps it lists when it is a sitemap index, read
    with `fetch`. One level deep: a sitemap index among those sitemaps is not read further, nor is
    any when `fetch` is None (the feed is itself listed by a feed), so a sitemap that lists itself,
    or two that list each other, end there. At most `room` articles in all, the newest where dated;
    sitemaps are read newest first (their `<lastmod>`) until the articles read fill the room, and
    no more than `room` of them (sitemaps that are empty or cannot be read count too)."""
    out = Expansion()
    found: dict[str, Entry] = {}
    _take(spec, feed.articles, found, out)
    if feed.sitemaps and fetch is None:
        out.notes.append(f"{shown(spec)}: a sitemap index listed by a feed: the {len(feed.sitemaps)} sitemap(s) it "
                         "lists are not read (one level of feeds within a feed)")
    elif feed.sitemaps and fetch is not None:
        seen = {spec, *also}
        waiting = [feed.sitemaps[i] for i in _ranked(feed.sitemaps) if feed.sitemaps[i].url not in seen]
        for n, sitemap in enumerate(waiting):
            if len(found) >= room or n >= room:
                out.unread = len(waiting) - n
                break
            why = url_problem(sitemap.url)
            if why:
                out.problems.append(f"{shown(spec)}: sitemap link {sitemap.url[:200]!r} {why}; skipped")
                continue
            try:
                listed = fetch(sitemap.url)
            except (SourceError, NetworkError) as e:
                out.problems.append(f"{shown(spec)}: a sitemap it lists could not be read: {e}")
                continue
            if listed is None:
                out.problems.append(f"{shown(sitemap.url)}: listed as a sitemap by {shown(spec)}, but it is no "
                                    "sitemap or feed; skipped")
                continue
            if listed.sitemaps:
                out.notes.append(f"{shown(sitemap.url)}: a sitemap index within the sitemap index {shown(spec)}: the "
                                 f"{len(listed.sitemaps)} sitemap(s) it lists are not read (one level of sitemaps)")
            _take(sitemap.url, listed.articles, found, out)
    taken, out.left_out = newest(list(found.values()), room)
    out.articles = [e.url for e in taken]
    return out


def _take(spec: str, entries: list[Entry], found: dict[str, Entry], out: Expansion) -> None:
    """The usable article links of `entries` into `found` (each URL once); the others named in `out`."""
    for entry in entries:
        why = url_problem(entry.url)
        if why:
            out.problems.append(f"{shown(spec)}: article link {entry.url[:200]!r} {why}; skipped")
        else:
            found.setdefault(entry.url, entry)


def feed_links(data: bytes) -> list[str] | None:
    """Article URLs from an RSS, Atom or sitemap document; None when it is not one."""
    feed = read_feed(data)
    return None if feed is None else [e.url for e in feed.articles]


def document_feed(doc: Document) -> Feed | None:
    """What a source read lists when it is a feed (RSS, Atom, a sitemap), else None."""
    from .sources import looks_like_feed

    if doc.raw is None or (doc.is_html and b"<html" in doc.raw[:4096].lower() and not looks_like_feed(doc.raw)
                           and not _JSON_START.match(doc.raw)):
        # An article page (the cheap test first: feeds are XML); a feed whose items hold whole
        # pages (`<content:encoded>` with an `<html>` in it) still opens as a feed does.
        return None
    return read_feed(doc.raw, shown(doc.source), base_url=doc.url)


# A host name with a dot, then a path or nothing: a URL given without its scheme (`news.example/a`).
_SCHEMELESS = re.compile(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::\d+)?(?:/\S*)?")


def _quoted(line: str, limit: int = 200) -> str:
    """A line of a URL list as a problem quotes it: its credentials and secret parameters replaced,
    at most `limit` characters of it (a line can be megabytes long)."""
    shown_line = redact_endpoint(line)
    return repr(shown_line[:limit]) + (f" (cut at {limit} of {len(shown_line)} characters)" if len(shown_line) > limit else "")


_COMMENT = re.compile(r"(?:^|(?<=\s))#")


def is_url_list(p: Path) -> bool:
    """A list of URLs by its name: `*.urls`, in any case, or `*.urls.txt` as Windows' Notepad saves it."""
    return p.name.lower().endswith((".urls", ".urls.txt"))


def _read_url_list(p: Path, data: bytes, out: SeedList, *, say_empty: bool = False) -> None:
    """The URLs a `*.urls` file lists (one a line, `#` comments) into `out`, each bad line a problem;
    with `say_empty`, a list with no line at all is a problem too (a list given to be read)."""
    said = len(out.sources) + len(out.problems)
    if looks_binary(data):
        out.problems.append(f"{shown(str(p))}: binary content, not a list of URLs; skipped")
        return
    # Decoded as any text source is: a byte-order mark (Notepad, Excel's exports) is no part of the
    # first URL, and a list saved as UTF-16 is read as such.
    # Lines skipped: the first ones named, the others counted (a CSV saved as .urls has 200,000).
    problems, out.problems = out.problems, []
    for n, line in enumerate(decode(data).splitlines(), 1):
        # A comment starts a line or follows a space: a `#` inside an address is part of it
        # (`https://twitter.com/#!/jack/status/20`, an old post's address).
        line = _COMMENT.split(line, maxsplit=1)[0].strip()
        if not line:
            continue
        if _SCHEMELESS.fullmatch(line):
            line = f"https://{line}"  # as copied from an address bar, or printed: pic.twitter.com/CODE
        if not re.match(r"^https?://", line, re.I):
            out.problems.append(f"{shown(str(p))}:{n}: not an http(s) URL: {_quoted(line)}")
            continue
        if any(c.isspace() for c in line):  # (an address holds no space: two of them, or words after one)
            out.problems.append(f"{shown(str(p))}:{n}: more than one word on the line (one URL a line): "
                                f"{_quoted(line)}; skipped")
            continue
        why = url_problem(line)
        if why:
            out.problems.append(f"{shown(str(p))}:{n}: {_quoted(line)} {why}; skipped")
            continue
        out.sources.append(line)
        out.trusted.append(line)
    bad = len(out.problems)
    problems += out.problems[:_NAMED_BAD_LINES]
    if bad > _NAMED_BAD_LINES:
        problems.append(f"{shown(str(p))}: {bad - _NAMED_BAD_LINES} more line(s) skipped, not named here "
                        "(is it a list of URLs, one a line?)")
    out.problems = problems
    if say_empty and len(out.sources) + len(out.problems) == said:
        out.problems.append(f"{shown(str(p))}: {LISTS_NO_URL}")


def _read(p: Path, max_bytes: int, out: SeedList) -> bytes | None:
    """A seed file's bytes, read as sources are; None, and the reason a problem in `out`, when it cannot be."""
    try:
        return read_capped(p, max_bytes)
    except SourceError as e:
        out.problems.append(str(e))
        return None


_NAMED_BAD_LINES = 10  # of a URL list: the first ones skipped named, the others counted in one line
ARCHIVE_INSIDE = "the archive folder "
_REPORT_MARK = b'<meta name="generator" content="archiver report">'  # archiver.report.page.GENERATOR
LISTS_NO_URL = "lists no URL (one a line; `#` starts a comment)"


def _archive_files(seeds: Path, archive_dir: Path | None) -> Callable[[Path], bool] | None:
    """A test telling the archive's files among the seeds folder's, or None when the archive lies
    elsewhere: the whole folder when it lies in the seeds folder, its index and its folders of
    records, screenshots and media when it is the seeds folder itself."""
    from .layout import DB_NAME, MEDIA_DIR, SHOT_DIR, WARC_DIR

    if archive_dir is None:
        return None
    try:
        home, top = archive_dir.resolve(), seeds.resolve()
    except (OSError, RuntimeError):
        return None
    if home == top:
        kept = tuple(home / name for name in (WARC_DIR, SHOT_DIR, MEDIA_DIR))

        def own(p: Path) -> bool:
            where = p.resolve()
            return where.name.startswith(DB_NAME) and where.parent == home or any(where.is_relative_to(k) for k in kept)
        return own
    if home.is_relative_to(top):
        return lambda p: p.resolve().is_relative_to(home)
    return None


def with_url_lists(specs: list[str], max_bytes: int = DEFAULT_MAX_BYTES) -> SeedList:
    """Sources as given to `archive` or `scan`, folders expanded, each `*.urls` file replaced by the
    URLs it lists (as `run` reads its seeds); every other source is left to be read as it is.
    A list that cannot be read, or a bad line in one, is a problem named in the result."""
    out = SeedList()
    for spec in expand(specs):
        p = Path(spec)
        if not is_url_list(p) or not is_file(p):
            out.sources.append(spec)  # read, or refused and named, as every source is
            continue
        data = _read(p, max_bytes, out)
        if data is None:
            continue
        _read_url_list(p, data, out, say_empty=True)  # given to be read: one that says nothing is named
    out.sources = unique_sources(out.sources)  # one article however it was spelt (`?utm_source=`...)
    return out


def read_seeds(path: Path, max_bytes: int = DEFAULT_MAX_BYTES,
               max_feed_articles: int = DEFAULT_MAX_FEED_ARTICLES, *, archive_dir: Path | None = None) -> SeedList:
    """Expand a seeds folder (or one seed file) into article sources, in a stable order.

    Seed files are read like sources (regular files only, at most `max_bytes`); a file or a URL in
    one that cannot be used is a problem named in the result, never a reason to stop. A feed file
    gives at most `max_feed_articles` articles, the newest where it dates them; what it leaves out
    is a note in the result. The files of the archive (`archive_dir`), when it lies in the seeds
    folder or is that folder, are no seeds: they are left out, with a note.
    """
    try:
        path.stat()
    except FileNotFoundError:
        raise UsageError(f"--seeds: {path} does not exist; create it or point --seeds at a folder of seeds") from None
    except (OSError, ValueError) as e:
        cause = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise UsageError(f"--seeds: {path} cannot be read ({cause}); point --seeds at a folder of seeds") from None
    out = SeedList()
    archive_file = _archive_files(path, archive_dir)
    for spec in expand([str(path)]):
        p = Path(spec)
        if p.name.lower() == "readme.md":
            continue
        if archive_file is not None and archive_file(p):
            if not any(note.startswith(ARCHIVE_INSIDE) for note in out.notes):
                out.notes.append(f"{ARCHIVE_INSIDE}{shown(str(archive_dir))} lies in the seeds folder: its files "
                                 "are not read as seeds")
            continue
        data = _read(p, max_bytes, out)
        if data is None:
            continue
        if _REPORT_MARK in data[:1024]:
            out.notes.append(f"{shown(str(p))}: a report of archiver's own, not an article: not read as a seed")
            continue
        if is_url_list(p):
            # The one seed file given that says nothing is named, as `archive` and `scan` name such a list.
            _read_url_list(p, data, out, say_empty=spec == str(path))
            continue
        if data[:2] == GZIP_MAGIC:  # a sitemap saved as its site serves it (sitemap.xml.gz)
            try:
                data = gunzipped_feed(shown(str(p)), data, max_bytes) or data
            except SourceError as e:
                out.problems.append(str(e))
                continue
        feed = read_feed(data, shown(str(p)))
        if feed is not None:
            log.info("%s: feed with %d article(s)", p, len(feed.articles))
            out.feeds += 1
            if feed.sitemaps:  # read from the web, where they are, by each run
                out.problems.append(f"{shown(str(p))}: a sitemap index (it lists sitemaps, not articles); put its "
                                    "address in a *.urls file, and each run reads the sitemaps it lists")
            got = expand_feed(str(p), Feed(articles=feed.articles), room=max_feed_articles, fetch=None)
            out.problems += got.problems
            if got.left_out:
                out.notes.append(left_out_note(str(p), len(got.articles), got.left_out, max_feed_articles))
                out.left_out += got.left_out
            out.sources.extend(got.articles)
            continue
        out.sources.append(str(p))
    out.sources = unique_sources(out.sources)  # one article however it was spelt (`?utm_source=`...)
    return out
