"""The demo mirror (mirror/pages): every article parses, every list link resolves to a file, redirect or 404."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from crawler.models import Page
from crawler.sites import ParseError
from crawler.sites.hlj_people import CHANNELS
from crawler.sites.registry import builtin_site

hlj_people = builtin_site("hlj_people")
MIRROR = Path(__file__).resolve().parents[1] / "mirror" / "pages"
ROUTES = tomllib.loads((MIRROR / "ROUTES.toml").read_text(encoding="utf-8"))
MALFORMED = {entry["url"] for entry in ROUTES["malformed"]}
MISSING = {entry["url"] for entry in ROUTES["missing"]}
REDIRECTS = {entry["from"]: entry["to"] for entry in ROUTES["redirect"]}
HEADERS = {"content-type": "text/html; charset=GB2312"}


def _url(path: Path) -> str:
    return "http://" + path.relative_to(MIRROR).as_posix()


def _page(url: str) -> Page:
    return Page(url, (MIRROR / url.removeprefix("http://")).read_bytes(), HEADERS)


def _is_people_host(folder: str) -> bool:
    return any(folder == domain or folder.endswith("." + domain) for domain in hlj_people.allowed_domains)


# The other outlets' mirror files are checked by tests/test_mirror_data_outlets.py.
FILES = sorted(_url(p) for p in MIRROR.rglob("*.html") if _is_people_host(p.relative_to(MIRROR).parts[0]))
ARTICLES = [u for u in FILES if hlj_people.is_article_url(u) and u not in MALFORMED]
FOLLOW_PAGES = [u for u in FILES if not hlj_people.is_article_url(u) and not hlj_people.is_list_url(u)]
LISTS = [u for u in FILES if hlj_people.is_list_url(u)]


def test_mirror_layout() -> None:
    assert 10 <= len(ARTICLES) <= 14
    assert len(LISTS) == 8
    assert set(LISTS) >= {f"http://hlj.people.com.cn/GB/{c}/index2.html" for c in CHANNELS}
    assert set(hlj_people.start_urls) <= set(LISTS)
    assert len(MISSING) == 1 and len(MALFORMED) == 1 and len(REDIRECTS) == 1
    assert set(FILES) >= MALFORMED
    assert all(target in ARTICLES for target in REDIRECTS.values())
    assert not (set(REDIRECTS) | MISSING) & set(FILES)


@pytest.mark.parametrize("url", ARTICLES + FOLLOW_PAGES)
def test_article_parses_with_title_body_and_date(url: str) -> None:
    body = _page(url).body
    body.decode("gb18030")  # the live site's bytes, not the UTF-8 of the saved originals
    article = hlj_people.parse_page(_page(url)).article
    assert article is not None and article.title and article.body and article.published_at
    assert "\ufffd" not in article.title + article.body
    assert article.canonical_url == re.sub(r"(c\d+-\d+)-\d+\.html$", r"\1.html", url)  # page N canonicalises to page 1


@pytest.mark.parametrize("url", sorted(MALFORMED))
def test_malformed_article_is_refused(url: str) -> None:
    try:
        result = hlj_people.parse_page(_page(url))
    except ParseError:
        return
    assert result.article is None


@pytest.mark.parametrize("url", LISTS)
def test_list_links_resolve(url: str) -> None:
    listing = hlj_people.parse_page(_page(url)).listing
    assert listing is not None and listing.article_urls
    for link in listing.article_urls:
        assert link in FILES or link in REDIRECTS or link in MISSING, link
    for link in listing.next_page_urls:
        assert link in LISTS, link


def test_every_article_and_the_special_routes_are_linked_from_a_list() -> None:
    linked = {link for url in LISTS for link in hlj_people.parse_page(_page(url)).listing.article_urls}
    assert set(ARTICLES) <= linked
    assert MISSING | MALFORMED | set(REDIRECTS) <= linked
