"""Downloader middleware that keeps every request, robots.txt and redirects included, inside its site."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.urls import is_private_host

logger = logging.getLogger(__name__)


class SiteBoundaryMiddleware:
    """Refuses a request for a host outside the spider's site, or for a private address the site does not
    allow; the refusal reaches the request's errback, so the run records it as a failed page."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteBoundaryMiddleware:
        if not crawler.settings.getbool("HLJNEWS_SITE_BOUNDARY"):
            raise NotConfigured
        return cls()

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        site = getattr(spider, "site", None)
        if site is None:  # not a SiteSpider (scrapy shell, scrapy bench): Scrapy's own rules apply
            return
        host = urlsplit(request.url).hostname or ""
        if is_private_host(host) and not site.allow_private_addresses:
            raise IgnoreRequest(f"refused: {host} is a private address (allow_private_addresses is off)")
        if not site.covers(request.url):
            raise IgnoreRequest(f"refused: {host} is outside the site {site.key}")
