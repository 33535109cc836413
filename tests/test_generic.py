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


def test_meta_date_wins_over_visible_line_on_another_day() -> None:
    head = '<meta property="article:published_time" content="2021-07-04T22:15:00+08:00">'
    assert extract_article(_page("2021-07-05 10:30", head=head)).published_at == datetime(
        2021, 7, 4, 22, 15, tzinfo=SHANGHAI
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
