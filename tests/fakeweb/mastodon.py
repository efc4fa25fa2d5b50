"""Mastodon instances and Truth Social on the fake web: the status API, status pages, embeds, media.

`FakeWeb(dir, handlers=mastodon.HANDLERS)`. Answers follow Mastodon's API documentation (the
Status entity; `GET /api/v1/statuses/:id`: 200, 401 `{"error": "This API requires an authenticated
user"}`, 404 `{"error": "Record not found"}`), cited in docs/platforms.md.

mastodon.social: one live status with a photo, one deleted (API and page 404), one whose API
answers 404 while its page still shows (one signal), and one of fosstodon.org's account (as
mastodon.social shows another server's status: `/@harbourlib@fosstodon.org/ID`). members.example: an instance that requires
login for its whole API (401). truthsocial.com: live, deleted, and one answered 401 (standing for
an API that asks for login).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tests.fakerender import png

from .app import Handler, Request, Response, SiteState, not_found, redirect, text


@dataclass(frozen=True)
class Status:
    host: str
    id: str
    user: str
    name: str
    content: str
    created_at: str
    media_host: str | None = None
    media_key: str | None = None
    shade: int = 70

    def photo(self, size: str) -> bytes:
        """The photo at `original` size (1200x900: what `url` points at) or `small` (`preview_url`)."""
        return png(1200, 900, self.shade) if size == "original" else png(200, 150, self.shade)

    @property
    def url(self) -> str:
        return f"https://{self.host}/@{self.user}/{self.id}"

    def media_url(self, size: str) -> str:
        return f"https://{self.media_host}/media_attachments/files/{self.id[:3]}/{self.id[3:6]}/{size}/{self.media_key}.png"


LIVE = Status("mastodon.social", "112036911513600000", "rivertonwater", "Riverton Water Board",
              '<p>Boil-water notice lifted for <a href="https://mastodon.social/tags/Riverton" class="mention hashtag" '
              'rel="tag">#<span>Riverton</span></a> east. Details: <a href="https://water.example/notice" '
              'rel="nofollow noopener" target="_blank">water.example/notice</a></p><p>Thank you &amp; stay safe.</p>',
              "2024-03-04T10:20:00.000Z", "files.mastodon.social", "f00dfacecafe0001")
DELETED_ID = "112037088460800000"  # rivertonwater's, gone: API and page answer 404
ONE_SIGNAL_ID = "112037462016000000"  # the API answers 404, the page still answers 200
LOGIN_HOST = "members.example"  # requires login for its whole API
LOGIN_ID = "112037579980800000"

TS_LIVE = Status("truthsocial.com", "112038130483200000", "rivertonmayor", "Mayor of Riverton",
                 "<p>The bridge reopens Monday.<br>Thank you to every crew.</p>", "2024-03-04T15:30:00.000Z",
                 "static-assets-1.truthsocial.com", "beefcafe00000002", shade=71)
TS_DELETED_ID = "112038425395200000"
TS_LOGIN_ID = "112036596940800000"

# A status of another server's account, as mastodon.social knows it: under an ID of its own; its home
# server (fosstodon.org) holds it under another. Mastodon's routes give such a status no page and no
# embed of its own on mastodon.social: `/@user/ID(/embed)` finds only local accounts (404), and
# `/@user@server/ID` sends an anonymous reader on to the status's home server (a "you are leaving"
# page, `/redirect/statuses/ID`).
HOME = Status("fosstodon.org", "112037999000000000", "harbourlib", "Harbour Library",
              "<p>The reading room reopens on Monday.</p>", "2024-03-04T12:00:00.000Z")
REMOTE_ID = "112038000000000000"
REMOTE = {("mastodon.social", REMOTE_ID): HOME}

STATUSES = {(s.host, s.id): s for s in (LIVE, TS_LIVE, HOME)}
GONE = {("mastodon.social", DELETED_ID), ("truthsocial.com", TS_DELETED_ID)}
LOGIN = {(LOGIN_HOST, LOGIN_ID), ("truthsocial.com", TS_LOGIN_ID)}


def _json(status: int, body: Any) -> Response:
    return text(status, json.dumps(body, ensure_ascii=False), "application/json; charset=utf-8")


def status_entity(s: Status) -> dict[str, Any]:
    """A Status entity as the API documents it (the fields the capture reads, and a few more)."""
    media = []
    if s.media_key:
        media.append({"id": "1", "type": "image", "url": s.media_url("original"), "preview_url": s.media_url("small"),
                      "remote_url": None, "description": "The east side of town",
                      "meta": {"original": {"width": 1200, "height": 900}, "small": {"width": 200, "height": 150}}})
    return {"id": s.id, "created_at": s.created_at, "in_reply_to_id": None, "sensitive": False, "spoiler_text": "",
            "visibility": "public", "language": "en", "uri": f"https://{s.host}/users/{s.user}/statuses/{s.id}",
            "url": s.url, "content": s.content, "reblog": None, "card": None, "poll": None,
            "account": {"id": "1", "username": s.user, "acct": s.user, "display_name": s.name,
                        "url": f"https://{s.host}/@{s.user}"},
            "media_attachments": media, "mentions": [], "tags": [], "emojis": []}


def remote_entity(local_id: str, s: Status) -> dict[str, Any]:
    """The Status entity an instance gives for another server's status: its own ID, the account's
    `acct` with its server, and the status's `url` and `uri` on its home server."""
    entity = status_entity(s)
    entity["id"] = local_id
    entity["account"] = {**entity["account"], "id": "9", "acct": f"{s.user}@{s.host}"}
    return entity


def _page(s: Status, embed: bool) -> Response:
    img = f'<img src="{s.media_url("small")}" width=200 height=150>' if s.media_key else ""
    cls = "embed" if embed else "public"
    return text(200, f"<!doctype html><title>{s.name}</title><body class=\"{cls}\"><div class=\"detailed-status\">"
                     f"<b>{s.name}</b> @{s.user}<div class=\"status__content\">{s.content}</div>{img}"
                     f"<time datetime=\"{s.created_at}\">{s.created_at[:10]}</time></div></body>")


def instance(req: Request, state: SiteState) -> Response:
    api = re.fullmatch(r"/api/v1/statuses/(\d+)", req.path)
    if api:
        key = (req.host, api.group(1))
        if req.host == LOGIN_HOST or key in LOGIN:
            return _json(401, {"error": "This API requires an authenticated user"})
        if key in REMOTE:
            return _json(200, remote_entity(api.group(1), REMOTE[key]))
        found = STATUSES.get(key)
        return _json(200, status_entity(found)) if found else _json(404, {"error": "Record not found"})
    remote = re.fullmatch(r"/@[A-Za-z0-9_]+@[a-z0-9.-]+/(\d+)(/.*)?", req.path)
    if remote:
        # The web app's route: an anonymous reader is sent on to a remote status's own server.
        if (req.host, remote.group(1)) in REMOTE:
            return redirect(f"https://{req.host}/redirect/statuses/{remote.group(1)}", 302)
        return text(200, "<!doctype html><title>Mastodon</title><div id=\"mastodon\"></div>")
    leaving = re.fullmatch(r"/redirect/statuses/(\d+)", req.path)
    if leaving and (req.host, leaving.group(1)) in REMOTE:
        home = REMOTE[(req.host, leaving.group(1))]
        return text(200, f"<!doctype html><title>Mastodon</title><p>You are leaving {req.host}.</p>"
                         f'<a href="{home.url}">{home.url}</a>')
    page = re.fullmatch(r"/@([A-Za-z0-9_]+)/(\d+)(/embed)?", req.path)
    if page:
        found = STATUSES.get((req.host, page.group(2)))
        if found is not None:
            return _page(found, bool(page.group(3)))
        if req.host == "mastodon.social" and page.group(2) == ONE_SIGNAL_ID and not page.group(3):
            return text(200, "<!doctype html><title>Mastodon</title><div id=\"mastodon\"></div>")
        return text(404, "<!doctype html><title>The page you are looking for isn't here.</title>"
                         "<p>The page you are looking for isn't here.</p>")
    return not_found()


def files(req: Request, state: SiteState) -> Response:
    for s in STATUSES.values():
        if s.media_host == req.host:
            for size in ("original", "small"):
                if req.path == s.media_url(size).split(req.host, 1)[1]:
                    return Response(200, s.photo(size), "image/png")
    return not_found()


HANDLERS: dict[str, Handler] = {"mastodon.social": instance, LOGIN_HOST: instance, "truthsocial.com": instance,
                                "fosstodon.org": instance,
                                "files.mastodon.social": files, "static-assets-1.truthsocial.com": files}
