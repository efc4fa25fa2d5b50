"""How a Mastodon status is asked about: `GET /api/v1/statuses/ID` on its own instance, then its page.

Public statuses need no token. A private status answers 404 exactly like a deleted one, so a 404
counts as `deleted` only when the status's own page (`https://HOST/@user/ID`) answers 404 too; one
404 alone is `unavailable`. A 401 means the instance requires login for its whole API
(`login_required`): whether the author limited the post cannot be known without an account.
An instance that does not answer is `unavailable`. Truth Social, a Mastodon fork, is asked alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from archiver.capture.types import given, json_list, json_text
from archiver.platforms.base import posted_from_data
from archiver.platforms.capture import (
    Answer,
    PostCheck,
    PostRef,
    Probe,
    about_another_post,
    archived_copy,
    ask,
    same_account_id,
)
from archiver.platforms.mastodon.detect import embed_url, match_status

if TYPE_CHECKING:
    from archiver.capture.types import HttpGetter

# (post) -> (instance host, status ID, the status page's URL), or None when the post names none.
Locate = Callable[[PostRef], "tuple[str, str, str] | None"]
# (account JSON, instance host) -> the handle as the platform's detection writes it.
HandleOf = Callable[[dict[str, Any], str], "str | None"]

_GONE = (404, 410)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>", re.I)
_PARA = re.compile(r"</p>\s*<p[^>]*>", re.I)
_HREF = re.compile(r"<a\s[^>]*>", re.I)



def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}

def html_text(content: Any) -> str | None:
    """A status's HTML `content` as plain text: paragraphs apart by a blank line, `<br>` a newline."""
    if not isinstance(content, str) or not content:
        return None
    text = _PARA.sub("\n\n", content)
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text)).strip()
    return text or None


def content_links(content: Any) -> list[str]:
    """Links in a status's text, without mentions and hashtags (Mastodon marks them by class)."""
    links: list[str] = []
    for tag in _HREF.findall(json_text(content) or ""):
        href = re.search(r'href="([^"]+)"', tag)
        classes = re.search(r'class="([^"]*)"', tag)
        if href is None or (classes and re.search(r"\b(?:mention|hashtag)\b", classes.group(1))):
            continue
        links.append(html.unescape(href.group(1)))
    return list(dict.fromkeys(links))


def mastodon_handle(account: dict[str, Any], host: str) -> str | None:
    """`user@host`, as detection names Mastodon accounts (`acct` lacks the host of local accounts)."""
    acct = account.get("acct")
    if not isinstance(acct, str) or not acct:
        return None
    return acct if "@" in acct else f"{acct}@{host}"


def status_fields(status: dict[str, Any], host: str, handle_of: HandleOf) -> dict[str, Any]:
    """The fields the index keeps from a Status entity; media at original size (`url`, never `preview_url`)."""
    account = _obj(status.get("account"))
    media = []
    for m in json_list(status.get("media_attachments")):
        if isinstance(m, dict) and (m.get("url") or m.get("remote_url")):
            media.append(str(m.get("url") or m.get("remote_url")))
    links = content_links(status.get("content"))
    card = status.get("card")
    if isinstance(card, dict) and card.get("url"):
        links = list(dict.fromkeys([*links, str(card["url"])]))
    out = {"handle": handle_of(account, host), "author": json_text(account.get("display_name")),
           "text": html_text(status.get("content")), "posted_at": posted_from_data(status.get("created_at")), "media": media,
           "links": links, "data": status}
    return given(out)


def home_page(status: dict[str, Any], host: str) -> str | None:
    """The page of another server's status on its own server (`https://server/@user/ID`, that
    server's ID), as `host`'s API names it: Mastodon gives a remote status the `url` its own server
    gave (`ActivityPub::TagManager#url_for`), and only that server renders it (`/embed`). None for
    a status of `host`'s own account, or when the `url` is no Mastodon status page on the account's
    server (another software's address, a server that does not match the account)."""
    acct = _obj(status.get("account")).get("acct")
    url = status.get("url")
    if not isinstance(acct, str) or "@" not in acct or not isinstance(url, str):
        return None
    found = match_status(url)
    if found is None:
        return None
    server, user, sid = found
    if server == host.lower() or server != acct.rpartition("@")[2].lower() or not user or "@" in user:
        return None
    return f"https://{server}/@{user}/{sid}"


def _said(answer: Answer) -> str:
    code = answer.error_code()[0]
    return (f'HTTP {answer.status} ("{code}")' if code else f"HTTP {answer.status}") + answer.how()


def _page_gone(client: HttpGetter, page_url: str, api: Answer, url: str) -> Probe:
    """The second signal: the status's own page. Both 404: deleted (or private: Mastodon says the same)."""
    page = ask(client, page_url)
    if page.status is None:
        return Probe("unavailable", f"the status API answered {_said(api)}; the post page: {page.error}", url=url,
                     network_failed=page.network_failed)
    if page.status in _GONE:
        return Probe("deleted", f"the status API answered {_said(api)} and the post page HTTP {page.status}: deleted, "
                                "or made private (Mastodon answers both alike)", url=url)
    return Probe("unavailable", f"the status API answered {_said(api)} but the post page HTTP {page.status}: one "
                                "signal alone", url=url)


def make_probe(locate: Locate, handle_of: HandleOf) -> Callable[[PostRef, HttpGetter], Probe]:
    """The probe of a Mastodon-style network (`locate` finds a post's instance, ID and page)."""

    def probe(post: PostRef, client: HttpGetter) -> Probe:
        found = locate(post)
        if found is None:
            return Probe("unknown", "the post's instance and status ID are not known")
        host, sid, page_url = found
        api = ask(client, f"https://{host}/api/v1/statuses/{sid}")
        if api.status is None:
            return api.unanswered(f"{host} did not answer")
        if api.status == 200 and isinstance(api.data, dict) and api.data.get("id"):
            if str(api.data["id"]) != sid:
                return about_another_post(f"the status API (status {str(api.data['id'])[:30]})", post.url)
            fields = status_fields(api.data, host, handle_of)
            return Probe("live", "the status API returned the post", url=home_page(api.data, host) or post.url,
                         fields=fields, media=tuple(fields.get("media") or ()), found=True)
        if api.status == 401:
            return Probe("login_required", f"{host} requires login for its whole API ({_said(api)})", url=post.url)
        if api.status in _GONE and api.error_code()[0] is not None:
            return _page_gone(client, page_url, api, post.url or page_url)
        if api.status in _GONE:
            # Not Mastodon's `{"error": "Record not found"}`: a parked domain or a site that only looks
            # like an instance 404s everything, which says nothing of the post.
            return Probe("unavailable", f"the status API answered {_said(api)}, not the error of a Mastodon server "
                                        f"(is {host} one, still?)", url=post.url)
        if api.status in (403, 429) and not isinstance(api.data, dict):
            return Probe("unavailable", f"{host} turned an anonymous client away (HTTP {api.status}): a bot wall or "
                                        "challenge says nothing about the post", url=post.url)
        return Probe("unavailable", f"the status API answered {_said(api)}", url=post.url)

    return probe


def _locate(post: PostRef) -> tuple[str, str, str] | None:
    host, _, sid = (post.post_id or "").partition("/")
    if not host or not sid.isdigit():
        return None
    page = post.url if post.url and match_status(post.url) else f"https://{host}/web/statuses/{sid}"
    return host, sid, page


def wayback_forms(url: str) -> list[str]:
    """A status's URLs to look for in the Wayback Machine: its page and its embed (a status of
    another server's account, as a host shows it, has no embed there: its page alone)."""
    return list(dict.fromkeys(u for u in (url, embed_url(None, url)) if u))


WAYBACK = archived_copy(wayback_forms)
# The author's account by its ID on the server asked (the post's own ID names that server).
SAME_ACCOUNT = same_account_id("account", "id")
CHECK = PostCheck(probe=make_probe(_locate, mastodon_handle), wayback=WAYBACK, same_account=SAME_ACCOUNT)
