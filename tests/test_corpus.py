"""Acceptance on the corpus of 30 real article pages kept beside the repository (`../shared/corpus`).

1. HTML: every post in expected-embeds.json is found as `embedded` with the right platform and ID,
   and no page reports an embedded post it does not have (exact set equality per page).
2. Plain text: the three pages that carry tweets, flattened by trafilatura and by html2text, give
   every tweet back from the text alone, with the same handle, display name and date as the HTML.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from archiver.detect import detect, looks_like_html
from archiver.models import Document, Post
from tests.requires import missing

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TWEET_PAGES = ("basicthinking.de.tweets.html", "moritz-meyer.net.vreni.html", "theverge.com.ios13.html")


def corpus() -> Path:
    """The corpus directory: a failure under CI=true when missing (never copied into the project)."""
    if not (CORPUS / "expected-embeds.json").is_file():
        missing(f"shared corpus not found at {CORPUS}", "CI must run with ../shared/corpus beside the repo")
    return CORPUS


@cache
def _expected() -> dict[str, list[dict[str, str]]]:
    return json.loads((corpus() / "expected-embeds.json").read_text(encoding="utf-8"))


def _page(name: str) -> str:
    return (corpus() / "articles" / name).read_bytes().decode("utf-8", errors="replace")


def _pages() -> list[str]:
    if not (CORPUS / "expected-embeds.json").is_file():
        return ["<corpus missing>"]
    return sorted(json.loads((CORPUS / "expected-embeds.json").read_text(encoding="utf-8")))


def test_corpus_is_complete() -> None:
    expected = _expected()
    on_disk = sorted(p.name for p in (corpus() / "articles").glob("*.html"))
    assert sorted(expected) == on_disk
    assert len(on_disk) == 30
    assert sum(len(v) for v in expected.values()) == 27
    assert sum(1 for v in expected.values() if not v) == 15


@pytest.mark.parametrize("name", _pages())
def test_embedded_posts_match_expected_exactly(name: str) -> None:
    expected = _expected()
    html = _page(name)
    assert looks_like_html(html)
    posts = detect(Document(source=name, text=html, is_html=True))
    got = {(p.platform, p.post_id) for p in posts if p.kind == "embedded"}
    want = {(e["platform"], e["id"]) for e in expected[name]}
    assert got == want, f"missing {sorted(want - got)}, extra {sorted(got - want)}"
    for post in posts:
        assert post.source == name
        assert post.key == (f"{post.platform}:{post.post_id}" if post.post_id else post.key)
    assert len({p.key for p in posts}) == len(posts), "posts must be unique by key within a page"


def test_corpus_tweets_carry_signature_fields() -> None:
    posts = detect(Document("theverge", _page("theverge.com.ios13.html"), True))
    tweet = next(p for p in posts if p.post_id == "1146359923158089728")
    assert tweet.kind == "embedded"
    assert tweet.evidence == "blockquote.twitter-tweet"
    assert (tweet.handle, tweet.author) == ("schukin", "Dave Schukin")
    assert tweet.url == "https://x.com/schukin/status/1146359923158089728"
    assert tweet.posted_at == "2019-07-03T10:07:58.675Z"  # from the snowflake, not the printed date
    assert tweet.media == ["pic.twitter.com/U7PMa4oNGN"]
    assert tweet.text and tweet.text.startswith("How iOS 13 FaceTime Attention Correction works")
    # links to other tweets in the article text are reported too, as linked
    linked = {p.post_id for p in posts if p.kind == "linked"}
    assert "1146360923839328257" in linked


# --- the same tweets from flattened text --------------------------------------------------------------


def _trafilatura(html: str) -> str:
    try:
        import trafilatura
    except ImportError as e:  # lxml >= 5.2 moved the cleaner trafilatura needs into lxml_html_clean
        pytest.fail(f"trafilatura unusable ({e}); install lxml_html_clean")
    text = trafilatura.extract(html, include_links=False, include_comments=False)
    assert text
    return text


def _html2text(html: str) -> str:
    import html2text

    return html2text.HTML2Text().handle(html)


def _node_lines(html: str) -> str:
    """selectolax's text with one text node per line: the date link lands on its own line."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    assert tree.body is not None
    return tree.body.text(separator="\n")


def _letters(text: str | None) -> str:
    return re.sub(r"\W+", "", (text or "").casefold())


@pytest.mark.parametrize(
    "flatten", [_trafilatura, _html2text, _node_lines], ids=["trafilatura", "html2text", "node-lines"]
)
@pytest.mark.parametrize("name", TWEET_PAGES)
def test_tweets_found_again_in_flattened_text(name: str, flatten: object) -> None:
    html = _page(name)
    from_html = {p.handle: p for p in detect(Document(name, html, True)) if p.kind == "embedded"}
    assert from_html and all(p.platform == "twitter" for p in from_html.values())
    text = flatten(html)  # type: ignore[operator]
    assert not looks_like_html(text)
    from_text = [p for p in detect(Document(name, text, False)) if p.kind == "embedded"]
    by_handle: dict[str | None, Post] = {p.handle: p for p in from_text}
    assert set(by_handle) == set(from_html), "every tweet, and nothing else, found from the text alone"
    for handle, want in from_html.items():
        got = by_handle[handle]
        assert got.evidence == "text-signature"
        assert got.author == want.author  # incl. emoji names ("Peter Wittkamp🐬")
        assert got.posted_at and want.posted_at
        assert got.posted_at[:10] == want.posted_at[:10]  # German dates ("25. September 2018") too
        if flatten is not _node_lines:  # there whitespace nodes put blank lines inside tweets
            assert _letters(want.text) in _letters(got.text), "the body holds the whole tweet text"
        else:
            assert got.text and _letters(got.text) in _letters(want.text)
        if got.post_id is not None:  # html2text keeps the status link: then the ID comes back too
            assert got.post_id == want.post_id and got.posted_at == want.posted_at


def test_all_fourteen_corpus_tweets_are_covered() -> None:
    total = 0
    for name in TWEET_PAGES:
        posts = detect(Document(name, _page(name), True))
        total += sum(1 for p in posts if p.kind == "embedded" and p.platform == "twitter")
    assert total == 14
