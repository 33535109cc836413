"""The contract every site keeps, built-in or configured, and what all built-in parsers share: closing
bylines, the generic fallback for pages in no known template, and parsing bytes the way text parses."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from lxml import html

from crawler.errors import ParseError
from crawler.html import parse_html
from crawler.models import Article, Page
from crawler.sites import Site
from crawler.sites.common import join_url
from crawler.sites.registry import BUILTIN_SITES, builtin_site, load_sites
from crawler.text.decoding import decode_html

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
OUTLET_HOST = "www.example-city.gov.cn"
OUTLET_CONFIG = f"""
[[outlets]]
key = "example_city"
name = "示例市人民政府"
start_urls = ["http://{OUTLET_HOST}/xwzx/zwyw/index.html"]
list_url_pattern = '^http://www\\.example-city\\.gov\\.cn/xwzx/zwyw/index(_\\d+)?\\.html$'
article_url_pattern = '^http://www\\.example-city\\.gov\\.cn/xwzx/zwyw/\\d{{6}}/t\\d{{8}}_\\d+\\.html$'
"""
# site key -> (an article page, a list page): saved fixtures as (folder, case) or mirror files as URLs
SAMPLES = {
    "hlj_people": (("hlj_people", "seed_article"), ("hlj_people", "channel_list_page")),
    "hlj_xinhua": (("hlj_xinhua", "hlj_new_template_article"), ("hlj_xinhua", "channel_list_page")),
    "dbw": (("dbw", "ljktx_article_page"), ("dbw", "palj_channel_index")),
    "example_city": (f"http://{OUTLET_HOST}/xwzx/zwyw/202403/t20240315_100231.html",
                     f"http://{OUTLET_HOST}/xwzx/zwyw/index.html"),
}
GB2312 = {"content-type": "text/html; charset=GB2312"}


def every_site(tmp_path_factory: pytest.TempPathFactory) -> list[Site]:
    config = tmp_path_factory.mktemp("config") / "hljnews.toml"
    config.write_text(OUTLET_CONFIG, encoding="utf-8")
    _, registry = load_sites(config)
    return list(registry)


@pytest.fixture(scope="module", params=[*(site.key for site in BUILTIN_SITES), "example_city"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    return next(s for s in every_site(tmp_path_factory) if s.key == request.param)


def sample(spec: tuple[str, str] | str) -> Page:
    if isinstance(spec, str):  # a page of the configured example-city site
        path = FIXTURES / "outlet_site" / spec.removeprefix("http://")
        return Page(spec, path.read_bytes(), GB2312)
    folder, case = spec
    expected = json.loads((FIXTURES / folder / f"{case}.json").read_text(encoding="utf-8"))
    return Page(expected["url"], (FIXTURES / folder / f"{case}.html").read_bytes(), expected.get("headers", {}))


def test_a_site_names_itself_and_where_it_starts(site: Site) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", site.key) and site.name and site.allowed_domains
    assert site.start_urls
    for url in site.start_urls:
        assert site.covers(url) and site.is_list_url(url) and not site.is_article_url(url)
        assert site.normalize_url(url) == site.normalize_url(site.normalize_url(url))
    assert not site.covers("http://evil.example.org/") and not site.is_article_url("http://evil.example.org/")


def test_an_empty_page_is_nothing_and_a_binary_one_a_parse_error(site: Site) -> None:
    url = SAMPLES[site.key][0] if isinstance(SAMPLES[site.key][0], str) else sample(SAMPLES[site.key][0]).url
    empty = site.parse_page(Page(url, b"", {}))
    assert (empty.site, empty.article, empty.listing, empty.hot_list) == (site.key, None, None, [])
    with pytest.raises(ParseError, match="not an HTML page"):
        site.parse_page(Page(url, b"%PDF-1.7 \x00\x01", {"content-type": "application/pdf"}))


def test_an_article_page_reads_as_an_article_of_the_site(site: Site) -> None:
    page = sample(SAMPLES[site.key][0])
    article = site.parse_page(page).article
    assert article is not None and article.site == site.key and article.extractor == "site"
    assert article.title and article.body and article.published_at is not None
    assert site.covers(article.canonical_url) and site.is_article_url(article.canonical_url)
    assert site.merge_pages(article, []) == article


def test_a_list_page_links_to_the_sites_articles(site: Site) -> None:
    listing = site.parse_page(sample(SAMPLES[site.key][1])).listing
    assert listing is not None and listing.article_urls
    assert all(site.is_article_url(url) and site.covers(url) for url in listing.article_urls)
    assert all(site.is_list_url(url) for url in listing.next_page_urls)


# -- what the built-in parsers share ---------------------------------------------------------------------

ARTICLE_CASES = [("hlj_people", "seed_article"), ("hlj_people", "people_finance_article_magichtml_2024"),
                 ("hlj_xinhua", "hlj_new_template_article"), ("dbw", "ljktx_article_page")]


def with_closing_paragraph(page: Page, last: str, paragraph: str) -> Page:
    """The page with ``paragraph`` added after the article's last paragraph (re-encoded as UTF-8)."""
    text = decode_html(page.body, page.headers)
    at = text.index(last[-12:])
    end = text.index("</p>", at) + len("</p>")
    changed = text[:end] + f"<p>{paragraph}</p>" + text[end:]
    return Page(page.url, changed.encode("utf-8"), {"content-type": "text/html; charset=UTF-8"})


@pytest.mark.parametrize(("folder", "case"), ARTICLE_CASES)
@pytest.mark.parametrize("byline", ["□ 本报记者 王晓明 通讯员 李强", "（本报记者 王晓明）", "文/图 王晓明"])
def test_a_closing_byline_paragraph_leaves_the_body_and_names_the_reporter(folder: str, case: str,
                                                                         byline: str) -> None:
    site = builtin_site(folder)
    page = sample((folder, case))
    before = site.parse_page(page).article
    assert before is not None
    after = site.parse_page(with_closing_paragraph(page, before.body.split("\n")[-1], byline)).article
    assert after is not None
    assert after.body == before.body
    assert "王晓明" in after.authors and "李强" not in after.authors
    assert [name for name in after.authors if name != "王晓明"] == before.authors


OLD_PEOPLE_URL = "http://hlj.people.com.cn/GB/220027/12011321.html"
OLD_PEOPLE_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>哈尔滨冰雪大世界开园--黑龙江频道--人民网</title></head><body>
<div id="nav"><a href="/">首页</a> <a href="/GB/220027/index.html">省内要闻</a></div>
<table width="950"><tr><td><h1 id="p_title">哈尔滨冰雪大世界开园</h1>
<div id="p_publishtime">2010年12月25日08:31&nbsp;&nbsp;来源：黑龙江日报</div>
<div id="p_content"><p>　　本报讯　第十二届哈尔滨冰雪大世界24日开园，园区用冰量达十二万立方米，游客在冰灯间穿行。</p>
<p>　　今年的冰雪大世界以“冰雪之冠”为主题，设置了冰滑梯、雪雕长廊等二十余个游乐项目。</p>
<p>　　据介绍，园区将一直开放到明年二月底，夜间灯光开放时间延长至二十一时三十分。</p></div>
</td></tr></table><div id="footer">人民网版权所有，未经书面授权禁止使用</div></body></html>"""


def test_an_article_page_in_no_known_template_is_read_by_the_generic_extractor() -> None:
    site = builtin_site("hlj_people")
    assert site.is_article_url(OLD_PEOPLE_URL)
    article = site.parse_page(Page(OLD_PEOPLE_URL, OLD_PEOPLE_PAGE.encode("gbk"), GB2312)).article
    assert isinstance(article, Article) and article.extractor == "generic" and article.site == "hlj_people"
    assert article.title == "哈尔滨冰雪大世界开园"
    assert article.published_at is not None and article.published_at.isoformat() == "2010-12-25T08:31:00+08:00"
    assert article.body.split("\n")[0].startswith("本报讯") and "版权所有" not in article.body
    assert article.to_dict()["extractor"] == "generic"


def test_a_cut_page_in_no_known_template_is_not_guessed_at() -> None:
    site = builtin_site("hlj_people")
    body = OLD_PEOPLE_PAGE.encode("gbk")
    cut = body[: body.index("据介绍".encode("gbk"))]
    with pytest.raises(ParseError, match="without a title"):  # a failed page, not a guess from half a page
        site.parse_page(Page(OLD_PEOPLE_URL, cut, GB2312))


def fixture_pages() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.html") if p.parent.name in {"hlj_people", "hlj_xinhua", "dbw"})


@pytest.mark.parametrize("path", fixture_pages(), ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_parsing_the_bytes_reads_the_same_document_as_parsing_the_decoded_text(path: Path) -> None:
    page = Page(f"http://{path.parent.name}.example/{path.name}", path.read_bytes(), {})
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", decode_html(page.body, page.headers))
    if not text.strip():
        return
    from_bytes = parse_html(page)
    from_text = html.document_fromstring(text)
    assert from_bytes is not None
    assert from_bytes.text_content() == from_text.text_content()
    assert [e.tag for e in from_bytes.iter()] == [e.tag for e in from_text.iter()]


JOIN_BASES = ("http://hlj.people.com.cn/n2/2021/0715/c220024-34830127.html", "https://www.news.cn/a/b.htm?x=1#f", "",
              "http://h", "https://h:8080?q", "http://h#f", "HTTP://h/a", "http://u@h/a", "http://h:/a",
              "http://[::1]/a", "ftp://h/a", "//h/a", "/a/b", "http://h/a/../b", "http://h;p/a")


@pytest.mark.parametrize("href", [
    "http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html", "https://www.news.cn/", "http://h:8080",
    "http://h/a/../b//c", "HTTP://h/a", "http://h/a?", "http://h/a#", "http://h/a;", "http://u@h/a", "http://h:/a",
    "http://h/a b", "http://h/a\tb", "http://[::1]/a", "//h/a", "/a/b.html", "b.html", "?page=2", "#top", "",
    "http://h/%E4%B8%AD?q=1#x", "https://h/a:b@c!$&'()*+,=~_-.", "javascript:void(0)",
    "/", "/a/", "/a//b", "//", "/./a", "/a/.", "/a/..", "/a/../b", "/.a/..b/...", "/a;p", "/a?", "/a?q", "/a#",
    "/a b", "/a\tb", "/中", "/a:b", "/%2e%2e/a", "/a/b.html/",
])
def test_join_url_is_urljoin(href: str) -> None:
    for base in JOIN_BASES:
        assert join_url(base, href) == urljoin(base, href)


def test_join_url_is_urljoin_on_random_links() -> None:
    pieces = [*"aZ09.-_~!$&'()*+,=:@%/;?#[] \t\x01", "http://", "https://", "HTTP://", "//", "/../", ":80", "中"]
    chosen = random.Random(13)
    for _ in range(20_000):
        href = "".join(chosen.choice(pieces) for _ in range(chosen.randint(0, 10)))
        href = chosen.choice(["", "http://", "https://", "/"]) + href
        base = chosen.choice(JOIN_BASES)
        try:
            expected = urljoin(base, href)
        except ValueError:  # a malformed IPv6 host: urljoin refuses it, and join_url leaves such hosts to urljoin
            continue
        assert join_url(base, href) == expected, (base, href)
