"""The nesting cap put on HTML before parsing: nothing changes within it, nothing is deeper past it."""

from __future__ import annotations

import html as htmllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

import archiver.detect.html as detect_html_module
from archiver.detect import detect
from archiver.detect.depth import _ALWAYS_COUNT, LIMIT, _Capper, cap_depth, may_be_deep
from archiver.models import Document
from tests.conftest import corpus_dir

TWEET = ('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Hello from the deep</p>&mdash; Jack (@jack) '
         '<a href="https://twitter.com/jack/status/20">March 21, 2006</a></blockquote>')
_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def tree_depth(html: str) -> int:
    """The deepest element below <body> as lexbor builds the tree (iteratively: trees may be deep)."""
    body = LexborHTMLParser(html).body
    if body is None:
        return 0
    deepest = 0
    todo: list[tuple[LexborNode, int]] = [(body, 0)]
    while todo:
        node, d = todo.pop()
        deepest = max(deepest, d)
        child = node.child
        while child is not None:
            if child.tag != "-text":
                todo.append((child, d + 1))
            child = child.next
    return deepest


# -- documents as people write them: hypothesis-built trees within the cap ------------------------------

_TEXT = st.text(alphabet=st.characters(blacklist_characters="<>&", blacklist_categories=("Cs",)), max_size=8)
_ATTRS = st.sampled_from(["", ' class="x"', ' id="a" data-x=\'1>2\'', " hidden", ' title="a/b"', " data-html=\"&lt;b&gt;\""])
_LEAVES = st.one_of(
    _TEXT,
    st.sampled_from(["<br>", "<img src=a.png>", "<hr/>", "<input type=text>", "<!-- <div><div> -->", "<wbr>",
                     "<script>if (a < b) { document.write('<div><div>') }</script>", "<style>p > a {}</style>",
                     "<textarea><div><span></textarea>", "<title><b></title>", "<svg><path d='M0'/><g/></svg>",
                     "<!doctype html>", "<meta charset=utf-8>"]),
)
_CONTAINERS = st.sampled_from(["div", "span", "section", "article", "em", "strong", "b", "i", "blockquote", "figure",
                               "custom-el", "header", "nav", "aside", "main", "footer", "label", "small"])


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda t, a, kids: f"<{t}{a}>{''.join(kids)}</{t}>", _CONTAINERS, _ATTRS, st.lists(children, max_size=4)),
        st.builds(lambda a, kids: f"<ul{a}>{''.join(f'<li>{k}' for k in kids)}</ul>", _ATTRS, st.lists(children, max_size=3)),
        st.builds(lambda a, kids: f"<p{a}>{''.join(kids)}</p>", _ATTRS, st.lists(_TEXT, max_size=3)),
        st.builds(lambda a, kids: f"<table{a}>{''.join(f'<tr><td>{k}' for k in kids)}</table>", _ATTRS,
                  st.lists(children, max_size=3)),
    )


_DOCS = st.recursive(_LEAVES, _element, max_leaves=60)


def _chain(depth: int, inner: str, tags: list[str]) -> str:
    opens = "".join(f"<{tags[i % len(tags)]}>" for i in range(depth))
    closes = "".join(f"</{tags[i % len(tags)]}>" for i in reversed(range(depth)))
    return opens + inner + closes


@_SETTINGS
@given(_DOCS, st.integers(min_value=0, max_value=40))
def test_documents_within_the_cap_are_returned_unchanged(doc: str, extra: int) -> None:
    # A chain of wrappers brings the document close to a small cap; the full counting pass runs.
    html = "<html><body>" + _chain(extra, doc, ["div", "span", "section"]) + "</body></html>"
    assert _Capper(html, 400, 512).run() is html
    assert cap_depth(html) is html


@_SETTINGS
@given(_DOCS)
def test_the_counted_depth_is_never_below_the_tree_builders(doc: str) -> None:
    # With a cap of 64 and 600 nested wrappers around a random document, lexbor never builds a tree
    # deeper than the cap: the count it rests on did not under-count what the builder nests.
    html = "<html><body>" + _chain(600, doc, ["div", "span", "b", "section"]) + "</body></html>"
    assert tree_depth(cap_depth(html, limit=64)) <= 64


@pytest.mark.parametrize("n", [513, 2000, 20_000])
def test_deep_nesting_is_capped_and_keeps_its_text(n: int) -> None:
    html = "<html><body>" + "".join(f"<div>{i} " for i in range(n)) + "</div>" * n + "<p>end</p></body></html>"
    capped = cap_depth(html)
    assert capped is not html
    assert tree_depth(capped) <= LIMIT
    assert LexborHTMLParser(capped).body.text() == " ".join(str(i) for i in range(n)) + " end"  # type: ignore[union-attr]


@pytest.mark.parametrize("opener", ['<div class="a">', '<span id="x">', "<b>", "<font color=red>", '<section data-a="1">'])
def test_nesting_of_elements_with_attributes_is_capped_too(opener: str) -> None:
    name = opener[1:].split(">")[0].split(" ")[0]
    html = "<body>" + opener * 3000 + "text" + f"</{name}>" * 3000 + "<p>after</p></body>"
    capped = cap_depth(html)
    assert tree_depth(capped) <= LIMIT
    body = LexborHTMLParser(capped).body
    assert body is not None and body.text() == "textafter"


def test_stray_end_tags_do_not_hide_nesting_from_the_count() -> None:
    # `</span>` after a `<div>` closes nothing (a div stops it), so the nesting goes on growing.
    html = "<body><span>" + "<div></span>" * 3000 + "x</body>"
    assert tree_depth(_Capper(html, 448, 512).run()) <= LIMIT
    # The count gate balances start and end tags, so such a page gets through it while it is small
    # (lexbor still parses it quickly); a large one is always counted.
    large = "<body><span>" + "<div></span>" * 12_000 + "x</body>"
    assert large.count("<") > _ALWAYS_COUNT
    assert tree_depth(cap_depth(large)) <= LIMIT


def test_a_page_counted_but_within_the_cap_is_left_alone() -> None:
    # Over 20,000 tags, so always counted; 480 levels deep, under the cap of 512: unchanged.
    html = "<body>" + "<div>" * 480 + "<p>x</p>" * 11_000 + "</div>" * 480 + "</body>"
    assert may_be_deep(html, LIMIT)
    assert cap_depth(html) is html
    deeper = "<body>" + "<div>" * 520 + "<p>x</p>" * 11_000 + "</div>" * 520 + "</body>"
    assert cap_depth(deeper) is not deeper


def test_tags_inside_raw_text_and_comments_are_not_counted() -> None:
    inner = "<div>" * 5000
    html = f"<html><head><script>var s = '{inner}';</script><style>/* {inner} */</style></head><body>" \
           f"<!-- {inner} --><textarea>{inner}</textarea><title>{inner}</title><p>x</p></body></html>"
    assert _Capper(html, 400, 512).run() is html
    assert cap_depth(html) is html


def test_unclosed_paragraphs_and_list_items_do_not_add_up() -> None:
    # Old-style markup leaves <p>, <li>, <td>, <option> open; the tree builder closes them.
    html = "<body>" + "<p>para" * 3000 + "<ul>" + "<li>item" * 3000 + "</ul><table>" + "<tr><td>a<td>b" * 2000 \
           + "</table><select>" + "<option>o" * 2000 + "</select></body>"
    assert _Capper(html, 400, 512).run() is html


def test_every_corpus_page_is_within_the_cap() -> None:
    pages = [p for p in sorted((corpus_dir() / "articles").iterdir()) if p.is_file()]
    assert pages
    for page in pages:
        html = page.read_text(errors="replace")
        assert _Capper(html, 400, 512).run() is html, page.name  # the full count, not only the gate


def test_the_count_gate_lets_shallow_pages_through_and_stops_deep_ones() -> None:
    shallow = "<body>" + "<div><p>x</p></div>" * 2000 + "</body>"
    assert not may_be_deep(shallow, 448)
    assert may_be_deep("<body>" + "<div>" * 600 + "</div>" * 600 + "</body>", 448)
    assert not may_be_deep("<div>" * 100, 448)  # fewer tags than levels


def test_a_tweet_embedded_100000_levels_deep_is_still_found() -> None:
    n = 100_000
    html = "<html><body>" + "<div>" * n + TWEET + "</div>" * n + "</body></html>"
    (post,) = detect(Document(source="deep.html", text=html, is_html=True))
    assert (post.key, post.kind, post.handle, post.text) == ("twitter:20", "embedded", "jack", "Hello from the deep")


def test_escaped_containers_are_capped_before_their_second_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    # A consent manager's blocked embed kept as text in a textarea, wrapped 50,000 levels deep: the
    # markup parsed again out of the container goes through the cap as well.
    inner = "<div>" * 50_000 + '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>' + "</div>" * 50_000
    html = f'<html><body><textarea class="consent">{htmllib.escape(inner)}</textarea></body></html>'
    parsed: list[str] = []
    real = detect_html_module.LexborHTMLParser

    def recording(markup: str) -> LexborHTMLParser:
        parsed.append(markup)
        return real(markup)

    monkeypatch.setattr(detect_html_module, "LexborHTMLParser", recording)
    posts = detect(Document(source="consent.html", text=html, is_html=True))
    assert [(p.key, p.kind) for p in posts] == [("youtube:dQw4w9WgXcQ", "embedded")]
    assert len(parsed) == 2 and max(m.count("<div>") for m in parsed) <= LIMIT


def test_scan_of_a_deep_page_from_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * 200_000 + TWEET + "</div>" * 200_000 + "</body></html>")
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "scan", "--format", "jsonl", str(page)],
                       capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0, r.stderr
    assert '"key": "twitter:20"' in r.stdout and '"kind": "embedded"' in r.stdout
