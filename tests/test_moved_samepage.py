"""`samepage.same_article`: whether the page a held article's address redirected to is that
article, from what the page says of itself (its canonical link and `og:url`, its titles) against
the article's address and the title held for it; and `urls.CONTENT_MAY_TELL`, the address
verdicts that comparison may overturn. Pure functions: no network."""

from __future__ import annotations

import pytest

from archiver.index.urls import CONTENT_MAY_TELL, RULES, deciding_rule
from archiver.pipeline.samepage import PageMarks, normal_title, page_marks, same_article, title_forms

HELD = "https://news.example/2024/pulled-story.html"
RENAMED = "https://news.example/2024/council-pulls-story.html"
TITLE = "Council pulls story | News Example"


def _page(title: str = "", *, og_title: str = "", h1: str = "", canonical: str = "", og_url: str = "",
          site: str = "") -> str:
    head = "".join([
        f"<title>{title}</title>" if title else "",
        f'<meta property="og:title" content="{og_title}">' if og_title else "",
        f'<meta property="og:url" content="{og_url}">' if og_url else "",
        f'<meta property="og:site_name" content="{site}">' if site else "",
        f'<link rel="canonical" href="{canonical}">' if canonical else "",
    ])
    return f"<!doctype html><html><head>{head}</head><body><h1>{h1}</h1><p>text</p></body></html>"


def _judge(page: str, *, held: str = HELD, title: str | None = TITLE, reached: str = RENAMED) -> str | None:
    return same_article(held, held, title, reached, page_marks(page, reached))


def test_page_marks_reads_titles_links_and_site_name() -> None:
    marks = page_marks(_page("A  title | Site", og_title="A title", h1="A <em>title</em>", canonical="/2024/x.html",
                             og_url="https://news.example/2024/x.html?utm_source=rss", site="Site"), RENAMED)
    assert marks == PageMarks(("A title", "A title | Site"), "https://news.example/2024/x.html",
                              "https://news.example/2024/x.html?utm_source=rss", "Site")
    assert page_marks("<p>no head</p>", RENAMED) == PageMarks((), None, None, None)


@pytest.mark.parametrize(("title", "forms"), [
    ("Council pulls story | News Example", {"council pulls story | news example", "council pulls story"}),
    ("News Example - Council pulls story", {"news example - council pulls story", "council pulls story"}),
    ("Council  pulls\nstory \u2014 NEWS EXAMPLE", {"council pulls story - news example", "council pulls story"}),
    ("River flood - live", {"river flood - live"}),  # "live" is no name of the site: kept
    ("Budget | Live | News Example", {"budget | live | news example", "budget | live"}),
    ("News Example", set()),  # the site's name alone names no article
])
def test_title_forms_take_off_the_sites_name_only(title: str, forms: set[str]) -> None:
    assert title_forms(title, {"newsexample", "news"}) == forms


def test_normal_title_folds_case_space_entities_and_typography() -> None:
    assert normal_title("  Council&#8217;s  VOTE \u2013 \u201cno\u201d ") == "council's vote - \"no\""


@pytest.mark.parametrize(("page", "why"), [
    # Its title, with or without the site's name (from its host, its og:site_name, or the part both
    # titles end with), is the one held.
    (_page("Council pulls story | News Example"), "its title is the article's"),
    (_page(og_title="Council pulls story"), "its title is the article's"),
    (_page(h1="Council  Pulls Story"), "its title is the article's"),
    (_page("Council pulls story - The Courier", og_title="Council pulls story", site="The Courier"),
     "its title is the article's"),
    # Its canonical link or og:url names the article's address (any spelling of it).
    (_page("Pulled", canonical=HELD), "its canonical link is the article's"),
    (_page("Pulled", canonical="http://news.example/2024/pulled-story.html?utm_source=x"),
     "its canonical link is the article's"),
    (_page("Pulled", og_url=HELD + "#top"), "its og:url is the article's"),
    (_page(TITLE, canonical=HELD), "its title and canonical link are the article's"),
    (_page(TITLE, canonical=RENAMED), "its title is the article's"),  # its canonical link names itself
])
def test_a_page_is_the_article_by_its_title_or_its_canonical_link(page: str, why: str) -> None:
    assert _judge(page) == why


@pytest.mark.parametrize("page", [
    _page("River flood: what we know | News Example"),  # a follow-up, titled otherwise
    _page("Council pulls story - live | News Example"),  # its live blog: the title with words added
    _page("Council pulls | News Example"),
    _page("News Example"),  # a page titled with the site's name alone
    _page(),  # no title, no link
    _page(TITLE, canonical="https://news.example/2024/other-story.html"),  # it names a third page as itself
    _page(TITLE, canonical="https://courier.example/2024/council-pulls-story.html"),  # another site's copy
    _page("Pulled", canonical="https://news.example/2024/pulled-story-2.html"),
    # It says two things of itself: the article's address, and a third page's.
    _page(TITLE, canonical=HELD, og_url="https://news.example/2024/other-story.html"),
])
def test_a_page_titled_otherwise_or_naming_another_page_is_not_the_article(page: str) -> None:
    assert _judge(page) is None


def test_without_a_held_title_only_the_canonical_link_tells() -> None:
    assert _judge(_page(TITLE), title=None) is None
    assert _judge(_page(TITLE, canonical=HELD), title=None) == "its canonical link is the article's"


def test_the_site_name_part_of_both_titles_is_taken_off() -> None:
    # The held title says "Daily Courier", the page's og:title nothing of its site: the part its
    # <title> and the held one both end with is the site's name.
    held_title = "Council pulls story | Daily Courier"
    page = _page("Council pulls story | Daily Courier", og_title="Council pulls story")
    assert _judge(page, title=held_title) == "its title is the article's"
    assert _judge(_page(og_title="Council pulls story"), title=held_title) is None  # no name known to take off


def test_content_may_overturn_only_what_the_addresses_left_open() -> None:
    names = {rule.name for rule in RULES}
    assert CONTENT_MAY_TELL <= names
    # Never a wall, a front page, a folder above, a listing, another site, a page not found.
    assert not CONTENT_MAY_TELL & {"wall host", "wall on its page", "wall path", "front page",
                                   "another site's front page", "folder above", "a listing or media page",
                                   "another site", "not found"}
    # The examples the addresses alone got wrong are decided by a rule content may overturn.
    for held, reached in [(HELD, RENAMED),
                          ("https://news.example/2024/05/03/x", "https://news.example/2024/05/04/x"),
                          ("https://news.example/news/flood?ref=rss", "https://news.example/news/flood"),
                          ("https://news.example/2024/05/03/river-flood",
                           "https://news.example/2024/05/03/river-flood-kills-three"),
                          ("https://news.example/2024/03/10/pulled-story.html", "https://news.example/article/12345")]:
        assert deciding_rule(held, held, reached).name in CONTENT_MAY_TELL, (held, reached)
    # A tag page named as the article, another site's copy, a wall: never.
    for held, reached in [(HELD, "https://news.example/tag/pulled-story"),
                          (HELD, "https://courier.example/2024/council-pulls-story.html"),
                          (HELD, "https://news.example/account/login?next=/2024/pulled-story.html")]:
        assert deciding_rule(held, held, reached).name not in CONTENT_MAY_TELL, (held, reached)
