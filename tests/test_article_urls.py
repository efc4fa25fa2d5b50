"""An article's address under the spellings it is shared with: tracking parameters and fragments
dropped, other parameters kept as written; lookups find it typed with http or https."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.index.urls import article_keys, url_key, without_tracking


@pytest.mark.parametrize(("shared", "address"), [
    ("https://news.example/x.html?utm_source=twitter&utm_medium=social", "https://news.example/x.html"),
    ("https://news.example/x.html#comments", "https://news.example/x.html"),
    ("https://n.example/a?id=3&utm_campaign=z&fbclid=IwAR0&gclid=1#f", "https://n.example/a?id=3"),
    ("https://n.example/a?q=a+b%20c&x=&UTM_Term=t", "https://n.example/a?q=a+b%20c&x="),  # kept as written
    ("https://n.example/a?utm%5Fsource=t&page=2", "https://n.example/a?page=2"),
    ("https://n.example/search?utm=1&source=x", "https://n.example/search?utm=1&source=x"),  # not tracking
    ("https://n.example/a", "https://n.example/a"),
    ("file:///tmp/saved.html#top", "file:///tmp/saved.html"),
    ("not a url", "not a url"),
])
def test_without_tracking(shared: str, address: str) -> None:
    assert without_tracking(shared) == address
    assert without_tracking(address) == address


@given(st.text(max_size=80))
def test_without_tracking_never_raises_and_is_idempotent(text: str) -> None:
    once = without_tracking(text)
    assert without_tracking(once) == once


def test_an_article_is_found_under_either_scheme_and_without_tracking() -> None:
    held = url_key("https://news.example/2024/story.html")
    for typed in ("http://news.example/2024/story.html", "https://news.example/2024/story.html?utm_source=x",
                  "HTTP://News.Example/2024/story.html#c", "news.example/2024/story.html?fbclid=1",
                  "news.example:443/2024/story.html", "https://NEWS.example:443/2024/story.html"):
        assert held in article_keys(typed), typed
    # An article archived before with its parameters is still found by the address as typed.
    assert url_key("https://news.example/s?utm_source=x") in article_keys("https://news.example/s?utm_source=x")
    assert article_keys("file:///tmp/a.html") == ("file:///tmp/a.html",)


def test_a_source_is_one_source_however_its_server_is_spelt() -> None:
    from archiver.sources import source_key

    clean = source_key("https://news.example/2024/story.html")
    for typed in ("HTTPS://News.Example/2024/story.html", "https://news.example:443/2024/story.html?utm_source=x#c"):
        assert source_key(typed) == clean, typed
    # another scheme, another port, another path: another address to fetch
    for other in ("http://news.example/2024/story.html", "https://news.example:8443/2024/story.html",
                  "https://news.example/2024/STORY.html"):
        assert source_key(other) != clean, other
