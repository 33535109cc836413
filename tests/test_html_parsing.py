"""crawler/html.py parses a page in a checked codec as declared and trusts libxml2's error log to say whether
every byte decoded: that holds only where libxml2 refuses exactly the bytes Python's codec refuses."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import crawler.html as parsing
from crawler.html import LIBXML2_CHECKED_CODECS, parse_html
from crawler.models import Page

FIXTURES = Path(__file__).parent / "fixtures"
HEADERS = {"content-type": "text/html; charset=GB2312"}


def page_with(inner: bytes) -> Page:
    return Page("http://hlj.people.com.cn/n2/a.html", b"<html><body><p>" + "中文".encode("gbk") + inner
                + b"x</p></body></html>", HEADERS)


def python_decodes(page: Page, codec: str) -> bool:
    try:
        page.body.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def byte_sequences() -> list[bytes]:
    """Every 1- and 2-byte sequence, and 4-byte ones around GB18030's four-byte ranges, seeded."""
    chosen = random.Random(18030)
    sequences = [bytes([a]) for a in range(256)]
    sequences += [bytes([a, b]) for a in range(0x80, 0x100) for b in range(0x20, 0x100)]
    sequences += [bytes([chosen.randrange(0x80, 0x100), chosen.randrange(0x2f, 0x3b), chosen.randrange(0x7f, 0x100),
                         chosen.randrange(0x2f, 0x3b)]) for _ in range(20_000)]
    return sequences


@pytest.mark.parametrize("codec", sorted(LIBXML2_CHECKED_CODECS))
def test_libxml2_refuses_exactly_the_bytes_python_refuses(codec: str) -> None:
    assert parsing.libxml2_reports_bad_bytes(codec)
    refused = 0
    for sequence in byte_sequences():
        page = page_with(sequence)
        by_libxml2 = parsing._parse_in(page, codec) is not None
        assert by_libxml2 == python_decodes(page, codec), sequence.hex()
        refused += not by_libxml2
    assert refused > 1000  # the sample holds bad sequences, not only good ones


def test_a_stray_byte_loses_no_text_after_it() -> None:
    body = (FIXTURES / "hlj_people" / "seed_article.html").read_bytes()
    at = body.index("。".encode("gbk"), len(body) // 2)
    broken = Page("http://hlj.people.com.cn/n2/a.html", body[:at] + b"\x80" + body[at:], HEADERS)
    assert parsing._parse_in(broken, "gb18030") is None  # refused: parsed from Python's decode instead
    whole = parse_html(Page(broken.url, body, HEADERS)).text_content()
    kept = parse_html(broken).text_content()
    assert "\ufffd" in kept
    assert kept.replace("\ufffd", "") == whole  # libxml2 alone would have stopped at the byte


def test_a_libxml2_that_misses_bad_bytes_gets_pages_checked_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    page = Page("http://hlj.people.com.cn/n2/a.html", (FIXTURES / "hlj_people" / "seed_article.html").read_bytes(),
                HEADERS)
    expected = parse_html(page).text_content()
    assert parsing._parse_in(page, "gb18030") is not None
    # a "bad" sample that decodes: as if this libxml2 let a bad byte through
    monkeypatch.setattr(parsing, "_BAD_SAMPLES", (*parsing._BAD_SAMPLES, "<p>好</p>".encode("gbk")))
    parsing.libxml2_reports_bad_bytes.cache_clear()
    try:
        assert not parsing.libxml2_reports_bad_bytes("gb18030")
        assert parsing._parse_in(page, "gb18030") is None
        assert parse_html(page).text_content() == expected
    finally:
        parsing.libxml2_reports_bad_bytes.cache_clear()


def test_a_page_cut_off_anywhere_reads_as_python_s_check_would_have_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A truncated download can end inside a character; libxml2 drops such a tail silently once it has met a
    misplaced tag (this page has an <img> before its <body>), so those pages must not be trusted to it."""
    body = (FIXTURES / "hlj_people" / "seed_article.html").read_bytes()
    cuts = [Page("http://hlj.people.com.cn/n2/a.html", body[:end], HEADERS) for end in range(200, len(body), 61)]
    assert sum(not python_decodes(cut, "gb18030") for cut in cuts) > 30  # dozens end inside a character
    new = [parse_html(cut) for cut in cuts]
    monkeypatch.setattr(parsing, "_parse_in", lambda page, codec: None)  # the check in Python, as before
    old = [parse_html(cut) for cut in cuts]
    for cut, tree, expected in zip(cuts, new, old, strict=True):
        assert (tree is None) == (expected is None), len(cut.body)
        if tree is not None:
            assert tree.text_content() == expected.text_content(), len(cut.body)
            assert [e.tag for e in tree.iter()] == [e.tag for e in expected.iter()], len(cut.body)


PARAGRAPH = "<p>第三十九届哈尔滨国际冰雪节今日开幕，游客络绎不绝。</p>"
UTF8_ARTICLE = ("<html><head><meta charset=\"utf-8\"><title>哈尔滨新闻第93号：冰雪节开幕</title></head><body>"
                "<h1>哈尔滨新闻第93号：冰雪节开幕</h1>" + PARAGRAPH * 30 + "</body></html>").encode()
UTF8_HEADERS = {"content-type": "text/html; charset=utf-8"}
JPEG_TAIL = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + random.Random(93).randbytes(80_000)


def test_binary_appended_after_the_document_neither_picks_the_codec_nor_reaches_the_text() -> None:
    page = Page("http://news.example.cn/a/93.html", UTF8_ARTICLE + JPEG_TAIL, UTF8_HEADERS)
    root = parse_html(page)
    assert root.findtext(".//title") == "哈尔滨新闻第93号：冰雪节开幕"
    assert root.text_content().count("\ufffd") == 0 and "JFIF" not in root.text_content()


def test_one_stray_nul_does_not_make_a_page_binary_but_many_do() -> None:
    one = UTF8_ARTICLE.replace("冰雪节".encode(), "冰雪\x00节".encode(), 1)  # in the <title>
    root = parse_html(Page("http://news.example.cn/a/92.html", one, UTF8_HEADERS))
    assert "哈尔滨新闻第93号" in root.findtext(".//h1")
    utf16_without_bom = UTF8_ARTICLE.decode().encode("utf-16-le")
    assert parsing.not_html_reason("text/html", utf16_without_bom) == "not an HTML page (binary content)"
