"""How a Telegram channel post is asked about: its public widget page (`t.me/CHANNEL/ID?embed=1`).

The widget shows the channel's name (`.tgme_widget_message_owner_name`), the text
(`.tgme_widget_message_text`), the time (`time[datetime]` in the date link) and each photo as a
`background-image` of `a.tgme_widget_message_photo_wrap`. A post that is not there shows
`.tgme_widget_message_error` with "Post not found"; docs/platforms.md lists the words.
"""

from __future__ import annotations

from archiver.capture.embedpage import (
    EmbedPage,
    PostData,
    css_url,
    embed_check,
    embed_page_of,
    node_text,
    og_post,
    parse_html,
    post_and_embed_urls,
    wayback_source,
)
from archiver.platforms.base import iso_from_datetime_attr
from archiver.platforms.telegram.detect import embed_url

WORDS: tuple[tuple[str, str], ...] = (
    ("post not found", "deleted"),
    ("channel is private", "protected"),
    ("this channel can't be displayed", "withheld"),
    ("this channel can’t be displayed", "withheld"),
)


def parse_embed(page: str) -> PostData | None:
    """The post a Telegram widget page shows (None when it shows an error)."""
    tree = parse_html(page)
    message = tree.css_first(".tgme_widget_message")
    if message is None or tree.css_first(".tgme_widget_message_error") is not None:
        return og_post(page) if message is None and "tgme_widget_message_error" not in page else None
    post = (message.attributes.get("data-post") or "").split("/")
    owner = message.css_first(".tgme_widget_message_owner_name")
    when = message.css_first(".tgme_widget_message_date time[datetime]") or message.css_first("time[datetime]")
    media = [u for u in (css_url(a.attributes.get("style")) for a in message.css("a.tgme_widget_message_photo_wrap"))
             if u]
    return PostData(handle=post[0] or None if len(post) == 2 else None,
                    author=owner.text(strip=True) or None if owner is not None else None,
                    text=node_text(message.css_first(".tgme_widget_message_text")),
                    posted_at=iso_from_datetime_attr(when.attributes.get("datetime")) if when is not None else None,
                    media=list(dict.fromkeys(media)))


def shown_post(page: str) -> str | None:
    """The post a widget page shows (its message's `data-post`, `channel/ID`, as keys spell it)."""
    message = parse_html(page).css_first(".tgme_widget_message[data-post]")
    said = (message.attributes.get("data-post") or "").strip() if message is not None else ""
    channel, _, number = said.partition("/")
    return f"{channel.lower()}/{number}" if channel and number.isdigit() else None


CHECK = embed_check(EmbedPage(url=embed_page_of(embed_url), parse=parse_embed, words=WORDS, about=shown_post), wayback_source(post_and_embed_urls(embed_url), parse_embed),
                    (".tgme_widget_message",))
