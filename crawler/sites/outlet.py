"""Sites configured in TOML (``[[outlets]]``): routed by URL patterns, read by the generic extractor.

An outlet's article fields come from ``crawler.generic``, with the outlet's CSS/XPath selectors replacing
its heuristics field by field. The page is parsed once for its links and its article. No Scrapy here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import html

from config import ConfigError, LoadedConfig, Outlet
from crawler.errors import ParseError
from crawler.generic import extract_article
from crawler.models import Article, ListPage, Page
from crawler.sites.base import Site
from crawler.sites.common import unique, xpath
from crawler.urls import absolute_links, host_in

__all__ = ["OutletSite"]


@dataclass(frozen=True, eq=False)
class OutletSite(Site):
    """One configured outlet."""

    key: str
    name: str
    start_urls: tuple[str, ...]
    article_url_pattern: re.Pattern[str]
    list_url_pattern: re.Pattern[str] | None = None
    allowed_domains: tuple[str, ...] = ()
    max_list_pages: int | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    allow_private_addresses: bool = False
    sample_urls: tuple[str, str] | None = None
    obey_robots: bool = True

    @classmethod
    def from_config(cls, outlet: Outlet) -> OutletSite:
        """The site an [[outlets]] table describes (its allowed domains must cover its start URLs)."""
        return cls(key=outlet.key, name=outlet.name or outlet.key, start_urls=tuple(outlet.start_urls),
                   article_url_pattern=outlet.article_regex, list_url_pattern=outlet.list_regex,
                   allowed_domains=outlet.domains, max_list_pages=outlet.max_list_pages,
                   selectors=dict(outlet.selectors), allow_private_addresses=outlet.allow_private_addresses,
                   sample_urls=(outlet.sample_urls[0], outlet.sample_urls[1]) if outlet.sample_urls else None,
                   obey_robots=outlet.obey_robots)

    def uncovered_hosts(self) -> list[str]:
        """Start URL hosts outside the allowed domains (a configuration mistake)."""
        hosts = unique((urlsplit(url).hostname or "").lower() for url in self.start_urls)
        return [host for host in hosts if not host_in(host, self.allowed_domains)]

    def is_article_url(self, url: str) -> bool:
        """The URL matches ``article_url_pattern`` (searched, so anchor it with ^…$ to match it whole)."""
        return self.article_url_pattern.search(url) is not None

    def is_list_url(self, url: str) -> bool:
        """A start URL, or a URL matching ``list_url_pattern``."""
        return url in self.start_urls or (self.list_url_pattern is not None and
                                          self.list_url_pattern.search(url) is not None)

    def article(self, root: html.HtmlElement, page: Page, listing: ListPage | None) -> Article | None:
        """The generic extractor's article (selectors first) on URLs of the article pattern."""
        if not self.is_article_url(page.url):
            return None
        article = extract_article(page, site=self.key, selectors=self.selectors or None, root=root)
        if not article.title:
            raise ParseError(page.url, "article page without a title")
        return article

    def listing(self, root: html.HtmlElement, url: str) -> ListPage:
        """Links matching the article pattern, and list pages other than this one and the start URLs."""
        links = absolute_links(xpath("descendant::a/@href")(root), url)
        articles = [link for link in links if self.is_article_url(link)]
        pages = [link for link in links if not self.is_article_url(link) and link != url
                 and link not in self.start_urls and self.is_list_url(link)]
        return ListPage(url, unique(articles), unique(pages))


def outlet_sites(config: LoadedConfig) -> dict[str, OutletSite]:
    """The config's outlets as sites; ConfigError for one whose allowed domains miss its start URLs."""
    sites = {outlet.key: OutletSite.from_config(outlet) for outlet in config.outlets}
    problems = [f"outlets.{key}.allowed_domains: do not cover the start URL host(s) {', '.join(hosts)}"
                for key, site in sites.items() if (hosts := site.uncovered_hosts())]
    if problems:
        raise ConfigError(config.path, problems)
    return sites
