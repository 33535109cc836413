"""hlj_xinhua parser: one test per field per saved page (tests/fixtures/hlj_xinhua/<case>.html + .json)."""

from __future__ import annotations

import pytest

from crawler.models import Page
from crawler.sites import ParseError
from crawler.sites.registry import SiteRegistry, builtin_site
from tests.support.site_fixtures import SiteFixtures, check_truncations

REGISTRY = SiteRegistry()
hlj_xinhua = builtin_site("hlj_xinhua")

SITE = "hlj_xinhua"
ARTICLE_URL = "http://www.hlj.news.cn/20240520/6f1c2a9e8b7d4c3fa1e2d3c4b5a69788/c.html"
SITE_FIXTURES = SiteFixtures(SITE)
FIXTURES = SITE_FIXTURES.folder
_expected = SITE_FIXTURES.expected
parsed = SITE_FIXTURES.parsed


@pytest.mark.parametrize(("case", "field"), SITE_FIXTURES.params, ids=SITE_FIXTURES.ids)
def test_field(case: str, field: str) -> None:
    SITE_FIXTURES.check_field(case, field)


@pytest.mark.parametrize("case", SITE_FIXTURES.body_cases)
def test_body_has_no_empty_or_padded_paragraphs(case: str) -> None:
    SITE_FIXTURES.check_clean_paragraphs(case)


def test_module_api() -> None:
    assert hlj_xinhua.key == SITE and hlj_xinhua.allowed_domains == ("hlj.news.cn",)
    assert all(url.startswith("http://www.hlj.news.cn/") and hlj_xinhua.is_list_url(url)
               for url in hlj_xinhua.start_urls)
    assert REGISTRY.get(SITE) is hlj_xinhua
    assert REGISTRY.for_url(ARTICLE_URL) is hlj_xinhua
    assert REGISTRY.for_url("http://www.he.news.cn/20240515/d59c39d4160a4fe4b3084c3e4abfb450/c.html") is None


@pytest.mark.parametrize(("url", "article", "listing"), [
    (ARTICLE_URL, True, False),
    (ARTICLE_URL.replace("http:", "https:"), True, False),
    (ARTICLE_URL + "?page=2", False, False),  # page 2 of the browser-side pager
    ("http://hlj.news.cn/dt/2023-05/12/c_1129606524.htm", True, False),
    ("http://www.hlj.news.cn/dt/2023-05/12/c_1129606524_2.htm", False, False),
    ("http://www.he.news.cn/20240515/d59c39d4160a4fe4b3084c3e4abfb450/c.html", False, False),
    ("http://www.hlj.news.cn.evil.example/20240520/6f1c2a9e8b7d4c3fa1e2d3c4b5a69788/c.html", False, False),
    ("http://www.hlj.news.cn/20240520/6f1c2a9e8b7d4c3fa1e2d3c4b5a6978/c.html", False, False),  # 31 hex digits
    ("http://www.hlj.news.cn/xinwen/index.htm", False, True),
    ("http://www.hlj.news.cn/xinwen/index_2.htm", False, True),
    ("http://www.hlj.news.cn/", False, True),
])
def test_url_kinds(url: str, article: bool, listing: bool) -> None:
    assert (hlj_xinhua.is_article_url(url), hlj_xinhua.is_list_url(url)) == (article, listing)


def test_old_article_pages_are_listed_and_canonicalised_to_page_one() -> None:
    html = ('<html><body><div class="head-line"><h1><span class="title">标题</span></h1></div>'
            '<div id="detail"><p>正文。</p><div id="div_currpage"><a href="c_1129606524_2.htm">2</a>'
            '<a href="c_1129606524_3.htm">3</a><a href="c_1129606524.htm">1</a></div></div></body></html>')
    url = "http://www.hlj.news.cn/dt/2023-05/12/c_1129606524_2.htm"
    article = hlj_xinhua.parse_page(Page(url, html.encode(), {})).article
    assert article is not None and article.canonical_url == url.replace("_2.htm", ".htm")
    assert article.page_urls == [url, url.replace("_2.htm", "_3.htm")]


def test_page_one_lists_only_links_naming_its_later_pages() -> None:
    html = ('<html><body><div class="head-line"><h1><span class="title">标题</span></h1></div>'
            '<div id="detail"><p>正文。</p><div id="div_currpage"><a href=" c_1129606524_3.htm ">3</a>'
            '<a href="">本页</a><a href="?page=2">2?</a><a href="#top">顶部</a><a href="C_1129606524_5.htm">5</a>'
            '<a href="/dt/2023-05/12/c_1129606524_2.htm">2</a><a href="c_999_4.htm">其他</a></div></div>'
            '</body></html>')
    url = "http://www.hlj.news.cn/dt/2023-05/12/c_1129606524.htm"
    article = hlj_xinhua.parse_page(Page(url, html.encode(), {})).article
    assert article is not None
    assert article.page_urls == [url.replace(".htm", "_2.htm"), url.replace(".htm", "_3.htm")]


def test_merge_pages_joins_bodies_in_order() -> None:
    first, second = parsed("hlj_new_template_article").article, parsed("hlj_old_template_article").article
    merged = hlj_xinhua.merge_pages(first, [second])
    assert merged.body == first.body + "\n" + second.body and merged.title == first.title
    assert merged.images == [*first.images, *second.images] and merged.editors == ["孙晓东", "邹媛媛"]


@pytest.mark.parametrize(("html", "reason"), [
    ('<html><body><h1 id="title"></h1><div id="detail"><p>正文。</p></div></body></html>', "without a title"),
    ('<html><body><h1 id="title">标题</h1><div id="detail"><p> </p></div></body></html>', "without body text"),
])
def test_article_without_title_or_body_raises_parse_error(html: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        hlj_xinhua.parse_page(Page(ARTICLE_URL, html.encode(), {}))


@pytest.mark.parametrize("body", [b"", b"   \n", b"<html><body></body></html>", b"<<<>>>"])
def test_empty_or_contentless_pages_yield_nothing(body: bytes) -> None:
    result = hlj_xinhua.parse_page(Page(ARTICLE_URL, body, {}))
    assert result.article is None and result.hot_list == []


@pytest.mark.parametrize("body", [b"%PDF-1.4 binary", b"just some words, no markup"])
def test_non_html_bytes_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="not an HTML page"):
        hlj_xinhua.parse_page(Page(ARTICLE_URL, body, {}))


def test_every_cut_of_a_page_reads_the_start_of_its_article_or_nothing() -> None:
    body = (FIXTURES / "news_cn_politics_article.html").read_bytes()
    check_truncations(hlj_xinhua, _expected("news_cn_politics_article")["url"], body, 1499)
