"""Spider middleware that turns a callback's exception into a recorded failed page, not a crash."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy import Spider
from scrapy.http import Response

from crawler.items import FailedPageItem
from crawler.responses import exception_reason

logger = logging.getLogger(__name__)


class FailedPageMiddleware:
    """A bad page becomes one log line and one failed page of the run; the crawl goes on."""

    def process_spider_exception(
        self, response: Response, exception: Exception, spider: Spider | None = None
    ) -> Iterable[Any]:
        reason = exception_reason(exception)
        logger.error("failed %s: %s", response.url, reason)
        return [FailedPageItem(response.url, reason)]

