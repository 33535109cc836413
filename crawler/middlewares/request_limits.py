"""Spider middleware: a request over DEPTH_LIMIT or URLLENGTH_LIMIT becomes a failed page with the reason.

Scrapy's own DepthMiddleware and UrlLengthMiddleware drop such a request with a debug line and a stat, so a
run whose pages were cut off that way said `ok` and never named them. This one runs before them (closer to
the spider) and turns the request into a FailedPageItem instead; they then have nothing left to drop.
DEPTH_LIMIT is 0 (off) in the project's settings: the spider bounds a crawl itself (HLJNEWS_MAX_LIST_PAGES
list pages per channel, MAX_REDIRECTS hops, CLOSESPIDER_PAGECOUNT pages); a user's `-s DEPTH_LIMIT=N` is
honoured and every page it leaves out is recorded.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawler.items import FailedPageItem

logger = logging.getLogger(__name__)


class RequestLimitsMiddleware(BaseSpiderMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_depth = crawler.settings.getint("DEPTH_LIMIT")
        self.max_url_length = crawler.settings.getint("URLLENGTH_LIMIT")

    def get_processed_request(self, request: Request, response: Response | None) -> Any:
        reason = self._over_limit(request, response)
        if reason is None:
            return request
        logger.error("failed %s: %s", request.url[:300], reason)
        return FailedPageItem(request.url, reason)

    def _over_limit(self, request: Request, response: Response | None) -> str | None:
        length = len(request.url)
        if self.max_url_length and length > self.max_url_length:
            return f"not fetched: a URL of {length:,} characters, over URLLENGTH_LIMIT ({self.max_url_length})"
        # The depth DepthMiddleware is about to give it: one more than the page that named it.
        depth = response.meta.get("depth", 0) + 1 if response is not None else 0
        if self.max_depth and depth > self.max_depth:
            return f"not fetched: link depth {depth}, over DEPTH_LIMIT ({self.max_depth})"
        return None
