"""Run site spiders in this process and report what each run recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawler.outlets import configured_outlets
from crawler.spiders.outlet import OutletSpider

FAILED_STATUSES = {"failed", "interrupted"}


@dataclass
class CrawlResult:
    site: str
    run_id: int | None
    status: str

    @property
    def failed(self) -> bool:
        return self.run_id is None or self.status in FAILED_STATUSES


def crawl_settings(db: str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """The project settings (crawler/settings.py), with the archive and any overrides applied."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if db:
        settings.set("HLJNEWS_DB", db, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def site_keys(settings: Settings | None = None) -> list[str]:
    """Every site key: the built-in spiders and the outlets of the config in use."""
    settings = settings or crawl_settings()
    return sorted({*_spider_names(settings), *configured_outlets(settings.get("HLJNEWS_CONFIG"))})


def _spider_names(settings: Settings) -> list[str]:
    # "outlet" is the class behind every configured outlet, not a site of its own.
    return [name for name in SpiderLoader.from_settings(settings).list() if name != OutletSpider.name]


def run_crawls(
    sites: list[str],
    *,
    db: str | None = None,
    overrides: dict[str, Any] | None = None,
    spider_args: dict[str, str] | None = None,
) -> list[CrawlResult]:
    """Crawl each site (concurrently, one reactor) and return each run's id and status. Blocks."""
    settings = crawl_settings(db, overrides)
    process = CrawlerProcess(settings)
    outlets = set(configured_outlets(settings.get("HLJNEWS_CONFIG"))) - set(_spider_names(settings))
    crawlers: list[tuple[str, Crawler]] = []
    for site in sites:
        # A configured outlet has no spider of its own: the outlet spider crawls it, told which by its key.
        outlet_args = {"site": site} if site in outlets else {}
        crawler = process.create_crawler(OutletSpider if outlet_args else site)
        process.crawl(crawler, **(spider_args or {}), **outlet_args)
        crawlers.append((site, crawler))
    process.start()
    return [_result(site, crawler) for site, crawler in crawlers]


def _result(site: str, crawler: Crawler) -> CrawlResult:
    stats = crawler.stats
    run_id = stats.get_value("hljnews/run_id") if stats else None
    status = stats.get_value("hljnews/run_status", "failed") if stats else "failed"
    return CrawlResult(site, run_id, status)
