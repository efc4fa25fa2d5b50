"""Settling waits for the embeds' frames the selectors match: asked in one CSS list when the
selectors make one that means what each of them does, else one by one, a bad selector costing only
its own matches."""

from __future__ import annotations

import asyncio

import pytest

from archiver.capture.pagesteps import _embeds_ready, css_list
from archiver.pipeline.articles import EMBED_ELEMENT_SELECTORS
from archiver.platforms.twitter.postcheck import TWEET_SELECTORS, WAYBACK_SELECTORS


@pytest.mark.parametrize("selectors", [EMBED_ELEMENT_SELECTORS, TWEET_SELECTORS, WAYBACK_SELECTORS])
def test_the_platforms_selectors_are_asked_as_one_list(selectors: tuple[str, ...]) -> None:
    assert css_list(selectors) == ", ".join(selectors)


@pytest.mark.parametrize("odd", [
    "div.embed >> iframe",  # a chain: the list before it would become its first part
    "iframe >> nth=1",
    "text=Read more",  # an engine prefix or XPath takes the rest of the list as its own
    "id=tweet",
    "data-testid=tweet",
    "internal:role=button",
    "//iframe",
    "..",
    '"quoted text"',
    "iframe#f1 /* a comment runs on",
    "iframe#f1\\",  # an escape at its end takes the comma after it
    "",
    "   ",
])
def test_a_selector_that_would_change_the_list_s_meaning_has_each_asked_alone(odd: str) -> None:
    assert css_list(("iframe.instagram-media", odd)) is None
    assert css_list((odd, "iframe.instagram-media")) is None


@pytest.mark.parametrize("plain", ['iframe[title="x, y"]', "iframe[src*='a=b']", "article > iframe",
                                   'iframe:not([src*="ads"])', "div.embed iframe:nth-of-type(2)"])
def test_plain_css_is_asked_in_the_list(plain: str) -> None:
    assert css_list(("iframe.instagram-media", plain)) == f"iframe.instagram-media, {plain}"


def test_no_selectors_make_no_list() -> None:
    assert css_list(()) is None


SLOW_S = 1.0


@pytest.mark.browser
@pytest.mark.parametrize("selectors", [
    ("iframe[", "iframe.slow"),  # refused as a list: each asked alone
    ("div >> nth=5", "iframe.slow"),  # accepted as a list, meaning another thing: each asked alone
    ("iframe.slow", "iframe.other"),  # one list
])
def test_settling_waits_for_each_matched_frame_whatever_the_other_selectors(selectors: tuple[str, ...]) -> None:
    """The slow frame's document is answered SLOW_S after it is asked for: settling returns only
    once it has loaded, whichever other selector is given beside the one that matches it."""
    from playwright.async_api import Route, async_playwright

    from archiver.capture.chromium import find_chromium

    async def go() -> tuple[bool, str]:
        answered = asyncio.Event()

        async def slow(route: Route) -> None:
            await asyncio.sleep(SLOW_S)
            answered.set()
            await route.fulfill(status=200, content_type="text/html", body="<p>the embed</p>")

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=find_chromium(p))
            try:
                page = await browser.new_page()
                await page.route("https://embed.test/slow", slow)
                await page.route("https://page.test/", lambda route: route.fulfill(
                    status=200, content_type="text/html",
                    body='<p>An article.</p><iframe class="slow" src="https://embed.test/slow"></iframe>'))
                await page.goto("https://page.test/", wait_until="commit")
                await page.wait_for_selector("iframe.slow", state="attached")
                await _embeds_ready(page, selectors)
                ready = answered.is_set()
                frame = await (await page.query_selector("iframe.slow")).content_frame()  # type: ignore[union-attr]
                assert frame is not None
                return ready, await frame.evaluate("document.readyState")
            finally:
                await browser.close()

    ready, state = asyncio.run(go())
    assert ready and state == "complete", (ready, state)
