"""Downloader middleware that has a site's HTML answers parsed in a parse process (crawler/parse_pool.py)
while the crawl goes on; the spider finds the parsed page in the response's meta and parses only what is not
there (a parse that raised, a dying process, `scrapy parse`, HLJNEWS_PARSE_PROCESSES = 0)."""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.parse_pool import PARSE_FAILED, PARSED_ELSEWHERE, ParsePool
from crawler.responses import NotHtmlError, page_from_response
from crawler.sites import Site


def count_setting(name: str, value: object) -> int:
    """A setting that counts something, or a one-line error naming it and what is allowed."""
    try:
        count = int(str(value))
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return count


def seconds_setting(name: str, value: object) -> float:
    """A setting that is a duration, or a one-line error naming it and what is allowed."""
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{name} must be a number of seconds > 0, not {value!r}")
    return seconds


# This middleware's settings and their checks (name, value): `hljnews crawl -s` runs them before a crawl starts.
SETTING_CHECKS = {"HLJNEWS_PARSE_PROCESSES": count_setting, "HLJNEWS_PARSE_PROCESS_AFTER": count_setting,
                  "HLJNEWS_PARSE_TIMEOUT": seconds_setting}


class ParseOffloadMiddleware:
    """Starts the site's parse processes once the crawl has asked for HLJNEWS_PARSE_PROCESS_AFTER pages (a
    small crawl, such as a scheduled hot-list run, never pays for starting one), then hands them every page.

    Counted by what the crawl has scheduled, not by what it has parsed: a channel list names its fifty articles
    at once, and a process started then is ready before most of them arrive (they would otherwise be parsed
    here, in the crawl's busiest thread, for as long as the process takes to start)."""

    def __init__(self, crawler: Crawler, processes: int, after: int, timeout: float) -> None:
        self.crawler = crawler
        self.processes = processes
        self.after = after
        self.timeout = timeout
        self.site: Site | None = None
        self.pool: ParsePool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParseOffloadMiddleware:
        value = {name: check(name, crawler.settings.get(name)) for name, check in SETTING_CHECKS.items()}
        if value["HLJNEWS_PARSE_PROCESSES"] == 0:
            raise NotConfigured
        middleware = cls(crawler, int(value["HLJNEWS_PARSE_PROCESSES"]), int(value["HLJNEWS_PARSE_PROCESS_AFTER"]),
                         value["HLJNEWS_PARSE_TIMEOUT"])
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self) -> None:
        # Only a SiteSpider's pages; other spiders (scrapy shell, scrapy bench) parse as they always have.
        self.site = getattr(self.crawler.spider, "site", None)
        self._start_when_due()

    async def spider_closed(self) -> None:
        """Scrapy waits for this: the crawl ends once its parse processes have."""
        pool, self.pool, self.site = self.pool, None, None
        if pool is not None:
            await maybe_deferred_to_future(pool.close())

    async def process_response(self, request: Request, response: Response) -> Response:
        # Only pages a spider callback will read: robots.txt has no callback, redirects and errors no page.
        if self.site is None or request.callback is None or not 200 <= response.status < 300:
            return response
        try:
            page = page_from_response(response)
        except NotHtmlError:  # the spider refuses it with the same reason, in the same place as ever
            return response
        answer = self.pool.parse(page) if self.pool is not None else None
        if answer is None:  # no process yet, or none ready: the spider parses it
            self._start_when_due()
            return response
        parsed = await maybe_deferred_to_future(answer)
        if isinstance(parsed, str):
            request.meta[PARSE_FAILED] = parsed
            outcome = "failed"
        elif parsed is not None:
            request.meta[PARSED_ELSEWHERE] = parsed
            outcome = "parsed"
        else:
            outcome = "returned"
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"hljnews/parse_pool/{outcome}")
        return response

    def _start_when_due(self) -> None:
        assert self.crawler.stats is not None
        asked_for = self.crawler.stats.get_value("scheduler/enqueued", 0)  # Scrapy's count of requests scheduled
        if self.pool is None and self.site is not None and asked_for >= self.after:
            self.pool = ParsePool.start(self.site, self.processes, self.timeout)
            if self.pool is None:  # the site cannot be sent to a process: parse here, as without the pool
                self.site = None
