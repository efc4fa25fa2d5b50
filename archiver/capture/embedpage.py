"""What the platforms without a public data API share: their embed page read over HTTP, in words.

Instagram, Facebook, Threads, LinkedIn and Telegram show a post to anonymous readers only as the
page their embed iframe loads. That page is fetched once through the recording client (so the
exchange is in the WARC), read for the post (caption, author, date, the largest candidate of each
image) by the platform's `parse`, and, when it shows no post, searched for the platform's own
words ("Post not found", "This account is private"), which decide the status and are kept as the
reason. A page that sends an anonymous reader to a login form is `login_required`; a bot wall or a
challenge is `unavailable`, never a statement about the post. The rendered embed (Chromium) gets
the same reading of its words in `after_render`, for the case where the HTTP fetch had no answer.

The video platforms use `fetch_page` and `words_status` too, beside their oEmbed answer. Every
platform finds its gone posts in the Wayback Machine under its post URL and its embed URL
(`wayback_source`); a copy counts only when the platform's reader finds the post in it.

Like every probe, nothing here raises for trouble on the way (capture/types.py).
"""

from __future__ import annotations

import html as _html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archiver.capture import wayback as _wayback
from archiver.capture.types import Failure, HttpGetter, answer_or_failure, given

if TYPE_CHECKING:
    import httpx  # imported where used: `scan` loads these modules and needs no HTTP client

    from archiver.capture.renderer import PageCapture
    from archiver.platforms.capture import PostCheck, PostRef, Probe, RenderFn, WaybackSource

# Words that mean the platform did not look at the post at all: a bot wall or a challenge.
BOT_WALL_WORDS: tuple[tuple[str, str], ...] = (
    ("confirm you're not a bot", "unavailable"),
    ("confirm you’re not a bot", "unavailable"),
    ("checking your browser", "unavailable"),
    ("verify you are human", "unavailable"),
    ("unusual traffic", "unavailable"),
)


@dataclass
class PostData:
    """A post as read from a page: absent fields stay None; `media` are full-size URLs."""

    handle: str | None = None
    author: str | None = None
    text: str | None = None
    posted_at: str | None = None
    media: list[str] = field(default_factory=list)

    @property
    def recovered(self) -> bool:
        """True when the page showed the post itself (its text, author or pictures)."""
        return bool(self.text or self.author or self.media)

    def fields(self) -> dict[str, Any]:
        out = {"handle": self.handle, "author": self.author, "text": self.text, "posted_at": self.posted_at,
               "media": list(self.media)}
        return given(out)


@dataclass(frozen=True)
class Fetched:
    """One page fetched for a probe: `status` None when no answer came (then `error` says why)."""

    url: str
    status: int | None
    text: str = ""
    final_url: str = ""
    error: str | None = None
    network_failed: bool = False
    refused: bool = False


def fetch_page(client: HttpGetter, url: str) -> Fetched:
    """GET a page (redirects followed, each hop recorded); never raises."""
    resp = answer_or_failure(client, url)
    if isinstance(resp, Failure):
        return Fetched(url, None, error=resp.error, network_failed=resp.network_failed, refused=resp.refused)
    try:
        body = resp.text
    except (UnicodeDecodeError, LookupError):
        body = ""
    return Fetched(url, resp.status_code, body, str(resp.url))


_TAGS = re.compile(r"<(script|style|title)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
# Tags that start or end a block of text: the words on either side are not one sentence.
_BLOCKS = re.compile(r"</?(?:p|div|h[1-6]|li|ul|ol|br|hr|tr|td|th|table|section|article|header|footer|main|nav|"
                     r"aside|blockquote|figure|figcaption|dl|dt|dd|pre|form|fieldset|legend|address)\b[^>]*>", re.I)


def visible_text(page: str, *, blocks: bool = False) -> str:
    """The words of an HTML page, markup and scripts dropped, spaces folded; with `blocks`, each
    block of text (a paragraph, a heading, a list item...) on a line of its own."""
    if not blocks:
        return " ".join(_html.unescape(_TAGS.sub(" ", page)).split())
    text = _html.unescape(_TAGS.sub(" ", _BLOCKS.sub("\n", page)))
    return "\n".join(line for line in (" ".join(part.split()) for part in text.split("\n")) if line)


def words_status(text: str, words: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """(status, the sentence that said it) for the first of `words` (lower-case phrase, status) in
    text. A sentence ends at ". " or at the end of a line (a heading has no full stop)."""
    low = text.lower()
    for phrase, status in (*BOT_WALL_WORDS, *words):
        at = low.find(phrase)
        if at < 0:
            continue
        dot = low.rfind(". ", 0, at)
        start = max(dot + 2 if dot >= 0 else 0, low.rfind("\n", 0, at) + 1, at - 200)
        after = at + len(phrase)
        dot, line = low.find(". ", after), low.find("\n", after)
        if dot >= 0 and (line < 0 or dot < line):
            end = dot + 1  # the full stop kept
        else:
            end = len(text) if line < 0 else line
        return status, " ".join(text[start:end].split())[:300]
    return None


def largest_candidate(srcset: str | None, src: str | None = None) -> str | None:
    """The largest image of a `srcset` (by its `w` or `x` descriptor), else `src`."""
    best: tuple[float, str] | None = None
    for part in (srcset or "").split(","):
        bits = part.strip().split()
        if not bits:
            continue
        size = 1.0
        if len(bits) > 1:
            m = re.fullmatch(r"(\d+(?:\.\d+)?)([wx])", bits[1])
            if m:
                size = float(m.group(1)) * (1.0 if m.group(2) == "w" else 10000.0)
        if best is None or size > best[0]:
            best = (size, _html.unescape(bits[0]))
    return best[1] if best else (_html.unescape(src) if src else None)


_CSS_URL = re.compile(r"background-image\s*:\s*url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", re.I)


def css_url(style: str | None) -> str | None:
    """The URL of a `background-image:url(...)` style."""
    m = _CSS_URL.search(style or "")
    return _html.unescape(m.group(1)) if m else None


def meta(tree: Any, prop: str) -> str | None:
    """An OpenGraph/meta tag's content, stripped; None when absent or empty."""
    node = tree.css_first(f'meta[property="{prop}"]') or tree.css_first(f'meta[name="{prop}"]')
    value = node.attributes.get("content") if node is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def node_text(node: Any) -> str | None:
    """A node's text with `<br>` as line breaks; None for a missing node."""
    if node is None:
        return None
    for br in node.css("br"):
        br.replace_with("\n")
    text = node.text(separator="", strip=False)
    return text.strip() or None


def json_string(escaped: str) -> str | None:
    """A JSON string's contents (as found between its quotes in a page) decoded; None if broken."""
    try:
        value = json.loads(f'"{escaped}"')
    except ValueError:
        return None
    return value if isinstance(value, str) and value.strip() else None


def parse_html(page: str) -> Any:
    """A platform's page parsed, held to the detector's caps (nesting, a tag's attributes) first:
    what it holds is the platform's, or whoever answered for it."""
    from selectolax.lexbor import LexborHTMLParser  # lazy: keeps `archiver --help` fast

    from archiver.detect.depth import for_parser

    return LexborHTMLParser(for_parser(page))


# --- the embed-page check ---------------------------------------------------------------------


@dataclass(frozen=True)
class EmbedPage:
    """How one platform's embed page is read.

    `url(post)`: the embed page of a post. `parse(html)`: the post it shows (None or not
    `recovered`: no post). `words`: (lower-case phrase, status) the page uses when it shows no post.
    `login_paths`: path fragments of the login form an anonymous reader is sent to.
    `about(html)`: the ID of the post the page shows, as the post's `post_id` spells it, when the
    page says (a page about another post is no answer: a cache or proxy mixed answers up).
    """

    url: Callable[[PostRef], str | None]
    parse: Callable[[str], PostData | None]
    words: tuple[tuple[str, str], ...]
    login_paths: tuple[str, ...] = ("/login", "/authwall", "/accounts/login")
    about: Callable[[str], str | None] = lambda _page: None
    # Why the platform's words that a post is gone may not mean it of this one (None: they do).
    gone_doubt: Callable[[PostRef], str | None] = lambda _post: None


def unless_doubted(status: str, reason: str | None, doubt: str | None) -> tuple[str, str | None]:
    """`status` and `reason` as the platform's words gave them, unless they say `deleted` of a post
    `doubt` says they may not mean it of: then `unavailable`, the reason followed by the doubt."""
    if status != "deleted" or doubt is None:
        return status, reason
    return "unavailable", f"{(reason or '').rstrip('.')}: {doubt}"


def _is_login(final_url: str, login_paths: tuple[str, ...]) -> bool:
    path = re.sub(r"^[a-z]+://[^/]+", "", final_url, flags=re.I)
    return any(path.startswith(p) for p in login_paths)


def page_status(fetched: Fetched, data: PostData | None, words: Sequence[tuple[str, str]],
                login_paths: tuple[str, ...], what: str) -> tuple[str, str | None, bool]:
    """The status one fetched page gives a post (see the module docstring), its reason, and
    whether it is settled (the post shown, a login page, the platform's own words)."""
    if fetched.status is None:
        return ("unknown" if fetched.refused else "unavailable"), fetched.error, False
    if fetched.status == 200 and data is not None and data.recovered:
        return "live", f"{what} shows the post", True
    if fetched.final_url and _is_login(fetched.final_url, login_paths):
        return "login_required", f"{what} sent an anonymous reader to log in ({fetched.final_url})", True
    said = words_status(visible_text(fetched.text, blocks=True), words)
    if said is not None:
        return *said, True
    if fetched.status in (429, 403) or fetched.status >= 500:
        return "unavailable", f"{what} answered HTTP {fetched.status}", False
    if fetched.status in (404, 410):
        return "unavailable", f"{what} answered HTTP {fetched.status} without saying why", False
    return "unknown", f"{what} answered HTTP {fetched.status} and showed no post", False


def embed_page_of(embed_url: Callable[[str | None, str | None], str | None]) -> Callable[[PostRef], str | None]:
    """A post's embed page, from the platform's `embed_url(post_id, url)`."""
    return lambda post: embed_url(post.post_id, post.url)


def post_and_embed_urls(embed_url: Callable[[str | None, str | None], str | None], *,
                        id_of: Callable[[str | None, str | None], str | None] | None = None,
                        canonical: Callable[[str], str] | None = None) -> Callable[[str], list[str]]:
    """Where a post may be in the Wayback Machine: its own URL, its canonical one when the platform
    has one (`canonical(id_of(None, url))`), and its embed page's."""

    def forms(url: str) -> list[str]:
        post_id = id_of(None, url) if id_of is not None and canonical is not None else None
        return [u for u in dict.fromkeys([url, canonical(post_id) if canonical and post_id else None,
                                          embed_url(None, url)]) if u]

    return forms


def embed_check(page: EmbedPage, wayback: WaybackSource, selectors: tuple[str, ...]) -> PostCheck:
    """The post check of a platform read from its embed page."""
    # Here, not at the top: the platform packages import this module while the registry loads.
    from archiver.platforms.capture import PostCheck, Probe, about_another_post

    def probe(post: PostRef, client: HttpGetter) -> Probe:
        url = page.url(post)
        if not url:
            return Probe("unknown", "no embed page is known for this post")
        fetched = fetch_page(client, url)
        shown = page.about(fetched.text) if fetched.status == 200 and fetched.text else None
        if shown and post.post_id and shown != post.post_id:
            return about_another_post(f"the embed page (post {shown[:60]})", post.url)
        data = page.parse(fetched.text) if fetched.status == 200 and fetched.text else None
        status, reason, settled = page_status(fetched, data, page.words, page.login_paths, "the embed page")
        doubt = page.gone_doubt(post)
        status, reason = unless_doubted(status, reason, doubt)
        found = status == "live" and data is not None
        # (the doubt the rendered embed's words would meet, should they say `deleted`: `after_render`)
        return Probe(status, reason, fields=data.fields() if found and data else {},
                     media=tuple(data.media) if found and data else (), network_failed=fetched.network_failed,
                     refused=fetched.refused, found=found, state=(settled, doubt))

    def left_open(found: Probe) -> bool:
        """The fetched page left the status open (`state`: nothing on it settled it, no words of
        the platform's): the rendered embed's words may."""
        settled = bool(found.state and found.state[0])  # (no state: the probe asked no page)
        return not found.found and not settled and found.status in ("unknown", "unavailable")

    def after_render(found: Probe, rendered: PageCapture | None, render: RenderFn) -> tuple[str, str | None]:
        """The rendered embed's words, when the fetched page left the status open."""
        if not left_open(found) or rendered is None:
            return found.status, found.reason
        text = " ".join(f.text for f in rendered.frames)[:5000]
        said = words_status(text, page.words)
        if said is None:
            return found.status, found.reason
        return unless_doubted(*said, found.state[1] if found.state else None)

    return PostCheck(probe=probe, element_selectors=selectors, after_render=after_render, wayback=wayback,
                     render_decides=left_open)


# --- Wayback -----------------------------------------------------------------------------------


def wayback_source(forms: Callable[[str], list[str]], parse: Callable[[str], PostData | None]) -> WaybackSource:
    """Gone posts looked for under every URL `forms(post URL)` names; a copy is read by `parse`.

    The partial post handed back says `recovered` False when the copy does not show the post (a
    copy of the platform's own "not found" page): such a copy is kept but not counted.
    """
    from archiver.platforms.capture import WaybackSource

    def find(client: HttpGetter, url: str) -> Any:
        return _wayback.find_snapshot(client, url, forms=forms)

    def fetch(client: HttpGetter, snapshot: Any) -> tuple[httpx.Response, Any]:
        resp = _wayback.fetch_raw(client, snapshot)
        if resp.status_code != 200:
            return resp, None
        if "html" not in resp.headers.get("content-type", "html").lower():
            return resp, PostData()  # an image, a feed: no page that could show the post
        return resp, parse(resp.text) or PostData()

    return WaybackSource(find=find, fetch=fetch)


def og_post(page: str) -> PostData | None:
    """A post page's OpenGraph tags: title as author, description as text, image as media."""
    tree = parse_html(page)
    image = meta(tree, "og:image")
    data = PostData(author=meta(tree, "og:title"), text=meta(tree, "og:description"),
                    media=[image] if image else [])
    return data if data.text else None
