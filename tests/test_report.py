"""The HTML report as a reader sees it in Chromium; untrusted post text stays text."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from archiver.index.rows import CaptureRow, CitationRow, ObservationRow, PostRow
from archiver.report import render_report, write_report

pytestmark = pytest.mark.browser

# A 1x1 PNG, written by hand so the test needs no image library.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
EVIL = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script> & "quotes"'


def _post(fields: dict[str, Any]) -> PostRow:
    return PostRow(**{**fields, "links": [], "media": [],
                      "articles": [CitationRow(**a) for a in fields["articles"]],
                      "captures": [CaptureRow(**c) for c in fields["captures"]],
                      "history": [ObservationRow(**h) for h in fields["history"]]})


def _posts(archive: Path) -> list[PostRow]:
    shot = archive / "screenshots" / "twitter" / "1" / "a.png"
    shot.parent.mkdir(parents=True)
    shot.write_bytes(PNG)
    return [_post(p) for p in [
        {"key": "twitter:1", "platform": "twitter", "post_id": "1", "url": "https://x.com/a/status/1",
         "handle": "alice", "author": "Alice 🌧️ 林", "posted_at": "2024-03-04T18:22:31.000Z", "text": EVIL,
         "status": "live", "articles": [{"url": "https://news.example/a.html", "kind": "embedded", "evidence": "x"}],
         "captures": [{"captured_at": "2024-03-05T00:00:00.000Z", "source": "live",
                       "screenshot": "screenshots/twitter/1/a.png", "status": "live", "warc": "f.warc.gz"}],
         "history": [{"checked_at": "2024-03-05T00:00:00.000Z", "status": "live"}]},
        {"key": "twitter:2", "platform": "twitter", "post_id": "2", "url": "javascript:alert(1)",
         "handle": "bob", "author": "Bob", "posted_at": "2024-03-03", "text": "levee is safe",
         "status": "deleted", "articles": [{"url": "https://news.example/a.html", "kind": "embedded", "evidence": "x"}],
         "captures": [{"captured_at": "2024-03-06T00:00:00.000Z", "source": "wayback",
                       "screenshot": "screenshots/twitter/1/a.png", "status": "recovered", "warc": "f.warc.gz",
                       "copied_at": "2024-03-02T09:15:00Z"}],
         "history": [{"checked_at": "2024-03-01T00:00:00.000Z", "status": "live"},
                     {"checked_at": "2024-03-06T00:00:00.000Z", "status": "deleted"}]},
    ]]


def test_report_escapes_and_never_links_javascript(tmp_path: Path) -> None:
    html = render_report(_posts(tmp_path), tmp_path, tmp_path / "r.html")
    assert "<script>document" not in html and "onerror=\"document" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html


def test_a_wayback_picture_is_dated_by_its_copy_and_by_its_capture(tmp_path: Path) -> None:
    html = render_report(_posts(tmp_path), tmp_path, tmp_path / "r.html")
    caption = html.split("the Wayback Machine&#x27;s copy of ", 1)[1].split("</figcaption>", 1)[0]
    assert caption.index('datetime="2024-03-02T09:15:00Z"') < caption.index("captured") < caption.index(
        'datetime="2024-03-06T00:00:00Z"'), caption


def test_report_in_chromium_shows_cards_status_and_history(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from archiver.capture.browser import find_chromium

    exe = find_chromium()
    if exe is None:
        pytest.fail("no Chromium: install Debian's chromium")
    (tmp_path / "out").mkdir()
    out = write_report(_posts(tmp_path), tmp_path, tmp_path / "out" / "report.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe)
        page = browser.new_page()
        page.goto(out.as_uri())
        assert page.title() == "Archived posts"  # the injected script never ran
        cards = page.locator("article.card")
        assert cards.count() == 2
        first = cards.nth(0).inner_text()
        assert "Alice 🌧️ 林" in first and "@alice" in first and EVIL.split(">")[0] in first
        deleted = page.locator("article.card.recovered")
        assert deleted.count() == 1
        text = deleted.inner_text()
        assert "deleted" in text and "Wayback" in text
        assert "live on 1 Mar 2024, 00:00" in text and "deleted on 6 Mar 2024, 00:00" in text
        # The thumbnail is inlined and really decodes as an image.
        assert page.evaluate("document.querySelector('img.thumb').naturalWidth") == 1
        assert page.locator("img.thumb").first.get_attribute("src").startswith("data:image/png;base64,")
        # Links to the full screenshot are relative to the report and resolve to the file.
        href = page.locator("a:has(img.thumb)").first.get_attribute("href")
        assert href == "../screenshots/twitter/1/a.png"
        assert (out.parent / href).resolve().is_file()
        browser.close()


def test_report_s_policy_lets_no_markup_reach_out_should_some_get_in(tmp_path: Path) -> None:
    # Defence in depth: were an escaping bug to let markup into the page, its policy would still
    # load no picture from elsewhere, move no link with <base> and send no form. (The markup is
    # added by hand here; a loopback port nothing listens on stands in for a server elsewhere.)
    import socket

    from playwright.sync_api import sync_playwright

    from archiver.capture.browser import find_chromium

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "out").mkdir()
    out = write_report(_posts(tmp_path), tmp_path, tmp_path / "out" / "report.html")
    elsewhere = f"http://127.0.0.1:{port}"
    out.write_text(out.read_text(encoding="utf-8").replace("<body>", (
        f'<body><base href="{elsewhere}/"><img id="beacon" src="{elsewhere}/beacon.png">'
        f'<form id="f" action="{elsewhere}/form"><button id="send">send</button></form>'), 1), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium())
        page = browser.new_page()
        asked: list[str] = []
        refused: list[str] = []  # (Playwright reports a request the policy stops, failed for "csp")
        page.on("request", lambda request: asked.append(request.url))
        page.on("requestfailed", lambda request: request.failure == "csp" and refused.append(request.url))
        page.goto(out.as_uri())
        assert page.evaluate("document.baseURI") == out.as_uri()
        page.click("#send", no_wait_after=True)
        page.wait_for_timeout(300)  # (a form's navigation would have been asked by now)
        assert page.evaluate("document.querySelector('img.thumb').naturalWidth") == 1  # its own pictures still show
        browser.close()
    assert [u for u in asked if elsewhere in u and u not in refused] == [], (asked, refused)
    assert f"{elsewhere}/beacon.png" in refused


def test_a_card_holds_long_words_within_its_border(tmp_path: Path) -> None:
    """A reason quoting two API addresses, a long handle, author or article title has no place to
    break: without wrapping anywhere it ran out of its card and the page scrolled sideways."""
    import dataclasses

    from playwright.sync_api import sync_playwright

    from archiver.capture.browser import find_chromium

    exe = find_chromium()
    if exe is None:
        pytest.fail("no Chromium: install Debian's chromium")
    long = "https://cdn.syndication.twimg.com/tweet-result?id=1764377001294643971&token=" + "a" * 300
    first, second = _posts(tmp_path)
    second = dataclasses.replace(second, reason=f"network failure: syndication: GET {long}", author="B" * 300,
                                 handle="h" * 300, articles=[CitationRow(url="https://news.example/" + "t" * 400,
                                                                         kind="embedded", evidence="x")])
    (tmp_path / "out").mkdir()
    out = write_report([first, second], tmp_path, tmp_path / "out" / "report.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(out.as_uri())
        widths = page.evaluate("[...document.querySelectorAll('article.card')].map(c => [c.scrollWidth, c.clientWidth])")
        assert len(widths) == 2 and all(scroll <= client for scroll, client in widths), widths
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        browser.close()


def test_a_very_long_text_is_cut_in_its_card_and_the_page_opens_at_once(tmp_path: Path) -> None:
    """A megabyte of text with no place to wrap kept Chromium laying the page out for a minute or
    more (60 s on a 2-core machine; the same text cut: under a second). The card shows the first
    CARD_TEXT_CHARS characters, the whole length, and where the whole text is."""
    import dataclasses
    import random
    import time

    from playwright.sync_api import sync_playwright

    from archiver.capture.browser import find_chromium
    from archiver.report.page import CARD_TEXT_CHARS

    exe = find_chromium()
    if exe is None:
        pytest.fail("no Chromium: install Debian's chromium")
    rng = random.Random(7)
    huge = "".join(rng.choice("abcdé漢字🙂ابت123-_/") for _ in range(1_000_000))
    first, second = _posts(tmp_path)
    whole = dataclasses.replace(first, text="w" * CARD_TEXT_CHARS)
    second = dataclasses.replace(second, text=huge)
    html = render_report([whole, second], tmp_path, tmp_path / "r.html")
    assert f'<div class="text">{"w" * CARD_TEXT_CHARS}</div>' in html  # up to the limit: whole, no note
    assert html.count('class="cut"') == 1
    assert huge[:CARD_TEXT_CHARS] in html and huge[:CARD_TEXT_CHARS + 1] not in html
    (tmp_path / "out").mkdir()
    out = write_report([whole, second], tmp_path, tmp_path / "out" / "report.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.monotonic()
        page.goto(out.as_uri(), timeout=300_000)
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        took = time.monotonic() - started
        note = page.locator("article.card.recovered p.cut").inner_text()
        browser.close()
    assert took < 20, f"the page took {took:.1f} s to lay out"
    assert note == (f"the text is cut here: it is 1,000,000 characters long, the first {CARD_TEXT_CHARS:,} shown; "
                    "the whole text: archiver show twitter:2 (or this report as JSON)")


def test_a_picture_s_address_is_a_url_whatever_the_folder_is_named() -> None:
    # A folder named "case #12": the browser read "#12/..." as the page's fragment; every picture
    # that is linked rather than inlined, and every click-through link, broke.
    from archiver.report.page import _rel

    assert _rel(Path("/tmp/r/reports"), Path("/tmp/r/case #12/archive"), "screenshots/a b?.png") == \
        "../case%20%2312/archive/screenshots/a%20b%3F.png"


def test_a_page_holds_its_pictures_up_to_a_budget_and_links_the_rest(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A report of a whole archive inlined every picture: tens of thousands of posts made pages of
    gigabytes no browser opened (or no page at all: out of memory). Past the budget pictures are
    linked, and the page says so; a picture on several cards counts as often as it is shown."""
    import base64
    import dataclasses

    from archiver.report import page

    posts = _posts(tmp_path)  # both posts show the same 1x1 picture
    shown = len("data:image/png;base64,") + len(base64.b64encode(PNG))
    monkeypatch.setattr(page, "INLINE_BUDGET", 2 * shown)  # room for it twice: on both cards
    html = render_report(posts, tmp_path, tmp_path / "r.html")
    assert html.count("data:image/png;base64,") == 2 and "picture(s) are linked" not in html
    monkeypatch.setattr(page, "INLINE_BUDGET", shown)  # room for it once: each showing counts
    html = render_report(posts, tmp_path, tmp_path / "r.html")
    assert html.count("data:image/png;base64,") == 1 and "1 picture(s) are linked" in html
    other = tmp_path / "screenshots" / "twitter" / "1" / "b.png"
    other.write_bytes(PNG + b"\0")
    second = dataclasses.replace(posts[1], captures=[dataclasses.replace(posts[1].captures[0],
                                                                         screenshot="screenshots/twitter/1/b.png")])
    html = render_report([posts[0], second], tmp_path, tmp_path / "r.html")  # room for one of the two files
    assert html.count("data:image/png;base64,") == 1 and 'src="screenshots/twitter/1/b.png"' in html
    assert "1 picture(s) are linked, not held in this page" in html


def test_a_page_on_standard_output_links_its_pictures_by_absolute_address(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`report -o -` linked pictures relative to the current folder: the page, saved anywhere else
    (`> ~/cases/page.html`), showed none of them. Its links are absolute `file:` URIs."""
    from archiver.report import page
    from archiver.report.model import build_report

    archive = tmp_path / "case #12" / "archive"
    posts = _posts(archive)
    monkeypatch.setattr(page, "INLINE_BUDGET", 0)  # every picture linked
    monkeypatch.chdir(tmp_path)
    html = page.render_html(build_report(posts, archive), archive, None)
    shot = (archive / "screenshots" / "twitter" / "1" / "a.png").as_uri()
    assert f'src="{shot}"' in html and "%2312" in shot
    assert "they show while the archive stays where it is" in html
