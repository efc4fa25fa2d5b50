"""The attribute cap put on HTML before it is parsed: a tag's attributes past MAX_ATTRIBUTES are
dropped (lexbor's parse is quadratic in a tag's attributes), nothing changes within the cap. The cap
is looked for on pages of few tags for their size (over 256 bytes a tag), where such a tag can be
much of the page."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from archiver.detect import detect
from archiver.detect.depth import MAX_ATTRIBUTES, cap_attributes, few_tags, for_parser
from archiver.detect.html import parse_page
from archiver.models import Document

TWEET = ('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">After the crowd</p>&mdash; Jack (@jack) '
         '<a href="https://twitter.com/jack/status/20">March 21, 2006</a></blockquote>')
_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _page(tag: str) -> str:
    # A tag of very many attributes is looked for where it can be much of the page: over 256 bytes a
    # tag (every `<` counted, those in names and values too).
    text = "words " * (50 * (tag.count("<") + 20))
    return f"<html><body>{tag}x</div><p>{text}</p>{TWEET}</body></html>"


def _attributes(html: str) -> list[tuple[str, str | None]]:
    div = LexborHTMLParser(html).css_first("div")
    assert div is not None
    return list(div.attributes.items())


def test_the_page_qa_found_is_parsed_with_its_tag_capped_and_the_post_after_it_found() -> None:
    # 40,000 attributes took lexbor some 5 s, 200,000 (1.8 MB) two minutes; past the cap they are dropped.
    html = _page("<div " + " ".join(f"a{i}=x" for i in range(40_000)) + ">")
    raw = html.encode()
    assert not few_tags(raw)
    div = parse_page(html, raw).css_first("div")
    assert div is not None and len(div.attributes) == MAX_ATTRIBUTES
    assert list(div.attributes)[-1] == f"a{MAX_ATTRIBUTES - 1}"
    posts = detect(Document(source="attrs.html", text=html, is_html=True, raw=raw, utf8=True))
    assert [p.post_id for p in posts] == ["20"]


# Every way the tokenizer separates attributes, and what may stand in a name or a value: a page
# cannot hide a tag's attributes from the cap by a `>` in quoted values, quotes or `<` in names,
# slashes, or quoted values with nothing between them.
_SEPARATORS = st.sampled_from([" ", "\n", "\t", "\r\n", "\f", "/", " / ", "  "])
_SPACES = st.sampled_from([" ", "\n", "\t", "\r\n", "\f", " / ", "  "])
_NAMES = st.sampled_from(["a{}", "=a{}", 'a{}"', "a{}'", "a{}<", "data-x{}", "A{}b", "x{}:y"])
_VALUES = st.sampled_from(["", "=x", '="v"', "='v'", '=">"', "='>'", '="a > b"', "= \"s p\"", "=a=b", '=a"b',
                           "='\"'", '="/>"', "=<", '=""'])


@st.composite
def _tags(draw: st.DrawFn, most: int) -> tuple[str, int]:
    n = draw(st.integers(min_value=0, max_value=most))
    parts = []
    for i in range(n):
        value = draw(_VALUES)
        # After a quoted value the next attribute may follow with nothing between; an unquoted one
        # ends at whitespace only (a `/` is part of it).
        if value.endswith(('"', "'")):
            sep = draw(st.sampled_from(["", " ", "/"]))
        else:
            sep = draw(_SEPARATORS if not value else _SPACES)
        parts.append(draw(_NAMES).format(i) + value + sep)
    if parts and not parts[-1].endswith((" ", "\n", "\t", "\f", "/")):
        parts[-1] += " "
    end = draw(st.sampled_from([">", "/>", " >"]))
    return "<div " + "".join(parts) + end, n


@_SETTINGS
@given(_tags(MAX_ATTRIBUTES))
def test_tags_within_the_cap_are_returned_unchanged(tag: tuple[str, int]) -> None:
    html = _page(tag[0])
    assert for_parser(html) is html
    assert cap_attributes(html) is html


@_SETTINGS
@given(_tags(MAX_ATTRIBUTES * 3))
def test_a_tag_past_the_cap_keeps_its_first_attributes_as_the_parser_reads_them(tag: tuple[str, int]) -> None:
    html = _page(tag[0])
    whole = _attributes(html)
    capped = for_parser(html)
    assert _attributes(capped) == whole[:MAX_ATTRIBUTES]
    assert (capped is html) == (len(whole) <= MAX_ATTRIBUTES)  # (some tokens join: `a =b` is one)
    assert [p.post_id for p in detect(Document(source="t.html", text=capped, is_html=True))] == ["20"]


def test_every_tag_past_the_cap_is_capped_and_what_lies_between_stays() -> None:
    many = " ".join(f"b{i}" for i in range(MAX_ATTRIBUTES * 3))
    html = ("<html><body>" + "".join(f"<div id=d{k} {many}>text {k}</div><p>between {k}</p>" for k in range(3))
            + TWEET + "</body></html>")
    tree = LexborHTMLParser(for_parser(html))
    divs = tree.css("div")
    assert [len(d.attributes) for d in divs] == [MAX_ATTRIBUTES] * 3
    assert [d.text() for d in divs] == ["text 0", "text 1", "text 2"]
    assert [p.text() for p in tree.css("p")][:3] == ["between 0", "between 1", "between 2"]


def test_markup_parsed_again_out_of_a_hidden_container_is_capped_too() -> None:
    inner = "<div " + " ".join(f"a{i}" for i in range(20_000)) + ">x</div>" + TWEET
    html = f"<html><body><textarea>{inner.replace('<', '&lt;')}</textarea></body></html>"
    posts = detect(Document(source="hidden.html", text=html, is_html=True, raw=html.encode(), utf8=True))
    assert [p.post_id for p in posts] == ["20"]


def test_a_page_of_many_tags_for_its_size_is_not_searched_for_such_tags() -> None:
    """The limit of the cap, as docs/safety.md says: the search would cost a tenth of detection on
    every page, so a page padded with tags (under 256 bytes a tag) keeps its tag whole."""
    tag = "<div " + " ".join(f"a{i}" for i in range(MAX_ATTRIBUTES * 2)) + ">"
    padded = f"<html><body>{tag}x</div>" + "<b>y</b>" * 2000 + "</body></html>"
    assert for_parser(padded) is padded


_MANY = " ".join(f"a{i}" for i in range(20_000))


def test_platform_pages_read_to_check_an_embed_hold_the_cap() -> None:
    from archiver.capture.embedpage import parse_html

    div = parse_html(f"<html><body><div {_MANY}>x</div></body></html>").css_first("div")
    assert div is not None and len(div.attributes) == MAX_ATTRIBUTES


def test_the_page_head_export_reads_holds_the_cap() -> None:
    """A description named past the 256th attribute is dropped with them; one named before is read."""
    from archiver.export.summary import html_description

    late = f'<html><head><meta {_MANY} name="description" content="late"></head><body></body></html>'
    early = f'<html><head><meta name="description" content="early" {_MANY}></head><body></body></html>'
    assert html_description(late.encode()) is None
    assert html_description(early.encode()) == "early"


def test_archived_tweet_pages_hold_the_cap() -> None:
    from archiver.platforms.twitter.wayback import parse_archived_tweet

    page = f'<html><head><meta {_MANY} property="og:description" content="late"></head><body></body></html>'
    assert parse_archived_tweet(page, post_id="20").text is None


def test_a_page_measured_in_bytes_is_capped_whatever_its_characters() -> None:
    """Over 256 bytes a tag but under 256 characters (CJK text: three bytes a character): the tag
    found in the page's bytes is capped in the text handed to the parser too."""
    tag = "<div " + " ".join(f"a{i}" for i in range(5_000)) + ">"
    html = "<html><body>" + tag + "x</div>" + "".join("<p>" + "漢" * 250 + "</p>" for _ in range(600)) + "</body></html>"
    raw = html.encode()
    assert len(raw) > 256 * raw.count(b"<") > len(html)
    div = parse_page(html, raw).css_first("div")
    assert div is not None and len(div.attributes) == MAX_ATTRIBUTES
