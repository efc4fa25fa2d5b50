"""Mastodon (any instance): `blockquote.mastodon-embed`, `iframe.mastodon-embed`, status links.

A status ID is only unique on its instance, so `post_id` is `<instance>/<id>`. Since Mastodon 2.0
IDs are snowflakes (`ms << 16`); older sequential IDs are small and carry no time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archiver.models import Post
from archiver.platforms.base import (
    Attrs,
    EmbedContext,
    EmbedRule,
    FlatPost,
    Platform,
    UrlMatch,
    build_post,
    has_class,
    href_of,
    iso_from_ms,
    plausible_ms,
    unquote_at,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from selectolax.lexbor import LexborNode

    from archiver.detect.units import Unit

# Well-known instances: links there count with any ID. Elsewhere a link needs a snowflake-size ID
# to be taken for a Mastodon status (plenty of sites use `/@name/123` paths for other things).
KNOWN_INSTANCES: tuple[str, ...] = (
    "mastodon.social",
    "mastodon.online",
    "mstdn.social",
    "mas.to",
    "fosstodon.org",
    "hachyderm.io",
    "infosec.exchange",
    "mastodon.world",
    "journa.host",
    "mastodon.cloud",
    "techhub.social",
    "sigmoid.social",
    "social.bund.de",
    "chaos.social",
    "det.social",
    "troet.cafe",
)
STATUS_PATH_RE = re.compile(
    r"^(?:https?:)?//(?P<host>[a-z0-9.-]+\.[a-z]{2,})(?::[0-9]+)?"
    # `/@user/ID`, `/@user@server/ID` (an account of another server, as this one shows it),
    # `/users/user/statuses/ID`, `/web/@user/ID`, `/web/statuses/ID` (no user named)
    r"/(?:web/)?(?:@(?P<user>[A-Za-z0-9_.-]{1,64})(?:@(?P<server>[a-z0-9.-]+\.[a-z]{2,}))?"
    r"|users/(?P<user2>[A-Za-z0-9_.-]{1,64})/statuses|(?P<web>web/statuses))"
    r"/(?:posts/)?(?P<id>[0-9]{1,20})(?P<embed>/embed)?(?=[/?#]|$)",
    re.IGNORECASE,
)
SNOWFLAKE_MIN = 1 << 40  # below this an ID is sequential (pre-2.0), never a time


def status_time(numeric_id: str) -> str | None:
    """Creation time from a snowflake-style status ID (`ID >> 16` ms), else None."""
    try:
        n = int(numeric_id)
    except ValueError:
        return None
    if n < SNOWFLAKE_MIN:
        return None
    ms = n >> 16
    return iso_from_ms(ms) if plausible_ms(ms, 2016) else None


def match_status(url: str) -> tuple[str, str | None, str] | None:
    """(host, user, numeric ID) of a Mastodon-style status URL on any host, else None. The user is
    `user@server` for an account of another server than the host's, None when the URL names none."""
    m = STATUS_PATH_RE.match(unquote_at(url))
    if not m:
        return None
    # The instance's own name, `m.` or `www.` and all: status IDs are each server's own, and
    # m.cmx.im is one server, cmx.im another.
    host = m.group("host").lower()
    user = m.group("user") or m.group("user2")
    server = (m.group("server") or "").lower()
    if user and server and server != host:
        user = f"{user}@{server}"
    return host, user, m.group("id")


def _canonical(post_id: str, handle: str | None) -> str:
    """The status as its host shows it: `/@user/ID` for its own account, `/@user@server/ID` for
    another server's, `/web/statuses/ID` when the account is not known."""
    host, _, sid = post_id.partition("/")
    user, _, server = (handle or "").partition("@")
    if not user:
        return f"https://{host}/web/statuses/{sid}"
    return f"https://{host}/@{user}/{sid}" if server in ("", host) else f"https://{host}/@{user}@{server}/{sid}"


def _time(post_id: str) -> str | None:
    return status_time(post_id.rpartition("/")[2])


def _match(host: str, user: str | None, sid: str) -> UrlMatch:
    post_id = f"{host}/{sid}"
    handle = (user if "@" in user else f"{user}@{host}") if user else None
    return UrlMatch(post_id, _canonical(post_id, handle), handle)


def parse_url(url: str) -> UrlMatch | None:
    """A status URL on a known instance (any ID size) -> (`host/id`, canonical URL, user@host)."""
    found = match_status(url)
    if found is None or found[0] == "truthsocial.com":
        return None
    return _match(*found)


def parse_any_host(url: str) -> UrlMatch | None:
    """A status URL on an instance nobody listed: trusted only with a snowflake-size ID."""
    found = match_status(url)
    if found is None or found[0] == "truthsocial.com" or status_time(found[2]) is None:
        return None
    return _match(*found)


def make_embed_rules(
    platform: Callable[[], Platform], wanted: Callable[[str], bool], css_class: str
) -> tuple[EmbedRule, ...]:
    """Blockquote and iframe rules of a Mastodon-style network (shared with Truth Social)."""

    def blockquote(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
        url = attrs.get("data-embed-url") or ""
        if not url and not has_class(attrs, css_class):
            return None
        found = match_status(url) if url else None
        if found is None:
            for a in node.css("a[href]"):
                found = match_status(href_of(a)) or found
        if found is None or not wanted(found[0]):
            return None
        plat = platform()
        match = plat.parse_url(url) or _match(*found)
        text = None
        p = node.css_first("p")
        if p is not None and not p.text().strip().lower().startswith("post by"):
            text = p.text()
        return [ctx.embedded(plat, _blockquote_label(attrs, css_class), match, text=text)]

    def iframe(node: LexborNode, attrs: Attrs, ctx: EmbedContext) -> list[Post] | None:
        src = attrs.get("src") or attrs.get("data-src") or ""
        found = match_status(src)
        if found is None or not wanted(found[0]):
            return None
        if not (has_class(attrs, css_class) or src.split("?")[0].rstrip("/").endswith("/embed")):
            return None
        plat = platform()
        match = plat.parse_url(src) or _match(*found)
        label = f"iframe.{css_class}" if has_class(attrs, css_class) else "iframe[src]"  # by its /embed address
        return [ctx.embedded(plat, label, match)]

    return (
        EmbedRule(("blockquote",), blockquote, needs=("class", "data-embed-url")),
        EmbedRule(("iframe",), iframe, needs=("src", "data-src")),
    )


def _blockquote_label(attrs: Attrs, css_class: str) -> str:
    """The evidence naming an embed blockquote by what it holds: the network's class, another
    `*-embed` class (a Mastodon embed of a Truth Social post), else its `data-embed-url`."""
    if has_class(attrs, css_class):
        return f"blockquote.{css_class}"
    other = next((c for c in (attrs.get("class") or "").split() if c.lower().endswith("-embed")), None)
    return f"blockquote.{other}" if other else "blockquote[data-embed-url]"


_EMBED_STATUS = re.compile(r"^https://([^/]+)/@([A-Za-z0-9_]+)(?:@([^/]+))?/([0-9]+)(?:[/?#]|$)", re.I)


def embed_url(post_id: str | None, url: str | None) -> str | None:
    """Mastodon (and its forks) render a public status of one of their own accounts at
    `https://HOST/@user/ID/embed`.

    A status of another server's account, as HOST shows it (`/@user@server/ID`), has no embed on
    HOST: Mastodon's routes send `/@user/ID/embed` (and `/users/user/statuses/ID/embed`) to
    `StatusesController#embed`, which finds the account with `Account.find_local!` (404 for
    another server's), and `/@user@server/...` to the web app, which sends an anonymous reader on to
    the status's home server (`PermalinkRedirector`: a redirect, or a "you are leaving" page). The
    status's page on HOST is returned for it as it is: the check's probe names the status's own
    page on its home server when HOST's API answers with it, and that page's `/embed` is rendered."""
    m = _EMBED_STATUS.match(url or "")
    if m:
        host, user, server, sid = m.groups()
        if server and server.lower() != host.lower():
            return f"https://{host}/@{user}@{server}/{sid}"
        return f"https://{host}/@{user}/{sid}/embed"
    return url


def oembed_endpoint(url: str) -> str | None:
    """Every Mastodon instance serves its own oEmbed: the endpoint is on the post's host."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return f"https://{host.lower()}/api/oembed?url=" if host else None


# --- flattened into text -------------------------------------------------------------------------
# The embed snippet (Mastodon 4.3 and later) holds no post text: once its markup is gone, what is
# left is "Post by @user@instance" and "View on Mastodon", both inside the link to the status. The
# line must be nothing but that; the status ID comes from the link when it survived.
_POST_BY_RE = re.compile(
    r"^Post by @(?P<user>[A-Za-z0-9_.]{1,64})@(?P<host>[a-z0-9.-]+\.[a-z]{2,})\s*(?:View on Mastodon)?$",
    re.IGNORECASE,
)
_VIEW_ON = "view on mastodon"


def _flattened(units: Sequence[Unit], source: str) -> list[FlatPost]:
    found: list[FlatPost] = []
    for i, unit in enumerate(units):
        if "@" not in unit.text:
            continue
        m = _POST_BY_RE.match(unit.text)
        if m is None:
            continue
        last = i + 1 if i + 1 < len(units) and units[i + 1].text.strip().lower() == _VIEW_ON else i
        user, host = m.group("user"), m.group("host").lower()
        match = None
        for link in (link for k in range(i, last + 1) for link in units[k].links):
            status = match_status(link)
            if status is not None and status[0] != "truthsocial.com":
                match = _match(*status)
        post = build_post(
            PLATFORM, kind="embedded", source=source, evidence="text-byline", match=match, handle=f"{user}@{host}"
        )
        found.append(FlatPost(i, i, last, post))
    return found


PLATFORM: Platform = Platform(
    name="mastodon",
    hosts=KNOWN_INSTANCES,
    parse_url=parse_url,
    rules=make_embed_rules(lambda: PLATFORM, lambda host: host != "truthsocial.com", "mastodon-embed"),
    time_from_id=_time,
    canonical=_canonical,
    any_host=parse_any_host,
    # status links on unlisted instances: /@user/ID, /@user@host/ID (%40 for @), /users/user/statuses/ID,
    # /web/statuses/ID
    any_host_hint=("/@", "/%40", "/users/", "/web/statuses/"),
    embed_url=embed_url,
    oembed=oembed_endpoint,
    flattened=_flattened,
    flattened_hints=("Post by @",),
)
