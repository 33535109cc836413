"""One live progress display for every crawl of a terminal session: a row per site, redrawn in place.

Used by `hljnews crawl` on a terminal (HLJNEWS_PROGRESS); `scrapy crawl` and cron keep plain logs. All crawls
of one process (`hljnews crawl --all` runs them side by side) share one rich ``Progress``, so their lines
never overwrite each other; the log goes to the log file meanwhile (or to the terminal with `-v`).
"""

from __future__ import annotations

import sys
import threading
import time

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

_COUNTERS = (("pages", "downloader/response_count"), ("new", "hljnews/articles_new"),
             ("updated", "hljnews/articles_updated"), ("failed", "hljnews/pages_failed"))
REFRESH_SECONDS = 0.25  # no faster than this per site: a redraw costs more than a small page's parse


class _Board:
    """The process's one Progress and how many crawls still draw on it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.progress: Progress | None = None
        self.open_rows = 0

    def add_row(self, site: str) -> tuple[Progress, TaskID]:
        with self.lock:
            if self.progress is None:
                self.progress = Progress(
                    SpinnerColumn(finished_text="✓"), TextColumn("[bold]{task.description:<12}"),
                    *(TextColumn(f"{name} {{task.fields[{name}]:>4}}") for name, _ in _COUNTERS),
                    TextColumn("{task.fields[rate]:>5.1f} pages/s"), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=False)
                self.progress.start()
            self.open_rows += 1
            fields = dict.fromkeys((name for name, _ in _COUNTERS), 0)
            return self.progress, self.progress.add_task(site, total=None, rate=0.0, **fields)

    def close_row(self) -> None:
        with self.lock:
            self.open_rows -= 1
            if self.open_rows == 0 and self.progress is not None:
                self.progress.stop()
                self.progress = None


_BOARD = _Board()


class ProgressDisplay:
    """Keeps one site's row up to date from the crawl's stats; off unless HLJNEWS_PROGRESS and a terminal."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.started = time.monotonic()
        self.drawn = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressDisplay:
        if not crawler.settings.getbool("HLJNEWS_PROGRESS") or not sys.stderr.isatty():
            raise NotConfigured
        display = cls(crawler)
        crawler.signals.connect(display.opened, signal=signals.spider_opened)
        for signal in (signals.response_received, signals.item_scraped, signals.item_dropped):
            crawler.signals.connect(display.refresh, signal=signal)
        crawler.signals.connect(display.closed, signal=signals.spider_closed)
        return display

    def opened(self, spider: object) -> None:
        self.started = time.monotonic()
        self.progress, self.task = _BOARD.add_row(self.crawler.spider.name)

    def refresh(self, *args: object, force: bool = False, **kwargs: object) -> None:
        now = time.monotonic()
        if self.progress is None or self.task is None or (not force and now - self.drawn < REFRESH_SECONDS):
            return
        self.drawn = now
        stats = self.crawler.stats
        fields = {name: int(stats.get_value(key, 0)) for name, key in _COUNTERS}
        self.progress.update(self.task, rate=fields["pages"] / max(now - self.started, 1e-3), **fields)

    def closed(self, spider: object) -> None:
        self.refresh(force=True)
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=1, completed=1)
            _BOARD.close_row()
