"""An extension that keeps Scrapy's own error logs to one line where a traceback tells an operator nothing.

Scrapy logs an unreachable robots.txt with its full traceback; the crawl goes on (as if robots.txt allowed
everything) and the pages behind it are counted with their own reasons, so one line is enough.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

QUIETED_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt",)


class _WithoutTraceback(logging.Filter):
    """Folds a record's exception into its message as one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class OneLineLogs:
    """Installs the filter on Scrapy's loggers that would print a traceback for an expected network failure."""

    _filter = _WithoutTraceback()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OneLineLogs:
        for name in QUIETED_LOGGERS:
            logger = logging.getLogger(name)
            if cls._filter not in logger.filters:
                logger.addFilter(cls._filter)
        return cls()
