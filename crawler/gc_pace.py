"""Scrapy extension: while crawls run in a process, CPython's young garbage collections run a tenth as often.

CPython collects its youngest objects every 700 allocations, the next generation every tenth time, and now and
then everything the process holds (~150,000 objects in a crawl process: Scrapy, Twisted, SQLAlchemy, the
archive's schema). A crawl allocates responses, requests, Deferreds and items by the thousand each second, so
collections took ~9 % of its thread: 0.5 ms per article, most of it in the full ones (benchmarks/README.md,
"Garbage collection"). Every 7,000 allocations they take ~0.1 ms per article, and the older generations are
reached ten times less often. Garbage only a collection frees (reference cycles) waits a little longer, at most
7,000 allocations' worth: a crawl's peak memory did not change.

Crawls of one process (`hljnews crawl --all` runs them side by side) share the setting: the first to open sets
it, the last to close puts back the thresholds it found.
"""

from __future__ import annotations

import gc
import threading

from scrapy import signals
from scrapy.crawler import Crawler

YOUNG_ALLOCATIONS = 7000  # between two young collections while a crawl runs; CPython's default is 700


class _Thresholds:
    """The process's collector thresholds while crawls run, and how many crawls are running."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.crawls = 0
        self.found: tuple[int, int, int] = gc.get_threshold()

    def crawl_opened(self) -> None:
        with self.lock:
            if self.crawls == 0:
                self.found = gc.get_threshold()
                young, *older = self.found
                if young:  # 0: the collector is off, and stays as the process set it
                    gc.set_threshold(max(young, YOUNG_ALLOCATIONS), *older)
            self.crawls += 1

    def crawl_closed(self) -> None:
        with self.lock:
            self.crawls -= 1
            if self.crawls == 0:
                gc.set_threshold(*self.found)


_THRESHOLDS = _Thresholds()


class GcPace:
    """Raises the young collection threshold from spider opened to spider closed (see the module's doc)."""

    def __init__(self, crawler: Crawler) -> None:
        self.running = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcPace:
        return cls(crawler)

    def spider_opened(self) -> None:
        if not self.running:
            self.running = True
            _THRESHOLDS.crawl_opened()

    def spider_closed(self) -> None:
        if self.running:
            self.running = False
            _THRESHOLDS.crawl_closed()
