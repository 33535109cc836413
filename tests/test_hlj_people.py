"""hlj_people parser: one test per field per saved page (tests/fixtures/hlj_people/<case>.html + .json)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler.models import Page
from crawler.sites import ParseError
from crawler.sites.hlj_people import CHANNELS
from crawler.sites.registry import SiteRegistry, builtin_site
from tests.support.site_fixtures import SiteFixtures, check_truncations

REGISTRY = SiteRegistry()
hlj_people = builtin_site("hlj_people")

SITE_FIXTURES = SiteFixtures('hlj_people')
FIXTURES = SITE_FIXTURES.folder
_expected = SITE_FIXTURES.expected
parsed = SITE_FIXTURES.parsed


@pytest.mark.parametrize(("case", "field"), SITE_FIXTURES.params, ids=SITE_FIXTURES.ids)
def test_field(case: str, field: str) -> None:
    SITE_FIXTURES.check_field(case, field)


@pytest.mark.parametrize("case", SITE_FIXTURES.body_cases)
def test_body_has_no_empty_or_padded_paragraphs(case: str) -> None:
    SITE_FIXTURES.check_clean_paragraphs(case)


def test_merge_pages_joins_the_three_pages_in_order() -> None:
    first, *rest = (parsed(c).article for c in ("multi_page_article", "multi_page_article_p2", "multi_page_article_p3"))
    merged = hlj_people.merge_pages(first, rest)
    body = merged.body.split("\n")
    starts = [body.index(_expected(c)["body_first"]) for c in
              ("multi_page_article", "multi_page_article_p2", "multi_page_article_p3")]
    assert starts == sorted(starts) and starts[0] == 0
    assert body[-1] == _expected("multi_page_article_p3")["body_last"]
    assert [image.url for image in merged.images] == [image.url for a in (first, *rest) for image in a.images]
    assert (merged.url, merged.canonical_url, merged.title) == (first.url, first.canonical_url, first.title)
    assert merged.published_at == first.published_at and merged.page_urls == first.page_urls


def test_module_api() -> None:
    assert hlj_people.key == "hlj_people"
    channels = ("220027", "220024", "220075", "338553")
    assert [f"http://hlj.people.com.cn/GB/{c}/index.html" for c in channels] == list(hlj_people.start_urls)
    assert CHANNELS["220027"] == "省内要闻" and CHANNELS["338553"] == "社会政法"
    assert REGISTRY.get("hlj_people") is hlj_people
    assert REGISTRY.for_url("http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html") is hlj_people
    assert REGISTRY.for_url("http://www.hljnews.cn/system/2021/07/16/014512345.shtml") is None
    with pytest.raises(KeyError):
        REGISTRY.get("nope")


@pytest.mark.parametrize(("url", "article", "listing"), [
    ("http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html", True, False),
    ("https://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html", True, False),
    ("http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html", True, False),
    ("http://hlj.people.com.cn/n2/2021/0715/c220024-34830127-2.html", False, False),  # page 2 of an article
    ("http://hlj.people.com.cn.evil.example/n2/2021/0716/c220027-34832561.html", False, False),
    ("http://www.hljnews.cn/n2/2021/0716/c220027-34832561.html", False, False),
    ("http://hlj.people.com.cn/GB/220027/index.html", False, True),
    ("http://hlj.people.com.cn/GB/220027/index2.html", False, True),
    ("http://hlj.people.com.cn/", False, True),
])
def test_url_kinds(url: str, article: bool, listing: bool) -> None:
    assert (hlj_people.is_article_url(url), hlj_people.is_list_url(url)) == (article, listing)


@pytest.mark.parametrize("body", [b"%PDF-1.4 binary", b"\x89PNG\r\n\x1a\n\x00\x00", b"just some words, no markup"])
def test_non_html_bytes_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError) as error:
        hlj_people.parse_page(Page("http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html", body, {}))
    assert error.value.url.startswith("http://hlj.people.com.cn/") and "not an HTML page" in error.value.reason


def test_non_html_content_type_raises_parse_error() -> None:
    page = Page("http://hlj.people.com.cn/x.html", b"<html></html>", {"content-type": "application/pdf"})
    with pytest.raises(ParseError, match="application/pdf"):
        hlj_people.parse_page(page)


@pytest.mark.parametrize("body", [b"", b"   \n", b"<html><body></body></html>", b"<<<>>>"])
def test_empty_or_contentless_pages_yield_nothing(body: bytes) -> None:
    result = hlj_people.parse_page(Page("http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html", body, {}))
    assert result.article is None and result.hot_list == []


def test_every_cut_of_the_seed_page_reads_the_start_of_its_article_or_nothing() -> None:
    check_truncations(hlj_people, _expected("seed_article")["url"], (FIXTURES / "seed_article.html").read_bytes(), 997)


def test_published_at_falls_back_to_meta_date_without_a_dateline() -> None:
    html = ('<html><head><meta name="publishdate" content="2021-07-16"></head><body><div class="layout rm_txt cf">'
            '<h1>标题</h1><div class="rm_txt_con cf"><p>正文。</p></div></div></body></html>')
    article = hlj_people.parse_page(Page("http://hlj.people.com.cn/n2/2021/0716/c220027-1.html",
                                         html.encode("utf-8"), {})).article
    assert article is not None and article.published_at.isoformat() == "2021-07-16T00:00:00+08:00"


def test_template_parts_found_in_one_walk_keep_their_xpath_meaning() -> None:
    """Pager blocks nested in one another, <link rel> and <meta name> in any case, the first meta of a name."""
    html = ('<html><head><link rel="CANONICAL" href=" /n2/2021/0715/c220024-34830127-2.html">'
            '<meta name="PublishDate" content="2021-07-15"><meta name="publishdate" content="2020-01-01">'
            '<meta name="CONTENTID" content=" 34830127 "></head><body><div class="rm_txt"><h1>标题</h1>'
            '<div class="rm_txt_con"><p>正文第一段。</p><div class="zdfy clearfix"><a href="c220024-34830127-3.html">3'
            '</a><div class="zdfy"><a href="c220024-34830127-2.html">2</a></div></div></div></div>'
            '<div class="zdfy"><a href="c220024-34830127-4.html#p">4</a></div></body></html>')
    url = "http://hlj.people.com.cn/n2/2021/0715/c220024-34830127.html"
    article = hlj_people.parse_page(Page(url, html.encode(), {})).article
    assert article is not None
    assert article.page_urls == [url.replace(".html", f"-{n}.html") for n in (2, 3, 4)]
    assert article.canonical_url == url and article.content_id == "34830127"
    assert article.published_at is not None and article.published_at.date().isoformat() == "2021-07-15"


def test_hot_list_ranks_come_from_the_items_span_and_em_text() -> None:
    html = ('<html><body><h3> 热门排行 </h3><ul><li><em>1</em><a href="/a.html" title="完整的标题一">完整的…</a></li>'
            '<li>没有链接</li><!-- 注释 --><li><span>3<i>x</i></span><a>无地址</a><a href=" /b.html ">标题二</a></li>'
            '<li><span>0<!-- c -->7</span><a href="/c.html">标题三</a></li></ul></body></html>')
    url = "http://hlj.people.com.cn/GB/220027/index.html"
    hot = hlj_people.parse_page(Page(url, html.encode(), {})).hot_list
    assert [(e.rank, e.title, e.url) for e in hot] == [
        (1, "完整的标题一", "http://hlj.people.com.cn/a.html"), (3, "标题二", "http://hlj.people.com.cn/b.html"),
        (3, "标题三", "http://hlj.people.com.cn/c.html")]


def test_parsers_do_not_import_scrapy_or_touch_the_network() -> None:
    code = ("import sys, socket\n"
            "class NoNetwork(socket.socket):\n"
            "    def connect(self, *args): raise AssertionError('a parser touched the network')\n"
            "    connect_ex = sendto = connect\n"
            "socket.socket = NoNetwork\n"
            "socket.getaddrinfo = socket.create_connection = NoNetwork.connect\n"
            "from crawler.sites.registry import BUILTIN_SITES\n"
            "from crawler.models import Page\n"
            "page = Page('http://hlj.people.com.cn/', b'<html><body><a href=\"/x\">x</a></body></html>')\n"
            "for site in BUILTIN_SITES: site.parse_page(page)\n"
            "assert 'scrapy' not in sys.modules and 'twisted' not in sys.modules, sorted(sys.modules)\n")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
