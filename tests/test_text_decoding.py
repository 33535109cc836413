"""decode_html on real bytes: GBK pages, UTF-8 under a stale GB2312 meta, header overrides, broken bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.text.decoding import declared_charsets, decode_html

FIXTURES = Path(__file__).parent / "fixtures" / "hlj_people"
SEED = FIXTURES / "seed_article.html"  # GBK bytes, GB2312 meta, as the live site serves them
SAVED_UTF8 = FIXTURES / "people_culture_article_gne.html"  # UTF-8 bytes under a GB2312 meta
TITLE = "双鸭山：织密民生保障网 服务百姓有“温度”"


def test_gbk_page_with_gb2312_meta_decodes_as_gb18030() -> None:
    body = SEED.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # the fixture really is GBK
    text = decode_html(body, {})
    assert f"<h1>{TITLE}</h1>" in text and "\ufffd" not in text


def test_gbk_page_with_a_gb2312_header() -> None:
    text = decode_html(SEED.read_bytes(), {"content-type": "text/html; charset=GB2312"})
    assert TITLE in text


def test_utf8_bytes_under_a_gb2312_meta_and_header_decode_as_utf8() -> None:
    body = SAVED_UTF8.read_bytes()
    assert b"charset=GB2312" in body[:300]
    for headers in ({}, {"content-type": "text/html; charset=GB2312"}, {"Content-Type": "text/html;charset=gbk"}):
        text = decode_html(body, headers)
        assert "女儿出嫁，郑板桥画了几笔兰花当嫁妆" in text and "\ufffd" not in text


def test_header_charset_overrides_a_wrong_meta() -> None:
    body = '<html><head><meta charset="utf-8"></head><body>黑龙江省终止防汛Ⅳ级应急响应</body></html>'.encode("gbk")
    assert "黑龙江省终止防汛Ⅳ级应急响应" in decode_html(body, {"content-type": "text/html; charset=GBK"})
    assert declared_charsets(body, {"content-type": "text/html; charset=GBK"}) == ["gb18030", "utf-8"]


def test_a_wrong_utf8_header_over_gbk_bytes_still_decodes() -> None:
    text = decode_html(SEED.read_bytes(), {"content-type": "text/html; charset=utf-8"})
    assert TITLE in text and "\ufffd" not in text


def test_gb18030_only_characters_survive() -> None:
    body = "<p>©2021 人民网 · 黑龙江 — 𠮷</p>".encode("gb18030")
    assert decode_html(body, {"content-type": "text/html; charset=GB2312"}) == "<p>©2021 人民网 · 黑龙江 — 𠮷</p>"


def test_a_few_invalid_bytes_are_replaced_not_raised() -> None:
    body = SEED.read_bytes()
    at = body.index("双鸭山".encode("gbk"))
    broken = body[:at] + b"\xff\x80" + body[at:]
    text = decode_html(broken, {})
    assert TITLE in text
    assert 1 <= text.count("\ufffd") <= 2


def test_utf8_bom_wins() -> None:
    body = "\ufeff<html><body>佳木斯</body></html>".encode("utf-8")
    assert decode_html(body, {"content-type": "text/html; charset=gbk"}) == "<html><body>佳木斯</body></html>"


@pytest.mark.parametrize("body", [b"", b"plain ascii", b"\x00\x01\x02\xff\xfe\xfd", bytes(range(256))])
def test_never_raises(body: bytes) -> None:
    assert isinstance(decode_html(body, {"content-type": "text/html; charset=no-such-codec"}), str)


BIG5_PAGE = ("<html><head><title>臺北市政府新聞稿</title></head><body><p>臺北市政府今天舉行記者會，說明颱風過後的"
             "環境清潔、道路搶修與停班停課決定，各區公所將持續協助受災民眾申請救助。</p></body></html>")


def test_a_big5_page_that_declares_no_charset_is_detected_not_read_as_gbk() -> None:
    body = BIG5_PAGE.encode("big5")
    body.decode("gb18030")  # GB18030 takes these bytes without an error: only detection tells them apart
    assert decode_html(body, {}) == BIG5_PAGE


def test_detection_never_overrides_a_declared_charset_or_valid_utf8() -> None:
    body = BIG5_PAGE.encode("big5")
    assert decode_html(body, {"content-type": "text/html; charset=gbk"}) == body.decode("gb18030")
    assert decode_html(BIG5_PAGE.encode("utf-8"), {}) == BIG5_PAGE
