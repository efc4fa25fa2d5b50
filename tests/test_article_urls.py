"""An article's address under the spellings it is shared with: tracking parameters and fragments
dropped, other parameters kept as written; lookups find it typed with http or https."""

from __future__ import annotations

import json
from typing import Any

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


def test_an_address_with_non_ascii_characters_is_looked_for_as_the_archive_spells_it() -> None:
    # The archive holds the address its fetch answered from: host in IDNA, the rest UTF-8 encoded.
    held = url_key("https://xn--bcher-kva.example/seite?x=%C3%BC")
    for typed in ("https://bücher.example/seite?x=ü", "bücher.example/seite?x=ü", "HTTPS://BÜCHER.example/seite?x=ü",
                  "http://bücher.example/seite?x=ü&utm_source=x#c", "https://xn--bcher-kva.example/seite?x=%C3%BC"):
        assert held in article_keys(typed), typed
    # as typed too (an article whose fetch failed is held under the address it was given)
    assert url_key("https://bücher.example/seite?x=ü") in article_keys("https://bücher.example/seite?x=ü")


IDN_HOST = "xn--bcher-kva.example"  # bücher.example, as the fake web's loopback stand-in answers it


def _idn_page(req: Any, state: Any) -> Any:
    from tests.fakeweb import site
    from tests.fakeweb.app import text

    tweet = site.TWEET_FLAT
    return text(200, "<!DOCTYPE html><html><head><title>Hochwasser</title></head><body><h1>Hochwasser</h1>"
                     f'<blockquote class="twitter-tweet"><a href="https://twitter.com/{tweet.user.screen_name}'
                     f'/status/{tweet.id}">post</a></blockquote></body></html>')


@pytest.mark.browser
def test_lookup_and_export_find_an_article_by_the_address_given_to_archive(tmp_path: Any) -> None:
    import zipfile

    from tests.e2e import cli
    from tests.fakeweb import FakeWeb, site

    typed = "https://bücher.example/seite?x=ü"
    archive, out = tmp_path / "archive", tmp_path / "article.wacz"
    with FakeWeb(tmp_path / "web", handlers={IDN_HOST: _idn_page}) as web:
        r = cli(web, "archive", typed, archive=archive)
        assert r.returncode == 0, r.stderr
        r = cli(web, "lookup", "--format", "json", "--article", typed, archive=archive)
        assert r.returncode == 0, r.stderr
        assert [p["post_id"] for p in json.loads(r.stdout)] == [site.TWEET_FLAT.id]
        r = cli(web, "export", "--article", typed, "-o", str(out), archive=archive)
        assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert f"https://{IDN_HOST}/seite?x=%C3%BC" in {p["url"] for p in pages}
