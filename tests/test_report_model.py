"""What the report says of posts, without a browser: timelines, crops, dates, filters, JSON."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

from archiver.index.rows import ArticlePage, CaptureRow, CitationRow, ObservationRow, PostRow
from archiver.report import build_report, render_report
from archiver.report.model import png_size, timeline
from archiver.report.page import human_time


def _png(path: Path, width: int, height: int) -> str:
    """A blank PNG of this size (header, one IDAT of zero rows, end)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff" * (width * 3) for _ in range(height))
    body = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path.name


def _post(key: str, status: str, *, handle: str = "alice", captures: list[CaptureRow] | None = None,
          history: list[tuple[str, str]] | None = None, article: str = "https://news.example/a.html") -> PostRow:
    return PostRow(key=key, platform="twitter", post_id=key.split(":")[1], url=f"https://x.com/{handle}/status/1",
                   handle=handle, author=None, posted_at="2024-03-04T18:22:31.000Z", text="words", links=[], media=[],
                   status=status, articles=[CitationRow(url=article, kind="embedded", evidence=None)],
                   captures=captures or [], history=[ObservationRow(checked_at=t, status=s) for t, s in history or []])


def test_timeline_folds_checks_of_the_same_status() -> None:
    history = [ObservationRow("2024-03-03T00:00:00.000Z", "live"), ObservationRow("2024-03-01T00:00:00.000Z", "live"),
               ObservationRow("2024-03-05T00:00:00.000Z", "withheld"), ObservationRow("2024-03-02T00:00:00.000Z", "live"),
               ObservationRow("2024-03-07T00:00:00.000Z", "live")]
    spans = [(s.status, s.first[:10], s.last[:10], s.checks) for s in timeline(history)]
    assert spans == [("live", "2024-03-01", "2024-03-03", 3), ("withheld", "2024-03-05", "2024-03-05", 1),
                     ("live", "2024-03-07", "2024-03-07", 1)]


def test_human_time_keeps_the_instant_on_hover() -> None:
    assert human_time("2024-03-04T18:22:31.000Z") == (
        '<time datetime="2024-03-04T18:22:31Z" title="2024-03-04 18:22:31 UTC">4 Mar 2024, 18:22</time>')
    assert human_time("2024-03-04T20:22:31+02:00").endswith(">4 Mar 2024, 18:22</time>")
    assert human_time("2024-03-03") == '<time datetime="2024-03-03" title="2024-03-03 (a day, UTC)">3 Mar 2024</time>'
    assert human_time(None) == "date unknown"
    assert human_time("<b>soon</b>") == "&lt;b&gt;soon&lt;/b&gt;"


def test_png_size_reads_the_header_and_refuses_other_files(tmp_path: Path) -> None:
    _png(tmp_path / "a.png", 7, 3)
    assert png_size(tmp_path / "a.png") == (7, 3)
    (tmp_path / "b.png").write_bytes(b"GIF89a" + b"\0" * 40)
    assert png_size(tmp_path / "b.png") is None and png_size(tmp_path / "missing.png") is None


def test_crops_best_first_then_one_per_source_and_status(tmp_path: Path) -> None:
    d = "screenshots/twitter/9"
    names = {n: _png(tmp_path / d / n, w, 10) for n, w in [
        ("1-embed-element-00.png", 500), ("2-embed-element-00.png", 501), ("3-wayback-element-00.png", 900),
        ("3-wayback.png", 1280), ("4-embed.png", 1280)]}
    caps = [CaptureRow("2024-03-01T00:00:00.000Z", "live", f"{d}/{names['1-embed-element-00.png']}", "live", None),
            CaptureRow("2024-03-02T00:00:00.000Z", "live", f"{d}/{names['2-embed-element-00.png']}", "withheld", None),
            CaptureRow("2024-03-03T00:00:00.000Z", "wayback", f"{d}/{names['3-wayback-element-00.png']}", "recovered", None),
            CaptureRow("2024-03-04T00:00:00.000Z", "live", f"{d}/{names['4-embed.png']}", "withheld", None),
            CaptureRow("2024-03-05T00:00:00.000Z", "live", None, "withheld", None)]
    report = build_report([_post("twitter:9", "withheld", captures=caps)], tmp_path)
    crops = [(c.path.rsplit("/", 1)[1], c.element, c.width) for c in report.posts[0].crops]
    # Gone, but once captured live here: that first-hand capture first; then the Wayback copy and
    # the withheld embed (the picture of the post alone, though a newer whole-page one exists).
    assert crops == [("1-embed-element-00.png", True, 500), ("3-wayback-element-00.png", True, 900),
                     ("2-embed-element-00.png", True, 501)]
    assert not report.posts[0].recovered  # its headline credits no Wayback copy: the archive saw it itself
    # Never seen live here: the Wayback copy that recovered it comes first.
    report = build_report([_post("twitter:9", "withheld", captures=caps[1:])], tmp_path)
    crops = [(c.path.rsplit("/", 1)[1], c.element, c.width) for c in report.posts[0].crops]
    assert crops == [("3-wayback-element-00.png", True, 900), ("2-embed-element-00.png", True, 501)]
    assert report.posts[0].recovered


def test_the_wayback_copy_stays_in_view_after_statuses_came_and_went(tmp_path: Path) -> None:
    from archiver.report.model import MAX_CROPS
    from archiver.report.page import render_html

    d = "screenshots/twitter/9"
    later = ("suspended", "login_required", "unavailable", "withheld", "protected", "deleted", "unknown", "age_gated",
             "live_again", "private")[:MAX_CROPS]  # (statuses enough to pass the bound by two)
    steps = [(1, "live", "embed", "live"), (2, "wayback", "wayback", "recovered"),
             *((n, "live", "embed", status) for n, status in enumerate(later, start=3))]
    names = {n: _png(tmp_path / d / f"{n:02d}-{kind}-element-00.png", 500, 10) for n, _s, kind, _st in steps}
    caps = [CaptureRow(f"2024-03-{n:02d}T00:00:00.000Z", source, f"{d}/{names[n]}", status, None)
            for n, source, _kind, status in steps]
    report = build_report([_post("twitter:9", "suspended", captures=caps)], tmp_path)
    crops = [c.path.rsplit("/", 1)[1] for c in report.posts[0].crops]
    # The best capture (the first-hand live one), then the Wayback copy, whatever came after it;
    # then the newest, up to the bound: the oldest of the others left out, and counted.
    assert len(crops) == MAX_CROPS and crops[:2] == ["01-embed-element-00.png", "02-wayback-element-00.png"]
    assert crops[2:] == [f"{n:02d}-embed-element-00.png" for n in range(len(steps), len(steps) - MAX_CROPS + 2, -1)]
    assert report.posts[0].crops_left_out == 2
    page = render_html(report, tmp_path, None)
    assert "2 older picture(s) of other sources and statuses left out here" in page


def test_each_status_a_post_went_through_keeps_its_picture(tmp_path: Path) -> None:
    # Live, deleted (the Wayback copy held), live again, withheld: four sources and statuses, four pictures.
    d = "screenshots/twitter/8"
    steps = [(1, "live", "live"), (2, "live", "deleted"), (3, "wayback", "recovered"), (4, "live", "live"),
             (5, "live", "withheld")]
    caps = [CaptureRow(f"2024-03-0{n}T00:00:00.000Z", source,
                       f"{d}/{_png(tmp_path / d / f'{n}-embed-element-00.png', 500, 10)}", status, None)
            for n, source, status in steps]
    (post,) = build_report([_post("twitter:8", "withheld", captures=caps)], tmp_path).posts
    assert {(c.source, c.status) for c in post.crops} == {("live", "live"), ("live", "deleted"), ("wayback", "recovered"),
                                                          ("live", "withheld")}
    assert post.crops_left_out == 0


def test_a_copy_that_recovered_nothing_says_why_old_archives_error_rows_too(tmp_path: Path) -> None:
    d = "screenshots/twitter/9"
    names = {n: _png(tmp_path / d / n, 500, 10) for n in ("1-embed-element-00.png", "2-wayback.png")}
    why = "the Wayback copy does not show the post"
    live = CaptureRow("2024-03-01T00:00:00.000Z", "live", f"{d}/{names['1-embed-element-00.png']}", "deleted", None)
    for status, label in (("not_recovered", "not recovered"), ("error", "error")):  # "error": older archives
        copy = CaptureRow("2024-03-02T00:00:00.000Z", "wayback", f"{d}/{names['2-wayback.png']}", status, None,
                          copied_at="2024-02-01T12:00:00Z", error=why)
        report = build_report([_post("twitter:9", "deleted", captures=[live, copy])], tmp_path)
        post = report.posts[0]
        # Not a recovery: the live capture (the tombstone) shows the post best and comes first.
        assert not post.recovered
        assert [(c.source, c.status, c.reason) for c in post.crops] == [
            ("live", "deleted", None), ("wayback", status, why)]
        html = render_report([_post("twitter:9", "deleted", captures=[live, copy])], tmp_path, tmp_path / "r.html")
        assert f"showed it ({label}: {why}), captured " in html


def test_articles_by_title_and_json(tmp_path: Path) -> None:
    posts = [_post("twitter:1", "live", article="https://news.example/b.html"),
             _post("twitter:2", "withheld", handle="bob", article="https://news.example/a.html?token=s3cret")]
    pages = [ArticlePage(url="https://news.example/b.html", title="A story", first_captured="2024-03-05T00:00:00.000Z")]
    report = build_report(posts, tmp_path, articles=pages)
    data = json.loads(json.dumps(report.to_dict()))
    assert [(a["title"], a["posts"]) for a in data["articles"]] == [("A story", ["twitter:1"]), (None, ["twitter:2"])]
    assert "s3cret" not in json.dumps(data)  # secret parameters are redacted, as everywhere else
    assert data["counts"] == {"live": 1, "withheld": 1}
    html = render_report(posts, tmp_path, tmp_path / "r.html", articles=pages)
    assert re.search(r"<h2><a [^>]*>A story</a></h2>", html)


def test_posts_no_article_cites_are_under_an_article_of_no_url(tmp_path: Path) -> None:
    alone = _post("twitter:3", "live")
    alone.articles = []  # given by its own address
    data = build_report([_post("twitter:1", "live"), alone], tmp_path).to_dict()
    assert [(a["url"], a["posts"]) for a in data["articles"]] == [
        ("https://news.example/a.html", ["twitter:1"]), (None, ["twitter:3"])]
    assert [p["articles"] for p in data["posts"]] == [["https://news.example/a.html"], []]
    html = render_report([alone], tmp_path, tmp_path / "r.html")
    assert "<h2>Posts cited by no article</h2>" in html


def test_filter_rules_never_carry_page_text(tmp_path: Path) -> None:
    evil = 'x"]{}</style><script>alert(1)</script>'
    html = render_report([_post("twitter:1", "live", handle=evil), _post("twitter:2", "deleted")], tmp_path,
                         tmp_path / "r.html")
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "alert" not in style and "<script>" not in html
    assert "@x&quot;]{}&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt; (1)" in html  # the label, escaped
    # One radio per value and an "all" per group; each value's rule names numbered classes only.
    assert re.findall(r'body:has\(#f-(s\d+):checked\) \.card:not\(\.\1\)', style) == ["s0", "s1"]


def test_one_handle_in_two_cases_is_one_filter(tmp_path: Path) -> None:
    posts = [_post("telegram:harbournews/101", "live", handle="HarbourNews"),
             _post("telegram:harbournews/102", "live", handle="harbournews"),
             _post("telegram:harbournews/103", "live", handle="HarbourNews"), _post("twitter:2", "live", handle="bob")]
    html = render_report(posts, tmp_path, tmp_path / "r.html")
    labels = re.findall(r'<label for="f-h\d+">([^<]*)</label>', html)
    assert labels == ["@bob (1)", "@HarbourNews (3)"]  # the spelling most posts use
    cards = re.findall(r'<article class="card [^"]*\b(h\d+)\b', html)
    assert len(cards) == 4 and len(set(cards)) == 2


def test_every_filters_all_counts_every_post_those_without_a_handle_too(tmp_path: Path) -> None:
    posts = [_post("twitter:1", "live", handle="alice"), _post("twitter:2", "live", handle="bob"),
             _post("youtube:dQw4w9WgXcQ", "live", handle="")]
    html = render_report(posts, tmp_path, tmp_path / "r.html")
    assert re.findall(r'<label for="f-([shp])-all">all \((\d+)\)</label>', html) == [("s", "3"), ("h", "3")]


def test_a_missing_picture_is_named_not_drawn(tmp_path: Path) -> None:
    caps = [CaptureRow("2024-03-01T00:00:00.000Z", "live", "screenshots/twitter/9/1-embed-element-00.png", "live", None)]
    html = render_report([_post("twitter:9", "live", captures=caps)], tmp_path, tmp_path / "r.html")
    assert "picture missing or unreadable" in html and "<img" not in html
    assert "1-embed-element-00.png" in html and "<a href=" not in html.split("picture missing", 1)[1].split("</p>")[0]


def test_captured_words_carry_no_secret_escape_or_bidi_override_into_the_report(tmp_path: Path) -> None:
    """Post text and article titles are the web's words: a token in a URL they quote is redacted
    (as in every other output), and what would steer the display (escape sequences, control
    characters, a right-to-left override that reverses the handle after it) is dropped."""
    from dataclasses import replace

    post = replace(_post("twitter:1", "live"), author="Real News \u202e", text=(
        "see https://x.example/p?token=TEXTSECRET \x1b[31mRED\x1b[0m \x1b]0;TITLE\x07 \x00end"))
    pages = [ArticlePage(url="https://news.example/a.html", title="Read https://news.example/c?access_token=TITLESECRET",
                         first_captured="2024-03-05T00:00:00.000Z")]
    html = render_report([post], tmp_path, tmp_path / "r.html", articles=pages)
    data = json.dumps(build_report([post], tmp_path, articles=pages).to_dict())
    for out in (html, data):
        assert "TEXTSECRET" not in out and "TITLESECRET" not in out
    assert "token=REDACTED" in html and "access_token=REDACTED" in html
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]", html)
    assert "RED" in html and "end" in html and "Real News" in html


def test_a_post_not_checked_yet_is_pending(tmp_path: Path) -> None:
    # As lookup reads it mid-run ("pending"), and as a row without a status (None) comes from elsewhere.
    posts = [_post("twitter:1", "pending"), _post("twitter:2", None), _post("twitter:3", "live")]  # type: ignore[arg-type]
    report = build_report(posts, tmp_path)
    assert [p.status for p in report.posts] == ["pending", "pending", "live"]
    assert report.counts == {"live": 1, "pending": 2}
    html = render_report(posts, tmp_path, tmp_path / "r.html")
    assert html.count('<span class="status pending">… pending</span>') == 2, html
