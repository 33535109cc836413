"""dbw parser: one test per field per saved page (tests/fixtures/dbw/<case>.html + .json)."""

from __future__ import annotations

import pytest

from crawler.models import Page
from crawler.sites import ParseError
from crawler.sites.registry import SiteRegistry, builtin_site
from tests.support.site_fixtures import SiteFixtures, check_truncations

REGISTRY = SiteRegistry()
dbw = builtin_site("dbw")

SITE = "dbw"
ARTICLE_URL = "http://palj.dbw.cn/system/2024/10/17/059375938.shtml"
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
    assert dbw.key == SITE and dbw.allowed_domains == ("dbw.cn",)
    assert all(url.startswith("http://") and dbw.is_list_url(url) for url in dbw.start_urls)
    assert REGISTRY.get(SITE) is dbw
    assert REGISTRY.for_url(ARTICLE_URL) is dbw and REGISTRY.for_url("http://www.dbw.cn/index.shtml") is dbw
    assert REGISTRY.for_url("http://dbw.cn.evil.example/system/2024/10/17/059375938.shtml") is None


@pytest.mark.parametrize(("url", "article", "listing"), [
    (ARTICLE_URL, True, False),
    ("https://ljktx.dbw.cn/system/2024/10/25/059379646.shtml", True, False),
    ("//palj.dbw.cn/system/2023/10/17/059223987.shtml".replace("//", "http://", 1), True, False),
    ("http://palj.dbw.cn/system/2024/10/17/059375938_2.shtml", False, False),  # page 2 of an article
    ("http://palj.dbw.cn/system/2024/10/17/59375938.shtml", False, False),
    ("http://palj.dbw.cn.evil.example/system/2024/10/17/059375938.shtml", False, False),
    ("http://palj.dbw.cn/", False, True),
    ("http://palj.dbw.cn/fzlj/fytd/index.shtml", False, True),
    ("http://palj.dbw.cn/fzlj/fytd/", False, True),
    ("http://palj.dbw.cn/fzlj/fytd/index_2.shtml", False, True),
])
def test_url_kinds(url: str, article: bool, listing: bool) -> None:
    assert (dbw.is_article_url(url), dbw.is_list_url(url)) == (article, listing)


def test_later_pages_are_listed_and_canonicalised_to_page_one() -> None:
    html = ('<html><body><div class="end-k"><h1>标题</h1><div class="neirong"><p>正文。</p>'
            '<!--enorth cms block start [ name="v5.pages" ]--><div class="page"><a href="059375938.shtml">1</a>'
            '<a href="059375938_3.shtml">3</a><a href="059375938_2.shtml">下一页</a></div></div></div></body></html>')
    url = "http://palj.dbw.cn/system/2024/10/17/059375938_2.shtml"
    article = dbw.parse_page(Page(url, html.encode("gbk"), {"content-type": "text/html; charset=GB2312"})).article
    assert article is not None and article.canonical_url == ARTICLE_URL and article.body == "正文。"
    assert article.page_urls == [url, url.replace("_2", "_3")]


def test_merge_pages_joins_bodies_in_order() -> None:
    first, second = parsed("palj_article_with_image").article, parsed("ljktx_article_page").article
    merged = dbw.merge_pages(first, [second])
    assert merged.body == first.body + "\n" + second.body and merged.title == first.title
    assert merged.images == first.images and merged.editors == ["李雪", "王聪"]


def test_multi_page_article_merges_to_the_whole_story() -> None:
    first, second = parsed("palj_multi_page_article").article, parsed("palj_multi_page_article_page2").article
    assert first.page_urls == [second.url] and second.canonical_url == first.url
    merged = dbw.merge_pages(first, [second])
    assert merged.body.split("\n") == [*first.body.split("\n"), *second.body.split("\n")]
    assert len(merged.body.split("\n")) == 4 and merged.authors == ["孙铭阳"] and merged.url == first.url


def test_list_links_are_normalised_to_http() -> None:
    listing = parsed("palj_channel_index").listing
    assert listing is not None and all(url.startswith("http://palj.dbw.cn/system/") for url in listing.article_urls)


@pytest.mark.parametrize(("html", "reason"), [
    ('<html><body><div class="end-k"><h1></h1><div class="neirong"><p>正文。</p></div></div></body></html>',
     "without a title"),
    ('<html><body><div class="end-k"><h1>标题</h1><div class="neirong"><p> </p></div></div></body></html>',
     "without body text"),
])
def test_article_without_title_or_body_raises_parse_error(html: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        dbw.parse_page(Page(ARTICLE_URL, html.encode(), {}))


@pytest.mark.parametrize("body", [b"", b"   \n", b"<html><body></body></html>", b"<<<>>>"])
def test_empty_or_contentless_pages_yield_nothing(body: bytes) -> None:
    result = dbw.parse_page(Page(ARTICLE_URL, body, {}))
    assert result.article is None and result.hot_list == []


@pytest.mark.parametrize("body", [b"%PDF-1.4 binary", b"just some words, no markup"])
def test_non_html_bytes_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="not an HTML page"):
        dbw.parse_page(Page(ARTICLE_URL, body, {}))


def test_every_cut_of_a_page_reads_the_start_of_its_article_or_nothing() -> None:
    body = (FIXTURES / "ljktx_article_page.html").read_bytes()
    check_truncations(dbw, _expected("ljktx_article_page")["url"], body, 1499)
