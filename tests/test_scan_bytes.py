"""A page read from bytes is parsed from those bytes when they are its UTF-8: same posts as from its text."""

from __future__ import annotations

import html as htmllib
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

import archiver.detect.html as detect_html_module
from archiver.detect import detect
from archiver.detect.depth import LIMIT
from archiver.models import Document
from archiver.sources import document_from_bytes

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "articles"
TWEET = (
    '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Grüße aus der Tiefe</p>&mdash; Jack (@jack) '
    '<a href="https://twitter.com/jack/status/20">March 21, 2006</a></blockquote>'
)
# Non-ASCII text, an embed kept escaped in an attribute, and a bare short link in the text.
MIXED = (
    "<html><body><p>Café «naïve» — 東京 🎉</p>"
    f'<div class="consent" data-html="{htmllib.escape(chr(60) + "iframe src=" + chr(34) + "https://www.youtube.com/embed/dQw4w9WgXcQ" + chr(34) + "></iframe>")}"></div>'
    f"{TWEET}<p>Siehe t.co/AbCdEf12</p></body></html>"
)


def _rows(doc: Document) -> list[dict[str, object]]:
    return [p.to_dict() for p in detect(doc)]


def _pages() -> list[Path]:
    return sorted(CORPUS.glob("*.html")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_corpus_page_from_bytes_finds_what_its_text_finds(page: Path) -> None:
    doc = document_from_bytes(page.name, page.read_bytes())
    assert _rows(doc) == _rows(Document(source=page.name, text=doc.text, is_html=doc.is_html))


def test_most_corpus_pages_take_the_bytes_path() -> None:
    if not _pages():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    flags = [document_from_bytes(p.name, p.read_bytes()).utf8 for p in _pages()]
    assert sum(flags) >= 25, flags


def test_mixed_page_from_bytes_finds_what_its_text_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[object] = []
    real = detect_html_module.LexborHTMLParser

    def recording(markup: str | bytes) -> LexborHTMLParser:
        parsed.append(markup)
        return real(markup)

    monkeypatch.setattr(detect_html_module, "LexborHTMLParser", recording)
    doc = document_from_bytes("mixed.html", MIXED.encode())
    assert doc.utf8 and doc.text == MIXED
    from_bytes = _rows(doc)
    assert isinstance(parsed[0], bytes)  # the page itself: its bytes, not its text encoded again
    assert [(r["kind"], r["evidence"]) for r in from_bytes] == [
        ("embedded", "[data-html]>iframe[src]"), ("embedded", "blockquote.twitter-tweet"), ("shortlink", "text")]
    assert [r["key"] for r in from_bytes][:2] == ["youtube:dQw4w9WgXcQ", "twitter:20"]
    assert from_bytes == _rows(Document(source="mixed.html", text=MIXED, is_html=True))


def test_only_exact_utf8_is_read_as_bytes() -> None:
    assert document_from_bytes("a", MIXED.encode()).utf8
    assert document_from_bytes("a", MIXED.encode(), charset="UTF8").utf8
    assert not document_from_bytes("a", b"\xef\xbb\xbf" + MIXED.encode()).utf8  # BOM: the text lacks it
    assert not document_from_bytes("a", "<html><body><p>café</p></body></html>".encode("cp1252")).utf8
    assert not document_from_bytes("a", MIXED.encode(), charset="iso-8859-1").utf8  # read as windows-1252
    # "latin-1" is no label a browser knows (WHATWG's is "latin1"): ignored, the bytes are UTF-8.
    assert document_from_bytes("a", MIXED.encode(), charset="latin-1").utf8
    assert not Document(source="a", text=MIXED, is_html=True, raw=MIXED.encode()).utf8  # vouched for by sources only


def test_a_deep_page_from_bytes_is_still_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 50_000
    page = ("<html><body>" + "<div>" * n + TWEET + "</div>" * n + "</body></html>").encode()
    parsed: list[object] = []
    real = detect_html_module.LexborHTMLParser

    def recording(markup: str | bytes) -> LexborHTMLParser:
        parsed.append(markup)
        return real(markup)

    monkeypatch.setattr(detect_html_module, "LexborHTMLParser", recording)
    doc = document_from_bytes("deep.html", page)
    assert doc.utf8
    (post,) = detect(doc)
    assert (post.key, post.kind, post.handle) == ("twitter:20", "embedded", "jack")
    assert isinstance(parsed[0], str) and parsed[0].count("<div>") <= LIMIT


def test_short_links_of_every_platform_found_from_bytes_past_an_embed_s_own() -> None:
    # The embed's own t.co link comes first in the page and is accounted for by the embed: the
    # other platforms' bare short links after it must still lead the walk to the text.
    tweet = TWEET.replace("</p>", ' <a href="https://t.co/AbCd1234">pic.twitter.com/AbCd1234</a></p>')
    page = (f"<html><body>{tweet}<p>Seen at https://www.reddit.com/r/pics/s/AbCdEf1234, vm.tiktok.com/ZMabc123"
            " and www.facebook.com/share/p/Xy12345Z.</p></body></html>")
    doc = document_from_bytes("shares.html", page.encode())
    assert doc.utf8
    rows = _rows(doc)
    assert [(r["platform"], r["kind"], r["links"]) for r in rows if r["kind"] == "shortlink"] == [
        ("tiktok", "shortlink", ["vm.tiktok.com/ZMabc123"]),
        ("facebook", "shortlink", ["www.facebook.com/share/p/Xy12345Z"]),
        ("reddit", "shortlink", ["https://www.reddit.com/r/pics/s/AbCdEf1234"]),
    ]
    assert rows == _rows(Document(source="shares.html", text=page, is_html=True))
