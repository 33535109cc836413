"""The hlj_xinhua and dbw parts of the demo mirror: every article parses, every list link resolves to a file,
every later page of an article is linked from its first page."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from crawler.models import Page
from crawler.sites import Site
from crawler.sites.registry import builtin_site

dbw, hlj_xinhua = builtin_site("dbw"), builtin_site("hlj_xinhua")
MIRROR = Path(__file__).resolve().parents[1] / "mirror" / "pages"
CHARSETS = tomllib.loads((MIRROR / "ROUTES.toml").read_text(encoding="utf-8"))["charsets"]
# site -> (glob of its mirror host folders, the encoding of the live bytes)
SITES: dict[Site, tuple[str, str]] = {hlj_xinhua: ("*hlj.news.cn", "utf-8"), dbw: ("*.dbw.cn", "gbk")}


def _files(site: Site) -> list[str]:
    pattern = SITES[site][0]
    return sorted("http://" + p.relative_to(MIRROR).as_posix() for p in MIRROR.glob(f"{pattern}/**/*") if p.is_file())


def _page(url: str) -> Page:
    host = url.removeprefix("http://").split("/", 1)[0]
    headers = {"content-type": f"text/html; charset={CHARSETS[host]}"}
    return Page(url, (MIRROR / url.removeprefix("http://")).read_bytes(), headers)


ARTICLES = [(site, url) for site in SITES for url in _files(site) if site.is_article_url(url)]
LISTS = [(site, url) for site in SITES for url in _files(site) if site.is_list_url(url)]
LATER_PAGES = [(site, url) for site in SITES for url in _files(site)
               if not site.is_article_url(url) and not site.is_list_url(url)]


@pytest.mark.parametrize("site", list(SITES), ids=lambda site: site.key)
def test_mirror_layout(site: Site) -> None:
    articles = [url for s, url in ARTICLES if s is site]
    lists = [url for s, url in LISTS if s is site]
    assert 4 <= len(articles) <= 6 and set(site.start_urls) <= set(lists)
    later_pages = [url for s, url in LATER_PAGES if s is site]
    assert set(_files(site)) == set(articles) | set(lists) | set(later_pages)
    assert all(url.split("/")[2] in CHARSETS for url in _files(site))


@pytest.mark.parametrize(("site", "url"), ARTICLES + LATER_PAGES, ids=[url for _, url in ARTICLES + LATER_PAGES])
def test_article_parses_with_title_body_and_date(site: Site, url: str) -> None:
    page = _page(url)
    page.body.decode(SITES[site][1])  # the live site's bytes: UTF-8 for Xinhua, GBK for dbw
    article = site.parse_page(page).article
    assert article is not None and article.title and article.body and article.published_at
    assert "\ufffd" not in article.title + article.body
    is_later_page = (site, url) in LATER_PAGES
    assert article.canonical_url == url if not is_later_page else site.is_article_url(article.canonical_url)


@pytest.mark.parametrize(("site", "url"), LATER_PAGES, ids=[url for _, url in LATER_PAGES])
def test_later_page_is_linked_from_its_first_page(site: Site, url: str) -> None:
    first_url = site.parse_page(_page(url)).article.canonical_url
    assert url in site.parse_page(_page(first_url)).article.page_urls


@pytest.mark.parametrize(("site", "url"), LISTS, ids=[url for _, url in LISTS])
def test_list_links_resolve(site: Site, url: str) -> None:
    listing = site.parse_page(_page(url)).listing
    assert listing is not None and listing.article_urls
    files = {u for s in SITES for u in _files(s)}
    assert all(link in files for link in [*listing.article_urls, *listing.next_page_urls])


@pytest.mark.parametrize("site", list(SITES), ids=lambda site: site.key)
def test_every_article_is_linked_from_a_list(site: Site) -> None:
    linked = {link for s, url in LISTS if s is site for link in site.parse_page(_page(url)).listing.article_urls}
    assert {url for s, url in ARTICLES if s is site} <= linked


def test_dbw_mirror_has_a_multi_page_article() -> None:
    assert [url for site, url in LATER_PAGES if site is dbw] == [
        "http://palj.dbw.cn/system/2024/10/18/059376300_2.shtml"]
