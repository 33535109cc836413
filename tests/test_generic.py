"""Generic extractor: saved pages (one test per field per case), selector overrides, date forms, bad pages."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from crawler.errors import ParseError
from crawler.generic import extract_article
from crawler.models import Article, Page
from crawler.text.dates import SHANGHAI

FIXTURES = Path(__file__).parent / "fixtures" / "generic"
CASES = sorted(path.stem for path in FIXTURES.glob("*.html"))
FETCHED_AT = datetime(2024, 3, 2, 12, 0, tzinfo=SHANGHAI)


def _expected(case: str) -> dict:
    return json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))


_ARTICLES: dict[str, Article] = {}


def _article(case: str) -> Article:
    if case not in _ARTICLES:
        body = (FIXTURES / f"{case}.html").read_bytes()
        _ARTICLES[case] = extract_article(Page(_expected(case)["url"], body), site="test")
    return _ARTICLES[case]


@pytest.mark.parametrize("case", CASES)
def test_title(case: str) -> None:
    assert _article(case).title == _expected(case)["title"]


@pytest.mark.parametrize("case", CASES)
def test_published_at(case: str) -> None:
    assert _article(case).published_at == datetime.fromisoformat(_expected(case)["published_at"])


@pytest.mark.parametrize("case", CASES)
def test_source(case: str) -> None:
    assert _article(case).source == _expected(case)["source"]


@pytest.mark.parametrize("case", CASES)
def test_authors(case: str) -> None:
    assert _article(case).authors == _expected(case)["authors"]


@pytest.mark.parametrize("case", CASES)
def test_canonical_url(case: str) -> None:
    assert _article(case).canonical_url == _expected(case)["canonical_url"]


@pytest.mark.parametrize("case", CASES)
def test_body_first_line(case: str) -> None:
    assert _article(case).body.split("\n")[0].startswith(_expected(case)["body_first"])


@pytest.mark.parametrize("case", CASES)
def test_body_last_line(case: str) -> None:
    assert _article(case).body.split("\n")[-1].endswith(_expected(case)["body_last"])


@pytest.mark.parametrize("case", CASES)
def test_body_has_no_boilerplate(case: str) -> None:
    body = _article(case).body
    assert [snippet for snippet in _expected(case)["body_not"] if snippet in body] == []


@pytest.mark.parametrize("case", CASES)
def test_site_and_url_pass_through(case: str) -> None:
    article = _article(case)
    assert (article.site, article.url) == ("test", _expected(case)["url"])


def _page(date_line: str, *, head: str = "", url: str = "https://example.cn/a/1.html") -> Page:
    """A small article page with a date line under its headline and a dated sidebar."""
    paragraph = "黑龙江省今年春耕生产进展顺利，各地抢抓农时，全力推进播种工作，确保粮食生产稳定。" * 3
    html = f"""<html><head><title>春耕生产进展顺利_新闻_示例网</title>{head}</head><body>
    <div class="nav"><a href="/">首页</a><a href="/n">新闻</a></div>
    <div class="article"><h1>春耕生产进展顺利</h1><div class="info">{date_line} 来源：示例日报</div>
    <div class="content"><p>{paragraph}</p><p>{paragraph}</p><p>记者了解到，今年全省种植面积继续稳定。</p></div></div>
    <div class="sidebar"><ul><li><a href="/b">另一条新闻</a> 2019-01-01 08:00</li></ul></div>
    <div class="footer">版权所有 2018-06-01 示例网</div></body></html>"""
    return Page(url, html.encode("utf-8"), {}, FETCHED_AT)


@pytest.mark.parametrize(
    ("date_line", "expected"),
    [
        ("2021年07月05日 10:30", datetime(2021, 7, 5, 10, 30, tzinfo=SHANGHAI)),
        ("2021-07-05 10:30:00", datetime(2021, 7, 5, 10, 30, tzinfo=SHANGHAI)),
        ("发布时间：2021-07-05 10:30", datetime(2021, 7, 5, 10, 30, tzinfo=SHANGHAI)),
        ("2021年7月5日", datetime(2021, 7, 5, tzinfo=SHANGHAI)),
        ("02-28 10:30", datetime(2024, 2, 28, 10, 30, tzinfo=SHANGHAI)),  # year from fetched_at
        ("12-30 08:00", datetime(2023, 12, 30, 8, 0, tzinfo=SHANGHAI)),  # December read in March: last year
        ("02月28日10:30", datetime(2024, 2, 28, 10, 30, tzinfo=SHANGHAI)),  # glued form, local to the package
        ("3小时前", datetime(2024, 3, 2, 9, 0, tzinfo=SHANGHAI)),
        ("昨天 18:20", datetime(2024, 3, 1, 18, 20, tzinfo=SHANGHAI)),
    ],
)
def test_visible_date_forms(date_line: str, expected: datetime) -> None:
    assert extract_article(_page(date_line)).published_at == expected


def test_labelled_visible_line_wins_over_meta_on_another_day() -> None:
    # The labelling rule (benchmarks/data/zh-dev/labels.json): what readers see beats an indexing-time meta tag.
    head = '<meta property="article:published_time" content="2021-07-04T22:15:00+08:00">'
    assert extract_article(_page("发布时间：2021-07-05 10:30", head=head)).published_at == datetime(
        2021, 7, 5, 10, 30, tzinfo=SHANGHAI
    )


def test_visible_line_adds_clock_time_to_a_date_only_meta() -> None:
    head = '<meta name="publishdate" content="2021-07-05">'
    assert extract_article(_page("2021-07-05 10:30", head=head)).published_at == datetime(
        2021, 7, 5, 10, 30, tzinfo=SHANGHAI
    )


def test_json_ld_date() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2021-07-05T02:30:00Z"}</script>'
    )
    assert extract_article(_page("", head=head)).published_at == datetime(2021, 7, 5, 10, 30, tzinfo=SHANGHAI)


def test_no_date_from_sidebar_or_footer() -> None:
    assert extract_article(_page("", url="https://example.cn/a/1.html")).published_at is None


def test_relative_date_without_fetch_time_is_none() -> None:
    page = _page("3小时前")
    assert extract_article(Page(page.url, page.body, {}, None)).published_at is None


def test_generic_page_fields() -> None:
    article = extract_article(_page("2021-07-05 10:30"))
    assert (article.title, article.source) == ("春耕生产进展顺利", "示例日报")
    assert article.body.startswith("黑龙江省今年春耕生产进展顺利") and "另一条新闻" not in article.body
    assert "版权所有" not in article.body


def test_selectors_override_heuristics() -> None:
    selectors = {
        "title": "div.info",
        "body": "//div[@class='content']/p[3]",
        "published_at": "(//li)[1]",
        "source": "div.footer::text",
        "authors": "//h1/text()",
    }
    article = extract_article(_page("2021-07-05 10:30"), selectors=selectors)
    assert article.title == "2021-07-05 10:30 来源：示例日报"
    assert article.body == "记者了解到，今年全省种植面积继续稳定。"
    assert article.published_at == datetime(2019, 1, 1, 8, 0, tzinfo=SHANGHAI)
    assert article.source == "版权所有 2018-06-01 示例网"
    assert article.authors == ["春耕生产进展顺利"]


def test_selector_for_unknown_field_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown selector"):
        extract_article(_page("2021-07-05 10:30"), selectors={"headline": "h1"})


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty page"),
        (b"   \n ", "empty page"),
        (b"<html><body><div><a href='/'>\xe9\xa6\x96\xe9\xa1\xb5</a></div></body></html>", "no article text"),
        (b"\x00\x01\x02garbage\xff\xfe", "not an HTML page"),
    ],
)
def test_garbage_page_raises_parse_error(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as raised:
        extract_article(Page("https://example.cn/bad.html", body))
    assert raised.value.url == "https://example.cn/bad.html"
    assert "https://example.cn/bad.html" in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_government_byline_line_with_page_tools_names_only_the_author() -> None:
    from crawler.generic.metadata import parse_authors

    line = "发布时间：2024-03-15 09:30 来源：示例市农业农村局 作者：王立新 字号：大 中 小 浏览次数：120"
    assert parse_authors([line]) == ["王立新"]


def _portal_page(date_cell: str, closing: str = "", url: str = "http://www.example.gov.cn/news/show.asp?id=12") -> Page:
    """A 2000s table-layout portal article: today widget on top, date in a table cell, related list below."""
    paragraph = "哈尔滨市今年冬季供热工作准备就绪，全市各供热企业已完成设备检修，储煤充足，确保居民温暖过冬。" * 3
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
    <title>哈尔滨冬季供热准备就绪--示例政府网</title></head><body>
    <table><tr><td class="top">今天是：2024年3月1日 星期五</td></tr></table>
    <table width="760"><tr><td class="bt"><b>哈尔滨冬季供热准备就绪</b></td></tr>
    <tr><td>{date_cell}</td></tr>
    <tr><td class="zw"><p>{paragraph}</p><p>{paragraph}</p>{closing}</td></tr></table>
    <table class="xgxw"><tr><td><a href="/a/1.asp">相关新闻：全省供热会议召开</a> 2005-10-20</td></tr>
    <tr><td><a href="/a/2.asp">我市启动冬季供热</a> [2005-10-18]</td></tr></table>
    <div id="footer">版权所有 示例市人民政府 2003-2005</div></body></html>"""
    return Page(url, html.encode("gb18030"), {"content-type": "text/html; charset=GB2312"}, FETCHED_AT)


@pytest.mark.parametrize(
    ("date_cell", "expected"),
    [
        ("发布时间：2005-10-25 9:05:33", datetime(2005, 10, 25, 9, 5, 33, tzinfo=SHANGHAI)),
        ("<font color=gray>[2005-10-25 09:05]</font>", datetime(2005, 10, 25, 9, 5, tzinfo=SHANGHAI)),
        ("发表日期：２００５－１０－２５", datetime(2005, 10, 25, tzinfo=SHANGHAI)),
        ("</td><td>发布日期：</td><td><font>2005-10-25</font>", datetime(2005, 10, 25, tzinfo=SHANGHAI)),
        ("更新时间：2005-10-28 发布时间：2005-10-25", datetime(2005, 10, 25, tzinfo=SHANGHAI)),
    ],
)
def test_portal_date_forms_beat_widgets_and_related_lists(date_cell: str, expected: datetime) -> None:
    assert extract_article(_portal_page(date_cell)).published_at == expected


def test_undated_portal_page_takes_no_widget_related_or_footer_date() -> None:
    assert extract_article(_portal_page("来源：示例日报")).published_at is None


def test_date_candidates_say_why_the_winner_won() -> None:
    from crawler.generic.blocks import text_blocks
    from crawler.generic.document import clean_tree
    from crawler.generic.published import Layout, choose_published, date_candidates
    from crawler.html import parse_html

    page = _portal_page("发布时间：2005-10-25 9:05:33")
    root = parse_html(page)
    assert root is not None
    blocks = text_blocks(clean_tree(root))
    headline = next(i for i, b in enumerate(blocks) if b.text == "哈尔滨冬季供热准备就绪")
    candidates = date_candidates(root, blocks, Layout(headline, headline + 2, headline + 3), page.url, FETCHED_AT)
    best = choose_published(candidates)
    assert best is not None and best.value == datetime(2005, 10, 25, 9, 5, 33, tzinfo=SHANGHAI)
    assert any("发布时间" in reason for reason in best.reasons)
    related = next(c for c in candidates if c.value.date().isoformat() == "2005-10-20")
    assert related.score < best.score and any("link text" in reason for reason in related.reasons)
    widget = next(c for c in candidates if c.value.date().isoformat() == "2024-03-01")
    assert any("widget" in reason for reason in widget.reasons)


def test_a_date_after_the_fetch_time_is_not_the_publication() -> None:
    page = _portal_page("发布时间：2025-10-25 09:05")
    assert extract_article(page).published_at is None


@pytest.mark.parametrize(
    ("closing", "authors"),
    [
        ("<p>□ 本报记者 王立新</p>", ["王立新"]),
        ("<p>（本报记者 张三 李四）</p>", ["张三", "李四"]),
        ("<p>记者 赵六 通讯员 钱七</p>", ["赵六"]),
        ("<p>文/图 孙八</p>", ["孙八"]),
        ("<p>周九 摄</p>", []),
        ("<p>本报记者 王五 通讯员 赵六</p><p>(责编：刘佳)</p>", ["王五"]),
    ],
)
def test_closing_byline_paragraph_leaves_the_body_and_names_the_authors(closing: str, authors: list[str]) -> None:
    article = extract_article(_portal_page("发布时间：2005-10-25", closing=closing))
    assert article.authors == authors
    assert article.body.split("\n")[-1 if "责编" not in closing else -2].endswith("确保居民温暖过冬。")
    assert not any(name in article.body for name in ("王立新", "张三", "赵六", "孙八", "周九", "王五"))


def test_a_labelled_date_line_beats_a_later_meta_stamp_of_a_republished_site() -> None:
    page = _portal_page("发布日期：2005-10-25")
    body = page.body.replace(b"<title>", b'<meta name="pubdate" content="2023-05-16 12:34:10"><title>', 1)
    article = extract_article(Page(page.url, body, page.headers, FETCHED_AT))
    assert article.published_at == datetime(2005, 10, 25, tzinfo=SHANGHAI)


def test_a_meta_date_agreeing_with_the_page_keeps_its_clock_time() -> None:
    page = _portal_page("发布日期：2005-10-25")
    body = page.body.replace(b"<title>", b'<meta name="pubdate" content="2005-10-25 09:05:33"><title>', 1)
    assert extract_article(Page(page.url, body, page.headers, FETCHED_AT)).published_at == datetime(
        2005, 10, 25, 9, 5, 33, tzinfo=SHANGHAI)


@pytest.mark.parametrize("written", ["二○○五年十月二十五日", "2005年10月25日"])
def test_an_undated_notice_takes_the_date_of_its_sign_off(written: str) -> None:
    closing = f"<p>示例市供热办公室</p><p>{written}</p>"
    article = extract_article(_portal_page("来源：示例日报", closing=closing))
    assert article.published_at == datetime(2005, 10, 25, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("line", "expected"), [
    ("2014-4-28 14:16:32 出处：IT之家（软媒 - 暴龙） 评论（）", ["暴龙"]),
    ("出处：腾讯科技（小贝） 评论（）", ["小贝"]),
    ("来源：新浪科技（新浪科技）", []),  # the bracket repeats the source: no writer named
    ("来源：人民网（人民日报）", []),  # an organisation, not a person
])
def test_a_writer_credited_in_brackets_after_the_source(line: str, expected: list[str]) -> None:
    from crawler.generic.metadata import parse_authors

    assert parse_authors([line]) == expected
