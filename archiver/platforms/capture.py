"""The capture side of a platform: the hooks one generic post capture is driven by.

A post capture asks the platform's data endpoints about the post (`PostCheck.probe` -> `Probe`),
decides from that whether a re-check needs a new capture at all, renders the post's embed
(`Platform.embed_url`) with the elements worth a screenshot of their own, lets the platform refine
its status from what was rendered (`after_render`: Twitter looks for x.com's login wall and reads
the page's own words; a page it will ask for in any case, `render_beside`, renders beside the
embed), downloads the media the probe named, and, for a post that is gone, recovers
the closest Wayback copy once (`wayback`). A platform with no `PostCheck` of its own gets the
generic one: its public oEmbed endpoint (`Platform.oembed`), if it has one (capture/oembed.py).

Probes follow the metadata fetchers' failure contract (capture/types.py): they never raise for
trouble on the way; `network_failed` (nothing answered: the network may be down) and `refused`
(the network policy kept the tool away) are named on the result.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from archiver.capture.embedpage import PostData
    from archiver.capture.renderer import PageCapture
    from archiver.capture.types import HttpGetter
    from archiver.platforms.hops import Resolution


class PostRef(Protocol):
    """What a capture knows of a post: a detected Post or a row of the index."""

    @property
    def key(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def post_id(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def handle(self) -> str | None: ...


def found_there_before(post: PostRef) -> bool:
    """True when a check of the post found it there before (held `live`, or `deleted` since): a
    platform's "no such post", which it also says of an address that never named one (a mistyped
    code, an unlisted video asked without its hash), then says it is gone."""
    return getattr(post, "status", None) in ("live", "deleted")


@dataclass(frozen=True)
class Probe:
    """What a platform's data endpoints said about one post, before anything was rendered.

    `status`/`reason`: the status they settle on (models.POST_STATUSES) and why. `url`: the post's own
    URL (None: the post's URL as known). `fields`: post data to store (handle, author, text,
    posted_at, media, links, data), stored once a re-check decided to go on. `media`: URLs to
    download. `found`: the post's own data came back. `unusable`: the answer that decides was
    no usable one (a 429, a 5xx: an outage), whatever else answered; a held post then keeps the
    status it had (not checked). `state`: what the platform's `after_render` needs of the answers
    (opaque to the capture).
    """

    status: str
    reason: str | None = None
    url: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    media: tuple[str, ...] = ()
    network_failed: bool = False
    refused: bool = False
    found: bool = False
    state: Any = None
    unusable: bool = False


def same_account_id(*path: str) -> Callable[[Any, dict[str, Any]], bool]:
    """A `PostCheck.same_account` for answers that carry their author's stable account ID at `path`
    in the post's `data` (`("user", "id_str")`): the held answer's and the new one's must be the
    same. True when either lacks it (an answer stored before, or from another endpoint): the
    post's ID then vouches for the account."""

    def at(data: Any) -> str | None:
        for name in path:
            data = data.get(name) if isinstance(data, dict) else None
        return str(data) if isinstance(data, str | int) and not isinstance(data, bool) and str(data) else None

    def same(held: Any, fields: dict[str, Any]) -> bool:
        before, now = at(getattr(held, "data", None)), at(fields.get("data"))
        return before is None or now is None or before == now

    return same


def outage(status: int | None) -> bool:
    """An answer that says nothing of the post: its server refused (429) or failed (5xx)."""
    return status is not None and (status == 429 or status >= 500)


def about_another_post(answer: str, url: str | None) -> Probe:
    """The probe of an answer about another post than the one asked about (a cache or a proxy that
    mixed answers up; `answer` says which and names the other): no usable answer, nothing of it
    stored, so a held post is not checked."""
    return Probe("unavailable", f"{answer} answered about another post", url=url, unusable=True)


# (url, label) -> the rendered page (None when it did not render); writes into the post's capture.
RenderFn = Callable[[str, str], "PageCapture | None"]
# (probe, the rendered embed or None, render) -> (status, reason) once the page was seen.
AfterRender = Callable[[Probe, "PageCapture | None", RenderFn], tuple[str, "str | None"]]


class SnapshotLike(Protocol):
    """A Wayback snapshot: `url` is what gets rendered."""

    @property
    def url(self) -> str: ...


class SnapshotLookupLike(Protocol):
    """A Wayback look-up's result, failures named (capture/types.py)."""

    @property
    def snapshot(self) -> Any: ...
    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True)
class WaybackSource:
    """How a platform's posts are found in the Wayback Machine and read back from a copy.

    `find(http, post_url)` never raises; `fetch(http, snapshot)` -> (response, partial post data
    with handle/author/text/posted_at attributes, or None) raises NetworkError.
    """

    find: Callable[[HttpGetter, str], SnapshotLookupLike]
    fetch: Callable[[HttpGetter, Any], tuple[httpx.Response, Any]]
    # The post as the archived page shows it: the first match is the Wayback capture's screenshot.
    element_selectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostCheck:
    """A platform's own way of asking about a post (see the module docstring)."""

    probe: Callable[[PostRef, HttpGetter], Probe]
    # The rendered post inside its embed page; the first match is the capture's screenshot.
    element_selectors: tuple[str, ...] = ()
    after_render: AfterRender | None = None
    # Posts that are gone are looked for in the Wayback Machine (once: a copy does not change).
    wayback: WaybackSource | None = None
    # The pages (url, label) that `after_render` will ask for whatever the embed shows, known from
    # the probe alone: rendered at the same time as the embed when the browser has pages to spare.
    render_beside: Callable[[Probe], tuple[tuple[str, str], ...]] | None = None
    # True when the probe left the status to the render (`after_render`): a re-check then stores
    # the probe's fields and renders the post even though the status it holds looks unchanged
    # (None: the probe decides alone).
    render_decides: Callable[[Probe], bool] | None = None
    # `same_account(held, fields)`: whether the author the probe's `fields` name (its `data` among
    # them) is the account that wrote the post as the archive holds it (`held`, its `data` the
    # answer last stored): Bluesky by the account's DID, a platform whose answers carry a stable
    # account ID by that ID (`same_account_id`). The one test of a renamed author: a re-check that
    # finds the author under another handle than the one held records a rename only of the same
    # account. None: the post's ID is the platform's, so its author is the same account.
    same_account: Callable[[Any, dict[str, Any]], bool] | None = None
    # Deprecated, accepted and ignored: once said the probe told renames itself (Bluesky did, by
    # the account's DID). `same_account` is the one test now; a check that passes this is as one
    # without that hook (the post's ID vouches for the account). Kept so that a plugin passing it
    # still loads (its platform would otherwise be left out), with a DeprecationWarning.
    tells_renames: InitVar[bool | None] = None

    def __post_init__(self, tells_renames: bool | None) -> None:
        said = tells_renames is not None
        if isinstance(self.same_account, bool):
            # `tells_renames` given by position, where `same_account` now stands.
            object.__setattr__(self, "same_account", None)
            said = True
        elif self.same_account is not None and not callable(self.same_account):
            raise TypeError(f"PostCheck.same_account must be a function of (held post, fields), "
                            f"not {type(self.same_account).__name__}")
        if said:
            warnings.warn("PostCheck(tells_renames=...) is ignored: a renamed author is told by the "
                          "PostCheck.same_account hook (see docs/platforms.md)", DeprecationWarning, stacklevel=3)


@dataclass(frozen=True)
class LoginWall:
    """Pages on `hosts` that may ask an anonymous visitor to log in instead of showing the post.

    `detect(final_url, page_text, has_post)`; `has_post`: an element matching `post_selector` is on
    the page (then log-in words are only a bar under the post).
    """

    hosts: tuple[str, ...]
    post_selector: str
    detect: Callable[[str, str, bool], bool]


EmbedUrl = Callable[[str | None, str | None], str | None]  # (post_id, post URL) -> URL to render
OEmbedEndpoint = Callable[[str], str | None]  # post URL -> endpoint prefix (quoted URL appended)


@dataclass
class Alias:
    """What following a post's short links found: (handle, post ID), and the failures on the way.

    `failures`: (message, the network seems down) in the order met; `found` is None after one that
    means the network is down.
    """

    found: tuple[str | None, str] | None = None
    failures: list[tuple[str, bool]] = field(default_factory=list)
    # The short link that led to `found`, as the post spells it.
    link: str | None = None
    # The post's own address as the links led to it (its canonical form), when the platform's
    # addresses cannot all be told from the ID and handle alone (a Facebook video, a group's post).
    url: str | None = None
    # Where the links led when none led to a post and none failed (an article): the short link
    # stands for no post at all.
    elsewhere: str | None = None
    # The links whose requests met no answer from any server (a refused or reset connection, a TLS
    # failure, a timeout: a proxy that is down), each named with what it met, among `failures`
    # too. Where they lead is not known: with `found` None the post's ID is still to learn, and
    # nothing was learnt of the post (it is not checked, as a check no server answered is not).
    unanswered: list[str] = field(default_factory=list)
    # Of `failures`, the messages of those links (a run names them with the post they leave
    # unchecked, when it is carried to its capture, not twice).
    unanswered_failures: set[str] = field(default_factory=set)

    def link_unanswered(self, message: str, said: str) -> None:
        """A link whose requests met no answer: `message` among the failures, `said` among `unanswered`."""
        self.failures.append((message, False))
        self.unanswered.append(said)
        self.unanswered_failures.add(message)


@dataclass
class Destination:
    """Where a short link given as a source leads: the first address past the platform's short-link
    hosts (`url`, None when it leads nowhere), and the failures on the way, as in `Alias`."""

    url: str | None = None
    failures: list[tuple[str, bool]] = field(default_factory=list)

    @classmethod
    def past(cls, link: str, res: Resolution, still_short: Callable[[str], bool]) -> Destination:
        """Where the hops of `link` led (`res`, followed until an address `still_short` is false of):
        that address when it is a web address, else the failure that says why there is none."""
        out = cls()
        if res.error is not None:
            out.failures.append((f"{link}: could not be followed ({res.error})", res.network_failed))
        elif res.final_url is not None and not still_short(res.final_url):
            if res.final_url.split(":", 1)[0].lower() in ("http", "https"):
                out.url = res.final_url
            else:  # an app's scheme, mailto:, ftp: ... nothing to read as an article
                out.failures.append((f"{link}: leads to {res.final_url[:200]!r}, not a web address", False))
        else:
            out.failures.append((f"{link}: leads nowhere", False))
        return out


def identify_with(
    canonical: Callable[[str, str | None], str], time_from_id: Callable[[str], str | None] | None = None,
) -> Callable[[Any, str, str | None], None]:
    """An `Aliases.identify` for a platform whose post URL is `canonical(post ID, handle)`: the post
    known by its short links gets the ID (and the handle, when it had none) they led to, and the key
    that goes with them; a bare short link becomes a link to that post. `time_from_id`: the time
    the ID holds, for a post that had none."""

    def identify(post: Any, pid: str, handle: str | None) -> None:
        post.post_id, post.handle = pid, post.handle or handle
        post.url = canonical(pid, post.handle)
        if time_from_id is not None and not post.posted_at:
            post.posted_at = time_from_id(pid)
        if post.kind == "shortlink":
            post.kind = "linked"
        post.key = post.compute_key()

    return identify


@dataclass(frozen=True)
class Aliases:
    """Posts known by short links alone (a flattened tweet): how they learn their ID.

    `resolve(post, http)` follows the post's short links; `identify(post, post_id, handle)` gives
    the post that ID (its key changes with it); `destination(link, http)` follows one short link
    given as a source (`archiver archive https://t.co/...`) to the post or article it stands for.
    """

    resolve: Callable[[Any, HttpGetter], Alias]
    identify: Callable[[Any, str, str | None], None]
    destination: Callable[[str, HttpGetter], Destination] | None = None


@dataclass(frozen=True)
class Answer:
    """One answer of a platform's data endpoint, asked through the capture's recording client.

    `status` None: no answer came, `error` says why (`network_failed`/`refused` as in
    capture/types.py). `data`: the body as JSON (None when it is not JSON); `text`: its start.
    """

    url: str
    status: int | None
    data: Any = None
    text: str = ""
    error: str | None = None
    network_failed: bool = False
    refused: bool = False
    final_url: str | None = None  # where redirects led, when they did

    def how(self) -> str:
        """What a reason should add of an answer that came other than asked: after a redirect (to a
        sign-in page, say), or a 200 whose body is not JSON; "" otherwise."""
        parts = []
        if self.final_url and self.final_url != self.url:
            parts.append(f"after a redirect to {self.final_url[:160]}")
        if self.status == 200 and self.data is None:
            parts.append("its body not JSON")
        return f" ({', '.join(parts)})" if parts else ""

    def error_code(self) -> tuple[str | None, str | None]:
        """(`error`, `message`) of a JSON error body (`{"error": "NotFound", "message": "..."}`)."""
        if not isinstance(self.data, dict):
            return None, None
        code, message = self.data.get("error"), self.data.get("message")
        return (str(code) if code is not None else None), (str(message) if message is not None else None)

    def unanswered(self, what: str) -> Probe:
        """The probe of a post whose endpoint gave no answer: nothing is known of the post."""
        if self.refused:  # the network policy's own words say where and why
            return Probe("unknown", self.error, refused=True)
        return Probe("unavailable", f"{what}: {self.error}", network_failed=self.network_failed)


def ask(client: HttpGetter, url: str, *, follow_redirects: bool = True) -> Answer:
    """GET `url` (every exchange lands in the capture's WARC); never raises for network trouble."""
    from archiver.capture.types import Failure, answer_or_failure

    resp = answer_or_failure(client, url, follow_redirects=follow_redirects)
    if isinstance(resp, Failure):
        return Answer(url, None, error=resp.error, network_failed=resp.network_failed, refused=resp.refused)
    try:
        data = resp.json()
    except ValueError:
        data = None
    try:
        final: str | None = str(resp.url)
    except RuntimeError:  # an answer made without its request (a test's)
        final = None
    return Answer(url, resp.status_code, data, resp.text[:2000], final_url=final)


_OG_TITLE = re.compile(r"^(?P<name>.*?)\s*\(@(?P<handle>[^()\s]+)\)")


def read_open_graph(html: str) -> PostData | None:
    """The post an archived page shows in its OpenGraph tags (`og:description` its text, `og:title`
    "Name (@handle)"), or None when the page shows no post (a login page, an error page)."""
    from archiver.capture.embedpage import PostData, meta, parse_html

    tree = parse_html(html)
    text = meta(tree, "og:description")
    if text is None:
        return None
    title = _OG_TITLE.match(meta(tree, "og:title") or "")
    return PostData(text=text, author=(title.group("name") or None) if title else None,
                    handle=title.group("handle") if title else None,
                    posted_at=meta(tree, "article:published_time"))


def archived_copy(forms: Callable[[str], list[str]]) -> WaybackSource:
    """The Wayback fallback of a platform whose post pages carry OpenGraph tags: the closest copy of
    any of the post's URLs `forms(url)` (its page, its embed), counted only when it shows the post."""
    from archiver.capture.embedpage import wayback_source

    return wayback_source(forms, read_open_graph)
