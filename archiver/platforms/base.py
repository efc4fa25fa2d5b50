"""What every platform module provides, and the helpers they share.

A platform module builds one `Platform` value: how its post URLs look (-> `UrlMatch`), which HTML
elements embed its posts (`EmbedRule`s), and, where the platform's IDs encode it, the time of a post
from its ID. Optional hooks cover what only some platforms have: short links they mint
(`ShortLinks`), posts that survive flattened into plain-text lines (`Platform.flattened` ->
`FlatPost`), and markers of their embed markup inside text-only containers (`markup_hints`).
The HTML walker, the plain-text scanner, the merger and the link matcher only talk to this interface.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from archiver.models import Post
from archiver.times import from_epoch_ms, in_utc, iso_seconds, normalise_posted_at

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

    from archiver.detect.units import Unit
    from archiver.platforms.capture import Aliases, EmbedUrl, LoginWall, OEmbedEndpoint, PostCheck


@dataclass(frozen=True)
class UrlMatch:
    """A post identified from a URL: its ID, canonical URL and (when the URL names it) handle."""

    post_id: str
    url: str
    handle: str | None = None


@dataclass
class EmbedContext:
    """Where the HTML walker is: the source, and the hidden container (if any) the node sits in."""

    source: str
    prefix: str = ""  # e.g. "textarea>" for embeds re-parsed out of a consent-manager textarea
    lang: str | None = None

    def embedded(
        self,
        platform: Platform,
        evidence: str,
        match: UrlMatch | None = None,
        *,
        post_id: str | None = None,
        handle: str | None = None,
        author: str | None = None,
        date_text: str | None = None,
        posted_at: str | None = None,
        text: str | None = None,
        links: Iterable[str] = (),
        media: Iterable[str] = (),
        lang: str | None = None,
    ) -> Post:
        """One embedded post found by `evidence` (prefixed by the container it was found in)."""
        return build_post(
            platform,
            kind="embedded",
            source=self.source,
            evidence=self.prefix + evidence,
            match=match,
            post_id=post_id,
            handle=handle,
            author=author,
            date_text=date_text,
            posted_at=posted_at,
            text=text,
            links=links,
            media=media,
            lang=lang or self.lang,
        )


Attrs = dict[str, "str | None"]  # an element's attributes, as the walker read them once
Handler = Callable[["LexborNode", Attrs, EmbedContext], "list[Post] | None"]


@dataclass(frozen=True)
class EmbedRule:
    """HTML elements named `tags` are offered to `handler`; it returns the posts they embed, or None.

    `needs`: the element must carry at least one of these attributes for the handler to be called
    at all. The walker checks it on the attribute dict it already holds, so rules on very common
    elements (`div`) cost a dictionary lookup, not a function call, per element.
    `claims=True` means the element's descendants belong to the embed: the walker then does not report
    the links inside it as separate linked posts (a tweet's hashtags, its own status link).
    `extent`, when given, names which of the element's children (and their descendants) belong to
    it, where markup whose end a CMS may drop can take in the rest of the page: the children past
    them are walked as the page's own (other embeds, links to other posts).
    """

    tags: tuple[str, ...]
    handler: Handler
    needs: tuple[str, ...] = ()
    claims: bool = True
    extent: Callable[[LexborNode], Iterable[LexborNode]] | None = None


@dataclass(frozen=True)
class ShortLinks:
    """Short links a platform mints (`t.co/CODE`): several spellings of one link share its code.

    A page may name a post by such a link alone; until the link is resolved, the post is known by its
    code. A short link found inside another post (its text, links or media) is that post, so merging
    drops the separate short-link post (a tweet's own `pic.twitter.com` attachment is not a second post).
    """

    # Link hosts that only ever serve short links (`t.co`): every link to them is handed to `find`.
    hosts: tuple[str, ...]
    # Substrings that every spelling contains as written (`t.co/`): a cheap test before the regex.
    hints: tuple[str, ...]
    # One link as written; the code in the group named `code`.
    pattern: re.Pattern[str]
    # Spellings that stand for attached media (`pic.twitter.com/`) rather than a link in the text.
    media_hints: tuple[str, ...]
    # (link, source, evidence) -> the post known only by that link.
    make_post: Callable[[str, str, str], Post]
    # Finds the codes (its only group) of every spelling in a whole raw page in one pass; when
    # None, `pattern` is used. The HTML walker runs it over every page, so it is worth tuning.
    raw_pattern: re.Pattern[str] | None = None
    # Found in a page's UTF-8 bytes wherever one of these links is in its text (it may find more):
    # where it finds nothing, `codes_in_page` reads no further. None: the text is always searched.
    raw_hint: re.Pattern[bytes] | None = None

    def might_contain(self, text: str) -> bool:
        """False when `text` cannot hold one of these links (no hint in it)."""
        return any(h in text for h in self.hints)

    def find(self, text: str) -> list[str]:
        """The short links in `text`, as written, in first-seen order, each once."""
        if not self.might_contain(text):
            return []
        return unique(m.group(0) for m in self.pattern.finditer(text))

    def code(self, link: str) -> str | None:
        """The code of a short link (shared by all its spellings), or None for any other link."""
        if not self.might_contain(link):
            return None
        m = self.pattern.search(link)
        return m.group("code") if m else None

    def is_media(self, link: str) -> bool:
        """True for the spellings that stand for attached media."""
        return any(h in link for h in self.media_hints)

    def post(self, link: str, source: str, evidence: str) -> Post:
        """The post known only by `link`."""
        return self.make_post(link, source, evidence)

    def codes_in_page(self, html: str, raw: bytes | None = None) -> set[str]:
        """The code of every short link anywhere in a raw page (markup, scripts, attributes).

        `raw`, when given, is exactly `html` encoded as UTF-8 (see `raw_hint`).
        """
        if raw is not None and self.raw_hint is not None and self.raw_hint.search(raw) is None:
            return set()
        if self.raw_pattern is not None:
            return set(self.raw_pattern.findall(html))
        return {m.group("code") for m in self.pattern.finditer(html)}


@dataclass(frozen=True)
class FlatPost:
    """A post found flattened into plain-text units (lines): it spans units `first`..`last`.

    It is reported where unit `at` stands (its closing line, e.g. a signature); `rest` is text after
    the post on that line, which the scanner reads like any other text.
    """

    first: int
    at: int
    last: int
    post: Post
    rest: str = ""


Flattener = Callable[[Sequence["Unit"], str], list[FlatPost]]  # (units, source) -> posts found


@dataclass(frozen=True)
class Platform:
    """One social platform, as the detector sees it."""

    name: str
    # Other names a user may type for it (`--platform x`).
    other_names: tuple[str, ...] = field(default=(), kw_only=True)
    # Host names (without "www.") whose URLs `parse_url` understands; sub-domains match too.
    hosts: tuple[str, ...]
    parse_url: Callable[[str], UrlMatch | None]
    # Player/embed URLs found in iframe attributes; None means `parse_url` handles them as well.
    parse_embed_src: Callable[[str], UrlMatch | None] | None = None
    rules: tuple[EmbedRule, ...] = ()
    time_from_id: Callable[[str], str | None] | None = None
    canonical: Callable[[str, str | None], str] | None = None
    # `richer_url(known, other)`: True when `other` is a spelling of the very post `known` names that
    # holds more of what reaching it needs (Vimeo: an unlisted video's privacy hash, which `known`
    # lacks). Merging and the index then keep `other`, and so does `canonical` (`address`); never
    # True for another post, or for a spelling that only differs (another hash). None: the first
    # address found stays.
    richer_url: Callable[[str, str], bool] | None = None
    # Instance-based networks (Mastodon) have posts on hosts nobody can list in advance.
    any_host: Callable[[str], UrlMatch | None] | None = field(default=None)
    # What every post URL `any_host` accepts contains (`/@`), or several such substrings one of which
    # each contains. The HTML walker offers a link on a host no platform owns to `any_host` only
    # when it holds one; empty offers every such link (slower).
    any_host_hint: str | tuple[str, ...] = ""
    # Short links the platform mints, if any (see `ShortLinks`).
    shortlinks: ShortLinks | None = None
    # Posts that survive flattened into plain text (an embed's text, signature and date link after
    # an article was turned into text). Gets every unit of the text; a post closing on a unit that a
    # platform earlier in the registry already claimed is left out.
    flattened: Flattener | None = None
    # What every flattened post of the platform holds as written (`(@`, `♬`): the HTML detector reads
    # a page's text blocks for `flattened` only when the page holds one. Empty: always read them.
    flattened_hints: tuple[str, ...] = ()
    # Regex fragments that, right after `<`, mark the platform's embed markup inside text that a
    # parser sees as text (consent-manager containers, escaped attributes): `lite-youtube`.
    # `iframe`, `blockquote` and `amp-` are looked for on behalf of every platform.
    markup_hints: tuple[str, ...] = ()
    # --- the capture side (platforms/capture.py) ---
    # The URL that renders a post as an article shows it; None: the post's own page renders as it is.
    embed_url: EmbedUrl | None = None
    # The public oEmbed endpoint the generic check asks, when one answers without credentials.
    oembed: OEmbedEndpoint | None = None
    # Rendered embeds of the platform on an article page that get an element screenshot of their own.
    embed_selectors: tuple[str, ...] = ()
    # The platform's own way of asking about a post; None: the generic oEmbed check (see `post_check`).
    check: PostCheck | None = None
    # Or the module holding it as `CHECK`, imported at the first question: the modules that ask pull
    # in the capture code, which a scan never needs.
    check_module: str = ""
    # Pages that may show a login wall instead of the post.
    login_wall: LoginWall | None = None
    # Posts known only by short links learn their ID by following them.
    aliases: Aliases | None = None
    # The platform reads its post IDs whatever their case (a Telegram channel's name in
    # `channel/ID`, Reddit's base-36 IDs): `parse_url` and the rules write them lower-case, so a post
    # linked in one case and embedded in another is one post, and the index folds the keys an earlier
    # archiver kept as written into the lower-case ones (`fold_id_case`).
    case_free_ids: bool = False

    def post_check(self) -> PostCheck | None:
        """The platform's own way of asking about a post (`check`, or `check_module`'s), or None."""
        if self.check is None and self.check_module:
            from importlib import import_module

            found: PostCheck = import_module(self.check_module).CHECK
            return found
        return self.check

    def address(self, post_id: str, handle: str | None, given: str | None) -> str | None:
        """The post's address: its canonical form, unless `given` spells the same post with more of
        what reaching it needs (`richer_url`: an unlisted Vimeo video's hash), which is kept; `given`
        when the platform has no canonical form."""
        if self.canonical is None:
            return given
        built = self.canonical(post_id, handle)
        if given and self.richer_url is not None and self.richer_url(built, given):
            return given
        return built

    def embed_src(self, url: str) -> UrlMatch | None:
        """A post from a player/embed URL (iframe src and its lazy-loading variants)."""
        return (self.parse_embed_src or self.parse_url)(url)


def build_post(
    platform: Platform,
    *,
    kind: str,
    source: str,
    evidence: str,
    match: UrlMatch | None = None,
    post_id: str | None = None,
    handle: str | None = None,
    author: str | None = None,
    date_text: str | None = None,
    posted_at: str | None = None,
    text: str | None = None,
    links: Iterable[str] = (),
    media: Iterable[str] = (),
    lang: str | None = None,
) -> Post:
    """A `Post` with canonical URL and time filled in by the platform's rules.

    Time: the ID wins when the platform's IDs encode it; else `posted_at` as given (a machine-readable
    datetime in the markup); else the printed `date_text` as a bare date; else None.
    """
    url = None
    if match is not None:
        post_id = post_id or match.post_id
        handle = handle or match.handle
        url = match.url
    handle = clean_handle(handle)
    if post_id:
        if platform.canonical is not None:
            url = platform.address(post_id, handle, url)
        if platform.time_from_id is not None:
            posted_at = platform.time_from_id(post_id) or posted_at
    if not posted_at and date_text:
        # dateparser is heavy: the dates module (and it) load on the first printed date needed
        from archiver.detect.dates import parse_printed_date

        posted_at = parse_printed_date(date_text, lang)
    return Post(
        platform=platform.name,
        kind=kind,
        source=source,
        evidence=evidence,
        post_id=post_id or None,
        url=url,
        handle=handle,
        author=clean_space(author),
        posted_at=posted_at,
        text=clean_text(text),
        links=unique(links),
        media=unique(media),
    )


# --- small shared helpers -------------------------------------------------------------------------

_HOST_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//([^/?#\s]+)", re.IGNORECASE)
_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


_AT_OR_COLON = re.compile(r"%(?:40|3a)", re.IGNORECASE)


def unquote_at(url: str) -> str:
    """`url` with `%40` read as `@` and `%3A` as `:`, as the servers read them: a link copied from
    some editors spells `/@user/ID` as `/%40user/ID` and a DID `did:plc:` as `did%3Aplc%3A`. No
    other escape is touched (`%2F` is not a path's `/`)."""
    return _AT_OR_COLON.sub(lambda m: "@" if m.group(0) == "%40" else ":", url) if "%" in url else url


def host_of(url: str) -> str | None:
    """Lower-case host of an absolute (or scheme-relative) URL, without port, `www.`, `m.`."""
    m = _HOST_RE.match(url)
    if not m:
        return None
    host = m.group(1).rsplit("@", 1)[-1].split(":", 1)[0].lower().rstrip(".")
    for prefix in ("www.", "m.", "mobile."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


# Where a link written without a space before it may start: not inside a word, a host or an
# address (`bit.co/...`, `ñt.co/...`), except straight after text of a script written without
# spaces (Chinese, Japanese, Korean, Thai, Lao, Burmese, Khmer), which runs into a link
# (`写真pic.twitter.com/...`).
LINK_START = (r"(?:(?<![\w.@/-])|(?<=[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u9fff\uac00-\ud7af"
              r"\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]))")


def host_lowered(url: str) -> str:
    """`url` with its scheme and host in lower case, as a server reads them (`HTTPS://VM.TikTok.com/ZMx`
    -> `https://vm.tiktok.com/ZMx`); the rest, whose case may matter, as it is. Scheme-less too."""
    start = url.find("//") + 2 if "//" in url[:8] else 0
    end = min((i for i in (url.find(c, start) for c in "/?#") if i >= 0), default=len(url))
    return url[:end].lower() + url[end:]


# What a browser removes from a URL before reading it (WHATWG URL parsing): "leading and trailing
# C0 control or space", and "all ASCII tab or newline" wherever they are. A CMS may leave a space
# or a line break inside an attribute's quotes, or wrap a long address. Nothing else: a no-break
# space (U+00A0), an ideographic one (U+3000) before an address make it a relative one, as in a browser.
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_NO_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")


# An absolute or scheme-relative address (`https://`, `at://`, `//host`): what an embed's attribute
# holds when a browser, or the platform's script that puts it in a frame's address, reads it as one.
_ADDRESS_START = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//")


def trim_attr(value: str) -> str:
    """An attribute's value as an embed's rule reads it: without the C0 controls and spaces around
    it (what a browser drops around an address; a class list or an ID has none that count), and,
    when it is an address (`https://…`, `at://…`, `//host/…`), without the ASCII tabs and line
    breaks inside it, as a browser reads an address (`trim_url`). Any other value (a class list
    split over lines) keeps its inner characters."""
    value = value.strip(_C0_AND_SPACE)
    if "\n" in value or "\t" in value or "\r" in value:
        bare = value.translate(_NO_TAB_OR_NEWLINE)
        if _ADDRESS_START.match(bare):
            return bare
    return value


def trim_url(value: str) -> str:
    """A URL attribute's value as a browser reads it: without the C0 controls and spaces around it,
    and without the ASCII tabs and line breaks inside it (`/status/\\n20` is `/status/20`)."""
    value = value.strip(_C0_AND_SPACE)
    if "\n" in value or "\t" in value or "\r" in value:
        return value.translate(_NO_TAB_OR_NEWLINE)
    return value


# A backslash is a slash, for a browser, in an http(s) address before its query (WHATWG URL
# parsing, special schemes): after the scheme, or at the start of an address relative to the page
# (an article's is http or https), two or more of them in any mix start the host, and one after
# the host ends it and starts the path. In the query and the fragment it stays a backslash.
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SEPARATOR_BACKSLASH = str.maketrans("\\", "/")


def backslashes_read(url: str) -> str:
    """An address written with backslashes (trimmed: `trim_url`) as a browser reads it for an http
    or https page: `https:\\\\x.com\\u\\status\\1`, `https:/\\x.com/u/status/1` and `\\\\x.com/u/status/1`
    are `https://x.com/u/status/1` and `//x.com/u/status/1`; `/path\\to` is the article site's
    `/path/to`. An address of any other scheme (`C:\\dir`, `javascript:`) is returned as it is."""
    if "\\" not in url:
        return url
    scheme = _SCHEME_RE.match(url)
    if scheme is not None and scheme.group().lower() not in ("http:", "https:"):
        return url
    start = scheme.end() if scheme is not None else 0
    rest = url[start:].lstrip("/\\")
    slashes = len(url) - start - len(rest)
    # Two or more: the host follows (any number of them is skipped); fewer: a path, as with slashes.
    lead = "//" if slashes >= 2 else "/" * slashes
    end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return url[:start] + lead + rest[:end].translate(_SEPARATOR_BACKSLASH) + rest[end:]


def href_of(node: LexborNode) -> str:
    """A link's address as a browser reads it (`trim_url`), or "" when it has none."""
    return trim_url(node.attributes.get("href") or "")


def strip_url(url: str) -> str:
    """A URL as found in markup, as a browser reads it (`trim_url`), without surrounding
    quotes/backslashes (JSON-escaped attributes)."""
    return trim_url(url).strip("\\\"' ").replace("\\/", "/")


def absolutize(url: str) -> str:
    """Scheme-relative and scheme-less URLs get https, so one set of regexes fits all."""
    url = strip_url(url)
    if url.startswith("//"):
        return "https:" + url
    if not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.IGNORECASE):
        return "https://" + url
    return url


def query_param(url: str, name: str) -> str | None:
    """First value of query parameter `name` (percent-decoded), or None."""
    try:
        values = parse_qs(urlsplit(url).query).get(name)
    except ValueError:
        return None
    return values[0] if values else None


def clean_space(s: str | None) -> str | None:
    """Runs of spaces folded to one, ends stripped; None for empty."""
    if s is None:
        return None
    s = _SPACE_RE.sub(" ", s).strip()
    return s or None


def clean_text(s: str | None) -> str | None:
    """Post text: spaces folded per line, line breaks kept, blank lines at the ends removed."""
    if s is None:
        return None
    lines = [_SPACE_RE.sub(" ", line).strip() for line in s.replace("\r", "").split("\n")]
    out = "\n".join(lines).strip("\n ")
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out or None


def clean_handle(handle: str | None) -> str | None:
    """A handle without `@` and surrounding space; None for empty."""
    if not handle:
        return None
    h = handle.strip().lstrip("@").strip()
    return h or None


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order, without repeats or empties."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def iso_from_ms(ms: int) -> str:
    """ISO 8601 UTC with milliseconds and `Z`."""
    return from_epoch_ms(ms)


def iso_from_seconds(s: int) -> str:
    """ISO 8601 UTC to the second, with `Z`."""
    return iso_seconds(datetime.fromtimestamp(s, UTC))


def iso_from_given_seconds(value: object) -> str | None:
    """Unix seconds as a page or an API gives them (a number, or its ASCII digits) as ISO UTC; None
    for anything else, or a time no calendar holds (a page is content: it may say anything)."""
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()):
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return iso_seconds(datetime.fromtimestamp(value, UTC))
    except (ValueError, OverflowError, OSError):
        return None


def plausible_ms(ms: int, earliest_year: int) -> bool:
    """A time decoded from an ID is only trusted between the platform's launch and tomorrow."""
    earliest = calendar.timegm((earliest_year, 1, 1, 0, 0, 0)) * 1000
    return earliest <= ms <= (time.time() + 2 * 86400) * 1000


def posted_from_data(value: object) -> str | None:
    """A post's time as a platform's data gives it (Bluesky's author-set `createdAt`, Mastodon's
    `created_at`): text, normalised as the index keeps it; None for anything that is not text, or a
    datetime UTC cannot hold within the years 1 to 9999 (data is content: it may say anything)."""
    return normalise_posted_at(value) if isinstance(value, str) else None


def iso_from_datetime_attr(value: str | None) -> str | None:
    """A machine-readable `datetime="..."` attribute as ISO UTC; a bare date stays a bare date."""
    if not value:
        return None
    v = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.date().isoformat()  # no zone: the day is all we can say in UTC terms honestly
    # A zone that carries the moment out of the years 1 to 9999 in UTC (`0001-01-01T00:00+05:00`): no date.
    utc = in_utc(dt)
    return iso_seconds(utc) if utc is not None else None


_MARKUP_BREAKS = str.maketrans("\n\r\t\f", "    ")


def text_and_links(node: LexborNode) -> tuple[str, list[tuple[str, str]]]:
    """(text with `<br>` and paragraphs as line breaks, [(href, label)] of its links) of an embed's
    paragraph, in one pass over `node`: a post's lines stay lines. A line break in the markup's
    own text is a space, as a browser shows it (`<br>` then a newline is one line break, not two)."""
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    for n in node.traverse(include_text=True):
        tag = n.tag
        if tag == "-text":
            parts.append((n.text_content or "").translate(_MARKUP_BREAKS))
        elif tag == "br" or tag == "p" and parts:
            parts.append("\n")
        elif tag == "a":
            links.append((href_of(n), n.text().strip()))
    return "".join(parts), links


def has_class(attrs: Attrs, *names: str) -> bool:
    """True when the element's class list (from its attribute dict) contains any of `names`."""
    cls = attrs.get("class") or ""
    if not cls:
        return False
    classes = cls.split()
    return any(n in classes for n in names)
