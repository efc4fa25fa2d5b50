"""Plain-text detection: flattened tweets (text + "— Name (@handle) date"), captions, post URLs, short links."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.detect import detect
from archiver.detect.dates import parse_printed_date
from archiver.detect.signature import find_signature
from archiver.detect.text import split_units, weighted_length
from archiver.models import Document, Post, hash_key

FIXTURES = Path(__file__).parent / "fixtures" / "detect"


def scan_text(text: str, source: str = "text") -> list[Post]:
    return detect(Document(source=source, text=text, is_html=False))


def scan_file(name: str) -> list[Post]:
    return scan_text((FIXTURES / name).read_text(encoding="utf-8"), name)


# --- a wire story with flattened tweets --------------------------------------------------------------

WIRE_TWEETS = [
    # handle, author, date, body
    ("RivertonDesk", "Riverton News Desk", "2024-03-04",
     ("Water levels are rising fast near the old bridge, #Riverton residents told to move to higher ground "
      "pic.twitter.com/Zx81QmPa0c")),
    ("MayorRuiz", "Mayor Ana Ruiz 🌊", "2024-03-04",
     "Shelters open now at Lincoln High and the Civic Center. Bring medication and ID. @RedCrossRiv volunteers on site."),
    ("RiverKayakClub", "River Kayak Club", "2024-03-03",
     "Never seen the weir like this in 30 years\n— @paddler_joe pic.twitter.com/Kp9WeirPic"),
    ("WetterSued", "Wetterdienst Süd", "2024-03-04", "Starkregen bis Dienstag, Pegel steigt weiter. https://t.co/WxDe1234ab"),
    ("sakura_travel", "旅行者さくら", "2024-03-04", "川の水位がとても高いです 🌧"),
    ("RivertonSchools", "Riverton Schools", "2024-03-04", "Sandbag points tonight\nLincoln High gym\nCivic Center garage"),
    ("CityWorksRiv", "City Works", "2024-03-04", "Flood barrier on Mill St holding so far. Crews on site all night."),
    ("anon_witness", None, "2024-03-04", "Footbridge just went. Everyone on this side is safe."),
]


def test_wire_story_tweets_with_bodies() -> None:
    tweets = [p for p in scan_file("wire_story.txt") if p.kind == "embedded"]
    assert [(p.handle, p.author, p.posted_at, p.text) for p in tweets] == WIRE_TWEETS
    for post in tweets:
        assert post.platform == "twitter" and post.evidence == "text-signature"
        assert post.post_id is None and post.url is None
        assert post.key.startswith("twitter:h:")


def test_wire_story_links_and_media_as_written() -> None:
    tweets = {p.handle: p for p in scan_file("wire_story.txt") if p.kind == "embedded"}
    assert tweets["RivertonDesk"].media == ["pic.twitter.com/Zx81QmPa0c"]
    assert tweets["WetterSued"].links == ["https://t.co/WxDe1234ab"]
    assert tweets["RiverKayakClub"].media == ["pic.twitter.com/Kp9WeirPic"]


def test_dash_line_without_date_is_not_a_signature() -> None:
    posts = scan_file("wire_story.txt")
    handles = {p.handle for p in posts}
    assert "paddler_joe" not in handles and "someone_else" not in handles and "janeroe" not in handles
    # the last line "— @someone_else pic.twitter.com/NotASig002" leaves only a bare short link
    assert posts[-1].kind == "shortlink" and posts[-1].links == ["pic.twitter.com/NotASig002"]


def test_wire_story_status_url_and_short_links_outside_tweets() -> None:
    others = [(p.kind, p.post_id, p.links) for p in scan_file("wire_story.txt") if p.kind != "embedded"]
    assert others == [
        ("linked", "1581661660728950784", []),
        ("shortlink", None, ["pic.twitter.com/OutSide001"]),
        ("shortlink", None, ["pic.twitter.com/NotASig002"]),
    ]


def test_keys_are_stable_for_the_same_tweet() -> None:
    a = scan_file("wire_story.txt")
    b = scan_file("wire_story.txt")
    assert [p.key for p in a] == [p.key for p in b]
    assert len({p.key for p in a}) == len(a)


# --- captions and localized dates --------------------------------------------------------------------


def test_title_captions_and_localized_dates() -> None:
    posts = scan_file("captions_and_dates.txt")
    assert [(p.evidence, p.handle, p.author, p.posted_at, p.text) for p in posts] == [
        ("text-caption", "MayorRuiz", "Mayor Ana Ruiz", None, "Stay off the roads tonight. pic.twitter.com/RoAdS00001"),
        ("text-caption", None, "Riverton News Desk", None, "Bridge closed in both directions"),
        ("text-signature", "corr_ru", "Корреспондент", "2018-09-28", "Вода подступает к домам на набережной."),
        ("text-signature", "DPCgov", "Protezione Civile", "2017-05-13", "Allerta arancione sul fiume, evitate gli argini."),
        ("text-signature", "prefet59", "Préfecture du Nord", "2024-03-04", "Crue de la rivière : restez prudents."),
    ]
    assert posts[0].media == ["pic.twitter.com/RoAdS00001"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('Dave Schukin on Twitter: "How iOS 13 works"', (None, "Dave Schukin", "How iOS 13 works")),  # 2019 titles
        ('Dave (@schukin) on X: "x y"', ("schukin", "Dave", "x y")),
        ('Trump on X: "big news"', None),  # a headline, not a page title: no handle, no " / X"
        ('Musk on X: "we will" was the headline', None),
    ],
)
def test_caption_forms(line: str, expected: tuple[str | None, str, str] | None) -> None:
    posts = [p for p in scan_text(line) if p.kind == "embedded"]
    assert [(p.handle, p.author, p.text) for p in posts] == ([expected] if expected else [])


# --- html2text-style markdown --------------------------------------------------------------------------


def test_markdown_quotes_links_and_wrapped_dates() -> None:
    posts = scan_file("markdown_story.md")
    assert [(p.kind, p.post_id, p.handle, p.author) for p in posts] == [
        ("embedded", "1703436713362870723", "RivertonDesk", "Riverton News Desk"),
        ("embedded", "1650000000000000006", "RivertonSchools", "Riverton Schools 🏫"),
        ("linked", "1581661660728950784", "RivertonCounty", None),
        ("shortlink", None, None, None),
    ]
    first, second = posts[0], posts[1]
    assert first.posted_at == "2023-09-17T15:52:15.446Z"  # the status link survived: time from the ID
    assert first.text == (
        "Water levels are rising fast near the old bridge, #Riverton residents told to move to higher ground "
        "pic.twitter.com/Zx81QmPa0c"
    )
    assert first.media == ["pic.twitter.com/Zx81QmPa0c"] and first.links == []
    assert second.text == "Sandbag points tonight:\nLincoln High gym\nCivic Center garage"  # hard breaks kept


def test_a_signature_written_under_a_quote_block_closes_that_block() -> None:
    # Two different tweets by one handle on one day, each quoted with its signature outside the
    # quote: each keeps its text (and so its own key); a blank line still parts quote and signature.
    posts = scan_text("> First claim the levee will hold\n— Q (@qqq) March 5, 2024\n\nArticle text.\n\n"
                      "> Second, different tweet\n— Q (@qqq) March 5, 2024\n\n> Not its text\n\n"
                      "Its text\n— Q (@qqq) March 6, 2024\n")
    assert [(p.handle, p.text) for p in posts] == [
        ("qqq", "First claim the levee will hold"), ("qqq", "Second, different tweet"), ("qqq", "Its text")]
    assert len({p.key for p in posts}) == 3


def test_scheme_less_links_on_sub_domains_and_in_capitals() -> None:
    # As written in running text: a platform's sub-domain (old.reddit.com) and short links whose
    # host is in capitals are the same posts as their plain spellings.
    posts = scan_text("See old.reddit.com/r/news/comments/abc123/flood and T.CO/AbC123xyz, "
                      "PIC.TWITTER.COM/Kp9WeirPic and Mobile.Twitter.com/jack/status/20.\n")
    assert {p.key for p in posts} == {
        "reddit:abc123", "twitter:20",
        *(p.key for p in scan_text("t.co/AbC123xyz pic.twitter.com/Kp9WeirPic"))}
    assert len(posts) == 4
    # A host run into a word is that word's (`notx.com`), not a platform's.
    assert scan_text("notx.com/jack/status/20 and bit.co/AbC123xyz\n") == []


def test_a_list_bullet_before_a_flattened_tweet_is_not_its_text() -> None:
    # Reactions gathered as a Markdown list: "- " / "* " is the list's, not the tweet's; a dash
    # inside the text, or one with no space after it, stays.
    posts = scan_text("Reactions:\n\n- Flood waters rising - stay safe\n— Jane (@jane) March 4, 2024\n\n"
                      "* Second one\n— Bob (@bob) March 5, 2024\n\n"
                      "-5 degrees tonight\n— Cat (@cat) March 6, 2024\n")
    assert [(p.handle, p.text) for p in posts] == [
        ("jane", "Flood waters rising - stay safe"), ("bob", "Second one"),
        ("cat", "-5 degrees tonight")]


def test_a_post_address_in_a_flattened_tweets_text_is_cited_too() -> None:
    posts = scan_text("Look at this https://twitter.com/other/status/1764653344456642016\n— Foo (@foo) March 4, 2024\n")
    assert [(p.key, p.kind, p.handle) for p in posts] == [
        ("twitter:1764653344456642016", "linked", "other"), (posts[1].key, "embedded", "foo")]
    assert posts[1].text == "Look at this https://twitter.com/other/status/1764653344456642016"


def test_units_join_quoted_paragraphs_and_strip_markdown() -> None:
    units = split_units("> a [x\\.y](https://e.com/1) b\n> c\n>\n> d\n\nplain \\- line\n")
    assert [(u.text, u.quoted, u.links) for u in units] == [
        ("a x.y b c", True, ["https://e.com/1"]),
        ("d", True, []),
        ("plain - line", False, []),
    ]
    assert units[0].block == units[1].block and units[2].blank_before is True


# --- signatures -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "name", "handle", "date"),
    [
        ("— Riverton News Desk (@RivertonDesk) March 4, 2024", "Riverton News Desk", "RivertonDesk", "2024-03-04"),
        ("&mdash; Name (@h_1) July 3, 2019", "Name", "h_1", "2019-07-03"),
        ("-- Name (@h) July 3, 2019", "Name", "h", "2019-07-03"),
        ("- Name (@h) July 3, 2019", "Name", "h", "2019-07-03"),
        ("– Name (@h) on X July 3, 2019", "Name", "h", "2019-07-03"),
        ("— (@nobody) 3 July 2019", None, "nobody", "2019-07-03"),
        ("— Johannes Ceh #ValueEnhancer (@johannesceh) 29. April 2018", "Johannes Ceh #ValueEnhancer", "johannesceh",
         "2018-04-29"),
        ("— 東京新聞 (@tokyo_shimbun) 2016年11月25日", "東京新聞", "tokyo_shimbun", "2016-11-25"),
        ("text pic.twitter.com/AbCdEf1234— Name (@h) July 3, 2019", "Name", "h", "2019-07-03"),
        ("— Jean-Pierre Dupont (@jpd) 25. September 2018", "Jean-Pierre Dupont", "jpd", "2018-09-25"),
        ("— Name (@h) 2019-07-03", "Name", "h", "2019-07-03"),  # year first: unambiguous
        ("— Name (@h) 2019/07/03 and more text", "Name", "h", "2019-07-03"),
        ("Great day - see you there — Name Here (@nh) July 3, 2019", "Name Here", "nh", "2019-07-03"),
    ],
)
def test_signature_variants(line: str, name: str | None, handle: str, date: str) -> None:
    sig = find_signature(line)
    assert sig is not None
    assert (sig.name, sig.handle, sig.date) == (name, handle, date)


@pytest.mark.parametrize(
    "line",
    [
        "— @someone pic.twitter.com/AbCdEf1234",
        "— Name (@h)",  # no date
        "— Name (@h) said yesterday",  # relative words are not a date
        "Reporting by Jane Roe (@janeroe) - editing by Tom Poe",
        "well-known (@h) July 3, 2019",  # a hyphen inside a word is no dash
        "— Name (@this_handle_is_too_long) July 3, 2019",
        "— Name (@h) 3/7/2019",  # day and month order unknown: never a guess
        "The mayor - Jane Doe (@janedoe) - said on March 4, 2024 that roads are closed.",
    ],
)
def test_not_signatures(line: str) -> None:
    assert find_signature(line) is None


def test_signature_needs_no_date_inside_an_embed() -> None:
    sig = find_signature("— Name (@h) <no date>", need_date=False)
    assert sig is not None and sig.handle == "h" and sig.date is None


def test_glued_signature_body_and_following_text() -> None:
    posts = scan_text("Intro line.\n\nBridge closed pic.twitter.com/AbCdEf1234— Desk (@desk) July 3, 2019\n")
    assert [(p.handle, p.text, p.posted_at) for p in posts] == [
        ("desk", "Bridge closed pic.twitter.com/AbCdEf1234", "2019-07-03")
    ]


@pytest.mark.parametrize("printed", ["February 30, 2024", "31 June 2024", "April 31, 2019"])
def test_a_signature_whose_date_no_calendar_holds_is_still_a_tweet_of_no_known_day(printed: str) -> None:
    (post,) = scan_text(f"Intro.\n\nBridge closed pic.twitter.com/AbCdEf1234\n— Desk (@desk) {printed}\nMore.\n")
    assert (post.kind, post.handle, post.author, post.posted_at, post.text) == (
        "embedded", "desk", "Desk", None, "Bridge closed pic.twitter.com/AbCdEf1234")
    # A byline's date after a dash, or a day past any month's, is still no signature.
    assert find_signature("Jane Roe (@janeroe) — November 30, 2024") is None
    assert find_signature("— Desk (@desk) February 32, 2024") is None


def test_signature_date_on_the_next_line() -> None:
    (post,) = scan_text("Intro.\n\nBridge closed\n— Desk (@desk)\nMarch 4, 2024\nNext paragraph of the article.\n")
    assert (post.handle, post.author, post.posted_at, post.text) == ("desk", "Desk", "2024-03-04", "Bridge closed")


def test_a_status_url_written_after_the_date_is_the_tweet_s_own() -> None:
    """A copied embed whose date link became text: one post, with its ID, not an ID-less post
    beside a linked one. Another account's status URL there is a link, not this tweet's ID."""
    (post,) = scan_text("Sandbags going up\n— Riverton News Desk (@RivertonDesk) March 4, 2024 "
                        "https://twitter.com/rivertondesk/status/1764718078373491923\n")
    assert (post.key, post.kind, post.text) == ("twitter:1764718078373491923", "embedded", "Sandbags going up")
    posts = scan_text("Another one\n— Someone (@other) March 5, 2024 https://x.com/RivertonDesk/status/1764718078373491924\n")
    assert [(p.post_id, p.kind, p.handle) for p in posts] == [
        (None, "embedded", "other"), ("1764718078373491924", "linked", "RivertonDesk")]


def test_long_paragraph_above_a_tweet_is_not_part_of_it() -> None:
    article = "Officials said " + "the water kept rising " * 20 + "through the night."
    text = f"{article}\nCrews on site all night.\n— City Works (@CityWorksRiv) March 4, 2024\n"
    (post,) = scan_text(text)
    assert post.text == "Crews on site all night."


def test_long_post_directly_above_signature_is_taken_whole() -> None:
    long_post = "Update: " + "sandbags " * 60  # longer than 280: a paid account's post
    (post,) = scan_text(f"Lead-in.\n\n{long_post}\n— Desk (@desk) March 4, 2024\n")
    assert post.text == long_post.strip()


def test_weighted_length() -> None:
    assert weighted_length("abc") == 3
    assert weighted_length("日本") == 4
    assert weighted_length("see https://example.com/a/very/long/path/indeed") == 4 + 23
    assert weighted_length("pic.twitter.com/AbCdEf1234") == 23


@given(
    name=st.text(st.characters(blacklist_characters="()—–―-\n\r\t&", blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                 max_size=30).map(lambda s: " ".join(s.split())),
    handle=st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True),
    day=st.dates(min_value=__import__("datetime").date(2007, 1, 1), max_value=__import__("datetime").date(2030, 12, 31)),
)
def test_signature_round_trip(name: str, handle: str, day: object) -> None:
    line = f"— {name} (@{handle}) {day:%B} {day.day}, {day.year}"  # type: ignore[attr-defined]
    sig = find_signature(line)
    assert sig is not None
    assert sig.handle == handle
    assert sig.name == (name or None)
    assert sig.date == f"{day:%Y-%m-%d}"


@pytest.mark.parametrize(
    ("printed", "iso"),
    [
        ("25. September 2018", "2018-09-25"),
        ("2016年11月25日", "2016-11-25"),
        ("2016년 11월 25일", "2016-11-25"),
        ("13 maggio 2017", "2017-05-13"),
        ("28 сентября 2018 г.", "2018-09-28"),
        ("March 5, 2024 at 9:12 AM", "2024-03-05"),
        ("Monday, March 4, 2024", "2024-03-04"),
        ("2024", None),  # no day, no month: never a guess
        ("March 2024", None),
        ("4.3.2024", None),  # numeric dates are ambiguous and never printed by embeds
        ("Blah 2019 blah", None),
        ("yesterday", None),
    ],
)
def test_printed_dates(printed: str, iso: str | None) -> None:
    from archiver.detect.dates import parse_printed_date

    assert parse_printed_date(printed) == iso


def test_long_line_full_of_dashes_is_linear() -> None:
    import time

    line = "word - (@h) " * 50_000  # 600 kB of signature look-alikes without a date
    started = time.process_time()
    assert scan_text(line) == []
    assert time.process_time() - started < 4.0  # linear: ~0.2 s; the quadratic version took ~10 s


@pytest.mark.parametrize(("line", "key"), [
    # A post's address runs into the punctuation after it: dashes, CJK and fullwidth marks end it.
    ("see https://vimeo.com/76979871\u2014it's great", "vimeo:76979871"),
    ("see https://t.me/durov/123\u2014it's great", "telegram:durov/123"),
    ("see https://www.instagram.com/p/CzAbCdEfGhI\u2014it's great", "instagram:CzAbCdEfGhI"),
    ("see https://mastodon.social/@Gargron/112345678901234567\u2014it's great", "mastodon:mastodon.social/112345678901234567"),
    ("\u898b\u3066 https://bsky.app/profile/jay.bsky.team/post/3l6oveex3ii2l\u3002", "bluesky:3l6oveex3ii2l"),
    ("\uff08https://t.me/durov/124\uff09", "telegram:durov/124"),
    ("\u00abhttps://vimeo.com/76979872\u00bb", "vimeo:76979872"),
    ("https://vimeo.com/76979873| next", "vimeo:76979873"),
])
def test_a_post_address_ends_where_the_punctuation_after_it_begins(line: str, key: str) -> None:
    assert [p.key for p in scan_text(line, "t.txt")] == [key]


@pytest.mark.parametrize(("line", "link"), [
    # Short links with their host in capitals, as some pages shout them.
    ("HTTPS://T.CO/UpperCase1", "https://t.co/UpperCase1"),
    ("Https://Pic.Twitter.com/UpperCase2", "https://pic.twitter.com/UpperCase2"),
    ("HTTPS://VM.TIKTOK.COM/ZMeAbCdEf/", "https://vm.tiktok.com/ZMeAbCdEf/"),
    ("HTTPS://FB.WATCH/abcDEF123/", "https://fb.watch/abcDEF123/"),
    # Chinese and Japanese text runs into a link with no space between.
    ("\u8a73\u7d30\u306f\u3053\u3061\u3089https://t.co/AbCdEf1234", "https://t.co/AbCdEf1234"),
    ("\u3053\u3053https://vm.tiktok.com/ZMeAbCdEf/", "https://vm.tiktok.com/ZMeAbCdEf/"),
])
def test_short_links_in_capitals_or_run_into_cjk_text_are_found(line: str, link: str) -> None:
    (post,) = scan_text(line, "t.txt")
    assert [u.rstrip("/") for u in post.links] == [link.rstrip("/")]


def test_a_media_link_run_into_cjk_text_belongs_to_its_flattened_tweet() -> None:
    text = ("\u6771\u4eac\u3067\u5927\u96e8\u5199\u771fpic.twitter.com/ZyXwVu9876\n"
            "\u2014 \u5c71\u7530 (@yamada) 2022\u5e7410\u670816\u65e5")
    (post,) = scan_text(text, "t.txt")
    assert post.handle == "yamada" and [m.rsplit("/", 1)[1] for m in post.media] == ["ZyXwVu9876"]


@pytest.mark.parametrize("line", ["see \u00f1t.co/AbCdEf12 now", "bit.co/AbCdEf12", "caf\u00e9pic.twitter.com/AbCdEf12",
                                  "\u0434\u0430vm.tiktok.com/ZMeAbCdEf/"])
def test_a_short_link_host_inside_a_word_is_no_short_link(line: str) -> None:
    # Only Chinese, Japanese and Korean text runs into a link; a letter of any other script is part
    # of a word whose ending merely looks like the host.
    assert scan_text(line, "t.txt") == []


def test_a_short_link_run_into_cjk_text_is_found_in_an_html_page_too() -> None:
    # The raw page's short-link codes decide whether its text is read at all.
    page = "<html><body><p>\u4eca\u65e5\u306e\u5199\u771fpic.twitter.com/AbCdEf1234</p></body></html>"
    (post,) = detect(Document(source="p.html", text=page, is_html=True))
    assert [m.rsplit("/", 1)[1] for m in [*post.links, *post.media]][:1] == ["AbCdEf1234"]
    thai = "<p>\u0e14\u0e39\u0e17\u0e35\u0e48\u0e19\u0e35\u0e48https://t.co/AbCdEf5678</p>"
    assert [p.links for p in detect(Document(source="t.html", text=thai, is_html=True))] == [["https://t.co/AbCdEf5678"]]


# An Instagram byline prints its time in US Pacific time; a bare date stands for a UTC day, so the
# day kept is the one that moment falls on in UTC (the evening in California is the next day there).
@pytest.mark.parametrize(("printed", "day"), [
    ("Jun 15, 2019 at 11:55pm PDT", "2019-06-16"),
    ("Jun 15, 2019 at 11:55am PDT", "2019-06-15"),
    ("Dec 31, 2018 at 4:05pm PST", "2019-01-01"),
    ("Dec 31, 2018 at 3:59pm PST", "2018-12-31"),
    ("Jan 1, 2019 at 12:30am PST", "2019-01-01"),
    ("Jun 15, 2019 at 23:55 UTC", "2019-06-15"),
    ("Jun 15, 2019 at 11:55pm XYZ", "2019-06-15"),  # a zone not known: the day as printed
    ("Jun 15, 2019", "2019-06-15"),
])
def test_a_flattened_instagram_byline_gives_the_utc_day_of_its_printed_time(printed: str, day: str) -> None:
    text = f"View this post on Instagram\nLate night at the harbour\nA post shared by Ruth (@ruth.garden) on {printed}\n"
    [found] = scan_text(text)
    assert (found.platform, found.handle, found.posted_at) == ("instagram", "ruth.garden", day)
    # Keyed by the day as printed, as it was before the time was read: archives hold it so.
    assert found.key == hash_key("instagram", "ruth.garden", parse_printed_date(printed.split(" at ")[0]),
                                 "Late night at the harbour")


def test_an_instagram_embed_without_its_time_element_reads_the_printed_time() -> None:
    markup = ('<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/ByxilPNJK3M/">'
              '<p><a href="https://www.instagram.com/p/ByxilPNJK3M/">A post shared by Spice Girls (@spicegirls)</a>'
              ' on Jun 15, 2019 at 11:55pm PDT</p></blockquote>')
    [found] = detect(Document("page.html", markup, True))
    assert (found.evidence, found.handle, found.posted_at) == ("blockquote.instagram-media", "spicegirls", "2019-06-16")


# The snippet's other languages print the time after a word or two of their own ("a las", "alle ore")
# and German after "um", with "Uhr"; a zone printed after it moves the day as the English one does.
@pytest.mark.parametrize(("line", "printed_day", "day"), [
    ("Una publicación compartida de Ruth (@ruth.garden) el 15 jun, 2019 a las 23:55 PDT", "2019-06-15", "2019-06-16"),
    ("Un post condiviso da Ruth (@ruth.garden) il 15 giu 2019 alle ore 23:55 PDT", "2019-06-15", "2019-06-16"),
    ("Ein Beitrag geteilt von Ruth (@ruth.garden) am 15. Juni 2019 um 23:55 Uhr PDT", "2019-06-15", "2019-06-16"),
    ("Ein Beitrag geteilt von Ruth (@ruth.garden) am 23. Okt 2017 um 0:31 Uhr", "2017-10-23", "2017-10-23"),
])
def test_an_instagram_byline_in_another_language_gives_the_utc_day_of_its_printed_time(
        line: str, printed_day: str, day: str) -> None:
    [found] = scan_text(f"View this post on Instagram\nLate night at the harbour\n{line}\n")
    assert (found.platform, found.handle, found.posted_at) == ("instagram", "ruth.garden", day)
    assert found.key == hash_key("instagram", "ruth.garden", printed_day, "Late night at the harbour")
