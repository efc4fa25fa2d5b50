"""Following a link hop by hop, as curl would, to where it leads: 3xx answers, and the page forms
of a redirect (a meta refresh, `location.replace(...)`) that shorteners show browsers.

Nothing is followed automatically: each hop is one request through the caller's client (a
RecordingClient records it), so every hop of a short link is in the WARC. Used by the platforms'
short links (t.co, TikTok's and Reddit's share links): each says where to stop.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, TypeVar
from urllib.parse import urljoin

from archiver.capture.types import Failure
from archiver.errors import NetworkError, NetworkUnreachable

if TYPE_CHECKING:
    import httpx

    from archiver.capture.types import HttpGetter

log = logging.getLogger(__name__)
T = TypeVar("T")

_META = re.compile(r"<meta\b[^>]*>", re.I)
_HTTP_EQUIV_REFRESH = re.compile(r"""http-equiv\s*=\s*["']?\s*refresh\b""", re.I)
_CONTENT = re.compile(r"""\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d*)?\s*[;,]?\s*url\s*=\s*(['"]?)(?P<url>.*?)\1\s*$""", re.I | re.S)
_JS_REDIRECT = re.compile(
    r"""\blocation(?:\.href)?\s*(?:\.replace\(\s*|=\s*)(?P<q>["'])(?P<url>(?:\\.|(?!(?P=q)).)*)(?P=q)""",
    re.S,
)
_MAX_BODY = 256 * 1024  # a redirect page is tiny; never scan a whole article for one


class Hop(NamedTuple):
    """One step: the URL asked for, its HTTP status (None: unwrapped without a request), where it led."""

    url: str
    status: int | None
    location: str | None


@dataclass
class Resolution:
    """Where a short link led, hop by hop (failures: capture/types.py)."""

    url: str  # the link as normalised before the first request
    final_url: str | None = None
    hops: list[Hop] = field(default_factory=list)
    error: str | None = None
    network_failed: bool = False
    refused: bool = False  # the network policy refused a hop (named in `error`)
    # The hop that failed met no answer from its server (a refused or reset connection, a TLS
    # failure, a timeout, no name resolved): where the link leads is not known, which an answer
    # that leads nowhere (a 404, a loop) would have told. A refusal of the policy is not one.
    unanswered: bool = False

    def said(self, link: str) -> str:
        """The failure, named by the address that met it: `link` first when that was a later hop."""
        error = self.error or "no error"
        return error if error.startswith(self.url) else f"{link}: {error}"


def page_redirect(body: str, base_url: str) -> str | None:
    """The target of a meta refresh or a `location.replace("...")` in a small HTML page."""
    body = body[:_MAX_BODY]
    for tag in _META.findall(body):
        if not _HTTP_EQUIV_REFRESH.search(tag):
            continue
        c = _CONTENT.search(tag)
        if not c:
            continue
        content = html.unescape(c.group(1) or c.group(2) or c.group(3) or "")
        r = _REFRESH_URL.match(content)
        target = str(r.group("url")).strip() if r else ""
        if target:
            return _join(base_url, target)
    js = _JS_REDIRECT.search(body)
    if js:
        target = _js_string(js.group("url"))
        if target:
            return _join(base_url, target)
    return None


def _join(base_url: str, target: str) -> str | None:
    """`target` resolved against `base_url`; None when it is no URL at all (`http://[::1`)."""
    try:
        return urljoin(base_url, target)
    except ValueError:
        log.info("%s: unparsable redirect target %r; stopping there", base_url, target[:200])
        return None


def _js_string(raw: str) -> str:
    """Undo JavaScript string escapes (`\\/`, `\\u0026`, `\\x26`) as found in redirect scripts."""
    raw = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: "\\u00" + m.group(1), raw)
    try:
        value = json.loads('"' + raw.replace('"', '\\"').replace("\\'", "'") + '"')
    except ValueError:
        value = raw.replace("\\/", "/")
    return str(value).strip()


def follow(
    client: HttpGetter, url: str, *, stop: Callable[[str], bool], unwrap: Callable[[str], str | None] | None = None,
    max_hops: int = 10, user_agent: str | None = None,
) -> Resolution:
    """Follow `url` hop by hop until an address `stop` is true of (not asked), an answer that leads
    nowhere further, or `max_hops`; never raises for network trouble. `unwrap(url)`: the target of
    an interstitial address (a warning page naming it in its query), taken without a request.

    The default curl-like `user_agent` gets plain 3xx answers from shorteners; a browser agent gets
    their meta-refresh pages, which are followed too.
    """
    # Imported here: detection imports the platform registry, and a scan needs no HTTP stack.
    import httpx

    from archiver.capture.http import CURL_UA

    user_agent = user_agent or CURL_UA
    current = url
    res = Resolution(url=current)
    seen: set[str] = set()
    for _ in range(max_hops):
        target = unwrap(current) if unwrap is not None else None
        if target:
            res.hops.append(Hop(current, None, target))
            current = target
            continue
        if stop(current):
            res.final_url = current
            return res
        if current in seen:
            res.error = f"redirect loop at {current}"
            return res
        seen.add(current)
        answers = _answers(client)
        try:
            resp = client.get(current, headers={"User-Agent": user_agent}, follow_redirects=False)
        except (NetworkError, httpx.TransportError) as e:
            failed = Failure.of(e)
            res.refused, res.network_failed = failed.refused, failed.network_failed
            res.unanswered = not failed.refused and _met_no_answer(client, answers, e)
            said = str(e).removeprefix(f"GET {current}: ")  # the client's errors name the address already
            res.error = failed.error if failed.refused else f"{current}: {said or type(e).__name__}"
            log.info("resolve %s: %s", url, res.error)
            return res
        except httpx.InvalidURL as e:
            res.error = f"{current}: invalid URL: {e}"
            return res
        nxt = _next_url(resp, current)
        res.hops.append(Hop(current, resp.status_code, nxt))
        if nxt is None:
            res.final_url = current
            if resp.status_code >= 400:
                res.error = f"{current}: HTTP {resp.status_code}"
            elif 300 <= resp.status_code < 400:
                res.error = f"{current}: HTTP {resp.status_code} without an address to go on to"
            return res
        current = nxt
    res.error = f"more than {max_hops} hops"
    return res


def _answers(client: object) -> int | None:
    """How many answers `client` has met so far, when it keeps count (a RecordingClient bound to a
    batch does: `answered`, the status of every answer whose head arrived); None when it does not."""
    answered = getattr(client, "answered", None)
    return len(answered) if isinstance(answered, list) else None


def _met_no_answer(client: object, before: int | None, e: BaseException) -> bool:
    """Whether the request that raised `e` met no answer at all (no status line came): told by the
    client's count of answers when it keeps one (an answer cut off mid-body was an answer), else by
    what failed: the network, or a connection that could not be made (through a proxy too). An
    address that cannot be asked (a redirect's `Location` that is no address, whose answer the
    HTTP library gives up unread and uncounted; a host name that is not valid) is where the link
    led: a dead end, not a server that did not answer."""
    import httpx

    causes: list[BaseException] = []
    cause: BaseException | None = e
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__
    if any(isinstance(c, httpx.InvalidURL | ValueError | TypeError)
           or (isinstance(c, httpx.RemoteProtocolError) and "location header" in str(c).lower()) for c in causes):
        return False
    after = _answers(client)
    if before is not None and after is not None:
        return after == before
    return any(isinstance(c, NetworkUnreachable | httpx.ConnectError | httpx.ConnectTimeout | httpx.ProxyError)
               for c in causes)


def _next_url(resp: httpx.Response, url: str) -> str | None:
    if resp.is_redirect:
        location = resp.headers.get("location")
        return _join(url, location.strip()) if location else None
    if resp.status_code != 200:
        return None
    ctype = resp.headers.get("content-type", "").lower()
    head = resp.content[:_MAX_BODY]
    if "html" not in ctype and not head.lstrip().startswith(b"<"):
        return None
    return page_redirect(head.decode(resp.encoding or "utf-8", errors="replace"), url)


def led_to(resolution: Resolution, parse: Callable[[str], T | None]) -> T | None:
    """What `parse` reads from the address the link ended at, else from the last hop that gave
    something it reads (a redirect to a post's URL followed by a login wall still names the post)."""
    candidates = [resolution.final_url] + [h.location for h in reversed(resolution.hops)]
    for candidate in candidates:
        if candidate:
            found = parse(candidate)
            if found:
                return found
    return None
