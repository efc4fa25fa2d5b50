"""Posts flattened into an HTML page's text (one `<p>` per line, a class-less `<blockquote>`,
`<br>` lines, `<pre>`) give what the same article's plain text gives, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from archiver.detect import detect
from archiver.detect.blocks import read_units
from archiver.models import Document, Post

FIXTURES = Path(__file__).parent / "fixtures" / "flat"
FORMS = ("p", "blockquote", "br", "pre")

STORM_TWEETS = [
    # handle, author, date, text start, short link (media or link)
    ("PorthavenPort", "Porthaven Harbour", "2024-11-12", "All berths closed until further notice.", "pic.twitter.com/Hb7QzLp2Xa"),
    ("CoastguardSouth", "Coastguard South", "2024-11-12", "Please stay off the promenade", "https://t.co/Qw3RtY7uIo"),
    ("CoastalRailUK", "Coastal Rail 🚆", "2024-11-12", "Replacement buses run every 30 minutes", "pic.twitter.com/Cr4Lb8uSxN"),
]


def scan(name: str) -> list[Post]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return detect(Document(source=name, text=text, is_html=name.endswith(".html")))


def html(markup: str) -> list[Post]:
    return detect(Document(source="page.html", text=markup, is_html=True))


def fields(post: Post) -> dict[str, Any]:
    """Everything but the source (the file name differs between forms)."""
    d = post.to_dict()
    d.pop("source")
    return d


def _tweet_row(post: Post) -> tuple[str | None, str | None, str | None, str, str]:
    short = (post.media or post.links or [""])[0]
    return (post.handle, post.author, post.posted_at, post.text or "", short)


@pytest.mark.parametrize("form", ["txt", *FORMS])
def test_storm_story_yields_its_three_tweets_and_nothing_else(form: str) -> None:
    name = "storm_story.txt" if form == "txt" else f"storm_story.{form}.html"
    posts = scan(name)
    assert len(posts) == 3, [(p.kind, p.platform, p.handle, p.links) for p in posts]  # no bare short link beside them
    for post, (handle, author, date, start, short) in zip(posts, STORM_TWEETS, strict=True):
        got = _tweet_row(post)
        assert (post.kind, post.platform, post.evidence) == ("embedded", "twitter", "text-signature")
        assert got[:3] == (handle, author, date)
        assert got[3].startswith(start)
        assert got[4] == short
        assert post.post_id is None and post.key.startswith("twitter:h:")


@pytest.mark.parametrize("form", FORMS)
def test_storm_story_html_form_equals_text_form(form: str) -> None:
    from_text = [fields(p) for p in scan("storm_story.txt")]
    from_html = [fields(p) for p in scan(f"storm_story.{form}.html")]
    assert from_html == from_text


@pytest.mark.parametrize("form", ["txt", *FORMS])
def test_culture_story_instagram_bluesky_tiktok_mastodon(form: str) -> None:
    name = "culture_story.txt" if form == "txt" else f"culture_story.{form}.html"
    posts = scan(name)
    rows = [(p.kind, p.platform, p.evidence, p.handle, p.author, p.posted_at) for p in posts]
    assert rows == [
        # "on Nov 16, 2024 at 6:12pm PST": 02:12 on the 17th in UTC
        ("embedded", "instagram", "text-byline", "thelanternsband", "The Lanterns", "2024-11-17"),
        ("embedded", "bluesky", "text-signature", "porthavenlifeboat.bsky.social", "Porthaven Lifeboat", "2024-11-16"),
        ("embedded", "tiktok", "text-sound", "mira.dances", None, None),
        ("embedded", "mastodon", "text-byline", "council@social.porthaven.example", None, None),
    ]
    insta, bsky, tiktok, masto = posts
    assert insta.text == "Soundcheck done, the pier is still standing 🌊 See you tonight Porthaven!"
    assert bsky.text == "Three days of sandbags, one festival saved. Thank you to everyone who turned up with a shovel."
    assert tiktok.text == "Dancing in the rain at the harbour festival #porthaven #stormdance"
    assert masto.text is None
    # No ID survived: each is keyed by its handle, date and text, like a flattened tweet.
    assert [p.key.split(":")[:2] for p in posts] == [[p.platform, "h"] for p in posts]
    assert len({p.key for p in posts}) == 4


@pytest.mark.parametrize("form", FORMS)
def test_culture_story_html_form_equals_text_form(form: str) -> None:
    assert [fields(p) for p in scan(f"culture_story.{form}.html")] == [fields(p) for p in scan("culture_story.txt")]


# --- a real embed stays one post ---------------------------------------------------------------------

REAL_TWEET = (
    '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">All berths closed until further notice. '
    '<a href="https://t.co/Hb7QzLp2Xa">pic.twitter.com/Hb7QzLp2Xa</a></p>&mdash; Porthaven Harbour '
    '(@PorthavenPort) <a href="https://twitter.com/PorthavenPort/status/1856300000000000000">November 12, 2024</a>'
    "</blockquote>"
)
REAL_INSTAGRAM = (
    '<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/ByxilPNJK3M/">'
    '<div><a href="https://www.instagram.com/p/ByxilPNJK3M/">View this post on Instagram</a></div>'
    '<p><a href="https://www.instagram.com/p/ByxilPNJK3M/">A post shared by Spice Girls (@spicegirls)</a> on '
    '<time datetime="2019-06-16T14:30:55+00:00">Jun 16, 2019 at 7:30am PDT</time></p></blockquote>'
)


def test_real_embeds_do_not_also_give_a_flattened_post() -> None:
    posts = html(f"<article><p>The port wrote:</p>{REAL_TWEET}<p>And the band:</p>{REAL_INSTAGRAM}</article>")
    assert [(p.platform, p.evidence, p.post_id) for p in posts] == [
        ("twitter", "blockquote.twitter-tweet", "1856300000000000000"),
        ("instagram", "blockquote.instagram-media", "ByxilPNJK3M"),
    ]


def test_real_embed_and_flattened_post_on_one_page_in_document_order() -> None:
    flattened = (
        "<p>Then the coastguard:</p><p>Please stay off the promenade tonight. https://t.co/Qw3RtY7uIo</p>"
        "<p>— Coastguard South (@CoastguardSouth) November 12, 2024</p>"
    )
    video = '<p>Watch: <a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">the surge</a></p>'
    posts = html(f"<article>{REAL_TWEET}{flattened}{video}</article>")
    assert [(p.kind, p.platform, p.handle or p.post_id) for p in posts] == [
        ("embedded", "twitter", "PorthavenPort"),
        ("embedded", "twitter", "CoastguardSouth"),
        ("linked", "youtube", "dQw4w9WgXcQ"),
    ]
    assert posts[1].links == ["https://t.co/Qw3RtY7uIo"]


# --- surviving links: the ID, and one record with the link's --------------------------------------------


def test_date_link_gives_the_status_id_and_one_record() -> None:
    posts = html(
        "<article><p>Closed:</p><p>All berths closed until further notice. pic.twitter.com/Hb7QzLp2Xa</p>"
        '<p>— Porthaven Harbour (@PorthavenPort) <a href="https://twitter.com/PorthavenPort/status/1856300000000000000">'
        "November 12, 2024</a></p></article>"
    )
    assert len(posts) == 1
    (tweet,) = posts
    assert (tweet.kind, tweet.evidence, tweet.post_id, tweet.handle) == (
        "embedded",
        "text-signature",
        "1856300000000000000",
        "PorthavenPort",
    )
    assert tweet.media == ["pic.twitter.com/Hb7QzLp2Xa"]


def test_bluesky_and_mastodon_links_give_their_ids() -> None:
    posts = html(
        "<article><p>The crew wrote:</p><blockquote><p lang=\"en\">Three days of sandbags, one festival saved.<br><br>"
        '<a href="https://bsky.app/profile/did:plc:abc123/post/3lbq7mxsiek2v?ref_src=embed">[image or embed]</a></p>'
        "&mdash; Porthaven Lifeboat (<a href=\"https://bsky.app/profile/did:plc:abc123?ref_src=embed\">"
        '@porthavenlifeboat.bsky.social</a>) <a href="https://bsky.app/profile/did:plc:abc123/post/3lbq7mxsiek2v">'
        "November 16, 2024 at 7:40 PM</a></blockquote>"
        '<a href="https://social.porthaven.example/@council/113500000000000000"><div>Post by '
        "@council@social.porthaven.example</div><div>View on Mastodon</div></a></article>"
    )
    assert [(p.kind, p.platform, p.post_id, p.handle) for p in posts] == [
        ("embedded", "bluesky", "3lbq7mxsiek2v", "porthavenlifeboat.bsky.social"),
        ("embedded", "mastodon", "social.porthaven.example/113500000000000000", "council@social.porthaven.example"),
    ]
    assert posts[0].text == "Three days of sandbags, one festival saved."
    assert posts[0].author == "Porthaven Lifeboat" and posts[0].posted_at == "2024-11-16"


# --- no false positives in quotation-heavy journalism ----------------------------------------------------

JOURNALISM = """<article>
<h1>Council approves flood budget</h1>
<p class="byline">By Jane Roe (@janeroe) and Tom Poe, November 12, 2024</p>
<p>"We will rebuild the quay wall before spring," said the mayor — "and we will do it properly."</p>
<p>"Nobody saw this coming" — said Ruiz, speaking at the quay on November 12, 2024.</p>
<blockquote class="pullquote"><p>“The tide decides the rest of the day.”</p><cite>— Ines Calder (@inescalder)</cite></blockquote>
<blockquote><p>It is a once-in-a-generation surge.</p><p>— meteorologist Priya Nair (@priyanair_wx), who tracked it all week</p></blockquote>
<p>Shares in the operator fell 4% in early trading.</p>
<p>— Reuters</p>
<p>— AP</p>
<p>Reporting by Jane Roe (@janeroe) — editing by Tom Hale (@tomhale) — November 12, 2024</p>
<pre>— Reuters
— AP (@AP)</pre>
<ul><li>A post shared by the council on its website</li><li>♬ the town band played on</li><li>Post by the mayor</li></ul>
</article>"""


def test_quotes_credits_pull_quotes_and_bylines_are_no_posts() -> None:
    assert html(JOURNALISM) == []
    text = "\n\n".join(u.text for u in read_units(_body(JOURNALISM)))
    assert detect(Document("text", text, False)) == []


def test_unseen_text_is_not_read() -> None:
    flattened = "<p>Please stay off the promenade tonight.</p><p>— Coastguard South (@CoastguardSouth) November 12, 2024</p>"
    assert html(f"<body><div hidden>{flattened}</div><noscript>{flattened}</noscript></body>") == []
    assert html(f'<body><script type="application/json">{{"x": "{flattened}"}}</script></body>') == []


# --- reading blocks ----------------------------------------------------------------------------------------


def _body(markup: str) -> Any:
    body = LexborHTMLParser(markup).body
    assert body is not None
    return body


def test_blocks_in_reading_order_with_their_gaps_and_quote_blocks() -> None:
    units = read_units(
        _body(
            "<h1>Title</h1><div>one<br>two<br><br>three</div><p>para <a href='https://x.example/a'>link</a> end</p>"
            "<blockquote><p>q1</p><p>q2</p></blockquote><blockquote>r1</blockquote>"
            "<pre>\nline a\n\nline b</pre><ul><li>item 1</li><li>item 2</li></ul><script>var x = 1;</script>"
        )
    )
    rows = [(u.text, u.blank_before, u.block, u.links) for u in units]
    assert rows == [
        ("Title", False, 0, []),
        ("one", True, 0, []),
        ("two", False, 0, []),
        ("three", True, 0, []),
        ("para link end", True, 0, ["https://x.example/a"]),
        ("q1", True, 1, []),
        ("q2", True, 1, []),
        ("r1", True, 2, []),
        ("line a", True, 0, []),
        ("line b", True, 0, []),
        ("item 1", True, 0, []),
        ("item 2", True, 0, []),
    ]


# --- the other platforms' fallbacks as their snippets print them ---------------------------------------


def test_instagram_byline_in_german_with_its_date() -> None:
    posts = detect(
        Document(
            "t",
            "Der Verein zeigte sich:\n\nEin Beitrag geteilt von SKEP (@skep.association) am 23. Okt 2017 um 0:31 Uhr\n",
            False,
        )
    )
    assert [(p.platform, p.handle, p.author, p.posted_at, p.text) for p in posts] == [
        ("instagram", "skep.association", "SKEP", "2017-10-23", None)
    ]


def test_instagram_byline_must_fill_its_line() -> None:
    text = "A post shared by Jane (@jane) went viral on Monday, the council said.\n"
    assert detect(Document("t", text, False)) == []


def test_tiktok_one_line_fallback_with_hashtags() -> None:
    posts = html(
        '<p>@scout2015 Scramble up ur name &amp; I’ll try to guess it😍❤️ <a href="https://www.tiktok.com/tag/foryoupage">'
        "#foryoupage</a> #petsoftiktok #aesthetic ♬ original sound - tiff</p>"
    )
    assert [(p.platform, p.handle, p.text) for p in posts] == [
        ("tiktok", "scout2015", "Scramble up ur name & I’ll try to guess it😍❤️ #foryoupage #petsoftiktok #aesthetic")
    ]


def test_bluesky_signature_needs_a_date() -> None:
    text = "Great day at the pier\n— Porthaven Lifeboat (@porthavenlifeboat.bsky.social)\n"
    assert detect(Document("t", text, False)) == []
