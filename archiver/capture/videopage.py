"""What the video platforms share: their oEmbed answer, and the video page's own words about it.

YouTube, Vimeo and TikTok answer oEmbed without credentials (title, author, thumbnail). Its error
codes alone never settle a status: 404 covers a removed video and a wrong ID, 401/403 a private
video and one whose owner turned embedding off. The video's page (YouTube's watch page, Vimeo's
player, TikTok's embed player) is asked too, and its own words ("This video is private", "removed
for violating …", "Sign in to confirm your age") decide the status and are kept as the reason.
A bot wall ("confirm you're not a bot") is `unavailable`, never a statement about the video.
Both exchanges go through the recording client, so both are in the WARC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archiver.capture.embedpage import PostData, fetch_page, unless_doubted, words_status

if TYPE_CHECKING:
    from archiver.capture.types import HttpGetter
    from archiver.platforms.capture import PostCheck, PostRef, WaybackSource

# (post data the page shows, the page's own statement of why it will not play, or None)
PageReader = Callable[[str], tuple["PostData | None", "str | None"]]


@dataclass(frozen=True)
class VideoSite:
    """How one video platform is asked about a video (see the module docstring).

    `page_url(post)`: the page whose words speak for the video; `read_page(html)`; `words`:
    (lower-case phrase, status) of the page's statements; `codes`: what an oEmbed error code says
    when the page says nothing (always `unavailable`, the reason naming what the code covers).
    `from_oembed(data)`: post fields of an oEmbed answer. `oembed_about(data)` and
    `page_about(html)`: the ID of the video an oEmbed answer or the page is about, when it says
    (an answer about another video than the one asked about is no answer: a cache or proxy mixed
    them up).
    """

    page_url: Callable[[PostRef], str | None]
    read_page: PageReader
    words: tuple[tuple[str, str], ...]
    codes: dict[int, str]
    from_oembed: Callable[[dict[str, Any]], PostData]
    oembed_about: Callable[[dict[str, Any]], str | None] = lambda _data: None
    page_about: Callable[[str], str | None] = lambda _page: None
    # Why the page's words that a video is gone may not mean it of this one (None: they do).
    gone_doubt: Callable[[PostRef], str | None] = lambda _post: None


def json_after(page: str, marker: re.Pattern[str]) -> Any:
    """The JSON value that starts right after `marker` in a page (a script's assignment), or None."""
    m = marker.search(page)
    if m is None:
        return None
    try:
        value, _ = json.JSONDecoder(strict=False).raw_decode(page, m.end())
    except ValueError:
        return None
    return value


def _merge(first: PostData | None, second: PostData | None) -> PostData | None:
    if first is None or second is None:
        return first or second
    return PostData(handle=first.handle or second.handle, author=first.author or second.author,
                    text=first.text or second.text, posted_at=first.posted_at or second.posted_at,
                    media=first.media or second.media)


def video_check(platform: str, site: VideoSite, wayback: WaybackSource, selectors: tuple[str, ...]) -> PostCheck:
    """The post check of a video platform: oEmbed plus the video page's words."""
    # Here, not at the top: the platform packages import this module while the registry loads.
    from archiver.platforms.capture import PostCheck, Probe, about_another_post, outage

    def probe(post: PostRef, client: HttpGetter) -> Probe:
        from archiver.capture.oembed import fetch_metadata  # it imports the registry, which imports this

        if not post.url:
            # oEmbed asked about "" answers about no video: an error there is no word on this one.
            return Probe("unknown", "not asked: no URL of the post is known", unusable=True)
        meta = fetch_metadata(client, platform, post.url)
        url = site.page_url(post)
        page = fetch_page(client, url) if url else None
        # A page its server refused (429) or failed to make (5xx) is no word of the platform's: its
        # text ("Service Unavailable") says nothing of the video.
        page_usable = page is not None and page.text and not outage(page.status)
        page_data, said = site.read_page(page.text) if page_usable and page is not None else (None, None)
        code = meta.status if meta is not None else None
        # Only an answer that can be read counts as oEmbed's word on the video.
        unreadable = meta.unreadable if meta is not None else None
        answered = code == 200 and unreadable is None
        heard = unreadable or (f"oEmbed answered {code}" if code is not None else "oEmbed had no answer")
        other = _another(post.post_id, site.oembed_about(meta.data) if meta is not None and answered else None)
        if other is not None:
            return about_another_post(f"oEmbed (video {other})", post.url)
        other = _another(post.post_id, site.page_about(page.text) if page_usable and page is not None else None)
        if other is not None:
            return about_another_post(f"the video page (video {other})", post.url)
        oembed_data = site.from_oembed(meta.data) if meta is not None and answered else None
        # The page is about the video itself; oEmbed fills in what it leaves out.
        data = _merge(page_data, oembed_data)
        stored = data.fields() if data is not None and data.recovered else {}
        if meta is not None and answered and stored:
            stored["data"] = meta.data
        media = tuple(data.media) if data is not None and data.recovered else ()
        network_failed = (meta is None or meta.network_failed) and (page is None or page.network_failed)
        refused = bool(meta is not None and meta.refused) and bool(page is None or page.refused)
        if said:
            found = words_status(said, site.words)
            status = found[0] if found is not None else "unavailable"
            reason = said if code is None or answered else f"{said} ({heard})"
            status, doubted = unless_doubted(status, reason, site.gone_doubt(post))
            reason = doubted or reason
            if status == "unavailable" and found is not None and found[1] and "bot" in found[1].lower():
                media, stored = (), {}  # a bot wall: nothing was learnt about the video
            return Probe(status, reason, fields=stored, media=media,
                         network_failed=network_failed, refused=refused, found=bool(stored))
        if answered or (page_data is not None and page_data.recovered):
            # Which of the two said so; oEmbed may refuse what the page plays (embedding turned off).
            shown = page_data is not None and page_data.recovered
            said_live = (("oEmbed answered 200 and the video page shows the video" if shown else "oEmbed answered 200")
                         if answered else f"the video page plays it ({heard})")
            return Probe("live", said_live, fields=stored, media=media, found=True)
        if code is None and (page is None or page.status is None):
            why = (meta.error if meta is not None else None) or (page.error if page is not None else None)
            return Probe("unknown" if refused else "unavailable", why, network_failed=network_failed, refused=refused)
        page_said = (f"the video page answered HTTP {page.status}"
                     if page is not None and page.status not in (None, 200) else "")
        if unreadable:
            # Nothing was learnt about the video: neither its page nor oEmbed said anything.
            return Probe("unknown", f"no source settled it: {heard}; {page_said or 'the video page did not say'}")
        reason = site.codes.get(code or 0) or (f"oEmbed answered {code}" if code else "oEmbed had no answer")
        # oEmbed refused or failed and the page showed nothing either way: nothing was learnt.
        return Probe("unavailable", reason + (f"; {page_said}" if page_said else ""), unusable=outage(code))

    return PostCheck(probe=probe, element_selectors=selectors, wayback=wayback)


def _another(wanted: str | None, about: str | None) -> str | None:
    """The other video an answer is about (its ID, as shown), or None when it is about `wanted` or
    does not say."""
    if not wanted or not about or about == wanted:
        return None
    return about[:40]


def embed_src_id(data: dict[str, Any], pattern: re.Pattern[str]) -> str | None:
    """The video ID in an oEmbed answer's `html` (its player's address), by `pattern`'s first group."""
    html = data.get("html")
    m = pattern.search(html) if isinstance(html, str) else None
    return m.group(1) if m else None
