"""The one pipeline: every item goes into the archive, and the crawl run is recorded around it."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleItem, FailedPageItem, HotListItem, RawPage, RawPageItem
from storage import Archive, open_archive

logger = logging.getLogger(__name__)

GONE_STATUSES = {404, 410}  # an archived article answering these has been taken down


class ArchivePipeline:
    """Writes articles, raw pages, hot lists and failures; opens and closes the run record."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_url: str | None = crawler.settings.get("HLJNEWS_DB")
        self.max_errors = crawler.settings.getint("HLJNEWS_MAX_RUN_ERRORS")
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.errors: list[str] = []
        self._last_hot_lists: dict[str, list[tuple[int, str, str]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = self.crawler.spider
        self.archive = open_archive(self.db_url)
        site = getattr(spider, "site_key", spider.name)
        # A scheduler creates the run record before it starts the crawl process, and passes its id.
        self.run_id = self.crawler.settings.getint("HLJNEWS_RUN_ID") or self.archive.start_run(
            spider=spider.name, site=site, trigger=self.crawler.settings.get("HLJNEWS_TRIGGER", "manual")
        )
        self.stats.set_value("hljnews/run_id", self.run_id)
        spider.known_urls = self.archive.known_urls(site)  # type: ignore[attr-defined]
        if getattr(spider, "mode", "full") == "recent":
            days = self.crawler.settings.getint("HLJNEWS_RECENT_DAYS")
            spider.recent_urls = self.archive.articles_due_for_refresh(site, days=days)  # type: ignore[attr-defined]
        logger.info("run %s started; %d articles already archived", self.run_id, len(spider.known_urls))

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, ArticleItem):
            self._save_article(item)
        elif isinstance(item, HotListItem):
            self._save_hot_list(item)
        elif isinstance(item, RawPageItem):
            self._save_raw(item.page)
            self.stats.inc_value("hljnews/pages_ok")
        elif isinstance(item, FailedPageItem):
            self._record_failure(item)
        else:
            raise DropItem(f"unknown item type {type(item).__name__}")
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.archive is None or self.run_id is None:
            return
        status = run_status(reason, ok=self._count("pages_ok"), failed=self._count("pages_failed"))
        run = self.archive.finish_run(self.run_id, status, errors=self.errors)
        self.stats.set_value("hljnews/run_status", status)
        logger.info("run %s %s: %s", self.run_id, status, _summary(run))
        self.archive.close()

    def _save_article(self, item: ArticleItem) -> None:
        for raw in item.raw_pages:
            self._save_raw(raw)
        outcome = self._archive.save_article(
            item.article.to_dict(), fetched_at=item.fetched_at, run_id=self.run_id, aliases=item.aliases
        )
        self.stats.inc_value(f"hljnews/articles_{outcome}")
        self.stats.inc_value("hljnews/pages_ok")

    def _save_hot_list(self, item: HotListItem) -> None:
        # Every article page repeats the same sidebar: keep a snapshot only when the list changed.
        key = tuple((e.rank, e.title, e.url) for e in item.entries)
        if self._last_hot_lists.get(item.site) == list(key):
            return
        self._last_hot_lists[item.site] = list(key)
        entries = [asdict(entry) for entry in item.entries]
        self._archive.save_hot_list(item.site, item.captured_at, item.page_url, entries, run_id=self.run_id)
        self.stats.inc_value("hljnews/hot_lists")

    def _save_raw(self, raw: RawPage) -> None:
        self._archive.save_raw_page(raw.url, raw.body, raw.headers, raw.fetched_at, run_id=self.run_id,
                                    status=raw.status)

    def _record_failure(self, item: FailedPageItem) -> None:
        if item.status in GONE_STATUSES and self._archive.mark_removed(item.url):
            self.stats.inc_value("hljnews/articles_removed")
        self._archive.record_failure(self.run_id, item.url, item.error)
        self.stats.inc_value("hljnews/pages_failed")
        if len(self.errors) < self.max_errors:
            self.errors.append(f"{item.url}: {item.error}")

    def _count(self, name: str) -> int:
        return int(self.stats.get_value(f"hljnews/{name}", 0))

    @property
    def _archive(self) -> Archive:
        assert self.archive is not None, "the archive opens with the spider"
        return self.archive


def run_status(reason: str, *, ok: int, failed: int) -> str:
    """ok: nothing failed; partial: some pages failed; failed: nothing worked; interrupted: stopped early."""
    if reason not in {"finished"} and not reason.startswith("closespider_"):
        return "interrupted"
    if failed and not ok:
        return "failed"
    return "partial" if failed else "ok"


def _summary(run: dict[str, Any]) -> str:
    keys = ("pages_new", "pages_updated", "pages_unchanged", "pages_failed")
    return ", ".join(f"{key.removeprefix('pages_')} {run.get(key, 0)}" for key in keys)
