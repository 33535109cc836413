"""``Site``: the one interface every site implements, built-in parser or outlet configured in TOML.

A site is pure parsing plus the facts the crawl routes by: its key, name, allowed domains, start URLs and
which URLs are articles or channel lists. ``parse_page`` reads one fetched page into a ``ParsedPage`` (an
article, a hot list, list links: whatever the page has); no Scrapy, no clock, no network.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import replace
from urllib.parse import urlsplit

from lxml import etree, html

from crawler.errors import ParseError, UnknownTemplate
from crawler.html import parse_html
from crawler.models import Article, HotEntry, ListPage, Page, ParsedPage
from crawler.sites.common import first_text, join_pages, join_url, unique, xpath
from crawler.text.clean import has_controls, without_controls
from crawler.urls import host_in, list_page_number, normalize_site_url, same_folder

__all__ = ["Site", "TemplateSite"]


class Site(ABC):
    """What the spider, the pipeline, `hljnews extract` and `reparse` know of a site."""

    key: str
    name: str
    allowed_domains: tuple[str, ...]
    start_urls: tuple[str, ...]
    max_list_pages: int | None = None  # the site's own limit of list pages per channel and run, if any
    allow_private_addresses: bool = False  # may its hosts be (or resolve to) loopback or private addresses
    obey_robots: bool = True  # off only by configuration, with a reason (config: obey_robots, robots_reason)
    # A channel list and an article of the site that the bundled mirror serves: `scrapy check` fetches them.
    sample_urls: tuple[str, str] | None = None
    # Channel lists page as index.html, index_2.html …; the `page` group is the page number.
    list_path: re.Pattern[str] = re.compile(r"^/(?:[\w-]+/)*(?:index(?:_(?P<page>\d+))?\.s?html?)?$")

    @abstractmethod
    def is_article_url(self, url: str) -> bool:
        """Page 1 of one of the site's articles."""

    @abstractmethod
    def is_list_url(self, url: str) -> bool:
        """A channel list (or home page) whose links lead to articles."""

    def parse_page(self, page: Page) -> ParsedPage:
        """Article, hot list and list links of one page; ParseError for non-HTML or an unreadable article."""
        root = parse_html(page)
        if root is None:
            return ParsedPage(page.url, self.key)
        listing = self.listing(root, page.url) if self.is_list_url(page.url) else None
        hot_list = self.hot_list(root, page.url)  # before article(): parsers drop junk from the tree
        try:
            article = self.article(root, page, listing)
        except UnknownTemplate as error:
            if not _arrived_whole(page):
                raise
            article = self._generic_article(page, error)
        if article is None and listing is None and self.is_article_url(page.url) and _arrived_whole(page):
            article = self._generic_article(page, None)
        return ParsedPage(page.url, self.key, article=_printable_article(article), listing=listing,
                          hot_list=[_printable_entry(entry) for entry in hot_list])

    def _generic_article(self, page: Page, error: UnknownTemplate | None) -> Article | None:
        """The generic extractor's reading of an article page in no template the parser knows.

        With ``error`` (the parser found no title) a page the generic extractor cannot read either fails with
        that error; without it (the parser recognised nothing at all), such a page yields no article.
        """
        # Imported here: few pages need it, and it brings parsel and w3lib (~0.09 s) into every parse process.
        from crawler.generic import extract_article

        try:
            article = extract_article(page, site=self.key)
        except ParseError:
            if error is not None:
                raise error from None
            return None
        if not article.title:
            if error is not None:
                raise error
            return None
        return replace(article, extractor="generic")

    @abstractmethod
    def article(self, root: html.HtmlElement, page: Page, listing: ListPage | None) -> Article | None:
        """The article the page shows, None when it shows none; ParseError when it should but cannot be read."""

    def hot_list(self, root: html.HtmlElement, url: str) -> list[HotEntry]:
        """The page's 热门排行 sidebar; none unless the site parser reads one."""
        return []

    def listing(self, root: html.HtmlElement, url: str) -> ListPage:
        """Article links of a channel list, and its later pages (same host and folder, higher page number)."""
        articles: list[str] = []
        pages: dict[int, str] = {}
        current = self.list_page_number(url)
        for href in xpath("descendant::a/@href")(root):
            link = self.normalize_url(join_url(url, href.strip()))
            if self.is_article_url(link):
                articles.append(link)
            elif self.is_list_url(link) and same_folder(link, url) and self.list_page_number(link) > current:
                pages[self.list_page_number(link)] = link
        return ListPage(url, unique(articles), [pages[number] for number in sorted(pages)])

    def list_page_number(self, url: str) -> int:
        """Page N of a channel list; sites whose lists page as index_N override ``list_path``."""
        return list_page_number(url, self.list_path)

    def normalize_url(self, url: str) -> str:
        """The site's URLs as it links them (http, lower-case host, no fragment, no query on articles)."""
        return normalize_site_url(url, self.allowed_domains, self.is_article_path)

    def is_article_path(self, path: str) -> bool:
        """Whether a path of the site's own hosts is an article's (its query is then dropped)."""
        return False

    def merge_pages(self, first: Article, rest: list[Article]) -> Article:
        """One article from its pages in order."""
        return join_pages(first, rest)

    def covers(self, url: str) -> bool:
        """The URL's host is one of the site's allowed domains or their subdomains."""
        return host_in(urlsplit(url).hostname, self.allowed_domains)

    def __repr__(self) -> str:
        return f"<Site {self.key}>"


class TemplateSite(Site):
    """A site whose article pages show one title element and one body element, found by XPath."""

    title_path: etree.XPath
    body_path: etree.XPath

    def article(self, root: html.HtmlElement, page: Page, listing: ListPage | None) -> Article | None:
        """The article of a page with the detail template's title or body (list pages have neither)."""
        if listing is not None:
            return None
        titles = self.title_path(root)
        if not (titles or self.body_path(root)):
            return None
        title = first_text(titles)
        if not title:
            raise UnknownTemplate(page.url, "article page without a title")
        return self.read_article(root, page, title)

    @abstractmethod
    def read_article(self, root: html.HtmlElement, page: Page, title: str) -> Article:
        """The article of a page in the template, its title already found."""


def _printable_article(article: Article | None) -> Article | None:
    """The article with control characters and bidirectional overrides taken out of every text field."""
    if article is None:
        return None
    fields = (article.title, article.pretitle, article.subtitle, article.body, article.source, article.content_id,
              *article.authors, *article.editors, article.channel.name if article.channel else "",
              *(image.caption for image in article.images))
    if not any(has_controls(text) for text in fields):
        return article
    texts = {name: without_controls(getattr(article, name))
             for name in ("title", "pretitle", "subtitle", "body", "source", "content_id")}
    names = {name: [without_controls(value) for value in getattr(article, name)] for name in ("authors", "editors")}
    channel = replace(article.channel, name=without_controls(article.channel.name)) if article.channel else None
    images = [replace(image, caption=without_controls(image.caption)) for image in article.images]
    return replace(article, **texts, **names, channel=channel, images=images)


def _printable_entry(entry: HotEntry) -> HotEntry:
    """The entry with control characters taken out of its title (rebuilt only when it has any)."""
    return replace(entry, title=without_controls(entry.title)) if has_controls(entry.title) else entry


def _arrived_whole(page: Page) -> bool:
    """The page ends its document: a truncated page must not be read by the generic extractor, which would
    take whatever text arrived (a menu, a sidebar) for the article."""
    return _DOCUMENT_END.search(page.body[-4096:]) is not None


_DOCUMENT_END = re.compile(rb"</(?:body|html)\s*>", re.IGNORECASE)
