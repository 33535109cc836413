"""A live one-line progress display for crawls started from a terminal by the hljnews CLI."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.live import Live
from rich.text import Text
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

_COUNTERS = (
    ("downloader/response_count", "fetched"),
    ("hljnews/articles_new", "new"),
    ("hljnews/articles_updated", "updated"),
    ("hljnews/articles_unchanged", "unchanged"),
    ("hljnews/hot_lists", "hot lists"),
    ("hljnews/pages_failed", "failed"),
)


class ProgressDisplay:
    """Redraws the run's counters as items arrive; off unless HLJNEWS_PROGRESS and stderr is a terminal."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.live = Live(Text(""), console=Console(stderr=True), transient=False, auto_refresh=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressDisplay:
        if not crawler.settings.getbool("HLJNEWS_PROGRESS") or not sys.stderr.isatty():
            raise NotConfigured
        display = cls(crawler)
        crawler.signals.connect(display.opened, signal=signals.spider_opened)
        crawler.signals.connect(display.refresh, signal=signals.item_scraped)
        crawler.signals.connect(display.refresh, signal=signals.response_received)
        crawler.signals.connect(display.closed, signal=signals.spider_closed)
        return display

    def opened(self, spider: object) -> None:
        self.live.start()
        self.refresh()

    def refresh(self, *args: object, **kwargs: object) -> None:
        self.live.update(Text(f"{self.crawler.spider.name}: {self.line()}"), refresh=True)

    def closed(self, spider: object) -> None:
        self.refresh()
        self.live.stop()

    def line(self) -> str:
        stats = self.crawler.stats
        return " · ".join(f"{label} {stats.get_value(key, 0)}" for key, label in _COUNTERS)
