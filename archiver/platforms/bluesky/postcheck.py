"""How a Bluesky post's status is asked about: the public AppView, credential-free.

A handle is resolved to the account's DID (`com.atproto.identity.resolveHandle`; a held post is
asked about by the DID its last answer gave, which outlives a change of handle, unless the article
names another author for the same record key and that author's handle resolves), then the post is
read with `app.bsky.feed.getPostThread` on `public.api.bsky.app`. To an anonymous reader a post
deleted by its author and one taken down by moderation both answer `NotFound`; the author's
profile (`app.bsky.actor.getProfile`) then tells a whole account taken down (`AccountTakedown`)
from a post that is gone. Labels decide the rest: `!no-unauthenticated` (the author shows their
posts to signed-in readers only) and the adult-content labels Bluesky hides from signed-out readers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from archiver.capture.types import given, json_list
from archiver.platforms.base import posted_from_data
from archiver.platforms.bluesky.detect import AT_URI_RE, embed_url, parse_url
from archiver.platforms.capture import Answer, PostCheck, PostRef, Probe, about_another_post, archived_copy, ask, outage

if TYPE_CHECKING:
    from archiver.capture.types import HttpGetter

API = "https://public.api.bsky.app/xrpc/"
NO_UNAUTHENTICATED = "!no-unauthenticated"
# Labels whose posts bsky.app shows to no signed-out reader (adult content needs an account).
ADULT_LABELS = ("porn", "sexual", "nudity")



def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}

def _actor(post: PostRef) -> tuple[str | None, str | None]:
    """Whom to ask about, and the DID to fall back on when a handle no longer resolves. The
    author's DID when the post's address names it; the DID of the answer the archive holds for the
    post when that answer's author bears the handle the address names (or the address names none);
    else the handle the address or the row names. The held answer is matched to the post by record
    key only, and two accounts' posts can share one: a handle that differs from the held author's
    is resolved first, and the held DID is used only if resolveHandle no longer knows the handle
    (InvalidRequest: a handle can change hands or be given up; a DID names the account for good)."""
    named = None
    found = parse_url(post.url or "")
    if found is not None:
        named = found.url.split("/profile/", 1)[1].split("/post/", 1)[0] or None
    if named is not None and named.startswith("did:"):
        return named, None
    held = _held_did(post)
    if held is not None and (named is None or named.lower() == (_held_handle(post) or "").lower()):
        return held, None
    return named or post.handle, held


def _held_handle(post: PostRef) -> str | None:
    """The author's handle in the answer held for the post."""
    data = getattr(post, "data", None)
    handle = _obj(_obj(data).get("author")).get("handle")
    return handle if isinstance(handle, str) else None


def _held_did(post: PostRef) -> str | None:
    """The author's DID in the answer held for the post (a held post's `data`: the postView whose
    `uri` is `at://DID/app.bsky.feed.post/RKEY`), when that answer is about this post's record key."""
    data = getattr(post, "data", None)
    uri = data.get("uri") if isinstance(data, dict) else None
    m = AT_URI_RE.match(uri) if isinstance(uri, str) else None
    if m is None or m.group("rkey") != post.post_id or not m.group("actor").startswith("did:"):
        return None
    return m.group("actor")


def _said(answer: Answer) -> str:
    code, message = answer.error_code()
    if code is None:
        return f"HTTP {answer.status}{answer.how()}"
    return f'{code} ("{message}")' if message else code


def _resolve(client: HttpGetter, actor: str, fallback: str | None = None) -> tuple[str | None, Probe | None]:
    """The DID of `actor` (a handle or a DID), or the probe that ends the check; `fallback` (a
    DID) when resolveHandle answers that it does not know the handle (InvalidRequest)."""
    if actor.startswith("did:"):
        return actor, None
    answer = ask(client, f"{API}com.atproto.identity.resolveHandle?handle={quote(actor, safe='')}")
    if answer.status is None:
        return None, answer.unanswered("resolveHandle")
    did = answer.data.get("did") if isinstance(answer.data, dict) else None
    if answer.status == 200 and isinstance(did, str) and did.startswith("did:"):
        return did, None
    if fallback is not None and answer.error_code()[0] == "InvalidRequest":
        return fallback, None
    return None, Probe("unavailable", f"resolveHandle {actor} answered {_said(answer)}")


def probe(post: PostRef, client: HttpGetter) -> Probe:
    """resolveHandle, getPostThread, and getProfile when the post was not found."""
    (actor, fallback), rkey = _actor(post), post.post_id
    if not actor:
        return Probe("unknown", "the post's author (handle or DID) is not known")
    if not rkey:
        return Probe("unknown", "the post's record key (the last part of its address) is not known")
    did, ended = _resolve(client, actor, fallback)
    if ended is not None or did is None:
        return ended or Probe("unknown")
    url = f"https://bsky.app/profile/{did}/post/{rkey}"
    uri = f"at://{did}/app.bsky.feed.post/{rkey}"
    thread = ask(client, f"{API}app.bsky.feed.getPostThread?uri={quote(uri, safe='')}&depth=0&parentHeight=0")
    if thread.status is None:
        return _with_url(thread.unanswered("getPostThread"), url)
    view = thread.data.get("thread") if thread.status == 200 and isinstance(thread.data, dict) else None
    kind = str(view.get("$type", "")) if isinstance(view, dict) else ""
    if thread.status == 200 and isinstance(view, dict) and isinstance(view.get("post"), dict):
        said_uri = str(view["post"].get("uri") or "")
        if said_uri and said_uri.rpartition("/")[2] != rkey:
            return about_another_post(f"getPostThread ({said_uri[:120]})", url)
        return _found(view["post"], url)
    if kind.endswith("#blockedPost"):
        return Probe("unavailable", "getPostThread answered blockedPost (an anonymous reader blocks no one)", url=url)
    if kind.endswith("#notFoundPost") or thread.error_code()[0] == "NotFound":
        return _not_found(client, did, url, "NotFound" if not kind else "notFoundPost")
    return Probe("unavailable", f"getPostThread answered {_said(thread)}", url=url, unusable=outage(thread.status))


def _with_url(found: Probe, url: str) -> Probe:
    return Probe(found.status, found.reason, url=url, network_failed=found.network_failed, refused=found.refused)


def _not_found(client: HttpGetter, did: str, url: str, said: str) -> Probe:
    profile = ask(client, f"{API}app.bsky.actor.getProfile?actor={quote(did, safe='')}")
    if profile.status is None:
        # No second signal: refused by the network policy (`unknown`, as for every refusal) or unanswered.
        return Probe("unknown" if profile.refused else "unavailable",
                     f"getPostThread answered {said}; getProfile: {profile.error}", url=url,
                     network_failed=profile.network_failed, refused=profile.refused)
    code, message = profile.error_code()
    if code == "AccountTakedown":
        return Probe("suspended", f"getPostThread answered {said}; getProfile answered {_said(profile)}", url=url)
    if code == "AccountDeactivated":
        return Probe("unavailable", f"getPostThread answered {said}; getProfile answered {_said(profile)} "
                                    "(the author may come back)", url=url)
    # Only Bluesky's own answers are a second signal: the author's profile itself, or its error
    # "Profile not found"; a proxy's or CDN's page (a 400 of HTML, a 200 sign-in page) says nothing.
    if profile.status == 200 and isinstance(profile.data, dict) and profile.data.get("did") == did:
        return Probe("deleted", f"getPostThread answered {said} while the author's profile answers: the post was "
                                "deleted by its author or taken down (Bluesky answers both alike)", url=url)
    if profile.status == 400 and code is not None and "not found" in (message or "").lower():
        return Probe("deleted", f"getPostThread answered {said}; getProfile answered {_said(profile)}: the post and "
                                "its account are gone", url=url)
    if profile.status == 200 and isinstance(profile.data, dict):
        why = " (about another account)"
    elif profile.status == 400 and code is None:
        why = " (not Bluesky's error)"
    else:
        why = ""
    return Probe("unavailable", f"getPostThread answered {said}; getProfile answered {_said(profile)}{why}",
                 url=url, unusable=outage(profile.status))


def same_account(held: PostRef, fields: dict[str, Any]) -> bool:
    """Whether the author of an answer (a probe's `fields`) is the account that wrote the held
    post: the DID of the answer held for it, when one is (a DID names an account for good, while a
    handle can change hands). Another account's post that shares the record key is no rename of
    the held author; a re-check tells a renamed author by this (`PostCheck.same_account`). True
    when either answer names no DID, as on every platform (`same_account_id`): the post's ID then
    vouches for the account."""
    did = _held_did(held)
    now = _obj(_obj(fields.get("data")).get("author")).get("did")
    return did is None or not isinstance(now, str) or not now or now == did


def _labels(*holders: Any) -> list[str]:
    out: list[str] = []
    for holder in holders:
        for label in json_list(holder.get("labels")) if isinstance(holder, dict) else []:
            if isinstance(label, dict) and isinstance(label.get("val"), str) and not label.get("neg"):
                out.append(label["val"])
    return out


def _found(view: dict[str, Any], url: str) -> Probe:
    author = _obj(view.get("author"))
    labels = _labels(view, author)
    if NO_UNAUTHENTICATED in labels:
        # The author asked that signed-out readers not see their posts: nothing of it is kept.
        return Probe("login_required", f'the author carries the label "{NO_UNAUTHENTICATED}": Bluesky shows their '
                                       "posts to signed-in readers only", url=url)
    fields = post_fields(view)
    media = tuple(fields.get("media") or ())
    adult = [v for v in labels if v in ADULT_LABELS]
    if adult:
        return Probe("age_restricted", f'labelled "{adult[0]}": Bluesky shows it to signed-in adults only', url=url,
                     fields=fields, media=media, found=True)
    return Probe("live", "getPostThread returned the post", url=url, fields=fields, media=media, found=True)


def full_size_images(embed: Any) -> list[str]:
    """The `fullsize` URL of every image of an embed view (images, or the media beside a quote)."""
    if not isinstance(embed, dict):
        return []
    kind = str(embed.get("$type", ""))
    if kind.startswith("app.bsky.embed.images"):
        return [str(i["fullsize"]) for i in json_list(embed.get("images")) if isinstance(i, dict) and i.get("fullsize")]
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return full_size_images(embed.get("media"))
    return []


def _links(record: dict[str, Any], embed: Any) -> list[str]:
    links: list[str] = []
    for facet in json_list(record.get("facets")):
        for feature in json_list(facet.get("features")) if isinstance(facet, dict) else []:
            if isinstance(feature, dict) and str(feature.get("$type", "")).endswith("#link") and feature.get("uri"):
                links.append(str(feature["uri"]))
    external = embed.get("external") if isinstance(embed, dict) else None
    if isinstance(external, dict) and external.get("uri"):
        links.append(str(external["uri"]))
    return list(dict.fromkeys(links))


def post_fields(view: dict[str, Any]) -> dict[str, Any]:
    """The fields the index keeps from a `postView`."""
    record = _obj(view.get("record"))
    author = _obj(view.get("author"))
    embed = view.get("embed")
    out = {"handle": author.get("handle"), "author": author.get("displayName"), "text": record.get("text"),
           "posted_at": posted_from_data(record.get("createdAt")), "media": full_size_images(embed), "links": _links(record, embed),
           "data": view}
    return given(out)


def wayback_forms(url: str) -> list[str]:
    """A post's URLs to look for in the Wayback Machine: its bsky.app page and its embed."""
    return list(dict.fromkeys(u for u in (url, embed_url(None, url)) if u))


CHECK = PostCheck(probe=probe, wayback=archived_copy(wayback_forms), same_account=same_account)
