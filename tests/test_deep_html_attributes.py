"""The attribute cap put on HTML before it is parsed: a tag's attributes past MAX_ATTRIBUTES are
dropped (lexbor's parse is quadratic in a tag's attributes), nothing changes within the cap. Every
tag is searched on pages of few tags for their size (over 256 bytes a tag), where such a tag can be
much of the page; on the others, probes find the tags long enough to cost the parser anything (over
18 KB)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from archiver.detect import depth, detect
from archiver.detect.depth import MAX_ATTRIBUTES, cap_attributes, few_tags, for_parser
from archiver.detect.html import parse_page
from archiver.models import Document
from tests.conftest import corpus_dir

TWEET = ('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">After the crowd</p>&mdash; Jack (@jack) '
         '<a href="https://twitter.com/jack/status/20">March 21, 2006</a></blockquote>')
_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                     derandomize=True)


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
    kept = _attributes(capped)
    # The first attributes, as the parser reads them: the cap keeps the tag's first 256 written,
    # of which the parser drops a name written twice (`=a0= "s p"a1 =a2=` spells some names twice).
    assert kept == whole[:len(kept)] and len(kept) <= MAX_ATTRIBUTES
    if len(whole) > MAX_ATTRIBUTES:
        assert capped is not html and len(kept) < len(whole)
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


def test_text_with_a_quote_before_the_tag_does_not_hide_it() -> None:
    """`x="y ` in the text before a tag whose first `>` is in a single-quoted value: the search for
    quoted `>`s read one value from the text's `="` to that `>`, and looked for the tag before it."""
    many = " ".join(f"a{i}" for i in range(MAX_ATTRIBUTES * 4))
    text = "words " * 5000  # few tags for the page's size: every tag is searched
    for before in ('x="y ', 'x = "y ', "x='y ", "x=\"y\" "):
        html = f"<html><body><p>{before}<div c='>' {many}>in</div></p><p>{text}</p></body></html>"
        assert len(_attributes(for_parser(html))) == MAX_ATTRIBUTES, before


def _padded(tag: str, before: int = 0, after: int = 3000) -> str:
    """A page of many small tags for its size (under 256 bytes a tag): `tag` after `before`
    characters of them and before `after` of them, a post last."""
    pad, wide = "<b>y</b>", "<b>" + "y" * 57 + "</b>"  # (the wide one: fewer tags before, for long offsets)
    html = ("<html><body>" + wide * (before // len(wide)) + "y" * (before % len(wide)) + f"{tag}x</div>"
            + pad * after + TWEET + "</body></html>")
    raw = html.encode()
    assert len(raw) <= 256 * raw.count(b"<") and raw.count(b"<") <= 10_000  # not every tag searched
    return html


def test_a_page_padded_with_small_tags_has_its_long_tag_capped() -> None:
    """The page QA timed: 100,000 attributes beside 3,000 small tags (713 KB) took lexbor 10.5 s,
    its tag too short for the page's size to be searched among every tag; a probe finds it."""
    html = _padded("<div " + " ".join(f"a{i}" for i in range(100_000)) + ">")
    raw = html.encode()
    assert not few_tags(raw)  # (before a parse that would take seconds, when the tag is missed)
    held = for_parser(html, size=len(raw))
    assert held is not html and len(held) < 100_000
    div = parse_page(html, raw).css_first("div")
    assert div is not None and len(div.attributes) == MAX_ATTRIBUTES
    assert list(div.attributes)[-1] == f"a{MAX_ATTRIBUTES - 1}"
    posts = detect(Document(source="padded.html", text=html, is_html=True, raw=raw, utf8=True))
    assert [p.post_id for p in posts] == ["20"]


def test_a_long_tag_holding_quoted_gts_is_found_too() -> None:
    """`>` inside quoted values, and `<i>` in some, make the tag look like many short ones to a
    search for long runs without `>`; or one at its start makes the rest look like text."""
    for value in ('=">"', "='a > b'", '="<i>"', "= \n '<i>'"):
        for every in (50, 1000, 30_000):
            attrs = " ".join(f"a{i}{value}" if i % every == 0 else f"a{i}" for i in range(30_000))
            html = _padded(f"<div {attrs}>")
            assert not few_tags(html.encode()), (value, every)
            assert len(_attributes(for_parser(html))) == MAX_ATTRIBUTES, (value, every)


# A tag of 20 KB (longer than any the probes may miss: 18 KB), spelt every way `_tags` spells one and
# with markup in its values, at any offset from the probes (16 KB apart).
_LONG = 20 * 1024
_LONG_VALUES = st.sampled_from(['=">"', "='>'", '="<i>"', "='<p>x</p>'", '="a > b"', "", "=x", '="v"'])


@st.composite
def _long_tags(draw: st.DrawFn) -> str:
    unit = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        value = draw(_VALUES | _LONG_VALUES)
        sep = draw(st.sampled_from(["", " ", "/"])) if value.endswith(('"', "'")) else \
            draw(_SEPARATORS if not value else _SPACES)
        unit.append((draw(_NAMES), value, sep))
    parts: list[str] = []
    size, i = 0, 0
    while size < _LONG:
        for name, value, sep in unit:
            part = name.format(i) + value + sep
            parts.append(part)
            size += len(part)
            i += 1
    if not parts[-1].endswith((" ", "\n", "\t", "\f", "/")):
        parts[-1] += " "
    return "<div " + "".join(parts) + draw(st.sampled_from([">", "/>", " >"]))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
@given(_long_tags(), st.integers(min_value=0, max_value=_LONG))
def test_a_long_tag_on_a_padded_page_is_capped_wherever_it_lies_and_however_spelt(tag: str, before: int) -> None:
    html = _padded(tag, before, after=1000)
    whole = _attributes(html)
    assume(len(whole) > MAX_ATTRIBUTES)  # (not when a value swallows what follows: `a =b=">"` ends at `>`)
    assert not few_tags(html.encode())
    capped = for_parser(html)
    # The parser's reading of the first MAX_ATTRIBUTES: fewer when some are duplicates it drops
    # (`"s` twice in `=a0= "s p"a1 =a2= "s p"`, which it reads as `=a0="s p" a1="a2=" "s p"a3`...).
    kept = _attributes(capped)
    assert kept == whole[: len(kept)] and 0 < len(kept) <= MAX_ATTRIBUTES
    assert len(capped) <= len(html) - len(tag) + 32 * MAX_ATTRIBUTES  # (none of these is longer than 32)


def test_a_padded_page_keeps_a_tag_too_short_to_cost_the_parser_whole() -> None:
    """The limit of the cap, as docs/safety.md says: on a page of many tags for its size, a tag that
    begins and ends between two probes keeps its attributes (it parses in a few hundredths of a
    second at most)."""
    tag = "<div " + " ".join(f"a{i}" for i in range(MAX_ATTRIBUTES * 2)) + ">"
    padded = _padded(tag)
    assert for_parser(padded) is padded
    assert few_tags(padded.encode())


def test_ordinary_pages_are_handed_to_the_parser_as_they_are() -> None:
    """The probes find something to search on a few corpus pages (long scripts and texts), and
    nothing to cap: every page is parsed as it is, from its bytes."""
    pages = sorted((corpus_dir() / "articles").glob("*.html"))
    assert len(pages) == 30
    for page in pages:
        raw = page.read_bytes()
        html = raw.decode("utf-8", errors="replace")
        assert few_tags(raw), page.name
        assert for_parser(html) is html, page.name


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


def test_repeated_html_and_body_tags_keep_the_cap_in_all() -> None:
    """lexbor copies the attributes of every later `<html>` / `<body>` onto the first element,
    checking each against those there: 235 tags of 256 attributes each took 7 s, though no tag is
    over the cap. The first tag's first MAX_ATTRIBUTES are kept, in any case of the name."""
    for name in ("html", "body", "BoDy"):
        tags = "".join(f"<{name} " + " ".join(f"a{k * 200 + i}" for i in range(200)) + ">" for k in range(40))
        html = tags + f"<p>x</p>{TWEET}"
        raw = html.encode()
        assert not few_tags(raw), name
        tree = parse_page(html, raw)
        root = tree.css_first(name.lower())
        assert root is not None
        assert list(root.attributes) == [f"a{i}" for i in range(MAX_ATTRIBUTES)], name
        posts = detect(Document(source="roots.html", text=html, is_html=True, raw=raw, utf8=True))
        assert [p.post_id for p in posts] == ["20"]


def test_one_html_and_one_body_tag_or_repeats_within_the_cap_are_unchanged() -> None:
    html = ('<html lang="en" class="a"><head></head><body class="b" id="c">'
            + "".join(f'<body data-k{k}="v">' for k in range(3)) + f"{TWEET}</body></html>")
    assert few_tags(html.encode())
    assert for_parser(html) is html


class _Counting:
    """A compiled pattern that counts its `match` calls."""

    def __init__(self, pattern: re.Pattern[Any]) -> None:
        self.pattern, self.calls = pattern, 0

    def match(self, *args: Any) -> Any:
        self.calls += 1
        return self.pattern.match(*args)


@pytest.mark.parametrize("html", [
    "<a b='>'" * 20_000,  # one tag of 40,000 attributes: a quoted `>` every 8 characters
    ("<" + "a" * 513 + " ") * 400,  # one tag of 400 long names, each a long run without `>`
    '<html><body><x a="' + ("<b" + "c" * 600) * 400 + '">y</x><p>' + "w " * 3000 + "</p>",  # a long name
    '<html><body><x a="' + ("<b" + "c" * 200) * 1200 + '">y</x>',  # the same on a page probed
], ids=["quoted-gts", "long-names", "long-name-run", "long-name-run-probed"])
def test_the_attributes_of_a_tag_are_counted_once_however_many_places_it_may_begin(
        html: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each place a search finds where a tag may begin (a long run without `>`, a quoted `>`) was
    counted from afresh, reading up to 256 attributes or to the tag's end each time: quadratic in a
    tag holding many such places (1.4 s a MB of `<a b='>'`, 2.1 s for 1.8 MB of one long name).
    A place inside a tag counted already, or inside a name that has too few attributes after it, is
    not counted again."""
    counters = {name: _Counting(getattr(depth, name)) for name in ("_MANY_ATTRIBUTES_RE", "_MANY_ATTRIBUTES_RE_B")}
    for name, counter in counters.items():
        monkeypatch.setattr(depth, name, counter)
    few_tags(html.encode())
    capped = for_parser(html)
    assert sum(c.calls for c in counters.values()) <= 4
    assert len(capped) <= len(html)


def _cjk_page(tags: int) -> str:
    """A page of many tags for its size whose long tags (16 KB characters, 32 KB of UTF-8: 8,189
    one-character names) each begin on a multiple of 16,384 characters and end before the next."""
    tag = "<div " + " ".join(chr(0x4E00 + i) for i in range(8189)) + " >"
    pad = ("<b>" + "y" * 57 + "</b>") * 256  # 16,384 characters
    assert len(tag) == len(pad) == 16_384
    return "".join(pad + tag for _ in range(tags)) + "x</div>" + TWEET


def test_probes_are_as_far_apart_in_bytes_whatever_the_characters() -> None:
    """lexbor's cost goes with a tag's bytes; a tag of 16,384 characters of CJK names (0.08 s of
    parsing each) fell between probes 16,384 characters apart and was kept whole, in text given
    without its size in bytes (a page not in UTF-8, markup parsed again, platform pages)."""
    html = _cjk_page(4)
    raw = html.encode()
    assert len(raw) <= 256 * raw.count(b"<") and raw.count(b"<") <= 10_000  # probed, not searched
    for held in (for_parser(html), for_parser(html, size=len(raw)), parse_page(html, raw).html or ""):
        divs = LexborHTMLParser(held).css("div")
        assert [len(d.attributes) for d in divs] == [MAX_ATTRIBUTES] * 4
    assert not few_tags(raw)
    assert [p.post_id for p in detect(Document(source="cjk.html", text=html, is_html=True))] == ["20"]


def test_an_unclosed_quoted_value_keeps_what_follows_out_of_the_page() -> None:
    """A quoted value with no closing quote runs to the end of the document: the parser drops the
    tag and all after it. The cap read the lone quote as an unquoted value, so its `>` ended the tag
    and the embed after it came into the tree only on pages whose tag was over the cap."""
    for n in (200, 300):
        attrs = " ".join(f"a{i}" for i in range(n))
        html = (f'<html><body><p>{"words " * 3000}</p><div {attrs} x="> <p>after</p><blockquote class=twitter-tweet>'
                "<p>After the crowd</p><a href=https://twitter.com/jack/status/20>March 21, 2006</a></blockquote>"
                "</body></html>")  # (no other `"`)
        held = for_parser(html)
        assert (held is html) == (n <= MAX_ATTRIBUTES)
        tree = LexborHTMLParser(held)
        assert tree.css_first("blockquote") is None and tree.css_first("a") is None, n
        assert "after" not in tree.text(), n
        assert detect(Document(source="q.html", text=html, is_html=True)) == [], n
