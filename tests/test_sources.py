"""Reading sources: sniffing, encodings, size limits and one-line failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.errors import SourceError
from archiver.sources import SourceFailure, decode, expand, looks_binary, read_file, read_sources


def test_binary_files_are_refused_with_a_named_message(tmp_path: Path) -> None:
    p = tmp_path / "photo.html"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(SourceError, match=r"photo\.html: binary content"):
        read_file(p, 100_000)


def test_oversized_sources_are_skipped(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_text("x" * 200)
    with pytest.raises(SourceError, match="over --max-bytes 100"):
        read_file(p, 100)


def test_html_is_sniffed_from_content_not_extension(tmp_path: Path) -> None:
    html = tmp_path / "article.txt"
    html.write_text("<!doctype html><html><body><p>Hi</p></body></html>")
    text = tmp_path / "article.html"
    text.write_text("Just words, nothing else.\nA second line.")
    assert read_file(html, 10_000).is_html is True
    assert read_file(text, 10_000).is_html is False


def test_legacy_encodings_decode_via_meta_or_cp1252() -> None:
    latin = '<meta charset="iso-8859-1"><p>Gr\xfc\xdfe</p>'.encode("latin-1")
    assert "Grüße" in decode(latin)
    assert decode("Café".encode("cp1252")) == "Café"
    assert decode("\ufeffBOM text".encode("utf-8")) == "BOM text"


@pytest.mark.parametrize(("label", "text", "encoded_as"), [
    ("iso-8859-1", "\u201cQuoted\u201d \u2014 caf\xe9 \u20ac5", "cp1252"),  # curly quotes, not C1 controls
    ("us-ascii", "\u201cQuoted\u201d \u2014 caf\xe9", "cp1252"),
    ("latin1", "na\xefve \u2013 \u2018x\u2019", "cp1252"),
    ("gb2312", "\u9555\u57fa", "gbk"),  # 镕 is GBK's, not GB 2312's
    ("x-sjis", "\u5c71\u7530\u3055\u3093", "shift_jis"),  # a label Python does not know
    ("windows-874", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "cp874"),
    ("ISO-8859-9", "\u0130stanbul \u2014 \u201c\u015fehir\u201d", "cp1254"),
    ("x-cp1250", "\u017elu\u0165ou\u010dk\u00fd \u2014 k\u016f\u0148", "cp1250"),  # labels Python does not know
    ("iso88592", "\u017elu\u0165ou\u010dk\u00fd", "iso8859_2"),
    ("koi8", "\u041f\u0440\u0438\u0432\u0435\u0442", "koi8_r"),
    ("x-euc-jp", "\u5c71\u7530", "euc_jp"),
])
def test_a_charset_label_is_read_as_a_browser_reads_it(label: str, text: str, encoded_as: str) -> None:
    page = f'<meta charset="{label}"><p>{text}</p>'.encode(encoded_as)
    assert decode(page) == f'<meta charset="{label}"><p>{text}</p>'
    # The same label in the HTTP header.
    assert decode(f"<p>{text}</p>".encode(encoded_as), label) == f"<p>{text}</p>"


def test_a_stray_byte_in_a_page_declared_utf8_is_replaced_not_read_as_another_encoding() -> None:
    page = '<meta charset="utf-8"><p>Grüße aus München</p>'.encode().replace(b"aus", b"a\xffs")
    assert decode(page) == '<meta charset="utf-8"><p>Grüße a\ufffds München</p>'
    # Declared by the HTTP header alone, the same.
    bare = "Grüße aus München".encode().replace(b"aus", b"a\xffs")
    assert decode(bare, "utf-8") == "Grüße a\ufffds München"
    # Declared nowhere: the web's default for such bytes, windows-1252, as before.
    assert decode(bare) == bare.decode("cp1252", errors="replace")


def test_utf16_with_bom_is_text_not_binary() -> None:
    data = "Hello — world".encode("utf-16")
    assert not looks_binary(data)
    assert decode(data) == "Hello — world"


def test_directories_expand_recursively_and_skip_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.html").write_text("<p>2</p>")
    (tmp_path / "one.txt").write_text("1")
    (tmp_path / ".hidden").write_text("h")
    got = [Path(p).relative_to(tmp_path).as_posix() for p in expand([str(tmp_path)])]
    assert got == ["one.txt", "b/two.html"] or got == ["b/two.html", "one.txt"]
    assert ".hidden" not in got


def test_one_bad_source_does_not_stop_the_others(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("fine text")
    items = list(read_sources([str(tmp_path / "missing.html"), str(good)]))
    assert isinstance(items[0], SourceFailure) and "no such file" in items[0].message
    assert not isinstance(items[1], SourceFailure) and items[1].text == "fine text"


@pytest.mark.parametrize(("given", "hint"), [
    ("vm.tiktok.com/ZMshare01", True), ("news.example/2024/a.html", True),
    ("missing.html", False), ("notes/x.html", False), ("report.2024/x.html", False)])
def test_a_web_address_typed_without_its_scheme_is_named_as_such(given: str, hint: bool, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # none of these is a file here
    [failure] = list(read_sources([given]))
    assert isinstance(failure, SourceFailure)
    assert failure.message == f"{given}: no such file or directory" + (
        f"; for a web address, give https://{given}" if hint else "")


def test_unreachable_url_is_a_failure_not_a_traceback() -> None:
    # Port 9 on loopback: nothing listens, the connection is refused at once (no internet needed).
    items = list(read_sources(["http://127.0.0.1:9/article"]))
    assert isinstance(items[0], SourceFailure)
    assert items[0].message.startswith("http://127.0.0.1:9/article: ")
    assert "\n" not in items[0].message


def test_urls_are_fetched_through_the_http_client_unrecorded_and_capped_while_streaming(tmp_path: Path) -> None:
    from archiver.net import NetOptions
    from tests.fakeweb import site
    from tests.fakeweb.server import FakeWeb

    with FakeWeb(tmp_path / "web") as web:
        net = NetOptions.from_options([web.map_host], str(web.ca_pem), None, env={})
        big = "https://faults.example/big?mb=50&case=scan"  # chunked: no length to refuse it by
        busy = "https://faults.example/503?retry_after=0&case=scan"
        article = site.ARTICLE_FLOOD.url
        items = list(read_sources([big, busy, article], max_bytes=100_000, net=net))
        served = [e["path"] for e in web.log if e["path"].endswith("case=scan")]
    over, unavailable, doc = items
    assert isinstance(over, SourceFailure) and over.message == f"{big}: body is over --max-bytes 100000; skipped"
    # One attempt only (scan does not retry), and the status is named as before.
    assert isinstance(unavailable, SourceFailure) and unavailable.message == f"{busy}: HTTP 503; check the address"
    assert served == [big.removeprefix("https://faults.example"), busy.removeprefix("https://faults.example")]
    assert not isinstance(doc, SourceFailure) and doc.url == article and "Riverton" in doc.text
    assert not list(tmp_path.glob("**/*.warc*"))  # nothing recorded


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=9000), st.sampled_from([b"", b"<html>", b"\x1b[0m", b"\x01\x02\x03"]))
def test_looks_binary_counts_control_bytes_exactly(data: bytes, prefix: bytes) -> None:
    """More than 5% control bytes (other than tab, LF, FF, CR, ESC) in the first 8 KiB, or a NUL, is binary."""
    head = (prefix + data)[:8192]
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        expected = False
    elif b"\x00" in head:
        expected = True
    else:
        expected = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27)) / len(head) > 0.05
    assert looks_binary(prefix + data) is expected


def test_a_saved_page_folder_yields_its_pages_not_their_assets(tmp_path: Path) -> None:
    # "Save page, complete": the page, and beside it a folder of what it loaded.
    saved = tmp_path / "saved"
    (saved / "article_files").mkdir(parents=True)
    (saved / "article.html").write_text("<html><body><p>x</p></body></html>")
    (saved / "notes.txt").write_text("see https://youtu.be/dQw4w9WgXcQ")
    (saved / "article_files" / "photo.JPG").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 8)
    (saved / "article_files" / "widgets.js").write_text('var a = "https://t.co/abcdef123"; /* https://youtu.be/dQw4w9WgXcZ */')
    (saved / "article_files" / "style.css").write_text("body { color: red }")
    (saved / "article_files" / "js").write_text("a file named like an ending is read")
    assert list(expand([str(saved)])) == [str(saved / "article.html"), str(saved / "notes.txt"),
                                          str(saved / "article_files" / "js")]
    # Named on its own, a picture is still read, and refused as what it is.
    assert list(expand([str(saved / "article_files" / "photo.JPG")])) == [str(saved / "article_files" / "photo.JPG")]


def test_windows_1252_reads_every_byte_as_a_browser_does() -> None:
    # Python's cp1252 leaves five bytes undefined; a browser reads them as C1 controls. A page whose
    # header says iso-8859-1 (windows-1252) is read so, not as UTF-8, whatever bytes it holds.
    page = "<p>\u00c1 caf\u00e9</p>".encode()  # UTF-8 bytes: \xc3\x81 holds one of the five
    assert decode(page, "iso-8859-1") == "<p>\u00c3\x81 caf\u00c3\u00a9</p>"
    assert decode(b"a\x81b\x8dc\x8fd\x90e\x9df\x80", "windows-1252") == "a\x81b\x8dc\x8fd\x90e\x9df\u20ac"
    # A label that names the "replacement" encoding is not used: the bytes are read as if undeclared
    # (Python's HZ codec would read these as Chinese).
    assert decode(b"<p>~{VPND~}</p>", "hz-gb-2312") == "<p>~{VPND~}</p>"
    # The other Windows code pages alike: cp1251's 0x98 is a C1 control, not a reason to read UTF-8.
    assert decode(b"<p>\xd0\x98x\x98</p>", "windows-1251") == "<p>\u0420\u0098x\x98</p>"
    # windows-1255's 0xCA is a Hebrew point to a browser, undefined to Python.
    assert decode(b"<p>\xe5\xca\xec</p>", "windows-1255") == "<p>\u05d5\u05ba\u05dc</p>"
    # x-user-defined: ASCII, and each other byte as a private-use code point, U+F780 + (byte - 0x80).
    assert decode(b"<p>ab\x80\xff</p>", "x-user-defined") == "<p>ab\uf780\uf7ff</p>"


@pytest.mark.parametrize("label", ["utf-7", "cp037", "unicode_escape", "rot13", "base64", "hex", "utf-32"])
def test_a_label_naming_no_encoding_a_browser_knows_is_not_used(label: str) -> None:
    # A browser reads such a page as if it declared nothing; honoured, UTF-7 would show the scanner
    # a link no reader sees (`+ADw-a href=...`), EBCDIC hide every link they do see.
    hidden = b"<p>caf\xe9</p>+ADw-a href=+ACI-https://twitter.com/ghost/status/4242+ACI-+AD4-x+ADw-/a+AD4-"
    as_undeclared = decode(hidden)
    assert decode(f'<meta charset="{label}">'.encode() + hidden) == f'<meta charset="{label}">' + as_undeclared
    assert decode(hidden, label) == as_undeclared
    assert "<a href" not in as_undeclared


def test_a_meta_naming_utf16_is_wrong_about_the_bytes_it_is_written_in() -> None:
    # A <meta> is found in ASCII bytes: a browser reads such a page as UTF-8.
    page = b'<html><head><meta charset="unicode"></head><body>caf\xe9</body></html>'  # not UTF-8 either
    assert decode(page).endswith("<body>caf\ufffd</body></html>")
    assert decode(page.replace(b"unicode", b"utf-16le")).endswith("<body>caf\ufffd</body></html>")


def test_a_command_line_url_over_65536_characters_is_refused_in_one_short_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.e2e import ROOT

    url = "https://news.example/a?q=" + "d" * 100_000
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "archive", url, "--archive-dir", str(tmp_path / "a")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.splitlines()
    assert len(line) < 600, line[:300]
    assert "(cut at 200 of 100025 characters)" in line and "is longer than 65,536 characters" in line, line
    assert not (tmp_path / "a").exists()
