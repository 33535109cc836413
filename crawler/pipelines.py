"""The one pipeline: every item goes into the archive, and the crawl run is recorded around it.

It only writes. The run opens when the spider starts crawling (``crawl_started``), so `scrapy shell`,
`parse` and `check` leave no run behind. Articles go on to feed exports as the fields `hljnews extract`
prints; hot lists and failed pages end here (stored, then dropped quietly). Raw page bytes arrive by the
``raw_page_fetched`` signal, never as items.

Writes are batched: raw pages, articles, hot lists and page outcomes queue in an `Archive.batch()` that is
committed, in one transaction, every HLJNEWS_BATCH_SIZE writes, every HLJNEWS_BATCH_SECONDS and when the
spider closes. Page outcomes (the run's counts) commit with their pages, so the run never counts more than
is stored; a killed crawl loses at most the batch it had not committed, whose URLs the next run does not
know and fetches again. Stats count a page when its batch is committed.

A write the archive still refuses after its retries (database unreachable, disk full) is a failed page of
the run with its reason, logged in one line; the run's status then says so. A batch the database refuses
for any other reason is written again one page per transaction, so one bad page fails alone. A crawl whose
site lock was lost (a PostgreSQL restart drops it) and cannot be taken again is closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro

from crawler.items import ArticleItem, FailedPageItem, HotListItem, RawPage, article_fields
from crawler.run_status import ARCHIVE_GONE, LOST_LOCK, UNAVAILABLE_LIMIT, close_explanation, run_status
from crawler.signals import crawl_started, hot_list_lost, raw_page_fetched
from storage import Archive, ArchiveUnavailable, CrawlLock, StorageError, WriteBatch, open_archive

logger = logging.getLogger(__name__)

GONE_STATUSES = {404, 410}  # an archived article answering these has been taken down
LOCK_CHECK_SECONDS = 30  # how often a held site lock is checked even when the archive saw no reconnect


class ArchivePipeline:
    """Writes articles, raw pages, hot lists and failures; opens and closes the run record."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_url: str | None = crawler.settings.get("HLJNEWS_DB")
        self.retry_seconds = crawler.settings.getfloat("HLJNEWS_DB_RETRY_SECONDS")
        self.max_errors = crawler.settings.getint("HLJNEWS_MAX_RUN_ERRORS")
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.site = ""
        self.errors: list[str] = []
        self.unrecorded: list[tuple[str, str]] = []  # failures the archive could not take yet
        self.lock: CrawlLock | None = None
        self.unavailable = 0  # consecutive items lost to an unreachable archive
        self._lock_checked = (0, time.monotonic())  # (archive reconnects, when) at the last lock check
        self._close_reason = ""
        self.crawling = False  # set by the spider's crawl_started signal
        self.batch_size = max(1, crawler.settings.getint("HLJNEWS_BATCH_SIZE"))
        self.batch_seconds = crawler.settings.getfloat("HLJNEWS_BATCH_SECONDS")
        self.batch: WriteBatch | None = None
        self.queued: list[tuple[str, Any]] = []  # what each write in the batch is for, in queue order
        self._queued_at = 0.0  # when the oldest write of the batch was queued
        self._timer: Any = None  # commits a batch older than batch_seconds while no item arrives

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(pipeline.crawl_started, signal=crawl_started)
        crawler.signals.connect(pipeline.keep_raw_page, signal=raw_page_fetched)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = self.crawler.spider
        self.archive = open_archive(self.db_url, create=True, retry_seconds=self.retry_seconds)
        self.batch = self.archive.batch()
        self.site = getattr(spider, "site_key", spider.name)
        self.lock = self.archive.held_lock(self.site)  # held here when `hljnews crawl` took it in this process
        if self.crawler.settings.getint("HLJNEWS_RUN_ID"):  # a scheduler's run, recorded before the crawl
            self.start_run()

    def spider_opened(self, spider: Spider) -> None:
        """Start the clock that commits a batch once it is batch_seconds old (the reactor runs now)."""
        if self.batch_seconds > 0:
            self._timer = create_looping_call(self._commit_due)
            self._timer.start(min(self.batch_seconds, 1.0), now=False)

    def crawl_started(self) -> None:
        """A real crawl begins (not `scrapy shell`, `parse` or `check`): open its run."""
        self.crawling = True
        self.start_run()

    def start_run(self) -> None:
        """Open the run record (or take the one a scheduler created and passed in HLJNEWS_RUN_ID).

        An archive unreachable at this moment is tried again with the next item and when the crawl closes.
        """
        if self.run_id is not None:
            return
        spider = self.crawler.spider
        try:
            self.run_id = self.crawler.settings.getint("HLJNEWS_RUN_ID") or self._archive.start_run(
                spider=spider.name, site=self.site, trigger=self.crawler.settings.get("HLJNEWS_TRIGGER", "manual"))
        except StorageError as error:
            logger.error("the run of %s could not be recorded yet: %s", self.site, error)
            return
        self.stats.set_value("hljnews/run_id", self.run_id)
        logger.info("run %s started", self.run_id)

    def keep_raw_page(self, page: RawPage, kind: str) -> None:
        """Store a fetched page's bytes during a crawl; a list page counts as a page read."""
        if not self.crawling:  # `scrapy parse` runs the callbacks without a crawl: nothing to keep
            return
        self.start_run()
        self._queue("list page" if kind == "list" else "page", page, lambda batch: batch.save_raw_page(
            page.url, page.body, page.headers, page.fetched_at, run_id=self.run_id, status=page.status,
            packed=page.packed))

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        self.start_run()  # `scrapy parse --pipelines` writes without a crawl having started
        if isinstance(item, FailedPageItem):
            self._failed(item.url, item.error, status=item.status, blocked=item.blocked)
            raise DropItem(f"stored the failure of {item.url}", log_level="DEBUG")
        fields = self._write(item)
        self._check_lock()
        if fields is not None:  # feed exports get the fields `hljnews extract` prints (Article.to_dict)
            published, fetched = item.article.published_at, item.fetched_at
            return {**fields, "published_at": published.isoformat() if published else None,
                    "fetched_at": fetched.isoformat() if fetched else None}
        raise DropItem(f"stored the {type(item).__name__}", log_level="DEBUG")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        for _ in range(2):  # the second commit takes the failures of pages the first could not store
            self._commit()
        if self.archive is not None and self.run_id is None and (self.errors or self._count("pages_ok")):
            self.start_run()  # a crawl whose archive was unreachable when it started
        if self.archive is not None and self.run_id is None:  # no crawl started (scrapy shell, parse, check)
            self.archive.close()
        if self.archive is None or self.run_id is None:
            return
        reason = self._close_reason or reason
        status = run_status(reason, ok=self._count("pages_ok"), failed=self._count("pages_failed"))
        why = close_explanation(reason, self.crawler.settings)
        self._flush_failures()
        try:
            run = self.archive.finish_run(self.run_id, status, errors=[*([why] if why else []), *self.errors])
        except StorageError as error:
            logger.error("run %s could not be closed as %s: %s", self.run_id, status, error)
        else:
            logger.info("run %s %s: %s", self.run_id, status, _summary(run))
        self.stats.set_value("hljnews/run_status", status)
        self.archive.close()

    def _write(self, item: Any) -> dict[str, Any] | None:
        """Queue an item's write; an article's fields are returned (made once, for the archive and the feed)."""
        if isinstance(item, ArticleItem):
            fields = article_fields(item.article)
            self._queue("article", item, lambda batch: batch.save_article(
                fields, fetched_at=item.fetched_at, run_id=self.run_id, aliases=item.aliases))
            return fields
        if isinstance(item, HotListItem):
            entries = [{"rank": entry.rank, "title": entry.title, "url": entry.url} for entry in item.entries]
            self._queue("hot list", item, lambda batch: batch.save_hot_list(
                item.site, item.captured_at, item.page_url, entries, run_id=self.run_id))
            return None
        raise DropItem(f"unknown item type {type(item).__name__}")

    def _queue(self, kind: str, item: Any, write: Callable[[WriteBatch], None]) -> None:
        """Add one write to the batch (bad input fails that page alone, now); commit a full batch."""
        try:
            write(self._batch)
        except StorageError as error:
            self._lost_write(item, error)
            return
        if not self.queued:
            self._queued_at = time.monotonic()
        self.queued.append((kind, item))
        if len(self.queued) >= self.batch_size:
            self._commit()

    def _commit_due(self) -> None:
        if self.queued and time.monotonic() - self._queued_at >= self.batch_seconds:
            self._commit()
            self._check_lock()

    def _commit(self) -> None:
        """Write the batch in one transaction; on a refusal, page by page; then count what was stored."""
        if not self.queued:
            return
        queued, self.queued = self.queued, []
        try:
            results = self._batch.commit()
        except ArchiveUnavailable as error:  # page by page would wait out the retry period for each
            self._batch.clear()
            results = [error] * len(queued)
        except StorageError as error:
            logger.warning("run %s: a batch of %d writes was refused (%s); writing them one by one", self.run_id,
                           len(queued), error)
            results = self._batch.commit_each()
        for (kind, item), result in zip(queued, results, strict=True):
            self._settle(kind, item, result)
        if not any(isinstance(result, StorageError) for result in results):
            self.unavailable = 0
            self._flush_failures()

    def _settle(self, kind: str, item: Any, result: Any) -> None:
        """Count one committed write, or record its page failed."""
        if isinstance(result, StorageError):
            if kind == "failed page":
                self.unrecorded.append(item)
            elif kind == "blocked page":
                logger.error("run %s: blocked page %s not recorded: %s", self.run_id, item[0], result)
            elif kind != "removal":
                self._lost_write(item, result)
        elif kind == "article":
            self.stats.inc_value(f"hljnews/articles_{result}")
            self.stats.inc_value("hljnews/pages_ok")
            if item.article.extractor == "generic":
                self.stats.inc_value("hljnews/articles_generic")
        elif kind == "list page":
            self.stats.inc_value("hljnews/pages_ok")
        elif kind == "hot list" and result is not None:
            self.stats.inc_value("hljnews/hot_lists")
        elif kind == "removal" and result:
            self.stats.inc_value("hljnews/articles_removed")

    def _failed(self, url: str, error: str, *, status: int | None = None, blocked: bool = False) -> None:
        """Count a failed page, record it in the run (later, if the archive cannot take it now)."""
        if blocked:  # robots.txt forbade it: counted in the run, not a failure of the crawl
            self.stats.inc_value("hljnews/pages_blocked")
            if self.run_id is not None:
                self._queue_outcome((url, error), "blocked")
            return
        self.stats.inc_value("hljnews/pages_failed")
        if len(self.errors) < self.max_errors:
            self.errors.append(f"{url}: {error}")
        if self.run_id is None:
            self.unrecorded.append((url, error))
            return
        if status in GONE_STATUSES:
            self._queue("removal", url, lambda batch: batch.mark_removed(url))
        self._queue_outcome((url, error), "failed")

    def _queue_outcome(self, failure: tuple[str, str], outcome: str) -> None:
        run_id = self._run
        self._queue(f"{outcome} page", failure, lambda batch: batch.record_failure(run_id, *failure, outcome=outcome))

    def _lost_write(self, item: Any, error: StorageError) -> None:
        url, kind = _described(item)
        logger.error("run %s: %s of %s not stored: %s", self.run_id, kind, url, error)
        self._failed(url, f"{kind} not stored: {error}")
        if isinstance(item, HotListItem):  # the spider sends an unchanged list only now and then: now, again
            self.crawler.signals.send_catch_log(hot_list_lost, item=item)
        if isinstance(error, ArchiveUnavailable):
            self.unavailable += 1
            if self.unavailable >= UNAVAILABLE_LIMIT and not self._close_reason:
                self._close(ARCHIVE_GONE)

    def _flush_failures(self) -> None:
        if not self.unrecorded or self.run_id is None:
            return
        try:
            self._archive.record_failures(self._run, self.unrecorded)
        except StorageError as error:
            logger.error("run %s: %d failed pages not recorded yet: %s", self.run_id, len(self.unrecorded), error)
        else:
            self.unrecorded = []

    def _check_lock(self) -> None:
        """Re-check a held site lock after the archive reconnected, or every LOCK_CHECK_SECONDS."""
        if self.lock is None or self._close_reason:
            return
        reconnects, checked_at = self._lock_checked
        if self._archive.reconnects == reconnects and time.monotonic() - checked_at < LOCK_CHECK_SECONDS:
            return
        self._lock_checked = (self._archive.reconnects, time.monotonic())
        if not self.lock.verify():
            logger.error("run %s: lost the crawl lock of %s and could not take it again; stopping", self.run_id,
                         self.site)
            self._close(LOST_LOCK)

    def _close(self, reason: str) -> None:
        self._close_reason = reason
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):  # Scrapy 2.14+; close_spider() is deprecated there
            deferred_from_coro(engine.close_spider_async(reason=reason))
        else:
            engine.close_spider(self.crawler.spider, reason)

    def _count(self, name: str) -> int:
        return int(self.stats.get_value(f"hljnews/{name}", 0))

    @property
    def _batch(self) -> WriteBatch:
        assert self.batch is not None, "the batch opens with the archive"
        return self.batch

    @property
    def _archive(self) -> Archive:
        assert self.archive is not None, "the archive opens with the spider"
        return self.archive

    @property
    def _run(self) -> int:
        assert self.run_id is not None, "the run starts with the spider"
        return self.run_id


def _described(item: Any) -> tuple[str, str]:
    """The page an item (or a raw page) came from and what it holds, for a failure line."""
    if isinstance(item, ArticleItem):
        return item.article.url, "article"
    if isinstance(item, HotListItem):
        return item.page_url, "hot list"
    return item.url, "page"


def _summary(run: dict[str, Any]) -> str:
    keys = ("pages_new", "pages_updated", "pages_unchanged", "pages_failed", "pages_blocked", "pages_generic")
    return ", ".join(f"{key.removeprefix('pages_')} {run.get(key, 0)}" for key in keys)
