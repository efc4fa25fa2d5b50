"""Platform registry, per-platform URL rules and times, content sniffing, merging."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from archiver import platforms
from archiver.detect import detect, looks_like_html
from archiver.detect.merge import merge_posts
from archiver.models import Document, Post
from archiver.platforms import BUILT_IN, match_embed_src, match_url
from archiver.platforms.linkedin import update_time
from archiver.platforms.mastodon import status_time
from archiver.platforms.tiktok import video_time

PLATFORM_DIR = Path(platforms.__file__).parent


def test_registry_has_every_platform_once_in_its_own_module() -> None:
    names = [p.name for p in BUILT_IN]
    assert len(names) == len(set(names))
    modules = {p.stem for p in PLATFORM_DIR.glob("*.py")} - {"__init__", "base", "capture", "hops", "plugins", "sharelinks"}
    packages = {p.parent.name for p in PLATFORM_DIR.glob("*/__init__.py")}
    assert not modules & packages
    assert modules | packages == set(names)


def test_registry_is_one_line_per_platform() -> None:
    """Adding a built-in platform = one module or package + one line in the registry."""
    source = (PLATFORM_DIR / "__init__.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    registry = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "BUILT_IN"
    )
    assert isinstance(registry, ast.Tuple)
    lines = [source.splitlines()[elt.lineno - 1].strip() for elt in registry.elts]
    assert lines == [f"{p.name}.PLATFORM," for p in platforms.BUILT_IN]


@pytest.mark.parametrize(
    ("url", "platform", "post_id", "canonical"),
    [
        ("https://www.instagram.com/p/BalQ2SWFty8/?utm_source=ig_web", "instagram", "BalQ2SWFty8",
         "https://www.instagram.com/p/BalQ2SWFty8/"),
        # an instance named m.* is its own server, not a mobile front of another
        ("https://m.cmx.im/@a/111111111111111111", "mastodon", "m.cmx.im/111111111111111111",
         "https://m.cmx.im/@a/111111111111111111"),
        ("https://cmx.im/@a/111111111111111111", "mastodon", "cmx.im/111111111111111111",
         "https://cmx.im/@a/111111111111111111"),
        ("https://other.example/@foo-bar@server.example/109876543210987600", "mastodon",
         "other.example/109876543210987600", "https://other.example/@foo-bar@server.example/109876543210987600"),
        # %40 and %3A read as the servers read them
        ("https://mastodon.social/%40Gargron/110000000000000000", "mastodon", "mastodon.social/110000000000000000",
         "https://mastodon.social/@Gargron/110000000000000000"),
        ("https://www.tiktok.com/%40scout2015/video/6718335390845095173", "tiktok", "6718335390845095173",
         "https://www.tiktok.com/@scout2015/video/6718335390845095173"),
        ("https://www.threads.net/%40zuck/post/CuP48CiS5sx", "threads", "CuP48CiS5sx",
         "https://www.threads.net/@zuck/post/CuP48CiS5sx"),
        ("https://bsky.app/profile/did%3Aplc%3Az72i7hdynmk6r22z27h6tvur/post/3l6oveex3ii2l", "bluesky", "3l6oveex3ii2l",
         "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3l6oveex3ii2l"),
        ("https://www.threads.net/t/CuP48CiS5sx/", "threads", "CuP48CiS5sx", "https://www.threads.net/t/CuP48CiS5sx"),
        ("https://www.reddit.com/user/spez/comments/1abxyz9/an_update/", "reddit", "1abxyz9",
         "https://www.reddit.com/comments/1abxyz9/"),
        ("https://www.reddit.com/u/spez/comments/xyz780/hello/", "reddit", "xyz780", "https://www.reddit.com/comments/xyz780/"),
        ("https://t.me/durov/49/50", "telegram", "durov/50", "https://t.me/durov/50"),
        ("https://t.me/durov/49/", "telegram", "durov/49", "https://t.me/durov/49"),
        ("https://vimeo.com/showcase/7654321/video/987654321", "vimeo", "987654321", "https://vimeo.com/987654321"),
        ("https://www.youtube.com/watch/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://m.tiktok.com/v/6718335390845095173.html", "tiktok", "6718335390845095173",
         "https://www.tiktok.com/@/video/6718335390845095173"),
        ("https://www.tiktok.com/share/video/6718335390845095173", "tiktok", "6718335390845095173",
         "https://www.tiktok.com/@/video/6718335390845095173"),
        ("https://instagram.com/reels/CxYz123abc/", "instagram", "CxYz123abc", "https://www.instagram.com/reel/CxYz123abc/"),
        ("https://www.instagram.com/someuser/p/BalQ2SWFty8/", "instagram", "BalQ2SWFty8",
         "https://www.instagram.com/p/BalQ2SWFty8/"),
        ("https://www.tiktok.com/@user.name/video/7106594312292453675?is_from_webapp=1", "tiktok",
         "7106594312292453675", "https://www.tiktok.com/@user.name/video/7106594312292453675"),
        ("https://youtu.be/dQw4w9WgXcQ?t=10", "youtube", "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ",
         "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://www.youtube.com/live/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://www.facebook.com/story.php?story_fbid=123456&id=789", "facebook", "123456",
         "https://www.facebook.com/permalink.php?story_fbid=123456&id=789"),
        ("https://m.facebook.com/watch/?v=555444333", "facebook", "555444333", "https://www.facebook.com/watch/?v=555444333"),
        # a live video's address as Facebook writes it
        ("https://www.facebook.com/watch/live/?v=1234567891&ref=watch_permalink", "facebook", "1234567891",
         "https://www.facebook.com/watch/?v=1234567891"),
        # a shared video's attribution link: the video's address is its `u` parameter, encoded or not
        ("https://www.youtube.com/attribution_link?a=abc&u=%2Fwatch%3Fv%3DdQw4w9WgXcQ%26feature%3Dshare", "youtube",
         "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://www.youtube.com/attribution_link?a=abc&u=/watch?v=dQw4w9WgXcQ", "youtube",
         "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://www.facebook.com/reel/1234567890", "facebook", "1234567890", "https://www.facebook.com/reel/1234567890/"),
        # A group's post: the group is no author, so no handle; both spellings are one address.
        ("https://www.facebook.com/groups/harbourresidents/posts/1234567890123/?comment_id=77", "facebook",
         "1234567890123", "https://www.facebook.com/groups/harbourresidents/posts/1234567890123/"),
        ("https://m.facebook.com/groups/987654321/permalink/1234567890/", "facebook", "1234567890",
         "https://www.facebook.com/groups/987654321/posts/1234567890/"),
        ("https://www.facebook.com/harbourcouncil/videos/vb.100064000000001/2000000007/", "facebook", "2000000007",
         "https://www.facebook.com/harbourcouncil/videos/2000000007/"),
        ("https://www.facebook.com/harbourcouncil/videos/levee-at-night/2000000006/", "facebook", "2000000006",
         "https://www.facebook.com/harbourcouncil/videos/2000000006/"),
        ("https://bsky.app/profile/alice.bsky.social/post/3kq2vhxyzab2c", "bluesky", "3kq2vhxyzab2c",
         "https://bsky.app/profile/alice.bsky.social/post/3kq2vhxyzab2c"),
        ("https://mastodon.social/@Gargron/109876543210987654", "mastodon", "mastodon.social/109876543210987654",
         "https://mastodon.social/@Gargron/109876543210987654"),
        ("https://mastodon.social/users/Gargron/statuses/109876543210987654", "mastodon",
         "mastodon.social/109876543210987654", "https://mastodon.social/@Gargron/109876543210987654"),
        # an account of another server, as mastodon.social shows its post; a status by its ID alone
        ("https://mastodon.social/@someone@other.example/112037462016000000", "mastodon",
         "mastodon.social/112037462016000000", "https://mastodon.social/@someone@other.example/112037462016000000"),
        ("https://mastodon.social/web/statuses/112036911513600000", "mastodon",
         "mastodon.social/112036911513600000", "https://mastodon.social/web/statuses/112036911513600000"),
        ("https://truthsocial.com/web/statuses/111222333444555666", "truthsocial", "111222333444555666",
         "https://truthsocial.com/web/statuses/111222333444555666"),
        ("https://www.tiktok.com/@/video/7340000000000000001", "tiktok", "7340000000000000001",
         "https://www.tiktok.com/@/video/7340000000000000001"),
        ("https://truthsocial.com/@someone/posts/111222333444555666", "truthsocial", "111222333444555666",
         "https://truthsocial.com/@someone/111222333444555666"),
        ("https://www.threads.net/@zuck/post/C4ThReAdS01/?xmt=1", "threads", "C4ThReAdS01",
         "https://www.threads.net/@zuck/post/C4ThReAdS01"),
        ("https://old.reddit.com/r/pics/comments/abc123/some_title/def456/", "reddit", "abc123/def456",
         "https://www.reddit.com/r/pics/comments/abc123/comment/def456/"),
        ("https://www.reddit.com/r/pics/comments/abc123/comment/def456/", "reddit", "abc123/def456",
         "https://www.reddit.com/r/pics/comments/abc123/comment/def456/"),
        ("https://www.reddit.com/r/pics/comments/abc123/some_title/comment/def456/", "reddit", "abc123/def456",
         "https://www.reddit.com/r/pics/comments/abc123/comment/def456/"),
        ("https://www.reddit.com/r/pics/comments/abc123/some_title/related/", "reddit", "abc123",
         "https://www.reddit.com/r/pics/comments/abc123/"),
        ("https://www.reddit.com/r/pics/comments/abc123/comment/", "reddit", "abc123",
         "https://www.reddit.com/r/pics/comments/abc123/"),
        ("https://www.reddit.com/gallery/Abc123", "reddit", "abc123", "https://www.reddit.com/comments/abc123/"),
        ("https://t.me/s/durov/43", "telegram", "durov/43", "https://t.me/durov/43"),
        # Telegram channel names and Reddit IDs are read in any case: one post, one key.
        ("https://t.me/Durov/43", "telegram", "durov/43", "https://t.me/durov/43"),
        ("https://www.reddit.com/r/Pics/comments/ABC123/Some_Title/DEF456/", "reddit", "abc123/def456",
         "https://www.reddit.com/r/Pics/comments/abc123/comment/def456/"),
        ("https://redd.it/ABC123", "reddit", "abc123", "https://www.reddit.com/comments/abc123/"),
        ("https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7150988713210245120/", "linkedin",
         "7150988713210245120", "https://www.linkedin.com/feed/update/urn:li:activity:7150988713210245120/"),
        ("https://vimeo.com/groups/shortfilms/videos/22439234", "vimeo", "22439234", "https://vimeo.com/22439234"),
        # unlisted: the privacy hash stays with the video's address
        ("https://player.vimeo.com/video/100000001?h=ABCDEF1234&badge=0", "vimeo", "100000001",
         "https://vimeo.com/100000001/abcdef1234"),
        ("https://vimeo.com/100000006/abcdef1234", "vimeo", "100000006", "https://vimeo.com/100000006/abcdef1234"),
    ],
)
def test_post_urls(url: str, platform: str, post_id: str, canonical: str) -> None:
    found = match_url(url)
    assert found is not None
    plat, match = found
    assert (plat.name, match.post_id, match.url) == (platform, post_id, canonical)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.instagram.com/explore/tags/flood/",
        "https://www.instagram.com/reels/audio/1234567890123456/",
        "https://www.tiktok.com/@user",
        "https://www.youtube.com/channel/UC123",
        "https://www.youtube.com/embed/videoseries?list=PL123",
        "https://www.youtube.com/embed/live_stream?channel=UCabcdefghijklmnopqrstuv",
        "https://www.youtube.com/watch?v=live_stream&channel=UCabcdefghijklmnopqrstuv",
        "https://www.facebook.com/sharer/sharer.php?u=https://example.org",
        "https://www.facebook.com/groups/123/posts/456",
        "https://www.facebook.com/groups/harbourresidents/about/",
        "https://www.facebook.com/share/p/1HbrShare1/",  # a share link: no post until followed
        "https://bsky.app/profile/alice.bsky.social",
        "https://t.me/share/url?url=https://example.org",
        "https://t.me/joinchat/AAAA",
        "https://www.linkedin.com/in/someone/",
        "https://vimeo.com/about",
        "https://www.reddit.com/r/pics/",
        "https://example.com/@someone/123",
        "https://www.facebook.com/page/posts/12345678abc",  # an ID ends at a non-word character
        "https://www.tiktok.com/@u/video/7106594312292453675abc",
        "https://www.linkedin.com/feed/update/urn:li:activity:7150988713210245120x",
        "mailto:someone@example.com",
        # "." and ".." are no record keys; IDs are ASCII digits, not their look-alikes
        "https://bsky.app/profile/did:plc:abc/post/.",
        "https://bsky.app/profile/did:plc:abc/post/..",
        "https://www.tiktok.com/@user/video/\uff17\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10",
        "https://www.tiktok.com/@user/video/\u0667\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660",
        "https://mastodon.social/@user/\uff11\uff11\uff11\uff12\uff12\uff12\uff13\uff13\uff13",
        "https://player.vimeo.com/video/\uff17\uff16\uff19\uff17\uff19\uff18",
        "https://www.facebook.com/reel/\uff11\uff12\uff13\uff14\uff15\uff16",
        "https://t.me/durov/\uff11\uff12\uff13",
        "https://www.linkedin.com/feed/update/urn:li:activity:\uff17\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10",
        "https://twitter.com/jack/status/\uff12\uff10",
    ],
)
def test_non_post_urls(url: str) -> None:
    assert match_url(url) is None


def test_embed_src_only_for_players() -> None:
    assert match_embed_src("https://www.facebook.com/plugins/like.php?href=https%3A%2F%2Fwww.facebook.com%2Fp%2Fposts%2F1")\
        is None
    found = match_embed_src("https://platform.twitter.com/embed/Tweet.html?id=1146359923158089728")
    assert found is not None and found[1].post_id == "1146359923158089728"


def test_times_from_ids() -> None:
    assert video_time("7106594312292453675") == "2022-06-07T20:15:27Z"
    assert video_time("12345") is None  # would be 1970: never a guess
    assert status_time("109876543210987654") == "2023-02-16T21:29:55.773Z"
    assert status_time("4242") is None  # pre-snowflake sequential ID
    assert update_time("7150988713210245120") == "2024-01-10T23:16:08.174Z"
    assert update_time("123") is None


# --- sniffing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html><html><body>x</body></html>",
        "\ufeff  <!doctype HTML>\n<title>x</title>",
        "<?xml version='1.0'?>\n<html xmlns='http://www.w3.org/1999/xhtml'></html>",
        "<!-- saved page -->\n<html><head></head></html>",
        '<blockquote class="twitter-tweet"><p>hi</p></blockquote>',
        "<div><p>Fragment with <a href='x'>a link</a></p></div>",
        # one pasted embed written as its custom element
        '<amp-twitter data-tweetid="1200000000000000022"></amp-twitter>',
        '<lite-youtube videoid="dQw4w9WgXcQ"></lite-youtube>',
    ],
)
def test_looks_like_html(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "Plain article text.\n— Name (@handle) March 4, 2024",
        "I <3 rivers and 3 < 4 > 2.",
        "> quoted markdown\n> [link](https://example.com)",
        "Use the <b> tag for bold, they said.",
        "Embeds use <amp-twitter> in AMP pages.",
        # Markdown with inline formatting: its bare post addresses are read as text's are
        "# Newsletter\n\nWe loved <b>this</b> tweet: https://x.com/a/status/1581661660728950802\n\n"
        "And <i>this</i> video<br>https://youtu.be/dQw4w9WgXcQ <em>wow</em> <strong>!</strong>\n",
        "",
    ],
)
def test_looks_like_text(text: str) -> None:
    assert not looks_like_html(text)


def test_markdown_with_inline_tags_keeps_its_post_addresses() -> None:
    text = ("# Newsletter\n\nWe loved <b>this</b> tweet: https://x.com/a/status/1581661660728950802\n\n"
            "And <i>this</i> video https://youtu.be/dQw4w9WgXcQ\n")
    posts = detect(Document(source="n.md", text=text, is_html=looks_like_html(text)))
    assert [p.key for p in posts] == ["twitter:1581661660728950802", "youtube:dQw4w9WgXcQ"]


@pytest.mark.parametrize(("link", "key"), [
    ("https://web.archive.org/web/20200101000000/https://twitter.com/wb/status/1519480761749016590",
     "twitter:1519480761749016590"),
    ("http://web.archive.org/web/2020id_/http:/mobile.twitter.com/wb/status/1519480761749016590?s=20",
     "twitter:1519480761749016590"),
    ("https://web.archive.org/web/*/twitter.com/wb/status/1519480761749016590", "twitter:1519480761749016590"),
    ("https://web.archive.org/web/2024/https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube:dQw4w9WgXcQ"),
    ("https://web.archive.org/web/2020/https://news.example/2024/story.html", None),
    ("https://web.archive.org/web/2020/https://web.archive.org/web/2019/https://x.com/a/status/20", None),
    ("https://web.archive.org/details/twitter.com/a/status/20", None),
])
def test_a_link_to_the_wayback_machines_copy_of_a_post_cites_the_post(link: str, key: str | None) -> None:
    # Fact-checks cite posts already gone by their archived copy; and a page read from the Wayback
    # Machine has every link rewritten so.
    for doc in (Document(source="a.html", text=f'<p><a href="{link}">archived</a></p>', is_html=True),
                Document(source="a.txt", text=f"Since deleted: {link}\n", is_html=False)):
        posts = detect(doc)
        assert [p.key for p in posts] == ([key] if key else []), (doc.source, posts)
        assert all(p.kind == "linked" for p in posts)


# --- merging -----------------------------------------------------------------------------------------


def test_merge_keeps_richest_fields_and_strongest_kind() -> None:
    linked = Post(platform="twitter", kind="linked", source="s", evidence="a[href]", post_id="1146359923158089728",
                  url="https://x.com/i/web/status/1146359923158089728", posted_at="2019-07-03T10:07:58.675Z")
    embedded = Post(platform="twitter", kind="embedded", source="s", evidence="blockquote.twitter-tweet",
                    post_id="1146359923158089728", handle="schukin", author="Dave Schukin", text="hello",
                    links=["https://t.co/a"], posted_at="2019-07-03")
    (merged,) = merge_posts([linked, embedded])
    assert merged.kind == "embedded" and merged.evidence == "blockquote.twitter-tweet"
    assert (merged.handle, merged.author, merged.text) == ("schukin", "Dave Schukin", "hello")
    assert merged.posted_at == "2019-07-03T10:07:58.675Z"
    assert merged.url == "https://x.com/schukin/status/1146359923158089728"
    assert merged.links == ["https://t.co/a"]


@pytest.mark.parametrize("link_first", [False, True])
def test_an_embeds_handle_is_kept_over_a_link_naming_the_post_under_another_username(link_first: bool) -> None:
    # A link's username is only a hint (an old handle, another account's address for the post): the
    # embed's signature says whose the post is, whichever comes first and whichever is longer.
    tweet = ('<blockquote class="twitter-tweet"><p lang="en">just setting up my twttr</p>&mdash; jack (@jack) '
             '<a href="https://twitter.com/jack/status/20">March 21, 2006</a></blockquote>')
    tiktok = ('<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@scout2015/video/6718335390845095173" '
              'data-video-id="6718335390845095173"><section><a title="@scout2015" '
              'href="https://www.tiktok.com/@scout2015?refer=embed">@scout2015</a><p>caption</p></section></blockquote>')
    links = ('<p>As <a href="https://x.com/someoneelse/status/20">reported</a>, and '
             '<a href="https://www.tiktok.com/@someotheraccount/video/6718335390845095173">here</a>.</p>')
    html = f"<html><body>{links}{tweet}{tiktok}</body></html>" if link_first else \
        f"<html><body>{tweet}{tiktok}{links}</body></html>"
    posts = {p.key: p for p in detect(Document(source="a.html", text=html, is_html=True))}
    tw, tt = posts["twitter:20"], posts["tiktok:6718335390845095173"]
    assert (tw.kind, tw.handle, tw.author, tw.url) == ("embedded", "jack", "jack", "https://x.com/jack/status/20")
    assert (tt.kind, tt.handle) == ("embedded", "scout2015")
    assert tt.url is not None and "@scout2015/" in tt.url


def test_a_signatures_handle_is_kept_over_an_earlier_embed_naming_the_post_by_address_alone() -> None:
    # A WordPress embed block holding only the post's address comes first; the blockquote after it
    # signs the post: its handle is the author's, the address's username only a hint.
    html = ('<figure class="wp-block-embed is-provider-twitter"><div class="wp-block-embed__wrapper">'
            'https://twitter.com/oldname/status/20</div></figure>'
            '<blockquote class="twitter-tweet"><p>just setting up my twttr</p>&mdash; jack (@jack) '
            '<a href="https://twitter.com/oldname/status/20">March 21, 2006</a></blockquote>')
    (post,) = detect(Document(source="a.html", text=html, is_html=True))
    assert (post.kind, post.handle, post.author) == ("embedded", "jack", "jack")


def test_of_two_links_naming_a_post_under_different_usernames_the_first_is_kept() -> None:
    html = ('<p><a href="https://x.com/oldname/status/20">a</a> '
            '<a href="https://x.com/muchlongername/status/20">b</a></p>')
    (post,) = detect(Document(source="a.html", text=html, is_html=True))
    assert (post.kind, post.handle) == ("linked", "oldname")


def test_shortlink_inside_a_found_post_is_not_reported_twice() -> None:
    text = "Bridge closed pic.twitter.com/AbCdEf1234\n— Desk (@desk) March 4, 2024\n\nAlso pic.twitter.com/AbCdEf1234"
    posts = detect(Document("t", text, False))
    assert [p.kind for p in posts] == ["embedded"]


def test_detect_sets_source_everywhere() -> None:
    html = '<p><a href="https://youtu.be/dQw4w9WgXcQ">v</a></p><iframe src="https://player.vimeo.com/video/123"></iframe>'
    posts = detect(Document("page.html", html, True))
    assert {p.source for p in posts} == {"page.html"}
    assert all(re.fullmatch(r"[a-z]+:.+", p.key) for p in posts)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://mobile.twitter.com/schukin/status/1146359923158089728/photo/1?s=20",
         ("twitter", "1146359923158089728", "https://x.com/schukin/status/1146359923158089728", "schukin")),
        ("twitter.com/i/web/status/1146359923158089728",  # as written in text, no scheme
         ("twitter", "1146359923158089728", "https://x.com/i/web/status/1146359923158089728", None)),
        ("https://platform.twitter.com/embed/Tweet.html?dnt=true&id=1146359923158089728",  # a player URL
         ("twitter", "1146359923158089728", "https://x.com/i/web/status/1146359923158089728", None)),
        ("//www.youtube-nocookie.com/embed/Kd2q-MaHMWs?controls=2",
         ("youtube", "Kd2q-MaHMWs", "https://www.youtube.com/watch?v=Kd2q-MaHMWs", None)),
        ("https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com%2FPage%2Fposts%2F123456789",
         ("facebook", "123456789", "https://www.facebook.com/Page/posts/123456789/", "Page")),
        ("https://t.me/s/rivertonnews/4321", ("telegram", "rivertonnews/4321", "https://t.me/rivertonnews/4321", "rivertonnews")),
        # The channel's name as the page wrote it stays its handle.
        ("https://t.me/RivertonNews/4321", ("telegram", "rivertonnews/4321", "https://t.me/rivertonnews/4321", "RivertonNews")),
    ],
)
def test_platform_for_url(url: str, expected: tuple[str, str, str, str | None]) -> None:
    from archiver.detect import platform_for_url

    assert platform_for_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["", "  ", "https://example.com/", "https://t.co/AbCdEf1234", "https://www.youtube.com/embed/videoseries?list=PL1",
     "https://www.facebook.com/plugins/like.php?href=https%3A%2F%2Fwww.facebook.com%2FPage%2Fposts%2F123456789",
     "https://twitter.com/intent/tweet?url=https://twitter.com/a/status/1146359923158089728"],
)
def test_platform_for_url_none(url: str) -> None:
    from archiver.detect import platform_for_url

    assert platform_for_url(url) is None


def test_one_telegram_post_in_two_cases_is_one_post() -> None:
    """A channel's widget names it as its owner typed it, a link in the text another way: one post."""
    from archiver.detect import detect
    from archiver.models import Document

    html = ('<p>As <a href="https://t.me/rivertonnews/4321">the channel said</a>:</p>'
            '<script async src="https://telegram.org/js/telegram-widget.js?22" '
            'data-telegram-post="RivertonNews/4321" data-width="100%"></script>'
            '<p><a href="https://www.reddit.com/r/news/comments/Abc123/x/">thread</a> '
            '<a href="https://redd.it/abc123">again</a></p>')
    posts = detect(Document(source="page.html", text=html, is_html=True))
    assert [(p.key, p.kind) for p in posts] == [("telegram:rivertonnews/4321", "embedded"), ("reddit:abc123", "linked")]


def test_an_unlisted_vimeo_video_is_asked_about_with_its_hash() -> None:
    """Vimeo plays an unlisted video, and oEmbed answers for it, only with its privacy hash: without
    it the video "does not exist", which would read a live video deleted."""
    from archiver.capture.oembed import metadata_url
    from archiver.platforms.vimeo.detect import embed_url

    (post,) = detect(Document(source="a.html", text='<iframe src="https://player.vimeo.com/video/100000001?h=abcdef1234">'
                                                  "</iframe>", is_html=True))
    assert (post.post_id, post.url) == ("100000001", "https://vimeo.com/100000001/abcdef1234")
    assert embed_url(post.post_id, post.url) == "https://player.vimeo.com/video/100000001?h=abcdef1234"
    assert metadata_url("vimeo", post.url) == ("https://vimeo.com/api/oembed.json?url="
                                               "https%3A%2F%2Fvimeo.com%2F100000001%2Fabcdef1234")
    assert embed_url("100000006", "https://vimeo.com/100000006") == "https://player.vimeo.com/video/100000006"


@pytest.mark.parametrize("html", [
    '<a href="https://vimeo.com/76979871">the film</a>'
    '<iframe src="https://player.vimeo.com/video/76979871?h=8272103f6e"></iframe>',
    '<iframe src="https://player.vimeo.com/video/76979871?h=8272103f6e"></iframe>'
    '<a href="https://vimeo.com/76979871">the film</a>',
])
def test_an_unlisted_vimeo_video_keeps_its_hash_whichever_spelling_comes_first(html: str) -> None:
    (post,) = detect(Document(source="a.html", text=html, is_html=True))
    assert (post.key, post.kind, post.url) == ("vimeo:76979871", "embedded", "https://vimeo.com/76979871/8272103f6e")
    (post,) = detect(Document(source="a.txt", text="Watch https://vimeo.com/76979871 (or "
                                                   "https://player.vimeo.com/video/76979871?h=8272103f6e).\n", is_html=False))
    assert post.url == "https://vimeo.com/76979871/8272103f6e"


def test_merging_keeps_the_first_of_two_different_hashes_and_never_another_videos_address() -> None:
    from archiver.platforms.vimeo.detect import richer_url

    first, other = "https://vimeo.com/76979871/8272103f6e", "https://vimeo.com/76979871/0000aaaa11"
    (post,) = detect(Document(source="a.txt", text=f"{first}\n{other}\n", is_html=False))
    assert post.url == first
    assert not richer_url("https://vimeo.com/76979871", "https://vimeo.com/76979872/8272103f6e")
    assert not richer_url(first, "https://vimeo.com/76979871")


def test_an_embedded_reddit_comment_has_no_text_but_its_author() -> None:
    """Reddit's snippet for a comment labels its link "Comment": that word is no text of the comment
    (nor is the discussion's title); a post's snippet labels its link with the post's title."""
    comment = ('<blockquote class="reddit-embed-bq" data-embed-height="240">'
               '<a href="https://www.reddit.com/r/rust/comments/1833k19/comment/kamde3v/">Comment</a><br> by'
               '<a href="https://www.reddit.com/user/ferris/">u/ferris</a> from discussion'
               '<a href="https://www.reddit.com/r/rust/comments/1833k19/async_drop/">Async drop, again</a><br> in'
               '<a href="https://www.reddit.com/r/rust/">rust</a></blockquote>')
    (post,) = detect(Document(source="a.html", text=comment, is_html=True))
    assert (post.key, post.kind, post.handle, post.text) == ("reddit:1833k19/kamde3v", "embedded", "ferris", None)
    titled = comment.replace("comments/1833k19/comment/kamde3v/\">Comment", "comments/1833k19/async_drop/\">Async drop")
    (post,) = detect(Document(source="a.html", text=titled, is_html=True))
    assert (post.key, post.text) == ("reddit:1833k19", "Async drop")


def test_a_remote_accounts_post_is_by_that_account() -> None:
    """`mastodon.social/@someone@other.example/ID`: the post of other.example's someone, as
    mastodon.social shows it (the ID is mastodon.social's)."""
    found = match_url("https://mastodon.social/@someone@other.example/112037462016000000")
    assert found is not None and found[1].handle == "someone@other.example"
    local = match_url("https://mastodon.social/@someone@mastodon.social/112037462016000000")
    assert local is not None and (local[1].handle, local[1].url) == (
        "someone@mastodon.social", "https://mastodon.social/@someone/112037462016000000")
    bare = match_url("https://mastodon.social/web/statuses/112036911513600000")
    assert bare is not None and bare[1].handle is None


def test_a_bluesky_snippets_text_keeps_its_lines_without_the_media_placeholder() -> None:
    """The official snippet: the post's lines as `<br>`, then `[image or embed]` linking the post
    where it had media or quoted a post (not words of the post)."""
    html = ('<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc123/app.bsky.feed.post/3kq2vhxyzab2c">'
            '<p lang="en">Our street is dry for now.<br>Thanks, volunteers.<br><br>'
            '<a href="https://bsky.app/profile/did:plc:abc123/post/3kq2vhxyzab2c?ref_src=embed">[image or embed]</a></p>'
            '&mdash; Riverton Desk (<a href="https://bsky.app/profile/did:plc:abc123">@desk.bsky.social</a>) '
            '<a href="https://bsky.app/profile/did:plc:abc123/post/3kq2vhxyzab2c">March 4, 2024 at 9:05 AM</a>'
            '</blockquote>')
    (post,) = detect(Document(source="a.html", text=html, is_html=True))
    assert post.text == "Our street is dry for now.\nThanks, volunteers."
    assert post.handle == "desk.bsky.social"


def test_amp_components_of_facebook_vimeo_and_tiktok_are_posts() -> None:
    html = ('<!doctype html><html amp><head></head><body>'
            '<amp-facebook width="552" height="310" layout="responsive" '
            'data-href="https://www.facebook.com/harbourcouncil/posts/1234567890"></amp-facebook>'
            '<amp-facebook data-embed-as="video" '
            'data-href="https://www.facebook.com/harbourcouncil/videos/2000000007/"></amp-facebook>'
            '<amp-vimeo data-videoid="22439234" layout="responsive" width="500" height="281"></amp-vimeo>'
            '<amp-tiktok width="325" height="575" data-src="https://www.tiktok.com/@harbourcam/video/7350000000000000004">'
            '</amp-tiktok><amp-tiktok data-src="7350000000000000005"></amp-tiktok></body></html>')
    posts = detect(Document(source="a.html", text=html, is_html=True))
    assert [(p.key, p.evidence) for p in posts] == [
        ("facebook:1234567890", "amp-facebook"), ("facebook:2000000007", "amp-facebook"),
        ("vimeo:22439234", "amp-vimeo"), ("tiktok:7350000000000000004", "amp-tiktok"),
        ("tiktok:7350000000000000005", "amp-tiktok")]
    # Outside an AMP document the components are not rendered: not posts there.
    assert detect(Document(source="b.html", text=html.replace("<html amp>", "<html>"), is_html=True)) == []


@pytest.mark.parametrize("src", ["https://PLATFORM.TWITTER.COM/embed/Tweet.html?id=1581661660728950860",
                                 "https://platform.X.com/embed/Tweet.html?id=1581661660728950860"])
def test_a_tweet_player_with_its_host_in_capitals_is_the_tweet(src: str) -> None:
    found = match_embed_src(src)
    assert found is not None and found[0].name == "twitter" and found[1].post_id == "1581661660728950860"


def test_each_key_has_a_folder_of_its_own_inside_its_platform_s(tmp_path: Path) -> None:
    from archiver.layout import SHOT_DIR, post_dir

    keys = ["twitter:20", "mastodon:mastodon.social/111", "bluesky:did:plc:abc/3l6oveex3ii2l", "bluesky:..",
            "bluesky:.", "tiktok:\uff17\uff12\uff13", "tiktok:\u0667\u0662\u0663", "tiktok:___", "x:" + "9" * 200,
            "x:" + "9" * 201, "twitter:h:2e3abd731f583c2c7ce778618c183f751a920b560c04e1b0a6a507eae929fa89"]
    folders = [post_dir(tmp_path, key) for key in keys]
    assert len(set(folders)) == len(keys)
    for key, folder in zip(keys, folders, strict=True):
        assert folder.parent.parent == tmp_path / SHOT_DIR and folder.name not in (".", "..", ""), (key, folder)
        assert folder.resolve().parent == (tmp_path / SHOT_DIR / key.split(":")[0]).resolve(), (key, folder)
    # Plain keys keep the folders they always had.
    assert [f.name for f in folders[:3]] == ["20", "mastodon.social_111", "did_plc_abc_3l6oveex3ii2l"]


@pytest.mark.parametrize(("markup", "key", "evidence"), [
    # The old Reddit card, labelled by its own class, not by the newer embed's.
    ('<blockquote class="reddit-card" data-card-created="1500000000"><a href="https://www.reddit.com/r/pics/'
     'comments/6abcde/old_card/?ref=share&ref_source=embed">Old card</a> from <a href="http://www.reddit.com/r/pics">'
     "r/pics</a></blockquote>", "reddit:6abcde", "blockquote.reddit-card"),
    ('<blockquote class="reddit-embed-bq"><a href="https://www.reddit.com/r/pics/comments/6abcdf/new/">New</a>'
     "</blockquote>", "reddit:6abcdf", "blockquote.reddit-embed-bq"),
    # A Mastodon embed of a Truth Social post is named by the class the page gives it.
    ('<blockquote class="mastodon-embed" data-embed-url="https://truthsocial.com/@someone/113000000000000009/embed">'
     "x</blockquote>", "truthsocial:113000000000000009", "blockquote.mastodon-embed"),
    ('<blockquote class="truthsocial-embed" data-embed-url="https://truthsocial.com/@someone/113000000000000010/embed">'
     "x</blockquote>", "truthsocial:113000000000000010", "blockquote.truthsocial-embed"),
    ('<blockquote data-embed-url="https://truthsocial.com/@someone/113000000000000011/embed">x</blockquote>',
     "truthsocial:113000000000000011", "blockquote[data-embed-url]"),
    ('<iframe src="https://mastodon.social/@someone/113000000000000019/embed"></iframe>',
     "mastodon:mastodon.social/113000000000000019", "iframe[src]"),
    ('<iframe class="mastodon-embed" src="https://mastodon.social/@someone/113000000000000020/embed"></iframe>',
     "mastodon:mastodon.social/113000000000000020", "iframe.mastodon-embed"),
    # truthsocial.com written with www. is the same server.
    ('<a href="https://www.truthsocial.com/@x/113000000000000012">www</a>', "truthsocial:113000000000000012", "a[href]"),
])
def test_an_embed_is_named_by_what_the_page_holds(markup: str, key: str, evidence: str) -> None:
    posts = detect(Document(source="page.html", text=f"<!doctype html><body>{markup}</body>", is_html=True))
    assert [(p.key, p.evidence) for p in posts] == [(key, evidence)]


def test_a_bluesky_post_without_its_record_key_says_so_not_that_its_author_is_unknown() -> None:
    from types import SimpleNamespace

    from archiver.platforms.bluesky.postcheck import probe

    post = SimpleNamespace(key="bluesky:h:503e62", platform="bluesky", post_id=None, url=None,
                           handle="rivertondesk.bsky.social")
    found = probe(post, None)  # type: ignore[arg-type]  # nothing is asked: the record key is missing
    assert (found.status, found.reason) == ("unknown", "the post's record key (the last part of its address) is not known")
    nobody = SimpleNamespace(key="bluesky:h:1", platform="bluesky", post_id="3kabc", url=None, handle=None)
    assert probe(nobody, None).reason == "the post's author (handle or DID) is not known"  # type: ignore[arg-type]
