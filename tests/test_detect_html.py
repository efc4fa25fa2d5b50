"""HTML detection on fixture pages written for these tests (tests/fixtures/detect/)."""

from __future__ import annotations

import html as htmlmod
import json
from pathlib import Path

import pytest

from archiver.detect import detect
from archiver.models import Document, Post

FIXTURES = Path(__file__).parent / "fixtures" / "detect"


def scan(name: str) -> list[Post]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return detect(Document(source=name, text=text, is_html=True))


def rows(posts: list[Post]) -> list[tuple[str, str, str | None, str]]:
    return [(p.kind, p.platform, p.post_id, p.evidence) for p in posts]


def by_id(posts: list[Post], post_id: str) -> Post:
    return next(p for p in posts if p.post_id == post_id)


def html(body: str) -> list[Post]:
    return detect(Document(source="inline", text=f"<html><body>{body}</body></html>", is_html=True))


# --- Twitter / X ------------------------------------------------------------------------------------

TWITTER_EXPECTED = [
    ("linked", "twitter", "1581661660728950784", "a[href]"),
    ("embedded", "twitter", "1703436713362870723", "blockquote.twitter-tweet"),
    ("embedded", "twitter", "1146359923158089728", "blockquote.twitter-video"),
    ("embedded", "twitter", "1580000000000000000", "blockquote.twitter-tweet"),
    ("embedded", "twitter", "1600000000000000001", "blockquote.twitter-tweet"),
    ("embedded", "twitter", "1610000000000000002", "blockquote.twitter-tweet"),
    ("embedded", "twitter", "1620000000000000003", "iframe[data-tweet-id]"),
    ("embedded", "twitter", "1630000000000000004", "iframe[src]"),
    ("embedded", "twitter", "1640000000000000005", "figure.wp-block-embed-twitter"),
    ("embedded", "twitter", "1650000000000000006", "blockquote.twitter-tweet"),
    ("embedded", "twitter", "1670000000000000008", '[data-embed-type="twitter"]'),
    ("embedded", "twitter", "1680000000000000009", "blockquote(signature)"),
    ("shortlink", "twitter", None, "text"),
    ("shortlink", "twitter", None, "a[href]"),
    ("embedded", "twitter", None, "blockquote.twitter-tweet"),
]


def test_twitter_variants_all_found_in_document_order() -> None:
    assert rows(scan("twitter_variants.html")) == TWITTER_EXPECTED


def test_twitter_snippet_fields() -> None:
    post = by_id(scan("twitter_variants.html"), "1703436713362870723")
    assert post.key == "twitter:1703436713362870723"
    assert post.url == "https://x.com/RivertonDesk/status/1703436713362870723"
    assert (post.handle, post.author) == ("RivertonDesk", "Riverton News Desk 🌊")
    assert post.posted_at == "2023-09-17T15:52:15.446Z"
    assert post.text == (
        "Water levels are rising fast near the old bridge, #Riverton residents told to move, "
        "see @CountyFire https://t.co/Qt0dLinK12 pic.twitter.com/Zx81QmPa0c"
    )
    assert post.links == ["https://t.co/Qt0dLinK12"]  # not the hashtag or mention links
    assert post.media == ["pic.twitter.com/Zx81QmPa0c"]


def test_embedded_and_linked_post_is_reported_once_as_embedded() -> None:
    posts = scan("twitter_variants.html")
    same = [p for p in posts if p.post_id == "1703436713362870723"]
    assert len(same) == 1 and same[0].kind == "embedded"


def test_last_status_link_is_the_post_not_the_quoted_one() -> None:
    posts = scan("twitter_variants.html")
    quote = by_id(posts, "1580000000000000000")
    assert quote.handle == "MayorRuiz"
    assert all(p.post_id != "1007133657704910848" for p in posts)  # a link inside the post, not a post


def test_x_com_video_snippet_and_pic_x_com_media() -> None:
    post = by_id(scan("twitter_variants.html"), "1146359923158089728")
    assert (post.handle, post.author) == ("KreisFW", "Kreis Feuerwehr")
    assert post.media == ["pic.x.com/ViDe0CoDe1"]


def test_wordpress_wrapped_signature_and_media_only_tweet() -> None:
    post = by_id(scan("twitter_variants.html"), "1610000000000000002")
    assert (post.handle, post.author) == ("DPCgov", "Protezione Civile")
    assert post.text == "pic.twitter.com/MeDiaOnly9"
    assert post.posted_at == "2023-01-02T19:48:07.010Z"  # the ID wins over "13 maggio 2023"


def test_hand_made_empty_stub() -> None:
    post = by_id(scan("twitter_variants.html"), "1600000000000000001")
    assert post.kind == "embedded" and post.text is None and post.author is None


def test_rendered_iframes_and_wrappers_give_the_id_only() -> None:
    posts = scan("twitter_variants.html")
    for tid in ("1620000000000000003", "1630000000000000004", "1670000000000000008"):
        post = by_id(posts, tid)
        assert post.url == f"https://x.com/i/web/status/{tid}"
        assert post.handle is None


def test_amp_components_on_an_amp_page() -> None:
    assert rows(scan("amp.html")) == [
        ("embedded", "twitter", "1660000000000000007", "amp-twitter"),  # its placeholder is the same post
        ("embedded", "instagram", "InStaAmp004", "amp-instagram"),
        ("embedded", "youtube", "YtAmpYou006", "amp-youtube[data-videoid]"),
        ("embedded", "reddit", "5e6f7g8", "amp-reddit"),
        ("embedded", "vimeo", "76979871", "amp-iframe[src]"),
        ("linked", "twitter", "1581661660728950784", "a[href]"),
    ]


def test_amp_tweet_s_placeholder_gives_its_signature_when_it_is_the_same_tweet() -> None:
    amp = by_id(scan("amp.html"), "1660000000000000007")
    assert (amp.evidence, amp.handle, amp.author, amp.text) == ("amp-twitter", "AmpAuthor", "AMP Author", "Placeholder text.")
    other = ('<amp-twitter data-tweetid="1660000000000000007"><blockquote placeholder class="twitter-tweet"><p>hi</p>'
             '&mdash; B (@other) <a href="https://twitter.com/other/status/1660000000000000008">May 1, 2023</a>'
             "</blockquote></amp-twitter>")
    (post,) = detect(Document(source="frag", text=other, is_html=True))
    assert (post.post_id, post.handle, post.text) == ("1660000000000000007", None, None)


def test_amp_components_in_a_fragment_without_html_element() -> None:
    # A saved article body or a pasted embed has no <html amp>: AMP components still count there.
    posts = detect(Document(source="frag", text='<p>x</p><amp-twitter data-tweetid="1660000000000000007">'
                            "</amp-twitter>", is_html=True))
    assert rows(posts) == [("embedded", "twitter", "1660000000000000007", "amp-twitter")]


def test_amp_placeholder_on_a_non_amp_page_is_still_the_tweet() -> None:
    # AMP components need the AMP runtime, so a normal page is not searched for them (each custom
    # element name costs ~5% of a parse); a tweet's placeholder blockquote is still found.
    page = ('<html lang="en"><body><amp-twitter data-tweetid="1660000000000000007"><blockquote class='
            '"twitter-tweet"><p>t</p>&mdash; A (@AmpAuthor) <a href="https://twitter.com/AmpAuthor/status/'
            '1660000000000000007">May 1, 2023</a></blockquote></amp-twitter></body></html>')
    posts = detect(Document(source="page", text=page, is_html=True))
    assert rows(posts) == [("embedded", "twitter", "1660000000000000007", "blockquote.twitter-tweet")]


def test_amp_components_on_a_non_amp_page_stay_unread_whatever_else_the_page_holds() -> None:
    # A bare short link makes the walker read the page's text nodes too: the AMP rule still holds.
    bare = '<html><body><amp-twitter data-tweetid="1660000000000000007"></amp-twitter></body></html>'
    with_link = bare.replace("</body>", "<p>see t.co/AbCd1234</p></body>")
    assert detect(Document(source="a", text=bare, is_html=True)) == []
    assert [p.kind for p in detect(Document(source="b", text=with_link, is_html=True))] == ["shortlink"]


def test_gutenberg_figure_with_blockquote_inside_is_one_post_with_signature() -> None:
    post = by_id(scan("twitter_variants.html"), "1650000000000000006")
    assert post.evidence == "blockquote.twitter-tweet"
    assert post.author == "Riverton Schools"


def test_profile_share_intent_hashtag_and_timeline_links_are_not_posts() -> None:
    posts = scan("twitter_variants.html")
    handles = {p.handle for p in posts}
    assert "RivertonGazette" not in handles and "CountyFire" not in handles
    assert all(p.post_id is None or p.post_id.isdigit() for p in posts)


def test_bare_short_links_outside_posts() -> None:
    shortlinks = [p for p in scan("twitter_variants.html") if p.kind == "shortlink"]
    assert [p.links for p in shortlinks] == [["pic.twitter.com/BaReLiNk77"], ["https://t.co/AnChOr0088"]]
    assert shortlinks[0].media == ["pic.twitter.com/BaReLiNk77"]
    assert all(p.platform == "twitter" and p.post_id is None and p.key.startswith("twitter:h:") for p in shortlinks)
    assert shortlinks[0].key != shortlinks[1].key


def test_stub_without_id_keeps_localized_printed_date() -> None:
    post = next(p for p in scan("twitter_variants.html") if p.kind == "embedded" and p.post_id is None)
    assert (post.handle, post.author) == ("corr_ru", "Корреспондент")
    assert post.posted_at == "2018-09-28"  # "28 сентября 2018", bare date: no time is known
    assert post.key.startswith("twitter:h:") and post.url is None


_FIRST = ('<blockquote class="twitter-tweet"><p lang="en">First <a href="https://twitter.com/q/status/1519480761749016500">'
          'quoted</a></p>&mdash; One (@one) <a href="https://twitter.com/one/status/1519480761749016577">April 28, 2022</a>')


@pytest.mark.parametrize("signature_in_a_paragraph", [False, True])
def test_a_tweet_blockquote_left_unclosed_ends_at_its_signatures_date_link(signature_in_a_paragraph: bool) -> None:
    # A CMS that drops the </blockquote> leaves the rest of the page inside the embed: the post is
    # the one its signature's date link names (not the page's last status link), and the other
    # embeds and links after it are the page's own.
    first = _FIRST.replace("&mdash;", "<p>&mdash;").replace("2022</a>", "2022</a></p>") if signature_in_a_paragraph \
        else _FIRST
    rest = ('<p>Article continues. See <a href="https://twitter.com/three/status/1519480761749016579">this</a>.</p>'
            '<blockquote class="twitter-tweet"><p lang="en">Second</p>&mdash; Two (@two) '
            '<a href="https://twitter.com/two/status/1519480761749016578">April 28, 2022</a></blockquote>'
            '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>')
    posts = html(first + rest)
    assert [(p.key, p.kind, p.handle) for p in posts] == [
        ("twitter:1519480761749016577", "embedded", "one"),
        ("twitter:1519480761749016579", "linked", "three"),
        ("twitter:1519480761749016578", "embedded", "two"),
        ("youtube:dQw4w9WgXcQ", "embedded", None),
    ]
    assert posts[0].text == "First quoted" and posts[2].text == "Second"


def test_an_instagram_blockquote_left_unclosed_ends_with_its_snippet_s_div() -> None:
    # Instagram's snippet is one div: what a dropped </blockquote> leaves after it is the page's,
    # and nothing after it (a time, a byline-like paragraph) is read as the post's.
    page = ('<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/CaBcDeFgHiJ/">'
            '<div><a href="https://www.instagram.com/p/CaBcDeFgHiJ/">View this post on Instagram</a>'
            '<p><a href="https://www.instagram.com/p/CaBcDeFgHiJ/">A post shared by Some One (@someone)</a></p></div>'
            '<p>Updated <time datetime="2024-05-06T07:08:09Z">May 6</time>. A post shared by Other (@other)</p>'
            '<blockquote class="twitter-tweet"><p>hello</p>&mdash; Jack (@jack) '
            '<a href="https://twitter.com/jack/status/1500000000000000011">March 1, 2022</a></blockquote>'
            '<p>See <a href="https://x.com/b/status/1500000000000000012">this</a>.</p>')
    posts = html(page)
    assert [(p.key, p.kind, p.handle, p.posted_at) for p in posts] == [
        ("instagram:CaBcDeFgHiJ", "embedded", "someone", None),
        ("twitter:1500000000000000011", "embedded", "jack", "2022-03-05T06:47:23.309Z"),
        ("twitter:1500000000000000012", "linked", "b", "2022-03-05T06:47:23.309Z"),
    ]
    closed = html(page.replace("</div><p>Updated", "</div></blockquote><p>Updated"))
    assert [(p.key, p.handle, p.posted_at) for p in closed] == [(p.key, p.handle, p.posted_at) for p in posts]


def test_instagram_blockquotes_left_unclosed_one_after_another_are_each_a_post() -> None:
    unit = ('<blockquote class="instagram-media"><div><a href="https://www.instagram.com/p/Code{i}AbCdE/">View</a>'
            '<p><a href="https://www.instagram.com/p/Code{i}AbCdE/">A post shared by X (@x{i})</a></p></div>'
            '<p>para <a href="https://example.com/{i}">l</a></p>')
    posts = html("".join(unit.format(i=i) for i in range(3)))
    assert [(p.key, p.handle) for p in posts] == [(f"instagram:Code{i}AbCdE", f"x{i}") for i in range(3)]


def test_an_older_instagram_snippet_without_its_div_keeps_its_byline() -> None:
    # Captioned snippets before 2018 print the byline without a link; a CMS that stripped the
    # wrapping div leaves caption and byline as the blockquote's own paragraphs: both are its.
    page = ('<blockquote class="instagram-media" data-instgrm-captioned data-instgrm-version="7"> <p> '
            '<a href="https://www.instagram.com/p/BalQ2SWFty8/">What working at SKEP feels like #skep</a></p> '
            '<p>Ein Beitrag geteilt von SKEP (@skep.association) am <time datetime="2017-10-23T07:31:37+00:00">'
            "23. Okt 2017 um 0:31 Uhr</time></p>")
    for closed in (page + "</blockquote><p>Article text.</p>", page + "<p>Article text.</p>"):
        (post,) = html(closed)
        assert (post.key, post.handle, post.author, post.posted_at) == (
            "instagram:BalQ2SWFty8", "skep.association", "SKEP", "2017-10-23T07:31:37Z"), closed


def test_a_stubs_status_link_before_its_text_ends_no_snippet() -> None:
    # A hand-made stub puts the post's link first: no signature is read before it, so it is no date
    # link ending the snippet, and the paragraph after it is the post's text.
    (post,) = html('<blockquote class="twitter-tweet"><a href="https://twitter.com/jack/status/20">Tweet</a>'
                   '<p>just setting up my twttr</p></blockquote>')
    assert (post.key, post.kind, post.text) == ("twitter:20", "embedded", "just setting up my twttr")


def test_a_flattened_post_after_an_unclosed_tweet_blockquote_is_read() -> None:
    # The text after the snippet's end is the page's: a post flattened into it is found as it is
    # after a closed blockquote.
    posts = html(_FIRST + '<p>Article continues.</p><p>Bridge closed pic.twitter.com/AbCdEf1234</p>'
                 '<p>&mdash; Desk (@desk) March 4, 2024</p>')
    assert [(p.kind, p.handle, p.evidence) for p in posts] == [
        ("embedded", "one", "blockquote.twitter-tweet"), ("embedded", "desk", "text-signature")]
    assert posts[1].text is not None and "Bridge closed" in posts[1].text


def test_links_alone_after_a_tweets_date_link_are_still_its_snippet() -> None:
    # No block of the page follows: the blockquote is closed, and its LAST status link is the post,
    # as widgets.js reads it.
    posts = html(_FIRST + ' <a href="https://twitter.com/one/status/1519480761749016599">later</a></blockquote>')
    assert [(p.key, p.kind) for p in posts] == [("twitter:1519480761749016599", "embedded")]


def test_flash_players_of_old_pages_are_embeds() -> None:
    # Pages before 2012 played video in Flash: an `object` holding `param name=movie` and an
    # `embed`, or an `object` whose `data` is the player.
    posts = html('<object width="425" height="344"><param name="movie" value="http://www.youtube.com/v/oHg5SJYRHA0&hl=en">'
                 '</param><param name="allowFullScreen" value="true"></param><embed src="http://www.youtube.com/v/'
                 'oHg5SJYRHA0&hl=en" type="application/x-shockwave-flash"></embed></object>'
                 '<object data="https://www.youtube.com/v/dQw4w9WgXcQ?version=3" type="application/x-shockwave-flash">'
                 '</object><embed src="https://example.com/manual.pdf" type="application/pdf">')
    assert [(p.key, p.kind, p.evidence) for p in posts] == [
        ("youtube:oHg5SJYRHA0", "embedded", "param[value]"), ("youtube:dQw4w9WgXcQ", "embedded", "object[data]")]


def test_plain_quotation_blockquote_is_not_a_post() -> None:
    assert html('<blockquote><p>"We will rebuild," the mayor said.</p></blockquote>') == []


# --- consent managers and escaped markup ------------------------------------------------------------


def test_consent_containers_are_parsed_again() -> None:
    assert rows(scan("consent_containers.html")) == [
        ("embedded", "twitter", "1690000000000000010", "textarea>blockquote.twitter-tweet"),
        ("embedded", "youtube", "NoScrIpt_01", "noscript>iframe[src]"),
        ("embedded", "instagram", "TmPlAtE0001", "template>blockquote.instagram-media"),
        ("embedded", "vimeo", "76979871", "script[type=text/plain]>iframe[src]"),
        ("embedded", "youtube", "DaTaHtMl_02", "[data-html]>iframe[src]"),
        ("embedded", "youtube", "EmBeDfRaM03", "[data-embed-frame]>iframe[src]"),
        ("embedded", "youtube", "JsOnBlOcK04", "[data-block-json]>iframe[src]"),
        ("embedded", "tiktok", "7106594312292453675", "script[type=text/template]>blockquote.tiktok-embed"),
    ]


def _embed_privacy(markup: str, name: str) -> str:
    """A container as WordPress's Embed Privacy plugin writes it: the embed's markup with HTML
    entities, as "embed" in a JSON object (slashes escaped, as PHP's JSON encoder does), the whole
    then escaped for a single-quoted JavaScript string by a backslash before each quote and
    backslash."""
    value = json.dumps({"embed": htmlmod.escape(markup, quote=True)}).replace("/", "\\/")
    slashed = value.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')
    return (
        f'<div class="embed-privacy-container is-disabled embed-{name}" data-embed-id="oembed_{name}1">'
        f'<div class="embed-privacy-overlay"><p>Click here to display content from {name}.</p></div>'
        f'<div class="embed-privacy-content">\n<script>var _oembed_{name}1 = \'{slashed}\';</script>\n</div></div>'
    )


_TWEET_20 = (
    '<blockquote class="twitter-tweet" data-dnt="true"><p lang="en" dir="ltr">just setting up my twttr, '
    "it's \"quoted\" \u00e9 \U0001f600</p>&mdash; jack (@jack) "
    '<a href="https://twitter.com/jack/status/20?ref_src=twsrc%5Etfw">March 21, 2006</a></blockquote>'
)


def test_embed_privacy_scripts_hold_their_embeds_in_document_order() -> None:
    posts = html(
        '<p><a href="https://x.com/a/status/1500000000000000001">before</a></p>'
        + _embed_privacy(_TWEET_20, "twitter")
        + _embed_privacy('<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?feature=oembed"></iframe>', "youtube")
        + '<p><a href="https://x.com/b/status/1500000000000000002">after</a></p>'
    )
    assert rows(posts) == [
        ("linked", "twitter", "1500000000000000001", "a[href]"),
        ("embedded", "twitter", "20", "script>blockquote.twitter-tweet"),
        ("embedded", "youtube", "dQw4w9WgXcQ", "script>iframe[src]"),
        ("linked", "twitter", "1500000000000000002", "a[href]"),
    ]
    tweet = posts[1]
    assert (tweet.handle, tweet.author, tweet.text) == ("jack", "jack", "just setting up my twttr, it's \"quoted\" \u00e9 \U0001f600")


def test_embed_privacy_s_direct_link_is_the_embedded_post_with_its_signature() -> None:
    # The plugin's footer may link the embed's address ("Open content directly").
    page = _embed_privacy(_TWEET_20, "twitter").replace(
        '<div class="embed-privacy-content">',
        '<div class="embed-privacy-footer"><span class="embed-privacy-url">'
        '<a href="https://twitter.com/jack/status/20">Open content directly</a></span></div>'
        '<div class="embed-privacy-content">',
    )
    (post,) = detect(Document(source="inline", text=f"<html><body>{page}</body></html>", is_html=True))
    assert (post.kind, post.post_id, post.handle, post.text is not None) == ("embedded", "20", "jack", True)


@pytest.mark.parametrize("script", [
    "var _oembed_x = '{not json';",
    "var _oembed_x = '{\\\"embed\\\": 5}';",
    "var _oembed_x = 'unterminated",
    "var other = '{\\\"embed\\\": \\\"&lt;iframe src=&quot;https://www.youtube.com/embed/dQw4w9WgXcQ&quot;&gt;\\\"}';",
])
def test_a_script_that_is_not_an_embed_privacy_string_is_passed_over(script: str) -> None:
    assert html(f'<p>&lt;x</p><div class="embed-privacy-content"><script>{script}</script></div>') == []


def test_an_embed_privacy_string_outside_its_container_is_not_read_by_either_walk() -> None:
    container = _embed_privacy(_TWEET_20, "twitter")
    loose = container.replace('class="embed-privacy-content"', 'class="elsewhere"')
    assert [p.post_id for p in html(container)] == ["20"]
    assert html(loose) == []
    # A bare short link in the text makes the walk go over every node, scripts included.
    assert [p.kind for p in html(loose + "<p>see https://t.co/AbCdEf1234</p>")] == ["shortlink"]
    assert [p.kind for p in html(container + "<p>see https://t.co/AbCdEf1234</p>")] == ["embedded", "shortlink"]


def test_textarea_tweet_keeps_its_signature() -> None:
    post = scan("consent_containers.html")[0]
    assert (post.handle, post.author) == ("TextAreaUser", "Text Area")


def test_an_embed_s_code_beside_its_flattened_copy_is_one_post() -> None:
    # A how-to page: the embed code in a textarea (the status ID), and the tweet as readers see it
    # once flattened (no ID). Same handle, same words: one post, with its ID.
    code = ('<blockquote class="twitter-tweet"><p lang="en">Water levels are rising fast near the old bridge '
            'pic.twitter.com/Zx81QmPa0c</p>&mdash; Riverton News Desk (@RivertonDesk) <a href="https://twitter.com/'
            'RivertonDesk/status/1764718078373491923">March 4, 2024</a></blockquote>')
    shown = ("<p>Water levels are rising fast near the old bridge pic.twitter.com/Zx81QmPa0c<br>"
             "— Riverton News Desk (@RivertonDesk) March 4, 2024</p>")
    page = f"<html><body><p>Copy this:</p><textarea>{code.replace('<', '&lt;')}</textarea>{shown}</body></html>"
    posts = detect(Document(source="howto.html", text=page, is_html=True))
    assert [(p.key, p.handle, p.posted_at[:10] if p.posted_at else None) for p in posts] == [
        ("twitter:1764718078373491923", "RivertonDesk", "2024-03-04")]
    # Other words under the same handle are another post.
    other = detect(Document(source="howto.html", text=page.replace("near the old bridge pic", "downtown pic", 1),
                            is_html=True))
    assert len(other) == 2 and other[1].post_id is None


# --- every other platform ---------------------------------------------------------------------------

PLATFORMS_EXPECTED = [
    ("embedded", "youtube", "JsOnLd_Vid1", "script[type=application/ld+json]"),
    ("embedded", "instagram", "InStaReel01", "blockquote.instagram-media"),
    ("embedded", "instagram", "InStaOld002", "blockquote.instagram-media"),
    ("embedded", "instagram", "InStaRend03", "iframe[src]"),
    ("linked", "instagram", "InStaLink05", "a[href]"),
    ("embedded", "tiktok", "7106594312292453675", "blockquote.tiktok-embed"),
    ("embedded", "tiktok", "7301234567890123456", "iframe[src]"),
    ("linked", "tiktok", "7012345678901234567", "a[href]"),
    ("embedded", "youtube", "YtEmbed_001", "iframe[src]"),
    ("embedded", "youtube", "YtNoCook002", "iframe[src]"),
    ("embedded", "youtube", "YtDataSrc03", "iframe[data-src]"),
    ("embedded", "youtube", "YtLazySrc04", "iframe[data-lazy-src]"),
    ("embedded", "youtube", "YtLiteYou05", "lite-youtube[videoid]"),
    ("linked", "youtube", "YtWatch0007", "a[href]"),
    ("linked", "youtube", "YtShort0008", "a[href]"),
    ("linked", "youtube", "YtShorts009", "a[href]"),
    ("embedded", "facebook", "pfbid02abcDEF123", "div.fb-post"),
    ("embedded", "facebook", "1234567890123456", "div.fb-video"),
    ("embedded", "facebook", "555666777", "iframe[src]"),
    ("embedded", "facebook", "987654321098765", "iframe[src]"),
    ("linked", "facebook", "9988776655", "a[href]"),
    ("embedded", "bluesky", "3kq2vhxyzab2c", "blockquote.bluesky-embed"),
    ("embedded", "bluesky", "3kr7abcdefg2h", "iframe[src]"),
    ("linked", "bluesky", "3ks8linkedpost", "a[href]"),
    ("embedded", "mastodon", "mastodon.social/109876543210987654", "blockquote.mastodon-embed"),
    ("embedded", "mastodon", "fosstodon.org/111222333444555666", "iframe.mastodon-embed"),
    ("embedded", "mastodon", "old.example.social/4242", "iframe.mastodon-embed"),
    ("linked", "mastodon", "hachyderm.io/113400000000000000", "a[href]"),
    ("linked", "mastodon", "unlisted-instance.example/113400000000000001", "a[href]"),
    ("embedded", "truthsocial", "111222333444555667", "iframe.truthsocial-embed"),
    ("linked", "truthsocial", "111222333444555668", "a[href]"),
    ("embedded", "threads", "C4ThReAdS01", "blockquote.text-post-media"),
    ("linked", "threads", "C5LiNkEd002", "a[href]"),
    ("embedded", "reddit", "1b2c3d4", "blockquote.reddit-embed-bq"),
    ("embedded", "reddit", "9h8g7f6", "iframe[src]"),
    ("linked", "reddit", "abc1234", "a[href]"),
    ("embedded", "telegram", "rivertonnews/4321", "script[data-telegram-post]"),
    ("embedded", "telegram", "durov/43", "iframe#telegram-post"),
    ("linked", "telegram", "rivertonnews/4400", "a[href]"),
    ("embedded", "linkedin", "7150988713210245120", "iframe[src]"),
    ("linked", "linkedin", "7012345678901234567", "a[href]"),
    ("embedded", "vimeo", "76979871", "iframe[src]"),
    ("embedded", "vimeo", "123456789", "iframe[data-src]"),
    ("linked", "vimeo", "22439234", "a[href]"),
]


def test_every_platform_every_variant_in_document_order() -> None:
    assert rows(scan("platforms.html")) == PLATFORMS_EXPECTED


@pytest.mark.parametrize(
    ("post_id", "url", "handle", "author", "posted_at"),
    [
        ("InStaReel01", "https://www.instagram.com/reel/InStaReel01/", "harbour.cafe", "Harbour Café", None),
        ("InStaOld002", "https://www.instagram.com/p/InStaOld002/", "marina.club", "Marina Club", "2017-10-23T07:31:37Z"),
        ("7106594312292453675", "https://www.tiktok.com/@river.kayak/video/7106594312292453675", "river.kayak", None,
         "2022-06-07T20:15:27Z"),
        ("YtDataSrc03", "https://www.youtube.com/watch?v=YtDataSrc03", None, None, None),
        ("pfbid02abcDEF123", "https://www.facebook.com/RivertonCouncil/posts/pfbid02abcDEF123/", "RivertonCouncil",
         "Riverton Council", "2024-03-04"),
        ("555666777", "https://www.facebook.com/permalink.php?story_fbid=555666777&id=100044", None, None, None),
        ("3kq2vhxyzab2c", "https://bsky.app/profile/did:plc:abcd1234efgh5678ijkl/post/3kq2vhxyzab2c",
         "riverton.bsky.social", "Riverton Desk", "2024-03-05"),
        ("mastodon.social/109876543210987654", "https://mastodon.social/@Gargron/109876543210987654",
         "Gargron@mastodon.social", None, "2023-02-16T21:29:55.773Z"),
        ("old.example.social/4242", "https://old.example.social/@pioneer/4242", "pioneer@old.example.social", None,
         None),
        ("111222333444555667", "https://truthsocial.com/@realCandidate/111222333444555667", "realCandidate", None,
         "2023-10-12T13:42:05.069Z"),
        ("C4ThReAdS01", "https://www.threads.net/@harbour.cafe/post/C4ThReAdS01", "harbour.cafe", None, None),
        ("1b2c3d4", "https://www.reddit.com/r/Riverton/comments/1b2c3d4/", "kayaker42", None, None),
        ("rivertonnews/4321", "https://t.me/rivertonnews/4321", "rivertonnews", None, None),
        ("7150988713210245120", "https://www.linkedin.com/feed/update/urn:li:share:7150988713210245120/", None, None,
         "2024-01-10T23:16:08.174Z"),
        ("22439234", "https://vimeo.com/22439234", None, None, None),
    ],
)
def test_platform_fields(
    post_id: str, url: str, handle: str | None, author: str | None, posted_at: str | None
) -> None:
    post = by_id(scan("platforms.html"), post_id)
    assert (post.url, post.handle, post.author, post.posted_at) == (url, handle, author, posted_at)
    assert post.key == f"{post.platform}:{post_id}"


def test_widgets_and_playlists_are_not_posts() -> None:
    ids = {p.post_id for p in scan("platforms.html")}
    assert "videoseries" not in ids  # youtube.com/embed/videoseries?list= is a playlist
    assert "111222333444" not in ids  # plugins/like.php carries a post URL but is a button
    assert "12345" not in ids  # /@author/12345 on a blog is not a Mastodon status


def test_one_failing_rule_does_not_sink_the_page() -> None:
    from archiver.platforms import instagram

    def boom(*_: object) -> None:
        raise RuntimeError("broken rule")

    rule = instagram.PLATFORM.rules[0]
    original = rule.handler
    object.__setattr__(rule, "handler", boom)  # EmbedRule is frozen: tests alone swap a handler
    try:
        posts = scan("platforms.html")
    finally:
        object.__setattr__(rule, "handler", original)
    kinds = {(p.kind, p.platform, p.post_id) for p in posts}
    evidence = {(p.platform, p.post_id): p.evidence for p in posts}
    # That rule's embeds are lost as embeds; their posts are still found from what a reader sees
    # (the element no rule took is read as flattened text: its byline and its links).
    assert evidence[("instagram", "InStaReel01")] == "text-byline"
    assert ("embedded", "youtube", "YtEmbed_001") in kinds  # ...everything else is still found
    assert ("embedded", "instagram", "InStaRend03") in kinds


def test_empty_and_garbage_html() -> None:
    assert html("") == []
    assert detect(Document("x", "<<<>>> &&& <a href=>", True)) == []
    assert detect(Document("x", "", True)) == []


def test_current_tiktok_snippet_caption_is_loose_text() -> None:
    posts = html(
        '<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@river.kayak/video/7106594312292453675" '
        'data-video-id="7106594312292453675"> <section> <a target="_blank" title="@river.kayak" '
        'href="https://www.tiktok.com/@river.kayak?refer=embed">@river.kayak</a> Running the weir &#38; back '
        '<a title="kayak" href="https://www.tiktok.com/tag/kayak?refer=embed">#kayak</a> <a title="♬ original sound" '
        'href="https://www.tiktok.com/music/original-sound-1?refer=embed">♬ original sound</a> </section></blockquote>'
    )
    assert [(p.kind, p.handle, p.text) for p in posts] == [("embedded", "river.kayak", "Running the weir & back #kayak")]


def test_reddit_generator_markup_without_spaces_gives_the_user() -> None:
    posts = html(
        '<blockquote class="reddit-embed-bq" data-embed-height="316"><a href="https://www.reddit.com/r/Riverton/'
        'comments/1b2c3d4/flood_photos/">Flood photos</a><br> by<a href="https://www.reddit.com/user/kayaker42/">'
        "u/kayaker42</a> in<a href=\"https://www.reddit.com/r/Riverton/\">Riverton</a></blockquote>"
    )
    assert [(p.kind, p.post_id, p.handle, p.text) for p in posts] == [("embedded", "1b2c3d4", "kayaker42", "Flood photos")]


def test_page_full_of_escaped_markup_stays_linear() -> None:
    import time

    page = '<div data-html="' + "&lt;iframe " * 100_000 + '"></div>' + "&lt;blockquote " * 100_000
    started = time.process_time()
    assert detect(Document(source="big", text=page, is_html=True)) == []
    assert time.process_time() - started < 2.0  # bounded look-backs: ~0.05 s; unbounded took ~1.5 s


def test_status_links_on_an_unlisted_instance_in_every_spelling_are_found_as_in_text() -> None:
    links = ["https://example.social/users/alice/statuses/109876543210987655",
             "https://example.social/web/statuses/109876543210987657",
             "https://example.social/%40carol/109876543210987659",
             "https://example.social/@dave/109876543210987661"]
    page = "<html><body><p>" + " ".join(f'<a href="{u}">{i}</a>' for i, u in enumerate(links)) + "</p></body></html>"
    in_html = [p.key for p in detect(Document(source="a.html", text=page, is_html=True))]
    in_text = [p.key for p in detect(Document(source="a.txt", text="\n".join(links), is_html=False))]
    assert in_html == in_text == [f"mastodon:example.social/{u.rsplit('/', 1)[1]}" for u in links]


def test_a_line_break_in_an_embed_s_markup_is_a_space_and_a_br_one_line_break() -> None:
    # As a browser shows the blockquote: "<br>" then the markup's newline is one line break, and a
    # newline inside a sentence of the markup is a space (it made blank lines in a post's text).
    (post,) = html('<blockquote class="twitter-tweet"><p lang="de">„Ich kann nicht mehr.“<br>\n'
                   "In dem Satz steckt\nalles.</p><p>Zweiter\r\nAbsatz</p>&mdash; H (@herr) "
                   '<a href="https://twitter.com/herr/status/1043850000000000000">23. September 2018</a></blockquote>')
    assert post.text == "„Ich kann nicht mehr.“\nIn dem Satz steckt alles.\nZweiter Absatz"


# --- addresses written with spaces around them --------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    ('<a href="https://www.youtube.com/watch?v=AbThSpAcE12 ">video</a>',
     ("linked", "youtube:AbThSpAcE12", "https://www.youtube.com/watch?v=AbThSpAcE12")),
    ('<a href="https://www.youtube.com/watch?v=AbThSpAcE12 \n">video</a>',
     ("linked", "youtube:AbThSpAcE12", "https://www.youtube.com/watch?v=AbThSpAcE12")),
    ('<a href="https://player.vimeo.com/video/76979871?h=8272103f6e ">film</a>',
     ("linked", "vimeo:76979871", "https://vimeo.com/76979871/8272103f6e")),
    ('<a href="https://www.facebook.com/permalink.php?story_fbid=123456789&amp;id=100064 ">post</a>',
     ("linked", "facebook:123456789", "https://www.facebook.com/permalink.php?story_fbid=123456789&id=100064")),
    ('<blockquote class="instagram-media" data-instgrm-permalink=" https://www.instagram.com/p/CxAbCdEfGhI/ ">'
     '</blockquote>', ("embedded", "instagram:CxAbCdEfGhI", "https://www.instagram.com/p/CxAbCdEfGhI/")),
    ('<blockquote class="tiktok-embed" cite=" https://www.tiktok.com/@a/video/7350000000000000001" data-video-id="">'
     '</blockquote>', ("embedded", "tiktok:7350000000000000001", "https://www.tiktok.com/@a/video/7350000000000000001")),
    ('<blockquote class="text-post-media" data-text-post-permalink=" https://www.threads.net/@a/post/CxAbCdEfGhI">'
     '</blockquote>', ("embedded", "threads:CxAbCdEfGhI", "https://www.threads.net/@a/post/CxAbCdEfGhI")),
    ('<blockquote class="bluesky-embed"><p>Levee</p><a href="https://bsky.app/profile/did:plc:abc/post/3kx ">'
     'March 4</a></blockquote>', ("embedded", "bluesky:3kx", "https://bsky.app/profile/did:plc:abc/post/3kx")),
    ('<blockquote class="mastodon-embed"><a href="https://mastodon.social/@a/112036911513600000 ">Post by '
     '@a@mastodon.social</a></blockquote>',
     ("embedded", "mastodon:mastodon.social/112036911513600000", "https://mastodon.social/@a/112036911513600000")),
])
def test_an_address_is_read_without_the_spaces_around_it(body: str, expected: tuple[str, str, str]) -> None:
    """Browsers drop the spaces and line breaks around a link's address (a CMS may leave them inside
    the quotes): the post, its kind and its address are what the address alone gives."""
    assert [(p.kind, p.key, p.url) for p in html(body)] == [expected]


@pytest.mark.parametrize("body", [
    '<a href="\u00a0https://twitter.com/jack/status/21">tweet</a>',
    '<a href="\u3000https://twitter.com/jack/status/21">tweet</a>',
    '<iframe src="\u00a0https://www.youtube.com/embed/AbThSpAcE12"></iframe>',
    '<iframe src="\u3000https://www.youtube.com/embed/AbThSpAcE12"></iframe>',
    '<iframe data-src="\u00a0https://player.vimeo.com/video/76979871"></iframe>',
])
def test_an_address_after_a_space_other_than_ascii_is_a_relative_one(body: str) -> None:
    """A browser drops only C0 controls and the ASCII space around an address (WHATWG URL parsing):
    after a no-break or an ideographic space, `https://…` is a path on the article's own site, in a
    link as in a frame. Neither is a post."""
    assert html(body) == []


@pytest.mark.parametrize(("body", "expected"), [
    ('<a href="https://twitter.com/jack/status/\n20">tweet</a>',
     ("linked", "twitter:20", "https://x.com/jack/status/20")),
    ('<a href="https://twitter.com/jack/status/2\r\n0">tweet</a>',
     ("linked", "twitter:20", "https://x.com/jack/status/20")),
    ('<a href="https://www.you\ntube.com/watch?v=AbThSpAcE12">video</a>',
     ("linked", "youtube:AbThSpAcE12", "https://www.youtube.com/watch?v=AbThSpAcE12")),
    ('<a href="https://vimeo.com/76979871/8272\t103f6e">film</a>',
     ("linked", "vimeo:76979871", "https://vimeo.com/76979871/8272103f6e")),
    ('<a href="https://toot.example/@a/11203691\n1513600000">toot</a>',
     ("linked", "mastodon:toot.example/112036911513600000", "https://toot.example/@a/112036911513600000")),
    ('<iframe src="https://www.youtube.com/embed/\nAbThSpAcE12"></iframe>',
     ("embedded", "youtube:AbThSpAcE12", "https://www.youtube.com/watch?v=AbThSpAcE12")),
    ('<iframe src=" https://player.vimeo.com/video/76979871?h=8272103f6e\n"></iframe>',
     ("embedded", "vimeo:76979871", "https://vimeo.com/76979871/8272103f6e")),
    ('<blockquote class="bluesky-embed"><p>Levee</p><a href="https://bsky.app/profile/did:plc:abc/post/\n3kx">'
     'March 4</a></blockquote>', ("embedded", "bluesky:3kx", "https://bsky.app/profile/did:plc:abc/post/3kx")),
    # An attribute that is no address keeps its line breaks: a class list split over two lines.
    ('<blockquote class="instagram-media\nig-wide" data-instgrm-permalink=" https://www.instagram.com/p/CxAbCdEfGhI/ ">'
     '</blockquote>', ("embedded", "instagram:CxAbCdEfGhI", "https://www.instagram.com/p/CxAbCdEfGhI/")),
])
def test_an_address_is_read_without_the_tabs_and_line_breaks_inside_it(body: str,
                                                                        expected: tuple[str, str, str]) -> None:
    """A browser removes every ASCII tab and line break from an address (WHATWG URL parsing: a CMS
    wrapped a long one): the link goes where the address without them goes, and so does the post."""
    assert [(p.kind, p.key, p.url) for p in html(body)] == [expected]


@pytest.mark.parametrize(("body", "expected"), [
    ('<div class="fb-post" data-href="https://www.facebook.com/rivertonnews/\n\t\tposts/1234567890123456"></div>',
     ("embedded", "facebook:1234567890123456", "https://www.facebook.com/rivertonnews/posts/1234567890123456/")),
    ('<blockquote data-embed-url="https://truthsocial.com/@someone/\t113000000000000011/embed">x</blockquote>',
     ("embedded", "truthsocial:113000000000000011", "https://truthsocial.com/@someone/113000000000000011")),
    ('<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/\tCxAbCdEfGhI/">'
     '</blockquote>', ("embedded", "instagram:CxAbCdEfGhI", "https://www.instagram.com/p/CxAbCdEfGhI/")),
    ('<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@a/\nvideo/7350000000000000001" data-video-id="">'
     '</blockquote>', ("embedded", "tiktok:7350000000000000001", "https://www.tiktok.com/@a/video/7350000000000000001")),
    ('<blockquote class="text-post-media" data-text-post-permalink="https://www.threads.net/@a/\npost/CxAbCdEfGhI">'
     '</blockquote>', ("embedded", "threads:CxAbCdEfGhI", "https://www.threads.net/@a/post/CxAbCdEfGhI")),
    ('<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc123/app.bsky.feed.post/\n3kq2vhxyzab2c">'
     '</blockquote>', ("embedded", "bluesky:3kq2vhxyzab2c", "https://bsky.app/profile/did:plc:abc123/post/3kq2vhxyzab2c")),
    ('<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/@a/\n112036911513600000/embed">'
     '</blockquote>',
     ("embedded", "mastodon:mastodon.social/112036911513600000", "https://mastodon.social/@a/112036911513600000")),
    # A class list split over lines stays a list, beside an address wrapped the same way.
    ('<blockquote class="instagram-media\nig-wide" data-instgrm-permalink="https://www.instagram.com/\np/CxAbCdEfGhI/">'
     '</blockquote>', ("embedded", "instagram:CxAbCdEfGhI", "https://www.instagram.com/p/CxAbCdEfGhI/")),
])
def test_an_embed_s_address_is_read_without_the_tabs_and_line_breaks_inside_it(
        body: str, expected: tuple[str, str, str]) -> None:
    """The address an embed's markup names (`data-href`, `cite`, a permalink, an `at://` URI) is read
    as a browser and the platform's script read it, without the ASCII tabs and line breaks a CMS
    wrapped it with, as a link's is: the post it names is found, not lost."""
    assert [(p.kind, p.key, p.url) for p in html(body)] == [expected]


def test_a_flattened_tweet_s_wrapped_date_link_gives_its_status_id() -> None:
    """A tweet flattened into paragraphs, its date link's address wrapped after `status/`: the
    address a browser follows gives the status ID, and the post is one, not a link beside it."""
    posts = html("<article><p>Closed:</p><p>All berths closed until further notice.</p>"
                 '<p>— Porthaven Harbour (@PorthavenPort) <a href="https://twitter.com/PorthavenPort/status/\n'
                 '1856300000000000000">November 12, 2024</a></p></article>')
    assert [(p.kind, p.evidence, p.post_id, p.handle) for p in posts] == [
        ("embedded", "text-signature", "1856300000000000000", "PorthavenPort")]


@pytest.mark.parametrize("gap", ["&#9;", "&#10;", "\n", "\r\n"])
def test_a_link_whose_tab_or_line_break_after_its_first_slash_makes_it_scheme_relative_is_read(gap: str) -> None:
    # A browser drops tabs and line breaks inside an address: `/<tab>/host/...` is `//host/...`.
    posts = html(f'<p><a href="/{gap}/twitter.com/jack/status/20">a tweet</a> <a href="/about">us</a>'
                 f' <a href="#top">top</a> <a href="mailto:x@twitter.com">mail</a></p>')
    assert rows(posts) == [("linked", "twitter", "20", "a[href]")]


@pytest.mark.parametrize("href", [
    "/\\twitter.com/jack/status/20",
    "\\/twitter.com/jack/status/20",
    "\\\\twitter.com/jack/status/20",
    "\\\\twitter.com\\jack\\status\\20",
    "https:\\\\twitter.com\\jack\\status\\20",
    "https:/\\x.com/jack/status/20",
    "https:\\/twitter.com/jack/status/20",
    "https://twitter.com\\jack\\status\\20",
    "https://twitter.com/jack\\status/20",
    "HTTPS:\\\\TWITTER.COM\\jack\\status\\20",
    " https:\\\\twitter.com\\jack\\status\\20 ",
    "https:\\\\twit&#10;ter.com\\jack\\status\\&#9;20",
    "/&#9;\\twitter.com/jack/status/20",
    "https:\\\\\\twitter.com\\jack\\status\\20?s=20\\x",
])
def test_a_link_written_with_backslashes_is_read_as_a_browser_reads_it(href: str) -> None:
    """In an http(s) address a browser reads a backslash before the query as a slash (WHATWG URL
    parsing): after the scheme or at the start of a link two of them, in any mix with slashes, begin
    the host, and one after the host begins the path. The link goes to the post its slash spelling
    names, and the post is that one, under its own key and address."""
    assert [(p.kind, p.key, p.url, p.evidence) for p in html(f'<a href="{href}">tweet</a>')] == [
        ("linked", "twitter:20", "https://x.com/jack/status/20", "a[href]")]


@pytest.mark.parametrize(("backslashes", "slashes"), [
    ("https:\\\\t.co\\AbCdEf1234", "https://t.co/AbCdEf1234"),
    ("\\\\youtu.be\\AbThSpAcE12", "//youtu.be/AbThSpAcE12"),
    ("https:\\\\www.tiktok.com\\@a\\video\\7350000000000000001", "https://www.tiktok.com/@a/video/7350000000000000001"),
    ("/\\toot.example\\@a\\112036911513600000", "//toot.example/@a/112036911513600000"),
])
def test_every_platform_s_link_written_with_backslashes_is_its_slash_spelling(backslashes: str, slashes: str) -> None:
    """A short link, a post on any host (Mastodon's) and a platform's post alike: the same post, key
    and address as the link written with slashes."""
    found = [(p.kind, p.key, p.url, p.links) for p in html(f'<a href="{backslashes}">post</a>')]
    assert found == [(p.kind, p.key, p.url, p.links) for p in html(f'<a href="{slashes}">post</a>')]
    assert len(found) == 1


@pytest.mark.parametrize(("src", "expected"), [
    ("https:\\\\www.youtube.com\\embed\\AbThSpAcE12", ("youtube:AbThSpAcE12", "https://www.youtube.com/watch?v=AbThSpAcE12")),
    ("\\\\player.vimeo.com\\video\\76979871", ("vimeo:76979871", "https://vimeo.com/76979871")),
    ("https://www.youtube.com\\embed\\AbThSpAcE12", ("youtube:AbThSpAcE12", "https://www.youtube.com/watch?v=AbThSpAcE12")),
    # An address written with slashes keeps its JSON escapes read as slashes (`\/` is `/`).
    ("//www.youtube.com\\/embed\\/AbThSpAcE12", ("youtube:AbThSpAcE12", "https://www.youtube.com/watch?v=AbThSpAcE12")),
])
def test_a_frame_s_address_written_with_backslashes_is_read_as_a_browser_reads_it(
        src: str, expected: tuple[str, str]) -> None:
    assert [(p.kind, p.key, p.url) for p in html(f'<iframe src="{src}"></iframe>')] == [("embedded", *expected)]


@pytest.mark.parametrize("src", [
    "https://www.youtube.com/embed/AbThSpAcE12",
    "https:\\/\\/www.youtube.com\\/embed\\/AbThSpAcE12?rel=0",
    "//www.youtube.com/embed/AbThSpAcE12",
])
def test_a_frame_copied_out_of_a_json_string_is_found_inside_its_escaped_quotes(src: str) -> None:
    """Markup copied out of a JSON string keeps its escaped quotes (`src=\\"https://...\\"`): the
    parser gives the attribute `\\"https://...\\"`, its quotes and backslashes left out before the
    address is read."""
    found = html(f'<iframe src=\\"{src}\\" width=\\"560\\"></iframe>')
    assert [(p.kind, p.key) for p in found] == [("embedded", "youtube:AbThSpAcE12")]


@pytest.mark.parametrize("href", [
    "/path\\with\\backslash",
    # One backslash at the start is one slash: a path on the article's own site, not a host.
    "\\twitter.com\\jack\\status\\20",
    "/twitter.com\\jack\\status\\20",
    # In the query a backslash stays one: the link is the article site's own page.
    "https://news.example/share?u=\\\\twitter.com\\jack\\status\\20",
    # Another scheme's address: a backslash there is no slash.
    "C:\\\\twitter.com\\jack\\status\\20",
])
def test_a_link_whose_backslashes_make_no_host_is_no_post(href: str) -> None:
    assert html(f'<a href="{href}">x</a>') == []
